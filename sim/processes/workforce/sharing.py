"""Shared PE and art teachers (走教) and how they count in the standard's indicator.

Small rural schools rarely have a full-time PE, music or art teacher; under the township
management reform (乡镇学校管理模式优化) specialists based at one school also teach at the
township's other schools (走教). In a county where ``policy.zoujiao`` is on, the PE and art
teachers of the non-urban public primary and junior schools of each township are pooled:
schools above the township's teachers-per-pupil level lend up to ``zoujiao_share`` of
each specialist's time to schools below it, in proportion to their shortfall.

Counting (L): the standard's indicator (PE and art teachers per 100 pupils, 教督〔2017〕6号)
counts full-time teachers on a school's roster; how shared teachers count is left to
provincial rules. Here each counts at each school in proportion to the time taught
there, so the county total is unchanged and only the spread between schools narrows.
Head counts (``n_pe_art``) never change; the school table's ``pe_art_teachers`` holds the
time-weighted count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.world.geography import URBAN
from sim.world.teachers import LEVEL_OF_TYPE, LEVELS, PRIVATE_TYPES

if TYPE_CHECKING:
    from sim.model import QingyuanModel

SHARING_LEVELS = (LEVELS.index("primary"), LEVELS.index("junior"))


def shared_pe_art(
    model: QingyuanModel, students: np.ndarray, pe_art: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Time-weighted PE/art teachers per school after 走教, and the net time received."""
    s, wp = model.schools, model.config.workforce
    pe = pe_art.astype(float)
    part = (
        s.is_open
        & model.policy.zoujiao[s.county]
        & (s.tier != URBAN)
        & np.isin(LEVEL_OF_TYPE[s.type], SHARING_LEVELS)
        & ~np.isin(s.type, PRIVATE_TYPES)
    )
    if not part.any():
        return pe, np.zeros(len(s))
    township = s.township.astype(np.int64)
    size = int(township.max()) + 1
    pool = np.bincount(township[part], pe[part], size)
    pupils = np.bincount(township[part], students[part].astype(float), size)
    level = np.divide(pool, pupils, out=np.zeros(size), where=pupils > 0)
    fair = level[township] * students
    surplus = np.where(part & (pe > fair), np.minimum(pe - fair, wp.zoujiao_share * pe), 0.0)
    deficit = np.where(part & (pe < fair), fair - pe, 0.0)
    total_s = np.bincount(township, surplus, size)
    total_d = np.bincount(township, deficit, size)
    moved = np.minimum(total_s, total_d)
    give = surplus * np.divide(moved, total_s, out=np.zeros(size), where=total_s > 0)[township]
    get = deficit * np.divide(moved, total_d, out=np.zeros(size), where=total_d > 0)[township]
    net = get - give
    return pe + net, net
