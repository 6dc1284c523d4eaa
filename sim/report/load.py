"""Read a run directory or an experiment directory into tidy DataFrames for the figures.

A *run* directory (``python -m sim run``) holds ``county_year.parquet`` (``year, county,
metric, value``), ``school_year.parquet``, ``targets.parquet`` (``year, target, value,
threshold, met``) and ``manifest.json``. An *experiment* directory (``python -m sim
experiment``) holds ``experiment.json``, ``runs.parquet``, ``bands.parquet``,
``target_probability.parquet`` and, for some designs, ``outcomes.parquet``,
``sensitivity.parquet`` and ``prim.parquet`` (layout in the project brief). Which kind a
directory is, is decided by its files; anything else is an ``InputError`` naming the
directory and what was expected. Optional tables that are absent load as ``None`` so the
report can say "not available in this run" instead of failing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.core.errors import InputError
from sim.core.rundir import sha256_file, verify_run

COUNTY_YEAR_COLUMNS = ("year", "county", "metric", "value")
TARGET_COLUMNS = ("year", "target", "value", "threshold", "met")
BAND_COLUMNS = ("scenario", "county", "metric", "year", "median", "p10", "p90")
PROBABILITY_COLUMNS = ("scenario", "target", "year", "probability")


@dataclass
class RunData:
    """One simulated run: its tables and its manifest."""

    path: Path
    name: str
    county_year: pd.DataFrame
    school_year: pd.DataFrame | None = None
    targets: pd.DataFrame | None = None
    manifest: dict[str, Any] = field(default_factory=dict)

    kind = "run"

    @property
    def config(self) -> dict[str, Any]:
        """The run's resolved config from its manifest."""
        cfg = self.manifest.get("config")
        return cfg if isinstance(cfg, dict) else {}

    @property
    def levers(self) -> list[dict[str, Any]]:
        """The run's levers with every default, from its manifest."""
        levers = self.config.get("levers") or self.manifest.get("levers") or []
        return [lv for lv in levers if isinstance(lv, dict)]

    def as_bands(self, scenario: str | None = None) -> pd.DataFrame:
        """The run as a zero-width band table, so runs and experiments compare alike."""
        b = self.county_year.rename(columns={"value": "median"}).copy()
        b["p10"] = b["median"]
        b["p90"] = b["median"]
        b["n"] = 1
        b["scenario"] = scenario or self.name
        return b[["scenario", "county", "metric", "year", "median", "p10", "p90", "n"]]


@dataclass
class ExperimentData:
    """An experiment: scenarios × samples × replicates, reduced to bands and probabilities."""

    path: Path
    name: str
    experiment: dict[str, Any]
    runs: pd.DataFrame | None
    bands: pd.DataFrame | None
    target_probability: pd.DataFrame | None
    outcomes: pd.DataFrame | None = None
    sensitivity: pd.DataFrame | None = None
    prim: pd.DataFrame | None = None
    spec_text: str | None = None

    kind = "experiment"

    @property
    def scenarios(self) -> list[str]:
        """The experiment's scenario names."""
        for table in (self.bands, self.target_probability, self.runs):
            if table is not None and "scenario" in table.columns and len(table):
                return [str(s) for s in dict.fromkeys(table["scenario"])]
        return []

    @property
    def reference_scenario(self) -> str | None:
        """``baseline`` if there is one, else the first scenario."""
        names = self.scenarios
        if not names:
            return None
        return "baseline" if "baseline" in names else names[0]

    def median_county_year(self, scenario: str | None = None) -> pd.DataFrame:
        """The median trajectory of one scenario as a tidy county-year table."""
        scenario = scenario or self.reference_scenario
        if self.bands is None or scenario is None:
            return pd.DataFrame(columns=list(COUNTY_YEAR_COLUMNS))
        b = self.bands[self.bands["scenario"] == scenario]
        return b.rename(columns={"median": "value"})[list(COUNTY_YEAR_COLUMNS)].reset_index(
            drop=True
        )

    def scenario_config(self, scenario: str) -> dict[str, Any] | None:
        """The resolved config of a scenario, if ``experiment.json`` records it."""
        configs = self.experiment.get("scenario_configs")
        if isinstance(configs, dict) and isinstance(configs.get(scenario), dict):
            return configs[scenario]
        return None

    def parameter_ranges(self) -> dict[str, tuple[float, float]]:
        """Sampled range of each parameter column of ``runs.parquet`` (dotted names)."""
        if self.runs is None:
            return {}
        out = {}
        for col in self.runs.columns:
            if "." in col and pd.api.types.is_numeric_dtype(self.runs[col]):
                out[col] = (float(self.runs[col].min()), float(self.runs[col].max()))
        return out


def _read_parquet(path: Path, required: tuple[str, ...] = ()) -> pd.DataFrame:
    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise InputError(f"cannot read parquet table: {exc}", source=path) from None
    for col in required:
        if col not in df.columns:
            raise InputError(
                f"missing column (required: {', '.join(required)}; found: "
                f"{', '.join(map(str, df.columns))})",
                source=path,
                key=col,
            )
    return df


def _optional(path: Path, required: tuple[str, ...] = ()) -> pd.DataFrame | None:
    return _read_parquet(path, required) if path.is_file() else None


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"malformed JSON: {exc}", source=path) from None
    if not isinstance(data, dict):
        raise InputError("expected a JSON object at the top level", source=path)
    return data


def _tidy(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df["year"] = df["year"].astype(int)
    df["county"] = df["county"].astype(str)
    df["metric"] = df["metric"].astype(str)
    df["value"] = df["value"].astype(float)
    return df


def detect_kind(path: str | Path) -> str:
    """``"run"`` or ``"experiment"``; an ``InputError`` for anything else."""
    path = Path(path)
    if not path.is_dir():
        raise InputError(
            "not a directory (expected a run or experiment output directory)", source=path
        )
    if (path / "experiment.json").is_file() or (path / "runs.parquet").is_file():
        return "experiment"
    if (path / "county_year.parquet").is_file():
        return "run"
    raise InputError(
        "neither a run directory (county_year.parquet) nor an experiment directory "
        "(experiment.json, runs.parquet)",
        source=path,
    )


def target_status(targets: pd.DataFrame) -> pd.Series:
    """The three-state verdict per row: met, not met or not assessed (issue 12).

    Runs written before the scorecard had a ``status`` column carry only ``met``.
    """
    if "status" in targets.columns:
        return targets["status"].astype(str)
    return pd.Series(["met" if m else "not met" for m in targets["met"].astype(bool)], index=targets.index)


def load_run(path: str | Path) -> RunData:
    """Load a run directory, refusing one whose tables do not match its manifest's checksums."""
    path = Path(path)
    verify_run(path)
    cy = _tidy(_read_parquet(path / "county_year.parquet", COUNTY_YEAR_COLUMNS))
    if not len(cy):
        raise InputError("the table is empty", source=path / "county_year.parquet")
    targets = _optional(path / "targets.parquet", TARGET_COLUMNS)
    if targets is not None:
        targets = targets.assign(
            year=targets["year"].astype(int), met=targets["met"].astype(bool), status=target_status(targets)
        )
    manifest = _read_json(path / "manifest.json")
    cfg = manifest.get("config") if isinstance(manifest.get("config"), dict) else {}
    name = str(manifest.get("scenario") or cfg.get("name") or path.name)
    return RunData(
        path=path,
        name=name,
        county_year=cy,
        school_year=_optional(path / "school_year.parquet"),
        targets=targets,
        manifest=manifest,
    )


def load_experiment(path: str | Path) -> ExperimentData:
    """Load an experiment directory (its reduced tables; not the stacked per-run rows)."""
    path = Path(path)
    bands = _optional(path / "bands.parquet", BAND_COLUMNS)
    if bands is not None:
        bands = bands.assign(
            year=bands["year"].astype(int), scenario=bands["scenario"].astype(str)
        )
    tp = _optional(path / "target_probability.parquet", PROBABILITY_COLUMNS)
    if tp is not None:
        tp = tp.assign(year=tp["year"].astype(int), scenario=tp["scenario"].astype(str))
    spec = path / "spec.toml"
    experiment = _read_json(path / "experiment.json")
    _verify_tables(path, experiment)
    return ExperimentData(
        path=path,
        name=str(experiment.get("name") or path.name),
        experiment=experiment,
        runs=runs_on_disk(path, _optional(path / "runs.parquet", ("run_id", "scenario", "status"))),
        bands=bands,
        target_probability=tp,
        outcomes=_optional(path / "outcomes.parquet", ("run_id", "scenario")),
        sensitivity=_optional(path / "sensitivity.parquet", ("method", "outcome", "parameter")),
        prim=_optional(path / "prim.parquet", ("outcome", "box", "parameter", "low", "high")),
        spec_text=spec.read_text(encoding="utf-8") if spec.is_file() else None,
    )


def _verify_tables(path: Path, experiment: dict[str, Any]) -> None:
    """Refuse an experiment whose combined tables differ from the checksums it recorded."""
    sums = experiment.get("sha256")
    if not isinstance(sums, dict):
        return  # unfinished, or written before checksums were recorded
    for name, digest in sums.items():
        table = path / f"{name}.parquet"
        if not table.is_file() or sha256_file(table) != digest:
            raise InputError(
                f"{table.name} is missing or does not match the checksum in experiment.json "
                "(changed since the experiment finished?); rerun it with --resume",
                source=path,
            )


def runs_on_disk(path: Path, runs: pd.DataFrame | None) -> pd.DataFrame | None:
    """``runs.parquet`` with each run's status read from its own folder under ``runs/``.

    Why: ``runs.parquet`` is a summary written at the end; after a kill or a partial rerun it
    can say "ok" for runs whose folders are gone or unfinished (issue 16). A run is "ok" or
    "failed" only when its own manifest says so (and an ok run's tables exist), else "missing".
    """
    if runs is None or not (path / "runs").is_dir():
        return runs
    from sim.experiments.store import ExperimentDir

    store = ExperimentDir(path)
    status = []
    for run_id in runs["run_id"].astype(str):
        m = store.manifest(run_id) or {}
        files = m.get("files") if isinstance(m.get("files"), dict) else {}
        present = all((store.run_dir(run_id) / str(f)).is_file() for f in files.values())
        ok = m.get("status") == "ok" and present
        status.append("ok" if ok else ("failed" if m.get("status") == "failed" else "missing"))
    return runs.assign(status=status)


def load(path: str | Path) -> RunData | ExperimentData:
    """Load a run or an experiment directory, whichever ``path`` is."""
    return load_run(path) if detect_kind(path) == "run" else load_experiment(path)
