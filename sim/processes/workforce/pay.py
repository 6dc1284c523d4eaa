"""Teachers' pay, simulated per teacher, against local civil servants' pay (两个不低于或高于).

Why a pay model: the standard's guarantee item ("compulsory-school teachers' average pay not
below local civil servants'", 教督〔2017〕6号, H) and rural attrition both depend on what
teachers are actually paid, which moves with the title structure of the workforce and with
the top-ups a county pays, not with a lever's target. So pay is computed from the teachers:

* **Base pay** of a public (编制) compulsory-school teacher follows the title (none or
  junior, intermediate, senior post): ``TITLE_PAY_FACTOR`` (L: the national salary scale
  pays senior posts about a quarter more than junior ones). Each county's scale is set
  once, at set-up, so that its 2022 mean equals ``workforce.salary_parity`` × the civil
  servants' pay (the status quo, L); afterwards hiring, retirement and promotion move it.
* **Top-up**: the yuan a year the county pays each such teacher on top (``policy.pay_topup_yuan``,
  paid by the ``salary_parity`` lever from its budget).

``county_parity`` is the mean pay of public compulsory-school teachers ÷ the civil
servants' pay, per county: what the standard item and rural attrition read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.processes import kernels
from sim.world.teachers import EDITORIAL, LEVEL_OF_TYPE, LEVELS

if TYPE_CHECKING:
    from sim.model import QingyuanModel

CIVIL_SERVANT_PAY_YUAN = 120_000.0  # local civil servants' average pay and insurance a year (L)
TITLE_PAY_FACTOR = np.array([0.92, 1.0, 1.15])  # none/junior, intermediate, senior post (L)
COMPULSORY = np.isin(np.arange(len(LEVELS)), [LEVELS.index("primary"), LEVELS.index("junior")])


def paid_teachers(model: QingyuanModel) -> np.ndarray:
    """Mask of the teachers the parity item covers: public (编制) compulsory-school teachers."""
    t, s = model.teachers, model.schools
    return (t.contract == EDITORIAL) & COMPULSORY[LEVEL_OF_TYPE[s.type[t.school]]]


def _county_mean(model: QingyuanModel, values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    nc = len(model.counties)
    county = model.schools.county[model.teachers.school[mask]]
    total = np.bincount(county, values[mask], nc)
    n = np.bincount(county, minlength=nc)
    return np.divide(total, n, out=np.full(nc, np.nan), where=n > 0)


def status_quo_scale(model: QingyuanModel) -> np.ndarray:
    """Per county, the yuan per title-factor unit that makes 2022 pay the configured parity."""
    paid = paid_teachers(model)
    factor = TITLE_PAY_FACTOR[model.teachers.title].astype(float)
    mean = _county_mean(model, factor, paid)
    target = model.config.workforce.salary_parity * CIVIL_SERVANT_PAY_YUAN
    return np.where(np.isfinite(mean) & (mean > 0), target / np.where(mean > 0, mean, 1.0), target)


def base_pay(model: QingyuanModel) -> np.ndarray:
    """Yearly pay before top-ups, per teacher (yuan)."""
    t, s = model.teachers, model.schools
    return model.pay_scale[s.county[t.school]] * TITLE_PAY_FACTOR[t.title]


def teacher_pay(model: QingyuanModel) -> np.ndarray:
    """Yearly pay per teacher (yuan): base pay plus this year's county top-up if covered."""
    topup = model.policy.pay_topup_yuan[model.schools.county[model.teachers.school]]
    return base_pay(model) + np.where(paid_teachers(model), topup, 0.0)


def county_parity(model: QingyuanModel) -> np.ndarray:
    """Mean pay of public compulsory-school teachers ÷ civil servants' pay, per county.

    The mean of ``teacher_pay`` over ``paid_teachers``, summed in one compiled pass
    (``sim.processes.kernels.covered_pay_by_county``; ``tests/test_workforce.py`` holds it to
    this numpy form). A county without such teachers gets the status quo (nothing to compare).
    """
    t, s = model.teachers, model.schools
    nc = len(model.counties)
    covered = COMPULSORY[LEVEL_OF_TYPE[s.type]]
    pay = (model.pay_scale, TITLE_PAY_FACTOR, np.asarray(model.policy.pay_topup_yuan, dtype=np.float64))
    total, n = kernels.covered_pay_by_county(
        (t.school, t.contract, t.title), s.county, covered, pay, EDITORIAL, nc
    )
    parity = np.divide(total, n, out=np.full(nc, np.nan), where=n > 0) / CIVIL_SERVANT_PAY_YUAN
    return np.where(np.isfinite(parity), parity, model.config.workforce.salary_parity)
