"""Reproduce from a manifest: ``python -m sim run DIR/manifest.json`` reruns a run exactly,
and manifests record every lever default (so a later default change cannot silently alter
a reproduction)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main as cli
from sim.experiments.runner import with_lever_defaults
from sim.scenario import build_manifest, load_config, now, run, write_run

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def first(tmp_path_factory) -> Path:
    """A small run with a lever: boarding expansion in 连南, 2022–2023."""
    config = load_config(ROOT / "configs" / "boarding_expansion.toml").with_overrides(
        {"counties": ["连南瑶族自治县"], "until": 2023})
    started = now()
    tables = run(config)
    timings = tables.pop("timings").iloc[0].to_dict()
    manifest = build_manifest(config, config.seed, config.until, started, now(), timings)
    return write_run(tables, tmp_path_factory.mktemp("first") / "run", manifest)


def test_rerun_from_manifest_gives_identical_tables(first, tmp_path):
    out = tmp_path / "again"
    assert cli(["run", str(first / "manifest.json"), "--out", str(out), "--quiet"]) == 0
    for name in ("county_year", "school_year", "targets"):
        a = pd.read_parquet(first / f"{name}.parquet")
        b = pd.read_parquet(out / f"{name}.parquet")
        pd.testing.assert_frame_equal(a, b)
    again = json.loads((out / "manifest.json").read_text("utf-8"))
    assert again["config"] == json.loads((first / "manifest.json").read_text("utf-8"))["config"]


def test_manifest_records_every_lever_default(first):
    lever = json.loads((first / "manifest.json").read_text("utf-8"))["config"]["levers"][0]
    assert lever["type"] == "boarding_expansion"
    assert {"bed_cost_yuan", "bed_running_yuan", "school_types", "end_year"} <= set(lever)
    # experiment run manifests write the same resolved levers
    cfg = {"levers": [{"type": "boarding_expansion", "beds_per_year": 10}]}
    full = with_lever_defaults(cfg)["levers"][0]
    assert full["beds_per_year"] == 10 and "bed_cost_yuan" in full


def test_bad_manifest_is_one_readable_line(tmp_path, capsys):
    bad = tmp_path / "manifest.json"
    bad.write_text('{"seed": 1}', "utf-8")
    assert cli(["run", str(bad), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "manifest.json" in err and "config" in err
