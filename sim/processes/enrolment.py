"""Enrolment (DESIGN §3 step 4): progression, entry, school choice, 中考, boarding, dropout.

Everything here is array work over the child columns. A child's grade follows from age, so
"progression" is a change of stage at the transition ages (3, 6, 12, 15) plus exits at 18.
School choice is 就近入学: the nearest open school of the right kind in the home county,
except that a share of families seek the county's best school and get in only while it has
free seats. Beds are rationed per school, farthest pupils first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.core.columns import count_by, rank_within_groups
from sim.core.crn import Draws
from sim.processes import boarding
from sim.processes import kernels as process_kernels
from sim.world.build import split_general_vocational
from sim.world.geography import URBAN
from sim.world.population import (
    ENTRY_AGE_JUNIOR,
    ENTRY_AGE_PRESCHOOL,
    ENTRY_AGE_PRIMARY,
    ENTRY_AGE_SENIOR,
    JUNIOR,
    NOT_ENROLLED,
    PRESCHOOL,
    PRIMARY,
    SENIOR_GENERAL,
    SPECIAL,
    STAGE_NAMES,
    VOCATIONAL,
    Population,
)
from sim.world.schools import JUNIOR_TYPES, KINDERGARTEN_TYPES, PRIMARY_TYPES, SENIOR_TYPES

if TYPE_CHECKING:
    from sim.model import QingyuanModel

STAGE_TYPES: dict[int, tuple[str, ...]] = {
    PRESCHOOL: KINDERGARTEN_TYPES,
    PRIMARY: PRIMARY_TYPES,
    JUNIOR: JUNIOR_TYPES,
    SENIOR_GENERAL: SENIOR_TYPES,
    VOCATIONAL: ("vocational",),
    SPECIAL: ("special",),
}
ADMISSION_FLOWS = (PRIMARY, JUNIOR)  # stages whose admissions are counted by catchment and choice
TOP_DECILE = 0.1  # the 中考 top students whose outflow the plan worries about (evidence.md)


def nearest_school_by_place(model: QingyuanModel, types: tuple[str, ...]) -> np.ndarray:
    """For every place, the nearest open school of ``types`` in the same county (-1 if none)."""
    geo, schools = model.geo, model.schools
    out = np.full(geo.n_places, -1, dtype=np.int32)
    candidates = np.flatnonzero(schools.serves(types))
    for ci in range(len(geo.counties)):
        places = np.flatnonzero(geo.place_county == ci)
        cand = candidates[schools.county[candidates] == ci]
        if len(cand) == 0 or len(places) == 0:
            continue
        d = geo.distance_matrix(places, schools.place[cand])
        out[places] = cand[np.argmin(d, axis=1)]
    return out


def best_school_by_county(
    model: QingyuanModel, types: tuple[str, ...], urban_only: bool = True
) -> np.ndarray:
    """Per county, the open school of ``types`` with the highest quality (-1 if none)."""
    s = model.schools
    mask = s.serves(types)
    if urban_only:
        mask &= s.tier == URBAN
    n_c = len(model.geo.counties)
    best = np.full(n_c, -1, dtype=np.int32)
    idx = np.flatnonzero(mask)
    if len(idx) == 0:
        return best
    order = idx[np.lexsort((-s.quality[idx], s.county[idx]))]
    first = np.unique(s.county[order], return_index=True)
    best[first[0]] = order[first[1]]
    return best


def spare_seats(model: QingyuanModel, exclude: np.ndarray) -> np.ndarray:
    """Free seats per school, not counting the children ``exclude`` (those being placed)."""
    pop, s = model.pop, model.schools
    enrolled = pop.school >= 0
    enrolled[exclude] = False
    used = count_by(pop.school[enrolled], len(s))
    return np.maximum(s.capacity.astype(np.int64) - used, 0)


def admit_where_free(
    school: np.ndarray,
    target: np.ndarray,
    wants: np.ndarray,
    spare: np.ndarray,
    ids: np.ndarray,
    draws: Draws,
) -> np.ndarray:
    """Mask of the children ``ids`` who want ``target`` and get one of its free seats (random order)."""
    cand = np.flatnonzero(wants & (target >= 0) & (target != school))
    admitted = np.zeros(len(school), dtype=bool)
    if len(cand):
        rank = rank_within_groups(target[cand], draws.uniform("admission", ids[cand]))
        admitted[cand[rank < spare[target[cand]]]] = True
    return admitted


def county_wide_choice(
    model: QingyuanModel, who: np.ndarray, types: tuple[str, ...], draws: Draws
) -> np.ndarray:
    """A school of ``types`` anywhere in the child's county, in proportion to its seats.

    Senior and vocational schools admit by 中考 score across the county, not by catchment,
    so distance does not decide which one a pupil attends.
    """
    s, pop = model.schools, model.pop
    out = np.full(len(who), -1, dtype=np.int32)
    open_ = np.flatnonzero(s.serves(types))
    county = pop.county[who]
    for ci in np.unique(county):
        cand = open_[s.county[open_] == ci]
        sel = county == ci
        if len(cand) == 0:
            continue
        w = s.capacity[cand].astype(float)
        w = w if w.sum() > 0 else np.ones(len(cand))
        out[sel] = cand[draws.choice("senior-school", pop.id[who[sel]], w)]
    return out


def assign(
    model: QingyuanModel,
    who: np.ndarray,
    stage: int,
    draws: Draws,
    used: np.ndarray | None = None,
) -> None:
    """Give the children ``who`` (indices) a school of ``stage``.

    ``used`` (optional) is the seats taken per school by the children not being placed; the
    caller keeps it, and this function adds its placements, so that placing every stage
    costs one count of the enrolled instead of one per stage.

    Compulsory stages: the nearest school (就近入学), except that quality-seeking families
    get the county's best school while it has free seats. Kindergarten: the nearest public
    kindergarten when it has a free seat and the family prefers it (public ones are cheaper),
    else the nearest of any type. Senior and vocational: county-wide, by seats.
    """
    if len(who) == 0:
        return
    pop = model.pop
    types = STAGE_TYPES[stage]
    county = pop.county[who]
    ids = pop.id[who]
    if stage in (SENIOR_GENERAL, VOCATIONAL):
        school = county_wide_choice(model, who, types, draws)
    else:
        nearest = model.catchment(types)[pop.place[who]]
        # a county without such a school nearby sends children to its best one anywhere
        fallback = best_school_by_county(model, types, urban_only=False)[county]
        school = np.where(nearest >= 0, nearest, fallback)
    if stage == PRESCHOOL:
        public = model.catchment(("kg_public",))[pop.place[who]]
        wants = draws.uniform("kg-preference", ids) < model.config.enrolment.public_kindergarten_preference
        got = admit_where_free(school, public, wants, _spare(model, who, used), ids, draws)
        school[got] = public[got]
    seek_p = model.config.enrolment.quality_seeking * model.policy.choice_factor[county]
    if stage in (PRIMARY, JUNIOR, SENIOR_GENERAL) and np.any(seek_p > 0):
        best = best_school_by_county(model, types)[county]
        wants = draws.uniform("quality-seeking", ids) < seek_p
        got = admit_where_free(school, best, wants, _spare(model, who, used), ids, draws)
        school[got] = best[got]
        model.flows.add("new_choice_transfers", county[got])
        if stage in ADMISSION_FLOWS:  # the standard's nearby-enrolment and school-choice items
            model.flows.add(f"new_choice_admissions_{STAGE_NAMES[stage]}", county[got])
    if stage in ADMISSION_FLOWS:
        model.flows.add(f"new_admissions_{STAGE_NAMES[stage]}", county)
    pop.stage[who] = stage
    pop.school[who] = school
    if used is not None:
        used += count_by(school, len(used))


def _spare(model: QingyuanModel, who: np.ndarray, used: np.ndarray | None) -> np.ndarray:
    if used is None:
        return spare_seats(model, who)
    return np.maximum(model.schools.capacity.astype(np.int64) - used, 0)


def free_final_year(model: QingyuanModel, year: int, age: np.ndarray, draws: Draws) -> None:
    """From the waiver's first autumn, some 5-year-olds outside kindergarten join for the free year.

    The waiver is the public fee in both public and approved private kindergartens
    (国办发〔2025〕27号), so the price gap between them is unchanged and the choice between
    public and private is left as it was; only attendance rises.
    """
    cfg, pop = model.config.enrolment, model.pop
    if cfg.free_final_year_from is None or year < cfg.free_final_year_from:
        return
    five = (age == ENTRY_AGE_PRIMARY - 1) & (pop.stage == NOT_ENROLLED)
    outside = np.flatnonzero(five & ~pop.attends_preschool)
    joins = outside[draws.uniform("free-final-year", pop.id[outside]) < cfg.free_final_year_uptake]
    pop.attends_preschool[joins] = True
    model.flows.add("new_free_final_year_joiners", pop.county[joins])


def entries(
    model: QingyuanModel, draws: Draws, drop: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Masks of children entering preschool, primary, a special school and junior school,
    and of the juniors finishing.

    Preschool at 3-5 for families who chose it; primary at 6 (and any child of primary age
    not yet in school); a share of special-needs entrants to a special school instead; every
    primary pupil reaching 12 moves up to junior school; juniors reaching 15 finish unless
    they dropped out (``drop``). One compiled pass (``sim.processes.kernels.entry_masks``).
    """
    pop = model.pop
    columns = (pop.birth_year, pop.stage, pop.attends_preschool, drop)
    ages = (ENTRY_AGE_PRESCHOOL, ENTRY_AGE_PRIMARY, ENTRY_AGE_JUNIOR, ENTRY_AGE_SENIOR)
    masks = process_kernels.entry_masks(columns, draws.year, (PRIMARY, JUNIOR, SPECIAL), ages)
    to_pre, to_pri, to_jun, finishing = masks
    candidates = np.flatnonzero(to_pri & pop.special_needs)
    special_entry = happens(draws, "special-entry", pop, candidates, model.calib.special_school_share)
    to_pri &= ~special_entry
    return to_pre, to_pri, special_entry, to_jun, finishing


def step(model: QingyuanModel, year: int) -> None:
    """Run the enrolment phase for ``year`` (after demography, before school dynamics)."""
    pop, cfg, flows = model.pop, model.config.enrolment, model.flows
    draws = model.crn.at(year)
    age = pop.age(year)

    # -- exits and dropout --------------------------------------------------------------
    drop = dropouts(model, draws)
    flows.add("new_dropouts", pop.county[drop])
    model.junior_cohorts.drop(pop, drop & (pop.stage == JUNIOR))

    free_final_year(model, year, age, draws)

    # -- transitions ------------------------------------------------------------------
    to_pre, to_pri, special_entry, to_jun, finishing = entries(model, draws, drop)
    fin = np.flatnonzero(finishing)
    cont = happens(
        draws,
        "continuation",
        pop,
        fin,
        model.calib.senior_continuation * model.policy.continuation_factor[pop.county[fin]],
    )
    not_cont = finishing & ~cont
    flows.add("new_zhongkao", pop.county[finishing])
    flows.add("new_primary_intake", pop.county[(to_pri | special_entry) & (age == ENTRY_AGE_PRIMARY)])

    # senior split: general or vocational by achievement rank within county
    senior_stage = np.full(len(pop), NOT_ENROLLED, dtype=np.int8)
    senior_stage[cont] = split_general_vocational(pop, cont, cfg.general_share, draws)

    # leavers (dropouts, juniors not continuing) leave; entrants, and pupils who moved house
    # (pop.needs_school) or lost their school, are placed in a school of their stage
    leave = drop | not_cont
    pupils = (pop.stage, pop.school, pop.boarding, pop.county, pop.needs_school)
    moves = (leave, to_pre, to_pri, special_entry, to_jun, senior_stage)
    stages = (PRESCHOOL, PRIMARY, SPECIAL, JUNIOR)
    new_stage, placing, counted = process_kernels.apply_transitions(
        pupils, model.schools.status, moves, stages, len(model.counties)
    )
    used = count_by(pop.school, len(model.schools))
    placed = np.flatnonzero(placing)
    placed_stage = new_stage[placed]
    for stage in STAGE_TYPES:
        assign(model, placed[placed_stage == stage], stage, draws, used)
    pop.needs_school[:] = False
    model.junior_cohorts.enter(pop, to_jun)
    top_outflow(model, senior_stage == SENIOR_GENERAL, draws)

    # counted by event (the transitions above), never from the before/after difference: a
    # pupil lost inside placement then breaks the students' identity instead of hiding in it
    flows.add_counts("new_student_entrants", counted[0])
    flows.add_counts("new_student_leavers", counted[1])
    boarding.update_boarding(model, year)


def dropouts(model: QingyuanModel, draws: Draws) -> np.ndarray:
    """Mask of juniors and seniors past their entry year who drop out this year.

    Each child's chance is compared with its own per-id random number (``sim.core.crn``), so
    a change elsewhere does not change who drops out; the rule is one compiled pass
    (``sim.processes.kernels.dropout_mask``, its numpy form in ``tests/test_kernels.py``).
    """
    pop, cfg = model.pop, model.config.enrolment
    u = draws.uniform("dropout", pop.id)  # one vectorised pass; those not at risk are not read
    columns = (pop.stage, pop.birth_year, pop.left_behind, pop.county)
    rates = (float(cfg.junior_dropout), float(cfg.left_behind_dropout_extra), float(cfg.senior_dropout))
    codes = (draws.year, JUNIOR, SENIOR_GENERAL, VOCATIONAL, ENTRY_AGE_JUNIOR, ENTRY_AGE_SENIOR)
    factor = np.asarray(model.policy.dropout_factor, dtype=np.float64)
    return process_kernels.dropout_mask(u, columns, factor, rates, codes)


def happens(
    draws: Draws, process: str, pop: Population, idx: np.ndarray, p: np.ndarray | float
) -> np.ndarray:
    """Mask over all children: True for those of ``idx`` whose own draw falls below ``p``."""
    out = np.zeros(len(pop), dtype=bool)
    out[idx[draws.uniform(process, pop.id[idx]) < p]] = True
    return out


def top_outflow(model: QingyuanModel, new_general: np.ndarray, draws: Draws) -> None:
    """Top 中考 students outside 清城 leave their county high school for a city school."""
    pop = model.pop
    if "清城区" not in model.geo.counties:
        return
    qc = model.geo.counties.index("清城区")
    city = np.flatnonzero(model.schools.serves(("city_high",)) & (model.schools.county == qc))
    if len(city) == 0:
        return
    idx = np.flatnonzero(new_general & (pop.county != qc))
    if len(idx) == 0:
        return
    rank = rank_within_groups(pop.county[idx], -pop.achievement[idx])
    size = np.bincount(pop.county[idx], minlength=len(model.geo.counties))
    top = rank < np.ceil(size[pop.county[idx]] * TOP_DECILE)
    p_leave = model.config.enrolment.top_outflow * model.policy.top_outflow_factor[pop.county[idx]]
    leaving = idx[top & (draws.uniform("top-outflow", pop.id[idx]) < p_leave)]
    best = city[np.argmax(model.schools.quality[city])]
    pop.school[leaving] = best
    model.flows.add("new_top_outflow", pop.county[leaving])
    model.flows.add("new_top_students", pop.county[idx[top]])
