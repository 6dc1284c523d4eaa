"""The 2022 distance from the compulsory standard's lines, against real counties' published values."""

from __future__ import annotations

import math

import pytest

from sim.data.comparators import comparators, implied_shares, share_below, six_of_seven

SOUTH = ("清城区", "清新区", "英德市", "佛冈县")
NORTH = ("连州市", "阳山县", "连山壮族瑶族自治县", "连南瑶族自治县")
INDICATORS = (
    "above_degree",
    "backbone",
    "pe_art",
    "teaching_space",
    "sports_area",
    "equipment",
    "multimedia",
)
TOLERANCE = 0.25  # share-of-schools points; one comparator county, so a wide band (assumption)


def test_lognormal_share_below_the_median_is_a_half():
    cv = 0.4
    sigma = math.sqrt(math.log1p(cv * cv))
    median = 3.0 / math.exp(sigma * sigma / 2)
    assert share_below(3.0, cv, median) == pytest.approx(0.5)


def test_comparator_rows_are_sourced():
    c = comparators()
    assert set(c["indicator"]) == set(INDICATORS)
    assert (c["source"].str.len() > 10).all() and (c["url"].str.startswith("http")).all()


def test_six_of_seven_bounds_bracket_the_independent_case():
    p = implied_shares("鸠江区", "primary").loc[list(INDICATORS)].to_numpy()
    lower, independent, upper = six_of_seven(p)
    assert 0.0 <= lower <= independent <= upper <= 1.0
    assert independent == pytest.approx(0.081, abs=0.005)


def shares_below(cy, counties, level: str = "primary"):
    y = cy[(cy["year"] == 2022) & cy["county"].isin(counties)]
    piv = y.pivot_table(index="county", columns="metric", values="value")
    n = piv[f"n_schools_{level}"]
    return {i: (piv[f"n_schools_below_{i}_{level}"] / n).mean() for i in INDICATORS}, piv


def test_southern_counties_start_about_as_far_from_each_line_as_the_comparator(city_model):
    cy = city_model.county_year()
    south, _ = shares_below(cy, SOUTH)
    comp = implied_shares("鸠江区", "primary")
    for ind in INDICATORS:
        assert abs(south[ind] - comp[ind]) <= TOLERANCE, (ind, south[ind], comp[ind])


def test_north_starts_further_away_and_no_county_passes(city_model):
    cy = city_model.county_year()
    south, _ = shares_below(cy, SOUTH)
    north, _ = shares_below(cy, NORTH)
    assert sum(north.values()) > sum(south.values())
    p = implied_shares("鸠江区", "primary").loc[list(INDICATORS)].to_numpy()
    lower, _, upper = six_of_seven(p)
    _, piv_all = shares_below(cy, SOUTH + NORTH)
    meeting = piv_all["n_schools_passing_primary"] / piv_all["n_schools_primary"]
    assert ((meeting >= lower) & (meeting <= upper)).all(), meeting
    assert (piv_all["passes_compulsory_standard"] == 0).all()


def test_uncertain_stocks_move_the_2022_distance():
    """The two stock knobs the verdicts experiment varies act in the documented direction."""
    from sim.model import QingyuanModel
    from tests.conftest import metric, small_config

    values = {}
    for name, overrides in (
        ("default", {}),
        ("low", {"schools.stock_backbone_scale": 0.6, "schools.stock_facility_shift": -0.2}),
    ):
        model = QingyuanModel(small_config(**overrides))
        model.run(2022)
        values[name] = {
            ind: metric(model, f"value_{ind}_primary", "连南瑶族自治县").loc[2022]
            for ind in ("backbone", "equipment", "sports_area")
        }
    for ind in values["default"]:
        assert values["low"][ind] < values["default"][ind], ind
