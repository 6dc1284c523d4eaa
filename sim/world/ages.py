"""The age profile of children present in 2022: one smooth curve per county, no step at school ages.

The city publishes pupils by level, not children by age, and births only for some years, so
the children present at each age are births × a presence curve fitted to what is published:
the 2022 primary and junior pupils (level and slope from school age), the 2022 kindergarten
pupils with an attendance prior (slope below school age) and 英德's 2020 census children aged
0-14 (the rural counties' weight). The curve replaces the two presence factors of the earlier
set-up, whose step at age 12 made every cohort entering junior school 12% larger than it left
primary school. The reasoning and the implied shares per county are in ``sim/data/README.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from sim import data
from sim.config import COUNTIES, EnrolmentParams
from sim.core.names import START_YEAR

CENSUS_YEAR = 2020  # 7th census, 2020-11-01 (age a is taken as born in 2020 - a)
SCHOOL_AGE = 6  # the presence curve bends here (see ``curve``)


# Counties whose children present per birth follow 英德's, the one county whose census
# children aged 0-14 were found (231,968): the rural counties with births in proportion to
# their population (L: the same out-migration of children). 清城 and 连州 keep the base level:
# 清城 receives children from the rest of the city, and 连州's births are a converted
# registered count whose children often stay with grandparents (see sim/data/README.md).
RURAL_LIKE_YINGDE = ("英德市", "清新区", "佛冈县", "阳山县", "连山壮族瑶族自治县", "连南瑶族自治县")
PRESENCE_FIT_ROUNDS = 12


def _births_at_ages(births: pd.DataFrame, county: str, ages: np.ndarray, year: int) -> np.ndarray:
    return np.array([births.loc[year - a, county] for a in ages], dtype=float)


def _fit_level_slope(
    births: pd.DataFrame, weights: dict[str, float], enrol: EnrolmentParams
) -> tuple[float, float]:
    """Level and slope reproducing 2022 primary and junior pupils, given relative county weights.

    Two published totals, two unknowns: the junior/primary ratio fixes the slope (a net loss
    per year of age, the historical drain of older children), then primary pupils fix the level.
    """
    totals = data.city_totals_2022()["students"]
    special = float(totals["special"])
    primary = float(totals["primary"]) + special / 2
    junior = float(totals["junior"]) + special / 4
    a_pri, a_jun = np.arange(6, 12), np.arange(12, 15)
    retention = np.array([(1 - enrol.junior_dropout) ** k for k in range(3)])
    b_pri = sum(w * _births_at_ages(births, c, a_pri, START_YEAR) for c, w in weights.items())
    b_jun = sum(w * _births_at_ages(births, c, a_jun, START_YEAR) for c, w in weights.items()) * retention

    def ratio_gap(k: float) -> float:
        return float(b_jun @ np.exp(-k * a_jun)) / float(b_pri @ np.exp(-k * a_pri)) - junior / primary

    if ratio_gap(-0.2) * ratio_gap(0.2) > 0:
        raise ValueError("no presence slope in [-0.2, 0.2] reproduces the 2022 junior/primary ratio")
    k = float(brentq(ratio_gap, -0.2, 0.2))
    return primary / float(b_pri @ np.exp(-k * a_pri)), k


def curve(age: np.ndarray, level: float, slope: float, young_slope: float) -> np.ndarray:
    """Presence per birth by age: exp(-slope·a) from school age, exp(-young_slope·(a-6)) below it.

    Continuous at age 6 (no step); the two slopes differ because families bring children
    back for school (young_slope < 0 means fewer young children present than born).
    """
    a = np.asarray(age, dtype=float)
    at_6 = level * np.exp(-slope * SCHOOL_AGE)
    below = at_6 * np.exp(-young_slope * (a - SCHOOL_AGE))
    return np.where(a >= SCHOOL_AGE, level * np.exp(-slope * a), below)


def census_children(
    births: pd.DataFrame, county: str, level: float, slope: float, young_slope: float
) -> float:
    """Children aged 0-14 present in ``county`` at the 2020 census (age a born in 2020 - a)."""
    ages = np.arange(0, 15)
    return float(_births_at_ages(births, county, ages, CENSUS_YEAR) @ curve(ages, level, slope, young_slope))


def _fit_young_slope(
    births: pd.DataFrame, weights: dict[str, float], level: float, slope: float, attendance: float
) -> float:
    """Slope below school age so 2022 kindergarten pupils = present children 3-5 × attendance."""
    kg = float(data.city_totals_2022()["students"]["kindergarten"])
    ages = np.arange(3, 6)
    b = sum(w * _births_at_ages(births, c, ages, START_YEAR) for c, w in weights.items())

    def gap(ky: float) -> float:
        return float(b @ curve(ages, level, slope, ky)) * attendance - kg

    if gap(-1.0) * gap(1.0) > 0:
        raise ValueError("no young-age slope in [-1, 1] reproduces the 2022 kindergarten pupils")
    return float(brentq(gap, -1.0, 1.0))


@dataclass(frozen=True)
class PresenceFit:
    """The fitted presence curve (see ``curve``) and each county's relative weight."""

    level: float  # children present per birth at school age 0 of the base counties (清城, 连州)
    slope: float  # net loss per year of age from school age on
    young_slope: float  # below school age (negative: children come back before school)
    weights: dict[str, float]  # relative level by county (英德 and the rural counties < 1)

    def presence(self, age: np.ndarray | int, county: str) -> np.ndarray:
        """Children present per birth in ``county`` by age in years: smooth, no step at age 12."""
        return curve(np.asarray(age), self.level * self.weights[county], self.slope, self.young_slope)


def fit_presence(births: pd.DataFrame, enrol: EnrolmentParams) -> PresenceFit:
    """The smooth presence curve: level, slope and relative county weights.

    Fixed point: the rural counties share a weight solved so 英德's 2020 children aged 0-14
    equal the census; the level and slope then reproduce the 2022 city enrolment.
    """
    target = float(data.counties().loc["英德市", "census_0_14"])
    rural = 1.0
    att = enrol.preschool_attendance_2022
    for _ in range(PRESENCE_FIT_ROUNDS):
        weights = {c: (rural if c in RURAL_LIKE_YINGDE else 1.0) for c in COUNTIES}
        level, slope = _fit_level_slope(births, weights, enrol)
        young = _fit_young_slope(births, weights, level, slope, att)
        rural *= target / census_children(births, "英德市", level * rural, slope, young)
    weights = {c: (rural if c in RURAL_LIKE_YINGDE else 1.0) for c in COUNTIES}
    level, slope = _fit_level_slope(births, weights, enrol)
    young = _fit_young_slope(births, weights, level, slope, att)
    return PresenceFit(level=level, slope=slope, young_slope=young, weights=weights)
