"""Bounded resources (issue 16): sizes are known before anything is built, and capped."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sim.config import Config
from sim.core.errors import InputError
from sim.experiments.spec import Limits, design_size, load_spec
from sim.scenario import check_run_size, peak_children

ROOT = Path(__file__).resolve().parents[1]

SPEC = """
name = "sized"
seed = 1
replicates = {replicates}
[scenarios]
baseline = {{ counties = ["连山壮族瑶族自治县"] }}
[design]
{design}
[uncertainties]
"demography.births_trend" = {{ low = -0.05, high = 0.0 }}
"demography.urbanisation_gain" = {{ low = 0.0, high = 0.02 }}
"workforce.rotation_rate" = {{ low = 0.0, high = 0.2 }}
"""


def spec(tmp_path: Path, design: str, replicates: int = 1) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(SPEC.format(design=design, replicates=replicates), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "design",
    [
        'kind = "grid"\nlevels = 4',
        'kind = "lhs"\nsamples = 7',
        'kind = "sobol"\nsamples = 8',
        'kind = "sobol"\nsamples = 8\nsecond_order = false',
        'kind = "morris"\nsamples = 3',
    ],
)
def test_design_size_is_what_the_sampler_draws(tmp_path, design):
    exp = load_spec(spec(tmp_path, design, replicates=2))
    assert design_size(exp.design, exp.parameters) == len(exp.samples)
    assert exp.n_runs == len(exp.runs) == 2 * len(exp.samples)


def test_run_cap_names_the_count_and_the_option(tmp_path):
    with pytest.raises(InputError, match=r"2,000 runs .* cap is 1,000 \(raise it with --max-runs\)"):
        load_spec(spec(tmp_path, 'kind = "lhs"\nsamples = 1000', replicates=2), limits=Limits(max_runs=1000))


def test_children_estimate_is_a_close_upper_bound_of_the_model():
    """Births of 18 cohorts bound the children present (presence below 1 at most ages) closely."""
    from sim.model import QingyuanModel

    config = Config(counties=["连山壮族瑶族自治县"], until=2023)
    model = QingyuanModel(config)
    actual = len(model.pop.stage)
    assert 1.0 <= peak_children(config) / actual < 1.3, (peak_children(config), actual)


def test_children_cap_refuses_a_population_explosion():
    grow = Config().with_overrides({"demography.births_trend": 0.3, "until": 2040})
    # the issue measured 13 M children by 2040 on the births before 2025's published fall
    assert peak_children(grow) > 8_000_000
    with pytest.raises(InputError, match=r"about \d,\d{3},\d{3} children .* --max-children"):
        check_run_size(grow, 5_000_000, "c.toml")
    assert check_run_size(Config(), 5_000_000, "c.toml") > 1_000_000


# Runs a command in a fresh interpreter and reports the command's own CPU seconds and peak
# memory: RUSAGE_CHILDREN of the test process would report the largest of every child the
# suite has started so far (a full model run among them), not this command's.
_MEASURED = (
    "import json, resource, subprocess, sys\n"
    "proc = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=120)\n"
    "use = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "json.dump({'rc': proc.returncode, 'stderr': proc.stderr, 'cpu': use.ru_utime + use.ru_stime,\n"
    "           'maxrss_kb': use.ru_maxrss}, sys.stdout)\n"
)


def _check_measured(path: Path) -> dict:
    args = [sys.executable, "-m", "sim", "experiment", str(path), "--check", "--max-runs", "100000000"]
    proc = subprocess.run([sys.executable, "-c", _MEASURED, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=150)  # fmt: skip
    return json.loads(proc.stdout)


def test_check_on_a_huge_spec_is_fast_and_small(tmp_path):
    """--check of a 5.7-million-run Sobol plan: under 5 s of CPU and 500 MB, and says what it needs."""
    refused = _check_measured(spec(tmp_path, 'kind = "sobol"\nsamples = 65536', replicates=10))
    assert refused["rc"] == 2 and "524,288 points (at most 100,000)" in refused["stderr"]  # over MAX_SAMPLES
    checked = _check_measured(spec(tmp_path, 'kind = "sobol"\nsamples = 8192', replicates=50))
    assert checked["rc"] == 0, checked["stderr"]
    stderr = checked["stderr"]
    assert "= 3276800 runs" in stderr and "MB per run" in stderr and "GB in all" in stderr
    for run in (refused, checked):
        assert run["cpu"] < 5.0, run["cpu"]
        assert run["maxrss_kb"] < 500 * 1024, run["maxrss_kb"]  # KB on Linux


def test_a_valid_config_whose_levers_add_training_runs_to_the_end():
    """training_places = 1.0 (its maximum) with the plan's levers used to stop in year one at 1.11.

    Levers now fund training places at the schools they name (a teacher's chance capped at
    one), so the county knob stays in range and the run completes; any knob a lever still
    pushes out of range is clipped and recorded (tests/test_lever_details.py).
    """
    from sim.scenario import load_config, run

    config = load_config(ROOT / "configs" / "plan.toml").with_overrides(
        {"workforce.training_places": 1.0, "counties": ["连山壮族瑶族自治县"], "until": 2024}
    )
    tables = run(config)
    assert tables["county_year"]["year"].max() == 2024
    warnings = tables["warnings"]
    assert (warnings["value"] != warnings["clipped_to"]).all()


def test_a_ratio_over_zero_is_nan_never_inf():
    import pandas as pd

    from sim.model import QingyuanModel
    from sim.plots.labels import fmt_value

    model = QingyuanModel(
        Config(counties=["连山壮族瑶族自治县"], until=2023).with_overrides(
            {"enrolment.preschool_enrolment": 0.0}
        )
    )
    model.run(2023)
    # what the preschool evaluator reports for children but no teachers
    model.county_rows.append(
        pd.DataFrame(
            {
                "year": [2023],
                "county": ["全市"],
                "metric": ["children_per_teacher_preschool"],
                "value": [float("inf")],
            }
        )
    )
    cy = model.county_year()
    assert not cy["value"].isin([float("inf"), float("-inf")]).any()
    assert cy["value"].iloc[-1] != cy["value"].iloc[-1]  # NaN
    assert fmt_value("children_per_teacher_preschool", float("nan")) == "n/a"


def test_experiment_status_counts_the_run_folders_on_disk(tmp_path):
    """A kill in the final step left runs.parquet saying every run finished."""
    import json

    from sim.report.load import load
    from sim.report.summary import run_status_line
    from tests import test_report_fixtures as fx

    d = fx.write_experiment(tmp_path / "exp", replicates=3)
    ids = list(load(d).runs["run_id"])
    for i, run_id in enumerate(ids[:-1]):  # the last run's folder is gone
        folder = d / "runs" / run_id
        folder.mkdir(parents=True)
        (folder / "county_year.parquet").write_bytes(b"x")
        status = "failed" if i == 0 else "ok"
        manifest = {"status": status, "files": {"county_year": "county_year.parquet"}}
        (folder / "manifest.json").write_text(json.dumps(manifest))
    (d / "runs" / ids[1] / "county_year.parquet").unlink()  # listed but missing: not finished
    info = json.loads((d / "experiment.json").read_text())
    (d / "experiment.json").write_text(json.dumps({**info, "status": "running"}))
    runs = load(d).runs
    assert list(runs["status"]).count("ok") == len(ids) - 3
    line = run_status_line(runs, "en", unfinished=True)
    assert f"{len(ids) - 3} finished, 1 failed, 2 missing (the experiment did not finish)" in line
