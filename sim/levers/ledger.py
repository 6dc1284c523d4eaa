"""What the levers did and what it cost, per county and year, as ``county_year`` metrics.

Every run reports the same lever metrics, zeros included, whichever levers are switched
on, so scenarios stack and compare metric by metric:

* **flows** (``new_*`` and ``cost_yuan*``): added by levers during the year's policy phase,
  reported at the year's measure phase, then cleared;
* **cumulative** ``cum_cost_yuan``: the running total of ``cost_yuan`` since 2023;
* **stocks** (``n_*``): computed from the world at the measure phase by functions the lever
  modules register (``register_stock``), e.g. ``n_communities_running``, and
  ``n_schools_supported``: distinct schools any school-level lever acted on this year;
* **policy knobs** (``policy_*``): this year's values of ``model.policy`` per county, the city
  row weighted by teachers (teacher knobs) or pupils (the rest), so a reader sees which
  knobs a scenario turned.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.measure.county import CountyMetrics
    from sim.model import QingyuanModel

# Yearly activity of the levers (flows). A lever adding a name not listed here is a bug.
FLOW_METRICS: tuple[str, ...] = (
    "new_beds",  # boarding beds built (boarding expansion, three schools, layout)
    "new_schools_closed",  # schools closed or merged by layout optimisation
    "new_schools_opened",  # new county-seat schools (layout optimisation's place building)
    "new_places_built",  # primary and junior seats built (new schools and extensions)
    "new_preschool_places",  # kindergarten seats built
    "new_preschool_attenders",  # children who attend because of new places
    "new_preschool_switchers",  # children moving from private to new public places
    "new_puhui_conversions",  # private kindergartens recognised as 普惠
    "new_public_conversions",  # 普惠 kindergartens turned public
    "new_teachers_rotated",  # teachers starting a rotation inside a group (both directions)
    "new_backbone_rotated",  # backbone teachers among them
    "new_backbone_mentored",  # member teachers made backbone through a group's mentoring
    "new_training_places",  # teacher training places funded
    "new_principals_selected",  # rural principals replaced by selected ones
    "new_shared_teachers",  # 走教 PE/art teachers posted to village schools
    "new_multimedia_classrooms",
    "new_classrooms",  # general classrooms added (kindergartens, vocational schools)
    "new_teaching_space_m2",
    "new_sports_area_m2",
    "new_equipment_yuan",
    "new_warm_campuses",
    "n_schools_remote_lessons",  # small rural schools receiving remote lessons this year
    "cost_yuan",
)

StockFn = Callable[["QingyuanModel", int], dict[str, np.ndarray]]
STOCK_FUNCTIONS: list[tuple[tuple[str, ...], StockFn]] = []

# policy knob → weight of the city row ("teachers" or "students")
POLICY_METRICS: dict[str, str] = {
    "pay_topup_yuan": "teachers",
    "rotation_rate": "teachers",
    "rotation_backbone_share": "teachers",
    "training_places": "teachers",
    "directed_places": "sum",
    "hiring_budget_share": "teachers",
    "top_outflow_factor": "students",
    "dropout_factor": "students",
    "continuation_factor": "students",
    "left_behind_gap_factor": "students",
    "choice_factor": "students",
    "boarding_distance_km": "students",
}


def register_stock(names: tuple[str, ...]) -> Callable[[StockFn], StockFn]:
    """Register a function computing stock metrics ``names`` (per-county arrays) each year."""

    def deco(fn: StockFn) -> StockFn:
        STOCK_FUNCTIONS.append((names, fn))
        return fn

    return deco


class LeverState:
    """Per-run lever book-keeping shared by all levers (``model.lever_state``)."""

    def __init__(self, n_counties: int, n_schools: int, lever_types: list[str]):
        self.n = n_counties
        self.cost_names = tuple(f"cost_yuan_{t}" for t in sorted(lever_types))
        self.flow_names = FLOW_METRICS + self.cost_names
        self.flows: dict[str, np.ndarray] = {}
        self.cum_cost = np.zeros(n_counties)
        # groups and communities (group_schooling): group id → lead school id, and year formed
        self.group_lead: dict[int, int] = {}
        self.group_formed: dict[int, int] = {}
        self.group_research: dict[int, int] = {}  # group id → last year of joint teaching research
        # county high-school support: first year a school was supported (-1 never)
        self.supported_since = np.full(n_schools, -1, dtype=np.int32)
        self.support_year = np.full(n_schools, -1, dtype=np.int32)  # last year supported
        self.touched = np.zeros(n_schools, dtype=bool)  # schools any lever acted on this year
        self.clear()

    def clear(self) -> None:
        """Start a new year's flows."""
        self.flows = {name: np.zeros(self.n) for name in self.flow_names}
        self.touched[:] = False

    def mark(self, schools: np.ndarray) -> None:
        """Note that a school-level lever acted on ``schools`` this year (``n_schools_supported``)."""
        self.grow(int(np.max(schools, initial=-1)) + 1)
        self.touched[schools] = True

    def add(self, name: str, per_county: np.ndarray | float) -> None:
        """Add per-county values (length n_counties) to a flow of this year."""
        if name not in self.flows:
            raise KeyError(f"undeclared lever metric {name!r} (add it to FLOW_METRICS)")
        self.flows[name] = self.flows[name] + np.asarray(per_county, dtype=float)

    def grow(self, n_schools: int) -> None:
        """Extend per-school arrays after schools were added."""
        extra = n_schools - len(self.supported_since)
        if extra > 0:
            self.supported_since = np.concatenate([self.supported_since, np.full(extra, -1, np.int32)])
            self.support_year = np.concatenate([self.support_year, np.full(extra, -1, np.int32)])
            self.touched = np.concatenate([self.touched, np.zeros(extra, dtype=bool)])

    def next_group_id(self) -> int:
        """A group id not used yet in this run."""
        return max(self.group_lead, default=-1) + 1


def lever_metrics(
    model: QingyuanModel, metrics: CountyMetrics, schools: Mapping[str, np.ndarray], year: int
) -> None:
    """Metric extension (``model.metric_extensions``): lever flows, costs, stocks, knobs."""
    state: LeverState = model.lever_state
    for lever in model.levers:
        lever.at_measure(model, year)
    for name in state.flow_names:
        metrics.count(name, state.flows[name])
    state.cum_cost = state.cum_cost + state.flows["cost_yuan"]
    metrics.count("cum_cost_yuan", state.cum_cost)
    s = model.schools
    touched = state.touched[: len(s)]
    metrics.count("n_schools_supported", np.bincount(s.county[: len(touched)][touched], minlength=state.n))
    # sorted, so the metric order does not depend on which lever module was imported first
    for names, fn in sorted(STOCK_FUNCTIONS, key=lambda item: item[0]):
        values = fn(model, year)
        for name in names:
            metrics.count(name, values[name])
    nc = len(model.counties)
    teachers = np.bincount(model.schools.county[model.teachers.school], minlength=nc).astype(float)
    students = metrics.sums["n_students"]  # pupils per county, counted by the year's child tally
    for knob, weight in POLICY_METRICS.items():
        value = np.asarray(getattr(model.policy, knob), dtype=float)
        if weight == "sum":
            metrics.count(f"policy_{knob}", value)
        else:
            w = teachers if weight == "teachers" else students
            metrics.ratio(f"policy_{knob}", value * w, w)
    state.clear()
