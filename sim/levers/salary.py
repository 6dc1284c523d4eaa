"""两个不低于或高于 (measure): teachers' pay no lower than local civil servants'.

Mechanism. The lever raises this year's ``model.policy.salary_parity`` (teacher pay ÷ local
civil servants' pay) in its counties to ``parity``. The workforce phase scales rural
teachers' yearly attrition by ``exp(-pay_elasticity × (parity − reference))``
(``sim.processes.workforce.staffing``; ``workforce.pay_elasticity`` is an assumption, L: allowances raise
intentions to stay, least among incentives studied, M, evidence.md). The standard's
government-guarantee item "teacher pay ≥ civil servants" reads the same knob.

Cost: the top-up, (parity − the status quo) × the reference pay × public (编制)
compulsory-school teachers of the county, every active year.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from sim.levers import register
from sim.levers.base import Lever, LeverParams
from sim.levers.costs import TEACHER_YEAR_YUAN
from sim.world.teachers import EDITORIAL

if TYPE_CHECKING:
    from sim.model import QingyuanModel

COMPULSORY_LEVELS = ("primary", "junior")


class SalaryParams(LeverParams):
    """Keys of ``salary_parity``."""

    parity: float = Field(
        1.0,
        ge=0.5,
        le=1.5,
        description="Teacher pay ÷ local civil servants' pay (the plan: not lower, i.e. ≥ 1, H).",
    )
    reference_pay_yuan: float = Field(
        TEACHER_YEAR_YUAN,
        ge=0,
        le=1e7,
        description="Civil servants' average pay and insurance a year in the counties (L).",
    )


@register("salary_parity")
class SalaryParity(Lever):
    """Close the pay gap between teachers and civil servants."""

    Params = SalaryParams
    p: SalaryParams

    def apply(self, model: QingyuanModel, year: int) -> None:
        """Raise parity; pay the top-up to public compulsory-school teachers."""
        pol, c = model.policy, self.target_county
        before = pol.salary_parity.copy()
        pol.salary_parity[c] = np.maximum(pol.salary_parity[c], self.p.parity)
        t, s = model.teachers, model.schools
        public = (t.contract == EDITORIAL) & np.isin(model.school_level[t.school], COMPULSORY_LEVELS)
        n = np.bincount(s.county[t.school[public]], minlength=len(model.counties)).astype(float)
        self.spend(model, (pol.salary_parity - before) * self.p.reference_pay_yuan * n)
