"""Measure the runner: throughput with 1 and 2 workers, and its overhead per run.

``python -m sim.experiments.bench [SPEC] [--replicates N] [--counties A,B] [--repeat K]``

By default: ``experiments/levers_2027.toml`` shrunk to two small counties and 8 replicates
(7 scenarios x 8 = 56 runs of about half a second). Each setting runs ``--repeat`` times and
the fastest is kept, since other users of a shared machine only ever slow a run down; the
load average before and after is printed beside the numbers so they can be judged.

Overhead per run is what the runner adds around the model: writing the run's tables and
manifest, dispatch, bookkeeping. It is measured in-process (1 worker), where nothing else
hides it: ``(wall - model time - reduction) / runs``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from sim.experiments.executors import open_executor
from sim.experiments.runner import run_experiment
from sim.experiments.spec import SpecOverrides, load_spec


def measure(spec: Path, overrides: SpecOverrides, workers: int, dask: str | None, repeat: int) -> dict:
    """Best of ``repeat`` experiment runs with ``workers`` workers (executor start included)."""
    exp = load_spec(spec, overrides)
    best: dict | None = None
    for _ in range(repeat):
        out = Path(tempfile.mkdtemp(prefix="sim-bench-"))
        try:
            t0 = time.perf_counter()
            with open_executor(workers, dask) as (ex, name, window):
                res = run_experiment(exp, out / "exp", ex, executor_name=name, progress=False, window=window)
            wall = time.perf_counter() - t0
        finally:
            shutil.rmtree(out, ignore_errors=True)
        row = {
            "executor": name,
            "runs": res.done,
            "failed": res.failed,
            "wall_s": wall,
            "run_s": res.run_s,
            "write_s": res.write_s,
            "reduce_s": res.reduce_s,
            "throughput": res.done / wall,
        }
        if best is None or row["wall_s"] < best["wall_s"]:
            best = row
    assert best is not None
    return best


def main(argv: list[str] | None = None) -> int:
    """Print throughput for 1 and 2 workers and the runner's overhead per run."""
    parser = argparse.ArgumentParser(prog="python -m sim.experiments.bench", description=__doc__)
    parser.add_argument("spec", nargs="?", default="experiments/levers_2027.toml")
    parser.add_argument("--replicates", type=int, default=8)
    parser.add_argument("--counties", default="连州市,连南瑶族自治县")
    parser.add_argument("--until", type=int)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--dask", action="store_true", help="also measure a Dask LocalCluster")
    args = parser.parse_args(argv)
    ov = SpecOverrides(
        replicates=args.replicates, until=args.until, counties=[c for c in args.counties.split(",") if c]
    )
    print(f"load average before: {os.getloadavg()}; cores: {os.cpu_count()}")
    settings = [(1, None), (2, None)] + ([(2, "local")] if args.dask else [])
    rows = [measure(Path(args.spec), ov, w, d, args.repeat) for w, d in settings]
    print(f"load average after: {os.getloadavg()}")
    base = rows[0]
    for r in rows:
        print(
            f"{r['executor']:<32} {r['runs']} runs  wall {r['wall_s']:6.1f} s  "
            f"throughput {r['throughput']:.2f} runs/s  x{r['throughput'] / base['throughput']:.2f}  "
            f"(model time {r['run_s']:.1f} s)"
        )
    n = base["runs"]
    model = base["run_s"] / n
    overhead = (base["wall_s"] - base["run_s"] - base["reduce_s"]) / n
    print(
        f"in-process, per run: model {model:.3f} s, runner overhead {overhead:.4f} s "
        f"({100 * overhead / model:.1f}%), of which writing {base['write_s'] / n:.4f} s; "
        f"reduction {base['reduce_s']:.2f} s once"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
