"""乡村温馨校园创建: warm rural campuses, for pupils' retention and wellbeing.

Mechanism, each active year in the target counties: ``schools_per_year`` more town and
village public schools per county (largest rolls first) are upgraded into warm campuses
(canteens, washrooms, dormitory comfort, greenery, care for boarders: a one-off cost). At
warm campuses:

* **Retention.** Yearly dropout in the county falls by ``dropout_reduction`` times the share
  of its compulsory pupils at warm campuses (``model.policy.dropout_factor``); an
  assumption (L): school climate and boarding care keep pupils at risk in school.
* **Wellbeing and learning.** Quality targets rise ``quality_uplift`` SD while the lever
  runs (L). Boarding harms wellbeing (≈ −0.15 SD, Zhong, Feng, Xu 2024, H); a warm campus
  is the plan's answer, but its size is not measured.

Teachers' retention is not modelled here: the model's rural attrition responds to pay
(``salary_parity``). Satisfaction (the standard's social recognition) is not simulated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from sim.levers import register
from sim.levers.base import Lever, LeverParams
from sim.levers.common import ranked_pick
from sim.world.geography import TOWN, VILLAGE
from sim.world.schools import type_mask

if TYPE_CHECKING:
    from sim.model import QingyuanModel

CAMPUS_TYPES = ("kg_public", "teaching_point", "village_primary", "central_primary", "nine_year", "junior")
COMPULSORY = ("teaching_point", "village_primary", "central_primary", "urban_primary", "nine_year", "junior")


class WarmCampusParams(LeverParams):
    """Keys of ``warm_rural_campus``."""

    schools_per_year: int = Field(10, ge=0, le=1000, description="Schools upgraded per county per year.")
    dropout_reduction: float = Field(
        0.1, ge=0.0, le=1.0, description="Relative cut of dropout for pupils at warm campuses (L)."
    )
    quality_uplift: float = Field(
        0.02, ge=0.0, le=0.5, description="Quality-target gain at warm campuses, SD (L)."
    )
    campus_cost_yuan: float = Field(500_000.0, ge=0, le=1e9, description="One-off upgrade per school (L).")


@register("warm_rural_campus")
class WarmRuralCampus(Lever):
    """Upgrade rural campuses; fewer dropouts and a small wellbeing gain there."""

    Params = WarmCampusParams
    p: WarmCampusParams

    def setup(self, model: QingyuanModel) -> None:
        """No warm campuses yet."""
        super().setup(model)
        self.warm = np.zeros(len(model.schools), dtype=bool)

    def apply(self, model: QingyuanModel, year: int) -> None:
        """Upgrade this year's schools, then act at every warm campus."""
        s, nc = model.schools, len(model.counties)
        if len(self.warm) < len(s):
            self.warm = np.concatenate([self.warm, np.zeros(len(s) - len(self.warm), dtype=bool)])
        cand = self.target_schools(model, CAMPUS_TYPES, tiers=(TOWN, VILLAGE))
        cand = cand[~self.warm[cand]]
        quota = np.full(nc, self.p.schools_per_year)
        new = cand[ranked_pick(s.county[cand], -model.school_students[cand].astype(float), quota)]
        self.warm[new] = True
        warm = np.flatnonzero(self.warm & s.is_open)
        model.policy.quality_boost[warm] += self.p.quality_uplift
        comp = s.is_open & type_mask(s.type, COMPULSORY)
        pupils = model.school_students.astype(float)
        c_all = np.bincount(s.county[comp], pupils[comp], nc)
        c_warm = np.bincount(s.county[comp & self.warm], pupils[comp & self.warm], nc)
        share = np.divide(c_warm, c_all, out=np.zeros(nc), where=c_all > 0)
        model.policy.dropout_factor *= 1.0 - self.p.dropout_reduction * share
        model.lever_state.add("new_warm_campuses", self.per_county(model, new))
        model.lever_state.mark(warm)
        self.spend(model, self.per_county(model, new, self.p.campus_cost_yuan))
