"""Judge counties against 县域学前教育普及普惠 (2020) from per-county counts.

The standard is county-level, so the input is one row per county (``children_3_5``,
``enrolled``, ``enrolled_public``, ``enrolled_puhui``, ``teachers``, ``classes``,
``classes_compliant``, plus optional items). A per-kindergarten table is summed to that
shape by ``aggregate_kindergartens``. Ratios and thresholds are defined in
``preschool.toml``; a ratio whose inputs are missing (or whose denominator is zero) is
"not assessed", never met.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from sim.core.errors import InputError
from sim.standards.judge import (
    FAILED,
    county_table,
    judge,
    relative_gap,
    stack,
    status_names,
)
from sim.standards.spec import PreschoolStandard, load_preschool

COUNTY_COLUMNS: tuple[str, ...] = (
    "children_3_5",
    "enrolled",
    "enrolled_public",
    "enrolled_puhui",
    "teachers",
    "classes",
    "classes_compliant",
)
"""Per-county counts behind the five core indicators."""

CRITERIA_COLUMNS: tuple[str, ...] = (
    "county",
    "criterion",
    "kind",
    "name_zh",
    "name_en",
    "value",
    "threshold",
    "op",
    "status",
    "gap",
    "rel_gap",
    "unit",
)

KINDERGARTEN_COLUMNS: tuple[str, ...] = (
    "county",
    "kindergarten",
    "type",
    "children",
    "teachers",
    "classes",
    "classes_compliant",
)


class PreschoolEvaluation:
    """Numeric verdicts now, tables on demand.

    Always available: ``county_names``; per county (that order) ``core_pass``,
    ``passes``, ``passes_assessed``, ``n_failed``, ``n_not_assessed``; ``values`` and
    ``codes`` per indicator id (1 met, 0 failed, -1 not assessed).
    Tables: ``criteria`` (county × indicator: value, threshold, status, gap), ``counties``
    (one row per county with the verdict), ``inputs`` (the per-county counts), ``gaps``.
    """

    def __init__(
        self,
        standard: PreschoolStandard,
        county_names: list[str],
        table: dict[str, np.ndarray],
        values: dict[str, np.ndarray],
        codes: dict[str, np.ndarray],
        gaps: dict[str, np.ndarray],
    ):
        self.standard = standard
        self.county_names = county_names
        self._table = table
        self.values = values
        self.codes = codes
        self._gaps = gaps
        nc = len(county_names)
        self.n_failed = np.zeros(nc)
        self.n_not_assessed = np.zeros(nc)
        core_bad = np.zeros(nc)
        for ind in standard.indicators:
            code = codes[ind.id]
            self.n_failed += code == 0
            self.n_not_assessed += code == -1
            if ind.required:
                core_bad += code != 1
        self.core_pass = core_bad == 0
        self.passes_assessed = self.n_failed == 0
        self.passes = self.passes_assessed & (self.n_not_assessed == 0)

    @cached_property
    def inputs(self) -> pd.DataFrame:
        """The per-county inputs the evaluation read."""
        return pd.DataFrame({"county": self.county_names, **self._table})

    @cached_property
    def criteria(self) -> pd.DataFrame:
        """Every criterion per county: value, threshold, status and gap."""
        parts = []
        for ind in self.standard.indicators:
            parts.append(
                {
                    "county": np.asarray(self.county_names, dtype=object),
                    "criterion": ind.id,
                    "kind": "core" if ind.required else "other",
                    "name_zh": ind.name_zh,
                    "name_en": ind.name_en,
                    "value": self.values[ind.id],
                    "threshold": np.nan if ind.threshold is None else ind.threshold,
                    "op": ind.op,
                    "status": status_names(self.codes[ind.id]),
                    "gap": self._gaps[ind.id],
                    "rel_gap": relative_gap(self._gaps[ind.id], ind.op, ind.threshold),
                    "unit": ind.unit,
                }
            )
        return stack(parts, CRITERIA_COLUMNS)

    @property
    def gaps(self) -> pd.DataFrame:
        """The failing indicators, worst first within each county."""
        failed = self.criteria[self.criteria["status"] == FAILED]
        return failed.sort_values(
            ["county", "rel_gap"], ascending=[True, False], na_position="last", kind="stable"
        ).reset_index(drop=True)

    @cached_property
    def counties(self) -> pd.DataFrame:
        """One row per county: the verdict and what fails it."""
        gaps = self.criteria[self.criteria["status"] == FAILED].sort_values(
            "rel_gap", ascending=False, kind="stable"
        )
        binding: dict[str, list[str]] = {c: [] for c in self.county_names}
        for county, crit in zip(gaps["county"], gaps["criterion"], strict=True):
            binding[county].append(crit)
        rows = []
        for ci, county in enumerate(self.county_names):
            failed, na = int(self.n_failed[ci]), int(self.n_not_assessed[ci])
            if failed:
                st = "fails"
                verdict = f"fails: {failed} criteria failed ({', '.join(binding[county])})"
                if na:
                    verdict += f"; {na} items not assessed"
            elif na == 0:
                st, verdict = "passes", "passes"
            elif self.core_pass[ci]:
                st, verdict = "incomplete", f"passes the core indicators; {na} items not assessed"
            else:
                st, verdict = "incomplete", f"no criterion failed; {na} items not assessed"
            rows.append(
                {
                    "county": county,
                    "n_failed": failed,
                    "n_not_assessed": na,
                    "core_pass": bool(self.core_pass[ci]),
                    "passes": bool(self.passes[ci]),
                    "passes_assessed": bool(self.passes_assessed[ci]),
                    "status": st,
                    "verdict": verdict,
                    "binding": binding[county],
                }
            )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary per county."""
        from sim.standards.render import preschool_to_dict

        return preschool_to_dict(self)


def aggregate_kindergartens(
    kindergartens: pd.DataFrame,
    children_3_5: Mapping[str, float] | pd.Series | None = None,
    *,
    standard: PreschoolStandard | None = None,
) -> pd.DataFrame:
    """Sum a per-kindergarten table (``KINDERGARTEN_COLUMNS``) to per-county counts.

    ``type`` is ``public``, ``puhui`` (inclusive private) or ``private``. The county's
    population aged 3-5 is not a kindergarten fact; it comes from ``children_3_5``
    (missing → gross enrolment "not assessed").
    """
    std = standard or load_preschool()
    missing = [c for c in KINDERGARTEN_COLUMNS if c not in kindergartens.columns]
    if missing:
        raise InputError(
            f"required column(s) missing: {', '.join(missing)}",
            source="kindergarten table",
            key=missing[0],
        )
    kg = kindergartens
    types = kg["type"].astype(str).str.strip().str.lower()
    mapping = std.kindergartens
    allowed = {"public": mapping.public, "puhui": mapping.puhui, "private": mapping.private}
    bad = ~types.isin(list(allowed))
    if bad.any():
        raise InputError(
            f"unknown type {kg['type'][bad].iloc[0]!r}; allowed: {', '.join(allowed)}",
            source="kindergarten table",
            key="type",
        )
    children = pd.to_numeric(kg["children"], errors="coerce").fillna(0.0)
    frame = pd.DataFrame(
        {
            "county": kg["county"].astype(str).to_numpy(),
            "enrolled": children.to_numpy(),
            "enrolled_public": np.where(types == "public", children, 0.0),
            "enrolled_puhui": np.where(types == "puhui", children, 0.0),
            "teachers": pd.to_numeric(kg["teachers"], errors="coerce").fillna(0.0).to_numpy(),
            "classes": pd.to_numeric(kg["classes"], errors="coerce").fillna(0.0).to_numpy(),
            "classes_compliant": pd.to_numeric(kg["classes_compliant"], errors="coerce")
            .fillna(0.0)
            .to_numpy(),
            "n_kindergartens": 1.0,
        }
    )
    out = frame.groupby("county", sort=False).sum()
    pop = pd.Series(children_3_5 if children_3_5 is not None else {}, dtype=float)
    out.insert(0, "children_3_5", pop.reindex(out.index).to_numpy(float))
    return out.reset_index()


def evaluate_preschool(
    counties: pd.DataFrame | Mapping[str, Mapping[str, Any]],
    *,
    standard: PreschoolStandard | None = None,
) -> PreschoolEvaluation:
    """Evaluate each county's preschool counts against the preschool standard."""
    std = standard or load_preschool()
    if isinstance(counties, pd.DataFrame):
        keys = counties["county"] if "county" in counties.columns else counties.index
        names = [str(c) for c in keys]
    else:
        names = [str(c) for c in counties]
    table = county_table(counties, names, std.input_columns, source="preschool county table")
    values, codes, gaps = {}, {}, {}
    for ind in std.indicators:
        if ind.column is not None:
            value = table[ind.column]
        else:
            num = np.sum([table[c] for c in ind.numerator or []], axis=0)  # NaN if any is NaN
            den = table[str(ind.denominator)]
            with np.errstate(divide="ignore", invalid="ignore"):
                # zero denominator: a ratio with children but no teachers is infinitely bad;
                # with nothing on either side (or a missing input) it cannot be judged
                value = np.where(den > 0, num / den, np.where(num > 0, np.inf, np.nan))
                value = np.where(np.isnan(den) | np.isnan(num), np.nan, value)
        values[ind.id] = value
        codes[ind.id], gaps[ind.id] = judge(value, ind.op, ind.threshold)
    return PreschoolEvaluation(std, names, table, values, codes, gaps)
