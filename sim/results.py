"""The results store: a run directory with Parquet tables and a provenance manifest.

Every run directory holds the resolved config, the seed, package versions, the git
commit and the timings (DESIGN §8), so a figure can always be traced to what made it.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config import Config

PACKAGES = ("mesa", "numpy", "pandas", "pyarrow", "pydantic", "scipy")
TABLES = ("county_year", "school_year", "targets")


def git_commit(path: Path | None = None) -> str | None:
    """The current git commit of the project checkout, or None outside git."""
    here = path or Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=here,
        capture_output=True,
        text=True,
        timeout=5,
    )
    return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def versions() -> dict[str, str]:
    """Versions of Python and the packages that shape the numbers."""
    out = {"python": platform.python_version(), "sim": _version("qingyuan-edu-sim")}
    for p in PACKAGES:
        out[p] = _version(p)
    return out


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


def build_manifest(
    config: Config,
    seed: int,
    until: int,
    started: datetime,
    finished: datetime,
    timings: dict[str, float] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Provenance of one run."""
    from sim.levers import resolved

    resolved_config = config.model_dump(mode="json")
    resolved_config["levers"] = resolved(config)  # each lever with its defaults filled in
    return {
        "config": resolved_config,
        "seed": seed,
        "until": until,
        "versions": versions(),
        "git_commit": git_commit(),
        "command": " ".join(sys.argv),
        "started": started.isoformat(),
        "finished": finished.isoformat(),
        "wall_s": (finished - started).total_seconds(),
        "timings": timings or {},
        **extra,
    }


def now() -> datetime:
    """Timezone-aware now (UTC), for manifests."""
    return datetime.now(UTC)


def write_table(df: pd.DataFrame, path: Path) -> None:
    """Write Parquet atomically: a killed writer never leaves a half file under the real name."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    df.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def write_json(obj: dict[str, Any], path: Path) -> None:
    """Write JSON atomically (UTF-8, Chinese kept readable)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, path)


def write_run(tables: dict[str, pd.DataFrame], out_dir: str | Path, manifest: dict[str, Any]) -> Path:
    """Write a run's tables and then its manifest (last, so its presence means complete)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        if name in tables:
            write_table(tables[name], out / f"{name}.parquet")
    write_json(manifest, out / "manifest.json")
    return out


def read_run(run_dir: str | Path) -> dict[str, Any]:
    """Read a run directory back: tables as DataFrames and the manifest as a dict."""
    d = Path(run_dir)
    out: dict[str, Any] = {}
    for name in TABLES:
        p = d / f"{name}.parquet"
        if p.exists():
            out[name] = pd.read_parquet(p)
    out["manifest"] = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    return out
