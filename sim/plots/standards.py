"""The standards seen per county: difference coefficients, schools passing, the scorecard.

Thresholds and their sources live in ``sim.plots.criteria``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sim.core.names import CITY
from sim.plots import labels as lbl
from sim.plots.agg import CachingCanvasAgg
from sim.plots.common import (
    FAIL_COLOUR,
    THRESHOLD_STYLE,
    MissingMetricError,
    bars,
    county_lines,
    format_axis,
    grid,
    legend_below,
    metrics_of,
    ordered_counties,
    require_any,
    reused,
    style,
    tr,
    values_in,
    wide,
    with_derived,
    year_axis,
)
from sim.plots.criteria import CRITERIA, CV_LIMIT, PASS_FLAGS, SCHOOL_PASS_SHARE, Criterion

LEVEL_COLOURS = {"primary": "#0072B2", "junior": "#E69F00"}


def _year(cy: pd.DataFrame, metrics: list[str], year: int | None) -> int:
    sub = cy[cy["metric"].isin(metrics)]
    return int(sub["year"].max()) if year is None else int(year)


def cv_figure(cy: pd.DataFrame, *, year: int | None = None, lang: str = "en") -> Figure:
    """The 7 difference coefficients per county (primary and junior bars) for one year,
    against the 0.50 (primary) and 0.45 (junior) lines; bars over their line are outlined red.
    """
    with style(lang) as lang:
        names = [f"cv_{i}_{lv}" for lv in CV_LIMIT for i in lbl.INDICATORS]
        found = require_any(cy, names, "cv_<indicator>_<level>")
        year = _year(cy, found, year)
        counties = ordered_counties(cy.loc[cy["metric"].isin(found), "county"].unique(),
                                    city=False)
        if not counties:
            raise MissingMetricError("cv_<indicator>_<level> for a county")
        # fixed margins: room below for the indicator names at 60°, beside for 0.75
        fig, axes = grid(len(counties), ncols=4, panel=(3.0, 2.5), sharey=True, fixed=True,
                         margins={"left": 0.5, "bottom": 1.45, "top": 0.75, "hspace": 0.45,
                                  "wspace": 0.22})
        at = values_in(cy, year)
        x = np.arange(len(lbl.INDICATORS))
        width = 0.38
        for ax, county in zip(axes, counties, strict=True):
            for k, lv in enumerate(CV_LIMIT):
                vals = np.array([at.get((f"cv_{i}_{lv}", county), np.nan)
                                 for i in lbl.INDICATORS])
                fails = vals > CV_LIMIT[lv]
                bars(ax, x + (k - 0.5) * width, np.nan_to_num(vals), width=width,
                     color=LEVEL_COLOURS[lv],
                     edgecolors=[FAIL_COLOUR if f else LEVEL_COLOURS[lv] for f in fails],
                     linewidths=[1.6 if f else 0.0 for f in fails])
                ax.axhline(CV_LIMIT[lv], color=LEVEL_COLOURS[lv], linestyle="--", linewidth=1.0)
            ax.set_title(lbl.county(county, lang))
            ax.set_xticks(x, [lbl.indicator_short(i, lang) for i in lbl.INDICATORS], rotation=60,
                          ha="right")
            ax.grid(axis="x", visible=False)
        top = cy.loc[cy["metric"].isin(found) & (cy["year"] == year), "value"].max()
        axes[0].set_ylim(0, max(0.6, float(top) * 1.08))
        handles = [Patch(color=LEVEL_COLOURS[lv]) for lv in CV_LIMIT]
        names_ = [tr(lang, f"{lbl.level(lv, lang)}(线 {CV_LIMIT[lv]:.2f})",
                     f"{lbl.level(lv, lang)} (line {CV_LIMIT[lv]:.2f})") for lv in CV_LIMIT]
        handles.append(Patch(facecolor="white", edgecolor=FAIL_COLOUR, linewidth=1.6))
        names_.append(tr(lang, "超过限值", "over the line"))
        legend_below(fig, handles, names_)
        fig.suptitle(tr(lang, f"{year}年7项指标校际差异系数(越低越均衡)",
                        f"Difference coefficients of the 7 indicators, {year} "
                        "(lower is more even)"))
        return fig


def school_pass_share_figure(cy: pd.DataFrame, *, lang: str = "en") -> Figure:
    """Share of schools meeting at least 6 of the 7 indicators, per county over time."""
    with style(lang) as lang:
        cy = with_derived(cy)
        metrics = require_any(cy, [f"share_schools_passing_{lv}" for lv in CV_LIMIT],
                              "share_schools_passing_<level>")
        # fixed margins: a two-row county legend below
        fig, axes = grid(len(metrics), ncols=2, panel=(4.4, 3.0), sharex=False, sharey=True,
                         fixed=True, margins={"bottom": 1.05, "wspace": 0.3})
        for ax, m in zip(axes, metrics, strict=True):
            county_lines(ax, wide(cy, m), lang)
            ax.axhline(SCHOOL_PASS_SHARE, **THRESHOLD_STYLE,
                       label=tr(lang, "标准:全部学校", "standard: every school"))
            ax.set_title(lbl.metric(m, lang))
            format_axis(ax, m, lang=lang)
            year_axis(ax)
            ax.set_ylim(0, 1.05)
        handles, names = axes[0].get_legend_handles_labels()
        legend_below(fig, handles, names)
        fig.suptitle(tr(lang, "7项指标6项达标(第7项≥85%)的学校占比",
                        "Schools meeting 6 of the 7 indicators (the 7th at ≥85%)"))
        return fig


def scorecard_table(cy: pd.DataFrame, year: int | None = None,
                    criteria: tuple[Criterion, ...] = CRITERIA) -> pd.DataFrame:
    """Long table ``county, metric, value, threshold, passes, margin`` for one year.

    Only criteria whose metric the run has are included; the city row is left out because
    the standards judge counties. Computed once per table and year inside
    ``sim.plots.common.reuse_derived`` (the report asks for it five times).
    """
    return reused(("scorecard_table", year, criteria), cy,
                  lambda: _scorecard_table(cy, year, criteria))


def _scorecard_table(cy: pd.DataFrame, year: int | None,
                     criteria: tuple[Criterion, ...]) -> pd.DataFrame:
    cy = with_derived(cy)
    present = [c for c in criteria if c.metric in metrics_of(cy)]
    if not present:
        raise MissingMetricError("any standards criterion (cv_*, share_schools_passing_*, ...)")
    year = _year(cy, [c.metric for c in present], year)
    sub = cy[(cy["year"] == year) & cy["metric"].isin([c.metric for c in present])
             & (cy["county"] != CITY)]
    first: dict[str, Criterion] = {}
    for c in present:
        first.setdefault(c.metric, c)
    rows = []
    # one grouped mean, then a loop over ~100 cells (a loop over groups cost 60 ms a call)
    for (county, metric), v in sub.groupby(["county", "metric"])["value"].mean().items():
        crit = first[metric]
        v = float(v)
        rows.append({"county": county, "metric": metric, "value": v,
                     "threshold": crit.threshold, "passes": crit.passes(v),
                     "margin": crit.margin(v), "standard": crit.standard, "year": year})
    return pd.DataFrame(rows)


def binding_criteria(cy: pd.DataFrame, year: int | None = None, k: int = 3, *,
                     table: pd.DataFrame | None = None) -> dict[str, list]:
    """Per county, the failing criteria furthest from their line (the ones that bind);
    ``table`` is ``scorecard_table(cy, year)`` when the caller has it already."""
    table = scorecard_table(cy, year) if table is None else table
    out = {}
    for county, grp in table.groupby("county"):
        fails = grp[~grp["passes"]].sort_values("margin")
        out[county] = fails.head(k).to_dict("records")
    return out


def scorecard_heatmap(cy: pd.DataFrame, *, year: int | None = None, lang: str = "en") -> Figure:
    """Counties × criteria for one year, coloured by margin to the line (green passes, red
    fails, white at the line), each cell printing its value and × when it fails."""
    with style(lang) as lang:
        table = scorecard_table(cy, year)
        year = int(table["year"].iloc[0])
        by_metric = {c.metric: c for c in CRITERIA}
        metrics = [c.metric for c in CRITERIA if c.metric in set(table["metric"])]
        counties = ordered_counties(table["county"].unique(), city=False)
        grid_margin = table.pivot_table(index="county", columns="metric", values="margin")
        grid_value = table.pivot_table(index="county", columns="metric", values="value")
        grid_margin = grid_margin.reindex(index=counties, columns=metrics)
        grid_value = grid_value.reindex(index=counties, columns=metrics)
        flags = [f for f in PASS_FLAGS.values() if f in metrics_of(cy)]
        ncol = len(metrics) + len(flags)
        fig, ax, cax = _scorecard_axes(max(6.0, 0.42 * ncol + 2.6), 0.42 * len(counties) + 3.2,
                                       lang)
        data = _display_margin(grid_margin.to_numpy(float),
                               grid_value.to_numpy(float), [by_metric[m] for m in metrics])
        if flags:
            at = values_in(cy, year)
            flag_vals = np.array([[at.get((f, c), np.nan) for f in flags] for c in counties])
            data = np.hstack([data, np.where(flag_vals >= 0.5, 0.5, -0.5)])
        masked = np.ma.masked_invalid(data)
        im = ax.imshow(masked, cmap="RdYlGn", norm=TwoSlopeNorm(0.0, -0.5, 0.5), aspect="auto")
        for i in range(len(counties)):
            for j, m in enumerate(metrics):
                v = grid_value.iat[i, j]
                if v != v:
                    continue
                text = lbl.fmt_value(m, v, lang).replace(",", "")
                if not by_metric[m].passes(v):
                    text += "×"
                ax.text(j, i, text, ha="center", va="center", fontsize=6.5,
                        color=_ink(data[i, j])).set_in_layout(False)  # inside its cell
            for j in range(len(metrics), ncol):
                ok = flag_vals[i, j - len(metrics)] >= 0.5
                ax.text(j, i, tr(lang, "达标" if ok else "未达", "pass" if ok else "fail"),
                        ha="center", va="center", fontsize=6.5,
                        color=_ink(data[i, j])).set_in_layout(False)
        cols = [by_metric[m].short_label(lang) for m in metrics]
        cols += [by_metric_flag_label(f, lang) for f in flags]
        ax.set_xticks(np.arange(ncol), cols, rotation=70, ha="right", rotation_mode="anchor")
        ax.set_yticks(np.arange(len(counties)), [lbl.county(c, lang) for c in counties])
        ax.grid(False)
        for j in range(1, ncol):
            ax.axvline(j - 0.5, color="white", linewidth=0.6)
        if flags:
            ax.axvline(len(metrics) - 0.5, color="black", linewidth=1.2)
        cbar = fig.colorbar(im, cax=cax)
        cbar.set_label(tr(lang, "相对限值的余量(截断于±50%)",
                          "margin to the line (clipped at ±50%)"))
        cbar.set_ticks([-0.5, -0.29, -0.08, 0.08, 0.29, 0.5],
                       labels=["−50%", "−25%", tr(lang, "未达", "fail"), tr(lang, "达标", "pass"),
                               "+25%", "+50%"])
        fig.suptitle(tr(lang, f"{year}年各县达标记分卡(×=未达标)",
                        f"County scorecard, {year} (× = fails its line)"))
        return fig


# Margins of the scorecard in inches (left, right, top, bottom): county names, the colour
# bar with its label, the title, criteria names at 70° (longer in Chinese, which adds the
# English after each name).
SCORECARD_MARGINS = {"zh": (1.05, 1.05, 0.45, 2.15), "en": (0.75, 1.05, 0.45, 1.6)}


def _scorecard_axes(width: float, height: float, lang: str) -> tuple[Figure, object, object]:
    """The scorecard's figure, heatmap axes and colour-bar axes at fixed margins: laying it
    out with constrained layout measured its 200 cell texts' neighbours twice more."""
    left, right, top, bottom = SCORECARD_MARGINS["zh" if lang == "zh" else "en"]
    fig = Figure(figsize=(width, height))
    CachingCanvasAgg(fig)
    ax_h = height - top - bottom
    ax = fig.add_axes((left / width, bottom / height, 1 - (left + right) / width, ax_h / height))
    cax = fig.add_axes(((width - right + 0.1) / width, (bottom + 0.1 * ax_h) / height,
                        0.18 / width, 0.8 * ax_h / height))
    return fig, ax, cax


def _ink(shade: float) -> str:
    """White text on the darkest cells, black elsewhere, so every value stays legible."""
    return "white" if shade == shade and abs(shade) > 0.36 else "black"


def _display_margin(margin: np.ndarray, value: np.ndarray, crits: list[Criterion]) -> np.ndarray:
    """Colour value of each cell: passing cells stay green even exactly at the line and
    failing ones red, with the shade growing with the margin (clipped at ±50%)."""
    passes = np.array([[c.passes(v) for v, c in zip(row, crits, strict=True)] for row in value],
                      dtype=bool).reshape(margin.shape)
    mag = np.clip(np.abs(margin), 0.0, 0.5)
    shade = 0.08 + mag * (0.42 / 0.5)
    out = np.where(passes, shade, -shade)
    return np.where(np.isfinite(margin), out, np.nan)


def by_metric_flag_label(flag: str, lang: str) -> str:
    """Column name of an overall pass flag."""
    from sim.plots.criteria import SHORT_NAMES

    zh, en = SHORT_NAMES[flag]
    return f"{zh} ({en})" if lang == "zh" else en
