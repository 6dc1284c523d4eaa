"""Solver checks: the initial state reproduces the published figures the calibration solved for.

These pass by construction (the set-up solves for them), so they check the solver, not the
model. The model's check against data it was not fitted to is the held-out back-test
(``python -m sim validate``, tests/test_validate.py).
"""

from __future__ import annotations

import pytest

from sim import data
from sim.config import COUNTIES
from tests.conftest import metric

PUBLISHED_STUDENT_METRICS = {
    "kindergarten": "n_students_preschool",
    "primary": "n_students_primary",
    "junior": "n_students_junior",
    "senior_general": "n_students_senior_general",
    "vocational": "n_students_vocational",
    "special": "n_students_special",
}


@pytest.mark.parametrize("level", list(PUBLISHED_STUDENT_METRICS))
def test_solver_reproduces_2022_students_by_level(city_model, level):
    published = data.city_totals_2022().loc[level, "students"]
    simulated = metric(city_model, PUBLISHED_STUDENT_METRICS[level]).loc[2022]
    assert abs(simulated / published - 1) < 0.02, (level, simulated, published)


def test_solver_reproduces_2022_schools_by_level(city_model):
    totals = data.city_totals_2022()["institutions"]
    sy = city_model.school_year()
    y = sy[sy["year"] == 2022]
    counts = y.groupby("level").size()
    primary_no_tp = int(((y["level"] == "primary") & ~y["teaching_point"]).sum())
    assert abs(primary_no_tp / totals["primary"] - 1) < 0.02
    for level in ("kindergarten", "junior", "vocational", "special"):
        assert abs(counts[level] / totals[level] - 1) < 0.02, level
    assert abs(counts["senior"] / totals["senior_general"] - 1) < 0.02


def test_solver_reproduces_2023_population_and_urbanisation(city_model):
    facts = data.counties()
    for county in COUNTIES:
        pop = metric(city_model, "population", county).loc[2023]
        assert abs(pop / facts.loc[county, "pop_2023"] - 1) < 0.01, county
        urb = metric(city_model, "urbanisation_rate", county).loc[2023]
        assert abs(urb - facts.loc[county, "urbanisation_2023"]) < 0.01, county


def test_primary_teacher_ratio_near_guangdong_prior(city_model):
    # Guangdong 2023: 18.1 pupils per primary teacher (reference/qingyuan.md, H)
    ratio = metric(city_model, "students_per_teacher_primary").loc[2022]
    assert 16.0 < ratio < 20.0


def test_north_has_longer_commutes_than_south(city_model):
    geo, pop = city_model.geo, city_model.pop

    enrolled = pop.school >= 0
    d = city_model.student_distance
    north = data.counties().loc[geo.counties, "north"].to_numpy().astype(bool)[pop.county]
    assert d[enrolled & north].mean() > d[enrolled & ~north].mean()


def test_no_county_passes_either_standard_at_the_start(city_model):
    """The plan aims to "break through zero": in 2022 and 2023 no county passes either standard."""
    cy = city_model.county_year()
    for name in ("passes_compulsory_standard", "passes_preschool_standard"):
        flags = cy[(cy["metric"] == name) & (cy["county"] != "全市")]
        assert len(flags) == 2 * 8
        assert (flags["value"] == 0).all(), flags[flags["value"] != 0]
