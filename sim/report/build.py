"""Assemble ``report.html`` and ``figures/`` for a run or an experiment directory.

The order of the page follows what policy staff ask: are the plan's targets met (summary,
scorecard), what holds each county back (criteria), what the population and teacher
pipeline do, what the levers cost, then how sure we can be (experiments), then provenance.
A figure that cannot be drawn because its metric is missing is replaced by one line saying
so; the rest of the report still renders.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim import __version__
from sim.plots import (
    MissingMetricError,
    cost_attainment_figure,
    counties_passing_figure,
    cv_figure,
    demography_figure,
    difference_figure,
    enrolment_by_stage,
    enrolment_by_tier,
    fonts,
    lever_cost_figure,
    prim_figure,
    save_figure,
    scenario_bands_figure,
    school_pass_share_figure,
    scorecard_heatmap,
    sensitivity_figure,
    target_probability_figure,
    targets_figure,
    teacher_flows_figure,
    teacher_shortage_figure,
    teacher_stock_figure,
)
from sim.plots import labels as lbl
from sim.plots.common import reuse_derived, tr
from sim.plots.criteria import PLAN_COUNTIES, PLAN_YEAR
from sim.plots.maps import standards_map, standards_map_caption
from sim.report import captions as cap
from sim.report import effects as fx
from sim.report import summary as sm
from sim.report.configs import flatten, lever_table, settings_table
from sim.report.html import FigureEntry, Section, render_page
from sim.report.load import ExperimentData, RunData, load
from sim.report.xlsx import write_workbook

# City metrics compared across scenarios, when present.
BAND_METRICS = (
    "n_students_primary",
    "n_students_junior",
    "n_teachers",
    "students_per_teacher_primary",
    "n_large_classes",
    "n_schools_open",
    "cost_yuan",
)


@dataclass
class Job:
    """A figure to draw: an id (file name), a title, and how to make it and its caption."""

    id: str
    title: str
    make: Callable[[], Any]
    caption: Callable[[], str]


FORMATS = ("png", "svg")


DPI = 150


def render_one(job: Job, fig_dir: Path, lang: str, formats: tuple[str, ...],
               dpi: int) -> FigureEntry:
    """Draw one job, save it in ``formats`` (PNG first), keep the PNG bytes to embed."""
    formats = ("png", *[f for f in formats if f != "png"])
    try:
        fig = job.make()
    except MissingMetricError as exc:
        return FigureEntry(job.id, job.title, missing=cap.missing_text(exc, lang))
    try:
        caption = job.caption()
    except (MissingMetricError, KeyError, IndexError, ValueError):
        caption = ""  # the figure stands; its one-line reading could not be computed
    files = save_figure(fig, fig_dir, job.id, formats=formats, dpi=dpi)
    return FigureEntry(job.id, job.title, caption=caption, png=files["png"].read_bytes(),
                       files=list(files.values()))


# With the collector off, a collection once this many objects have been made since the
# last one: the baseline report's 12 figures make about 230,000 (13 MB of memory once their
# pixel buffers are freed), so it never collects; a report with many more figures does,
# and its memory stays bounded.
COLLECT_AFTER = 1_000_000


def render(jobs: list[Job], fig_dir: Path, lang: str,
           formats: tuple[str, ...] = FORMATS, dpi: int = DPI) -> list[FigureEntry]:
    """Draw each job in turn (drawing in forked processes was tried: the loaded tables keep
    threads alive, fork is then unsafe, and on a shared 2-core machine it gained nothing).

    When the caller has turned automatic garbage collection off (``sim report`` does, see
    ``sim.cli.report.fewer_collections``), each figure's reference cycles are left for
    later and collected only when ``COLLECT_AFTER`` objects have piled up. Why: a
    collection per figure cost 0.13-0.2 s of CPU in the baseline report (it walks and frees
    every artist) to save about 13 MB, since ``save_figure`` frees each figure's pixel
    buffer (the bulk of a figure's memory) as soon as it is written.
    """
    entries = []
    for job in jobs:
        entries.append(render_one(job, fig_dir, lang, formats, dpi))
        if not gc.isenabled() and gc.get_count()[0] > COLLECT_AFTER:
            gc.collect()
    return entries


# --- per-county figures (a run, or an experiment's reference scenario) ------------------


def county_jobs(cy: pd.DataFrame, school_year: pd.DataFrame | None, targets: pd.DataFrame | None,
                lang: str, *, prefix: str = "") -> dict[str, list[Job]]:
    """The figures of one trajectory, grouped by report section."""
    t = lang

    def j(id_: str, zh: str, en: str, make: Callable[[], Any], caption: Callable[[], str]) -> Job:
        return Job(prefix + id_, tr(t, zh, en), make, caption)

    year = sm.plan_year(cy["year"]) if len(cy) else None
    return {
        "targets": [
            j("targets", "规划目标逐年记分", "Plan targets year by year",
              lambda: targets_figure(targets, lang=t), lambda: cap.targets(targets, t)),
            j("counties_passing", "达标县数与规划目标", "Counties passing each standard",
              lambda: counties_passing_figure(cy, lang=t), lambda: cap.counties_pass(cy, t)),
            j("scorecard", "各县达标记分卡", "County scorecard",
              lambda: scorecard_heatmap(cy, year=year, lang=t), lambda: cap.heatmap(cy, t)),
            j("county_map", "各县达标地图", "Map of county verdicts",
              lambda: standards_map(cy, year=year, lang=t),
              lambda: standards_map_caption(cy, year=year, lang=t)),
            j("difference_coefficients", "7项指标校际差异系数",
              "Difference coefficients of the 7 indicators",
              lambda: cv_figure(cy, year=year, lang=t), lambda: cap.cv(cy, t)),
            j("schools_passing", "7项指标达标的学校占比", "Schools meeting 6 of the 7 indicators",
              lambda: school_pass_share_figure(cy, lang=t), lambda: cap.pass_share(cy, t)),
        ],
        "students": [
            j("enrolment_stage", "分学段在校生", "Students by stage",
              lambda: enrolment_by_stage(cy, lang=t), lambda: cap.enrolment_stage(cy, t)),
            j("enrolment_tier", "分城乡在校生", "Students by tier",
              lambda: enrolment_by_tier(cy, lang=t), lambda: cap.enrolment_tier(cy, t)),
            j("demography", "出生、城镇化与迁移", "Births, urbanisation and migration",
              lambda: demography_figure(cy, lang=t), lambda: cap.demography(cy, t)),
        ],
        "teachers": [
            j("teachers_stock", "教师:在岗与未补缺岗位", "Teachers in post and unfilled posts",
              lambda: teacher_stock_figure(cy, lang=t), lambda: cap.teacher_stock(cy, t)),
            j("teachers_flows", "教师招聘、退休与流失", "Teachers: hires, retirements, attrition",
              lambda: teacher_flows_figure(cy, lang=t), lambda: cap.teacher_flows(cy, t)),
            j("teachers_shortage", "骨干与体艺教师缺口(按城乡)",
              "Backbone and PE/art shortages by tier",
              lambda: teacher_shortage_figure(school_year, lang=t),
              lambda: cap.teacher_shortage(school_year, t)),
        ],
        "costs": [
            j("lever_costs", "政策成本", "Lever costs",
              lambda: lever_cost_figure(cy, lang=t), lambda: cap.lever_cost(cy, t)),
        ],
    }


def reading_guide(lang: str, kind: str) -> str:
    """What the report is, for a reader who has not seen the project (from the plan's data)."""
    n_c = PLAN_COUNTIES.get("compulsory")
    n_p = PLAN_COUNTIES.get("preschool")
    what = tr(lang, "一次模拟运行" if kind == "run" else "一组模拟实验(多情景、多次重复)",
              "one simulated run" if kind == "run" else
              "a simulation experiment (several scenarios, repeated runs)")
    return tr(
        lang,
        f"本报告由清远市基础教育仿真模型根据{what}自动生成,用规划自身的目标检验"
        f"《清远市“百县千镇万村高质量发展工程”教育提升行动实施方案(2023—2027年)》:"
        f"到{PLAN_YEAR}年至少 {n_c} 个县(市、区)通过义务教育优质均衡督导评估(教督〔2017〕6号),"
        f"至少 {n_p} 个通过学前教育普及普惠督导评估(教督〔2020〕1号)。"
        "文中数字均为模型在所述假设下的模拟结果,不是统计数据。",
        f"This report was generated by the Qingyuan basic-education simulator from {what}. It "
        f"tests Qingyuan City's 2023–2027 education action plan against the plan's own targets: "
        f"by {PLAN_YEAR}, at least {n_c} of the 8 counties pass the national high-quality "
        f"balanced compulsory-education standard (优质均衡, 教督〔2017〕6号) and at least {n_p} "
        f"pass the universal and inclusive preschool standard (普及普惠, 教督〔2020〕1号). Every "
        "number is a model result under the stated assumptions, not an observation.",
    )


def section_titles(lang: str) -> dict[str, str]:
    """Section titles of a report in ``lang``."""
    return {
        "summary": tr(lang, "摘要", "Summary"),
        "targets": tr(lang, "规划目标与国家标准", "Plan targets and national standards"),
        "scenarios": tr(lang, "情景比较与不确定性", "Scenarios and uncertainty"),
        "students": tr(lang, "学生与人口", "Students and population"),
        "teachers": tr(lang, "教师", "Teachers"),
        "costs": tr(lang, "成本", "Costs"),
        "sensitivity": tr(lang, "敏感性与情景发现", "Sensitivity and scenario discovery"),
        "provenance": tr(lang, "来源与可复现信息", "Provenance"),
    }


# --- provenance -------------------------------------------------------------------------


def _fmt(value: Any, lang: str = "en") -> str:
    if isinstance(value, bool):
        return tr(lang, "是" if value else "否", "yes" if value else "no")
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def provenance_section(meta: dict[str, Any], path: Path, lang: str, title: str,
                       extra_pre: list[tuple[str, str]] | None = None) -> Section:
    """Seed, commit, versions and timings in a table; the full record in a foldout."""
    rows = [[tr(lang, "目录", "directory"), str(path)]]
    for key in ("name", "seed", "until", "git_commit", "commit", "spec_hash", "design", "replicates",
                "created", "started", "finished", "wall_s", "command"):
        if key in meta and not isinstance(meta[key], dict | list):
            rows.append([key, _fmt(meta[key], lang)])
    cfg = meta.get("config") if isinstance(meta.get("config"), dict) else {}
    for key in ("name", "seed", "until", "start_year"):
        if key in cfg:
            rows.append([f"config.{key}", str(cfg[key])])
    for group in ("git", "design", "versions", "timings"):
        if isinstance(meta.get(group), dict):
            for k, v in flatten(meta[group]).items():
                if not isinstance(v, list | dict) and v is not None:
                    rows.append([f"{group}.{k}", _fmt(v, lang)])
    rows.append([tr(lang, "报告生成", "report written by"), f"sim {__version__}"])
    pre = [(tr(lang, "完整记录(JSON)", "full record (JSON)"),
            json.dumps(meta, ensure_ascii=False, indent=2, default=str))]
    sec = Section("provenance", title, pre=pre + (extra_pre or []))
    return sec.table([tr(lang, "项", "item"), tr(lang, "值", "value")], rows)


# --- run report -------------------------------------------------------------------------


def run_sections(run: RunData, fig_dir: Path, lang: str, formats: tuple[str, ...] = FORMATS,
                 dpi: int = DPI) -> tuple[str, str, list[Section]]:
    """The sections of a single run's report, with figures written to ``fig_dir``."""
    titles = section_titles(lang)
    cy = run.county_year
    years = sorted(cy["year"].unique())
    present = set(cy["county"].unique())
    counties = [c for c in lbl.COUNTY_NAMES if c in present and c != lbl.CITY]
    title = tr(lang, f"清远市基础教育仿真报告:{run.name}", f"Qingyuan basic education: {run.name}")
    names = ("、" if lang == "zh" else ", ").join(lbl.county(c, lang, short=False)
                                                   for c in counties)
    subtitle = tr(lang, f"单次运行,{years[0]}–{years[-1]}学年;县(市、区):{names}。",
                  f"One run, school years {years[0]}–{years[-1]}; counties: {names}.")
    year = sm.plan_year(years)
    summary = Section("summary", titles["summary"], css_class="summary")
    summary.p(reading_guide(lang, "run"))
    summary.p(tr(lang, "规划目标(《清远市教育提升行动实施方案(2023—2027年)》):",
                 "Plan targets (Qingyuan education action plan 2023–2027):"))
    summary.ul(sm.target_lines(run.targets, cy, lang))
    summary.table(*sm.targets_table(run.targets, lang))
    summary.p(tr(lang, f"各县的约束条件:{year}年未达标且差距最大的标准项(括号内为限值):",
                 f"What holds each county back: the criteria furthest from their line in "
                 f"{year} (the line in brackets):"))
    summary.ul(sm.binding_lines(cy, lang, year))
    trends = Section("trends", tr(lang, "主要趋势与政策", "Main trends and levers"))
    trends.ul(sm.trend_lines(cy, lang))
    trends.p(tr(lang, "启用的政策杠杆:", "Levers switched on:"))
    trends.ul(sm.lever_lines(run.levers, cy, lang))

    groups = county_jobs(cy, run.school_year, run.targets, lang)
    keys = ("targets", "students", "teachers", "costs")
    drawn = iter(render([j for k in keys for j in groups[k]], fig_dir, lang, formats, dpi))
    sections = [summary, trends]
    for key in keys:  # one pool for all figures, then back into their sections
        sections.append(Section(key, titles[key],
                                figures=[next(drawn) for _ in groups[key]]))
    sections.append(provenance_section(run.manifest, run.path, lang, titles["provenance"]))
    return title, subtitle, sections


# --- experiment report ------------------------------------------------------------------


def cost_points(exp: ExperimentData, lang: str) -> tuple[pd.DataFrame, str]:
    """Per scenario: cumulative cost (median, 10–90%) against the probability of meeting the
    first plan target in the plan year."""
    tp = exp.target_probability
    if tp is None or not len(tp):
        raise MissingMetricError("target_probability", what="table")
    year = sm.plan_year(tp["year"])
    first = next(iter(dict.fromkeys(tp["target"])))
    rows = []
    for sc in exp.scenarios:
        p = tp[(tp["scenario"] == sc) & (tp["target"] == first) & (tp["year"] == year)]
        cost = lo = hi = float("nan")
        if exp.outcomes is not None and "cost_yuan" in exp.outcomes.columns:
            c = exp.outcomes.loc[exp.outcomes["scenario"] == sc, "cost_yuan"]
            if len(c):
                cost, lo, hi = c.median(), c.quantile(0.1), c.quantile(0.9)
        elif exp.bands is not None:
            b = exp.bands[(exp.bands["scenario"] == sc) & (exp.bands["metric"] == "cost_yuan")
                          & (exp.bands["county"] == lbl.CITY)]
            if len(b):
                cost = float(b["median"].sum())
        if not len(p) or cost != cost:
            continue
        rows.append({"label": sc, "cost": float(cost), "cost_low": float(lo),
                     "cost_high": float(hi), "attainment": float(p["probability"].iloc[0])})
    if not rows:
        raise MissingMetricError("cost_yuan")
    what = tr(lang, f"{year}年达成「{lbl.target(first, lang)}」的概率",
              f"probability of '{lbl.target(first, lang)}' in {year}")
    return pd.DataFrame(rows), what


def experiment_summary(exp: ExperimentData, lang: str) -> Section:
    """Target probabilities, sensitivity, what each scenario sets, what holds counties back."""
    summary = Section("summary", section_titles(lang)["summary"], css_class="summary")
    summary.p(reading_guide(lang, "experiment"))
    design_info = exp.experiment.get("design")
    planned = design_info.get("runs") if isinstance(design_info, dict) else None
    status = sm.run_status_line(exp.runs, lang, planned if isinstance(planned, int) else None,
                                unfinished=exp.experiment.get("status") == "running")
    if status:
        summary.p(status)
    tp = exp.target_probability
    if tp is not None and len(tp):
        summary.ul(sm.probability_lines(tp, lang))
        year, header, rows = sm.probability_table(tp, lang)
        summary.p(tr(lang, f"{year}年各情景达成各目标的概率:",
                     f"Probability of meeting each target in {year}, per scenario:"))
        summary.table(header, rows)
    else:
        summary.p(tr(lang, "本实验没有目标概率表(target_probability.parquet)。",
                     "This experiment has no target_probability.parquet."))
    summary.ul(sm.sensitivity_lines(exp.sensitivity, lang))
    configs = [exp.scenario_config(sc) for sc in exp.scenarios]
    if any(configs):
        header, rows = settings_table(exp.scenarios, configs, lang)
        if rows:
            summary.p(tr(lang, "各情景不同的设置:", "What each scenario sets differently:"))
            summary.table(header, rows)
        if any(c and c.get("levers") for c in configs):
            summary.table(*lever_table(exp.scenarios, configs, lang))
    ref = exp.reference_scenario
    cy = exp.median_county_year(ref)
    if len(cy):
        year = sm.plan_year(cy["year"])
        summary.p(tr(lang, f"各县的约束条件(情景 {ref} 的中位数,{year}年,括号内为限值):",
                     f"What holds each county back (median of scenario {ref}, {year}; the "
                     "line in brackets):"))
        summary.ul(sm.binding_lines(cy, lang, year))
    return summary


def scenario_jobs(exp: ExperimentData, lang: str, metrics: list[str] | None) -> list[Job]:
    """Target probabilities, the key (or asked) metrics per scenario, cost against attainment."""
    tp, bands = exp.target_probability, exp.bands
    band_metrics = []
    if bands is not None:
        city = set(bands.loc[bands["county"] == lbl.CITY, "metric"])
        band_metrics = [m for m in (metrics or BAND_METRICS) if m in city]
    replicated = bands is not None and "n" in bands.columns and bool((bands["n"] > 1).any())
    points_holder: dict[str, Any] = {}

    def make_cost() -> Any:
        points, what = cost_points(exp, lang)
        points_holder.update(points=points, what=what)
        return cost_attainment_figure(points, attainment_label=what, lang=lang)

    return [
        Job("target_probability",
            tr(lang, "各情景达成目标的概率", "Probability of meeting targets"),
            lambda: target_probability_figure(tp, lang=lang), lambda: cap.probability(tp, lang)),
        Job("scenario_bands", tr(lang, "情景比较:关键指标", "Scenarios compared: key metrics"),
            lambda: _bands_or_missing(bands, band_metrics, lang),
            lambda: cap.bands(band_metrics, lang, replicated, bands)),
        Job("cost_attainment", tr(lang, "成本与目标达成", "Cost against attainment"),
            make_cost, lambda: cap.cost_attainment(points_holder["points"], lang,
                                                   points_holder["what"], percent=True)),
    ]


def experiment_effects(exp: ExperimentData, lang: str, fig_dir: Path,
                       formats: tuple[str, ...], dpi: int,
                       metrics: list[str] | None) -> Section:
    """The spec's outcomes per scenario with their 10–90% bands, then each scenario's
    differences from the reference scenario."""
    ref = exp.reference_scenario or ""
    sec = Section("effects", tr(lang, f"实验结果与各情景相对 {ref} 的差别",
                                f"Outcomes, and what each scenario changes against {ref}"))
    design = exp.experiment.get("design")
    specs = design.get("outcomes") if isinstance(design, dict) else None
    header, rows = fx.outcome_table(exp.outcomes, exp.scenarios, lang, specs)
    if rows:
        sec.p(tr(lang, "实验设定的结果指标(各情景跨运行的中位数与10–90%区间):",
                 "The experiment's outcomes (median and 10–90% band over each scenario's runs):"))
        sec.table(header, rows)
    if exp.bands is None or len(exp.scenarios) < 2:
        return sec
    year = sm.plan_year(exp.bands["year"])
    levers = {sc: [str(lv.get("type")) for lv in (exp.scenario_config(sc) or {}).get("levers")
                   or []] for sc in exp.scenarios}
    found = fx.effects(exp.bands, ref, levers, year, metrics)
    sec.ul(fx.effect_lines(found, ref, lang))
    sec.table(*fx.effect_table(found, ref, year, lang))
    shown = list(dict.fromkeys(e.metric for e in found if abs(e.difference) > 1e-9))[:6]
    if shown:
        sec.figures = render([Job(
            "scenario_difference", tr(lang, "与参照情景的差值", "Difference from the reference"),
            lambda: difference_figure(exp.bands, ref, shown, lang=lang),
            lambda: tr(lang, f"每条线为一个情景的中位数减去 {ref} 的中位数;0 线即 {ref}。",
                       f"Each line is a scenario's median minus {ref}'s; the zero line is "
                       f"{ref}."))], fig_dir, lang, formats, dpi)
    return sec


def experiment_sections(exp: ExperimentData, fig_dir: Path, lang: str,
                        formats: tuple[str, ...] = FORMATS, dpi: int = DPI,
                        metrics: list[str] | None = None) -> tuple[str, str, list[Section]]:
    """The sections of an experiment's report: outcomes with bands, probabilities, sensitivity."""
    titles = section_titles(lang)
    ref = exp.reference_scenario
    cy = exp.median_county_year(ref)
    design = exp.experiment.get("design", "?")
    design = design.get("kind", design.get("method", "?")) if isinstance(design, dict) else design
    title = tr(lang, f"清远市基础教育仿真实验报告:{exp.name}",
               f"Qingyuan basic education experiment: {exp.name}")
    subtitle = tr(lang, f"实验设计:{design};情景:{'、'.join(exp.scenarios)}。",
                  f"Design: {design}; scenarios: {', '.join(exp.scenarios)}.")
    sens_jobs = [
        Job("sensitivity", tr(lang, "敏感性指数", "Sensitivity indices"),
            lambda: sensitivity_figure(exp.sensitivity, lang=lang),
            lambda: " ".join(sm.sensitivity_lines(exp.sensitivity, lang)
                             + sm.sensitivity_warnings(exp.sensitivity, lang))),
        Job("prim", tr(lang, "情景发现(PRIM)", "Scenario discovery (PRIM)"),
            lambda: prim_figure(exp.prim, exp.parameter_ranges(), lang=lang),
            lambda: " ".join(sm.prim_lines(exp.prim, lang))),
    ]
    groups = county_jobs(cy, None, None, lang, prefix=f"{ref}_") if len(cy) else {}
    sections = [experiment_summary(exp, lang),
                experiment_effects(exp, lang, fig_dir, formats, dpi, metrics),
                Section("scenarios", titles["scenarios"],
                        figures=render(scenario_jobs(exp, lang, metrics), fig_dir, lang,
                                       formats, dpi))]
    if exp.sensitivity is not None or exp.prim is not None:
        sections.append(Section("sensitivity", titles["sensitivity"],
                                figures=render(sens_jobs, fig_dir, lang, formats, dpi)))
    for key in ("targets", "students", "teachers", "costs"):
        if key in groups:
            jobs = [j for j in groups[key] if not j.id.endswith(("_targets", "teachers_shortage"))]
            sec = Section(key, titles[key] + tr(lang, f"(情景 {ref} 中位数)",
                                                f" (median of scenario {ref})"),
                          figures=render(jobs, fig_dir, lang, formats, dpi))
            sections.append(sec)
    extra = [("spec.toml", exp.spec_text)] if exp.spec_text else []
    sections.append(provenance_section(exp.experiment, exp.path, lang, titles["provenance"],
                                       extra))
    return title, subtitle, sections


def _bands_or_missing(bands: pd.DataFrame | None, metrics: list[str], lang: str) -> Any:
    if bands is None:
        raise MissingMetricError("bands", what="table")
    if not metrics:
        raise MissingMetricError(", ".join(BAND_METRICS[:3]) + ", ...")
    return scenario_bands_figure(bands, metrics, lang=lang)


# --- entry point ------------------------------------------------------------------------


def write_report(path: str | Path, *, lang: str = "en", out: str | Path | None = None,
                 formats: tuple[str, ...] = FORMATS, dpi: int = DPI,
                 metrics: list[str] | None = None, xlsx: bool = False) -> Path:
    """Write ``report.html`` and ``figures/`` for the run or experiment at ``path``.

    Returns the path of the HTML file. ``zh`` without a CJK font falls back to English with
    a warning. ``formats`` are the figure files written besides the embedded PNG; ``dpi``
    sets the PNG resolution; ``metrics`` (experiments) chooses the city metrics compared;
    ``xlsx`` also writes ``report.xlsx`` (the scorecard, targets and county tables).
    """
    with reuse_derived():  # the report never changes its tables in place
        return _write_report(path, lang=lang, out=out, formats=formats, dpi=dpi,
                             metrics=metrics, xlsx=xlsx)


def _write_report(path: str | Path, *, lang: str, out: str | Path | None,
                  formats: tuple[str, ...], dpi: int, metrics: list[str] | None,
                  xlsx: bool) -> Path:
    lang = fonts.effective_lang(lbl.check_lang(lang))
    data = load(path)
    out_dir = Path(out) if out is not None else Path(path)
    fig_dir = out_dir / "figures"
    if isinstance(data, RunData):
        title, subtitle, sections = run_sections(data, fig_dir, lang, formats, dpi)
    else:
        if data.bands is not None:
            metrics = fx.check_metrics(metrics, data.bands)
        title, subtitle, sections = experiment_sections(data, fig_dir, lang, formats, dpi,
                                                        metrics)
    page = render_page(title=title, subtitle=subtitle, sections=sections, lang=lang)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "report.html"
    target.write_text(page, encoding="utf-8")
    if xlsx:
        write_workbook(data, out_dir / "report.xlsx", lang)
    return target
