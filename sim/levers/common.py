"""Mechanisms several levers share: quality uplifts, facility gaps, rationing, new schools.

All of it is array work over schools or teachers; the only loops are over a handful of
new schools or sites in one year.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.core.columns import count_by, rank_within_groups
from sim.core.names import SCHOOL_TYPES, TYPE_CODES
from sim.world.build import FACILITY_SCALE
from sim.world.geography import URBAN
from sim.world.schools import OPEN, SEATS_PER_CLASSROOM, TYPE_NAMES, School

if TYPE_CHECKING:
    from sim.model import QingyuanModel

FACILITY_COLUMNS = ("teaching_space_m2", "sports_area_m2", "equipment_yuan", "multimedia_classrooms")


class Uplift:
    """A quality uplift per school that grows each active year, up to a cap.

    The uplift is added to ``model.policy.quality_boost`` (SD added to a school's quality
    target) while the lever runs; quality then moves toward the raised target at the
    model's adjustment rate (``schools.quality_adjustment``). When the lever ends the
    boost lapses and quality drifts back to what teachers, resources and peers support:
    an assumption (programme effects last while the programme runs).
    """

    def __init__(self) -> None:
        self.value = np.zeros(0)
        self.cap = np.zeros(0)
        self.capped = np.zeros(0, dtype=bool)

    def _grow(self, n: int) -> None:
        if len(self.value) < n:
            extra = n - len(self.value)
            self.value = np.concatenate([self.value, np.zeros(extra)])
            self.cap = np.concatenate([self.cap, np.zeros(extra)])
            self.capped = np.concatenate([self.capped, np.zeros(extra, dtype=bool)])

    def set_cap(
        self, n_schools: int, schools: np.ndarray, cap: np.ndarray | float, once: bool = False
    ) -> None:
        """Cap (SD) of the uplift at ``schools``; with ``once``, only where none was set yet."""
        self._grow(n_schools)
        cap = np.broadcast_to(np.maximum(cap, 0.0), np.shape(schools))
        if once:
            new = ~self.capped[schools]
            schools, cap = schools[new], cap[new]
        self.cap[schools] = cap
        self.capped[schools] = True

    def grow(self, n_schools: int, schools: np.ndarray, per_year: float) -> None:
        """Add ``per_year`` SD at ``schools``, up to their caps."""
        self._grow(n_schools)
        self.value[schools] = np.minimum(self.value[schools] + per_year, self.cap[schools])

    def apply(self, model: QingyuanModel) -> None:
        """Add this year's uplift to the policy's quality boost."""
        n = min(len(self.value), len(model.policy.quality_boost))
        model.policy.quality_boost[:n] += self.value[:n]


def stage_weights(model: QingyuanModel, schools: np.ndarray) -> np.ndarray:
    """Share of each school's compulsory pupils in primary grades (1 for pure primaries)."""
    by_grade = model.school_by_grade
    if len(by_grade) <= int(schools.max(initial=-1)):
        return np.ones(len(schools))
    primary = by_grade[schools, 3:9].sum(axis=1)
    junior = by_grade[schools, 9:12].sum(axis=1)
    total = primary + junior
    return np.where(total > 0, primary / np.maximum(total, 1), 1.0)


def facility_gap(model: QingyuanModel, schools: np.ndarray, target: float) -> dict[str, np.ndarray]:
    """Missing stock per school to reach ``target`` × the 优质均衡 threshold per pupil.

    Thresholds per pupil, primary / junior (教督〔2017〕6号, H, as in ``sim.world.build``):
    teaching space 4.5 / 5.8 m², sports area 7.5 / 10.2 m², equipment 2,000 / 2,500 yuan,
    multimedia classrooms 2.3 / 2.4 per 100 pupils. A combined school's threshold mixes the
    two by its pupils. Pupils are last year's (the plan builds for the present roll).
    """
    s = model.schools
    pupils = np.maximum(model.school_students[schools], 1).astype(float)
    w = stage_weights(model, schools)
    out = {}
    for column in FACILITY_COLUMNS:
        p_thr, j_thr = FACILITY_SCALE[column]
        need = target * (w * p_thr + (1 - w) * j_thr) * pupils
        if column == "multimedia_classrooms":
            need = np.ceil(need)
        out[column] = np.maximum(need - getattr(s, column)[schools], 0.0)
    return out


def allocate_by_need(total: int, need: np.ndarray) -> np.ndarray:
    """Share ``total`` units over rows, largest need first, never beyond a row's need."""
    need = np.maximum(np.floor(np.asarray(need, dtype=float)), 0).astype(np.int64)
    order = np.argsort(-need, kind="stable")
    before = np.concatenate([[0], np.cumsum(need[order])[:-1]])
    give = np.clip(total - before, 0, need[order])
    out = np.zeros(len(need), dtype=np.int64)
    out[order] = give
    return out


def split_total(total: float, weights: np.ndarray) -> np.ndarray:
    """Integer split of ``total`` in proportion to ``weights`` (largest remainder)."""
    weights = np.maximum(np.asarray(weights, dtype=float), 0)
    if total <= 0 or weights.sum() <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    share = weights / weights.sum() * total
    out = np.floor(share).astype(np.int64)
    left = round(float(total)) - int(out.sum())
    if left > 0:
        out[np.argsort(-(share - out), kind="stable")[:left]] += 1
    return out


def add_classrooms(model: QingyuanModel, schools: np.ndarray, rooms: np.ndarray) -> None:
    """Add general classrooms (and their seats) to ``schools``."""
    s = model.schools
    seats = np.array([SEATS_PER_CLASSROOM[SCHOOL_TYPES[TYPE_NAMES[k]]] for k in s.type[schools]])
    np.add.at(s.classrooms, schools, rooms.astype(s.classrooms.dtype))
    np.add.at(s.capacity, schools, (rooms * seats).astype(s.capacity.dtype))


def eligible_teachers(model: QingyuanModel, schools: np.ndarray) -> np.ndarray:
    """Mask of teachers at ``schools`` who are free to move (not on any rotation)."""
    t = model.teachers
    at = np.zeros(len(model.schools), dtype=bool)
    at[schools] = True
    return at[t.school] & ~t.on_rotation


def move_share_of_teachers(
    model: QingyuanModel,
    source: np.ndarray,
    dest: np.ndarray,
    n_move: np.ndarray,
    rng: np.random.Generator,
) -> int:
    """Transfer ``n_move[k]`` teachers (not rotating, at random) from ``source[k]`` to ``dest[k]``.

    Used when pupils move to a new school: staff follow pupils. Returns teachers moved.
    """
    t = model.teachers
    moved = 0
    for src, dst, k in zip(source, dest, n_move, strict=True):
        if k <= 0:
            continue
        cand = np.flatnonzero((t.school == src) & ~t.on_rotation)
        if len(cand) <= 1:
            continue
        take = cand[rng.permutation(len(cand))[: min(int(k), len(cand) - 1)]]
        t.school[take] = dst
        t.years_at_school[take] = 0
        moved += len(take)
    return moved


def open_schools(
    model: QingyuanModel,
    county: np.ndarray,
    place: np.ndarray,
    type_name: str,
    seats: np.ndarray,
    names: list[str],
) -> np.ndarray:
    """Open new schools (rows, Mesa agents, per-school arrays); returns their ids.

    A new build meets the 优质均衡 facility thresholds for its planned seats; its quality
    starts at the mean of open schools of its type and tier in its county (or the county's
    open schools of its tier when it has none), and its principal is average (0).
    """
    s, geo = model.schools, model.geo
    n = len(county)
    level = SCHOOL_TYPES[type_name]
    per_room = SEATS_PER_CLASSROOM[level]
    rooms = np.ceil(seats / per_room).astype(np.int32)
    tier = geo.place_tier[place]
    quality = np.empty(n)
    for k in range(n):
        same = s.is_open & (s.county == county[k]) & (s.tier == tier[k])
        typed = same & (s.type == TYPE_CODES[type_name])
        pool = typed if typed.any() else same
        quality[k] = float(s.quality[pool].mean()) if pool.any() else 0.0
    j = 1.0 if level == "junior" else 0.0
    thr = {c: (1 - j) * FACILITY_SCALE[c][0] + j * FACILITY_SCALE[c][1] for c in FACILITY_COLUMNS}
    ids = s.append(
        county=county.astype(np.int8),
        township=geo.place_township[place],
        place=place.astype(np.int32),
        tier=tier,
        type=np.full(n, TYPE_CODES[type_name], dtype=np.int8),
        status=np.full(n, OPEN, dtype=np.int8),
        classrooms=rooms,
        capacity=rooms * per_room,
        beds=np.zeros(n, dtype=np.int32),
        teaching_space_m2=thr["teaching_space_m2"] * seats,
        sports_area_m2=thr["sports_area_m2"] * seats,
        equipment_yuan=thr["equipment_yuan"] * seats,
        multimedia_classrooms=np.ceil(thr["multimedia_classrooms"] * seats),
        quality=quality,
        group_id=np.full(n, -1, dtype=np.int32),
        principal_quality=np.zeros(n),
    )
    for i, name in zip(ids, names, strict=True):
        School(model, int(i), name)
        model.school_names.append(name)
    model.schools_changed()
    grow_policy_arrays(model)
    return ids


def grow_policy_arrays(model: QingyuanModel) -> None:
    """Extend per-school policy and lever arrays after schools were added this year."""
    n = len(model.schools)
    pol = model.policy
    for name in ("quality_boost", "school_training_places", "school_directed_places"):
        values = getattr(pol, name)
        if len(values) < n:
            setattr(pol, name, np.concatenate([values, np.zeros(n - len(values))]))
    pol.n_schools = max(pol.n_schools, n)
    model.lever_state.grow(n)


def redraw_catchments(
    model: QingyuanModel, types: tuple[str, ...], stage: int, before: np.ndarray
) -> np.ndarray:
    """Pupils of ``stage`` at their old catchment school whose catchment changed: re-placed.

    Returns, per pupil moved, the index of the new catchment school (and flags the pupils
    with ``needs_school`` so the enrolment phase places them this year).
    """
    pop = model.pop
    after = model.catchment(types)
    idx = np.flatnonzero((pop.stage == stage) & (pop.school >= 0))
    old = before[pop.place[idx]]
    new = after[pop.place[idx]]
    moving = idx[(pop.school[idx] == old) & (new != old) & (new >= 0)]
    pop.needs_school[moving] = True
    return moving


def teachers_follow_pupils(
    model: QingyuanModel, movers: np.ndarray, dest: np.ndarray, rng: np.random.Generator
) -> int:
    """Move staff from each source school in proportion to the pupils it loses to ``dest``."""
    if len(movers) == 0:
        return 0
    pop, t = model.pop, model.teachers
    n = len(model.schools)
    src = pop.school[movers]
    pair = src.astype(np.int64) * n + dest
    pairs, counts = np.unique(pair, return_counts=True)
    source, target = pairs // n, pairs % n
    pupils = np.maximum(count_by(pop.school[pop.school >= 0], n)[source], 1)
    staff = count_by(t.school, n)[source]
    k = np.floor(counts / pupils * staff + 0.5).astype(np.int64)
    return move_share_of_teachers(model, source, target, k, rng)


def ranked_pick(groups: np.ndarray, key: np.ndarray, quota: np.ndarray) -> np.ndarray:
    """Mask of rows whose rank within their group (ascending ``key``) is below the group's quota."""
    if len(groups) == 0:
        return np.zeros(0, dtype=bool)
    rank = rank_within_groups(groups, key)
    return rank < quota[groups]


def seat_township(model: QingyuanModel, county: int) -> int:
    """The global township index of a county's seat."""
    geo = model.geo
    return int(np.flatnonzero((geo.township_county == county) & geo.township_is_seat)[0])


def urban_places(model: QingyuanModel, county: int) -> np.ndarray:
    """Place ids of a county's seat neighbourhoods."""
    return model.places_by_county_tier[(county, URBAN)]
