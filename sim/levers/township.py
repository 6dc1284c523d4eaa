"""乡镇学校管理模式优化: the central school runs its township's village schools; shared teachers.

Mechanism, each active year in the target counties:

* **Shared PE and art teachers (走教).** Rural schools are short of PE, music and art
  teachers (qingyuan.md, H direction). In each township, up to ``posts_per_township`` new PE
  or art posts a year are created and posted to the township's village schools and
  teaching points furthest below the standard's 0.9 PE/art teachers per 100 pupils
  (教督〔2017〕6号, H); the teacher is on that school's books and travels between the
  township's village schools (the standard's per-school indicator counts them there).
  Posts are hired from the county's payroll at a teacher-year each, paid every year while
  the lever runs.
* **Central-school management.** The central primary manages the township's village
  primaries and teaching points (统一管理: timetables, teaching research, lesson plans);
  their quality targets rise ``uplift_per_year`` SD a year, never beyond their gap to the
  central primary (L, a weaker form of the group-schooling convergence).

Cost: the shared posts' pay and a yearly management sum per township (L).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from sim.levers import register
from sim.levers.base import Lever, LeverParams
from sim.levers.common import Uplift, ranked_pick
from sim.levers.costs import TEACHER_YEAR_YUAN
from sim.processes.workforce.staffing import add_by_level
from sim.world.geography import TOWN
from sim.world.teachers import CORE, new_teacher_columns

if TYPE_CHECKING:
    from sim.model import QingyuanModel

VILLAGE_SITES = ("village_primary", "teaching_point")
PE_ART_PER_100 = 0.9  # full-time PE and art teachers per 100 pupils (教督〔2017〕6号, H)


class TownshipParams(LeverParams):
    """Keys of ``township_management``."""

    posts_per_township: int = Field(
        1, ge=0, le=20, description="Shared PE/art posts created a year per township."
    )
    uplift_per_year: float = Field(
        0.01, ge=0.0, le=0.5, description="Village schools' quality-target gain a year, SD (L)."
    )
    max_uplift: float = Field(0.1, ge=0.0, le=2.0, description="Cap of the accumulated gain, SD (L).")
    teacher_year_yuan: float = Field(
        TEACHER_YEAR_YUAN, ge=0, le=1e7, description="Pay of a shared post a year (L)."
    )
    cost_per_township_yuan: float = Field(
        50_000.0, ge=0, le=1e8, description="Management per township-year (L)."
    )


@register("township_management")
class TownshipManagement(Lever):
    """Central schools run village schools and share PE/art teachers with them."""

    Params = TownshipParams
    p: TownshipParams

    def setup(self, model: QingyuanModel) -> None:
        """No shared posts yet."""
        super().setup(model)
        self.uplift = Uplift()
        self.posts = np.zeros(len(model.counties))

    def apply(self, model: QingyuanModel, year: int) -> None:
        """Post shared teachers where none teach PE/art, converge village schools on the centre."""
        s, t = model.schools, model.teachers
        nc, n = len(model.counties), len(s)
        villages = self.target_schools(model, VILLAGE_SITES)
        # shared posts: village sites furthest below the standard's PE/art ratio, per township
        pe_art = np.bincount(t.school[t.subject != CORE], minlength=n).astype(float)
        short = PE_ART_PER_100 * model.school_students[villages] / 100.0 - pe_art[villages]
        lacking, short = villages[short > 0.5], short[short > 0.5]
        quota = np.full(len(model.geo.township_county), self.p.posts_per_township)
        chosen = lacking[ranked_pick(s.township[lacking], -short, quota)] if len(lacking) else lacking
        if len(chosen):
            rng = self.rng(model, year)
            pe_art = np.ones(len(chosen), dtype=bool)
            cols = new_teacher_columns(
                rng, chosen.astype(np.int32), s, model.geo, year, hire=True, pe_art=pe_art
            )
            t.append(**cols)
            add_by_level(model, "new_hires", chosen)  # hires like any other: the identity holds
        new_posts = self.per_county(model, chosen)
        self.posts = self.posts + new_posts
        model.lever_state.add("new_shared_teachers", new_posts)
        # the central primary of each township as the reference for convergence
        central = self.target_schools(model, ("central_primary",), tiers=(TOWN,))
        ref = np.full(len(model.geo.township_county), np.nan)
        ref[s.township[central]] = s.quality[central]
        gap = ref[s.township[villages]] - s.quality[villages]
        managed = villages[np.isfinite(gap)]
        # the cap is the gap to the central primary when management starts
        self.uplift.set_cap(n, managed, np.minimum(gap[np.isfinite(gap)], self.p.max_uplift), once=True)
        self.uplift.grow(n, managed, self.p.uplift_per_year)
        self.uplift.apply(model)
        townships = np.zeros(nc)
        np.add.at(townships, model.geo.township_county[np.unique(s.township[managed])], 1)
        model.lever_state.mark(managed)
        self.spend(model, self.posts * self.p.teacher_year_yuan + townships * self.p.cost_per_township_yuan)
