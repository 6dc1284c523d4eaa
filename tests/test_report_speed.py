"""What keeps ``sim report`` fast (issue 14, "Faster"), tested by counting work, not seconds.

A report's time is matplotlib's Python overhead per artist and per draw, so the guards count
draws and ticks and check the settings that avoid repeated work; each would fail on the code
before the speed-up (a constrained figure drawn twice, the collector's default thresholds,
ticks beyond the axis built, the config schema imported).
"""

from __future__ import annotations

import ast
import io
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from PIL import Image

from sim.plots import freeze_layout, save_figure
from sim.plots.common import grid, legend_below, new_figure, style, year_axis
from sim.report.build import write_report
from tests import test_report_fixtures as fx


def count_calls(monkeypatch, owner, name: str) -> dict[str, int]:
    """Replace ``owner.name`` by a wrapper that counts its calls (``["n"]``) and calls it."""
    calls = {"n": 0}
    original = getattr(owner, name)

    def counted(*args, **kwargs):
        calls["n"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


@pytest.fixture()
def count_draws(monkeypatch):
    """Count every ``Figure.draw`` (savefig's hidden layout pre-draw included)."""
    return count_calls(monkeypatch, Figure, "draw")


def test_each_report_figure_is_drawn_once(tmp_path, count_draws):
    """Before, savefig drew every constrained-layout figure twice (once, without output, to
    lay it out): 20 draws for the baseline's 12 figures."""
    run = fx.write_run(tmp_path / "run")
    write_report(run, lang="zh", out=tmp_path / "out", formats=("png",))
    pngs = list((tmp_path / "out" / "figures").glob("*.png"))
    assert len(pngs) >= 8
    assert count_draws["n"] == len(pngs)


def same_pixels(path, reference) -> bool:
    """save_figure's PNG (RGB: the figures are opaque) shows what matplotlib's own savefig
    (RGBA) shows, pixel for pixel, and the reference is indeed opaque."""
    expected = np.asarray(Image.open(reference).convert("RGBA"))
    got = np.asarray(Image.open(path).convert("RGBA"))
    return (got.shape == expected.shape and bool((expected[..., 3] == 255).all())
            and np.array_equal(got, expected))


def test_figures_are_saved_as_opaque_rgb_pngs(tmp_path):
    """No alpha channel to encode: a quarter less PNG work and a smaller file."""
    path = save_figure(_constrained_figure(), tmp_path, "f", formats=("png",), dpi=60)["png"]
    image = Image.open(path)
    assert image.mode == "RGB"
    assert round(image.info["dpi"][0]) == 60


def _constrained_figure() -> Figure:
    with style("zh"):
        fig, axes = grid(3, ncols=3)
        for k, ax in enumerate(axes):
            ax.plot([2022, 2024, 2027], [k, 10_000 * k, 3], label=f"线 {k}")
            ax.set_title(f"第{k}个面板 panel {k}")
            year_axis(ax)
        handles, labels = axes[0].get_legend_handles_labels()
        legend_below(fig, handles, labels)
        fig.suptitle("标题 title")
        return fig


def _heatmap_with_colorbar() -> Figure:
    with style("zh"):
        fig = new_figure(5, 3)
        ax = fig.add_subplot()
        im = ax.imshow(np.arange(12.0).reshape(3, 4), cmap="RdYlGn")
        ax.set_yticks(range(3), ["清城区", "英德市", "连南"])
        fig.colorbar(im, ax=ax, shrink=0.8).set_label("余量 margin")
        fig.suptitle("记分卡")
        return fig


@pytest.mark.parametrize("make", [_constrained_figure, _heatmap_with_colorbar])
def test_laying_out_once_gives_the_same_pixels(tmp_path, make, count_draws):
    """save_figure's single layout pass draws what savefig's own two passes drew."""
    reference = io.BytesIO()
    make().savefig(reference, format="png", dpi=110)
    count_draws["n"] = 0
    fig = make()
    path = save_figure(fig, tmp_path, "f", formats=("png",), dpi=110)["png"]
    assert count_draws["n"] == 1
    assert fig.get_layout_engine() is None
    assert same_pixels(path, reference)


def test_freeze_layout_leaves_a_fixed_figure_alone():
    with style("en"):
        fig, _ = grid(4, fixed=True)
    before = [ax.get_position().bounds for ax in fig.axes]
    freeze_layout(fig, 150)
    assert [ax.get_position().bounds for ax in fig.axes] == before


def test_year_axis_builds_only_the_ticks_it_draws():
    """MaxNLocator alone returns 2021 and 2028 on a 2022–2027 axis, and matplotlib builds a
    tick object for each; the drawn years are the same."""
    with style("en"):
        fig = new_figure(4, 3)
        ax = fig.add_subplot()
        ax.plot(range(2022, 2028), range(6))
        year_axis(ax)
    fig.canvas.draw()
    lo, hi = ax.get_xlim()
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(y) for y in range(2022, 2028)]
    assert len(ax.xaxis.majorTicks) == 6
    assert all(lo <= t <= hi for t in ax.get_xticks())


def test_fewer_collections_restores_the_collector():
    """Inside: automatic collection off and the objects that exist frozen; after: the
    collector on again with its thresholds and nothing left frozen, and no collection over
    everything made inside (in a fresh interpreter, so no other test interferes)."""
    code = (
        "import gc\n"
        "from sim.cli.report import fewer_collections\n"
        "before = gc.get_threshold()\n"
        "examined = [0]\n"
        "def seen(phase, info):\n"
        "    if phase == 'start':\n"
        "        gen = info['generation']\n"
        "        n = sum(len(gc.get_objects(g)) for g in range(gen + 1))\n"
        "        examined[0] = max(examined[0], n)\n"
        "with fewer_collections():\n"
        "    inside = (gc.isenabled(), gc.get_freeze_count() > 0)\n"
        "    made = [[k] for k in range(200_000)]\n"
        "    gc.callbacks.append(seen)\n"
        "more = [[k] for k in range(5_000)]\n"
        "print((inside, gc.isenabled(), gc.get_threshold() == before, gc.get_freeze_count(),\n"
        "       examined[0] < 50_000))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # and, once it is back on, no collection goes over the 200,000 objects made inside (one
    # did, at the end of every report: 0.17 s of CPU)
    assert ast.literal_eval(out.stdout.strip().splitlines()[-1]) == ((False, True), True, True, 0,
                                                                     True)


def test_with_the_collector_off_figures_are_collected_only_in_bulk(tmp_path, monkeypatch):
    """sim report turns automatic collection off; render then leaves each figure's cycles
    for later and collects only once COLLECT_AFTER objects have piled up: never for a
    small report (a collection per figure cost 0.13-0.2 s of the baseline's), once per
    figure when the bound is tiny."""
    import gc

    from sim.report import build

    run = fx.write_run(tmp_path / "run")
    calls = count_calls(monkeypatch, gc, "collect")
    write_report(run, lang="en", out=tmp_path / "on", formats=("png",))
    assert calls["n"] == 0
    gc.disable()
    try:
        write_report(run, lang="en", out=tmp_path / "off", formats=("png",))
        assert calls["n"] == 0
        monkeypatch.setattr(build, "COLLECT_AFTER", 0)
        write_report(run, lang="en", out=tmp_path / "tiny", formats=("png",))
    finally:
        gc.enable()
    n_figures = len(list((tmp_path / "tiny" / "figures").glob("*.png")))
    assert n_figures >= 8
    assert n_figures <= calls["n"] <= n_figures + 2  # figures replaced by a line count too


def test_a_saved_figure_frees_its_pixels_and_draws_again_the_same(tmp_path):
    """The pixel buffer (4 bytes a pixel) is freed once the files are written, so figures
    waiting for a collection hold little memory; a later draw makes a new one."""
    fig = _constrained_figure()
    path = save_figure(fig, tmp_path, "f", formats=("png",), dpi=72)["png"]
    renderer = fig.canvas.renderer
    assert np.asarray(renderer.buffer_rgba()).size <= 4
    fig.set_dpi(72)
    fig.canvas.draw()
    assert fig.canvas.renderer is not renderer
    drawn = np.asarray(fig.canvas.buffer_rgba())[..., :3]
    assert np.array_equal(np.asarray(Image.open(path)), drawn)


def test_the_report_does_not_import_the_config_schema():
    """Plots take county names from sim.core.names; sim.config (pydantic models) is the
    run's business."""
    code = "import sys, sim.report.build, sim.cli.report\nprint('sim.config' in sys.modules)\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert ast.literal_eval(out.stdout.strip().splitlines()[-1]) is False


def test_python_m_sim_report_ends_at_once_with_its_files_whole(tmp_path):
    """`python -m sim report` skips the interpreter's teardown (os._exit) only after its
    files are closed and its output flushed; an input error still exits 2 with its line."""
    run = fx.write_run(tmp_path / "run")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE")}
    done = subprocess.run([sys.executable, "-m", "sim", "report", str(run), "--lang", "zh",
                           "--no-pdf", "--dpi", "60"], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("wrote report.html, report.xlsx")
    assert (run / "report.html").read_text(encoding="utf-8").rstrip().endswith("</html>")
    assert len(pd.read_excel(run / "report.xlsx", sheet_name=None)) >= 3
    bad = subprocess.run([sys.executable, "-m", "sim", "report", str(tmp_path / "nothing")],
                         capture_output=True, text=True, env=env)
    assert bad.returncode == 2
    assert bad.stderr.startswith("error:") and "nothing" in bad.stderr


def _panel_with_default_ticks() -> Figure:
    with style("zh"):
        fig, axes = grid(2, ncols=2, fixed=True)
        for k, ax in enumerate(axes):
            ax.plot([2022, 2027], [0, 1_430 * (k + 1)])
            ax.set_ylim(0, 1_480 * (k + 1))
        return fig


def test_every_axis_builds_only_the_ticks_it_draws(tmp_path):
    """matplotlib's default locator also returns the ticks beyond each end (−250 and 1,500
    on a 0–1,480 axis) and builds a full tick for each; saved through save_figure, each axis
    builds only the ticks inside its view, and the pixels are those of a plain savefig."""
    reference = io.BytesIO()
    plain = _panel_with_default_ticks()
    plain.savefig(reference, format="png", dpi=80)
    built_plain = sum(len(ax.yaxis.majorTicks) for ax in plain.axes)
    fig = _panel_with_default_ticks()
    path = save_figure(fig, tmp_path, "f", formats=("png",), dpi=80)["png"]
    inside = 0
    for ax in fig.axes:
        lo, hi = ax.get_ylim()
        drawn = [t for t in ax.get_yticks() if lo <= t <= hi]
        assert len(ax.yaxis.majorTicks) == len(drawn)
        inside += len(drawn)
    assert built_plain > inside  # the guard would fail on the code before
    assert same_pixels(path, reference)


def test_an_axis_without_a_label_is_not_placed_at_each_draw(tmp_path, monkeypatch):
    """Placing an axis label recomputes the axis's ticks and measures its tick labels; on
    the report's panels the labels are empty, so a saved figure updates each axis's ticks
    once (to draw them), and the pixels stay those of a plain savefig."""
    from matplotlib.axis import Axis

    fig = _panel_with_default_ticks()
    fig.axes[0].set_ylabel("学生 students")  # a real label is still placed
    calls = count_calls(monkeypatch, Axis, "_update_ticks")
    path = save_figure(fig, tmp_path, "f", formats=("png",), dpi=80)["png"]
    monkeypatch.undo()
    n_axes = 2 * len(fig.axes)
    assert calls["n"] <= n_axes + 3  # one per axis, a few more to place the one y label
    assert fig.axes[0].yaxis.label.get_window_extent().width > 0
    expected = _panel_with_default_ticks()
    expected.axes[0].set_ylabel("学生 students")
    buf = io.BytesIO()
    expected.savefig(buf, format="png", dpi=80)
    assert same_pixels(path, buf)


def test_only_the_map_is_laid_out_by_matplotlib(tmp_path, monkeypatch):
    """Constrained layout measures every text of a figure twice more; the county grids, the
    plan targets, the difference coefficients, the pass shares, demography, counties
    passing, teacher shortages and the scorecard have fixed margins, leaving it to the
    map (its legend beside)."""
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    run = fx.write_run(tmp_path / "run")
    laid_out = []
    original = ConstrainedLayoutEngine.execute

    def counted(self, fig):
        laid_out.append(fig._suptitle.get_text() if fig._suptitle else "")
        return original(self, fig)

    monkeypatch.setattr(ConstrainedLayoutEngine, "execute", counted)
    write_report(run, lang="en", out=tmp_path / "out", formats=("png",))
    assert len(list((tmp_path / "out" / "figures").glob("*.png"))) >= 8
    assert len(laid_out) <= 1, laid_out


def test_stacked_panels_are_one_collection_each(tmp_path):
    """Students by stage stacks five layers per panel in one collection of polygons, not
    stackplot's five fill_between collections; the stacks still sum to each year's total."""
    from sim.plots import enrolment_by_stage

    run = fx.write_run(tmp_path / "run")
    cy = pd.read_parquet(run / "county_year.parquet")
    fig = enrolment_by_stage(cy, lang="en")
    assert all(len(ax.collections) == 1 for ax in fig.axes)
    from sim.plots.common import ordered_counties

    students = cy[cy["metric"].str.match(r"^n_students_[a-z_]+$")
                  & ~cy["metric"].str.endswith(("_urban", "_town", "_village"))]
    first = ordered_counties(students["county"].unique())[0]
    totals = students[students["county"] == first].groupby("year")["value"].sum()
    top = fig.axes[0].collections[0].get_paths()[-1].vertices[:, 1].max()
    assert top == pytest.approx(totals.max())


def _text_heavy_figure(canvas_class) -> Figure:
    """Two panels repeating the same strings (years, county names, values) in Chinese and
    English, rotated labels included, drawn on ``canvas_class``."""
    with style("zh"):
        fig = Figure(figsize=(5, 3))
        canvas_class(fig)
        for k in range(2):
            ax = fig.add_subplot(1, 2, k + 1)
            ax.plot([2022, 2027], [0, 1_000 * (k + 1)])
            ax.set_xticks([2022, 2024, 2026], ["2022", "2024", "2026"], rotation=60, ha="right")
            for j, name in enumerate(["清城区", "英德市", "连南 Liannan", "1,234×"]):
                ax.text(2022.3 + j * 0.1, 200 * j + 17.3 * k, name, fontsize=6.5 + k)
            ax.set_title(f"第{k}个面板 panel {k}")
        fig.suptitle("标题 title")
        return fig


def test_text_is_laid_out_and_rasterised_once_with_the_same_pixels():
    """The report's canvas reuses each string's layout and extent and each glyph's image
    (sim.plots.agg): a figure drawn again computes nothing new, and every pixel is what
    matplotlib's own Agg canvas draws."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from sim.plots import agg

    if not agg.FAST_TEXT:
        pytest.skip("this matplotlib's Agg renderer lacks the calls the cache reproduces")
    agg.clear_caches()
    plain = _text_heavy_figure(FigureCanvasAgg)
    plain.canvas.draw()
    expected = np.asarray(plain.canvas.buffer_rgba()).copy()
    fig = _text_heavy_figure(agg.CachingCanvasAgg)
    fig.canvas.draw()
    assert np.array_equal(np.asarray(fig.canvas.buffer_rgba()), expected)
    first = agg.cache_stats()
    assert first["layouts"] > 0 and first["glyphs"] > 0 and first["heights"] > 0
    again = _text_heavy_figure(agg.CachingCanvasAgg)
    tables = {"n": 0}
    original = agg.CachingRendererAgg._get_font_height_metrics

    def counted(self, prop):
        tables["n"] += 1
        return original(self, prop)

    agg.CachingRendererAgg._get_font_height_metrics = counted
    try:
        again.canvas.draw()
    finally:
        agg.CachingRendererAgg._get_font_height_metrics = original
    assert tables["n"] > 0  # matplotlib asks the renderer for the font's heights...
    assert agg.cache_stats() == first  # ...and nothing is laid out, measured or read twice
    assert np.array_equal(np.asarray(again.canvas.buffer_rgba()), expected)
    moved = _text_heavy_figure(agg.CachingCanvasAgg)
    moved.set_dpi(113)  # other sizes in pixels: new layouts and glyph images
    moved.canvas.draw()
    assert agg.cache_stats()["glyphs"] > first["glyphs"]
    plain.set_dpi(113)
    plain.canvas.draw()
    assert np.array_equal(np.asarray(moved.canvas.buffer_rgba()),
                          np.asarray(plain.canvas.buffer_rgba()))


def test_report_figures_draw_text_through_the_caching_canvas(tmp_path, monkeypatch):
    """Every figure of a report is made on the caching canvas, and a second report in the
    same process lays out no string and rasterises no glyph anew."""
    from sim.plots import agg

    if not agg.FAST_TEXT:
        pytest.skip("this matplotlib's Agg renderer lacks the calls the cache reproduces")
    run = fx.write_run(tmp_path / "run")
    canvases = []
    original = agg.CachingCanvasAgg.get_renderer

    def seen(self):
        canvases.append(type(self))
        return original(self)

    write_report(run, lang="zh", out=tmp_path / "a", formats=("png",))
    first = agg.cache_stats()
    monkeypatch.setattr(agg.CachingCanvasAgg, "get_renderer", seen)
    write_report(run, lang="zh", out=tmp_path / "b", formats=("png",))
    n_figures = len(list((tmp_path / "b" / "figures").glob("*.png")))
    assert n_figures >= 8 and len(canvases) >= n_figures
    assert agg.cache_stats() == first


def test_png_files_are_written_without_pillows_row_filtering(tmp_path, monkeypatch):
    """Pillow's PNG encoder tries five filters on every row (0.3 s for a report's figures);
    save_figure writes unfiltered rows through zlib instead, and the file reads back, through
    Pillow, as the very pixels drawn, at the resolution asked."""
    from PIL import PngImagePlugin

    from sim.plots import rgb_png

    calls = count_calls(monkeypatch, PngImagePlugin, "_save")
    fig = _constrained_figure()
    path = save_figure(fig, tmp_path, "f", formats=("png",), dpi=72)["png"]
    assert calls["n"] == 0
    fig.set_dpi(72)
    fig.canvas.draw()
    drawn = np.asarray(fig.canvas.buffer_rgba())[..., :3]
    image = Image.open(path)
    assert image.mode == "RGB" and round(image.info["dpi"][0]) == 72
    assert np.array_equal(np.asarray(image), drawn)
    noise = np.random.default_rng(1).integers(0, 256, (7, 5, 4), dtype=np.uint8)
    back = Image.open(io.BytesIO(rgb_png(noise, 300)))
    back.load()
    assert np.array_equal(np.asarray(back), noise[..., :3])
    assert round(back.info["dpi"][0]) == 300


def test_the_report_derives_shares_and_scores_each_table_once(tmp_path, monkeypatch):
    """Figures, captions, summary and workbook asked for the derived shares 7 times and the
    scorecard 5 times (15 ms each on the baseline); within a report each is computed once
    per table (the scorecard once per way of naming its year), and outside a report every
    call computes afresh."""
    from sim.plots import common, standards

    run = fx.write_run(tmp_path / "run")
    derived = count_calls(monkeypatch, common, "_with_derived")
    scorecard = count_calls(monkeypatch, standards, "_scorecard_table")
    write_report(run, lang="zh", out=tmp_path / "out", formats=("png",), xlsx=True)
    assert derived["n"] == 1
    assert 1 <= scorecard["n"] <= 2  # scorecard_table(cy) and (cy, plan year)
    cy = pd.read_parquet(run / "county_year.parquet")
    derived["n"] = scorecard["n"] = 0
    standards.scorecard_table(cy)
    standards.scorecard_table(cy)
    assert (derived["n"], scorecard["n"]) == (2, 2)


def test_sim_report_skips_matplotlibs_set_docstrings_and_set_still_works():
    """matplotlib writes a docstring and signature for every artist class's set() at import
    (5% of a report's CPU, for help() and IDEs); sim report's process skips that, set()
    behaves the same, and nothing changes once matplotlib's artists exist."""
    code = (
        "from sim.cli.report import skip_artist_docs\n"
        "first = skip_artist_docs()\n"
        "from matplotlib.lines import Line2D\n"
        "line = Line2D([0, 1], [0, 1])\n"
        "line.set(color='red', linewidth=3)\n"
        "print((first, skip_artist_docs(), Line2D.set.__doc__ is None, line.get_color(),\n"
        "       line.get_linewidth()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert ast.literal_eval(out.stdout.strip().splitlines()[-1]) == (True, False, True, "red",
                                                                     3.0)
