"""Runs and scenarios side by side: ``python -m sim compare DIR_A DIR_B ... [--out DIR]``.

Each directory is a run (one trajectory; a zero-width band) or an experiment (each of its
scenarios with its 10–90% band). All are stacked into one band table keyed by a scenario
label, so the same figures serve: key metrics per scenario with the plan line, the plan
targets per scenario, cost against attainment, and a county × scenario table of which
standards pass. The page starts with what differs between the scenarios (levers and
settings) and which scenarios meet which targets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.core.errors import InputError
from sim.core.names import CITY
from sim.plots import (
    MissingMetricError,
    cost_attainment_figure,
    difference_figure,
    fonts,
    scenario_bands_figure,
    target_probability_figure,
    targets_by_scenario_figure,
)
from sim.plots import labels as lbl
from sim.plots.common import metrics_of, ordered_counties, tr
from sim.plots.criteria import PASS_FLAGS, PLAN_COUNTIES
from sim.plots.standards import scorecard_table
from sim.plots.targets import counties_passing, unmeasured_targets
from sim.report import captions as cap
from sim.report import effects as fx
from sim.report import summary as sm
from sim.report.build import BAND_METRICS, DPI, FORMATS, Job, render
from sim.report.configs import lever_table, settings_table
from sim.report.html import Section, render_page
from sim.report.load import ExperimentData, RunData, load


@dataclass
class Scenario:
    """One column of the comparison: a run, or one scenario of an experiment."""

    label: str
    source: Path
    county_year: pd.DataFrame  # a run's values or a scenario's medians
    bands: pd.DataFrame
    targets: pd.DataFrame | None = None
    probability: pd.DataFrame | None = None
    levers: list[dict[str, Any]] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    replicated: bool = False
    meta: dict[str, Any] = field(default_factory=dict)  # run manifest or experiment.json


def _passing_rows(cy: pd.DataFrame) -> pd.DataFrame:
    """City rows ``n_counties_passing_<standard>`` derived from the county pass flags, for
    runs whose model did not record them itself."""
    try:
        table = counties_passing(cy)
        table = table[~("n_counties_passing_" + table["standard"]).isin(metrics_of(cy))]
    except MissingMetricError:
        return pd.DataFrame({"year": pd.Series(dtype=int), "county": pd.Series(dtype=str),
                             "metric": pd.Series(dtype=str), "value": pd.Series(dtype=float)})
    return pd.DataFrame({"year": table["year"], "county": CITY,
                         "metric": "n_counties_passing_" + table["standard"],
                         "value": table["n"].astype(float)})


def _unique(label: str, taken: set[str]) -> str:
    out, k = label, 2
    while out in taken:
        out = f"{label} ({k})"
        k += 1
    taken.add(out)
    return out


def collect(paths: list[Path]) -> list[Scenario]:
    """Load every directory and split experiments into their scenarios."""
    loaded = [load(p) for p in paths]
    scenarios: list[Scenario] = []
    taken: set[str] = set()
    for data in loaded:
        if isinstance(data, RunData):
            # two runs of one config share a name: tell them apart by their directories
            name = data.name if data.name not in taken else f"{data.name} ({data.path.name})"
            label = _unique(name, taken)
            cy = pd.concat([data.county_year, _passing_rows(data.county_year)],
                           ignore_index=True)
            targets = data.targets.assign(scenario=label) if data.targets is not None else None
            b = RunData(data.path, label, cy).as_bands(label)
            scenarios.append(Scenario(label, data.path, cy, b, targets=targets,
                                      levers=data.levers, config=data.config,
                                      meta=data.manifest))
            continue
        exp: ExperimentData = data
        if exp.bands is None:
            raise InputError("experiment has no bands.parquet to compare", source=exp.path)
        prefix = f"{exp.name}/" if len(loaded) > 1 else ""
        for sc in exp.scenarios:
            label = _unique(prefix + sc, taken)
            b = exp.bands[exp.bands["scenario"] == sc].assign(scenario=label)
            tp = None
            if exp.target_probability is not None:
                tp = exp.target_probability[exp.target_probability["scenario"] == sc]
                tp = tp.assign(scenario=label)
            replicated = "n" in b.columns and bool((b["n"] > 1).any())
            cfg = exp.scenario_config(sc) or {}
            scenarios.append(Scenario(label, exp.path, exp.median_county_year(sc), b,
                                      probability=tp, replicated=replicated,
                                      levers=cfg.get("levers") or [], config=cfg,
                                      meta=exp.experiment))
    if len(scenarios) < 2:
        raise InputError("compare needs at least two runs or scenarios; got "
                         f"{len(scenarios)} from {', '.join(map(str, paths))}",
                         source=paths[0] if paths else None)
    return scenarios


def standards_table(scenarios: list[Scenario], lang: str) -> tuple[list[str], list[list[str]]]:
    """County × scenario: standards passed and criteria failing in the plan year."""
    header = [tr(lang, "县(市、区)", "county"), *[s.label for s in scenarios]]
    cells: dict[str, dict[str, str]] = {}
    for s in scenarios:
        cy = s.county_year
        if not len(cy):
            continue
        year = sm.plan_year(cy["year"])
        try:
            score = scorecard_table(cy, year)
        except MissingMetricError:
            score = None
        for county in ordered_counties(cy["county"].unique(), city=False):
            parts = []
            for std, flag in PASS_FLAGS.items():
                sel = cy[(cy["metric"] == flag) & (cy["county"] == county) & (cy["year"] == year)]
                if len(sel):
                    ok = float(sel["value"].iloc[0]) >= 0.5
                    name = tr(lang, {"compulsory": "优质均衡", "preschool": "普及普惠"}[std], std)
                    parts.append(f"{name} {sm.OK if ok else sm.NO}")
            if score is not None:
                c = score[score["county"] == county]
                if len(c):
                    parts.append(tr(lang, f"未达 {int((~c['passes']).sum())}/{len(c)} 项",
                                    f"fails {int((~c['passes']).sum())}/{len(c)}"))
            cells.setdefault(county, {})[s.label] = ", ".join(parts) or "–"
    rows = [[lbl.county(c, lang, short=False), *[cells[c].get(s.label, "–") for s in scenarios]]
            for c in ordered_counties(cells, city=False)]
    return header, rows


def target_summary(scenarios: list[Scenario], lang: str) -> list[str]:
    """Per target, which scenarios meet it in the plan year (runs) or with what probability."""
    lines = []
    targets = [s.targets for s in scenarios if s.targets is not None]
    if targets:
        t = pd.concat(targets, ignore_index=True)
        skip = unmeasured_targets(t)
        for name in dict.fromkeys(t["target"]):
            if name in skip:
                continue
            year = sm.judged_year(name, t["year"])
            sub = t[(t["target"] == name) & (t["year"] == year)]
            met = [str(x) for x in sub.loc[sub["met"].astype(bool), "scenario"]]
            not_met = [str(x) for x in sub.loc[~sub["met"].astype(bool), "scenario"]]
            sep = "、" if lang == "zh" else ", "
            none = tr(lang, "无", "none")
            lines.append(tr(lang, f"{lbl.target(name, lang)}:{year}年达成的情景:"
                                  f"{sep.join(met) or none};未达成:{sep.join(not_met) or none}。",
                            f"{lbl.target(name, lang)} in {year}: met under "
                            f"{sep.join(met) or none}; not met under {sep.join(not_met) or none}."))
    probs = [s.probability for s in scenarios if s.probability is not None]
    if probs:
        lines += sm.probability_lines(pd.concat(probs, ignore_index=True), lang)
    if not lines:
        for s in scenarios:
            try:
                table = counties_passing(s.county_year)
            except MissingMetricError:
                continue
            lines += [f"{s.label}: {x}" for x in sm.counties_passing_lines(table, s.county_year,
                                                                            lang)]
    return lines


def cost_points(scenarios: list[Scenario], lang: str) -> tuple[pd.DataFrame, str, float | None]:
    """Per scenario: cumulative city cost against the counties passing 优质均衡 in the plan
    year (or, without pass flags, the first target's value)."""
    rows = []
    what, threshold = "", None
    for s in scenarios:
        cy = s.county_year
        if "cost_yuan" not in metrics_of(cy):
            cost = 0.0 if not s.levers else float("nan")
        else:
            cost = float(sm.city_series(cy, "cost_yuan").sum())
        year = sm.plan_year(cy["year"])
        passing = cy[(cy["metric"] == "n_counties_passing_compulsory") & (cy["year"] == year)]
        if len(passing):
            value = float(passing["value"].iloc[0])
            what = tr(lang, f"{year}年优质均衡达标县数", f"counties passing compulsory standard "
                      f"in {year}")
            threshold = PLAN_COUNTIES["compulsory"]
        elif s.targets is not None and len(s.targets):
            measured = s.targets[~s.targets["target"].isin(list(unmeasured_targets(s.targets)))]
            if not len(measured):
                continue
            first = measured["target"].iloc[0]
            t = s.targets[(s.targets["target"] == first) & (s.targets["year"] == year)]
            if not len(t):
                continue
            value = float(t["value"].iloc[0])
            threshold = float(t["threshold"].iloc[0])
            what = f"{lbl.target(first, lang)} ({year})"
        else:
            continue
        if cost == cost:
            rows.append({"label": s.label, "cost": cost, "attainment": value})
    if len(rows) < 1 or not any(r["cost"] > 0 for r in rows):
        raise MissingMetricError("cost_yuan")
    return pd.DataFrame(rows), what, threshold


def reference_of(scenarios: list[Scenario], reference: str | None = None) -> str:
    """The scenario the others are measured against: the one asked for, else ``baseline``
    (or one ending in ``/baseline``), else the first."""
    labels = [s.label for s in scenarios]
    if reference is not None:
        if reference not in labels:
            raise InputError(f"--reference {reference!r} is not one of the scenarios "
                             f"({', '.join(labels)})", key="--reference")
        return reference
    for lab in labels:
        if lab == "baseline" or lab.endswith("/baseline"):
            return lab
    return labels[0]


def effect_section(scenarios: list[Scenario], bands: pd.DataFrame, reference: str,
                   metrics: list[str] | None, fig_dir: Path, lang: str,
                   formats: tuple[str, ...], dpi: int) -> Section:
    """What each scenario changes against the reference: sentences, a table and a figure."""
    year = sm.plan_year(bands["year"])
    levers = {s.label: [str(lv.get("type")) for lv in s.levers] for s in scenarios}
    found = fx.effects(bands, reference, levers, year, metrics)
    sec = Section("effects", tr(lang, f"各情景与 {reference} 的差别",
                                f"What each scenario changes against {reference}"))
    sec.ul(fx.effect_lines(found, reference, lang))
    sec.table(*fx.effect_table(found, reference, year, lang))
    shown = list(dict.fromkeys(e.metric for e in found if abs(e.difference) > 1e-9))[:6]
    job = Job("compare_difference", tr(lang, "与参照情景的差值", "Difference from the reference"),
              lambda: difference_figure(bands, reference, shown, lang=lang),
              lambda: tr(lang, f"每条线为一个情景减去 {reference} 的逐年差值;0 线即 {reference}。",
                         f"Each line is a scenario minus {reference}, year by year; the zero "
                         f"line is {reference}."))
    if shown:
        sec.figures = render([job], fig_dir, lang, formats, dpi)
    else:
        sec.p(tr(lang, f"所有情景的这些指标与 {reference} 完全相同,没有差值可画。",
                 f"Every scenario equals {reference} on these metrics: no difference to draw."))
    return sec


def compare_jobs(scenarios: list[Scenario], bands: pd.DataFrame, key_metrics: list[str],
                 lang: str) -> list[Job]:
    """The comparison figures this set of scenarios can have."""
    city = set(bands.loc[bands["county"] == CITY, "metric"])
    plan_metrics = [m for m in ("n_counties_passing_compulsory", "n_counties_passing_preschool")
                    if m in city]
    replicated = any(s.replicated for s in scenarios)
    targets = [s.targets for s in scenarios if s.targets is not None]
    probs = [s.probability for s in scenarios if s.probability is not None]
    holder: dict[str, Any] = {}

    def bands_fig(metrics: list[str], wanted: str) -> Any:
        if not metrics:
            raise MissingMetricError(wanted)
        return scenario_bands_figure(bands, metrics, lang=lang)

    def cost_fig() -> Any:
        points, what, thr = cost_points(scenarios, lang)
        holder.update(points=points, what=what)
        return cost_attainment_figure(points, attainment_label=what, threshold=thr, lang=lang)

    jobs = [
        Job("compare_plan", tr(lang, "达标县数:各情景对比", "Counties passing, per scenario"),
            lambda: bands_fig(plan_metrics, "passes_compulsory_standard / "
                              "passes_preschool_standard"),
            lambda: cap.bands(plan_metrics, lang, replicated, bands)),
        Job("compare_metrics", tr(lang, "关键指标:各情景对比", "Key metrics, per scenario"),
            lambda: bands_fig(key_metrics, ", ".join(BAND_METRICS[:3]) + ", ..."),
            lambda: cap.bands(key_metrics, lang, replicated, bands)),
        Job("compare_cost", tr(lang, "成本与目标达成", "Cost against attainment"), cost_fig,
            lambda: cap.cost_attainment(holder["points"], lang, holder["what"])),
    ]
    if targets:
        t = pd.concat(targets, ignore_index=True)
        jobs.insert(1, Job("compare_targets", tr(lang, "规划目标:各情景对比",
                                                 "Plan targets, per scenario"),
                           lambda: targets_by_scenario_figure(t, lang=lang),
                           lambda: cap.targets_by_scenario(t, lang)))
    if probs:
        p = pd.concat(probs, ignore_index=True)
        jobs.insert(1, Job("compare_probability", tr(lang, "达成概率:各情景对比",
                                                     "Probability of meeting targets, per "
                                                     "scenario"),
                           lambda: target_probability_figure(p, lang=lang),
                           lambda: cap.probability(p, lang)))
    return jobs


def summary_section(scenarios: list[Scenario], lang: str) -> Section:
    """Which scenario meets which target, and what each switches on or sets differently."""
    summary = Section("summary", tr(lang, "摘要", "Summary"), css_class="summary")
    summary.ul(target_summary(scenarios, lang) or [tr(
        lang, "这些运行没有规划目标表或达标标志,无法判断规划目标。",
        "These runs have neither a targets table nor the standards' pass flags, so the plan "
        "targets cannot be judged.")])
    summary.p(tr(lang, "各情景启用的政策杠杆:", "Levers switched on in each scenario:"))
    labels = [s.label for s in scenarios]
    configs = [s.config or None for s in scenarios]
    summary.table(*lever_table(labels, configs, lang))
    header, rows = settings_table(labels, configs, lang)
    if rows:
        summary.p(tr(lang, "各情景不同的设置:", "Settings that differ between scenarios:"))
        summary.table(header, rows)
    return summary


def standards_section(scenarios: list[Scenario], lang: str) -> Section:
    """Each scenario's verdicts on both standards, side by side."""
    std = Section("standards", tr(lang, "各县达标情况", "Standards per county"))
    header, rows = standards_table(scenarios, lang)
    if any(cell != "–" for row in rows for cell in row[1:]):
        std.p(tr(lang, "规划年各县在各情景下的达标情况(✔ 达标,✘ 未达)与未达标的标准项数:",
                 "Per county and scenario in the plan year: standards passed (✔) or not (✘), "
                 "and how many criteria fail:"))
        std.table(header, rows)
    else:
        std.p(tr(lang, "这些运行没有标准指标。", "These runs have no standards metrics."))
    return std


def write_comparison(paths: list[str | Path], *, out: str | Path | None = None,
                     lang: str = "en", formats: tuple[str, ...] = FORMATS,
                     dpi: int = DPI, metrics: list[str] | None = None,
                     reference: str | None = None) -> Path:
    """Write ``OUT/report.html`` and ``OUT/figures/`` comparing the given directories.

    ``metrics`` replaces the default key metrics and the automatic choice of differences;
    ``reference`` names the scenario the others are measured against (default: baseline).
    """
    lang = fonts.effective_lang(lbl.check_lang(lang))
    paths = [Path(p) for p in paths]
    scenarios = collect(paths)
    labels = [s.label for s in scenarios]
    out_dir = Path(out) if out is not None else (
        paths[0].parent / ("compare-" + "-vs-".join(p.name for p in paths)))
    fig_dir = out_dir / "figures"
    bands = pd.concat([s.bands for s in scenarios], ignore_index=True)
    metrics = fx.check_metrics(metrics, bands)
    ref = reference_of(scenarios, reference)
    city = set(bands.loc[bands["county"] == CITY, "metric"])
    key_metrics = metrics or [m for m in BAND_METRICS if m in city]

    title = tr(lang, "情景比较:" + "、".join(labels), "Scenarios compared: " + ", ".join(labels))
    subtitle = tr(lang, "来源目录:", "Sources: ") + ", ".join(str(p) for p in paths)
    figs = Section("figures", tr(lang, "图表", "Figures"),
                   figures=render(compare_jobs(scenarios, bands, key_metrics, lang), fig_dir,
                                  lang, formats, dpi))
    prov = Section("provenance", tr(lang, "来源与可复现信息", "Provenance"))
    prov.table(*provenance_table(scenarios, lang))
    sections = [summary_section(scenarios, lang),
                effect_section(scenarios, bands, ref, metrics, fig_dir, lang, formats, dpi),
                standards_section(scenarios, lang), figs, prov]
    page = render_page(title=title, subtitle=subtitle, sections=sections, lang=lang)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "report.html"
    target.write_text(page, encoding="utf-8")
    return target


def provenance_table(scenarios: list[Scenario], lang: str) -> tuple[list[str], list[list[str]]]:
    """Where each scenario came from: directory, seed, git commit."""
    header = [tr(lang, "情景", "scenario"), tr(lang, "目录", "directory"),
              tr(lang, "种子", "seed"), "git commit"]
    rows = []
    for s in scenarios:
        seed = s.meta.get("seed", s.config.get("seed", "–"))
        git = s.meta.get("git")
        commit = s.meta.get("git_commit") or (git.get("commit") if isinstance(git, dict) else git)
        rows.append([s.label, str(s.source), str(seed), str(commit or "–")])
    return header, rows


def _missing(name: str) -> Any:
    raise MissingMetricError(name, what="table")
