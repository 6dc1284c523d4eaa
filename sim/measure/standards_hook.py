"""The standards in the model: every simulated year, every county, as tidy metrics.

``standards_metrics`` is a pure function of the year's school table (columns of
``sim.core.names.SCHOOL_YEAR_COLUMNS``), the per-county items the model can compute and the
per-county preschool counts. ``model_inputs`` gathers those inputs from a running model;
the measure phase calls ``record_standards`` and appends the rows to ``county_year``.

What the verdict metrics mean inside the model: ``passes_compulsory_standard`` is 1 when no
criterion the model judges failed. Items the model does not simulate (training funding,
certificates, special-education funding, quality monitoring, social recognition, admission
by exam, key schools ...) are "not assessed", never met: their number is reported
(``n_items_not_assessed_compulsory``) and the plan scorecard shows a county-count target
resting on them as "not assessed", a third state beside met and not met
(``sim.standards.targets``). The items the model computes, and how, are in
``sim.measure.guarantees``; their values are recorded as ``item_<id>`` metrics.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from sim.config import CITY
from sim.core.names import PRESCHOOL_METRICS
from sim.measure.guarantees import county_items
from sim.standards.evaluator import CompulsoryEvaluation, SchoolTable, evaluate_compulsory
from sim.standards.preschool import PreschoolEvaluation, evaluate_preschool
from sim.standards.spec import LEVELS

# county_year metric (from sim.measure.county) → preschool input column
PRESCHOOL_INPUTS: dict[str, str] = {
    "n_children_3_5": "children_3_5",
    "n_students_preschool": "enrolled",
    "n_students_preschool_public": "enrolled_public",
    "n_students_preschool_puhui": "enrolled_puhui",
    "n_teachers_preschool": "teachers",
    "n_classes_preschool": "classes",
    "n_classes_preschool_compliant": "classes_compliant",
}


def _tidy(
    year: int, names: list[str], counties: list[str], values: list[np.ndarray]
) -> dict[str, np.ndarray]:
    """Tidy ``year, county, metric, value`` columns as plain arrays (one frame is built at the end)."""
    k = len(counties)
    return {
        "year": np.full(k * len(names), year, dtype=np.int32),
        "county": np.tile(np.asarray(counties, dtype=object), len(names)),
        "metric": np.repeat(np.asarray(names, dtype=object), k),
        "value": np.concatenate(values).astype(float) if values else np.empty(0),
    }


def _stack(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}


def _take(names: list[str], counties: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Positions of ``counties`` in ``names`` (-1 when absent) and the found mask."""
    pos = {c: i for i, c in enumerate(names)}
    idx = np.array([pos.get(c, -1) for c in counties], dtype=int)
    return np.maximum(idx, 0), idx >= 0


def compulsory_metrics(ev: CompulsoryEvaluation, counties: list[str]) -> tuple[list[str], list[np.ndarray]]:
    """Per-county arrays (in ``counties`` order) of verdicts, coefficients and gaps."""
    idx, found = _take(ev.county_names, counties)
    names: list[str] = []
    values: list[np.ndarray] = []

    def add(name: str, v: np.ndarray, missing: float = np.nan) -> None:
        names.append(name)
        values.append(np.where(found, np.asarray(v, dtype=float)[idx], missing))

    add("passes_compulsory_standard", ev.passes_assessed & ev.resources_pass, 0.0)
    add("passes_compulsory_resources", ev.resources_pass, 0.0)
    add("n_criteria_failed_compulsory", ev.n_failed)
    add("n_items_not_assessed_compulsory", ev.n_not_assessed)
    g = ev.group
    for li, level in enumerate(LEVELS):
        add(f"n_schools_{level}", g["n_schools"][:, li], 0.0)
        add(f"n_schools_passing_{level}", g["n_passing"][:, li], 0.0)
    for li, level in enumerate(LEVELS):
        present = g["n_schools"][:, li] > 0
        for j, spec in enumerate(ev.standard.indicators):
            add(f"cv_{spec.id}_{level}", np.where(present, g["cv"][:, li, j], np.nan))
            add(f"value_{spec.id}_{level}", np.where(present, g["county_value"][:, li, j], np.nan))
            add(f"n_schools_below_{spec.id}_{level}", g["n_below"][:, li, j], 0.0)
            add(f"shortfall_{spec.id}_{level}", g["shortfall"][:, li, j], 0.0)
    zero = np.zeros(len(ev.county_names))
    for kind in ("coefficient", "guarantee", "quality", "veto"):
        add(f"n_failed_{kind}_compulsory", ev.n_failed_by_kind.get(kind, zero))
    return names, values


def preschool_metrics(ev: PreschoolEvaluation, counties: list[str]) -> tuple[list[str], list[np.ndarray]]:
    """Per-county arrays of the preschool verdict and its five core rates."""
    idx, found = _take(ev.county_names, counties)
    names = ["passes_preschool_standard", "n_criteria_failed_preschool", "n_items_not_assessed_preschool"]
    values = [
        np.where(found, ev.core_pass[idx], 0.0),
        np.where(found, ev.n_failed[idx], np.nan),
        np.where(found, ev.n_not_assessed[idx], np.nan),
    ]
    for metric, ind in PRESCHOOL_METRICS.items():
        names.append(metric)
        values.append(np.where(found, ev.values[ind][idx], np.nan))
    return names, values


def standards_metrics(
    schools: SchoolTable,
    year: int,
    counties: list[str],
    *,
    county_items: pd.DataFrame | Mapping[str, Mapping[str, Any]] | None = None,
    preschool_counts: pd.DataFrame | Mapping[str, Mapping[str, float]] | None = None,
) -> pd.DataFrame:
    """Tidy ``year, county, metric, value`` rows for the counties and the city (全市).

    The rows of ``standards_columns`` as a DataFrame.
    """
    inputs = {"county_items": county_items, "preschool_counts": preschool_counts}
    return pd.DataFrame(standards_columns(schools, year, counties, **inputs))


def standards_columns(
    schools: SchoolTable,
    year: int,
    counties: list[str],
    *,
    county_items: pd.DataFrame | Mapping[str, Mapping[str, Any]] | None = None,
    preschool_counts: pd.DataFrame | Mapping[str, Mapping[str, float]] | None = None,
) -> dict[str, np.ndarray]:
    """Tidy ``year, county, metric, value`` columns for the counties and the city (全市).

    County rows: ``passes_compulsory_standard`` (0/1; every judged criterion met), the 7
    coefficients and county values per level (``cv_backbone_primary``,
    ``value_backbone_primary`` ...), schools below each threshold and the shortfall,
    ``n_schools_passing_<level>``, and, with ``preschool_counts``,
    ``passes_preschool_standard`` (0/1; the five core indicators met) and its rates.
    City rows: ``n_counties_passing_compulsory``/``_preschool``, school counts, and the
    preschool rates recomputed from the city's sums.
    """
    comp = evaluate_compulsory(schools, county_items)
    names, values = compulsory_metrics(comp, counties)
    frames = [_tidy(year, names, counties, values)]
    city_names = ["n_counties_passing_compulsory"]
    city_values = [np.array([values[0].sum()])]
    for level in LEVELS:
        for prefix in ("n_schools_", "n_schools_passing_"):
            i = names.index(f"{prefix}{level}")
            city_names.append(f"{prefix}{level}")
            city_values.append(np.array([values[i].sum()]))
    if preschool_counts is not None:
        pre = evaluate_preschool(preschool_counts)
        p_names, p_values = preschool_metrics(pre, counties)
        frames.append(_tidy(year, p_names, counties, p_values))
        city_names.append("n_counties_passing_preschool")
        city_values.append(np.array([p_values[0].sum()]))
        city_pre = evaluate_preschool({CITY: _city_sums(preschool_counts)})
        c_names, c_values = preschool_metrics(city_pre, [CITY])
        keep = [i for i, n in enumerate(c_names) if n in PRESCHOOL_METRICS]
        city_names += [c_names[i] for i in keep]
        city_values += [c_values[i] for i in keep]
    frames.append(_tidy(year, city_names, [CITY], city_values))
    return _stack(frames)


def _city_sums(counts: pd.DataFrame | Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """Each input summed over the counties, NaN where no county has a value (pandas' min_count=1)."""
    if isinstance(counts, pd.DataFrame):
        return counts.drop(columns="county").sum(min_count=1).to_dict()
    columns = list(PRESCHOOL_INPUTS.values())
    table = np.array([[row.get(c, np.nan) for c in columns] for row in counts.values()], dtype=float)
    return {
        c: float(np.nansum(table[:, i])) if (~np.isnan(table[:, i])).any() else np.nan
        for i, c in enumerate(columns)
    }


def preschool_counts_from_metrics(
    sums: Mapping[str, np.ndarray], counties: list[str]
) -> dict[str, dict[str, float]] | None:
    """The preschool evaluator's per-county inputs, ``{county: {column: value}}``, from the county sums."""
    if not all(m in sums for m in PRESCHOOL_INPUTS):
        return None
    columns = {column: np.asarray(sums[metric], dtype=float) for metric, column in PRESCHOOL_INPUTS.items()}
    return {county: {c: float(v[i]) for c, v in columns.items()} for i, county in enumerate(counties)}


def model_county_items(
    model: Any,
    sums: Mapping[str, np.ndarray],
    year: int | None = None,
    tally: Mapping[str, np.ndarray] | None = None,
) -> dict[str, dict[str, float]]:
    """The county items the model computes from simulated state (``sim.measure.guarantees``).

    Items it cannot compute are absent, so the evaluator reports them "not assessed"; a
    NaN (nothing to measure in a county this year) is "not assessed" too.
    """
    year = model.year if year is None else year
    items = county_items(model, sums, year, tally)
    return {
        county: {name: float(values[i]) for name, values in items.items()}
        for i, county in enumerate(model.counties)
    }


def record_standards(
    model: Any,
    sums: Mapping[str, np.ndarray],
    schools: SchoolTable,
    year: int,
    tally: Mapping[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Evaluate the model's year: the tidy columns to append to ``county_year``.

    Besides the verdicts, each computed county item is recorded as ``item_<id>``, so a
    reader sees the value behind every guarantee verdict.
    """
    counties = list(model.counties)
    items = model_county_items(model, sums, year, tally)
    names = list(next(iter(items.values()))) if items else []
    values = [np.array([items[c][n] for c in counties]) for n in names]
    verdicts = standards_columns(
        schools,
        year,
        counties,
        county_items=items,
        preschool_counts=preschool_counts_from_metrics(sums, counties),
    )
    items_rows = _tidy(year, [f"item_{n}" for n in names], counties, values)
    return _stack([verdicts, items_rows])
