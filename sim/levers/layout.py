"""城乡中小学校布局优化: close hollow schools, keep necessary small ones, build county-seat places.

The real cases (qingyuan.md, H): 佛冈县's 2023-2027 layout plan merges or closes 4 schools and
abolishes 21 teaching points in 2024, judging "hollow" schools on 5 years of births and a
5-year enrolment forecast; 清新区 abolished or merged 15 compulsory schools or teaching
points in 2020 (14 of them teaching points with no pupils left). The city's 2023-2025
place-building plan adds about 8.6万 public places (10,290 kindergarten, 75,850 primary and
secondary) in 86 projects by autumn 2025; the urban core lacks places and has oversized
classes and schools.

Mechanism, each active year in the target counties:

1. **Closures.** A school of ``close_types`` is hollow when its 5-year enrolment forecast
   (children aged 1-5 living in its catchment, scaled to its grades; or its present roll
   with ``forecast = false``) is below ``min_pupils``. Hollow schools close smallest first,
   at most ``max_closures_per_year`` per county, into the nearest open school of the same
   stage (``status`` merged, ``merge_target``): pupils are re-placed at this year's
   enrolment, teachers follow to the merge target (``sim.processes.workforce.staffing``).
2. **Necessary small schools are kept** (保留必要小规模学校): a hollow school whose nearest
   alternative is farther than ``keep_beyond_km`` stays open. Closures lengthen journeys
   (新丰县, a mountainous north-Guangdong county: +8.3 miles and +75 minutes a week, Zhao &
   Barakat 2015, H), and cost girls schooling (−0.6 years, Hannum, Liu, Wang 2021, H); the
   model carries the first through distances, boarding and long commutes.
3. **Boarding or a long commute.** With ``beds_for_displaced`` the merge target gets a bed
   for each displaced pupil of boarding age living beyond the boarding distance from it;
   younger pupils (grades 1-3 do not board) commute — a school-bus route per closed site is
   costed each year.
4. **County-seat places.** ``urban_places_per_year`` primary and junior seats a year, over
   the target counties in proportion to their county-seat seat shortfall (pupils over
   capacity). Each county builds whole new schools of ``new_school_places`` seats where the
   local shortfall is largest and adds the rest as classrooms to its most crowded seat
   schools. A new school opens at the 优质均衡 facility thresholds; its catchment is redrawn,
   so pupils nearer to it move in this year (all grades) and their teachers follow in
   proportion (分流). Larger schools and classes shrink (大班额, school size ≤ 2000).

Cost: beds and bus routes for closures, and each seat built (land excluded) (L,
sim.levers.costs). Savings from closed schools are not counted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field, field_validator

from sim.core.columns import count_by
from sim.core.names import TYPE_CODES
from sim.levers import register
from sim.levers.base import Lever, LeverParams, school_types_validator
from sim.levers.common import (
    add_classrooms,
    allocate_by_need,
    open_schools,
    redraw_catchments,
    split_total,
    teachers_follow_pupils,
    urban_places,
)
from sim.levers.costs import BED_YUAN, BUS_ROUTE_YEAR_YUAN, SCHOOL_PLACE_YUAN
from sim.levers.ledger import register_stock
from sim.processes.boarding import may_board, school_grade
from sim.processes.enrolment import STAGE_TYPES
from sim.world.geography import URBAN
from sim.world.population import ENTRY_AGE_PRIMARY, JUNIOR, PRESCHOOL, PRIMARY
from sim.world.schools import SEATS_PER_CLASSROOM, TYPE_NAMES, School, type_mask

if TYPE_CHECKING:
    from sim.model import QingyuanModel

CLOSABLE = ("teaching_point", "village_primary", "central_primary", "junior", "kg_public", "kg_puhui")
# stage of a closable type: (stage code, the types that can take its pupils, entry age, grades)
STAGE_OF = {
    "teaching_point": (PRIMARY, ENTRY_AGE_PRIMARY, 6),
    "village_primary": (PRIMARY, ENTRY_AGE_PRIMARY, 6),
    "central_primary": (PRIMARY, ENTRY_AGE_PRIMARY, 6),
    "junior": (JUNIOR, 12, 3),
    "kg_public": (PRESCHOOL, 3, 3),
    "kg_puhui": (PRESCHOOL, 3, 3),
}
SEAT_TYPES = {PRIMARY: ("urban_primary", "nine_year"), JUNIOR: ("junior", "nine_year", "complete_middle")}
NEW_SCHOOL_TYPE = {PRIMARY: "urban_primary", JUNIOR: "junior"}
FORECAST_YEARS = 5  # 佛冈: hollow schools judged on a 5-year enrolment forecast (H)


class LayoutParams(LeverParams):
    """Keys of ``layout_optimisation``."""

    close_types: list[str] = Field(
        default_factory=lambda: ["teaching_point", "village_primary"],
        description="School types that may close.",
    )
    min_pupils: int = Field(
        50,
        ge=0,
        le=5000,
        description="A school forecast below this is hollow (L; the standard leaves "
        "teaching points under 50 pupils out of its evaluation, H).",
    )
    forecast: bool = Field(
        True, description="Judge on the 5-year forecast (佛冈's method) or on the present roll."
    )
    max_closures_per_year: int = Field(1000, ge=0, le=1000, description="Most closures per county per year.")
    keep_beyond_km: float = Field(
        10.0, ge=0.0, le=200.0, description="Keep a hollow school whose nearest alternative is farther (L)."
    )
    beds_for_displaced: bool = Field(
        True, description="Build beds at the merge target for displaced boarders."
    )
    bed_cost_yuan: float = Field(BED_YUAN, ge=0, le=1e6, description="One bed (L).")
    bus_route_yuan: float = Field(
        BUS_ROUTE_YEAR_YUAN, ge=0, le=1e8, description="Per closed site per year (L)."
    )
    urban_places_per_year: int = Field(
        0, ge=0, le=200_000, description="Primary and junior seats built a year in county seats (total)."
    )
    new_school_places: int = Field(
        1350, ge=200, le=5000, description="Seats of a new school (L: 30 classes)."
    )
    place_cost_yuan: float = Field(SCHOOL_PLACE_YUAN, ge=0, le=1e7, description="One seat built (L).")

    @field_validator("close_types")
    @classmethod
    def _types(cls, v: list[str]) -> list[str]:
        return school_types_validator(v, CLOSABLE)


def stage_types(stage: int) -> tuple[str, ...]:
    """School types that serve ``stage`` (sim.processes.enrolment.STAGE_TYPES)."""
    return STAGE_TYPES[stage]


@register("layout_optimisation")
class LayoutOptimisation(Lever):
    """Close hollow schools (keeping necessary small ones) and build county-seat places."""

    Params = LayoutParams
    p: LayoutParams

    def setup(self, model: QingyuanModel) -> None:
        """No closures yet."""
        super().setup(model)
        self.closed = np.zeros(len(model.counties))
        self.n_built = 0

    # -- closures ---------------------------------------------------------------------------
    def forecast(self, model: QingyuanModel, year: int, schools: np.ndarray) -> np.ndarray:
        """Pupils each school will have in about 5 years (or has now), by its stage."""
        if not self.p.forecast:
            return model.school_students[schools].astype(float)
        pop = model.pop
        age = pop.age(year)
        out = np.zeros(len(schools))
        for type_name in {TYPE_NAMES[k] for k in model.schools.type[schools]}:
            stage, entry, grades = STAGE_OF[type_name]
            sel = model.schools.type[schools] == TYPE_CODES[type_name]
            lo = max(entry - FORECAST_YEARS, 0)
            kids = (age >= lo) & (age < entry)
            catch = model.catchment(stage_types(stage))[pop.place[kids]]
            counts = count_by(catch, len(model.schools))
            out[sel] = counts[schools[sel]] * grades / max(entry - lo, 1)
        return out

    def proposals(self, model: QingyuanModel, year: int) -> list[School]:
        """Candidate schools review their own viability; those forecast hollow propose closure.

        Candidates are the open schools of ``close_types`` in the target counties (found with
        ``AgentSet.select``); the list comes back smallest forecast first.
        """
        if self.p.max_closures_per_year == 0:
            return []
        ids = self.target_schools(model, self.p.close_types)
        if len(ids) == 0:
            return []
        forecasts = dict(zip(ids.tolist(), self.forecast(model, year, ids).tolist(), strict=True))
        candidates = model.school_agents.select(lambda a: a.school_id in forecasts)
        candidates.do("review_viability", year, forecasts, self.p.min_pupils)
        proposing = candidates.select(lambda a: a.closure_proposed_in == year)
        return sorted(proposing, key=lambda a: (forecasts[a.school_id], a.school_id))

    def close(self, model: QingyuanModel, year: int) -> np.ndarray:
        """Accept this year's closure proposals, keeping necessary small schools; returns the ids.

        At most ``max_closures_per_year`` per county; a proposal over that cap stays pending
        (the school asks for no new teachers this year, ``School.request_teachers``).
        """
        s = model.schools
        proposals = self.proposals(model, year)
        closed: list[School] = []
        open_now = s.is_open.copy()
        per_county = np.zeros(len(model.counties), dtype=np.int64)
        for agent in proposals:
            i, ci = agent.school_id, agent.county_index
            if per_county[ci] >= self.p.max_closures_per_year:
                continue
            if self.nearest_alternative(model, i, open_now)[1] > self.p.keep_beyond_km:
                agent.withdraw_proposal()  # a necessary small school: kept
                continue
            open_now[i] = False
            closed.append(agent)
            per_county[ci] += 1
        # a school closed early in the pass may have lost its alternative to a later closure:
        # keep it if its nearest school left open is now too far, then merge into that school
        too_far = self.p.keep_beyond_km
        kept = [a for a in closed if self.nearest_alternative(model, a.school_id, open_now)[1] > too_far]
        for agent in kept:
            open_now[agent.school_id] = True
            agent.withdraw_proposal()
        closed = [a for a in closed if a not in kept]
        targets = [self.nearest_alternative(model, a.school_id, open_now)[0] for a in closed]
        closed_ids = np.asarray([a.school_id for a in closed], dtype=np.int64)
        if len(closed_ids):
            if self.p.beds_for_displaced:
                self.displaced_beds(model, year, closed_ids, np.asarray(targets, dtype=np.int64))
            for agent, target in zip(closed, targets, strict=True):
                agent.merge_into(target)
            model.schools_changed()
        return closed_ids

    @staticmethod
    def nearest_alternative(model: QingyuanModel, i: int, open_now: np.ndarray) -> tuple[int, float]:
        """The nearest other open school of school ``i``'s stage in its county, and its km."""
        s = model.schools
        stage = STAGE_OF[TYPE_NAMES[s.type[i]]][0]
        alt = np.flatnonzero(open_now & (s.county == s.county[i]) & type_mask(s.type, stage_types(stage)))
        alt = alt[alt != i]
        if len(alt) == 0:
            return -1, np.inf
        d = model.geo.distance(np.full(len(alt), s.place[i]), s.place[alt])
        k = int(np.argmin(d))
        return int(alt[k]), float(d[k])

    def displaced_beds(self, model: QingyuanModel, year: int, closed: np.ndarray, target: np.ndarray) -> None:
        """Beds at the merge target for displaced pupils of boarding age who live too far."""
        pop, s = model.pop, model.schools
        where = np.full(len(s), -1, dtype=np.int64)
        where[closed] = target
        at = (pop.school >= 0) & (where[np.maximum(pop.school, 0)] >= 0)
        idx = np.flatnonzero(at)
        dest = where[pop.school[idx]]
        boards = may_board(
            model.geo.distance(pop.place[idx], s.place[dest]),
            school_grade(pop.age(year)[idx]),
            pop.stage[idx],
            model.policy.boarding_distance_km[pop.county[idx]],
            model.config.enrolment.boarding_min_grade,
        )
        beds = np.bincount(dest[boards], minlength=len(s))
        s.beds[:] += beds.astype(s.beds.dtype)
        per_county = np.bincount(s.county, beds.astype(float), len(model.counties))
        model.lever_state.add("new_beds", per_county)
        self.spend(model, per_county * self.p.bed_cost_yuan)

    # -- county-seat places -------------------------------------------------------------------
    def build(self, model: QingyuanModel, year: int) -> None:
        """Seats in county seats where the shortfall is largest: new schools, then classrooms."""
        s, nc = model.schools, len(model.counties)
        pupils = model.school_students.astype(float)
        short = np.maximum(pupils - s.capacity, 0)
        by_stage = {}
        for stage, types in SEAT_TYPES.items():
            mask = s.is_open & (s.tier == URBAN) & type_mask(s.type, types) & self.target_county[s.county]
            by_stage[stage] = (
                np.bincount(s.county[mask], short[mask], nc),
                np.bincount(s.county[mask], pupils[mask], nc),
            )
        need = sum(v[0] for v in by_stage.values())
        size = sum(v[1] for v in by_stage.values())
        weights = need if need.sum() > 0 else size
        per_county = split_total(self.p.urban_places_per_year, weights * self.target_county)
        built = np.zeros(nc)
        sites: dict[int, list[tuple[int, int]]] = {stage: [] for stage in SEAT_TYPES}  # (county, place)
        for ci in np.flatnonzero(per_county):
            stage_w = np.array([by_stage[st][0][ci] + 1e-6 * by_stage[st][1][ci] for st in SEAT_TYPES])
            for stage, places in zip(SEAT_TYPES, split_total(per_county[ci], stage_w), strict=True):
                n_new, rest = divmod(int(places), self.p.new_school_places)
                sites[stage] += [(int(ci), p) for p in self.sites(model, year, int(ci), stage, n_new)]
                ids = np.flatnonzero(
                    s.is_open & (s.tier == URBAN) & type_mask(s.type, SEAT_TYPES[stage]) & (s.county == ci)
                )
                if rest and len(ids):
                    # the remainder: classrooms at the most crowded seat schools (extensions)
                    per_room = SEATS_PER_CLASSROOM["junior" if stage == JUNIOR else "primary"]
                    roll = model.school_students[ids].astype(float)
                    gap = np.ceil(np.maximum(roll - s.capacity[ids], 0) / per_room)
                    rooms = allocate_by_need(int(np.ceil(rest / per_room)), gap)
                    rooms[np.argmax(roll)] += int(np.ceil(rest / per_room)) - int(rooms.sum())
                    add_classrooms(model, ids, rooms)
                built[ci] += places
        rng = self.rng(model, year)
        opened = np.zeros(nc)
        for stage, chosen in sites.items():
            if chosen:
                ids = self.open_at(model, year, stage, np.array(chosen), rng)
                opened += np.bincount(s.county[ids], minlength=nc) if len(ids) else 0
        model.lever_state.add("new_places_built", built)
        model.lever_state.add("new_schools_opened", opened)
        self.spend(model, built * self.p.place_cost_yuan)

    def sites(self, model: QingyuanModel, year: int, ci: int, stage: int, n: int) -> list[int]:
        """Seat neighbourhoods of county ``ci`` for ``n`` new schools: largest local gap first."""
        if n <= 0:
            return []
        s, pop = model.schools, model.pop
        places = urban_places(model, ci)
        if len(places) == 0:
            return []
        lo, hi = (6, 11) if stage == PRIMARY else (12, 14)
        age = pop.age(year)
        kids = np.bincount(
            pop.place[(age >= lo) & (age <= hi) & (pop.county == ci)], minlength=model.geo.n_places
        )
        serve = s.is_open & type_mask(s.type, stage_types(stage))
        seats = np.bincount(s.place[serve], s.capacity[serve].astype(float), model.geo.n_places)
        gap = (kids - seats)[places].astype(float)
        out = []
        for _ in range(n):
            k = int(np.argmax(gap))
            out.append(int(places[k]))
            gap[k] -= self.p.new_school_places
        return out

    def open_at(
        self, model: QingyuanModel, year: int, stage: int, chosen: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Open this year's new schools of ``stage`` at once, redraw catchments, move staff."""
        types = stage_types(stage)
        before = model.catchment(types).copy()
        label = "小学" if stage == PRIMARY else "初级中学"
        names = []
        for ci, _ in chosen:
            self.n_built += 1
            short = model.counties[ci].replace("壮族瑶族自治县", "").replace("瑶族自治县", "")
            names.append(f"{short}城区新建{label}{year}-{self.index}-{self.n_built}")
        ids = open_schools(
            model,
            chosen[:, 0],
            chosen[:, 1].astype(np.int32),
            NEW_SCHOOL_TYPE[stage],
            np.full(len(chosen), float(self.p.new_school_places)),
            names,
        )
        movers = redraw_catchments(model, types, stage, before)
        dest = model.catchment(types)[model.pop.place[movers]]
        teachers_follow_pupils(model, movers, dest, rng)
        return ids

    # -- the year ------------------------------------------------------------------------------
    def apply(self, model: QingyuanModel, year: int) -> None:
        """Close hollow schools, then build county-seat places; pay beds, buses and seats."""
        closed = self.close(model, year)
        new = self.per_county(model, closed)
        self.closed = self.closed + new
        model.lever_state.add("new_schools_closed", new)
        self.spend(model, self.closed * self.p.bus_route_yuan)
        if self.p.urban_places_per_year:
            self.build(model, year)


@register_stock(("n_schools_closed",))
def closed_stock(model: QingyuanModel, year: int) -> dict[str, np.ndarray]:
    """Schools closed or merged so far (any cause), per county."""
    s = model.schools
    return {
        "n_schools_closed": np.bincount(s.county[~s.is_open], minlength=len(model.counties)).astype(float)
    }
