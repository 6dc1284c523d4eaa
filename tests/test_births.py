"""Births: the revised national series, Guangdong through 2025, registered vs resident bases."""

from __future__ import annotations

import numpy as np
import pytest

from sim import data
from sim.config import Config, DemographyParams
from sim.data.births import LIANZHOU_BIRTHS_2023_HUJI, births_table, city_births


def births(params: DemographyParams, *years: int) -> np.ndarray:
    return city_births(np.array(years), params)


def test_china_series_is_the_revised_one_and_every_row_is_sourced():
    idx = data.births_index()
    assert idx.loc[2016, "china_births_wan"] == 1883  # revised from 1786 (NBS, 2021-05-17)
    assert idx.loc[2017, "china_births_wan"] == 1765  # revised from 1723
    assert idx.loc[2025, "china_births_wan"] == 792
    assert (idx["china_source"].str.len() > 5).all()
    gd = idx["guangdong_births_wan"].dropna()
    assert gd.loc[2025] == pytest.approx(100.3) and gd.loc[2024] == 113
    assert (idx.loc[gd.index, "guangdong_source"].str.len() > 5).all()


def test_births_2025_fall_below_2024_by_guangdongs_margin():
    idx = data.births_index()["guangdong_births_wan"]
    p = Config().demography
    b24, b25 = births(p, 2024, 2025)
    assert b25 / b24 == pytest.approx(idx.loc[2025] / idx.loc[2024], rel=1e-9)  # -11.2%
    # sharing none of the 2024 rebound: 2024 stays on the 2023 level, 2025 still lower
    flat = p.model_copy(update={"births_rebound_2024": 0.0})
    b23, b24, b25 = births(flat, 2023, 2024, 2025)
    assert b24 == pytest.approx(b23) and b25 < b24
    assert b25 / b23 == pytest.approx(idx.loc[2025] / idx.loc[2023], rel=1e-9)


def test_after_2025_births_follow_the_documented_trend():
    p = Config().demography
    b25, b26, b30 = births(p, 2025, 2026, 2030)
    assert b26 / b25 == pytest.approx(1 + p.births_trend)
    assert b30 / b25 == pytest.approx((1 + p.births_trend) ** 5)
    assert -0.06 <= p.births_trend <= 0.0


def test_lianzhou_registered_births_are_converted_to_the_resident_basis():
    p = Config().demography
    facts = data.counties().loc["连州市"]
    assert p.lianzhou_birth_basis == pytest.approx(facts["pop_2023"] / facts["huji_2023"], abs=1e-4)
    lz = births_table(2023, 2023, p).loc[2023, "连州市"]
    assert lz == pytest.approx(LIANZHOU_BIRTHS_2023_HUJI * p.lianzhou_birth_basis)
    rate = lz / facts["pop_2023"] * 1000
    assert 6.0 < rate < 7.0  # about the registered rate (6.44‰), not 9.4‰
