"""The plan scorecard from tidy county_year metrics."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.config import CITY
from sim.standards import TARGETS, plan_scorecard

LIANNAN = "连南瑶族自治县"


def cy(rows: list[tuple[int, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["year", "county", "metric", "value"])


def score(frame: pd.DataFrame, **kw) -> pd.DataFrame:
    return plan_scorecard(frame, **kw).set_index(["year", "target"])


def test_targets_are_data_with_thresholds():
    assert TARGETS["liannan_communities"].threshold == 5
    assert TARGETS["counties_compulsory"].threshold == 3
    assert TARGETS["counties_preschool"].threshold == 2
    assert TARGETS["featured_high_schools"].threshold == 1
    assert TARGETS["counties_compulsory"].deadline == 2027


def test_counts_counties_passing_each_year():
    rows = []
    for year, passing in ((2023, ["清城区"]), (2024, ["清城区", "佛冈县", "英德市"])):
        for county in ("清城区", "佛冈县", "英德市", LIANNAN):
            rows.append((year, county, "passes_compulsory_standard", float(county in passing)))
            rows.append((year, county, "passes_preschool_standard", 0.0))
        rows.append((year, LIANNAN, "n_communities_running", 3.0 + 2 * (year - 2023)))
        rows.append((year, CITY, "n_featured_high_schools", 0.0 + (year - 2023)))
        rows.append((year, CITY, "passes_compulsory_standard", 1.0))  # the city row is ignored
        for county in ("清城区", "佛冈县", "英德市", LIANNAN):  # every item assessed
            rows.append((year, county, "n_items_not_assessed_compulsory", 0.0))
    s = score(cy(rows))
    assert list(s.columns) == ["value", "threshold", "met", "status", "note"]
    assert s.loc[(2023, "counties_compulsory"), "value"] == 1
    assert not s.loc[(2023, "counties_compulsory"), "met"]
    assert s.loc[(2024, "counties_compulsory"), "value"] == 3
    assert s.loc[(2024, "counties_compulsory"), "met"]
    assert s.loc[(2023, "liannan_communities"), "value"] == 3
    assert s.loc[(2024, "liannan_communities"), "met"]  # 5 ≥ 5
    assert not s.loc[(2023, "featured_high_schools"), "met"]
    assert s.loc[(2024, "featured_high_schools"), "met"]
    assert (s["note"] == "").all()


def test_sustained_passing():
    rows = [
        (2023, "A", "passes_compulsory_standard", 1.0),
        (2024, "A", "passes_compulsory_standard", 1.0),
        (2025, "A", "passes_compulsory_standard", 0.0),
        (2023, "B", "passes_compulsory_standard", 0.0),
        (2024, "B", "passes_compulsory_standard", 1.0),
        (2025, "B", "passes_compulsory_standard", 1.0),
    ]
    one = score(cy(rows))["value"].xs("counties_compulsory", level="target")
    two = score(cy(rows), sustain_years=2)["value"].xs("counties_compulsory", level="target")
    assert list(one) == [1, 2, 1]
    assert list(two) == [0, 1, 1]  # A held 2023-24; B held 2024-25
    with pytest.raises(ValueError):
        plan_scorecard(cy(rows), sustain_years=0)


def test_missing_metrics_count_as_zero_and_say_so():
    s = score(cy([(2023, "A", "passes_compulsory_standard", 1.0)]))
    assert s.loc[(2023, "liannan_communities"), "value"] == 0
    assert "missing" in s.loc[(2023, "liannan_communities"), "note"]
    assert "missing" in s.loc[(2023, "featured_high_schools"), "note"]
    assert s.loc[(2023, "counties_compulsory"), "note"] == ""


def test_featured_schools_summed_over_counties_without_city_row():
    s = score(
        cy(
            [
                (2026, "A", "n_featured_high_schools", 1.0),
                (2026, "B", "n_featured_high_schools", 1.0),
            ]
        )
    )
    assert s.loc[(2026, "featured_high_schools"), "value"] == 2
    assert "summed over counties" in s.loc[(2026, "featured_high_schools"), "note"]


def test_empty_table():
    out = plan_scorecard(cy([]))
    assert list(out.columns) == ["year", "target", "value", "threshold", "met", "status", "note"]
    assert out.empty


def test_reaching_a_threshold_on_unassessed_items_is_not_assessed_never_met():
    rows = []
    for county in ("清城区", "佛冈县", "英德市"):
        rows.append((2027, county, "passes_compulsory_standard", 1.0))
        rows.append((2027, county, "n_items_not_assessed_compulsory", 11.0 if county == "英德市" else 0.0))
        rows.append((2027, county, "passes_preschool_standard", 0.0))
        rows.append((2027, county, "n_items_not_assessed_preschool", 3.0))
    s = score(cy(rows))
    assert s.loc[(2027, "counties_compulsory"), "value"] == 3
    assert s.loc[(2027, "counties_compulsory"), "status"] == "not assessed"
    assert not s.loc[(2027, "counties_compulsory"), "met"]
    # below the threshold the verdict is certain whatever was not assessed
    assert s.loc[(2027, "counties_preschool"), "status"] == "not met"
    # the same counties with every item assessed: met
    assessed = [(y, c, m, 0.0 if m.startswith("n_items") else v) for y, c, m, v in rows]
    assert score(cy(assessed)).loc[(2027, "counties_compulsory"), "status"] == "met"
