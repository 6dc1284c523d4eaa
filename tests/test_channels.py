"""A behavioural test per causal channel that mutation testing found unguarded (issue 12).

Each test fails on a sign or size error in its channel: the 中考 split, a care lever's gap
reduction reaching pupils, a lever's quality uplift moving quality, the oversized-class
limits, the 普惠 coverage input, teachers in school quality, the junior dropout rate, and
household moves up the settlement ladder. Most call one process function on a fresh 连南
model (about a second); the dropout check runs both small counties for one year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.model import QingyuanModel
from sim.processes import demography, enrolment, school_dynamics
from sim.processes.school_dynamics import class_demand
from sim.standards.preschool import evaluate_preschool
from sim.standards.spec import load_compulsory
from sim.world.build import split_general_vocational
from sim.world.geography import TOWN, URBAN, VILLAGE
from sim.world.population import JUNIOR, SENIOR_GENERAL, VOCATIONAL
from sim.world.schools import LARGE_CLASS_LIMIT
from sim.world.teachers import BENKE, COUNTY_BACKBONE
from tests.conftest import LN, lever, metric, small_config


def test_zhongkao_sends_the_higher_achievers_to_general_school(fresh):
    pop = fresh.pop
    entering = pop.stage == JUNIOR
    stage = split_general_vocational(pop, entering, 0.6, fresh.crn.at(2023))
    ach = pop.achievement[entering]
    general, vocational = ach[stage == SENIOR_GENERAL], ach[stage == VOCATIONAL]
    assert len(general) == pytest.approx(0.6 * entering.sum(), abs=1)
    assert general.mean() - vocational.mean() > 0.5  # SD units: a clear sort, not a lottery


def test_care_lever_gap_reduction_reaches_left_behind_pupils(fresh):
    pop = fresh.pop
    start = pop.achievement.copy()
    school_dynamics.update_achievement(fresh, 2023)
    without = pop.achievement.copy()
    pop.achievement[:] = start
    lever(fresh, {"type": "special_groups_care"}).apply(fresh, 2023)
    assert fresh.policy.left_behind_gap_factor[0] < 1
    school_dynamics.update_achievement(fresh, 2023)
    lb = pop.left_behind & (pop.school >= 0)
    assert lb.any()
    assert (pop.achievement[lb] > without[lb]).all()  # a smaller (negative) gap
    assert np.array_equal(pop.achievement[~lb], without[~lb])


def test_a_levers_quality_uplift_raises_its_schools_quality(fresh):
    s = fresh.schools
    start = s.quality.copy()
    school_dynamics.update_quality(fresh, 2023)
    without = s.quality.copy()
    s.quality[:] = start
    lever(fresh, {"type": "curriculum_reform"}).apply(fresh, 2023)
    boosted = fresh.policy.quality_boost > 0
    assert boosted.any()
    school_dynamics.update_quality(fresh, 2023)
    k = fresh.config.schools.quality_adjustment
    gain = s.quality - without
    assert np.allclose(gain[boosted], k * fresh.policy.quality_boost[boosted])
    assert np.allclose(gain[~boosted], 0.0)


def test_oversized_class_limits_are_the_standards(fresh):
    std = load_compulsory()
    assert LARGE_CLASS_LIMIT["primary"] == std.class_size.primary == 45
    assert LARGE_CLASS_LIMIT["junior"] == std.class_size.junior == 50
    _, limit, _ = class_demand(fresh, 2023)
    assert (limit[:, 3:9] == 45).all() and (limit[:, 9:12] == 50).all()
    # a school short of classrooms has oversized primary classes; with enough, none
    by_grade = class_demand(fresh, 2023)[0]
    school = int(np.argmax(by_grade[:, 3:9].sum(axis=1)))
    fresh.schools.classrooms[school] = 1
    school_dynamics.form_classes(fresh, 2023)
    assert fresh.school_large_by_grade[school, 3:9].any()
    fresh.schools.classrooms[school] = 10_000
    school_dynamics.form_classes(fresh, 2023)
    assert not fresh.school_large_by_grade[school].any()


def test_puhui_coverage_counts_public_and_inclusive_private_kindergartens(fresh):
    table = pd.DataFrame(
        {
            "county": ["A"],
            "children_3_5": [1000],
            "enrolled": [900],
            "enrolled_public": [400],
            "enrolled_puhui": [350],
            "teachers": [70],
            "classes": [30],
            "classes_compliant": [30],
        }
    )
    ev = evaluate_preschool(table)
    assert ev.values["puhui_coverage"][0] == pytest.approx(750 / 900)
    assert ev.values["public_share"][0] == pytest.approx(400 / 900)
    # the model's input counts the pupils of 普惠 kindergartens, not only public ones
    cy = fresh.county_year()
    sy = fresh.school_year()
    puhui = sy[(sy.year == 2022) & (sy.type == "kg_puhui")]["students_preschool"].sum()
    assert puhui > 0 and metric(cy, "n_students_preschool_puhui", LN).loc[2022] == puhui


def test_school_quality_follows_its_teachers(fresh):
    t = fresh.teachers
    before = school_dynamics.quality_target(fresh)
    staff = np.bincount(t.school, minlength=len(fresh.schools))
    school = int(np.argmax(staff))
    mine = t.school == school
    t.degree[mine] = BENKE
    t.backbone[mine] = COUNTY_BACKBONE
    after = school_dynamics.quality_target(fresh)
    assert after[school] > before[school] + 0.1
    others = np.arange(len(before)) != school
    assert np.allclose(after[others], before[others])


def test_junior_dropouts_happen_at_the_configured_rate(monkeypatch):
    p = 0.05
    model = QingyuanModel(
        small_config(
            until=2023,
            **{
                "enrolment.junior_dropout": p,
                "enrolment.left_behind_dropout_extra": 0.0,
                "enrolment.senior_dropout": 0.0,
            },
        )
    )
    at_risk = []
    real = enrolment.step

    def counting(model, year):
        age = model.pop.age(year)
        at_risk.append(int(((model.pop.stage == JUNIOR) & (age > 12)).sum()))
        real(model, year)

    monkeypatch.setattr(enrolment, "step", counting)
    model.run(2023)
    dropped = metric(model, "new_dropouts").loc[2023]
    expected = p * at_risk[0]
    assert abs(dropped - expected) < 4 * np.sqrt(expected)


def test_households_move_up_the_settlement_ladder():
    model = QingyuanModel(
        small_config(
            counties=[LN],
            **{"demography.into_centre": 0.0, "demography.out_with_children": 0.0},
        )
    )
    geo = model.geo
    model.aggregate.step(True)  # this year's rural-to-urban rate
    tier_before = geo.place_tier[model.pop.place].copy()
    n = len(model.pop)
    demography.migrate(model, 2023, np.zeros(n, dtype=bool))
    tier_after = geo.place_tier[model.pop.place[:n]]
    up = tier_after < tier_before  # URBAN < TOWN < VILLAGE
    assert URBAN < TOWN < VILLAGE
    assert up.sum() > 0 and up.sum() == model.flows.get("new_moved_to_urban").sum()
    assert not (tier_after > tier_before).any()  # nobody moves down
    assert (tier_after == VILLAGE).sum() < (tier_before == VILLAGE).sum()
