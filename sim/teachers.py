"""Teachers as numpy columns, their initial 2022 workforce, and per-school counts.

About 57,000 teachers: columns rather than Mesa agents, because every workforce rule is a
mask over all of them (retire, leave, rotate, promote) and the standard's indicators are
``bincount``s by school. Measured on this machine: creating 57,000 bare ``mesa.Agent``s
takes 0.95 s, allocating their 14 columns 0.007 s; the whole workforce year is faster than
the agents' creation alone.

Initial ratios follow the Guangdong priors in reference/qingyuan.md (H), thinner and older
in the rural north (assumption); each number's source sits beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim import data
from sim.geography import TOWN, URBAN, Geography
from sim.schema import SCHOOL_TYPES, TYPE_CODES
from sim.schools import SchoolTable

CORE, PE, ART = 0, 1, 2
SECONDARY, DAZHUAN, BENKE, POSTGRAD = 0, 1, 2, 3
NO_BACKBONE, SCHOOL_BACKBONE, COUNTY_BACKBONE, CITY_BACKBONE = 0, 1, 2, 3
EDITORIAL = 0  # 编制 contract; 1 = non-编制

COLUMNS: dict[str, np.dtype] = {
    "school": np.dtype(np.int32),
    "birth_year": np.dtype(np.int16),
    "birth_month": np.dtype(np.int8),  # 1-12: the retirement reform counts months
    "female": np.dtype(bool),
    "subject": np.dtype(np.int8),  # CORE / PE / ART (music and fine art)
    "degree": np.dtype(np.int8),
    "backbone": np.dtype(np.int8),
    "title": np.dtype(np.int8),  # 0 none/junior, 1 intermediate, 2 senior post
    "years_at_school": np.dtype(np.int16),
    "rural_years": np.dtype(np.int16),
    "on_rotation": np.dtype(bool),
    "home_school": np.dtype(np.int32),  # -1 unless rotating
    "rotation_years_left": np.dtype(np.int8),
    "contract": np.dtype(np.int8),
}

# Pupils per teacher by level and tier (Guangdong priors, H: primary 18.1 in 2023, junior
# 13.62 in 2021, kindergarten 13.61 in 2023; spread by tier is L).
PUPILS_PER_TEACHER: dict[str, tuple[float, float, float]] = {
    "kindergarten": (12.5, 14.5, 16.0),
    "primary": (20.5, 18.5, 16.0),
    "junior": (14.5, 13.0, 12.0),
    "senior": (12.9, 12.9, 12.9),  # national norm 12.5 (2014 staffing notice, M)
    "vocational": (20.0, 20.0, 20.0),  # L
    "special": (3.5, 3.5, 3.5),  # L
}
TEACHERS_PER_CLASS_MIN = {"primary": 1.2, "junior": 2.0}  # class-based floor for small schools (L)
FEMALE_SHARE = {
    "kindergarten": 0.97,
    "primary": 0.72,
    "junior": 0.58,
    "senior": 0.52,
    "vocational": 0.5,
    "special": 0.7,
}  # L: close to national shares
BENKE_SHARE = {  # share holding 本科 or more, by tier (Guangdong primary 84.42% in 2023, H)
    "kindergarten": (0.45, 0.3, 0.2),
    "primary": (0.92, 0.82, 0.70),
    "junior": (0.97, 0.9, 0.84),
    "senior": (0.99, 0.98, 0.97),
    "vocational": (0.9, 0.9, 0.9),
    "special": (0.85, 0.8, 0.8),
}
SECONDARY_SHARE_OF_REST = 0.15  # of those without 本科, share with only secondary (中师/高中) (L)
POSTGRAD_SHARE = (0.05, 0.02, 0.01)  # L
COUNTY_BACKBONE_SHARE = (0.07, 0.045, 0.03)  # 县级以上骨干 by tier (L)
SCHOOL_BACKBONE_SHARE = 0.10  # L
PE_ART_SHARE = (0.15, 0.11, 0.07)  # rural schools short of PE and art teachers (H direction, L size)
SENIOR_POST_SHARE = {
    "kindergarten": 0.08,
    "primary": 0.15,
    "junior": 0.30,
    "senior": 0.40,
    "vocational": 0.30,
    "special": 0.20,
}  # city 14th five-year plan (M-H)
NON_EDITORIAL_PUBLIC = 0.10  # L: contract teachers in public schools
MEAN_AGE_SHIFT_NORTH = 3.0  # years older in the rural north (assumption to calibrate)


@dataclass
class Teachers:
    """Columns of equal length; one row per teacher."""

    cols: dict[str, np.ndarray] = field(
        default_factory=lambda: {k: np.empty(0, dtype=v) for k, v in COLUMNS.items()}
    )

    def __len__(self) -> int:
        return len(self.cols["school"])

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            return self.__dict__["cols"][name]
        except KeyError:
            raise AttributeError(name) from None

    def age(self, year: int) -> np.ndarray:
        """Age in September of ``year``."""
        return year - self.cols["birth_year"] - (self.cols["birth_month"] > 9)

    def append(self, **values: np.ndarray) -> None:
        """Add teachers; every column must be given (scalars broadcast)."""
        n = max(len(np.atleast_1d(v)) for v in values.values())
        missing = set(COLUMNS) - set(values)
        if missing:
            raise ValueError(f"missing columns: {sorted(missing)}")
        for name, dtype in COLUMNS.items():
            new = np.broadcast_to(np.asarray(values[name], dtype=dtype), (n,))
            self.cols[name] = np.concatenate([self.cols[name], new])

    def keep(self, mask: np.ndarray) -> None:
        """Drop every teacher where ``mask`` is False."""
        for name in COLUMNS:
            self.cols[name] = self.cols[name][mask]


def school_levels(schools: SchoolTable) -> np.ndarray:
    """Statistical level name of each school (object array)."""
    names = np.array(list(SCHOOL_TYPES.values()), dtype=object)
    return names[schools.type]


def tier_pick(values: tuple[float, float, float], tier: np.ndarray) -> np.ndarray:
    """Choose per-tier values (urban, town, village) for each row."""
    return np.select([tier == URBAN, tier == TOWN], [values[0], values[1]], values[2])


def teacher_need(schools: SchoolTable, students: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Teachers each school has in 2022: pupils per teacher by level and tier, class floors."""
    levels = school_levels(schools)
    need = np.zeros(len(schools))
    for level, ratios in PUPILS_PER_TEACHER.items():
        sel = levels == level
        need[sel] = students[sel] / tier_pick(ratios, schools.tier[sel])
    for level, per_class in TEACHERS_PER_CLASS_MIN.items():
        sel = levels == level
        need[sel] = np.maximum(need[sel], classes[sel] * per_class)
    need[schools.type == TYPE_CODES["teaching_point"]] = np.maximum(
        need[schools.type == TYPE_CODES["teaching_point"]], 1
    )
    return np.where(schools.is_open & (students > 0), np.maximum(np.rint(need), 1), 0).astype(np.int64)


def new_teacher_columns(
    rng: np.random.Generator,
    school: np.ndarray,
    schools: SchoolTable,
    geo: Geography,
    year: int,
    *,
    hire: bool,
) -> dict[str, np.ndarray]:
    """Attributes for teachers at ``school`` (initial workforce, or new hires when ``hire``)."""
    n = len(school)
    levels = school_levels(schools)[school]
    tier = schools.tier[school]
    north = data.counties().loc[geo.counties, "north"].to_numpy().astype(bool)[schools.county[school]]
    female_p = np.array([FEMALE_SHARE[lv] for lv in levels]) if n else np.empty(0)
    female = rng.random(n) < female_p
    if hire:
        age = rng.integers(22, 29, n)
    else:
        top = np.where(female, 55, 60)
        shape = np.where(north & (tier != URBAN), 2.6, 2.0)
        age = np.rint(22 + rng.beta(shape, 2.0) * (top - 22)).astype(int)
    benke_p = np.array([BENKE_SHARE[lv][0] for lv in levels]) if n else np.empty(0)
    benke_p = np.where(
        tier == URBAN, benke_p, np.array([BENKE_SHARE[lv][1] for lv in levels]) if n else benke_p
    )
    village = tier == 2
    if n:
        benke_p[village] = np.array([BENKE_SHARE[lv][2] for lv in levels[village]])
    benke_p = benke_p - 0.05 * north
    if hire:
        benke_p = np.minimum(benke_p + 0.08, 0.99)  # new graduates hold more degrees (L)
    u = rng.random(n)
    degree = np.where(
        u < benke_p, BENKE, np.where(rng.random(n) < SECONDARY_SHARE_OF_REST, SECONDARY, DAZHUAN)
    )
    degree = np.where((degree == BENKE) & (rng.random(n) < tier_pick(POSTGRAD_SHARE, tier)), POSTGRAD, degree)
    if hire:
        backbone = np.zeros(n, dtype=np.int8)
    else:
        u = rng.random(n)
        county_bb = tier_pick(COUNTY_BACKBONE_SHARE, tier) * np.where(north, 0.8, 1.0)
        backbone = np.where(
            u < county_bb,
            np.where(rng.random(n) < 0.25, CITY_BACKBONE, COUNTY_BACKBONE),
            np.where(u < county_bb + SCHOOL_BACKBONE_SHARE, SCHOOL_BACKBONE, NO_BACKBONE),
        )
        backbone = np.where(age < 28, NO_BACKBONE, backbone)
    pe_art = rng.random(n) < tier_pick(PE_ART_SHARE, tier)
    subject = np.where(pe_art, np.where(rng.random(n) < 0.5, PE, ART), CORE)
    senior_p = np.array([SENIOR_POST_SHARE[lv] for lv in levels]) if n else np.empty(0)
    u = rng.random(n)
    title = np.where(hire, 0, np.where(u < senior_p * (age > 35), 2, np.where(u < 0.55, 1, 0)))
    years = (
        np.minimum(age - 22, np.rint(rng.exponential(8.0, n)).astype(int)) if not hire else np.zeros(n, int)
    )
    private = schools.type[school] == TYPE_CODES["kg_private"]
    puhui = schools.type[school] == TYPE_CODES["kg_puhui"]
    contract = np.where(private | puhui | (rng.random(n) < NON_EDITORIAL_PUBLIC), 1, EDITORIAL)
    birth_month = rng.integers(1, 13, n)
    return {
        "school": school,
        "birth_year": year - age,
        "birth_month": birth_month,
        "female": female,
        "subject": subject,
        "degree": degree,
        "backbone": backbone,
        "title": title,
        "years_at_school": years,
        "rural_years": np.where(tier != URBAN, years, 0),
        "on_rotation": False,
        "home_school": -1,
        "rotation_years_left": 0,
        "contract": contract,
    }


def initial_teachers(
    schools: SchoolTable,
    geo: Geography,
    students: np.ndarray,
    classes: np.ndarray,
    rng: np.random.Generator,
    year: int,
) -> Teachers:
    """The 2022 workforce: each school's need filled, attributes by level and tier."""
    need = teacher_need(schools, students, classes)
    school = np.repeat(np.arange(len(schools), dtype=np.int32), need)
    teachers = Teachers()
    teachers.append(**new_teacher_columns(rng, school, schools, geo, year, hire=False))
    return teachers
