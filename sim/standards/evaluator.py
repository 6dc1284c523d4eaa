"""Judge counties against 县域义务教育优质均衡 (2017) from a table of schools.

The same pure function serves the model (every simulated year, ~1,400 schools in 8
counties) and an education bureau checking its own school list, so it is vectorised over
schools: the per-school indicators are one array operation, county totals and the
difference coefficients are ``np.bincount`` over (county, level) groups.

How the standard is applied (thresholds and sources in ``compulsory.toml``):

* Scope: schools with primary or junior students, except special-education schools and
  teaching points (教学点) with fewer than 50 students; closed schools (a ``status`` column
  other than ``open``) are ignored.
* A combined school splits its shared resources by the official student weights (primary
  1, junior 1.1, senior 1.32): its primary section holds ``w_p·P_p / Σ w·P`` of each
  stock. The degree counts are already per section (``teachers_above_degree_primary`` are
  the primary section's teachers with 大专+), so they are not split. Each section is then
  judged as a school of its level.
* Per school and level: 7 indicator values; the school passes when at least 6 meet their
  threshold and none is below 85% of it.
* Per county and level: the 7 county values (county total ÷ county students) and the 7
  enrolment-weighted difference coefficients ``sqrt(Σ P_i/P (x_i − x̄)²) / x̄`` against
  0.50 (primary) / 0.45 (junior).
* School and class size come from the table; the other government-guarantee, quality,
  recognition and veto items come from per-county data and are "not assessed" when absent.

The judgement itself is numeric (arrays per county, level and indicator) and is all the
model needs; the readable tables (per school, per criterion, the verdict sentences) are
built only when asked for, because building them costs more than the judgement.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from sim.core.errors import InputError
from sim.standards.judge import (
    EPS,
    FAILED,
    county_table,
    judge,
    relative_gap,
    stack,
    status_names,
)
from sim.standards.spec import LEVEL_NAMES, LEVELS, CompulsoryStandard, load_compulsory

SCHOOL_COLUMNS: tuple[str, ...] = (
    "county",
    "school",
    "students_primary",
    "students_junior",
    "teachers_above_degree_primary",
    "teachers_above_degree_junior",
    "backbone_teachers",
    "pe_art_teachers",
    "teaching_space_m2",
    "sports_area_m2",
    "equipment_yuan",
    "multimedia_classrooms",
)
"""Required columns of the school table (same names as ``sim.core.names.SCHOOL_YEAR_COLUMNS``)."""

OPTIONAL_SCHOOL_COLUMNS: tuple[str, ...] = (
    "max_class_size",
    "teaching_point",
    "students_senior",
    "type",
    "status",
)

CRITERIA_COLUMNS: tuple[str, ...] = (
    "county",
    "level",
    "criterion",
    "indicator",
    "kind",
    "name_zh",
    "name_en",
    "value",
    "threshold",
    "op",
    "status",
    "gap",
    "rel_gap",
    "n_schools_failing",
    "shortfall",
    "unit",
)


class CompulsoryEvaluation:
    """What the evaluator found: numeric arrays now, tables on demand.

    Always available (cheap): ``county_names``, ``passes`` / ``passes_assessed`` /
    ``resources_pass`` (per county, in ``county_names`` order), ``n_failed``,
    ``n_not_assessed``, ``n_failed_by_kind``, and ``group`` arrays of shape
    ``(n_counties, 2 levels, 7 indicators)``: ``cv``, ``county_value``, ``n_below``,
    ``shortfall`` (plus ``n_schools``/``n_passing`` of shape ``(n_counties, 2)``).

    Tables, built on first access:

    * ``schools``: one row per school section in scope (``county, school, level,
      students``, the 7 values ``v_<id>``, flags ``met_<id>``, ``n_met``, ``min_ratio``,
      ``passes``).
    * ``excluded``: schools outside the scope, with the reason.
    * ``indicators``: county × level × indicator: county value, threshold, weighted and
      unweighted coefficient, limit, schools below the threshold, shortfall (resource to
      add so every school reaches the threshold, in the resource's unit).
    * ``criteria``: county × criterion with ``status`` met / failed / not assessed and the
      ``gap`` still to go; ``gaps``: the failed ones, worst first.
    * ``counties``: one row per county with the verdict sentence and binding criteria.
    """

    def __init__(
        self,
        standard: CompulsoryStandard,
        county_names: list[str],
        sections: dict[str, Any],
        group: dict[str, np.ndarray],
        parts: list[dict[str, Any]],
        excluded: dict[str, np.ndarray],
    ):
        self.standard = standard
        self.county_names = county_names
        self._sections = sections
        self.group = group
        self._parts = parts
        self._excluded = excluded
        nc = len(county_names)
        self.n_failed = np.zeros(nc)
        self.n_not_assessed = np.zeros(nc)
        res_failed = np.zeros(nc)
        res_na = np.zeros(nc)
        self.n_failed_by_kind: dict[str, np.ndarray] = {}
        for part in parts:
            ci, code, kind = part["ci"], part["code"], part["kind"]
            failed = np.bincount(ci, weights=(code == 0).astype(float), minlength=nc)
            na = np.bincount(ci, weights=(code == -1).astype(float), minlength=nc)
            self.n_failed += failed
            self.n_not_assessed += na
            self.n_failed_by_kind[kind] = self.n_failed_by_kind.get(kind, np.zeros(nc)) + failed
            if kind in RESOURCE_KINDS:
                res_failed += failed
                res_na += na
        self.resources_pass = (res_failed == 0) & (res_na == 0)
        self.passes_assessed = self.n_failed == 0
        self.passes = self.passes_assessed & (self.n_not_assessed == 0)

    # -- tables -----------------------------------------------------------------------
    @cached_property
    def schools(self) -> pd.DataFrame:
        """One row per (school, level) section: values, items met, the 6-of-7 verdict."""
        sec = self._sections
        names = np.asarray(self.county_names, dtype=object)
        out = pd.DataFrame(
            {
                "county": names[sec["county"]],
                "school": sec["school"],
                "level": np.asarray(LEVELS, dtype=object)[sec["level"]],
                "students": sec["students"],
                "combined": sec["combined"],
                "teaching_point": sec["teaching_point"],
            }
        )
        ids = [i.id for i in self.standard.indicators]
        extra = {f"v_{i}": sec["values"][:, j] for j, i in enumerate(ids)}
        extra.update({f"met_{i}": sec["met"][:, j] for j, i in enumerate(ids)})
        extra.update(n_met=sec["n_met"], min_ratio=sec["min_ratio"], passes=sec["passes"])
        return pd.concat([out, pd.DataFrame(extra)], axis=1)

    @cached_property
    def excluded(self) -> pd.DataFrame:
        """Schools left out of the judgement, with the reason."""
        return pd.DataFrame(self._excluded)

    @cached_property
    def indicators(self) -> pd.DataFrame:
        """Per county, level and indicator: county value, lowest school, coefficient."""
        g, inds = self.group, self.standard.indicators
        k = len(inds)
        ci, li = np.nonzero(g["n_schools"] > 0)
        cik, lik = np.repeat(ci, k), np.repeat(li, k)
        jk = np.tile(np.arange(k), len(ci))
        return pd.DataFrame(
            {
                "county": np.asarray(self.county_names, dtype=object)[cik],
                "level": np.asarray(LEVELS, dtype=object)[lik],
                "indicator": np.asarray([i.id for i in inds], dtype=object)[jk],
                "no": np.array([i.no for i in inds])[jk],
                "name_zh": np.asarray([i.name_zh for i in inds], dtype=object)[jk],
                "name_en": np.asarray([i.name_en for i in inds], dtype=object)[jk],
                "threshold": g["threshold"][lik, jk],
                "county_value": g["county_value"][cik, lik, jk],
                "min_value": g["min_value"][cik, lik, jk],
                "cv": g["cv"][cik, lik, jk],
                "cv_unweighted": g["cv_unweighted"][cik, lik, jk],
                "cv_limit": g["cv_limit"][lik],
                "cv_ok": g["cv_ok"][cik, lik, jk],
                "n_schools": g["n_schools"][cik, lik].astype(int),
                "n_below": g["n_below"][cik, lik, jk].astype(int),
                "n_failing_rule_on": g["n_failing_rule_on"][cik, lik, jk].astype(int),
                "shortfall": g["shortfall"][cik, lik, jk],
                "resource_unit": np.asarray([i.resource_unit for i in inds], dtype=object)[jk],
            }
        )

    @cached_property
    def criteria(self) -> pd.DataFrame:
        """Every criterion per county (and level): value, threshold, status and gap."""
        names = np.asarray(self.county_names, dtype=object)
        parts = [{**p, "county": names[p["ci"]], "status": status_names(p["code"])} for p in self._parts]
        return stack(parts, CRITERIA_COLUMNS)

    @cached_property
    def gaps(self) -> pd.DataFrame:
        """The failing criteria, worst first within each county (cached: renderers ask per county)."""
        failed = self.criteria[self.criteria["status"] == FAILED]
        return failed.sort_values(
            ["county", "rel_gap"], ascending=[True, False], na_position="last", kind="stable"
        ).reset_index(drop=True)

    @cached_property
    def counties(self) -> pd.DataFrame:
        """One row per county: the verdict and what fails it."""
        return _verdicts(self)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary: per county and level, coefficients, schools and verdict."""
        from sim.standards.render import compulsory_to_dict

        return compulsory_to_dict(self)


RESOURCE_KINDS = frozenset({"resources", "coefficient", "school_indicator"})


SchoolTable = pd.DataFrame | Mapping[str, Any]
"""A school table: a DataFrame (a bureau's CSV) or a mapping of column arrays (the model's year)."""


def _n_rows(table: SchoolTable) -> int:
    if isinstance(table, pd.DataFrame):
        return len(table)
    return len(table["county"])


def _objects(table: SchoolTable, name: str) -> np.ndarray:
    """A text column as an object array (a pandas string column or a numpy array alike)."""
    return np.asarray(table[name], dtype=object)


def _column(table: SchoolTable, name: str, default: float) -> np.ndarray:
    """A numeric column as float64, missing or unreadable values replaced by ``default``.

    A numpy array of numbers (the model's table) is read as it is; anything else (CSV text,
    pandas' nullable types) goes through ``pd.to_numeric``.
    """
    if name not in table:
        return np.full(_n_rows(table), default, dtype=float)
    col = table[name]
    if isinstance(col, np.ndarray) and col.dtype.kind in "iuf":
        arr = col.astype(float)
    else:
        col = col if isinstance(col, pd.Series) else pd.Series(np.asarray(col))
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            arr = col.to_numpy(dtype=float, na_value=np.nan)
        else:
            arr = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isnan(arr), default, arr)


def _flag(table: SchoolTable, name: str) -> np.ndarray:
    """A yes/no column as bool: booleans, numbers (non-zero) or words (true, 1, yes, 是 ...)."""
    if name not in table:
        return np.zeros(_n_rows(table), dtype=bool)
    col = table[name]
    if isinstance(col, np.ndarray) and col.dtype.kind == "b":
        return col
    col = col if isinstance(col, pd.Series) else pd.Series(np.asarray(col))
    if pd.api.types.is_bool_dtype(col):
        return col.to_numpy(dtype=bool, na_value=False)
    if pd.api.types.is_numeric_dtype(col):
        return col.fillna(0).to_numpy(float) != 0
    text = col.astype(str).str.strip().str.lower()
    return text.isin(["true", "1", "yes", "y", "t", "是"]).to_numpy()


def _check_columns(schools: SchoolTable) -> None:
    missing = [c for c in SCHOOL_COLUMNS if c not in schools]
    if missing:
        raise InputError(
            f"required column(s) missing: {', '.join(missing)}; required: {', '.join(SCHOOL_COLUMNS)}",
            source="school table",
            key=missing[0],
        )


def _by_group(group: np.ndarray, weights: np.ndarray, n_groups: int) -> np.ndarray:
    """Column-wise sums of ``weights`` (n × k) per group, shape (n_groups, k)."""
    k = weights.shape[1]
    flat = group[:, None] * k + np.arange(k)[None, :]
    return np.bincount(flat.ravel(), weights=weights.ravel(), minlength=n_groups * k).reshape(n_groups, k)


def evaluate_compulsory(
    schools: SchoolTable,
    county_data: pd.DataFrame | Mapping[str, Mapping[str, Any]] | None = None,
    *,
    standard: CompulsoryStandard | None = None,
) -> CompulsoryEvaluation:
    """Evaluate every county in ``schools`` against the compulsory standard.

    ``schools`` (a DataFrame, or a mapping of column arrays as the model passes it, which
    spares a frame a year) needs the columns in ``SCHOOL_COLUMNS``; ``max_class_size`` and
    ``teaching_point`` are optional (without ``max_class_size`` the class-size item is
    "not assessed"). ``county_data`` holds the per-county items named in the standard's
    ``[[items]]`` (rotation_rate, salary_parity, junior_retention, social_recognition,
    veto flags ...); any item it lacks is "not assessed".
    """
    std = standard or load_compulsory()
    _check_columns(schools)
    df = schools
    county_col = _objects(df, "county")
    county_codes, county_uniques = pd.factorize(county_col, sort=False)
    counties = [str(c) for c in county_uniques]
    nc = len(counties)
    p_pri = _column(df, "students_primary", 0.0)
    p_jun = _column(df, "students_junior", 0.0)
    p_sen = _column(df, "students_senior", 0.0)
    n_levels_present = (p_pri > 0).astype(int) + (p_jun > 0) + (p_sen > 0)
    in_scope, excluded, n_excl_tp = _scope(df, std, county_codes, nc, p_pri + p_jun)
    sections, alloc = _school_sections(df, std, in_scope, county_codes, p_pri, p_jun, p_sen, n_levels_present)
    group = _county_level_aggregates(std, sections, alloc, nc, n_excl_tp)
    # criteria (numeric codes: 1 met, 0 failed, -1 not assessed)
    parts = _resource_criteria(std, group, nc)
    parts.append(_size_criteria(df, std, in_scope, county_codes, nc, p_pri, p_jun, p_sen, n_levels_present))
    parts.extend(_item_criteria(std, counties, county_data))
    return CompulsoryEvaluation(std, counties, sections, group, parts, excluded)


def _scope(
    df: SchoolTable,
    std: CompulsoryStandard,
    county_codes: np.ndarray,
    nc: int,
    compulsory_students: np.ndarray,
) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """Which schools the standard judges: open, not special, teaching points above the size floor.

    Returns the in-scope mask, the excluded schools with their reason, and the number of
    small teaching points left out per county (the standard reports them).
    """
    n = _n_rows(df)
    teaching_point = _flag(df, "teaching_point")
    closed = np.zeros(n, dtype=bool)
    if "status" in df:
        closed = _objects(df, "status") != "open"
    special = np.zeros(n, dtype=bool)
    if "type" in df and std.scope.exclude_types:
        excluded_types = set(std.scope.exclude_types)
        special = np.fromiter((t in excluded_types for t in _objects(df, "type")), dtype=bool, count=n)
    small_tp = teaching_point & (compulsory_students < std.scope.exclude_teaching_points_below)
    has_students = compulsory_students > 0
    in_scope = has_students & ~closed & ~special & ~small_tp
    out = has_students & ~in_scope  # rows without compulsory pupils are simply other schools
    reason = np.where(
        closed,
        "not open",
        np.where(
            special,
            "special-education school",
            f"teaching point under {std.scope.exclude_teaching_points_below} students",
        ),
    )
    excluded = {
        "county": _objects(df, "county")[out].astype(str),
        "school": _objects(df, "school")[out].astype(str),
        "students": compulsory_students[out],
        "reason": reason[out],
    }
    n_excl_tp = np.bincount(county_codes[out & small_tp & ~closed & ~special], minlength=nc)
    return in_scope, excluded, n_excl_tp


def _school_sections(
    df: SchoolTable,
    std: CompulsoryStandard,
    in_scope: np.ndarray,
    county_codes: np.ndarray,
    p_pri: np.ndarray,
    p_jun: np.ndarray,
    p_sen: np.ndarray,
    n_levels_present: np.ndarray,
) -> tuple[dict[str, Any], np.ndarray]:
    """One section per (school, level): indicator values per 100 pupils, items met, the 6-of-7 rule.

    A combined school's stocks are split between its levels by weighted pupils (the
    standard's rule for nine-year and complete schools); returns the sections and the
    allocated stocks.
    """
    w = std.weights
    weighted = w.primary * p_pri + w.junior * p_jun + w.senior * p_sen
    inds = std.indicators
    k = len(inds)
    per = np.array([ind.per for ind in inds])
    split = np.array([ind.split for ind in inds])
    rows_l, level_l, students_l, values_l, alloc_l = [], [], [], [], []
    columns: dict[str, np.ndarray] = {}  # most indicators read one column for both levels
    for name in {ind.resource[level] for ind in inds for level in LEVELS}:
        columns[name] = _column(df, name, 0.0)
    for li, level in enumerate(LEVELS):
        p_level = p_pri if level == "primary" else p_jun
        idx = np.flatnonzero(in_scope & (p_level > 0))
        share = (w.primary if level == "primary" else w.junior) * p_level[idx] / weighted[idx]
        stock = np.column_stack([columns[ind.resource[level]][idx] for ind in inds])
        alloc = np.where(split[None, :], stock * share[:, None], stock).reshape(len(idx), k)
        rows_l.append(idx)
        level_l.append(np.full(len(idx), li))
        students_l.append(p_level[idx])
        values_l.append(alloc / p_level[idx][:, None] * per)
        alloc_l.append(alloc)
    rows = np.concatenate(rows_l)
    level_code = np.concatenate(level_l)
    values = np.vstack(values_l)
    thr_level = np.array([[ind.threshold[level] for ind in inds] for level in LEVELS])
    ratio = values / thr_level[level_code]
    met = ratio >= 1.0 - EPS
    n_met = met.sum(axis=1)
    rule = std.per_school_rule
    min_ratio = ratio.min(axis=1) if len(ratio) else np.zeros(0)
    sections = {
        "county": county_codes[rows],
        "school": _objects(df, "school")[rows].astype(str),
        "level": level_code,
        "students": np.concatenate(students_l),
        "combined": n_levels_present[rows] > 1,
        "teaching_point": _flag(df, "teaching_point")[rows],
        "values": values,
        "met": met,
        "n_met": n_met,
        "min_ratio": min_ratio,
        "passes": (n_met >= rule.min_met) & (min_ratio >= rule.floor_ratio * (1.0 - EPS)),
    }
    return sections, np.vstack(alloc_l)


def _county_level_aggregates(
    std: CompulsoryStandard, sections: dict[str, Any], alloc: np.ndarray, nc: int, n_excl_tp: np.ndarray
) -> dict[str, Any]:
    """Per county and level: schools passing, county values, difference coefficients, gaps.

    The difference coefficient is pupil-weighted (the standard's formula); the unweighted one
    is kept beside it for comparison with published self-assessments.
    """
    inds = std.indicators
    k = len(inds)
    per = np.array([ind.per for ind in inds])
    thr_level = np.array([[ind.threshold[level] for ind in inds] for level in LEVELS])
    level_code, students, values = sections["level"], sections["students"], sections["values"]
    met, passes = sections["met"], sections["passes"]
    thr = thr_level[level_code]
    nl = len(LEVELS)
    ng = nc * nl
    grp = sections["county"] * nl + level_code
    n_sch = np.bincount(grp, minlength=ng).astype(float)
    p_tot = np.bincount(grp, weights=students, minlength=ng)
    n_pass = np.bincount(grp, weights=passes.astype(float), minlength=ng)
    with np.errstate(divide="ignore", invalid="ignore"):
        xbar = _by_group(grp, alloc, ng) / p_tot[:, None] * per
        var_w = _by_group(grp, students[:, None] * (values - xbar[grp]) ** 2, ng) / p_tot[:, None]
        cv = np.sqrt(var_w) / xbar
        mean_u = _by_group(grp, values, ng) / n_sch[:, None]
        cv_u = np.sqrt(_by_group(grp, (values - mean_u[grp]) ** 2, ng) / n_sch[:, None]) / mean_u
    cv[~np.isfinite(cv)] = np.nan
    cv_u[~np.isfinite(cv_u)] = np.nan
    below = ~met
    n_below = _by_group(grp, below.astype(float), ng)
    n_fail_rule_on = _by_group(grp, (below & ~passes[:, None]).astype(float), ng)
    shortfall = _by_group(grp, np.maximum(0.0, thr * students[:, None] / per - alloc), ng)
    min_val = np.full((ng, k), np.inf)
    np.minimum.at(min_val, (np.repeat(grp, k), np.tile(np.arange(k), len(grp))), values.ravel())
    min_val[np.isinf(min_val)] = np.nan
    cv_limit = np.array([std.coefficient[level] for level in LEVELS])
    cv_ok = cv <= np.tile(cv_limit, nc)[:, None] + EPS
    shape3 = (nc, nl, k)
    return {
        "n_schools": n_sch.reshape(nc, nl),
        "n_passing": n_pass.reshape(nc, nl),
        "n_excluded_teaching_points": n_excl_tp,
        "threshold": thr_level,
        "cv_limit": cv_limit,
        "county_value": xbar.reshape(shape3),
        "cv": cv.reshape(shape3),
        "cv_unweighted": cv_u.reshape(shape3),
        "cv_ok": cv_ok.reshape(shape3),
        "min_value": min_val.reshape(shape3),
        "n_below": n_below.reshape(shape3),
        "n_failing_rule_on": n_fail_rule_on.reshape(shape3),
        "shortfall": shortfall.reshape(shape3),
    }


def _value_unit(ind: Any) -> str:
    per = "per 100 students" if ind.per == 100 else "per student"
    return f"{ind.resource_unit} {per}"


def _resource_criteria(std: CompulsoryStandard, g: dict[str, np.ndarray], nc: int) -> list[dict[str, Any]]:
    """The 6-of-7 rule, each indicator at school level, and each coefficient."""
    nl = len(LEVELS)
    rule = std.per_school_rule
    n_sch, n_pass = g["n_schools"].ravel(), g["n_passing"].ravel()
    present = n_sch > 0
    ci_all = np.repeat(np.arange(nc), nl)
    li_all = np.tile(np.arange(nl), nc)
    share_pass = np.divide(n_pass, n_sch, out=np.full(nc * nl, np.nan), where=present)
    level_names = np.asarray(LEVELS, dtype=object)
    parts: list[dict[str, Any]] = [
        {
            "ci": ci_all,
            "level": level_names[li_all],
            "criterion": "per_school_rule",
            "indicator": "",
            "kind": "resources",
            "name_zh": "每所学校至少6项达标、余项不低于85%",
            "name_en": f"every school meets ≥ {rule.min_met} of 7, the rest ≥ "
            f"{rule.floor_ratio:.0%} (share of schools)",
            "value": share_pass,
            "threshold": 1.0,
            "op": ">=",
            "code": np.where(~present, -1, np.where(n_pass == n_sch, 1, 0)),
            "gap": 1.0 - share_pass,
            "rel_gap": 1.0 - share_pass,
            "n_schools_failing": np.where(present, n_sch - n_pass, np.nan),
            "shortfall": np.nan,
            "unit": "share of schools",
        }
    ]
    parts.extend(_indicator_criteria(std, g))
    return parts


def _indicator_criteria(std: CompulsoryStandard, g: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    """Per county, level and indicator: the lowest school against the line, and the coefficient."""
    inds, k = std.indicators, len(std.indicators)
    level_names = np.asarray(LEVELS, dtype=object)
    ci, li = np.nonzero(g["n_schools"] > 0)
    cik, lik = np.repeat(ci, k), np.repeat(li, k)
    jk = np.tile(np.arange(k), len(ci))
    ids = np.asarray([i.id for i in inds], dtype=object)[jk]
    name_zh = np.asarray([i.name_zh for i in inds], dtype=object)[jk]
    name_en = np.asarray([i.name_en for i in inds], dtype=object)[jk]
    thr = g["threshold"][lik, jk]
    low = g["min_value"][cik, lik, jk]
    n_below = g["n_below"][cik, lik, jk]
    lowest = (
        {
            "ci": cik,
            "level": level_names[lik],
            "criterion": np.char.add("school_", ids.astype(str)).astype(object),
            "indicator": ids,
            "kind": "school_indicator",
            "name_zh": name_zh,
            "name_en": np.char.add(name_en.astype(str), " (lowest school)").astype(object),
            "value": low,
            "threshold": thr,
            "op": ">=",
            "code": np.where(g["n_failing_rule_on"][cik, lik, jk] > 0, 0, 1),
            "gap": thr - low,
            "rel_gap": (thr - low) / thr,
            "n_schools_failing": n_below,
            "shortfall": g["shortfall"][cik, lik, jk],
            "unit": np.asarray([_value_unit(i) for i in inds], dtype=object)[jk],
        }
    )
    cv = g["cv"][cik, lik, jk]
    lim = g["cv_limit"][lik]
    coefficient = (
        {
            "ci": cik,
            "level": level_names[lik],
            "criterion": np.char.add("cv_", ids.astype(str)).astype(object),
            "indicator": ids,
            "kind": "coefficient",
            "name_zh": np.char.add(name_zh.astype(str), "校际差异系数").astype(object),
            "name_en": np.char.add("difference coefficient: ", name_en.astype(str)).astype(object),
            "value": cv,
            "threshold": lim,
            "op": "<=",
            "code": np.where(np.isnan(cv) | ~g["cv_ok"][cik, lik, jk], 0, 1),
            "gap": cv - lim,
            "rel_gap": (cv - lim) / lim,
            "n_schools_failing": n_below,
            "shortfall": np.nan,
            "unit": "coefficient",
        }
    )
    return [lowest, coefficient]


def _size_criteria(
    df: SchoolTable,
    std: CompulsoryStandard,
    in_scope: np.ndarray,
    county_codes: np.ndarray,
    nc: int,
    p_pri: np.ndarray,
    p_jun: np.ndarray,
    p_sen: np.ndarray,
    n_levels: np.ndarray,
) -> dict[str, Any]:
    """School-size and class-size guarantee items: counts of schools over the limits."""
    cc = county_codes[in_scope]
    size = (p_pri + p_jun + p_sen)[in_scope]
    s_lim = np.where(n_levels[in_scope] > 1, std.school_size.multi_level, std.school_size.single_level)
    over = size > s_lim
    n_over = np.bincount(cc, weights=over.astype(float), minlength=nc)
    excess = np.bincount(cc, weights=np.maximum(0.0, size - s_lim), minlength=nc)
    n_in = np.bincount(cc, minlength=nc)
    size_code = np.where(n_in == 0, -1, np.where(n_over > 0, 0, 1))

    if "max_class_size" in df:
        mcs = _column(df, "max_class_size", np.nan)[in_scope]
    else:
        mcs = np.full(int(in_scope.sum()), np.nan)
    c_lim = np.where(p_jun[in_scope] > 0, std.class_size.junior, std.class_size.primary)
    known = ~np.isnan(mcs)
    c_over = known & (mcs > c_lim)
    n_c_over = np.bincount(cc, weights=c_over.astype(float), minlength=nc)
    n_known = np.bincount(cc, weights=known.astype(float), minlength=nc)
    worst = np.zeros(nc)
    np.maximum.at(worst, cc, np.where(c_over, mcs - c_lim, 0.0))
    class_code = np.where(n_c_over > 0, 0, np.where((n_known < n_in) | (n_in == 0), -1, 1))
    ss, cs = std.school_size, std.class_size
    size_en = f"{ss.name_en}: schools over {ss.single_level} (one level) / {ss.multi_level} (combined)"
    class_en = f"{cs.name_en}: schools with a class over {cs.primary} (primary) / {cs.junior} (junior)"
    ci = np.arange(nc)
    return {
        "ci": np.concatenate([ci, ci]),
        "level": "",
        "criterion": np.array(["school_size"] * nc + ["class_size"] * nc, dtype=object),
        "indicator": "",
        "kind": "guarantee",
        "name_zh": np.array([ss.name_zh] * nc + [cs.name_zh] * nc, dtype=object),
        "name_en": np.array([size_en] * nc + [class_en] * nc, dtype=object),
        "value": np.concatenate(
            [np.where(n_in == 0, np.nan, n_over), np.where(class_code == -1, np.nan, n_c_over)]
        ),
        "threshold": 0.0,
        "op": "<=",
        "code": np.concatenate([size_code, class_code]),
        "gap": np.concatenate([np.where(n_over > 0, excess, 0.0), np.where(n_c_over > 0, worst, 0.0)]),
        "rel_gap": np.nan,
        "n_schools_failing": np.concatenate([n_over, n_c_over]),
        "shortfall": np.nan,
        "unit": np.array(
            ["schools (gap: students over the limits)"] * nc
            + ["schools (gap: students over the limit in the worst class)"] * nc,
            dtype=object,
        ),
    }


def _item_criteria(
    std: CompulsoryStandard,
    counties: list[str],
    county_data: pd.DataFrame | Mapping[str, Mapping[str, Any]] | None,
) -> list[dict[str, Any]]:
    """Items judged from per-county values; absent values are "not assessed"."""
    table = county_table(county_data, counties, std.item_columns)
    nc = len(counties)
    parts = []
    for item in std.items:
        value = table[item.id]
        code, gap = judge(value, item.op, item.threshold)
        if item.op in ("true", "false"):
            unit = "yes/no"
        elif item.threshold is not None and item.threshold <= 1.0:
            unit = "share"
        else:
            unit = "value"
        parts.append(
            {
                "ci": np.arange(nc),
                "level": "",
                "criterion": item.id,
                "indicator": "",
                "kind": "veto" if item.veto else item.kind,
                "name_zh": item.name_zh,
                "name_en": item.name_en,
                "value": value,
                "threshold": np.nan if item.threshold is None else item.threshold,
                "op": item.op,
                "code": code,
                "gap": gap,
                "rel_gap": relative_gap(gap, item.op, item.threshold),
                "n_schools_failing": np.full(nc, np.nan),
                "shortfall": np.nan,
                "unit": unit,
            }
        )
    return parts


def _verdicts(ev: CompulsoryEvaluation) -> pd.DataFrame:
    """One row per county: counts, flags and a verdict sentence naming what binds."""
    gaps = ev.gaps
    binding: dict[str, list[str]] = {c: [] for c in ev.county_names}
    gaps = gaps.sort_values(["rel_gap"], ascending=False, na_position="last", kind="stable")
    for county, level, crit in zip(gaps["county"], gaps["level"], gaps["criterion"], strict=True):
        binding[county].append(f"{crit}[{level}]" if level else crit)
    g = ev.group
    rows = []
    for ci, county in enumerate(ev.county_names):
        failed, na = int(ev.n_failed[ci]), int(ev.n_not_assessed[ci])
        if failed:
            status = "fails"
            verdict = f"fails: {failed} criteria failed ({', '.join(binding[county][:6])}"
            verdict += ", ...)" if len(binding[county]) > 6 else ")"
            if na:
                verdict += f"; {na} items not assessed"
        elif na == 0:
            status, verdict = "passes", "passes"
        elif ev.resources_pass[ci]:
            status = "incomplete"
            verdict = f"passes resource criteria; {na} items not assessed"
        else:
            status = "incomplete"
            verdict = f"no criterion failed; {na} items not assessed"
        row: dict[str, Any] = {"county": county}
        for li, level in enumerate(LEVELS):
            row[f"n_schools_{level}"] = int(g["n_schools"][ci, li])
            row[f"n_passing_{level}"] = int(g["n_passing"][ci, li])
        row.update(
            n_excluded_teaching_points=int(g["n_excluded_teaching_points"][ci]),
            n_failed=failed,
            n_not_assessed=na,
            resources_pass=bool(ev.resources_pass[ci]),
            passes=bool(ev.passes[ci]),
            passes_assessed=bool(ev.passes_assessed[ci]),
            status=status,
            verdict=verdict,
            binding=binding[county],
        )
        rows.append(row)
    return pd.DataFrame(rows)


def level_label(level: str) -> str:
    """``小学 primary`` / ``初中 junior``."""
    zh, en = LEVEL_NAMES.get(level, (level, level))
    return f"{zh} {en}"
