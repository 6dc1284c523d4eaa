"""School dynamics (DESIGN §3 step 5): classes, oversized classes, quality, achievement.

Classes are formed per school and grade from enrolment and the school's classrooms;
when classrooms run short, classes grow past the limit (大班额). Quality moves a share of
the way each year toward a target set by teachers, resources and peers, plus any lever
spill-over; pupils' latent achievement follows their school's quality (AR(1)).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.core.columns import count_by
from sim.processes import kernels as process_kernels
from sim.world.build import LEFT_BEHIND_GAP
from sim.world.population import ENTRY_AGE_PRESCHOOL
from sim.world.schools import LARGE_CLASS_LIMIT, PRESCHOOL_CLASS_LIMITS
from sim.world.teachers import BENKE, COUNTY_BACKBONE

if TYPE_CHECKING:
    from sim.model import QingyuanModel

N_GRADES = 15  # preschool ages 3-5 (3 years) + grades 1-12
# weights of the target quality (L): teachers, resources and peers, each in SD units
W_TEACHERS, W_RESOURCES, W_PEERS = 0.6, 0.3, 0.3
# Teacher index: credentials are weak proxies of teaching. The national training programme
# (国培) had precisely zero effect on teachers and pupils after a year (Loyalka et al. 2019,
# AEJ Applied, H), so a backbone title raised by training moves quality only a little (L).
DEGREE_WEIGHT = 2.0
BACKBONE_WEIGHT = 1.0
CLASS_SIZE_PENALTY = -0.03  # SD gap of a pupil in a large class (CEPS, M; evidence.md): a level
# difference between pupils, so it enters the AR(1) like the left-behind gap and settles there
EARLY_BOARDING_LAST_GRADE = 3  # early boarding: grades 1-3
EARLY_BOARDING_PENALTY = -0.05  # SD a year for boarders in grades 1-3 (direction H, size L)


def grade_index(age: np.ndarray) -> np.ndarray:
    """0-2 for preschool ages 3-5, then grade 1 → 3 ... grade 12 → 14."""
    return np.clip(age - ENTRY_AGE_PRESCHOOL, 0, N_GRADES - 1)


def class_demand(model: QingyuanModel, year: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pupils per (school, grade), the class-size limit of each cell, and classes needed."""
    pop, s = model.pop, model.schools
    first_age = ENTRY_AGE_PRESCHOOL  # grade_index: ages 3-5, then grades 1-12
    by_grade = process_kernels.pupils_by_grade(pop.school, pop.birth_year, year, first_age, len(s), N_GRADES)
    limit = np.empty((len(s), N_GRADES))
    limit[:, :3] = PRESCHOOL_CLASS_LIMITS
    limit[:, 3:9] = LARGE_CLASS_LIMIT["primary"]
    limit[:, 9:12] = LARGE_CLASS_LIMIT["junior"]
    limit[:, 12:] = LARGE_CLASS_LIMIT["senior"]
    return by_grade, limit, np.ceil(by_grade / limit)


def form_classes(model: QingyuanModel, year: int) -> None:
    """Classes per school and grade; when classrooms run short, classes exceed the limit."""
    s = model.schools
    by_grade, limit, ideal = class_demand(model, year)
    total_ideal = ideal.sum(axis=1)
    classrooms = np.maximum(s.classrooms, 1)
    squeeze = np.where(total_ideal > classrooms, classrooms / np.maximum(total_ideal, 1), 1.0)
    classes = np.where(by_grade > 0, np.maximum(np.floor(ideal * squeeze[:, None]), 1), 0)
    size = np.divide(by_grade, classes, out=np.zeros_like(by_grade, dtype=float), where=classes > 0)
    large = (size > limit) & (classes > 0)
    model.school_classes = classes.sum(axis=1).astype(np.int64)
    model.school_large_classes = np.where(large, classes, 0).sum(axis=1).astype(np.int64)
    model.school_max_class = np.ceil(size).max(axis=1).astype(np.int64)
    model.school_by_grade = by_grade
    model.school_large_by_grade = large  # (school, grade) cells whose classes are oversized
    model.school_compliant_classes = np.where(~large, classes, 0).sum(axis=1).astype(np.int64)


def quality_target(model: QingyuanModel) -> np.ndarray:
    """Quality each school tends to: teachers, resources, peers, principal (L weights).

    The raw index is shifted by ``model.quality_offset`` (set once at set-up) so that in
    2022 the enrolment-weighted mean target equals the mean quality: the status quo is
    stationary and only changes (levers, demography) move it.
    """
    s, t, pop = model.schools, model.teachers, model.pop
    n = len(s)
    n_teach = np.maximum(count_by(t.school, n), 1)
    degree = count_by(t.school, n, (t.degree >= BENKE).astype(float)) / n_teach
    backbone = count_by(t.school, n, (t.backbone >= COUNTY_BACKBONE).astype(float)) / n_teach
    teacher_index = (degree - 0.85) * DEGREE_WEIGHT + (backbone - 0.05) * BACKBONE_WEIGHT
    students = np.maximum(model.school_students, 1)
    resources = (
        np.log(np.maximum(s.equipment_yuan / students / 2000.0, 1e-3)) * 0.5
        + np.log(np.maximum(s.teaching_space_m2 / students / 4.5, 1e-3)) * 0.5
    )
    ach_sum = count_by(pop.school, n, pop.achievement)
    peers = ach_sum / students
    raw = (
        W_TEACHERS * teacher_index
        + W_RESOURCES * np.clip(resources, -1, 1)
        + W_PEERS * peers
        + 0.5 * s.principal_quality
    )
    return raw - model.quality_offset


def calibrate_quality(model: QingyuanModel) -> None:
    """Set ``quality_offset`` and the 2022 mean quality that pupils' achievement is measured from."""
    w = model.school_students.astype(float)
    model.quality_offset = 0.0
    raw = quality_target(model)
    model.quality_mean_2022 = float(np.average(model.schools.quality, weights=w)) if w.sum() else 0.0
    model.quality_offset = float(np.average(raw, weights=w)) - model.quality_mean_2022 if w.sum() else 0.0


def update_quality(model: QingyuanModel, year: int) -> None:
    """Quality moves a share of the way toward its target, plus lever boosts this year."""
    s = model.schools
    target = quality_target(model) + model.policy.quality_boost
    k = model.config.schools.quality_adjustment
    s.quality[:] = s.quality + k * (target - s.quality)


def update_achievement(model: QingyuanModel, year: int) -> None:
    """Latent achievement: AR(1) toward school quality, with the left-behind gap."""
    pop, s = model.pop, model.schools
    rho = model.config.schools.achievement_persistence
    # school and county terms are computed once per school and county, then gathered (float32);
    # only pupils whose own grade's classes are oversized (大班额) carry the class-size gap; level
    # gaps enter with (1 - rho) like quality, so a pupil who stays settles at the gap itself
    per_school = (1 - rho) * (s.quality - model.quality_mean_2022)
    gap = (1 - rho) * LEFT_BEHIND_GAP * model.policy.left_behind_gap_factor
    terms = (
        np.float32(rho),
        per_school.astype(np.float32),
        gap.astype(np.float32),
        model.school_large_by_grade,
        np.float32((1 - rho) * CLASS_SIZE_PENALTY),
        np.float32(EARLY_BOARDING_PENALTY),
    )
    # every row's normal (its own per-id draw), so no gather of the enrolled and no scatter back
    noise = model.crn.normal("achievement", year, pop.id)
    noise *= np.float32(np.sqrt(1 - rho**2) * 0.6)
    process_kernels.achievement_drift(
        pop.achievement, pop.school, pop.stage, pop.county, pop.birth_year, pop.left_behind, pop.boarding,
        year, terms, ENTRY_AGE_PRESCHOOL, EARLY_BOARDING_LAST_GRADE, noise,
    )  # fmt: skip


def step(model: QingyuanModel, year: int) -> None:
    """Run the school-dynamics phase for ``year``."""
    form_classes(model, year)
    update_quality(model, year)
    update_achievement(model, year)
