"""``python -m sim run CONFIG [--out DIR] [--seed N] [--until YEAR]``: one scenario to disk.

CONFIG is a scenario TOML, or a run's ``manifest.json`` to reproduce that run (its config
with every lever default, its seed and its last year).
"""

from __future__ import annotations

import argparse
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


def main(args: argparse.Namespace) -> int:
    """Run the scenario, write its tables and manifest, print a short summary."""
    # imported here, not at the top: every command builds this parser, and the model's
    # imports (mesa, scipy) cost seconds that `report` or `metrics` should not pay
    from sim.scenario import build_manifest, load_any_config, now, run, write_run

    overrides = {}
    if args.seed is not None:
        overrides["seed"] = args.seed
    if args.until is not None:
        overrides["until"] = args.until
    config = load_any_config(args.config, overrides=overrides or None)
    if args.seed is not None and args.seed < 0:
        raise InputError("must be >= 0", source="--seed", key="seed")
    default = (f"{config.name}-rerun" if str(args.config).endswith(".json")
               else Path(args.config).stem)
    out = Path(args.out) if args.out else Path("results") / default
    started = now()
    tables = run(config)
    finished = now()
    timings = tables.pop("timings").iloc[0].to_dict()
    manifest = build_manifest(config, config.seed, config.until, started, finished, timings)
    write_run(tables, out, manifest)
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
