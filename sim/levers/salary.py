"""两个不低于或高于 (measure): teachers' pay no lower than local civil servants'.

Mechanism. Each active year the county tops up the pay of its public (编制) compulsory-school
teachers by the yuan a year needed to bring their simulated mean pay to ``parity`` × the
civil servants' pay (``sim.processes.workforce.pay``): the top-up is computed from the
teachers' base pay this year (titles, hires and retirements move it) and is paid to every
covered teacher (``model.policy.pay_topup_yuan``); at the end of the year the county settles
the difference the year's hires, retirements and promotions made (补差). Rural attrition
then follows the county's simulated pay parity, scaled by ``exp(-pay_elasticity × (parity − reference))``
(``sim.processes.workforce.staffing``; ``workforce.pay_elasticity`` is an assumption, L:
allowances raise intentions to stay, least among incentives studied, M, evidence.md).
The standard's guarantee item "teacher pay ≥ civil servants" is measured from the same
simulated pay, never from ``parity``.

Cost: the top-up × the covered teachers of the county, every active year.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from sim.levers import register
from sim.levers.base import Lever, LeverParams
from sim.processes.workforce.pay import CIVIL_SERVANT_PAY_YUAN, base_pay, paid_teachers

if TYPE_CHECKING:
    from sim.model import QingyuanModel


class SalaryParams(LeverParams):
    """Keys of ``salary_parity``."""

    parity: float = Field(
        1.0,
        ge=0.5,
        le=1.5,
        description="Teacher pay ÷ local civil servants' pay the top-up aims at (the plan: ≥ 1, H).",
    )


@register("salary_parity")
class SalaryParity(Lever):
    """Close the pay gap between teachers and civil servants."""

    Params = SalaryParams
    p: SalaryParams

    def _top_up(self, model: QingyuanModel) -> None:
        """Raise the county top-up to what today's covered teachers need; pay the difference."""
        nc, c = len(model.counties), self.target_county
        paid = paid_teachers(model)
        county = model.schools.county[model.teachers.school[paid]]
        n = np.bincount(county, minlength=nc).astype(float)
        mean = np.divide(np.bincount(county, base_pay(model)[paid], nc), n, out=np.zeros(nc), where=n > 0)
        need = np.maximum(self.p.parity * CIVIL_SERVANT_PAY_YUAN - mean, 0.0)
        pol = model.policy
        before = pol.pay_topup_yuan.copy()
        pol.pay_topup_yuan[c] = np.maximum(pol.pay_topup_yuan[c], need[c])
        self.spend(model, (pol.pay_topup_yuan - before) * n)

    def apply(self, model: QingyuanModel, year: int) -> None:
        """Top up covered teachers' pay to the aimed parity at the start of the year; pay for it."""
        self._top_up(model)

    def at_measure(self, model: QingyuanModel, year: int) -> None:
        """Year-end settlement (补差): hires, retirements and promotions changed the base pay."""
        if self.in_window(year):
            self._top_up(model)
