"""Out-of-core reduction of the runs' ``county_year`` tables (issue 15).

Holding every run's ``county_year`` in one DataFrame cost about 5 MB a full-scale run, so a
sweep of a few hundred runs filled this machine's memory before its tables were written.
Here each run's Parquet file is read once, in run-id order, and then dropped: its rows are
appended to the combined ``county_year.parquet`` with a Parquet writer, its outcome values
are taken, and its values join a per-scenario matrix of numbers only (8 bytes a value, not
a DataFrame row), from which the bands' exact quantiles are computed in column blocks.
Memory grows with runs x metrics x 8 bytes (2,000 full-scale runs: about 270 MB), not
with the DataFrame overhead of the stacked table.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.config import CITY, COUNTIES

ID_COLUMNS = ["run_id", "scenario", "sample", "replicate"]
KEY_COLUMNS = ["county", "metric", "year"]
QUANTILES = (0.1, 0.5, 0.9)
BLOCK = 2048  # keys per quantile block: runs x 2,048 x 8 bytes at a time
_COUNTY_RANK = {c: i for i, c in enumerate((*COUNTIES, CITY))}


def sort_run_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """One run's rows in key order (year, county in canonical order, metric, target, school)."""
    keys = [c for c in ("year", "county", "metric", "target", "school_id") if c in frame]

    def key(col: pd.Series) -> pd.Series:
        return col.map(_COUNTY_RANK).fillna(len(_COUNTY_RANK)) if col.name == "county" else col

    return frame.sort_values(keys, key=key, kind="stable").reset_index(drop=True)


@dataclass
class _Scenario:
    """One scenario's runs: the key of every column, and each run's values in that order."""

    keys: pd.MultiIndex
    raw: list[np.ndarray]  # the first run's key columns, to recognise the same layout cheaply
    rows: list[np.ndarray] = field(default_factory=list)


class BandAccumulator:
    """Exact median and 10-90% band per (scenario, county, metric, year), fed run by run."""

    def __init__(self) -> None:
        self.scenarios: dict[str, _Scenario] = {}

    def add(self, scenario: str, frame: pd.DataFrame) -> None:
        """Add one run's ``county_year`` rows (county, metric, year, value)."""
        raw = [frame[c].to_numpy() for c in KEY_COLUMNS]
        values = frame["value"].to_numpy(dtype=np.float64)
        state = self.scenarios.get(scenario)
        if state is None:
            keys = pd.MultiIndex.from_arrays(raw, names=KEY_COLUMNS)
            self.scenarios[scenario] = _Scenario(keys, raw, [values])
            return
        same = len(values) == len(state.raw[0]) and all(
            np.array_equal(a, b) for a, b in zip(raw, state.raw, strict=True)
        )
        if not same:  # a run with other or reordered rows: align by key
            keys = pd.MultiIndex.from_arrays(raw, names=KEY_COLUMNS)
            extra = keys.difference(state.keys, sort=False)
            if len(extra):
                state.keys = state.keys.append(extra)
            values = pd.Series(values, index=keys).groupby(level=[0, 1, 2]).first()
            values = values.reindex(state.keys).to_numpy(dtype=np.float64)
        state.rows.append(values)

    def frame(self) -> pd.DataFrame:
        """The bands: scenario, county, metric, year, median, p10, p90, n."""
        parts = [self._scenario_frame(name, state) for name, state in self.scenarios.items()]
        columns = ["scenario", *KEY_COLUMNS, "median", "p10", "p90", "n"]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)

    @staticmethod
    def _scenario_frame(name: str, state: _Scenario) -> pd.DataFrame:
        n_keys = len(state.keys)
        q = np.empty((len(QUANTILES), n_keys))
        n = np.empty(n_keys, dtype=np.int64)
        for b0 in range(0, n_keys, BLOCK):
            b1 = min(b0 + BLOCK, n_keys)
            block = np.full((len(state.rows), b1 - b0), np.nan)
            for i, row in enumerate(state.rows):
                part = row[b0:b1]
                block[i, : len(part)] = part  # runs added before new keys appeared lack them
            n[b0:b1] = (~np.isnan(block)).sum(axis=0)
            with warnings.catch_warnings():  # all-NaN columns: quantiles NaN, n 0
                warnings.simplefilter("ignore", RuntimeWarning)
                q[:, b0:b1] = np.nanquantile(block, QUANTILES, axis=0)
        out = state.keys.to_frame(index=False)
        out.insert(0, "scenario", name)
        out["median"], out["p10"], out["p90"], out["n"] = q[1], q[0], q[2], n
        return out


@dataclass
class Streamed:
    """What one pass over the runs produced."""

    path: Path | None
    rows: int
    bands: pd.DataFrame
    outcomes: dict[str, pd.Series]


def stream_county_year(
    paths: list[tuple[tuple, Path]],
    out_path: Path,
    outcome_fns: dict[str, Callable[[pd.DataFrame], pd.Series]],
) -> Streamed:
    """Read each run's ``county_year`` once: write the stack, take outcomes, feed the bands.

    ``paths`` holds ((run_id, scenario, sample, replicate), file) in run-id order;
    ``outcome_fns`` maps an outcome name to a function of one run's rows (id columns
    included) returning that run's value indexed by run id.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    bands = BandAccumulator()
    values: dict[str, list[pd.Series]] = {name: [] for name in outcome_fns}
    tmp = out_path.with_name(f".{out_path.name}.tmp")
    writer: pq.ParquetWriter | None = None
    rows = 0
    try:
        for ids, path in paths:
            frame = sort_run_rows(pd.read_parquet(path))
            for i, col in enumerate(ID_COLUMNS):
                frame.insert(i, col, ids[i])
            frame["run_id"] = frame["run_id"].astype(str)
            frame["scenario"] = frame["scenario"].astype(str)
            frame[["sample", "replicate"]] = frame[["sample", "replicate"]].astype(np.int64)
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table.cast(writer.schema))
            rows += len(frame)
            for name, fn in outcome_fns.items():
                values[name].append(fn(frame))
            bands.add(str(ids[1]), frame)
        if writer is not None:
            writer.close()
            writer = None
            os.replace(tmp, out_path)
    finally:
        if writer is not None:
            writer.close()
        if tmp.exists():
            tmp.unlink()
    outcomes = {k: pd.concat(v) if v else pd.Series(dtype=float) for k, v in values.items()}
    return Streamed(out_path if rows else None, rows, bands.frame(), outcomes)
