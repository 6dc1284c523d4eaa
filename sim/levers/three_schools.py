""" "三所学校"质量提升: the township central kindergarten, central primary and boarding school.

The plan makes the township's three schools the pivot between county seat and villages
(plan-interpretation.zh.txt: 集中力量办好乡镇中心幼儿园、中心小学和公办寄宿制学校). Targets, in
the township towns of the target counties: public kindergartens (the central kindergarten),
central primaries, and township junior and nine-year schools (the public boarding schools).

Mechanism, each active year:

* **Facilities.** Each compulsory target closes ``gap_close_per_year`` of its gap to
  ``facility_target`` × the 优质均衡 per-pupil thresholds (teaching space, sports area,
  equipment, multimedia classrooms; 教督〔2017〕6号, H): a three-year project closes about
  all of it (L). Equipment and space per pupil also raise schools' quality targets
  (``sim.processes.school_dynamics``).
* **Kindergarten classrooms.** Central kindergartens get the classrooms their classes need
  at the 普及普惠 class-size limits (25/30/35, 教督〔2020〕1号, H).
* **Beds.** Boarding schools get beds for their unmet boarding demand, up to
  ``beds_per_year`` in total (as ``boarding_expansion``).
* **Teacher priority.** ``directed_places_per_school`` directed (定向) hires a year per
  target school go to those schools' vacant posts (``model.policy.school_directed_places``;
  the workforce phase hires them there).

Cost: floor space, sports ground, equipment at face value, multimedia and general
classrooms, beds (L, sim.levers.costs); directed hires are paid from the normal payroll.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from sim.levers import register
from sim.levers.base import Lever, LeverParams
from sim.levers.common import add_classrooms, allocate_by_need, facility_gap
from sim.levers.costs import BED_YUAN, CLASSROOM_YUAN, FLOOR_M2_YUAN, MULTIMEDIA_YUAN, SPORTS_M2_YUAN
from sim.processes.boarding import unmet_demand
from sim.world.geography import TOWN
from sim.world.schools import PRESCHOOL_CLASS_LIMITS

if TYPE_CHECKING:
    from sim.model import QingyuanModel

COMPULSORY_TARGETS = ("central_primary", "nine_year", "junior")
BOARDING_TARGETS = ("nine_year", "junior")
KG_TARGETS = ("kg_public",)


class ThreeSchoolsParams(LeverParams):
    """Keys of ``three_schools_uplift``."""

    gap_close_per_year: float = Field(
        0.34,
        ge=0.0,
        le=1.0,
        description="Share of each facility gap closed a year (L: a three-year project).",
    )
    facility_target: float = Field(1.0, ge=0.0, le=2.0, description="Aim, as a multiple of the thresholds.")
    beds_per_year: int = Field(2000, ge=0, le=100_000, description="Most beds built a year, in total.")
    directed_places_per_school: float = Field(
        0.2, ge=0.0, le=10.0, description="Directed rural hires a year per target school (L)."
    )
    floor_m2_yuan: float = Field(FLOOR_M2_YUAN, ge=0, le=1e6, description="Per m² of floor space (L).")
    sports_m2_yuan: float = Field(SPORTS_M2_YUAN, ge=0, le=1e6, description="Per m² of sports ground (L).")
    multimedia_yuan: float = Field(MULTIMEDIA_YUAN, ge=0, le=1e7, description="Per multimedia classroom (L).")
    classroom_yuan: float = Field(CLASSROOM_YUAN, ge=0, le=1e8, description="Per kindergarten classroom (L).")
    bed_cost_yuan: float = Field(BED_YUAN, ge=0, le=1e6, description="Per bed (L).")


@register("three_schools_uplift")
class ThreeSchoolsUplift(Lever):
    """Facilities, classrooms, beds and teacher priority for the township's three schools."""

    Params = ThreeSchoolsParams
    p: ThreeSchoolsParams

    def apply(self, model: QingyuanModel, year: int) -> None:
        """Close facility gaps, add kindergarten classrooms and beds, prioritise hiring."""
        s, state = model.schools, model.lever_state
        comp = self.target_schools(model, COMPULSORY_TARGETS, tiers=(TOWN,))
        gaps = facility_gap(model, comp, self.p.facility_target)
        share = self.p.gap_close_per_year
        add = {c: gaps[c] * share for c in gaps}
        add["multimedia_classrooms"] = np.ceil(add["multimedia_classrooms"])
        for column, values in add.items():
            getattr(s, column)[comp] += values
        yuan = (
            add["teaching_space_m2"] * self.p.floor_m2_yuan
            + add["sports_area_m2"] * self.p.sports_m2_yuan
            + add["equipment_yuan"]
            + add["multimedia_classrooms"] * self.p.multimedia_yuan
        )
        state.add("new_teaching_space_m2", self.per_county(model, comp, add["teaching_space_m2"]))
        state.add("new_sports_area_m2", self.per_county(model, comp, add["sports_area_m2"]))
        state.add("new_equipment_yuan", self.per_county(model, comp, add["equipment_yuan"]))
        state.add("new_multimedia_classrooms", self.per_county(model, comp, add["multimedia_classrooms"]))
        # central kindergartens: classrooms for classes at the 普及普惠 limits
        kg = self.target_schools(model, KG_TARGETS, tiers=(TOWN,))
        by_grade = model.school_by_grade
        rooms = np.zeros(len(kg))
        if len(kg) and len(by_grade) > kg.max():
            need = np.ceil(by_grade[kg, :3] / np.asarray(PRESCHOOL_CLASS_LIMITS)).sum(axis=1)
            rooms = np.maximum(need - s.classrooms[kg], 0)
            add_classrooms(model, kg, rooms)
        state.add("new_classrooms", self.per_county(model, kg, rooms))
        # boarding schools: beds for unmet demand
        boarding = self.target_schools(model, BOARDING_TARGETS, tiers=(TOWN,))
        beds = allocate_by_need(self.p.beds_per_year, unmet_demand(model, year, boarding))
        s.beds[boarding] += beds.astype(s.beds.dtype)
        new_beds = self.per_county(model, boarding, beds)
        state.add("new_beds", new_beds)
        # teacher priority: directed hires for the three schools
        targets = np.concatenate([comp, kg])
        model.policy.school_directed_places[targets] += self.p.directed_places_per_school
        state.mark(targets)
        self.spend(
            model,
            self.per_county(model, comp, yuan)
            + self.per_county(model, kg, rooms * self.p.classroom_yuan)
            + new_beds * self.p.bed_cost_yuan,
        )
