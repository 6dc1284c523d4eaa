"""Enrolment by stage and by tier over time, one small panel per county plus the city."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sim.plots import labels as lbl
from sim.plots.common import (
    PALETTE,
    format_axis,
    grid,
    legend_below,
    metrics_of,
    ordered_counties,
    require_any,
    style,
    tr,
    wide,
    with_city_total,
    year_axis,
)

STAGES = ("preschool", "primary", "junior", "senior_general", "vocational")
TIERS = ("urban", "town", "village")
TIER_COLOURS = {"urban": "#0072B2", "town": "#E69F00", "village": "#009E73"}


def _stacked_panels(cy: pd.DataFrame, metrics: list[str], names: list[str],
                    colours: list[str], lang: str, title: str) -> Figure:
    cy = with_city_total(cy, metrics)
    counties = ordered_counties(cy.loc[cy["metric"].isin(metrics), "county"].unique())
    tables = {m: wide(cy, m) for m in metrics}
    fig, axes = grid(len(counties), fixed=True)
    for ax, county in zip(axes, counties, strict=True):
        years = sorted(set().union(*(t.index for t in tables.values())))
        stack = [
            tables[m][county].reindex(years).fillna(0.0).to_numpy()
            if county in tables[m].columns else [0.0] * len(years)
            for m in metrics
        ]
        stacked(ax, years, stack, colours)
        ax.set_title(lbl.county(county, lang))
        format_axis(ax, metrics[0], lang=lang)
        year_axis(ax)
        ax.set_ylim(bottom=0)
    handles = [Patch(facecolor=c, alpha=STACK_ALPHA, linewidth=0) for c in colours]
    legend_below(fig, handles, names)
    fig.suptitle(title)
    return fig


STACK_ALPHA = 0.85


def stacked(ax, x, layers: list, colours: list[str]) -> None:
    """Layers stacked from zero, drawn as one collection of polygons (what ``stackplot``
    draws, without its one ``fill_between`` collection per layer: five times fewer
    artists to build and draw on each of the report's 9-panel grids)."""
    x = np.asarray(x, dtype=float)
    lower = np.zeros(len(x))
    polygons = []
    for layer in layers:
        upper = lower + np.asarray(layer, dtype=float)
        polygons.append(np.column_stack([np.concatenate([x, x[::-1]]),
                                         np.concatenate([upper, lower[::-1]])]))
        lower = upper
    coll = PolyCollection(polygons, facecolors=list(colours), alpha=STACK_ALPHA, linewidths=0)
    coll.sticky_edges.y[:] = [0]
    ax.add_collection(coll, autolim=True)
    ax.autoscale_view()


def enrolment_by_stage(cy: pd.DataFrame, *, lang: str = "en") -> Figure:
    """Students by stage (stacked), one panel per county and the city total.

    ``cy`` is a tidy county-year table (``year, county, metric, value``); needs at least one
    ``n_students_<stage>`` metric.
    """
    with style(lang) as lang:
        metrics = require_any(cy, [f"n_students_{s}" for s in STAGES], "n_students_<stage>")
        names = [lbl.stage(m.removeprefix("n_students_"), lang) for m in metrics]
        colours = [PALETTE[STAGES.index(m.removeprefix("n_students_"))] for m in metrics]
        return _stacked_panels(cy, metrics, names, colours, lang,
                               tr(lang, "各县分学段在校生", "Students by stage"))


def enrolment_by_tier(cy: pd.DataFrame, *, stages: tuple[str, ...] = STAGES,
                      lang: str = "en") -> Figure:
    """Students by tier (county seat, town, village; stacked), summed over ``stages``.

    Needs ``n_students_<stage>_<tier>`` metrics; falls back to ``MissingMetricError`` if none.
    """
    with style(lang) as lang:
        have = metrics_of(cy)  # once: each set(...) of the column walks all its rows
        present: dict[str, list[str]] = {
            t: [m for m in (f"n_students_{s}_{t}" for s in stages) if m in have]
            for t in TIERS
        }
        require_any(cy, [m for ms in present.values() for m in ms], "n_students_<stage>_<tier>")
        parts = []
        for t, ms in present.items():
            sub = cy[cy["metric"].isin(ms)].groupby(["year", "county"], as_index=False)
            sub = sub["value"].sum()
            sub["metric"] = f"n_students_all_{t}"
            parts.append(sub)
        summed = pd.concat(parts, ignore_index=True)
        tiers = [t for t in TIERS if present[t]]
        metrics = [f"n_students_all_{t}" for t in tiers]
        names = [lbl.tier(t, lang) for t in tiers]
        colours = [TIER_COLOURS[t] for t in tiers]
        what = tr(lang, "全学段", "all stages") if stages == STAGES else ", ".join(
            lbl.stage(s, lang) for s in stages)
        return _stacked_panels(summed, metrics, names, colours, lang,
                               tr(lang, f"各县分城乡在校生({what})", f"Students by tier ({what})"))
