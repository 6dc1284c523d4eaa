"""城乡教育共同体 / 集团化办学: education communities led by a strong county-seat school.

The plan's model for 连南 (plan-interpretation.zh.txt): "城区优质公办学校 + '三所学校' +
乡村其他学校" — each community is led by a strong urban public school, with the township's
three schools (central kindergarten, central primary, public boarding school) as the pivot
and the village schools as members, so that quality flows down to the villages.

Mechanism, each active year in each target county:

1. **Formation.** Up to ``n_groups`` groups per county, ``groups_per_year`` at a time. A
   group's lead is the strongest free county-seat school of ``lead_types``; its members are
   the public schools (central kindergarten, central primary, township junior or nine-year
   school, village primaries and teaching points) of the townships assigned to it. A
   county's non-seat townships are shared out among its ``n_groups`` groups (nearest town
   first, round robin) or ``townships_per_group`` each. Membership is ``schools.group_id``.
2. **Rotation inside the group.** ``rotation_share`` of the lead's teachers start a stint
   of ``stint_years`` at member schools, at least ``backbone_share`` of them backbone
   (national rotation rules: ≥ 10% a year, ≥ 20% backbone, stints of 2-3 years, H). Each
   goes where the county's backbone (or staffing) gap is widest, and a young member teacher
   goes the other way for the same stint (as 连南民族高级中学's young teachers spent a year
   at 清远一中, qingyuan.md), so every school keeps its head count. The workforce phase
   counts stints down and brings teachers home (``sim.processes.workforce.rotation.end_rotations``). Only
   teachers not already rotating move; the workforce's county rotation also routes
   rotations of member schools' teachers inside their group.
3. **Mentoring.** The lead's master teachers (名师工作室, 师徒结对) make ``mentoring_rate`` of
   the members' teachers a year county backbone teachers, at the members furthest below
   the county's backbone teachers per pupil (an assumption, L: Nanjing's groups raised
   members' mid-title shares, Li & Yao 2019, H direction).
4. **Quality convergence.** Members' quality targets rise ``member_uplift_per_year`` SD a
   year, never beyond their gap to the lead at formation nor ``max_uplift``; the lead gains
   ``lead_uplift_per_year``. Evidence (evidence.md): groups help weak members' pupils
   through better teachers, leads gain too (Lei & Deng 2025, direction H); the size, +0.02
   to +0.05 SD a year, is an assumption to vary.
5. **Shared lessons.** Members with fewer than ``small_school_pupils`` pupils receive the
   lead's lessons (同步课堂): ``shared_lesson_uplift`` SD on their quality target while the
   group runs (L; remote-lesson evidence in ``digital_empowerment``).

A community "actually runs" (the plan's 有效运行; target ≥ 5 in 连南 by 2025) in a year when
its simulated state meets the plan's definition (``n_communities_running``, measured each
year by ``community_stocks``):

* **shared leadership**: its lead is open and still leads it, with at least one open
  township three-school member and one open village member under it ("城区优质公办学校 +
  '三所学校' + 乡村其他学校", plan-interpretation.zh.txt);
* **teachers rotated at the plan's rate**: the teachers on a stint inside the community this
  school year are at least ``ROTATION_RATE`` (10%, the national rule the plan applies) of the
  community's teachers eligible to rotate (``sim.processes.workforce.rotation.eligible``)
  plus those on such a stint;
* **joint teaching research**: this year the lead's own teachers teach at a member school
  (a stint from the lead), or the lead's masters mentored a member's teacher, or the lead's
  lessons reached a small member (the last two recorded by the lever when they happen).

Groups keep their membership after the lever ends, but stop
running once the last stints end (stints begun in the lever's window run their course and
are paid; nothing new starts).

Cost: a yearly sum per group (management, joint teaching research, travel) and an
allowance per teacher-year on rotation inside a group (L).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field, field_validator

from sim.levers import register
from sim.levers.base import Lever, LeverParams, school_types_validator
from sim.levers.common import Uplift
from sim.levers.costs import ROTATION_ALLOWANCE_YUAN
from sim.levers.ledger import register_stock
from sim.processes.workforce.rotation import eligible
from sim.world.geography import TOWN, URBAN, VILLAGE
from sim.world.schools import OPEN, type_mask
from sim.world.teachers import COUNTY_BACKBONE

if TYPE_CHECKING:
    from sim.model import QingyuanModel

ROTATION_RATE = 0.10  # 教督〔2017〕6号: ≥ 10% of eligible teachers rotate each year (H)
LEAD_TYPES = ("urban_primary", "nine_year", "junior", "complete_middle")
MEMBER_TYPES = ("kg_public", "central_primary", "nine_year", "junior", "village_primary", "teaching_point")
THREE_SCHOOL_TYPES = ("kg_public", "central_primary", "nine_year", "junior")  # in a township town
VILLAGE_TYPES = ("village_primary", "teaching_point")
COMPULSORY_TYPES = (
    "teaching_point",
    "village_primary",
    "central_primary",
    "urban_primary",
    "nine_year",
    "junior",
)


class GroupParams(LeverParams):
    """Keys of ``group_schooling``."""

    n_groups: int = Field(1, ge=1, le=50, description="Groups per target county.")
    groups_per_year: int | None = Field(
        None, ge=1, le=50, description="Groups formed per county per year; none = all in start_year."
    )
    townships_per_group: int | None = Field(
        None, ge=1, le=50, description="Townships per group; none = the county's townships shared out."
    )
    lead_types: list[str] = Field(
        default_factory=lambda: list(LEAD_TYPES),
        description="County-seat school types that can lead (with `schools`, only the named ones lead).",
    )
    rotation_share: float = Field(
        0.10, ge=0.0, le=0.5, description="Share of the lead's teachers starting a stint a year (H: ≥ 10%)."
    )
    backbone_share: float = Field(
        0.20, ge=0.0, le=1.0, description="Least share of backbone teachers among them (H: ≥ 20%)."
    )
    stint_years: int = Field(2, ge=1, le=6, description="Years a stint lasts (H: 2-3).")
    member_uplift_per_year: float = Field(
        0.03, ge=0.0, le=0.5, description="Members' quality-target gain a year, SD (L: 0.02-0.05)."
    )
    lead_uplift_per_year: float = Field(0.01, ge=0.0, le=0.5, description="The lead's gain a year, SD (L).")
    max_uplift: float = Field(
        0.3, ge=0.0, le=2.0, description="Cap of any school's accumulated gain, SD (L)."
    )
    small_school_pupils: int = Field(
        100,
        ge=0,
        le=5000,
        description="Members below this share the lead's lessons (the standard's small school).",
    )
    shared_lesson_uplift: float = Field(
        0.03, ge=0.0, le=0.5, description="Small members' quality-target gain while running, SD (L)."
    )
    mentoring_rate: float = Field(
        0.01,
        ge=0.0,
        le=0.2,
        description="Member teachers made county backbone a year through the lead's mentoring (L).",
    )
    cost_per_group_yuan: float = Field(300_000.0, ge=0, le=1e9, description="Per group-year (L).")
    allowance_yuan: float = Field(
        ROTATION_ALLOWANCE_YUAN, ge=0, le=1e6, description="Per rotating teacher-year (L)."
    )

    @field_validator("lead_types")
    @classmethod
    def _leads(cls, v: list[str]) -> list[str]:
        return school_types_validator(v, LEAD_TYPES)


@register("group_schooling")
class GroupSchooling(Lever):
    """Form education communities and run rotation, convergence and shared lessons in them."""

    Params = GroupParams
    p: GroupParams

    def setup(self, model: QingyuanModel) -> None:
        """No groups yet; plan which townships each future group of a county takes."""
        super().setup(model)
        self.groups: list[tuple[int, int, int]] = []  # (group id, county, lead)
        self.last_stint_year = 0  # last school year of the latest stint this lever began
        self.uplift = Uplift()
        self.plan: dict[int, list[np.ndarray]] = {}
        geo = model.geo
        for ci in np.flatnonzero(self.target_county):
            towns = np.flatnonzero((geo.township_county == ci) & ~geo.township_is_seat)
            centre = model.town_of_township[towns]
            order = towns[np.argsort(np.hypot(geo.x[centre], geo.y[centre]), kind="stable")]
            k = self.p.n_groups
            if self.p.townships_per_group is None:
                self.plan[int(ci)] = [order[g::k] for g in range(k)]
            else:
                m = self.p.townships_per_group
                self.plan[int(ci)] = [order[g * m : (g + 1) * m] for g in range(k)]

    # -- formation -----------------------------------------------------------------------
    def _form(self, model: QingyuanModel, year: int) -> None:
        s = model.schools
        per_year = self.p.groups_per_year or self.p.n_groups
        wanted = min(self.p.n_groups, per_year * (year - self.p.start_year + 1))
        for ci, plan in self.plan.items():
            have = sum(1 for _, c, _ in self.groups if c == ci)
            for k in range(have, wanted):
                leads = np.flatnonzero(
                    s.is_open
                    & (s.county == ci)
                    & (s.tier == URBAN)
                    & type_mask(s.type, tuple(self.p.lead_types))
                    & (s.group_id < 0)
                    & (model.school_students > 0)
                )
                if self.named is not None:  # named schools lead, strongest first
                    leads = leads[self.named_mask(len(s))[leads]]
                if len(leads) == 0:
                    break  # no free strong school left: the county runs fewer groups
                lead = int(leads[np.argmax(s.quality[leads])])
                members = np.flatnonzero(
                    s.is_open
                    & np.isin(s.township, plan[k])
                    & (s.tier != URBAN)
                    & type_mask(s.type, MEMBER_TYPES)
                    & (s.group_id < 0)
                )
                gid = model.lever_state.next_group_id()
                s.group_id[lead] = gid
                s.group_id[members] = gid
                model.lever_state.group_lead[gid] = lead
                model.lever_state.group_formed[gid] = year
                self.groups.append((gid, ci, lead))
                n = len(s)
                self.uplift.set_cap(
                    n, members, np.minimum(self.p.max_uplift, s.quality[lead] - s.quality[members])
                )
                self.uplift.set_cap(n, np.array([lead]), self.p.max_uplift)

    # -- rotation ------------------------------------------------------------------------
    def _rotate(self, model: QingyuanModel, year: int, rng: np.random.Generator) -> None:
        """Start this year's stints in each group (loop over a handful of groups)."""
        t, s = model.teachers, model.schools
        nc = len(model.counties)
        n_s = len(s)
        age = t.age(year)
        backbone = t.backbone >= COUNTY_BACKBONE
        pupils = model.school_students.astype(float)
        staff = np.bincount(t.school, minlength=n_s).astype(float)
        bb_staff = np.bincount(t.school[backbone], minlength=n_s).astype(float)
        compulsory = s.is_open & type_mask(s.type, COMPULSORY_TYPES)
        # county backbone teachers per pupil in compulsory schools: the level members aim at
        c_pupils = np.bincount(s.county[compulsory], pupils[compulsory], nc)
        c_bb = np.bincount(s.county[compulsory], bb_staff[compulsory], nc)
        bb_rate = np.divide(c_bb, c_pupils, out=np.zeros(nc), where=c_pupils > 0)
        rotated = np.zeros(nc)
        rotated_bb = np.zeros(nc)
        for gid, ci, lead in self.groups:
            if s.status[lead] != OPEN:
                continue
            members = np.flatnonzero(
                compulsory & (s.group_id == gid) & (np.arange(n_s) != lead) & (staff > 0)
            )
            if len(members) == 0:
                continue
            free = np.flatnonzero((t.school == lead) & ~t.on_rotation)
            n_send = min(int(np.floor(self.p.rotation_share * staff[lead] + 0.5)), len(free))
            if n_send == 0:
                continue
            free_bb = free[backbone[free]]
            free_bb = free_bb[np.lexsort((rng.random(len(free_bb)), -t.backbone[free_bb]))]
            # backbone teachers go only from the lead's surplus over the county's level, to
            # members short of it by more than half a teacher: each such move narrows the
            # county's backbone coefficient (it lowers the pupil-weighted variance)
            surplus = int(np.floor(bb_staff[lead] - bb_rate[ci] * pupils[lead]))
            n_bb = max(min(int(np.ceil(self.p.backbone_share * n_send)), len(free_bb), surplus), 0)
            others = free[~backbone[free]]
            others = others[rng.permutation(len(others))]
            senders = np.concatenate([free_bb[:n_bb], others[: n_send - n_bb]])
            deficit = bb_rate[ci] * pupils[members] - bb_staff[members]
            load = pupils[members] / np.maximum(staff[members], 1)
            taken = np.zeros(len(members), dtype=int)
            for tid in senders:
                if backbone[tid] and deficit.max() > 0.5:
                    j = int(np.argmax(deficit))
                    deficit[j] -= 1
                else:
                    j = int(np.argmax(load))
                    load[j] = pupils[members[j]] / (staff[members[j]] + 1 + taken[j])
                taken[j] += 1
                dest = members[j]
                # a young member teacher swaps into the lead for the same stint
                swap = np.flatnonzero((t.school == dest) & ~t.on_rotation & ~backbone)
                moving = [tid]
                if len(swap) >= 2:
                    sw = int(swap[np.argmin(age[swap] + rng.random(len(swap)) * 0.1)])
                    t.school[sw] = lead
                    t.home_school[sw] = dest
                    moving.append(sw)
                t.school[tid] = dest
                t.home_school[tid] = lead
                t.on_rotation[moving] = True
                # the workforce phase counts every rotation down each year (this one too,
                # later this year) and brings teachers home at zero: +1 so that the stint
                # covers ``stint_years`` school years (sim.processes.workforce.rotation.end_rotations)
                t.rotation_years_left[moving] = self.p.stint_years + 1
                rotated[ci] += len(moving)
                self.last_stint_year = max(self.last_stint_year, year + self.p.stint_years - 1)
                rotated_bb[ci] += int(backbone[moving].sum())
        model.lever_state.add("new_teachers_rotated", rotated)
        model.lever_state.add("new_backbone_rotated", rotated_bb)

    def _mentor(self, model: QingyuanModel, year: int) -> None:
        """The lead's masters cultivate backbone teachers at the members short of them."""
        t, s = model.teachers, model.schools
        nc, n_s = len(model.counties), len(s)
        backbone = t.backbone >= COUNTY_BACKBONE
        pupils = model.school_students.astype(float)
        bb_staff = np.bincount(t.school[backbone], minlength=n_s).astype(float)
        staff = np.bincount(t.school, minlength=n_s).astype(float)
        compulsory = s.is_open & type_mask(s.type, COMPULSORY_TYPES)
        c_pupils = np.bincount(s.county[compulsory], pupils[compulsory], nc)
        c_bb = np.bincount(s.county[compulsory], bb_staff[compulsory], nc)
        bb_rate = np.divide(c_bb, c_pupils, out=np.zeros(nc), where=c_pupils > 0)
        made = np.zeros(nc)
        for gid, ci, lead in self.groups:
            members = np.flatnonzero(compulsory & (s.group_id == gid) & (np.arange(n_s) != lead))
            n = int(np.floor(self.p.mentoring_rate * staff[members].sum() + 0.5))
            deficit = bb_rate[ci] * pupils[members] - bb_staff[members]
            for _ in range(n):
                j = int(np.argmax(deficit)) if len(members) else -1
                if j < 0 or deficit[j] <= 0.5:
                    break  # no member is short of backbone teachers any more
                cand = np.flatnonzero((t.school == members[j]) & ~backbone & ~t.on_rotation)
                if len(cand) == 0:
                    deficit[j] = 0.0
                    continue
                best = cand[np.lexsort((t.years_at_school[cand], t.degree[cand]))[-1]]
                t.backbone[best] = COUNTY_BACKBONE
                backbone[best] = True
                deficit[j] -= 1
                made[ci] += 1
                model.lever_state.group_research[gid] = year  # joint teaching research this year
        model.lever_state.add("new_backbone_mentored", made)

    # -- the year --------------------------------------------------------------------------
    def _on_stint(self, model: QingyuanModel) -> np.ndarray:
        """Mask of teachers rotating inside one of this lever's groups (whoever sent them)."""
        t, s = model.teachers, model.schools
        mine = np.array([g for g, _, _ in self.groups])
        home = np.maximum(t.home_school, 0)
        same = (t.home_school >= 0) & (s.group_id[home] >= 0) & (s.group_id[home] == s.group_id[t.school])
        return t.on_rotation & same & np.isin(s.group_id[home], mine)

    def at_measure(self, model: QingyuanModel, year: int) -> None:
        """Allowances for the teachers away on a stint inside the groups this school year.

        Paid while the lever runs and after it until the last stint it began has ended
        (stints begun in its window run their course).
        """
        if self.groups and (self.in_window(year) or year <= self.last_stint_year):
            on = self._on_stint(model)
            self.spend(model, self.per_county(model, model.teachers.school[on], self.p.allowance_yuan))

    def apply(self, model: QingyuanModel, year: int) -> None:
        """Form due groups, start this year's stints, mentor, converge quality."""
        self._form(model, year)
        if not self.groups:
            return
        s = model.schools
        rng = self.rng(model, year)
        self._rotate(model, year, rng)
        self._mentor(model, year)
        mine = np.array([g for g, _, _ in self.groups])
        leads = np.array([lead for _, _, lead in self.groups])
        in_group = np.isin(s.group_id, mine) & s.is_open
        members = np.flatnonzero(in_group & ~np.isin(np.arange(len(s)), leads))
        n = len(s)
        self.uplift.grow(n, members, self.p.member_uplift_per_year)
        self.uplift.grow(n, leads, self.p.lead_uplift_per_year)
        self.uplift.apply(model)
        small = members[
            type_mask(s.type[members], COMPULSORY_TYPES)
            & (model.school_students[members] < self.p.small_school_pupils)
        ]
        model.policy.quality_boost[small] += self.p.shared_lesson_uplift
        if self.p.shared_lesson_uplift > 0:  # the lead's lessons reached these groups this year
            for gid in np.unique(s.group_id[small]):
                model.lever_state.group_research[int(gid)] = year
        model.lever_state.mark(np.flatnonzero(in_group))
        nc = len(model.counties)
        per_group = (
            np.bincount(np.array([c for _, c, _ in self.groups]), minlength=nc) * self.p.cost_per_group_yuan
        )
        self.spend(model, per_group)


def _inside(model: QingyuanModel) -> np.ndarray:
    """Mask of teachers on a stint at another school of their home school's group."""
    t, s = model.teachers, model.schools
    home = np.maximum(t.home_school, 0)
    return (
        t.on_rotation
        & (t.home_school >= 0)
        & (s.group_id[home] >= 0)
        & (s.group_id[home] == s.group_id[t.school])
    )


def _rotation_share(model: QingyuanModel, year: int, size: int) -> np.ndarray:
    """Per group id: teachers on a stint inside it ÷ its teachers eligible to rotate or rotating."""
    t, s = model.teachers, model.schools
    inside = _inside(model)
    home = np.where(t.home_school >= 0, t.home_school, t.school)
    gid = s.group_id[home]
    pool = (eligible(model, year) | inside) & (gid >= 0)
    rotating = np.bincount(gid[inside], minlength=size).astype(float)
    base = np.bincount(gid[pool], minlength=size).astype(float)
    return np.divide(rotating, base, out=np.zeros(size), where=base > 0)


@register_stock(("n_groups", "n_group_schools", "n_communities_running", "n_teachers_rotated"))
def community_stocks(model: QingyuanModel, year: int) -> dict[str, np.ndarray]:
    """Groups, their open schools, communities that actually run, teachers rotating inside.

    Running: the plan's definition measured on this year's state (module docstring): shared
    leadership, rotation at ``ROTATION_RATE``, joint teaching research this year.
    """
    s, t, state = model.schools, model.teachers, model.lever_state
    nc = len(model.counties)
    zeros = np.zeros(nc)
    if not state.group_lead:
        return {
            "n_groups": zeros,
            "n_group_schools": zeros,
            "n_communities_running": zeros,
            "n_teachers_rotated": zeros,
        }
    size = max(state.group_lead) + 1
    gids = np.array(sorted(state.group_lead))
    leads = np.array([state.group_lead[g] for g in gids])
    lead_county = s.county[leads]
    in_group = s.is_open & (s.group_id >= 0)
    g = np.where(in_group, s.group_id, 0)
    three = np.bincount(
        g[in_group & (s.tier == TOWN) & type_mask(s.type, THREE_SCHOOL_TYPES)], minlength=size
    )
    village = np.bincount(
        g[in_group & (s.tier == VILLAGE) & type_mask(s.type, VILLAGE_TYPES)], minlength=size
    )
    leadership = (
        (s.status[leads] == OPEN) & (s.group_id[leads] == gids) & (three[gids] >= 1) & (village[gids] >= 1)
    )
    rotation = _rotation_share(model, year, size)[gids] >= ROTATION_RATE
    # joint teaching research: the lead's teachers teach at a member this year, or the
    # lead's masters mentored a member's teacher or its lessons reached a small member
    lead_at_member = np.zeros(size, dtype=bool)
    from_lead = t.on_rotation & (t.home_school >= 0) & np.isin(t.home_school, leads)
    away = from_lead & (s.group_id[t.school] == s.group_id[np.maximum(t.home_school, 0)])
    lead_at_member[s.group_id[t.school[away]]] = True
    recorded = np.array([state.group_research.get(int(gid), -1) == year for gid in gids], dtype=bool)
    research = lead_at_member[gids] | recorded
    running = leadership & rotation & research
    inside = _inside(model)
    home = np.maximum(t.home_school, 0)
    return {
        "n_groups": np.bincount(lead_county, minlength=nc).astype(float),
        "n_group_schools": np.bincount(s.county[in_group], minlength=nc).astype(float),
        "n_communities_running": np.bincount(lead_county[running], minlength=nc).astype(float),
        "n_teachers_rotated": np.bincount(s.county[home[inside]], minlength=nc).astype(float),
    }
