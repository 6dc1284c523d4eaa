"""Teachers: in post and unfilled posts, flows (hires, retirements, attrition), shortages by tier.

Shortages are counted against the per-100-students lines of 教督〔2017〕6号
(reference/standards.md §A1): backbone teachers of county level or above ≥ 1.0 and full-time
PE and art teachers ≥ 0.9 per 100 students, the same for primary and junior. A school's
shortage is what it lacks to reach its line; schools above the line do not offset others.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sim.plots import labels as lbl
from sim.plots.common import (
    MissingMetricError,
    bars,
    format_axis,
    grid,
    legend_below,
    metrics_of,
    ordered_counties,
    require,
    require_any,
    style,
    tr,
    wide,
    with_city_total,
    year_axis,
)
from sim.plots.enrolment import TIER_COLOURS, TIERS

PER_100 = {"backbone_teachers": 1.0, "pe_art_teachers": 0.9}  # 教督〔2017〕6号, standards.md §A1
COMPULSORY_LEVELS = ("primary", "junior")
TEACHING_POINT_MIN = 50  # teaching points under 50 pupils are out of scope (standards.md §A1)


def need_table(cy: pd.DataFrame) -> tuple[pd.DataFrame | None, bool]:
    """Year × county teachers needed, and whether it is the true need.

    The true need is ``n_teacher_posts`` (posts by the staffing norm), which can be below the
    stock, so a surplus shows. Runs without it fall back to stock + unfilled posts, which
    never falls below the stock (a school over its norm counts 0).
    """
    have = metrics_of(cy)
    if "n_teacher_posts" in have:
        return wide(with_city_total(cy, ["n_teacher_posts"]), "n_teacher_posts"), True
    if "n_vacancies" in have:
        c = with_city_total(cy, ["n_teachers", "n_vacancies"])
        stock = wide(c, "n_teachers")
        return stock + wide(c, "n_vacancies").reindex_like(stock).fillna(0.0), False
    return None, False


def teacher_stock_figure(cy: pd.DataFrame, *, lang: str = "en") -> Figure:
    """Teachers per county against the posts the staffing norm asks for: short where the
    posts line is above the stock (red), a surplus where it is below (green)."""
    with style(lang) as lang:
        require(cy, "n_teachers")
        need, true_need = need_table(cy)
        stock = wide(with_city_total(cy, ["n_teachers"]), "n_teachers")
        counties = ordered_counties(stock.columns)
        fig, axes = grid(len(counties), fixed=True)
        need_label = (tr(lang, "编制岗位(按编制标准)", "posts by the staffing norm") if true_need
                      else tr(lang, "在岗 + 未补缺岗位", "in post + unfilled posts"))
        for ax, county in zip(axes, counties, strict=True):
            s = stock[county].dropna()
            ax.plot(s.index, s.to_numpy(), color="#0072B2", linewidth=1.6, marker="o",
                    markersize=2.5, label=tr(lang, "在岗教师", "teachers in post"))
            if need is not None and county in need.columns:
                n = need[county].reindex(s.index).to_numpy()
                ax.plot(s.index, n, color="#D55E00", linestyle="--", linewidth=1.4,
                        label=need_label)
                ax.fill_between(s.index, s.to_numpy(), n, where=n >= s.to_numpy(),
                                color="#D55E00", alpha=0.18, label=tr(lang, "缺编", "short"),
                                interpolate=True)
                ax.fill_between(s.index, s.to_numpy(), n, where=n < s.to_numpy(),
                                color="#009E73", alpha=0.18, label=tr(lang, "超编", "surplus"),
                                interpolate=True)
            ax.set_title(lbl.county(county, lang))
            format_axis(ax, "n_teachers", lang=lang)
            year_axis(ax)
        handles, names = axes[0].get_legend_handles_labels()
        legend_below(fig, handles, names)
        title = tr(lang, "专任教师与编制岗位", "Teachers against posts by the staffing norm")
        if need is None:
            title += tr(lang, "(缺少编制数据,无需求线)", " (no staffing data: no need line)")
        fig.suptitle(title)
        return fig


def teacher_flows_figure(cy: pd.DataFrame, *, lang: str = "en") -> Figure:
    """Yearly hires (up) against retirements and attrition (down) per county."""
    with style(lang) as lang:
        found = require_any(cy, ["new_hires", "new_retirements", "new_attrition"],
                            "new_hires/new_retirements/new_attrition")
        cy = with_city_total(cy, found)
        tables = {m: wide(cy, m) for m in found}
        counties = ordered_counties(set().union(*(t.columns for t in tables.values())))
        colours = {"new_hires": "#009E73", "new_retirements": "#555555", "new_attrition": "#E69F00"}
        fig, axes = grid(len(counties), fixed=True)
        for ax, county in zip(axes, counties, strict=True):
            bottom = None
            for m in ("new_hires", "new_retirements", "new_attrition"):
                if m not in tables or county not in tables[m].columns:
                    continue
                s = tables[m][county].dropna()
                sign = 1.0 if m == "new_hires" else -1.0
                base = 0.0 if sign > 0 else (bottom.reindex(s.index).fillna(0.0).to_numpy()
                                             if bottom is not None else 0.0)
                bars(ax, s.index, sign * s.to_numpy(), bottom=base, color=colours[m], width=0.7,
                     label=lbl.metric(m, lang))
                if sign < 0:
                    bottom = (bottom.reindex(s.index).fillna(0.0) if bottom is not None
                              else pd.Series(0.0, index=s.index)) - s
            ax.axhline(0, color="#333333", linewidth=0.8)
            ax.set_title(lbl.county(county, lang))
            format_axis(ax, "n_teachers", lang=lang)
            year_axis(ax)
        handles, names = axes[0].get_legend_handles_labels()
        legend_below(fig, handles, names)
        fig.suptitle(tr(lang, "教师流动:招聘(上)与退休、流失(下)",
                        "Teacher flows: hires (up) against retirements and attrition (down)"))
        return fig


def shortage_by_tier(school_year: pd.DataFrame, year: int | None = None) -> pd.DataFrame:
    """Backbone and PE/art shortages per county and tier in ``year`` (default: last).

    Returns ``county, tier, column, shortage`` where ``shortage`` is the number of teachers
    the compulsory schools in scope lack to reach their per-100-students lines.
    """
    needed = ["year", "county", "tier", "level", "students", *PER_100]
    for col in needed:
        if col not in school_year.columns:
            raise MissingMetricError(col, what="school_year column")
    sy = school_year
    year = int(sy["year"].max()) if year is None else year
    sy = sy[(sy["year"] == year) & sy["level"].isin(COMPULSORY_LEVELS)]
    if "teaching_point" in sy.columns:
        tp = sy["teaching_point"].astype(bool)
        sy = sy[~(tp & (sy["students"] < TEACHING_POINT_MIN))]
    rows = []
    for col, per100 in PER_100.items():
        gap = np.maximum(0.0, per100 * sy["students"].to_numpy(float) / 100.0
                         - sy[col].to_numpy(float))
        part = sy[["county", "tier"]].assign(column=col, shortage=gap)
        rows.append(part.groupby(["county", "tier", "column"], as_index=False)["shortage"].sum())
    return pd.concat(rows, ignore_index=True)


def teacher_shortage_figure(school_year: pd.DataFrame, *, year: int | None = None,
                            lang: str = "en") -> Figure:
    """Backbone and PE/art teacher shortages by county, stacked by tier, for one year."""
    with style(lang) as lang:
        if school_year is None or not len(school_year):
            raise MissingMetricError("school_year", what="table")
        year = int(school_year["year"].max()) if year is None else year
        short = shortage_by_tier(school_year, year)
        counties = ordered_counties(short["county"].unique(), city=False)
        # fixed margins: county names at 45° and the tier legend below, a y label beside
        fig, axes = grid(2, ncols=2, panel=(4.6, 3.2), sharex=False, fixed=True,
                         margins={"left": 0.75, "bottom": 1.3, "wspace": 0.9})
        titles = {
            "backbone_teachers": tr(lang, "骨干教师缺口(每百生≥1.0)",
                                    "Backbone teachers lacking (line: 1.0 per 100 students)"),
            "pe_art_teachers": tr(lang, "体育艺术教师缺口(每百生≥0.9)",
                                  "PE and art teachers lacking (line: 0.9 per 100 students)"),
        }
        x = np.arange(len(counties))
        for ax, col in zip(axes, PER_100, strict=True):
            sub = short[short["column"] == col].pivot_table(
                index="county", columns="tier", values="shortage", aggfunc="sum"
            ).reindex(counties).fillna(0.0)
            bottom = np.zeros(len(counties))
            for t in TIERS:
                vals = sub[t].to_numpy() if t in sub.columns else np.zeros(len(counties))
                bars(ax, x, vals, bottom=bottom.copy(), color=TIER_COLOURS[t], width=0.7)
                bottom += vals
            ax.set_xticks(x, [lbl.county(c, lang) for c in counties], rotation=45, ha="right")
            ax.set_title(titles[col])
            ax.set_ylabel(tr(lang, "教师(人)", "teachers"))
            ax.grid(axis="x", visible=False)
        handles = [Patch(color=TIER_COLOURS[t]) for t in TIERS]
        legend_below(fig, handles, [lbl.tier(t, lang) for t in TIERS])
        fig.suptitle(tr(lang, f"{year}年义务教育学校教师缺口(按城乡)",
                        f"Teacher shortages in compulsory schools by tier, {year}"))
        return fig
