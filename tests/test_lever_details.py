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


def test_mean_quality_2022_is_enrolment_weighted():
    from sim.world import cache

    cache.clear()  # the 2022 world is built here, not taken from the per-process cache
    fresh = QingyuanModel(small_config(counties=[LN], until=2023))
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
    with pytest.raises(InputError) as err:  # an entry that is not a table at all
        build_levers([{"type": "boarding_expansion"}, "boarding_expansion"], small_config(), "my.toml")
    assert "my.toml" in str(err.value) and "levers[1]" in str(err.value)


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


# -- survivors of the last run that needed a test (see README, mutation testing) --------------
def test_split_total_gives_the_remainder_to_the_largest_fractions():
    from sim.levers.common import split_total

    assert split_total(2, np.array([2.0, 1.0])).tolist() == [1, 1]  # 1.33 / 0.67: the 0.67 rounds up
    out = split_total(7, np.array([1.0, 3.0, 3.0, 3.0]))  # 0.7 / 2.1 / 2.1 / 2.1
    assert out.tolist() == [1, 2, 2, 2] and out.sum() == 7


def test_mentoring_makes_the_rounded_number_of_backbone_teachers(fresh):
    from sim.world.teachers import COUNTY_BACKBONE

    def made(rate: float) -> int:
        model = QingyuanModel(small_config(counties=[LN], until=2023))
        lv = lever(model, {"type": "group_schooling", "mentoring_rate": rate})
        lv._form(model, 2023)
        assert lv.groups
        members = model.schools.group_id >= 0
        t = model.teachers
        t.backbone[members[t.school] & (t.backbone >= COUNTY_BACKBONE)] = 0  # members short of them
        before = (t.backbone >= COUNTY_BACKBONE).sum()
        lv._mentor(model, 2023)
        return int((t.backbone >= COUNTY_BACKBONE).sum() - before)

    assert made(0.0) == 0  # no mentoring, no new backbone teacher
    assert made(0.05) > 0  # the members are short: a positive rate does make some


def test_a_single_arriving_child_is_added(fresh, monkeypatch):
    n_counties = len(fresh.counties)
    one = np.zeros(n_counties, dtype=np.int64)
    one[0] = 1
    monkeypatch.setattr(demography, "poisson_quantile", lambda u, lam: one)
    cols = demography.arrivals(fresh, 2023, np.ones(len(fresh.pop), dtype=bool))
    assert cols is not None and len(cols["place"]) == 1


def test_remoteness_is_one_at_the_reference_distance_with_a_one_km_floor(fresh):
    from sim.processes.workforce.staffing import school_remoteness

    n = len(fresh.schools)
    assert fresh.config.workforce.remoteness_elasticity != 0
    fresh.teacher_remoteness = (1.5, np.full(n, 1.5))  # rural schools 1.5 km from the seat on average
    assert school_remoteness(fresh) == pytest.approx(np.ones(n))
    fresh.teacher_remoteness = (0.4, np.full(n, 0.4))  # under 1 km counts as 1 km on both sides
    assert school_remoteness(fresh) == pytest.approx(np.ones(n))


def test_zoujiao_moves_time_from_a_surplus_school_to_a_deficit_school(fresh):
    from sim.processes.workforce.sharing import shared_pe_art

    s = fresh.schools
    fresh.policy.zoujiao[:] = True
    wp = fresh.config.workforce
    rural_primary = np.flatnonzero(s.serves(PRIMARY_TYPES) & (s.tier != 0))
    town = np.bincount(s.township[rural_primary]).argmax()
    a, b = rural_primary[s.township[rural_primary] == town][:2]
    students = np.zeros(len(s), dtype=np.int64)
    pe_art = np.zeros(len(s), dtype=np.int64)
    students[[a, b]] = 100
    pe_art[a] = 10  # a has all the township's PE/art teachers, b none: fair is 5 each
    after, net = shared_pe_art(fresh, students, pe_art)
    moved = min(5.0, wp.zoujiao_share * 10)
    assert moved > 0
    assert net[b] == pytest.approx(moved) and net[a] == pytest.approx(-moved)
    assert net.sum() == pytest.approx(0.0) and after[b] == pytest.approx(moved)


def test_hires_into_pe_art_posts_are_specialists_when_recruiting_succeeds(fresh, monkeypatch):
    from sim.processes.workforce import staffing

    monkeypatch.setattr(staffing, "PE_ART_RECRUIT_SUCCESS", (1.0, 1.0, 1.0))
    monkeypatch.setattr(staffing, "tier_pick", lambda values, tier: np.full(len(tier), values[0]))
    t = fresh.teachers
    gone = np.zeros(len(t), dtype=bool)
    gone[np.flatnonzero(t.subject != 0)[::2]] = True  # half the PE/art specialists leave: posts short
    t.keep(~gone)
    fresh.policy.hiring_budget_share[:] = 1.0  # every vacancy is filled
    fresh.teacher_requests = np.full(len(fresh.schools), 1000)  # and every school asks
    _, pe_posts = staffing.slots_of(staffing.requested(fresh), staffing.pe_art_deficit(fresh))
    n_before = len(t)
    staffing.hire(fresh, 2023, np.random.default_rng(0))
    hired_specialists = int((fresh.teachers.subject[n_before:] != 0).sum())
    assert pe_posts.sum() > 0 and hired_specialists >= pe_posts.sum()


def test_a_rotating_teacher_whose_home_closed_returns_to_the_merge_target(fresh, monkeypatch):
    from sim.processes.workforce import staffing
    from sim.world.schools import MERGED

    monkeypatch.setattr(staffing, "leave", lambda model, year: None)  # nobody leaves this year
    monkeypatch.setattr(staffing, "transfers_from_rural", lambda model, year, rng: None)
    t, s = fresh.teachers, fresh.schools
    home, target, away = np.flatnonzero(s.serves(PRIMARY_TYPES))[:3]
    t.school[t.school == home] = target  # the closed school's own staff already moved
    t.on_rotation[:] = False
    k = int(np.flatnonzero(t.school == away)[0])
    t.on_rotation[k], t.home_school[k], t.rotation_years_left[k] = True, home, 1
    s.status[home] = MERGED
    fresh.merge_target[home] = target
    uid = t.id[k]
    staffing.separations(fresh, 2023)
    (row,) = np.flatnonzero(fresh.teachers.id == uid)
    assert fresh.teachers.school[row] == target and not fresh.teachers.on_rotation[row]


def test_one_county_at_its_closure_cap_does_not_stop_the_next_county():
    model = QingyuanModel(small_config(until=2023))  # 连南 and 连山: proposals interleave by forecast
    spec = {
        "type": "layout_optimisation",
        "max_closures_per_year": 2,
        "keep_beyond_km": 200,
        "min_pupils": 2000,
    }
    lv = lever(model, spec)
    proposed = np.bincount([a.county_index for a in lv.proposals(model, 2023)], minlength=2)
    assert (proposed > 2).all()
    closed = lv.close(model, 2023)
    assert np.bincount(model.schools.county[closed], minlength=2).tolist() == [2, 2]
