"""``python -m sim bench``: the full-scale baseline against a do-nothing Mesa loop.

The bar (DESIGN §7): the whole model at full scale, 2022→2027, set-up included, runs faster
than creating as many bare ``mesa.Agent``s as the model has students, teachers and schools
and calling ``shuffle_do`` on them once per simulated year. Both run in this process, the
model first, so the peak resident memory read after it is the model's peak.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import statistics
import time


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``bench``."""
    parser.add_argument("--config", default=None, help="scenario TOML (default: built-in baseline)")
    parser.add_argument("--repeat", type=int, default=3, help="timed repetitions of each (median quoted)")
    parser.add_argument("--until", type=int, default=2027)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")


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


def main(args: argparse.Namespace) -> int:
    """Time both, print medians, the ratio and the model's peak memory."""
    from sim.config import Config
    from sim.core.errors import InputError
    from sim.model import QingyuanModel
    from sim.scenario import load_config

    if args.repeat < 1:
        raise InputError("must be >= 1", source="--repeat", key="repeat")
    config = load_config(args.config) if args.config else Config()
    config = config.with_overrides({"until": args.until})
    model_times, n_agents = [], 0
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        model = QingyuanModel(config)
        model.run(args.until)
        model_times.append(time.perf_counter() - t0)
        n_students = int(
            model.county_year()
            .query("county == '全市' and metric == 'n_students' and year == 2022")["value"]
            .iloc[0]
        )
        n_agents = n_students + len(model.teachers) + len(model.schools)
        del model
        gc.collect()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    steps = args.until - 2022
    mesa_times = [mesa_loop(n_agents, steps) for _ in range(args.repeat)]
    result = {
        "agents": n_agents,
        "years": steps,
        "model_s_median": statistics.median(model_times),
        "model_s_all": model_times,
        "mesa_loop_s_median": statistics.median(mesa_times),
        "mesa_loop_s_all": mesa_times,
        "ratio": statistics.median(model_times) / statistics.median(mesa_times),
        "model_peak_rss_mb": peak_mb,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"model, full scale 2022→{args.until} incl. set-up: median {result['model_s_median']:.2f} s "
            f"over {args.repeat} runs"
        )
        print(
            f"do-nothing Mesa loop, {n_agents:,} agents × {steps} shuffle_do: median "
            f"{result['mesa_loop_s_median']:.2f} s"
        )
        print(f"ratio model / Mesa loop: {result['ratio']:.3f} (bar: < 1; aim: 0.1)")
        print(f"peak resident memory of the model run: {peak_mb:,.0f} MB (bar: < 2048 MB)")
    return 0
