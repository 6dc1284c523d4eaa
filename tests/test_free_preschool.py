"""Free final-year preschool from autumn 2025 (国办发〔2025〕27号) in the baseline."""

from __future__ import annotations

import pytest

from sim.config import Config
from sim.model import QingyuanModel
from tests.conftest import metric, small_config


@pytest.fixture(scope="module")
def pair():
    runs = {}
    for name, overrides in (("waiver", {}), ("none", {"enrolment.free_final_year_from": None})):
        model = QingyuanModel(small_config(**overrides))
        model.run(2026)
        runs[name] = model
    return runs


def test_default_starts_in_autumn_2025():
    assert Config().enrolment.free_final_year_from == 2025


def test_waiver_raises_enrolment_from_2025_only(pair):
    w, n = (metric(pair[k], "n_students_preschool") for k in ("waiver", "none"))
    assert (w.loc[2022:2024] == n.loc[2022:2024]).all()  # identical before the waiver
    assert w.loc[2025] > n.loc[2025]
    joiners = metric(pair["waiver"], "new_free_final_year_joiners")
    assert joiners.loc[2024] == 0 and joiners.loc[2025] > 0


def test_joiners_are_bounded_by_the_five_year_olds_outside(pair):
    model = pair["waiver"]
    joined = metric(model, "new_free_final_year_joiners").loc[2025]
    fives = metric(model, "n_children_3_5").loc[2025] / 3
    assert joined <= fives * (1 - model.calib.preschool_attendance) * 1.5 + 5


def test_zero_uptake_changes_nothing():
    a = QingyuanModel(small_config(**{"enrolment.free_final_year_uptake": 0.0}))
    a.run(2025)
    assert metric(a, "new_free_final_year_joiners").loc[2025] == 0
