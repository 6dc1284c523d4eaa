"""Names shared by the model, the results store, the evaluator, the runner and the report.

Output tables are tidy so they can be stacked across scenarios and replicates:

* ``county_year``: ``year, county, metric, value`` (county is a Chinese county name or
  ``全市`` for the city). Metric names follow ``n_<stock>``, ``new_<flow>``,
  ``cum_<flow>``, ``<thing>_rate``/``_share`` (Covasim/Starsim convention).
* ``school_year``: one row per open school per year, columns in ``SCHOOL_YEAR_COLUMNS``.
  Its compulsory-standard columns carry the same names and units as the CSV that
  ``python -m sim evaluate`` reads, so the evaluator serves both.
* ``targets``: ``year, target, value, threshold, met`` (the plan scorecard).
"""

from __future__ import annotations

# The 8 county-level units of Qingyuan, in the order of the statistical bulletins.
COUNTIES: tuple[str, ...] = (
    "清城区",
    "清新区",
    "英德市",
    "连州市",
    "佛冈县",
    "阳山县",
    "连山壮族瑶族自治县",
    "连南瑶族自治县",
)
CITY = "全市"
# The initial state: autumn 2022, the last school year with published city totals (清远市教育局).
START_YEAR = 2022

COUNTY_YEAR_COLUMNS = ("year", "county", "metric", "value")
# County metrics every run reports, for every county and the city (the baseline issue's list).
CORE_COUNTY_METRICS: frozenset[str] = frozenset(
    {
        "new_births",
        "n_students_preschool",
        "n_students_primary",
        "n_students_junior",
        "n_students_senior_general",
        "n_students_vocational",
        "n_boarding",
        "n_left_behind",
        "n_schools_open",
        "n_teachers",
        "students_per_teacher_primary",
        "n_large_classes",
        "urbanisation_rate",
        "population",
    }
)
TARGET_COLUMNS = ("year", "target", "value", "threshold", "met", "status")

# School types (DESIGN §2). The level tells which standard and statistics line applies.
SCHOOL_TYPES: dict[str, str] = {
    "kg_public": "kindergarten",  # 公办幼儿园 (incl. township central kindergartens)
    "kg_puhui": "kindergarten",  # 普惠性民办幼儿园
    "kg_private": "kindergarten",  # 营利性/非普惠民办幼儿园
    "teaching_point": "primary",  # 教学点
    "village_primary": "primary",  # 村小
    "central_primary": "primary",  # 乡镇中心小学
    "urban_primary": "primary",  # 城区小学
    "nine_year": "junior",  # 九年一贯制 (counted under junior in statistics)
    "junior": "junior",  # 初级中学
    "complete_middle": "senior",  # 完全中学 (counted under senior in statistics)
    "county_high": "senior",  # 县中
    "city_high": "senior",  # 市属高中
    "vocational": "vocational",  # 中职
    "special": "special",  # 特殊教育学校
}
TYPE_CODES: dict[str, int] = {name: i for i, name in enumerate(SCHOOL_TYPES)}
TIERS: tuple[str, ...] = ("urban", "town", "village")  # 城区(县城) / 镇区 / 乡村

# Stage codes of the student columns.
STAGES: tuple[str, ...] = (
    "not_enrolled",
    "preschool",
    "primary",
    "junior",
    "senior_general",
    "vocational",
    "special",
)

SCHOOL_YEAR_COLUMNS: tuple[str, ...] = (
    "year",
    "school_id",
    "school",  # a readable synthetic name
    "county",
    "township",
    "tier",
    "level",
    "type",
    "status",
    "group_id",  # -1 when not in a group / community
    "students",
    "students_preschool",
    "students_primary",
    "students_junior",
    "students_senior",
    "boarders",
    "beds",
    "capacity",
    "classes",
    "max_class_size",
    "n_large_classes",
    "teachers",
    "teachers_above_degree_primary",  # 大专+ (primary's "above required degree")
    "teachers_above_degree_junior",  # 本科+ (junior's)
    "backbone_teachers",  # 县级以上骨干
    "pe_art_teachers",  # time-weighted: shared (走教) teachers count where they teach (workforce.sharing)
    "pe_art_teachers_shared_in",  # net 走教 time received (negative at lending schools)
    "teachers_on_rotation",  # rotating teachers teaching here (counted in the columns above)
    "teacher_vacancies",  # staffing-norm posts left unfilled after this year's hiring
    "teaching_space_m2",
    "sports_area_m2",
    "equipment_yuan",
    "multimedia_classrooms",
    "teaching_point",
    "quality",
    "mean_achievement",
)

# county_year metric → the preschool standard's indicator it feeds (sim.measure.standards_hook);
# the report's criteria read it too, without importing the model's layers
PRESCHOOL_METRICS: dict[str, str] = {
    "gross_enrolment_rate_preschool": "gross_enrolment",
    "puhui_coverage_rate": "puhui_coverage",
    "public_share_preschool": "public_share",
    "children_per_teacher_preschool": "children_per_teacher",
    "class_compliance_rate_preschool": "class_compliance",
}
