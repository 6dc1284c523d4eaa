"""``python -m sim run CONFIG [--out DIR] [--seed N] [--until YEAR]``: one scenario to disk.

CONFIG is a scenario TOML, or a run's ``manifest.json`` to reproduce that run (its config
with every lever default, its seed and its last year).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.core.errors import InputError

SUMMARY_METRICS = (
    ("new_births", "births"),
    ("n_students_preschool", "kindergarten pupils"),
    ("n_students_primary", "primary pupils"),
    ("n_students_junior", "junior pupils"),
    ("n_students_senior_general", "general senior pupils"),
    ("n_teachers", "teachers"),
    ("n_large_classes", "oversized classes"),
    ("urbanisation_rate", "urbanisation"),
    ("cum_cost_yuan", "lever cost, yuan (cum)"),  # sim.levers.ledger
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``run``."""
    parser.add_argument("config", help="scenario TOML (only what differs from the defaults), or a "
                        "run's manifest.json to reproduce that run")
    parser.add_argument("--out", default=None, help="output directory (default results/<config name>, "
                        "results/<name>-rerun for a manifest)")
    parser.add_argument("--seed", type=int, default=None, help="override the config's seed")
    parser.add_argument("--until", type=int, default=None, help="last school year to simulate")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace --out even if it holds an experiment or another config's run",
    )
    parser.add_argument(
        "--check", action="store_true", help="validate the config and --out, simulate nothing"
    )
    parser.add_argument(
        "--max-children",
        type=int,
        default=None,
        help="cap on children the run may hold (default 5,000,000, about 0.8 GB)",
    )


def main(args: argparse.Namespace) -> int:
    """Check config and ``--out``, run the scenario, write its folder whole, print a summary.

    ``--out`` is checked and locked before simulating, so a bad folder costs no model time
    and two runs never write one folder at once.
    """
    # the model is imported here, not at the top: ``python -m sim --help`` must not pay for Mesa
    from sim.core.rundir import RunLock, check_out
    from sim.scenario import (
        MAX_CHILDREN,
        build_manifest,
        check_run_size,
        load_any_config,
        now,
        run,
        run_memory_bytes,
        warning_records,
        write_run,
    )

    overrides = {}
    if args.seed is not None:
        overrides["seed"] = args.seed
    if args.until is not None:
        overrides["until"] = args.until
    config = load_any_config(args.config, overrides=overrides or None)
    # a manifest reruns into <name>-rerun, so the run it reproduces is never replaced
    default = f"{config.name}-rerun" if str(args.config).endswith(".json") else Path(args.config).stem
    out = Path(args.out) if args.out else Path("results") / default
    source = str(Path(args.config).resolve())
    check_out(out, source=source, force=args.force, name=config.name)
    if args.max_children is not None and args.max_children < 1:
        raise InputError(f"must be at least 1 (got {args.max_children})", key="--max-children")
    children = check_run_size(config, args.max_children or MAX_CHILDREN, args.config)
    if args.check:
        print(
            f"{args.config}: valid; about {children:,} children at the peak, about "
            f"{run_memory_bytes(children) / 1e6:,.0f} MB; would write {out}/",
            file=sys.stderr,
        )
        return 0
    with RunLock(out):
        started = now()
        tables = run(config)
        finished = now()
        timings = tables.pop("timings").iloc[0].to_dict()
        warnings = warning_records(tables)
        manifest = build_manifest(
            config,
            config.seed,
            config.until,
            started,
            finished,
            timings,
            config_file=source,
            warnings=warnings,
        )
        write_run(tables, out, manifest)
    for w in warnings[:5]:
        print(
            f"warning: levers pushed {w['knob']} in {w['county']} to {w['value']:.3g} in {w['year']}; "
            f"clipped to {w['clipped_to']:g} (all {len(warnings)} in manifest.json)",
            file=sys.stderr,
        )
    if not args.quiet:
        print(summary(tables["county_year"], config.until))
        print(
            f"wrote {out}/ ({', '.join(sorted(p.name for p in out.iterdir()))}) in {manifest['wall_s']:.1f} s"
        )
    return 0


def summary(county_year, until: int) -> str:
    """City totals at the start and end year, one line each."""
    city = county_year[county_year["county"] == "全市"]
    first = int(city["year"].min())
    lines = [f"全市 (city)            {first:>10} {until:>10}"]
    births = city[city["metric"] == "new_births"].set_index("year")["value"]
    for metric, label in SUMMARY_METRICS:
        if metric == "new_births":
            a, b = births.get(first + 1, float("nan")), births.get(until, float("nan"))
            label = f"births ({first + 1}→)"
        else:
            s = city[city["metric"] == metric].set_index("year")["value"]
            a, b = s.get(first, float("nan")), s.get(until, float("nan"))
        fmt = "{:>10.1%}" if metric.endswith("rate") else "{:>10,.0f}"
        lines.append(f"{label:<22} {fmt.format(a)} {fmt.format(b)}")
    return "\n".join(lines)
