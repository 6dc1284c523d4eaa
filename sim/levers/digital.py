"""数字化赋能 (measure): multimedia classrooms, and remote lessons for small rural schools.

Mechanism, each active year in the target counties:

* **Multimedia classrooms.** ``classrooms_per_year`` networked multimedia classrooms (a
  total over the target counties) go to the compulsory schools furthest below the 优质均衡
  threshold (2.3 primary / 2.4 junior per 100 pupils, 教督〔2017〕6号, H), largest shortfall
  first.
* **Remote lessons (专递课堂).** Village primaries and teaching points receive lessons from
  stronger schools; their quality targets rise ``remote_uplift_per_year`` SD a year up to
  ``remote_max_uplift``. Evidence (evidence.md): satellite remote teaching in rural China
  raised achievement (Bianchi, Lu, Song 2022, size not read); an interactive satellite RCT
  in Ghana found +0.21 to +0.33 SD after 1-2 years (H). Assumption: +0.05 SD a year, capped
  at 0.15, to vary between 0.05 and 0.15.

Cost: each classroom, and a yearly sum per school with remote lessons (bandwidth, devices,
the sending teachers' time) (L).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from sim.levers import register
from sim.levers.base import Lever, LeverParams
from sim.levers.common import Uplift, allocate_by_need, facility_gap
from sim.levers.costs import MULTIMEDIA_YUAN

if TYPE_CHECKING:
    from sim.model import QingyuanModel

COMPULSORY = ("teaching_point", "village_primary", "central_primary", "urban_primary", "nine_year", "junior")
REMOTE_TYPES = ("village_primary", "teaching_point")


class DigitalParams(LeverParams):
    """Keys of ``digital_empowerment``."""

    classrooms_per_year: int = Field(
        500, ge=0, le=100_000, description="Multimedia classrooms a year (total)."
    )
    remote_lessons: bool = Field(
        True, description="Remote lessons for village primaries and teaching points."
    )
    remote_uplift_per_year: float = Field(0.05, ge=0.0, le=0.5, description="SD a year (L: 0.05-0.15).")
    remote_max_uplift: float = Field(0.15, ge=0.0, le=2.0, description="Cap of the accumulated gain, SD (L).")
    multimedia_yuan: float = Field(MULTIMEDIA_YUAN, ge=0, le=1e7, description="Per classroom (L).")
    remote_yuan_per_school: float = Field(20_000.0, ge=0, le=1e8, description="Per school-year (L).")


@register("digital_empowerment")
class DigitalEmpowerment(Lever):
    """Multimedia classrooms where short, remote lessons for small rural schools."""

    Params = DigitalParams
    p: DigitalParams

    def setup(self, model: QingyuanModel) -> None:
        """Start with no uplift."""
        super().setup(model)
        self.uplift = Uplift()

    def apply(self, model: QingyuanModel, year: int) -> None:
        """Equip the largest shortfalls; run remote lessons."""
        s, state = model.schools, model.lever_state
        comp = self.target_schools(model, COMPULSORY)
        short = facility_gap(model, comp, 1.0)["multimedia_classrooms"]
        rooms = allocate_by_need(self.p.classrooms_per_year, short)
        s.multimedia_classrooms[comp] += rooms
        new_rooms = self.per_county(model, comp, rooms)
        state.add("new_multimedia_classrooms", new_rooms)
        state.mark(comp[rooms > 0])
        cost = new_rooms * self.p.multimedia_yuan
        if self.p.remote_lessons:
            remote = self.target_schools(model, REMOTE_TYPES)
            n = len(s)
            self.uplift.set_cap(n, remote, self.p.remote_max_uplift)
            self.uplift.grow(n, remote, self.p.remote_uplift_per_year)
            self.uplift.apply(model)
            served = self.per_county(model, remote)
            state.mark(remote)
            state.add("n_schools_remote_lessons", served)
            cost = cost + served * self.p.remote_yuan_per_school
        self.spend(model, cost)
