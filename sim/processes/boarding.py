"""Boarding: who may board (the one rule), who gets a bed, and who commutes far.

The plan's boarding measure and the layout lever both hinge on one rule, written once here:
an enrolled pupil may board when the road distance from home to school exceeds the county's
boarding distance this year, the pupil is in grade ``boarding_min_grade`` or above, and is not
in preschool. Beds are rationed per school, farthest pupils first. A long commute is measured
against the config's distance (not a lever's changed rule), so a lever cannot define the
problem away.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.core import kernels
from sim.processes import kernels as process_kernels
from sim.world.population import ENTRY_AGE_PRIMARY, PRESCHOOL

if TYPE_CHECKING:
    from sim.model import QingyuanModel


def school_grade(age: np.ndarray) -> np.ndarray:
    """Grade from age (grade 1 at age 6; negative or zero before primary school)."""
    return age - (ENTRY_AGE_PRIMARY - 1)


def may_board(
    distance_km: np.ndarray, grade: np.ndarray, stage: np.ndarray, rule_km: np.ndarray | float, min_grade: int
) -> np.ndarray:
    """The boarding rule: beyond the distance rule, old enough, not in preschool."""
    return (distance_km > rule_km) & (grade >= min_grade) & (stage != PRESCHOOL)


def boarding_demand(model: QingyuanModel, year: int) -> np.ndarray:
    """Pupils per school who may board under the config's distance rule (sizes 2022's beds)."""
    pop, s = model.pop, model.schools
    idx = np.flatnonzero(pop.school >= 0)
    dist = model.geo.distance(pop.place[idx], s.place[pop.school[idx]])
    cfg = model.config.enrolment
    grade = school_grade(pop.age(year)[idx])
    eligible = may_board(dist, grade, pop.stage[idx], cfg.boarding_distance_km, cfg.boarding_min_grade)
    return np.bincount(pop.school[idx][eligible], minlength=len(s)).astype(float)


def unmet_demand(model: QingyuanModel, year: int, schools: np.ndarray) -> np.ndarray:
    """Pupils at ``schools`` who may board under this year's rule but had no bed.

    Uses last year's placement and distances (the enrolment of ``year`` has not run yet):
    the plan builds for the pupils it has.
    """
    pop = model.pop
    dist = model.student_distance
    if len(dist) != len(pop):
        return np.zeros(len(schools))
    rule = model.policy.boarding_distance_km[pop.county]
    min_grade = model.config.enrolment.boarding_min_grade
    grade = school_grade(pop.age(year))
    want = (pop.school >= 0) & ~pop.boarding & may_board(dist, grade, pop.stage, rule, min_grade)
    counts = np.bincount(pop.school[want], minlength=len(model.schools))
    return counts[schools].astype(float)


def update_boarding(model: QingyuanModel, year: int) -> None:
    """Pupils who may board get a bed where their school has one free, farthest first."""
    pop, s, cfg = model.pop, model.schools, model.config.enrolment
    # who may board follows this year's distance rule (sim.processes.policy; a boarding lever may
    # change it per county), while long commutes stay measured against the config's rule; only
    # pupils of schools with beds compete, and where they outnumber the beds, farthest first
    rules = (
        model.policy.boarding_distance_km.astype(np.float64),
        float(cfg.boarding_distance_km),
        int(cfg.boarding_min_grade),
        int(year),
        ENTRY_AGE_PRIMARY - 1,
        PRESCHOOL,
    )
    columns = (pop.school, pop.place, pop.stage, pop.county, pop.birth_year)
    table = model.geo.distance_table()
    dist, far, competes = process_kernels.boarding_pass(columns, s.place, table, rules, s.beds)
    cand = np.flatnonzero(competes)
    gets_bed = kernels.farthest_first(pop.school[cand], dist[cand], s.beds)
    model.long_commute = process_kernels.assign_beds(pop.boarding, far, cand[gets_bed])
    model.student_distance = dist
