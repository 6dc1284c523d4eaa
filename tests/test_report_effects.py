"""Comparisons show the effect: each scenario's difference from the reference for the metrics
its levers act on and those that differ most; ``--metrics`` chooses; identical lines are
said to be identical; experiment reports show the spec's outcomes with their bands."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.cli import main as cli
from sim.plots.scenarios import identical_to, scenario_bands_figure
from sim.report import effects as fx_effects
from sim.report.build import write_report
from sim.report.compare import collect, write_comparison
from tests import test_report_fixtures as fx
from tests.test_report_numbers import sentences


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    root = tmp_path_factory.mktemp("effects")
    a = fx.write_run(root / "a", name="baseline")
    b = fx.write_run(root / "b", name="rotation", levers=("teacher_rotation",), lever_boost=1.0)
    return a, b


def test_effects_pick_lever_metrics_and_compute_differences(pair):
    scen = collect(list(pair))
    bands = pd.concat([s.bands for s in scen], ignore_index=True)
    found = fx_effects.effects(bands, "baseline", {"rotation": ["teacher_rotation"]}, 2027)
    by = {e.metric: e for e in found}
    assert by["n_backbone"].why == "lever"  # teacher_rotation acts on backbone teachers
    cy_a = pd.read_parquet(pair[0] / "county_year.parquet")
    cy_b = pd.read_parquet(pair[1] / "county_year.parquet")

    def at(cy, m):
        return float(cy[(cy["metric"] == m) & (cy["county"] == fx.CITY)
                        & (cy["year"] == 2027)]["value"].iloc[0])

    for m in ("n_counties_passing_compulsory",):
        assert by[m].difference == pytest.approx(at(cy_b, m) - at(cy_a, m))
    cost = float(cy_b[(cy_b["metric"] == "cost_yuan") & (cy_b["county"] == fx.CITY)]["value"]
                 .sum())
    assert by["cost_yuan"].value == pytest.approx(cost)  # a cost is summed over the run


def test_compare_page_has_effect_section_and_metrics_option(pair, tmp_path):
    out = tmp_path / "cmp"
    assert cli(["compare", str(pair[0]), str(pair[1]), "--out", str(out), "--dpi", "50",
                "--metrics", "n_teachers,cost_yuan"]) == 0
    text = sentences(out / "report.html")
    line = next(s for s in text if s.startswith("rotation against baseline:"))
    assert line.startswith("rotation against baseline: lever cost +")  # only what was asked
    assert "teachers" not in line  # identical in both runs, so not a difference
    assert (out / "figures" / "compare_difference.png").is_file()
    assert cli(["compare", str(pair[0]), str(pair[1]), "--out", str(out),
                "--metrics", "nope"]) == 2


def test_identical_lines_are_named(pair, tmp_path):
    twin = fx.write_run(tmp_path / "twin", name="twin")  # same numbers as the baseline
    scen = collect([pair[0], twin])
    bands = pd.concat([s.bands for s in scen], ignore_index=True)
    assert identical_to(bands, "n_teachers") == {"twin": "baseline"}
    fig = scenario_bands_figure(bands, ["n_teachers"])
    assert any("twin identical to baseline" in t.get_text() for t in fig.axes[0].texts)
    path = write_comparison([pair[0], twin], out=tmp_path / "cmp", formats=("png",), dpi=50)
    page = path.read_text(encoding="utf-8")
    assert "Lines drawn on top of each other" in page
    assert "twin: every metric listed is identical to baseline." in page
    assert "counties passing the compulsory standard ≥3 by 2027: twin identical to baseline" in page


def test_experiment_report_shows_outcomes_with_bands(tmp_path):
    d = fx.write_experiment(tmp_path / "exp")
    path = write_report(d, formats=("png",), dpi=50)
    out = pd.read_parquet(d / "outcomes.parquet")
    v = out.loc[out["scenario"] == "rotation", "cost_yuan"]
    page = path.read_text(encoding="utf-8")
    assert "The experiment&#x27;s outcomes" in page or "The experiment's outcomes" in page
    lo, hi = v.quantile(0.1), v.quantile(0.9)
    from sim.plots import labels as lbl

    assert f"{lbl.fmt_value('cost_yuan', v.median())} ({lbl.fmt_value('cost_yuan', lo)} – " \
           f"{lbl.fmt_value('cost_yuan', hi)})" in page
    assert "rotation against baseline:" in page


def test_metrics_command_lists_names_and_units(capsys):
    assert cli(["metrics"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("n_teachers "))
    assert line.split()[1] == "teachers"
    assert "cost_yuan_<lever>" in out
