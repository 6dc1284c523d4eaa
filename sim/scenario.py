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

import pandas as pd

from sim.config import Config, read_config_data, validate_params
from sim.core.errors import InputError
from sim.core.provenance import atomic_write_json, atomic_write_parquet, git_commit, utc_now, versions
from sim.levers import build_levers, resolved
from sim.model import QingyuanModel

TABLES = ("county_year", "school_year", "targets")
MANIFEST = "manifest.json"

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

    ``timings`` (a one-row table: set-up and run seconds) is included for the manifest.
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


def write_run(tables: dict[str, pd.DataFrame], out_dir: str | Path, manifest: dict[str, Any]) -> Path:
    """Write a run's tables and then its manifest (last, so its presence means complete)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        if name in tables:
            atomic_write_parquet(out / f"{name}.parquet", tables[name])
    atomic_write_json(out / MANIFEST, manifest)
    return out


def read_run(run_dir: str | Path) -> dict[str, Any]:
    """Read a run directory back: tables as DataFrames and the manifest as a dict."""
    d = Path(run_dir)
    out: dict[str, Any] = {}
    for name in TABLES:
        p = d / f"{name}.parquet"
        if p.exists():
            out[name] = pd.read_parquet(p)
    out["manifest"] = json.loads((d / MANIFEST).read_text(encoding="utf-8"))
    return out
