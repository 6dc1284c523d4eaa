"""Details of levers and processes that survived the sampled mutation run (issue 12).

Each test pins one behaviour a surviving mutant changed: the boarding-age rule in the
boarding demand, the three-schools bed cost, uplift caps, the catchment redraw flag,
per-child left-behind draws, lever error keys, and the township plan of groups.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.core.errors import InputError
from sim.levers import build_levers
from sim.levers.boarding import unmet_demand
from sim.levers.common import Uplift, redraw_catchments
from sim.model import QingyuanModel
from sim.processes import demography
from sim.world.population import PRIMARY
from sim.world.schools import PRIMARY_TYPES
from tests.conftest import LN, lever, small_config


def test_boarding_demand_counts_only_pupils_of_boarding_age(fresh):
    pop = fresh.pop
    schools = np.arange(len(fresh.schools))
    fresh.policy.boarding_distance_km[:] = 0.0  # everyone is far enough
    pop.boarding[:] = False
    demand = unmet_demand(fresh, 2023, schools).sum()
    grade = pop.age(2023) - 5
    min_grade = fresh.config.enrolment.boarding_min_grade
    eligible = (pop.school >= 0) & (pop.stage != 1) & (grade >= min_grade) & (fresh.student_distance > 0)
    assert demand == eligible.sum()
    assert ((pop.school >= 0) & (grade == min_grade - 1)).any()  # the grade below is excluded


def test_three_schools_cost_is_the_sum_of_what_it_built(fresh):
    lv = lever(fresh, {"type": "three_schools_uplift"})
    lv.apply(fresh, 2023)
    f, p = fresh.lever_state.flows, lv.p
    expected = (
        f["new_teaching_space_m2"] * p.floor_m2_yuan
        + f["new_sports_area_m2"] * p.sports_m2_yuan
        + f["new_equipment_yuan"]
        + f["new_multimedia_classrooms"] * p.multimedia_yuan
        + f["new_classrooms"] * p.classroom_yuan
        + f["new_beds"] * p.bed_cost_yuan
    )
    assert f["new_beds"].sum() > 0
    assert f["cost_yuan"] == pytest.approx(expected)


def test_uplift_cap_is_kept_once_set_and_growth_stops_there():
    up = Uplift()
    schools = np.array([0, 2])
    up.set_cap(3, schools, 0.1, once=True)
    up.set_cap(3, schools, 0.5, once=True)  # a later call does not raise the first cap
    for _ in range(10):
        up.grow(3, schools, 0.03)
    assert up.value.tolist() == pytest.approx([0.1, 0.0, 0.1])
    assert up.cap[1] == 0.0 and not up.capped[1]


def test_digital_lessons_stop_at_their_cap(fresh):
    spec = {"type": "digital_empowerment", "remote_uplift_per_year": 0.1, "remote_max_uplift": 0.15}
    lv = lever(fresh, spec)
    for year in (2023, 2024, 2025):
        fresh.policy.reset(len(fresh.schools))
        lv.apply(fresh, year)
    boost = fresh.policy.quality_boost
    assert boost.max() == pytest.approx(0.15)


def test_pupils_whose_catchment_changed_are_flagged_for_placement(fresh):
    pop = fresh.pop
    before = fresh.catchment(PRIMARY_TYPES).copy()
    # pretend every place's catchment school changed to another open primary school
    after = before.copy()
    open_primary = np.flatnonzero(fresh.schools.serves(PRIMARY_TYPES))
    shifted = (np.searchsorted(open_primary, before[before >= 0]) + 1) % len(open_primary)
    after[before >= 0] = open_primary[shifted]
    fresh._catchments[PRIMARY_TYPES] = after
    pop.needs_school[:] = False
    moving = redraw_catchments(fresh, PRIMARY_TYPES, PRIMARY, before)
    assert len(moving) > 0 and pop.needs_school[moving].all()
    assert pop.needs_school.sum() == len(moving)


def test_left_behind_status_is_drawn_per_child(fresh):
    pop = fresh.pop
    was = pop.left_behind.copy()
    demography.left_behind(fresh, 2023)
    returned = was & ~pop.left_behind
    stayed = was & pop.left_behind
    became = ~was & pop.left_behind
    assert returned.any() and stayed.any() and became.any()  # not all-or-nothing


def test_a_bad_lever_value_names_the_lever_and_key():
    with pytest.raises(InputError) as err:
        specs = [{"type": "boarding_expansion"}, {"type": "salary_parity", "parity": 9}]
        build_levers(specs, small_config(), "cfg")
    assert "levers[1].parity" in str(err.value)


def test_groups_of_townships_per_group_take_distinct_townships(fresh):
    lv = lever(fresh, {"type": "group_schooling", "n_groups": 2, "townships_per_group": 2})
    plan = lv.plan[0]
    assert [len(p) for p in plan] == [2, 2]
    assert not set(plan[0]) & set(plan[1])


# -- survivors of the first run that these tests now pin (see README, mutation testing) --------
def test_a_scorecard_without_the_assessment_counts_cannot_say_met():
    import pandas as pd

    from sim.standards.targets import plan_scorecard

    rows = [(2027, c, "passes_compulsory_standard", 1.0) for c in ("A", "B", "C")]
    card = plan_scorecard(pd.DataFrame(rows, columns=["year", "county", "metric", "value"]))
    row = card[card["target"] == "counties_compulsory"].iloc[0]
    assert row["value"] == 3 and row["status"] == "not assessed" and not row["met"]


def test_policy_knobs_pushed_out_of_range_are_clipped_and_recorded(fresh):
    from sim.processes.workforce.staffing import clip_policy

    for knob in ("rotation_backbone_share", "training_places", "rotation_rate"):
        fresh.policy.reset(len(fresh.schools))
        getattr(fresh.policy, knob)[0] = 1.5
        before = len(fresh.warnings)
        clip_policy(fresh, 2023)
        assert getattr(fresh.policy, knob)[0] == 1.0
        (warning,) = fresh.warnings[before:]
        assert warning["knob"] == knob and warning["value"] == 1.5 and warning["clipped_to"] == 1.0


def test_arrivals_settle_mostly_in_county_seats():
    # a large inflow for a clear share
    fresh = QingyuanModel(small_config(counties=[LN], **{"demography.inflow_children": 0.05}))
    cols = demography.arrivals(fresh, 2023, np.ones(len(fresh.pop), dtype=bool))
    tier = fresh.geo.place_tier[cols["place"]]
    assert len(tier) > 500
    assert 0.7 < (tier == 0).mean() < 0.9  # 80% to the seat (URBAN = 0), the rest to towns
    assert set(np.unique(tier)) <= {0, 1}


def test_mean_quality_2022_is_enrolment_weighted(fresh):
    w = fresh.school_students.astype(float)
    assert fresh.quality_mean_2022 == pytest.approx(np.average(fresh.schools.quality, weights=w))
    assert abs(fresh.quality_mean_2022 - fresh.schools.quality.mean()) > 1e-6


def test_senior_posts_fill_only_the_freed_share(fresh):
    from sim.processes.workforce.training import promote_titles

    t = fresh.teachers
    t.title[:] = 1  # everyone intermediate: posts up to the share are freed
    up = promote_titles(fresh)
    t.title[up] = 2
    assert up.any()
    assert not promote_titles(fresh).any()  # the share is now filled: nobody else rises


def test_a_malformed_lever_entry_names_its_source():
    with pytest.raises(InputError) as err:
        build_levers([{"not_type": 1}], small_config(), "my.toml")
    assert "my.toml" in str(err.value) and "levers[0]" in str(err.value)


def test_a_one_pupil_school_still_has_a_post(fresh):
    from sim.processes.workforce.staffing import posts

    students = np.ones(len(fresh.schools), dtype=np.int64)
    classes = np.ones(len(fresh.schools), dtype=np.int64)
    need = posts(fresh, students, classes)
    assert (need[fresh.schools.is_open] >= 1).all()
    assert (posts(fresh, np.zeros_like(students), classes) == 0).all()


def test_a_county_absent_from_the_school_table_has_no_passing_schools():
    from pathlib import Path

    from sim.measure.standards_hook import standards_metrics
    from sim.standards import read_schools_csv

    schools = read_schools_csv(Path(__file__).parents[1] / "sim" / "standards" / "example_schools.csv")
    out = standards_metrics(schools, 2024, ["甲县", "丙县"])
    row = out[(out.county == "丙县") & (out.metric == "n_schools_passing_primary")]
    assert row["value"].tolist() == [0.0]
