"""The yearly processes, in the order ``QingyuanModel.step`` runs them.

The policy knobs levers turn (``policy``), demography, the teacher workforce
(``workforce``), enrolment with boarding, and school dynamics. Processes read and write the
model's declared state; they never import levers, measurement, plotting or the CLI.
"""
