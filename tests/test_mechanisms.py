"""Mechanism defects fixed in issue 12: the class-size gap and levers' resources reaching their schools.

Deterministic: each check calls one process function twice on the same fresh 连南 model
(the process's random stream is keyed by name and year, so both calls draw alike) and
compares, or reads where a lever put its resources.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import QingyuanModel
from sim.processes import school_dynamics
from sim.processes.school_dynamics import CLASS_SIZE_PENALTY, grade_index
from sim.processes.workforce import staffing, training
from sim.world.geography import URBAN
from tests.conftest import small_config

LN = "连南瑶族自治县"


@pytest.fixture()
def fresh() -> QingyuanModel:
    return QingyuanModel(small_config(counties=[LN], until=2023))


def _achievement_after(model: QingyuanModel, years: int, large_cell: tuple[int, int] | None) -> np.ndarray:
    start = model.pop.achievement.copy()
    model.school_large_by_grade[:] = False
    if large_cell is not None:
        model.school_large_by_grade[large_cell] = True
    for _ in range(years):
        school_dynamics.update_achievement(model, 2023)
    out = model.pop.achievement.copy()
    model.pop.achievement[:] = start
    return out


def test_class_size_gap_hits_only_the_oversized_grade_and_settles_at_its_size(fresh):
    pop = fresh.pop
    enrolled = np.flatnonzero(pop.school >= 0)
    g = grade_index(pop.age(2023)[enrolled])
    school = int(np.bincount(pop.school[enrolled]).argmax())
    cell = (school, int(g[pop.school[enrolled] == school][0]))
    base = _achievement_after(fresh, 1, None)
    hit = _achievement_after(fresh, 1, cell)
    in_cell = (pop.school == cell[0]) & (grade_index(pop.age(2023)) == cell[1])
    same_school_other_grade = (pop.school == cell[0]) & ~in_cell
    rho = fresh.config.schools.achievement_persistence
    assert np.allclose(hit[in_cell] - base[in_cell], (1 - rho) * CLASS_SIZE_PENALTY, atol=1e-5)
    assert same_school_other_grade.any() and np.array_equal(hit[~in_cell], base[~in_cell])
    # a pupil kept in an oversized class settles at the gap itself (−0.03 SD), not gap ÷ (1 − rho)
    years = 60
    settled = _achievement_after(fresh, years, cell) - _achievement_after(fresh, years, None)
    assert np.allclose(settled[in_cell], CLASS_SIZE_PENALTY * (1 - rho**years), atol=1e-4)


def test_lever_training_places_go_to_the_schools_it_names(fresh):
    t, s = fresh.teachers, fresh.schools
    fresh.policy.training_places[:] = 0.0
    staff = np.bincount(t.school, minlength=len(s))
    named = int(np.argmax(staff))
    fresh.policy.school_training_places[named] = staff[named]  # a place for each of its teachers
    trained = training.trainees(fresh, 2023)
    assert trained.sum() > 0 and (t.school[trained] == named).all()


def test_county_high_support_funds_training_at_the_paired_schools_only(fresh):
    from sim.levers import build_levers

    (lever,) = build_levers([{"type": "county_high_school_support"}], fresh.config, "test")
    lever.setup(fresh)
    fresh.policy.reset(len(fresh.schools))
    lever.apply(fresh, 2023)
    funded = np.flatnonzero(fresh.policy.school_training_places > 0)
    assert len(funded) > 0 and lever.chosen[funded].all()
    # the county-wide knob is untouched
    assert fresh.policy.training_places.max() == fresh.config.workforce.training_places


def test_directed_hires_go_to_the_schools_the_lever_names(fresh):
    s = fresh.schools
    vac = staffing.vacancies(fresh)
    named = np.flatnonzero(s.is_open & (vac > 0))
    assert len(named) > 0
    target = int(named[np.argmax(vac[named])])
    fresh.policy.directed_places[:] = 0.0
    fresh.policy.school_directed_places[target] = 2.0
    before = len(fresh.teachers)
    fresh.request_teachers(2023)  # schools ask the county for their vacancies (School agents)
    staffing.hire_directed(fresh, 2023, np.random.default_rng(1))
    new = fresh.teachers.school[before:]
    assert len(new) == min(2, vac[target]) and (new == target).all()


def test_three_schools_priority_names_its_town_schools(fresh):
    from sim.levers import build_levers

    (lever,) = build_levers([{"type": "three_schools_uplift"}], fresh.config, "test")
    lever.setup(fresh)
    fresh.policy.reset(len(fresh.schools))
    lever.apply(fresh, 2023)
    named = np.flatnonzero(fresh.policy.school_directed_places > 0)
    assert len(named) > 0 and (fresh.schools.tier[named] != URBAN).all()
    assert fresh.policy.directed_places.max() == fresh.config.workforce.directed_places
