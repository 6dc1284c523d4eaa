"""The speed-ups change how things are computed, never what: each is checked against the
direct computation it replaced (issue 15)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.core.names import START_YEAR
from sim.measure import county as measure
from sim.model import QingyuanModel
from sim.world import cache as world_cache
from sim.world.population import NOT_ENROLLED, STAGE_NAMES
from tests.conftest import small_config

EXAMPLE_SCHOOLS = Path(__file__).resolve().parents[1] / "sim" / "standards" / "example_schools.csv"


def test_distance_table_equals_the_road_distance_formula(small_model):
    geo = small_model.geo
    rng = np.random.default_rng(0)
    a = rng.integers(0, geo.n_places, 5000)
    b = rng.integers(0, geo.n_places, 5000)
    straight = np.hypot(geo.x[a] - geo.x[b], geo.y[a] - geo.y[b])
    expected = np.maximum(straight * geo.tortuosity[geo.place_county[a]], 0.8)
    assert np.array_equal(geo.distance(a, b), expected)


def test_composite_key_child_metrics_equal_one_mask_per_metric(small_model):
    """Every child metric read off the one-pass bincount equals its own boolean-mask count."""
    model, year = small_model, small_model.year
    pop, s, nc = model.pop, model.schools, len(model.counties)
    m = measure.CountyMetrics(nc)
    measure.child_metrics(model, m, year)

    def by(mask):
        return np.bincount(pop.county[mask], minlength=nc).astype(float)

    age = pop.age(year)
    enrolled = pop.stage != NOT_ENROLLED
    tier = np.where(pop.school >= 0, s.tier[np.maximum(pop.school, 0)], -1)
    expected = {
        "n_children": by(np.ones(len(pop), bool)),
        "n_children_3_5": by((age >= 3) & (age <= 5)),
        "n_children_6_14": by((age >= 6) & (age <= 14)),
        "n_students": by(enrolled),
        "n_boarding": by(pop.boarding),
        "n_long_commute": by(model.long_commute),
        "n_left_behind": by(pop.left_behind),
        "n_left_behind_students": by(pop.left_behind & enrolled),
        "n_migrant_students": by(pop.migrant & enrolled),
        "n_students_primary_village": by((pop.stage == 2) & (tier == 2)),
        "n_students_junior_urban": by((pop.stage == 3) & (tier == 0)),
    }
    for k in measure.STAGES_REPORTED:
        expected[f"n_students_{STAGE_NAMES[k]}"] = by(pop.stage == k)
    for name, values in expected.items():
        assert np.array_equal(m.sums[name], values), name
    assert expected["n_boarding"].sum() > 0 and expected["n_long_commute"].sum() > 0


def test_teacher_stocks_by_level_equal_one_mask_per_metric(small_model):
    """The teacher stocks read off one (county, level, flags) count equal their own masks."""
    from sim.measure.teachers import LOW_DEGREE_LEVELS, add_teacher_metrics
    from sim.world.teachers import BENKE, CORE, COUNTY_BACKBONE, DAZHUAN, LEVEL_OF_TYPE, LEVELS

    model, year = small_model, small_model.year
    t, s, nc = model.teachers, model.schools, len(model.counties)
    m = measure.CountyMetrics(nc)
    add_teacher_metrics(model, m, year, measure.school_counts(model))
    tc, level = s.county[t.school], LEVEL_OF_TYPE[s.type[t.school]]
    masks = {
        "n_teachers": np.ones(len(t), bool),
        "n_backbone": t.backbone >= COUNTY_BACKBONE,
        "n_pe_art": t.subject != CORE,
        "n_rotating": t.on_rotation,
    }
    for k, lv in enumerate(("", *LEVELS)):
        sel = np.ones(len(t), bool) if not lv else level == k - 1
        suffix = f"_{lv}" if lv else ""
        for name, mask in masks.items():
            expected = np.bincount(tc[mask & sel], minlength=nc)
            assert np.array_equal(m.sums[name + suffix], expected), name + suffix
        num = m.ratios["mean_teacher_age" + suffix][0]
        assert np.array_equal(num, np.bincount(tc[sel], t.age(year).astype(float)[sel], nc)), suffix
    above = np.where(np.isin(level, LOW_DEGREE_LEVELS), t.degree >= DAZHUAN, t.degree >= BENKE)
    junior = level == LEVELS.index("junior")
    expected = np.bincount(tc[above & junior], minlength=nc)
    assert np.array_equal(m.sums["n_above_required_degree_junior"], expected)
    assert m.sums["n_backbone_primary"].sum() > 0 and m.sums["n_pe_art"].sum() > 0


def test_pupil_counts_equal_per_stage_counts(small_model):
    model = small_model
    pop, n = model.pop, len(model.schools)
    counts = measure.pupil_counts(model)
    enrolled = pop.school >= 0
    for k in measure.STAGES_REPORTED:
        sel = enrolled & (pop.stage == k)
        assert np.array_equal(counts[f"students_{STAGE_NAMES[k]}"], np.bincount(pop.school[sel], minlength=n))
    assert np.array_equal(counts["boarders"], np.bincount(pop.school[enrolled & pop.boarding], minlength=n))


def _digest(model: QingyuanModel) -> tuple:
    cy = model.county_year()
    return (len(cy), float(cy["value"].fillna(0).sum()), len(model.pop), float(model.pop.achievement.sum()))


def test_cached_world_gives_the_same_run_as_a_fresh_build():
    """A model built from the set-up cache runs exactly like one built from scratch."""
    config = small_config()
    world_cache.clear()
    fresh = QingyuanModel(config)
    assert world_cache.stats == {"hits": 0, "misses": 1}
    fresh.run(2024)
    cached = QingyuanModel(config)
    assert world_cache.stats["hits"] == 1
    assert cached.pop is not fresh.pop and cached.pop.school is not fresh.pop.school
    cached.run(2024)
    assert _digest(cached) == _digest(fresh)
    # the fresh run's changes did not leak into the cache: a third model starts in 2022
    third = QingyuanModel(config)
    assert third.year == START_YEAR
    assert len(third.county_year()) == len(fresh.county_year()[fresh.county_year()["year"] == START_YEAR])


def test_world_cache_is_shared_across_levers_but_not_across_seeds():
    config = small_config()
    world_cache.clear()
    QingyuanModel(config)
    QingyuanModel(config.with_overrides({"until": 2025}))
    assert world_cache.stats == {"hits": 1, "misses": 1}
    QingyuanModel(config, seed=config.seed + 1)
    QingyuanModel(config.with_overrides({"enrolment.junior_dropout": 0.03}))
    assert world_cache.stats == {"hits": 1, "misses": 3}


@pytest.mark.parametrize("with_lever", [False, True])
def test_cached_world_with_a_lever_matches_a_fresh_build(with_lever):
    base = small_config()
    config = base
    if with_lever:
        config = base.with_overrides({"levers": [{"type": "boarding_expansion", "beds_per_year": 500}]})
    world_cache.clear()
    fresh = QingyuanModel(config)
    fresh.run(2024)
    world_cache.clear()
    QingyuanModel(base)  # fills the cache with the lever-free build of the same world
    cached = QingyuanModel(config)
    assert world_cache.stats["hits"] == 1
    cached.run(2024)
    assert _digest(cached) == _digest(fresh)


HEAVY = ("mesa", "matplotlib", "sim.model", "sim.scenario", "sim.plots", "sim.report")


def _heavy_modules_after(argv: list[str], preamble: str = "") -> list[str]:
    """Run ``python -m sim <argv>`` in a fresh interpreter; the heavy modules it imported."""
    code = (
        preamble + "import contextlib, io, runpy, sys\n"
        f"sys.argv = ['sim', *{argv!r}]\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    runpy.run_module('sim', run_name='__main__')\n"
        f"heavy = {HEAVY!r}\n"
        "print(sorted(m for m in sys.modules if m in heavy or m.split('.')[0] in heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return ast.literal_eval(out.stdout.strip().splitlines()[-1])


def test_help_and_evaluate_do_not_import_mesa_the_model_or_plotting():
    assert _heavy_modules_after(["--help"]) == []
    assert _heavy_modules_after(["evaluate", str(EXAMPLE_SCHOOLS), "--no-schools"]) == []
    # the check sees an import when there is one
    assert "mesa" in _heavy_modules_after(["--help"], preamble="import sim.model\n")


def test_the_report_does_not_import_mesa_or_the_model():
    """A report reads Parquet: importing it must not pay for Mesa or the model's layers (~1 s)."""
    code = (
        "import sys, sim.report.build, sim.report.compare\n"
        "print(sorted(m for m in sys.modules if m == 'mesa' or m.split('.')[:2] in "
        "(['sim', 'model'], ['sim', 'world'], ['sim', 'processes'], ['sim', 'scenario'])))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert ast.literal_eval(out.stdout.strip().splitlines()[-1]) == []


def test_beds_go_to_the_farthest_eligible_pupils_of_each_school(small_model):
    """update_boarding's shortcut (rank only where pupils outnumber beds) = ranking everyone."""
    from sim.core.columns import rank_within_groups
    from sim.processes import boarding

    model = small_model
    pop, s, cfg = model.pop, model.schools, model.config.enrolment
    boarding.update_boarding(model, model.year)
    dist = model.student_distance
    grade = boarding.school_grade(pop.age(model.year))
    rule = model.policy.boarding_distance_km[pop.county]
    eligible = (pop.school >= 0) & boarding.may_board(dist, grade, pop.stage, rule, cfg.boarding_min_grade)
    cand = np.flatnonzero(eligible)
    expected = np.zeros(len(pop), dtype=bool)
    expected[cand[rank_within_groups(pop.school[cand], -dist[cand]) < s.beds[pop.school[cand]]]] = True
    assert np.array_equal(pop.boarding, expected)
    assert 0 < expected.sum() < len(cand)


def test_bench_measures_model_mesa_loop_and_floor_in_one_process():
    from sim.cli import bench

    r = bench.measure(small_config(until=2024), 2024, repeat=2)
    assert len(r["model_s_all"]) == len(r["mesa_loop_s_all"]) == len(r["floor_s_all"]) == 2
    assert r["years"] == 2 and r["agents"] > 10_000 and r["setup_cached"]
    assert r["ratio"] == pytest.approx(r["model_s_median"] / r["mesa_loop_s_median"])
    assert r["ratio_to_floor"] == pytest.approx(r["model_s_median"] / r["floor_s_median"])
    assert 0 < r["floor_s_median"] < r["model_s_median"]
