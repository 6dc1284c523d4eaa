"""选优配强乡村校(园)长: selected and trained principals for rural schools.

Mechanism. A school's principal enters its quality target (``sim.processes.school_dynamics``:
``0.5 × principal_quality``, L). Each active year, in the target counties:

* selection: the ``share_per_year`` of town and village public schools with the weakest
  principals get a newly selected principal, drawn from N(``selected_mean``,
  ``selected_sd``); the newcomer replaces the incumbent only if stronger (selection keeps
  a good incumbent). Draws come from the lever's own stream.
* training: every rural principal gains ``training_gain`` SD a year, up to
  ``max_quality``.

Principal quality is a stock, so the gains outlast the lever. Effect sizes are assumptions
(L): principals' initial quality is N(0, 0.3) (``sim.world.build``); a selected principal is
about one SD of that spread above the mean.

Cost: per selected principal (selection, induction, allowance) and per trained principal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from sim.levers import register
from sim.levers.base import Lever, LeverParams
from sim.levers.common import ranked_pick
from sim.world.geography import TOWN, VILLAGE

if TYPE_CHECKING:
    from sim.model import QingyuanModel

PRINCIPAL_TYPES = ("kg_public", "village_primary", "central_primary", "nine_year", "junior")


class PrincipalParams(LeverParams):
    """Keys of ``principal_selection``."""

    share_per_year: float = Field(
        0.15, ge=0.0, le=1.0, description="Share of rural schools getting a selected principal a year (L)."
    )
    selected_mean: float = Field(
        0.3, ge=-1.0, le=2.0, description="Mean quality of a selected principal, SD (L)."
    )
    selected_sd: float = Field(0.2, ge=0.0, le=2.0, description="Spread of selected principals, SD (L).")
    training_gain: float = Field(0.02, ge=0.0, le=0.5, description="Yearly gain of rural principals, SD (L).")
    max_quality: float = Field(
        0.6, ge=0.0, le=3.0, description="Training raises no principal above this (L)."
    )
    selection_cost_yuan: float = Field(30_000.0, ge=0, le=1e7, description="Per selected principal (L).")
    training_cost_yuan: float = Field(6_000.0, ge=0, le=1e7, description="Per trained principal-year (L).")


@register("principal_selection")
class PrincipalSelection(Lever):
    """Stronger principals in town and village schools."""

    Params = PrincipalParams
    p: PrincipalParams

    def apply(self, model: QingyuanModel, year: int) -> None:
        """Replace the weakest principals, train the rest."""
        s = model.schools
        schools = self.target_schools(model, PRINCIPAL_TYPES, tiers=(TOWN, VILLAGE))
        if len(schools) == 0:
            return
        rng = self.rng(model, year)
        pq = s.principal_quality
        # weakest first, per county: the county's quota of replacements
        county = s.county[schools]
        n_c = np.bincount(county, minlength=len(model.counties))
        quota = np.floor(n_c * self.p.share_per_year + 0.5).astype(np.int64)
        chosen = schools[ranked_pick(county, pq[schools], quota)]
        draw = rng.normal(self.p.selected_mean, self.p.selected_sd, len(chosen))
        replaced = chosen[draw > pq[chosen]]
        pq[replaced] = draw[draw > pq[chosen]]
        trained = schools[pq[schools] < self.p.max_quality]
        pq[trained] = np.minimum(pq[trained] + self.p.training_gain, self.p.max_quality)
        model.lever_state.add("new_principals_selected", self.per_county(model, replaced))
        model.lever_state.mark(np.union1d(replaced, trained))
        self.spend(
            model,
            self.per_county(model, replaced, self.p.selection_cost_yuan)
            + self.per_county(model, trained, self.p.training_cost_yuan),
        )
