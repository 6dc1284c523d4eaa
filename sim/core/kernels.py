"""Compiled loops (numba) shared by every layer: per-id hashing and counting, ranking and
compacting rows by group.

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


@numba.njit(inline="always")
def _uniform_one(v: np.int64, k0: np.uint64, k1: np.uint64) -> np.float32:
    return np.float32(_hash_one(v, k0, k1) >> np.uint64(8)) * _SCALE


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
    """Rows per group 0..size-1 (indices outside, such as -1 for "no school", are skipped).

    Four interleaved counters and no branch: consecutive rows of one group (the tables are
    long runs of one county) would otherwise wait on each other's increment.
    """
    counters = np.zeros((4, size), dtype=np.int64)
    for i in range(index.shape[0]):
        g = index[i]
        inside = (g >= 0) & (g < size)
        counters[i & 3, g if inside else 0] += inside
    return counters.sum(axis=0)


@numba.njit(cache=True, nogil=True)
def count_where(index: np.ndarray, mask: np.ndarray, size: int) -> np.ndarray:
    """Rows per group 0..size-1 among those where ``mask`` holds (others skipped).

    Four interleaved counters, no branch (see ``count_groups``).
    """
    counters = np.zeros((4, size), dtype=np.int64)
    for i in range(index.shape[0]):
        counters[i & 3, index[i]] += mask[i]
    return counters.sum(axis=0)


@numba.njit(cache=True, nogil=True)
def sum_by_group(group: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Float64 sum of ``values`` per group 0..n_groups-1 in row order (other groups skipped)."""
    out = np.zeros(n_groups, dtype=np.float64)
    for i in range(group.shape[0]):
        g = group[i]
        if 0 <= g < n_groups:
            out[g] += np.float64(values[i])
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
def pack_group_key_row(groups: np.ndarray, key: np.ndarray, low: int, row_bits: int) -> np.ndarray:
    """One unsigned 64-bit integer per row: group (high bits), float32 key, row number (low bits).

    The key's bits are mapped to an unsigned order (negatives below positives, -0.0 equal to
    0.0, NaN above all, where numpy's sorts put it), so sorting these integers orders the rows
    by group, then key, then row: what ``np.lexsort((key, groups))`` gives, ties in row order.
    The caller checks that the group and row bits fit beside the key's 32.
    """
    shift_group = np.uint64(32 + row_bits)
    shift_key = np.uint64(row_bits)
    raw = key.view(np.uint32)
    out = np.empty(groups.shape[0], dtype=np.uint64)
    for i in range(groups.shape[0]):
        k = key[i]
        if np.isnan(k):
            bits = np.uint64(0xFFFFFFFF)
        elif k == 0:
            bits = np.uint64(0x80000000)  # +0.0 and -0.0 alike
        elif k < 0:
            bits = np.uint64(~raw[i])
        else:
            bits = np.uint64(raw[i] | np.uint32(0x80000000))
        g = np.uint64(groups[i] - low)
        out[i] = (g << shift_group) | (bits << shift_key) | np.uint64(i)
    return out


@numba.njit(cache=True, nogil=True)
def ranks_of_sorted(packed_sorted: np.ndarray, row_bits: int) -> np.ndarray:
    """Each row's rank within its group, read off the sorted ``pack_group_key_row`` integers."""
    n = packed_sorted.shape[0]
    shift_group = np.uint64(32 + row_bits)
    row_mask = (np.uint64(1) << np.uint64(row_bits)) - np.uint64(1)
    rank = np.empty(n, dtype=np.int64)
    first = 0
    for p in range(n):
        if p > 0 and (packed_sorted[p] >> shift_group) != (packed_sorted[p - 1] >> shift_group):
            first = p
        rank[np.int64(packed_sorted[p] & row_mask)] = p - first
    return rank


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
def rows_by_cell(
    birth_year: np.ndarray,
    county: np.ndarray,
    year: int,
    youngest: int,
    oldest: int,
    n_counties: int,
    by_age: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """The rows aged ``youngest``..``oldest`` in ``year``, grouped by cell, in two passes.

    A cell is the county, or with ``by_age`` the (county, age) pair numbered
    ``county * (oldest + 1) + age``. Returns the rows grouped by cell (row order kept within a
    cell) and each cell's start (length n_cells + 1): what selecting the rows, computing
    their cells and a stable sort by cell would give, without the three intermediate arrays
    over the selected rows that births and young returns paid for every year.
    """
    width = oldest + 1 if by_age else 1
    n_cells = n_counties * width
    size = np.zeros(n_cells + 1, dtype=np.int64)
    for i in range(birth_year.shape[0]):
        age = year - birth_year[i]
        if age >= youngest and age <= oldest:
            size[county[i] * width + (age if by_age else 0) + 1] += 1
    start = np.cumsum(size)
    fill = start[:-1].copy()
    rows = np.empty(start[-1], dtype=np.int64)
    for i in range(birth_year.shape[0]):
        age = year - birth_year[i]
        if age >= youngest and age <= oldest:
            c = county[i] * width + (age if by_age else 0)
            rows[fill[c]] = i
            fill[c] += 1
    return rows, start
