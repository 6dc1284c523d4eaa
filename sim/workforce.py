"""Workforce (DESIGN §3 step 3): retirement under the 2025 reform, attrition, recruitment.

Rotation, training and directed hiring are richer flows built on these columns (issue
"Teacher workforce dynamics"); this module keeps the stock right year by year:
stock + hires = next stock + retirements + attrition.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.arrays import count_by, rank_within_groups
from sim.geography import URBAN
from sim.schema import TYPE_CODES
from sim.teachers import new_teacher_columns, school_levels

if TYPE_CHECKING:
    from sim.model import QingyuanModel

REFORM_START = 2025 * 12  # month index of January 2025 (NPC Standing Committee, 2024-09-13, H)
MAX_DELAY_MONTHS = 36  # men 60→63, women (professional posts) 55→58 (H)
MONTHS_PER_DELAY_STEP = 4  # one month later for every 4 months of birth date (H)
TERM_START_MONTH = 8  # retire before September: month index y*12+8 is September of y

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
REMOTE_ATTRITION_FACTOR = 1.2  # village schools lose more teachers than town ones (L)
PARITY_REFERENCE = 0.9  # salary parity at which attrition_rural was estimated (L)


def retirement_age_months(
    birth_year: np.ndarray, birth_month: np.ndarray, female: np.ndarray, reform: bool = True
) -> np.ndarray:
    """Statutory retirement age in months, by birth date and sex.

    Before the reform: men 60, women in professional posts (teachers) 55. From January
    2025 the age rises by one month for every four months of birth date after the first
    cohort reaching the old age in 2025, up to three years.
    """
    base = np.where(female, 55 * 12, 60 * 12).astype(np.int64)
    born = birth_year.astype(np.int64) * 12 + (birth_month.astype(np.int64) - 1)
    if not reform:
        return base
    old_date = born + base
    after = old_date - REFORM_START
    delay = np.where(after >= 0, np.minimum(after // MONTHS_PER_DELAY_STEP + 1, MAX_DELAY_MONTHS), 0)
    return base + delay


def retiring(model: QingyuanModel, year: int) -> np.ndarray:
    """Mask of teachers who reach retirement before this autumn's term."""
    t = model.teachers
    ret = retirement_age_months(
        t.birth_year, t.birth_month, t.female, model.config.workforce.retirement_reform
    )
    born = t.birth_year.astype(np.int64) * 12 + (t.birth_month.astype(np.int64) - 1)
    return born + ret <= year * 12 + TERM_START_MONTH


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


def step(model: QingyuanModel, year: int) -> None:
    """Retire, lose and hire teachers for ``year``; rotation and training are added by levers/issue."""
    t, s, wp, flows = model.teachers, model.schools, model.config.workforce, model.flows
    rng = model.streams.get("workforce", year)
    n = len(t)
    county = s.county[t.school]
    retire = retiring(model, year)
    rural = s.tier[t.school] != URBAN
    remote = s.tier[t.school] == 2
    pay = np.exp(-wp.pay_elasticity * (model.policy.salary_parity[county] - PARITY_REFERENCE))
    p_leave = np.where(
        rural, wp.attrition_rural * pay * np.where(remote, REMOTE_ATTRITION_FACTOR, 1.0), wp.attrition_urban
    )
    leave = ~retire & (rng.random(n) < p_leave)
    closed = s.status[t.school] != 0
    flows.add("new_retirements", county[retire])
    flows.add("new_attrition", county[leave])
    t.keep(~(retire | leave))
    # teachers of closed schools move to the nearest open school of the same level (layout)
    if closed[~(retire | leave)].any():
        reassign_from_closed(model)
    t.years_at_school[:] += 1
    t.rural_years[:] += (s.tier[t.school] != URBAN).astype(np.int16)
    hire(model, year, rng)


def reassign_from_closed(model: QingyuanModel) -> None:
    """Teachers whose school closed go to the school that took its pupils (merge target)."""
    t, s = model.teachers, model.schools
    gone = np.flatnonzero(s.status[t.school] != 0)
    target = model.merge_target[t.school[gone]]
    t.school[gone] = np.where(target >= 0, target, t.school[gone])
    t.years_at_school[gone] = 0
    model.flows.add("new_teachers_moved_by_closure", s.county[t.school[gone]])


def hire(model: QingyuanModel, year: int, rng: np.random.Generator) -> None:
    """Recruit against vacancies, limited by each county's yearly hiring budget."""
    t, s = model.teachers, model.schools
    students = model.school_students
    need = posts(model, students, model.school_classes)
    have = count_by(t.school, len(s))
    vacancy = np.maximum(need - have, 0)
    model.school_vacancies = vacancy
    private = np.isin(s.type, [TYPE_CODES["kg_private"], TYPE_CODES["kg_puhui"]])
    slot_school = np.repeat(np.arange(len(s)), vacancy)
    slot_county = s.county[slot_school]
    # public slots compete for the county budget: the schools with the largest gaps first
    public = ~private[slot_school]
    rank = rank_within_groups(slot_county, rng.random(len(slot_school)) - vacancy[slot_school])
    teachers_by_county = np.bincount(s.county[t.school], minlength=len(model.geo.counties))
    budget = np.floor(teachers_by_county * model.policy.hiring_budget_share).astype(np.int64)
    take = ~public | (rank < budget[slot_county])
    hired = slot_school[take]
    if len(hired):
        t.append(**new_teacher_columns(rng, hired.astype(np.int32), s, model.geo, year, hire=True))
    model.flows.add("new_hires", s.county[hired])
    model.flows.add("n_vacancies", s.county[slot_school[~take]])
