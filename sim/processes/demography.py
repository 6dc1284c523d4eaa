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
from sim.core import kernels
from sim.core.crn import ARRIVED, BORN, Draws, new_ids, poisson_quantile
from sim.core.names import COUNTIES
from sim.processes import kernels as process_kernels
from sim.world.ages import SCHOOL_AGE
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
    draws = model.crn.at(year)
    # the children aged 1-5, grouped by county in row order
    young, start = kernels.rows_by_cell(pop.birth_year, pop.county, year, 1, 5, len(geo.counties), False)
    counties, places, ids = [], [], []
    for ci, county in enumerate(geo.counties):
        # newborns present = births × the county's presence at age 0 (sim.world.ages), so the
        # youngest cohorts continue the 2022 age profile without a step
        n_births = round(model.calib.births[year][county])
        n = round(model.calib.births[year][county] * float(model.calib.presence(0, county)))
        model.flows.add_count("new_births", ci, n_births)
        model.flows.add_count("new_newborns", ci, n)
        cand = young[start[ci] : start[ci + 1]]
        if n == 0:
            continue
        # the n babies of a county are the ids 0..n-1 of its year: a change in n adds or
        # removes babies at the end and leaves the others' draws as they were
        new = new_ids(year, BORN, COUNTIES.index(county), n)
        ids.append(new)
        if len(cand):
            pick = (draws.uniform("birth-place", new) * len(cand)).astype(np.int64)
            place = pop.place[cand[np.minimum(pick, len(cand) - 1)]]
        else:
            place = np.full(n, model.places_by_county_tier[(ci, URBAN)][0])
        counties.append(np.full(n, ci, dtype=np.int8))
        places.append(place)
    if places:
        place = np.concatenate(places)
        pop.append(
            **new_child_columns(
                draws,
                np.concatenate(ids),
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
    dies = model.crn.below("deaths", year, pop.id, model.config.demography.child_mortality)
    columns = (pop.birth_year, pop.county, pop.stage)
    gone, counts = process_kernels.exits(dies, columns, year, LEAVING_AGE, len(model.counties))
    for name, per_county in zip(("new_aged_out", "new_deaths", "new_student_leavers"), counts, strict=True):
        flows.add_counts(name, per_county)
    return gone


def migrate(model: QingyuanModel, year: int, gone: np.ndarray) -> None:
    """Household moves: up the settlement ladder, into the centre, out of the city, and in.

    ``gone`` marks children who left this year already (``exits``); they do not move, and
    they, the out-migrants and the arrivals make one compaction of the columns.
    """
    pop, geo, flows, dp = model.pop, model.geo, model.flows, model.config.demography
    draws = model.crn.at(year)
    stays = ~gone
    # 1. village → town or seat; town → seat (draws only for the non-urban)
    u = draws.uniform("move-up", pop.id)  # every row: one vectorised pass beats picking the rural
    rates = (model.aggregate.rural_to_urban, float(dp.town_to_seat_share))
    homes = (pop.place, geo.place_tier)
    to_seat, to_town = process_kernels.moves_up(u, homes, pop.county, stays, rates, (URBAN, VILLAGE))
    from_village = np.flatnonzero(to_town)  # a village household goes on to the seat, or its town
    up_to_seat = draws.uniform("move-up", pop.id[from_village], 1) < dp.town_to_seat_share
    # the movers as row indices (a few percent of the rows), not masks over all of them
    movers = np.union1d(np.flatnonzero(to_seat), from_village[up_to_seat])
    pop.place[movers] = random_place(model, pop.county[movers], URBAN, draws, pop.id[movers], "seat-place")
    movers_t = from_village[~up_to_seat]
    pop.place[movers_t] = model.town_of_township[geo.place_township[pop.place[movers_t]]]
    moved = np.concatenate([movers, movers_t])
    pop.left_behind[moved] = False  # the family moves together
    flows.add("new_moved_to_urban", pop.county[moved])
    # 2. into 清城/清新 from the other counties
    centre = [geo.counties.index(c) for c in CENTRE if c in geo.counties]
    if centre:
        outside = np.ones(len(geo.counties), dtype=bool)
        outside[centre] = False
        p_in = dp.into_centre
        moves_in = model.crn.below_where("into-centre", year, pop.id, p_in, pop.county, stays, outside)
        into = np.flatnonzero(moves_in)
        if len(into):
            weights = np.array([INTO_CENTRE_SPLIT[geo.counties[c]] for c in centre])
            dest = np.asarray(centre, dtype=np.int8)[draws.choice("into-centre", pop.id[into], weights, 1)]
            enrolled = pop.stage[into] != NOT_ENROLLED
            flows.add("new_moved_out_county", pop.county[into])
            flows.add("new_student_outmigrants", pop.county[into[enrolled]])
            flows.add("new_moved_in_county", dest)
            flows.add("new_student_inmigrants", dest[enrolled])
            pop.county[into] = dest
            pop.place[into] = random_place(model, dest, URBAN, draws, pop.id[into], "centre-place")
            pop.left_behind[into] = False
            moved = np.concatenate([moved, into])
    pop.needs_school[moved] = True
    # 3. out of the city with the family
    anywhere = np.ones(len(geo.counties), dtype=bool)
    p_out = dp.out_with_children
    out = model.crn.below_where("out-of-city", year, pop.id, p_out, pop.county, stays, anywhere)
    leaving = np.flatnonzero(out)
    flows.add("new_outflow", pop.county[leaving])
    flows.add("new_student_outmigrants", pop.county[leaving[pop.stage[leaving] != NOT_ENROLLED]])
    # 4. families arriving (returning or new), mostly into towns and seats
    keep = ~(gone | out)
    pop.keep(keep, append=arrivals(model, year, keep))
    # 5. young children coming back to the county as they near school age
    young_returns(model, year)


def random_place(
    model: QingyuanModel, county: np.ndarray, tier: int, draws: Draws, ids: np.ndarray, process: str
) -> np.ndarray:
    """A random place of ``tier`` in each given county, weighted by place size (per-id draws)."""
    out = np.empty(len(county), dtype=np.int32)
    for ci in np.unique(county):
        sel = county == ci
        places = model.places_by_county_tier[(int(ci), tier)]
        out[sel] = places[draws.choice(process, ids[sel], model.place_weight[places])]
    return out


def arrivals(model: QingyuanModel, year: int, staying: np.ndarray) -> dict[str, np.ndarray] | None:
    """Columns of the children arriving with their families (a share of the ``staying`` children)."""
    geo = model.geo
    counts = kernels.count_where(model.pop.county, staying, len(geo.counties))
    codes = np.array([COUNTIES.index(c) for c in geo.counties])
    draws = model.crn.at(year)
    n = poisson_quantile(draws.uniform("arrivals", codes), model.config.demography.inflow_children * counts)
    county = np.repeat(np.arange(len(geo.counties), dtype=np.int8), n)
    total = len(county)
    if total == 0:
        return None
    ids = np.concatenate([new_ids(year, ARRIVED, codes[ci], int(k)) for ci, k in enumerate(n)])
    age = np.minimum((draws.uniform("arrival", ids) * LEAVING_AGE).astype(np.int64), LEAVING_AGE - 1)
    # L: arrivals settle in seats (80%) and towns; a county without towns uses its seat
    has_town = np.array([model.places_by_county_tier[(ci, TOWN)].size > 0 for ci in range(len(geo.counties))])
    tier = np.where((draws.uniform("arrival", ids, 1) < 0.8) | ~has_town[county], URBAN, TOWN)
    place = np.empty(total, dtype=np.int32)
    for t in (URBAN, TOWN):
        sel = tier == t
        if sel.any():
            place[sel] = random_place(model, county[sel], t, draws, ids[sel], "arrival-place")
    in_centre = np.array([c in CENTRE for c in geo.counties])
    share = np.where(in_centre[county], MIGRANT_SHARE_CENTRE * 3, MIGRANT_SHARE_OTHER * 3)
    cols = new_child_columns(
        draws,
        ids,
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


# Young returns take ids after the arrivals' of the same county and year (never the same id),
# numbered within each age, so more returns at one age leave the others' ids and draws alone.
YOUNG_RETURN_ID_OFFSET = 1 << 23
YOUNG_RETURN_IDS_PER_AGE = 1 << 19


def young_returns(model: QingyuanModel, year: int) -> None:
    """Children aged 1-6 joining their home county, at the rate the 2022 age profile implies.

    The fitted presence curve rises below school age (``sim.world.ages.curve``): children
    born to parents working elsewhere come back to grandparents or parents before
    kindergarten and school. Each cohort aged 1-6 grows by exp(-young_slope) - 1 a year, so
    the simulated cohorts keep the shape the 2022 stock was fitted to (no step at age 6).
    Counts and homes are per-cell and per-id draws (``sim.core.crn``).
    """
    rate = float(np.exp(-model.calib.presence_fit.young_slope) - 1.0)
    if rate <= 0:
        return
    pop, geo = model.pop, model.geo
    ages = SCHOOL_AGE + 1
    # the children aged 1..SCHOOL_AGE grouped by (county, age) cell, in row order within a cell
    by_cell, start = kernels.rows_by_cell(
        pop.birth_year, pop.county, year, 1, SCHOOL_AGE, len(geo.counties), True
    )
    counts = np.diff(start)
    codes = np.array([COUNTIES.index(c) for c in geo.counties], dtype=np.int64)
    draws = model.crn.at(year)
    cell_keys = np.repeat(codes, ages) * ages + np.tile(np.arange(ages), len(codes))
    n = poisson_quantile(draws.uniform("young-returns", cell_keys), counts * rate)
    if n.sum() == 0:
        return
    cells = np.repeat(np.arange(len(n)), n)
    ids = np.concatenate(
        [
            new_ids(year, ARRIVED, int(codes[c // ages]), int(k))
            + YOUNG_RETURN_ID_OFFSET
            + (c % ages) * YOUNG_RETURN_IDS_PER_AGE
            for c, k in enumerate(n)
        ]
    )
    u = draws.uniform("young-return-home", ids)
    # a returning child lives where a child of its county and age, picked by its uniform,
    # lives: the children grouped by cell (in row order within a cell)
    start = start[cells]
    pick = np.minimum((u * counts[cells].astype(np.float32)).astype(np.int64), counts[cells] - 1)
    donors = by_cell[start + pick]
    place = pop.place[donors]
    county = pop.county[donors]
    cols = new_child_columns(
        draws,
        ids,
        birth_year=year - (cells % ages),
        county=county,
        place=place,
        tier=geo.place_tier[place],
        migrant_share=0.0,
        preschool_attendance=model.calib.preschool_attendance,
    )
    pop.append(**cols)
    model.flows.add("new_young_returns", county)


def left_behind(model: QingyuanModel, year: int) -> None:
    """Parents leave for work without the child, or come back (留守 status)."""
    pop, dp = model.pop, model.config.demography
    chances = (float(dp.parents_leave), URBAN_PARENTS_LEAVE_FACTOR, np.float32(dp.parents_return))
    u = model.crn.uniform("left-behind", year, pop.id)
    process_kernels.left_behind_update(pop.left_behind, u, model.geo.place_tier, pop.place, chances, URBAN)
