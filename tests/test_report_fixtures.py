"""Small synthetic run and experiment directories following the documented schemas.

The real model gives the enrolment, teacher and demography metrics; the standards metrics,
plan targets, lever costs and experiment tables come from parts of the project that may be
absent from a given run, so the report tests build those here, shaped exactly as the
project brief documents them. No tests live in this module; the plot and report tests
import its builders.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

CITY = "全市"
COUNTIES = ("清城区", "连南瑶族自治县")
YEARS = tuple(range(2022, 2028))
INDICATORS = ("above_degree", "backbone", "pe_art", "teaching_space", "sports_area",
              "equipment", "multimedia")  # ids of sim/standards/compulsory.toml
STAGES = ("preschool", "primary", "junior", "senior_general", "vocational")
TIERS = ("urban", "town", "village")


def county_year(counties=COUNTIES, years=YEARS, *, seed: int = 1, lever_boost: float = 0.0,
                levers: tuple[str, ...] = ()) -> pd.DataFrame:
    """Tidy ``year, county, metric, value`` with every metric family the report knows."""
    rng = np.random.default_rng(seed)
    rows = []
    for ci, county in enumerate(counties):
        size = 3.0 if ci == 0 else 1.0
        for k, year in enumerate(years):
            t = k / max(1, len(years) - 1)

            def add(metric, value, county=county, year=year):
                rows.append((year, county, metric, float(value)))

            add("new_births", 9000 * size * (1 - 0.05 * k))
            add("population", 1e6 * size * (1 + 0.01 * k))
            add("urbanisation_rate", 0.5 + 0.1 * ci + 0.01 * k)
            add("net_migration", (1 if ci == 0 else -1) * 800 * size)
            for si, st in enumerate(STAGES):
                total = 30000 * size / (si + 1) * (1 - 0.02 * k)
                add(f"n_students_{st}", total)
                for ti, tr in enumerate(TIERS):
                    add(f"n_students_{st}_{tr}", total * (0.5, 0.3, 0.2)[ti])
            add("n_teachers", 5000 * size + 20 * k)
            add("n_vacancies", 300 * size - 30 * k)
            add("new_hires", 200 * size)
            add("new_retirements", 120 * size + 10 * k)
            add("new_attrition", 60 * size)
            add("n_backbone", 400 * size)
            add("n_pe_art", 300 * size)
            add("students_per_teacher_primary", 18 - k * 0.3)
            add("n_large_classes", 50 * size * (1 - t))
            add("n_schools_open", 120 * size - 3 * k)
            for lv, lim in (("primary", 0.5), ("junior", 0.45)):
                for ii, ind in enumerate(INDICATORS):
                    base = lim * (0.7 + 0.15 * ii) * (1.2 if ci == 1 else 0.8)
                    add(f"cv_{ind}_{lv}", base * (1 - 0.3 * lever_boost * t)
                        + rng.normal(0, 0.005))
                add(f"n_schools_{lv}", 20)
                add(f"n_schools_passing_{lv}",
                    round(20 * min(1.0, 0.6 + 0.4 * t + 0.2 * lever_boost)))
            add("gross_enrolment_rate_preschool", 0.8 + 0.04 * k)
            add("puhui_coverage_rate", 0.7 + 0.03 * k + 0.1 * lever_boost)
            add("public_share_preschool", 0.4 + 0.03 * k)
            add("children_per_teacher_preschool", 17 - 0.5 * k)
            add("class_compliance_rate_preschool", 0.9)
            passes_c = ci == 0 and k >= 4 - int(2 * lever_boost)
            add("passes_compulsory_standard", float(passes_c))
            add("passes_preschool_standard", float(k >= 3))
            for lever in levers:
                add(f"cost_yuan_{lever}", 2e6 * size * (1 + lever_boost))
    df = pd.DataFrame(rows, columns=["year", "county", "metric", "value"])
    summable = df["metric"].str.startswith(("n_", "new_", "population", "cost_yuan", "net_"))
    city = df[summable].groupby(["year", "metric"], as_index=False)["value"].sum()
    city["county"] = CITY
    rates = df[df["metric"].isin(["urbanisation_rate", "students_per_teacher_primary"])]
    city_rates = rates.groupby(["year", "metric"], as_index=False)["value"].mean()
    city_rates["county"] = CITY
    flags = df[df["metric"].str.startswith("passes_")].copy()
    passing = flags.groupby(["year", "metric"], as_index=False)["value"].sum()
    passing["metric"] = passing["metric"].str.replace(
        r"passes_(\w+)_standard", r"n_counties_passing_\1", regex=True)
    passing["county"] = CITY
    out = pd.concat([df, city, city_rates, passing], ignore_index=True)
    if levers:
        cost = out[out["metric"].str.startswith("cost_yuan_")].groupby(
            ["year", "county"], as_index=False)["value"].sum()
        cost["metric"] = "cost_yuan"
        out = pd.concat([out, cost], ignore_index=True)
    return out[["year", "county", "metric", "value"]]


def school_year(counties=COUNTIES, years=YEARS, seed: int = 2) -> pd.DataFrame:
    """A few compulsory schools per county and tier with the standard's columns."""
    rng = np.random.default_rng(seed)
    rows = []
    sid = 0
    for county in counties:
        for tier in TIERS:
            for level in ("primary", "junior"):
                for _ in range(3):
                    sid += 1
                    for year in years:
                        students = int(rng.integers(80, 900))
                        rows.append({
                            "year": year, "school_id": sid, "school": f"S{sid}",
                            "county": county, "township": "t", "tier": tier, "level": level,
                            "type": "junior" if level == "junior" else "central_primary",
                            "status": "open", "students": students,
                            "backbone_teachers": int(rng.integers(0, 10)),
                            "pe_art_teachers": int(rng.integers(0, 8)),
                            "teaching_point": False,
                        })
    return pd.DataFrame(rows)


def targets(years=YEARS, *, lever_boost: float = 0.0) -> pd.DataFrame:
    """The plan scorecard with the ids of sim/standards/targets.toml; one target unmeasured."""
    rows = []
    for k, year in enumerate(years):
        n_c = 1 + int(lever_boost * k > 2) + int(k >= 5)
        rows.append((year, "counties_compulsory", n_c, 3, n_c >= 3, ""))
        rows.append((year, "counties_preschool", min(2, k // 2), 2, k // 2 >= 2, ""))
        rows.append((year, "liannan_communities", 0.0, 5, False,
                     "metric n_communities_running missing from county_year"))
    return pd.DataFrame(rows, columns=["year", "target", "value", "threshold", "met", "note"])


def write_run(out: Path, *, name: str = "baseline", levers: tuple[str, ...] = (),
              lever_boost: float = 0.0, drop_metrics: tuple[str, ...] = (),
              with_targets: bool = True, with_schools: bool = True) -> Path:
    """A run directory as ``sim.scenario.write_run`` lays it out."""
    from sim.core.rundir import write_run_folder

    cy = county_year(levers=levers, lever_boost=lever_boost)
    if drop_metrics:
        cy = cy[~cy["metric"].str.match("|".join(drop_metrics))]
    tables = {"county_year": cy}
    if with_schools:
        tables["school_year"] = school_year()
    if with_targets:
        tables["targets"] = targets(lever_boost=lever_boost)
    manifest = {
        "config": {"name": name, "seed": 7, "until": 2027, "counties": list(COUNTIES),
                   "levers": [{"type": lv, "start_year": 2024, "intensity": 0.5}
                              for lv in levers]},
        "seed": 7,
        "git_commit": "abc1234",
        "versions": {"python": "3.12", "numpy": np.__version__, "pandas": pd.__version__},
        "timings": {"total_s": 1.0},
    }
    return write_run_folder(out, tables, manifest)


def write_experiment(out: Path, *, design: str = "sobol", replicates: int = 4) -> Path:
    """An experiment directory with two scenarios and the reduced tables of the brief."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(3)
    scen = {"baseline": 0.0, "rotation": 1.0}
    runs, bands, tps, outcomes = [], [], [], []
    for s, boost in scen.items():
        stacked = []
        for r in range(replicates):
            run_id = f"{s}-{r}"
            runs.append({"run_id": run_id, "scenario": s, "sample": 0, "replicate": r,
                         "seed": 100 + r, "status": "ok", "wall_s": 1.0,
                         "demography.births_trend": rng.uniform(-0.1, 0.0),
                         "workforce.rotation_rate": rng.uniform(0.0, 0.2)})
            cy = county_year(seed=r, lever_boost=boost,
                             levers=("teacher_rotation",) if boost else ())
            cy = cy.assign(value=cy["value"] * (1 + rng.normal(0, 0.02, len(cy))))
            stacked.append(cy)
            outcomes.append({"run_id": run_id, "scenario": s, "sample": 0, "replicate": r,
                             "cost_yuan": float(cy[cy["metric"] == "cost_yuan"]["value"].sum())
                             if boost else 0.0,
                             "n_counties_passing_compulsory_2027": 1 + boost})
        allc = pd.concat(stacked)
        g = allc.groupby(["county", "metric", "year"])["value"]
        b = pd.DataFrame({"median": g.median(), "p10": g.quantile(0.1),
                          "p90": g.quantile(0.9), "n": g.size()}).reset_index()
        b["scenario"] = s
        bands.append(b)
        for k, year in enumerate(YEARS):
            tps.append((s, "counties_compulsory", year, min(1.0, boost * k / 5), replicates,
                        3.0, "plan"))
            tps.append((s, "counties_preschool", year, min(1.0, k / 5), replicates, 2.0, "plan"))
        tps.append((s, "large_classes_2027", 2027, 0.25 * (1 + boost), replicates, 0.0,
                    "outcome"))
    pd.DataFrame(runs).to_parquet(out / "runs.parquet", index=False)
    pd.concat(bands, ignore_index=True).to_parquet(out / "bands.parquet", index=False)
    pd.DataFrame(tps, columns=["scenario", "target", "year", "probability", "n", "threshold",
                               "source"]).to_parquet(
        out / "target_probability.parquet", index=False)
    pd.DataFrame(outcomes).to_parquet(out / "outcomes.parquet", index=False)
    params = ["demography.births_trend", "workforce.rotation_rate"]
    if design == "sobol":
        sens = pd.DataFrame({"method": "sobol", "outcome": "n_counties_passing_compulsory_2027",
                             "parameter": params, "S1": [0.2, 0.5], "S1_conf": [0.05, 0.05],
                             "ST": [0.3, 0.6], "ST_conf": [0.05, 0.05],
                             "mu_star": np.nan, "mu_star_conf": np.nan, "sigma": np.nan})
        sens.to_parquet(out / "sensitivity.parquet", index=False)
        pd.DataFrame({"outcome": "n_counties_passing_compulsory_2027", "box": 1,
                      "parameter": ["workforce.rotation_rate"], "low": [0.1], "high": [0.2],
                      "coverage": [0.8], "density": [0.9]}).to_parquet(
            out / "prim.parquet", index=False)
    configs = {
        s: {"name": s, "seed": 7, "until": 2027,
            "workforce": {"rotation_rate": 0.05 + 0.1 * boost, "salary_parity": 0.9},
            "levers": [{"type": "teacher_rotation", "start_year": 2024}] if boost else []}
        for s, boost in scen.items()
    }
    (out / "experiment.json").write_text(json.dumps(
        {"name": "demo", "design": {"kind": design, "samples": 1, "replicates": replicates,
                                    "scenarios": list(scen)},
         "scenario_configs": configs, "git": {"commit": "abc1234", "dirty": False},
         "seed": 20233, "spec_hash": "deadbeef"}), "utf-8")
    (out / "spec.toml").write_text('base = "configs/baseline.toml"\nreplicates = 4\n', "utf-8")
    return out


def write_real_run(out: Path, *, county: str = "连南瑶族自治县", until: int = 2024) -> Path:
    """A real tiny model run (one county, to ``until``) written as ``python -m sim run`` does."""
    from sim import scenario as api
    from sim.scenario import build_manifest, load_config, now, write_run

    config = load_config(Path(__file__).parent.parent / "configs" / "baseline.toml")
    config = config.with_overrides({"counties": [county], "until": until})
    started = now()
    tables = api.run(config)
    timings = tables.pop("timings").iloc[0].to_dict()
    manifest = build_manifest(config, config.seed, config.until, started, now(), timings)
    return write_run(tables, out, manifest)
