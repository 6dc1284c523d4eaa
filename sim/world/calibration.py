"""Set-up calibration to the published autumn-2022 totals (清远市教育局).

The city publishes students by level, not children by age, so the initial cohorts are
births × a smooth presence curve by age and county (``sim.world.ages``), fitted to the 2022
primary, junior and kindergarten pupils and to 英德's 2020 census children. Senior
continuation is solved the same way. All factors are computed for the whole city, so a run
on a subset of counties uses the same factors as a full run.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from sim import data
from sim.config import COUNTIES, DemographyParams, EnrolmentParams
from sim.core.names import START_YEAR
from sim.data.births import births_table
from sim.world.ages import PresenceFit, fit_presence

SPECIAL_NEEDS_SHARE = 0.015  # children with a disability (L: China's estimate ~1-2% of school age)
HARDSHIP_SHARE = 0.08  # L: families on minimum-living or poverty support


@dataclass(frozen=True)
class Calibration:
    """Factors that reproduce the published 2022 totals."""

    presence_fit: PresenceFit  # children present per birth by age and county
    preschool_attendance: float  # probability a present child aged 3-5 attends
    senior_continuation: float  # share of a present 15-17 cohort enrolled in senior school
    special_school_share: float  # share of special-needs children in special schools
    special_pupils_2022: float  # published special-school pupils
    enrolled_6_17_2022: float  # published primary + junior + senior pupils
    births: dict[int, dict[str, float]]  # expected births by year and county

    def presence(self, age: np.ndarray | int, county: str) -> np.ndarray:
        """Children present per birth in ``county`` by age (see ``sim.world.ages``)."""
        return self.presence_fit.presence(age, county)


@cache
def _calibrate_cached(demo_json: str, enrol_json: str) -> Calibration:
    demo = DemographyParams.model_validate_json(demo_json)
    enrol = EnrolmentParams.model_validate_json(enrol_json)
    totals = data.city_totals_2022()["students"]
    special_total = float(totals["special"])
    table = births_table(START_YEAR - 17, 2060, demo)
    fit = fit_presence(table, enrol)
    senior_ages = np.arange(15, 18)
    present_15_17 = sum(
        np.array([table.loc[START_YEAR - a, c] for a in senior_ages]) * fit.presence(senior_ages, c)
        for c in COUNTIES
    )
    d, s = enrol.junior_dropout, enrol.senior_dropout
    sen_retention = np.array([(1 - s) ** k for k in range(3)]) * (1 - d) ** 3
    senior_total = totals["senior_general"] + totals["vocational"]
    continuation = senior_total / float(present_15_17 @ sen_retention)
    if enrol.senior_continuation is not None:
        continuation = enrol.senior_continuation
    preschool = enrol.preschool_attendance_2022
    if enrol.preschool_enrolment is not None:
        preschool = enrol.preschool_enrolment
    # special schools take this share of enrolled special-needs pupils aged 6-17
    enrolled_6_17 = totals["primary"] + totals["junior"] + senior_total
    special_children = SPECIAL_NEEDS_SHARE * float(enrolled_6_17)
    births = {int(y): {c: float(table.loc[y, c]) for c in COUNTIES} for y in table.index}
    return Calibration(
        presence_fit=fit,
        preschool_attendance=float(min(preschool, 1.0)),
        senior_continuation=float(min(continuation, 1.0)),
        special_school_share=float(special_total / special_children),
        special_pupils_2022=special_total,
        enrolled_6_17_2022=float(enrolled_6_17),
        births=births,
    )


def calibrate(demo: DemographyParams, enrol: EnrolmentParams) -> Calibration:
    """Calibration factors for these parameters (cached: identical parameters, one solve)."""
    return _calibrate_cached(demo.model_dump_json(), enrol.model_dump_json())
