"""Measure (DESIGN §3 step 6): per-county metrics and the per-school table for the year.

Counts are computed per county and summed for the city (全市); ratios are recomputed from
the city's sums, never averaged across counties. Metric names follow ``n_<stock>`` and
``new_<flow>`` (sim/core/names.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.config import CITY
from sim.core.names import SCHOOL_TYPES, TYPE_CODES
from sim.measure import kernels as measure_kernels
from sim.measure.standards_hook import record_standards
from sim.measure.teachers import add_teacher_metrics, teacher_school_counts
from sim.world.geography import TIER_NAMES
from sim.world.population import (
    JUNIOR,
    PRESCHOOL,
    PRIMARY,
    SENIOR_GENERAL,
    SPECIAL,
    STAGE_NAMES,
    VOCATIONAL,
)
from sim.world.schools import TYPE_NAMES

if TYPE_CHECKING:
    from sim.model import QingyuanModel

STAGES_REPORTED = (PRESCHOOL, PRIMARY, JUNIOR, SENIOR_GENERAL, VOCATIONAL, SPECIAL)
NINE_YEAR_JUNIOR_WEIGHT = 1.1  # 教督〔2017〕6号: nine-year school primary:junior = 1:1.1 (M)
COMPLETE_MIDDLE_SENIOR_WEIGHT = 1.2  # complete middle school junior:senior = 1:1.2 (M)
LEVEL_NAMES = ("kindergarten", "primary", "junior", "senior", "vocational", "special")


# bits of the per-child key that ``child_metrics`` counts in one pass
_FLAG_COLUMNS = ("boarding", "long_commute", "left_behind", "migrant")
_AGE_BANDS = np.array([0] * 3 + [1] * 3 + [2] * 9 + [0] * 40, dtype=np.int32)  # <3, 3-5, 6-14, rest


def child_tally(model: QingyuanModel, year: int) -> dict[str, np.ndarray]:
    """The year's per-child counts in one compiled pass (``sim.measure.kernels.child_tally``).

    ``cells``: children per (county, age band, stage, school tier, four flags); ``county_sum``:
    achievement summed over the enrolled per county; ``by_school``: pupils per (school, stage,
    boarding); ``school_sum``: achievement summed per school; ``special``: children with special
    needs of compulsory-school age per county, and those of them in a school.
    """
    pop = model.pop
    columns = (pop.birth_year, pop.county, pop.stage, pop.school, pop.achievement)
    flags = (pop.boarding, model.long_commute, pop.left_behind, pop.migrant)  # _FLAG_COLUMNS' order
    nc = len(model.counties)
    tiers = model.schools.tier
    tally = measure_kernels.child_tally(_AGE_BANDS, year, columns, tiers, flags, nc, pop.special_needs)
    return dict(zip(("cells", "county_sum", "by_school", "school_sum", "special"), tally, strict=True))


def pupil_counts(model: QingyuanModel, tally: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Pupils by stage, boarders and the achievement sum per school (all schools, by id).

    Read off the year's ``child_tally`` when given; else one compiled pass
    (``sim.measure.kernels.pupils_by_school``) counts the (school, stage, boarding) cells.
    """
    pop, n = model.pop, len(model.schools)
    if tally is None:
        columns = (pop.school, pop.stage, pop.boarding, pop.achievement)
        counts, achievement = measure_kernels.pupils_by_school(*columns, n)
    else:
        counts, achievement = tally["by_school"], tally["school_sum"]
    by_stage = counts.sum(axis=2)
    out = {f"students_{STAGE_NAMES[k]}": by_stage[:, k] for k in STAGES_REPORTED}
    out["students"] = by_stage.sum(axis=1)
    out["boarders"] = counts[:, :, 1].sum(axis=1)
    out["achievement_sum"] = achievement
    return out


def school_counts(model: QingyuanModel, tally: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Pupil and teacher counts per school (all schools, by id)."""
    out = pupil_counts(model, tally)
    out.update(teacher_school_counts(model, out["students"]))
    return out


def school_columns(model: QingyuanModel, year: int, counts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """One row per open school with the columns of ``sim.core.names.SCHOOL_YEAR_COLUMNS``, as arrays.

    Plain arrays, not a DataFrame: the standards evaluator reads them as they are, and
    ``QingyuanModel.school_year`` builds one frame from every year's columns at the end
    (a frame a year, and the string conversions it makes, cost more than the year's judgement).

    The compulsory-standard columns follow the CSV of ``python -m sim evaluate``: degree
    counts are already split between the primary and junior sections of a combined school
    (their thresholds differ), by the official pupil weights.
    """
    s = model.schools
    idx = np.flatnonzero(s.is_open)
    p = counts["students_primary"][idx].astype(float)
    j = counts["students_junior"][idx].astype(float)
    sen = counts["students_senior_general"][idx].astype(float)
    nine = s.type[idx] == TYPE_CODES["nine_year"]
    cm = s.type[idx] == TYPE_CODES["complete_middle"]
    wj_nine = np.divide(
        NINE_YEAR_JUNIOR_WEIGHT * j, p + NINE_YEAR_JUNIOR_WEIGHT * j, out=np.zeros_like(j), where=(p + j) > 0
    )
    wj_cm = np.divide(j, j + COMPLETE_MIDDLE_SENIOR_WEIGHT * sen, out=np.zeros_like(j), where=(j + sen) > 0)
    w_junior = np.where(nine, wj_nine, np.where(cm, wj_cm, (j > 0).astype(float)))
    w_primary = np.where(nine, 1 - wj_nine, (p > 0).astype(float))
    levels = np.array([SCHOOL_TYPES[TYPE_NAMES[k]] for k in s.type[idx]], dtype=object)
    return {
        "year": np.full(len(idx), year, dtype=np.int32),
        "school_id": idx.astype(np.int32),
        "school": np.asarray(model.school_names, dtype=object)[idx],
        "county": np.asarray(model.counties, dtype=object)[s.county[idx]],
        "township": np.asarray(model.geo.township_name, dtype=object)[s.township[idx]],
        "tier": np.asarray(TIER_NAMES, dtype=object)[s.tier[idx]],
        "level": levels,
        "type": np.asarray(TYPE_NAMES, dtype=object)[s.type[idx]],
        "status": np.full(len(idx), "open", dtype=object),
        "group_id": s.group_id[idx],
        "students": counts["students"][idx],
        "students_preschool": counts["students_preschool"][idx],
        "students_primary": counts["students_primary"][idx],
        "students_junior": counts["students_junior"][idx],
        "students_senior": counts["students_senior_general"][idx] + counts["students_vocational"][idx],
        "boarders": counts["boarders"][idx],
        "beds": s.beds[idx],
        "capacity": s.capacity[idx],
        "classes": model.school_classes[idx],
        "max_class_size": model.school_max_class[idx],
        "n_large_classes": model.school_large_classes[idx],
        "teachers": counts["teachers"][idx],
        "teachers_above_degree_primary": np.rint(counts["dazhuan_plus"][idx] * w_primary).astype(
            np.int64
        ),
        "teachers_above_degree_junior": np.rint(counts["benke_plus"][idx] * w_junior).astype(np.int64),
        "backbone_teachers": counts["backbone_teachers"][idx],
        "pe_art_teachers": np.round(counts["pe_art_teachers"][idx], 3),
        "pe_art_teachers_shared_in": np.round(counts["pe_art_shared_in"][idx], 3),
        "teachers_on_rotation": counts["teachers_on_rotation"][idx],
        "teacher_vacancies": model.school_vacancies[idx],
        "teaching_space_m2": s.teaching_space_m2[idx],
        "sports_area_m2": s.sports_area_m2[idx],
        "equipment_yuan": s.equipment_yuan[idx],
        "multimedia_classrooms": s.multimedia_classrooms[idx],
        "teaching_point": s.type[idx] == TYPE_CODES["teaching_point"],
        "quality": s.quality[idx],
        "mean_achievement": counts["achievement_sum"][idx] / np.maximum(counts["students"][idx], 1),
    }


def _with_city(table: np.ndarray) -> np.ndarray:
    """A (quantity, county) table with each row's sum over the counties appended as a column."""
    return np.concatenate([table, table.sum(axis=1, keepdims=True)], axis=1)


class CountyMetrics:
    """Collects per-county values (length n_counties) and ratios, then adds the city row."""

    def __init__(self, n_counties: int):
        self.n = n_counties
        self.sums: dict[str, np.ndarray] = {}
        self.ratios: dict[str, tuple[np.ndarray, np.ndarray, float]] = {}

    def count(self, name: str, values: np.ndarray) -> None:
        """A summable quantity."""
        self.sums[name] = np.asarray(values, dtype=float)

    def ratio(self, name: str, num: np.ndarray, den: np.ndarray, scale: float = 1.0) -> None:
        """A ratio of two summable quantities (the city's ratio uses the city's sums)."""
        self.ratios[name] = (np.asarray(num, float), np.asarray(den, float), scale)

    def rows(self, year: int, counties: list[str]) -> dict[str, np.ndarray]:
        """Tidy columns ``year, county, metric, value`` for every county and the city.

        Plain arrays, not a DataFrame: ``QingyuanModel.county_year`` builds one frame from
        every year's columns at the end, instead of a frame (and its string conversions) a year.
        """
        names = [*self.sums, *self.ratios]
        # every quantity as a row of a (quantity, county) table and its city sum as a last column
        sums = _with_city(np.array(list(self.sums.values()), dtype=float).reshape(-1, self.n))
        values = [sums.ravel()]
        if self.ratios:
            parts = zip(*self.ratios.values(), strict=True)
            num, den, scale = (np.array(part, dtype=float) for part in parts)
            num, den = _with_city(num.reshape(-1, self.n)), _with_city(den.reshape(-1, self.n))
            ratio = np.divide(num, den, out=np.full(num.shape, np.nan), where=den > 0) * scale[:, None]
            values.append(ratio.ravel())
        k = self.n + 1
        return {
            "year": np.full(k * len(names), year, dtype=np.int32),
            "county": np.tile(np.asarray([*counties, CITY], dtype=object), len(names)),
            "metric": np.repeat(np.asarray(names, dtype=object), k),
            "value": np.concatenate(values),
        }



def child_metrics(
    model: QingyuanModel, m: CountyMetrics, year: int, tally: dict[str, np.ndarray] | None = None
) -> None:
    """The per-child county metrics, read off the year's ``child_tally`` (computed if not given)."""
    nc = len(model.counties)
    tally = child_tally(model, year) if tally is None else tally
    c = tally["cells"].reshape(nc, 4, 7, 4, 2, 2, 2, 2)
    # two reductions of the full array; every other count is a sum over a small one
    cells = c.reshape(*c.shape[:4], -1).sum(axis=4)  # county x band x stage x tier
    flags = c.sum(axis=(1, 3))  # county x stage x boarding x long commute x left-behind x migrant
    by_stage = cells.sum(axis=(1, 3))  # county x stage
    enrolled = by_stage[:, 1:].sum(axis=1)
    m.count("n_children", by_stage.sum(axis=1))
    m.count("n_children_3_5", cells[:, 1].sum(axis=(1, 2)))
    m.count("n_children_6_14", cells[:, 2].sum(axis=(1, 2)))
    m.count("n_students", enrolled)
    by_tier = cells.sum(axis=1)  # county x stage x (none, urban, town, village)
    for k in STAGES_REPORTED:
        m.count(f"n_students_{STAGE_NAMES[k]}", by_stage[:, k])
        if k in (PRESCHOOL, PRIMARY, JUNIOR, SENIOR_GENERAL):
            for ti, tier in enumerate(TIER_NAMES):
                m.count(f"n_students_{STAGE_NAMES[k]}_{tier}", by_tier[:, k, ti + 1])
    m.count("n_boarding", flags[:, :, 1].sum(axis=(1, 2, 3, 4)))
    m.count("n_long_commute", flags[:, :, :, 1].sum(axis=(1, 2, 3, 4)))
    m.count("n_left_behind", flags[:, :, :, :, 1].sum(axis=(1, 2, 3, 4)))
    m.count("n_left_behind_students", flags[:, 1:, :, :, 1].sum(axis=(1, 2, 3, 4)))
    m.count("n_migrant_students", flags[:, 1:, :, :, :, 1].sum(axis=(1, 2, 3, 4)))
    m.ratio("mean_achievement", tally["county_sum"], enrolled)


def county_metrics(
    model: QingyuanModel, year: int, counts: dict[str, np.ndarray], tally: dict[str, np.ndarray] | None = None
) -> CountyMetrics:
    """All per-county metrics of the year (see module docstring)."""
    s, t = model.schools, model.teachers
    nc = len(model.counties)
    m = CountyMetrics(nc)
    for name, values in model.flows.items():
        m.count(name, values)
    m.count("population", model.aggregate.total)
    m.ratio("urbanisation_rate", model.aggregate.total * model.aggregate.urban_share, model.aggregate.total)
    child_metrics(model, m, year, tally)
    open_ = s.is_open
    sc = lambda mask: np.bincount(s.county[mask], minlength=nc)  # noqa: E731
    sw = lambda values: np.bincount(s.county, weights=np.where(open_, values, 0).astype(float), minlength=nc)  # noqa: E731
    m.count("n_schools_open", sc(open_))
    for level in LEVEL_NAMES:
        m.count(f"n_schools_open_{level}", sc(open_ & (model.school_level == level)))
    m.count("n_teaching_points", sc(open_ & (s.type == TYPE_CODES["teaching_point"])))
    m.count("n_classes", sw(model.school_classes))
    m.count("n_large_classes", sw(model.school_large_classes))
    m.count("n_beds", sw(s.beds))
    # teachers (sim.measure.teachers): totals, by level, rotation, rural shortages
    add_teacher_metrics(model, m, year, counts)
    tc = s.county[t.school]
    byt = lambda mask: np.bincount(tc[mask], minlength=nc)  # noqa: E731
    # preschool standard inputs (普及普惠)
    kg_pub = s.type == TYPE_CODES["kg_public"]
    kg_puhui = s.type == TYPE_CODES["kg_puhui"]
    kg = model.school_level == "kindergarten"
    m.count("n_students_preschool_public", sw(np.where(kg_pub, counts["students_preschool"], 0)))
    m.count("n_students_preschool_puhui", sw(np.where(kg_puhui, counts["students_preschool"], 0)))
    m.count("n_teachers_preschool", byt(kg[t.school]))
    m.count("n_classes_preschool", sw(np.where(kg, model.school_classes, 0)))
    m.count("n_classes_preschool_compliant", sw(np.where(kg, model.school_compliant_classes, 0)))
    return m


def record(model: QingyuanModel, year: int) -> None:
    """Store this year's county metrics and school rows on the model."""
    tally = child_tally(model, year)  # read the children once for every count below
    counts = school_counts(model, tally)
    model.school_students = counts["students"]
    schools = school_columns(model, year, counts)
    metrics = county_metrics(model, year, counts, tally)
    # HOOK: standards — the evaluator adds its verdicts and coefficients here
    model.extend_metrics(metrics, schools, year)
    model.county_rows.append(metrics.rows(year, model.counties))
    model.county_rows.append(record_standards(model, metrics.sums, schools, year, tally))
    model.school_rows.append(schools)
