"""``python -m sim metrics [DIR] [--lang zh|en]``: the county metrics, their names and units.

Without DIR it lists the metrics every run writes (``sim.core.names.CORE_COUNTY_METRICS``)
and every one the reports have a name for, then the metric families named by pattern;
with a run directory it lists the metrics that run wrote. Use the names with ``--metrics``
(``report``, ``compare``) and in experiment specs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

FAMILIES = (
    ("n_students_<stage>_<tier>", "students", "students of a stage in urban/town/village schools"),
    ("n_teachers_<level>, n_vacancies_<level>", "teachers", "teachers and unfilled posts by level"),
    ("cv_<indicator>_<level>", "coefficient", "difference coefficient of a standard indicator"),
    ("n_schools_passing_<level>, share_schools_passing_<level>", "schools / share",
     "schools meeting 6 of the 7 indicators"),
    ("cost_yuan_<lever>", "yuan", "yearly cost of one lever type"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``metrics``."""
    parser.add_argument("directory", type=Path, nargs="?", default=None,
                        help="a run directory: list the metrics it wrote (default: the known ones)")
    parser.add_argument("--lang", choices=("en", "zh"), default="en", help="label language")


def rows(names: list[str], lang: str) -> list[tuple[str, str, str]]:
    """(metric, unit, label) for each name, sorted."""
    from sim.plots import labels as lbl

    out = []
    for name in sorted(set(names)):
        label = lbl.metric_label(name)
        unit = lbl.UNITS.get(label.unit, (label.unit, label.unit))[0 if lang == "zh" else 1]
        text = label.text(lang) if label.zh != name else "–"
        out.append((name, unit or "–", text))
    return out


def main(args: argparse.Namespace) -> int:
    """Print one metric a line: name, unit, label."""
    from sim.core.names import CORE_COUNTY_METRICS
    from sim.plots import labels as lbl

    if args.directory is not None:
        from sim.report.load import load_run

        names = list(load_run(args.directory).county_year["metric"].unique())
    else:
        names = [*CORE_COUNTY_METRICS, *lbl.METRICS]
    table = rows(names, args.lang)
    width = max(len(r[0]) for r in table)
    unit_w = max(len(r[1]) for r in table)
    for name, unit, text in table:
        print(f"{name:<{width}}  {unit:<{unit_w}}  {text}")
    if args.directory is None:
        print("\nfamilies (one metric per stage, tier, level, indicator or lever):")
        for pattern, unit, text in FAMILIES:
            print(f"  {pattern:<{width}}  {unit:<{unit_w}}  {text}")
    return 0
