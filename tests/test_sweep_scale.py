"""Sweeps that scale (issue 15): a streamed reduction in bounded memory, lean run results,
Dask workers without the malloc setting that doubled their CPU."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.config import CITY, COUNTIES
from sim.experiments.streaming import BandAccumulator

ROOT = Path(__file__).resolve().parents[1]


def _run_frame(rng: np.random.Generator, metrics: list[str], years=range(2022, 2028)) -> pd.DataFrame:
    """A county_year table shaped like a full-scale run's: every county and the city."""
    keys = pd.MultiIndex.from_product(
        [list(years), [*COUNTIES, CITY], metrics], names=["year", "county", "metric"]
    )
    frame = keys.to_frame(index=False)
    frame["year"] = frame["year"].astype(np.int32)
    frame["value"] = rng.normal(100, 10, len(frame))
    return frame


def test_streamed_bands_equal_a_groupby_over_all_runs():
    rng = np.random.default_rng(0)
    runs = {("a", i): _run_frame(rng, ["m1", "m2"]) for i in range(7)}
    runs |= {("b", i): _run_frame(rng, ["m1", "m2"]) for i in range(4)}
    # one run with its rows shuffled, one without a metric, one with an extra metric
    runs[("a", 3)] = runs[("a", 3)].sample(frac=1, random_state=1)
    runs[("a", 4)] = runs[("a", 4)][runs[("a", 4)]["metric"] != "m2"]
    runs[("a", 5)] = pd.concat([runs[("a", 5)], _run_frame(rng, ["m3"], years=[2027])])
    acc = BandAccumulator()
    for (scenario, _), frame in runs.items():
        acc.add(scenario, frame)
    got = acc.frame().set_index(["scenario", "county", "metric", "year"]).sort_index()
    stacked = pd.concat([f.assign(scenario=s) for (s, _), f in runs.items()])
    g = stacked.groupby(["scenario", "county", "metric", "year"])["value"]
    expected = pd.concat(
        {"median": g.median(), "p10": g.quantile(0.1), "p90": g.quantile(0.9), "n": g.count()}, axis=1
    ).sort_index()
    assert got.index.equals(expected.index)
    for col in ("median", "p10", "p90"):
        assert np.allclose(got[col], expected[col], rtol=0, atol=1e-12), col
    assert (got["n"] == expected["n"]).all()
    assert got.loc[("a", CITY, "m3", 2027), "n"] == 1 and got.loc[("a", CITY, "m2", 2027), "n"] == 6


SPEC_2000 = """
seed = 5
replicates = 1000
until = 2027
[scenarios]
baseline = {}
fewer_births = { overrides = { "demography.births_trend" = -0.05 } }
[[outcomes]]
name = "births_2027"
metric = "new_births"
year = 2027
reduce = "sum_counties"
"""

REDUCE = """
import json, resource, sys, time
limit = int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from sim.experiments.analysis import reduce_experiment
from sim.experiments.spec import load_spec
from sim.experiments.store import ExperimentDir
t0 = time.perf_counter()
reduced = reduce_experiment(load_spec(sys.argv[1]), ExperimentDir(sys.argv[2]))
# VmHWM, not ru_maxrss: on Linux ru_maxrss survives exec and can report the parent's size
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({"peak_mb": hwm / 1024,
                  "seconds": time.perf_counter() - t0, "failed": reduced.failed,
                  "missing": reduced.missing}))
"""


# An address-space limit also counts what is reserved but never used: Arrow's jemalloc pool
# reserves about 1 GB up front, and each thread a 64 MB malloc arena and a stack. With the
# system allocator, two arenas and single-threaded BLAS the reservation is about 0.3 GB, so
# the limit measures the reduction's own memory (its peak resident size is asserted too).
LIMITED_ENV = {
    **os.environ,
    "ARROW_DEFAULT_MEMORY_POOL": "system",
    "MALLOC_ARENA_MAX": "2",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
}


def synthetic_store(tmp_path: Path, spec_text: str, n_templates: int = 8) -> tuple[Path, Path, int]:
    """An experiment directory whose runs all finished, each with a full-scale county_year.

    The Parquet files are hard links to a few templates (disk stays small); the reduction
    reads every run's file as if it were its own.
    """
    from sim.experiments.spec import load_spec

    spec = tmp_path / "spec.toml"
    spec.write_text(spec_text, encoding="utf-8")
    exp = load_spec(spec)
    out = tmp_path / "exp"
    rng = np.random.default_rng(1)
    metrics = ["new_births", *(f"metric_{i:03d}" for i in range(310))]  # 311, as a full run has
    templates = []
    for i in range(n_templates):
        path = tmp_path / f"template_{i}.parquet"
        _run_frame(rng, metrics).to_parquet(path, index=False)
        templates.append(path)
    for i, r in enumerate(exp.runs):
        d = out / "runs" / r.run_id
        d.mkdir(parents=True)
        os.link(templates[i % n_templates], d / "county_year.parquet")
        manifest = {
            "status": "ok",
            "config_hash": r.config_hash,
            "files": {"county_year": "county_year.parquet"},
        }
        (d / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return spec, out, len(exp.runs)


@pytest.mark.slow
def test_2000_full_scale_runs_reduce_under_2_gb(tmp_path):
    """The analysis of 2,000 full-scale runs under an address-space limit of 2 GB."""
    spec, out, n = synthetic_store(tmp_path, SPEC_2000)
    assert n == 2000
    limit = 2 * 1024**3
    done = subprocess.run(
        [sys.executable, "-c", REDUCE, str(spec), str(out), str(limit)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=LIMITED_ENV,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["failed"] == 0 and result["missing"] == 0
    assert result["peak_mb"] < 2048
    cy = pd.read_parquet(out / "county_year.parquet", columns=["run_id"])
    assert len(cy) == 2000 * 6 * 9 * 311 and cy["run_id"].nunique() == 2000
    outcomes = pd.read_parquet(out / "outcomes.parquet")
    assert outcomes["births_2027"].notna().all()
    print(f"2,000 runs reduced: peak {result['peak_mb']:.0f} MB in {result['seconds']:.0f} s")


def test_reduction_peak_grows_slowly_with_runs(tmp_path):
    """A quick check of the same: 200 runs reduce with an address-space limit of 1 GB."""
    spec, out, n = synthetic_store(tmp_path, SPEC_2000.replace("replicates = 1000", "replicates = 100"))
    assert n == 200
    limit = 1024**3
    done = subprocess.run(
        [sys.executable, "-c", REDUCE, str(spec), str(out), str(limit)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=LIMITED_ENV,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1])["peak_mb"] < 512


def test_a_run_sends_back_only_the_tables_the_spec_saves(tmp_path):
    from sim.experiments.runner import execute_run
    from sim.experiments.spec import load_spec

    spec = tmp_path / "spec.toml"
    spec.write_text(
        'seed = 3\nuntil = 2023\nsave = ["county_year"]\n[constants]\ncounties = ["连山壮族瑶族自治县"]\n'
    )
    run = load_spec(spec).runs[0]
    lean = execute_run(run, _run_with_school_year, ("county_year",))
    assert lean["status"] == "ok" and set(lean["tables"]) == {"county_year", "timings"}
    full = execute_run(run, _run_with_school_year)
    assert set(full["tables"]) == {"county_year", "school_year", "timings"}


def _run_with_school_year(config, *, seed, until):
    frame = pd.DataFrame({"year": [until], "county": [CITY], "metric": ["new_births"], "value": [1.0]})
    return {"county_year": frame, "school_year": pd.DataFrame({"x": range(10)}), "timings": pd.DataFrame()}


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_sweep_on_a_scheduler_and_two_workers_started_by_hand(tmp_path):
    """The README recipe: ``dask scheduler`` and two ``dask worker`` on 127.0.0.1, then
    ``python -m sim experiment --dask tcp://...``; same tables as inline, no malloc trim."""
    from distributed import Client

    from sim.experiments.executors import DASK_WORKER_CONFIG

    config_dir = tmp_path / "dask-config"
    config_dir.mkdir()
    (config_dir / "sim.yaml").write_text(DASK_WORKER_CONFIG, encoding="utf-8")
    env = {**os.environ, "DASK_CONFIG": str(config_dir), "PYTHONPATH": str(ROOT)}
    env.pop("MALLOC_TRIM_THRESHOLD_", None)
    dask_cli = str(Path(sys.executable).with_name("dask"))
    address = f"tcp://127.0.0.1:{_free_port()}"
    port = address.rsplit(":", 1)[1]
    scheduler = subprocess.Popen(
        [dask_cli, "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker_cmd = [dask_cli, "worker", address, "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"]
    workers = [
        subprocess.Popen(worker_cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(2)
    ]
    try:
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
            assert set(client.run(os.environ.get, "MALLOC_TRIM_THRESHOLD_").values()) == {None}
        spec = tmp_path / "spec.toml"
        spec.write_text(
            'seed = 4\nreplicates = 2\nuntil = 2024\n[constants]\ncounties = ["连山壮族瑶族自治县"]\n'
            '[scenarios]\na = {}\nb = { overrides = { "demography.births_trend" = -0.1 } }\n',
            encoding="utf-8",
        )
        for label, extra in (("dask", ["--dask", address]), ("inline", [])):
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "sim",
                    "experiment",
                    str(spec),
                    "--out",
                    str(tmp_path / label),
                    "--no-progress",
                    *extra,
                ],
                capture_output=True,
                text=True,
                cwd=ROOT,
                env=env,
                timeout=600,
            )
            assert done.returncode == 0, done.stderr[-2000:]
        info = json.loads((tmp_path / "dask" / "experiment.json").read_text(encoding="utf-8"))
        assert info["executor"] == f"dask scheduler {address} (2 workers)"
        for table in ("county_year", "outcomes", "bands"):
            a = pd.read_parquet(tmp_path / "dask" / f"{table}.parquet")
            b = pd.read_parquet(tmp_path / "inline" / f"{table}.parquet")
            pd.testing.assert_frame_equal(a, b)
    finally:
        for proc in (*workers, scheduler):
            proc.terminate()
        for proc in (*workers, scheduler):
            proc.wait(timeout=30)
