"""Conservation, closed-form cohorts, determinism and expected behaviour of the yearly step."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from sim.model import QingyuanModel
from sim.processes import enrolment
from sim.scenario import run
from sim.world.population import (
    JUNIOR,
    NOT_ENROLLED,
    PRESCHOOL,
    PRIMARY,
    SENIOR_GENERAL,
    SPECIAL,
    VOCATIONAL,
)
from tests.conftest import SMALL, metric, small_config


def test_children_are_conserved(small_model):
    for county in [*SMALL, "全市"]:
        m = {
            k: metric(small_model, k, county)
            for k in (
                "n_children",
                "new_newborns",
                "new_young_returns",
                "new_inflow",
                "new_moved_in_county",
                "new_outflow",
                "new_deaths",
                "new_aged_out",
                "new_moved_out_county",
            )
        }
        for y in range(2023, 2028):
            start, end = m["n_children"].loc[y - 1], m["n_children"].loc[y]
            ins = m["new_newborns"].loc[y] + m["new_young_returns"].loc[y] + m["new_inflow"].loc[y]
            ins += m["new_moved_in_county"].loc[y]
            outs = (
                m["new_outflow"].loc[y]
                + m["new_deaths"].loc[y]
                + m["new_aged_out"].loc[y]
                + m["new_moved_out_county"].loc[y]
            )
            assert start + ins == end + outs, (county, y)


def test_students_are_conserved(small_model):
    # students at start + entrants = students at end + leavers + out-migrants
    for county in [*SMALL, "全市"]:
        s = metric(small_model, "n_students", county)
        ent = metric(small_model, "new_student_entrants", county) + metric(
            small_model, "new_student_inmigrants", county
        )
        lea = metric(small_model, "new_student_leavers", county)
        out = metric(small_model, "new_student_outmigrants", county)
        for y in range(2023, 2028):
            assert s.loc[y - 1] + ent.loc[y] == s.loc[y] + lea.loc[y] + out.loc[y], (county, y)


def test_closed_form_every_grade_equals_its_birth_cohort():
    """No migration, dropout or mortality, everyone continues at 中考: in 2030 every grade,
    preschool to the end of senior school, is exactly its birth cohort (preschool: the
    children whose families chose it)."""
    cfg = small_config(
        **{
            "demography.migration": False,
            "demography.child_mortality": 0.0,
            "demography.inflow_children": 0.0,
            "demography.out_with_children": 0.0,
            "enrolment.junior_dropout": 0.0,
            "enrolment.left_behind_dropout_extra": 0.0,
            "enrolment.senior_dropout": 0.0,
        }
    )
    model = QingyuanModel(cfg)
    model.calib = dataclasses.replace(model.calib, senior_continuation=1.0)
    initial = np.bincount(2022 - model.pop.birth_year, minlength=18)
    model.run(2030)
    pop = model.pop
    births = metric(model, "new_newborns")  # births × presence at age 0 (sim.world.ages)
    age = pop.age(2030)
    enrolled = pop.stage != NOT_ENROLLED
    for a in range(3, 18):
        born = 2030 - a
        cohort = age == a
        size = births.loc[born] if born > 2022 else initial[2022 - born]
        assert cohort.sum() == size, a
        if a < 6:
            assert (cohort & (pop.stage == PRESCHOOL)).sum() == (cohort & pop.attends_preschool).sum(), a
        else:
            assert (cohort & enrolled).sum() == size, a
            stages = {6: (PRIMARY,), 12: (JUNIOR,), 15: (SENIOR_GENERAL, VOCATIONAL)}
            first = max(k for k in stages if k <= a)
            assert np.isin(pop.stage[cohort], (*stages[first], SPECIAL)).all(), a


def test_a_pupil_lost_inside_enrolment_breaks_the_students_identity(monkeypatch):
    """The flows are counted by event: losing pupils inside placement cannot hide in them."""
    real = enrolment.assign

    def lossy(model, who, stage, *args):
        real(model, who, stage, *args)
        if stage == PRIMARY and len(who):
            model.pop.stage[who[:1]] = NOT_ENROLLED  # one pupil silently dropped

    model = QingyuanModel(small_config(until=2023))
    monkeypatch.setattr(enrolment, "assign", lossy)
    model.run(2023)
    s, ent, lea, inm, out = (
        metric(model, k)
        for k in (
            "n_students",
            "new_student_entrants",
            "new_student_leavers",
            "new_student_inmigrants",
            "new_student_outmigrants",
        )
    )
    assert s.loc[2022] + ent.loc[2023] + inm.loc[2023] != s.loc[2023] + lea.loc[2023] + out.loc[2023]


def test_students_are_conserved_with_every_lever_on():
    from tests.test_levers_framework import ALL_ON

    model = QingyuanModel(small_config(until=2025).model_copy(update={"levers": ALL_ON}))
    model.run(2025)
    for county in [*SMALL, "全市"]:
        s = metric(model, "n_students", county)
        ent = metric(model, "new_student_entrants", county) + metric(model, "new_student_inmigrants", county)
        lea = metric(model, "new_student_leavers", county)
        out = metric(model, "new_student_outmigrants", county)
        for y in range(2023, 2026):
            assert s.loc[y - 1] + ent.loc[y] == s.loc[y] + lea.loc[y] + out.loc[y], (county, y)


def test_same_seed_same_tables_and_different_seed_differs(tmp_path):
    cfg = small_config(until=2024)
    a = run(cfg, seed=7)
    b = run(cfg, seed=7)
    c = run(cfg, seed=8)
    for name in ("county_year", "school_year"):
        pd.testing.assert_frame_equal(a[name], b[name])
        a[name].to_parquet(tmp_path / "a.parquet")
        b[name].to_parquet(tmp_path / "b.parquet")
        assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    assert not a["county_year"]["value"].equals(c["county_year"]["value"])


def test_primary_intake_falls_after_2023(small_model, city_model):
    # the cohorts born 2017-2021 shrink, so grade-1 intake falls from 2023 to 2027
    for county in [*SMALL, "全市"]:
        intake = metric(small_model, "new_primary_intake", county)
        assert intake.loc[2027] < intake.loc[2023], county
        if county == "全市":
            assert (np.diff(intake.loc[2023:2027].to_numpy()) < 0).all()


def test_primary_intake_falls_in_every_county_full_city():
    """The cohorts born 2017-2021 shrink, so grade-1 intake falls from 2023 to 2027 everywhere."""
    from sim.config import COUNTIES, Config

    model = QingyuanModel(Config())
    model.run(2027)
    for county in COUNTIES:
        intake = metric(model, "new_primary_intake", county)
        assert intake.loc[2027] < 0.9 * intake.loc[2023], county
    city = metric(model, "new_primary_intake")
    assert (np.diff(city.loc[2023:2027].to_numpy()) < 0).all()


def test_urbanisation_rises_and_village_pupils_fall(small_model):
    urb = metric(small_model, "urbanisation_rate")
    assert (np.diff(urb.to_numpy()) > 0).all()
    village = metric(small_model, "n_students_primary_village")
    assert village.loc[2027] < village.loc[2022]


def test_boarding_only_grade4_up_and_within_beds(small_model):
    pop, s = small_model.pop, small_model.schools
    grade = 2027 - pop.birth_year - 5
    assert not (pop.boarding & (grade < 4)).any()
    boarders = np.bincount(pop.school[pop.boarding], minlength=len(s))
    assert (boarders <= s.beds).all()
