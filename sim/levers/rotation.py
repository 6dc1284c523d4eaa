"""县管校聘 / 交流轮岗 (measure): the share of eligible teachers rotated each year.

Mechanism. The lever sets this year's rotation quota of its counties in ``model.policy``:
``rotation_rate`` (share of eligible teachers who start a rotation) and
``rotation_backbone_share`` (share of backbone teachers among them). The workforce phase
(``sim.processes.workforce.staffing``) moves the teachers; a quota lower than the status quo is never imposed
(the lever raises knobs, it does not cut them).

Defaults: the national quota, at least 10% of eligible teachers a year and at least 20% of
them backbone, stints of 2-3 years (2014 national plan, H). Effects of rotation on pupils'
achievement have no causal estimate (evidence.md): in the model they act through the
teachers who move (degree and backbone shares enter each school's quality target).

Cost: a yearly allowance per teacher away on a rotation in the school year, counted after
the workforce phase; teachers rotating inside a group are paid by ``group_schooling``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from sim.levers import register
from sim.levers.base import Lever, LeverParams
from sim.levers.costs import ROTATION_ALLOWANCE_YUAN

if TYPE_CHECKING:
    from sim.model import QingyuanModel


class RotationParams(LeverParams):
    """Keys of ``teacher_rotation``."""

    rate: float = Field(
        0.10, ge=0.0, le=1.0, description="Share of eligible teachers rotating each year (national ≥ 10%, H)."
    )
    backbone_share: float = Field(
        0.20,
        ge=0.0,
        le=1.0,
        description="Share of backbone teachers among those rotating (national ≥ 20%, H).",
    )
    allowance_yuan: float = Field(
        ROTATION_ALLOWANCE_YUAN, ge=0, le=1e6, description="Allowance per rotating teacher-year (L)."
    )


@register("teacher_rotation")
class TeacherRotation(Lever):
    """Raise the county rotation quota (the workforce phase moves the teachers)."""

    Params = RotationParams
    p: RotationParams

    def apply(self, model: QingyuanModel, year: int) -> None:
        """Set the quota (the workforce phase moves the teachers)."""
        pol, c = model.policy, self.target_county
        pol.rotation_rate[c] = np.maximum(pol.rotation_rate[c], self.p.rate)
        pol.rotation_backbone_share[c] = np.maximum(pol.rotation_backbone_share[c], self.p.backbone_share)

    def at_measure(self, model: QingyuanModel, year: int) -> None:
        """Pay the teachers away on a county rotation this school year (not inside a group)."""
        if not self.active(year):
            return
        c = self.target_county
        t, s = model.teachers, model.schools
        home = np.maximum(t.home_school, 0)
        in_group = (s.group_id[t.school] >= 0) & (s.group_id[t.school] == s.group_id[home])
        county_rot = t.on_rotation & ~in_group
        n = np.bincount(s.county[t.school[county_rot]], minlength=len(model.counties)).astype(float)
        self.spend(model, np.where(c, n * self.p.allowance_yuan, 0.0))
