"""The experiment runner end to end with the real model (``sim.scenario.run``), kept tiny."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from test_experiments import assert_same_tables

from sim.config import Config
from sim.core.errors import InputError
from sim.experiments.executors import InlineExecutor, open_executor
from sim.experiments.metrics import DOCUMENTED_METRICS, probe_metrics
from sim.experiments.runner import run_experiment
from sim.experiments.spec import SpecOverrides, load_spec
from sim.scenario import load_config
from sim.scenario import run as model_run

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "experiments").glob("*.toml"))
TINY = SpecOverrides(replicates=1, samples=2, until=2023, counties=["连南瑶族自治县"])


def test_documented_metrics_are_written_and_others_are_probed(tmp_path):
    cfg = load_config(ROOT / "configs" / "baseline.toml").with_overrides({"counties": ["连南瑶族自治县"]})
    written = set(model_run(cfg, seed=1, until=2023)["county_year"]["metric"])
    assert written >= DOCUMENTED_METRICS, "update DOCUMENTED_METRICS in sim/experiments/metrics.py"
    assert probe_metrics(cfg) == written
    # a metric outside the documented list is accepted once a probe run confirms it ...
    extra = sorted(written - DOCUMENTED_METRICS)[0]
    spec = tmp_path / "spec.toml"
    text = f"""
base = "{ROOT / "configs" / "baseline.toml"}"
seed = 1
until = 2024
[[outcomes]]
name = "x"
metric = "{extra}"
year = 2024
"""
    spec.write_text(text, encoding="utf-8")
    assert load_spec(spec).outcomes[0].metric == extra
    # ... and a typo fails with suggestions
    spec.write_text(text.replace(extra, "n_students_primery"), encoding="utf-8")
    with pytest.raises(
        InputError, match="unknown metric 'n_students_primery'; did you mean n_students_primary"
    ):
        load_spec(spec)


SPEC = f"""
base = "{ROOT / "configs" / "baseline.toml"}"
seed = 5
replicates = 2
until = 2023
[constants]
counties = ["连南瑶族自治县"]
[design]
kind = "lhs"
samples = 2
[uncertainties]
"enrolment.quality_seeking" = {{ low = 0.02, high = 0.2 }}
[[outcomes]]
name = "primary_2023"
metric = "n_students_primary"
year = 2023
[[outcomes]]
name = "transfers_2023"
metric = "new_choice_transfers"
year = 2023
"""


def test_real_model_same_tables_serial_pool_and_dask(tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC, encoding="utf-8")
    exp = load_spec(spec)
    outs = {}
    for label, workers, dask in (("inline", 1, None), ("pool", 2, None), ("dask", 2, "local")):
        outs[label] = tmp_path / label
        with open_executor(workers, dask) as (ex, name, window):
            res = run_experiment(exp, outs[label], ex, executor_name=name, progress=False, window=window)
        assert (res.done, res.failed) == (4, 0), label
    assert_same_tables(outs["inline"], outs["pool"])
    assert_same_tables(outs["inline"], outs["dask"])

    # a stored run is exactly what the model gives for its config and seed (up to row order,
    # which in the model follows the lever registry's import order in each process)
    r = exp.runs[3]
    direct = model_run(Config.model_validate(r.config), seed=r.seed, until=r.until)["county_year"]
    stored = pd.read_parquet(outs["pool"] / "runs" / r.run_id / "county_year.parquet")
    keys = ["year", "county", "metric"]
    pd.testing.assert_frame_equal(
        stored.sort_values(keys).reset_index(drop=True),
        direct.sort_values(keys).reset_index(drop=True),
        check_dtype=False,
    )
    # replicates differ (their seeds are used), samples differ (their parameters are used)
    cy = pd.read_parquet(outs["inline"] / "county_year.parquet")
    wide = cy[cy["metric"] == "new_choice_transfers"].groupby("run_id")["value"].sum()
    assert wide.nunique() > 1
    by_rep = cy[cy["sample"] == 0].pivot_table(
        index=["year", "county", "metric"], columns="replicate", values="value"
    )
    assert not by_rep[0].equals(by_rep[1])


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_experiment_validates_and_runs_tiny(path, tmp_path):
    full = load_spec(path)
    assert len(full.runs) >= 40 and full.outcomes
    assert full.path == path.resolve()
    exp = load_spec(path, TINY)
    res = run_experiment(exp, tmp_path / "out", InlineExecutor(), progress=False)
    assert res.failed == 0 and res.done == len(exp.runs)
    outcomes = pd.read_parquet(tmp_path / "out" / "outcomes.parquet")
    assert list(outcomes.columns[4:]) == [o.name for o in exp.outcomes]
    assert outcomes[outcomes.columns[4:]].notna().all().all()
    if exp.design.kind in ("sobol", "morris"):
        assert (tmp_path / "out" / "sensitivity.parquet").is_file()


def test_plan_target_outcomes_take_the_scorecards_threshold():
    exp = load_spec(ROOT / "experiments" / "levers_2027.toml")
    by_name = {o.name: o for o in exp.outcomes}
    assert by_name["counties_compulsory_2027"].threshold == 3  # sim/standards/targets.toml
    assert by_name["counties_preschool_2027"].threshold == 2


def test_scenarios_keep_or_drop_the_plans_levers_by_type(tmp_path):
    plan = ROOT / "configs" / "plan.toml"
    spec = tmp_path / "spec.toml"
    spec.write_text(
        f"""
base = "{ROOT / "configs" / "baseline.toml"}"
seed = 1
until = 2024
[scenarios]
plan = {{ config = "{plan}" }}
rotation_only = {{ config = "{plan}", only_levers = ["teacher_rotation"] }}
no_layout = {{ config = "{plan}", drop_levers = ["layout_optimisation", "salary_parity"] }}
""",
        encoding="utf-8",
    )
    exp = load_spec(spec)
    types = {name: [lv["type"] for lv in cfg.levers] for name, cfg in exp.scenarios.items()}
    full = [lv["type"] for lv in load_config(plan).levers]
    assert types["plan"] == full
    assert types["rotation_only"] == ["teacher_rotation"]
    assert types["no_layout"] == [t for t in full if t not in ("layout_optimisation", "salary_parity")]
    spec.write_text(
        spec.read_text(encoding="utf-8").replace('"teacher_rotation"]', '"teacher_rotaton"]'),
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"rotation_only.only_levers: no lever of type 'teacher_rotaton'"):
        load_spec(spec)


def test_shipped_experiments_exist():
    assert {p.stem for p in SHIPPED} >= {"levers_2027", "sensitivity", "births_urbanisation"}


def test_readme_example_spec_validates(tmp_path):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("### The spec", 1)[1].split("```toml", 1)[1].split("```", 1)[0]
    spec = ROOT / "experiments" / f"_readme_example_{os.getpid()}.toml"  # its paths are relative
    spec.write_text(block, encoding="utf-8")
    try:
        exp = load_spec(spec)
    finally:
        spec.unlink()
    assert set(exp.scenarios) == {
        "baseline",
        "plan",
        "rotation_only",
        "plan_without_layout",
        "high_pay",
        "fewer_births",
    }
    assert len(exp.runs) == 6 * 32 * 10
