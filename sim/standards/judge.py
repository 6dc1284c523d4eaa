"""Judging one value against one threshold, shared by both standards.

A criterion is *met*, *failed* or *not assessed*. Missing data is never met: a county
whose data do not allow a judgement is told so. Comparisons allow a relative slack of
``EPS`` so that a value equal to its threshold on paper (say 85% computed as 0.85 from
integer counts) is not failed by floating-point rounding.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from sim.core.errors import InputError

EPS = 1e-9
MET, FAILED, NOT_ASSESSED = "met", "failed", "not assessed"
_CODE_TO_STATUS = np.array([NOT_ASSESSED, FAILED, MET], dtype=object)  # index = code + 1


def judge(value: np.ndarray, op: str, threshold: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(code, gap)`` per value: code 1 met, 0 failed, -1 not assessed (NaN).

    ``gap`` is the distance still to go in the value's own unit (positive when failing):
    ``threshold - value`` for ``>=``, ``value - threshold`` for ``<=``; for yes/no items
    1 when the required answer is missing from the data as a failure.
    """
    v = np.asarray(value, dtype=float)
    missing = np.isnan(v)
    if op == ">=":
        t = float(threshold)  # type: ignore[arg-type]
        ok = v >= t - EPS * abs(t)
        gap = t - v
    elif op == "<=":
        t = float(threshold)  # type: ignore[arg-type]
        ok = v <= t + EPS * abs(t)
        gap = v - t
    elif op == "true":
        ok = v >= 0.5
        gap = 1.0 - (v >= 0.5)
    elif op == "false":
        ok = v < 0.5
        gap = (v >= 0.5).astype(float)
    else:  # pragma: no cover - the spec models only allow the four ops
        raise ValueError(f"unknown op {op!r}")
    code = np.where(missing, -1, ok.astype(int))
    gap = np.where(missing, np.nan, gap)
    return code, gap


def status_names(code: np.ndarray) -> np.ndarray:
    """Map codes from ``judge`` to ``met`` / ``failed`` / ``not assessed``."""
    return _CODE_TO_STATUS[np.asarray(code, dtype=int) + 1]


def relative_gap(gap: np.ndarray, op: str, threshold: float | None) -> np.ndarray:
    """Gap as a share of the threshold (for ranking the binding criteria)."""
    g = np.asarray(gap, dtype=float)
    if op in (">=", "<=") and threshold:
        return g / abs(float(threshold))
    return g


_TRUE = {"true", "yes", "y", "1", "是", "t"}
_FALSE = {"false", "no", "n", "0", "否", "f"}


def to_float(value: Any) -> float:
    """A county-data cell as a float: numbers as is, yes/no as 1/0, blank/None as NaN."""
    if value is None:
        return float("nan")
    if isinstance(value, bool | np.bool_):
        return float(value)
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    text = str(value).strip().lower()
    if text in ("", "nan", "na", "n/a", "none"):
        return float("nan")
    if text in _TRUE:
        return 1.0
    if text in _FALSE:
        return 0.0
    return float(text)  # raises ValueError on junk; readers turn it into an InputError


def county_table(
    data: pd.DataFrame | Mapping[str, Mapping[str, Any]] | None,
    counties: list[str],
    columns: list[str],
    source: str = "county data",
) -> dict[str, np.ndarray]:
    """Per-county values as float arrays (in ``counties`` order), one per column name.

    ``data`` may be a DataFrame with a ``county`` column (or county index), or a mapping
    ``{county: {column: value}}``. Absent counties, columns and blanks become NaN, which
    the evaluators report as "not assessed".
    """
    nc = len(counties)
    out = {col: np.full(nc, np.nan) for col in columns}
    if data is None:
        return out
    if isinstance(data, pd.DataFrame):
        keys = data["county"] if "county" in data.columns else data.index
        pos = {str(c): i for i, c in enumerate(keys)}
        take = np.array([pos.get(c, -1) for c in counties])
        found = take >= 0
        for col in columns:
            if col not in data.columns:
                continue
            series = data[col]
            if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
                arr = series.to_numpy(dtype=float, na_value=np.nan)
            else:
                arr = np.array(
                    [
                        _checked(v, str(keys.iloc[i]) if hasattr(keys, "iloc") else str(keys[i]), col, source)
                        for i, v in enumerate(series.tolist())
                    ],
                    dtype=float,
                )
            out[col][found] = arr[take[found]]
        return out
    for ci, county in enumerate(counties):
        row = data.get(county)
        if not row:
            continue
        for col in columns:
            if col in row:
                out[col][ci] = _checked(row[col], county, col, source)
    return out


def _checked(value: Any, county: str, col: str, source: str) -> float:
    try:
        return to_float(value)
    except (TypeError, ValueError):
        raise InputError(
            f"{value!r} is not a number or yes/no", source=source, key=f"county {county}, column {col}"
        ) from None


def stack(parts: list[dict[str, Any]], columns: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """One DataFrame from column dicts, broadcasting scalars; one construction, not many.

    Building a small frame per criterion and concatenating costs ~1 ms each in pandas; the
    model evaluates every year, so the evaluator collects arrays and builds once.
    """
    lengths = []
    for part in parts:
        n = next((len(v) for v in part.values() if not np.isscalar(v) and v is not None), None)
        if n is None:
            raise ValueError("each part needs at least one array column")
        lengths.append(n)
    data: dict[str, np.ndarray] = {}
    for col in columns:
        pieces = []
        for part, n in zip(parts, lengths, strict=True):
            v = part[col]
            if np.isscalar(v) or v is None:
                pieces.append(np.full(n, v, dtype=object if isinstance(v, str) else float))
            else:
                pieces.append(np.asarray(v))
        data[col] = np.concatenate(pieces) if pieces else np.zeros(0)
    return pd.DataFrame(data, columns=list(columns))
