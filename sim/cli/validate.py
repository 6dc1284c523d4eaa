"""``python -m sim validate RUN_DIR [--json] [--holdout PATH]``: back-test a run on held-out data.

Prints a table of model value, published value, error, tolerance band and verdict for each
held-out figure the run can be compared with, and the rows it cannot compare with the
reason. Exit code 1 when a compared row falls outside its band; bad input exits 2.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from sim.core.errors import InputError
from sim.core.rundir import verify_run


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``validate``."""
    parser.add_argument("run_dir", help="a run directory written by `python -m sim run`")
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON")
    parser.add_argument(
        "--holdout", default=None, help="a held-out CSV or directory (default: the packaged sim/data/holdout)"
    )


def _read_run(run_dir: Path) -> tuple[pd.DataFrame, dict]:
    if not run_dir.is_dir():
        raise InputError("not a directory (give a run directory from `python -m sim run`)", source=run_dir)
    cy_path = run_dir / "county_year.parquet"
    manifest = verify_run(run_dir)  # refuses a folder whose tables do not match its manifest
    if not cy_path.exists():
        raise InputError("missing county_year.parquet: not a complete run directory", source=run_dir)
    try:
        cy = pd.read_parquet(cy_path)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the run ({exc.__class__.__name__})", source=run_dir) from None
    missing = {"year", "county", "metric", "value"} - set(cy.columns)
    if missing:
        raise InputError(f"county_year has no columns {sorted(missing)}", source=cy_path)
    return cy, manifest


def main(args: argparse.Namespace) -> int:
    """Compare the run with every held-out row; exit 1 if any compared row is outside its band."""
    from sim.data.holdout import compare, load_holdout, render_markdown, run_info, summary, to_records

    run_dir = Path(args.run_dir)
    cy, manifest = _read_run(run_dir)
    holdout = load_holdout(args.holdout)
    info = run_info(manifest)
    comparisons = compare(holdout, cy, info)
    if args.json:
        out = {"run": str(run_dir), "summary": summary(comparisons), "rows": to_records(comparisons)}
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        print(render_markdown(comparisons, info.name or run_dir.name))
    return 1 if summary(comparisons)["outside"] else 0
