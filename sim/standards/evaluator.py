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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.standards.judge import (
    EPS,
    FAILED,
    MET,
    NOT_ASSESSED,
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
"""Required columns of the school table (same names as ``sim.schema.SCHOOL_YEAR_COLUMNS``)."""

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


@dataclass(frozen=True)
class CompulsoryEvaluation:
    """Everything the evaluator found, as tables (one row per thing judged).

    * ``schools``: one row per school section in scope (``county, school, level,
      students``, the 7 values ``v_<id>``, flags ``met_<id>``, ``n_met``, ``min_ratio``,
      ``passes``).
    * ``excluded``: schools outside the scope, with the reason.
    * ``indicators``: county × level × indicator: county value, threshold, weighted and
      unweighted coefficient, limit, schools below the threshold, shortfall (resource to
      add so every school reaches the threshold, in the resource's unit).
    * ``criteria``: county × criterion with ``status`` met / failed / not assessed and
      the ``gap`` still to go.
    * ``counties``: one row per county with the verdict.
    """

    schools: pd.DataFrame
    excluded: pd.DataFrame
    indicators: pd.DataFrame
    criteria: pd.DataFrame
    counties: pd.DataFrame
    standard: CompulsoryStandard

    @property
    def gaps(self) -> pd.DataFrame:
        """The failing criteria, worst first within each county."""
        failed = self.criteria[self.criteria["status"] == FAILED]
        return failed.sort_values(
            ["county", "rel_gap"], ascending=[True, False], na_position="last", kind="stable"
        ).reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary: per county and level, coefficients, schools and verdict."""
        from sim.standards.render import compulsory_to_dict

        return compulsory_to_dict(self)


def _column(df: pd.DataFrame, name: str, default: float) -> np.ndarray:
    if name in df.columns:
        return pd.to_numeric(df[name], errors="coerce").fillna(default).to_numpy(float)
    return np.full(len(df), default, dtype=float)


def _flag(df: pd.DataFrame, name: str) -> np.ndarray:
    if name not in df.columns:
        return np.zeros(len(df), dtype=bool)
    col = df[name]
    if col.dtype == bool:
        return col.to_numpy()
    if pd.api.types.is_numeric_dtype(col):
        return col.fillna(0).to_numpy(float) != 0
    text = col.astype(str).str.strip().str.lower()
    return text.isin(["true", "1", "yes", "y", "t", "是"]).to_numpy()


def _check_columns(schools: pd.DataFrame) -> None:
    missing = [c for c in SCHOOL_COLUMNS if c not in schools.columns]
    if missing:
        raise InputError(
            f"required column(s) missing: {', '.join(missing)}; "
            f"required: {', '.join(SCHOOL_COLUMNS)}",
            source="school table",
            key=missing[0],
        )


def evaluate_compulsory(
    schools: pd.DataFrame,
    county_data: pd.DataFrame | Mapping[str, Mapping[str, Any]] | None = None,
    *,
    standard: CompulsoryStandard | None = None,
) -> CompulsoryEvaluation:
    """Evaluate every county in ``schools`` against the compulsory standard.

    ``schools`` needs the columns in ``SCHOOL_COLUMNS``; ``max_class_size`` and
    ``teaching_point`` are optional (without ``max_class_size`` the class-size item is
    "not assessed"). ``county_data`` holds the per-county items named in the standard's
    ``[[items]]`` (rotation_rate, salary_parity, junior_retention, social_recognition,
    veto flags ...); any item it lacks is "not assessed".
    """
    std = standard or load_compulsory()
    _check_columns(schools)
    df = schools.reset_index(drop=True)
    n = len(df)

    county_codes, county_names = pd.factorize(df["county"].astype(str), sort=False)
    counties = [str(c) for c in county_names]
    n_counties = len(counties)

    p_pri = _column(df, "students_primary", 0.0)
    p_jun = _column(df, "students_junior", 0.0)
    p_sen = _column(df, "students_senior", 0.0)
    compulsory_students = p_pri + p_jun
    teaching_point = _flag(df, "teaching_point")

    # --- scope -------------------------------------------------------------------
    reason = np.full(n, "", dtype=object)
    if "status" in df.columns:
        closed = df["status"].astype(str).str.lower().ne("open").to_numpy()
        reason[closed] = "not open"
    if "type" in df.columns and std.scope.exclude_types:
        special = df["type"].astype(str).isin(std.scope.exclude_types).to_numpy()
        reason[(reason == "") & special] = "special-education school"
    reason[(reason == "") & (compulsory_students <= 0)] = "no primary or junior students"
    small_tp = teaching_point & (compulsory_students < std.scope.exclude_teaching_points_below)
    reason[(reason == "") & small_tp] = (
        f"teaching point under {std.scope.exclude_teaching_points_below} students"
    )
    in_scope = reason == ""
    excluded = pd.DataFrame(
        {
            "county": df["county"].astype(str).to_numpy()[~in_scope],
            "school": df["school"].astype(str).to_numpy()[~in_scope],
            "students": compulsory_students[~in_scope],
            "reason": reason[~in_scope],
        }
    )
    # Rows without compulsory students (kindergartens, high schools in a model table) are
    # simply other schools, not exclusions.
    excluded = excluded[excluded["students"] > 0].reset_index(drop=True)

    # --- per-school sections ---------------------------------------------------------
    w = std.weights
    weighted = w.primary * p_pri + w.junior * p_jun + w.senior * p_sen
    inds = std.indicators
    ids = [i.id for i in inds]
    k = len(inds)

    rows_l, level_l, students_l, values_l, alloc_l = [], [], [], [], []
    for li, level in enumerate(LEVELS):
        p_level = p_pri if level == "primary" else p_jun
        mask = in_scope & (p_level > 0)
        idx = np.flatnonzero(mask)
        share = (w.primary if level == "primary" else w.junior) * p_level[idx] / weighted[idx]
        stock = np.column_stack([_column(df, ind.resource[level], 0.0)[idx] for ind in inds])
        split = np.array([ind.split for ind in inds])
        alloc = np.where(split[None, :], stock * share[:, None], stock)
        per = np.array([ind.per for ind in inds])
        values = alloc / p_level[idx][:, None] * per
        rows_l.append(idx)
        level_l.append(np.full(len(idx), li))
        students_l.append(p_level[idx])
        values_l.append(values.reshape(len(idx), k))
        alloc_l.append(alloc.reshape(len(idx), k))
    rows = np.concatenate(rows_l)
    level_code = np.concatenate(level_l)
    students = np.concatenate(students_l)
    values = np.vstack(values_l)
    alloc = np.vstack(alloc_l)

    thr = np.array([[ind.threshold[level] for ind in inds] for level in LEVELS])[level_code]
    ratio = values / thr
    met = ratio >= 1.0 - EPS
    n_met = met.sum(axis=1)
    rule = std.per_school_rule
    min_ratio = ratio.min(axis=1) if len(ratio) else np.zeros(0)
    passes = (n_met >= rule.min_met) & (min_ratio >= rule.floor_ratio * (1.0 - EPS))
    sec_county = county_codes[rows]

    schools_out = pd.DataFrame(
        {
            "county": np.asarray(counties, dtype=object)[sec_county],
            "school": df["school"].astype(str).to_numpy()[rows],
            "level": np.asarray(LEVELS, dtype=object)[level_code],
            "students": students,
            "combined": ((p_pri > 0).astype(int) + (p_jun > 0) + (p_sen > 0))[rows] > 1,
            "teaching_point": teaching_point[rows],
        }
    )
    for j, ind_id in enumerate(ids):
        schools_out[f"v_{ind_id}"] = values[:, j]
    for j, ind_id in enumerate(ids):
        schools_out[f"met_{ind_id}"] = met[:, j]
    schools_out["n_met"] = n_met
    schools_out["min_ratio"] = min_ratio
    schools_out["passes"] = passes

    # --- county × level aggregates via bincount ---------------------------------------
    n_groups = n_counties * len(LEVELS)
    group = sec_county * len(LEVELS) + level_code
    n_sch = np.bincount(group, minlength=n_groups).astype(float)
    p_tot = np.bincount(group, weights=students, minlength=n_groups)
    n_pass = np.bincount(group, weights=passes.astype(float), minlength=n_groups)
    per = np.array([ind.per for ind in inds])
    with np.errstate(divide="ignore", invalid="ignore"):
        a_tot = np.column_stack(
            [np.bincount(group, weights=alloc[:, j], minlength=n_groups) for j in range(k)]
        )
        xbar = a_tot / p_tot[:, None] * per
        dev2 = (values - xbar[group]) ** 2
        var_w = (
            np.column_stack(
                [
                    np.bincount(group, weights=students * dev2[:, j], minlength=n_groups)
                    for j in range(k)
                ]
            )
            / p_tot[:, None]
        )
        cv = np.sqrt(var_w) / xbar
        cv[~np.isfinite(cv)] = np.nan
        mean_u = (
            np.column_stack(
                [np.bincount(group, weights=values[:, j], minlength=n_groups) for j in range(k)]
            )
            / n_sch[:, None]
        )
        dev2u = (values - mean_u[group]) ** 2
        var_u = (
            np.column_stack(
                [np.bincount(group, weights=dev2u[:, j], minlength=n_groups) for j in range(k)]
            )
            / n_sch[:, None]
        )
        cv_u = np.sqrt(var_u) / mean_u
        cv_u[~np.isfinite(cv_u)] = np.nan
    below = ~met
    n_below = np.column_stack(
        [
            np.bincount(group, weights=below[:, j].astype(float), minlength=n_groups)
            for j in range(k)
        ]
    )
    failing_rule_below = below & ~passes[:, None]
    n_fail_rule_on = np.column_stack(
        [
            np.bincount(group, weights=failing_rule_below[:, j].astype(float), minlength=n_groups)
            for j in range(k)
        ]
    )
    need = np.maximum(0.0, thr * students[:, None] / per - alloc)  # resource to add per school
    shortfall = np.column_stack(
        [np.bincount(group, weights=need[:, j], minlength=n_groups) for j in range(k)]
    )
    min_val = np.full((n_groups, k), np.inf)
    for j in range(k):
        np.minimum.at(min_val[:, j], group, values[:, j])
    min_val[np.isinf(min_val)] = np.nan

    g_county = np.repeat(np.arange(n_counties), len(LEVELS))
    g_level = np.tile(np.arange(len(LEVELS)), n_counties)
    present = n_sch > 0
    thr_g = np.array([[ind.threshold[level] for ind in inds] for level in LEVELS])[g_level]
    limit_g = np.array([std.coefficient[level] for level in LEVELS])[g_level]
    cv_ok = cv <= limit_g[:, None] + EPS

    gi = np.flatnonzero(present)
    gk = np.repeat(gi, k)
    jk = np.tile(np.arange(k), len(gi))
    level_names = np.asarray(LEVELS, dtype=object)
    county_arr = np.asarray(counties, dtype=object)
    indicators_out = pd.DataFrame(
        {
            "county": county_arr[g_county[gk]],
            "level": level_names[g_level[gk]],
            "indicator": np.asarray(ids, dtype=object)[jk],
            "no": np.array([ind.no for ind in inds])[jk],
            "name_zh": np.asarray([ind.name_zh for ind in inds], dtype=object)[jk],
            "name_en": np.asarray([ind.name_en for ind in inds], dtype=object)[jk],
            "threshold": thr_g[gk, jk],
            "county_value": xbar[gk, jk],
            "min_value": min_val[gk, jk],
            "cv": cv[gk, jk],
            "cv_unweighted": cv_u[gk, jk],
            "cv_limit": limit_g[gk],
            "cv_ok": cv_ok[gk, jk],
            "n_schools": n_sch[gk].astype(int),
            "n_below": n_below[gk, jk].astype(int),
            "n_failing_rule_on": n_fail_rule_on[gk, jk].astype(int),
            "shortfall": shortfall[gk, jk],
            "resource_unit": np.asarray([ind.resource_unit for ind in inds], dtype=object)[jk],
        }
    )

    # --- criteria ----------------------------------------------------------------------
    frames: list[dict[str, Any]] = []
    # (a) the per-school 6-of-7 rule, one row per county and level (not assessed without schools)
    rule_status = np.where(~present, NOT_ASSESSED, np.where(n_pass == n_sch, MET, FAILED))
    share_pass = np.divide(n_pass, n_sch, out=np.full(n_groups, np.nan), where=present)
    frames.append(
        {
            "county": county_arr[g_county],
            "level": level_names[g_level],
            "criterion": "per_school_rule",
            "indicator": "",
            "kind": "resources",
            "name_zh": "每所学校至少6项达标、余项不低于85%",
            "name_en": f"every school meets ≥ {rule.min_met} of 7, the rest ≥ "
            f"{rule.floor_ratio:.0%} (share of schools)",
            "value": share_pass,
            "threshold": 1.0,
            "op": ">=",
            "status": rule_status,
            "gap": np.where(present, 1.0 - share_pass, np.nan),
            "rel_gap": np.where(present, 1.0 - share_pass, np.nan),
            "n_schools_failing": np.where(present, n_sch - n_pass, np.nan),
            "shortfall": np.nan,
            "unit": "share of schools",
        }
    )
    # (b) each indicator at school level: failed when a school failing the rule misses it
    ind_status = np.where(indicators_out["n_failing_rule_on"] > 0, FAILED, MET)
    gap_i = indicators_out["threshold"] - indicators_out["min_value"]
    frames.append(
        {
            "county": indicators_out["county"],
            "level": indicators_out["level"],
            "criterion": "school_" + indicators_out["indicator"],
            "indicator": indicators_out["indicator"],
            "kind": "school_indicator",
            "name_zh": indicators_out["name_zh"],
            "name_en": indicators_out["name_en"] + " (lowest school)",
            "value": indicators_out["min_value"],
            "threshold": indicators_out["threshold"],
            "op": ">=",
            "status": ind_status,
            "gap": gap_i,
            "rel_gap": gap_i / indicators_out["threshold"],
            "n_schools_failing": indicators_out["n_below"].astype(float),
            "shortfall": indicators_out["shortfall"],
            "unit": np.asarray([_value_unit(i) for i in inds], dtype=object)[jk],
        }
    )
    # (c) difference coefficients
    cv_vals = indicators_out["cv"].to_numpy()
    cv_lim = indicators_out["cv_limit"].to_numpy()
    cv_status = np.where(np.isnan(cv_vals) | ~indicators_out["cv_ok"].to_numpy(), FAILED, MET)
    frames.append(
        {
            "county": indicators_out["county"],
            "level": indicators_out["level"],
            "criterion": "cv_" + indicators_out["indicator"],
            "indicator": indicators_out["indicator"],
            "kind": "coefficient",
            "name_zh": indicators_out["name_zh"] + "校际差异系数",
            "name_en": "difference coefficient: " + indicators_out["name_en"],
            "value": cv_vals,
            "threshold": cv_lim,
            "op": "<=",
            "status": cv_status,
            "gap": cv_vals - cv_lim,
            "rel_gap": (cv_vals - cv_lim) / cv_lim,
            "n_schools_failing": indicators_out["n_below"].astype(float),
            "shortfall": np.nan,
            "unit": "coefficient",
        }
    )
    # (d) school size and class size, from the table
    frames.append(_size_criteria(df, std, in_scope, county_codes, counties, p_pri, p_jun, p_sen))
    # (e) county-level items from county data
    frames.extend(_item_criteria(std, counties, county_data))

    criteria = stack(frames, CRITERIA_COLUMNS)
    counties_out = _verdicts(criteria, counties, n_sch, n_pass, present, excluded)
    return CompulsoryEvaluation(
        schools=schools_out,
        excluded=excluded,
        indicators=indicators_out,
        criteria=criteria,
        counties=counties_out,
        standard=std,
    )


def _value_unit(ind: Any) -> str:
    per = "per 100 students" if ind.per == 100 else "per student"
    return f"{ind.resource_unit} {per}"


def _size_criteria(
    df: pd.DataFrame,
    std: CompulsoryStandard,
    in_scope: np.ndarray,
    county_codes: np.ndarray,
    counties: list[str],
    p_pri: np.ndarray,
    p_jun: np.ndarray,
    p_sen: np.ndarray,
) -> dict[str, Any]:
    """School-size and class-size guarantee items: counts of schools over the limits."""
    nc = len(counties)
    cc = county_codes[in_scope]
    size = (p_pri + p_jun + p_sen)[in_scope]
    levels = ((p_pri > 0).astype(int) + (p_jun > 0) + (p_sen > 0))[in_scope]
    s_lim = np.where(levels > 1, std.school_size.multi_level, std.school_size.single_level)
    over = size > s_lim
    n_over = np.bincount(cc, weights=over.astype(float), minlength=nc)
    excess = np.bincount(cc, weights=np.maximum(0.0, size - s_lim), minlength=nc)
    n_in = np.bincount(cc, minlength=nc)
    size_status = np.where(n_in == 0, NOT_ASSESSED, np.where(n_over > 0, FAILED, MET))

    if "max_class_size" in df.columns:
        mcs = pd.to_numeric(df["max_class_size"], errors="coerce").to_numpy(float)[in_scope]
    else:
        mcs = np.full(int(in_scope.sum()), np.nan)
    c_lim = np.where(p_jun[in_scope] > 0, std.class_size.junior, std.class_size.primary)
    known = ~np.isnan(mcs)
    c_over = known & (mcs > c_lim)
    n_c_over = np.bincount(cc, weights=c_over.astype(float), minlength=nc)
    n_known = np.bincount(cc, weights=known.astype(float), minlength=nc)
    worst = np.zeros(nc)
    np.maximum.at(worst, cc, np.where(c_over, mcs - c_lim, 0.0))
    class_status = np.where(
        n_c_over > 0, FAILED, np.where((n_known < n_in) | (n_in == 0), NOT_ASSESSED, MET)
    )
    class_value = np.where(class_status == NOT_ASSESSED, np.nan, n_c_over)
    names = np.asarray(counties, dtype=object)
    ss, cs = std.school_size, std.class_size
    return {
        "county": np.concatenate([names, names]),
        "level": "",
        "criterion": ["school_size"] * nc + ["class_size"] * nc,
        "indicator": "",
        "kind": "guarantee",
        "name_zh": [ss.name_zh] * nc + [cs.name_zh] * nc,
        "name_en": [
            f"{ss.name_en}: schools over {ss.single_level} (one level) / "
            f"{ss.multi_level} (combined)"
        ]
        * nc
        + [f"{cs.name_en}: schools with a class over {cs.primary} (primary) / {cs.junior} (junior)"]
        * nc,
        "value": np.concatenate([np.where(n_in == 0, np.nan, n_over), class_value]),
        "threshold": 0.0,
        "op": "<=",
        "status": np.concatenate([size_status, class_status]),
        "gap": np.concatenate(
            [np.where(n_over > 0, excess, 0.0), np.where(n_c_over > 0, worst, 0.0)]
        ),
        "rel_gap": np.nan,
        "n_schools_failing": np.concatenate([n_over, n_c_over]),
        "shortfall": np.nan,
        "unit": ["schools (gap: students over the limits)"] * nc
        + ["schools (gap: students over the limit in the worst class)"] * nc,
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
        code, gap = judge(table[item.id].to_numpy(), item.op, item.threshold)
        parts.append(
            {
                "county": counties,
                "level": "",
                "criterion": item.id,
                "indicator": "",
                "kind": "veto" if item.veto else item.kind,
                "name_zh": item.name_zh,
                "name_en": item.name_en,
                "value": table[item.id].to_numpy(),
                "threshold": np.nan if item.threshold is None else item.threshold,
                "op": item.op,
                "status": status_names(code),
                "gap": gap,
                "rel_gap": relative_gap(gap, item.op, item.threshold),
                "n_schools_failing": np.full(nc, np.nan),
                "shortfall": np.nan,
                "unit": "yes/no"
                if item.op in ("true", "false")
                else "share"
                if item.threshold is not None and item.threshold <= 1.0
                else "value",
            }
        )
    return parts


def _verdicts(
    criteria: pd.DataFrame,
    counties: list[str],
    n_sch: np.ndarray,
    n_pass: np.ndarray,
    present: np.ndarray,
    excluded: pd.DataFrame,
) -> pd.DataFrame:
    """One row per county: counts, flags and a verdict sentence naming what binds."""
    nl = len(LEVELS)
    status = criteria["status"].to_numpy()
    code = pd.Categorical(criteria["county"], categories=counties).codes
    nc = len(counties)
    n_failed = np.bincount(code, weights=(status == FAILED).astype(float), minlength=nc)
    n_na = np.bincount(code, weights=(status == NOT_ASSESSED).astype(float), minlength=nc)
    resource_kind = (
        criteria["kind"].isin(["resources", "coefficient", "school_indicator"]).to_numpy()
    )
    n_res_failed = np.bincount(
        code, weights=((status == FAILED) & resource_kind).astype(float), minlength=nc
    )
    n_res_na = np.bincount(
        code, weights=((status == NOT_ASSESSED) & resource_kind).astype(float), minlength=nc
    )
    gaps = criteria[status == FAILED]
    gaps = gaps.sort_values("rel_gap", ascending=False, na_position="last", kind="stable")
    binding: dict[str, list[str]] = {c: [] for c in counties}
    for county, level, crit in zip(gaps["county"], gaps["level"], gaps["criterion"], strict=True):
        binding[county].append(f"{crit}[{level}]" if level else crit)
    tp = excluded[excluded["reason"].str.startswith("teaching point")]
    excl = tp.groupby("county").size() if len(tp) else pd.Series(dtype=int)

    rows = []
    for ci, county in enumerate(counties):
        g = ci * nl + np.arange(nl)
        failed, na = int(n_failed[ci]), int(n_na[ci])
        res_ok = n_res_failed[ci] == 0 and n_res_na[ci] == 0
        if failed:
            status_c = "fails"
            verdict = f"fails: {failed} criteria failed ({', '.join(binding[county][:6])}"
            verdict += ", ...)" if len(binding[county]) > 6 else ")"
            if na:
                verdict += f"; {na} items not assessed"
        elif na == 0:
            status_c, verdict = "passes", "passes"
        elif res_ok:
            status_c = "incomplete"
            verdict = f"passes resource criteria; {na} items not assessed"
        else:
            status_c = "incomplete"
            verdict = f"no criterion failed; {na} items not assessed"
        row: dict[str, Any] = {"county": county}
        for li, level in enumerate(LEVELS):
            row[f"n_schools_{level}"] = int(n_sch[g[li]])
            row[f"n_passing_{level}"] = int(n_pass[g[li]])
        row.update(
            n_excluded_teaching_points=int(excl.get(county, 0)),
            n_failed=failed,
            n_not_assessed=na,
            resources_pass=bool(res_ok),
            passes=status_c == "passes",
            passes_assessed=failed == 0,
            status=status_c,
            verdict=verdict,
            binding=binding[county],
        )
        rows.append(row)
    return pd.DataFrame(rows)


def level_label(level: str) -> str:
    """``小学 primary`` / ``初中 junior``."""
    zh, en = LEVEL_NAMES.get(level, (level, level))
    return f"{zh} {en}"
