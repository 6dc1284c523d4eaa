"""The child population (ages 0-17) as numpy columns: one row is one student agent.

About 1.2 M children live in the city, so they are rows, not Python objects (DESIGN §7).
Each rule of the model is a mask and an array operation over these columns; there is no
Python loop over children anywhere in the yearly step. Grade is derived from age
(autumn enrolment at 6 into grade 1, no repetition), so it is never stored twice.
"""

from __future__ import annotations

import numpy as np

from sim.core.columns import ColumnTable

# stage codes (sim.core.names.STAGES)
NOT_ENROLLED, PRESCHOOL, PRIMARY, JUNIOR, SENIOR_GENERAL, VOCATIONAL, SPECIAL = range(7)
STAGE_NAMES = ("not_enrolled", "preschool", "primary", "junior", "senior_general", "vocational", "special")

ENTRY_AGE_PRESCHOOL = 3
ENTRY_AGE_PRIMARY = 6
ENTRY_AGE_JUNIOR = 12
ENTRY_AGE_SENIOR = 15
LEAVING_AGE = 18

COLUMNS: dict[str, np.dtype] = {
    "id": np.dtype(np.int64),  # stable (sim.crn): keys the child's random numbers
    "birth_year": np.dtype(np.int16),
    "county": np.dtype(np.int8),
    "place": np.dtype(np.int32),
    "stage": np.dtype(np.int8),
    "school": np.dtype(np.int32),  # -1 when not enrolled
    "boarding": np.dtype(bool),
    "left_behind": np.dtype(bool),  # 留守: both parents away
    "migrant": np.dtype(bool),  # 随迁: arrived with migrant parents
    "special_needs": np.dtype(bool),
    "hardship": np.dtype(bool),
    "female": np.dtype(bool),
    "attends_preschool": np.dtype(bool),  # family's decision, drawn at birth/arrival
    "achievement": np.dtype(np.float32),  # latent, SD units
    "needs_school": np.dtype(bool),  # moved house this year: re-placed at enrolment
}


class Population(ColumnTable):
    """The children; ``pop.<column>[i]`` is child i's attribute."""

    COLUMNS = COLUMNS
    CACHES = ("_age",)

    def age(self, year: int) -> np.ndarray:
        """Age reached in the calendar year of the autumn term ``year`` (read-only).

        Several processes of a year ask for it; it is computed once per year and per state of
        the table: any append or compaction replaces the ``birth_year`` column object, which
        invalidates it, and the array is read-only so that no caller can alter the shared copy.
        """
        birth_year = self.cols["birth_year"]
        cached = self.__dict__.get("_age")
        if cached is not None and cached[0] == year and cached[1] is birth_year:
            return cached[2]
        age = (year - birth_year).astype(np.int16)
        age.flags.writeable = False
        self.__dict__["_age"] = (year, birth_year, age)
        return age
