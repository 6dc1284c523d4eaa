"""``python -m sim bench --suite``: the performance table of the README, measured here.

Times, each the median of ``--repeat`` runs in this process: a full-scale run (cold and
with the set-up cached), the set-up alone (cold and cached), one simulated year, the HTML
report of a run, and a 16-run sweep on a process pool and on a Dask LocalCluster with the
same number of workers (CPU seconds per run side by side, from the runs' manifests). The
ratios of ``python -m sim bench`` (model / do-nothing Mesa loop, model / vectorised floor)
come from the same process. Everything goes to one JSON file (``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

SWEEP_SPEC = """
seed = 15
replicates = 8
until = {until}
[scenarios]
baseline = {{}}
fewer_births = {{ overrides = {{ "demography.births_trend" = -0.06 }} }}
"""


def _median_time(fn: Any, repeat: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def time_setup_and_year(config: Any, repeat: int) -> dict[str, Any]:
    """Set-up cold and cached, and the median simulated year (full scale)."""
    from sim.model import QingyuanModel
    from sim.world import cache as world_cache

    def cold() -> None:
        world_cache.clear()
        QingyuanModel(config)

    cold_s, _ = _median_time(cold, repeat)
    QingyuanModel(config)  # fill the cache
    cached_s, _ = _median_time(lambda: QingyuanModel(config), repeat)
    model = QingyuanModel(config)
    years = []
    while model.year < config.until:
        t0 = time.perf_counter()
        model.step()
        years.append(time.perf_counter() - t0)
    return {
        "setup_cold_s": cold_s,
        "setup_cached_s": cached_s,
        "year_s_median": statistics.median(years),
        "year_s_all": years,
    }


def time_report(config: Any, workdir: Path, repeat: int) -> dict[str, Any]:
    """``sim.scenario.run`` + write_run of one full-scale run, then its report (median)."""
    import matplotlib

    matplotlib.use("Agg")
    from sim.report.build import write_report
    from sim.scenario import build_manifest, now, run, write_run

    started = now()
    t0 = time.perf_counter()
    tables = run(config)
    run_s = time.perf_counter() - t0
    tables.pop("timings")
    out = workdir / "run"
    write_run(tables, out, build_manifest(config, config.seed, config.until, started, now()))
    report_s, all_s = _median_time(lambda: write_report(out, lang="en", out=None, dpi=100), repeat)
    return {"api_run_s": run_s, "report_s_median": report_s, "report_s_all": all_s}


def time_sweep(workdir: Path, until: int, workers: int) -> dict[str, Any]:
    """The same 16-run full-scale sweep on a process pool and on a Dask LocalCluster."""
    from sim.experiments.executors import open_executor
    from sim.experiments.runner import run_experiment
    from sim.experiments.spec import load_spec

    spec = workdir / "sweep.toml"
    spec.write_text(SWEEP_SPEC.format(until=until), encoding="utf-8")
    exp = load_spec(spec)
    out: dict[str, Any] = {"runs": len(exp.runs), "workers": workers}
    for label, dask in (("process_pool", None), ("dask_local", "local")):
        target = workdir / label
        t0 = time.perf_counter()
        with open_executor(workers, dask) as (ex, name, window):
            res = run_experiment(exp, target, ex, executor_name=name, progress=False, window=window)
        wall = time.perf_counter() - t0
        cpu = [json.loads(p.read_text())["cpu_s"] for p in sorted(target.glob("runs/*/manifest.json"))]
        out[label] = {
            "wall_s": wall,
            "runs_done": res.done,
            "cpu_s_per_run_mean": statistics.fmean(cpu),
            "runs_per_core_hour": 3600 / statistics.fmean(cpu),
            "reduce_s": res.reduce_s,
        }
    out["dask_cpu_per_run_vs_pool"] = (
        out["dask_local"]["cpu_s_per_run_mean"] / out["process_pool"]["cpu_s_per_run_mean"]
    )
    return out


def main(args: argparse.Namespace) -> int:
    """Run every timing, print a summary and write the JSON file."""
    from sim.cli import bench
    from sim.config import Config

    config = Config().with_overrides({"until": args.until})
    result: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()},
        "repeat": args.repeat,
    }
    result["run"] = bench.measure(config, args.until, args.repeat)
    result["setup_and_year"] = time_setup_and_year(config, args.repeat)
    with tempfile.TemporaryDirectory(prefix="sim-bench-") as tmp:
        result["report"] = time_report(config, Path(tmp), args.repeat)
        result["sweep_16"] = time_sweep(Path(tmp), args.until, workers=2)
    result["machine"]["load_after"] = os.getloadavg()
    Path(args.out).write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    r, s = result["run"], result["setup_and_year"]
    sw = result["sweep_16"]
    print(
        f"run (set-up cached) {r['model_s_median']:.2f} s, cold {r['model_s_cold']:.2f} s; "
        f"ratio to Mesa loop {r['ratio']:.3f}, to floor {r['ratio_to_floor']:.0f}"
    )
    print(
        f"set-up cold {s['setup_cold_s']:.2f} s, cached {s['setup_cached_s']:.2f} s; "
        f"a year {s['year_s_median']:.2f} s; report {result['report']['report_s_median']:.2f} s"
    )
    print(
        f"16-run sweep CPU/run: pool {sw['process_pool']['cpu_s_per_run_mean']:.2f} s, "
        f"dask {sw['dask_local']['cpu_s_per_run_mean']:.2f} s (ratio {sw['dask_cpu_per_run_vs_pool']:.2f})"
    )
    print(f"wrote {args.out}")
    return 0
