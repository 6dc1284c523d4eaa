"""The 2022 age profile: fitted to the 2020 census and 2022 enrolment, no step at a school boundary."""

from __future__ import annotations

import numpy as np
import pytest

from sim import data
from sim.config import COUNTIES, Config
from sim.data.births import births_table
from sim.world.ages import CENSUS_YEAR, SCHOOL_AGE, census_children
from sim.world.calibration import calibrate

# Guangdong 2020 census shares of children 0-14 found for comparison (sim/data/README.md):
# 广州 13.87% (lowest city), 罗定 27.47% (highest county of 云浮)
PLAUSIBLE_SHARE = (0.1387, 0.2747)


@pytest.fixture(scope="module")
def calib():
    c = Config()
    return calibrate(c.demography, c.enrolment)


def census_0_14(calib, county: str) -> float:
    table = births_table(CENSUS_YEAR - 14, CENSUS_YEAR, Config().demography)
    fit = calib.presence_fit
    return census_children(table, county, fit.level * fit.weights[county], fit.slope, fit.young_slope)


def test_each_county_with_a_census_figure_lands_within_3_percent(calib):
    facts = data.counties()
    published = facts["census_0_14"].dropna()
    assert list(published.index) == ["英德市"]  # the only county figure found (231,968)
    for county, value in published.items():
        assert census_0_14(calib, county) == pytest.approx(value, rel=0.03)


def test_implied_child_shares_are_within_the_guangdong_range(calib):
    pop = data.counties()["census_2020"]
    for county in COUNTIES:
        share = census_0_14(calib, county) / pop.loc[county]
        assert PLAUSIBLE_SHARE[0] <= share <= PLAUSIBLE_SHARE[1], (county, share)


def test_the_curve_is_smooth_and_loses_no_more_than_mortality_and_migration_at_age_12(calib):
    d = Config().demography
    yearly_exit = d.child_mortality + d.out_with_children + d.into_centre
    ages = np.arange(SCHOOL_AGE, 18)
    for county in COUNTIES:
        p = calib.presence(ages, county)
        steps = p[1:] / p[:-1]
        assert np.allclose(steps, steps[0])  # the same ratio at every age: no step at 12
        assert 1 - steps[0] <= yearly_exit, (county, 1 - steps[0], yearly_exit)
        below = calib.presence(np.arange(0, SCHOOL_AGE + 1), county)
        assert np.allclose(below[1:] / below[:-1], below[1] / below[0])  # smooth below school age too


def test_no_cohort_jumps_from_grade_6_to_grade_7(city_model):
    """Children born in 2011 (grade 6 in 2022, grade 7 in 2023) change only by mortality and migration."""
    d = city_model.config.demography
    pop = city_model.pop
    now = int((pop.birth_year == 2011).sum())  # after the 2023 step
    c = city_model.calib  # the 2022 stock of that cohort, as built (rounded per county)
    grade6 = sum(round(c.births[2011][k] * float(c.presence(11, k))) for k in COUNTIES)
    change = now / grade6 - 1
    loss = d.child_mortality + d.out_with_children
    assert -loss - 0.01 <= change <= d.inflow_children + 0.01, change
