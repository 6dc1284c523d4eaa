"""The lever framework: registry, eager config checks, windows, targeting, composition, CRN."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.config import Config
from sim.core.errors import InputError
from sim.levers import REGISTRY, build_levers, resolved
from sim.levers.ledger import FLOW_METRICS
from sim.model import QingyuanModel
from sim.scenario import load_config, run
from tests.conftest import SMALL, metric, small_config

ROOT = Path(__file__).resolve().parents[1]
LN, LS = SMALL  # 连南, 连山
UNTIL = 2024

# DESIGN §4: the plan's 12 key projects and 5 named measures, one lever each
DESIGN_LEVERS = {
    "layout_optimisation",
    "county_high_school_support",
    "three_schools_uplift",
    "township_management",
    "group_schooling",
    "principal_selection",
    "rural_teacher_development",
    "curriculum_reform",
    "special_groups_care",
    "warm_rural_campus",
    "vocational_standards",
    "education_ecology",
    "boarding_expansion",
    "teacher_rotation",
    "salary_parity",
    "preschool_expansion",
    "digital_empowerment",
}
# a spec per lever that makes it act visibly in the two small counties
ACTIVE_SPEC = {name: {"type": name} for name in DESIGN_LEVERS}
ACTIVE_SPEC["layout_optimisation"] = {
    "type": "layout_optimisation",
    "min_pupils": 300,
    "urban_places_per_year": 2000,
}
# metrics of demography that no lever may change (common random numbers)
DEMOGRAPHY = (
    "new_births",
    "n_children",
    "population",
    "new_deaths",
    "new_inflow",
    "new_outflow",
    "new_moved_to_urban",
    "new_moved_in_county",
    "new_moved_out_county",
    "new_aged_out",
    "n_left_behind",
)


def tables(levers: list[dict], until: int = UNTIL, counties: list[str] | None = None) -> dict:
    cfg = small_config(until=until) if counties is None else Config(counties=counties, until=until)
    return run(cfg.model_copy(update={"levers": levers}) if levers else cfg)


@pytest.fixture(scope="module")
def baseline() -> dict:
    return tables([])


def test_registry_holds_every_design_lever():
    build_levers([], Config(), "x")  # loads every lever module
    assert set(REGISTRY) == DESIGN_LEVERS
    for name, cls in REGISTRY.items():
        assert cls.type_name == name
        assert cls.__module__.startswith("sim.levers.")
        assert cls.__doc__ and sys.modules[cls.__module__].__doc__, name  # mechanism written down


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "c.toml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("levers", "key", "needle"),
    [
        ('type = "no_such_lever"', "levers[0].type", "unknown lever type 'no_such_lever' (allowed: boarding"),
        ('type = "boarding_expansion"\nbeds = 400', "levers[0].beds", "unknown key (allowed keys: "),
        (
            'type = "boarding_expansion"\nstart_year = 2026\nend_year = 2024',
            "levers[0].end_year",
            "end_year 2024 is before start_year 2026 (allowed: >= 2026)",
        ),
        ('type = "boarding_expansion"\ncounties = ["北京"]', "levers[0].counties", "unknown county '北京'"),
        ('type = "boarding_expansion"\nbeds_per_year = -5', "levers[0].beds_per_year", ">= 0"),
        ('type = "boarding_expansion"\nstart_year = 2020', "levers[0].start_year", ">= 2023"),
        (
            'type = "group_schooling"\nlead_types = ["kg_private"]',
            "levers[0].lead_types",
            "unknown school type",
        ),
        ('type = "group_schooling"\nrotation_share = "high"', "levers[0].rotation_share", "valid number"),
        ('type = "county_high_school_support"\nselect = "best"', "levers[0].select", "largest"),
    ],
)
def test_bad_lever_config_names_file_key_and_range(tmp_path, levers, key, needle):
    path = write(tmp_path, f"[[levers]]\n{levers}\n")
    with pytest.raises(InputError) as err:
        load_config(path)
    assert err.value.key == key
    assert str(path) in str(err.value)
    assert needle in str(err.value)


def test_second_lever_is_named_by_its_position(tmp_path):
    path = write(
        tmp_path, '[[levers]]\ntype = "salary_parity"\n[[levers]]\ntype = "salary_parity"\nparity = 9\n'
    )
    with pytest.raises(InputError, match=r"levers\[1\]\.parity: .*<= 1.5"):
        load_config(path)


def test_cli_prints_one_line_for_a_bad_lever(tmp_path):
    path = write(tmp_path, '[[levers]]\ntype = "boarding_expansion"\nbeds_per_yer = 3\n')
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(path), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert "levers[0].beds_per_yer: unknown key" in proc.stderr


def test_to_dict_resolves_defaults_and_round_trips():
    cfg = small_config()
    spec = [{"type": "group_schooling", "counties": [LN], "n_groups": 3}]
    out = resolved(cfg.model_copy(update={"levers": spec}))
    assert out[0]["n_groups"] == 3 and out[0]["rotation_share"] == 0.10 and out[0]["end_year"] is None
    again = build_levers(out, cfg, "manifest")[0].to_dict()
    assert again == out[0]


def test_manifest_holds_resolved_levers(tmp_path):
    cfg = write(
        tmp_path,
        f'counties = ["{LS}"]\nuntil = 2023\n[[levers]]\ntype = "boarding_expansion"\nbeds_per_year = 10\n',
    )
    from sim.cli import main

    assert main(["run", str(cfg), "--out", str(tmp_path / "o"), "--quiet"]) == 0
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text(encoding="utf-8"))
    lever = manifest["config"]["levers"][0]
    assert lever["beds_per_year"] == 10 and lever["bed_cost_yuan"] == 35_000.0
    assert lever["school_types"] == ["central_primary", "village_primary", "nine_year", "junior"]


def test_baseline_reports_every_lever_metric_as_zero(baseline):
    cy = baseline["county_year"]
    names = set(cy["metric"])
    wanted = set(FLOW_METRICS) | {f"cost_yuan_{t}" for t in DESIGN_LEVERS}
    wanted |= {"cum_cost_yuan", "n_groups", "n_communities_running", "n_featured_high_schools"}
    assert wanted <= names
    lever = cy[cy["metric"].isin(wanted)]
    assert (lever["value"] == 0).all()
    # every year and every county (and the city) carry them
    assert len(lever) == len(wanted) * (len(SMALL) + 1) * (UNTIL - 2022 + 1)


ALL_ON = [ACTIVE_SPEC[name] for name in sorted(DESIGN_LEVERS)]


def test_levers_keep_demography_and_record_their_costs(baseline):
    """Common random numbers: all 17 levers at once leave births and migration as they were."""
    out = tables(ALL_ON)
    b, lv = baseline["county_year"], out["county_year"]
    for county in (LN, LS, "全市"):
        for m in DEMOGRAPHY:
            pd.testing.assert_series_equal(metric(b, m, county), metric(lv, m, county), check_names=False)
    total = metric(lv, "cost_yuan")
    for name in DESIGN_LEVERS:
        cost = metric(lv, f"cost_yuan_{name}")
        assert cost.loc[2023] > 0 and (cost <= total).all(), name
    parts = sum(metric(lv, f"cost_yuan_{name}") for name in DESIGN_LEVERS)
    pd.testing.assert_series_equal(parts, total, check_names=False)
    assert metric(lv, "cum_cost_yuan").loc[UNTIL] == pytest.approx(total.sum())


@pytest.fixture(scope="module")
def baseline_2023() -> dict:
    return tables([], until=2023)


@pytest.mark.parametrize(
    "change",
    [
        {"start_year": 2024},  # after the run
        {"counties": ["英德市"]},  # a county not in this run
        {"exclude_counties": list(SMALL)},  # every county of the run excluded
    ],
)
def test_levers_outside_their_years_or_counties_do_nothing(change, baseline_2023):
    out = tables([{**spec, **change} for spec in ALL_ON], until=2023)
    for table in ("county_year", "school_year"):
        pd.testing.assert_frame_equal(out[table], baseline_2023[table])


def test_lever_that_ended_stops_setting_its_knobs():
    out = tables([{"type": "salary_parity", "end_year": 2023}])["county_year"]
    topup = metric(out, "policy_pay_topup_yuan", LN)
    assert topup.loc[2023] > 0 and topup.loc[2024] == 0
    parity = metric(out, "item_salary_parity", LN)  # simulated pay follows the top-up
    assert parity.loc[2023] == pytest.approx(1.0) and parity.loc[2024] < 0.95
    assert metric(out, "cost_yuan_salary_parity").loc[2024] == 0


def test_target_county_only():
    out = tables([{"type": "boarding_expansion", "counties": [LN], "beds_per_year": 300}])["county_year"]
    assert metric(out, "new_beds", LN).loc[2023] == 300
    assert (metric(out, "new_beds", LS) == 0).all()
    assert (metric(out, "cost_yuan_boarding_expansion", LS) == 0).all()


def test_overlapping_levers_compose(baseline):
    one = {"type": "boarding_expansion", "counties": [LN], "beds_per_year": 100}
    two = tables([one, one])["county_year"]
    assert metric(two, "new_beds", LN).loc[2023] == 200
    assert metric(two, "cost_yuan_boarding_expansion", LN).loc[2023] == pytest.approx(
        2 * 100 * (35_000 + 1_000)
    )
    # two levers scaling one knob multiply; a knob raised by two levers takes the larger
    care = {"type": "special_groups_care", "dropout_reduction": 0.2}
    warm = {"type": "warm_rural_campus", "dropout_reduction": 0.5}
    f = {
        k: metric(tables([v])["county_year"], "policy_dropout_factor", LN).loc[2023]
        for k, v in (("c", care), ("w", warm))
    }
    both = metric(tables([care, warm])["county_year"], "policy_dropout_factor", LN).loc[2023]
    assert f["c"] < 1 and f["w"] < 1
    assert both == pytest.approx(f["c"] * f["w"])
    par = tables([{"type": "salary_parity", "parity": 1.1}, {"type": "salary_parity", "parity": 1.0}])
    assert metric(par["county_year"], "item_salary_parity", LN).loc[2023] == pytest.approx(1.1)


def test_same_seed_same_lever_tables():
    spec = [
        ACTIVE_SPEC["group_schooling"],
        ACTIVE_SPEC["layout_optimisation"],
        ACTIVE_SPEC["preschool_expansion"],
    ]
    a, b = tables(spec), tables(spec)
    for name in ("county_year", "school_year"):
        pd.testing.assert_frame_equal(a[name], b[name])


def test_two_levers_of_one_type_draw_from_their_own_streams():
    model = QingyuanModel(
        small_config(until=2023).model_copy(update={"levers": [{"type": "principal_selection"}] * 2})
    )
    a, b = model.levers
    assert not np.array_equal(a.rng(model, 2023).random(5), b.rng(model, 2023).random(5))


def test_readme_table_lists_every_lever_and_parameter():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Levers", 1)[1].split("\n## ", 1)[0]
    build_levers([], Config(), "x")
    for name, cls in REGISTRY.items():
        assert f"`{name}`" in section, name
        for key in cls.Params.model_fields:
            assert f"`{key}`" in section, (name, key)


def test_named_schools_restrict_a_lever_and_unknown_names_fail():
    model = QingyuanModel(small_config(until=2023))
    central = [n for n in model.school_names if n.endswith("中心小学")][:2]
    spec = {"type": "three_schools_uplift", "schools": central, "beds_per_year": 0}
    lv = QingyuanModel(small_config(until=2023).model_copy(update={"levers": [spec]}))
    lv.run(2023)
    # any facility gap the lever closes (which one depends on the generated 2022 stocks)
    columns = ("teaching_space_m2", "sports_area_m2", "equipment_yuan", "multimedia_classrooms")
    grew = np.flatnonzero(
        np.any([getattr(lv.schools, c) > getattr(model.schools, c) for c in columns], axis=0)
    )
    assert {lv.school_names[i] for i in grew} <= set(central) and len(grew) > 0
    bad = small_config(until=2023).model_copy(update={"levers": [{**spec, "schools": ["不存在小学"]}]})
    with pytest.raises(InputError) as err:
        QingyuanModel(bad)
    assert err.value.key == "levers[0].schools" and "unknown school '不存在小学'" in str(err.value)
