"""学前普及普惠 (measure): public and 普惠 kindergarten places.

The 普及普惠 county standard (教督〔2020〕1号, H) asks gross enrolment ≥ 85%, 普惠 coverage
(public + inclusive private) ≥ 80%, public share ≥ 50%, 1 teacher per ≤ 15 children and
≥ 85% of classes within the size limits. The city's 2023-2025 place-building plan adds
10,290 public kindergarten places (qingyuan.md, H).

Mechanism, each active year in the target counties:

* **Places.** ``public_places_per_year`` seats (a total, shared over the counties by their
  children aged 3-5 without a public or 普惠 seat) become classrooms at public kindergartens,
  the most crowded first (class-size compliance rises).
* **Switching.** Public seats are cheaper than private ones: each year the lever runs, the
  seats it built are kept ``switch_per_place`` full with children from the for-profit
  (first) and 普惠 kindergartens of the township (L), raising the public share. (Enrolment
  places entrants in their nearest kindergarten whatever its type, so without the lever
  the built seats draw no one: the effect lasts while the lever runs.)
* **Attendance.** Some new seats are taken by children who would not have attended: for
  each seat, ``attendance_gain_per_place`` children aged 2-5 who do not attend start to
  (drawn from the lever's stream). No causal elasticity of places on enrolment was found
  (evidence.md: enrolment rose from 50.9% in 2009 to 89.7% in 2022 as public spending grew
  sixfold): an assumption to vary.
* **普惠 recognition and public conversion.** ``puhui_conversions_per_year`` for-profit
  kindergartens per county (largest first) are recognised as 普惠 (fees capped, subsidy
  paid), and ``public_conversions_per_year`` 普惠 kindergartens per county become public
  (taken over or bought out), raising coverage and the public share.

Cost: seats, and one-off sums per conversion (L, sim.levers.costs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from sim.core.columns import rank_within_groups
from sim.core.names import TYPE_CODES
from sim.levers import register
from sim.levers.base import Lever, LeverParams
from sim.levers.common import add_classrooms, allocate_by_need, ranked_pick, split_total
from sim.levers.costs import KG_PLACE_YUAN
from sim.world.population import NOT_ENROLLED, PRESCHOOL
from sim.world.schools import SEATS_PER_CLASSROOM

if TYPE_CHECKING:
    from sim.model import QingyuanModel

SEATS = SEATS_PER_CLASSROOM["kindergarten"]


class PreschoolParams(LeverParams):
    """Keys of ``preschool_expansion``."""

    public_places_per_year: int = Field(
        1000, ge=0, le=100_000, description="Public kindergarten seats built a year (total)."
    )
    places_end_year: int | None = Field(
        None,
        ge=2023,
        le=2100,
        description="Last year seats are built; none = the lever's end. The lever can keep running "
        "after it (conversions, filling the seats it built).",
    )
    switch_per_place: float = Field(
        0.7,
        ge=0.0,
        le=1.0,
        description="Children moving from private kindergartens of the township per seat built (L).",
    )
    attendance_gain_per_place: float = Field(
        0.3, ge=0.0, le=1.0, description="Children newly attending per seat built (L)."
    )
    puhui_conversions_per_year: int = Field(
        0, ge=0, le=500, description="For-profit kindergartens recognised as 普惠 per county a year."
    )
    public_conversions_per_year: int = Field(
        0, ge=0, le=500, description="普惠 kindergartens turned public per county a year."
    )
    place_cost_yuan: float = Field(KG_PLACE_YUAN, ge=0, le=1e7, description="One seat (L).")
    puhui_conversion_yuan: float = Field(300_000.0, ge=0, le=1e9, description="One 普惠 recognition (L).")
    public_conversion_yuan: float = Field(2_000_000.0, ge=0, le=1e9, description="One public conversion (L).")


@register("preschool_expansion")
class PreschoolExpansion(Lever):
    """More public seats, more children attending, more 普惠 and public kindergartens."""

    Params = PreschoolParams
    p: PreschoolParams

    def setup(self, model: QingyuanModel) -> None:
        """No seats built yet."""
        super().setup(model)
        self.built = np.zeros(len(model.schools))  # public seats this lever built, per school

    def switch_to_public(self, model: QingyuanModel, rng: np.random.Generator) -> np.ndarray:
        """Children at private kindergartens of the township fill the seats this lever built.

        Each year the lever runs, a public kindergarten it expanded takes children from the
        for-profit (first) and 普惠 kindergartens of its township until ``switch_per_place``
        of the seats it built are filled again (as children leave for primary school, new
        ones take their place). Enrolment places entrants in their nearest kindergarten
        whatever its type, so the built seats draw children only while the lever runs.
        Returns the children moved per county.
        """
        pop, s = model.pop, model.schools
        nc = len(model.counties)
        if len(self.built) < len(s):
            self.built = np.concatenate([self.built, np.zeros(len(s) - len(self.built))])
        kg = np.flatnonzero((self.built > 0) & s.is_open & (s.type == TYPE_CODES["kg_public"]))
        if len(kg) == 0 or self.p.switch_per_place == 0:
            return np.zeros(nc)
        at = np.flatnonzero((pop.school >= 0) & (pop.stage == PRESCHOOL))
        enrolled = np.bincount(pop.school[at], minlength=len(s))
        spare = np.maximum(s.capacity[kg] - enrolled[kg], 0)
        quota = np.minimum(np.floor(self.built[kg] * self.p.switch_per_place + 0.5), spare).astype(np.int64)
        kg, quota = kg[quota > 0], quota[quota > 0]
        if len(kg) == 0:
            return np.zeros(nc)
        # seats per township, as slots in township order; the k-th switcher takes the k-th slot
        n_town = len(model.geo.township_county)
        order = np.argsort(s.township[kg], kind="stable")
        slots = np.repeat(kg[order], quota[order])
        slot_town = s.township[slots]
        town_quota = np.bincount(slot_town, minlength=n_town)
        town_start = np.concatenate([[0], np.cumsum(town_quota)[:-1]])
        school = pop.school[at]
        private = np.isin(s.type[school], [TYPE_CODES["kg_private"], TYPE_CODES["kg_puhui"]])
        cand = at[private & (town_quota[s.township[school]] > 0)]
        if len(cand) == 0:
            return np.zeros(nc)
        town = s.township[pop.school[cand]]
        key = (s.type[pop.school[cand]] == TYPE_CODES["kg_puhui"]) + rng.random(len(cand))
        rank = rank_within_groups(town, key)
        go = rank < town_quota[town]
        pop.school[cand[go]] = slots[town_start[town[go]] + rank[go]]
        return np.bincount(pop.county[cand[go]], minlength=nc).astype(float)

    def apply(self, model: QingyuanModel, year: int) -> None:
        """Build seats, draw new attenders, convert kindergartens."""
        s, pop, state = model.schools, model.pop, model.lever_state
        nc = len(model.counties)
        rng = self.rng(model, year)
        public = self.target_schools(model, ("kg_public",))
        inclusive = self.target_schools(model, ("kg_public", "kg_puhui"))
        age = pop.age(year)
        kids = np.bincount(pop.county[(age >= 3) & (age <= 5)], minlength=nc).astype(float)
        seats = np.bincount(s.county[inclusive], s.capacity[inclusive].astype(float), nc)
        need = np.maximum(kids - seats, 0) * self.target_county
        weights = need if need.sum() > 0 else kids * self.target_county
        building = self.p.places_end_year is None or year <= self.p.places_end_year
        places = split_total(self.p.public_places_per_year if building else 0, weights)
        rooms_all = np.zeros(len(public))
        for ci in np.flatnonzero(places):
            here = np.flatnonzero(s.county[public] == ci)
            if len(here) == 0:
                places[ci] = 0
                continue
            ids = public[here]
            n_rooms = int(np.ceil(places[ci] / SEATS))
            crowd = np.ceil(np.maximum(model.school_students[ids] - s.capacity[ids], 0) / SEATS)
            rooms = allocate_by_need(n_rooms, crowd)
            rooms += split_total(n_rooms - int(rooms.sum()), model.school_students[ids].astype(float) + 1)
            rooms_all[here] = rooms
        add_classrooms(model, public, rooms_all)
        if len(self.built) < len(s):
            self.built = np.concatenate([self.built, np.zeros(len(s) - len(self.built))])
        self.built[public] += rooms_all * SEATS
        switched = self.switch_to_public(model, rng)
        # some seats are taken by children who would not have attended
        n_new = np.floor(places * self.p.attendance_gain_per_place + 0.5).astype(np.int64)
        cand = np.flatnonzero((age >= 2) & (age <= 5) & ~pop.attends_preschool & (pop.stage == NOT_ENROLLED))
        joining = cand[ranked_pick(pop.county[cand], rng.random(len(cand)), n_new)] if len(cand) else cand
        pop.attends_preschool[joining] = True
        # conversions, largest first
        converted = {}
        for kind, src, dst in (
            ("puhui", "kg_private", "kg_puhui"),
            ("public", "kg_puhui", "kg_public"),
        ):
            n = getattr(self.p, f"{kind}_conversions_per_year")
            pool = self.target_schools(model, (src,))
            if n == 0 or len(pool) == 0:
                converted[kind] = np.empty(0, dtype=np.int64)
                continue
            pick = pool[
                ranked_pick(s.county[pool], -model.school_students[pool].astype(float), np.full(nc, n))
            ]
            s.type[pick] = TYPE_CODES[dst]
            converted[kind] = pick
        if any(len(v) for v in converted.values()):
            model.schools_changed()
        state.add("new_preschool_places", places)
        state.mark(np.concatenate([public[rooms_all > 0], *converted.values()]).astype(np.int64))
        state.add("new_classrooms", self.per_county(model, public, rooms_all))
        state.add("new_preschool_attenders", np.bincount(pop.county[joining], minlength=nc))
        state.add("new_preschool_switchers", switched)
        state.add("new_puhui_conversions", self.per_county(model, converted["puhui"]))
        state.add("new_public_conversions", self.per_county(model, converted["public"]))
        self.spend(
            model,
            places * self.p.place_cost_yuan
            + self.per_county(model, converted["puhui"], self.p.puhui_conversion_yuan)
            + self.per_county(model, converted["public"], self.p.public_conversion_yuan),
        )
