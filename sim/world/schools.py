"""Schools: state held in arrays (for vectorised enrolment) and exposed as Mesa agents.

About 1,600 schools are Mesa ``Agent`` objects in the model's ``AgentSet`` so levers and
users can select and act on them (``model.agents_by_type[School].select(...)``). Their
state lives in one ``SchoolTable`` of numpy arrays, and each agent is a thin view onto its
row, so the yearly step can use ``bincount`` over all schools at once without copying
state back and forth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import mesa
import numpy as np

from sim.core.names import SCHOOL_TYPES, TYPE_CODES

TYPE_NAMES = tuple(SCHOOL_TYPES)
OPEN, MERGED, CLOSED = 0, 1, 2

KINDERGARTEN_TYPES = ("kg_public", "kg_puhui", "kg_private")
PRIMARY_TYPES = ("teaching_point", "village_primary", "central_primary", "urban_primary", "nine_year")
JUNIOR_TYPES = ("nine_year", "junior", "complete_middle")
SENIOR_TYPES = ("complete_middle", "county_high", "city_high")


def type_mask(types: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """Boolean mask of schools whose type is one of ``names``."""
    return np.isin(types, [TYPE_CODES[n] for n in names])


# Class-size rules: classes are planned at the limit and exceed it only when classrooms run
# short. Limits: primary 45, junior 50 (优质均衡, 教督〔2017〕6号, H); kindergarten 小班 25,
# 中班 30, 大班 35 (普及普惠, 教督〔2020〕1号, H); senior 50 (L, as junior).
PRESCHOOL_CLASS_LIMITS = (25, 30, 35)
LARGE_CLASS_LIMIT = {"primary": 45, "junior": 50, "senior": 50}
SEATS_PER_CLASSROOM = {
    "kindergarten": 25,
    "primary": 45,
    "junior": 50,
    "senior": 50,
    "vocational": 50,
    "special": 12,
}


@dataclass
class SchoolTable:
    """One row per school (open or not); index = school id."""

    county: np.ndarray  # int8
    township: np.ndarray  # int32
    place: np.ndarray  # int32
    tier: np.ndarray  # int8
    type: np.ndarray  # int8 code (sim.core.names.TYPE_CODES)
    status: np.ndarray  # int8 OPEN/MERGED/CLOSED
    classrooms: np.ndarray  # int32 general classrooms
    capacity: np.ndarray  # int32 seats (classrooms × the level's class-size limit)
    beds: np.ndarray  # int32 boarding beds
    teaching_space_m2: np.ndarray
    sports_area_m2: np.ndarray
    equipment_yuan: np.ndarray
    multimedia_classrooms: np.ndarray
    quality: np.ndarray  # latent school quality, SD units of pupil achievement
    group_id: np.ndarray  # int32, -1 if not in a group or community
    principal_quality: np.ndarray  # latent, SD units

    def __len__(self) -> int:
        return len(self.county)

    @property
    def is_open(self) -> np.ndarray:
        """Mask of open schools."""
        return self.status == OPEN

    def serves(self, names: tuple[str, ...]) -> np.ndarray:
        """Mask of open schools of the given types."""
        return self.is_open & type_mask(self.type, names)

    def append(self, **values: np.ndarray) -> np.ndarray:
        """Add schools (e.g. new builds from a lever); returns their ids."""
        n = len(np.atleast_1d(values["county"]))
        start = len(self)
        for f in fields(self):
            old = getattr(self, f.name)
            setattr(
                self, f.name, np.concatenate([old, np.broadcast_to(values[f.name], (n,)).astype(old.dtype)])
            )
        return np.arange(start, start + n)


class School(mesa.Agent):
    """A school as a Mesa agent: a view onto its row of the model's ``SchoolTable``.

    The decisions a school (its principal) makes are its methods, called through Mesa's
    ``AgentSet`` each year (``model.school_agents``): it asks the county for teachers against
    its vacancies, reviews its own viability and proposes closure when it runs below a viable
    size, applies for boarding beds, and, when merged, leaves the model (``agent.remove()``),
    so the agent set holds exactly the open schools. The county (a process or a lever) decides
    on what schools ask.
    """

    def __init__(self, model: mesa.Model, school_id: int, name: str):
        super().__init__(model)
        self.school_id = school_id
        self.name = name
        self.closure_proposed_in: int | None = None  # school year of a pending closure proposal

    # -- decisions -----------------------------------------------------------------------------
    def request_teachers(self, year: int, vacancies: np.ndarray) -> None:
        """Ask the county for teachers against this school's vacancies (posts minus staff).

        A school that proposed its own closure this year asks for none: counties do not hire
        for a school about to merge (佛冈's layout plan freezes such posts, L).
        """
        wanted = 0 if self.closure_proposed_in == year else int(vacancies[self.school_id])
        self.model.teacher_requests[self.school_id] = wanted

    def review_viability(self, year: int, forecasts: Mapping[int, float], viable_size: float) -> None:
        """Propose closure when the school's forecast roll (``forecasts[school_id]``) is below
        ``viable_size``; otherwise withdraw any earlier proposal."""
        below = forecasts[self.school_id] < viable_size
        self.closure_proposed_in = year if below else None

    def apply_for_beds(self, year: int, demand: Mapping[int, float]) -> float:
        """Boarding beds asked of the county: pupils of boarding age who live too far and had no
        bed (``demand[school_id]``); none from a school that proposed its own closure this year,
        whose pupils are about to move."""
        return 0.0 if self.closure_proposed_in == year else float(demand[self.school_id])

    def withdraw_proposal(self) -> None:
        """The county keeps the school (a necessary small school): no closure pending."""
        self.closure_proposed_in = None

    def merge_into(self, target: int) -> None:
        """Close into school ``target`` (pupils and teachers follow) and leave the agent set."""
        self.model.schools.status[self.school_id] = MERGED
        self.model.merge_target[self.school_id] = target
        self.remove()

    # -- state (a view onto the SchoolTable row) ---------------------------------------------------

    def _get(self, column: str):
        return getattr(self.model.schools, column)[self.school_id]

    @property
    def type_name(self) -> str:
        """Type key (sim.core.names.SCHOOL_TYPES)."""
        return TYPE_NAMES[int(self._get("type"))]

    @property
    def level(self) -> str:
        """Statistical level of the school."""
        return SCHOOL_TYPES[self.type_name]

    @property
    def county(self) -> str:
        """County name."""
        return self.model.counties[int(self._get("county"))]

    @property
    def county_index(self) -> int:
        """Index of the school's county in ``model.counties``."""
        return int(self._get("county"))

    @property
    def is_open(self) -> bool:
        """Whether the school is open."""
        return int(self._get("status")) == OPEN

    @property
    def quality(self) -> float:
        """Latent school quality."""
        return float(self._get("quality"))

    @quality.setter
    def quality(self, value: float) -> None:
        self.model.schools.quality[self.school_id] = value

    def __repr__(self) -> str:
        return f"School({self.school_id}, {self.name}, {self.type_name})"
