"""One-line captions computed from the data each figure shows.

A caption says what the figure shows and the one number a reader should take from it. Each
function takes the same tables as its figure; a missing metric yields a plain description.
"""

from __future__ import annotations

import pandas as pd

from sim.core.names import CITY
from sim.plots import labels as lbl
from sim.plots.common import (
    MissingMetricError,
    NothingToDrawError,
    metrics_of,
    ordered_counties,
    tr,
    wide,
    with_derived,
)
from sim.plots.criteria import PLAN_COUNTIES
from sim.plots.demography import migration_table
from sim.plots.enrolment import STAGES, TIERS
from sim.plots.scenarios import identical_to
from sim.plots.standards import scorecard_table
from sim.plots.targets import counties_passing, unmeasured_targets
from sim.plots.teachers import shortage_by_tier
from sim.report.summary import change, city_series, join, leaders, plan_year


def _paren(text: str, lang: str = "en") -> str:
    if not text:
        return ""
    return f"({text})" if lang == "zh" else f" ({text})"


def _span(s: pd.Series) -> tuple[int, int, float, float]:
    return int(s.index[0]), int(s.index[-1]), float(s.iloc[0]), float(s.iloc[-1])


def enrolment_stage(cy: pd.DataFrame, lang: str) -> str:
    """Caption of the enrolment-by-stage figure, its numbers from ``cy``."""
    metrics = [f"n_students_{s}" for s in STAGES if f"n_students_{s}" in metrics_of(cy)]
    total = sum(city_series(cy, m) for m in metrics)
    y0, y1, a, b = _span(total)
    base = tr(lang, "每个小图为一个县(最后为全市),按学段堆叠在校生人数。",
              "Each panel is one county (the city total last), students stacked by stage. ")
    return base + tr(lang, f"全市在校生 {y0}年 {a:,.0f} → {y1}年 {b:,.0f}({change(a, b)})。",
                     f"City students: {a:,.0f} in {y0} → {b:,.0f} in {y1} ({change(a, b)}).")


def enrolment_tier(cy: pd.DataFrame, lang: str) -> str:
    """Caption of the enrolment-by-tier figure, its numbers from ``cy``."""
    base = tr(lang, "按城区、镇区、乡村堆叠的在校生。",
              "Students stacked by tier (county seat, town, village). ")
    tiered = cy[cy["metric"].isin([f"n_students_{s}_{t}" for s in STAGES for t in TIERS])
                & (cy["county"] != CITY)]
    if not len(tiered):
        return base
    tier = tiered["metric"].str.rsplit("_", n=1).str[1]
    by = tiered.assign(tier=tier).groupby(["year", "tier"])["value"].sum().unstack("tier")
    if "village" not in by.columns:
        return base
    share = by["village"] / by.sum(axis=1)
    y0, y1, a, b = _span(share)
    return base + tr(lang, f"全市乡村学生占比 {y0}年 {a:.1%} → {y1}年 {b:.1%}。",
                     f"The village share of the city's students goes from {a:.1%} in {y0} to "
                     f"{b:.1%} in {y1}.")


def demography(cy: pd.DataFrame, lang: str) -> str:
    """Caption of the births and population figure, its numbers from ``cy``."""
    y0, y1, a, b = _span(city_series(cy, "new_births"))
    text = tr(lang, f"全市出生 {y0}年 {a:,.0f} → {y1}年 {b:,.0f}{_paren(change(a, b), 'zh')}",
              f"City births: {a:,.0f} in {y0} → {b:,.0f} in {y1}{_paren(change(a, b))}")
    if "urbanisation_rate" in metrics_of(cy):
        u = city_series(cy, "urbanisation_rate")
        _, _, ua, ub = _span(u)
        text += tr(lang, f";城镇化率 {ua:.1%} → {ub:.1%}", f"; urbanisation {ua:.1%} → {ub:.1%}")
    mig = migration_table(cy)
    if mig is not None:
        net = mig[0].drop(columns=[CITY], errors="ignore").sum()
        if len(net):
            gain, lose = net.idxmax(), net.idxmin()
            text += tr(lang, f";净迁入最多:{lbl.county(gain, lang)},净迁出最多:"
                             f"{lbl.county(lose, lang)}",
                       f"; most net in-migration: {lbl.county(gain, lang)}, most net "
                       f"out-migration: {lbl.county(lose, lang)}")
    return text + tr(lang, "。", ".")


def teacher_stock(cy: pd.DataFrame, lang: str) -> str:
    """Caption of the teacher stock figure, its numbers from ``cy``."""
    y0, y1, a, b = _span(city_series(cy, "n_teachers"))
    if "n_teacher_posts" not in metrics_of(cy):
        return _teacher_stock_vacancies(cy, lang, (y0, y1, a, b))
    text = tr(lang, f"在岗专任教师与按编制标准应有的岗位(虚线)。全市教师 {y0}年 {a:,.0f} → "
                    f"{y1}年 {b:,.0f}",
              f"Teachers in post against the posts the staffing norm asks for (dashed). City "
              f"teachers: {a:,.0f} in {y0} → {b:,.0f} in {y1}")
    stock = wide(cy, "n_teachers").drop(columns=[CITY], errors="ignore").iloc[-1]
    posts = wide(cy, "n_teacher_posts").drop(columns=[CITY], errors="ignore").iloc[-1]
    gap = (posts - stock.reindex(posts.index)).dropna()
    short, over = gap[gap > 0], gap[gap < 0]

    def names(g: pd.Series) -> str:
        return join([lbl.county(c, lang) for c in ordered_counties(g.index)], lang)

    if len(short):
        text += tr(lang, f";{y1}年缺编 {short.sum():,.0f} 人({names(short)})",
                   f"; in {y1}, {short.sum():,.0f} posts short ({names(short)})")
    if len(over):
        text += tr(lang, f";超编 {-over.sum():,.0f} 人({names(over)})",
                   f"; {-over.sum():,.0f} teachers over the norm ({names(over)})")
    if not len(short) and not len(over):
        text += tr(lang, f";{y1}年各县在岗教师与编制岗位相等", f"; every county matches its "
                   f"posts in {y1}")
    return text + tr(lang, "。", ".")


def _teacher_stock_vacancies(cy: pd.DataFrame, lang: str,
                             span: tuple[int, int, float, float]) -> str:
    """The caption for runs made before ``n_teacher_posts`` existed."""
    y0, y1, a, b = span
    text = tr(lang, f"在岗专任教师,虚线加上未补缺的编制岗位(各校缺编之和;超编学校记为 0,"
                    f"故看不出富余)。全市教师 {y0}年 {a:,.0f} → {y1}年 {b:,.0f}",
              f"Teachers in post; the dashed line adds unfilled posts (each school's shortfall "
              f"against the staffing norm; a school over its norm counts 0, so a surplus does "
              f"not show). City teachers: {a:,.0f} in {y0} → {b:,.0f} in {y1}")
    if "n_vacancies" in metrics_of(cy):
        vac = wide(cy, "n_vacancies").drop(columns=[CITY], errors="ignore")
        last = vac.iloc[-1]
        if last.sum() <= 0:
            text += tr(lang, f";{y1}年各县均无编制缺口", f"; no county has vacancies in {y1}")
        else:
            where = join([lbl.county(c, lang) for c in leaders(last)], lang)
            text += tr(lang, f";{y1}年缺口 {last.sum():,.0f} 人,最大在{where}",
                       f"; the gap in {y1} is {last.sum():,.0f}, largest in {where}")
    return text + tr(lang, "。", ".")


def teacher_flows(cy: pd.DataFrame, lang: str) -> str:
    """Caption of the teacher flows figure (retirements, attrition, hires)."""
    parts = []
    for m in ("new_hires", "new_retirements", "new_attrition"):
        if m in metrics_of(cy):
            s = city_series(cy, m)
            parts.append(f"{lbl.metric(m, lang)} {s.sum():,.0f}")
            years = f"{int(s.index[0])}–{int(s.index[-1])}"
    joined = (",".join(parts) if lang == "zh" else ", ".join(parts))
    return tr(lang, f"逐年招聘(向上)与退休、流失(向下)。{years}年全市合计:{joined}。",
              f"Yearly hires (up) against retirements and attrition (down). City totals "
              f"{years}: {joined}.")


def teacher_shortage(school_year: pd.DataFrame, lang: str) -> str:
    """Caption of the teacher shortage figure, from the per-school table."""
    year = int(school_year["year"].max())
    s = shortage_by_tier(school_year, year)
    tot = s.groupby("column")["shortage"].sum()
    village = s[s["tier"] == "village"].groupby("column")["shortage"].sum()
    bb, pe = tot.get("backbone_teachers", 0.0), tot.get("pe_art_teachers", 0.0)
    vshare = village.get("backbone_teachers", 0.0) / bb if bb else 0.0
    return tr(lang, f"{year}年义务教育学校要达到每百生骨干教师1.0、体艺教师0.9,尚缺骨干教师 "
                    f"{bb:,.0f} 人、体艺教师 {pe:,.0f} 人;骨干缺口的 {vshare:.0%} 在乡村学校。",
              f"To reach 1.0 backbone and 0.9 PE/art teachers per 100 students in {year}, "
              f"compulsory schools lack {bb:,.0f} backbone and {pe:,.0f} PE/art teachers; "
              f"{vshare:.0%} of the backbone gap is in village schools.")


def cv(cy: pd.DataFrame, lang: str) -> str:
    """Caption of the difference-coefficient figure, its numbers from ``cy``."""
    table = scorecard_table(cy)
    cvs = table[table["metric"].str.startswith("cv_")]
    year = int(table["year"].iloc[0])
    n_over = int((~cvs["passes"]).sum())
    n_all = len(cvs)
    worst = cvs.sort_values("margin").iloc[0]
    from sim.plots.criteria import BY_METRIC

    name = BY_METRIC[worst["metric"]].short_label(lang)
    return tr(lang, f"{year}年各县共 {n_all} 个差异系数(小学限0.50、初中限0.45)中有 {n_over} 个超限;"
                    f"最差为{lbl.county(worst['county'], lang)}的{name} {worst['value']:.2f}。",
              f"In {year}, {n_over} of the counties' {n_all} difference coefficients are over their "
              f"line (0.50 primary, 0.45 junior); the worst is {name} in "
              f"{lbl.county(worst['county'], lang)} at {worst['value']:.2f}.")


def pass_share(cy: pd.DataFrame, lang: str) -> str:
    """Caption of the share-of-schools-passing figure, its numbers from ``cy``."""
    cy = with_derived(cy)
    parts = []
    year = None
    for lv in ("primary", "junior"):
        m = f"share_schools_passing_{lv}"
        if m not in metrics_of(cy):
            continue
        w = wide(cy, m).drop(columns=[CITY], errors="ignore")
        last = w.iloc[-1]
        year = int(w.index[-1])
        level = lbl.level(lv, lang)
        if last.min() == last.max():
            parts.append(tr(lang, f"{level}各县均为 {last.min():.0%}",
                            f"{level} {last.min():.0%} in every county"))
        else:
            low = join([lbl.county(c, lang) for c in leaders(last, top=False)], lang)
            high = join([lbl.county(c, lang) for c in leaders(last)], lang)
            parts.append(tr(lang, f"{level}从 {last.min():.0%}({low})到 {last.max():.0%}({high})",
                            f"{level} from {last.min():.0%} ({low}) to {last.max():.0%} ({high})"))
    joined = ";".join(parts) if lang == "zh" else "; ".join(parts)
    return tr(lang, f"标准要求每所学校7项中至少6项达标。{year}年各县达标学校占比:{joined}。",
              f"The standard needs every school to meet 6 of the 7 indicators. Share of "
              f"schools doing so in {year}: {joined}.")


def heatmap(cy: pd.DataFrame, lang: str) -> str:
    """Caption of the criteria heat map, its numbers from ``cy``."""
    table = scorecard_table(cy)
    year = int(table["year"].iloc[0])
    per = table.groupby("county")["passes"].agg(["sum", "size"])
    head = tr(lang, f"{year}年各县各项标准:绿色达标、红色未达,颜色深浅表示距限值的余量。",
              f"Each county against each criterion in {year}: green passes, red fails, the "
              "shade shows the margin to the line. ")
    size = int(per["size"].max())
    if per["sum"].nunique() == 1:
        n = int(per["sum"].iloc[0])
        return head + tr(lang, f"各县达标项数相同({n}/{size})。",
                         f"Every county meets the same number of criteria ({n}/{size}).")
    best, worst = leaders(per["sum"]), leaders(per["sum"], top=False)

    def who(names: list[str]) -> str:
        return join([lbl.county(c, lang) for c in ordered_counties(names)], lang)

    b_n = f"{int(per.loc[best[0], 'sum'])}/{int(per.loc[best[0], 'size'])}"
    w_n = f"{int(per.loc[worst[0], 'sum'])}/{int(per.loc[worst[0], 'size'])}"
    return head + tr(lang, f"达标项最多:{who(best)}({b_n});最少:{who(worst)}({w_n})。",
                     f"Most criteria met: {who(best)} ({b_n}); fewest: {who(worst)} ({w_n}).")


def targets(t: pd.DataFrame, lang: str) -> str:
    """Caption of the plan scorecard figure (ties and 'none passes' worded as such)."""
    skip = unmeasured_targets(t)
    t = t[~t["target"].isin(list(skip))]
    year = int(t["year"].max())
    met = t[(t["year"] == year) & t["met"].astype(bool)]["target"].tolist()
    n = t["target"].nunique()
    text = tr(lang, f"每个规划目标的逐年数值与目标线(虚线);实心绿点为达成。"
                    f"{year}年达成 {len(met)}/{n} 项。",
              f"Each plan target's value by year against its line (dashed); filled green "
              f"points are met. {len(met)} of {n} targets met in {year}.")
    if skip:
        names = ("、" if lang == "zh" else ", ").join(lbl.target(k, lang) for k in skip)
        text += tr(lang, f"未显示(本次运行无法计算):{names}。",
                   f" Not shown (not measured by this run): {names}.")
    return text


def targets_by_scenario(t: pd.DataFrame, lang: str) -> str:
    """Caption of the scorecard across scenarios."""
    year = plan_year(t["year"])
    n = t["target"].nunique()
    scen = list(dict.fromkeys(t["scenario"]))
    met = (t[(t["year"] == year) & t["met"].astype(bool)].groupby("scenario")["target"].size()
           .reindex(scen, fill_value=0))
    head = tr(lang, "每个规划目标在各情景下的逐年数值,虚线为目标值,实心点为达成。",
              "Each plan target per scenario by year; the dashed line is the target, filled "
              "points are met. ") + _identical_targets(t, lang)
    if not met.max():
        return head + tr(lang, f"{year}年没有情景达成任何目标。",
                         f"No scenario meets a target in {year}.")
    best = join(leaders(met), lang)
    if met.nunique() == 1:
        return head + tr(lang, f"{year}年各情景达成的目标数相同({met.max()}/{n} 项)。",
                         f"Every scenario meets the same number of targets in {year} "
                         f"({met.max()} of {n}).")
    return head + tr(lang, f"{year}年达成最多的情景:{best}({met.max()}/{n} 项)。",
                     f"Most targets met in {year}: {best} ({met.max()} of {n}).")


def _identical_targets(t: pd.DataFrame, lang: str) -> str:
    """Which scenarios draw the same line for a target (so one hides the other)."""
    same = []
    for name, grp in t.groupby("target", sort=False):
        series = {sc: tuple(g.sort_values("year")["value"].round(9))
                  for sc, g in grp.groupby("scenario", sort=False)}
        seen: dict[tuple, str] = {}
        for sc, key in series.items():
            if key in seen:
                same.append(tr(lang, f"{lbl.target(str(name), lang)}:{sc} 与 {seen[key]} 相同",
                               f"{lbl.target(str(name), lang)}: {sc} identical to {seen[key]}"))
            else:
                seen[key] = str(sc)
    if not same:
        return ""
    return tr(lang, "重合的线:" + ";".join(same) + "。",
              "Lines drawn on top of each other: " + "; ".join(same) + ". ")


def counties_pass(cy: pd.DataFrame, lang: str) -> str:
    """Caption of the counties-passing figure, its numbers from ``cy``."""
    table = counties_passing(cy)
    year = plan_year(table["year"])
    parts = []
    for std, goal in PLAN_COUNTIES.items():
        t = table[(table["standard"] == std) & (table["year"] == year)]
        if len(t):
            parts.append(f"{lbl.metric(f'n_counties_passing_{std}', lang)} {int(t['n'].iloc[0])}"
                         f" (≥{goal})")
    joined = ";".join(parts) if lang == "zh" else "; ".join(parts)
    return tr(lang, f"每年达到国家标准的县数,虚线为2027年规划目标。{year}年:{joined}。",
              f"Counties passing each national standard per year; the dashed line is the "
              f"plan's 2027 target. In {year}: {joined}.")


def lever_cost(cy: pd.DataFrame, lang: str) -> str:
    """Caption of the lever cost figure (each lever type's cost once)."""
    have = metrics_of(cy)
    per = [m for m in have if m.startswith("cost_yuan_")]
    if per:
        totals = pd.Series({m: float(city_series(cy, m).sum()) for m in per})
        total = float(totals.sum())
        if total == 0:
            return tr(lang, "本次运行没有任何政策支出(各项成本均为 0)。",
                      "No lever spends anything in this run (every cost is 0).")
        spending = int((totals > 0).sum())
        top = leaders(totals)
        names = join([lbl.lever(m.removeprefix("cost_yuan_"), lang) for m in top], lang)
        amount = lbl.fmt_yuan(float(totals[top[0]]), lang)
        return tr(lang, f"各项政策的年度成本。{spending} 项政策有支出,累计 "
                        f"{lbl.fmt_yuan(total, lang)},其中最多为{names}({amount})。",
                  f"Yearly cost per lever. {spending} levers spend, {lbl.fmt_yuan(total, lang)} "
                  f"in total; the largest is {names} ({amount}).")
    total = float(city_series(cy, "cost_yuan").sum())
    return tr(lang, f"政策年度总成本,累计 {lbl.fmt_yuan(total, lang)}。",
              f"Yearly total lever cost; cumulative {lbl.fmt_yuan(total, lang)}.")


def bands(metrics: list[str], lang: str, replicated: bool,
          table: pd.DataFrame | None = None) -> str:
    """Caption of an outcome-band figure."""
    names = join([lbl.metric(m, lang) for m in metrics], lang)
    if replicated:
        text = tr(lang, f"全市{names}:各情景的中位数(线)与10–90%区间(阴影);虚线为标准或目标。",
                  f"City {names}: median (line) and 10–90% band (shade) per scenario; dashed "
                  f"lines are the standard or target.")
    else:
        text = tr(lang, f"全市{names}:每个情景一条线;虚线为标准或目标。",
                  f"City {names}: one line per scenario; dashed lines are the standard or "
                  f"target.")
    if table is None:
        return text
    same = []
    for m in metrics:
        for a, b in identical_to(table, m).items():
            same.append(tr(lang, f"{lbl.metric(m, lang)}:{a} 与 {b} 相同",
                           f"{lbl.metric(m, lang)}: {a} identical to {b}"))
    if same:
        text += tr(lang, "重合的线:" + ";".join(same) + "。",
                   " Lines drawn on top of each other: " + "; ".join(same) + ".")
    return text


def probability(tp: pd.DataFrame, lang: str) -> str:
    """Caption of the target-probability figure, its numbers from ``tp``."""
    year = plan_year(tp["year"])
    sub = tp[tp["year"] == year].reset_index(drop=True)
    head = tr(lang, "跨重复运行的达成概率。", "Probability across replicates of meeting each "
              "target. ")
    if not len(sub) or float(sub["probability"].max()) == 0:
        return head + tr(lang, f"{year}年没有任何情景在任何一次重复中达成任何目标。",
                         f"In {year} no scenario meets any target in any replicate.")
    top = sub.loc[leaders(sub["probability"])]
    p = float(top["probability"].iloc[0])
    pairs = [tr(lang, f"{r.scenario} 情景下{lbl.target(r.target, lang)}",
                f"{lbl.target(r.target, lang)} under {r.scenario}")
             for r in top.itertuples(index=False)]
    return head + tr(lang, f"{year}年最高({p:.0%}):{join(pairs, lang)}。",
                     f"Highest in {year} ({p:.0%}): {'; '.join(pairs)}.")


def cost_attainment(points: pd.DataFrame, lang: str, what: str, *,
                    percent: bool = False) -> str:
    """Caption of the cost-against-attainment figure."""
    head = tr(lang, f"横轴为累计政策成本,纵轴为{what}。",
              f"Cumulative lever cost (x) against {what} (y). ")
    att = points["attainment"]
    if att.nunique() == 1:
        v = float(att.iloc[0])
        cheap = points.loc[leaders(points["cost"], top=False), "label"].tolist()
        none = tr(lang, "(均为 0)" if v == 0 else "", " (none)" if v == 0 else "")
        return head + tr(lang, f"各情景的结果相同:{_num(v, percent)}{none};成本最低:{join(cheap, lang)}"
                               f"({lbl.fmt_yuan(float(points['cost'].min()), lang)})。",
                         f"Every scenario gives the same result, {_num(v, percent)}{none}; cheapest: "
                         f"{join(cheap, lang)} "
                         f"({lbl.fmt_yuan(float(points['cost'].min()), lang)}).")
    best = points.loc[leaders(att)]
    cheapest = best.loc[leaders(best["cost"], top=False)]
    names = join(cheapest["label"].tolist(), lang)
    cost = lbl.fmt_yuan(float(cheapest["cost"].iloc[0]), lang)
    v = _num(float(best["attainment"].iloc[0]), percent)
    return head + tr(lang, f"结果最好({v})且成本最低:{names}({cost})。",
                     f"Best result ({v}) at the lowest cost: {names} ({cost}).")


def _num(v: float, percent: bool) -> str:
    return f"{v:.0%}" if percent else f"{v:g}"


def missing_text(exc: MissingMetricError, lang: str) -> str:
    """The caption standing in for a figure this run cannot draw."""
    if isinstance(exc, NothingToDrawError):
        return tr(lang, exc.zh, exc.en)
    return tr(lang, f"本次运行无此图:缺少{_what_zh(exc.what)} {exc.metric}。",
              f"Not available in this run: {exc.what} {exc.metric} missing.")


def _what_zh(what: str) -> str:
    return {"metric": "指标", "table": "数据表"}.get(what, what)
