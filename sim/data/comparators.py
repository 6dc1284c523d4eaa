"""Real counties' school-level indicator distributions, and the shares of schools they imply.

No Guangdong county's per-school 优质均衡 values were found; two Anhui counties published
theirs (``standards_comparators.csv``): 鸠江区 (2023: county means, standard deviations and
difference coefficients of all seven indicators) and 宁国市 (2022: coefficients only). The
2022 state of the model's facility and teacher stocks is set so Qingyuan's southern counties
sit about as far from each line as 鸠江 (the north further), and the tests compare the model
with the shares these distributions imply. The shares are derived, not published: a
lognormal with the published mean and coefficient, and distribution-free bounds on the
share of schools meeting 6 of 7 lines.
"""

from __future__ import annotations

import math
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd


@cache
def comparators() -> pd.DataFrame:
    """The published comparator rows (one per county, year, level and indicator)."""
    with resources.files("sim.data").joinpath("standards_comparators.csv").open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh)


def share_below(mean: float, cv: float, line: float) -> float:
    """Share of schools below ``line`` if the indicator is lognormal with this mean and CV."""
    sigma = math.sqrt(math.log1p(cv * cv))
    mu = math.log(mean) - sigma * sigma / 2
    return 0.5 * (1 + math.erf((math.log(line) - mu) / (sigma * math.sqrt(2))))


def six_of_seven(p_below: np.ndarray) -> tuple[float, float, float]:
    """Share of schools meeting at least 6 of the 7 lines: (lower bound, if independent, upper bound).

    Bounds hold for any dependence between indicators: at least two failures has probability
    at most the expected number of failures / 2, and at least the largest pairwise overlap
    p_i + p_j - 1.
    """
    p = np.asarray(p_below, dtype=float)
    lower = max(0.0, 1.0 - p.sum() / 2)
    pairs = [p[i] + p[j] - 1 for i in range(len(p)) for j in range(i + 1, len(p))]
    upper = 1.0 - max(0.0, *pairs)
    upper = float(upper)
    independent = float(np.prod(1 - p) * (1 + np.sum(p / (1 - p))))
    return lower, independent, upper


def implied_shares(county: str, level: str) -> pd.Series:
    """Share of schools below each line implied by a comparator's published mean and CV."""
    rows = comparators()
    rows = rows[(rows["county"] == county) & (rows["level"] == level) & rows["mean"].notna()]
    return pd.Series(
        [share_below(r.mean, r.cv, r.line) for r in rows.itertuples()], index=list(rows["indicator"])
    )
