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
import json
from pathlib import Path
from typing import Any

import pandas as pd

from sim.core.errors import InputError
from sim.core.provenance import (
    TMP_PREFIX,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_parquet,
    utc_now,
)
from sim.core.rundir import sha256_file

RUNS = "runs"
MANIFEST = "manifest.json"
EXPERIMENT = "experiment.json"
SPEC = "spec.toml"


def now() -> str:
    """UTC time stamp for manifests (seconds)."""
    return utc_now().isoformat(timespec="seconds")


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON file, or None when it is missing or unreadable (a run to redo)."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


class ExperimentDir:
    """Paths and state of one experiment's output folder."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    @property
    def runs(self) -> Path:
        """The folder holding one sub-folder per run."""
        return self.root / RUNS

    def run_dir(self, run_id: str) -> Path:
        """The folder of one run."""
        return self.runs / run_id

    def manifest(self, run_id: str) -> dict[str, Any] | None:
        """A run's manifest, or None while it is unfinished."""
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
        for stale in self.runs.glob(f"*/{TMP_PREFIX}*"):  # left by a killed run
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
        files, sums = {}, {}
        for name in save:
            frame = tables.get(name)
            if frame is None:
                continue
            atomic_write_parquet(d / f"{name}.parquet", frame)
            files[name] = f"{name}.parquet"
            sums[name] = sha256_file(d / files[name])
        manifest = dict(manifest, files=files, sha256=sums)
        atomic_write_json(d / MANIFEST, manifest)

    def is_finished(self, run_id: str, config_hash: str) -> bool:
        """A run is finished when its manifest says ok for the same config and its tables match
        the manifest's checksums (a table rewritten by another process makes it unfinished)."""
        m = self.manifest(run_id)
        if m is None or m.get("status") != "ok" or m.get("config_hash") != config_hash:
            return False
        sums = m.get("sha256") if isinstance(m.get("sha256"), dict) else {}
        for name, file in (m.get("files") or {}).items():
            path = self.run_dir(run_id) / str(file)
            if not path.is_file() or sha256_file(path) != sums.get(name):
                return False
        return True

    def write_experiment(self, info: dict[str, Any]) -> None:
        """The experiment's own record (``experiment.json``), atomically."""
        atomic_write_json(self.root / EXPERIMENT, info)

    def write_table(self, name: str, frame: pd.DataFrame) -> Path:
        """A combined table of the experiment, atomically; returns its path."""
        path = self.root / f"{name}.parquet"
        atomic_write_parquet(path, frame)
        return path

    def remove_table(self, name: str) -> None:
        """Drop a combined table that no longer applies (e.g. sensitivity of a redone design)."""
        with contextlib.suppress(FileNotFoundError):
            (self.root / f"{name}.parquet").unlink()
