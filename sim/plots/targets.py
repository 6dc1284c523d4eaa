"""The plan's targets over time: the scorecard of one run, counties passing each standard,
and across replicates the probability of meeting each target."""

from __future__ import annotations

import textwrap

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from sim.core.names import CITY
from sim.plots import labels as lbl
from sim.plots.common import (
    FAIL_COLOUR,
    NOT_ASSESSED_COLOUR,
    PALETTE,
    PASS_COLOUR,
    THRESHOLD_STYLE,
    MissingMetricError,
    grid,
    legend_below,
    style,
    tr,
    year_axis,
)
from sim.plots.criteria import PASS_FLAGS, PLAN_COUNTIES, PLAN_YEAR

TARGET_COLUMNS = ("year", "target", "value", "threshold", "met")


def _wrap(title: str, width: int = 34) -> str:
    """Panel titles on two lines rather than spilling past a narrow panel."""
    if len(title) <= width or " " not in title:
        return title
    if " (" in title:  # Chinese name, then its English in brackets on the next line(s)
        head, tail = title.split(" (", 1)
        return head + "\n" + textwrap.fill("(" + tail, width + 8)
    return textwrap.fill(title, width)


def unmeasured_targets(targets: pd.DataFrame) -> dict[str, str]:
    """Targets whose metric the run lacks (every row's ``note`` says so) → that note."""
    if "note" not in targets.columns:
        return {}
    out = {}
    for name, grp in targets.groupby("target", sort=False):
        notes = grp["note"].fillna("").astype(str)
        if len(notes) and notes.str.contains("missing").all():
            out[str(name)] = notes.iloc[-1]
    return out


def _check_targets(targets: pd.DataFrame | None) -> pd.DataFrame:
    """The targets the run measured; ``MissingMetricError`` if there are none."""
    if targets is None or not len(targets):
        raise MissingMetricError("targets", what="table")
    for col in TARGET_COLUMNS:
        if col not in targets.columns:
            raise MissingMetricError(col, what="targets column")
    skip = unmeasured_targets(targets)
    measured = targets[~targets["target"].isin(list(skip))]
    if not len(measured):
        raise MissingMetricError(", ".join(skip) or "targets", what="target metric")
    return measured


def targets_figure(targets: pd.DataFrame, *, lang: str = "en") -> Figure:
    """One panel per plan target: its value each year against its threshold; filled green
    markers where the target is met, open red ones where it is not."""
    with style(lang) as lang:
        targets = _check_targets(targets)
        names = list(dict.fromkeys(targets["target"]))
        # fixed margins: room above each panel for a title of up to three lines
        fig, axes = grid(len(names), ncols=min(3, len(names)), panel=(3.6, 2.7), sharex=False,
                         fixed=True, margins={"left": 0.55, "top": 1.05, "hspace": 0.95,
                                              "wspace": 0.55})
        for ax, name in zip(axes, names, strict=True):
            t = targets[targets["target"] == name].sort_values("year")
            ax.plot(t["year"], t["value"], color="#0072B2", linewidth=1.5, zorder=2)
            status = t["status"] if "status" in t.columns else t["met"].map({True: "met", False: "not met"})
            met = (status == "met").to_numpy()
            open_ = (status == "not assessed").to_numpy()
            ax.scatter(t["year"][met], t["value"][met], color=PASS_COLOUR, zorder=3, s=22)
            ax.scatter(t["year"][~met & ~open_], t["value"][~met & ~open_], facecolor="white",
                       edgecolor=FAIL_COLOUR, zorder=3, s=22)
            ax.scatter(t["year"][open_], t["value"][open_], color=NOT_ASSESSED_COLOUR, marker="s",
                       zorder=3, s=22)
            ax.step(t["year"], t["threshold"], where="mid", **THRESHOLD_STYLE)
            ax.set_title(_wrap(lbl.target(name, lang)))
            year_axis(ax)
            if (t["value"] == t["value"].round()).all():
                ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        handles = [
            Line2D([], [], color="#0072B2", marker="o", markerfacecolor=PASS_COLOUR,
                   markeredgecolor=PASS_COLOUR),
            Line2D([], [], color="#0072B2", marker="o", markerfacecolor="white",
                   markeredgecolor=FAIL_COLOUR),
            Line2D([], [], color="#0072B2", marker="s", markerfacecolor=NOT_ASSESSED_COLOUR,
                   markeredgecolor=NOT_ASSESSED_COLOUR),
            Line2D([], [], **THRESHOLD_STYLE),
        ]
        legend_below(fig, handles, [tr(lang, "达成", "met"), tr(lang, "未达成", "not met"),
                                    tr(lang, "未评估(部分项目模型无法计算)",
                                       "not assessed (items the model cannot compute)"),
                                    tr(lang, "目标值", "target")])
        fig.suptitle(tr(lang, "规划目标逐年记分", "Plan targets year by year"))
        return fig


def counties_passing(cy: pd.DataFrame) -> pd.DataFrame:
    """Counties passing each standard per year from the ``passes_*_standard`` flags:
    ``year, standard, n, n_counties``."""
    rows = []
    for std, flag in PASS_FLAGS.items():
        sub = cy[(cy["metric"] == flag) & (cy["county"] != CITY)]
        if not len(sub):
            continue
        g = sub.groupby("year")["value"]
        rows.append(pd.DataFrame({"year": g.sum().index, "standard": std,
                                  "n": (g.apply(lambda v: (v >= 0.5).sum())).to_numpy(),
                                  "n_counties": g.size().to_numpy()}))
    if not rows:
        raise MissingMetricError(" / ".join(PASS_FLAGS.values()))
    return pd.concat(rows, ignore_index=True)


def counties_passing_figure(cy: pd.DataFrame, *, lang: str = "en") -> Figure:
    """Counties passing 优质均衡 and 普及普惠 each year, with the plan's 2027 target line."""
    with style(lang) as lang:
        table = counties_passing(cy)
        stds = list(dict.fromkeys(table["standard"]))
        # fixed margins: the y label beside each panel, the target's words right of 2027
        fig, axes = grid(len(stds), ncols=2, panel=(4.2, 3.0), sharex=False, fixed=True,
                         margins={"left": 0.62, "right": 0.85, "bottom": 0.45, "wspace": 1.3})
        for ax, std in zip(axes, stds, strict=True):
            t = table[table["standard"] == std]
            ax.bar(t["year"], t["n"], color=PALETTE[0], width=0.7)
            goal = PLAN_COUNTIES[std]
            ax.axhline(goal, **THRESHOLD_STYLE)
            ax.axvline(PLAN_YEAR, color="#999999", linewidth=0.8, linestyle=":")
            label = tr(lang, f" {PLAN_YEAR}年目标≥{goal}", f" {PLAN_YEAR} target ≥{goal}")
            ax.text(PLAN_YEAR, goal, label, va="bottom", ha="left", fontsize=7.5, color="#444444")
            ax.set_ylim(0, max(goal + 1, int(t["n_counties"].max())) + 0.3)
            ax.set_title(lbl.metric(f"n_counties_passing_{std}", lang))
            ax.set_ylabel(tr(lang, "县(市、区)数", "counties"))
            year_axis(ax)
            ax.yaxis.get_major_locator().set_params(integer=True)
        fig.suptitle(tr(lang, "达到国家标准的县数与规划目标",
                        "Counties passing each national standard against the plan target"))
        return fig


def target_probability_figure(tp: pd.DataFrame, *, lang: str = "en") -> Figure:
    """Across replicates, the probability each target is met, per scenario and year."""
    with style(lang) as lang:
        if tp is None or not len(tp):
            raise MissingMetricError("target_probability", what="table")
        names = list(dict.fromkeys(tp["target"]))
        scenarios = list(dict.fromkeys(tp["scenario"]))
        fig, axes = grid(len(names), ncols=min(3, len(names)), panel=(3.6, 2.7), sharex=False)
        for ax, name in zip(axes, names, strict=True):
            for k, sc in enumerate(scenarios):
                t = tp[(tp["target"] == name) & (tp["scenario"] == sc)].sort_values("year")
                ax.plot(t["year"], t["probability"], color=PALETTE[k % len(PALETTE)],
                        marker="o", markersize=3, linewidth=1.5, label=str(sc))
            ax.axhline(0.5, color="#999999", linewidth=0.8, linestyle=":")
            ax.set_ylim(-0.03, 1.03)
            ax.yaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
            ax.set_title(_wrap(lbl.target(name, lang)))
            year_axis(ax)
        handles, labels = axes[0].get_legend_handles_labels()
        legend_below(fig, handles, labels)
        fig.suptitle(tr(lang, "各情景达成规划目标的概率(跨重复运行)",
                        "Probability of meeting each target, per scenario (across replicates)"))
        return fig


def targets_by_scenario_figure(targets: pd.DataFrame, *, lang: str = "en") -> Figure:
    """One panel per plan target, one line per scenario (``scenario`` column), the target's
    threshold dashed; filled markers where met."""
    with style(lang) as lang:
        targets = _check_targets(targets)
        if "scenario" not in targets.columns:
            raise MissingMetricError("scenario", what="targets column")
        names = list(dict.fromkeys(targets["target"]))
        scenarios = list(dict.fromkeys(targets["scenario"]))
        fig, axes = grid(len(names), ncols=min(3, len(names)), panel=(3.6, 2.7), sharex=False)
        for ax, name in zip(axes, names, strict=True):
            sub = targets[targets["target"] == name]
            for k, sc in enumerate(scenarios):
                t = sub[sub["scenario"] == sc].sort_values("year")
                colour = PALETTE[k % len(PALETTE)]
                ax.plot(t["year"], t["value"], color=colour, linewidth=1.5, label=str(sc))
                met = t["met"].astype(bool).to_numpy()
                ax.scatter(t["year"][met], t["value"][met], color=colour, s=18, zorder=3)
                ax.scatter(t["year"][~met], t["value"][~met], facecolor="white",
                           edgecolor=colour, s=18, zorder=3)
            thr = sub.groupby("year")["threshold"].first()
            ax.step(thr.index, thr.to_numpy(), where="mid", **THRESHOLD_STYLE,
                    label=tr(lang, "目标值", "target"))
            ax.set_title(_wrap(lbl.target(name, lang)))
            year_axis(ax)
        handles, labels = axes[0].get_legend_handles_labels()
        legend_below(fig, handles, labels)
        fig.suptitle(tr(lang, "各情景的规划目标(实心点为达成)",
                        "Plan targets per scenario (filled points are met)"))
        return fig
