"""Every number the summaries print is recomputed here from the run's own Parquet files.

Three reports are written as a user would get them (a baseline run without levers, a plan
run with several entries of one lever type, and a comparison of the two) and each sentence
is checked against values read straight from ``county_year.parquet`` and
``targets.parquet``: costs counted once per lever type and adding up to the total, zero
costs said as zero, ties naming every tied county or scenario, and "none passes" when none
does.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from sim.plots import labels as lbl
from sim.report import captions as cap
from sim.report import summary as sm
from sim.report.build import write_report
from sim.report.compare import write_comparison
from tests import test_report_fixtures as fx

CITY = fx.CITY
PLAN_LEVERS = [
    {"type": "layout_optimisation", "start_year": 2024, "end_year": 2024,
     "counties": ["佛冈县"], "max_closures_per_year": 21},
    {"type": "layout_optimisation", "start_year": 2023, "end_year": 2027},
    {"type": "teacher_rotation", "start_year": 2024, "rate": 0.15},
]


class Items(HTMLParser):
    """The text of each <li>, <p> and <figcaption> of a page, in order."""

    def __init__(self):
        super().__init__()
        self.items: list[str] = []
        self._open = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("li", "p", "figcaption"):
            self.items.append("")
            self._open += 1

    def handle_endtag(self, tag):
        if tag in ("li", "p", "figcaption"):
            self._open -= 1

    def handle_data(self, data):
        if self._open:
            self.items[-1] += data


def sentences(page: Path) -> list[str]:
    parser = Items()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.items


def city_total(run: Path, metric: str) -> float:
    cy = pd.read_parquet(run / "county_year.parquet")
    return float(cy[(cy["metric"] == metric) & (cy["county"] == CITY)]["value"].sum())


def rewrite(d: Path, *, county_year: pd.DataFrame | None = None, levers: list | None = None) -> Path:
    """Write a fixture run folder again with a changed table or levers (checksums renewed)."""
    from sim.core.rundir import write_run_folder

    manifest = json.loads((d / "manifest.json").read_text("utf-8"))
    tables = {n: pd.read_parquet(d / f"{n}.parquet") for n in ("county_year", "school_year", "targets")
              if (d / f"{n}.parquet").exists()}
    if county_year is not None:
        tables["county_year"] = county_year
    if levers is not None:
        manifest["config"]["levers"] = levers
    for key in ("files", "sha256"):
        manifest.pop(key, None)
    return write_run_folder(d, tables, manifest)


def write_plan(out: Path) -> Path:
    d = fx.write_run(out, name="plan", levers=("layout_optimisation", "teacher_rotation"),
                     lever_boost=1.0)
    return rewrite(d, levers=PLAN_LEVERS)


def write_baseline(out: Path) -> Path:
    """No lever, but the model still records every lever's cost series, all zero."""
    d = fx.write_run(out, name="baseline")
    cy = pd.read_parquet(d / "county_year.parquet")
    zero = cy[cy["metric"] == "n_teachers"].assign(value=0.0)
    extra = [zero.assign(metric=m) for m in ("cost_yuan", "cost_yuan_layout_optimisation",
                                               "cost_yuan_group_schooling")]
    return rewrite(d, county_year=pd.concat([cy, *extra], ignore_index=True))


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("numbers")
    base, plan = write_baseline(root / "baseline"), write_plan(root / "plan")
    return {"baseline": base, "plan": plan,
            "base_report": write_report(base, formats=("png",), dpi=50),
            "plan_report": write_report(plan, formats=("png",), dpi=50),
            "compare": write_comparison([base, plan], out=root / "cmp", formats=("png",),
                                        dpi=50)}


def test_plan_costs_once_per_lever_type_and_add_up(runs):
    plan = runs["plan"]
    lines = [s for s in sentences(runs["plan_report"]) if "cumulative cost" in s]
    layout = [s for s in lines if s.startswith("layout optimisation")]
    assert len(layout) == 1, lines  # two entries, one cost
    want = lbl.fmt_yuan(city_total(plan, "cost_yuan_layout_optimisation"))
    assert f"2 entries, cumulative cost {want} together" in layout[0]
    rotation = [s for s in lines if s.startswith("teacher rotation")]
    assert rotation == [f"teacher rotation: from 2024; every county; share rotating a year: 15%; "
                        f"cumulative cost {lbl.fmt_yuan(city_total(plan, 'cost_yuan_teacher_rotation'))}."]
    total = city_total(plan, "cost_yuan")
    assert total == pytest.approx(city_total(plan, "cost_yuan_layout_optimisation")
                                  + city_total(plan, "cost_yuan_teacher_rotation"))
    assert f"All levers together: cumulative cost {lbl.fmt_yuan(total)}." in lines
    # the amounts printed per type add up to the printed total (to rounding)
    printed = [float(x) for x in re.findall(r"cumulative cost ([\d.]+) m yuan", " ".join(lines))]
    assert sum(printed[:-1]) == pytest.approx(printed[-1], abs=0.11)


def test_plan_targets_recomputed_from_parquet(runs):
    t = pd.read_parquet(runs["plan"] / "targets.parquet")
    text = sentences(runs["plan_report"])
    for name in ("counties_compulsory", "counties_preschool"):
        r = t[(t["target"] == name) & (t["year"] == 2027)].iloc[0]
        first = t[(t["target"] == name) & t["met"]]["year"].min()
        line = next(s for s in text if s[2:].startswith(lbl.target(name, "en") + ":"))
        state = "met" if r["met"] else "not met"
        assert f": {state} in 2027 (value {r['value']:g}, target {r['threshold']:g})" in line
        if r["met"]:
            assert f"first met in {first}" in line


def test_baseline_zero_costs_are_said_as_zero(runs):
    text = sentences(runs["base_report"])
    assert city_total(runs["baseline"], "cost_yuan") == 0
    assert "No lever spends anything in this run (every cost is 0): nothing to draw." in text
    assert "No policy lever is switched on in this scenario (status quo)." in text
    assert not any("largest is" in s for s in text)


def test_baseline_trends_recomputed_from_parquet(runs):
    cy = pd.read_parquet(runs["baseline"] / "county_year.parquet")
    text = sentences(runs["base_report"])
    for metric in ("n_teachers", "n_students_primary"):
        s = cy[(cy["metric"] == metric) & (cy["county"] == CITY)].sort_values("year")
        a, b = s["value"].iloc[0], s["value"].iloc[-1]
        line = next(x for x in text if x.startswith(f"City {lbl.metric(metric)}:"))
        assert f"{lbl.fmt_value(metric, a)} in 2022 → {lbl.fmt_value(metric, b)} in 2027" in line
        assert f"({100 * (b - a) / a:+.0f}%)".replace("-", "−") in line


def test_compare_targets_and_cost_recomputed(runs):
    text = sentences(runs["compare"])
    for name in ("counties_compulsory", "counties_preschool"):
        met = []
        for label in ("baseline", "plan"):
            t = pd.read_parquet(runs[label] / "targets.parquet")
            if bool(t[(t["target"] == name) & (t["year"] == 2027)]["met"].iloc[0]):
                met.append(label)
        line = next(s for s in text if s.startswith(lbl.target(name, "en") + " in 2027"))
        assert f"met under {', '.join(met) or 'none'};" in line
    # cost against attainment: the plan costs what its parquet says
    plan_cost = lbl.fmt_yuan(city_total(runs["plan"], "cost_yuan"))
    cost_caption = next(s for s in text if s.startswith("Cumulative lever cost (x)"))
    assert plan_cost in cost_caption or lbl.fmt_yuan(0.0) in cost_caption


def test_cost_attainment_words_ties_and_nothing_passing():
    none = pd.DataFrame({"label": ["baseline", "plan"], "cost": [0.0, 1.02e10],
                         "attainment": [0.0, 0.0]})
    text = cap.cost_attainment(none, "en", "counties passing")
    assert "Every scenario gives the same result, 0 (none); cheapest: baseline (0 yuan)." in text
    assert "Best" not in text
    tie = pd.DataFrame({"label": ["a", "b", "c"], "cost": [5e6, 5e6, 9e6],
                        "attainment": [2.0, 2.0, 1.0]})
    assert cap.cost_attainment(tie, "en", "x").endswith(
        "Best result (2) at the lowest cost: a, b (5.0 m yuan).")


def test_scorecard_caption_names_every_tied_county():
    cy = fx.county_year(counties=("连州市", "连山壮族瑶族自治县", "连南瑶族自治县"))
    # 连山 made identical to 连州 (the better county of the fixture): they tie at the top
    lianzhou = cy[cy["county"] == "连州市"]
    cy = pd.concat([cy[cy["county"] != "连山壮族瑶族自治县"],
                    lianzhou.assign(county="连山壮族瑶族自治县")], ignore_index=True)
    worse = (cy["county"] == "连南瑶族自治县") & cy["metric"].str.startswith("cv_")
    cy.loc[worse, "value"] *= 3  # 连南 fails every difference coefficient
    text = cap.heatmap(cy, "en")
    assert "Most criteria met: Lianzhou, Lianshan (" in text
    assert "fewest: Liannan (" in text


def test_probability_words_ties_and_zero():
    tp = pd.DataFrame({"scenario": ["a", "b", "a", "b"], "target": ["counties_compulsory"] * 2
                       + ["counties_preschool"] * 2, "year": 2027,
                       "probability": [0.4, 0.4, 0.0, 0.0]})
    lines = sm.probability_lines(tp, "en")
    assert lines[0].endswith("highest under a, b (40%).")
    assert lines[1].endswith("no replicate of any scenario meets it in 2027.")
