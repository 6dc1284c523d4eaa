"""Teachers as numpy columns, their initial 2022 workforce, and per-school counts.

About 57,000 teachers: columns rather than Mesa agents, because every workforce rule is a
mask over all of them (retire, leave, rotate, promote) and the standard's indicators are
``bincount``s by school. Measured on this machine: creating 57,000 bare ``mesa.Agent``s
takes 0.95 s, allocating their 14 columns 0.007 s; the whole workforce year is faster than
the agents' creation alone.

Initial ratios follow the Guangdong priors in reference/qingyuan.md (H), thinner and older
in the rural north (assumption); each number's source sits beside it. Confidence marks as
in the reference: H official, M one secondary source or derived, L an assumption to vary.
"""

from __future__ import annotations

import functools

import numpy as np

from sim import data
from sim.core.columns import ColumnTable
from sim.core.crn import BORN, ids_by_county
from sim.core.names import COUNTIES, SCHOOL_TYPES, TYPE_CODES
from sim.world.geography import TOWN, URBAN, Geography
from sim.world.schools import SchoolTable

CORE, PE, ART = 0, 1, 2
SECONDARY, DAZHUAN, BENKE, POSTGRAD = 0, 1, 2, 3
NO_BACKBONE, SCHOOL_BACKBONE, COUNTY_BACKBONE, CITY_BACKBONE = 0, 1, 2, 3
EDITORIAL = 0  # 编制 contract; 1 = non-编制
# School levels as small integer codes, for grouping teachers by the level of their school.
LEVELS: tuple[str, ...] = tuple(dict.fromkeys(SCHOOL_TYPES.values()))
LEVEL_OF_TYPE = np.array([LEVELS.index(v) for v in SCHOOL_TYPES.values()], dtype=np.int8)
PRIMARY_LEVEL, JUNIOR_LEVEL = LEVELS.index("primary"), LEVELS.index("junior")
PRIVATE_TYPES = (TYPE_CODES["kg_private"], TYPE_CODES["kg_puhui"])  # staff hired privately
HIRE_ID_BASE = 1 << 56  # hires are numbered in order from here (initial ids are far below)

COLUMNS: dict[str, np.dtype] = {
    "id": np.dtype(np.int64),  # stable (sim.crn): keys the teacher's random numbers
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
    "directed": np.dtype(bool),  # came through the 定向 (directed) rural pipeline
    "commitment_years_left": np.dtype(np.int8),  # service still owed at a rural school (定向)
}

# Pupils per teacher by level and tier (Guangdong priors, H: primary 18.1 in 2023, junior
# 13.62 in 2021, kindergarten 13.61 in 2023; spread by tier is L).
PUPILS_PER_TEACHER: dict[str, tuple[float, float, float]] = {
    "kindergarten": (11.8, 13.7, 15.2),  # tier spread L, scaled so the city matches 13.61
    "primary": (20.5, 18.5, 16.0),
    "junior": (14.5, 13.0, 12.0),
    "senior": (12.9, 12.9, 12.9),  # national norm 12.5 (2014 staffing notice, M)
    "vocational": (20.0, 20.0, 20.0),  # L
    "special": (3.5, 3.5, 3.5),  # L
}
TEACHERS_PER_CLASS_MIN = {"primary": 1.2, "junior": 2.0}  # class-based floor for small schools (L)
NORTH_RURAL_STAFFING = 0.95  # "thinner in the rural north": 5% fewer teachers per pupil (L)
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
NORTH_BENKE_GAP = 0.05  # the rural north holds fewer degrees (L)
NEW_HIRE_BENKE_UPLIFT = 0.08  # new graduates hold more degrees than the serving stock (L)
SECONDARY_SHARE_OF_REST = 0.15  # of those without 本科, share with only secondary (中师/高中) (L)
POSTGRAD_SHARE = (0.05, 0.02, 0.01)  # L
# 县级以上骨干 share of teachers by tier (L: the reference gives no Qingyuan figure; the
# standard wants 1 per 100 pupils, about 17% of primary teachers, which few rural schools
# reach). The north has 20% fewer (L). A quarter of them are city level or above (L).
# county-level+ backbone share of teachers by tier: set so the south starts near 鸠江区's 2023
# backbone teachers per 100 pupils (0.89, 69% of schools below the line; sim/data/comparators.py)
COUNTY_BACKBONE_SHARE = (0.22, 0.16, 0.11)
NORTH_BACKBONE_FACTOR = 0.8
CITY_SHARE_OF_BACKBONE = 0.25
SCHOOL_BACKBONE_SHARE = 0.10  # L
BACKBONE_MIN_AGE = 28  # L: backbone status needs some years of service
# rural schools short of PE and art teachers (H direction); sizes set so the south starts near
# 鸠江区's 2023 PE+art teachers per 100 pupils (0.88, 60% of schools below; comparators.py)
PE_ART_SHARE = (0.22, 0.16, 0.10)
SENIOR_POST_SHARE = {
    "kindergarten": 0.08,
    "primary": 0.15,
    "junior": 0.30,
    "senior": 0.40,
    "vocational": 0.30,
    "special": 0.20,
}  # city 14th five-year plan (M-H)
INTERMEDIATE_SHARE = 0.40  # L: share with an intermediate title among the rest
NON_EDITORIAL_PUBLIC = 0.10  # L: contract teachers in public schools
# Age structure: density over the working ages rises or falls linearly (tilt in [-1, 1];
# 0 = uniform, which gives a mean near 39, the national mean for primary teachers, M).
# Villages and towns are older, most of all in the rural north; kindergartens are young
# (many private ones hire recent graduates). All L, to calibrate.
AGE_TILT_BY_TIER = (-0.1, 0.15, 0.35)
AGE_TILT_NORTH_RURAL = 0.25
AGE_TILT_KINDERGARTEN = -0.6
ENTRY_AGE = 22
HIRE_AGES = (22, 29)  # new hires are 22-28 (L)


class Teachers(ColumnTable):
    """The teachers; ``teachers.<column>[i]`` is teacher i's attribute."""

    COLUMNS = COLUMNS

    def append(self, **values: np.ndarray) -> None:
        """Add rows; teachers given no ``id`` get fresh ones, never used before in this run."""
        if "id" not in values:
            n = max((len(v) for v in values.values() if np.ndim(v)), default=0)
            start = max(
                int(self.cols["id"].max(initial=-1)) + 1, self.__dict__.get("_next_id", 0), HIRE_ID_BASE
            )
            values["id"] = start + np.arange(n, dtype=np.int64)
            self.__dict__["_next_id"] = start + n
        super().append(**values)

    def age(self, year: int) -> np.ndarray:
        """Age in September of ``year``."""
        return year - self.cols["birth_year"] - (self.cols["birth_month"] > 9)


def school_levels(schools: SchoolTable) -> np.ndarray:
    """Statistical level name of each school (object array)."""
    names = np.array(list(SCHOOL_TYPES.values()), dtype=object)
    return names[schools.type]


def tier_pick(values: tuple[float, float, float], tier: np.ndarray) -> np.ndarray:
    """Choose per-tier values (urban, town, village) for each row."""
    return np.select([tier == URBAN, tier == TOWN], [values[0], values[1]], values[2])


def level_pick(table: dict[str, float], levels: np.ndarray) -> np.ndarray:
    """Per-row value of a by-level table (``levels`` is an object array of level names)."""
    out = np.zeros(len(levels))
    for level, value in table.items():
        out[levels == level] = value
    return out


def level_tier_pick(
    table: dict[str, tuple[float, float, float]], levels: np.ndarray, tier: np.ndarray
) -> np.ndarray:
    """Per-row value of a by-level, by-tier table."""
    out = np.zeros(len(levels))
    for level, values in table.items():
        sel = levels == level
        out[sel] = tier_pick(values, tier[sel])
    return out


def north_of(schools: SchoolTable, geo: Geography, school: np.ndarray) -> np.ndarray:
    """Whether each school in ``school`` lies in the mountainous north."""
    return _north_counties(tuple(geo.counties))[schools.county[school]]


@functools.cache
def _north_counties(counties: tuple[str, ...]) -> np.ndarray:
    """Per county (in ``counties`` order), whether it is in the north: read once, not per hire."""
    north = data.counties().loc[list(counties), "north"].to_numpy().astype(bool)
    north.flags.writeable = False
    return north


def teacher_need(
    schools: SchoolTable, students: np.ndarray, classes: np.ndarray, north: np.ndarray | None = None
) -> np.ndarray:
    """Teachers each school has in 2022: pupils per teacher by level and tier, class floors.

    ``north`` (per school) thins rural schools of the mountainous north.
    """
    levels = school_levels(schools)
    ratio = level_tier_pick(PUPILS_PER_TEACHER, levels, schools.tier)
    if north is not None:
        ratio = np.where(north & (schools.tier != URBAN), ratio / NORTH_RURAL_STAFFING, ratio)
    need = np.divide(students, ratio, out=np.zeros(len(schools)), where=ratio > 0)
    for level, per_class in TEACHERS_PER_CLASS_MIN.items():
        sel = levels == level
        need[sel] = np.maximum(need[sel], classes[sel] * per_class)
    need[schools.type == TYPE_CODES["teaching_point"]] = np.maximum(
        need[schools.type == TYPE_CODES["teaching_point"]], 1
    )
    return np.where(schools.is_open & (students > 0), np.maximum(np.rint(need), 1), 0).astype(np.int64)


def tilted_uniform(rng: np.random.Generator, tilt: np.ndarray) -> np.ndarray:
    """Draws on [0, 1) with density 1 + tilt·(2x − 1) (inverse CDF; tilt in [-1, 1])."""
    u = rng.random(len(tilt))
    k = np.clip(tilt, -0.999, 0.999)
    safe = np.where(np.abs(k) < 1e-9, 1.0, k)
    root = (-(1 - k) + np.sqrt((1 - k) ** 2 + 4 * k * u)) / (2 * safe)
    return np.clip(np.where(np.abs(k) < 1e-9, u, root), 0.0, 1.0 - 1e-12)


def initial_ages(
    rng: np.random.Generator, female: np.ndarray, levels: np.ndarray, tier: np.ndarray, north: np.ndarray
) -> np.ndarray:
    """Whole ages in September 2022, from 22 up to one below the old retirement age."""
    top = np.where(female, 55, 60)  # pre-reform ages: no one serving is past them in 2022
    tilt = tier_pick(AGE_TILT_BY_TIER, tier) + AGE_TILT_NORTH_RURAL * (north & (tier != URBAN))
    tilt = np.where(levels == "kindergarten", AGE_TILT_KINDERGARTEN, tilt)
    return ENTRY_AGE + np.floor(tilted_uniform(rng, tilt) * (top - ENTRY_AGE)).astype(np.int64)


def draw_degree(
    rng: np.random.Generator, levels: np.ndarray, tier: np.ndarray, north: np.ndarray, *, hire: bool
) -> np.ndarray:
    """Degrees by level and tier: the 本科+ share, then 大专 or secondary, some postgraduates."""
    n = len(levels)
    benke_p = level_tier_pick(BENKE_SHARE, levels, tier) - NORTH_BENKE_GAP * north
    if hire:
        benke_p = np.minimum(benke_p + NEW_HIRE_BENKE_UPLIFT, 0.99)
    degree = np.where(
        rng.random(n) < benke_p,
        BENKE,
        np.where(rng.random(n) < SECONDARY_SHARE_OF_REST, SECONDARY, DAZHUAN),
    )
    postgrad = (degree == BENKE) & (rng.random(n) < tier_pick(POSTGRAD_SHARE, tier))
    return np.where(postgrad, POSTGRAD, degree)


def new_teacher_columns(
    rng: np.random.Generator,
    school: np.ndarray,
    schools: SchoolTable,
    geo: Geography,
    year: int,
    *,
    hire: bool,
    pe_art: np.ndarray | None = None,
    backbone_scale: float = 1.0,
) -> dict[str, np.ndarray]:
    """Attributes for teachers at ``school`` (initial workforce, or new hires when ``hire``).

    ``pe_art`` (per row, optional) forces a PE or art specialist where True; elsewhere the
    subject follows the tier's PE/art share.
    """
    n = len(school)
    levels = school_levels(schools)[school]
    tier = schools.tier[school]
    north = north_of(schools, geo, school)
    female = rng.random(n) < level_pick(FEMALE_SHARE, levels)
    age = rng.integers(*HIRE_AGES, n) if hire else initial_ages(rng, female, levels, tier, north)
    degree = draw_degree(rng, levels, tier, north, hire=hire)
    if hire:
        backbone = np.zeros(n, dtype=np.int8)
    else:
        u = rng.random(n)
        county_bb = tier_pick(COUNTY_BACKBONE_SHARE, tier) * np.where(north, NORTH_BACKBONE_FACTOR, 1.0)
        county_bb = np.minimum(county_bb * backbone_scale, 1.0 - SCHOOL_BACKBONE_SHARE)
        backbone = np.where(
            u < county_bb,
            np.where(rng.random(n) < CITY_SHARE_OF_BACKBONE, CITY_BACKBONE, COUNTY_BACKBONE),
            np.where(u < county_bb + SCHOOL_BACKBONE_SHARE, SCHOOL_BACKBONE, NO_BACKBONE),
        )
        backbone = np.where(age < BACKBONE_MIN_AGE, NO_BACKBONE, backbone)
    specialist = rng.random(n) < tier_pick(PE_ART_SHARE, tier)
    if pe_art is not None:
        specialist = specialist | pe_art
    subject = np.where(specialist, np.where(rng.random(n) < 0.5, PE, ART), CORE)
    senior_p = level_pick(SENIOR_POST_SHARE, levels)
    u = rng.random(n)
    if hire:
        title = np.zeros(n, dtype=np.int8)
    else:
        # the senior share holds among those over 35, the level's quota overall (L)
        over35 = age > 35
        share_over35 = np.maximum(over35.mean(), 1e-9) if n else 1.0
        title = np.where(
            u < np.minimum(senior_p / share_over35, 0.95) * over35,
            2,
            np.where(rng.random(n) < INTERMEDIATE_SHARE * (age >= 27), 1, 0),
        )
    years = (
        np.minimum(age - ENTRY_AGE, np.rint(rng.exponential(8.0, n)).astype(int))
        if not hire
        else np.zeros(n, int)
    )
    private = np.isin(schools.type[school], PRIVATE_TYPES)
    contract = np.where(private | (rng.random(n) < NON_EDITORIAL_PUBLIC), 1, EDITORIAL)
    birth_month = rng.integers(1, 13, n)
    return {
        "school": school,
        # age is the age in September: those born in October-December are a year older
        "birth_year": year - age - (birth_month > 9),
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
        "directed": False,
        "commitment_years_left": 0,
    }


def initial_teachers(
    schools: SchoolTable,
    geo: Geography,
    students: np.ndarray,
    classes: np.ndarray,
    rng: np.random.Generator,
    year: int,
    backbone_scale: float = 1.0,
) -> Teachers:
    """The 2022 workforce: each school's need filled, attributes by level and tier.

    ``backbone_scale`` multiplies the county-level+ backbone shares (an uncertain stock,
    ``schools.stock_backbone_scale``).
    """
    north = north_of(schools, geo, np.arange(len(schools)))
    need = teacher_need(schools, students, classes, north)
    school = np.repeat(np.arange(len(schools), dtype=np.int32), need)
    teachers = Teachers()
    cols = new_teacher_columns(rng, school, schools, geo, year, hire=False, backbone_scale=backbone_scale)
    # ids numbered within each county, so a county's teachers keep theirs in a subset run
    codes = np.array([COUNTIES.index(c) for c in geo.counties])
    cols["id"] = ids_by_county(year, BORN, codes[schools.county[school]])
    teachers.append(**cols)
    return teachers
