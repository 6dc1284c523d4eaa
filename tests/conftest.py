"""Shared fixtures: small runs are built once per session and reused read-only."""

from __future__ import annotations

import pytest

from sim.config import Config
from sim.levers import build_levers
from sim.model import QingyuanModel

SMALL = ["连南瑶族自治县", "连山壮族瑶族自治县"]
LN = "连南瑶族自治县"


def small_config(**overrides) -> Config:
    """Two small northern counties: a full run to 2027 takes about a second."""
    base = Config(counties=SMALL)
    return base.with_overrides(overrides) if overrides else base


@pytest.fixture(scope="session")
def small_model() -> QingyuanModel:
    """连南 + 连山 run to 2027 with the default seed."""
    model = QingyuanModel(small_config())
    model.run(2027)
    return model


@pytest.fixture(scope="session")
def city_model() -> QingyuanModel:
    """The whole city, one simulated year (2022 state plus 2023)."""
    model = QingyuanModel(Config())
    model.run(2023)
    return model


@pytest.fixture()
def fresh() -> QingyuanModel:
    """连南 alone in its 2022 state: a new model for each test that changes it."""
    return QingyuanModel(small_config(counties=[LN], until=2023))


def lever(model: QingyuanModel, spec: dict):
    """Build, set up and return one lever on ``model``, with this year's knobs at the status quo."""
    (lv,) = build_levers([spec], model.config, "test")
    lv.setup(model)
    model.policy.reset(len(model.schools))
    return lv


def metric(model_or_frame, name: str, county: str = "全市"):
    """A metric's values by year for one county."""
    df = model_or_frame.county_year() if hasattr(model_or_frame, "county_year") else model_or_frame
    sel = df[(df["metric"] == name) & (df["county"] == county)]
    return sel.set_index("year")["value"]
