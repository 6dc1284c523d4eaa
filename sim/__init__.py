"""Agent-based model of basic education in Qingyuan City (清远市), Guangdong.

The package simulates school years from autumn 2022 under falling births and
urbanisation, and judges the city's 2023–2027 education plan against its own
targets. The model (``sim.model``) never imports plotting or the CLI; those
import it.
"""

__version__ = "0.1.0"
