"""What 1.15 M pupils would cost as Mesa agents, against numpy columns (README "The model").

    .venv/bin/python scripts/agent_cost.py

Creates one small Mesa agent per pupil (age, county, school), times one ``shuffle_do`` that only
ages them, and times the same ageing plus a per-school count on numpy columns; prints the
creation time, the resident-memory growth and both step times (medians of 3).
"""

from __future__ import annotations

import resource
import statistics
import time

import mesa
import numpy as np

N_PUPILS = 1_150_000
N_SCHOOLS = 1_557


class Pupil(mesa.Agent):
    """A pupil as an object: the alternative the model does not take."""

    def __init__(self, model: mesa.Model, age: int, county: int, school: int):
        super().__init__(model)
        self.age, self.county, self.school = age, county, school

    def step(self) -> None:
        """Age one year."""
        self.age += 1


def main() -> None:
    """Measure and print."""
    rng = np.random.default_rng(0)
    age, county, school = (rng.integers(0, hi, N_PUPILS) for hi in (18, 8, N_SCHOOLS))
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    model = mesa.Model(rng=0)
    t0 = time.perf_counter()
    for a, c, s in zip(age.tolist(), county.tolist(), school.tolist(), strict=True):
        Pupil(model, a, c, s)
    created = time.perf_counter() - t0
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) / 1024
    agent_steps, column_steps = [], []
    for _ in range(3):
        t = time.perf_counter()
        model.agents.shuffle_do("step")
        agent_steps.append(time.perf_counter() - t)
        t = time.perf_counter()
        age += 1
        np.bincount(school, minlength=N_SCHOOLS)
        column_steps.append(time.perf_counter() - t)
    print(f"{N_PUPILS:,} agents: created in {created:.1f} s, +{grown_mb:.0f} MB resident; "
          f"one shuffle_do {statistics.median(agent_steps):.2f} s; "
          f"numpy ageing + per-school count {1000 * statistics.median(column_steps):.1f} ms")


if __name__ == "__main__":
    main()
