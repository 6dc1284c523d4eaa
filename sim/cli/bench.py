"""``python -m sim bench``: the full-scale baseline against a do-nothing Mesa loop and a floor.

The bar (DESIGN §7): the whole model at full scale, 2022→2027, set-up included, runs faster
than creating as many bare ``mesa.Agent``s as the model has students, teachers and schools
and calling ``shuffle_do`` on them once per simulated year. Both run in this process, the
model first, so the peak resident memory read after it is the model's peak.

A second ratio shows the distance to the physical limit: the vectorised floor is one numpy
pass a year over every column of the same rows (the children's and teachers' tables, as
copying them once would cost), so "model / floor" counts how many such passes a year the
model makes. The first model run builds the 2022 world; later ones reuse it from the
per-process set-up cache (``sim.world.cache``), as a sweep's workers do; ``--cold`` clears
the cache before every run, and the cold time of the first run is always reported.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import statistics
import time
from typing import Any

import numpy as np


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``bench``."""
    parser.add_argument("--config", default=None, help="scenario TOML (default: built-in baseline)")
    parser.add_argument("--repeat", type=int, default=5, help="timed repetitions of each (median quoted)")
    parser.add_argument("--until", type=int, default=2027)
    parser.add_argument("--cold", action="store_true", help="build the world afresh in every repetition")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument(
        "--suite", action="store_true", help="time run, set-up, a year, the report and a 16-run sweep"
    )
    parser.add_argument("--out", default="bench.json", help="JSON file the suite writes (with --suite)")


def mesa_loop(n_agents: int, steps: int, seed: int = 0) -> float:
    """Seconds to create ``n_agents`` bare agents and ``shuffle_do`` them ``steps`` times."""
    import mesa

    class Idle(mesa.Agent):
        def step(self) -> None:
            pass

    t0 = time.perf_counter()
    model = mesa.Model(rng=seed)
    for _ in range(n_agents):
        Idle(model)
    for _ in range(steps):
        model.agents.shuffle_do("step")
    elapsed = time.perf_counter() - t0
    del model
    gc.collect()
    return elapsed


def vectorised_floor(columns: list[np.ndarray], steps: int) -> float:
    """Seconds for one numpy pass a year over every column (a masked copy keeping all rows)."""
    masks = {len(c): np.ones(len(c), dtype=bool) for c in columns}
    t0 = time.perf_counter()
    for _ in range(steps):
        for col in columns:
            col[masks[len(col)]]
    return time.perf_counter() - t0


def time_model(config: Any, until: int, repeat: int, cold: bool) -> dict[str, Any]:
    """Run the model ``repeat`` times; times, agent count and the rows of the floor."""
    from sim.model import QingyuanModel
    from sim.world import cache as world_cache

    times, n_agents, columns = [], 0, []
    world_cache.clear()
    for _ in range(repeat):
        if cold:
            world_cache.clear()
        t0 = time.perf_counter()
        model = QingyuanModel(config)
        model.run(until)
        times.append(time.perf_counter() - t0)
        first = model.county_year().query("county == '全市' and metric == 'n_students' and year == 2022")
        n_agents = int(first["value"].iloc[0]) + len(model.teachers) + len(model.schools)
        columns = [c.copy() for c in (*model.pop.cols.values(), *model.teachers.cols.values())]
        del model
        gc.collect()
    return {"times": times, "n_agents": n_agents, "columns": columns}


def measure(config: Any, until: int, repeat: int, cold: bool = False) -> dict[str, Any]:
    """The bench's figures: model, Mesa loop and floor, medians and ratios, peak memory."""
    timed = time_model(config, until, repeat, cold)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    steps = until - 2022
    floor_times = [vectorised_floor(timed["columns"], steps) for _ in range(repeat)]
    mesa_times = [mesa_loop(timed["n_agents"], steps) for _ in range(repeat)]
    model_s = statistics.median(timed["times"])
    return {
        "agents": timed["n_agents"],
        "years": steps,
        "setup_cached": not cold,
        "model_s_median": model_s,
        "model_s_cold": timed["times"][0],
        "model_s_all": timed["times"],
        "mesa_loop_s_median": statistics.median(mesa_times),
        "mesa_loop_s_all": mesa_times,
        "floor_s_median": statistics.median(floor_times),
        "floor_s_all": floor_times,
        "ratio": model_s / statistics.median(mesa_times),
        "ratio_cold": timed["times"][0] / statistics.median(mesa_times),
        "ratio_to_floor": model_s / statistics.median(floor_times),
        "model_peak_rss_mb": peak_mb,
    }


def main(args: argparse.Namespace) -> int:
    """Time the model, the Mesa loop and the floor; print medians, ratios and peak memory."""
    from sim.core.errors import InputError
    from sim.scenario import load_config

    if args.repeat < 1:
        raise InputError("must be >= 1", source="--repeat", key="repeat")
    if args.suite:
        from sim.cli import bench_suite

        return bench_suite.main(args)
    from sim.config import Config

    config = load_config(args.config) if args.config else Config()
    config = config.with_overrides({"until": args.until})
    result = measure(config, args.until, args.repeat, args.cold)
    if args.json:
        print(json.dumps(result))
        return 0
    r, world = result, "built afresh each run" if args.cold else "set-up cached after the first run"
    print(
        f"model, full scale 2022→{args.until} incl. set-up ({world}): median {r['model_s_median']:.2f} s "
        f"over {args.repeat} runs; first (cold) run {r['model_s_cold']:.2f} s"
    )
    print(
        f"do-nothing Mesa loop, {r['agents']:,} agents × {r['years']} shuffle_do: median "
        f"{r['mesa_loop_s_median']:.2f} s"
    )
    print(f"vectorised floor, one numpy pass a year over the same rows: median {r['floor_s_median']:.3f} s")
    print(f"ratio model / Mesa loop: {r['ratio']:.3f} (cold run {r['ratio_cold']:.3f}; bar < 1, aim ≤ 0.08)")
    print(f"ratio model / floor: {r['ratio_to_floor']:.0f} (passes-a-year equivalent)")
    print(f"peak resident memory of the model runs: {r['model_peak_rss_mb']:,.0f} MB (aim ≤ 1024 MB)")
    return 0
