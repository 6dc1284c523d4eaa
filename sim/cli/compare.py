"""``python -m sim compare DIR_A DIR_B ... [--out DIR] [--lang zh|en]``.

Puts two or more runs, or the scenarios of experiments, side by side in one self-contained
``report.html`` with its figures. Matplotlib is imported only inside ``main``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sim.cli.report import dpi_value, metric_list


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
    parser.add_argument("--metrics", type=metric_list, default=None, metavar="M1,M2,...",
                        help="city metrics to compare and difference (default: the key metrics, "
                        "the ones each scenario's levers act on and the ones that differ most; "
                        "names: python -m sim metrics)")
    parser.add_argument("--reference", default=None,
                        help="scenario the others are measured against (default: baseline, "
                        "else the first)")


def main(args: argparse.Namespace) -> int:
    """Put the runs side by side and write the comparison report."""
    import matplotlib

    matplotlib.use("Agg")
    from sim.report.compare import write_comparison

    started = time.perf_counter()
    path = write_comparison(args.directories, out=args.out, lang=args.lang, dpi=args.dpi,
                            metrics=args.metrics, reference=args.reference)
    print(f"wrote {path} and {path.parent / 'figures'}/ in {time.perf_counter() - started:.1f} s")
    return 0
