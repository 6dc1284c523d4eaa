"""The command line: the run command's outputs and one-line errors for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.core.errors import InputError
from sim.core.names import CORE_COUNTY_METRICS
from sim.scenario import load_config

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str, name: str = "c.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_run_writes_three_files_for_counties_and_city(tmp_path):
    cfg = write(tmp_path, 'counties = ["连南瑶族自治县"]\nuntil = 2024\n')
    out = tmp_path / "out"
    assert main(["run", str(cfg), "--out", str(out), "--quiet"]) == 0
    cy = pd.read_parquet(out / "county_year.parquet")
    assert set(cy["county"]) == {"连南瑶族自治县", "全市"}
    assert sorted(cy["year"].unique()) == [2022, 2023, 2024]
    assert set(cy["metric"]) >= CORE_COUNTY_METRICS, CORE_COUNTY_METRICS - set(cy["metric"])
    sy = pd.read_parquet(out / "school_year.parquet")
    assert {"students", "classes", "teachers", "teaching_space_m2", "beds"} <= set(sy.columns)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["config"]["demography"]["births_scale"] == 0.9  # defaults filled in
    assert manifest["seed"] == 20230
    assert {"mesa", "numpy"} <= set(manifest["versions"])
    assert manifest["wall_s"] > 0


def test_n_births_is_reported(tmp_path):
    cfg = load_config(write(tmp_path, 'counties = ["连山壮族瑶族自治县"]\nuntil = 2023\n'))
    from sim.scenario import run

    cy = run(cfg)["county_year"]
    births = cy[(cy.metric == "new_births") & (cy.year == 2023)]["value"]
    assert (births > 0).all()


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("untill = 2027\n", "untill: unknown key"),
        ("[demography]\nbirths_trend = 0.9\n", "demography.births_trend"),
        ("[demography]\nbirths_trend = 0.9\n", "<= 0.3"),
        ("[enrolment]\ngeneral_share = -0.1\n", ">= 0.0"),
        ('counties = ["北京"]\n', "unknown county"),
        ("until = 2022\n", "until"),
        ("until = [\n", "malformed TOML"),
        ("[workforce]\nrotation_rate = 'high'\n", "workforce.rotation_rate"),
        ('[[levers]]\ntype = "no_such_lever"\n', "unknown lever type"),
    ],
)
def test_bad_config_names_file_key_and_range(tmp_path, text, needle):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as err:
        load_config(path)
    assert str(path) in str(err.value)
    assert needle in str(err.value)


def test_cli_bad_input_is_one_line_exit_2(tmp_path):
    path = write(tmp_path, "[demography]\nbirths_trend = 5\n")
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(path), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert "demography.births_trend" in lines[0] and "<= 0.3" in lines[0]
    assert not (tmp_path / "o").exists()


def test_cli_missing_file(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(tmp_path / "none.toml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 2
    assert "file not found" in proc.stderr and "Traceback" not in proc.stderr


def test_base_config_inheritance(tmp_path):
    write(tmp_path, "[demography]\nbirths_trend = -0.05\n", "base.toml")
    child = write(tmp_path, 'base = "base.toml"\n[enrolment]\ntop_outflow = 0.3\n', "child.toml")
    cfg = load_config(child)
    assert cfg.demography.births_trend == -0.05 and cfg.enrolment.top_outflow == 0.3


def test_overrides_reject_unknown_dotted_keys():
    cfg = load_config(ROOT / "configs" / "baseline.toml")
    with pytest.raises(InputError, match=r"demography\.birth_trend"):
        cfg.with_overrides({"demography.birth_trend": 0.0})
    assert cfg.with_overrides({"demography.births_trend": 0.0}).demography.births_trend == 0.0


def test_every_shipped_config_runs_two_years():
    for path in sorted((ROOT / "configs").glob("*.toml")):
        cfg = load_config(path).with_overrides({"counties": ["连山壮族瑶族自治县"], "until": 2024})
        from sim.scenario import run

        assert len(run(cfg)["county_year"]) > 0, path
