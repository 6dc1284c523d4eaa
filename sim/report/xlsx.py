"""``report.xlsx``: the report's tables for analysts to reuse in Excel.

One sheet per table a reader would otherwise retype: the county scorecard against each
criterion, the plan targets year by year, the key county metrics, and the levers with
their costs (a run); the target probabilities, the spec's outcomes and the scenario bands
(an experiment). Numbers stay numbers (not formatted text) so they can be summed and
charted; headers are in the report's language.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.plots import labels as lbl
from sim.plots.common import MissingMetricError, ordered_counties, tr
from sim.plots.criteria import BY_METRIC
from sim.plots.standards import scorecard_table
from sim.report import summary as sm
from sim.report.load import ExperimentData, RunData, target_status

KEY_METRICS = ("n_students_preschool", "n_students_primary", "n_students_junior",
               "n_teachers", "n_vacancies", "students_per_teacher_primary", "n_large_classes",
               "n_schools_open", "n_boarding", "n_long_commute", "gross_enrolment_rate_preschool",
               "puhui_coverage_rate", "passes_compulsory_standard", "passes_preschool_standard",
               "cost_yuan")


def scorecard_sheet(cy: pd.DataFrame, lang: str) -> pd.DataFrame | None:
    """County × criterion in the plan year: value, line, passes."""
    try:
        table = scorecard_table(cy, sm.plan_year(cy["year"]))
    except MissingMetricError:
        return None
    return pd.DataFrame({
        tr(lang, "年份", "year"): table["year"].astype(int),
        tr(lang, "县(市、区)", "county"): [lbl.county(c, lang, short=False)
                                         for c in table["county"]],
        tr(lang, "标准项", "criterion"): [BY_METRIC[m].short_label(lang) if m in BY_METRIC
                                         else lbl.metric(m, lang) for m in table["metric"]],
        tr(lang, "值", "value"): table["value"].astype(float),
        tr(lang, "限值", "line"): table["threshold"].astype(float),
        tr(lang, "达标", "passes"): [tr(lang, "是" if p else "否", "yes" if p else "no")
                                     for p in table["passes"]],
    })


STATUS_WORDS = {
    "zh": {"met": "达成", "not met": "未达成", "not assessed": "未评估"},
    "en": {"met": "met", "not met": "not met", "not assessed": "not assessed"},
}


def targets_sheet(targets: pd.DataFrame | None, lang: str) -> pd.DataFrame | None:
    """The targets table as a sheet with readable headers in ``lang``."""
    if targets is None or not len(targets):
        return None
    return pd.DataFrame({
        tr(lang, "目标", "target"): [lbl.target(t, lang) for t in targets["target"]],
        tr(lang, "年份", "year"): targets["year"].astype(int),
        tr(lang, "值", "value"): targets["value"].astype(float),
        tr(lang, "目标值", "threshold"): targets["threshold"].astype(float),
        tr(lang, "达成", "status"): [STATUS_WORDS[lang][s] for s in target_status(targets)],
    })


def county_sheet(cy: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Year × county rows, one column per key metric (named with its unit)."""
    sub = cy[cy["metric"].isin(KEY_METRICS)]
    wide = sub.pivot_table(index=["year", "county"], columns="metric", values="value",
                           aggfunc="mean").reset_index()
    order = {c: i for i, c in enumerate(ordered_counties(wide["county"].unique()))}
    wide = wide.sort_values(["year", "county"], key=lambda s: s.map(order) if s.name ==
                            "county" else s)
    wide["county"] = [lbl.county(c, lang, short=False) for c in wide["county"]]
    metrics = [m for m in KEY_METRICS if m in wide.columns]
    out = wide[["year", "county", *metrics]]
    return out.rename(columns={"year": tr(lang, "年份", "year"),
                               "county": tr(lang, "县(市、区)", "county"),
                               **{m: lbl.metric(m, lang, unit=True) for m in metrics}})


def lever_sheet(run: RunData, lang: str) -> pd.DataFrame:
    """Each lever of the run with its settings, as a sheet."""
    return pd.DataFrame({tr(lang, "政策杠杆", "lever"): sm.lever_lines(run.levers,
                                                                      run.county_year, lang)})


def run_sheets(run: RunData, lang: str) -> dict[str, pd.DataFrame | None]:
    """The sheets of a run's workbook: scorecard, targets, county metrics, levers."""
    return {tr(lang, "达标记分卡", "scorecard"): scorecard_sheet(run.county_year, lang),
            tr(lang, "规划目标", "targets"): targets_sheet(run.targets, lang),
            tr(lang, "各县指标", "county metrics"): county_sheet(run.county_year, lang),
            tr(lang, "政策杠杆", "levers"): lever_sheet(run, lang)}


def experiment_sheets(exp: ExperimentData, lang: str) -> dict[str, pd.DataFrame | None]:
    """The sheets of an experiment's workbook: runs, outcomes, bands, probabilities."""
    out: dict[str, pd.DataFrame | None] = {}
    tp = exp.target_probability
    if tp is not None and len(tp):
        _, header, rows = sm.probability_table(tp, lang)
        out[tr(lang, "目标概率", "target probability")] = pd.DataFrame(rows, columns=header)
    if exp.outcomes is not None:
        out[tr(lang, "结果指标", "outcomes")] = exp.outcomes
    ref = exp.reference_scenario
    cy = exp.median_county_year(ref)
    if len(cy):
        out[tr(lang, f"记分卡({ref})", f"scorecard ({ref})")] = scorecard_sheet(cy, lang)
    if exp.bands is not None:
        out[tr(lang, "情景区间", "scenario bands")] = exp.bands
    return out


def write_workbook(data: RunData | ExperimentData, path: Path, lang: str) -> Path:
    """Write the sheets that ``data`` has to ``path`` (an ``.xlsx`` workbook)."""
    sheets = run_sheets(data, lang) if isinstance(data, RunData) else \
        experiment_sheets(data, lang)
    partial = path.with_suffix(".xlsx.partial")
    with pd.ExcelWriter(partial, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            if frame is None or not len(frame):
                continue
            frame.to_excel(writer, sheet_name=name[:31], index=False)
            sheet = writer.sheets[name[:31]]
            for k, col in enumerate(frame.columns):
                width = max(len(str(col)), *(len(str(v)) for v in frame[col].head(50)))
                sheet.column_dimensions[sheet.cell(1, k + 1).column_letter].width = min(
                    60, width + 2)
            sheet.freeze_panes = "A2"
    partial.replace(path)
    return path
