"""Shared plumbing for the figure functions: style, panel grids, data access, errors.

Figures are built on ``matplotlib.figure.Figure`` with an Agg canvas, never through
``pyplot``: no global figure registry, nothing to ``show()``, safe in a batch job or a
worker process. Every figure function creates its artists inside ``style(lang)`` so the
font chosen for the language is stored on each text.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter, FuncFormatter, MaxNLocator, PercentFormatter

from sim.core.names import CITY, COUNTIES
from sim.plots import fonts
from sim.plots import labels as lbl
from sim.plots.agg import CachingCanvasAgg

# Colour-blind-safe qualitative palette (Okabe & Ito 2008).
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
)
PASS_COLOUR = "#1a9850"
FAIL_COLOUR = "#d73027"
NOT_ASSESSED_COLOUR = "#969696"  # grey: neither pass nor fail (what the model cannot compute)
THRESHOLD_STYLE = {"color": "#444444", "linestyle": "--", "linewidth": 1.2}


class MissingMetricError(LookupError):
    """A figure needs a metric (or table) that this run does not have.

    The report catches it and prints "not available in this run: metric X missing" in place
    of the figure, so a run made before a part of the model existed still gets a report.
    """

    def __init__(self, metric: str, what: str = "metric"):
        self.metric = metric
        self.what = what
        super().__init__(f"{what} {metric} missing")


class NothingToDrawError(MissingMetricError):
    """The metric is there but has nothing to show (every lever cost is 0): the report
    prints this sentence instead of an empty chart."""

    def __init__(self, zh: str, en: str):
        super().__init__("", what="nothing")
        self.zh, self.en = zh, en


@contextlib.contextmanager
def style(lang: str) -> Iterator[str]:
    """Matplotlib settings for the project's figures; yields the effective language.

    ``zh`` without a CJK font degrades to ``en`` (with a warning) instead of drawing boxes.
    """
    lang = fonts.effective_lang(lbl.check_lang(lang))
    rc = {
        "font.family": fonts.font_families(lang),
        "font.size": 9,
        "axes.titlesize": 9.5,
        "axes.labelsize": 9,
        "legend.fontsize": 8,
        "xtick.labelsize": 8,
        "ytick.labelsize": 8,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "grid.linewidth": 0.6,
        "axes.prop_cycle": mpl.cycler(color=PALETTE),
        "axes.unicode_minus": True,
        "svg.fonttype": "path",
        "figure.dpi": 100,
        # a fixed title height: matplotlib otherwise measures every y tick label of every
        # panel while drawing, to dodge x ticks on top and y offset texts, which these
        # figures never have (their formatters print units, not offsets); same pixels,
        # a tenth of the drawing time
        "axes.titley": 1.0,
    }
    with mpl.rc_context(rc):
        yield lang


def new_figure(width: float, height: float) -> Figure:
    """A pyplot-free figure with an Agg canvas (so it can be drawn and saved anywhere) that
    reuses text layouts and glyph images across figures (``sim.plots.agg``)."""
    fig = Figure(figsize=(width, height), layout="constrained")
    CachingCanvasAgg(fig)
    return fig


# Margins of a fixed-layout grid, in inches: tick labels left, suptitle on top, x tick labels
# and the figure legend below, a panel title and tick labels between panels.
FIXED_MARGINS = {"left": 0.62, "right": 0.12, "top": 0.7, "bottom": 0.78, "hspace": 0.42,
                 "wspace": 0.58}


def grid(n: int, *, ncols: int = 3, panel: tuple[float, float] = (3.2, 2.3),
         sharex: bool = True, sharey: bool = False,
         fixed: bool = False, margins: dict[str, float] | None = None) -> tuple[Figure, list]:
    """A figure with ``n`` panels on a grid; unused cells are removed.

    ``fixed`` lays the panels out with margins set in inches instead of matplotlib's
    constrained layout, which measures every text three times and costs a third of a
    figure's drawing time; it suits panels with short titles (county names). ``margins``
    overrides some of ``FIXED_MARGINS`` (inches) for a figure with longer tick labels or a
    taller legend; a taller top or bottom margin makes the figure taller, not the panels
    smaller.
    """
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    if fixed:
        m = FIXED_MARGINS | (margins or {})
        width = panel[0] * ncols
        height = (panel[1] * nrows + 0.5 + 0.5 + (m["top"] - FIXED_MARGINS["top"])
                  + (m["bottom"] - FIXED_MARGINS["bottom"]))
        fig = Figure(figsize=(width, height))
        CachingCanvasAgg(fig)
        ax_w = (width - m["left"] - m["right"] - m["wspace"] * (ncols - 1)) / ncols
        ax_h = (height - m["top"] - m["bottom"] - m["hspace"] * (nrows - 1)) / nrows
        fig.subplots_adjust(left=m["left"] / width, right=1 - m["right"] / width,
                            top=1 - m["top"] / height, bottom=m["bottom"] / height,
                            wspace=m["wspace"] / ax_w, hspace=m["hspace"] / ax_h)
    else:
        fig = new_figure(panel[0] * ncols, panel[1] * nrows + 0.5)
    axes = fig.subplots(nrows, ncols, sharex=sharex, sharey=sharey, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.remove()
    return fig, list(axes[:n])


def ordered_counties(names: Iterable[str], *, city: bool = True) -> list[str]:
    """Counties in the canonical order (sim.config.COUNTIES), the city total last."""
    present = set(names)
    out = [c for c in COUNTIES if c in present]
    out += sorted(present - set(COUNTIES) - {CITY})
    if city and CITY in present:
        out.append(CITY)
    return out


def metrics_of(cy: pd.DataFrame) -> set[str]:
    """The metric names a county_year table holds."""
    return set(cy["metric"].unique().tolist()) if len(cy) else set()  # tolist: 2× faster


def require(cy: pd.DataFrame, *metrics: str) -> None:
    """Raise ``MissingMetricError`` naming the first of ``metrics`` absent from ``cy``."""
    have = metrics_of(cy)
    for m in metrics:
        if m not in have:
            raise MissingMetricError(m)


def require_any(cy: pd.DataFrame, metrics: Iterable[str], description: str) -> list[str]:
    """The metrics of ``metrics`` present in ``cy``; ``MissingMetricError(description)`` if none."""
    have = metrics_of(cy)
    found = [m for m in metrics if m in have]
    if not found:
        raise MissingMetricError(description)
    return found


def is_flow(metric: str) -> bool:
    """Yearly flows (births and ``new_*``) are counted by the step, so the start year, which
    is an initial state and not a step, has none."""
    return metric == "new_births" or metric.startswith(("new_", "cost_yuan"))


def wide(cy: pd.DataFrame, metric: str) -> pd.DataFrame:
    """One metric as a year × county table.

    A flow whose first year is zero everywhere was not measured that year (the start state
    has no step), so that year is dropped rather than drawn as a plunge to zero.
    """
    sub = cy[cy["metric"] == metric]
    # = pivot_table(index="year", columns="county", values="value", aggfunc="mean"), which
    # drops NaN cells and all-NaN columns, at a third of its cost (it is called ~30 times)
    table = (sub.groupby(["year", "county"])["value"].mean().dropna().unstack("county")
             .dropna(axis=1, how="all"))
    if is_flow(metric) and len(table) > 1 and (table.iloc[0].fillna(0.0) == 0).all():
        table = table.iloc[1:]
    return table


def values_in(cy: pd.DataFrame, year: int) -> dict[tuple[str, str], float]:
    """Every value of one year keyed by ``(metric, county)`` (the first row of each): one
    pass over the table instead of one filter of the whole table per cell of a figure."""
    sub = cy[cy["year"] == year].drop_duplicates(["metric", "county"])
    return dict(zip(zip(sub["metric"].tolist(), sub["county"].tolist(), strict=True),
                    sub["value"].astype(float).tolist(), strict=True))


def format_axis(ax, metric: str, *, axis: str = "y", lang: str = "en") -> None:
    """Percent for shares, thousands separators for counts, money in m (English) or
    万/亿 (Chinese)."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    unit = lbl.metric_label(metric).unit
    if unit == "share":
        target.set_major_formatter(PercentFormatter(1.0, decimals=0))
    elif unit == "yuan":
        target.set_major_formatter(CompactFormatter(money=True, lang=lang))
    elif unit in ("coefficient", "ratio"):
        target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.2f}".rstrip("0").rstrip(".")))
    else:
        target.set_major_formatter(CompactFormatter())
    if axis == "y":
        honest_range(ax, unit)


COUNT_UNITS = {"students", "children", "people", "teachers", "schools", "classes", "counties",
               "count", "yuan"}


def honest_range(ax, unit: str) -> None:
    """Counts and money start at zero when every value is positive (a bar or line that
    starts at 0 shows its true size); shares and probabilities stay within 0–100%, and an
    all-zero share gets a 0–10% axis instead of matplotlib's ±4%."""
    lo, hi = ax.dataLim.intervaly
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return
    if unit in COUNT_UNITS and lo >= 0:
        ax.set_ylim(0, max(ax.get_ylim()[1], 1.0))
    elif unit == "share" and lo >= 0:
        top = ax.get_ylim()[1]
        ax.set_ylim(0, min(max(top, 0.1), 1.05) if hi <= 1 else top)


class CompactFormatter(Formatter):
    """Tick labels like 12k, 1.5M or 16.2m (money, millions), with just enough decimals
    that every tick prints its exact value (so neighbours never print the same text)."""

    def __init__(self, money: bool = False, lang: str = "en"):
        self.money = money
        self.lang = lang

    def _scale(self, vmax: float) -> tuple[float, str]:
        if self.money and self.lang == "zh":  # 亿 = 10^8, 万 = 10^4 yuan
            return (1e8, "亿") if vmax >= 1e8 else (1e4, "万")
        if self.money:
            return 1e6, "m"
        if vmax >= 1e6:
            return 1e6, "M"
        if vmax >= 1e4:  # below 10k the full number (4,700) reads better than 4.70k
            return 1e3, "k"
        return 1.0, ""

    def format_ticks(self, values: list[float]) -> list[str]:
        """Tick labels in the axis's unit and language (亿元/万元 under zh)."""
        if not len(values):
            return []
        div, suffix = self._scale(max(abs(v) for v in values))
        scaled = [v / div for v in values]
        dec = next((d for d in range(4)
                    if all(abs(round(x, d) - x) < 1e-6 * max(1.0, abs(x)) for x in scaled)), 3)
        return [self._text(v, div, suffix, dec) for v in values]

    def __call__(self, x: float, pos: int | None = None) -> str:
        """One tick label (matplotlib's formatter protocol)."""
        div, suffix = self._scale(abs(x))
        return self._text(x, div, suffix, 1 if div > 1 else 0)

    @staticmethod
    def _text(v: float, div: float, suffix: str, dec: int) -> str:
        text = f"{v / div:,.{dec}f}"
        if v == 0:
            return "0"
        return text.replace("-", "\u2212") + suffix  # typographic minus, as matplotlib's


class YearLocator(MaxNLocator):
    """Integer ticks, at most 6, only inside the axis's range.

    Why: MaxNLocator also returns the ticks just beyond each end (2021 and 2028 on a
    2022–2027 axis), and matplotlib builds a tick (two marks, a grid line, two labels) for
    each before dropping it at drawing; on the report's 9-panel county grids that was a
    quarter of all ticks built. The ticks drawn are the same.
    """

    def __init__(self) -> None:
        super().__init__(integer=True, nbins=6)

    def __call__(self):
        """The ticks MaxNLocator chooses, less those outside the view."""
        locs = super().__call__()
        if self.axis is None:
            return locs
        lo, hi = sorted(self.axis.get_view_interval())
        pad = 1e-9 * max(1.0, abs(hi - lo))
        return [t for t in locs if lo - pad <= t <= hi + pad]


def year_axis(ax) -> None:
    """Integer years on the x axis; a single year gets a year either side, not the century
    matplotlib pads a zero-width range with."""
    ax.xaxis.set_major_locator(YearLocator())
    x0, x1 = ax.dataLim.intervalx
    if np.isfinite(x0) and np.isfinite(x1) and x1 - x0 < 1:
        ax.set_xlim(x0 - 1, x1 + 1)


def note(ax, text: str) -> None:
    """Grey centred text in an empty panel (e.g. a sub-metric that is missing)."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes,
            color="#777777", fontsize=8, wrap=True)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)


def missing_note(metric: str, lang: str) -> str:
    """The sentence a figure shows when a run has no values for ``metric``."""
    return f"缺少指标 {metric}" if lang == "zh" else f"metric {metric} missing"


_SUMMABLE_UNITS = {"students", "children", "people", "teachers", "schools", "classes", "yuan"}


def with_city_total(cy: pd.DataFrame, metrics: Iterable[str]) -> pd.DataFrame:
    """Add city rows (sum over counties) for count metrics that lack them.

    Runs normally carry ``全市`` rows; this keeps the city panel when a table does not.
    Rates and coefficients are not summed.
    """
    add = []
    for m in metrics:
        sub = cy[cy["metric"] == m]
        if not len(sub) or (sub["county"] == CITY).any():
            continue
        if lbl.metric_label(m).unit not in _SUMMABLE_UNITS:
            continue
        tot = sub.groupby("year", as_index=False)["value"].sum()
        tot["county"] = CITY
        tot["metric"] = m
        add.append(tot[["year", "county", "metric", "value"]])
    if not add:
        return cy
    return pd.concat([cy[["year", "county", "metric", "value"]], *add], ignore_index=True)


def tr(lang: str, zh: str, en: str) -> str:
    """Pick the Chinese or English text."""
    return zh if lang == "zh" else en


def legend_below(fig: Figure, handles: list, labels: list[str], ncol: int | None = None) -> None:
    """One legend for the whole figure, under the panels."""
    ncol = ncol or min(len(labels), 5)
    if fig.get_layout_engine() is None:  # a fixed layout keeps the bottom margin for it
        fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 0.0),
                   ncol=ncol, frameon=False)
        return
    fig.legend(handles, labels, loc="outside lower center", ncol=ncol, frameon=False)


COUNTY_COLOURS: dict[str, str] = dict(zip(COUNTIES, PALETTE, strict=True))


def series_colour(k: int, n: int = len(PALETTE)) -> str:
    """Colour of series ``k`` of ``n``: the colour-blind-safe palette for up to 8 series,
    then matplotlib's tab20, so 17 lever costs get 17 different colours, not 8 reused."""
    if n <= len(PALETTE):
        return PALETTE[k % len(PALETTE)]
    from matplotlib import colormaps

    return mpl.colors.to_hex(colormaps["tab20"](k % 20))
CITY_STYLE = {"color": "#333333", "linestyle": "--", "linewidth": 2.0}


def county_lines(ax, table: pd.DataFrame, lang: str, *, city: bool = True) -> None:
    """One line per county column of a year × county table, the city dashed."""
    for county in ordered_counties(table.columns, city=city):
        s = table[county].dropna()
        if county == CITY:
            ax.plot(s.index, s.to_numpy(), label=lbl.county(county, lang), **CITY_STYLE)
        else:
            ax.plot(s.index, s.to_numpy(), label=lbl.county(county, lang),
                    color=COUNTY_COLOURS.get(county), linewidth=1.4, marker="o", markersize=2.5)


def bars(ax, x, heights, *, width: float = 0.8, bottom=0.0, color: str,
         edgecolors=None, linewidths=0.0, label: str | None = None) -> PolyCollection:
    """Bars as one collection of rectangles: what ``ax.bar`` draws, but one artist per
    series instead of one per bar (the flows and coefficient grids have 100-150 bars, each
    a patch to build and draw). Bars start at ``bottom`` (0 by default), which stays the
    axis's end as with ``ax.bar``, so counts keep an axis from zero."""
    x = np.asarray(x, dtype=float)
    h = np.asarray(heights, dtype=float)
    b = np.broadcast_to(np.asarray(bottom, dtype=float), h.shape)
    x0, x1, y1 = x - width / 2, x + width / 2, b + h
    verts = np.stack([np.column_stack(p) for p in ((x0, b), (x0, y1), (x1, y1), (x1, b))],
                     axis=1)
    coll = PolyCollection(verts, facecolors=color, label=label,
                          edgecolors="none" if edgecolors is None else edgecolors,
                          linewidths=linewidths, joinstyle="miter")  # as a bar patch
    coll.sticky_edges.y[:] = np.unique(b).tolist()
    ax.add_collection(coll, autolim=True)
    ax.autoscale_view()
    return coll


class _Reused(threading.local):
    """Tables derived from an input table while ``reuse_derived`` is active (per thread)."""

    def __init__(self) -> None:
        self.depth = 0
        self.tables: dict[tuple, tuple[Any, Any]] = {}


_REUSED = _Reused()


@contextlib.contextmanager
def reuse_derived() -> Iterator[None]:
    """Within, ``with_derived`` and ``sim.plots.standards.scorecard_table`` compute once per
    input table (and year), however many figures, captions, summary lines and sheets ask.

    Why: the report asked for the derived shares 7 times and the scorecard 5 times, 15 ms
    each on the baseline (0.1 s of CPU). The input is recognised by identity, so this is
    only for callers that do not change their tables in place while it is active, as the
    report does not; outside it, every call computes afresh.
    """
    _REUSED.depth += 1
    try:
        yield
    finally:
        _REUSED.depth -= 1
        if not _REUSED.depth:
            _REUSED.tables.clear()


def reused[T](key: tuple, table: Any, make: Callable[[], T]) -> T:
    """``make()``, or what it returned before for ``key`` and the same ``table`` object when
    ``reuse_derived`` is active (the table is kept, so its identity is not reused)."""
    if not _REUSED.depth:
        return make()
    full = (*key, id(table))
    found = _REUSED.tables.get(full)
    if found is None or found[0] is not table:
        found = (table, make())
        _REUSED.tables[full] = found
    return found[1]


def with_derived(cy: pd.DataFrame) -> pd.DataFrame:
    """Add ``share_schools_passing_<level>`` where the run has only the counts.

    The evaluator reports ``n_schools_passing_<level>`` and ``n_schools_<level>`` (schools in
    the standard's scope); the share is what the standard asks to be 100%. Computed once per
    table inside ``reuse_derived``.
    """
    return reused(("with_derived",), cy, lambda: _with_derived(cy))


def _with_derived(cy: pd.DataFrame) -> pd.DataFrame:
    have = metrics_of(cy)
    add = []
    for lv in ("primary", "junior"):
        share, n_pass, n_all = (f"share_schools_passing_{lv}", f"n_schools_passing_{lv}",
                                f"n_schools_{lv}")
        if share in have or n_pass not in have or n_all not in have:
            continue
        key = ["year", "county"]
        a = cy[cy["metric"] == n_pass].groupby(key)["value"].mean()
        b = cy[cy["metric"] == n_all].groupby(key)["value"].mean()
        ratio = (a / b.where(b > 0)).dropna().rename("value").reset_index()
        ratio["metric"] = share
        add.append(ratio[["year", "county", "metric", "value"]])
    if not add:
        return cy
    return pd.concat([cy[["year", "county", "metric", "value"]], *add], ignore_index=True)
