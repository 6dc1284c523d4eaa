"""Build the autumn-2022 world: children, schools and their stocks, for the chosen counties.

School counts by level are allocated over the whole city from expected (not drawn)
demand, so they match the published 2022 totals (``sim/data/city_totals_2022.csv``) and a
run on a subset of counties gets exactly that subset's schools. Everything else is drawn
from the seeded generator. Numbers marked L are assumptions, chosen to reproduce the
situation the plan describes: crowded county-seat schools, emptying village schools,
facility gaps that fail the 优质均衡 indicators, and a north further behind.
"""

from __future__ import annotations

import numpy as np

from sim import data
from sim.config import COUNTIES, Config
from sim.core.columns import rank_within_groups
from sim.core.crn import BORN, Draws, new_ids
from sim.core.names import SCHOOL_TYPES, START_YEAR, TYPE_CODES
from sim.data.births import urbanisation_gain
from sim.world.calibration import HARDSHIP_SHARE, SPECIAL_NEEDS_SHARE, Calibration
from sim.world.geography import TOWN, URBAN, VILLAGE, Geography
from sim.world.population import (
    JUNIOR,
    NOT_ENROLLED,
    PRESCHOOL,
    PRIMARY,
    SENIOR_GENERAL,
    SPECIAL,
    VOCATIONAL,
    Population,
)
from sim.world.schools import OPEN, SEATS_PER_CLASSROOM, TYPE_NAMES, SchoolTable

# -- children ---------------------------------------------------------------------------
LEFT_BEHIND_SHARE = {URBAN: 0.02, TOWN: 0.08, VILLAGE: 0.16}  # L; national rural 10.5% (2017, H)
MIGRANT_SHARE_CENTRE = 0.15  # L: 清城/清新 urban children with migrant parents (随迁)
MIGRANT_SHARE_OTHER = 0.03  # L
FEMALE_SHARE = 0.47  # L: Guangdong's sex ratio at birth about 1.1
LEFT_BEHIND_GAP = -0.14  # SD; both parents away (Zhang, Behrman et al. 2014, H)
HARDSHIP_GAP = -0.2  # SD (L)
CENTRE = ("清城区", "清新区")

# -- schools ----------------------------------------------------------------------------
TEACHING_POINT_SHARE = 0.30  # of primary sites (Guangdong 2023, H; L for Qingyuan)
URBAN_PRIMARY_SIZE = 1900  # pupils per county-seat primary (L: 大校额 common in seats)
URBAN_JUNIOR_SIZE = 1600  # pupils per county-seat junior (L)
NINE_YEAR_SHARE = {False: 0.15, True: 0.35}  # of rural township juniors, south / north (L)
# Type mix of the kindergartens beyond each township's public central one: public / 普惠
# private / for-profit (L). Chosen so that, as in 2022, no county has half of its children in
# public kindergartens (the 普及普惠 standard's >= 50%; no Qingyuan county had passed; the
# north's public share was lowered from 6% to 4% when the 2022 age profile moved children
# between counties and 连山 crossed 50% by one draw), while
# inclusive coverage is near Guangdong's 87.86% (2023, H).
KG_TYPE_SHARES = {False: (0.14, 0.62, 0.24), True: (0.04, 0.72, 0.24)}

# classrooms relative to the classes 2022 enrolment needs, by tier: seats are short in
# county seats (大班额) and spare in emptying villages (qingyuan.md: the urban core lacks
# places; L for the sizes)
CAPACITY_FACTOR = {URBAN: (0.85, 1.05), TOWN: (1.0, 1.3), VILLAGE: (1.1, 1.6)}
PUBLIC_KG_CAPACITY_FACTOR = (0.95, 1.05)  # L, see set_initial_stocks
BED_COVERAGE = (0.55, 0.95)  # share of 2022 boarding demand with a bed (L)

# Facility stocks per pupil as log-ratio to the 优质均衡 threshold, by tier, and a north
# penalty: urban schools are short of space and sports grounds, rural ones of equipment and
# multimedia rooms (L, shaped on the county reports in reference/standards.md). Equipment and
# multimedia were raised (+0.25, +0.15) so the south starts near 鸠江区's 2023 shares below the
# line (28%, 38%; sim/data/comparators.py) instead of 70-90%.
FACILITY_LOG_MEAN = {
    "teaching_space_m2": {URBAN: -0.15, TOWN: 0.0, VILLAGE: 0.2},
    "sports_area_m2": {URBAN: -0.45, TOWN: -0.05, VILLAGE: 0.15},
    "equipment_yuan": {URBAN: 0.40, TOWN: 0.20, VILLAGE: -0.05},
    "multimedia_classrooms": {URBAN: 0.30, TOWN: 0.15, VILLAGE: -0.15},
}
FACILITY_NORTH_PENALTY = -0.15
FACILITY_LOG_SD = 0.35
# thresholds per pupil (primary, junior), 教督〔2017〕6号 (H); the standards module holds the
# authoritative copy for judging, these only set the scale of the synthetic stocks
FACILITY_SCALE = {
    "teaching_space_m2": (4.5, 5.8),
    "sports_area_m2": (7.5, 10.2),
    "equipment_yuan": (2000.0, 2500.0),
    "multimedia_classrooms": (2.3 / 100, 2.4 / 100),
}


def presence(calib: Calibration, age: np.ndarray, county: str) -> np.ndarray:
    """Children present per birth by age in a county (the smooth curve of ``sim.world.ages``)."""
    return calib.presence(age, county)


def initial_urbanisation(config: Config) -> dict[str, float]:
    """Urban share in 2022: the 2023 figure less one year's gain."""
    facts = data.counties()
    gain = urbanisation_gain(config.demography)
    return {c: float(facts.loc[c, "urbanisation_2023"] - gain.loc[c]) for c in COUNTIES}


def place_weights(geo: Geography, rng: np.random.Generator) -> np.ndarray:
    """Relative size of each place's child population within its tier (L: lognormal)."""
    sd = np.select([geo.place_tier == URBAN, geo.place_tier == TOWN], [0.3, 0.5], 0.7)
    return np.exp(rng.normal(0.0, 1.0, geo.n_places) * sd)


def draw_places(
    geo: Geography,
    county_idx: int,
    urban_share: float,
    seat_share: float,
    weights: np.ndarray,
    ids: np.ndarray,
    draws: Draws,
) -> np.ndarray:
    """Home places for the children ``ids`` of a county, by tier shares then place weights."""
    n = len(ids)
    in_c = geo.place_county == county_idx
    seat = in_c & (geo.place_tier == URBAN)
    town = in_c & (geo.place_tier == TOWN)
    village = in_c & (geo.place_tier == VILLAGE)
    tier_p = np.array([urban_share * seat_share, urban_share * (1 - seat_share), 1 - urban_share])
    if not town.any():  # a county with only a seat township: its towns are its seat
        tier_p = np.array([urban_share, 0.0, 1 - urban_share])
    tier = draws.choice("home-tier", ids, tier_p)
    out = np.empty(n, dtype=np.int32)
    for t, mask in ((URBAN, seat), (TOWN, town), (VILLAGE, village)):
        sel = tier == t
        if not sel.any():
            continue
        idx = np.flatnonzero(mask)
        out[sel] = idx[draws.choice("home-place", ids[sel], weights[idx])]
    return out


def initial_children(
    config: Config, geo: Geography, calib: Calibration, weights: np.ndarray, draws: Draws
) -> Population:
    """Children aged 0-17 in autumn 2022, with their stage (before school assignment).

    Each child's id numbers it within its county (``sim.crn``), and every attribute is
    drawn from its own per-id random numbers.
    """
    facts = data.counties()
    urban = initial_urbanisation(config)
    pop = Population()
    ages = np.arange(0, 18)
    for ci, county in enumerate(geo.counties):
        births = np.array([calib.births[START_YEAR - a][county] for a in ages])
        counts = np.rint(births * presence(calib, ages, county)).astype(np.int64)
        age = np.repeat(ages, counts)
        ids = new_ids(START_YEAR, BORN, COUNTIES.index(county), len(age))
        place = draw_places(
            geo, ci, urban[county], facts.loc[county, "seat_share_of_urban"], weights, ids, draws
        )
        tier = geo.place_tier[place]
        pop.append(
            **new_child_columns(
                draws,
                ids,
                birth_year=START_YEAR - age,
                county=ci,
                place=place,
                tier=tier,
                migrant_share=MIGRANT_SHARE_CENTRE if county in CENTRE else MIGRANT_SHARE_OTHER,
                preschool_attendance=calib.preschool_attendance,
            )
        )
    assign_initial_stages(pop, config, calib, draws)
    return pop


def new_child_columns(
    draws: Draws,
    ids: np.ndarray,
    *,
    birth_year: np.ndarray | int,
    county: np.ndarray | int,
    place: np.ndarray,
    tier: np.ndarray,
    migrant_share: float | np.ndarray,
    preschool_attendance: float,
) -> dict[str, np.ndarray]:
    """Attributes of new children (initial, born or arriving): one per-id draw each."""

    def u(draw: int) -> np.ndarray:
        return draws.uniform("child-attributes", ids, draw)

    lb_p = np.select(
        [tier == URBAN, tier == TOWN],
        [LEFT_BEHIND_SHARE[URBAN], LEFT_BEHIND_SHARE[TOWN]],
        LEFT_BEHIND_SHARE[VILLAGE],
    )
    left_behind = u(0) < lb_p
    hardship = u(1) < HARDSHIP_SHARE * np.where(tier == VILLAGE, 1.5, 0.75)
    achievement = (
        draws.normal("child-attributes", ids, 2) + LEFT_BEHIND_GAP * left_behind + HARDSHIP_GAP * hardship
    )
    return {
        "id": ids,
        "birth_year": birth_year,
        "county": county,
        "place": place,
        "stage": NOT_ENROLLED,
        "school": -1,
        "boarding": False,
        "left_behind": left_behind,
        "migrant": u(3) < migrant_share,
        "special_needs": u(4) < SPECIAL_NEEDS_SHARE,
        "hardship": hardship,
        "female": u(5) < FEMALE_SHARE,
        "attends_preschool": u(6) < preschool_attendance,
        "achievement": achievement,
        "needs_school": False,
    }


def assign_initial_stages(pop: Population, config: Config, calib: Calibration, draws: Draws) -> None:
    """Stages in 2022 consistent with the calibrated attendance, dropout and continuation."""
    age = pop.age(START_YEAR)
    n = len(pop)
    stage = np.full(n, NOT_ENROLLED, dtype=np.int8)
    stage[(age >= 3) & (age <= 5) & pop.attends_preschool] = PRESCHOOL
    stage[(age >= 6) & (age <= 11)] = PRIMARY
    d = config.enrolment.junior_dropout
    junior_age = (age >= 12) & (age <= 14)
    stays = draws.uniform("initial-stage", pop.id) < (1 - d) ** np.clip(age - 12, 0, None)
    stage[junior_age & stays] = JUNIOR
    senior_age = (age >= 15) & (age <= 17)
    s = config.enrolment.senior_dropout
    p_senior = calib.senior_continuation * (1 - d) ** 3 * (1 - s) ** np.clip(age - 15, 0, None)
    in_senior = senior_age & (draws.uniform("initial-stage", pop.id, 1) < p_senior)
    stage[in_senior] = split_general_vocational(pop, in_senior, config.enrolment.general_share, draws)
    # exactly the calibrated share of enrolled special-needs pupils (a count of ~1,000 would
    # otherwise carry a few percent of binomial noise)
    cand = np.flatnonzero(pop.special_needs & (age >= 6) & (stage != NOT_ENROLLED))
    enrolled_6_17 = int(((age >= 6) & (stage != NOT_ENROLLED)).sum())
    k = min(round(calib.special_pupils_2022 * enrolled_6_17 / calib.enrolled_6_17_2022), len(cand))
    # the k candidates with the smallest per-id draws (a random subset of size k)
    stage[cand[np.argsort(draws.uniform("initial-special", pop.id[cand]), kind="stable")[:k]]] = SPECIAL
    pop.cols["stage"] = stage


def split_general_vocational(
    pop: Population, entering: np.ndarray, general_share: float, draws: Draws
) -> np.ndarray:
    """中考: the top ``general_share`` of entrants by (noisy) achievement go general, per county."""
    idx = np.flatnonzero(entering)
    # noise only for the entrants (about 4% of the children), not for every row
    score = pop.achievement[idx] + (0.5 * draws.normal("zhongkao", pop.id[idx])).astype(np.float32)
    stage = np.full(len(idx), VOCATIONAL, dtype=np.int8)
    county = pop.county[idx]
    rank = rank_within_groups(county, -score)  # within county, best score first
    counts = np.bincount(county, minlength=int(county.max(initial=0)) + 1)
    cutoff = np.rint(counts * general_share)
    stage[rank < cutoff[county]] = SENIOR_GENERAL
    return stage


# -- schools ----------------------------------------------------------------------------


def _largest_remainder(total: int, weights: np.ndarray, minimum: int = 0) -> np.ndarray:
    """Integer allocation of ``total`` in proportion to ``weights`` with a floor."""
    base = np.full(len(weights), minimum)
    rest = total - base.sum()
    if rest < 0:
        raise ValueError("minimums exceed total")
    share = weights / weights.sum() * rest
    alloc = np.floor(share).astype(int)
    left = rest - alloc.sum()
    alloc[np.argsort(-(share - alloc), kind="stable")[:left]] += 1
    return base + alloc


def expected_children(config: Config, calib: Calibration) -> dict[str, dict[str, float]]:
    """Expected 2022 children by county, by stage age band and tier (for allocating schools)."""
    facts = data.counties()
    urban = initial_urbanisation(config)
    out: dict[str, dict[str, float]] = {}
    for county in COUNTIES:

        def band(lo: int, hi: int, county: str = county) -> float:
            ages = np.arange(lo, hi + 1)
            births = np.array([calib.births[START_YEAR - a][county] for a in ages])
            return float(births @ presence(calib, ages, county))

        u = urban[county]
        seat = u * facts.loc[county, "seat_share_of_urban"]
        out[county] = {
            "pre": band(3, 5),
            "pri": band(6, 11),
            "jun": band(12, 14),
            "sen": band(15, 17),
            "seat": seat,
            "rural": 1 - u,
            "pop": float(facts.loc[county, "census_2020"]),
        }
    return out


def allocate_school_counts(config: Config, calib: Calibration) -> dict[str, dict[str, int]]:
    """Schools of each type per county, summing to the published city totals."""
    facts = data.counties()
    totals = data.city_totals_2022()["institutions"]
    exp = expected_children(config, calib)
    names = list(COUNTIES)
    townships = np.array([int(facts.loc[c, "townships"]) - 1 for c in names])  # non-seat
    north = np.array([bool(facts.loc[c, "north"]) for c in names])
    e = {k: np.array([exp[c][k] for c in names]) for k in next(iter(exp.values()))}
    counts: dict[str, np.ndarray] = {}
    # primary: one central primary per township town, seat primaries by size, village rest
    counts["central_primary"] = townships.copy()
    counts["urban_primary"] = np.maximum(2, np.rint(e["pri"] * e["seat"] / URBAN_PRIMARY_SIZE)).astype(int)
    n_village = int(totals["primary"]) - counts["central_primary"].sum() - counts["urban_primary"].sum()
    counts["village_primary"] = _largest_remainder(n_village, e["pri"] * e["rural"])
    n_tp = round(int(totals["primary"]) * TEACHING_POINT_SHARE / (1 - TEACHING_POINT_SHARE))
    counts["teaching_point"] = _largest_remainder(n_tp, e["pri"] * e["rural"] * np.where(north, 1.6, 1.0))
    # junior: one per township (some nine-year), seat juniors by size, extra in big townships
    nine = np.rint(townships * np.array([NINE_YEAR_SHARE[bool(n)] for n in north])).astype(int)
    counts["nine_year"] = nine
    urban_j = np.maximum(1, np.rint(e["jun"] * e["seat"] / URBAN_JUNIOR_SIZE)).astype(int)
    extra = int(totals["junior"]) - townships.sum() - urban_j.sum()
    counts["junior"] = townships - nine + urban_j + _largest_remainder(extra, e["jun"] * (1 - e["seat"]))
    # senior: at least 2 a county; 清城's are city schools
    sen = _largest_remainder(int(totals["senior_general"]), e["sen"], minimum=2)
    counts["complete_middle"] = np.ones(len(names), dtype=int)
    is_qc = np.array([c == "清城区" for c in names])
    counts["city_high"] = np.where(is_qc, sen - 1, 0)
    counts["county_high"] = np.where(is_qc, 0, sen - 1)
    counts["vocational"] = _largest_remainder(int(totals["vocational"]), e["pop"], minimum=1)
    counts["special"] = _largest_remainder(int(totals["special"]), e["pop"], minimum=1)
    # kindergartens: a public central kindergarten per township town, the rest by demand
    kg_rest = _largest_remainder(int(totals["kindergarten"]) - townships.sum(), e["pre"])
    counts["kg_central"] = townships.copy()
    counts["kg_rest"] = kg_rest
    return {c: {k: int(v[i]) for k, v in counts.items()} for i, c in enumerate(names)}


class _SchoolSites:
    """Schools sited so far, as columns, in the order they are generated (their ids)."""

    def __init__(self, geo: Geography, pop: Population):
        self.geo, self.pop = geo, pop
        self.age = pop.age(START_YEAR)
        self.rows: dict[str, list] = {k: [] for k in ("county", "township", "place", "tier", "type")}
        self.names: list[str] = []

    def add(self, ci: int, place: int, type_name: str, label: str) -> None:
        """Site one school of ``type_name`` at ``place``."""
        geo = self.geo
        self.rows["county"].append(ci)
        self.rows["township"].append(geo.place_township[place])
        self.rows["place"].append(place)
        self.rows["tier"].append(geo.place_tier[place])
        self.rows["type"].append(TYPE_CODES[type_name])
        self.names.append(label)

    def demand(self, ci: int, places: np.ndarray, lo: int, hi: int) -> np.ndarray:
        """Children aged ``lo``-``hi`` living at each of ``places`` (never exactly zero)."""
        pop = self.pop
        sel = (self.age >= lo) & (self.age <= hi) & (pop.county == ci)
        return np.bincount(pop.place[sel], minlength=self.geo.n_places)[places].astype(float) + 1e-9

    def spread(self, ci: int, places: np.ndarray, k: int, lo: int, hi: int) -> np.ndarray:
        """k sites over ``places``, busiest first, cycling when k exceeds the places."""
        if k <= 0 or len(places) == 0:
            return np.empty(0, dtype=int)
        order = places[np.argsort(-self.demand(ci, places, lo, hi), kind="stable")]
        return np.resize(order, k)

    def town_name(self, place: int) -> str:
        """The township name of a place (schools in towns are named after it)."""
        return self.geo.township_name[self.geo.place_township[place]]


def build_schools(
    config: Config, geo: Geography, calib: Calibration, pop: Population, rng: np.random.Generator
) -> tuple[SchoolTable, list[str]]:
    """Site schools of every type in the selected counties (stocks are set after enrolment)."""
    counts = allocate_school_counts(config, calib)
    sites = _SchoolSites(geo, pop)
    facts = data.counties()
    for ci, county in enumerate(geo.counties):
        n = counts[county]
        in_c = geo.place_county == ci
        seats = np.flatnonzero(in_c & (geo.place_tier == URBAN))
        towns = np.flatnonzero(in_c & (geo.place_tier == TOWN))
        villages = np.flatnonzero(in_c & (geo.place_tier == VILLAGE))
        short = county.replace("壮族瑶族自治县", "").replace("瑶族自治县", "")
        _site_primary(sites, ci, n, short, seats, towns, villages)
        _site_secondary(sites, ci, n, short, seats, towns, rng)
        north = bool(facts.loc[county, "north"])
        _site_kindergartens(sites, ci, n, short, towns, np.flatnonzero(in_c), north, rng)
    return _school_table(sites, geo, rng), sites.names


def _site_primary(
    sites: _SchoolSites,
    ci: int,
    n: dict[str, int],
    short: str,
    seats: np.ndarray,
    towns: np.ndarray,
    villages: np.ndarray,
) -> None:
    """County-seat primaries where children are, a central primary per town, village schools."""
    for i, p in enumerate(sites.spread(ci, seats, n["urban_primary"], 6, 11)):
        sites.add(ci, p, "urban_primary", f"{short}城区第{i + 1}小学")
    for p in towns:
        sites.add(ci, p, "central_primary", f"{sites.town_name(p)}中心小学")
    vp = sites.spread(ci, villages, n["village_primary"], 6, 11)
    for p in vp:
        sites.add(ci, p, "village_primary", f"{short}村小{p}")
    # teaching points in the villages left without a school, farthest from town first
    rest = np.setdiff1d(villages, vp)
    if len(rest):
        geo = sites.geo
        dist_to_town = np.hypot(geo.x[rest], geo.y[rest])  # remoteness proxy
        for p in rest[np.argsort(-dist_to_town, kind="stable")][: n["teaching_point"]]:
            sites.add(ci, p, "teaching_point", f"{short}教学点{p}")


def _site_secondary(
    sites: _SchoolSites,
    ci: int,
    n: dict[str, int],
    short: str,
    seats: np.ndarray,
    towns: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Nine-year schools in some towns, juniors in the rest and the seat, senior and other schools."""
    nine_towns = rng.choice(towns, size=min(n["nine_year"], len(towns)), replace=False) if len(towns) else []
    for p in nine_towns:
        sites.add(ci, p, "nine_year", f"{sites.town_name(p)}九年一贯制学校")
    other_towns = np.setdiff1d(towns, nine_towns)
    n_urban_j = n["junior"] - len(other_towns)
    n_seat_j = max(1, round(n_urban_j * 0.6)) if n_urban_j > 0 else 0
    for p in other_towns:
        sites.add(ci, p, "junior", f"{sites.town_name(p)}中学")
    for i, p in enumerate(sites.spread(ci, seats, n_seat_j, 12, 14)):
        sites.add(ci, p, "junior", f"{short}城区第{i + 1}初级中学")
    for p in sites.spread(ci, towns if len(towns) else seats, n_urban_j - n_seat_j, 12, 14):
        sites.add(ci, p, "junior", f"{short}镇第二中学{p}")
    seat_schools = (
        ("complete_middle", 12, 17, "{short}完全中学{i}"),
        ("city_high", 15, 17, "清远市第{i}中学"),
        ("county_high", 15, 17, "{short}第{i}高级中学"),
        ("vocational", 15, 17, "{short}职业技术学校{i}"),
        ("special", 6, 17, "{short}特殊教育学校{i}"),
    )
    for type_name, lo, hi, label in seat_schools:
        for i, p in enumerate(sites.spread(ci, seats, n[type_name], lo, hi)):
            sites.add(ci, p, type_name, label.format(short=short, i=i + 1))


def _site_kindergartens(
    sites: _SchoolSites,
    ci: int,
    n: dict[str, int],
    short: str,
    towns: np.ndarray,
    county_places: np.ndarray,
    north: bool,
    rng: np.random.Generator,
) -> None:
    """A central public kindergarten per town; the rest sited by young children, of mixed type."""
    for p in towns:
        sites.add(ci, p, "kg_public", f"{sites.town_name(p)}中心幼儿园")
    w = sites.demand(ci, county_places, 3, 5)
    places = rng.choice(county_places, size=n["kg_rest"], p=w / w.sum())
    kinds = rng.choice(3, size=n["kg_rest"], p=np.array(KG_TYPE_SHARES[north]))
    for i, (p, k) in enumerate(zip(places, kinds, strict=True)):
        sites.add(ci, p, ("kg_public", "kg_puhui", "kg_private")[k], f"{short}幼儿园{i + 1}")


def _school_table(sites: _SchoolSites, geo: Geography, rng: np.random.Generator) -> SchoolTable:
    """The sited schools as a ``SchoolTable``, open, with empty stocks and a drawn quality."""
    rows, n_s = sites.rows, len(sites.names)
    table = SchoolTable(
        county=np.asarray(rows["county"], dtype=np.int8),
        township=np.asarray(rows["township"], dtype=np.int32),
        place=np.asarray(rows["place"], dtype=np.int32),
        tier=np.asarray(rows["tier"], dtype=np.int8),
        type=np.asarray(rows["type"], dtype=np.int8),
        status=np.full(n_s, OPEN, dtype=np.int8),
        classrooms=np.zeros(n_s, dtype=np.int32),
        capacity=np.zeros(n_s, dtype=np.int32),
        beds=np.zeros(n_s, dtype=np.int32),
        teaching_space_m2=np.zeros(n_s),
        sports_area_m2=np.zeros(n_s),
        equipment_yuan=np.zeros(n_s),
        multimedia_classrooms=np.zeros(n_s),
        quality=np.zeros(n_s),
        group_id=np.full(n_s, -1, dtype=np.int32),
        principal_quality=rng.normal(0.0, 0.3, n_s),
    )
    table.quality[:] = initial_quality(table, geo, rng)
    return table


def initial_quality(table: SchoolTable, geo: Geography, rng: np.random.Generator) -> np.ndarray:
    """Latent quality: urban above rural, north behind, strong city and county high schools (L)."""
    north = data.counties().loc[geo.counties, "north"].to_numpy().astype(bool)
    q = np.select([table.tier == URBAN, table.tier == TOWN], [0.25, 0.0], -0.2)
    q = q - 0.15 * north[table.county]
    q = q + np.where(table.type == TYPE_CODES["city_high"], 0.5, 0.0)
    q = q + np.where(table.type == TYPE_CODES["county_high"], 0.15, 0.0)
    return q + rng.normal(0.0, 0.25, len(table))


def set_initial_stocks(
    table: SchoolTable,
    geo: Geography,
    enrol_primary: np.ndarray,
    enrol_junior: np.ndarray,
    enrol_total: np.ndarray,
    classes_needed: np.ndarray,
    boarding_demand: np.ndarray,
    rng: np.random.Generator,
    facility_shift: float = 0.0,
) -> None:
    """Capacity, beds and facility stocks sized on the 2022 enrolment (see module constants).

    ``facility_shift`` moves every facility stock by that much in logs (an uncertain stock,
    ``schools.stock_facility_shift``).
    """
    n = len(table)
    lo = np.select(
        [table.tier == URBAN, table.tier == TOWN],
        [CAPACITY_FACTOR[URBAN][0], CAPACITY_FACTOR[TOWN][0]],
        CAPACITY_FACTOR[VILLAGE][0],
    )
    hi = np.select(
        [table.tier == URBAN, table.tier == TOWN],
        [CAPACITY_FACTOR[URBAN][1], CAPACITY_FACTOR[TOWN][1]],
        CAPACITY_FACTOR[VILLAGE][1],
    )
    factor = rng.uniform(lo, hi)
    # public kindergartens were full in 2022: the city reports too few public places (H)
    public_kg = table.type == TYPE_CODES["kg_public"]
    factor[public_kg] = rng.uniform(*PUBLIC_KG_CAPACITY_FACTOR, int(public_kg.sum()))
    table.classrooms[:] = np.maximum(np.rint(classes_needed * factor), 1).astype(np.int32)
    seats = np.array([SEATS_PER_CLASSROOM[SCHOOL_TYPES[TYPE_NAMES[k]]] for k in table.type])
    table.capacity[:] = table.classrooms * seats
    table.beds[:] = np.rint(boarding_demand * rng.uniform(*BED_COVERAGE, n)).astype(np.int32)
    north = data.counties().loc[geo.counties, "north"].to_numpy().astype(bool)[table.county]
    base = np.maximum(enrol_total, 20).astype(float)
    prim_w = np.where(
        enrol_primary + enrol_junior > 0, enrol_primary / np.maximum(enrol_primary + enrol_junior, 1), 1.0
    )
    for column, means in FACILITY_LOG_MEAN.items():
        mu = np.select([table.tier == URBAN, table.tier == TOWN], [means[URBAN], means[TOWN]], means[VILLAGE])
        mu = mu + FACILITY_NORTH_PENALTY * north + facility_shift
        ratio = np.exp(rng.normal(mu, FACILITY_LOG_SD))
        p_thr, j_thr = FACILITY_SCALE[column]
        per_pupil = ratio * (prim_w * p_thr + (1 - prim_w) * j_thr)
        getattr(table, column)[:] = per_pupil * base
    table.multimedia_classrooms[:] = np.rint(table.multimedia_classrooms)
