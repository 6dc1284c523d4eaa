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

from sim.errors import InputError

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
) -> pd.DataFrame:
    """Per-county values as floats, indexed by ``counties``, one column per name.

    ``data`` may be a DataFrame with a ``county`` column (or county index), or a mapping
    ``{county: {column: value}}``. Absent counties, columns and blanks become NaN, which
    the evaluators report as "not assessed".
    """
    index = pd.Index(counties, name="county")
    if data is None:
        return pd.DataFrame(np.nan, index=index, columns=columns)
    if isinstance(data, pd.DataFrame):
        frame = data.set_index("county") if "county" in data.columns else data
        records: Mapping[str, Mapping[str, Any]] = {
            str(k): row for k, row in frame.to_dict(orient="index").items()
        }
    else:
        records = data
    values: dict[str, list[float]] = {col: [] for col in columns}
    for county in counties:
        row = records.get(county, {})
        for col in columns:
            try:
                values[col].append(to_float(row.get(col)))
            except (TypeError, ValueError):
                raise InputError(
                    f"{row[col]!r} is not a number or yes/no",
                    source=source,
                    key=f"county {county}, column {col}",
                ) from None
    return pd.DataFrame(values, index=index, columns=columns, dtype=float)


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
