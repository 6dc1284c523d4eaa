"""Per-individual common random numbers: uniforms keyed by (seed, process, year, id).

Each child and teacher carries a stable 64-bit id (issued below). A process that needs a
random number for an individual asks for ``uniform(process, year, ids)``: the value for
one id is a keyed integer hash of the id, a counter-based generator in the sense of
Random123 (Salmon et al. 2011), with the key derived from (seed, process, year, draw) by
numpy's ``SeedSequence``. It does not depend on which other ids are asked for, how many
there are or in which order, so changing births, a lever or the county subset leaves
every other individual's draws unchanged (the Sobol index of a parameter then measures its
effect, not a reshuffle of everyone's luck).

Why a hash and not numpy's Philox: numpy offers Philox only as a stream, so reading the
values at a set of ids means generating the stream over their whole id range, and most
processes draw for a subset spread over it (entrants, movers, applicants). Measured on the
full-scale baseline that generated 17 M values a year to use 7 M; hashing just the ids
asked for costs what they are. The hash is two rounds of the ``lowbias32`` mixer (Wellons 2018;
bijective, with low bias) on 32-bit words, keyed per round;
tests check uniformity and the independence of neighbouring ids and of processes.
Values are float32 with 24 random bits (resolution 6e-8, enough for yearly
probabilities down to 1e-5).
"""

from __future__ import annotations

import zlib

import numpy as np

from sim.core import kernels

_SCALE = np.float32(2.0**-24)
_SECOND_UNIFORM = 1 << 20  # draw-number bit of a normal's second uniform


def process_key(seed: int, process: str, year: int, draw: int = 0) -> tuple[int, int]:
    """Two 32-bit round keys of one process, year and draw number (via ``SeedSequence``)."""
    spawn = (zlib.crc32(process.encode("utf-8")), int(year) & 0xFFFFFFFF, int(draw))
    k = np.random.SeedSequence(int(seed), spawn_key=spawn).generate_state(2, dtype=np.uint32)
    return int(k[0]), int(k[1])


def hash_ids(key: tuple[int, int], ids: np.ndarray) -> np.ndarray:
    """32 random bits per id under ``key`` (uint32): the generator itself.

    The id's high word (creation year, kind, county) is spread by the golden-ratio constant
    and xored with its low word, then two keyed ``lowbias32`` rounds follow; the loop is
    compiled (``sim.core.kernels``) and ``tests/test_kernels.py`` holds the numpy reference.
    """
    return kernels.hash_ids(_as_ids(ids), np.uint64(key[0]), np.uint64(key[1]))


def uniforms_for_key(key: tuple[int, int], ids: np.ndarray) -> np.ndarray:
    """float32 uniforms in [0, 1) for ``ids`` (any order, repeats allowed) under ``key``."""
    return kernels.uniforms(_as_ids(ids), np.uint64(key[0]), np.uint64(key[1]))


def threshold(p: float) -> np.uint64:
    """The 32-bit integer a hash is compared with for probability ``p`` (0 ≤ p < 1)."""
    return np.uint64(int(max(p, 0.0) * 2.0**32))


def _as_ids(ids: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(ids, dtype=np.int64)


class CRN:
    """The run's per-individual random numbers (one per run seed)."""

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._keys: dict[tuple[str, int, int], tuple[int, int]] = {}

    def key(self, process: str, year: int, draw: int = 0) -> tuple[int, int]:
        """Cached round keys of (process, year, draw)."""
        k = (process, int(year), int(draw))
        if k not in self._keys:
            self._keys[k] = process_key(self.seed, process, year, draw)
        return self._keys[k]

    def uniform(self, process: str, year: int, ids: np.ndarray, draw: int = 0) -> np.ndarray:
        """One float32 uniform in [0, 1) per id, the same whoever else draws."""
        return uniforms_for_key(self.key(process, year, draw), ids)

    def below(self, process: str, year: int, ids: np.ndarray, p: float) -> np.ndarray:
        """Mask: each id's uniform is below the probability ``p`` (integer compare, no floats)."""
        if p >= 1.0:
            return np.ones(len(ids), dtype=bool)
        k0, k1 = self.key(process, year)
        return kernels.below(_as_ids(ids), np.uint64(k0), np.uint64(k1), threshold(p))

    def below_where(
        self, process: str, year: int, ids: np.ndarray, p: float, county: np.ndarray, at_risk: np.ndarray,
        county_at_risk: np.ndarray,
    ) -> np.ndarray:  # fmt: skip
        """Mask: at risk (own flag and county's) and the id's uniform below ``p`` (one pass)."""
        key = tuple(np.uint64(k) for k in self.key(process, year))
        if p >= 1.0:
            return at_risk & county_at_risk[county]
        return kernels.below_where(_as_ids(ids), county, county_at_risk, at_risk, key, threshold(p))

    def normal(self, process: str, year: int, ids: np.ndarray, draw: int = 0) -> np.ndarray:
        """One standard normal per id: Box-Muller on two of its uniforms (float32)."""
        u = self.uniform(process, year, ids, draw)
        np.maximum(u, _SCALE / 2, out=u)  # a uniform can be exactly 0
        r = np.log(u)
        r *= np.float32(-2.0)
        np.sqrt(r, out=r)
        angle = self.uniform(process, year, ids, draw | _SECOND_UNIFORM)
        angle *= np.float32(2.0 * np.pi)
        r *= np.cos(angle)
        return r

    def choice(
        self, process: str, year: int, ids: np.ndarray, weights: np.ndarray, draw: int = 0
    ) -> np.ndarray:
        """Index into ``weights`` per id, with probability proportional to the weights."""
        cum = np.cumsum(np.asarray(weights, dtype=np.float64))
        u = self.uniform(process, year, ids, draw) * cum[-1]
        return np.minimum(np.searchsorted(cum, u, side="right"), len(cum) - 1)

    def at(self, year: int) -> Draws:
        """The draws of one year (what the yearly processes are handed)."""
        return Draws(self, year)


class Draws:
    """Per-individual random numbers of one year: ``draws.uniform("deaths", pop.id)``."""

    def __init__(self, crn: CRN, year: int):
        self.crn = crn
        self.year = int(year)

    def uniform(self, process: str, ids: np.ndarray, draw: int = 0) -> np.ndarray:
        """One uniform in [0, 1) per id (see ``CRN.uniform``)."""
        return self.crn.uniform(process, self.year, ids, draw)

    def normal(self, process: str, ids: np.ndarray, draw: int = 0) -> np.ndarray:
        """One standard normal per id."""
        return self.crn.normal(process, self.year, ids, draw)

    def choice(self, process: str, ids: np.ndarray, weights: np.ndarray, draw: int = 0) -> np.ndarray:
        """Index into ``weights`` per id, in proportion to the weights."""
        return self.crn.choice(process, self.year, ids, weights, draw)


# -- stable ids -------------------------------------------------------------------------
# An id is (year of creation, born or arrived, county, sequence): changing how many
# children one county gets in one year leaves every other id, and so every other
# individual's draws, as they were. Counties use their index in sim.config.COUNTIES, so a
# run on a subset gives each child the id it has in the full city.
BORN, ARRIVED = 0, 1
ID_BASE_YEAR = 2000
_SEQ_BITS, _COUNTY_BITS = 24, 7


def new_ids(year: int, kind: int, county_code: int, n: int) -> np.ndarray:
    """``n`` fresh ids for individuals created in ``year`` in one county (kind: BORN/ARRIVED)."""
    if n >= 1 << _SEQ_BITS:
        raise ValueError(f"at most {1 << _SEQ_BITS} individuals per county, year and kind")
    base = ((int(year) - ID_BASE_YEAR) << 32) | (int(kind) << 31) | (int(county_code) << _SEQ_BITS)
    return base + np.arange(n, dtype=np.int64)


def ids_by_county(year: int, kind: int, county_codes: np.ndarray) -> np.ndarray:
    """Fresh ids for new individuals given each one's county code (numbered within county)."""
    county_codes = np.asarray(county_codes, dtype=np.int64)
    out = np.empty(len(county_codes), dtype=np.int64)
    for c in np.unique(county_codes):
        sel = np.flatnonzero(county_codes == c)
        out[sel] = new_ids(year, kind, int(c), len(sel))
    return out


def poisson_quantile(u: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Poisson counts by inverse CDF: the same ``u`` gives nearby counts for nearby means.

    A count drawn this way (one uniform per county and year) moves by about the change in
    its mean when a parameter changes, instead of being redrawn from scratch.
    """
    from scipy.special import gammaln

    u = np.asarray(u, dtype=np.float64)
    lam = np.asarray(lam, dtype=np.float64)
    out = np.zeros(len(lam), dtype=np.int64)
    live = np.flatnonzero(lam > 0)
    if len(live) == 0:
        return out
    li = lam[live]
    # each mean's support 0..length-1, all means on one grid (cells past a length are unused)
    length = (li + 12 * np.sqrt(li) + 30).astype(np.int64)
    k = np.arange(length.max(), dtype=np.float64)
    cdf = np.cumsum(np.exp(k[None, :] * np.log(li)[:, None] - li[:, None] - gammaln(k + 1)[None, :]), axis=1)
    valid = k[None, :] < length[:, None]
    below = ((cdf < u[live, None]) & valid).sum(axis=1)  # searchsorted(cdf, u, "left")
    out[live] = np.minimum(below, length - 1)
    return out
