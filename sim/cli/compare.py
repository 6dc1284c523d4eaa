"""``python -m sim compare DIR_A DIR_B ... [--out DIR] [--lang zh|en]``.

Puts two or more runs, or the scenarios of experiments, side by side in one self-contained
``report.html`` with its figures. Matplotlib is imported only inside ``main``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sim.cli.report import dpi_value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``compare``: two or more run folders, labels, language, output."""
    parser.add_argument("directories", type=Path, nargs="+",
                        help="run or experiment output directories (two or more scenarios)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output directory (default: compare-A-vs-B beside the first)")
    parser.add_argument("--lang", choices=("en", "zh"), default="en",
                        help="label language; zh prints Chinese with English (default: en)")
    parser.add_argument("--dpi", type=dpi_value, default=150, metavar="50..600",
                        help="PNG resolution (default: 150; the SVG files are resolution-free)")


def main(args: argparse.Namespace) -> int:
    """Put the runs side by side and write the comparison report."""
    import matplotlib

    matplotlib.use("Agg")
    from sim.report.compare import write_comparison

    started = time.perf_counter()
    path = write_comparison(args.directories, out=args.out, lang=args.lang, dpi=args.dpi)
    print(f"wrote {path} and {path.parent / 'figures'}/ in {time.perf_counter() - started:.1f} s")
    return 0
