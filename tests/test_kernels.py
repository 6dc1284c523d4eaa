"""Each compiled kernel (sim/{core,processes,measure}/kernels.py) equals its numpy reference.

The references below are the numpy expressions the kernels replaced; a kernel that drifts
from them (a wrong shift, a missing mask after a widened multiply, an off-by-one) changes
every draw of the model, and these tests fail first.
"""

from __future__ import annotations

import copy
from typing import ClassVar

import numpy as np
import pytest

from sim.core import crn, kernels
from sim.core.columns import ColumnTable
from sim.measure import kernels as measure_kernels
from sim.processes import kernels as process_kernels

_U = np.uint32


def _mix_reference(x: np.ndarray) -> None:
    x ^= x >> _U(16)
    x *= _U(0x7FEB352D)
    x ^= x >> _U(15)
    x *= _U(0x846CA68B)
    x ^= x >> _U(16)


def hash_reference(key: tuple[int, int], ids: np.ndarray) -> np.ndarray:
    """The numpy form of the per-id hash (uint32 arithmetic wraps as the kernel's masks do)."""
    ids = np.asarray(ids, dtype=np.int64)
    x = (ids >> 32).astype(np.uint32)
    x *= _U(0x9E3779B9)
    x ^= ids.astype(np.uint32)
    x ^= _U(key[0])
    _mix_reference(x)
    x ^= _U(key[1])
    _mix_reference(x)
    return x


@pytest.fixture(scope="module")
def ids() -> np.ndarray:
    rng = np.random.default_rng(7)
    years = rng.integers(0, 60, 20_000).astype(np.int64) << 32
    return np.concatenate([crn.new_ids(2023, crn.BORN, 5, 1_000), years | rng.integers(0, 2**31, 20_000)])


KEYS = [(0, 0), (1, 2), (0xFFFFFFFF, 0x80000001), crn.process_key(42, "deaths", 2024)]


@pytest.mark.parametrize("key", KEYS)
def test_hash_equals_the_numpy_reference(ids: np.ndarray, key: tuple[int, int]) -> None:
    got = crn.hash_ids(key, ids)
    assert got.dtype == np.uint32
    np.testing.assert_array_equal(got, hash_reference(key, ids))


def test_uniforms_are_the_top_24_bits_of_the_hash(ids: np.ndarray) -> None:
    key = crn.process_key(3, "move-up", 2025)
    expected = (hash_reference(key, ids) >> _U(8)).astype(np.float32) * np.float32(2.0**-24)
    got = crn.uniforms_for_key(key, ids)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, expected)
    assert got.min() >= 0 and got.max() < 1


@pytest.mark.parametrize("p", [0.0, 1e-5, 0.013, 0.5, 0.999999])
def test_below_compares_the_hash_with_p_times_2_to_the_32(ids: np.ndarray, p: float) -> None:
    draws = crn.CRN(11)
    key = draws.key("out-of-city", 2026)
    expected = hash_reference(key, ids) < _U(p * 2.0**32)
    np.testing.assert_array_equal(draws.below("out-of-city", 2026, ids, p), expected)


def test_kernels_accept_any_integer_ids_and_views() -> None:
    ids = np.arange(0, 40, 2, dtype=np.int32)  # a strided int32 view is converted, not misread
    key = (5, 9)
    np.testing.assert_array_equal(crn.hash_ids(key, ids[::2]), hash_reference(key, ids[::2]))
    assert kernels.hash_ids(np.empty(0, np.int64), np.uint64(1), np.uint64(2)).shape == (0,)


def test_farthest_first_equals_ranking_by_distance_within_school() -> None:
    """Beds go farthest first per school, ties in row order, all pupils where beds suffice."""
    from sim.core.columns import rank_within_groups

    rng = np.random.default_rng(3)
    groups = rng.integers(0, 50, 5_000).astype(np.int32)
    distance = np.round(rng.uniform(0, 20, 5_000), 1)  # rounded: many ties
    places = rng.integers(0, 150, 50).astype(np.int32)
    expected = rank_within_groups(groups, -distance) < places[groups]
    np.testing.assert_array_equal(kernels.farthest_first(groups, distance, places), expected)
    assert expected.sum() < len(groups)  # some schools are short of beds: the ranking matters


@pytest.fixture(scope="module")
def children() -> dict[str, np.ndarray]:
    """Random child columns with the model's dtypes (some not enrolled, ages beyond 17)."""
    rng = np.random.default_rng(5)
    n = 30_000
    stage = rng.integers(0, 7, n).astype(np.int8)
    school = np.where(stage > 0, rng.integers(0, 40, n), -1).astype(np.int32)
    return {
        "birth_year": rng.integers(2000, 2027, n).astype(np.int16),
        "county": rng.integers(0, 8, n).astype(np.int8),
        "stage": stage,
        "school": school,
        "achievement": rng.normal(0, 1, n).astype(np.float32),
        **{f"flag{k}": rng.random(n) < 0.3 for k in range(4)},
    }


def test_child_tally_equals_its_bincount_references(children: dict[str, np.ndarray]) -> None:
    """Cells by composite key, achievement by county and by school: as numpy counts them."""
    c = children
    bands = np.array([0] * 3 + [1] * 3 + [2] * 9 + [3] * 5, dtype=np.int32)
    tiers = np.random.default_rng(1).integers(0, 3, 40).astype(np.int8)
    key = bands[np.clip(2024 - c["birth_year"], 0, len(bands) - 1)] + c["county"].astype(np.int64) * 4
    key = (key * 7 + c["stage"]) * 4 + np.where(c["school"] >= 0, tiers[c["school"]] + 1, 0)
    for k in range(4):
        key = key * 2 + c[f"flag{k}"]
    flags = tuple(c[f"flag{k}"] for k in range(4))
    columns = (c["birth_year"], c["county"], c["stage"], c["school"], c["achievement"])
    special_needs = c["flag2"]
    tally = measure_kernels.child_tally(bands, 2024, columns, tiers, flags, 8, special_needs)
    cells, county_sum, by_school, school_sum, special = tally
    age = 2024 - c["birth_year"]
    school_age = (age >= 6) & (age <= 14)  # band 2 of these bands
    in_school = c["school"] >= 0
    by = lambda mask: np.bincount(c["county"][mask], minlength=8)  # noqa: E731
    disabled = special_needs & school_age
    np.testing.assert_array_equal(special, [by(disabled), by(disabled & in_school)])
    np.testing.assert_array_equal(cells, np.bincount(key, minlength=8 * 4 * 7 * 4 * 16))
    enrolled_values = np.where(c["stage"] != 0, c["achievement"], 0).astype(float)
    np.testing.assert_array_equal(county_sum, np.bincount(c["county"], enrolled_values, 8))
    pupils = (c["school"], c["stage"], c["flag0"], c["achievement"])
    expected, expected_sum = measure_kernels.pupils_by_school(*pupils, 40)  # itself tested against bincount
    np.testing.assert_array_equal(by_school, expected)
    np.testing.assert_array_equal(school_sum, expected_sum)


def test_pupils_by_school_counts_cells_and_sums_achievement(children: dict[str, np.ndarray]) -> None:
    c = children
    enrolled = c["school"] >= 0
    key = (c["school"][enrolled].astype(np.int64) * 7 + c["stage"][enrolled]) * 2 + c["flag0"][enrolled]
    pupils = (c["school"], c["stage"], c["flag0"], c["achievement"])
    counts, total = measure_kernels.pupils_by_school(*pupils, 40)
    np.testing.assert_array_equal(counts.ravel(), np.bincount(key, minlength=40 * 14))
    expected = np.bincount(c["school"][enrolled], c["achievement"][enrolled].astype(float), 40)
    np.testing.assert_array_equal(total, expected)  # same order of additions: bit-identical


def test_compact_keeps_rows_in_order_in_place() -> None:
    rng = np.random.default_rng(9)
    for dtype in (np.int64, np.int16, np.int8, np.float32, np.bool_):
        col = rng.integers(0, 100, 1_000).astype(dtype)
        keep = rng.random(1_000) < 0.7
        expected = col[keep].copy()
        m = kernels.compact(col, keep)
        assert m == keep.sum()
        np.testing.assert_array_equal(col[:m], expected)


class _Rows(ColumnTable):
    COLUMNS: ClassVar[dict[str, np.dtype]] = {"id": np.dtype(np.int64), "flag": np.dtype(bool)}


def test_column_table_append_and_keep_with_spare_rows() -> None:
    """Appends fill the spare rows, a compaction works in place, copies never share memory."""
    table = _Rows()
    table.append(id=np.arange(10), flag=np.arange(10) % 2 == 0)
    table.append(id=np.arange(10, 13), flag=True)
    np.testing.assert_array_equal(table.id, np.arange(13))
    twin = copy.deepcopy(table)
    first = table.id
    table.keep(table.id % 3 != 0, append={"id": np.array([100, 101]), "flag": False})
    assert np.shares_memory(first, table.id)  # compacted where it was
    np.testing.assert_array_equal(table.id, [1, 2, 4, 5, 7, 8, 10, 11, 100, 101])
    expected_flags = [False, True, True, False, False, True, True, True, False, False]
    np.testing.assert_array_equal(table.flag, expected_flags)
    np.testing.assert_array_equal(twin.id, np.arange(13))  # the deep copy kept its rows
    assert not np.shares_memory(twin.id, table.id)
    for k in range(200):  # growth beyond the spare rows keeps every row
        table.append(id=np.array([1000 + k]), flag=True)
    assert len(table) == 210 and table.id[-1] == 1199 and table.id[9] == 101
    table.keep(np.zeros(len(table), dtype=bool))
    assert len(table) == 0 and len(table.flag) == 0


def test_sum_by_group_and_pupils_by_grade_equal_their_bincounts(children: dict[str, np.ndarray]) -> None:
    from sim.core.columns import count_by
    from sim.processes.school_dynamics import N_GRADES, grade_index

    c = children
    got = kernels.sum_by_group(c["school"], c["achievement"], 40)
    np.testing.assert_array_equal(got, count_by(c["school"], 40, c["achievement"].astype(float)))
    enrolled = c["school"] >= 0
    g = grade_index((2024 - c["birth_year"][enrolled]).astype(np.int16))
    key = c["school"][enrolled].astype(np.int64) * N_GRADES + g
    expected = np.bincount(key, minlength=40 * N_GRADES).reshape(40, N_GRADES)
    got = process_kernels.pupils_by_grade(c["school"], c["birth_year"], 2024, 3, 40, N_GRADES)
    np.testing.assert_array_equal(got, expected)


def test_achievement_drift_equals_the_float32_reference(children: dict[str, np.ndarray]) -> None:
    """The AR(1) terms in numpy's float32 order: every bit of every pupil's value equal."""
    c = children
    rng = np.random.default_rng(2)
    rho = np.float32(0.8)
    per_school = rng.normal(0, 0.1, 40).astype(np.float32)
    gap = rng.normal(-0.02, 0.01, 8).astype(np.float32)
    large = rng.random((40, 15)) < 0.2
    penalties = np.float32(-0.006), np.float32(-0.05)
    age = (2024 - c["birth_year"]).astype(np.int16)
    idx = np.flatnonzero(c["stage"] != 0)
    school = c["school"][idx]
    new = c["achievement"][idx] * rho
    new += per_school[school]
    new += np.where(c["flag1"][idx], gap[c["county"][idx]], np.float32(0))
    new += penalties[0] * large[school, np.clip(age[idx] - 3, 0, 14)]
    new += penalties[1] * (c["flag0"][idx] & (age[idx] - 5 <= 3))
    noise = rng.normal(0, 0.4, len(c["stage"])).astype(np.float32)
    new += noise[idx]
    got = c["achievement"].copy()
    process_kernels.achievement_drift(
        got, c["school"], c["stage"], c["county"], c["birth_year"], c["flag1"], c["flag0"], 2024,
        (rho, per_school, gap, large, *penalties), 3, 3, noise,
    )  # fmt: skip
    np.testing.assert_array_equal(got[idx].view(np.uint32), new.view(np.uint32))
    not_enrolled = c["stage"] == 0
    np.testing.assert_array_equal(got[not_enrolled], c["achievement"][not_enrolled])


def test_boarding_pass_reads_the_table_and_follows_may_board(children: dict[str, np.ndarray]) -> None:
    """Distances from the place table, the boarding rule in its numpy form (``may_board``)
    and the long-commute mask, all from the one fused pass."""
    from sim.processes.boarding import may_board, school_grade
    from sim.world.population import PRESCHOOL

    c = children
    rng = np.random.default_rng(4)
    place = rng.integers(0, 30, len(c["school"])).astype(np.int32)
    school_place = rng.integers(0, 30, 40).astype(np.int32)
    table = np.round(rng.uniform(0.8, 12, (30, 30)), 1)
    rule_km = rng.uniform(2, 6, 8)
    beds = np.where(rng.random(40) < 0.6, rng.integers(1, 50, 40), 0).astype(np.int32)
    rules = (rule_km, 3.0, 3, 2024, 5, PRESCHOOL)
    columns = (c["school"], place, c["stage"], c["county"], c["birth_year"])
    dist, far, competes = process_kernels.boarding_pass(columns, school_place, table, rules, beds)
    enrolled = c["school"] >= 0
    expected = np.where(enrolled, table[place, school_place[np.maximum(c["school"], 0)]], 0.0)
    np.testing.assert_array_equal(dist, expected)
    grade = school_grade((2024 - c["birth_year"]).astype(np.int16))
    eligible = enrolled & may_board(expected, grade, c["stage"], rule_km[c["county"]], 3)
    np.testing.assert_array_equal(competes, eligible & (beds[c["school"]] > 0))
    np.testing.assert_array_equal(far, enrolled & (expected > 3.0) & (c["stage"] != PRESCHOOL))
    assert 0 < competes.sum() < eligible.sum()  # beds and the rule both bite in this sample


def test_left_behind_update_equals_the_numpy_reference(children: dict[str, np.ndarray]) -> None:
    """Leave and return chances, urban factor, and numpy's float64/float32 comparisons."""
    from sim.processes.demography import URBAN_PARENTS_LEAVE_FACTOR
    from sim.world.geography import URBAN

    rng = np.random.default_rng(8)
    n = len(children["county"])
    ids = crn.new_ids(2020, crn.BORN, 3, n)
    place_tier = rng.integers(0, 3, 60).astype(np.int8)
    place = rng.integers(0, 60, n).astype(np.int32)
    before = children["flag2"].copy()
    draws = crn.CRN(5)
    leave, back = 0.3, 0.2  # large, so both transitions happen often
    u = draws.uniform("left-behind", 2025, ids)
    p_leave = leave * np.where(place_tier[place] == URBAN, URBAN_PARENTS_LEAVE_FACTOR, 1.0)
    expected = before.copy()
    expected[~before & (u < p_leave)] = True
    expected[before & (u < back)] = False
    got = before.copy()
    chances = (leave, URBAN_PARENTS_LEAVE_FACTOR, np.float32(back))
    process_kernels.left_behind_update(got, u, place_tier, place, chances, URBAN)
    np.testing.assert_array_equal(got, expected)
    assert (got & ~before).any() and (before & ~got).any()


def test_moves_up_equals_the_numpy_reference(children: dict[str, np.ndarray]) -> None:
    """Town households move to the seat, village ones up, each with its county's rate."""
    from sim.world.geography import URBAN, VILLAGE

    rng = np.random.default_rng(12)
    n = len(children["county"])
    ids = crn.new_ids(2019, crn.BORN, 1, n)
    place_tier = rng.integers(0, 3, 70).astype(np.int8)
    place = rng.integers(0, 70, n).astype(np.int32)
    tier = place_tier[place]
    county = children["county"]
    stays = rng.random(n) < 0.95
    rate, share = rng.uniform(0.05, 0.4, 8), 0.35
    draws = crn.CRN(2).at(2026)
    rural = np.flatnonzero((tier != URBAN) & stays)
    u = draws.uniform("move-up", ids[rural])
    village = tier[rural] == VILLAGE
    up = u < np.where(village, rate[county[rural]], rate[county[rural]] * share)
    from_village = rural[up & village]
    seat_too = draws.uniform("move-up", ids[from_village], 1) < share
    to_seat, to_town = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    to_seat[rural[up & ~village]] = True
    to_seat[from_village[seat_too]] = True
    to_town[from_village[~seat_too]] = True
    u = draws.uniform("move-up", ids)
    homes = (place, place_tier)
    seat, village_up = process_kernels.moves_up(u, homes, county, stays, (rate, share), (URBAN, VILLAGE))
    np.testing.assert_array_equal(seat, to_seat & ~np.isin(np.arange(n), from_village))
    np.testing.assert_array_equal(village_up, np.isin(np.arange(n), from_village))
    assert to_seat.sum() > 100 and to_town.sum() > 100


def test_below_where_draws_only_for_those_at_risk(ids: np.ndarray) -> None:
    rng = np.random.default_rng(13)
    county = rng.integers(0, 8, len(ids)).astype(np.int8)
    at_risk = rng.random(len(ids)) < 0.5
    county_at_risk = np.array([True, False] * 4)
    draws = crn.CRN(4)
    expected = at_risk & county_at_risk[county] & draws.below("into-centre", 2024, ids, 0.2)
    got = draws.below_where("into-centre", 2024, ids, 0.2, county, at_risk, county_at_risk)
    np.testing.assert_array_equal(got, expected)
    sure = draws.below_where("into-centre", 2024, ids, 1.0, county, at_risk, county_at_risk)
    np.testing.assert_array_equal(sure, at_risk & county_at_risk[county])


def test_population_age_is_cached_per_year_and_table_state() -> None:
    """One age array per year until rows change; read-only, so no caller can corrupt it."""
    from sim.world.population import Population

    pop = Population()
    rows = {name: np.zeros(3, dtype=dtype) for name, dtype in Population.COLUMNS.items()}
    rows["birth_year"] = np.array([2010, 2015, 2020], dtype=np.int16)
    pop.append(**rows)
    first = pop.age(2024)
    assert pop.age(2024) is first and list(first) == [14, 9, 4]
    with pytest.raises(ValueError):
        first[0] = 0
    assert list(pop.age(2025)) == [15, 10, 5]
    pop.keep(np.array([True, False, True]))
    assert list(pop.age(2025)) == [15, 5]
    rows["birth_year"] = np.array([2024, 2024, 2024], dtype=np.int16)
    pop.append(**rows)
    assert list(pop.age(2025)) == [15, 5, 1, 1, 1]
    assert "_age" not in copy.deepcopy(pop).__dict__


def test_count_groups_equals_the_bincount(children: dict[str, np.ndarray]) -> None:
    school = children["school"]
    enrolled = school[school >= 0]
    np.testing.assert_array_equal(kernels.count_groups(school, 40), np.bincount(enrolled, minlength=40))
    np.testing.assert_array_equal(kernels.count_groups(school, 30), np.bincount(enrolled)[:30])


def test_apply_transitions_equals_the_numpy_reference(children: dict[str, np.ndarray]) -> None:
    """Leavers leave, stages change in the reference order, the right pupils are placed."""
    from sim.world.population import JUNIOR, PRESCHOOL, PRIMARY, SENIOR_GENERAL, SPECIAL, VOCATIONAL

    c = children
    rng = np.random.default_rng(51)
    n = len(c["stage"])
    status = (rng.random(40) < 0.1).astype(np.int8)
    needs = rng.random(n) < 0.05
    leave, to_pre, to_pri, to_special, to_jun = (rng.random(n) < p for p in (0.02, 0.05, 0.05, 0.01, 0.05))
    senior = np.where(rng.random(n) < 0.04, rng.choice([SENIOR_GENERAL, VOCATIONAL], n), 0).astype(np.int8)
    stage, school, boarding = c["stage"].copy(), c["school"].copy(), c["flag0"].copy()
    # the numpy form the kernel replaced
    enrolled_before = stage != 0
    gone = (school >= 0) & (status[np.maximum(school, 0)] != 0)
    relocate = enrolled_before & (gone | needs)
    stage[leave], school[leave], boarding[leave] = 0, -1, False
    new_stage = stage.copy()
    entries = ((to_pre, PRESCHOOL), (to_pri, PRIMARY), (to_special, SPECIAL), (to_jun, JUNIOR))
    seniors = ((senior == SENIOR_GENERAL, SENIOR_GENERAL), (senior == VOCATIONAL, VOCATIONAL))
    for mask, code in (*entries, *seniors):
        new_stage[mask] = code
    placing = (new_stage != stage) | (relocate & ~leave)
    school[placing] = -1
    entered = ~enrolled_before & (to_pre | to_pri | to_special | to_jun | (senior != 0))
    by = lambda mask: np.bincount(c["county"][mask], minlength=8)  # noqa: E731

    got_stage, got_school, got_boarding = c["stage"].copy(), c["school"].copy(), c["flag0"].copy()
    pupils = (got_stage, got_school, got_boarding, c["county"], needs)
    moves = (leave, to_pre, to_pri, to_special, to_jun, senior)
    out = process_kernels.apply_transitions(pupils, status, moves, (PRESCHOOL, PRIMARY, SPECIAL, JUNIOR), 8)
    np.testing.assert_array_equal(out[0], new_stage)
    np.testing.assert_array_equal(out[1], placing)
    np.testing.assert_array_equal(out[2], [by(entered), by(leave & enrolled_before)])
    for got, expected in ((got_stage, stage), (got_school, school), (got_boarding, boarding)):
        np.testing.assert_array_equal(got, expected)
    assert (relocate & ~leave & (new_stage == stage)).any() and entered.any()


@pytest.mark.parametrize("low", [0, -3, 1000])
def test_rank_within_groups_equals_the_lexsort_reference(low: int) -> None:
    """Compiled counting sort + stable sort per group == one lexsort: ties, NaN, dtypes."""
    from sim.core.columns import lexsort_rank, rank_within_groups

    rng = np.random.default_rng(low + 50)
    groups = (rng.integers(0, 30, 4_000) + low).astype(np.int32)
    for key in (
        rng.random(4_000).astype(np.float32),
        np.round(rng.normal(0, 1, 4_000), 1),  # many ties
        np.where(rng.random(4_000) < 0.05, np.nan, rng.random(4_000)),
        -rng.integers(0, 5, 4_000),
        np.where(rng.random(4_000) < 0.05, np.nan, np.round(rng.normal(0, 1, 4_000), 1)).astype(np.float32),
        np.where(rng.random(4_000) < 0.5, np.float32(-0.0), np.float32(0.0)),  # signed zeros tie
        np.where(rng.random(4_000) < 0.1, np.inf, -rng.random(4_000)).astype(np.float32),
        -np.where(rng.random(4_000) < 0.05, np.nan, rng.normal(0, 1, 4_000)).astype(np.float32),  # -NaN
    ):
        np.testing.assert_array_equal(rank_within_groups(groups, key), lexsort_rank(groups, key))
    # float32 keys whose group and row numbers do not fit beside the key in 64 bits
    many = rng.integers(0, 140_000, 70_000).astype(np.int64)
    key = np.round(rng.random(70_000), 2).astype(np.float32)
    np.testing.assert_array_equal(rank_within_groups(many, key), lexsort_rank(many, key))
    sparse = np.array([0, 10**9, 0, 10**9])  # a huge range goes to lexsort itself
    np.testing.assert_array_equal(rank_within_groups(sparse, np.array([2.0, 1.0, 1.0, 3.0])), [1, 0, 0, 1])


def test_count_where_equals_the_masked_bincount(children: dict[str, np.ndarray]) -> None:
    c = children
    mask = c["flag1"]
    expected = np.bincount(c["county"][mask], minlength=8)
    np.testing.assert_array_equal(kernels.count_where(c["county"], mask, 8), expected)


def test_cached_worlds_share_a_read_only_geography_and_copy_the_rest() -> None:
    """Models built from one cached world share its geography (read-only) but not their pupils."""
    from sim.config import Config
    from sim.model import QingyuanModel
    from sim.world import cache

    cache.clear()
    config = Config(counties=["连山壮族瑶族自治县"], until=2023)
    first, second = QingyuanModel(config), QingyuanModel(config)
    assert second.geo is cache._worlds[next(iter(cache._worlds))]["geo"]
    assert QingyuanModel(config).geo is second.geo
    with pytest.raises(ValueError):
        second.geo.x[0] = 0.0
    assert np.shares_memory(first.student_distance, second.student_distance)  # replaced, never written
    with pytest.raises(ValueError):
        second.long_commute[0] = True
    assert not np.shares_memory(first.pop.school, second.pop.school)
    second.pop.school[:] = -1
    assert (QingyuanModel(config).pop.school >= 0).any()


def _poisson_quantile_reference(u: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """The loop form of ``crn.poisson_quantile``: one CDF per mean, searched for its uniform."""
    from scipy.special import gammaln

    out = np.zeros(len(lam), dtype=np.int64)
    for i, (ui, li) in enumerate(zip(u.tolist(), lam.tolist(), strict=True)):
        if li <= 0:
            continue
        k = np.arange(int(li + 12 * np.sqrt(li) + 30))
        cdf = np.cumsum(np.exp(k * np.log(li) - li - gammaln(k + 1)))
        out[i] = min(int(np.searchsorted(cdf, ui, side="left")), len(k) - 1)
    return out


def test_poisson_quantile_equals_its_loop_form() -> None:
    rng = np.random.default_rng(21)
    lam = np.concatenate([[0.0, -1.0, 1e-9, 0.5], rng.uniform(0, 30, 40), rng.uniform(100, 3000, 12)])
    u = rng.random(len(lam))
    u[:6] = [0.0, 0.5, 0.999999999, 1.0, 0.3, 1e-12]
    np.testing.assert_array_equal(crn.poisson_quantile(u, lam), _poisson_quantile_reference(u, lam))
    assert crn.poisson_quantile(np.array([]), np.array([])).shape == (0,)


def test_group_order_is_a_stable_argsort() -> None:
    groups = np.random.default_rng(6).integers(0, 56, 10_000)
    order, start = kernels.group_order(groups, 0, 56)
    np.testing.assert_array_equal(order, np.argsort(groups, kind="stable"))
    np.testing.assert_array_equal(start, np.concatenate([[0], np.cumsum(np.bincount(groups, minlength=56))]))


def test_dropout_mask_equals_the_numpy_reference(children: dict[str, np.ndarray]) -> None:
    """Juniors past 12 and seniors past 15 drop out below their chance (float64 compare)."""
    from sim.world.population import JUNIOR, SENIOR_GENERAL, VOCATIONAL

    c = children
    rng = np.random.default_rng(31)
    ids = crn.new_ids(2018, crn.BORN, 2, len(c["stage"]))
    u = crn.CRN(9).uniform("dropout", 2024, ids)
    factor = rng.uniform(0.5, 3.0, 8)
    age = (2024 - c["birth_year"]).astype(np.int16)
    jd, extra, sd = 0.2, 0.15, 0.25  # large, so that many drop out
    expected = np.zeros(len(u), dtype=bool)
    junior = np.flatnonzero((c["stage"] == JUNIOR) & (age > 12))
    p_junior = (jd + extra * c["flag2"][junior]) * factor[c["county"][junior]]
    expected[junior[u[junior] < p_junior]] = True
    senior = np.flatnonzero(((c["stage"] == SENIOR_GENERAL) | (c["stage"] == VOCATIONAL)) & (age > 15))
    expected[senior[u[senior] < sd * factor[c["county"][senior]]]] = True
    columns = (c["stage"], c["birth_year"], c["flag2"], c["county"])
    codes = (2024, JUNIOR, SENIOR_GENERAL, VOCATIONAL, 12, 15)
    got = process_kernels.dropout_mask(u, columns, factor, (jd, extra, sd), codes)
    np.testing.assert_array_equal(got, expected)
    assert expected[junior].any() and expected[senior].any()


def test_rows_by_cell_equals_mask_cell_and_stable_sort(children: dict[str, np.ndarray]) -> None:
    """The rows of an age band grouped by county or (county, age), as numpy would select and sort them."""
    age = 2024 - children["birth_year"].astype(np.int64)
    county = children["county"]
    for low, high in ((1, 5), (1, 6), (0, 0), (30, 40)):
        for by_age in (False, True):
            rows, start = kernels.rows_by_cell(children["birth_year"], county, 2024, low, high, 8, by_age)
            idx = np.flatnonzero((age >= low) & (age <= high))
            width = high + 1 if by_age else 1
            cell = county[idx].astype(np.int64) * width + (age[idx] if by_age else 0)
            np.testing.assert_array_equal(rows, idx[np.argsort(cell, kind="stable")])
            counts = np.bincount(cell, minlength=8 * width)
            np.testing.assert_array_equal(start, np.concatenate([[0], np.cumsum(counts)]))


def test_exits_equal_the_masks_and_counts(children: dict[str, np.ndarray]) -> None:
    c = children
    rng = np.random.default_rng(41)
    dies_draw = rng.random(len(c["stage"])) < 0.05
    gone, counts = process_kernels.exits(dies_draw, (c["birth_year"], c["county"], c["stage"]), 2024, 18, 8)
    aged_out = 2024 - c["birth_year"] >= 18
    dies = ~aged_out & dies_draw
    np.testing.assert_array_equal(gone, aged_out | dies)
    by = lambda mask: np.bincount(c["county"][mask], minlength=8)  # noqa: E731
    np.testing.assert_array_equal(counts, [by(aged_out), by(dies), by((aged_out | dies) & (c["stage"] != 0))])
    assert aged_out.any() and dies.any()


def test_entry_masks_equal_the_numpy_reference(children: dict[str, np.ndarray]) -> None:
    from sim.world.population import JUNIOR, PRIMARY, SPECIAL

    c = children
    age = (2024 - c["birth_year"]).astype(np.int16)
    stage, attends, dropped = c["stage"], c["flag1"], c["flag2"]
    out = stage == 0
    expected = (
        (age >= 3) & (age < 6) & out & attends,
        ((age == 6) & (stage != SPECIAL)) | ((age > 6) & (age < 12) & out),
        (age == 12) & (stage == PRIMARY),
        (age == 15) & (stage == JUNIOR) & ~dropped,
    )
    got = process_kernels.entry_masks(
        (c["birth_year"], stage, attends, dropped), 2024, (PRIMARY, JUNIOR, SPECIAL), (3, 6, 12, 15)
    )
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_array_equal(g, e)
        assert e.any()


def test_guarantee_shares_from_the_tally_equal_their_masks() -> None:
    """The migrant and disabled enrolment items read off the year's tally equal their own masks."""
    from sim.config import Config
    from sim.measure.guarantees import enrolment_shares
    from sim.model import QingyuanModel
    from sim.world.population import JUNIOR, PRIMARY, SPECIAL

    model = QingyuanModel(Config(counties=["连山壮族瑶族自治县", "连州市"], until=2024))
    model.run(2024)
    pop = model.pop
    age = pop.age(2024)
    school_age = (age >= 6) & (age <= 14)
    in_school = pop.school >= 0
    by = lambda mask: np.bincount(pop.county[mask], minlength=2).astype(float)  # noqa: E731
    migrant = school_age & pop.migrant
    disabled = school_age & pop.special_needs
    compulsory = np.isin(pop.stage, (PRIMARY, JUNIOR, SPECIAL)) & in_school
    shares = enrolment_shares(model, 2024)
    np.testing.assert_array_equal(shares["migrant_public_share"], by(migrant & compulsory) / by(migrant))
    np.testing.assert_array_equal(shares["disabled_enrolment"], by(disabled & in_school) / by(disabled))
    assert shares["migrant_public_share"].min() > 0 and shares["disabled_enrolment"].max() <= 1


def test_assign_beds_sets_exactly_the_boarders() -> None:
    boarding = np.array([True, False, True, False, False])
    far = np.array([True, True, False, True, False])
    long_commute = process_kernels.assign_beds(boarding, far, np.array([1, 4]))
    np.testing.assert_array_equal(boarding, [False, True, False, False, True])
    np.testing.assert_array_equal(long_commute, far & ~boarding)
