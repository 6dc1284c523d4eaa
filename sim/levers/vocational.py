"""中等职业学校办学条件达标: secondary vocational schools brought up to the setting standard.

Mechanism, each active year in the target counties, for every open vocational school:

* **Conditions.** Each school closes ``gap_close_per_year`` of its gaps to the national
  setting standard for secondary vocational schools (中等职业学校设置标准, 教职成〔2010〕12号,
  M — quoted from the standard, not from the project's references): floor space 20 m² and
  equipment 2,500 yuan per student, and classrooms for every enrolled student.
* **Quality.** Quality targets rise ``quality_uplift_per_year`` SD a year up to
  ``max_uplift`` (L); the model's school dynamics add the gain from equipment and space.
* **Attraction.** Better vocational schools keep more junior graduates in school: senior
  continuation rises by ``continuation_gain`` (relative, ``model.policy.continuation_factor``;
  L).

Cost: floor space, equipment at face value, classrooms (L, sim.levers.costs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from sim.levers import register
from sim.levers.base import Lever, LeverParams
from sim.levers.common import Uplift, add_classrooms
from sim.levers.costs import CLASSROOM_YUAN, FLOOR_M2_YUAN
from sim.world.schools import SEATS_PER_CLASSROOM

if TYPE_CHECKING:
    from sim.model import QingyuanModel

FLOOR_M2_PER_STUDENT = 20.0  # 中等职业学校设置标准 (2010): 校舍建筑面积生均不低于20平方米 (M)
EQUIPMENT_PER_STUDENT = 2500.0  # same standard: 生均仪器设备价值不低于2500元 (M)


class VocationalParams(LeverParams):
    """Keys of ``vocational_standards``."""

    gap_close_per_year: float = Field(
        0.34, ge=0.0, le=1.0, description="Share of each gap closed a year (L)."
    )
    quality_uplift_per_year: float = Field(0.02, ge=0.0, le=0.5, description="SD a year (L).")
    max_uplift: float = Field(0.1, ge=0.0, le=2.0, description="Cap of the accumulated gain, SD (L).")
    continuation_gain: float = Field(
        0.02, ge=0.0, le=0.5, description="Relative rise of senior continuation (L)."
    )
    floor_m2_yuan: float = Field(FLOOR_M2_YUAN, ge=0, le=1e6, description="Per m² of floor space (L).")
    classroom_yuan: float = Field(CLASSROOM_YUAN, ge=0, le=1e8, description="Per classroom (L).")


@register("vocational_standards")
class VocationalStandards(Lever):
    """Vocational schools meet the setting standard; quality and continuation rise."""

    Params = VocationalParams
    p: VocationalParams

    def setup(self, model: QingyuanModel) -> None:
        """Start with no uplift."""
        super().setup(model)
        self.uplift = Uplift()

    def apply(self, model: QingyuanModel, year: int) -> None:
        """Close space, equipment and classroom gaps; raise quality and continuation."""
        s, state = model.schools, model.lever_state
        voc = self.target_schools(model, ("vocational",))
        if len(voc) == 0:
            return
        students = model.school_students[voc].astype(float)
        share = self.p.gap_close_per_year
        floor = np.maximum(FLOOR_M2_PER_STUDENT * students - s.teaching_space_m2[voc], 0) * share
        equip = np.maximum(EQUIPMENT_PER_STUDENT * students - s.equipment_yuan[voc], 0) * share
        rooms = np.ceil(
            np.maximum(students / SEATS_PER_CLASSROOM["vocational"] - s.classrooms[voc], 0) * share
        )
        s.teaching_space_m2[voc] += floor
        s.equipment_yuan[voc] += equip
        add_classrooms(model, voc, rooms)
        n = len(s)
        self.uplift.set_cap(n, voc, self.p.max_uplift)
        self.uplift.grow(n, voc, self.p.quality_uplift_per_year)
        self.uplift.apply(model)
        model.policy.continuation_factor[self.target_county] *= 1.0 + self.p.continuation_gain
        state.add("new_teaching_space_m2", self.per_county(model, voc, floor))
        state.add("new_equipment_yuan", self.per_county(model, voc, equip))
        state.add("new_classrooms", self.per_county(model, voc, rooms))
        state.mark(voc)
        self.spend(
            model,
            self.per_county(model, voc, floor * self.p.floor_m2_yuan + equip + rooms * self.p.classroom_yuan),
        )
