"""A readable regression baseline: key metrics per county and year of a short plan run.

Why beside the digest: the digest says *that* outputs changed; this small committed table
says *which numbers* and by how much, so every change to outputs is visible in review.
The run is the plan config on 连南 and 连山 to 2025 (every lever of the plan acting, a few
seconds). ``make update-baseline`` (``python -m tests.regression.baseline``) rewrites
``baseline_summary.csv`` deliberately; commit it with a message saying why.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
BASELINE_FILE = Path(__file__).with_name("baseline_summary.csv")
COUNTIES = ["连南瑶族自治县", "连山壮族瑶族自治县"]
UNTIL = 2025
METRICS = (
    "n_children",
    "n_students",
    "n_students_primary",
    "n_students_junior",
    "new_student_entrants",
    "new_dropouts",
    "n_boarding",
    "n_large_classes",
    "n_teachers",
    "new_hires",
    "new_attrition",
    "new_rotations",
    "mean_achievement",
    "n_communities_running",
    "item_salary_parity",
    "item_rotation_rate",
    "item_junior_retention",
    "item_nearby_enrolment_primary",
    "n_items_not_assessed_compulsory",
    "passes_compulsory_standard",
    "passes_preschool_standard",
    "cum_cost_yuan",
)
DECIMALS = 6


def compute() -> pd.DataFrame:
    """Run the short plan scenario and keep ``METRICS`` (rounded) per county and year."""
    from sim.scenario import load_config, run

    cfg = load_config(ROOT / "configs" / "plan.toml").with_overrides({"counties": COUNTIES, "until": UNTIL})
    cy = run(cfg)["county_year"]
    cy = cy[cy["metric"].isin(METRICS)]
    wide = cy.pivot_table(index=["metric", "county"], columns="year", values="value", aggfunc="first")
    rows = pd.MultiIndex.from_product([METRICS, [*COUNTIES, "全市"]], names=["metric", "county"])
    wide = wide.reindex(rows)
    wide.columns = [str(c) for c in wide.columns]
    return wide.round(DECIMALS).reset_index()


def read() -> pd.DataFrame:
    """The committed baseline."""
    return pd.read_csv(BASELINE_FILE, encoding="utf-8")


def differences(expected: pd.DataFrame, actual: pd.DataFrame) -> list[str]:
    """``metric county year: old -> new`` for every cell that differs (NaN equals NaN)."""
    keys = ["metric", "county"]
    e, a = expected.set_index(keys), actual.set_index(keys)
    out = []
    for idx in e.index.union(a.index, sort=False):
        for year in sorted(set(e.columns) | set(a.columns)):
            old = e[year].get(idx, float("nan")) if year in e else float("nan")
            new = a[year].get(idx, float("nan")) if year in a else float("nan")
            if not (pd.isna(old) and pd.isna(new)) and old != new:
                out.append(f"{idx[0]} {idx[1]} {year}: {old} -> {new}")
    return out


if __name__ == "__main__":
    compute().to_csv(BASELINE_FILE, index=False, encoding="utf-8", float_format=f"%.{DECIMALS}f")
    print(f"wrote {BASELINE_FILE.relative_to(ROOT)}", file=sys.stderr)
