"""Demography (DESIGN §3 step 2): births, ageing, deaths, household migration, left-behind.

Children are individual rows; the adult population is an aggregate per county (total and
urban share), which is all the model needs from adults. Migration moves whole households:
a child moving village→town→county seat changes home place; a child whose parents leave
for the Pearl River Delta either goes with them (leaves the model) or stays behind (留守).
Ageing is implicit: age = year − birth year, so "everyone ages one year" costs nothing, and
18-year-olds leave the child population here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import data
from sim.world.build import CENTRE, MIGRANT_SHARE_CENTRE, MIGRANT_SHARE_OTHER, new_child_columns
from sim.world.geography import TOWN, URBAN, VILLAGE
from sim.world.population import LEAVING_AGE, NOT_ENROLLED

if TYPE_CHECKING:
    from sim.model import QingyuanModel

INTO_CENTRE_SPLIT = {"清城区": 0.7, "清新区": 0.3}  # L: destination of moves into the central districts
URBAN_PARENTS_LEAVE_FACTOR = 0.25  # L: urban parents leave without their children far less often


class AggregatePopulation:
    """County totals and urban shares, moved by calibrated yearly rates (sim/data/README.md)."""

    def __init__(self, counties: list[str], growth: np.ndarray, urban_2022: np.ndarray, gain: np.ndarray):
        facts = data.counties().loc[counties]
        self.growth = growth
        self.total = facts["pop_2023"].to_numpy(dtype=float) / (1 + growth)
        self.urban_share = urban_2022.astype(float)
        self.rural_to_urban = gain / (1 - urban_2022)

    def step(self, migration: bool) -> None:
        """One year: growth at the 2020→2023 rate; urban share gains r·(1−u)."""
        self.total = self.total * (1 + self.growth)
        if migration:
            self.urban_share = self.urban_share + self.rural_to_urban * (1 - self.urban_share)


def step(model: QingyuanModel, year: int) -> None:
    """Run the demography phase for ``year``."""
    births(model, year)
    gone = exits(model, year)
    if model.config.demography.migration:
        migrate(model, year, gone)  # drops the children gone, in the same compaction
        left_behind(model, year)
    else:
        model.pop.keep(~gone)
    model.aggregate.step(model.config.demography.migration)


def births(model: QingyuanModel, year: int) -> None:
    """New babies by county, living where the county's youngest children live."""
    pop, geo = model.pop, model.geo
    rng = model.streams.get("births", year)
    age = pop.age(year)
    young = np.flatnonzero((age >= 1) & (age <= 5))
    counties, places = [], []
    for ci, county in enumerate(geo.counties):
        n = round(model.calib.births[year][county])
        cand = young[pop.county[young] == ci]
        if n == 0:
            continue
        if len(cand):
            place = pop.place[rng.choice(cand, size=n)]
        else:
            place = np.full(n, model.places_by_county_tier[(ci, URBAN)][0])
        counties.append(np.full(n, ci, dtype=np.int8))
        places.append(place)
        model.flows.add_count("new_births", ci, n)
    if places:
        place = np.concatenate(places)
        pop.append(
            **new_child_columns(
                rng,
                len(place),
                birth_year=year,
                county=np.concatenate(counties),
                place=place,
                tier=geo.place_tier[place],
                migrant_share=0.0,
                preschool_attendance=model.calib.preschool_attendance,
            )
        )


def exits(model: QingyuanModel, year: int) -> np.ndarray:
    """Deaths, and 18-year-olds leaving the child population: the mask of those gone.

    They are dropped with the year's single compaction (in ``migrate``), not here.
    """
    pop, flows = model.pop, model.flows
    rng = model.streams.get("deaths", year)
    aged_out = pop.age(year) >= LEAVING_AGE
    dies = ~aged_out & (rng.random(len(pop)) < model.config.demography.child_mortality)
    enrolled = pop.stage != NOT_ENROLLED
    flows.add("new_aged_out", pop.county[aged_out])
    flows.add("new_deaths", pop.county[dies])
    flows.add("new_student_leavers", pop.county[(aged_out | dies) & enrolled])
    return aged_out | dies


def migrate(model: QingyuanModel, year: int, gone: np.ndarray) -> None:
    """Household moves: up the settlement ladder, into the centre, out of the city, and in.

    ``gone`` marks children who left this year already (``exits``); they do not move, and
    they, the out-migrants and the arrivals make one compaction of the columns.
    """
    pop, geo, flows, dp = model.pop, model.geo, model.flows, model.config.demography
    rng = model.streams.get("migration", year)
    n = len(pop)
    tier = geo.place_tier[pop.place]
    r = model.aggregate.rural_to_urban[pop.county]
    u = rng.random(n)
    stays = ~gone
    # 1. village → town or seat; town → seat
    from_village = (tier == VILLAGE) & (u < r) & stays
    from_town = (tier == TOWN) & (u < r * dp.town_to_seat_share) & stays
    to_seat = from_town | (from_village & (rng.random(n) < dp.town_to_seat_share))
    to_town = from_village & ~to_seat
    movers = np.flatnonzero(to_seat)
    pop.place[movers] = random_place(model, pop.county[movers], URBAN, rng)
    movers_t = np.flatnonzero(to_town)
    pop.place[movers_t] = model.town_of_township[geo.place_township[pop.place[movers_t]]]
    moved = to_seat | to_town
    pop.left_behind[moved] = False  # the family moves together
    flows.add("new_moved_to_urban", pop.county[moved])
    # 2. into 清城/清新 from the other counties
    centre = [geo.counties.index(c) for c in CENTRE if c in geo.counties]
    if centre:
        outside = ~np.isin(pop.county, centre) & stays
        into = np.flatnonzero(outside & (rng.random(n) < dp.into_centre))
        if len(into):
            weights = np.array([INTO_CENTRE_SPLIT[geo.counties[c]] for c in centre])
            dest = np.asarray(centre, dtype=np.int8)[
                rng.choice(len(centre), size=len(into), p=weights / weights.sum())
            ]
            enrolled = pop.stage[into] != NOT_ENROLLED
            flows.add("new_moved_out_county", pop.county[into])
            flows.add("new_student_outmigrants", pop.county[into[enrolled]])
            flows.add("new_moved_in_county", dest)
            flows.add("new_student_inmigrants", dest[enrolled])
            pop.county[into] = dest
            pop.place[into] = random_place(model, dest, URBAN, rng)
            pop.left_behind[into] = False
            moved[into] = True
    pop.needs_school[moved] = True
    # 3. out of the city with the family
    out = (rng.random(n) < dp.out_with_children) & stays
    flows.add("new_outflow", pop.county[out])
    flows.add("new_student_outmigrants", pop.county[out & (pop.stage != NOT_ENROLLED)])
    # 4. families arriving (returning or new), mostly into towns and seats
    keep = ~(gone | out)
    pop.keep(keep, append=arrivals(model, year, rng, keep))


def random_place(model: QingyuanModel, county: np.ndarray, tier: int, rng: np.random.Generator) -> np.ndarray:
    """A random place of ``tier`` in each given county, weighted by place size."""
    out = np.empty(len(county), dtype=np.int32)
    for ci in np.unique(county):
        sel = county == ci
        places = model.places_by_county_tier[(int(ci), tier)]
        w = model.place_weight[places]
        out[sel] = rng.choice(places, size=int(sel.sum()), p=w / w.sum())
    return out


def arrivals(
    model: QingyuanModel, year: int, rng: np.random.Generator, staying: np.ndarray
) -> dict[str, np.ndarray] | None:
    """Columns of the children arriving with their families (a share of the ``staying`` children)."""
    geo = model.geo
    counts = np.bincount(model.pop.county[staying], minlength=len(geo.counties))
    n = rng.poisson(model.config.demography.inflow_children * counts)
    county = np.repeat(np.arange(len(geo.counties), dtype=np.int8), n)
    total = len(county)
    if total == 0:
        return None
    age = rng.integers(0, LEAVING_AGE, size=total)
    # L: arrivals settle in seats (80%) and towns; a county without towns uses its seat
    has_town = np.array([model.places_by_county_tier[(ci, TOWN)].size > 0 for ci in range(len(geo.counties))])
    tier = np.where((rng.random(total) < 0.8) | ~has_town[county], URBAN, TOWN)
    place = np.empty(total, dtype=np.int32)
    for t in (URBAN, TOWN):
        sel = tier == t
        if sel.any():
            place[sel] = random_place(model, county[sel], t, rng)
    in_centre = np.array([c in CENTRE for c in geo.counties])
    share = np.where(in_centre[county], MIGRANT_SHARE_CENTRE * 3, MIGRANT_SHARE_OTHER * 3)
    cols = new_child_columns(
        rng,
        total,
        birth_year=year - age,
        county=county,
        place=place,
        tier=geo.place_tier[place],
        migrant_share=np.minimum(share, 1.0),
        preschool_attendance=model.calib.preschool_attendance,
    )
    cols["left_behind"] = np.zeros(total, dtype=bool)
    for ci in range(len(geo.counties)):
        model.flows.add_count("new_inflow", ci, int(n[ci]))
    return cols


def left_behind(model: QingyuanModel, year: int) -> None:
    """Parents leave for work without the child, or come back (留守 status)."""
    pop, dp = model.pop, model.config.demography
    rng = model.streams.get("left_behind", year)
    n = len(pop)
    urban = model.geo.place_tier[pop.place] == URBAN
    p_leave = dp.parents_leave * np.where(urban, URBAN_PARENTS_LEAVE_FACTOR, 1.0)
    u = rng.random(n)
    becomes = ~pop.left_behind & (u < p_leave)
    returns = pop.left_behind & (u < dp.parents_return)
    pop.left_behind[becomes] = True
    pop.left_behind[returns] = False
