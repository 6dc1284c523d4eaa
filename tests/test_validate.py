"""The held-out back-test: its data, the comparison, the command, and that set-up never reads it."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.core.names import COUNTIES
from sim.data.holdout import (
    CUTOFF,
    RunInfo,
    compare,
    holdout_dir,
    load_holdout,
    model_value,
)

ROOT = Path(__file__).resolve().parents[1]
SETUP_SOURCES = ("sim/world", "sim/processes", "sim/model.py", "sim/data/births.py", "sim/data/__init__.py")


@pytest.fixture(scope="module")
def small_run(tmp_path_factory) -> Path:
    """连南 + 连山 run to 2025 written to disk (about a second)."""
    d = tmp_path_factory.mktemp("run")
    cfg = d / "small.toml"
    text = 'name = "small"\ncounties = ["连南瑶族自治县", "连山壮族瑶族自治县"]\nuntil = 2025\n'
    cfg.write_text(text, "utf-8")
    assert main(["run", str(cfg), "--out", str(d / "out"), "--quiet"]) == 0
    return d / "out"


def test_holdout_has_enough_sourced_rows_published_after_the_cutoff():
    h = load_holdout()
    assert len(h) >= 15
    assert h["kind"].nunique() >= 3
    assert (h["publication_date"] >= CUTOFF).all()
    for key, shortest in (("source", 6), ("publisher", 3), ("band_reason", 20), ("url", 12)):
        assert (h[key].str.len() >= shortest).all(), key
    assert ((h["band_low"] <= h["value"]) & (h["value"] <= h["band_high"])).all()


def test_setup_sources_never_mention_the_holdout():
    for rel in SETUP_SOURCES:
        p = ROOT / rel
        files = sorted(p.rglob("*.py")) if p.is_dir() else [p]
        for f in files:
            assert "holdout" not in f.read_text(encoding="utf-8"), f


def test_calibration_and_set_up_never_open_a_holdout_file():
    """An audit hook records every file opened while the model is calibrated and built from scratch."""
    from sim import data
    from sim.model import QingyuanModel
    from sim.world import calibration
    from tests.conftest import small_config

    opened: list[str] = []
    recording = [True]

    def hook(event: str, args: tuple) -> None:
        if recording[0] and event == "open" and args and isinstance(args[0], str | Path):
            opened.append(str(args[0]))

    sys.addaudithook(hook)
    try:
        calibration._calibrate_cached.cache_clear()
        for loader in (data.counties, data.city_totals_2022, data.births_index):
            loader.cache_clear()
        model = QingyuanModel(small_config())
        model.run(2023)
    finally:
        recording[0] = False
    assert any("counties.csv" in p for p in opened)  # the hook does see the data files
    assert not [p for p in opened if "holdout" in p]


def test_change_and_percent_transforms():
    cy = pd.DataFrame(
        {
            "year": [2022, 2023, 2022, 2023, 2022, 2023],
            "county": ["全市"] * 6,
            "metric": ["a", "a", "b", "b", "r", "r"],
            "value": [100.0, 90.0, 10.0, 5.0, 0.5, 0.6],
        }
    )
    row = {"model_metric": "a", "model_county": "全市", "year": 2023}
    row |= {"transform": "change_pct", "base_year": 2022}
    assert model_value(cy, row)[0] == pytest.approx(-10.0)
    row |= {"model_metric": "a - b"}
    assert model_value(cy, row)[0] == pytest.approx(85 / 90 * 100 - 100)
    row |= {"model_metric": "r", "transform": "percent"}
    assert model_value(cy, row)[0] == pytest.approx(60.0)
    row |= {"year": 2030}
    value, why = model_value(cy, row)
    assert value is None and "2030" in why


def test_rows_a_run_cannot_speak_to_are_listed_with_a_reason():
    h = load_holdout()
    info = RunInfo(counties=("连南瑶族自治县",), all_counties=False, has_levers=False, name="x")
    comparisons = compare(h, pd.DataFrame(columns=["year", "county", "metric", "value"]), info)
    reasons = {c.row["comparable_with"]: c.reason for c in comparisons if not c.compared}
    assert "no levers" in reasons["levers"]
    assert "input" in reasons["input"]
    city = [c for c in comparisons if c.row["model_county"] == "全市" and c.row["comparable_with"] == "any"]
    assert city and all("8 counties" in c.reason for c in city)


def test_validate_prints_the_table_for_a_small_run(small_run, capsys):
    code = main(["validate", str(small_run)])
    out = capsys.readouterr().out
    assert "| liannan_preschool_ger_2025 | 连南瑶族自治县 | 2025 |" in out
    assert "a city-wide figure; this run covers 2 of the 8 counties" in out
    assert code == (1 if "**OUTSIDE**" in out else 0)


def test_validate_json_and_exit_1_outside_a_band(small_run, tmp_path, capsys):
    h = pd.read_csv(holdout_dir() / "published_after_2022.csv", dtype=str, keep_default_na=False)
    row = h[h["id"] == "liannan_preschool_ger_2025"].copy()
    row[["value", "band_low", "band_high"]] = ["500", "499", "501"]  # no run can reach it
    bad = tmp_path / "h.csv"
    row.to_csv(bad, index=False)
    assert main(["validate", str(small_run), "--holdout", str(bad), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["summary"] == {"rows": 1, "compared": 1, "within": 0, "outside": 1, "not_comparable": 0}
    assert out["rows"][0]["verdict"] == "OUTSIDE"


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        ({"band_low": "200"}, "band_low"),
        ({"transform": "log"}, "transform"),
        ({"publication_date": "2021-01-01"}, "publication_date"),
        ({"value": "many"}, "value"),
    ],
)
def test_bad_holdout_csv_is_one_line_and_exit_2(small_run, tmp_path, capsys, edit, needle):
    h = pd.read_csv(holdout_dir() / "published_after_2022.csv", dtype=str, keep_default_na=False)
    for key, value in edit.items():
        h.loc[0, key] = value
    bad = tmp_path / "bad.csv"
    h.to_csv(bad, index=False)
    assert main(["validate", str(small_run), "--holdout", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(bad) in err[0] and needle in err[0]


def test_not_a_run_directory_exit_2(tmp_path, capsys, small_run):
    assert main(["validate", str(tmp_path / "nope")]) == 2
    partial = tmp_path / "partial"
    shutil.copytree(small_run, partial)
    (partial / "manifest.json").unlink()
    assert main(["validate", str(partial)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "manifest.json" in err[1]


def test_every_county_name_in_the_holdout_is_known():
    h = load_holdout()
    assert set(h["model_county"]) <= {*COUNTIES, "全市"}
