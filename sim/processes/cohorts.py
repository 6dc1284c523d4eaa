"""Junior-secondary cohorts counted by event, for the standard's three-year retention (巩固率).

Why events: retention must come from what the simulation did to each cohort, not from the
dropout probabilities it was given. Per county and birth year the enrolment phase adds the
children who enter junior school (grade 7) and those who drop out of it; the 2022 cohorts
(ages 12-14 in the set-up year) are seeded from the initial stages, whose dropouts are the
children of junior age placed out of school. Retention of the cohort finishing grade 9 in a
year (age 14) is ``1 − dropouts ÷ entrants``. Children who move away are neither retained nor
lost, as in the official measure's adjustment for transfers.
"""

from __future__ import annotations

import numpy as np

from sim.world.population import ENTRY_AGE_JUNIOR, JUNIOR, NOT_ENROLLED, Population

FINAL_JUNIOR_AGE = ENTRY_AGE_JUNIOR + 2  # grade 9
SPAN = 80  # birth years held: START_YEAR - 20 ... START_YEAR + 59


class JuniorCohorts:
    """Entrants to and dropouts from junior school per county and birth year."""

    def __init__(self, n_counties: int, first_birth_year: int):
        self.n = n_counties
        self.first = first_birth_year
        self.entrants = np.zeros((n_counties, SPAN))
        self.dropouts = np.zeros((n_counties, SPAN))

    def _add(self, table: np.ndarray, county: np.ndarray, birth_year: np.ndarray) -> None:
        col = np.asarray(birth_year, dtype=np.int64) - self.first
        np.add.at(table, (np.asarray(county, dtype=np.int64), col), 1.0)

    def seed(self, pop: Population, year: int) -> None:
        """The set-up year's junior-age cohorts: enrolled in junior, or out of school (dropped)."""
        age = pop.age(year)
        junior_age = (age >= ENTRY_AGE_JUNIOR) & (age <= FINAL_JUNIOR_AGE)
        entered = junior_age & ((pop.stage == JUNIOR) | (pop.stage == NOT_ENROLLED))
        dropped = junior_age & (pop.stage == NOT_ENROLLED)
        self._add(self.entrants, pop.county[entered], pop.birth_year[entered])
        self._add(self.dropouts, pop.county[dropped], pop.birth_year[dropped])

    def enter(self, pop: Population, mask: np.ndarray) -> None:
        """Children of ``mask`` enter grade 7 this year."""
        self._add(self.entrants, pop.county[mask], pop.birth_year[mask])

    def drop(self, pop: Population, mask: np.ndarray) -> None:
        """Junior pupils of ``mask`` drop out this year."""
        self._add(self.dropouts, pop.county[mask], pop.birth_year[mask])

    def retention(self, year: int) -> np.ndarray:
        """Per county, the share of the cohort in grade 9 this year not lost to dropout (NaN if none)."""
        col = year - FINAL_JUNIOR_AGE - self.first
        e, d = self.entrants[:, col], self.dropouts[:, col]
        return np.divide(e - d, e, out=np.full(self.n, np.nan), where=e > 0)
