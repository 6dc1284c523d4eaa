"""Scenarios side by side: median and 10–90% band of any metric, and cost against attainment.

Replicates are reduced to a median and a 10–90% band (as Covasim's ``MultiSim.reduce``); a
single run per scenario is a band of zero width, so the same figure compares plain runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.core.names import CITY
from sim.plots import labels as lbl
from sim.plots.common import (
    PALETTE,
    THRESHOLD_STYLE,
    MissingMetricError,
    NothingToDrawError,
    format_axis,
    grid,
    legend_below,
    metrics_of,
    new_figure,
    series_colour,
    style,
    tr,
    wide,
    year_axis,
)
from sim.plots.criteria import PLAN_LINES

BAND_COLUMNS = ("scenario", "county", "metric", "year", "median", "p10", "p90")


def scenario_bands_figure(bands: pd.DataFrame, metrics: str | list[str], *,
                          county: str = CITY, threshold: float | None = None,
                          lang: str = "en") -> Figure:
    """One panel per metric: a line (median) and a shaded 10–90% band per scenario, with the
    plan threshold drawn when the metric has one (or ``threshold`` is given)."""
    with style(lang) as lang:
        for col in BAND_COLUMNS:
            if col not in bands.columns:
                raise MissingMetricError(col, what="bands column")
        metrics = [metrics] if isinstance(metrics, str) else list(metrics)
        have = set(bands.loc[bands["county"] == county, "metric"])
        missing = [m for m in metrics if m not in have]
        if missing:
            raise MissingMetricError(missing[0])
        scenarios = list(dict.fromkeys(bands["scenario"]))
        fig, axes = grid(len(metrics), ncols=min(3, len(metrics)), panel=(3.8, 2.8), sharex=False)
        for ax, m in zip(axes, metrics, strict=True):
            sub = bands[(bands["metric"] == m) & (bands["county"] == county)]
            for k, sc in enumerate(scenarios):
                s = sub[sub["scenario"] == sc].sort_values("year")
                colour = PALETTE[k % len(PALETTE)]
                years = s["year"].to_numpy(int)
                ax.fill_between(years, s["p10"].to_numpy(float), s["p90"].to_numpy(float),
                                color=colour, alpha=0.18, linewidth=0)
                # earlier scenarios drawn wider so identical trajectories stay visible
                width = max(1.2, 2.8 - 0.5 * k)
                ax.plot(years, s["median"].to_numpy(float), color=colour, linewidth=width,
                        label=str(sc))
            same = identical_to(bands, m, county)
            if same:
                text = "\n".join(tr(lang, f"{a} 与 {b} 相同(线重合)", f"{a} identical to {b}")
                                  for a, b in same.items())
                ax.text(0.02, 0.97, text, transform=ax.transAxes, va="top", fontsize=7,
                        color="#555555")
            line = threshold if threshold is not None else PLAN_LINES.get(m, (None,))[0]
            if line is not None:
                # the value is written on each panel's own line: one legend entry serves
                # panels whose lines differ (a "target 3" legend on a panel whose line is 2)
                ax.axhline(line, **THRESHOLD_STYLE,
                           label=tr(lang, "标准/目标(数值标在线上)",
                                    "standard/target (value on the line)"))
                ax.annotate(lbl.fmt_value(m, line, lang), (1.0, line),
                            xycoords=("axes fraction", "data"), xytext=(-2, 2),
                            textcoords="offset points", ha="right", va="bottom", fontsize=7,
                            color="#444444")
            ax.set_title(lbl.metric(m, lang, unit=True))
            format_axis(ax, m, lang=lang)
            year_axis(ax)
        handles, labels = axes[0].get_legend_handles_labels()
        legend_below(fig, handles, labels)
        where = lbl.county(county, lang)
        banded = bool((bands["p90"] - bands["p10"]).abs().gt(0).any())
        fig.suptitle(tr(lang, f"情景比较:{where}(中位数与10–90%区间)",
                        f"Scenarios compared: {where} (median and 10–90% band)") if banded
                     else tr(lang, f"情景比较:{where}(每个运行一条线)",
                             f"Scenarios compared: {where} (one line per run)"))
        return fig


def cost_attainment_figure(points: pd.DataFrame, *, attainment_label: str,
                           threshold: float | None = None, lang: str = "en") -> Figure:
    """Cost (x) against attainment (y) per scenario or lever, one labelled point each.

    ``points`` has ``label, cost, attainment`` and optional ``cost_low, cost_high,
    attainment_low, attainment_high`` (drawn as 10–90% whiskers); ``threshold`` draws the
    target attainment as a dashed line.
    """
    with style(lang) as lang:
        if points is None or not len(points):
            raise MissingMetricError("cost_yuan")
        fig = new_figure(6.0, 4.2)
        ax = fig.add_subplot()
        for k, row in enumerate(points.itertuples(index=False)):
            colour = PALETTE[k % len(PALETTE)]
            xerr = yerr = None
            if hasattr(row, "cost_low") and np.isfinite(row.cost_low):
                xerr = [[row.cost - row.cost_low], [row.cost_high - row.cost]]
            if hasattr(row, "attainment_low") and np.isfinite(row.attainment_low):
                yerr = [[row.attainment - row.attainment_low],
                        [row.attainment_high - row.attainment]]
            ax.errorbar(row.cost, row.attainment, xerr=xerr, yerr=yerr, fmt="o", color=colour,
                        markersize=7, capsize=3, label=str(row.label))
            ax.annotate(str(row.label), (row.cost, row.attainment), xytext=(6, 5),
                        textcoords="offset points", fontsize=8)
        if threshold is not None:
            ax.axhline(threshold, **THRESHOLD_STYLE,
                       label=tr(lang, f"目标 {threshold:g}", f"target {threshold:g}"))
        format_axis(ax, "cost_yuan", axis="x", lang=lang)
        ax.set_xlabel(tr(lang, "累计政策成本(元;万 = 10⁴,亿 = 10⁸)",
                         "cumulative lever cost (yuan; m = million)"))
        ax.set_ylabel(attainment_label)
        fig.suptitle(tr(lang, "成本与目标达成", "Cost against attainment"))
        return fig


def lever_cost_figure(cy: pd.DataFrame, *, county: str = CITY, lang: str = "en") -> Figure:
    """Yearly cost of each lever (stacked), or the total when no per-lever split exists."""
    with style(lang) as lang:
        have = metrics_of(cy)
        spent = cy[cy["metric"].str.startswith("cost_yuan_") & (cy["value"] != 0)]
        per_lever = sorted(set(spent["metric"]))  # levers that spend nothing are not drawn
        metrics = per_lever or (["cost_yuan"] if "cost_yuan" in have else [])
        if not metrics:
            raise MissingMetricError("cost_yuan")
        if not per_lever and not cy.loc[cy["metric"] == "cost_yuan", "value"].any():
            raise NothingToDrawError("本次运行没有任何政策支出(各项成本均为 0),无图可画。",
                                "No lever spends anything in this run (every cost is 0): "
                                "nothing to draw.")
        sub = cy[cy["county"] == county]
        if not len(sub[sub["metric"].isin(metrics)]):
            sub = cy.groupby(["year", "metric"], as_index=False)["value"].sum()
            sub["county"] = county
        fig = new_figure(6.4, 3.8)
        ax = fig.add_subplot()
        bottom = None
        for k, m in enumerate(metrics):
            s = wide(sub, m)[county] if m in set(sub["metric"]) else None
            if s is None:
                continue
            base = np.zeros(len(s)) if bottom is None else bottom.reindex(s.index).fillna(0.0)
            ax.bar(s.index, s.to_numpy(), bottom=base, width=0.7,
                   color=series_colour(k, len(metrics)), label=lbl.metric(m, lang))
            bottom = s if bottom is None else bottom.add(s, fill_value=0.0)
        format_axis(ax, "cost_yuan", lang=lang)
        ax.set_ylabel(tr(lang, "元(万 = 10⁴,亿 = 10⁸)", "yuan (m = million)"))
        year_axis(ax)
        handles, labels = ax.get_legend_handles_labels()
        legend_below(fig, handles, labels, ncol=3)
        fig.suptitle(tr(lang, f"各项政策的年度成本({lbl.county(county, lang)})",
                        f"Yearly cost of each lever ({lbl.county(county, lang)})"))
        return fig


def identical_to(bands: pd.DataFrame, metric: str, county: str = CITY) -> dict[str, str]:
    """Scenario → the earlier scenario whose band of ``metric`` it repeats exactly.

    Two identical lines drawn on top of each other look like one; the figure and its caption
    say so instead of leaving the reader to guess.
    """
    sub = bands[(bands["metric"] == metric) & (bands["county"] == county)]
    seen: dict[tuple, str] = {}
    out = {}
    for sc in dict.fromkeys(sub["scenario"]):
        s = sub[sub["scenario"] == sc].sort_values("year")
        key = tuple(np.round(s[["year", "median", "p10", "p90"]].to_numpy(float), 9).ravel())
        if key in seen:
            out[str(sc)] = seen[key]
        else:
            seen[key] = str(sc)
    return out


def difference_figure(bands: pd.DataFrame, reference: str, metrics: list[str], *,
                      county: str = CITY, lang: str = "en") -> Figure:
    """One panel per metric: each scenario's median minus the reference's, year by year, the
    reference as the zero line; each line labelled at its end."""
    with style(lang) as lang:
        if not metrics:
            raise MissingMetricError("metrics")
        scenarios = [s for s in dict.fromkeys(bands["scenario"]) if s != reference]
        fig, axes = grid(len(metrics), ncols=min(3, len(metrics)), panel=(3.8, 2.8),
                         sharex=False)
        for ax, m in zip(axes, metrics, strict=True):
            sub = bands[(bands["metric"] == m) & (bands["county"] == county)]
            ref = sub[sub["scenario"] == reference].set_index("year")["median"]
            ax.axhline(0, color="#333333", linewidth=1.0,
                       label=tr(lang, f"参照:{reference}", f"reference: {reference}"))
            for k, sc in enumerate(scenarios):
                s = sub[sub["scenario"] == sc].set_index("year")["median"]
                d = (s - ref.reindex(s.index)).dropna()
                if not len(d):
                    continue
                colour = series_colour(k)
                ax.plot(d.index, d.to_numpy(), color=colour, linewidth=1.6, label=str(sc))
                if len(scenarios) > 1:
                    ax.annotate(str(sc), (d.index[-1], d.iloc[-1]), xytext=(3, 0),
                                textcoords="offset points", fontsize=7, color=colour,
                                va="center")
            ax.set_title(lbl.metric(m, lang, unit=True))
            format_axis(ax, m, lang=lang)
            year_axis(ax)
        handles, labels = axes[0].get_legend_handles_labels()
        legend_below(fig, handles, labels)
        fig.suptitle(tr(lang, f"与参照情景 {reference} 的差值({lbl.county(county, lang)})",
                        f"Difference from the reference scenario {reference} "
                        f"({lbl.county(county, lang)})"))
        return fig
