"""The app's logic without a browser: choices → config, a scenario beside its baseline, tables."""

from __future__ import annotations

import math
import socket

import pytest

from sim.app import session as runs
from sim.cli import main
from sim.config import Config
from sim.core.errors import InputError
from tests.conftest import SMALL


def choices(config: Config, on: tuple[str, ...] = ()) -> list[runs.LeverChoice]:
    rows = runs.lever_choices(config)
    for row in rows:
        if row.type in on:
            row.enabled = True
    return rows


def test_plan_levers_are_on_and_every_other_lever_is_offered_off():
    plan = runs.load_choice(runs.shipped_configs()["plan"])
    rows = runs.lever_choices(plan)
    assert [r.spec for r in rows if r.from_config] == plan.levers and all(r.enabled for r in rows[:3])
    boarding = runs.lever_choices(runs.load_choice(runs.shipped_configs()["boarding_expansion"]))
    assert [r.type for r in boarding if r.enabled] == ["boarding_expansion"]
    assert {r.type for r in boarding} >= {r.type for r in rows} and len(boarding) > 10
    params = runs.key_parameters(rows[0])
    assert 0 < len(params) <= runs.KEY_PARAMETERS
    assert params[0].key == "min_pupils" and params[0].value == 5000  # set in the config, shown first


def test_build_config_takes_counties_births_and_switched_levers_and_checks_ranges():
    base = Config()
    rows = choices(base, on=("preschool_expansion",))
    cfg = runs.build_config(base, SMALL, rows, 0.8, -0.05, until=2024)
    assert set(cfg.counties) == set(SMALL) and cfg.until == 2024
    assert cfg.demography.births_scale == 0.8 and cfg.demography.births_trend == -0.05
    assert [lv["type"] for lv in cfg.levers] == ["preschool_expansion"]
    assert runs.baseline_of(cfg).levers == []
    bad = next(r for r in rows if r.type == "preschool_expansion")
    key = runs.key_parameters(bad)[0].key
    bad.spec[key] = -1
    with pytest.raises(InputError, match=key):
        runs.build_config(base, SMALL, rows, 0.8, -0.05)


def test_a_session_steps_scenario_and_baseline_together_and_reports_verdicts():
    base = Config()
    cfg = runs.build_config(base, SMALL, choices(base, on=("preschool_expansion",)), 0.9, -0.02, until=2024)
    sess = runs.Session(cfg)
    sess.build()
    sess.step()
    assert sess.year == 2023 and sess.baseline.year == 2023 and sess.baseline is not sess.scenario
    seen: list[float] = []
    sess.run(progress=seen.append)
    assert sess.done and sess.year == 2024 and seen == [0.5, 1.0]  # scenario, then baseline
    card = runs.scorecard(sess)
    assert len(card) >= 4 and card.iloc[:, 1].str.contains("pass|fail|not assessed").all()
    assert list(runs.county_verdicts(sess)["县 county"]) == ["连山 Lianshan", "连南 Liannan"]
    summary = runs.summary(sess)
    cost = summary[summary["指标 metric"].str.contains("cumulative")].iloc[0]
    assert cost["方案 scenario"] != "0" and cost["基线 baseline"] == "0"
    assert runs.map_metrics(sess)[:2] == ["passes_compulsory_standard", "passes_preschool_standard"]


def test_without_levers_the_baseline_is_the_scenario():
    cfg = runs.build_config(Config(), SMALL, choices(Config()), 0.9, -0.02, until=2023)
    sess = runs.Session(cfg)
    sess.run()
    assert sess.baseline is sess.scenario and len(sess.models()) == 1


def test_verdict_words():
    assert runs.verdict(True) == runs.PASS and runs.verdict(False) == runs.FAIL
    assert runs.verdict(math.nan) == runs.NOT_ASSESSED and runs.verdict(None) == runs.NOT_ASSESSED
    assert runs.verdict(False, "metric x missing") == runs.NOT_ASSESSED
    assert runs.verdict("not assessed") == runs.NOT_ASSESSED


def test_app_command_rejects_a_bad_config_and_a_busy_port(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('counties = ["nowhere"]\n', encoding="utf-8")
    assert main(["app", "--config", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.toml" in err[0] and "counties" in err[0]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        assert main(["app", "--port", str(port)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"port {port}" in err[0]
