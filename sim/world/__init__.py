"""The 2022 world: geography, children, schools and teachers, and the calibration that builds it.

Everything the model holds at set-up comes from here; the yearly processes then change it.
"""
