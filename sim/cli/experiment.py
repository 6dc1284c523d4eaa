"""``python -m sim experiment SPEC [--out DIR] [--workers N] [--dask ADDRESS|local] [--resume]``.

Heavy imports (pandas analysis, SALib, Dask) happen inside ``main`` so that building the
top-level parser stays cheap.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from sim.core.errors import InputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the ``experiment`` command."""
    parser.add_argument("spec", help="experiment spec (TOML), e.g. experiments/levers_2027.toml")
    parser.add_argument("--out", help="output folder (default: results/experiments/<spec name>)")
    parser.add_argument(
        "--workers", type=int, default=1, help="worker processes (default 1: run in this process)"
    )
    parser.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="'local' starts a Dask LocalCluster with --workers workers; "
        "tcp://host:8786 joins a running scheduler",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="finish an experiment in --out: skip finished runs, redo failed or missing ones",
    )
    parser.add_argument("--replicates", type=int, help="override the spec's replicates (quick checks)")
    parser.add_argument(
        "--samples",
        type=int,
        help="override the design size (lhs/sobol/morris samples; grid levels)",
    )
    parser.add_argument(
        "--until",
        type=int,
        help="override the last simulated year (outcome years after it move to it, with a note)",
    )
    parser.add_argument("--counties", help="comma-separated county subset for every scenario")
    parser.add_argument(
        "--check",
        action="store_true",
        help="validate and expand the spec, print the plan, run nothing",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--max-runs", type=int, default=None, help="cap on runs in the plan (default 20,000)"
    )
    parser.add_argument(
        "--max-children",
        type=int,
        default=None,
        help="cap on children in the largest run (default 5,000,000, about 0.8 GB)",
    )
    parser.add_argument(
        "--run-function",
        metavar="MODULE:FUNC",
        help="model callable run(config, *, seed, until) -> tables (default sim.scenario:run)",
    )


def check_options(args: argparse.Namespace) -> None:
    """Every command-line option checked before the spec is read (also under ``--check``)."""
    for flag in ("replicates", "samples", "workers", "max_runs", "max_children"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            raise InputError(f"must be at least 1 (got {value})", key=f"--{flag.replace('_', '-')}")
    if args.dask is not None and args.dask != "local" and not _DASK_ADDRESS.match(args.dask):
        raise InputError(
            f"expected 'local' or a scheduler address such as tcp://host:8786 (got {args.dask!r})",
            key="--dask",
        )


_DASK_ADDRESS = re.compile(r"^(tcp|tls|ucx|inproc)://[^\s/]+(:\d+)?$")


def memory_line(exp: Any, workers: int) -> str:
    """The memory the experiment needs: its plan in this process plus one run per worker."""
    from sim.experiments.spec import PLAN_BYTES_PER_RUN
    from sim.scenario import run_memory_bytes

    per_run = run_memory_bytes(exp.peak_children)
    plan = exp.n_runs * PLAN_BYTES_PER_RUN
    total = plan + per_run * workers + (per_run if workers > 1 else 0)
    return (
        f"memory: about {per_run / 1e6:,.0f} MB per run (largest run about {exp.peak_children:,} "
        f"children), {plan / 1e6:,.0f} MB for the plan; about {total / 1e9:.1f} GB in all with "
        f"{workers} worker(s)"
    )


def main(args: argparse.Namespace) -> int:
    """Validate the spec, run what is not finished, reduce; exit 1 if any run failed."""
    from sim.core.rundir import RunLock, check_experiment_out
    from sim.experiments.executors import open_executor
    from sim.experiments.runner import load_run_fn, run_experiment
    from sim.experiments.spec import Limits, SpecOverrides, load_spec

    check_options(args)
    run_fn = load_run_fn(args.run_function) if args.run_function else None
    counties = [c.strip() for c in args.counties.split(",") if c.strip()] if args.counties else None
    overrides = SpecOverrides(
        replicates=args.replicates, samples=args.samples, until=args.until, counties=counties
    )
    limits = Limits(
        max_runs=args.max_runs or Limits.max_runs, max_children=args.max_children or Limits.max_children
    )
    exp = load_spec(args.spec, overrides, limits, expand=not args.check)
    out = check_experiment_out(Path(args.out) if args.out else Path("results") / "experiments" / exp.name)
    print(
        f"{exp.name}: {len(exp.scenarios)} scenario(s) x {len(exp.samples)} sample(s) x "
        f"{exp.model.replicates} replicate(s) = {exp.n_runs} runs "
        f"(design {exp.design.kind}, {len(exp.parameters)} parameter(s), until {exp.until})",
        file=sys.stderr,
    )
    print(memory_line(exp, args.workers), file=sys.stderr)
    for note in exp.notes:
        print(f"note: {note}", file=sys.stderr)
    if args.check:
        return 0
    with RunLock(out), open_executor(args.workers, args.dask) as (executor, name, window):
        result = run_experiment(
            exp,
            out,
            executor,
            executor_name=name,
            run_fn=run_fn,
            resume=args.resume,
            progress=not args.no_progress,
            window=window,
        )
    print(
        f"{result.done} run(s) done, {result.skipped} already finished, {result.failed} failed; "
        f"{result.wall_s:.1f} s on {name}",
        file=sys.stderr,
    )
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    if result.failed_ids:
        shown = ", ".join(result.failed_ids[:5]) + (" ..." if len(result.failed_ids) > 5 else "")
        print(f"failed: {shown} (rerun with --resume to redo them)", file=sys.stderr)
    print(out)
    return 1 if result.failed else 0
