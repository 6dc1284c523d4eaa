"""Figures of runs and experiments (matplotlib). Never imported by the model.

Every function takes tidy DataFrames and a language (``"en"`` or ``"zh"``) and returns a
``matplotlib.figure.Figure``; none calls ``show()``. A figure whose input metric is absent
raises ``MissingMetricError`` so callers can say so instead of crashing.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.ticker import FixedLocator, Locator, NullLocator

from sim.plots.common import MissingMetricError
from sim.plots.demography import demography_figure
from sim.plots.enrolment import enrolment_by_stage, enrolment_by_tier
from sim.plots.scenarios import (
    cost_attainment_figure,
    difference_figure,
    lever_cost_figure,
    scenario_bands_figure,
)
from sim.plots.sensitivity import prim_figure, sensitivity_figure
from sim.plots.standards import cv_figure, school_pass_share_figure, scorecard_heatmap
from sim.plots.targets import (
    counties_passing_figure,
    target_probability_figure,
    targets_by_scenario_figure,
    targets_figure,
)
from sim.plots.teachers import teacher_flows_figure, teacher_shortage_figure, teacher_stock_figure

__all__ = [
    "MissingMetricError",
    "cost_attainment_figure",
    "counties_passing_figure",
    "cv_figure",
    "demography_figure",
    "difference_figure",
    "enrolment_by_stage",
    "enrolment_by_tier",
    "lever_cost_figure",
    "prim_figure",
    "rgb_png",
    "save_figure",
    "scenario_bands_figure",
    "school_pass_share_figure",
    "scorecard_heatmap",
    "sensitivity_figure",
    "target_probability_figure",
    "targets_by_scenario_figure",
    "targets_figure",
    "teacher_flows_figure",
    "teacher_shortage_figure",
    "teacher_stock_figure",
]


# zlib level for PNGs: 1 instead of Pillow's 6 makes encoding several times faster for files
# about 25% larger (measured on the baseline report's figures); see also ``rgb_png``
PNG_COMPRESSION = 1


def save_figure(fig, directory: str | Path, name: str, *,
                formats: tuple[str, ...] = ("png", "svg"), dpi: int = 150) -> dict[str, Path]:
    """Write ``fig`` as ``directory/name.<fmt>`` for each format; returns the paths.

    PNG for the report and slides, SVG for publication (text drawn as paths, so it needs
    no font on the reader's machine).
    """
    import matplotlib as mpl

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    trim_ticks(fig)
    pin_empty_labels(fig)
    freeze_layout(fig, dpi)
    out = {}
    # a fixed salt keeps SVG element ids stable, so the same run gives the same files
    with mpl.rc_context({"svg.hashsalt": "qingyuan-edu-sim"}):
        for fmt in formats:
            path = directory / f"{name}.{fmt}"
            if fmt == "png" and _opaque(fig):
                _save_rgb_png(fig, path, dpi)
            else:
                extra = {"pil_kwargs": {"compress_level": PNG_COMPRESSION}} if fmt == "png" \
                    else {}
                fig.savefig(path, format=fmt, dpi=dpi, metadata=_metadata(fmt), **extra)
            out[fmt] = path
    release = getattr(fig.canvas, "release", None)
    if release is not None:  # the pixels are in the files: free them now (sim.plots.agg)
        release()
    return out


def _opaque(fig) -> bool:
    """The figure's background is opaque (every figure here is white), so its PNG needs no
    alpha channel."""
    import matplotlib as mpl

    face = mpl.colors.to_rgba(fig.get_facecolor())
    return face[3] == 1.0 and mpl.rcParams["savefig.facecolor"] == "auto" \
        and not mpl.rcParams["savefig.transparent"]


def _save_rgb_png(fig, path: Path, dpi: float) -> None:
    """Draw ``fig`` once at ``dpi`` and write its pixels as an RGB PNG (``rgb_png``).

    Why: savefig writes RGBA, and an opaque figure does not need the alpha channel: a
    quarter less to encode and a smaller file, with the same colours in every pixel (tested).
    """
    import numpy as np

    shown = fig.get_dpi()
    fig.set_dpi(dpi)
    try:
        fig.canvas.draw()
        png = rgb_png(np.asarray(fig.canvas.buffer_rgba()), dpi)
    finally:
        fig.set_dpi(shown)
    path.write_bytes(png)


def rgb_png(rgba, dpi: float) -> bytes:
    """The RGB channels of an ``height × width × 4`` uint8 array as a PNG file's bytes, with
    its resolution (``pHYs``) and no other metadata.

    Why not Pillow: its PNG encoder chooses a filter for every row by trying each of the
    five, which cost about 25 ms a figure even at zlib level 1 (0.32 s for the report's 12);
    rows stored unfiltered and compressed by zlib at ``PNG_COMPRESSION`` take a third of
    that, for files about 12% larger (plain figures: long runs of one colour). The image is
    the same (tested: Pillow reads back every pixel).
    """
    import struct
    import zlib

    import numpy as np

    rgba = np.ascontiguousarray(rgba, dtype=np.uint8)
    height, width = rgba.shape[:2]
    stride = 1 + 3 * width
    rows = np.empty((height, stride), dtype=np.uint8)
    rows[:, 0] = 0  # filter type 0 (None) at the start of every row
    # each pixel's first 3 bytes as one 3-byte item: a third of the work of copying the
    # channels byte by byte (rows[:, 1:].reshape(height, width, 3)[...] = rgba[..., :3])
    pixels = np.ndarray((height, width), dtype="V3", buffer=rows, offset=1, strides=(stride, 3))
    pixels[...] = np.ndarray((height, width), dtype="V3", buffer=rgba, strides=(4 * width, 4))
    packer = zlib.compressobj(PNG_COMPRESSION)
    data = packer.compress(rows) + packer.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    per_metre = int(dpi / 0.0254 + 0.5)  # as Pillow writes dpi
    return b"".join((
        b"\x89PNG\r\n\x1a\n",
        chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),  # 8-bit RGB
        chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),  # 1: per metre
        chunk(b"IDAT", data),
        chunk(b"IEND", b""),
    ))


class InView(Locator):
    """The ticks of another locator that fall inside the axis's view.

    Why: matplotlib's default locators also return the ticks just beyond each end of the
    axis (−250 and 1,500 on a 0–1,400 axis), and matplotlib builds a full tick for each (two
    marks, a grid line, two labels, most of a panel's drawing cost) before dropping it at
    drawing: about a fifth of the report's ticks. The ticks drawn are the same.
    """

    def __init__(self, base: Locator):
        self.base = base

    def set_axis(self, axis) -> None:
        """Attach both this locator and the one it filters to ``axis``."""
        super().set_axis(axis)
        self.base.set_axis(axis)

    def __call__(self):
        """The wrapped locator's ticks within the view (matplotlib's own closeness test)."""
        locs = self.base()
        if self.axis is None:
            return locs
        lo, hi = sorted(self.axis.get_view_interval())
        pad = 1e-10 * max(abs(hi - lo), 1e-300)  # as matplotlib's _interval_contains_close
        return [t for t in locs if lo - pad <= t <= hi + pad]

    def tick_values(self, vmin, vmax):
        """The wrapped locator's values (used by colorbars and autoscaling)."""
        return self.base.tick_values(vmin, vmax)

    def view_limits(self, vmin, vmax):
        """Autoscaling (``axes.autolimit_mode``) is the wrapped locator's."""
        return self.base.view_limits(vmin, vmax)


def trim_ticks(fig) -> None:
    """Make every axis of ``fig`` build only the major ticks it draws (see ``InView``).

    Done just before saving, when limits are final, so a figure function never has to think
    about it; shared axes share their locator, so each is wrapped once.
    """
    for ax in fig.axes:
        if getattr(ax, "_colorbar", None) is not None:
            continue  # a colorbar places its own ticks
        for axis in (ax.xaxis, ax.yaxis):
            loc = axis.get_major_locator()
            if isinstance(loc, InView | FixedLocator | NullLocator):
                continue  # fixed ticks (categories, set_xticks) are all meant to be drawn
            default = axis.isDefault_majloc
            axis.set_major_locator(InView(loc))
            axis.isDefault_majloc = default


def pin_empty_labels(fig) -> None:
    """Fix where every axis with no label would put it, so drawing skips placing it.

    Why: to place an axis label clear of the tick labels, matplotlib recomputes the axis's
    ticks (locator and formatter) and measures every tick label at each draw, even when the
    label is empty, as it is on almost every panel of these figures, and constrained layout
    does it twice more per panel. An empty label draws nothing wherever it is, and pinned on
    the axes' own edge it adds nothing to the layout: the baseline figures' pixels are the
    same (tested).
    """
    for ax in fig.axes:
        if not ax.xaxis.label.get_text():
            ax.xaxis.set_label_coords(0.5, 0.0)  # on the bottom spine, inside the axes' box
        if not ax.yaxis.label.get_text():
            ax.yaxis.set_label_coords(0.0, 0.5)


def freeze_layout(fig, dpi: float) -> None:
    """Run the figure's layout engine once, at the resolution it is saved at, then fix the
    positions it found.

    Why: with a layout engine, ``savefig`` draws the whole figure once without output to
    place the axes and again to write it, and each draw runs the engine (which measures
    every text) again: two draws and four layout passes per file. Laying out once and
    saving with the engine removed gives the same pixels (tested) with one draw, which cut
    the report's drawing time by about a fifth (measured on the baseline report).
    """
    import matplotlib as mpl

    engine = fig.get_layout_engine()
    if engine is None or not hasattr(engine, "execute") or not fig.axes:
        return
    shown = fig.get_dpi()
    fig.set_dpi(dpi)
    try:
        engine.execute(fig)
    finally:
        fig.set_dpi(shown)
    # no engine at all ("none" would leave a placeholder engine, and savefig pre-draws any
    # figure that has one); None means no engine only while these two settings are off
    with mpl.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
        fig.set_layout_engine(None)


def _metadata(fmt: str) -> dict[str, str | None]:
    """Drop timestamps so the same run gives byte-identical figure files."""
    if fmt == "png":
        return {"Software": None}
    if fmt == "svg":
        return {"Date": None}
    return {}
