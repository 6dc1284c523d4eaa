"""Run an experiment: expand, skip what is finished, execute, write each run as it ends, reduce.

Unlike Mesa's ``batch_run`` the runner keeps no table in memory while it runs (each finished
run goes straight to its own Parquet files), records a failed run with its traceback and goes
on, and resumes a killed sweep without redoing finished runs.

The model is any picklable, module-level callable ``run_fn(config, *, seed, until) -> dict
of DataFrames`` (default ``sim.scenario.run``), so tests can inject a failing model and other
tools (SALib, EMA Workbench) can drive the same function.
"""

from __future__ import annotations

import importlib
import time
import traceback
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config import Config
from sim.core.errors import InputError
from sim.core.provenance import git_commit, versions
from sim.core.rundir import sha256_file
from sim.experiments import analysis
from sim.experiments.spec import Experiment, RunSpec, describe
from sim.experiments.store import ExperimentDir, now
from sim.levers import resolved

RunFn = Callable[..., dict[str, pd.DataFrame]]


def default_run_fn() -> RunFn:
    """The model: ``sim.scenario.run``."""
    from sim.scenario import run

    return run


def load_run_fn(ref: str) -> RunFn:
    """Resolve ``module:function`` to a callable (``--run-function``)."""
    module_name, _, attr = ref.partition(":")
    if not module_name or not attr:
        raise InputError(f"expected module:function (got {ref!r})", key="--run-function")
    try:
        fn = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise InputError(f"cannot load {ref!r}: {exc}", key="--run-function") from None
    if not callable(fn):
        raise InputError(f"{ref!r} is not callable", key="--run-function")
    return fn


def with_lever_defaults(config: dict[str, Any]) -> dict[str, Any]:
    """The config with each lever's every default written out, for manifests: a later change
    of a default cannot then silently alter a rerun (``python -m sim run manifest.json``)."""
    if not config.get("levers"):
        return config
    return {**config, "levers": resolved(Config.model_validate(config))}


def execute_run(run: RunSpec, run_fn: RunFn, keep: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Run one model run in a worker; never raises for a failing model.

    Returns the manifest fields and, when the run succeeded, its tables. The parent writes
    them, so a remote Dask worker needs no shared disk. With ``keep`` (the spec's ``save``)
    only those tables and the timings travel back: a full-scale ``school_year`` is 3 MB a
    run that nobody asked for.
    """
    started = now()
    t0, c0 = time.perf_counter(), time.thread_time()
    out: dict[str, Any] = {"started": started}
    try:
        config = Config.model_validate(run.config)
        tables = run_fn(config, seed=run.seed, until=run.until)
        if not isinstance(tables, dict) or "county_year" not in tables:
            raise TypeError(
                f"the run function returned {type(tables).__name__}, not a dict of tables with 'county_year'"
            )
        if keep is not None:
            tables = {k: v for k, v in tables.items() if k in keep or k == "timings"}
        out.update(status="ok", tables=tables, error=None, traceback=None)
    except Exception as exc:
        out.update(
            status="failed",
            tables=None,
            error=f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(),
        )
    out["run_s"] = time.perf_counter() - t0
    # CPU of the thread that ran the model (a Dask worker's other threads talk to the
    # scheduler): what executors are compared on
    out["cpu_s"] = time.thread_time() - c0
    out["finished"] = now()
    return out


@dataclass
class Outcome:
    """What ``run_experiment`` did."""

    out_dir: Path
    total: int
    skipped: int = 0
    done: int = 0
    failed: int = 0
    failed_ids: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    run_s: float = 0.0  # summed time in the run function of the runs done now
    write_s: float = 0.0  # summed time writing their tables and manifests
    reduce_s: float = 0.0
    executor: str = ""
    tables: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def run_experiment(
    exp: Experiment,
    out_dir: str | Path,
    executor: Executor,
    *,
    executor_name: str = "",
    run_fn: RunFn | None = None,
    resume: bool = False,
    progress: bool = True,
    window: int = 1,
) -> Outcome:
    """Execute every unfinished run of ``exp`` on ``executor`` and write the combined tables.

    ``window`` is how many runs are handed to the executor at once (about twice its workers).
    """
    store = ExperimentDir(out_dir)
    previous = store.prepare(exp.text, exp.plan_hash, resume)
    fn = run_fn if run_fn is not None else default_run_fn()
    t_start = time.perf_counter()
    info = _experiment_info(exp, fn, executor_name, previous)
    store.write_experiment(info)

    pending = [r for r in exp.runs if not (resume and store.is_finished(r.run_id, r.config_hash))]
    result = Outcome(
        out_dir=store.root,
        total=len(exp.runs),
        skipped=len(exp.runs) - len(pending),
        executor=executor_name,
    )
    provenance = {
        "versions": info["versions"],
        "git": info["git"],
        "experiment": exp.name,
        "spec_hash": exp.spec_hash,
        "run_function": info["run_function"],
    }
    bar = _progress(len(exp.runs), result.skipped, progress)
    try:
        _execute(exp, store, executor, fn, pending, provenance, result, bar, window)
    finally:
        if bar is not None:
            bar.close()

    t_reduce = time.perf_counter()
    reduced = analysis.reduce_experiment(exp, store)
    result.reduce_s = time.perf_counter() - t_reduce
    result.tables = reduced.paths
    result.notes = exp.notes + reduced.notes
    result.wall_s = time.perf_counter() - t_start
    _finish_info(info, result, reduced.failed, executor_name)
    # checksums of the combined tables, so a reader can refuse a folder mixed since (issue 16)
    info["sha256"] = {name: sha256_file(path) for name, path in reduced.paths.items()}
    store.write_experiment(info)
    return result


def _experiment_info(
    exp: Experiment, fn: RunFn, executor_name: str, previous: dict[str, Any] | None
) -> dict[str, Any]:
    """What ``experiment.json`` records while the experiment runs."""
    return {
        "name": exp.name,
        "description": exp.model.description,
        "spec": str(exp.path),
        "spec_hash": exp.spec_hash,
        "plan_hash": exp.plan_hash,
        "seed": exp.model.seed,
        "until": exp.until,
        "overrides": exp.overrides,
        "design": describe(exp),
        "scenario_configs": {k: with_lever_defaults(v.model_dump(mode="json"))
                             for k, v in exp.scenarios.items()},
        "versions": versions(),
        "git": git_commit(),
        "run_function": f"{fn.__module__}:{getattr(fn, '__qualname__', fn)}",
        "executor": executor_name,
        "notes": list(exp.notes),
        "status": "running",
        "timings": {"started": now()},
        "sessions": (previous or {}).get("sessions", []),
    }


def _execute(
    exp: Experiment,
    store: ExperimentDir,
    executor: Executor,
    fn: RunFn,
    pending: list[RunSpec],
    provenance: dict[str, Any],
    result: Outcome,
    bar: Any,
    window: int,
) -> None:
    """Run ``pending`` on ``executor``, writing each run as it finishes."""
    todo = iter(pending)
    inflight: dict[Future, RunSpec] = {}

    def fill() -> None:
        # A bounded window: finished tables wait in memory only until written, and an
        # in-process executor (which runs at submit) writes each run before the next starts.
        while len(inflight) < max(1, window):
            run = next(todo, None)
            if run is None:
                return
            inflight[executor.submit(execute_run, run, fn, tuple(exp.model.save))] = run

    fill()
    while inflight:
        finished, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
        for fut in finished:
            run = inflight.pop(fut)
            _record(store, exp, run, _result_of(fut), provenance, result)
            if bar is not None:
                bar.set_postfix_str(f"failed={result.failed}", refresh=False)
                bar.update(1)
        fill()


def _finish_info(info: dict[str, Any], result: Outcome, failed_total: int, executor_name: str) -> None:
    """Status, timings and this session's record in ``experiment.json``."""
    info.update(
        status="complete" if failed_total == 0 else "complete_with_failures",
        notes=result.notes,
    )
    info["timings"].update(
        finished=now(),
        wall_s=round(result.wall_s, 3),
        reduce_s=round(result.reduce_s, 3),
        run_s=round(result.run_s, 3),
        write_s=round(result.write_s, 3),
        runs_total=result.total,
        runs_skipped=result.skipped,
        runs_done=result.done,
        runs_failed=result.failed,
    )
    info["sessions"] = [
        *info["sessions"],
        {
            k: info["timings"][k]
            for k in ("started", "finished", "wall_s", "runs_skipped", "runs_done", "runs_failed")
        }
        | {"executor": executor_name},
    ]
    info["runs_failed_total"] = failed_total


def _result_of(fut: Future) -> dict[str, Any]:
    try:
        return fut.result()
    except Exception as exc:  # the worker itself died (e.g. out of memory, killed)
        return {
            "status": "failed",
            "tables": None,
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(),
            "run_s": float("nan"),
            "started": None,
            "finished": now(),
        }


def _record(
    store: ExperimentDir,
    exp: Experiment,
    run: RunSpec,
    res: dict[str, Any],
    provenance: dict[str, Any],
    result: Outcome,
) -> None:
    """Write one finished run (tables, then manifest) and count it."""
    tables = res.pop("tables")
    warnings = (tables or {}).get("warnings")
    if isinstance(warnings, pd.DataFrame) and len(warnings):
        res["warnings"] = warnings.to_dict(orient="records")  # knobs clipped back into range
    timing = (tables or {}).get("timings")
    if isinstance(timing, pd.DataFrame) and len(timing) == 1:
        res["model_timings"] = {k: float(v) for k, v in timing.iloc[0].items()}
    manifest = {
        "run_id": run.run_id,
        "scenario": run.scenario,
        "sample": run.sample,
        "replicate": run.replicate,
        "seed": run.seed,
        "until": run.until,
        "params": run.params,
        **res,
        "config_hash": run.config_hash,
        "config": with_lever_defaults(run.config),
        **provenance,
    }
    t0 = time.perf_counter()
    store.write_run(run.run_id, tables or {}, manifest, exp.model.save)
    result.write_s += time.perf_counter() - t0
    if res["run_s"] == res["run_s"]:  # not NaN
        result.run_s += res["run_s"]
    if res["status"] == "ok":
        result.done += 1
    else:
        result.failed += 1
        result.failed_ids.append(run.run_id)


def _progress(total: int, initial: int, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="run", desc="runs", dynamic_ncols=True, smoothing=0.1)
