"""Compiled loops (numba) for the passes over a million rows that numpy cannot fuse.

Why: the yearly step is a sequence of memory-bound numpy passes; an expression such as the
per-id hash of ``sim.core.crn`` is ten of them (each reading and writing the whole array),
where one loop that keeps the value in a register reads the ids once. Each kernel here is
the loop form of a numpy expression that ``tests/test_kernels.py`` keeps beside it as the
reference, and the tests require identical results (bit for bit for integers and for the
float32 uniforms), so a kernel can only change speed, never an outcome.

Kernels are compiled on first use and cached on disk (``cache=True``); a fresh checkout pays
about half a second per kernel once.
"""

from __future__ import annotations

import numba
import numpy as np

_MASK32 = np.uint64(0xFFFFFFFF)
_GOLDEN = np.uint64(0x9E3779B9)
_M1 = np.uint64(0x7FEB352D)
_M2 = np.uint64(0x846CA68B)
_S15 = np.uint64(15)
_S16 = np.uint64(16)
_S32 = np.uint64(32)
_SCALE = np.float32(2.0**-24)


@numba.njit(inline="always")
def _lowbias32(x: np.uint64) -> np.uint64:
    """lowbias32 (Wellons 2018) on the low 32 bits of ``x`` (numba widens uint32 products)."""
    x ^= x >> _S16
    x = (x * _M1) & _MASK32
    x ^= x >> _S15
    x = (x * _M2) & _MASK32
    x ^= x >> _S16
    return x


@numba.njit(inline="always")
def _hash_one(v: np.int64, k0: np.uint64, k1: np.uint64) -> np.uint64:
    u = np.uint64(v)
    x = ((u >> _S32) * _GOLDEN) & _MASK32  # creation year, kind and county bits, spread
    x ^= u & _MASK32
    x ^= k0
    x = _lowbias32(x)
    x ^= k1
    return _lowbias32(x)


@numba.njit(cache=True, nogil=True)
def hash_ids(ids: np.ndarray, k0: np.uint64, k1: np.uint64) -> np.ndarray:
    """32 keyed random bits per id (uint32): ``sim.core.crn``'s generator."""
    out = np.empty(ids.shape[0], dtype=np.uint32)
    for i in range(ids.shape[0]):
        out[i] = np.uint32(_hash_one(ids[i], k0, k1))
    return out


@numba.njit(cache=True, nogil=True)
def uniforms(ids: np.ndarray, k0: np.uint64, k1: np.uint64) -> np.ndarray:
    """float32 uniforms in [0, 1): the top 24 bits of each id's hash, scaled."""
    out = np.empty(ids.shape[0], dtype=np.float32)
    for i in range(ids.shape[0]):
        out[i] = np.float32(_hash_one(ids[i], k0, k1) >> np.uint64(8)) * _SCALE
    return out


@numba.njit(cache=True, nogil=True)
def below(ids: np.ndarray, k0: np.uint64, k1: np.uint64, threshold: np.uint64) -> np.ndarray:
    """Mask: each id's 32-bit hash is below ``threshold`` (a probability times 2**32)."""
    out = np.empty(ids.shape[0], dtype=np.bool_)
    for i in range(ids.shape[0]):
        out[i] = _hash_one(ids[i], k0, k1) < threshold
    return out


@numba.njit(cache=True, nogil=True)
def pupil_distances(
    school: np.ndarray, place: np.ndarray, school_place: np.ndarray, table: np.ndarray
) -> np.ndarray:
    """Road km from each child's home to its school (0 when not enrolled): one gather a row."""
    out = np.zeros(school.shape[0], dtype=np.float64)
    for i in range(school.shape[0]):
        s = school[i]
        if s >= 0:
            out[i] = table[place[i], school_place[s]]
    return out


@numba.njit(cache=True, nogil=True)
def farthest_first(groups: np.ndarray, distance: np.ndarray, places: np.ndarray) -> np.ndarray:
    """Mask of the rows that get one of their group's ``places[g]``, farthest first.

    Ties go in row order, as ``sim.core.columns.rank_within_groups`` on the negated distance
    orders them. Only groups with more rows than places are ranked at all, and those by
    selection (the k-th distance by ``np.partition``), not by a sort.
    """
    n = groups.shape[0]
    n_groups = places.shape[0]
    size = np.zeros(n_groups + 1, dtype=np.int64)
    for i in range(n):
        size[groups[i] + 1] += 1
    start = np.cumsum(size)
    fill = start[:-1].copy()
    order = np.empty(n, dtype=np.int64)
    for i in range(n):  # rows grouped, in row order within a group (a counting sort)
        g = groups[i]
        order[fill[g]] = i
        fill[g] += 1
    gets = np.zeros(n, dtype=np.bool_)
    for g in range(n_groups):
        rows = order[start[g] : start[g + 1]]
        k = places[g]
        if rows.shape[0] <= k:
            gets[rows] = True
        elif k > 0:  # the k farthest: all beyond the k-th distance, then ties in row order
            d = distance[rows]
            kth = -np.partition(-d, k - 1)[k - 1]
            left = k
            for j in range(rows.shape[0]):
                if d[j] > kth:
                    gets[rows[j]] = True
                    left -= 1
            for j in range(rows.shape[0]):
                if left == 0:
                    break
                if d[j] == kth:
                    gets[rows[j]] = True
                    left -= 1
    return gets


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


@numba.njit(cache=True, nogil=True)
def compact(column: np.ndarray, keep: np.ndarray) -> int:
    """Move the rows where ``keep`` is True to the front, in order, in place; their count.

    Safe in place because a row is only ever written at or before the position it is read
    from. No new array, so no fresh pages to fault in: the yearly compaction of a million
    rows touches the memory it already has.
    """
    j = 0
    for i in range(column.shape[0]):  # branch-free: write always, advance only on a kept row
        column[j] = column[i]
        j += keep[i]
    return j


@numba.njit(cache=True, nogil=True)
def sum_by_group(group: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Float64 sum of ``values`` per group, rows with a negative group skipped (row order)."""
    out = np.zeros(n_groups, dtype=np.float64)
    for i in range(group.shape[0]):
        if group[i] >= 0:
            out[group[i]] += np.float64(values[i])
    return out


@numba.njit(cache=True, nogil=True)
def pupils_by_grade(
    school: np.ndarray, birth_year: np.ndarray, year: int, first_age: int, n_schools: int, n_grades: int
) -> np.ndarray:
    """Pupils per (school, grade index): index = age - ``first_age``, clipped into the grades."""
    out = np.zeros((n_schools, n_grades), dtype=np.int64)
    for i in range(school.shape[0]):
        if school[i] >= 0:
            g = min(max(year - birth_year[i] - first_age, 0), n_grades - 1)
            out[school[i], g] += 1
    return out


@numba.njit(cache=True, nogil=True)
def achievement_drift(
    achievement: np.ndarray,
    school: np.ndarray,
    stage: np.ndarray,
    county: np.ndarray,
    birth_year: np.ndarray,
    left_behind: np.ndarray,
    boarding: np.ndarray,
    year: int,
    terms: tuple[np.float32, np.ndarray, np.ndarray, np.ndarray, np.float32, np.float32],
    first_age: int,
    young_grade: int,
    noise: np.ndarray,
) -> None:
    """The AR(1) step of every enrolled pupil's achievement, in place.

    ``terms`` = (persistence, per-school pull, per-county left-behind gap, oversized (school,
    grade) cells, class-size penalty, early-boarding penalty); ``noise`` = each row's scaled
    normal (all rows, the not enrolled unused). The float32 additions are made in the order
    of the numpy reference expression (``tests/test_kernels.py``), so the result is
    bit-identical to it.
    """
    rho, per_school, gap, large, class_penalty, boarding_penalty = terms
    n_grades = large.shape[1]
    zero = np.float32(0.0)
    for i in range(school.shape[0]):  # branch-free: every row computed, the enrolled kept
        age = year - birth_year[i]
        s = max(school[i], 0)
        oversized = large[s, min(max(age - first_age, 0), n_grades - 1)]
        young_boarder = boarding[i] and age - 5 <= young_grade
        x = achievement[i] * rho
        x += per_school[s]
        x += gap[county[i]] if left_behind[i] else zero
        x += class_penalty * np.float32(oversized)  # a penalty times 0 (a signed zero, as numpy's)
        x += boarding_penalty * np.float32(young_boarder)
        x += noise[i]
        achievement[i] = x if stage[i] != 0 else achievement[i]


@numba.njit(cache=True, nogil=True)
def boarding_eligibility(
    school: np.ndarray,
    stage: np.ndarray,
    county: np.ndarray,
    birth_year: np.ndarray,
    distance: np.ndarray,
    rules: tuple[np.ndarray, float, int, int, int, int],
    school_beds: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the long commutes (beyond ``far_km``) and of the pupils who compete for a bed.

    ``rules`` = (distance rule per county, the config's distance, minimum grade, the year,
    the age of grade 1 minus one, the preschool stage code): a pupil may board
    (``sim.processes.boarding.may_board``) beyond the county's rule, from the minimum grade,
    outside preschool, and competes where the school has beds.
    """
    rule_km, far_km, min_grade, year, grade_offset, preschool = rules
    far = np.zeros(school.shape[0], dtype=np.bool_)
    competes = np.zeros(school.shape[0], dtype=np.bool_)
    for i in range(school.shape[0]):
        s = school[i]
        if s < 0 or stage[i] == preschool:
            continue
        d = distance[i]
        far[i] = d > far_km
        grade = year - birth_year[i] - grade_offset
        competes[i] = d > rule_km[county[i]] and grade >= min_grade and school_beds[s] > 0
    return far, competes


@numba.njit(inline="always")
def _uniform_one(v: np.int64, k0: np.uint64, k1: np.uint64) -> np.float32:
    return np.float32(_hash_one(v, k0, k1) >> np.uint64(8)) * _SCALE


@numba.njit(cache=True, nogil=True)
def left_behind_update(
    left_behind: np.ndarray,
    uniform: np.ndarray,
    place_tier: np.ndarray,
    place: np.ndarray,
    chances: tuple[float, float, np.float32],
    urban: int,
) -> None:
    """Parents leave without their child or come back, in place, from one uniform per child.

    ``chances`` = (yearly chance that parents leave, the factor for urban homes, the chance
    they return as float32). The comparisons keep numpy's types in the reference form
    (``sim.processes.demography.left_behind``): the leave chance is compared in float64, the
    return chance in float32. Branch-free.
    """
    leave, urban_factor, back = chances
    for i in range(uniform.shape[0]):
        u = uniform[i]
        p = leave * (urban_factor if place_tier[place[i]] == urban else 1.0)
        stays_away = left_behind[i] & (u >= back)
        leaves = ~left_behind[i] & (np.float64(u) < p)
        left_behind[i] = stays_away | leaves


@numba.njit(cache=True, nogil=True)
def school_age_counts(
    birth_year: np.ndarray,
    county: np.ndarray,
    stage: np.ndarray,
    school: np.ndarray,
    groups: tuple[np.ndarray, np.ndarray],
    ages: tuple[int, int, int],
    compulsory_stages: np.ndarray,
    n_counties: int,
) -> np.ndarray:
    """Per county, children of school age in two groups (migrant, special needs), one pass.

    ``ages`` = (year, first age, last age). Rows of the result: migrants, migrants in a
    compulsory school (a stage in ``compulsory_stages`` and a school), children with special
    needs, and those of them in any school.
    """
    migrant, special = groups
    year, first, last = ages
    out = np.zeros((4, n_counties), dtype=np.int64)
    for i in range(county.shape[0]):
        age = year - birth_year[i]
        if age < first or age > last:
            continue
        c = county[i]
        in_school = school[i] >= 0
        if migrant[i]:
            out[0, c] += 1
            if in_school:
                for k in range(compulsory_stages.shape[0]):
                    if stage[i] == compulsory_stages[k]:
                        out[1, c] += 1
                        break
        if special[i]:
            out[2, c] += 1
            out[3, c] += in_school
    return out


@numba.njit(cache=True, nogil=True)
def moves_up(
    uniform: np.ndarray,
    home_tier: np.ndarray,
    county: np.ndarray,
    stays: np.ndarray,
    rates: tuple[np.ndarray, float],
    tiers: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the households moving town → seat and village → up (seat or town, drawn next).

    ``uniform`` is each row's "move-up" uniform; ``rates`` = (rural-to-urban rate per county,
    the seat share); ``tiers`` = the codes of urban and village places. A village household
    moves with its county's rate, a town household with rate × seat share; the comparison
    is in float64, as numpy's in the reference form. Branch-free: the tiers are mixed.
    """
    rate, share = rates
    urban, village = tiers
    to_seat = np.empty(uniform.shape[0], dtype=np.bool_)
    village_up = np.empty(uniform.shape[0], dtype=np.bool_)
    for i in range(uniform.shape[0]):
        tier = home_tier[i]
        r = rate[county[i]]
        in_village = tier == village
        moves = (tier != urban) & stays[i] & (np.float64(uniform[i]) < (r if in_village else r * share))
        to_seat[i] = moves & ~in_village
        village_up[i] = moves & in_village
    return to_seat, village_up


@numba.njit(cache=True, nogil=True)
def below_where(
    ids: np.ndarray,
    county: np.ndarray,
    county_at_risk: np.ndarray,
    at_risk: np.ndarray,
    key: tuple[np.uint64, np.uint64],
    threshold: np.uint64,
) -> np.ndarray:
    """Mask of the rows at risk (their county and their own flag) whose hash is below ``threshold``."""
    k0, k1 = key
    out = np.empty(ids.shape[0], dtype=np.bool_)
    for i in range(ids.shape[0]):  # every row hashed, no gather: this loop vectorises (SIMD)
        out[i] = at_risk[i] & (_hash_one(ids[i], k0, k1) < threshold)
    for i in range(ids.shape[0]):  # the county lookup, a gather, in a loop of its own
        out[i] = out[i] and county_at_risk[county[i]]
    return out


@numba.njit(cache=True, nogil=True)
def count_groups(index: np.ndarray, size: int) -> np.ndarray:
    """Rows per group 0..size-1 (indices outside, such as -1 for "no school", are skipped)."""
    out = np.zeros(size, dtype=np.int64)
    for i in range(index.shape[0]):
        g = index[i]
        if 0 <= g < size:
            out[g] += 1
    return out


@numba.njit(cache=True, nogil=True)
def flagged_group(index: np.ndarray, group_flag: np.ndarray) -> np.ndarray:
    """Mask of the rows whose group (index ≥ 0) has a nonzero flag, e.g. pupils of closed schools."""
    out = np.zeros(index.shape[0], dtype=np.bool_)
    for i in range(index.shape[0]):
        g = index[i]
        if g >= 0:
            out[i] = group_flag[g] != 0
    return out


@numba.njit(cache=True, nogil=True)
def group_order(groups: np.ndarray, low: int, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows grouped by ``groups - low`` (a counting sort, row order kept within a group).

    Returns the row order and each group's start in it (length n_groups + 1): the same
    order as a stable argsort of ``groups``, in O(n).
    """
    n = groups.shape[0]
    size = np.zeros(n_groups + 1, dtype=np.int64)
    for i in range(n):
        size[groups[i] - low + 1] += 1
    start = np.cumsum(size)
    fill = start[:-1].copy()
    order = np.empty(n, dtype=np.int64)
    for i in range(n):
        g = groups[i] - low
        order[fill[g]] = i
        fill[g] += 1
    return order, start


@numba.njit(cache=True, nogil=True)
def rank_in_groups(groups: np.ndarray, key: np.ndarray, low: int, n_groups: int) -> np.ndarray:
    """Rank of each row within its group (``groups - low`` in 0..n_groups-1) by ascending key.

    Rows are grouped by a counting sort (row order kept), then each group's keys are sorted
    stably, so ties keep row order exactly as ``np.lexsort((key, groups))`` orders them.
    """
    n = groups.shape[0]
    order, start = group_order(groups, low, n_groups)
    rank = np.empty(n, dtype=np.int64)
    for g in range(n_groups):
        rows = order[start[g] : start[g + 1]]
        if rows.shape[0] == 1:
            rank[rows[0]] = 0
        elif rows.shape[0] > 1:
            sorted_rows = rows[np.argsort(key[rows], kind="mergesort")]
            for r in range(sorted_rows.shape[0]):
                rank[sorted_rows[r]] = r
    return rank


@numba.njit(cache=True, nogil=True)
def count_where(index: np.ndarray, mask: np.ndarray, size: int) -> np.ndarray:
    """Rows per group 0..size-1 among those where ``mask`` holds (others skipped)."""
    out = np.zeros(size, dtype=np.int64)
    for i in range(index.shape[0]):
        if mask[i]:
            out[index[i]] += 1
    return out


@numba.njit(cache=True, nogil=True)
def child_tally(
    band_of_age: np.ndarray,
    year: int,
    columns: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    school_tier: np.ndarray,
    flags: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    n_counties: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The year's child counts in one pass, so that the rows are read once.

    ``columns`` = (birth year, county, stage, school, achievement); ``flags[0]`` is boarding.
    Returns the children per (county, age band, stage, school tier 0-3 with 0 = none, four
    flags), a composite key flattened; achievement summed over the enrolled per county;
    pupils per (school, stage, boarding); achievement summed per school. The float sums
    add in row order, as ``np.bincount`` with weights does (``tests/test_kernels.py``).
    """
    birth_year, county, stage, school, achievement = columns
    f0, f1, f2, f3 = flags
    n_schools = school_tier.shape[0]
    cells = np.zeros(n_counties * 4 * 7 * 4 * 16, dtype=np.int64)
    county_sum = np.zeros(n_counties, dtype=np.float64)
    by_school = np.zeros((n_schools, 7, 2), dtype=np.int64)
    school_sum = np.zeros(n_schools, dtype=np.float64)
    last = band_of_age.shape[0] - 1
    for i in range(county.shape[0]):
        s = school[i]
        c = county[i]
        st = stage[i]
        value = np.float64(achievement[i])
        age = min(max(year - birth_year[i], 0), last)
        tier = 0 if s < 0 else school_tier[s] + 1
        key = (((c * 4 + band_of_age[age]) * 7 + st) * 4 + tier) * 16
        key += f0[i] * 8 + f1[i] * 4 + f2[i] * 2 + f3[i]
        cells[key] += 1
        if st != 0:
            county_sum[c] += value
        if s >= 0:
            by_school[s, st, 1 if f0[i] else 0] += 1
            school_sum[s] += value
    return cells, county_sum, by_school, school_sum


@numba.njit(cache=True, nogil=True)
def rank_in_groups_packed(groups: np.ndarray, key_bits: np.ndarray, low: int, n_groups: int) -> np.ndarray:
    """``rank_in_groups`` for 32-bit keys already mapped to order-preserving unsigned bits.

    Within a group, each key is packed with the row's position into one unique 64-bit
    integer, so an ordinary (unstable, fast) sort gives key order with ties in row order.
    """
    n = groups.shape[0]
    order, start = group_order(groups, low, n_groups)
    rank = np.empty(n, dtype=np.int64)
    for g in range(n_groups):
        rows = order[start[g] : start[g + 1]]
        m = rows.shape[0]
        if m == 1:
            rank[rows[0]] = 0
        elif m > 1:
            packed = np.empty(m, dtype=np.uint64)
            for j in range(m):
                packed[j] = (np.uint64(key_bits[rows[j]]) << np.uint64(32)) | np.uint64(j)
            packed.sort()
            for r in range(m):
                rank[rows[packed[r] & np.uint64(0xFFFFFFFF)]] = r
    return rank


@numba.njit(cache=True, nogil=True)
def dropout_mask(
    uniform: np.ndarray,
    columns: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    factor: np.ndarray,
    rates: tuple[float, float, float],
    codes: tuple[int, int, int, int, int, int],
) -> np.ndarray:
    """Juniors and seniors past their entry year whose own uniform falls below their chance.

    ``columns`` = (stage, birth year, left behind, county); ``rates`` = (junior chance, extra
    for the left-behind, senior chance), each times the county's ``factor``; ``codes`` =
    (year, junior stage, general senior, vocational, junior entry age, senior entry age). The
    chance is computed and compared in float64, as in the numpy reference form.
    """
    stage, birth_year, left_behind, county = columns
    junior_p, left_behind_extra, senior_p = rates
    year, junior, general, vocational, junior_age, senior_age = codes
    out = np.empty(uniform.shape[0], dtype=np.bool_)
    for i in range(uniform.shape[0]):
        age = year - birth_year[i]
        st = stage[i]
        u = np.float64(uniform[i])
        p_junior = (junior_p + left_behind_extra * (1.0 if left_behind[i] else 0.0)) * factor[county[i]]
        p_senior = senior_p * factor[county[i]]
        at_junior = (st == junior) & (age > junior_age) & (u < p_junior)
        at_senior = ((st == general) | (st == vocational)) & (age > senior_age) & (u < p_senior)
        out[i] = at_junior | at_senior
    return out
