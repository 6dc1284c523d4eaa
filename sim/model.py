"""The Qingyuan education model: a ``mesa.Model`` whose step is one school year.

The yearly order is written down once, here, in ``QingyuanModel.step``:

1. **Policies act** — each active lever applies its yearly effect (``sim.levers``).
2. **Demography** — births, ageing, deaths, household migration, left-behind status.
3. **Workforce** — retirement (2025 reform), attrition, recruitment, rotation, training.
4. **Enrolment** — progression, entry at 3/6/12/15, school choice, 中考, dropout, boarding.
5. **School dynamics** — classes and 大班额, quality, pupils' achievement.
6. **Measure** — county metrics, the school table, standards and targets.

Students are numpy columns (``sim.world.population``), teachers too (``sim.world.teachers``); schools
are Mesa agents whose state is a row of ``model.schools`` (``sim.world.schools``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import mesa
import numpy as np
import pandas as pd

from sim.config import Config
from sim.core.rng import Streams
from sim.data.births import population_growth, urbanisation_gain
from sim.levers import build_levers, install
from sim.measure import county as measure
from sim.processes import demography, enrolment, school_dynamics
from sim.processes.cohorts import JuniorCohorts
from sim.processes.policy import PolicyState
from sim.processes.workforce import pay
from sim.processes.workforce import staffing as workforce
from sim.standards.targets import plan_scorecard
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


class QingyuanModel(mesa.Model):
    """Basic education in the selected Qingyuan counties, one step per school year."""

    def __init__(self, config: Config, seed: int | None = None):
        seed = config.seed if seed is None else int(seed)
        super().__init__(rng=seed)
        self.config = config
        self.seed_used = seed
        self.streams = Streams(seed)
        self.counties = list(config.counties)
        self.year = START_YEAR
        self.calib = calibrate(config.demography, config.enrolment)
        self.metric_extensions: list[
            Callable[[QingyuanModel, measure.CountyMetrics, pd.DataFrame, int], None]
        ] = []
        self.county_rows: list[pd.DataFrame] = []
        self.school_rows: list[pd.DataFrame] = []
        self._catchments: dict[tuple[str, ...], np.ndarray] = {}
        self._build_world()
        self.levers = build_levers(config.levers, config, "config")
        # lever book-keeping (model.lever_state), lever metrics and each lever's setup
        install(self, self.levers)
        self.flows = Flows(len(self.counties))
        self._measure(START_YEAR)

    # -- set-up ----------------------------------------------------------------------
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
        self.pop = initial_children(
            cfg, self.geo, self.calib, self.place_weight, self.streams.get("children")
        )
        # junior cohorts counted by event for the retention item (sim.processes.cohorts)
        self.junior_cohorts = JuniorCohorts(len(self.counties), START_YEAR - 20)
        self.junior_cohorts.seed(self.pop, START_YEAR)
        self.schools, self.school_names = build_schools(
            cfg, self.geo, self.calib, self.pop, self.streams.get("schools")
        )
        self.school_level = school_levels(self.schools)
        self._init_policy_state()
        for i, name in enumerate(self.school_names):
            School(self, i, name)
        self.merge_target = np.full(len(self.schools), -1, dtype=np.int32)
        # initial placement: everyone enrolled is placed as if entering now
        self.flows = Flows(len(self.counties))
        self.long_commute = np.zeros(len(self.pop), dtype=bool)
        rng = self.streams.get("initial-enrolment")
        stages = self.pop.stage.copy()
        for stage in enrolment.STAGE_TYPES:
            enrolment.assign(self, np.flatnonzero(stages == stage), stage, rng)
        self.pop.stage[:] = stages
        # size capacities and stocks on 2022 enrolment, then boarding and classes
        counts = measure.pupil_counts(self)
        far = self._boarding_demand()
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
        )
        enrolment.update_boarding(self, START_YEAR)
        self.school_students = counts["students"]
        school_dynamics.form_classes(self, START_YEAR)
        self.teachers = initial_teachers(
            self.schools,
            self.geo,
            counts["students"],
            self.school_classes,
            self.streams.get("teachers"),
            START_YEAR,
        )
        self.school_vacancies = np.zeros(len(self.schools), dtype=np.int64)
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

    def _boarding_demand(self) -> np.ndarray:
        """Pupils per school living beyond the boarding distance (grade rule applied)."""
        pop, s = self.pop, self.schools
        idx = np.flatnonzero(pop.school >= 0)
        dist = self.geo.distance(pop.place[idx], s.place[pop.school[idx]])
        grade = pop.age(START_YEAR)[idx] - 5
        eligible = (
            (dist > self.config.enrolment.boarding_distance_km)
            & (grade >= self.config.enrolment.boarding_min_grade)
            & (pop.stage[idx] != 1)
        )
        return np.bincount(pop.school[idx][eligible], minlength=len(s)).astype(float)

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
            ):
                setattr(self, arr, np.concatenate([getattr(self, arr), np.zeros(extra, np.int64)]))

    def extend_metrics(self, metrics: measure.CountyMetrics, schools: pd.DataFrame, year: int) -> None:
        """Let registered extensions (standards, levers) add metrics for the year."""
        for fn in self.metric_extensions:
            fn(self, metrics, schools, year)

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
        # 3. workforce
        workforce.step(self, year)
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
        """Tidy ``year, county, metric, value`` for every recorded year."""
        return pd.concat(self.county_rows, ignore_index=True)

    def school_year(self) -> pd.DataFrame:
        """One row per open school per recorded year."""
        return pd.concat(self.school_rows, ignore_index=True)

    def targets_table(self) -> pd.DataFrame:
        """The plan scorecard per year (``sim.standards.targets``): value, threshold, met."""
        return plan_scorecard(self.county_year())
