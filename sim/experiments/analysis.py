"""Reduce an experiment's runs to the tables researchers cite.

* ``runs.parquet``: what ran (ids, seeds, status, time, sampled values).
* ``county_year.parquet`` (and ``targets.parquet``): all finished runs stacked, by run id.
* ``outcomes.parquet``: one row per run, one column per outcome of the spec.
* ``bands.parquet``: per scenario, the median and 10–90% band of every metric over its runs
  (replicates, and samples when the design has them: the band then spans the uncertainty).
* ``target_probability.parquet``: per scenario, the share of runs meeting each outcome's
  threshold and each plan target of the model's scorecard.
* ``sensitivity.parquet``: Sobol (S1, ST) or Morris (mu*, sigma) indices from SALib over the
  replicate-averaged outcomes, per scenario.
* ``prim.parquet``: PRIM boxes of the parameter ranges where an outcome's target is met with
  at least the chosen probability.

Every table is sorted by its keys, so it does not depend on the order in which runs ended.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config import CITY, COUNTIES
from sim.experiments import prim as prim_mod
from sim.experiments.spec import Experiment, OutcomeSpec, design_seed
from sim.experiments.store import ExperimentDir
from sim.experiments.streaming import stream_county_year

ID_COLUMNS = ["run_id", "scenario", "sample", "replicate"]
BAND_COLUMNS = ["scenario", "county", "metric", "year", "median", "p10", "p90", "n"]
PROB_COLUMNS = ["scenario", "target", "year", "probability", "n", "threshold", "source"]
SENS_COLUMNS = [
    "method",
    "scenario",
    "outcome",
    "parameter",
    "S1",
    "S1_conf",
    "ST",
    "ST_conf",
    "mu_star",
    "mu_star_conf",
    "sigma",
]
PRIM_COLUMNS = [
    "scenario",
    "outcome",
    "box",
    "parameter",
    "low",
    "high",
    "restricted",
    "coverage",
    "density",
    "mass",
    "probability",
]


@dataclass
class Reduced:
    """What the reduction wrote."""

    paths: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    failed: int = 0
    missing: int = 0


def reduce_experiment(exp: Experiment, store: ExperimentDir) -> Reduced:
    """Read every run of ``exp`` from ``store`` and write the combined tables."""
    out = Reduced()
    runs = runs_table(exp, store)
    out.failed = int((runs["status"] == "failed").sum())
    out.missing = int((runs["status"] == "missing").sum())
    if out.failed:
        out.notes.append(f"{out.failed} run(s) failed; see runs/<run_id>/manifest.json")
    out.paths["runs"] = store.write_table("runs", runs)
    ok = runs.loc[runs["status"] == "ok", ID_COLUMNS]
    targets = stack(store, ok, "targets")
    if "targets" in exp.model.save and len(targets):
        out.paths["targets"] = store.write_table("targets", targets)
    # county_year is the big table: one streamed pass (sim.experiments.streaming)
    metric_outcomes = {o.name: _run_outcome(o) for o in exp.outcomes if o.target is None}
    streamed = stream_county_year(
        run_files(store, ok, "county_year"), store.root / "county_year.parquet", metric_outcomes
    )
    if streamed.path is None:
        out.paths["county_year"] = store.write_table("county_year", pd.DataFrame(columns=ID_COLUMNS))
    else:
        out.paths["county_year"] = streamed.path
    outcomes = outcome_table(exp.outcomes, None, targets, runs[ID_COLUMNS], out.notes, streamed.outcomes)
    out.paths["outcomes"] = store.write_table("outcomes", outcomes)
    order = {name: i for i, name in enumerate(exp.scenarios)}
    band_frame = _sort(streamed.bands[BAND_COLUMNS], ["scenario", "county", "metric", "year"], order)
    out.paths["bands"] = store.write_table("bands", band_frame)
    out.paths["target_probability"] = store.write_table(
        "target_probability", target_probability(exp.outcomes, outcomes, targets, order)
    )
    if exp.design.kind in ("sobol", "morris"):
        sens = sensitivity(exp, outcomes, out.notes)
        out.paths["sensitivity"] = store.write_table("sensitivity", sens)
    else:
        store.remove_table("sensitivity")
    if exp.model.prim is not None:
        out.paths["prim"] = store.write_table("prim", prim_table(exp, outcomes, out.notes))
    else:
        store.remove_table("prim")
    return out


def runs_table(exp: Experiment, store: ExperimentDir) -> pd.DataFrame:
    """One row per run of the plan, with its status from its manifest."""
    rows = []
    for r in exp.runs:
        m = store.manifest(r.run_id)
        status = "missing"
        wall = np.nan
        if m is not None and m.get("config_hash") == r.config_hash:
            status = m.get("status", "missing")
            wall = m.get("run_s", np.nan)
        row: dict[str, Any] = {
            "run_id": r.run_id,
            "scenario": r.scenario,
            "sample": r.sample,
            "replicate": r.replicate,
            "seed": r.seed,
            "status": status,
            "wall_s": float(wall) if wall is not None else np.nan,
        }
        for p in exp.parameters:
            row[p.name] = r.params.get(p.name)
        rows.append(row)
    cols = [
        "run_id",
        "scenario",
        "sample",
        "replicate",
        "seed",
        "status",
        "wall_s",
        *[p.name for p in exp.parameters],
    ]
    frame = pd.DataFrame(rows, columns=cols)
    frame["seed"] = frame["seed"].astype("uint64")
    return frame.sort_values("run_id", kind="stable").reset_index(drop=True)


def run_files(store: ExperimentDir, ok: pd.DataFrame, table: str) -> list[tuple[tuple, Path]]:
    """((run_id, scenario, sample, replicate), file) of the finished runs that wrote ``table``."""
    out = []
    for row in ok.sort_values("run_id").itertuples(index=False):
        path = store.run_dir(row.run_id) / f"{table}.parquet"
        if path.is_file():
            out.append(((row.run_id, row.scenario, row.sample, row.replicate), path))
    return out


def _run_outcome(o: OutcomeSpec) -> Callable[[pd.DataFrame], pd.Series]:
    """One run's value of a metric outcome, from that run's rows."""
    empty = pd.DataFrame()
    return lambda frame: outcome_value(o, frame, empty)


def stack(store: ExperimentDir, ok: pd.DataFrame, table: str) -> pd.DataFrame:
    """All finished runs' copies of ``table`` with the id columns in front, sorted by run id."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    parts, ids = [], []
    for row in ok.sort_values("run_id").itertuples(index=False):
        path = store.run_dir(row.run_id) / f"{table}.parquet"
        if not path.is_file():
            continue
        part = pq.read_table(path)
        parts.append(part)
        ids.append((row.run_id, row.scenario, row.sample, row.replicate, part.num_rows))
    if not parts:
        return pd.DataFrame(columns=ID_COLUMNS)
    frame = pa.concat_tables(parts, promote_options="permissive").to_pandas()
    counts = [n for *_, n in ids]
    for i, col in enumerate(ID_COLUMNS):
        values = np.repeat(np.array([r[i] for r in ids], dtype=object if i < 2 else np.int64), counts)
        frame.insert(i, col, values)
    for col in ("run_id", "scenario"):
        frame[col] = frame[col].astype(str)
    # Within a run, rows go in key order, not in the order the model wrote them: that order can
    # depend on the process's import history (e.g. the lever registry's), which differs between
    # an in-process run and a fresh worker.
    keys = ["run_id"] + [c for c in ("year", "county", "metric", "target", "school_id") if c in frame]
    county_rank = {c: i for i, c in enumerate((*COUNTIES, CITY))}

    def key(col: pd.Series) -> pd.Series:
        return col.map(county_rank).fillna(len(county_rank)) if col.name == "county" else col

    return frame.sort_values(keys, key=key, kind="stable").reset_index(drop=True)


def _metric_values(cy: pd.DataFrame, metric: str, year: int) -> pd.Series:
    sub = cy[(cy["metric"] == metric) & (cy["year"] == year)]
    return sub.set_index(["run_id", "county"])["value"].astype(float)


def outcome_value(o: OutcomeSpec, cy: pd.DataFrame, targets: pd.DataFrame) -> pd.Series:
    """The outcome of each run (indexed by run id); runs without the data are absent."""
    if o.target is not None:
        if targets.empty or "target" not in targets:
            return pd.Series(dtype=float)
        sub = targets[(targets["target"] == o.target) & (targets["year"] == o.year)]
        return sub.groupby("run_id")["value"].first().astype(float)
    if cy.empty:
        return pd.Series(dtype=float)
    values = _metric_values(cy, o.metric, o.year)
    if o.divide_by is not None:
        denominator = _metric_values(cy, o.divide_by, o.year)
        values = (values / denominator.where(denominator != 0)).dropna()
    runs = values.index.get_level_values("run_id")
    counties = values.index.get_level_values("county")
    if o.reduce == "value":
        picked = values[counties == o.county]
        return pd.Series(picked.to_numpy(), index=runs[counties == o.county]).groupby(level=0).first()
    keep = counties != CITY
    values = pd.Series(values.to_numpy()[keep], index=runs[keep])
    if o.reduce == "count_counties":
        if o.county_threshold is None:
            hit = values > 0.5  # a 0/1 pass flag
        elif o.county_sense == ">=":
            hit = values >= o.county_threshold
        else:
            hit = values <= o.county_threshold
        return hit.astype(float).groupby(level=0).sum()
    fn = {
        "sum_counties": "sum",
        "mean_counties": "mean",
        "min_counties": "min",
        "max_counties": "max",
    }[o.reduce]
    return values.groupby(level=0).agg(fn)


def outcome_table(
    outcomes: list[OutcomeSpec],
    cy: pd.DataFrame | None,
    targets: pd.DataFrame,
    ids: pd.DataFrame,
    notes: list[str] | None = None,
    precomputed: dict[str, pd.Series] | None = None,
) -> pd.DataFrame:
    """Runs × outcomes (NaN for a failed run or missing data).

    ``precomputed`` holds outcome values already taken run by run (the streamed reduction);
    the others are computed from ``cy`` and ``targets``.
    """
    frame = ids.sort_values("run_id").reset_index(drop=True).copy()
    for o in outcomes:
        if precomputed is not None and o.name in precomputed:
            values = precomputed[o.name]
        else:
            values = outcome_value(o, cy if cy is not None else pd.DataFrame(), targets)
        frame[o.name] = frame["run_id"].map(values).astype(float)
        if notes is not None and frame[o.name].isna().all() and len(frame):
            source = f"plan target {o.target!r}" if o.target else f"metric {o.metric!r}"
            notes.append(f"outcome {o.name}: no run has a value ({source} not in the run tables)")
    return frame


def met(o: OutcomeSpec, values: pd.Series) -> pd.Series:
    """Whether each value meets the outcome's threshold (NaN where the value is missing)."""
    v = values.astype(float)
    hit = v >= o.threshold if o.sense == ">=" else v <= o.threshold
    return hit.astype(float).where(v.notna())


def target_probability(
    outcomes: list[OutcomeSpec], table: pd.DataFrame, targets: pd.DataFrame, order: dict[str, int]
) -> pd.DataFrame:
    """Per scenario, the share of runs meeting each outcome threshold and each plan target."""
    rows = []
    for o in outcomes:
        if o.threshold is None:
            continue
        flags = met(o, table[o.name])
        for scen, f in flags.groupby(table["scenario"]):
            f = f.dropna()
            rows.append(
                {
                    "scenario": scen,
                    "target": o.name,
                    "year": o.year,
                    "probability": float(f.mean()) if len(f) else np.nan,
                    "n": len(f),
                    "threshold": float(o.threshold),
                    "source": "outcome",
                }
            )
    if len(targets) and {"target", "met"} <= set(targets.columns):
        t = targets.copy()
        t["met_f"] = pd.to_numeric(t["met"], errors="coerce").astype(float)
        thr = t.get("threshold", np.nan)
        t["thr"] = pd.to_numeric(thr, errors="coerce")
        g = t.groupby(["scenario", "target", "year"], sort=False)
        agg = g.agg(probability=("met_f", "mean"), n=("met_f", "count"), threshold=("thr", "first"))
        for (scen, target, year), r in agg.iterrows():
            rows.append(
                {
                    "scenario": scen,
                    "target": target,
                    "year": int(year),
                    "probability": float(r["probability"]),
                    "n": int(r["n"]),
                    "threshold": float(r["threshold"]),
                    "source": "plan",
                }
            )
    frame = pd.DataFrame(rows, columns=PROB_COLUMNS)
    if frame.empty:
        return frame
    frame["n"] = frame["n"].astype(int)
    frame["year"] = frame["year"].astype(int)
    return _sort(frame, ["source", "scenario", "target", "year"], order)


def bands(cy: pd.DataFrame, order: dict[str, int]) -> pd.DataFrame:
    """Median and 10–90% band of every metric, per scenario, county and year, over runs."""
    if cy.empty:
        return pd.DataFrame(columns=BAND_COLUMNS)
    g = cy.groupby(["scenario", "county", "metric", "year"], sort=False)["value"]
    frame = pd.concat(
        {"median": g.median(), "p10": g.quantile(0.1), "p90": g.quantile(0.9), "n": g.count()},
        axis=1,
    ).reset_index()
    frame["n"] = frame["n"].astype(int)
    return _sort(frame[BAND_COLUMNS], ["scenario", "county", "metric", "year"], order)


def _sort(frame: pd.DataFrame, keys: list[str], order: dict[str, int]) -> pd.DataFrame:
    """Sort by keys, scenarios in spec order and counties in the canonical order."""
    county_rank = {c: i for i, c in enumerate((*COUNTIES, CITY))}

    def key(col: pd.Series) -> pd.Series:
        if col.name == "scenario":
            return col.map(order)
        if col.name == "county":
            return col.map(county_rank)
        return col

    return frame.sort_values(keys, key=key, kind="stable").reset_index(drop=True)


def sample_means(exp: Experiment, table: pd.DataFrame, scenario: str, outcome: str) -> np.ndarray:
    """The replicate-averaged outcome of each sample of one scenario, in design order."""
    sub = table[table["scenario"] == scenario]
    means = sub.groupby("sample")[outcome].mean()
    return means.reindex(range(len(exp.samples))).to_numpy(dtype=float)


def sensitivity(exp: Experiment, table: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """SALib indices per scenario and outcome; skipped (with a note) where a sample has no value."""
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze

    names = [p.name for p in exp.parameters]
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    seed = design_seed(exp.model.seed)
    rows = []
    for scen in exp.scenarios:
        for o in exp.outcomes:
            Y = sample_means(exp, table, scen, o.name)
            if np.isnan(Y).any():
                notes.append(
                    f"sensitivity of {o.name} in {scen} skipped: "
                    f"{int(np.isnan(Y).sum())} sample(s) have no finished run"
                )
                continue
            if np.ptp(Y) == 0:
                notes.append(
                    f"sensitivity of {o.name} in {scen}: the outcome does not vary "
                    "across samples; indices are undefined (NaN)"
                )
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                if exp.design.kind == "sobol":
                    si = sobol_analyze.analyze(
                        problem,
                        Y,
                        calc_second_order=exp.design.second_order,
                        seed=seed,
                        print_to_console=False,
                    )
                    for i, name in enumerate(names):
                        rows.append(
                            {
                                "method": "sobol",
                                "scenario": scen,
                                "outcome": o.name,
                                "parameter": name,
                                "S1": si["S1"][i],
                                "S1_conf": si["S1_conf"][i],
                                "ST": si["ST"][i],
                                "ST_conf": si["ST_conf"][i],
                            }
                        )
                else:
                    si = morris_analyze.analyze(
                        problem,
                        exp.unit_samples,
                        Y,
                        num_levels=exp.design.num_levels,
                        seed=seed,
                        print_to_console=False,
                    )
                    for i, name in enumerate(names):
                        rows.append(
                            {
                                "method": "morris",
                                "scenario": scen,
                                "outcome": o.name,
                                "parameter": name,
                                "mu_star": si["mu_star"][i],
                                "mu_star_conf": si["mu_star_conf"][i],
                                "sigma": si["sigma"][i],
                            }
                        )
    frame = pd.DataFrame(rows, columns=SENS_COLUMNS)
    for c in SENS_COLUMNS[4:]:
        frame[c] = frame[c].astype(float)
    return frame


def prim_table(exp: Experiment, table: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """PRIM boxes per scenario and outcome over the samples' probability of meeting the target."""
    opts = exp.model.prim
    assert opts is not None
    chosen = [
        o
        for o in exp.outcomes
        if o.threshold is not None and (opts.outcomes is None or o.name in opts.outcomes)
    ]
    numeric = [
        i
        for i, p in enumerate(exp.parameters)
        if all(isinstance(s[p.name], int | float | bool) for s in exp.samples)
    ]
    X = np.array([[float(s[exp.parameters[i].name]) for i in numeric] for s in exp.samples])
    rows = []
    for scen in exp.scenarios:
        sub = table[table["scenario"] == scen]
        for o in chosen:
            flags = met(o, sub[o.name])
            prob = flags.groupby(sub["sample"]).mean().reindex(range(len(exp.samples)))
            valid = prob.notna().to_numpy()
            y = (prob.to_numpy() >= opts.probability) & valid
            if not y.any():
                notes.append(
                    f"PRIM {o.name} in {scen}: no sample meets the target with "
                    f"probability >= {opts.probability}"
                )
                continue
            boxes = prim_mod.covering(
                X[valid],
                y[valid],
                boxes=opts.boxes,
                alpha=opts.alpha,
                min_mass=opts.min_mass,
                min_coverage=opts.min_coverage,
                prune=opts.prune,
            )
            for b, box in enumerate(boxes):
                for k, i in enumerate(numeric):
                    rows.append(
                        {
                            "scenario": scen,
                            "outcome": o.name,
                            "box": b,
                            "parameter": exp.parameters[i].name,
                            "low": box.low[k],
                            "high": box.high[k],
                            "restricted": bool(box.restricted[k]),
                            "coverage": box.coverage,
                            "density": box.density,
                            "mass": box.mass,
                            "probability": opts.probability,
                        }
                    )
    return pd.DataFrame(rows, columns=PRIM_COLUMNS)
