"""Small vectorised helpers shared by the yearly processes."""

from __future__ import annotations

import numpy as np


def rank_within_groups(groups: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Rank (0 = first) of each element within its group, ordered by ascending ``key``.

    Used wherever places are rationed per school (beds, seats, 中考 cut-offs): sort once,
    then subtract each group's start offset. O(n log n), no Python loop.
    """
    n = len(groups)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    order = np.lexsort((key, groups))
    sorted_groups = groups[order]
    is_start = np.empty(n, dtype=bool)
    is_start[0] = True
    is_start[1:] = sorted_groups[1:] != sorted_groups[:-1]
    start_pos = np.maximum.accumulate(np.where(is_start, np.arange(n), 0))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - start_pos
    return rank


def count_by(index: np.ndarray, size: int, weights: np.ndarray | None = None) -> np.ndarray:
    """``bincount`` with a fixed length (ignores negative indices such as 'no school')."""
    keep = index >= 0
    w = None if weights is None else weights[keep]
    return np.bincount(index[keep], weights=w, minlength=size)[:size]
