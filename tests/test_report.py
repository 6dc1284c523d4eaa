"""The report and compare commands: self-contained valid HTML naming every county, figures on
disk, text that follows the numbers, graceful absence, and clear errors."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main as cli
from sim.core.errors import InputError
from sim.plots import fonts
from sim.report import summary as sm
from sim.report.build import write_report
from sim.report.compare import collect, write_comparison
from sim.report.load import detect_kind, load
from tests import test_report_fixtures as fx

VOID = {"meta", "img", "br", "hr", "link", "input", "source", "col", "area", "base", "wbr"}


class Checker(HTMLParser):
    """Checks nesting and collects every URL-bearing attribute."""

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.urls: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "action", "data", "poster") and value:
                self.urls.append(value)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> (open: {self.stack[-3:]})")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def report_html(d: Path) -> str:
    return (d / "report.html").read_text(encoding="utf-8")


def check_html(path: Path) -> Checker:
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    c = Checker()
    c.feed(page)
    c.close()
    assert c.errors == [] and c.stack == [], (c.errors, c.stack)
    # self-contained: no URL other than in-page anchors and embedded images
    external = [u for u in c.urls if not (u.startswith("#") or u.startswith("data:image/png"))]
    assert external == []
    assert not re.search(r"https?://", page)
    assert "script" not in c.tags and "link" not in c.tags
    return c


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return fx.write_run(tmp_path_factory.mktemp("run") / "baseline",
                       levers=("teacher_rotation",))


@pytest.fixture(scope="module")
def report_en(run_dir) -> Path:
    """The English report, made through the command line as a user would."""
    assert cli(["report", str(run_dir), "--dpi", "72", "--svg", "--no-pdf"]) == 0
    return run_dir / "report.html"


@pytest.fixture(scope="module")
def real_report(tmp_path_factory) -> Path:
    """The report of a real tiny model run (连南, 2022–2024)."""
    d = fx.write_real_run(tmp_path_factory.mktemp("real") / "liannan")
    return write_report(d, formats=("png",), dpi=72)


def test_report_of_a_real_run(real_report):
    c = check_html(real_report)
    text = "".join(c.text)
    assert "Liannan" in text and "2022–2024" in text
    figs = real_report.parent / "figures"
    # what the model measures is drawn ...
    for stem in ("enrolment_stage", "enrolment_tier", "demography", "teachers_stock",
                 "teachers_flows", "teachers_shortage"):
        assert (figs / f"{stem}.png").stat().st_size > 5000, stem
    # ... and every other figure is either drawn or says what it lacks
    for stem in ("targets", "counties_passing", "scorecard", "difference_coefficients",
                 "schools_passing", "lever_costs"):
        drawn = (figs / f"{stem}.png").is_file()
        assert drawn or "Not available in this run" in text or (
            stem == "lever_costs" and "No lever spends anything" in text), stem
    assert "City primary students:" in text
    assert "seed" in text and "versions.numpy" in text


def test_report_is_valid_self_contained_html(report_en):
    c = check_html(report_en)
    assert c.tags.count("img") >= 10
    assert report_en.stat().st_size > 100_000  # figures embedded, not linked


def test_report_names_every_county(report_en):
    text = report_en.read_text(encoding="utf-8")
    for name in ("Qingcheng", "Liannan"):
        assert name in text


def test_report_writes_figure_files(report_en):
    figs = report_en.parent / "figures"
    for stem in ("scorecard", "enrolment_stage", "teachers_stock", "difference_coefficients",
                 "targets", "counties_passing", "lever_costs", "teachers_shortage"):
        for ext in ("png", "svg"):
            f = figs / f"{stem}.{ext}"
            assert f.is_file() and f.stat().st_size > 1000, f


def test_report_text_follows_the_numbers(report_en):
    text = report_en.read_text(encoding="utf-8")
    t = fx.targets()
    c27 = t[(t["year"] == 2027) & (t["target"] == "counties_compulsory")].iloc[0]
    assert not c27["met"]
    assert (f"counties passing the compulsory standard ≥3 by 2027: not met in 2027 (value "
            f"{int(c27['value'])}, target 3)") in text
    assert ("education communities running in Liannan ≥5 by 2025: not measured by this run "
            "(metric n_communities_running missing from county_year)") in text
    first = int(t[(t["target"] == "counties_preschool") & t["met"]]["year"].min())
    assert f"first met in {first}" in text
    assert re.search(r"Liannan[^:]*: fails \d+ of \d+ criteria; furthest off: CV multimedia "
                     r"\(primary\) 0\.9\d", text)
    assert "teacher rotation: from 2024; every county; intensity: 0.5; cumulative cost" in text
    # provenance
    assert "abc1234" in text and "seed" in text


def test_report_text_changes_with_the_data():
    cy = fx.county_year()
    t = fx.targets()
    t.loc[t["target"] == "counties_compulsory", ["value", "met"]] = [4, True]
    lines = sm.target_lines(t, cy, "en")
    assert lines[0] == ("✔ counties passing the compulsory standard ≥3 by 2027: met in 2027 "
                        "(value 4, target 3); first met in 2022.")
    # a target whose deadline is later than the run's last year is judged on what ran
    short = t[t["year"] <= 2025]
    assert sm.target_lines(short, cy, "en")[0].startswith(
        "✔ counties passing the compulsory standard ≥3 by 2027: met in 2025 (deadline 2027 "
        "not simulated)")
    # without a targets table the counties passing are read from the pass flags
    lines = sm.target_lines(None, cy, "en")
    assert lines[0] == ("✘ counties passing compulsory standard: 1 in 2027 (Qingcheng); the "
                        "plan asks ≥3.")
    zh = sm.target_lines(None, cy, "zh")
    assert zh[1].startswith("✔ 普及普惠达标县数:2027年 2 个(清城 Qingcheng、连南 Liannan)")


def test_missing_metrics_become_notes(tmp_path):
    d = fx.write_run(tmp_path / "early", drop_metrics=("cv_", "share_schools", "passes_",
                                                      "cost_yuan"), with_targets=False,
                    with_schools=False)
    path = write_report(d, formats=("png",), dpi=72)
    c = check_html(path)
    text = "".join(c.text)
    assert "Not available in this run: metric cv_<indicator>_<level> missing." in text
    assert "Not available in this run: table school_year missing." in text
    assert "Not available in this run: metric cost_yuan missing." in text
    assert "cannot be judged" in text
    assert (d / "figures" / "enrolment_stage.png").is_file()
    assert not (d / "figures" / "difference_coefficients.png").exists()


@pytest.mark.skipif(fonts.cjk_family() is None, reason="no CJK font installed")
def test_chinese_report(run_dir, tmp_path):
    path = write_report(run_dir, lang="zh", out=tmp_path / "zh", formats=("png",), dpi=72)
    c = check_html(path)
    page = path.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page
    for name in ("清城区 Qingcheng", "连南瑶族自治县 Liannan"):
        assert name in page
    assert "规划目标" in "".join(c.text)


def test_experiment_report(tmp_path):
    d = fx.write_experiment(tmp_path / "exp")
    path = write_report(d, formats=("png",), dpi=72)
    c = check_html(path)
    text = "".join(c.text)
    assert "8 runs over 2 scenarios: 8 finished, 0 failed." in text
    assert "rotation" in text and "baseline" in text
    assert "highest under rotation (100%)" in text
    for stem in ("target_probability", "scenario_bands", "cost_attainment", "sensitivity",
                 "prim", "baseline_scorecard"):
        assert (d / "figures" / f"{stem}.png").is_file(), stem
    assert "most influential parameter workforce.rotation_rate" in text
    assert "Liannan" in text and "Qingcheng" in text


def test_compare_shows_both_runs_and_their_levers(tmp_path):
    a = fx.write_run(tmp_path / "a", name="status_quo")
    b = fx.write_run(tmp_path / "b", name="rotation", levers=("teacher_rotation",),
                    lever_boost=1.0)
    scen = collect([a, b])
    assert [s.label for s in scen] == ["status_quo", "rotation"]
    path = write_comparison([a, b], out=tmp_path / "cmp", formats=("png",), dpi=72)
    c = check_html(path)
    text = "".join(c.text)
    assert "status_quo" in text and "rotation" in text
    assert "none" in text  # the status-quo run has no lever
    assert "teacher rotation: from 2024; every county; intensity: 0.5" in text
    assert "met under rotation; not met under status_quo" in text
    for stem in ("compare_plan", "compare_targets", "compare_metrics", "compare_cost"):
        assert (tmp_path / "cmp" / "figures" / f"{stem}.png").is_file(), stem
    # both scenarios are drawn in the metric figure
    from sim.plots import scenario_bands_figure

    bands = pd.concat([s.bands for s in scen])
    fig = scenario_bands_figure(bands, "n_teachers")
    assert [ln.get_label() for ln in fig.axes[0].get_lines()] == ["status_quo", "rotation"]


def test_compare_runs_without_standards_or_costs(tmp_path):
    drop = ("cv_", "share_schools", "passes_", "cost_yuan")
    a = fx.write_run(tmp_path / "a", drop_metrics=drop, with_targets=False)
    b = fx.write_run(tmp_path / "seed7", drop_metrics=drop, with_targets=False)
    path = write_comparison([a, b], out=tmp_path / "cmp", formats=("png",), dpi=72)
    text = "".join(check_html(path).text)
    assert "baseline (seed7)" in text  # same config name: told apart by directory
    assert (tmp_path / "cmp" / "figures" / "compare_metrics.png").is_file()
    assert "Not available in this run: metric cost_yuan missing." in text


def test_compare_runs_with_experiment_scenarios(tmp_path):
    a = fx.write_run(tmp_path / "a", name="baseline")
    e = fx.write_experiment(tmp_path / "exp")
    labels = [s.label for s in collect([a, e])]
    assert labels == ["baseline", "demo/baseline", "demo/rotation"]


def test_detect_kind_and_load_errors(tmp_path, run_dir):
    assert detect_kind(run_dir) == "run"
    with pytest.raises(InputError, match="neither a run directory"):
        detect_kind(tmp_path)
    bad = tmp_path / "bad"
    bad.mkdir()
    frame = pd.DataFrame({"year": [2022], "county": ["全市"], "value": [1.0]})
    frame.to_parquet(bad / "county_year.parquet")
    with pytest.raises(InputError, match=r"manifest\.json is missing"):
        load(bad)  # tables without a manifest are not a run
    from sim.core.rundir import write_run_folder

    write_run_folder(bad, {"county_year": frame}, {})
    with pytest.raises(InputError) as info:
        load(bad)
    assert info.value.key == "metric" and "county_year.parquet" in str(info.value)


def test_cli_errors(run_dir, tmp_path, capsys):
    assert cli(["report", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "not a directory" in err
    assert cli(["compare", str(run_dir)]) == 2
    err = capsys.readouterr().err
    assert "at least two runs or scenarios" in err and "Traceback" not in err
