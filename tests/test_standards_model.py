"""The standards as county_year metrics (the model's measure phase)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.config import CITY
from sim.measure.guarantees import admission_items, rotation_items
from sim.measure.standards_hook import standards_metrics
from sim.standards import plan_scorecard, read_schools_csv

EXAMPLE = Path(__file__).parents[1] / "sim" / "standards" / "example_schools.csv"


def metric(frame: pd.DataFrame, county: str, name: str) -> float:
    row = frame[(frame["county"] == county) & (frame["metric"] == name)]
    assert len(row) == 1, name
    return float(row["value"].iloc[0])


def test_metrics_from_the_example_table():
    schools = read_schools_csv(EXAMPLE)
    pre = pd.DataFrame(
        {
            "county": ["甲县", "乙县"],
            "children_3_5": [1000, 1000],
            "enrolled": [900, 800],
            "enrolled_public": [500, 300],
            "enrolled_puhui": [300, 200],
            "teachers": [60, 60],
            "classes": [30, 30],
            "classes_compliant": [28, 24],
        }
    )
    out = standards_metrics(schools, 2024, ["甲县", "乙县"], preschool_counts=pre)
    assert set(out.columns) == {"year", "county", "metric", "value"}
    assert (out["year"] == 2024).all()
    assert metric(out, "甲县", "passes_compulsory_standard") == 1
    assert metric(out, "乙县", "passes_compulsory_standard") == 0
    assert metric(out, "乙县", "cv_sports_area_primary") > 0.5
    assert metric(out, "乙县", "n_schools_passing_primary") == 3
    assert metric(out, "乙县", "n_schools_below_backbone_primary") == 8
    assert metric(out, "甲县", "passes_preschool_standard") == 1
    assert metric(out, "乙县", "passes_preschool_standard") == 0  # public share 37.5%
    assert metric(out, "乙县", "public_share_preschool") == pytest.approx(0.375)
    assert metric(out, CITY, "n_counties_passing_compulsory") == 1
    assert metric(out, CITY, "n_counties_passing_preschool") == 1
    assert metric(out, CITY, "gross_enrolment_rate_preschool") == pytest.approx(0.85)
    # the scorecard reads these metrics directly
    card = plan_scorecard(out).set_index("target")
    assert card.loc["counties_compulsory", "value"] == 1
    assert card.loc["counties_preschool", "value"] == 1


def test_rotation_and_admission_items_come_from_counted_events():
    # two counties; the city's row (third) is ignored
    sums = {
        "n_rotation_eligible": np.array([100.0, 200.0, 300.0]),
        "new_rotations": np.array([5.0, 20.0, 25.0]),
        "new_rotations_backbone": np.array([1.0, 2.0, 3.0]),
        "new_teachers_rotated": np.array([0.0, 10.0, 10.0]),  # group stints, both directions
        "new_backbone_rotated": np.array([0.0, 4.0, 4.0]),
        "new_admissions_primary": np.array([400.0, 300.0, 700.0]),
        "new_choice_admissions_primary": np.array([0.0, 30.0, 30.0]),
        "new_admissions_junior": np.array([200.0, 0.0, 200.0]),
    }
    rot = rotation_items(sums, 2)
    assert rot["rotation_rate"] == pytest.approx([0.05, 30 / 210])
    assert rot["backbone_share_of_rotating"] == pytest.approx([0.2, 6 / 30])
    adm = admission_items(sums, 2)
    assert adm["nearby_enrolment_primary"] == pytest.approx([1.0, 0.9])
    assert adm["nearby_enrolment_junior"][0] == 1.0 and np.isnan(adm["nearby_enrolment_junior"][1])
    assert adm["illegal_school_choice"].tolist() == [0.0, 1.0]
    # nothing moved: no rotation, whatever a lever or the config asked for
    assert rotation_items({}, 2)["rotation_rate"].tolist() == [0.0, 0.0]


def test_status_quo_rotation_fails_the_guarantee():
    schools = read_schools_csv(EXAMPLE)
    items = {"甲县": {"rotation_rate": 0.05}, "乙县": {"rotation_rate": 0.12}}
    out = standards_metrics(schools, 2023, ["甲县", "乙县"], county_items=items)
    # 甲县's resources pass, but its 5% rotation (< 10%) fails it
    assert metric(out, "甲县", "passes_compulsory_resources") == 1
    assert metric(out, "甲县", "passes_compulsory_standard") == 0
    assert metric(out, "甲县", "n_failed_guarantee_compulsory") >= 1


@pytest.fixture(scope="module")
def liannan_run():
    from sim import scenario as api
    from sim.scenario import load_config

    root = Path(__file__).parents[1]
    cfg = load_config(root / "configs" / "baseline.toml").with_overrides({"counties": ["连南瑶族自治县"]})
    return api.run(cfg, until=2023)


def test_baseline_starts_with_no_county_passing_compulsory(liannan_run):
    cy = liannan_run["county_year"]
    start = cy[(cy["year"] == 2022) & (cy["county"] == "连南瑶族自治县")].set_index("metric")["value"]
    # the plan's premise: in 2022/23 no county passes 优质均衡 ("break through zero")
    assert start["passes_compulsory_standard"] == 0
    assert start["passes_compulsory_resources"] == 0
    assert start["n_schools_primary"] > 0
    # ... and it fails where real counties fail: backbone teachers, sports area, teaching
    # space, or the difference coefficients
    real_world = [
        start["n_schools_below_backbone_primary"],
        start["n_schools_below_sports_area_primary"],
        start["n_schools_below_teaching_space_primary"],
        start["n_failed_coefficient_compulsory"],
    ]
    assert sum(v > 0 for v in real_world) >= 2
    for name in ("cv_backbone_primary", "cv_sports_area_junior", "gross_enrolment_rate_preschool"):
        assert np.isfinite(start[name])
    card = liannan_run["targets"]
    assert list(card.columns[:5]) == ["year", "target", "value", "threshold", "met"]
    assert set(card["year"]) == {2022, 2023}
    first = card[card["year"] == 2022].set_index("target")
    assert first.loc["counties_compulsory", "value"] == 0
    assert not first["met"].any()


def test_baseline_starts_with_no_county_passing_preschool(liannan_run):
    cy = liannan_run["county_year"]
    start = cy[(cy["year"] == 2022) & (cy["county"] == "连南瑶族自治县")].set_index("metric")["value"]
    assert start["passes_preschool_standard"] == 0
    first = liannan_run["targets"].query("year == 2022").set_index("target")
    assert first.loc["counties_preschool", "value"] == 0


def test_preschool_inputs_as_a_mapping_give_the_frames_rows():
    """The model hands the preschool evaluator a mapping; a DataFrame of the same counts
    (and the same city sums, NaN where no county has a value) gives identical rows."""
    from sim.measure.standards_hook import PRESCHOOL_INPUTS, _city_sums, preschool_counts_from_metrics

    rng = np.random.default_rng(3)
    counties = ["甲县", "乙县"]
    sums = {metric: rng.uniform(10, 500, 3) for metric in PRESCHOOL_INPUTS}
    mapping = preschool_counts_from_metrics(sums, counties)
    first = next(iter(PRESCHOOL_INPUTS.values()))
    for county in counties:
        mapping[county][first] = np.nan
    columns = {c: [mapping[k][c] for k in counties] for c in PRESCHOOL_INPUTS.values()}
    frame = pd.DataFrame({"county": counties, **columns})
    by_frame, by_mapping = _city_sums(frame), _city_sums(mapping)
    assert np.isnan(by_frame.pop(first)) and np.isnan(by_mapping.pop(first))
    assert by_frame == by_mapping
    schools = read_schools_csv(EXAMPLE)
    a = standards_metrics(schools, 2024, counties, preschool_counts=frame)
    b = standards_metrics(schools, 2024, counties, preschool_counts=mapping)
    pd.testing.assert_frame_equal(a, b)


def test_school_table_as_arrays_gives_the_frames_judgement(small_model):
    """The model hands the evaluator its year's school columns as arrays; the same table as a
    DataFrame (what ``sim evaluate`` reads from a CSV) gives identical verdicts and criteria."""
    from sim.standards.evaluator import evaluate_compulsory

    tables = [read_schools_csv(EXAMPLE), small_model.school_year().query("year == 2024")]
    for frame in tables:
        arrays = {name: frame[name].to_numpy() for name in frame.columns}
        # the model's types: numbers as numpy numbers, flags as bool, text as objects
        assert any(a.dtype.kind in "iuf" for a in arrays.values())
        by_frame, by_arrays = evaluate_compulsory(frame), evaluate_compulsory(arrays)
        np.testing.assert_array_equal(by_frame.passes, by_arrays.passes)
        for name in ("cv", "county_value", "n_below", "shortfall", "n_schools", "n_passing"):
            np.testing.assert_array_equal(by_frame.group[name], by_arrays.group[name])
        pd.testing.assert_frame_equal(by_frame.criteria, by_arrays.criteria)
        pd.testing.assert_frame_equal(by_frame.excluded, by_arrays.excluded)


def test_school_year_frame_keeps_the_columns_types(small_model):
    """``school_year`` is built once from every year's arrays: text as strings, counts as integers."""
    sy = small_model.school_year()
    assert pd.api.types.is_string_dtype(sy["county"]) and pd.api.types.is_string_dtype(sy["status"])
    assert (sy["status"] == "open").all()
    assert sy["students"].dtype.kind == "i" and sy["teaching_point"].dtype == bool
    assert sorted(sy["year"].unique()) == list(range(2022, small_model.year + 1))
