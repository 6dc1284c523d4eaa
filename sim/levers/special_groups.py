"""特殊群体关爱: care for left-behind, disabled, hardship and struggling pupils.

Mechanism. Two knobs of ``model.policy`` in the target counties:

* ``left_behind_gap_factor`` × (1 − ``gap_reduction``): the yearly achievement gap of a
  left-behind pupil (both parents away: about −0.13 to −0.15 SD, Zhang, Behrman et al. 2014,
  H) shrinks. ``gap_reduction`` = 0.3 is an assumption (L): counselling, boarding care and
  contact with parents; no causal estimate was found (effects of absence fade after about
  two years anyway, Gao et al. 2019).
* ``dropout_factor`` × (1 − ``dropout_reduction``): follow-up of pupils at risk (控辍保学)
  lowers yearly dropout (L; left-behind pupils drop out about 2 points more, M).

Cost: support per pupil-year for the enrolled left-behind, special-needs and hardship
pupils of the county (L).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from sim.levers import register
from sim.levers.base import Lever, LeverParams

if TYPE_CHECKING:
    from sim.model import QingyuanModel


class SpecialGroupsParams(LeverParams):
    """Keys of ``special_groups_care``."""

    gap_reduction: float = Field(
        0.3, ge=0.0, le=1.0, description="Relative cut of the left-behind achievement gap (L)."
    )
    dropout_reduction: float = Field(0.2, ge=0.0, le=1.0, description="Relative cut of dropout (L).")
    cost_per_pupil_yuan: float = Field(
        1_000.0, ge=0, le=1e6, description="Support per cared-for pupil-year (L)."
    )


@register("special_groups_care")
class SpecialGroupsCare(Lever):
    """Narrow the left-behind gap and keep pupils at risk in school."""

    Params = SpecialGroupsParams
    p: SpecialGroupsParams

    def apply(self, model: QingyuanModel, year: int) -> None:
        """Scale the two knobs; pay per cared-for pupil."""
        pol, c = model.policy, self.target_county
        pol.left_behind_gap_factor[c] *= 1.0 - self.p.gap_reduction
        pol.dropout_factor[c] *= 1.0 - self.p.dropout_reduction
        pop = model.pop
        cared = (pop.school >= 0) & (pop.left_behind | pop.special_needs | pop.hardship)
        n = np.bincount(pop.county[cared], minlength=len(model.counties)).astype(float)
        self.spend(model, np.where(c, n * self.p.cost_per_pupil_yuan, 0.0))
