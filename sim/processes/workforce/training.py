"""Training and promotion: backbone status, degree upgrades and senior posts.

Each county offers ``policy.training_places`` places per teacher a year; levers fund places
for the teachers of the schools they name (``policy.school_training_places``: rural schools
for rural teacher development, paired high schools for county high-school support). Places
go at random to teachers under 55 who can still advance (below city backbone level or
without 本科). Then, for every teacher:

* **Backbone ladder** (none → school → county → city or higher): each year a teacher of
  28+ rises one level with ``backbone_promotion`` (half that for the first and last
  steps, L), plus ``training_backbone_effect`` in a year with a place. The standard
  counts county level and above (县级以上骨干).
* **Degree upgrades** (secondary → 大专 → 本科) through in-service study for teachers
  under 50: ``degree_upgrade``, plus ``training_degree_effect`` with a place.
* **Titles** follow the post structure (岗位结构比例): senior posts are capped by the
  level's share (city 14th five-year plan, M-H, ``SENIOR_POST_SHARE``), and posts freed by
  retirements go to the oldest intermediate-title teachers of the county and level;
  teachers of 30+ reach an intermediate title with a yearly chance (L).

Effects on teaching itself are left to school dynamics: the national 国培 RCT found no
effect of training on teachers or pupils after a year (Loyalka et al. 2019, evidence.md),
so what training buys here is credentials (backbone status, degrees), which the
standard's indicators count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.core.columns import rank_within_groups
from sim.world.teachers import (
    BACKBONE_MIN_AGE,
    BENKE,
    CITY_BACKBONE,
    COUNTY_BACKBONE,
    LEVEL_OF_TYPE,
    LEVELS,
    PRIVATE_TYPES,
    SENIOR_POST_SHARE,
)

if TYPE_CHECKING:
    from sim.model import QingyuanModel

TRAINING_MAX_AGE = 55  # L: places go to those with years left to use them
DEGREE_UPGRADE_MAX_AGE = 50  # L
LADDER_FACTOR = (0.5, 1.0, 0.5)  # none→school, school→county, county→city, × backbone_promotion (L)
INTERMEDIATE_TITLE_RATE = 0.08  # yearly chance for a teacher of 30+ without a title (L)
INTERMEDIATE_MIN_AGE = 30
SENIOR_SHARE_BY_LEVEL = np.array([SENIOR_POST_SHARE[lv] for lv in LEVELS])

FLOWS = ("new_trained", "new_backbone_promotions", "new_degree_upgrades", "new_senior_titles")


def trainees(model: QingyuanModel, year: int) -> np.ndarray:
    """Mask of teachers given a training place this year.

    Each county's places (``training_places`` × its teachers) are spread evenly over its
    teachers who can still advance; places a lever funds for a school
    (``policy.school_training_places``) go to that school's teachers who can advance. Each
    candidate gets a place with probability places ÷ candidates, so the number trained
    varies binomially around the places offered.
    """
    t, s = model.teachers, model.schools
    county = s.county[t.school].astype(np.int64)
    nc, n_s = len(model.counties), len(s)
    places = model.policy.training_places * np.bincount(county, minlength=nc)
    can_gain = (t.age(year) < TRAINING_MAX_AGE) & ((t.backbone < CITY_BACKBONE) | (t.degree < BENKE))
    candidates = np.bincount(county[can_gain], minlength=nc)
    p = np.divide(places, candidates, out=np.zeros(nc), where=candidates > 0)
    at_school = np.bincount(t.school[can_gain], minlength=n_s)
    named = model.policy.school_training_places[:n_s]
    p_school = np.divide(named, at_school, out=np.zeros(n_s), where=at_school > 0)
    chance = np.minimum(p[county] + p_school[t.school], 1.0)
    return can_gain & (model.crn.uniform("training", year, t.id) < chance)


def promote_titles(model: QingyuanModel) -> np.ndarray:
    """Fill freed senior posts per county and level with the oldest intermediates (mask)."""
    t, s = model.teachers, model.schools
    level = LEVEL_OF_TYPE[s.type[t.school]].astype(np.int64)
    public = ~np.isin(s.type[t.school], PRIVATE_TYPES)
    group = s.county[t.school].astype(np.int64) * len(LEVELS) + level
    size = int(group.max()) + 1 if len(group) else 0
    staff = np.bincount(group[public], minlength=size)
    seniors = np.bincount(group[public & (t.title == 2)], minlength=size)
    share = SENIOR_SHARE_BY_LEVEL[np.arange(size) % len(LEVELS)]
    free = np.maximum(np.floor(share * staff) - seniors, 0)
    cand = np.flatnonzero(public & (t.title == 1))
    # oldest first: sort key is the birth date (earlier = smaller)
    key = t.birth_year[cand].astype(np.int64) * 12 + t.birth_month[cand]
    up = cand[rank_within_groups(group[cand], key) < free[group[cand]]]
    mask = np.zeros(len(t), dtype=bool)
    mask[up] = True
    return mask


def step(model: QingyuanModel, year: int) -> None:
    """Training places, then promotions, upgrades and titles for the year."""
    t, s, wp = model.teachers, model.schools, model.config.workforce
    county = s.county[t.school]
    age = t.age(year)
    trained = trainees(model, year)
    model.flows.add("new_trained", county[trained])
    ladder = np.asarray(LADDER_FACTOR)[np.minimum(t.backbone, CITY_BACKBONE - 1)]
    p_up = wp.backbone_promotion * ladder + wp.training_backbone_effect * trained
    rise = (
        (age >= BACKBONE_MIN_AGE)
        & (t.backbone < CITY_BACKBONE)
        & (model.crn.uniform("training", year, t.id, 1) < p_up)
    )
    model.flows.add("new_backbone_promotions", county[rise & (t.backbone == COUNTY_BACKBONE - 1)])
    t.backbone[rise] += 1
    p_deg = wp.degree_upgrade + wp.training_degree_effect * trained
    upgrade = (
        (age < DEGREE_UPGRADE_MAX_AGE)
        & (t.degree < BENKE)
        & (model.crn.uniform("training", year, t.id, 2) < p_deg)
    )
    t.degree[upgrade] += 1
    model.flows.add("new_degree_upgrades", county[upgrade])
    senior = promote_titles(model)
    t.title[senior] = 2
    model.flows.add("new_senior_titles", county[senior])
    intermediate = (
        (t.title == 0)
        & (age >= INTERMEDIATE_MIN_AGE)
        & (model.crn.uniform("training", year, t.id, 3) < INTERMEDIATE_TITLE_RATE)
    )
    t.title[intermediate] = 1
