"""Every computed standard item follows the simulated behaviour behind it (issue 12).

For each item the model computes (``sim.measure.guarantees``), breaking the behaviour
behind it — teachers not moving, the pay top-up not reaching teachers, more dropouts, pupils
out of school, choice admissions — flips the item's verdict under the standard's own rule
(``compulsory.toml``). Runs are 连南 alone for one or two years (about a second each).
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.measure import guarantees
from sim.model import QingyuanModel
from sim.processes.cohorts import JuniorCohorts
from sim.processes.workforce import pay, rotation
from sim.standards.judge import judge
from sim.standards.spec import load_compulsory
from sim.world.population import JUNIOR, NOT_ENROLLED
from tests.conftest import metric, small_config

LN = "连南瑶族自治县"
ITEMS = {item.id: item for item in load_compulsory().items}


def met(item: str, value: float) -> bool:
    """The standard's verdict on one county item (1 met, 0 failed, -1 not assessed)."""
    spec = ITEMS[item]
    code, _ = judge(np.array([value]), spec.op, spec.threshold)
    return int(code[0]) == 1


def ln_model(until: int = 2023, levers: list[dict] | None = None, **overrides) -> QingyuanModel:
    cfg = small_config(counties=[LN], until=until, **overrides)
    model = QingyuanModel(cfg.model_copy(update={"levers": levers or []}))
    model.run(until)
    return model


def item(model: QingyuanModel, name: str, year: int = 2023) -> float:
    return float(metric(model, f"item_{name}", LN).loc[year])


def test_salary_parity_is_the_simulated_pay_and_fails_without_the_top_up():
    model = ln_model(levers=[{"type": "salary_parity"}])
    assert met("salary_parity", item(model, "salary_parity"))
    assert not met("salary_parity", item(ln_model(), "salary_parity"))  # status quo 0.9
    # the same run, but the top-up never reaches teachers' pay: the verdict flips
    model.policy.pay_topup_yuan[:] = 0.0
    assert not met("salary_parity", float(pay.county_parity(model)[0]))


def test_salary_parity_moves_with_the_title_structure():
    model = ln_model()
    before = float(pay.county_parity(model)[0])
    model.teachers.title[:] = 2  # every covered teacher promoted to a senior post
    assert float(pay.county_parity(model)[0]) > before


def test_rotation_item_counts_teachers_who_moved(monkeypatch):
    overrides = {"workforce.rotation_rate": 0.12, "workforce.rotation_backbone_share": 0.3}
    moving = ln_model(**overrides)
    assert met("rotation_rate", item(moving, "rotation_rate"))
    assert met("backbone_share_of_rotating", item(moving, "backbone_share_of_rotating"))
    # the quota is set but nobody can be placed at another school: nobody moved
    monkeypatch.setattr(rotation, "destinations", lambda model, chosen, rng: np.full(len(chosen), -1))
    stuck = ln_model(**overrides)
    assert item(stuck, "rotation_rate") == 0.0
    assert not met("rotation_rate", item(stuck, "rotation_rate"))


def test_junior_retention_follows_simulated_dropouts():
    base = ln_model(until=2025)
    doubled = ln_model(until=2025, **{"enrolment.junior_dropout": 0.1})
    assert met("junior_retention", item(base, "junior_retention", 2025))
    assert item(doubled, "junior_retention", 2025) < item(base, "junior_retention", 2025)
    assert not met("junior_retention", item(doubled, "junior_retention", 2025))


def test_junior_retention_reads_counted_events_not_probabilities(monkeypatch):
    # dropouts happen at a high rate but are not counted as events: retention reads 1
    monkeypatch.setattr(JuniorCohorts, "drop", lambda self, pop, mask: None)
    model = ln_model(until=2025, **{"enrolment.junior_dropout": 0.1})
    cohorts = model.junior_cohorts
    col = 2025 - 14 - cohorts.first
    assert cohorts.dropouts[0, col] == 0  # the 2011 cohort entered in 2023: no seeded dropouts
    assert model.junior_cohorts.retention(2025)[0] == pytest.approx(1.0)


@pytest.fixture()
def fresh() -> QingyuanModel:
    return ln_model()


def test_migrant_share_and_disabled_enrolment_fall_when_children_are_out_of_school(fresh):
    shares = guarantees.enrolment_shares(fresh, 2023)
    assert met("migrant_public_share", shares["migrant_public_share"][0])
    assert met("disabled_enrolment", shares["disabled_enrolment"][0])
    pop = fresh.pop
    age = pop.age(2023)
    for mask in (pop.migrant, pop.special_needs):
        out = np.flatnonzero(mask & (age >= 6) & (age <= 14))[::4]  # a quarter out of school
        pop.stage[out], pop.school[out] = NOT_ENROLLED, -1
    shares = guarantees.enrolment_shares(fresh, 2023)
    assert not met("migrant_public_share", shares["migrant_public_share"][0])
    assert not met("disabled_enrolment", shares["disabled_enrolment"][0])


def test_migrant_share_counts_only_compulsory_schooling(fresh):
    pop = fresh.pop
    age = pop.age(2023)
    juniors = np.flatnonzero(pop.migrant & (pop.stage == JUNIOR) & (age <= 14))
    assert len(juniors) > 0
    before = guarantees.enrolment_shares(fresh, 2023)["migrant_public_share"][0]
    pop.stage[juniors] = NOT_ENROLLED
    assert guarantees.enrolment_shares(fresh, 2023)["migrant_public_share"][0] < before


def test_nearby_enrolment_and_illegal_choice_follow_choice_admissions():
    choosing = ln_model()
    assert item(choosing, "illegal_school_choice") == 1.0  # quality seekers bypassed catchments
    assert not met("illegal_school_choice", item(choosing, "illegal_school_choice"))
    assert not met("nearby_enrolment_primary", item(choosing, "nearby_enrolment_primary"))
    nearby = ln_model(**{"enrolment.quality_seeking": 0.0})
    assert met("illegal_school_choice", item(nearby, "illegal_school_choice"))
    assert met("nearby_enrolment_primary", item(nearby, "nearby_enrolment_primary"))
    assert met("nearby_enrolment_junior", item(nearby, "nearby_enrolment_junior"))


def test_unsimulated_items_are_not_assessed_never_met():
    model = ln_model()
    computed = set(guarantees.county_items(model, {}, 2023))
    cy = model.county_year()
    na = metric(cy, "n_items_not_assessed_compulsory", LN).loc[2023]
    assert na == len(ITEMS) - len(computed) > 0
    assert metric(cy, "passes_compulsory_standard", LN).loc[2023] == 0
