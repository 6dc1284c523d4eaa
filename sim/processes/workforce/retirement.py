"""Statutory retirement under the 2025 retirement-age reform (DESIGN §3 step 3).

The NPC Standing Committee decision of 2024-09-13 (H; qingyuan.md) raises, from
2025-01-01, men's retirement age from 60 to 63 and that of women in professional and
managerial posts (teachers) from 55 to 58. The delay grows by one month for every four
months of birth date, starting with those who would have retired in January 2025, and is
capped at three years. The official tables (附件1 and 附件2 of the decision) read, e.g.:

* men born 1965-01..04 retire at 60y1m, 1965-05..08 at 60y2m, 1970-01..04 at 61y4m,
  from 1976-09 at 63;
* women (55 originally) born 1970-01..04 at 55y1m, 1981-05..08 at 57y11m, from 1981-09
  at 58.

Everyone is assumed to retire exactly at the statutory age: the reform's voluntary early
(up to three years earlier, never below the old age) or deferred retirement is not
modelled (L). Female teachers are all in professional posts (the 55 → 58 schedule).
"""

from __future__ import annotations

import numpy as np

REFORM_START = 2025 * 12  # month index of January 2025 (months counted as year*12 + month-1)
MAX_DELAY_MONTHS = 36  # men 60→63, women (professional posts) 55→58 (H)
MONTHS_PER_DELAY_STEP = 4  # one month later for every 4 months of birth date (H)
TERM_START_MONTH = 8  # month index y*12+8 is September of y: retire before the autumn term
OLD_AGE_MEN, OLD_AGE_WOMEN = 60, 55


def birth_month_index(birth_year: np.ndarray, birth_month: np.ndarray) -> np.ndarray:
    """Months since year 0 of the birth month (``birth_month`` is 1-12)."""
    return birth_year.astype(np.int64) * 12 + (birth_month.astype(np.int64) - 1)


def retirement_age_months(
    birth_year: np.ndarray, birth_month: np.ndarray, female: np.ndarray, reform: bool = True
) -> np.ndarray:
    """Statutory retirement age in months, by birth date and sex (see the module docstring)."""
    base = np.where(female, OLD_AGE_WOMEN * 12, OLD_AGE_MEN * 12).astype(np.int64)
    if not reform:
        return base
    old_date = birth_month_index(birth_year, birth_month) + base
    after = old_date - REFORM_START
    delay = np.where(after >= 0, np.minimum(after // MONTHS_PER_DELAY_STEP + 1, MAX_DELAY_MONTHS), 0)
    return base + delay


def retirement_month_index(
    birth_year: np.ndarray, birth_month: np.ndarray, female: np.ndarray, reform: bool = True
) -> np.ndarray:
    """Month index (year*12 + month-1) in which each person reaches retirement age."""
    return birth_month_index(birth_year, birth_month) + retirement_age_months(
        birth_year, birth_month, female, reform
    )


def retiring_by(
    birth_year: np.ndarray, birth_month: np.ndarray, female: np.ndarray, year: int, reform: bool = True
) -> np.ndarray:
    """Mask of those who reach retirement age before the autumn term of ``year``.

    Applied every year to the serving stock, this retires everyone exactly once, in the
    school year (October of ``year - 1`` to September of ``year``) of their retirement date.
    """
    return retirement_month_index(birth_year, birth_month, female, reform) <= year * 12 + TERM_START_MONTH
