"""``python -m sim report DIR [--lang zh|en]``: write report.html, report.xlsx, report.pdf and figures/.

Works on a run directory and on an experiment directory alike. Matplotlib is imported only
inside ``main`` so that building the command-line parser stays cheap.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import sys
import time
from collections.abc import Iterator
from pathlib import Path


def dpi_value(text: str) -> int:
    """``--dpi``: an integer from 50 to 600."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 50 <= value <= 600:
        raise argparse.ArgumentTypeError(f"must be an integer from 50 to 600 (got {text!r})")
    return value


def metric_list(text: str) -> list[str]:
    """``--metrics``: comma-separated metric names (checked against the run when loaded)."""
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give one or more metric names, comma-separated")
    return names


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``report``: a run or experiment folder, language, formats."""
    parser.add_argument("directory", type=Path, help="a run or experiment output directory")
    parser.add_argument("--lang", choices=("en", "zh"), default="en",
                        help="label language; zh prints Chinese with English (default: en)")
    parser.add_argument("--dpi", type=dpi_value, default=150, metavar="50..600",
                        help="PNG resolution (default: 150; the SVG files are resolution-free)")
    parser.add_argument("--out", type=Path, default=None,
                        help="where to write report.html and figures/ (default: DIRECTORY)")
    parser.add_argument("--metrics", type=metric_list, default=None, metavar="M1,M2,...",
                        help="experiments: city metrics for the scenario figures and "
                        "differences (default: key metrics and what each scenario changes)")
    parser.add_argument("--no-pdf", action="store_true",
                        help="skip report.pdf (A4, printed by headless Chromium)")
    parser.add_argument("--svg", action="store_true",
                        help="also write each figure as SVG (for publication; slower)")


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the body with the cyclic garbage collector off and what exists frozen; the
    report collects only when a great many objects have piled up
    (``sim.report.build.render``).

    Why: a report allocates a great many short-lived matplotlib objects, and the collector's
    automatic passes cost about 0.25 s of a 4.5 s report even at a tenth of the default
    frequency (0.45 s at the default), measured on the baseline report; a full collection
    after each figure still cost 0.13-0.2 s. A figure is a web of reference cycles that
    only the collector frees, but most of its memory is its pixel buffer, which
    ``save_figure`` frees as soon as the files are written: the baseline report's figures
    leave about 13 MB for the collector (peak memory about 290 MB instead of 280 MB). The
    previous state comes back afterwards.
    """
    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.unfreeze()  # everything becomes collectable again (freezing is only a speed-up)


def main(args: argparse.Namespace) -> int:
    """Write the report of a run or experiment folder."""
    with fewer_collections():
        return _main(args)


def _main(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")  # files only; never open a window
    from sim.report.build import write_report
    from sim.report.pdf import write_pdf

    gc.freeze()  # the modules just imported too: a collection per figure then skips them
    started = time.perf_counter()
    formats = ("png", "svg") if args.svg else ("png",)
    path = write_report(args.directory, lang=args.lang, out=args.out, dpi=args.dpi,
                        metrics=args.metrics, xlsx=True, formats=formats)
    written = [path.name, "report.xlsx"]
    if not args.no_pdf:
        pdf, why = write_pdf(path)
        if pdf is None:
            print(f"warning: report.pdf not written: {why}", file=sys.stderr)
        else:
            written.append(pdf.name)
    print(f"wrote {', '.join(written)} and figures/ in {path.parent} "
          f"in {time.perf_counter() - started:.1f} s")
    return 0
