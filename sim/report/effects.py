"""What a scenario changes: its differences from a reference scenario, metric by metric.

Policy staff comparing "boarding expansion" with the status quo want to see the +4.3k
boarders and −4.3k long commutes, not seven key metrics that the lever never touches. For
each scenario this module picks the metrics its levers act on (``LEVER_METRICS``) and the
ones that differ most from the reference, and tabulates reference, scenario and difference
in the judged year (stock metrics) or summed over the run (flows and costs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from sim.core.errors import InputError
from sim.core.names import CITY
from sim.plots import labels as lbl
from sim.plots.common import is_flow, tr

# What each lever acts on (its module's docstring and the metrics its ledger records).
LEVER_METRICS: dict[str, tuple[str, ...]] = {
    "layout_optimisation": ("n_schools_open", "n_teaching_points", "n_long_commute",
                            "n_boarding", "n_large_classes"),
    "county_high_school_support": ("new_top_outflow", "n_supported_high_schools"),
    "three_schools_uplift": ("n_criteria_failed_compulsory", "n_counties_passing_compulsory"),
    "township_management": ("n_pe_art", "n_criteria_failed_compulsory"),
    "group_schooling": ("n_communities_running", "n_teachers_rotated"),
    "principal_selection": ("n_criteria_failed_compulsory",),
    "rural_teacher_development": ("n_backbone", "n_criteria_failed_compulsory"),
    "curriculum_reform": ("n_criteria_failed_compulsory",),
    "special_groups_care": ("new_dropouts",),
    "warm_rural_campus": ("new_dropouts",),
    "vocational_standards": ("n_students_vocational",),
    "education_ecology": ("n_large_classes",),
    "boarding_expansion": ("n_boarding", "n_long_commute", "n_beds"),
    "teacher_rotation": ("n_teachers_rotated", "n_backbone"),
    "salary_parity": ("new_attrition", "n_vacancies"),
    "preschool_expansion": ("gross_enrolment_rate_preschool", "puhui_coverage_rate",
                            "public_share_preschool", "n_counties_passing_preschool"),
    "digital_empowerment": ("n_criteria_failed_compulsory",),
}
ALWAYS = ("cost_yuan", "n_counties_passing_compulsory", "n_counties_passing_preschool")
N_MOST = 4  # metrics that differ most, besides the levers' own


@dataclass
class Effect:
    """One metric of one scenario against the reference."""

    scenario: str
    metric: str
    reference: float
    value: float
    why: str  # "lever", "most", "asked" or "always"

    @property
    def difference(self) -> float:
        """Scenario minus reference."""
        return self.value - self.reference


def judged(series: pd.DataFrame, metric: str, year: int) -> float:
    """The number a reader compares: a flow or cost summed over the run, a stock in ``year``."""
    if is_flow(metric) or metric.startswith("cost_yuan"):
        return float(series["median"].sum())
    at = series.loc[series["year"] == year, "median"]
    return float(at.iloc[0]) if len(at) else float("nan")


def city_values(bands: pd.DataFrame, year: int) -> pd.DataFrame:
    """scenario × metric table of judged city values (only metrics a reader has a name for)."""
    city = bands[bands["county"] == CITY]
    rows = {}
    for (sc, m), grp in city.groupby(["scenario", "metric"], sort=False):
        if not labelled(str(m)):
            continue
        rows[(str(sc), str(m))] = judged(grp, str(m), year)
    s = pd.Series(rows, dtype=float)
    if not len(s):
        return pd.DataFrame()
    table = s.unstack(1)
    costs = [c for c in table.columns if str(c).startswith("cost_yuan")]
    table[costs] = table[costs].fillna(0.0)  # a run without levers records no cost: it is 0
    return table


def labelled(metric: str) -> bool:
    """A metric the labels module can name (unknown ones would print their raw id)."""
    return lbl.labelled_metric(metric)


def _relative(a: float, b: float) -> float:
    if not (math.isfinite(a) and math.isfinite(b)):
        return 0.0
    scale = max(abs(a), abs(b))
    return abs(b - a) / scale if scale else 0.0


def effects(bands: pd.DataFrame, reference: str, levers: dict[str, list[str]], year: int,
            metrics: list[str] | None = None) -> list[Effect]:
    """Per scenario ≠ ``reference``: the asked ``metrics``, else its levers' metrics, the
    plan's counts and cost, and the ``N_MOST`` metrics with the largest relative change."""
    table = city_values(bands, year)
    if reference not in table.index:
        return []
    ref = table.loc[reference]
    out = []
    for sc in table.index:
        if sc == reference:
            continue
        row = table.loc[sc]
        chosen: dict[str, str] = {}
        if metrics:
            chosen = {m: "asked" for m in metrics if m in table.columns}
        else:
            for kind in levers.get(sc, []):
                for m in LEVER_METRICS.get(kind, ()):
                    if m in table.columns:
                        chosen.setdefault(m, "lever")
            for m in ALWAYS:
                if m in table.columns:
                    chosen.setdefault(m, "always")
            rel = pd.Series({m: _relative(ref[m], row[m]) for m in table.columns
                             if not m.startswith("cost_yuan_")})
            for m in rel[rel > 1e-9].sort_values(ascending=False, kind="stable").index[:N_MOST]:
                chosen.setdefault(m, "most")
        for m, why in chosen.items():
            if math.isfinite(ref[m]) and math.isfinite(row[m]):  # both runs measure it
                out.append(Effect(str(sc), m, float(ref[m]), float(row[m]), why))
    return out


def fmt_diff(metric: str, value: float, lang: str) -> str:
    """A signed difference in the metric's unit (percentage points for shares)."""
    if value != value:
        return "–"
    if abs(value) < 1e-12:
        return "0"
    unit = lbl.metric_label(metric).unit
    sign = "+" if value > 0 else "−"
    if unit == "share":
        return f"{sign}{100 * abs(value):.1f} " + tr(lang, "个百分点", "pp")
    return sign + lbl.fmt_value(metric, abs(value), lang)


def effect_table(found: list[Effect], reference: str, year: int,
                 lang: str) -> tuple[list[str], list[list[str]]]:
    """Rows: scenario, metric (with how it is judged), reference value, scenario value, change."""
    header = [tr(lang, "情景", "scenario"), tr(lang, "指标", "metric"),
              tr(lang, f"参照 {reference}", f"reference {reference}"),
              tr(lang, "本情景", "this scenario"), tr(lang, "差值", "difference")]
    rows = []
    for e in found:
        when = (tr(lang, "累计", "cumulative") if is_flow(e.metric)
                or e.metric.startswith("cost_yuan") else tr(lang, f"{year}年", f"{year}"))
        mark = {"lever": tr(lang, "(杠杆作用对象)", " (lever acts on it)"),
                "most": tr(lang, "(变化最大)", " (differs most)")}.get(e.why, "")
        sep = tr(lang, ",", ", ")
        rows.append([e.scenario, f"{lbl.metric(e.metric, lang)}{sep}{when}{mark}",
                     lbl.fmt_value(e.metric, e.reference, lang),
                     lbl.fmt_value(e.metric, e.value, lang),
                     fmt_diff(e.metric, e.difference, lang)])
    return header, rows


def effect_lines(found: list[Effect], reference: str, lang: str) -> list[str]:
    """One sentence per scenario: what it changes most, or that it changes nothing."""
    out = []
    for sc in dict.fromkeys(e.scenario for e in found):
        mine = [e for e in found if e.scenario == sc]
        moved = [e for e in mine if abs(e.difference) > 1e-9]
        if not moved:
            out.append(tr(lang, f"{sc}:所列指标与 {reference} 完全相同。",
                          f"{sc}: every metric listed is identical to {reference}."))
            continue
        top = sorted(moved, key=lambda e: -_relative(e.reference, e.value))[:3]
        parts = [f"{lbl.metric(e.metric, lang)} {fmt_diff(e.metric, e.difference, lang)}"
                 for e in top]
        out.append(tr(lang, f"{sc} 相对 {reference}:" + ",".join(parts) + "。",
                      f"{sc} against {reference}: " + ", ".join(parts) + "."))
    return out


def check_metrics(metrics: list[str] | None, bands: pd.DataFrame) -> list[str] | None:
    """``--metrics``: each must be a city metric of these runs (one readable error if not)."""
    if not metrics:
        return None
    have = set(bands.loc[bands["county"] == CITY, "metric"])
    bad = [m for m in metrics if m not in have]
    if bad:
        raise InputError(f"unknown metric {bad[0]!r} for --metrics (these runs have "
                         f"{len(have)}; list them with `python -m sim metrics`)",
                         key="--metrics")
    return list(metrics)


OUTCOME_ID_COLUMNS = ("run_id", "scenario", "sample", "replicate", "seed", "status")


def outcome_label(name: str, spec: dict | None, lang: str) -> str:
    """An outcome's printed name: its target or metric in the report's language, and year."""
    if not spec:
        return name
    year = spec.get("year")
    when = tr(lang, f"({year}年)", f" ({year})") if year else ""
    if spec.get("target"):
        return lbl.target(str(spec["target"]), lang) + when
    if spec.get("metric") and lbl.labelled_metric(str(spec["metric"])):
        where = spec.get("county")
        place = f"{lbl.county(str(where), lang)} " if where else ""
        return place + lbl.metric(str(spec["metric"]), lang) + when
    return str(spec.get("description") or name) if lang == "en" else name


def _number(metric: str | None, v: float, lang: str) -> str:
    if metric and lbl.labelled_metric(metric):
        return lbl.fmt_value(metric, v, lang)
    return f"{v:,.3g}".replace("-", "−")


def outcome_table(outcomes: pd.DataFrame | None, scenarios: list[str], lang: str,
                  specs: list[dict] | None = None) -> tuple[list[str], list[list[str]]]:
    """Outcome × scenario: median and 10–90% band over the scenario's runs."""
    if outcomes is None or not len(outcomes):
        return [], []
    by_name = {str(o.get("name")): o for o in specs or [] if isinstance(o, dict)}
    cols = [c for c in outcomes.columns if c not in OUTCOME_ID_COLUMNS
            and pd.api.types.is_numeric_dtype(outcomes[c])]
    header = [tr(lang, "结果指标", "outcome"), *scenarios]
    rows = []
    for col in cols:
        spec = by_name.get(col)
        metric = str(spec.get("metric")) if spec and spec.get("metric") else (
            col if col in lbl.METRICS else None)
        cells = [outcome_label(col, spec, lang) if spec else lbl.metric(col, lang)
                 if col in lbl.METRICS else col]
        for sc in scenarios:
            v = outcomes.loc[outcomes["scenario"] == sc, col].dropna()
            if not len(v):
                cells.append("–")
                continue
            med, lo, hi = (float(v.median()), float(v.quantile(0.1)), float(v.quantile(0.9)))
            cell = _number(metric, med, lang)
            if hi > lo:
                cell += f" ({_number(metric, lo, lang)} – {_number(metric, hi, lang)})"
            cells.append(cell)
        rows.append(cells)
    return header, rows
