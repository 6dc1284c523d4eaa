"""The model as a plain function, for the CLI, the experiment runner and outside tools.

``run(config, seed=..., until=...)`` builds a model, runs it and returns its tables. It has
no side effects, so SALib, EMA Workbench or any executor can call it.
"""

from __future__ import annotations

import time

import pandas as pd

from sim.config import Config
from sim.model import QingyuanModel


def run(config: Config, *, seed: int | None = None, until: int | None = None) -> dict[str, pd.DataFrame]:
    """Run one scenario and return ``county_year``, ``school_year`` and ``targets`` tables.

    ``timings`` (a one-row table: set-up and run seconds) is included for the manifest.
    """
    t0 = time.perf_counter()
    model = QingyuanModel(config, seed=seed)
    t1 = time.perf_counter()
    model.run(until if until is not None else config.until)
    t2 = time.perf_counter()
    tables = {"county_year": model.county_year(), "school_year": model.school_year()}
    targets = getattr(model, "targets_table", None)
    if callable(targets):
        tables["targets"] = targets()
    tables["timings"] = pd.DataFrame({"setup_s": [t1 - t0], "run_s": [t2 - t1]})
    return tables
