"""Toy model functions for the runner's mechanics tests (no tests here).

They have the shape of ``sim.scenario.run`` (config, seed, until -> tables) and compute their
tables deterministically from the config and the seed, so executor, resume and failure tests
run in milliseconds. They live in an importable module so process pools, Dask workers and a
CLI subprocess (``--run-function test_experiments_toy:slow_toy_run``) can load them.
"""

from __future__ import annotations

import json
import os
import time

import numpy as np
import pandas as pd

from sim.config import CITY, Config


def toy_run(config: Config, *, seed: int, until: int) -> dict[str, pd.DataFrame]:
    """County-year births and urbanisation that follow the config's demography parameters."""
    rng = np.random.default_rng(seed)
    d = config.demography
    rows = []
    for year in range(config.start_year + 1, until + 1):
        t = year - config.start_year
        births_all = 0.0
        urb_all = []
        for i, county in enumerate(config.counties):
            births = 1000.0 * (i + 1) * (1 + d.births_trend) ** t * (1 + 0.05 * rng.standard_normal())
            urb = 0.4 + d.urbanisation_gain * t + 0.01 * rng.standard_normal()
            rows += [(year, county, "new_births", births), (year, county, "urbanisation_rate", urb)]
            births_all += births
            urb_all.append(urb)
        rows += [
            (year, CITY, "new_births", births_all),
            (year, CITY, "urbanisation_rate", float(np.mean(urb_all))),
        ]
    cy = pd.DataFrame(rows, columns=["year", "county", "metric", "value"])
    last = cy[(cy["year"] == until) & (cy["county"] == CITY) & (cy["metric"] == "new_births")]
    value = float(last["value"].iloc[0])
    targets = pd.DataFrame(
        {
            "year": [until],
            "target": ["toy_births_below_5000"],
            "value": [value],
            "threshold": [5000.0],
            "met": [value <= 5000.0],
        }
    )
    return {"county_year": cy, "targets": targets}


def fragile_run(config: Config, *, seed: int, until: int) -> dict[str, pd.DataFrame]:
    """Like ``toy_run`` but raises for a config named ``boom`` (a scenario can set it)."""
    if config.name == "boom":
        raise RuntimeError("the boom scenario always fails")
    return toy_run(config, seed=seed, until=until)


def slow_toy_run(config: Config, *, seed: int, until: int) -> dict[str, pd.DataFrame]:
    """``toy_run`` after a pause (``TOY_SLEEP`` s); logs each call to ``TOY_LOG`` if set."""
    time.sleep(float(os.environ.get("TOY_SLEEP", "0.3")))
    log = os.environ.get("TOY_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"seed": seed, "trend": config.demography.births_trend}) + "\n")
    return toy_run(config, seed=seed, until=until)


def busy_toy_run(config: Config, *, seed: int, until: int) -> dict[str, pd.DataFrame]:
    """``toy_run`` after ``TOY_BUSY`` s of CPU work (for throughput measurements)."""
    end = time.process_time() + float(os.environ.get("TOY_BUSY", "0.5"))
    x = 0.0
    while time.process_time() < end:
        x += sum(i * 0.5 for i in range(1000))
    return toy_run(config, seed=seed, until=until)


def process_ordered_toy_run(config: Config, *, seed: int, until: int) -> dict[str, pd.DataFrame]:
    """``toy_run`` with its rows in an order that depends on the process, not on the run.

    Stands for a model whose row order follows its import history (a registry's order), which
    differs between the parent and a fresh worker; the combined tables must not.
    """
    tables = toy_run(config, seed=seed, until=until)
    cy = tables["county_year"]
    order = np.random.default_rng(os.getpid()).permutation(len(cy))
    tables["county_year"] = cy.iloc[order].reset_index(drop=True)
    return tables
