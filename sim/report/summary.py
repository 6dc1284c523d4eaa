"""The report's words, generated from the numbers of a run or an experiment.

Nothing here is written ahead of time: each sentence reads a table (targets, flags,
criteria, bands, probabilities) and says what it finds, in Chinese or English. ✔ and ✘ mark
met and unmet targets (the page colours them).
"""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

from sim.core.names import CITY
from sim.plots import labels as lbl
from sim.plots.common import MissingMetricError, is_flow, metrics_of, ordered_counties, tr
from sim.plots.criteria import BY_METRIC, PASS_FLAGS, PLAN_COUNTIES, PLAN_YEAR
from sim.plots.standards import binding_criteria, scorecard_table
from sim.plots.targets import counties_passing
from sim.report.lever_words import describe

OK, NO = "✔", "✘"


def plan_year(years: pd.Series | list[int]) -> int:
    """The year the plan is judged: 2027 if simulated, else the last simulated year."""
    ys = sorted({int(y) for y in years})
    return PLAN_YEAR if PLAN_YEAR in ys else ys[-1]


def pct(p: float) -> str:
    """A probability as a percentage for text."""
    return f"{100 * p:.0f}%"


def leaders(values: pd.Series, *, top: bool = True) -> list:
    """Every label sharing the highest (or lowest) value: a tie names them all, so a
    sentence never crowns one of several equals."""
    values = values.dropna()
    if not len(values):
        return []
    best = values.max() if top else values.min()
    return [k for k, v in values.items() if math.isclose(v, best, rel_tol=1e-9, abs_tol=1e-12)]


def join(items: list[str], lang: str) -> str:
    """Items joined the way the language lists them."""
    return ("、" if lang == "zh" else ", ").join(str(i) for i in items)


def change(first: float, last: float) -> str:
    """The relative change from ``first`` to ``last`` as signed percent text."""
    if not first or math.isnan(first) or math.isnan(last):
        return ""
    return f"{100 * (last - first) / abs(first):+.0f}%".replace("-", "−")


def city_series(cy: pd.DataFrame, metric: str) -> pd.Series:
    """A city-wide metric by year."""
    sub = cy[(cy["metric"] == metric) & (cy["county"] == CITY)]
    if not len(sub):
        sub = cy[cy["metric"] == metric].groupby("year", as_index=False)["value"].sum()
    s = sub.groupby("year")["value"].mean().sort_index()
    if is_flow(metric) and len(s) > 1 and s.iloc[0] == 0:
        s = s.iloc[1:]  # the start state has no flows (see sim.plots.common.wide)
    return s


# --- targets ---------------------------------------------------------------------------


def judged_year(name: str, years: pd.Series | list[int]) -> int:
    """The year a target is judged: its deadline if simulated, else the last simulated year."""
    ys = sorted({int(y) for y in years})
    deadline = lbl.target_deadline(name)
    if deadline is not None and deadline in ys:
        return deadline
    return ys[-1] if deadline is None or deadline > ys[-1] else plan_year(ys)


def _unmeasured(t: pd.DataFrame) -> str | None:
    """The note of a target the run could not measure (its metric is missing), else None."""
    if "note" not in t.columns:
        return None
    notes = [str(n) for n in t["note"].dropna() if str(n).strip()]
    missing = [n for n in notes if "missing" in n]
    return missing[-1] if missing and len(missing) == len(t) else None


def target_lines(targets: pd.DataFrame | None, cy: pd.DataFrame, lang: str) -> list[str]:
    """One sentence per plan target: met or not by its deadline, and since when."""
    if targets is not None and len(targets):
        out = []
        for name in dict.fromkeys(targets["target"]):
            t = targets[targets["target"] == name].sort_values("year")
            name_ = lbl.target(name, lang)
            note = _unmeasured(t)
            if note:
                m = re.search(r"metric (\S+) missing", note)
                note_zh = f"缺少指标 {m.group(1)}" if m else note
                out.append(tr(lang, f"– {name_}:本次运行无法判断({note_zh})。",
                              f"– {name_}: not measured by this run ({note})."))
                continue
            year = judged_year(name, t["year"])
            r = t[t["year"] == year].iloc[0]
            met_years = t.loc[t["met"].astype(bool), "year"]
            first = int(met_years.min()) if len(met_years) else None
            val = lbl.fmt_value("", float(r["value"]), lang)
            thr = lbl.fmt_value("", float(r["threshold"]), lang)
            deadline = lbl.target_deadline(name)
            early = deadline is not None and year < deadline
            when = tr(lang, f"{year}年(期限{deadline}年,尚未模拟到)" if early else f"{year}年",
                      f"in {year} (deadline {deadline} not simulated)" if early else f"in {year}")
            if str(r.get("status", "")) == "not assessed":
                out.append(tr(lang, f"? {name_}:{when}未评估(值 {val},目标 {thr}):模型能计算的项目均达标,"
                                    "其余项目模型无法计算,不能判定达成。",
                              f"? {name_}: not assessed {when} (value {val}, target {thr}): every item the "
                              "model computes passes, the rest it cannot compute, so it is not called met."))
            elif bool(r["met"]):
                out.append(tr(lang, f"{OK} {name_}:{when}达成(值 {val},目标 {thr}),"
                                    f"首次达成于{first}年。",
                              f"{OK} {name_}: met {when} (value {val}, target {thr}); "
                              f"first met in {first}."))
            else:
                since = ""
                if first is not None:
                    since = tr(lang, f"(曾于{first}年达成)", f" (it was met in {first})")
                out.append(tr(lang, f"{NO} {name_}:{when}未达成(值 {val},目标 {thr}){since}。",
                              f"{NO} {name_}: not met {when} (value {val}, target {thr})"
                              f"{since}."))
        return out
    try:
        table = counties_passing(cy)
    except MissingMetricError:
        return [tr(lang, "本次运行没有规划目标表,也没有达标标志(passes_*_standard)。",
                   "This run has neither a targets table nor the passes_*_standard flags, "
                   "so the plan targets cannot be judged.")]
    return counties_passing_lines(table, cy, lang)


def counties_passing_lines(table: pd.DataFrame, cy: pd.DataFrame, lang: str) -> list[str]:
    """Sentences on how many (and which) counties pass each standard in the plan year."""
    out = []
    year = plan_year(table["year"])
    for std, goal in PLAN_COUNTIES.items():
        t = table[(table["standard"] == std) & (table["year"] == year)]
        if not len(t):
            continue
        n = int(t["n"].iloc[0])
        flag = PASS_FLAGS[std]
        names = cy[(cy["metric"] == flag) & (cy["year"] == year) & (cy["value"] >= 0.5)
                   & (cy["county"] != CITY)]["county"]
        who = "、".join(lbl.county(c, lang) for c in ordered_counties(names)) if lang == "zh" \
            else ", ".join(lbl.county(c, lang) for c in ordered_counties(names))
        mark = OK if n >= goal else NO
        std_name = lbl.metric(f"n_counties_passing_{std}", lang)
        who_text = tr(lang, f"({who})" if who else "", f" ({who})" if who else "")
        out.append(tr(lang, f"{mark} {std_name}:{year}年 {n} 个{who_text},规划目标 ≥{goal}。",
                      f"{mark} {std_name}: {n} in {year}{who_text}; the plan asks ≥{goal}."))
    return out


def targets_table(targets: pd.DataFrame | None, lang: str) -> tuple[list[str], list[list[str]]]:
    """Target × year grid of values with ✔/✘, for the summary."""
    if targets is None or not len(targets):
        return [], []
    years = sorted(targets["year"].unique())
    header = [tr(lang, "目标", "target"), *[str(y) for y in years]]
    rows = []
    for name in dict.fromkeys(targets["target"]):
        t = targets[targets["target"] == name].set_index("year")
        cells = [lbl.target(name, lang)]
        if _unmeasured(t):
            rows.append(cells + ["–"] * len(years))
            continue
        for y in years:
            if y in t.index:
                r = t.loc[y]
                cells.append(f"{lbl.fmt_value('', float(r['value']), lang)} {OK if r['met'] else NO}")
            else:
                cells.append("")
        rows.append(cells)
    return header, rows


# --- binding criteria -------------------------------------------------------------------


def binding_lines(cy: pd.DataFrame, lang: str, year: int | None = None) -> list[str]:
    """Per county, the criteria that fail furthest from their line in the plan year."""
    try:
        table = scorecard_table(cy, year)
    except MissingMetricError:
        return [tr(lang, "本次运行没有标准指标(差异系数等),无法判断约束条件。",
                   "This run has no standards metrics (difference coefficients etc.), so the "
                   "binding criteria cannot be named.")]
    year = int(table["year"].iloc[0])
    bind = binding_criteria(cy, year, table=table)
    out = []
    for county in ordered_counties(bind, city=False):
        fails = bind[county]
        n_fail = int((~table[table["county"] == county]["passes"]).sum())
        n_all = int((table["county"] == county).sum())
        name = lbl.county(county, lang, short=False)
        if not fails:
            out.append(tr(lang, f"{name}:{year}年全部 {n_all} 项指标达标。",
                          f"{name}: all {n_all} criteria met in {year}."))
            continue
        items = []
        for f in fails:
            crit = BY_METRIC[f["metric"]]
            op = "≤" if not crit.higher_is_better else "≥"
            items.append(f"{crit.short_label(lang)} {lbl.fmt_value(f['metric'], f['value'], lang)}"
                         f" ({op}{lbl.fmt_value(f['metric'], f['threshold'], lang)})"
                         + _weakest_indicator(cy, f["metric"], county, year, lang))
        joined = ";".join(items) if lang == "zh" else "; ".join(items)
        out.append(tr(lang, f"{name}:{n_all} 项中 {n_fail} 项未达标,差距最大的是 {joined}。",
                      f"{name}: fails {n_fail} of {n_all} criteria; furthest off: {joined}."))
    return out


def _weakest_indicator(cy: pd.DataFrame, metric: str, county: str, year: int, lang: str) -> str:
    """For the schools-meeting-6-of-7 criterion, the indicator most schools fall short on
    (from ``n_schools_below_<indicator>_<level>``), so the reader sees what to fix."""
    if not metric.startswith("share_schools_passing_"):
        return ""
    level = metric.rsplit("_", 1)[1]
    at = cy[(cy["county"] == county) & (cy["year"] == year)]  # one pass over the whole table
    sub = at[at["metric"].str.match(rf"^n_schools_below_.+_{level}$")]
    total = at.loc[at["metric"] == f"n_schools_{level}", "value"]
    if not len(sub) or not len(total):
        return ""
    top = sub.sort_values("value", ascending=False).iloc[0]
    ind = top["metric"].removeprefix("n_schools_below_").removesuffix(f"_{level}")
    name = lbl.indicator(ind, lang)
    n, of = int(top["value"]), int(total.iloc[0])
    return tr(lang, f",{of} 所中有 {n} 所{name}不达标", f", {n} of {of} schools short of "
              f"the {name} line")


# --- trends -----------------------------------------------------------------------------


def trend_lines(cy: pd.DataFrame, lang: str) -> list[str]:
    """A few city trends: births, primary students, teachers, pupils per teacher."""
    out = []
    for metric in ("new_births", "n_students_primary", "n_students_junior", "n_teachers",
                   "students_per_teacher_primary", "n_large_classes"):
        if metric not in metrics_of(cy):
            continue
        s = city_series(cy, metric)
        if len(s) < 2:
            continue
        y0, y1 = int(s.index[0]), int(s.index[-1])
        a, b = float(s.iloc[0]), float(s.iloc[-1])
        name = lbl.metric(metric, lang)
        ch = change(a, b)
        ch_text = f"({ch})" if ch else ""
        out.append(tr(lang, f"全市{name}:{y0}年 {lbl.fmt_value(metric, a, lang)} → {y1}年 "
                            f"{lbl.fmt_value(metric, b, lang)}{ch_text}。",
                      f"City {name}: {lbl.fmt_value(metric, a, lang)} in {y0} → "
                      f"{lbl.fmt_value(metric, b, lang)} in {y1} {ch_text}.".replace(" .", ".")))
    return out


def lever_lines(levers: list[dict[str, Any]], cy: pd.DataFrame, lang: str) -> list[str]:
    """One line per lever type: its entries as sentences and its cost counted once.

    ``cost_yuan_<type>`` is one series per lever type, so a config with four layout entries
    has one layout cost; the last line is the run's total (``cost_yuan``), which the type
    costs add up to.
    """
    if not levers:
        return [tr(lang, "本情景未启用任何政策杠杆(现状延续)。",
                   "No policy lever is switched on in this scenario (status quo).")]
    by_type: dict[str, list[dict[str, Any]]] = {}
    for lv in levers:
        by_type.setdefault(str(lv.get("type", "?")), []).append(lv)
    have = metrics_of(cy)
    out = []
    for kind, entries in by_type.items():
        n = len(entries)
        cost = ""
        if f"cost_yuan_{kind}" in have:
            money = lbl.fmt_yuan(lever_cost_total(cy, kind), lang)
            cost = tr(lang, f"累计成本 {money}", f"cumulative cost {money}")
        if n == 1:
            out.append(describe(entries[0], lang) + (tr(lang, f";{cost}。", f"; {cost}.")
                                                     if cost else ""))
            continue
        items = [f"({k}) {describe(lv, lang, name=False)}" for k, lv in enumerate(entries, 1)]
        together = tr(lang, f",合计{cost}", f", {cost} together") if cost else ""
        out.append(tr(lang, f"{lbl.lever(kind, lang)}({n} 项设置{together}):" + ";".join(items)
                      + "。", f"{lbl.lever(kind, lang)} ({n} entries{together}): "
                      + "; ".join(items) + "."))
    if "cost_yuan" in have:
        total = float(city_series(cy, "cost_yuan").sum())
        out.append(tr(lang, f"全部政策累计成本 {lbl.fmt_yuan(total, lang)}。",
                      f"All levers together: cumulative cost {lbl.fmt_yuan(total, lang)}."))
    return out


def lever_cost_total(cy: pd.DataFrame, kind: str) -> float:
    """A lever type's cost summed over the run (city row, else the counties)."""
    return float(city_series(cy, f"cost_yuan_{kind}").sum())


# --- experiments ------------------------------------------------------------------------


def _probability_at(tp: pd.DataFrame) -> pd.DataFrame:
    """Each target's rows in the year it is judged (its deadline, or its last year)."""
    parts = []
    for t, grp in tp.groupby("target", sort=False):
        parts.append(grp[grp["year"] == judged_year(str(t), grp["year"])])
    return pd.concat(parts, ignore_index=True) if parts else tp.iloc[:0]


def probability_table(tp: pd.DataFrame, lang: str) -> tuple[int, list[str], list[list[str]]]:
    """Scenario × target probability of meeting each target in the year it is judged."""
    sub = _probability_at(tp)
    year = int(sub["year"].max())
    targets_ = list(dict.fromkeys(tp["target"]))
    years = {t: int(sub.loc[sub["target"] == t, "year"].max()) for t in targets_}
    header = [tr(lang, "情景", "scenario"),
              *[f"{lbl.target(t, lang)} [{years[t]}]" if years[t] != year else lbl.target(t, lang)
                for t in targets_]]
    rows = []
    for sc in dict.fromkeys(tp["scenario"]):
        cells = [str(sc)]
        for t in targets_:
            v = sub[(sub["scenario"] == sc) & (sub["target"] == t)]["probability"]
            cells.append(pct(float(v.iloc[0])) if len(v) and v.iloc[0] == v.iloc[0] else "–")
        rows.append(cells)
    return year, header, rows


def probability_lines(tp: pd.DataFrame, lang: str) -> list[str]:
    """Per target, the scenarios that reach it with at least even odds, and the best ones
    (all of them when several tie; "no replicate" when the best is 0%)."""
    sub = _probability_at(tp).dropna(subset=["probability"])
    out = []
    for t in dict.fromkeys(tp["target"]):
        s = sub[sub["target"] == t].reset_index(drop=True)
        if not len(s):
            continue
        year = int(s["year"].iloc[0])
        p = float(s["probability"].max())
        best = join([str(x) for x in s.loc[leaders(s["probability"]), "scenario"]], lang)
        likely = [str(x) for x in s.loc[s["probability"] >= 0.5, "scenario"]]
        name = lbl.target(t, lang)
        if p == 0:
            out.append(tr(lang, f"{NO} {name}:{year}年所有情景的所有重复运行均未达成。",
                          f"{NO} {name}: no replicate of any scenario meets it in {year}."))
        elif likely:
            out.append(tr(lang, f"{OK} {name}:{year}年在 {join(likely, lang)} 情景下达成概率≥50%;"
                                f"最高为 {best}({pct(p)})。",
                          f"{OK} {name}: met in {year} with probability ≥50% under "
                          f"{join(likely, lang)}; highest under {best} ({pct(p)})."))
        else:
            out.append(tr(lang, f"{NO} {name}:{year}年没有情景的达成概率达到50%;"
                                f"最高为 {best}({pct(p)})。",
                          f"{NO} {name}: no scenario reaches it in {year} with probability "
                          f"≥50%; highest under {best} ({pct(p)})."))
    return out


def run_status_line(runs: pd.DataFrame | None, lang: str, planned: int | None = None,
                    unfinished: bool = False) -> str | None:
    """How many runs finished, failed or are missing, counted from the run folders on disk."""
    if runs is None or not len(runs):
        return None
    status = runs["status"].astype(str)
    n, ok, failed = len(runs), int((status == "ok").sum()), int((status == "failed").sum())
    missing = n - ok - failed + max((planned or n) - n, 0)
    scen = runs["scenario"].nunique()
    zh = f"共 {max(n, planned or n)} 次运行({scen} 个情景),成功 {ok} 次,失败 {failed} 次"
    en = f"{max(n, planned or n)} runs over {scen} scenarios: {ok} finished, {failed} failed"
    if missing:
        zh, en = zh + f",缺失 {missing} 次", en + f", {missing} missing"
    if unfinished:
        zh, en = zh + "(实验未完成)", en + " (the experiment did not finish)"
    return tr(lang, zh + "。", en + ".")


def sensitivity_lines(sens: pd.DataFrame | None, lang: str) -> list[str]:
    """The most influential parameter per outcome."""
    if sens is None or not len(sens):
        return []
    method = str(sens["method"].iloc[0]).lower()
    key = "ST" if method == "sobol" else "mu_star"
    out = []
    for outcome, grp in sens.groupby("outcome", sort=False):
        top = grp.sort_values(key, ascending=False).iloc[0]
        out.append(tr(lang, f"{outcome}:影响最大的参数是 {top['parameter']}"
                            f"({key} 为 {top[key]:.2f})。",
                      f"{outcome}: most influential parameter {top['parameter']} "
                      f"({key} = {top[key]:.2f})."))
    return out


def sensitivity_warnings(sens: pd.DataFrame | None, lang: str) -> list[str]:
    """A warning per outcome whose Sobol confidence intervals are as wide as the indices:
    with few samples the bars' order is noise, and the reader must be told."""
    if sens is None or not len(sens) or str(sens["method"].iloc[0]).lower() != "sobol":
        return []
    out = []
    for outcome, grp in sens.groupby("outcome", sort=False):
        if "ST_conf" not in grp.columns:
            continue
        wide_ = grp["ST_conf"].fillna(0) >= grp["ST"].abs().clip(lower=1e-12)
        if bool(wide_.any()):
            out.append(tr(lang, f"注意:{outcome} 有 {int(wide_.sum())}/{len(grp)} 个参数的"
                                "总效应置信区间不小于指数本身,样本太少,排序不可靠。",
                          f"Caution: for {outcome}, {int(wide_.sum())} of {len(grp)} "
                          "parameters have a total-effect confidence interval as wide as the "
                          "index itself; too few samples to rank them."))
    return out


def prim_lines(prim: pd.DataFrame | None, lang: str) -> list[str]:
    """PRIM boxes as sentences: which ranges of which inputs decide a target."""
    if prim is None or not len(prim):
        return []
    out = []
    for (outcome, box), grp in prim.groupby(["outcome", "box"], sort=False):
        ranges = "; ".join(f"{r.parameter} ∈ [{r.low:.3g}, {r.high:.3g}]"
                           for r in grp.itertuples(index=False))
        first = grp.iloc[0]
        cov = pct(first["coverage"]) if "coverage" in grp.columns else "?"
        den = pct(first["density"]) if "density" in grp.columns else "?"
        out.append(tr(lang, f"{outcome} 盒{box}:{ranges}(覆盖率 {cov},密度 {den})。",
                      f"{outcome}, box {box}: {ranges} (coverage {cov}, density {den})."))
    return out
