"""Schools act as Mesa agents: they ask for teachers, propose closure, and leave when merged.

Each test fails if the School agents are not created, if closed schools stay in the agent
set, or if the county hires without the schools' requests.
"""

from __future__ import annotations

import numpy as np

from sim.model import QingyuanModel
from sim.world.schools import School
from tests.conftest import metric, small_config

CLOSE_TPS = {"type": "layout_optimisation", "close_types": ["teaching_point"], "min_pupils": 300}


def model_with(levers: list[dict], until: int) -> QingyuanModel:
    cfg = small_config(until=until)
    model = QingyuanModel(cfg.model_copy(update={"levers": levers}))
    model.run(until)
    return model


def agent_ids(model: QingyuanModel) -> set[int]:
    return {a.school_id for a in model.school_agents}


def test_every_open_school_is_an_agent_and_only_open_ones(small_model):
    assert agent_ids(small_model) == set(np.flatnonzero(small_model.schools.is_open).tolist())
    assert all(isinstance(a, School) and a.is_open for a in small_model.school_agents)


def test_merged_schools_leave_the_agent_set():
    model = model_with([CLOSE_TPS], until=2024)
    closed = np.flatnonzero(~model.schools.is_open)
    assert len(closed) > 0
    assert agent_ids(model) == set(np.flatnonzero(model.schools.is_open).tolist())
    assert len(model.school_agents) == len(model.schools) - len(closed)
    assert metric(model, "n_schools_open").loc[2024] == len(model.school_agents)


def test_the_county_hires_only_what_schools_ask_for(small_model, monkeypatch):
    # in the shipped model, schools ask and the county recruits against the requests
    assert metric(small_model, "new_hires").loc[2023:].sum() > 0
    assert small_model.teacher_requests.sum() > 0
    assert (small_model.teacher_requests[~small_model.schools.is_open] == 0).all()
    # schools that ask for nobody get nobody
    monkeypatch.setattr(School, "request_teachers", lambda self, year, vacancies: None)
    silent = model_with([], until=2024)
    assert metric(silent, "new_hires").loc[2023:].sum() == 0
    assert metric(silent, "new_directed_hires").loc[2023:].sum() == 0


def test_a_pending_closure_proposal_freezes_hiring():
    cap = 1
    spec = {**CLOSE_TPS, "min_pupils": 5000, "max_closures_per_year": cap}
    model = model_with([spec], until=2023)
    pending = [a for a in model.school_agents if a.closure_proposed_in == 2023]
    assert len(pending) > 0  # more hollow schools than the cap: proposals wait a year
    ids = [a.school_id for a in pending]
    assert (model.teacher_requests[ids] == 0).all()
    closed = np.flatnonzero(~model.schools.is_open)
    assert np.bincount(model.schools.county[closed], minlength=2).tolist() == [cap, cap]


def test_a_necessary_small_school_is_kept_and_withdraws_its_proposal():
    model = model_with([{**CLOSE_TPS, "keep_beyond_km": 0.5}], until=2023)
    assert model.schools.is_open.all()
    assert all(a.closure_proposed_in is None for a in model.school_agents)


BEDS = {"type": "boarding_expansion", "beds_per_year": 400}


def test_beds_go_to_schools_that_apply_for_them(monkeypatch):
    model = model_with([BEDS], until=2023)
    assert metric(model, "new_beds").loc[2023] > 0
    monkeypatch.setattr(School, "apply_for_beds", lambda self, year, demand: 0.0)
    silent = model_with([BEDS], until=2023)
    assert metric(silent, "new_beds").loc[2023] == 0


def test_a_school_proposing_its_closure_applies_for_no_beds():
    close_vp = {**CLOSE_TPS, "close_types": ["village_primary"], "min_pupils": 5000,
                "max_closures_per_year": 1}
    beds = {**BEDS, "beds_per_year": 100_000}  # every application is met in full
    base = model_with([{**close_vp, "start_year": 2024}, beds], until=2023)  # no proposals in 2023
    model = model_with([close_vp, beds], until=2023)
    pending = [a.school_id for a in model.school_agents if a.closure_proposed_in == 2023]
    assert len(pending) > 0
    built_base = base.schools.beds[pending].astype(int) - QingyuanModel(base.config).schools.beds[pending]
    built = model.schools.beds[pending].astype(int) - QingyuanModel(model.config).schools.beds[pending]
    assert built_base.sum() > 0 and built.sum() == 0
