"""Derived demographic series: births by county and year, population growth, urbanisation.

Pure functions of the shipped data and the demography parameters; the reasoning for each
step is in ``sim/data/README.md``.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from sim import data
from sim.config import COUNTIES, DemographyParams

CITY_BIRTHS_2018 = 66_800  # 2018 city bulletin (M-H)
QINGCHENG_BIRTHS_2022 = 9_599  # 清城, 8.51‰ (H)
QINGCHENG_POP_SHARE = {2010: 0.2193, 2020: 0.2821}  # 清城's share of the city's residents (censuses, H)
LIANZHOU_BIRTHS_2023_HUJI = 3_535  # 连州, registered (户籍) basis (卫健局, H)
LAST_DATA_YEAR = 2025  # Guangdong's births are published through 2025
REBOUND_YEAR = 2024  # Guangdong's dragon-year rebound (+9.7%), not seen in every prefecture
CENSUS_TO_2023_YEARS = 3 + 2 / 12  # 2020-11-01 to 2023-12-31
QINGCHENG_GAIN_2022_2023 = 0.8579 - 0.8522  # H


@cache
def _shape() -> pd.Series:
    """Relative birth curve, 1.0 in 2018: China before 2018, Guangdong from 2018.

    China's series is the one revised after the 2020 census (sim/data/births_index.csv).
    Guangdong's unpublished 2019-2020 births are interpolated geometrically between 2018 and
    2021 (L).
    """
    idx = data.births_index()
    china = idx["china_births_wan"].astype(float)
    gd_log = np.log(idx["guangdong_births_wan"].astype(float)).interpolate(
        method="index", limit_area="inside"
    )
    gd = np.exp(gd_log)
    shape = china / china.loc[2018]
    gd_years = gd.dropna().index
    shape.loc[gd_years] = gd.loc[gd_years] / gd.loc[2018]
    return shape


def city_births(years: np.ndarray, params: DemographyParams) -> np.ndarray:
    """Expected city births for each year (history from data, projection from the trend).

    From 2018 Qingyuan follows Guangdong's curve, drifting to ``births_scale`` × it by 2022;
    of Guangdong's 2024 rebound it shares the fraction ``births_rebound_2024`` (in logs) and
    from 2025 it is back on Guangdong's path; after 2025 births change by ``births_trend``.
    """
    shape = _shape().to_dict()
    first_year = min(shape)
    gd_spike = shape[REBOUND_YEAR] / shape[REBOUND_YEAR - 1]
    out = np.empty(len(years))
    for i, y in enumerate(years):
        value = CITY_BIRTHS_2018 * shape[min(max(int(y), first_year), LAST_DATA_YEAR)]
        if y == REBOUND_YEAR:
            value /= gd_spike ** (1.0 - params.births_rebound_2024)
        if y > LAST_DATA_YEAR:
            value *= (1 + params.births_trend) ** (y - LAST_DATA_YEAR)
        # Qingyuan drifts away from Guangdong's curve from 2018 (the last anchored year),
        # reaching births_scale by 2022 and staying there
        value *= params.births_scale ** (min(max(y - 2018, 0), 4) / 4)
        out[i] = value
    return out


def qingcheng_population_share(year: int) -> float:
    """清城's share of city residents: linear between the 2010 and 2020 censuses, flat after."""
    (y0, s0), (y1, s1) = sorted(QINGCHENG_POP_SHARE.items())
    return s0 + (s1 - s0) * (min(year, y1) - y0) / (y1 - y0)


def lianzhou_resident_births_2023(params: DemographyParams) -> float:
    """连州's 2023 births on the resident basis: the registered count × ``lianzhou_birth_basis``."""
    return LIANZHOU_BIRTHS_2023_HUJI * params.lianzhou_birth_basis


def county_birth_shares(year: int, params: DemographyParams) -> dict[str, float]:
    """Each county's share of city births in a year.

    清城's share follows its share of residents (2010 and 2020 censuses) times a relative
    fertility that reproduces its 2022 births (9,599 at 8.51‰, H); its published 2016 figure
    (9,529 at 12.67‰, which fits neither its resident nor its registered population) is not
    used. 连州's share is fixed by its 2023 births, converted from the registered (户籍) to
    the resident basis by ``lianzhou_birth_basis``; the other six split the rest by 2020
    census population (L).
    """
    b2022 = city_births(np.array([2022]), params)[0]
    fertility = QINGCHENG_BIRTHS_2022 / b2022 / qingcheng_population_share(2022)
    qc = qingcheng_population_share(year) * fertility
    b2023 = city_births(np.array([2023]), params)[0]
    lz = lianzhou_resident_births_2023(params) / b2023
    pop = data.counties()["census_2020"]
    others = [c for c in COUNTIES if c not in ("清城区", "连州市")]
    rest = 1.0 - qc - lz
    shares = {"清城区": qc, "连州市": lz}
    total_other = pop.loc[others].sum()
    for c in others:
        shares[c] = rest * pop.loc[c] / total_other
    return shares


def births_table(first: int, last: int, params: DemographyParams) -> pd.DataFrame:
    """Expected births by county (columns) and year (index)."""
    years = np.arange(first, last + 1)
    city = city_births(years, params)
    shares = pd.DataFrame([county_birth_shares(int(y), params) for y in years], index=years)
    return shares[list(COUNTIES)].mul(city, axis=0)


def population_growth() -> pd.Series:
    """Yearly geometric growth of each county's population, 2020 census → 2023 year-end."""
    c = data.counties()
    return (c["pop_2023"] / c["census_2020"]) ** (1 / CENSUS_TO_2023_YEARS) - 1


def urbanisation_gain(params: DemographyParams) -> pd.Series:
    """Yearly gain in urban share per county in 2022→2023 (清城 own data, others the default)."""
    c = data.counties()
    gain = pd.Series(params.urbanisation_gain, index=c.index)
    gain.loc["清城区"] = QINGCHENG_GAIN_2022_2023
    has_2022 = c["urbanisation_2022"].notna()
    gain.loc[has_2022] = c.loc[has_2022, "urbanisation_2023"] - c.loc[has_2022, "urbanisation_2022"]
    return gain
