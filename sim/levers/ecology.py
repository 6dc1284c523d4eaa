"""净化优化教育生态: regulated school conduct, curbing cross-catchment school choice.

Mechanism. Illegal school choice (违规择校) is a veto item of the 优质均衡 standard
(教督〔2017〕6号, H). In the model a share of entrants at each transition tries the county's
best school instead of the nearest one (``enrolment.quality_seeking``); the lever multiplies
that share by ``1 − choice_reduction`` in its counties (``model.policy.choice_factor``), so
fewer pupils crowd the best county-seat schools and more stay in their catchment school.
``choice_reduction`` is an assumption (L): enforcement of 就近入学 halving choice.

Cost: inspection and enforcement, a fixed sum per county-year (L).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from sim.levers import register
from sim.levers.base import Lever, LeverParams

if TYPE_CHECKING:
    from sim.model import QingyuanModel


class EcologyParams(LeverParams):
    """Keys of ``education_ecology``."""

    choice_reduction: float = Field(
        0.5, ge=0.0, le=1.0, description="Relative cut of cross-catchment choice (L)."
    )
    cost_per_county_yuan: float = Field(
        500_000.0, ge=0, le=1e9, description="Inspection and enforcement per county-year (L)."
    )


@register("education_ecology")
class EducationEcology(Lever):
    """Enforce nearby enrolment: fewer families bypass their catchment school."""

    Params = EcologyParams
    p: EcologyParams

    def apply(self, model: QingyuanModel, year: int) -> None:
        """Scale down the quality-seeking share in the target counties."""
        c = self.target_county
        model.policy.choice_factor[c] *= 1.0 - self.p.choice_reduction
        self.spend(model, c * self.p.cost_per_county_yuan)
