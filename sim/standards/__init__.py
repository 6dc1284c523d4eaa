"""National county standards and the plan scorecard (DESIGN §5).

* ``compulsory.toml`` / ``preschool.toml``: every threshold and rule, with sources.
* ``evaluate_compulsory(schools, county_data)``: 义务教育优质均衡 (2017) from a school
  table; ``teaching_point`` and ``max_class_size`` columns are optional.
* ``evaluate_preschool(counties)``: 学前教育普及普惠 (2020) from per-county counts
  (``aggregate_kindergartens`` sums a per-kindergarten table to that shape).
* ``plan_scorecard(county_year)``: the plan's targets per year (``targets.parquet``).
* ``read_schools_csv`` and friends: real data in, with line-numbered errors.

The model calls the evaluators every year; ``python -m sim evaluate`` calls them on a CSV.
"""

from sim.standards.evaluator import (
    OPTIONAL_SCHOOL_COLUMNS,
    SCHOOL_COLUMNS,
    CompulsoryEvaluation,
    evaluate_compulsory,
)
from sim.standards.io import (
    read_county_data_csv,
    read_kindergartens_csv,
    read_preschool_counties_csv,
    read_schools_csv,
)
from sim.standards.preschool import (
    COUNTY_COLUMNS,
    KINDERGARTEN_COLUMNS,
    PreschoolEvaluation,
    aggregate_kindergartens,
    evaluate_preschool,
)
from sim.standards.spec import load_compulsory, load_preschool, load_standard
from sim.standards.targets import TARGETS, plan_scorecard

__all__ = [
    "COUNTY_COLUMNS",
    "KINDERGARTEN_COLUMNS",
    "OPTIONAL_SCHOOL_COLUMNS",
    "SCHOOL_COLUMNS",
    "TARGETS",
    "CompulsoryEvaluation",
    "PreschoolEvaluation",
    "aggregate_kindergartens",
    "evaluate_compulsory",
    "evaluate_preschool",
    "load_compulsory",
    "load_preschool",
    "load_standard",
    "plan_scorecard",
    "read_county_data_csv",
    "read_kindergartens_csv",
    "read_preschool_counties_csv",
    "read_schools_csv",
]
