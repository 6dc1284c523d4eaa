"""Workforce (DESIGN §3 step 3): the teachers' year, in a fixed order.

1. **Leave.** Retirement at the statutory age (``sim.processes.workforce.retirement``: the 2025 reform), then
   attrition out of the system, higher in rural and remote schools and falling as teacher
   pay approaches local civil servants' (simulated pay, ``sim.processes.workforce.pay``).
2. **Closures.** Teachers of closed schools follow their pupils (``model.merge_target``).
3. **A year on.** Years at the school and of rural service grow; directed service
   commitments run down; rotations that have run their length end and teachers go home.
4. **Transfers out of rural schools.** Rural teachers seeking a move fill vacancies in
   town and county-seat schools of their county and level (考调进城); only vacancies let
   them go, so the rural posts they leave are filled by new hires.
5. **Schools ask** (``School.request_teachers``, run by ``QingyuanModel.step`` between
   ``separations`` and ``recruitment``): each open school asks for its vacancies; the
   county hires only what was asked for.
6. **Recruitment.** Directed (定向) graduates first fill rural vacancies, outside the
   budget and with a service commitment; then vacancies against the staffing norms are
   filled up to each county's yearly hiring budget (``policy.hiring_budget_share``).
   Schools short of PE and art teachers recruit specialists first, less successfully in
   villages.
7. **Rotation** (交流轮岗, ``workforce.rotation``) and **training** (``workforce.training``).

Stock + hires = next stock + retirements + attrition: transfers, closures and rotations
move teachers, never create or lose them. Every knob a lever turns is read from
``model.policy`` (per county, this year), never from the config directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.core.columns import count_by, rank_within_groups
from sim.core.names import TYPE_CODES
from sim.processes.workforce import rotation, training
from sim.processes.workforce.pay import county_parity
from sim.processes.workforce.retirement import retirement_age_months, retiring_by
from sim.world.geography import TOWN, URBAN, VILLAGE
from sim.world.teachers import (
    BENKE,
    CORE,
    DAZHUAN,
    EDITORIAL,
    LEVEL_OF_TYPE,
    LEVELS,
    PRIVATE_TYPES,
    new_teacher_columns,
    school_levels,
    tier_pick,
)

if TYPE_CHECKING:
    from sim.model import QingyuanModel

__all__ = ["FLOWS", "recruitment", "retirement_age_months", "separations"]

# Staffing norms: pupils per post (2014 central staffing office notice, M); kindergarten,
# vocational and special schools are assumptions (L).
PUPILS_PER_POST = {
    "primary": 19.0,
    "junior": 13.5,
    "senior": 12.5,
    "kindergarten": 15.0,
    "vocational": 20.0,
    "special": 3.0,
}
POSTS_PER_CLASS_MIN = {"primary": 1.2, "junior": 2.0}  # class-based minima for small schools (L)
VILLAGE_ATTRITION_FACTOR = 1.2  # village schools lose more teachers than town ones (L)
PARITY_REFERENCE = 0.9  # salary parity at which attrition_rural was estimated (L)
TRANSFER_MAX_AGE = 50  # older rural teachers rarely seek a move (L)
TRANSFER_MIN_YEARS = 2  # years at the school before a transfer is allowed (L)
PE_ART_PER_100 = 0.9  # the standard's PE and art teachers per 100 pupils (教督〔2017〕6号, H)
PE_ART_RECRUIT_SUCCESS = (0.5, 0.3, 0.15)  # chance a post at a school short of PE/art gets one, by tier (L)
COMPULSORY = ("primary", "junior")

# Flows this phase reports every year (zero when nothing happened), per county; those in
# ``BY_LEVEL`` also per school level as ``<name>_<level>``.
BY_LEVEL = ("new_retirements", "new_attrition", "new_hires", "n_vacancies")
FLOWS: tuple[str, ...] = (
    *BY_LEVEL,
    *(f"{name}_{level}" for name in BY_LEVEL for level in LEVELS),
    "new_attrition_rural",
    "new_transfers_from_rural",
    "new_directed_hires",
    "new_teachers_moved_by_closure",
    *rotation.FLOWS,
    *training.FLOWS,
)


POLICY_BOUNDS = {
    "pay_topup_yuan": (0.0, 1e6),
    "hiring_budget_share": (0.0, 1.0),
    "rotation_rate": (0.0, 1.0),
    "rotation_backbone_share": (0.0, 1.0),
    "training_places": (0.0, 1.0),
    "directed_places": (0.0, 10000.0),
}


def clip_policy(model: QingyuanModel, year: int) -> None:
    """Clip workforce knobs that levers pushed out of range, recording a warning for each.

    Why: each lever's settings are valid alone, but levers adding to one shared knob (training
    places from two levers on top of ``training_places = 1.0``) can push it past what it means.
    Stopping mid-run lost the whole run (issue 16); the run goes on at the limit instead, and
    ``model.warnings`` (the manifest's ``warnings``) says where, when and by how much.
    """
    p = model.policy
    for name, (lo, hi) in POLICY_BOUNDS.items():
        values = np.asarray(getattr(p, name), dtype=float)
        if np.isnan(values).any():
            raise ValueError(f"policy knob {name} is NaN after the levers (a bug in a lever)")
        out = np.flatnonzero((values < lo) | (values > hi))
        for i in out:
            limit = lo if values[i] < lo else hi
            model.warnings.append(
                {"year": year, "knob": name, "county": model.counties[i], "value": float(values[i]),
                 "clipped_to": limit}
            )
        if len(out):
            setattr(p, name, np.clip(values, lo, hi).astype(np.asarray(getattr(p, name)).dtype))


def retiring(model: QingyuanModel, year: int) -> np.ndarray:
    """Mask of teachers who reach retirement before this autumn's term."""
    t = model.teachers
    return retiring_by(t.birth_year, t.birth_month, t.female, year, model.config.workforce.retirement_reform)


def teacher_levels(model: QingyuanModel, school: np.ndarray) -> np.ndarray:
    """Level code (index into ``LEVELS``) of each school in ``school``."""
    return LEVEL_OF_TYPE[model.schools.type[school]]


def add_by_level(model: QingyuanModel, name: str, school: np.ndarray) -> None:
    """Count events at ``school`` per county, in total and per level of the school."""
    county = model.schools.county[school]
    level = teacher_levels(model, school)
    model.flows.add(name, county)
    for k, lv in enumerate(LEVELS):
        model.flows.add(f"{name}_{lv}", county[level == k])


def school_remoteness(model: QingyuanModel) -> np.ndarray:
    """Multiplier of rural leaving by each school's road distance to its county seat.

    ``(distance / mean rural distance) ** remoteness_elasticity``; the mean is taken over
    the rural schools open when first computed (2023), so the multiplier averages about
    one and ``attrition_rural`` keeps its meaning. Cached until schools are added.
    """
    cache = model.teacher_remoteness
    s, geo = model.schools, model.geo
    if cache is None or len(cache[1]) != len(s):
        seat = (geo.place_tier == URBAN) & geo.township_is_seat[geo.place_township]
        nc = len(model.counties)
        sx = np.bincount(geo.place_county[seat], geo.x[seat], nc) / np.bincount(
            geo.place_county[seat], minlength=nc
        )
        sy = np.bincount(geo.place_county[seat], geo.y[seat], nc) / np.bincount(
            geo.place_county[seat], minlength=nc
        )
        c = s.county
        dist = np.hypot(geo.x[s.place] - sx[c], geo.y[s.place] - sy[c]) * geo.tortuosity[c]
        ref = cache[0] if cache is not None else float(dist[s.is_open & (s.tier != URBAN)].mean())
        model.teacher_remoteness = cache = (ref, dist)
    ref, dist = cache
    return (np.maximum(dist, 1.0) / max(ref, 1.0)) ** model.config.workforce.remoteness_elasticity


def leaving_propensity(model: QingyuanModel, base: float) -> np.ndarray:
    """Per-teacher yearly propensity of rural teachers to leave or move away (0 if urban).

    ``base`` scaled by the pay gap with civil servants (the county's simulated teacher pay
    ÷ civil servants' pay, ``sim.processes.workforce.pay``), by remoteness, by the village
    factor, and reduced during a directed service commitment.
    """
    t, s, wp = model.teachers, model.schools, model.config.workforce
    school = t.school
    county = s.county[school]
    tier = s.tier[school]
    pay = np.exp(-wp.pay_elasticity * (county_parity(model)[county] - PARITY_REFERENCE))
    remote = school_remoteness(model)[school]
    village = np.where(tier == VILLAGE, VILLAGE_ATTRITION_FACTOR, 1.0)
    committed = np.where(t.commitment_years_left > 0, wp.directed_attrition_factor, 1.0)
    return np.where(tier != URBAN, base * pay * remote * village * committed, 0.0)


def leave(model: QingyuanModel, year: int) -> None:
    """Retirements, then attrition out of the system; both leave the stock."""
    t, s, wp = model.teachers, model.schools, model.config.workforce
    retire = retiring(model, year)
    rural = s.tier[t.school] != URBAN
    p_leave = np.where(rural, leaving_propensity(model, wp.attrition_rural), wp.attrition_urban)
    # each teacher's own draw (sim.crn): hires elsewhere do not reshuffle who leaves
    attrit = ~retire & (model.crn.uniform("teacher-attrition", year, t.id) < np.minimum(p_leave, 1.0))
    add_by_level(model, "new_retirements", t.school[retire])
    add_by_level(model, "new_attrition", t.school[attrit])
    model.flows.add("new_attrition_rural", s.county[t.school[attrit & rural]])
    t.keep(~(retire | attrit))


def reassign_from_closed(model: QingyuanModel) -> None:
    """Teachers whose school closed go to the school that took its pupils (merge target).

    A rotating teacher whose home school closed will return to the merge target instead.
    """
    t, s = model.teachers, model.schools
    gone = np.flatnonzero(s.status[t.school] != 0)
    if len(gone):
        target = model.merge_target[t.school[gone]]
        t.school[gone] = np.where(target >= 0, target, t.school[gone])
        t.years_at_school[gone] = 0
        model.flows.add("new_teachers_moved_by_closure", s.county[t.school[gone]])
    away = np.flatnonzero(t.on_rotation & (t.home_school >= 0))
    home_gone = away[s.status[t.home_school[away]] != 0]
    if len(home_gone):
        target = model.merge_target[t.home_school[home_gone]]
        t.home_school[home_gone] = np.where(target >= 0, target, t.home_school[home_gone])


def advance_year(model: QingyuanModel) -> None:
    """Service counters grow, commitments run down, finished rotations return home."""
    t, s = model.teachers, model.schools
    t.years_at_school[:] += 1
    t.rural_years[:] += (s.tier[t.school] != URBAN).astype(np.int16)
    t.commitment_years_left[:] = np.maximum(t.commitment_years_left - 1, 0)
    rotation.end_rotations(model)


def posts(model: QingyuanModel, students: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Staffing-norm posts per school (编制), with class-based minima for small schools."""
    s = model.schools
    levels = school_levels(s)
    need = np.zeros(len(s))
    for level, ratio in PUPILS_PER_POST.items():
        sel = levels == level
        need[sel] = students[sel] / ratio
    for level, per_class in POSTS_PER_CLASS_MIN.items():
        sel = levels == level
        need[sel] = np.maximum(need[sel], classes[sel] * per_class)
    need = np.where(s.type == TYPE_CODES["teaching_point"], np.maximum(need, 1), need)
    return np.where(s.is_open & (students > 0), np.ceil(need), 0).astype(np.int64)


def vacancies(model: QingyuanModel) -> np.ndarray:
    """Unfilled posts per school now (teachers counted where they currently teach)."""
    need = posts(model, model.school_students, model.school_classes)
    return np.maximum(need - count_by(model.teachers.school, len(model.schools)), 0)


def requested(model: QingyuanModel) -> np.ndarray:
    """Vacancies the schools asked the county to fill (``School.request_teachers``), still open.

    Staff only grows while the county recruits, so this is the smaller of each school's request
    and its vacancies now.
    """
    return np.minimum(vacancies(model), model.teacher_requests)


def pe_art_deficit(model: QingyuanModel) -> np.ndarray:
    """PE and art teachers a compulsory school lacks to reach 0.9 per 100 pupils."""
    s, t = model.schools, model.teachers
    compulsory = np.isin(school_levels(s), COMPULSORY)
    target = np.floor(model.school_students * PE_ART_PER_100 / 100 + 0.5)
    have = count_by(t.school[t.subject != CORE], len(s))
    return np.where(compulsory & s.is_open, np.maximum(target - have, 0), 0).astype(np.int64)


def slots_of(vacancy: np.ndarray, deficit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One row per vacant post: its school, and whether it is a PE/art post (those first)."""
    school = np.repeat(np.arange(len(vacancy)), vacancy)
    first = np.repeat(np.cumsum(vacancy) - vacancy, vacancy)
    rank_in_school = np.arange(len(school)) - first
    return school, rank_in_school < deficit[school]


def match(
    app_group: np.ndarray, slot_group: np.ndarray, slot_key: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Pair applicants with slots of the same group, in random applicant order.

    Returns (applicant positions matched, slot positions they take), both into the
    input arrays. Each group fills min(applicants, slots); slots in ascending ``slot_key``.
    """
    if len(app_group) == 0 or len(slot_group) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    app_rank = rank_within_groups(app_group, rng.random(len(app_group)))
    slot_order = np.lexsort((slot_key, slot_group))
    sorted_groups = slot_group[slot_order]
    start = np.searchsorted(sorted_groups, app_group, side="left")
    n_slots = np.searchsorted(sorted_groups, app_group, side="right") - start
    ok = app_rank < n_slots
    apps = np.flatnonzero(ok)
    return apps, slot_order[start[ok] + app_rank[ok]]


def transfers_from_rural(model: QingyuanModel, year: int, rng: np.random.Generator) -> None:
    """Rural teachers seeking a move fill town and county-seat vacancies (same county, level).

    Seat vacancies are offered first to town and village applicants, then town vacancies
    to the village applicants left. Private kindergartens neither send nor receive.
    """
    t, s, wp = model.teachers, model.schools, model.config.workforce
    age = t.age(year)
    public = ~np.isin(s.type, PRIVATE_TYPES)
    p_seek = leaving_propensity(model, wp.transfer_rural)
    seeking = (
        public[t.school]
        & ~t.on_rotation
        & (t.commitment_years_left == 0)  # directed hires serve their rural years first
        & (age < TRANSFER_MAX_AGE)
        & (t.years_at_school >= TRANSFER_MIN_YEARS)
        & (model.crn.uniform("teacher-transfer", year, t.id) < p_seek)
    )
    n_levels = len(LEVELS)
    for dest_tier, from_tiers in ((URBAN, (TOWN, VILLAGE)), (TOWN, (VILLAGE,))):
        vac = np.where(public & (s.tier == dest_tier), vacancies(model), 0)
        slot_school, _ = slots_of(vac, np.zeros(len(s), np.int64))
        apps = np.flatnonzero(seeking & np.isin(s.tier[t.school], from_tiers))
        app_group = s.county[t.school[apps]].astype(np.int64) * n_levels + teacher_levels(
            model, t.school[apps]
        )
        slot_group = s.county[slot_school].astype(np.int64) * n_levels + teacher_levels(model, slot_school)
        got, slot = match(app_group, slot_group, rng.random(len(slot_school)), rng)
        moved = apps[got]
        model.flows.add("new_transfers_from_rural", s.county[t.school[moved]])
        t.school[moved] = slot_school[slot]
        t.years_at_school[moved] = 0
        seeking[moved] = False


def hire_directed(model: QingyuanModel, year: int, rng: np.random.Generator) -> None:
    """Directed (定向) graduates fill vacancies, outside the hiring budget.

    Places a lever names for a school (``policy.school_directed_places``, fractions carried
    by a random draw) go to that school's vacant posts. Each county's own
    ``policy.directed_places`` go to the largest rural compulsory gaps left. Both fill PE/art
    shortages with trained specialists first, and the hires owe ``directed_service_years``.
    """
    t, s, wp = model.teachers, model.schools, model.config.workforce
    places = model.policy.directed_places
    named = model.policy.school_directed_places[: len(s)]
    if not (places > 0).any() and not (named > 0).any():
        return
    rural_compulsory = s.is_open & (s.tier != URBAN) & np.isin(school_levels(s), COMPULSORY)
    vac = np.where(rural_compulsory | (s.is_open & (named > 0)), requested(model), 0)
    slot_school, pe_art = slots_of(vac, pe_art_deficit(model))
    order = np.arange(len(slot_school))  # PE/art posts come first within a school
    n_named = np.floor(named + rng.random(len(named))).astype(np.int64)
    take = rank_within_groups(slot_school, order) < n_named[slot_school]
    rest = np.flatnonzero(~take & rural_compulsory[slot_school])
    county = s.county[slot_school[rest]]
    n_places = np.floor(places + rng.random(len(places))).astype(np.int64)
    rank = rank_within_groups(county, rng.random(len(rest)) - vac[slot_school[rest]])
    take[rest[rank < n_places[county]]] = True
    school = slot_school[take].astype(np.int32)
    model.flows.add("new_directed_hires", s.county[school])
    if len(school) == 0:
        return
    cols = new_teacher_columns(rng, school, s, model.geo, year, hire=True, pe_art=pe_art[take])
    cols["degree"] = np.where(rng.random(len(school)) < wp.directed_benke_share, BENKE, DAZHUAN)
    cols["directed"] = True
    cols["commitment_years_left"] = wp.directed_service_years
    cols["contract"] = EDITORIAL
    t.append(**cols)
    add_by_level(model, "new_hires", school)


def hire(model: QingyuanModel, year: int, rng: np.random.Generator) -> None:
    """Recruit against vacancies, limited by each county's yearly hiring budget.

    Public posts compete for the county's budget, the schools with the largest gaps
    first; private kindergartens hire freely. PE/art shortages are advertised first and
    filled by a specialist with a tier-dependent chance (rural schools struggle).
    """
    t, s = model.teachers, model.schools
    vacancy = requested(model)
    private = np.isin(s.type, PRIVATE_TYPES)
    slot_school, pe_art_post = slots_of(vacancy, pe_art_deficit(model))
    slot_county = s.county[slot_school]
    public = ~private[slot_school]
    rank = rank_within_groups(slot_county, rng.random(len(slot_school)) - vacancy[slot_school])
    teachers_by_county = np.bincount(s.county[t.school], minlength=len(model.counties))
    budget = np.floor(teachers_by_county * model.policy.hiring_budget_share).astype(np.int64)
    take = ~public | (rank < budget[slot_county])
    hired = slot_school[take].astype(np.int32)
    success = rng.random(len(hired)) < tier_pick(PE_ART_RECRUIT_SUCCESS, s.tier[hired])
    if len(hired):
        t.append(
            **new_teacher_columns(
                rng, hired, s, model.geo, year, hire=True, pe_art=pe_art_post[take] & success
            )
        )
    add_by_level(model, "new_hires", hired)
    unfilled = np.bincount(slot_school[~take], minlength=len(s)) if len(slot_school) else np.zeros(len(s))
    model.school_vacancies = unfilled.astype(np.int64)
    add_by_level(model, "n_vacancies", slot_school[~take])


def separations(model: QingyuanModel, year: int) -> None:
    """The first half of the workforce year: leavers, closed schools' staff, service, transfers."""
    clip_policy(model, year)
    leave(model, year)
    s = model.schools
    if (s.status[model.teachers.school] != 0).any() or (
        model.teachers.on_rotation.any()
        and (s.status[model.teachers.home_school[model.teachers.on_rotation]] != 0).any()
    ):
        reassign_from_closed(model)
    advance_year(model)
    transfers_from_rural(model, year, model.streams.get("transfers", year))


def recruitment(model: QingyuanModel, year: int) -> None:
    """The second half, after schools asked for teachers: hiring, rotation, training."""
    hire_directed(model, year, model.streams.get("directed", year))
    hire(model, year, model.streams.get("hiring", year))
    rotation.step(model, year, model.streams.get("rotation", year))
    training.step(model, year)
