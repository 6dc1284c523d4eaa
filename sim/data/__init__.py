"""Baseline data shipped with the package (sources in ``sim/data/README.md``)."""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd


def _read(name: str) -> pd.DataFrame:
    with resources.files(__name__).joinpath(name).open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh)


@cache
def counties() -> pd.DataFrame:
    """One row per county: population, urbanisation, area, townships (indexed by county name)."""
    return _read("counties.csv").set_index("county")


@cache
def city_totals_2022() -> pd.DataFrame:
    """Institutions and students by level, autumn 2022 (清远市教育局), indexed by level."""
    return _read("city_totals_2022.csv").set_index("level")


@cache
def births_index() -> pd.DataFrame:
    """China's and Guangdong's births by year (万), indexed by year."""
    return _read("births_index.csv").set_index("year")
