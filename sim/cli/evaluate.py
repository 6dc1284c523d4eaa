"""``python -m sim evaluate SCHOOLS.csv``: judge real school data against a standard.

For an education bureau preparing for inspection: one CSV row per school (or per
kindergarten, or per county for preschool counts), optional per-county items in
``--county-data``. Prints a table per county with the verdict and the binding criteria, or
with ``--json`` a machine-readable object. Bad input prints one ``error:`` line naming the
file, line and column (exit code 2).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from sim.core.errors import InputError
from sim.core.provenance import atomic_write_bytes
from sim.core.rundir import check_writable

if TYPE_CHECKING:  # pandas is imported when the command runs: --help stays light
    import pandas as pd


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``python -m sim evaluate``."""
    parser.add_argument(
        "csv",
        metavar="SCHOOLS.csv",
        help="one row per school (compulsory), or per kindergarten / per county (preschool)",
    )
    parser.add_argument(
        "--standard",
        choices=["compulsory", "preschool"],
        default="compulsory",
        help="义务教育优质均衡 (compulsory, default) or 学前教育普及普惠 (preschool)",
    )
    parser.add_argument(
        "--county-data",
        metavar="FILE.csv",
        help="per-county items (rotation_rate, salary_parity, junior_retention, "
        "social_recognition, veto flags, children_3_5 ...); absent items are 'not assessed'",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON object instead of tables")
    parser.add_argument("--out", metavar="FILE", help="write the output to FILE instead of stdout")
    parser.add_argument(
        "--standard-file",
        metavar="TOML",
        help="an edited copy of the standard's thresholds (default: the packaged national one)",
    )
    parser.add_argument(
        "--no-schools", action="store_true", help="leave out the per-school tables (text output)"
    )


def _check_counties(county_data: pd.DataFrame, known: list[str], source: str) -> None:
    for line, county in zip(county_data["line"], county_data["county"], strict=True):
        if county not in known:
            raise InputError(
                f"county {county!r} is not in the main CSV (counties there: {', '.join(known)})",
                source=source,
                key=f"line {line}, column county",
            )


def _compulsory(args: argparse.Namespace) -> tuple[str, dict]:
    from sim.standards.evaluator import evaluate_compulsory
    from sim.standards.io import read_county_data_csv, read_schools_csv
    from sim.standards.render import compulsory_text
    from sim.standards.spec import load_compulsory

    standard = load_compulsory(args.standard_file)
    schools = read_schools_csv(args.csv)
    county_data = None
    if args.county_data:
        county_data = read_county_data_csv(args.county_data)
        _check_counties(county_data, list(dict.fromkeys(schools["county"])), args.county_data)
    ev = evaluate_compulsory(schools, county_data, standard=standard)
    return compulsory_text(ev, schools=not args.no_schools), ev.to_dict()


def _preschool(args: argparse.Namespace) -> tuple[str, dict]:
    from sim.standards.io import (
        read_county_data_csv,
        read_kindergartens_csv,
        read_preschool_counties_csv,
        sniff_header,
    )
    from sim.standards.preschool import aggregate_kindergartens, evaluate_preschool
    from sim.standards.render import preschool_text
    from sim.standards.spec import load_preschool

    standard = load_preschool(args.standard_file)
    header = sniff_header(args.csv)
    county_data = read_county_data_csv(args.county_data) if args.county_data else None
    if "kindergarten" in header:
        kgs = read_kindergartens_csv(args.csv)
        pop = None
        if county_data is not None:
            _check_counties(county_data, list(dict.fromkeys(kgs["county"])), args.county_data)
            pop = county_data.set_index("county").get("children_3_5")
        counties = aggregate_kindergartens(kgs, pop, standard=standard)
    else:
        if "children" in header and "enrolled" not in header:
            raise InputError(
                "no 'kindergarten' column, so it was read as per-county counts, but it has the "
                f"columns of a per-kindergarten file (found: {', '.join(header)}); a per-kindergarten "
                "file needs a 'kindergarten' column",
                source=args.csv,
                key="header",
            )
        counties = read_preschool_counties_csv(args.csv).drop(columns="line")
        if county_data is not None:
            _check_counties(county_data, list(counties["county"]), args.county_data)
    if county_data is not None:
        extra = county_data.drop(columns="line").set_index("county")
        counties = counties.set_index("county")
        for col in extra.columns:
            if col in counties.columns:
                counties[col] = counties[col].where(counties[col].notna(), extra[col])
            else:
                counties[col] = extra[col]
        counties = counties.reset_index()
    ev = evaluate_preschool(counties, standard=standard)
    return preschool_text(ev), ev.to_dict()


def main(args: argparse.Namespace) -> int:
    """Evaluate, then print or write the tables or the JSON object."""
    text, data = _compulsory(args) if args.standard == "compulsory" else _preschool(args)
    output = json.dumps(data, ensure_ascii=False, indent=2) + "\n" if args.json else text
    if args.out:
        out = Path(args.out)
        if out.is_dir():
            raise InputError("is a folder; --out names the file to write", source=out)
        check_writable(out.parent)
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(out, output.encode("utf-8"))
        except OSError as exc:
            raise InputError(f"cannot write ({exc.strerror})", source=out) from None
        print(f"wrote {out}")
    else:
        print(output, end="")
    return 0
