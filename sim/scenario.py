"""A scenario end to end: run a config, write its run folder, read one back.

``run(config, seed=..., until=...)`` builds a model, runs it and returns its tables. It has
no side effects, so SALib, EMA Workbench or any executor can call it. ``write_run`` and
``read_run`` are the run folder's contract with the report: Parquet tables and a provenance
manifest (the resolved config with every lever default, the seed, package versions, the git
commit and the timings; DESIGN §8), so a figure can always be traced to what made it.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config import Config, read_config_data, validate_params
from sim.core.errors import InputError
from sim.core.provenance import git_commit, utc_now, versions
from sim.core.rundir import RunLock, verify_run, write_run_folder
from sim.data.births import city_births, county_birth_shares
from sim.levers import build_levers, resolved
from sim.model import QingyuanModel

TABLES = ("county_year", "school_year", "targets")

now = utc_now  # the time stamp the run command records before and after simulating


def validate_config(data: dict[str, Any], source: str) -> Config:
    """A config dict checked in full: typed parameters, then each lever by its registry."""
    config = validate_params(data, source)
    build_levers(config.levers, config, source)
    return config


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> Config:
    """Load a scenario TOML (deltas from the defaults, ``base =`` resolved) into a checked ``Config``."""
    config = validate_config(read_config_data(path), str(path))
    if overrides:
        config = config.with_overrides(overrides, source=str(path))
        build_levers(config.levers, config, str(path))
    return config


# Memory of one run (issue 16): measured peak RSS 180 MB for 连山 alone (~30 thousand children),
# 234 MB for 英德 + 清城 (~0.55 million) and 305 MB for the city (1.13 million) to 2027, so
# about 180 MB plus 110 bytes a child; 120 is kept as a margin.
BASE_RUN_BYTES = 180_000_000
BYTES_PER_CHILD = 120
MAX_CHILDREN = 5_000_000  # default cap on children in one run (about 0.8 GB); --max-children
CHILD_AGES = 18  # the population tracks ages 0-17
WARNING_COLUMNS = ("year", "knob", "county", "value", "clipped_to")


def peak_children(config: Config) -> int:
    """Children (ages 0-17) the run will hold at its largest, from the births it will draw.

    Why: a config can ask for a population that does not fit in memory (births_trend = +0.3
    to 2050 grows to tens of millions), and this is known before anything is built. Births
    of the 17 years before each simulated year plus that year, times the simulated counties'
    share. Migration, mortality and the children of a cohort not present in the city (the
    fitted presence curve, ``sim.world.ages``) are ignored, so this is an upper estimate,
    about 20% above the children a run holds: on the safe side for a cap.
    """
    years = np.arange(config.start_year - CHILD_AGES + 1, config.until + 1)
    births = city_births(years, config.demography)
    shares = county_birth_shares(config.start_year + 1, config.demography)
    share = sum(shares[c] for c in config.counties)
    return int(np.convolve(births, np.ones(CHILD_AGES), "valid").max() * share)


def run_memory_bytes(children: int) -> int:
    """Peak memory of one run holding ``children`` children (see ``BYTES_PER_CHILD``)."""
    return int(BASE_RUN_BYTES + BYTES_PER_CHILD * children)


def check_run_size(config: Config, max_children: int, source: str) -> int:
    """The run's peak children, or an ``InputError`` with the estimate when above the cap."""
    children = peak_children(config)
    if children > max_children:
        raise InputError(
            f"this run would hold about {children:,} children at its peak (about "
            f"{run_memory_bytes(children) / 1e9:.1f} GB); the cap is {max_children:,} "
            "(raise it with --max-children, or shorten until / lower births)",
            source=source,
            key="demography",
        )
    return children


def load_manifest_config(path: str | Path, overrides: dict[str, Any] | None = None) -> Config:
    """The config a run recorded in its ``manifest.json``, to rerun it exactly.

    A manifest records the resolved config with every lever's defaults filled in, so a
    later change of a default cannot silently alter the rerun. Works for a run directory's
    manifest and for an experiment run's (``runs/<run_id>/manifest.json``).
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read the manifest: {exc}", source=str(path)) from None
    cfg = data.get("config") if isinstance(data, dict) else None
    if not isinstance(cfg, dict):
        raise InputError("no config recorded (expected a run's manifest.json)",
                         source=str(path), key="config")
    cfg = {**cfg, **{k: data[k] for k in ("seed", "until") if data.get(k) is not None}}
    config = validate_config({**cfg, **(overrides or {})}, str(path))
    return config


def load_any_config(path: str | Path, overrides: dict[str, Any] | None = None) -> Config:
    """A scenario TOML, or a ``manifest.json`` to reproduce the run that wrote it."""
    if str(path).endswith(".json"):
        return load_manifest_config(path, overrides)
    return load_config(path, overrides)


def run(config: Config, *, seed: int | None = None, until: int | None = None) -> dict[str, pd.DataFrame]:
    """Run one scenario and return ``county_year``, ``school_year`` and ``targets`` tables.

    ``timings`` (a one-row table: set-up and run seconds) and ``warnings`` (knobs clipped
    back into range, ``WARNING_COLUMNS``) are included for the manifest.
    """
    t0 = time.perf_counter()
    model = QingyuanModel(config, seed=seed)
    t1 = time.perf_counter()
    model.run(until if until is not None else config.until)
    t2 = time.perf_counter()
    return {
        "county_year": model.county_year(),
        "school_year": model.school_year(),
        "targets": model.targets_table(),
        "timings": pd.DataFrame({"setup_s": [t1 - t0], "run_s": [t2 - t1]}),
        "warnings": pd.DataFrame(model.warnings, columns=list(WARNING_COLUMNS)),
    }


def build_manifest(
    config: Config,
    seed: int,
    until: int,
    started: datetime,
    finished: datetime,
    timings: dict[str, float] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Provenance of one run: enough to rerun it and to see what could make it differ."""
    resolved_config = config.model_dump(mode="json")
    resolved_config["levers"] = resolved(config)  # each lever with its defaults filled in
    return {
        "config": resolved_config,
        "seed": seed,
        "until": until,
        "versions": versions(),
        "git": git_commit(),
        "command": " ".join(sys.argv),
        "started": started.isoformat(),
        "finished": finished.isoformat(),
        "wall_s": (finished - started).total_seconds(),
        "timings": timings or {},
        **extra,
    }


def warning_records(tables: dict[str, pd.DataFrame]) -> list[dict[str, Any]]:
    """Take the ``warnings`` table out of a run's tables, as manifest records."""
    frame = tables.pop("warnings", None)
    return frame.to_dict(orient="records") if isinstance(frame, pd.DataFrame) else []


def write_run(tables: dict[str, pd.DataFrame], out_dir: str | Path, manifest: dict[str, Any]) -> Path:
    """Write a run folder whole: tables and a manifest with their checksums, swapped in at once.

    Why: a run killed while overwriting an older one must leave the old run or the new one,
    never a mix (issue 16). Holds the folder's lock unless the caller already does.
    """
    out = Path(out_dir)
    with RunLock(out):
        return write_run_folder(out, {n: tables[n] for n in TABLES if n in tables}, manifest)


def read_run(run_dir: str | Path) -> dict[str, Any]:
    """Read a run folder back, after checking its tables against the manifest's checksums."""
    d = Path(run_dir)
    out: dict[str, Any] = {"manifest": verify_run(d)}
    for name in TABLES:
        p = d / f"{name}.parquet"
        if p.exists():
            out[name] = pd.read_parquet(p)
    return out
