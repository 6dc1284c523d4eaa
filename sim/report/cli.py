"""``python -m sim report DIR [--lang zh|en]``: write DIR/report.html and DIR/figures/.

Works on a run directory and on an experiment directory alike. Matplotlib is imported only
inside ``main`` so that building the command-line parser stays cheap.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", type=Path, help="a run or experiment output directory")
    parser.add_argument("--lang", choices=("en", "zh"), default="en",
                        help="label language; zh prints Chinese with English (default: en)")
    parser.add_argument("--out", type=Path, default=None,
                        help="where to write report.html and figures/ (default: DIRECTORY)")


def main(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")  # files only; never open a window
    from sim.report.build import write_report

    started = time.perf_counter()
    path = write_report(args.directory, lang=args.lang, out=args.out)
    print(f"wrote {path} and {path.parent / 'figures'}/ in {time.perf_counter() - started:.1f} s")
    return 0
