"""Compiled loops (numba) that count the children for the year's metrics in one pass.

Why: the county and school metrics are sums over a million rows; one loop tallies them all
instead of a mask and a ``bincount`` per metric. ``tests/test_kernels.py`` checks each
against its ``bincount`` reference (the float sums add in row order, as ``bincount`` does).
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def child_tally(
    band_of_age: np.ndarray,
    year: int,
    columns: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    school_tier: np.ndarray,
    flags: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    n_counties: int,
    special_needs: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The year's child counts in one pass, so that the rows are read once.

    ``columns`` = (birth year, county, stage, school, achievement); ``flags[0]`` is boarding.
    Returns the children per (county, age band, stage, school tier 0-3 with 0 = none, four
    flags), a composite key flattened; achievement summed over the enrolled per county;
    pupils per (school, stage, boarding); achievement summed per school; and per county the
    children with special needs in age band 2 (compulsory school age) and those of them in
    a school. The float sums add in row order, as ``np.bincount`` with weights does
    (``tests/test_kernels.py``).
    """
    birth_year, county, stage, school, achievement = columns
    f0, f1, f2, f3 = flags
    n_schools = school_tier.shape[0]
    cells = np.zeros(n_counties * 4 * 7 * 4 * 16, dtype=np.int64)
    county_sum = np.zeros(n_counties, dtype=np.float64)
    by_school = np.zeros((n_schools, 7, 2), dtype=np.int64)
    school_sum = np.zeros(n_schools, dtype=np.float64)
    special = np.zeros((2, n_counties), dtype=np.int64)
    last = band_of_age.shape[0] - 1
    for i in range(county.shape[0]):
        s = school[i]
        c = county[i]
        st = stage[i]
        value = np.float64(achievement[i])
        age = min(max(year - birth_year[i], 0), last)
        tier = 0 if s < 0 else school_tier[s] + 1
        band = band_of_age[age]
        key = (((c * 4 + band) * 7 + st) * 4 + tier) * 16
        key += f0[i] * 8 + f1[i] * 4 + f2[i] * 2 + f3[i]
        cells[key] += 1
        if st != 0:
            county_sum[c] += value
        if s >= 0:
            by_school[s, st, 1 if f0[i] else 0] += 1
            school_sum[s] += value
        if special_needs[i] and band == 2:
            special[0, c] += 1
            if s >= 0:
                special[1, c] += 1
    return cells, county_sum, by_school, school_sum, special


@numba.njit(cache=True, nogil=True)
def pupils_by_school(
    school: np.ndarray, stage: np.ndarray, boarding: np.ndarray, achievement: np.ndarray, n_schools: int
) -> tuple[np.ndarray, np.ndarray]:
    """Pupils per (school, stage 7, boarding 2), and the float64 sum of achievement per school."""
    counts = np.zeros((n_schools, 7, 2), dtype=np.int64)
    total = np.zeros(n_schools, dtype=np.float64)
    for i in range(school.shape[0]):
        s = school[i]
        if s >= 0:
            counts[s, stage[i], 1 if boarding[i] else 0] += 1
            total[s] += np.float64(achievement[i])
    return counts, total
