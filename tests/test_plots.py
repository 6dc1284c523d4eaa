"""Figure functions: expected panels, series, labels and numbers; graceful absence; glyphs."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

import sim.plots as plots
from sim.plots import fonts
from sim.plots import labels as lbl
from sim.plots.common import FAIL_COLOUR, MissingMetricError, style
from sim.plots.standards import binding_criteria, scorecard_table
from sim.plots.targets import counties_passing
from sim.plots.teachers import shortage_by_tier
from tests import test_report_fixtures as fx

CITY = "全市"


@pytest.fixture(scope="module")
def cy() -> pd.DataFrame:
    return fx.county_year(levers=("teacher_rotation", "boarding_expansion"))


@pytest.fixture(scope="module")
def exp(tmp_path_factory):
    from sim.report.load import load

    return load(fx.write_experiment(tmp_path_factory.mktemp("exp")))


def titles(fig: Figure) -> list[str]:
    return [ax.get_title() for ax in fig.axes if ax.get_title()]


def legend_texts(fig: Figure) -> list[str]:
    return [t.get_text() for leg in fig.legends for t in leg.get_texts()]


def bars(ax) -> list[Rectangle]:
    """Every bar of a panel as a Rectangle: bar patches, and the rectangles of the bar
    collections that sim.plots.common.bars draws (with their own edge colour and width)."""
    out = [p for p in ax.patches if isinstance(p, Rectangle)]
    for coll in ax.collections:
        if not isinstance(coll, PolyCollection):
            continue
        paths = coll.get_paths()
        edge = coll.get_edgecolor() if len(coll.get_edgecolor()) else np.zeros((1, 4))
        edges = np.broadcast_to(edge, (len(paths), 4))
        widths = np.broadcast_to(coll.get_linewidth(), (len(paths),))
        for path, ec, lw in zip(paths, edges, widths, strict=True):
            x0, x1 = path.vertices[:4, 0].min(), path.vertices[:4, 0].max()
            if len(path.vertices) < 4 or not np.allclose(sorted(set(path.vertices[:4, 0])),
                                                         sorted({x0, x1})):
                break  # not a bar collection (a stacked area)
            bottom = path.vertices[0, 1]
            out.append(Rectangle((x0, bottom), x1 - x0, path.vertices[1, 1] - bottom,
                                 edgecolor=tuple(ec), linewidth=float(lw)))
    return out


# --- per-county figures -----------------------------------------------------------------


def test_enrolment_by_stage_panels_per_county_and_city(cy):
    fig = plots.enrolment_by_stage(cy)
    assert isinstance(fig, Figure)
    assert titles(fig) == ["Qingcheng", "Liannan", "City total"]
    for ax in fig.axes:  # the five stages, one polygon each, in one collection
        (coll,) = [c for c in ax.collections if isinstance(c, PolyCollection)]
        assert len(coll.get_paths()) == 5
    assert legend_texts(fig) == ["preschool", "primary", "junior secondary", "general senior",
                                 "vocational"]
    # the top of the city stack is the city's total over the five stages
    city_ax = fig.axes[2]
    top = city_ax.collections[-1].get_paths()[-1].vertices[:, 1].max()
    want = cy[(cy["county"] == CITY) & cy["metric"].isin(
        [f"n_students_{s}" for s in fx.STAGES])].groupby("year")["value"].sum().max()
    assert top == pytest.approx(want)


def test_enrolment_by_tier_stacks_three_tiers(cy):
    fig = plots.enrolment_by_tier(cy)
    assert legend_texts(fig) == ["urban (county seat)", "town", "village"]
    assert len(fig.axes) == 3  # city computed from counties when the tier metrics lack it
    assert all(len(ax.collections) == 1 and len(ax.collections[0].get_paths()) == 3
               for ax in fig.axes)  # three tiers, one polygon each, in one collection


def test_demography_panels_and_lines(cy):
    fig = plots.demography_figure(cy)
    births, urban, migration = fig.axes
    assert births.get_title() == "births (people)"
    assert len(births.get_lines()) == 2  # counties only: the city total would dwarf them
    assert [ln.get_label() for ln in urban.get_lines()] == ["Qingcheng", "Liannan", "City total"]
    assert urban.get_lines()[-1].get_linestyle() == "--"
    assert len(migration.get_lines()) == 3  # two counties and the zero line


def test_demography_notes_missing_panel(cy):
    fig = plots.demography_figure(cy[cy["metric"] != "urbanisation_rate"])
    texts = [t.get_text() for t in fig.axes[1].texts]
    assert texts == ["metric urbanisation_rate missing"]


def test_teacher_stock_draws_need_when_vacancies_known(cy):
    fig = plots.teacher_stock_figure(cy)
    ax = fig.axes[0]
    stock, need = ax.get_lines()
    assert stock.get_label() == "teachers in post"
    assert need.get_label() == "in post + unfilled posts"
    q = cy[(cy["county"] == "清城区")]
    want = (q[q["metric"] == "n_teachers"]["value"].to_numpy()
            + q[q["metric"] == "n_vacancies"]["value"].to_numpy())
    np.testing.assert_allclose(need.get_ydata(), want)
    fig2 = plots.teacher_stock_figure(cy[cy["metric"] != "n_vacancies"])
    assert len(fig2.axes[0].get_lines()) == 1
    assert "no staffing data: no need line" in fig2.get_suptitle()


def test_teacher_flows_hires_up_exits_down(cy):
    fig = plots.teacher_flows_figure(cy)
    ax = fig.axes[0]
    heights = {label: [] for label in ("hires", "retirements", "attrition")}
    for container in ax.containers:
        heights[container.get_label()] += [b.get_height() for b in container]
    assert all(h > 0 for h in heights["hires"])
    assert all(h < 0 for h in heights["retirements"] + heights["attrition"])
    assert legend_texts(fig) == ["hires", "retirements", "attrition"]


def test_shortage_by_tier_counts_what_each_school_lacks():
    sy = pd.DataFrame({
        "year": 2027, "county": "连南瑶族自治县",
        "tier": ["village", "village", "urban", "village"],
        "level": ["primary", "primary", "junior", "primary"],
        "students": [200, 100, 500, 30], "backbone_teachers": [1, 5, 2, 0],
        "pe_art_teachers": [0, 0, 10, 0], "teaching_point": [False, False, False, True],
    })
    s = shortage_by_tier(sy).set_index(["tier", "column"])["shortage"]
    # 200 pupils need 2.0 backbone (has 1); the 100-pupil school's surplus does not offset it;
    # the teaching point under 50 pupils is out of scope
    assert s[("village", "backbone_teachers")] == pytest.approx(1.0)
    assert s[("village", "pe_art_teachers")] == pytest.approx(0.9 * 3)
    assert s[("urban", "backbone_teachers")] == pytest.approx(3.0)
    assert s[("urban", "pe_art_teachers")] == pytest.approx(0.0)


def test_teacher_shortage_figure(tmp_path):
    fig = plots.teacher_shortage_figure(fx.school_year())
    assert len(fig.axes) == 2
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["Qingcheng", "Liannan"]
    assert legend_texts(fig) == ["urban (county seat)", "town", "village"]
    assert len(bars(fig.axes[0])) == 2 * 3


# --- standards --------------------------------------------------------------------------


def test_cv_figure_bars_lines_and_failures(cy):
    fig = plots.cv_figure(cy)
    assert titles(fig) == ["Qingcheng", "Liannan"]
    for ax, county in zip(fig.axes, ["清城区", "连南瑶族自治县"], strict=True):
        rects = bars(ax)
        assert len(rects) == 14
        assert sorted(round(ln.get_ydata()[0], 2) for ln in ax.get_lines()) == [0.45, 0.5]
        year = cy["year"].max()
        sub = cy[(cy["county"] == county) & (cy["year"] == year)
                 & cy["metric"].str.startswith("cv_")]
        n_fail = sum(
            (r.value > (0.5 if r.metric.endswith("primary") else 0.45))
            for r in sub.itertuples()
        )
        red = sum(to_hex(r.get_edgecolor()) == FAIL_COLOUR and r.get_linewidth() > 0
                  for r in rects)
        assert red == n_fail > 0
        ticks = [t.get_text() for t in ax.get_xticklabels()]
        assert ticks[1] == "backbone"


def test_school_pass_share_has_standard_line(cy):
    fig = plots.school_pass_share_figure(cy)
    assert len(fig.axes) == 2
    assert "standard: every school" in legend_texts(fig)


def test_scorecard_table_margins_and_binding(cy):
    table = scorecard_table(cy, 2027)
    row = table[(table["county"] == "连南瑶族自治县")
                & (table["metric"] == "cv_multimedia_primary")].iloc[0]
    assert not row["passes"]
    assert row["margin"] == pytest.approx((0.5 - row["value"]) / 0.5)
    bind = binding_criteria(cy, 2027, k=2)
    assert len(bind["连南瑶族自治县"]) == 2
    margins = [r["margin"] for r in bind["连南瑶族自治县"]]
    assert margins == sorted(margins) and margins[0] < 0


def test_scorecard_heatmap_cells(cy):
    fig = plots.scorecard_heatmap(cy, year=2027)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Qingcheng", "Liannan"]
    table = scorecard_table(cy, 2027)
    n_crit = table["metric"].nunique()
    assert len(ax.get_xticklabels()) == n_crit + 2  # criteria + the two overall flags
    crosses = sum(t.get_text().endswith("×") for t in ax.texts)
    assert crosses == int((~table["passes"]).sum())
    assert "2027" in fig.get_suptitle()


# --- targets and scenarios --------------------------------------------------------------


def test_targets_figure(cy):
    t = fx.targets()
    fig = plots.targets_figure(t)
    # the unmeasured target (its metric is missing) gets no panel of misleading zeros
    assert [t.replace("\n", " ") for t in titles(fig)] == [
        "counties passing the compulsory standard ≥3 by 2027",
        "counties passing the preschool standard ≥2 by 2027"]
    ax = fig.axes[1]
    filled = ax.collections[0].get_offsets()
    assert len(filled) == int(t[t["target"] == "counties_preschool"]["met"].sum())


def test_counties_passing_counts_flags(cy):
    table = counties_passing(cy).set_index(["standard", "year"])["n"]
    assert table[("compulsory", 2027)] == 1  # only 清城 passes in the fixture
    assert table[("preschool", 2022)] == 0
    assert table[("preschool", 2027)] == 2
    fig = plots.counties_passing_figure(cy)
    ax = fig.axes[0]
    assert [round(b.get_height()) for b in bars(ax)] == [
        table[("compulsory", y)] for y in fx.YEARS]
    assert any("target ≥3" in t.get_text() for t in ax.texts)


def test_target_probability_one_line_per_scenario(exp):
    fig = plots.target_probability_figure(exp.target_probability)
    ax = fig.axes[0]
    assert [ln.get_label() for ln in ax.get_lines()][:2] == ["baseline", "rotation"]
    assert ax.get_ylim()[0] < 0 < 1 < ax.get_ylim()[1]


def test_scenario_bands_median_band_and_threshold(exp):
    bands = exp.bands
    fig = plots.scenario_bands_figure(bands, ["n_students_primary", "cv_backbone_primary"],
                                  county="连南瑶族自治县")
    ax0, ax1 = fig.axes
    assert [ln.get_label() for ln in ax0.get_lines()] == ["baseline", "rotation"]
    assert len(ax0.collections) == 2  # one 10–90% band per scenario
    assert ax1.get_lines()[-1].get_ydata()[0] == pytest.approx(0.5)  # the standard's line
    med = ax0.get_lines()[0].get_ydata()
    want = bands[(bands["scenario"] == "baseline") & (bands["county"] == "连南瑶族自治县")
                 & (bands["metric"] == "n_students_primary")].sort_values("year")["median"]
    np.testing.assert_allclose(med, want.to_numpy())


def test_cost_attainment_points():
    pts = pd.DataFrame({"label": ["a", "b"], "cost": [1e6, 5e6], "attainment": [0.2, 0.7],
                        "cost_low": [0.5e6, 4e6], "cost_high": [2e6, 6e6]})
    fig = plots.cost_attainment_figure(pts, attainment_label="probability", threshold=0.5)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "probability"
    assert [t.get_text() for t in ax.texts] == ["a", "b"]
    assert ax.get_lines()[-1].get_ydata()[0] == 0.5


def test_lever_cost_stacks_levers(cy):
    fig = plots.lever_cost_figure(cy)
    ax = fig.axes[0]
    assert len(bars(ax)) == 2 * len(fx.YEARS)
    assert legend_texts(fig) == ["cost: boarding expansion", "cost: teacher rotation"]


def test_sensitivity_sobol_and_morris(exp):
    fig = plots.sensitivity_figure(exp.sensitivity)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["demography.births_trend",
                                                            "workforce.rotation_rate"]
    assert len(bars(ax)) == 4
    assert legend_texts(fig) == ["first order S1", "total effect ST"]
    morris = pd.DataFrame({"method": "morris", "outcome": "y", "parameter": ["a", "b", "c"],
                           "mu_star": [0.1, 0.3, 0.2], "mu_star_conf": 0.01,
                           "sigma": [0.05, 0.1, 0.0]})
    fig = plots.sensitivity_figure(morris)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["a", "c", "b"]
    assert "Morris" in fig.get_suptitle()


def test_prim_boxes(exp):
    fig = plots.prim_figure(exp.prim, {"workforce.rotation_rate": (0.0, 0.2)})
    ax = fig.axes[0]
    assert "coverage 80%" in ax.get_title() and "density 90%" in ax.get_title()
    box = bars(ax)[1]
    assert box.get_x() == pytest.approx(0.5) and box.get_width() == pytest.approx(0.5)


# --- absence, files, fonts --------------------------------------------------------------


@pytest.mark.parametrize(("func", "drop", "needs"), [
    (plots.enrolment_by_stage, "n_students_", "n_students_<stage>"),
    (plots.enrolment_by_tier, "n_students_", "n_students_<stage>_<tier>"),
    (plots.demography_figure, "new_births", "new_births"),
    (plots.teacher_stock_figure, "n_teachers", "n_teachers"),
    (plots.teacher_flows_figure, "new_", "new_hires"),
    (plots.cv_figure, "cv_", "cv_<indicator>_<level>"),
    (plots.school_pass_share_figure, "n_schools", "share_schools_passing_<level>"),
    (plots.scorecard_heatmap, "cv_|n_schools|gross|puhui|public|children_per|class_comp",
     "any standards criterion"),
    (plots.counties_passing_figure, "passes_", "passes_compulsory_standard"),
    (plots.lever_cost_figure, "cost_yuan", "cost_yuan"),
])
def test_missing_metric_is_named(cy, func, drop, needs):
    with pytest.raises(MissingMetricError, match="missing") as info:
        func(cy[~cy["metric"].str.match(drop)])
    assert needs in str(info.value)


def test_missing_tables_are_named():
    with pytest.raises(MissingMetricError, match="targets"):
        plots.targets_figure(None)
    with pytest.raises(MissingMetricError, match="school_year"):
        plots.teacher_shortage_figure(None)
    with pytest.raises(MissingMetricError, match="backbone_teachers"):
        plots.teacher_shortage_figure(fx.school_year().drop(columns=["backbone_teachers"]))


def test_save_figure_writes_png_and_svg(cy, tmp_path):
    files = plots.save_figure(plots.enrolment_by_stage(cy), tmp_path, "stage")
    assert files["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert files["svg"].stat().st_size > 1000
    assert "<svg" in files["svg"].read_text()
    # the same data gives byte-identical files (no dates, no random ids)
    again = plots.save_figure(plots.enrolment_by_stage(cy), tmp_path / "again", "stage")
    for fmt in ("png", "svg"):
        assert again[fmt].read_bytes() == files[fmt].read_bytes(), fmt


ALL_FIGURES = {
    "stage": lambda cy, exp, lang: plots.enrolment_by_stage(cy, lang=lang),
    "tier": lambda cy, exp, lang: plots.enrolment_by_tier(cy, lang=lang),
    "demography": lambda cy, exp, lang: plots.demography_figure(cy, lang=lang),
    "stock": lambda cy, exp, lang: plots.teacher_stock_figure(cy, lang=lang),
    "flows": lambda cy, exp, lang: plots.teacher_flows_figure(cy, lang=lang),
    "shortage": lambda cy, exp, lang: plots.teacher_shortage_figure(fx.school_year(), lang=lang),
    "cv": lambda cy, exp, lang: plots.cv_figure(cy, lang=lang),
    "pass": lambda cy, exp, lang: plots.school_pass_share_figure(cy, lang=lang),
    "heat": lambda cy, exp, lang: plots.scorecard_heatmap(cy, lang=lang),
    "targets": lambda cy, exp, lang: plots.targets_figure(fx.targets(), lang=lang),
    "passing": lambda cy, exp, lang: plots.counties_passing_figure(cy, lang=lang),
    "prob": lambda cy, exp, lang: plots.target_probability_figure(exp.target_probability,
                                                                  lang=lang),
    "bands": lambda cy, exp, lang: plots.scenario_bands_figure(exp.bands, "n_teachers", lang=lang),
    "cost": lambda cy, exp, lang: plots.lever_cost_figure(cy, lang=lang),
    "sens": lambda cy, exp, lang: plots.sensitivity_figure(exp.sensitivity, lang=lang),
    "prim": lambda cy, exp, lang: plots.prim_figure(exp.prim, lang=lang),
}


@pytest.mark.skipif(fonts.cjk_family() is None, reason="no CJK font installed")
@pytest.mark.parametrize("name", sorted(ALL_FIGURES))
def test_chinese_figures_have_no_missing_glyphs(cy, exp, name):
    fig = ALL_FIGURES[name](cy, exp, "zh")
    assert fonts.missing_glyphs(fig) == {}
    drawn = "".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))
    assert any("\u4e00" <= ch <= "\u9fff" for ch in drawn), "no Chinese text was drawn"


def test_county_labels_are_bilingual_in_zh(cy):
    if fonts.cjk_family() is None:
        pytest.skip("no CJK font installed")
    fig = plots.enrolment_by_stage(cy, lang="zh")
    assert titles(fig) == ["清城 Qingcheng", "连南 Liannan", "全市 City total"]


def test_missing_glyph_check_can_fail():
    with style("en"):
        from sim.plots.common import new_figure

        fig = new_figure(2, 2)
        fig.add_subplot().set_title("private \ue000 glyph")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # matplotlib itself warns about the missing glyph
        missing = fonts.missing_glyphs(fig)
    assert missing == {"private \ue000 glyph": {"\ue000"}}


def test_zh_without_cjk_font_falls_back_to_english(cy, monkeypatch):
    monkeypatch.setattr(fonts, "cjk_family", lambda: None)
    with pytest.warns(RuntimeWarning, match="no CJK font"):
        fig = plots.enrolment_by_stage(cy, lang="zh")
    assert titles(fig) == ["Qingcheng", "Liannan", "City total"]
    assert fonts.missing_glyphs(fig) == {}


def test_mplfonts_font_is_found_offline():
    # The project depends on mplfonts, which ships Noto Sans CJK SC; no download needed.
    assert fonts._package_font_files(), "mplfonts font files not found"
    assert fonts.cjk_family() == "Noto Sans CJK SC"


def test_metric_labels_by_pattern():
    assert lbl.metric("n_students_primary_village") == "primary students (village)"
    assert lbl.metric("cv_backbone_junior", "zh") == "初中骨干教师差异系数"  # names from the standard file
    assert lbl.metric("share_schools_passing_primary", unit=True).endswith("(share)")
    assert lbl.metric("cost_yuan_teacher_rotation") == "cost: teacher rotation"
    assert lbl.metric("something_new") == "something new"
    assert lbl.county("连南瑶族自治县", "zh", short=False) == "连南瑶族自治县 Liannan"
    assert lbl.fmt_value("urbanisation_rate", 0.4567) == "45.7%"
    with pytest.raises(ValueError, match="allowed: en, zh"):
        lbl.check_lang("fr")


def test_compact_tick_labels_stay_distinct():
    from sim.plots.common import CompactFormatter

    assert CompactFormatter().format_ticks([1550, 1575, 1600, 1625]) == [
        "1,550", "1,575", "1,600", "1,625"]
    assert CompactFormatter().format_ticks([19400, 19600, 19800, 20000]) == [
        "19.4k", "19.6k", "19.8k", "20.0k"]
    assert CompactFormatter().format_ticks([10000, 20000]) == ["10k", "20k"]
    assert CompactFormatter().format_ticks([0, 2e5, 4e5]) == ["0", "200k", "400k"]
    assert CompactFormatter(money=True).format_ticks([-1e6, 0, 2.5e6]) == [
        "\u22121.0m", "0", "2.5m"]


def test_axes_are_honest():
    """Counts start at zero, a single year is not drawn on a century, an all-zero share is
    not an axis from −4% to 4%, and 17 series get 17 colours."""
    from sim.plots.common import format_axis, new_figure, series_colour, year_axis

    fig = new_figure(3, 2)
    ax = fig.add_subplot()
    ax.plot([2022, 2027], [50_000, 52_000])
    format_axis(ax, "n_teachers")
    assert ax.get_ylim()[0] == 0
    ax = fig.add_subplot()
    ax.plot([2027], [3.0], "o")
    year_axis(ax)
    assert ax.get_xlim() == (2026, 2028)
    ax = fig.add_subplot()
    ax.plot([2022, 2027], [0.0, 0.0])
    format_axis(ax, "urbanisation_rate")
    assert ax.get_ylim() == (0, 0.1)
    assert len({series_colour(k, 17) for k in range(17)}) == 17


def test_teacher_need_is_true_need_so_a_surplus_shows():
    """With posts by the staffing norm below the stock, the figure shades a surplus and the
    caption counts it (stock + vacancies could never fall below the stock)."""
    from sim.plots import teacher_stock_figure
    from sim.report import captions as cap
    from tests import test_report_fixtures as fx

    cy = fx.county_year()
    posts = cy[cy["metric"] == "n_teachers"].assign(metric="n_teacher_posts")
    posts.loc[posts["county"] == "连南瑶族自治县", "value"] -= 100  # 连南 over its norm
    cy = pd.concat([cy, posts], ignore_index=True)
    fig = teacher_stock_figure(cy)
    labels = [h.get_label() for h in fig.axes[0].collections]
    assert "surplus" in labels and "short" in labels
    text = cap.teacher_stock(cy, "en")
    assert "100 teachers over the norm (Liannan)" in text
