"""PRIM scenario discovery (Friedman & Fisher 1999, "Bump hunting in high-dimensional data").

Which ranges of the levers and uncertainties make a plan target likely? PRIM answers with a
box: starting from the whole sampled space it repeatedly peels off the thin slice (a share
``alpha`` of the points, at the low or high end of one parameter) whose removal most raises
the share of "hits" left inside, until fewer than ``min_mass`` of the points remain. From that
peeling trajectory it takes the densest box that still holds ``min_coverage`` of all hits,
then pastes (widens any edge again while that does not lower the share of hits) and prunes
(gives a parameter its full range back when its restriction buys less than ``prune`` of
density: greedy peeling also trims parameters that play no part). Covering repeats this on
the points outside the boxes found so far.

Written here rather than taken from EMA Workbench because the workbench pulls in
scikit-learn, statsmodels, seaborn and platypus for this one ~100-line algorithm; the
output (coverage, density, per-parameter limits) follows its ``prim`` module.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Box:
    """A box: per-parameter limits, with its quality on the data it was found on."""

    low: np.ndarray
    high: np.ndarray
    restricted: np.ndarray  # bool per parameter: limits narrower than the data's range
    coverage: float  # hits inside / all hits
    density: float  # hits inside / points inside
    mass: float  # points inside / all points
    n_inside: int


def _inside(X: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    return np.all((low <= X) & (high >= X), axis=1)


def peel(
    X: np.ndarray,
    y: np.ndarray,
    *,
    alpha: float = 0.05,
    min_mass: float = 0.05,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The peeling trajectory: a list of (low, high) limits, from the full box inwards."""
    n, d = X.shape
    low, high = X.min(axis=0).astype(float), X.max(axis=0).astype(float)
    trajectory = [(low.copy(), high.copy())]
    inside = np.ones(n, dtype=bool)
    min_points = max(1, int(np.ceil(min_mass * n)))
    while True:
        n_in = int(inside.sum())
        if y[inside].all():
            break
        best = None  # (density, -removed, j, side, new limit, new inside)
        k = max(1, int(np.floor(alpha * n_in)))
        for j in range(d):
            xs = X[inside, j]
            vals = np.sort(xs)
            uniq = np.unique(vals)
            if len(uniq) < 2:
                continue
            # low side: cut at the (k+1)-th smallest value, or past the first tie block
            cut_lo = vals[k] if vals[k] > vals[0] else uniq[1]
            cut_hi = vals[-k - 1] if vals[-k - 1] < vals[-1] else uniq[-2]
            for side, cut in (("low", cut_lo), ("high", cut_hi)):
                keep = inside & (X[:, j] >= cut) if side == "low" else inside & (X[:, j] <= cut)
                m = int(keep.sum())
                if m < min_points or m == n_in:
                    continue
                dens = float(y[keep].mean())
                cand = (dens, -(n_in - m), j, side, float(cut), keep)
                if best is None or cand[:2] > best[:2]:
                    best = cand
        if best is None:
            break
        _, _, j, side, cut, keep = best
        if side == "low":
            low[j] = cut
        else:
            high[j] = cut
        inside = keep
        trajectory.append((low.copy(), high.copy()))
    return trajectory


def find_box(
    X: np.ndarray,
    y: np.ndarray,
    *,
    alpha: float = 0.05,
    min_mass: float = 0.05,
    min_coverage: float = 0.5,
    prune: float = 0.02,
) -> Box | None:
    """The densest box on the peeling trajectory covering at least ``min_coverage`` of hits.

    Ties go to the box with more coverage (the earlier, larger one). The box is then pasted
    and pruned (``prune``: see ``prune_restrictions``). None when there is no hit.
    """
    y = np.asarray(y, dtype=bool)
    X = np.asarray(X, dtype=float)
    hits = int(y.sum())
    if hits == 0:
        return None
    full_lo, full_hi = X.min(axis=0), X.max(axis=0)
    best: Box | None = None
    for low, high in peel(X, y, alpha=alpha, min_mass=min_mass):
        inside = _inside(X, low, high)
        n_in = int(inside.sum())
        if n_in == 0:
            continue
        cov = float(y[inside].sum()) / hits
        dens = float(y[inside].mean())
        if cov < min_coverage:
            continue
        if best is None or (dens, cov) > (best.density, best.coverage):
            best = Box(
                low=low,
                high=high,
                restricted=(low > full_lo) | (high < full_hi),
                coverage=cov,
                density=dens,
                mass=n_in / len(y),
                n_inside=n_in,
            )
    if best is None:
        return None
    low, high = paste(X, y, best.low.copy(), best.high.copy(), alpha=alpha)
    low, high = prune_restrictions(X, y, low, high, tolerance=prune)
    inside = _inside(X, low, high)
    return Box(
        low=low,
        high=high,
        restricted=(low > full_lo) | (high < full_hi),
        coverage=float(y[inside].sum()) / hits,
        density=float(y[inside].mean()),
        mass=float(inside.mean()),
        n_inside=int(inside.sum()),
    )


def prune_restrictions(
    X: np.ndarray, y: np.ndarray, low: np.ndarray, high: np.ndarray, *, tolerance: float = 0.02
) -> tuple[np.ndarray, np.ndarray]:
    """Lift restrictions that buy almost no density, the cheapest first.

    Greedy peeling also trims parameters that do not matter, a slice at a time, whenever a
    slice happens to hold a few more misses; such a box names parameters that play no part.
    A restriction is lifted (the parameter gets its full range back) while that lowers the
    box's density by at most ``tolerance`` from the peeled box (0 keeps every restriction).
    """
    full_lo, full_hi = X.min(axis=0), X.max(axis=0)
    base = float(y[_inside(X, low, high)].mean())
    while True:
        best = None  # (density, j)
        for j in np.flatnonzero((low > full_lo) | (high < full_hi)):
            lo, hi = low.copy(), high.copy()
            lo[j], hi[j] = full_lo[j], full_hi[j]
            dens = float(y[_inside(X, lo, hi)].mean())
            if dens >= base - tolerance and (best is None or dens > best[0]):
                best = (dens, j)
        if best is None:
            return low, high
        j = best[1]
        low[j], high[j] = full_lo[j], full_hi[j]


def paste(
    X: np.ndarray, y: np.ndarray, low: np.ndarray, high: np.ndarray, *, alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray]:
    """Widen the box edge by edge (``alpha`` of its points at a time) while density holds.

    Each step takes the widening that gives the highest density (then the most points);
    an edge with no point beyond it within the other limits goes straight to the data's edge.
    """
    full_lo, full_hi = X.min(axis=0), X.max(axis=0)
    d = X.shape[1]
    while True:
        inside = _inside(X, low, high)
        n_in = int(inside.sum())
        dens = float(y[inside].mean())
        k = max(1, int(np.ceil(alpha * n_in)))
        within = (low <= X) & (high >= X)
        best = None  # (density, added, j, side, new limit)
        for j in range(d):
            others = np.all(np.delete(within, j, axis=1), axis=1)
            for side in ("low", "high"):
                if (side == "low" and low[j] <= full_lo[j]) or (side == "high" and high[j] >= full_hi[j]):
                    continue
                beyond = X[:, j] < low[j] if side == "low" else X[:, j] > high[j]
                cand = others & beyond
                if not cand.any():
                    limit, new_in = (full_lo[j] if side == "low" else full_hi[j]), inside
                else:
                    vals = np.sort(X[cand, j])
                    take = min(k, len(vals))
                    limit = vals[-take] if side == "low" else vals[take - 1]
                    reach = X[:, j] >= limit if side == "low" else X[:, j] <= limit
                    new_in = inside | (cand & reach)
                new_dens = float(y[new_in].mean())
                added = int(new_in.sum()) - n_in
                if new_dens >= dens and (best is None or (new_dens, added) > best[:2]):
                    best = (new_dens, added, j, side, float(limit))
        if best is None:
            return low, high
        _, _, j, side, limit = best
        if side == "low":
            low[j] = limit
        else:
            high[j] = limit


def covering(
    X: np.ndarray,
    y: np.ndarray,
    *,
    boxes: int = 1,
    alpha: float = 0.05,
    min_mass: float = 0.05,
    min_coverage: float = 0.5,
    prune: float = 0.02,
) -> list[Box]:
    """Up to ``boxes`` boxes, each found on the points the earlier ones left out.

    Coverage and density of every box are measured against all points and all hits, so the
    numbers of different boxes compare.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=bool)
    total_hits = int(y.sum())
    remaining = np.ones(len(y), dtype=bool)
    found: list[Box] = []
    for _ in range(boxes):
        if not y[remaining].any() or remaining.sum() < 2:
            break
        box = find_box(
            X[remaining],
            y[remaining],
            alpha=alpha,
            min_mass=min_mass,
            min_coverage=min_coverage,
            prune=prune,
        )
        if box is None:
            break
        # an edge left at the remaining points' range stays open to the full data's range
        full_lo, full_hi = X.min(axis=0), X.max(axis=0)
        box.low = np.where(box.restricted, box.low, np.minimum(box.low, full_lo))
        box.high = np.where(box.restricted, box.high, np.maximum(box.high, full_hi))
        inside_all = _inside(X, box.low, box.high) & remaining
        box.coverage = float(y[inside_all].sum()) / total_hits
        box.density = float(y[inside_all].mean())
        box.mass = float(inside_all.sum()) / len(y)
        box.n_inside = int(inside_all.sum())
        box.restricted = (box.low > full_lo) | (box.high < full_hi)
        found.append(box)
        remaining &= ~inside_all
    return found
