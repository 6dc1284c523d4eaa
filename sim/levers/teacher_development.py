"""乡村教师专业能力提升: training places for rural teachers (backbone and degree upgrades).

Mechanism. The lever funds ``places_per_rural_teacher`` training places a year for each
teacher in a town or village school of its counties, for those schools' own teachers
(``model.policy.school_training_places``). The workforce phase turns places into backbone
promotions and degree upgrades (``sim.processes.workforce.training``), which raise schools'
quality targets and the standard's degree and backbone indicators.

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
        t, s = model.teachers, model.schools
        rural = s.is_open & (s.tier != URBAN) & self.target_county[s.county]
        staff = np.bincount(t.school, minlength=len(s)).astype(float)
        per_school = np.where(rural, staff * self.p.places_per_rural_teacher, 0.0)
        model.policy.school_training_places += per_school  # for those schools' own teachers
        places = np.rint(np.bincount(s.county, per_school, len(model.counties)))
        model.lever_state.add("new_training_places", places)
        self.spend(model, places * self.p.place_cost_yuan)
