"""Teacher counts per school and the workforce's county metrics (DESIGN §3 step 6).

Called by ``sim.measure.county``. County metrics come as totals and per school level
(``<metric>_<level>``, levels as in ``sim.world.teachers.LEVELS``); teachers count at the school
where they currently teach (a rotating teacher at the receiving school). The rural
shortages the standard measures are shown per tier of compulsory schools as
``backbone_per_100_students_<tier>`` and ``pe_art_per_100_students_<tier>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.core.columns import count_by
from sim.processes.workforce import staffing as workforce
from sim.processes.workforce.sharing import shared_pe_art
from sim.world.geography import TIER_NAMES
from sim.world.teachers import BENKE, CORE, COUNTY_BACKBONE, DAZHUAN, LEVEL_OF_TYPE, LEVELS

if TYPE_CHECKING:
    from sim.measure.county import CountyMetrics
    from sim.model import QingyuanModel

COMPULSORY_LEVELS = (LEVELS.index("primary"), LEVELS.index("junior"))
LOW_DEGREE_LEVELS = (LEVELS.index("kindergarten"), LEVELS.index("primary"))  # 大专+ is "above"


def teacher_school_counts(model: QingyuanModel, students: np.ndarray) -> dict[str, np.ndarray]:
    """Teacher counts per school (all schools, by id) that the seven indicators need."""
    t, n = model.teachers, len(model.schools)
    pe_art = count_by(t.school[t.subject != CORE], n)
    fte, net = shared_pe_art(model, students, pe_art)
    return {
        "teachers": count_by(t.school, n),
        "dazhuan_plus": count_by(t.school[t.degree >= DAZHUAN], n),
        "benke_plus": count_by(t.school[t.degree >= BENKE], n),
        "backbone_teachers": count_by(t.school[t.backbone >= COUNTY_BACKBONE], n),
        "pe_art_head_count": pe_art,
        "pe_art_teachers": fte,  # time-weighted under 走教 (sim.processes.workforce.sharing)
        "pe_art_shared_in": net,
        "teachers_on_rotation": count_by(t.school[t.on_rotation], n),
    }


def add_teacher_metrics(
    model: QingyuanModel, m: CountyMetrics, year: int, counts: dict[str, np.ndarray]
) -> None:
    """Workforce stocks, flows and ratios per county, in total and by level."""
    t, s = model.teachers, model.schools
    nc = len(model.counties)
    for name in workforce.FLOWS:  # every year reports every flow, zeros included
        if name not in m.sums:
            m.count(name, model.flows.get(name))
    tc = s.county[t.school]
    level = LEVEL_OF_TYPE[s.type[t.school]]
    age = t.age(year).astype(float)
    above = np.where(np.isin(level, LOW_DEGREE_LEVELS), t.degree >= DAZHUAN, t.degree >= BENKE)
    stocks = {
        "n_teachers": np.ones(len(t), bool),
        "n_backbone": t.backbone >= COUNTY_BACKBONE,
        "n_pe_art": t.subject != CORE,
        "n_above_required_degree": above,
        "n_rotating": t.on_rotation,
    }
    school_level = LEVEL_OF_TYPE[s.type]
    open_ = s.is_open
    # one count over (county, level, the four stock flags); every stock is a sum of its cells
    nl, flags = len(LEVELS), list(stocks.values())[1:]
    key = tc.astype(np.int64) * nl + level
    for mask in flags:
        key = key * 2 + mask
    cells = np.bincount(key, minlength=nc * nl * 2 ** len(flags)).reshape(nc, nl, -1)
    bit = {name: len(flags) - 1 - i for i, name in enumerate(list(stocks)[1:])}  # flag's bit in a cell
    has = {name: (np.arange(cells.shape[2]) >> b) & 1 == 1 for name, b in bit.items()}
    age_by_level = np.bincount(tc.astype(np.int64) * nl + level, age, nc * nl).reshape(nc, nl)
    for suffix in ("", *(f"_{lv}" for lv in LEVELS)):
        k = LEVELS.index(suffix[1:]) if suffix else None
        sub = cells.sum(axis=1) if k is None else cells[:, k]  # county x flag cells
        n = sub.sum(axis=1)
        for name in stocks:
            m.count(name + suffix, n if name == "n_teachers" else sub[:, has[name]].sum(axis=1))
        # the all-levels age sum adds in row order, as one bincount over every teacher does
        age_sum = np.bincount(tc, age, nc) if k is None else age_by_level[:, k]
        m.ratio("mean_teacher_age" + suffix, age_sum, n)
        if suffix:
            at = open_ & (school_level == k)
            pupils = np.bincount(s.county[at], counts["students"][at].astype(float), nc)
            m.ratio("students_per_teacher" + suffix, pupils, n)
    # posts by the staffing norm (编制), the true need: unlike stock + vacancies it can fall
    # below the stock, so a county with more teachers than posts shows its surplus
    need = workforce.posts(model, counts["students"], model.school_classes)
    m.count("n_teacher_posts", np.bincount(s.county, need.astype(float), nc))
    m.count("n_directed", np.bincount(tc[t.directed], minlength=nc))
    m.count("n_committed", np.bincount(tc[t.commitment_years_left > 0], minlength=nc))
    m.count("n_senior_title", np.bincount(tc[t.title == 2], minlength=nc))
    flows = model.flows
    for suffix in ("", *(f"_{LEVELS[k]}" for k in COMPULSORY_LEVELS)):
        rotations = flows.get("new_rotations" + suffix)
        m.ratio("rotation_rate" + suffix, rotations, flows.get("n_rotation_eligible" + suffix))
        m.ratio(
            "backbone_share_of_rotating" + suffix, flows.get("new_rotations_backbone" + suffix), rotations
        )
    # rural shortages in compulsory schools, per 100 pupils by tier
    compulsory = open_ & np.isin(school_level, COMPULSORY_LEVELS)
    for ti, tier in enumerate(TIER_NAMES):
        at = compulsory & (s.tier == ti)
        pupils = np.bincount(s.county[at], counts["students"][at].astype(float), nc)
        backbone = np.bincount(s.county[at], counts["backbone_teachers"][at].astype(float), nc)
        pe_art = np.bincount(s.county[at], counts["pe_art_teachers"][at].astype(float), nc)
        m.ratio(f"backbone_per_100_students_{tier}", backbone, pupils, 100.0)
        m.ratio(f"pe_art_per_100_students_{tier}", pe_art, pupils, 100.0)
