"""Named random streams (common random numbers).

Every process draws from its own child generator, derived from the run seed and the
process name. Switching a lever on therefore leaves unrelated draws (births, migration)
exactly as they were, so a lever's effect is measured against the same demographic path.
Draws for individual children and teachers come from ``sim.core.crn`` instead (keyed by
each one's id, so they do not shift when the number of individuals changes); these
streams serve the world's layout, schools, county-level counts and levers.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream_key(name: str) -> int:
    """A stable 32-bit key for a stream name (crc32 is stable across processes and runs)."""
    return zlib.crc32(name.encode("utf-8"))


class Streams:
    """Lazily created ``numpy.random.Generator`` per (process name, year)."""

    def __init__(self, seed: int):
        self.seed = int(seed)

    def get(self, name: str, year: int | None = None) -> np.random.Generator:
        """The generator for ``name`` in ``year``: independent of every other name and year.

        Keying by year as well keeps a process's draws in one year independent of how many
        draws it made in earlier years, so an early change does not shift later draws
        of the same process more than its real effect does.
        """
        key = (stream_key(name),) if year is None else (stream_key(name), int(year))
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(self.seed, spawn_key=key)))
