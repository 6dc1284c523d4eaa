"""Sensitivity (Sobol or Morris indices as bars) and scenario discovery (PRIM boxes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.plots.common import MissingMetricError, grid, legend_below, style, tr


def _outcome_panels(n: int) -> tuple[Figure, list]:
    return grid(n, ncols=min(2, n), panel=(4.8, 3.2), sharex=False)


def sensitivity_figure(sens: pd.DataFrame, *, lang: str = "en") -> Figure:
    """Per outcome, horizontal bars per parameter: Sobol S1 and ST with confidence whiskers,
    or Morris μ* (with confidence) and σ. Parameters sorted by total effect."""
    with style(lang) as lang:
        if sens is None or not len(sens):
            raise MissingMetricError("sensitivity", what="table")
        method = str(sens["method"].iloc[0]).lower()
        outcomes = list(dict.fromkeys(sens["outcome"]))
        fig, axes = _outcome_panels(len(outcomes))
        if method == "sobol":
            series = [("S1", "S1_conf", "#0072B2", tr(lang, "一阶指数 S1", "first order S1")),
                      ("ST", "ST_conf", "#D55E00", tr(lang, "总效应 ST", "total effect ST"))]
            key = "ST"
        else:
            series = [("mu_star", "mu_star_conf", "#0072B2", "μ*"),
                      ("sigma", None, "#E69F00", "σ")]
            key = "mu_star"
        for ax, outcome in zip(axes, outcomes, strict=True):
            sub = sens[sens["outcome"] == outcome].sort_values(key)
            y = np.arange(len(sub))
            h = 0.38
            for k, (col, conf, colour, name) in enumerate(series):
                err = sub[conf].to_numpy(float) if conf and conf in sub.columns else None
                ax.barh(y + (k - 0.5) * h, sub[col].to_numpy(float), height=h, color=colour,
                        xerr=err, capsize=2, label=name)
            ax.set_yticks(y, list(sub["parameter"]))
            ax.set_title(str(outcome))
            if method == "sobol" and "ST_conf" in sub.columns:
                noisy = int((sub["ST_conf"].fillna(0) >= sub["ST"].abs().clip(lower=1e-12)).sum())
                if noisy:
                    ax.text(0.98, 0.02, tr(lang, f"样本太少:{noisy} 个参数的置信区间\n不小于指数,排序不可靠",
                                           f"few samples: {noisy} intervals as wide\nas the "
                                           "index; the order is not reliable"),
                            transform=ax.transAxes, ha="right", va="bottom", fontsize=7,
                            color="#b42318")
            ax.grid(axis="y", visible=False)
            ax.axvline(0, color="#333333", linewidth=0.8)
        handles, labels = axes[0].get_legend_handles_labels()
        legend_below(fig, handles, labels)
        title = "Sobol" if method == "sobol" else "Morris"
        fig.suptitle(tr(lang, f"敏感性分析({title})", f"Sensitivity analysis ({title})"))
        return fig


def prim_figure(prim: pd.DataFrame, ranges: dict[str, tuple[float, float]] | None = None, *,
                lang: str = "en") -> Figure:
    """The boxes PRIM found: for each outcome and box, the restricted range of each parameter
    drawn within its sampled range (grey), with the box's coverage and density in the title."""
    with style(lang) as lang:
        if prim is None or not len(prim):
            raise MissingMetricError("prim", what="table")
        ranges = dict(ranges or {})
        keys = list(dict.fromkeys(zip(prim["outcome"], prim["box"], strict=True)))
        fig, axes = _outcome_panels(len(keys))
        for ax, (outcome, box) in zip(axes, keys, strict=True):
            sub = prim[(prim["outcome"] == outcome) & (prim["box"] == box)]
            y = np.arange(len(sub))
            for i, row in enumerate(sub.itertuples(index=False)):
                lo, hi = ranges.get(row.parameter, (row.low, row.high))
                span = (hi - lo) or 1.0
                a = (row.low - lo) / span
                b = (row.high - lo) / span
                ax.barh(i, 1.0, left=0.0, color="#dddddd", height=0.6)
                ax.barh(i, b - a, left=a, color="#0072B2", height=0.6)
                ax.text(1.02, i, f"[{row.low:.3g}, {row.high:.3g}]", va="center", fontsize=7)
            ax.set_yticks(y, list(sub["parameter"]))
            ax.set_xlim(0, 1.35)
            ax.set_xticks([0, 0.5, 1], ["min", "", "max"])
            first = sub.iloc[0]
            cov, dens = f"{first['coverage']:.0%}", f"{first['density']:.0%}"
            ax.set_title(tr(lang, f"{outcome} 盒{box}:覆盖率 {cov},密度 {dens}",
                            f"{outcome}, box {box}: coverage {cov}, density {dens}"))
            ax.grid(axis="y", visible=False)
        fig.suptitle(tr(lang, "情景发现(PRIM):达成目标的参数区域",
                        "Scenario discovery (PRIM): parameter ranges that reach the target"))
        return fig
