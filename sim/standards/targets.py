"""The plan scorecard: each target's value, threshold and whether it is met, per year.

Computed from the tidy ``county_year`` table (``year, county, metric, value``) so the same
function scores a single run, every run of an experiment, or a hand-made table. Targets
and thresholds are data (``targets.toml``).

A metric the table lacks counts as 0 and the row's ``note`` says so: a scorecard with a
silently-zero target would read as a policy failure when it is a missing measurement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from sim.core.names import CITY
from sim.standards.spec import load_file

TARGET_COLUMNS: tuple[str, ...] = ("year", "target", "value", "threshold", "met", "status", "note")
MET, NOT_MET, NOT_ASSESSED = "met", "not met", "not assessed"


@dataclass(frozen=True, kw_only=True)
class Target:
    """One plan target."""

    id: str
    name_zh: str
    name_en: str
    metric: str
    county: str | None = None
    count_counties: bool = False
    # per-county count of the standard's items the verdict could not assess: a target whose
    # value reaches the threshold only through counties with such items is "not assessed"
    not_assessed_metric: str | None = None
    threshold: float
    deadline: int = field(metadata={"ge": 2023, "le": 2050})
    source: str


@dataclass(frozen=True, kw_only=True)
class _Targets:
    targets: list[Target]


@lru_cache(maxsize=4)
def load_targets(path: str | Path | None = None) -> tuple[Target, ...]:
    """The plan's targets from ``targets.toml`` (or an edited copy), read strictly
    (``sim.standards.spec.load_file``: a file it refuses gets pydantic's error)."""
    path = Path(path or Path(__file__).with_name("targets.toml"))
    return tuple(load_file(path, _Targets, "targets").targets)


TARGETS: dict[str, Target] = {t.id: t for t in load_targets()}


def _sustained(flags: pd.DataFrame, years: np.ndarray, sustain_years: int) -> pd.Series:
    """Number of counties whose flag was 1 in each of the last ``sustain_years`` years."""
    if flags.empty:
        return pd.Series(0.0, index=years)
    wide = flags.pivot_table(index="year", columns="county", values="value", aggfunc="max")
    full = np.arange(int(min(years.min(), wide.index.min())), int(max(years.max(), wide.index.max())) + 1)
    wide = (wide.reindex(full).fillna(0.0) >= 0.5).astype(float)
    held = wide.rolling(sustain_years, min_periods=sustain_years).min().fillna(0.0)
    return held.sum(axis=1).reindex(years).fillna(0.0)


def _status(cy: pd.DataFrame, t: Target, years: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Met, not met, or not assessed: reaching the threshold on unassessed items is not "met"."""
    reached = values >= t.threshold
    status = np.where(reached, MET, NOT_MET).astype(object)
    if t.not_assessed_metric is None or not len(years):
        return status
    na = cy[(cy["metric"] == t.not_assessed_metric) & (cy["county"] != CITY)]
    if na.empty:  # the table does not say what was assessed: it cannot say "met" either
        return np.where(reached, NOT_ASSESSED, NOT_MET).astype(object)
    any_na = (na.groupby("year")["value"].max().reindex(years).fillna(1.0) > 0).to_numpy()
    return np.where(reached & any_na, NOT_ASSESSED, status).astype(object)


def plan_scorecard(
    county_year: pd.DataFrame,
    sustain_years: int = 1,
    targets: tuple[Target, ...] | None = None,
) -> pd.DataFrame:
    """Per year and target: ``value, threshold``, a three-state ``status`` and a ``note``.

    ``status`` is "met" (value ≥ threshold), "not met", or "not assessed" when the value
    reaches the threshold but the counties' verdicts rest on items the model could not
    assess (the target's ``not_assessed_metric`` > 0): never counted as met. ``met`` is
    ``status == "met"``.

    Counties count toward the "counties passing" targets when their 0/1 metric
    (``passes_compulsory_standard`` / ``passes_preschool_standard``) has been 1 in each of
    the last ``sustain_years`` years up to that year (eligibility, e.g. basic balance 3+
    years before, is already part of the county verdict).
    """
    if sustain_years < 1:
        raise ValueError("sustain_years must be at least 1")
    targets = targets if targets is not None else load_targets()
    cy = county_year
    years = np.sort(cy["year"].unique()).astype(int) if len(cy) else np.zeros(0, dtype=int)
    frames = []
    for t in targets:
        rows = cy[cy["metric"] == t.metric]
        note = "" if len(rows) else f"metric {t.metric} missing from county_year; counted as 0"
        if t.count_counties:
            value = _sustained(rows[rows["county"] != CITY], years, sustain_years)
        else:
            scope = rows[rows["county"] == t.county] if t.county else rows
            if t.county == CITY and scope.empty and len(rows):
                scope = rows  # no city row: the counties' sum is the city's value
                note = f"no {CITY} row for {t.metric}; summed over counties"
            elif t.county and t.county != CITY and scope.empty and len(rows):
                note = f"no rows for {t.county}; counted as 0"
            value = scope.groupby("year")["value"].sum().reindex(years).fillna(0.0)
        values = value.to_numpy(float) if len(years) else np.zeros(0)
        status = _status(cy, t, years, values)
        frames.append(
            pd.DataFrame(
                {
                    "year": years,
                    "target": t.id,
                    "value": values,
                    "threshold": float(t.threshold),
                    "met": status == MET,
                    "status": status,
                    "note": note,
                }
            )
        )
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=TARGET_COLUMNS)
    return out.sort_values("year", kind="stable").reset_index(drop=True)[list(TARGET_COLUMNS)]
