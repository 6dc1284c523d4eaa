"""寄宿制学校 (measure): beds at public boarding schools, and the distance rule for boarding.

Mechanism. Each active year the lever builds up to ``beds_per_year`` beds (a total over its
target counties) at the target schools that apply for the most (``School.apply_for_beds``: a
school asks for its unmet demand, none while it proposes its own closure). Unmet demand: pupils of
boarding age (grade ≥ ``enrolment.boarding_min_grade``; 国办发〔2018〕27号: grades 1-3 in
principle do not board) who live beyond this year's boarding distance and had no bed last
year. A school never gets more beds than its unmet demand, so the beds built can fall short
of the budget where demand is low (reported as ``new_beds``). The enrolment phase then
rations beds per school, farthest pupils first (``sim.processes.boarding.update_boarding``): more
boarders, fewer long daily commutes (``n_long_commute``, always measured against the
config's distance so the measure does not move with the rule).

``boarding_distance_km`` optionally changes the rule for who may board in the target
counties (``model.policy.boarding_distance_km``); the national rule is at most 30 minutes'
travel (国办发〔2018〕27号, H), about 8 km on rural roads in the status quo config (L).

Effects on pupils come from the model's school dynamics: boarding in grades 1-3 costs
achievement (``sim.processes.school_dynamics.EARLY_BOARDING_PENALTY``); evidence.md finds boarding
roughly neutral on achievement for juniors (Zhong, Feng, Xu 2024 meta-analysis, H).
Interplay with layout optimisation: a closed village school's pupils go to the nearest
school, and board there if beds are free (or the layout lever builds them), else commute.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field, field_validator

from sim.levers import register
from sim.levers.base import Lever, LeverParams, school_types_validator
from sim.levers.common import allocate_by_need
from sim.levers.costs import BED_RUNNING_YUAN, BED_YUAN
from sim.processes.boarding import unmet_demand

if TYPE_CHECKING:
    from sim.model import QingyuanModel

BOARDING_TYPES = (
    "village_primary",
    "central_primary",
    "urban_primary",
    "nine_year",
    "junior",
    "complete_middle",
    "county_high",
    "city_high",
    "vocational",
    "special",
)


class BoardingParams(LeverParams):
    """Keys of ``boarding_expansion``."""

    beds_per_year: int = Field(
        400, ge=0, le=100_000, description="Beds built per year, in total over the target counties."
    )
    school_types: list[str] = Field(
        default_factory=lambda: ["central_primary", "village_primary", "nine_year", "junior"],
        description="Public boarding school types that get beds (default: township and village "
        "compulsory schools, the plan's 公办寄宿制学校).",
    )
    boarding_distance_km: float | None = Field(
        None,
        gt=0.0,
        le=100.0,
        description="Road km beyond which a pupil may board in the target counties; none = "
        "keep the config's enrolment.boarding_distance_km.",
    )
    bed_cost_yuan: float = Field(
        BED_YUAN, ge=0, le=1e6, description="Building one bed (L, sim.levers.costs)."
    )
    bed_running_yuan: float = Field(
        BED_RUNNING_YUAN, ge=0, le=1e5, description="Running one lever-built bed for a year (L)."
    )

    @field_validator("school_types")
    @classmethod
    def _types(cls, v: list[str]) -> list[str]:
        return school_types_validator(v, BOARDING_TYPES)


@register("boarding_expansion")
class BoardingExpansion(Lever):
    """Beds at public boarding schools where pupils live too far to commute."""

    Params = BoardingParams
    p: BoardingParams

    def setup(self, model: QingyuanModel) -> None:
        """Track the beds this lever built per county (for running costs)."""
        super().setup(model)
        self.built = np.zeros(len(model.counties))

    @staticmethod
    def applications(model: QingyuanModel, year: int, schools: np.ndarray) -> np.ndarray:
        """Beds each of ``schools`` applies for (``School.apply_for_beds``), in their order.

        The county offers to build for the unmet demand; the schools, found with
        ``AgentSet.select``, answer with what they ask for.
        """
        demand = dict(zip(schools.tolist(), unmet_demand(model, year, schools).tolist(), strict=True))
        applicants = model.school_agents.select(lambda a: a.school_id in demand)
        ids = [a.school_id for a in applicants]
        asked = dict(zip(ids, applicants.map("apply_for_beds", year, demand), strict=True))
        return np.array([asked.get(i, 0.0) for i in schools.tolist()], dtype=float)

    def apply(self, model: QingyuanModel, year: int) -> None:
        """Set the distance rule, then build beds where the schools' applications are largest."""
        if self.p.boarding_distance_km is not None:
            model.policy.boarding_distance_km[self.target_county] = self.p.boarding_distance_km
        schools = self.target_schools(model, self.p.school_types)
        beds = allocate_by_need(self.p.beds_per_year, self.applications(model, year, schools))
        model.schools.beds[schools] += beds.astype(model.schools.beds.dtype)
        new = self.per_county(model, schools, beds)
        model.lever_state.add("new_beds", new)
        model.lever_state.mark(schools[beds > 0])
        self.built = self.built + new
        self.spend(model, new * self.p.bed_cost_yuan + self.built * self.p.bed_running_yuan)
