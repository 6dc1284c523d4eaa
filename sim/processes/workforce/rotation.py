"""Teacher rotation (交流轮岗, 县管校聘): who rotates, where to, and coming home.

The national rule the standard checks (教督〔2017〕6号, H): each year at least 10% of the
eligible teachers of a county's compulsory schools rotate, and at least 20% of those are
backbone teachers. A stint lasts 2–3 years (2014 national plan, H;
``workforce.rotation_length``). Here, each year and county:

* **Eligible**: 编制 teachers of public primary and junior schools who have taught
  ``rotation_eligible_years`` at their school, are not rotating, are not owed to a rural
  school under a directed commitment, and are more than ``rotation_exempt_years`` from
  retirement.
* **How many**: ``policy.rotation_rate`` of the eligible (fractions by a random draw),
  ``policy.rotation_backbone_share`` of them backbone teachers (县级以上骨干, the standard's
  backbone indicator) as far as the county has eligible ones; the shortfall of one kind is
  made up from the other.
* **Who**: drawn with weights that favour county-seat teachers (``DONOR_TIER_WEIGHT``):
  the policy's intent is urban and strong → rural and weak (L: historically only 4.5% of
  moves went down, evidence.md).
* **Where**: another open primary or junior school (not a teaching point) of the same
  county and level, weighted toward rural and weak schools (``DEST_*``). A teacher whose
  school belongs to a group or education community (``group_id``) rotates inside it
  when the group has another such school (group schooling's rotation).
* Teachers count in the indicators where they currently teach; they keep a
  ``home_school`` and return when ``rotation_years_left`` runs out (``end_rotations``).

``rotation_rate`` in the outputs is new rotations / eligible teachers of the year, and
``backbone_share_of_rotating`` is the backbone share among new rotations: the two
quantities the standard's rotation item checks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.core.columns import rank_within_groups
from sim.core.names import TYPE_CODES
from sim.processes.workforce.retirement import retirement_month_index
from sim.world.teachers import COUNTY_BACKBONE, EDITORIAL, LEVEL_OF_TYPE, LEVELS, PRIVATE_TYPES

if TYPE_CHECKING:
    from sim.model import QingyuanModel

ROTATING_LEVELS = (LEVELS.index("primary"), LEVELS.index("junior"))
DONOR_TIER_WEIGHT = (1.0, 0.6, 0.3)  # urban, town, village teachers asked to go (L)
DEST_TIER_WEIGHT = (0.3, 1.0, 1.5)  # urban, town, village schools receiving (L)
DEST_QUALITY_WEIGHT = 0.5  # receiving weight × exp(-0.5 × quality): weak schools first (L)

FLOWS = (
    "new_rotations",
    "new_rotations_backbone",
    "new_rotation_returns",
    "n_rotation_eligible",
    *(
        f"{name}_{LEVELS[k]}"
        for name in ("new_rotations", "new_rotations_backbone", "n_rotation_eligible")
        for k in ROTATING_LEVELS
    ),
)


def is_backbone(backbone: np.ndarray) -> np.ndarray:
    """Backbone in the sense of the standard: county level or above (县级以上骨干)."""
    return backbone >= COUNTY_BACKBONE


def rotating_school(model: QingyuanModel) -> np.ndarray:
    """Mask of schools whose teachers rotate and which receive rotating teachers."""
    s = model.schools
    level = LEVEL_OF_TYPE[s.type]
    return (
        s.is_open
        & np.isin(level, ROTATING_LEVELS)
        & (s.type != TYPE_CODES["teaching_point"])
        & ~np.isin(s.type, PRIVATE_TYPES)
    )


def eligible(model: QingyuanModel, year: int) -> np.ndarray:
    """Mask of teachers eligible to rotate this year (see the module docstring)."""
    t, wp = model.teachers, model.config.workforce
    retire_at = retirement_month_index(t.birth_year, t.birth_month, t.female, wp.retirement_reform)
    far_from_retirement = retire_at - (year * 12 + 8) > 12 * wp.rotation_exempt_years
    return (
        rotating_school(model)[t.school]
        & (t.contract == EDITORIAL)
        & ~t.on_rotation
        & (t.commitment_years_left == 0)
        & (t.years_at_school >= wp.rotation_eligible_years)
        & far_from_retirement
    )


def end_rotations(model: QingyuanModel) -> None:
    """Count down rotations; those that have run their length go back to their home school."""
    t, s = model.teachers, model.schools
    away = t.on_rotation
    t.rotation_years_left[away] = np.maximum(t.rotation_years_left[away] - 1, 0)
    back = np.flatnonzero(away & (t.rotation_years_left == 0))
    if len(back):
        home = t.home_school[back]
        t.school[back] = np.where((home >= 0) & (s.status[np.maximum(home, 0)] == 0), home, t.school[back])
        t.on_rotation[back] = False
        t.home_school[back] = -1
        t.years_at_school[back] = 0
    model.flows.add("new_rotation_returns", s.county[t.school[back]])


def quotas(
    county: np.ndarray,
    backbone: np.ndarray,
    n_counties: int,
    rate: np.ndarray,
    share: np.ndarray,
    u: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Rotations per county of backbone and other eligible teachers.

    ``rate`` × eligible (rounded up with probability equal to the fraction, ``u``), of
    which ``share`` backbone as far as there are; a shortfall of one kind is taken from
    the other.
    """
    e = np.bincount(county, minlength=n_counties)
    b = np.bincount(county[backbone], minlength=n_counties)
    target = np.minimum(np.floor(rate * e + u).astype(np.int64), e)
    n_bb = np.minimum(b, np.rint(share * target).astype(np.int64))
    n_other = np.minimum(e - b, target - n_bb)
    n_bb = np.minimum(b, target - n_other)
    return n_bb, n_other


def weighted_pick(
    group: np.ndarray, weight: np.ndarray, quota: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Mask choosing ``quota[g]`` rows of each group without replacement, by ``weight``.

    Efraimidis–Spirakis keys: log(u)/w, largest first.
    """
    key = np.log(rng.random(len(group))) / np.maximum(weight, 1e-12)
    return rank_within_groups(group, -key) < quota[group]


def grouped_draw(
    cand_school: np.ndarray,
    cand_key: np.ndarray,
    cand_weight: np.ndarray,
    key: np.ndarray,
    own: np.ndarray,
    n_schools: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """For each teacher, a candidate school of its key, by weight, never its own school.

    Candidates sorted by key share one cumulative weight; each draw is a uniform point in
    its key's range with the own school's slice cut out. -1 where no other candidate.
    """
    if len(cand_school) == 0 or len(key) == 0:
        return np.full(len(key), -1, dtype=np.int64)
    order = np.lexsort((cand_school, cand_key))
    cs, ck, cw = cand_school[order], cand_key[order], cand_weight[order]
    cum = np.cumsum(cw)
    before = cum - cw
    uniq, start = np.unique(ck, return_index=True)
    end = np.append(start[1:], len(ck))
    gi = np.clip(np.searchsorted(uniq, key), 0, len(uniq) - 1)
    found = uniq[gi] == key
    lo, hi = before[start[gi]], cum[end[gi] - 1]
    pos_of_school = np.full(n_schools, -1, dtype=np.int64)
    pos_of_school[cs] = np.arange(len(cs))
    own_pos = pos_of_school[own]
    own_in = (own_pos >= 0) & (ck[np.maximum(own_pos, 0)] == key)
    w_own = np.where(own_in, cw[np.maximum(own_pos, 0)], 0.0)
    avail = hi - lo - w_own
    point = lo + rng.random(len(key)) * avail
    point = np.where(own_in & (point >= before[np.maximum(own_pos, 0)]), point + w_own, point)
    idx = np.clip(np.searchsorted(cum, point, side="right"), start[gi], end[gi] - 1)
    dest = cs[idx]
    ok = found & (avail > 1e-9) & (dest != own)
    return np.where(ok, dest, -1)


def destinations(model: QingyuanModel, chosen: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Receiving school for each chosen teacher (-1 if the county has none other)."""
    t, s = model.teachers, model.schools
    cand = np.flatnonzero(rotating_school(model))
    weight = np.asarray(DEST_TIER_WEIGHT)[s.tier[cand]] * np.exp(-DEST_QUALITY_WEIGHT * s.quality[cand])
    n_levels = len(LEVELS)
    own = t.school[chosen].astype(np.int64)
    level_key = lambda sch: s.county[sch].astype(np.int64) * n_levels + LEVEL_OF_TYPE[s.type[sch]]  # noqa: E731
    dest = grouped_draw(cand, level_key(cand), weight, level_key(own), own, len(s), rng)
    # inside the group or community where the school belongs to one with another member
    in_group = s.group_id[own] >= 0
    if in_group.any():
        grouped = cand[s.group_id[cand] >= 0]
        gkey = lambda sch: s.group_id[sch].astype(np.int64) * n_levels + LEVEL_OF_TYPE[s.type[sch]]  # noqa: E731
        gw = np.asarray(DEST_TIER_WEIGHT)[s.tier[grouped]] * np.exp(-DEST_QUALITY_WEIGHT * s.quality[grouped])
        sub = np.flatnonzero(in_group)
        gdest = grouped_draw(grouped, gkey(grouped), gw, gkey(own[sub]), own[sub], len(s), rng)
        dest[sub] = np.where(gdest >= 0, gdest, dest[sub])
    return dest


def select(model: QingyuanModel, year: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Eligible mask and the teachers chosen to rotate this year (indices)."""
    t, s, p = model.teachers, model.schools, model.policy
    elig = eligible(model, year)
    idx = np.flatnonzero(elig)
    county = s.county[t.school[idx]].astype(np.int64)
    bb = is_backbone(t.backbone[idx])
    nc = len(model.counties)
    n_bb, n_other = quotas(county, bb, nc, p.rotation_rate, p.rotation_backbone_share, rng.random(nc))
    group = county * 2 + bb
    quota = np.stack([n_other, n_bb], axis=1).ravel()
    weight = np.asarray(DONOR_TIER_WEIGHT)[s.tier[t.school[idx]]]
    return elig, idx[weighted_pick(group, weight, quota, rng)]


def step(model: QingyuanModel, year: int, rng: np.random.Generator) -> None:
    """Choose this year's rotations and move the teachers (see the module docstring)."""
    t, s, wp = model.teachers, model.schools, model.config.workforce
    elig, chosen = select(model, year, rng)
    dest = destinations(model, chosen, rng)
    go = chosen[dest >= 0]
    county_of = lambda idx: s.county[t.school[idx]]  # noqa: E731
    level_of = lambda idx: LEVEL_OF_TYPE[s.type[t.school[idx]]]  # noqa: E731
    el = np.flatnonzero(elig)
    bb = go[is_backbone(t.backbone[go])]
    for name, who in (("n_rotation_eligible", el), ("new_rotations", go), ("new_rotations_backbone", bb)):
        model.flows.add(name, county_of(who))
        lv = level_of(who)
        for k in ROTATING_LEVELS:
            model.flows.add(f"{name}_{LEVELS[k]}", county_of(who)[lv == k])
    # the standard's rotation item reads these (sim.measure.standards_hook); 0 when none
    nc = len(model.counties)
    n_el, n_go = np.bincount(county_of(el), minlength=nc), np.bincount(county_of(go), minlength=nc)
    n_bb = np.bincount(county_of(bb), minlength=nc)
    model.rotation_rate_realised = np.divide(n_go, n_el, out=np.zeros(nc), where=n_el > 0)
    model.rotation_backbone_share_realised = np.divide(n_bb, n_go, out=np.zeros(nc), where=n_go > 0)
    t.home_school[go] = t.school[go]
    t.school[go] = dest[dest >= 0]
    t.on_rotation[go] = True
    t.rotation_years_left[go] = wp.rotation_length
    t.years_at_school[go] = 0
