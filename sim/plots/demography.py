"""Births, urbanisation and migration per county: the forces the plan has to absorb."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from sim.plots import labels as lbl
from sim.plots.common import (
    county_lines,
    format_axis,
    grid,
    legend_below,
    metrics_of,
    missing_note,
    note,
    require,
    style,
    tr,
    wide,
    year_axis,
)

# Net migration, if the model reports it directly, else in-flows minus out-flows of
# children: arrivals from outside the city and from other counties, against departures out
# of the city (to the Pearl River Delta) and to other counties (sim/processes/demography.py).
MIGRATION_NET = "net_migration"
MIGRATION_IN = ("new_inflow", "new_moved_in_county")
MIGRATION_OUT = ("new_outflow", "new_moved_out_county")


def migration_table(cy: pd.DataFrame) -> tuple[pd.DataFrame, str] | None:
    """Net migration as a year × county table and the name it was derived from, or None."""
    have = metrics_of(cy)
    if MIGRATION_NET in have:
        return wide(cy, MIGRATION_NET), MIGRATION_NET
    ins = [m for m in MIGRATION_IN if m in have]
    outs = [m for m in MIGRATION_OUT if m in have]
    if not ins or not outs:
        return None
    total = None
    for m, sign in [(m, 1.0) for m in ins] + [(m, -1.0) for m in outs]:
        t = wide(cy, m) * sign
        total = t if total is None else total.add(t, fill_value=0.0)
    return total, MIGRATION_NET


def demography_figure(cy: pd.DataFrame, *, lang: str = "en") -> Figure:
    """Three panels: births by county, urbanisation rate by county (city dashed), net migration.

    Needs ``new_births``; a missing urbanisation or migration metric leaves a note in its panel.
    """
    with style(lang) as lang:
        require(cy, "new_births")
        # fixed margins: a two-row county legend below, "−1,000" beside each panel
        fig, axes = grid(3, ncols=3, panel=(3.6, 2.9), sharex=False, fixed=True,
                         margins={"bottom": 0.95, "wspace": 0.62})
        ax = axes[0]
        county_lines(ax, wide(cy, "new_births"), lang, city=False)
        ax.set_title(lbl.metric("new_births", lang, unit=True))
        format_axis(ax, "new_births", lang=lang)
        ax.set_ylim(bottom=0)

        ax = axes[1]
        if "urbanisation_rate" in metrics_of(cy):
            county_lines(ax, wide(cy, "urbanisation_rate"), lang)
            format_axis(ax, "urbanisation_rate", lang=lang)
        else:
            note(ax, missing_note("urbanisation_rate", lang))
        ax.set_title(lbl.metric("urbanisation_rate", lang))

        ax = axes[2]
        mig = migration_table(cy)
        if mig is not None:
            county_lines(ax, mig[0], lang, city=False)
            ax.axhline(0, color="#444444", linewidth=0.8)
            format_axis(ax, MIGRATION_NET, lang=lang)
        else:
            note(ax, missing_note(MIGRATION_NET, lang))
        ax.set_title(lbl.metric(MIGRATION_NET, lang))
        for a in axes:
            if a.has_data():
                year_axis(a)
        handles, names = axes[1].get_legend_handles_labels() if axes[1].has_data() else \
            axes[0].get_legend_handles_labels()
        legend_below(fig, handles, names, ncol=5)
        fig.suptitle(tr(lang, "出生、城镇化与迁移", "Births, urbanisation and migration"))
        return fig
