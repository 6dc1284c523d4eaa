"""The experiment runner's mechanics, on toy model functions (fast, deterministic).

End-to-end checks with the real model are in ``test_experiments_model.py``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_experiments_toy import fragile_run, process_ordered_toy_run, toy_run

from sim.cli import main as cli_main
from sim.config import CITY, Config
from sim.core.errors import InputError
from sim.experiments import prim
from sim.experiments.executors import InlineExecutor, open_executor
from sim.experiments.runner import run_experiment
from sim.experiments.spec import SpecOverrides, load_spec, replicate_seeds

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
TABLES = ["county_year", "outcomes", "bands", "target_probability", "targets"]

BASE = """
seed = 11
replicates = 2
until = 2024
[constants]
counties = ["清城区", "连南瑶族自治县"]
"""


def write(tmp_path: Path, text: str, name: str = "spec.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run_inline(spec: Path, out: Path, run_fn=toy_run, **kw):
    exp = load_spec(spec, kw.pop("overrides", None))
    return exp, run_experiment(exp, out, InlineExecutor(), run_fn=run_fn, progress=False, **kw)


def read_tables(out: Path) -> dict[str, pd.DataFrame]:
    tables = {t: pd.read_parquet(out / f"{t}.parquet") for t in TABLES if (out / f"{t}.parquet").exists()}
    runs = pd.read_parquet(out / "runs.parquet")
    tables["runs"] = runs.drop(columns=["wall_s"])  # timings differ, everything else must not
    for extra in ("sensitivity", "prim"):
        if (out / f"{extra}.parquet").exists():
            tables[extra] = pd.read_parquet(out / f"{extra}.parquet")
    return tables


def assert_same_tables(a: Path, b: Path) -> None:
    ta, tb = read_tables(a), read_tables(b)
    assert ta.keys() == tb.keys()
    for name in ta:
        pd.testing.assert_frame_equal(ta[name], tb[name], check_exact=True, obj=name)


# ---------------------------------------------------------------- seeds and designs


def test_replicate_seeds_are_spawned_stable_and_distinct():
    seeds = replicate_seeds(20231, 5)
    assert seeds == replicate_seeds(20231, 5)
    assert len(set(seeds)) == 5
    assert replicate_seeds(20231, 3) == seeds[:3]  # adding replicates keeps earlier seeds
    assert replicate_seeds(20232, 5) != seeds
    assert all(0 <= s < 2**63 for s in seeds)
    ss = np.random.SeedSequence(20231).spawn(5)
    assert seeds[2] == int(ss[2].generate_state(1, dtype=np.uint64)[0]) >> 1


def test_common_random_numbers_across_scenarios_and_samples(tmp_path):
    spec = write(
        tmp_path,
        BASE
        + """
[scenarios]
a = {}
b = { overrides = { "demography.births_trend" = -0.1 } }
[design]
kind = "lhs"
samples = 3
[uncertainties]
urbanisation_gain = { low = 0.0, high = 0.02 }
""",
    )
    exp = load_spec(spec)
    assert len(exp.runs) == 2 * 3 * 2
    by_rep = {}
    for r in exp.runs:
        by_rep.setdefault(r.replicate, set()).add(r.seed)
        assert r.config["seed"] == r.seed
    assert all(len(s) == 1 for s in by_rep.values())  # one seed per replicate everywhere
    assert by_rep[0] != by_rep[1]
    assert len({r.run_id for r in exp.runs}) == len(exp.runs)
    # the sample values do not depend on the scenario
    a = {r.sample: r.params for r in exp.runs if r.scenario == "a"}
    b = {r.sample: r.params for r in exp.runs if r.scenario == "b"}
    assert a == b


def _design_spec(kind: str, extra: str = "", n_params: int = 3) -> str:
    params = "\n".join(
        [
            "births_trend = { low = -0.08, high = 0.02 }",
            "urbanisation_gain = { low = 0.0, high = 0.02 }",
            '"workforce.attrition_rural" = { low = 0.02, high = 0.08 }',
            "parents_leave = { low = 0.01, high = 0.05 }",
        ][:n_params]
    )
    return BASE + f'[design]\nkind = "{kind}"\n{extra}\n[uncertainties]\n{params}\n'


@pytest.mark.parametrize(
    ("kind", "extra", "d", "expected"),
    [
        ("lhs", "samples = 7", 3, 7),
        ("sobol", "samples = 8", 3, 8 * (2 * 3 + 2)),
        ("sobol", "samples = 4\nsecond_order = false", 4, 4 * (4 + 2)),
        ("morris", "samples = 5\nlevels = 4", 3, 5 * (3 + 1)),
        ("grid", "levels = 3", 2, 9),
    ],
)
def test_design_sizes(tmp_path, kind, extra, d, expected):
    exp = load_spec(write(tmp_path, _design_spec(kind, extra, d)))
    assert len(exp.samples) == expected
    assert exp.unit_samples.shape == (expected, d)
    assert len(exp.runs) == expected * 2  # one scenario, two replicates
    # same spec, same samples; another seed, other samples (not for the grid)
    again = load_spec(write(tmp_path, _design_spec(kind, extra, d), "again.toml"))
    assert again.samples == exp.samples
    if kind != "grid":
        other = load_spec(
            write(
                tmp_path,
                _design_spec(kind, extra, d).replace("seed = 11", "seed = 12"),
                "other.toml",
            )
        )
        assert other.samples != exp.samples


def test_lhs_is_stratified_and_values_map_to_ranges(tmp_path):
    exp = load_spec(write(tmp_path, _design_spec("lhs", "samples = 10", 2)))
    for j in range(2):
        bins = np.floor(exp.unit_samples[:, j] * 10).astype(int)
        assert sorted(bins) == list(range(10))  # one point in each tenth
    trend = np.array([s["demography.births_trend"] for s in exp.samples])
    assert trend.min() >= -0.08 and trend.max() <= 0.02
    np.testing.assert_allclose(trend, -0.08 + exp.unit_samples[:, 0] * 0.10)


def test_grid_uses_values_and_levels(tmp_path):
    spec = write(
        tmp_path,
        BASE
        + """
[design]
kind = "grid"
[uncertainties]
births_trend = { values = [-0.05, 0.0] }
"workforce.directed_places" = { low = 0, high = 10, levels = 3, integer = true }
""",
    )
    exp = load_spec(spec)
    assert [tuple(s.values()) for s in exp.samples] == [
        (-0.05, 0),
        (-0.05, 5),
        (-0.05, 10),
        (0.0, 0),
        (0.0, 5),
        (0.0, 10),
    ]
    assert all(isinstance(s["workforce.directed_places"], int) for s in exp.samples)


def test_scenario_overrides_apply_only_to_their_scenario(tmp_path):
    spec = write(
        tmp_path,
        BASE
        + """
[scenarios]
baseline = {}
high_pay = { overrides = { "workforce.salary_parity" = 1.1 } }
[scenarios.fewer_births]
demography.births_trend = -0.1
""",
    )
    exp = load_spec(spec)
    cfg = {r.scenario: r.config for r in exp.runs}
    assert cfg["baseline"]["workforce"]["salary_parity"] == 0.9
    assert cfg["baseline"]["demography"]["births_trend"] == Config().demography.births_trend
    assert cfg["high_pay"]["workforce"]["salary_parity"] == 1.1
    assert cfg["high_pay"]["demography"]["births_trend"] == Config().demography.births_trend
    assert cfg["fewer_births"]["demography"]["births_trend"] == -0.1
    assert cfg["fewer_births"]["workforce"]["salary_parity"] == 0.9
    assert all(c["counties"] == ["清城区", "连南瑶族自治县"] for c in cfg.values())  # constants


def test_parameter_restricted_to_scenarios(tmp_path):
    spec = write(
        tmp_path,
        BASE
        + """
[scenarios]
a = {}
b = {}
[design]
kind = "lhs"
samples = 2
[levers]
"workforce.salary_parity" = { low = 1.0, high = 1.2, scenarios = ["b"] }
""",
    )
    exp = load_spec(spec)
    for r in exp.runs:
        if r.scenario == "a":
            assert r.params == {} and r.config["workforce"]["salary_parity"] == 0.9
        else:
            assert 1.0 <= r.config["workforce"]["salary_parity"] <= 1.2
    assert exp.parameters[0].kind == "lever"


# ---------------------------------------------------------------- levers in lists


@pytest.fixture
def fake_lever():
    """A registered lever type, as the lever framework will provide."""
    from sim import levers

    class Fake:
        @classmethod
        def from_spec(cls, spec, config, source, index):
            unknown = set(spec) - {"type", "rate", "start_year"}
            if unknown:
                raise InputError(f"unknown key {sorted(unknown)[0]}", source=source, key=f"levers[{index}]")
            if not 0 <= spec.get("rate", 0.1) <= 1:
                raise InputError("rate must be within 0-1", source=source, key=f"levers[{index}].rate")
            return cls()

    levers.REGISTRY["fake_rotation"] = Fake
    yield
    del levers.REGISTRY["fake_rotation"]


def test_lever_parameter_sets_the_lever_of_that_type(tmp_path, fake_lever):
    spec = write(
        tmp_path,
        BASE
        + """
[scenarios]
plan = { levers = [{ type = "fake_rotation", rate = 0.1 }] }
[design]
kind = "lhs"
samples = 3
[levers]
fake_rotation.rate = { low = 0.1, high = 0.3 }
""",
    )
    exp = load_spec(spec)
    assert exp.parameters[0].name == "levers.fake_rotation.rate"
    for r in exp.runs:
        assert r.config["levers"] == [
            {"type": "fake_rotation", "rate": r.params["levers.fake_rotation.rate"]}
        ]


def test_lever_parameter_sets_every_table_of_its_type(tmp_path, fake_lever):
    spec = write(
        tmp_path,
        BASE
        + """
[scenarios.plan]
levers = [{ type = "fake_rotation", rate = 0.1, start_year = 2023 }, { type = "fake_rotation" }]
[design]
kind = "lhs"
samples = 2
[levers]
fake_rotation.rate = { low = 0.1, high = 0.3 }
"levers.0.start_year" = { low = 2023, high = 2024, integer = true }
""",
    )
    for r in load_spec(spec).runs:
        rate = r.params["levers.fake_rotation.rate"]
        assert [lv.get("rate") for lv in r.config["levers"]] == [rate, rate]
        assert r.config["levers"][0]["start_year"] == r.params["levers.0.start_year"]
        assert "start_year" not in r.config["levers"][1]


def test_lever_parameter_without_the_lever_fails_clearly(tmp_path, fake_lever):
    spec = write(
        tmp_path,
        BASE
        + """
[scenarios]
baseline = {}
[design]
kind = "lhs"
samples = 3
[levers]
"levers.fake_rotation.rate" = { low = 0.1, high = 0.3 }
""",
    )
    with pytest.raises(InputError, match=r"no lever of type 'fake_rotation'.*scenarios = "):
        load_spec(spec)


def test_lever_parameter_out_of_the_levers_range_fails(tmp_path, fake_lever):
    spec = write(
        tmp_path,
        BASE
        + """
[scenarios]
plan = { levers = [{ type = "fake_rotation" }] }
[design]
kind = "lhs"
samples = 3
[levers]
fake_rotation.rate = { low = 0.5, high = 1.5 }
""",
    )
    with pytest.raises(InputError, match="rate must be within 0-1"):
        load_spec(spec)


# ---------------------------------------------------------------- malformed specs


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("replicats = 3\n" + BASE, r"replicats: unknown key \(allowed keys: .*replicates"),
        (BASE + '[design]\nkind = "lhs"\nsampels = 3\n', r"design.sampels: unknown key"),
        (BASE + '[design]\nkind = "taguchi"\n', r"design.kind"),
        (
            _design_spec("lhs", "samples = 4", 1).replace(
                "low = -0.08, high = 0.02", "low = 0.02, high = -0.08"
            ),
            r"uncertainties.births_trend.*low \(0.02\) must be below high \(-0.08\)",
        ),
        (
            _design_spec("lhs", "samples = 4", 1).replace("high = 0.02", "high = 0.9"),
            r"births_trend.*allowed: >= -0.3 and <= 0.3",
        ),
        (
            BASE
            + '[design]\nkind = "lhs"\nsamples = 2\n[uncertainties]\n'
            + "birth_trend = { low = 0, high = 1 }\n",
            r"uncertainties.birth_trend: unknown parameter",
        ),
        (
            BASE + '[design]\nkind = "lhs"\nsamples = 2\n[uncertainties]\n'
            '"demography.birth_trend" = { low = 0, high = 0.1 }\n',
            r"unknown config path 'demography.birth_trend'",
        ),
        (
            BASE + '[[outcomes]]\nname = "x"\nmetric = "n_pupils"\nyear = 2024\n',
            r"outcomes\[0\].metric: unknown metric 'n_pupils'",
        ),
        (
            BASE + '[[outcomes]]\nname = "x"\nmetric = "new_births"\ncounty = "广州市"\nyear = 2024\n',
            r"outcomes\[0\].county: unknown county '广州市'",
        ),
        (
            BASE + '[[outcomes]]\nname = "x"\nmetric = "new_births"\ncounty = "英德市"\nyear = 2024\n',
            r"county '英德市' is not simulated in scenario 'baseline'",
        ),
        (
            BASE + '[[outcomes]]\nname = "x"\nmetric = "new_births"\nyear = 2030\n',
            r"outcomes\[0\].year: year 2030 is outside the simulated years 2023-2024",
        ),
        (
            BASE + '[scenarios]\nplan = { config = "nope.toml" }\n',
            r"scenarios.plan.config: config file 'nope.toml' not found",
        ),
        (
            BASE + '[scenarios]\nplan = { overrides = { "workforce.salary" = 1 } }\n',
            r"scenarios.plan.workforce.salary: unknown key",
        ),
        (
            BASE
            + '[design]\nkind = "sobol"\nsamples = 6\n[uncertainties]\n'
            + "births_trend = { low = 0, high = 0.1 }\n",
            r"power of 2",
        ),
        (BASE + "[uncertainties]\nbirths_trend = { low = 0, high = 0.1 }\n", r"no design"),
        (
            BASE
            + '[design]\nkind = "lhs"\nsamples = 2\n[uncertainties]\n'
            + '"workforce.directed_places" = { low = 0, high = 5 }\n',
            r"integer = true",
        ),
        ("seed = 3\n" + BASE, r"malformed TOML"),
        (
            _design_spec("lhs", "samples = 4", 1)
            + '[levers]\n"demography.births_trend" = { low = 0.0, high = 0.1 }\n',
            r"levers.demography.births_trend: parameter given twice",
        ),
        (
            BASE + '[[outcomes]]\nname = "x"\ntarget = "counties_compulsary"\nyear = 2024\n',
            r"outcomes\[0\].target: unknown plan target 'counties_compulsary' \(known: .*counties_compulsory",
        ),
        (
            BASE
            + '[[outcomes]]\nname = "x"\ntarget = "counties_compulsory"\n'
            + 'metric = "new_births"\nyear = 2024\n',
            r"give exactly one of metric",
        ),
    ],
)
def test_malformed_specs_fail_before_any_run(tmp_path, text, match):
    spec = write(tmp_path, text)
    with pytest.raises(InputError, match=match) as info:
        load_spec(spec)
    assert str(spec) in str(info.value)


def test_cli_prints_one_line_error_and_exits_2(tmp_path, capsys):
    spec = write(tmp_path, BASE + '[[outcomes]]\nname = "x"\nmetric = "n_pupils"\nyear = 2024\n')
    out = tmp_path / "out"
    code = cli_main(
        [
            "experiment",
            str(spec),
            "--out",
            str(out),
            "--no-progress",
            "--run-function",
            "test_experiments_toy:toy_run",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and "unknown metric 'n_pupils'" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()  # nothing ran, nothing was written


# ---------------------------------------------------------------- running, failures, outputs


SWEEP = (
    BASE
    + """
[scenarios]
baseline = {}
low_births = { overrides = { "demography.births_trend" = -0.1 } }
[design]
kind = "lhs"
samples = 3
[uncertainties]
urbanisation_gain = { low = 0.0, high = 0.02 }
[[outcomes]]
name = "births_2024"
metric = "new_births"
year = 2024
threshold = 2900
sense = "<="
[[outcomes]]
name = "urban_counties"
metric = "urbanisation_rate"
year = 2024
reduce = "count_counties"
county_threshold = 0.42
threshold = 1
[[outcomes]]
name = "urban_per_birth_qc"
metric = "urbanisation_rate"
divide_by = "new_births"
county = "清城区"
year = 2023
[prim]
probability = 0.5
"""
)


def test_layout_and_reductions_match_the_runs(tmp_path):
    exp, res = run_inline(write(tmp_path, SWEEP), tmp_path / "out")
    out = tmp_path / "out"
    assert res.done == len(exp.runs) == 12 and res.failed == 0
    for name in (
        "spec.toml",
        "experiment.json",
        "runs.parquet",
        "county_year.parquet",
        "outcomes.parquet",
        "bands.parquet",
        "target_probability.parquet",
        "prim.parquet",
    ):
        assert (out / name).is_file(), name
    assert not (out / "sensitivity.parquet").exists()  # an LHS design has no indices
    assert (out / "spec.toml").read_text(encoding="utf-8") == SWEEP
    info = json.loads((out / "experiment.json").read_text(encoding="utf-8"))
    assert info["status"] == "complete" and info["design"]["runs"] == 12
    assert info["timings"]["runs_done"] == 12 and "numpy" in info["versions"]

    runs = pd.read_parquet(out / "runs.parquet")
    assert list(runs.columns) == [
        "run_id",
        "scenario",
        "sample",
        "replicate",
        "seed",
        "status",
        "wall_s",
        "demography.urbanisation_gain",
    ]
    assert runs["run_id"].is_monotonic_increasing and (runs["status"] == "ok").all()

    cy = pd.read_parquet(out / "county_year.parquet")
    assert list(cy.columns[:4]) == ["run_id", "scenario", "sample", "replicate"]
    one = cy[cy["run_id"] == "low_births-s00001-r001"].drop(
        columns=["run_id", "scenario", "sample", "replicate"]
    )
    r = next(r for r in exp.runs if r.run_id == "low_births-s00001-r001")
    from sim.config import Config

    direct = toy_run(Config.model_validate(r.config), seed=r.seed, until=2024)["county_year"]
    pd.testing.assert_frame_equal(one.reset_index(drop=True), direct)

    # outcomes: value at the city, and the count of counties over the per-county threshold
    outcomes = pd.read_parquet(out / "outcomes.parquet").set_index("run_id")
    c24 = cy[cy["year"] == 2024]
    city = c24[(c24["county"] == CITY) & (c24["metric"] == "new_births")].set_index("run_id")["value"]
    pd.testing.assert_series_equal(outcomes["births_2024"], city, check_names=False)
    urb = c24[(c24["county"] != CITY) & (c24["metric"] == "urbanisation_rate")]
    counted = (urb["value"] >= 0.42).groupby(urb["run_id"]).sum().astype(float)
    pd.testing.assert_series_equal(outcomes["urban_counties"], counted, check_names=False)

    c23 = cy[(cy["year"] == 2023) & (cy["county"] == "清城区")].pivot(
        index="run_id", columns="metric", values="value"
    )
    ratio = c23["urbanisation_rate"] / c23["new_births"]
    pd.testing.assert_series_equal(outcomes["urban_per_birth_qc"], ratio, check_names=False)

    # bands: median and 10-90% over the scenario's runs
    bands = pd.read_parquet(out / "bands.parquet")
    assert list(bands.columns) == [
        "scenario",
        "county",
        "metric",
        "year",
        "median",
        "p10",
        "p90",
        "n",
    ]
    row = bands[
        (bands["scenario"] == "baseline")
        & (bands["county"] == CITY)
        & (bands["metric"] == "new_births")
        & (bands["year"] == 2024)
    ].iloc[0]
    vals = cy[
        (cy["scenario"] == "baseline")
        & (cy["county"] == CITY)
        & (cy["metric"] == "new_births")
        & (cy["year"] == 2024)
    ]["value"]
    assert row["n"] == 6
    assert row["median"] == pytest.approx(np.median(vals))
    assert row["p10"] == pytest.approx(np.quantile(vals, 0.1))
    assert row["p90"] == pytest.approx(np.quantile(vals, 0.9))
    assert list(bands["scenario"].unique()) == ["baseline", "low_births"]  # spec order

    # probability of meeting each threshold, per scenario; and the model's own scorecard
    prob = pd.read_parquet(out / "target_probability.parquet")
    p = prob[(prob["scenario"] == "low_births") & (prob["target"] == "births_2024")].iloc[0]
    expected = (outcomes.loc[outcomes["scenario"] == "low_births", "births_2024"] <= 2900).mean()
    assert p["probability"] == pytest.approx(expected) and p["n"] == 6
    plan = prob[prob["source"] == "plan"]
    assert set(plan["target"]) == {"toy_births_below_5000"} and len(plan) == 2


def test_failed_run_is_recorded_with_traceback_and_others_finish(tmp_path, capsys):
    spec = write(
        tmp_path,
        BASE
        + """
[scenarios]
baseline = {}
broken = { name = "boom" }
[[outcomes]]
name = "births_2024"
metric = "new_births"
year = 2024
threshold = 5000
""",
    )
    out = tmp_path / "out"
    code = cli_main(
        [
            "experiment",
            str(spec),
            "--out",
            str(out),
            "--no-progress",
            "--run-function",
            "test_experiments_toy:fragile_run",
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "2 run(s) done" in err and "2 failed" in err
    runs = pd.read_parquet(out / "runs.parquet").set_index("run_id")
    assert runs["status"].to_dict() == {
        "baseline-s00000-r000": "ok",
        "baseline-s00000-r001": "ok",
        "broken-s00000-r000": "failed",
        "broken-s00000-r001": "failed",
    }
    m = json.loads((out / "runs" / "broken-s00000-r000" / "manifest.json").read_text(encoding="utf-8"))
    assert m["status"] == "failed"
    assert m["error"] == "RuntimeError: the boom scenario always fails"
    assert "Traceback" in m["traceback"] and "fragile_run" in m["traceback"]
    assert m["config"]["name"] == "boom" and m["seed"] == runs.loc["broken-s00000-r000", "seed"]
    assert not (out / "runs" / "broken-s00000-r000" / "county_year.parquet").exists()
    outcomes = pd.read_parquet(out / "outcomes.parquet").set_index("run_id")
    assert (
        outcomes.loc["broken-s00000-r000", "births_2024"] != outcomes.loc["broken-s00000-r000", "births_2024"]
    )
    assert outcomes.loc["baseline-s00000-r000", "births_2024"] > 0
    cy = pd.read_parquet(out / "county_year.parquet")
    assert set(cy["scenario"]) == {"baseline"}
    info = json.loads((out / "experiment.json").read_text(encoding="utf-8"))
    assert info["status"] == "complete_with_failures" and info["runs_failed_total"] == 2


def test_resume_redoes_only_failed_runs_and_refuses_other_experiments(tmp_path):
    spec = write(tmp_path, SWEEP + '[scenarios.broken]\nname = "boom"\n')
    out = tmp_path / "out"
    exp, res = run_inline(spec, out, run_fn=fragile_run)
    assert res.failed == 6 and res.done == 12
    ok_manifest = out / "runs" / "baseline-s00000-r000" / "manifest.json"
    stamp = ok_manifest.stat().st_mtime_ns
    with pytest.raises(InputError, match="pass --resume"):
        run_experiment(exp, out, InlineExecutor(), run_fn=toy_run, progress=False)
    res2 = run_experiment(exp, out, InlineExecutor(), run_fn=toy_run, progress=False, resume=True)
    assert (res2.skipped, res2.done, res2.failed) == (12, 6, 0)
    assert ok_manifest.stat().st_mtime_ns == stamp
    assert (pd.read_parquet(out / "runs.parquet")["status"] == "ok").all()
    changed = write(tmp_path, SWEEP.replace("seed = 11", "seed = 12"), "changed.toml")
    with pytest.raises(InputError, match="different experiment"):
        run_inline(changed, out, resume=True)


def test_same_tables_inline_process_pool_and_dask(tmp_path):
    from distributed import LocalCluster

    spec = write(tmp_path, SWEEP)
    exp = load_spec(spec)
    outs = {}
    # a scheduler on loopback that the runner joins by address (--dask tcp://...); the
    # LocalCluster path (--dask local) runs in test_experiments_model.py
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        for label, workers, dask in (("inline", 1, None), ("pool", 2, None), ("dask", 1, address)):
            outs[label] = tmp_path / label
            with open_executor(workers, dask) as (ex, name, window):
                res = run_experiment(
                    exp,
                    outs[label],
                    ex,
                    executor_name=name,
                    run_fn=toy_run,
                    progress=False,
                    window=window,
                )
            assert res.done == 12 and res.failed == 0, label
    info = json.loads((outs["dask"] / "experiment.json").read_text())
    assert info["executor"] == f"dask scheduler {address} (2 workers)"
    assert_same_tables(outs["inline"], outs["pool"])
    assert_same_tables(outs["inline"], outs["dask"])


def test_killed_sweep_resumes_without_redoing_finished_runs(tmp_path):
    spec = write(
        tmp_path,
        BASE.replace("replicates = 2", "replicates = 4")
        + """
[scenarios]
a = {}
b = { overrides = { "demography.births_trend" = -0.1 } }
[[outcomes]]
name = "births_2024"
metric = "new_births"
year = 2024
""",
    )
    env = dict(
        os.environ,
        PYTHONPATH=f"{TESTS}{os.pathsep}{ROOT}",
        TOY_SLEEP="0.25",
        TOY_LOG=str(tmp_path / "calls.log"),
    )
    cmd = [
        sys.executable,
        "-m",
        "sim",
        "experiment",
        str(spec),
        "--no-progress",
        "--run-function",
        "test_experiments_toy:slow_toy_run",
    ]
    killed = tmp_path / "killed"
    proc = subprocess.Popen(  # killed while running on a process pool, resumed in-process
        [*cmd, "--out", str(killed), "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    done_before: dict[str, int] = {}
    while time.monotonic() < deadline:
        done_before = {p.parent.name: p.stat().st_mtime_ns for p in killed.glob("runs/*/manifest.json")}
        if len(done_before) >= 2:
            break
        time.sleep(0.02)
    import psutil

    helpers = psutil.Process(proc.pid).children(recursive=True)  # forkserver, pool workers
    assert len(helpers) >= 2
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    # the workers notice that the runner is gone and leave (no orphans holding memory)
    _, alive = psutil.wait_procs(helpers, timeout=15)
    assert not alive, f"left behind: {alive}"
    assert 2 <= len(done_before) < 8, "the sweep should be killed part-way"
    done_before = {p.parent.name: p.stat().st_mtime_ns for p in killed.glob("runs/*/manifest.json")}
    parquet_before = {p.parent.name: p.stat().st_mtime_ns for p in killed.glob("runs/*/county_year.parquet")}
    assert not (killed / "runs.parquet").exists()  # the kill came before the reduction

    resumed = subprocess.run(
        [*cmd, "--out", str(killed), "--resume"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(done_before)} already finished" in resumed.stderr
    for rid, stamp in done_before.items():
        assert (killed / "runs" / rid / "manifest.json").stat().st_mtime_ns == stamp
        assert (killed / "runs" / rid / "county_year.parquet").stat().st_mtime_ns == parquet_before[rid]
    calls = [json.loads(line) for line in (tmp_path / "calls.log").read_text().splitlines()]
    exp = load_spec(spec)
    finished_keys = {
        (r.seed, r.config["demography"]["births_trend"]) for r in exp.runs if r.run_id in done_before
    }
    counts = pd.Series([(c["seed"], c["trend"]) for c in calls]).value_counts()
    assert all(counts[k] == 1 for k in finished_keys)  # finished runs ran once only

    whole = tmp_path / "whole"
    exp = load_spec(spec)
    run_experiment(exp, whole, InlineExecutor(), run_fn=toy_run, progress=False)
    assert_same_tables(killed, whole)


# ---------------------------------------------------------------- sensitivity and PRIM


def test_sobol_and_morris_find_the_parameter_that_matters(tmp_path):
    # births in the toy depend on births_trend only; urbanisation_gain and parents_leave do not
    common = (
        BASE.replace("replicates = 2", "replicates = 1")
        + """
[uncertainties]
births_trend = { low = -0.2, high = 0.2 }
urbanisation_gain = { low = 0.0, high = 0.02 }
parents_leave = { low = 0.01, high = 0.05 }
[[outcomes]]
name = "births_2024"
metric = "new_births"
year = 2024
"""
    )
    for kind, extra in (("sobol", "samples = 16"), ("morris", "samples = 6")):
        spec = write(tmp_path, common + f'[design]\nkind = "{kind}"\n{extra}\n', f"{kind}.toml")
        run_inline(spec, tmp_path / kind)
        sens = pd.read_parquet(tmp_path / kind / "sensitivity.parquet").set_index("parameter")
        assert list(sens.columns) == [
            "method",
            "scenario",
            "outcome",
            "S1",
            "S1_conf",
            "ST",
            "ST_conf",
            "mu_star",
            "mu_star_conf",
            "sigma",
        ]
        if kind == "sobol":
            # N = 16 keeps the test fast; the estimate of a true ST of 1 is then about 0.8-1.2
            assert sens.loc["demography.births_trend", "ST"] > 0.7
            assert sens.loc["demography.births_trend", "S1"] > 0.7
            # parameters that do not enter the outcome get exactly zero
            for name in ("demography.urbanisation_gain", "demography.parents_leave"):
                assert sens.loc[name, "ST"] == pytest.approx(0.0, abs=1e-12)
            assert sens["mu_star"].isna().all()
        else:
            top = sens["mu_star"].idxmax()
            assert top == "demography.births_trend"
            assert sens.loc["demography.parents_leave", "mu_star"] == 0.0
            assert sens["S1"].isna().all()


def test_prim_finds_the_box_of_hits():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, size=(600, 3))
    y = (X[:, 0] > 0.7) & (X[:, 2] < 0.5)
    box = prim.find_box(X, y, alpha=0.05, min_mass=0.02, min_coverage=0.8)
    assert box is not None
    assert box.density > 0.9 and box.coverage >= 0.8
    assert box.low[0] == pytest.approx(0.7, abs=0.05) and box.high[2] == pytest.approx(0.5, abs=0.05)
    assert list(box.restricted) == [True, False, True]
    # the reported numbers are what they say
    inside = np.all((box.low <= X) & (box.high >= X), axis=1)
    assert box.density == pytest.approx(y[inside].mean())
    assert box.coverage == pytest.approx(y[inside].sum() / y.sum())
    assert prim.find_box(X, np.zeros(600, bool)) is None


def test_prim_covering_finds_a_second_region_after_the_first():
    rng = np.random.default_rng(1)
    X = rng.uniform(0, 1, size=(1000, 3))
    y = (X[:, 0] > 0.8) | (X[:, 1] > 0.8)
    boxes = prim.covering(X, y, boxes=2, min_mass=0.02, min_coverage=0.3)
    assert len(boxes) == 2
    dims = [int(np.argmin(b.high - b.low)) for b in boxes]  # the most narrowed parameter
    assert dims == [0, 1]  # one box per region, on its own parameter
    assert [b.low[j] for b, j in zip(boxes, dims, strict=True)] == pytest.approx([0.8, 0.8], abs=0.05)
    assert list(boxes[0].restricted) == [True, False, False]
    assert all(b.density > 0.9 for b in boxes)
    assert sum(b.coverage for b in boxes) > 0.85  # coverage is of all hits, boxes disjoint


def test_prim_table_from_a_sweep(tmp_path):
    exp, _ = run_inline(write(tmp_path, SWEEP), tmp_path / "out")
    table = pd.read_parquet(tmp_path / "out" / "prim.parquet")
    assert {"outcome", "box", "parameter", "low", "high", "coverage", "density"} <= set(table.columns)
    urban = table[(table["scenario"] == "baseline") & (table["outcome"] == "urban_counties")]
    assert len(urban) == 1 and urban["parameter"].iloc[0] == "demography.urbanisation_gain"
    gains = [s["demography.urbanisation_gain"] for s in exp.samples]
    assert min(gains) <= urban["low"].iloc[0] <= urban["high"].iloc[0] <= max(gains)


def test_overrides_shrink_a_spec(tmp_path):
    spec = write(
        tmp_path,
        _design_spec("sobol", "samples = 8", 3)
        + """
[[outcomes]]
name = "births"
metric = "new_births"
year = 2024
""",
    )
    exp = load_spec(spec, SpecOverrides(replicates=1, samples=2, until=2023, counties=["连南瑶族自治县"]))
    assert len(exp.runs) == 2 * (2 * 3 + 2)
    assert exp.outcomes[0].year == 2023 and exp.notes
    assert all(r.config["counties"] == ["连南瑶族自治县"] and r.until == 2023 for r in exp.runs)


def test_progress_bar_shows_done_failed_and_eta(tmp_path, capsys):
    spec = write(tmp_path, BASE + '[scenarios]\nbaseline = {}\nbroken = { name = "boom" }\n')
    code = cli_main(
        [
            "experiment",
            str(spec),
            "--out",
            str(tmp_path / "out"),
            "--run-function",
            "test_experiments_toy:fragile_run",
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "4/4" in err and "failed=2" in err and "<" in err  # tqdm: done/total, failed, elapsed<eta


def test_parameter_distributions_map_the_unit_interval(tmp_path):
    spec = write(
        tmp_path,
        BASE
        + """
[design]
kind = "lhs"
samples = 2
[uncertainties]
births_trend = { low = -0.1, high = 0.1, dist = "normal", mean = 0.0, sd = 0.05 }
urbanisation_gain = { low = 0.0, high = 0.03, dist = "triangular", mode = 0.01 }
parents_leave = { low = 0.01, high = 0.1, dist = "loguniform" }
"workforce.directed_places" = { low = 0, high = 3, integer = true }
"demography.migration" = { values = [true, false] }
""",
    )
    p = {q.name: q for q in load_spec(spec).parameters}
    normal = p["demography.births_trend"]
    assert normal.from_unit(0.5) == pytest.approx(0.0)
    assert normal.from_unit(0.0) == pytest.approx(-0.1) and normal.from_unit(1.0) == pytest.approx(0.1)
    from scipy.stats import norm

    # truncated at +-2 sd: the 0.25 quantile lies inside the untruncated one
    assert -0.05 * norm.ppf(0.75) < normal.from_unit(0.25) < 0
    tri = p["demography.urbanisation_gain"]
    assert tri.from_unit(1 / 3) == pytest.approx(0.01)  # (mode - low) / (high - low) of the mass
    logu = p["demography.parents_leave"]
    assert logu.from_unit(0.5) == pytest.approx(np.sqrt(0.01 * 0.1))
    ints = p["workforce.directed_places"]
    assert [ints.from_unit(u) for u in (0.0, 0.24, 0.26, 0.74, 0.99, 1.0)] == [0, 0, 1, 2, 3, 3]
    cat = p["demography.migration"]
    assert [cat.from_unit(u) for u in (0.0, 0.49, 0.5, 1.0)] == [True, True, False, False]


def test_prim_pruning_lifts_restrictions_on_noise():
    rng = np.random.default_rng(3)
    X = rng.uniform(0, 1, (800, 4))
    y = (X[:, 0] > 0.6) ^ (rng.uniform(size=800) < 0.1)  # x0 decides, 10% of labels flipped
    peeled = prim.find_box(X, y, prune=0.0)
    pruned = prim.find_box(X, y, prune=0.05)
    assert peeled.restricted[0] and peeled.restricted[1:].any()  # peeling also cut noise
    assert list(pruned.restricted) == [True, False, False, False]
    assert pruned.low[0] == pytest.approx(0.6, abs=0.02)
    assert pruned.coverage > peeled.coverage and pruned.density >= peeled.density - 0.05


def test_combined_tables_do_not_depend_on_a_runs_row_order(tmp_path):
    exp = load_spec(write(tmp_path, SWEEP))
    outs = {}
    for label, workers in (("inline", 1), ("pool", 2)):
        outs[label] = tmp_path / label
        with open_executor(workers) as (ex, _name, window):
            run_experiment(
                exp, outs[label], ex, run_fn=process_ordered_toy_run, progress=False, window=window
            )
    one = next(iter((outs["pool"] / "runs").iterdir())).name
    assert not pd.read_parquet(outs["pool"] / "runs" / one / "county_year.parquet").equals(
        pd.read_parquet(outs["inline"] / "runs" / one / "county_year.parquet")
    )  # rows differ ...
    assert_same_tables(outs["inline"], outs["pool"])  # ... the combined tables do not
