"""The experiment directory on disk: one folder per run, written so a crash loses nothing finished.

Layout (the contract with the report, BRIEF "Experiment directory layout")::

    DIR/spec.toml, DIR/experiment.json
    DIR/runs/<run_id>/county_year.parquet, targets.parquet, manifest.json
    DIR/runs.parquet, county_year.parquet, outcomes.parquet, bands.parquet,
    DIR/target_probability.parquet, sensitivity.parquet, prim.parquet

Every file is written to a temporary name and moved into place with ``os.replace`` (atomic on
one file system), and a run's ``manifest.json`` is written last: a run whose manifest says
``"ok"`` has all its tables; a run killed half-way has no manifest and is redone on resume.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import InputError

RUNS = "runs"
MANIFEST = "manifest.json"
EXPERIMENT = "experiment.json"
SPEC = "spec.toml"
_TMP = ".tmp-"


def now() -> str:
    """UTC time stamp for manifests."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one."""
    tmp = path.with_name(f"{_TMP}{os.getpid()}-{path.name}")
    with open(tmp, "wb") as fh:
        fh.write(data)  # no fsync: this guards against a killed process, not a power cut
    os.replace(tmp, path)


def atomic_write_json(path: Path, obj: Any) -> None:
    """JSON (UTF-8, readable Chinese names) written atomically."""
    text = json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=False, default=_json_default)
    atomic_write_bytes(path, (text + "\n").encode("utf-8"))


def atomic_write_parquet(path: Path, frame: pd.DataFrame) -> None:
    """A DataFrame to Parquet, atomically, without the pandas index."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tmp = path.with_name(f"{_TMP}{os.getpid()}-{path.name}")
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp)
    os.replace(tmp, path)


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    return str(obj)


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON file, or None when it is missing or unreadable (a run to redo)."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def git_commit() -> dict[str, Any]:
    """The commit of the source tree that runs the experiment, and whether it had edits."""
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": head, "dirty": bool(dirty)}


def versions() -> dict[str, str]:
    """Versions of Python and the packages that shape the numbers."""
    from importlib import metadata

    out = {"python": platform.python_version()}
    for dist in (
        "qingyuan-edu-sim",
        "numpy",
        "pandas",
        "pyarrow",
        "mesa",
        "scipy",
        "SALib",
        "pydantic",
        "dask",
        "distributed",
    ):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[dist] = metadata.version(dist)
    return out


class ExperimentDir:
    """Paths and state of one experiment's output folder."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    @property
    def runs(self) -> Path:
        return self.root / RUNS

    def run_dir(self, run_id: str) -> Path:
        return self.runs / run_id

    def manifest(self, run_id: str) -> dict[str, Any] | None:
        return read_json(self.run_dir(run_id) / MANIFEST)

    def prepare(self, spec_text: str, plan_hash: str, resume: bool) -> dict[str, Any] | None:
        """Create the folder, or check on resume that it holds this very experiment.

        Returns the previous ``experiment.json`` when resuming. Refuses to mix two different
        experiments in one folder, and to overwrite one without ``--resume``.
        """
        previous = read_json(self.root / EXPERIMENT)
        started = self.runs.is_dir() and any(self.runs.iterdir())
        if (previous is not None or started) and not resume:
            raise InputError(
                "already holds an experiment; pass --resume to finish it, or choose another --out",
                source=self.root,
            )
        if previous is not None and previous.get("plan_hash") != plan_hash:
            raise InputError(
                "holds a different experiment (the spec, a config it uses, or the command-line "
                "overrides changed since it started); choose another --out",
                source=self.root,
            )
        self.runs.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.root / SPEC, spec_text.encode("utf-8"))
        for stale in self.runs.glob(f"*/{_TMP}*"):  # left by a killed run
            with contextlib.suppress(OSError):
                stale.unlink()
        return previous

    def write_run(
        self,
        run_id: str,
        tables: dict[str, pd.DataFrame],
        manifest: dict[str, Any],
        save: list[str],
    ) -> None:
        """Write a run's tables then its manifest (last, so a partial run never looks done)."""
        d = self.run_dir(run_id)
        d.mkdir(parents=True, exist_ok=True)
        old = d / MANIFEST
        if old.exists():
            old.unlink()  # a redone run is unfinished until its new manifest lands
        files = {}
        for name in save:
            frame = tables.get(name)
            if frame is None:
                continue
            atomic_write_parquet(d / f"{name}.parquet", frame)
            files[name] = f"{name}.parquet"
        manifest = dict(manifest, files=files)
        atomic_write_json(d / MANIFEST, manifest)

    def is_finished(self, run_id: str, config_hash: str) -> bool:
        """A run is finished when its manifest says ok for the same config and its files exist."""
        m = self.manifest(run_id)
        if m is None or m.get("status") != "ok" or m.get("config_hash") != config_hash:
            return False
        return all((self.run_dir(run_id) / f).is_file() for f in (m.get("files") or {}).values())

    def write_experiment(self, info: dict[str, Any]) -> None:
        atomic_write_json(self.root / EXPERIMENT, info)

    def write_table(self, name: str, frame: pd.DataFrame) -> Path:
        path = self.root / f"{name}.parquet"
        atomic_write_parquet(path, frame)
        return path

    def remove_table(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.root / f"{name}.parquet").unlink()
