"""A short plan run reproduces the committed baseline summary (tests/regression/baseline.py)."""

import pandas as pd

from tests.regression.baseline import DECIMALS, compute, differences, read


def test_short_plan_run_matches_the_committed_baseline(tmp_path):
    # written and read back as the update command does, so floats compare as stored
    path = tmp_path / "now.csv"
    compute().to_csv(path, index=False, encoding="utf-8", float_format=f"%.{DECIMALS}f")
    changed = differences(read(), pd.read_csv(path, encoding="utf-8"))
    assert not changed, (
        f"{len(changed)} baseline numbers changed (first 20 below); if deliberate, run "
        "make update-baseline and commit tests/regression/baseline_summary.csv:\n" + "\n".join(changed[:20])
    )


def test_a_changed_number_is_reported():
    base = read()
    bumped = base.copy()
    bumped.loc[0, bumped.columns[-1]] = bumped.loc[0, bumped.columns[-1]] + 1
    assert len(differences(base, bumped)) == 1
