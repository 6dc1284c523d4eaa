"""The Qingyuan education model: a ``mesa.Model`` whose step is one school year.

The yearly order is written down once, here, in ``QingyuanModel.step``:

1. **Policies act** — each active lever applies its yearly effect (``sim.levers``).
2. **Demography** — births, ageing, deaths, household migration, left-behind status.
3. **Workforce** — retirement (2025 reform), attrition, transfers; each open school asks for
   teachers (``School.request_teachers``, through ``model.school_agents``); recruitment against
   the requests, rotation, training.
4. **Enrolment** — progression, entry at 3/6/12/15, school choice, 中考, dropout, boarding.
5. **School dynamics** — classes and 大班额, quality, pupils' achievement.
6. **Measure** — county metrics, the school table, standards and targets.

Students are numpy columns (``sim.world.population``), teachers too (``sim.world.teachers``); schools
are Mesa agents whose state is a row of ``model.schools`` (``sim.world.schools``) and whose own
decisions (teacher requests, closure proposals, bed applications) are their methods; a merged
school leaves the agent set.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping

import mesa
import numpy as np
import pandas as pd

from sim.config import Config
from sim.core.crn import CRN
from sim.core.names import COUNTY_YEAR_COLUMNS
from sim.core.rng import Streams
from sim.data.births import population_growth, urbanisation_gain
from sim.levers import build_levers, install
from sim.levers.ledger import LeverState
from sim.measure import county as measure
from sim.processes import boarding, demography, enrolment, school_dynamics
from sim.processes.cohorts import JuniorCohorts
from sim.processes.policy import PolicyState
from sim.processes.workforce import pay
from sim.processes.workforce import staffing as workforce
from sim.standards.targets import plan_scorecard
from sim.world import cache as world_cache
from sim.world.build import (
    START_YEAR,
    build_schools,
    initial_children,
    initial_urbanisation,
    place_weights,
    set_initial_stocks,
)
from sim.world.calibration import calibrate
from sim.world.geography import build_geography
from sim.world.schools import School
from sim.world.teachers import initial_teachers, school_levels


class Flows:
    """Yearly flow counters per county (``new_<flow>``), reset at the start of each step."""

    def __init__(self, n_counties: int):
        self.n = n_counties
        self._values: dict[str, np.ndarray] = {}

    def add(self, name: str, county: np.ndarray) -> None:
        """Count one event per entry of ``county`` (county indices)."""
        counts = np.bincount(np.asarray(county, dtype=np.int64), minlength=self.n)
        self._values[name] = self._values.get(name, np.zeros(self.n)) + counts

    def add_counts(self, name: str, per_county: np.ndarray) -> None:
        """Add events already counted by county (length n_counties)."""
        self._values[name] = self._values.get(name, np.zeros(self.n)) + per_county

    def add_count(self, name: str, county: int, n: float) -> None:
        """Add ``n`` events to one county."""
        arr = self._values.setdefault(name, np.zeros(self.n))
        arr[county] += n

    def items(self) -> Iterator[tuple[str, np.ndarray]]:
        """Flows recorded so far, in insertion order."""
        return iter(self._values.items())

    def get(self, name: str) -> np.ndarray:
        """A flow's per-county counts (zeros if none happened)."""
        return self._values.get(name, np.zeros(self.n))


# Flows every year reports, even when zero, so tables have the same metrics every year.
STANDARD_FLOWS = (
    "new_births",
    "new_newborns",  # births × presence at age 0 (sim.world.ages): the children added
    "new_young_returns",  # children aged 1-6 coming back before school (sim.processes.demography)
    "new_deaths",
    "new_aged_out",
    "new_inflow",
    "new_outflow",
    "new_moved_to_urban",
    "new_moved_in_county",
    "new_moved_out_county",
    "new_student_entrants",
    "new_student_leavers",
    "new_student_outmigrants",
    "new_student_inmigrants",
    "new_dropouts",
    "new_free_final_year_joiners",  # 5-year-olds joining for the free 大班 year (sim.processes.enrolment)
    "new_zhongkao",
    "new_primary_intake",
    "new_top_outflow",
    "new_top_students",
    "new_choice_transfers",
    "new_admissions_primary",
    "new_admissions_junior",
    "new_choice_admissions_primary",
    "new_choice_admissions_junior",
    "new_retirements",
    "new_attrition",
    "new_hires",
    "n_vacancies",
)


@functools.cache
def _mesa_attributes() -> frozenset[str]:
    """Attributes ``mesa.Model`` keeps itself (agent registry, id counter): never cached."""
    return frozenset(vars(mesa.Model(rng=0)))


class QingyuanModel(mesa.Model):
    """Basic education in the selected Qingyuan counties, one step per school year."""

    def __init__(self, config: Config, seed: int | None = None):
        seed = config.seed if seed is None else int(seed)
        super().__init__(rng=seed)
        self.config = config
        self.seed_used = seed
        self.streams = Streams(seed)
        self.crn = CRN(seed)  # per-individual draws (sim.crn)
        self.counties = list(config.counties)
        self.year = START_YEAR
        self.calib = calibrate(config.demography, config.enrolment)
        self.metric_extensions: list[
            Callable[[QingyuanModel, measure.CountyMetrics, Mapping[str, np.ndarray], int], None]
        ] = []
        self.county_rows: list[dict[str, np.ndarray]] = []  # tidy columns, a frame built on demand
        # knobs clipped back into range after levers pushed them out (year, knob, county, value)
        self.warnings: list[dict[str, object]] = []
        self.school_rows: list[dict[str, np.ndarray]] = []  # per year, a frame built on demand
        self._catchments: dict[tuple[str, ...], np.ndarray] = {}
        self._declare_process_state()
        self._build_or_restore_world()
        self.levers = build_levers(config.levers, config, "config")
        # lever book-keeping (model.lever_state), lever metrics and each lever's setup
        install(self, self.levers)
        self.flows = Flows(len(self.counties))
        self._measure(START_YEAR)

    # -- set-up ----------------------------------------------------------------------
    def _declare_process_state(self) -> None:
        """Every array the yearly processes keep on the model, declared once, with its writer.

        Processes and levers read these by name; declaring them here (empty until set-up fills
        them) means no reader has to guess whether one exists.
        """
        empty = np.zeros(0, dtype=np.int64)
        # per school, written by school_dynamics.form_classes each year
        self.school_classes: np.ndarray = empty
        self.school_large_classes: np.ndarray = empty  # classes above the 大班额 limit
        self.school_max_class: np.ndarray = empty  # largest class size
        self.school_compliant_classes: np.ndarray = empty
        self.school_by_grade: np.ndarray = np.zeros((0, school_dynamics.N_GRADES))  # pupils per school, grade
        # per school, written by measure.record (pupils) and workforce staffing (unfilled posts)
        self.school_students: np.ndarray = empty
        self.school_vacancies: np.ndarray = empty
        # school quality's 2022 reference (school_dynamics.calibrate_quality) and its drift offset
        self.quality_mean_2022: float = 0.0
        self.quality_offset: float = 0.0
        # per child, written by boarding.update_boarding each year
        self.student_distance: np.ndarray = np.zeros(0)  # road km from home to school
        self.long_commute: np.ndarray = np.zeros(0, dtype=bool)  # beyond the config's distance, no bed
        # per county, written by workforce rotation each year (None before the first rotation)
        self.rotation_rate_realised: np.ndarray | None = None
        self.rotation_backbone_share_realised: np.ndarray | None = None
        # per school: (reference km, road km to the county seat), workforce staffing's cache
        self.teacher_remoteness: tuple[float, np.ndarray] | None = None
        # lever book-keeping, set by sim.levers.install
        self.lever_state: LeverState | None = None
        # oversized classes per school and grade, written by school_dynamics.form_classes
        self.school_large_by_grade: np.ndarray = np.zeros((0, school_dynamics.N_GRADES))
        # junior cohorts counted by event for the retention item (sim.processes.cohorts), and
        # yuan per title-factor unit per county for simulated pay (workforce.pay); set at set-up
        self.junior_cohorts: JuniorCohorts | None = None
        self.pay_scale: np.ndarray = np.zeros(0)

    def _build_or_restore_world(self) -> None:
        """The 2022 world, from the per-process cache when this config and seed built one.

        What the build sets (every attribute it assigns) is cached; the policy knobs are not
        (they hold this config) and the Mesa school agents are re-created for this model.
        """
        key = world_cache.world_key(self.config, self.seed_used)
        state = world_cache.get(key)
        if state is None:
            before = dict(vars(self))
            self._build_world()
            mesa_own = _mesa_attributes()
            state = {
                k: v
                for k, v in vars(self).items()
                if before.get(k, before) is not v and k != "policy" and k not in mesa_own
            }
            world_cache.put(key, state)
            return
        vars(self).update(state)
        self._init_policy_state()  # the status quo of this config (levers act later)
        self._add_school_agents()

    def _add_school_agents(self) -> None:
        for i, name in enumerate(self.school_names):
            School(self, i, name)

    def _build_world(self) -> None:
        cfg = self.config
        self.geo = build_geography(self.counties, self.streams.get("geography"))
        self.place_weight = place_weights(self.geo, self.streams.get("geography-weights"))
        self.places_by_county_tier = {
            (ci, tier): np.flatnonzero((self.geo.place_county == ci) & (self.geo.place_tier == tier))
            for ci in range(len(self.counties))
            for tier in (0, 1, 2)
        }
        # the town centre of each township (the seat's first neighbourhood for the seat)
        n_t = len(self.geo.township_county)
        self.town_of_township = np.full(n_t, -1, dtype=np.int32)
        urbanish = np.flatnonzero(self.geo.place_tier != 2)
        self.town_of_township[self.geo.place_township[urbanish[::-1]]] = urbanish[::-1]
        self.pop = initial_children(cfg, self.geo, self.calib, self.place_weight, self.crn.at(START_YEAR))
        # junior cohorts counted by event for the retention item (sim.processes.cohorts)
        self.junior_cohorts = JuniorCohorts(len(self.counties), START_YEAR - 20)
        self.junior_cohorts.seed(self.pop, START_YEAR)
        self.schools, self.school_names = build_schools(
            cfg, self.geo, self.calib, self.pop, self.streams.get("schools")
        )
        self.school_level = school_levels(self.schools)
        self._init_policy_state()
        self._add_school_agents()
        self.merge_target = np.full(len(self.schools), -1, dtype=np.int32)
        # initial placement: everyone enrolled is placed as if entering now
        self.flows = Flows(len(self.counties))
        draws = self.crn.at(START_YEAR)
        stages = self.pop.stage.copy()
        for stage in enrolment.STAGE_TYPES:
            enrolment.assign(self, np.flatnonzero(stages == stage), stage, draws)
        self.pop.stage[:] = stages
        # size capacities and stocks on 2022 enrolment, then boarding and classes
        counts = measure.pupil_counts(self)
        far = boarding.boarding_demand(self, START_YEAR)
        classes_needed = school_dynamics.class_demand(self, START_YEAR)[2].sum(axis=1)
        set_initial_stocks(
            self.schools,
            self.geo,
            counts["students_primary"],
            counts["students_junior"],
            counts["students"],
            classes_needed,
            far,
            self.streams.get("stocks"),
            facility_shift=cfg.schools.stock_facility_shift,
        )
        boarding.update_boarding(self, START_YEAR)
        self.school_students = counts["students"]
        school_dynamics.form_classes(self, START_YEAR)
        self.teachers = initial_teachers(
            self.schools,
            self.geo,
            counts["students"],
            self.school_classes,
            self.streams.get("teachers"),
            START_YEAR,
            backbone_scale=cfg.schools.stock_backbone_scale,
        )
        self.school_vacancies = np.zeros(len(self.schools), dtype=np.int64)
        self.teacher_requests = np.zeros(len(self.schools), dtype=np.int64)  # School.request_teachers
        # yuan per title-factor unit per county: 2022 pay at the configured parity
        self.pay_scale = pay.status_quo_scale(self)
        school_dynamics.calibrate_quality(self)
        growth = population_growth().loc[self.counties].to_numpy()
        u0 = initial_urbanisation(cfg)
        self.aggregate = demography.AggregatePopulation(
            self.counties,
            growth,
            np.array([u0[c] for c in self.counties]),
            urbanisation_gain(cfg.demography).loc[self.counties].to_numpy(),
        )

    def _init_policy_state(self) -> None:
        """Lever knobs at the status quo (``sim.processes.policy``)."""
        self.policy = PolicyState(len(self.counties), len(self.schools), self.config)

    # -- helpers used by processes and levers ------------------------------------------
    def catchment(self, types: tuple[str, ...]) -> np.ndarray:
        """Nearest open school of ``types`` per place (cached until schools change)."""
        if types not in self._catchments:
            self._catchments[types] = enrolment.nearest_school_by_place(self, types)
        return self._catchments[types]

    def schools_changed(self) -> None:
        """Call after opening, closing or merging schools: catchments are recomputed."""
        self._catchments.clear()
        self.school_level = school_levels(self.schools)
        if len(self.merge_target) < len(self.schools):
            extra = len(self.schools) - len(self.merge_target)
            self.merge_target = np.concatenate([self.merge_target, np.full(extra, -1, np.int32)])
            for arr in (
                "school_students",
                "school_classes",
                "school_large_classes",
                "school_max_class",
                "school_compliant_classes",
                "school_vacancies",
                "teacher_requests",
            ):
                setattr(self, arr, np.concatenate([getattr(self, arr), np.zeros(extra, np.int64)]))

    def extend_metrics(
        self, metrics: measure.CountyMetrics, schools: Mapping[str, np.ndarray], year: int
    ) -> None:
        """Let registered extensions (standards, levers) add metrics for the year."""
        for fn in self.metric_extensions:
            fn(self, metrics, schools, year)

    @property
    def school_agents(self) -> mesa.AgentSet:
        """The open schools as Mesa agents (closed and merged schools have left the set)."""
        agents = self.agents_by_type.get(School)
        return agents if agents is not None else mesa.AgentSet([], random=self.random)

    def request_teachers(self, year: int) -> None:
        """Each open school asks the county for teachers (``School.request_teachers``).

        Recruitment (``sim.processes.workforce.staffing.recruitment``) fills what schools
        asked for, never more, so a school that asks for nothing gets nobody.
        """
        self.teacher_requests[:] = 0
        self.school_agents.do("request_teachers", year, workforce.vacancies(self))

    # -- the year ------------------------------------------------------------------------
    def step(self) -> None:
        """Advance one school year, in the order of the module docstring."""
        year = self.year + 1
        self.flows = Flows(len(self.counties))
        for name in STANDARD_FLOWS:
            self.flows.add_count(name, 0, 0)
        # 1. policies act (knobs back to the status quo, then each active lever sets its own)
        self.policy.reset(len(self.schools))
        for lever in self.levers:
            if lever.active(year):
                lever.apply(self, year)
        # 2. demography
        demography.step(self, year)
        # 3. workforce: leavers and transfers; each school asks for teachers; the county recruits
        workforce.separations(self, year)
        self.request_teachers(year)
        workforce.recruitment(self, year)
        # 4. enrolment
        enrolment.step(self, year)
        # 5. school dynamics
        school_dynamics.step(self, year)
        # 6. measure
        self._measure(year)
        self.year = year

    def _measure(self, year: int) -> None:
        if year == START_YEAR:
            for name in STANDARD_FLOWS:
                self.flows.add_count(name, 0, 0)
        measure.record(self, year)

    def run(self, until: int | None = None) -> None:
        """Step until the autumn term of ``until`` (default: the config's)."""
        until = self.config.until if until is None else until
        while self.year < until:
            self.step()

    # -- results ---------------------------------------------------------------------------
    def county_year(self) -> pd.DataFrame:
        """Tidy ``year, county, metric, value`` for every recorded year.

        A value that is not defined in a year, such as a ratio whose denominator is zero
        (children per preschool teacher in a county with no preschool teachers), is NaN, never
        an infinity; reports show it as "n/a".
        """
        parts = self.county_rows
        table = pd.DataFrame({name: np.concatenate([p[name] for p in parts]) for name in COUNTY_YEAR_COLUMNS})
        table["value"] = table["value"].replace([np.inf, -np.inf], np.nan)
        return table

    def school_year(self) -> pd.DataFrame:
        """One row per open school per recorded year."""
        parts = self.school_rows
        return pd.DataFrame({name: np.concatenate([p[name] for p in parts]) for name in parts[0]})

    def targets_table(self) -> pd.DataFrame:
        """The plan scorecard per year (``sim.standards.targets``): value, threshold, met."""
        return plan_scorecard(self.county_year())
