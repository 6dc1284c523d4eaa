"""乡村教师专业能力提升: training places for rural teachers (backbone and degree upgrades).

Mechanism. The lever funds ``places_per_rural_teacher`` training places a year for each
teacher in a town or village school of its counties and adds them to the county's
``model.policy.training_places`` (places per teacher per year, over all the county's
teachers). The workforce phase turns places into backbone promotions and degree upgrades
(``sim.processes.workforce.staffing``, the workforce issue), which raise schools' quality targets and the
standard's degree and backbone indicators.

Effect sizes: the national training programme (国培) had a precisely zero effect on teachers
and pupils after one year in a large RCT (Loyalka et al. 2019, H); the effect per place is
therefore the workforce phase's (small) parameter, and this lever only sets the volume.
The default, 0.2 places per rural teacher a year, lets every rural teacher take a long
course once in five years (the standard asks 360 class hours per teacher per 5 years, M).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from sim.levers import register
from sim.levers.base import Lever, LeverParams
from sim.levers.costs import TRAINING_PLACE_YUAN
from sim.world.geography import URBAN

if TYPE_CHECKING:
    from sim.model import QingyuanModel


class TeacherDevelopmentParams(LeverParams):
    """Keys of ``rural_teacher_development``."""

    places_per_rural_teacher: float = Field(
        0.2, ge=0.0, le=1.0, description="Training places per rural teacher per year (L)."
    )
    place_cost_yuan: float = Field(
        TRAINING_PLACE_YUAN, ge=0, le=1e6, description="One training place (M/L, sim.levers.costs)."
    )


@register("rural_teacher_development")
class RuralTeacherDevelopment(Lever):
    """More training places for town and village teachers."""

    Params = TeacherDevelopmentParams
    p: TeacherDevelopmentParams

    def apply(self, model: QingyuanModel, year: int) -> None:
        """Add the places to the county knob and pay for them."""
        t, s, nc = model.teachers, model.schools, len(model.counties)
        county = s.county[t.school]
        rural = np.bincount(county[s.tier[t.school] != URBAN], minlength=nc).astype(float)
        total = np.maximum(np.bincount(county, minlength=nc), 1).astype(float)
        places = np.where(self.target_county, np.rint(rural * self.p.places_per_rural_teacher), 0.0)
        model.policy.training_places += places / total
        model.lever_state.add("new_training_places", places)
        self.spend(model, places * self.p.place_cost_yuan)
