"""基础教育课程教学改革三年行动: a general, small quality growth in the target counties.

Mechanism. Every open public school of the compulsory and general senior levels in the
target counties gains ``uplift_per_year`` SD on its quality target each active year, up to
``max_uplift`` (``sim.levers.common.Uplift``; quality then moves toward the target at the
model's adjustment rate, and pupils' achievement follows quality).

Effect size: an assumption (L). Teaching-reform and training programmes show small or null
effects when evaluated (national teacher training: zero after a year, Loyalka et al. 2019,
H), so the default is small (0.01 SD a year, at most 0.05 SD) and meant to be varied.

Cost: teaching research, materials and lesson study per pupil-year (L).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from sim.levers import register
from sim.levers.base import Lever, LeverParams
from sim.levers.common import Uplift

if TYPE_CHECKING:
    from sim.model import QingyuanModel

REFORM_TYPES = (
    "teaching_point",
    "village_primary",
    "central_primary",
    "urban_primary",
    "nine_year",
    "junior",
    "complete_middle",
    "county_high",
    "city_high",
)


class CurriculumParams(LeverParams):
    """Keys of ``curriculum_reform``."""

    uplift_per_year: float = Field(0.01, ge=0.0, le=0.5, description="SD a year on quality targets (L).")
    max_uplift: float = Field(0.05, ge=0.0, le=1.0, description="Cap of the accumulated uplift, SD (L).")
    cost_per_pupil_yuan: float = Field(50.0, ge=0, le=1e5, description="Per pupil-year (L).")


@register("curriculum_reform")
class CurriculumReform(Lever):
    """Small general quality growth from curriculum and teaching reform."""

    Params = CurriculumParams
    p: CurriculumParams

    def setup(self, model: QingyuanModel) -> None:
        """Start with no uplift."""
        super().setup(model)
        self.uplift = Uplift()

    def apply(self, model: QingyuanModel, year: int) -> None:
        """Grow the uplift of every target school; pay per pupil."""
        schools = self.target_schools(model, REFORM_TYPES)
        n = len(model.schools)
        self.uplift.set_cap(n, schools, self.p.max_uplift)
        self.uplift.grow(n, schools, self.p.uplift_per_year)
        self.uplift.apply(model)
        pupils = model.school_students[schools].astype(float)
        model.lever_state.mark(schools)
        self.spend(model, self.per_county(model, schools, pupils * self.p.cost_per_pupil_yuan))
