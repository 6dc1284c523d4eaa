"""The lever base class: typed parameters, a year window, target counties, costs.

A lever is built from one ``[[levers]]`` table of a config. Its parameters are a pydantic
model with ``extra="forbid"``, so a typo or an out-of-range value fails when the config
is loaded (``sim.scenario.validate_config`` builds every lever eagerly), with the file, the
key (``levers[i].<key>``) and the allowed range in one line.

Life cycle (``sim.model.QingyuanModel``):

* ``setup(model)`` once after the world is built: resolves the target counties of this run.
* every year, after ``model.policy.reset``: ``active(year)`` and, if so, ``apply(model, year)``.
  Per-year knobs go into ``model.policy`` (they lapse when the lever ends); persistent stock
  changes (beds, facilities, schools, groups, teachers) act on the world directly.

Every lever records what it did (``model.lever_state.add``) and what it cost
(``spend``) per county and year; ``sim.levers.ledger`` turns that into county metrics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from sim.config import COUNTIES, Config, describe_validation_error
from sim.core.errors import InputError
from sim.core.inputs import STRICT
from sim.core.names import SCHOOL_TYPES
from sim.world.schools import type_mask

if TYPE_CHECKING:
    from sim.model import QingyuanModel

FIRST_LEVER_YEAR = 2023  # the first simulated school year (the initial state is autumn 2022)
LAST_LEVER_YEAR = 2100


class LeverParams(BaseModel):
    """Keys every lever accepts; each lever adds its own intensity and effect-size keys."""

    model_config = ConfigDict(**STRICT, frozen=True)

    type: str = Field(description="Registered lever name (see the README table).")
    start_year: int = Field(
        FIRST_LEVER_YEAR,
        ge=FIRST_LEVER_YEAR,
        le=LAST_LEVER_YEAR,
        description="First school year (autumn) in which the lever acts.",
    )
    end_year: int | None = Field(
        None,
        ge=FIRST_LEVER_YEAR,
        le=LAST_LEVER_YEAR,
        description="Last school year in which it acts (inclusive); none = to the end of the run.",
    )
    counties: list[str] | None = Field(
        None,
        description="Target counties; none = every county of the run. A county named here but "
        "not simulated in a run is simply not acted on.",
    )
    exclude_counties: list[str] = Field(
        default_factory=list,
        description='Counties left out, e.g. ["清城区"] for "all counties outside 清城".',
    )
    schools: list[str] | None = Field(
        None,
        description="Only these schools (names as in school_year's `school` column) among those the "
        "lever would act on; none = no restriction. Checked when the run is set up.",
    )

    @field_validator("counties", "exclude_counties")
    @classmethod
    def _known_counties(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if value is None:
            return None
        if not value and info.field_name == "counties":
            raise ValueError(
                "an empty list would act on no county; leave counties out for every county of the run"
            )
        unknown = [c for c in value if c not in COUNTIES]
        if unknown:
            raise ValueError(f"unknown county {unknown[0]!r}; allowed: {', '.join(COUNTIES)}")
        if len(set(value)) != len(value):
            raise ValueError("a county is listed twice")
        return [c for c in COUNTIES if c in value]


def school_types_validator(value: list[str], allowed: tuple[str, ...] = tuple(SCHOOL_TYPES)) -> list[str]:
    """Check a list of school type names against ``allowed`` (used by levers' validators)."""
    unknown = [t for t in value if t not in allowed]
    if unknown:
        raise ValueError(f"unknown school type {unknown[0]!r}; allowed: {', '.join(allowed)}")
    if not value:
        raise ValueError(f"at least one school type is needed; allowed: {', '.join(allowed)}")
    return list(dict.fromkeys(value))


class Lever:
    """One configured intervention. Subclasses set ``Params`` and implement ``apply``."""

    type_name: ClassVar[str] = ""
    Params: ClassVar[type[LeverParams]] = LeverParams

    def __init__(self, params: LeverParams, index: int, config: Config):
        self.p = params
        self.index = index
        self.config = config
        self.target_county = np.zeros(0, dtype=bool)

    # -- construction --------------------------------------------------------------------
    @classmethod
    def from_spec(cls, spec: dict[str, Any], config: Config, source: str, index: int) -> Lever:
        """Validate one ``[[levers]]`` table; errors name ``levers[index].<key>`` and the range."""
        try:
            params = cls.Params.model_validate(spec)
        except ValidationError as exc:
            err = describe_validation_error(exc, cls.Params, source)
            raise InputError(err.detail, source=source, key=f"levers[{index}].{err.key}") from None
        if params.end_year is not None and params.end_year < params.start_year:
            raise InputError(
                f"end_year {params.end_year} is before start_year {params.start_year} "
                f"(allowed: >= {params.start_year})",
                source=source,
                key=f"levers[{index}].end_year",
            )
        lever = cls(params, index, config)
        lever.check(source)
        return lever

    def check(self, source: str) -> None:
        """Cross-field checks of a lever's own keys (raise ``InputError`` via ``self.fail``)."""

    def fail(self, message: str, key: str, source: str) -> None:
        """Raise an ``InputError`` naming this lever's key."""
        raise InputError(message, source=source, key=f"levers[{self.index}].{key}")

    # -- life cycle ----------------------------------------------------------------------
    def setup(self, model: QingyuanModel) -> None:
        """Resolve the target counties (and named schools) of this run (a lever may extend this)."""
        wanted = set(self.p.counties) if self.p.counties is not None else set(model.counties)
        wanted -= set(self.p.exclude_counties)
        self.target_county = np.array([c in wanted for c in model.counties], dtype=bool)
        self.named = None
        if self.p.schools is not None:
            ids = {name: i for i, name in enumerate(model.school_names)}
            unknown = [n for n in self.p.schools if n not in ids]
            if unknown:
                raise InputError(
                    f"unknown school {unknown[0]!r} in this run (names as in school_year.parquet's "
                    f"`school` column, e.g. {', '.join(model.school_names[:3])})",
                    source=f"config {model.config.name!r}",
                    key=f"levers[{self.index}].schools",
                )
            self.named = np.zeros(len(model.schools), dtype=bool)
            self.named[[ids[n] for n in self.p.schools]] = True

    def in_window(self, year: int) -> bool:
        """Whether ``year`` lies in the lever's ``start_year``-``end_year`` window."""
        end = self.p.end_year if self.p.end_year is not None else LAST_LEVER_YEAR
        return self.p.start_year <= year <= end

    def active(self, year: int) -> bool:
        """Whether the lever acts in school year ``year`` (its window, unless it winds down)."""
        return self.in_window(year)

    def apply(self, model: QingyuanModel, year: int) -> None:
        """Act once at the policy phase of ``year`` (only called while active)."""
        raise NotImplementedError

    def at_measure(self, model: QingyuanModel, year: int) -> None:
        """Record costs that depend on the year's outcome (called at the measure phase).

        E.g. rotation allowances for the teachers actually away this school year, who are
        only known after the workforce phase. Default: nothing.
        """

    def to_dict(self) -> dict[str, Any]:
        """The resolved parameters (defaults filled in), as written to the run manifest."""
        return self.p.model_dump(mode="json")

    # -- helpers for subclasses ---------------------------------------------------------------
    @property
    def name(self) -> str:
        """``type`` plus position, for messages and stream names."""
        return f"{self.type_name}[{self.index}]"

    def rng(self, model: QingyuanModel, year: int) -> np.random.Generator:
        """This lever's own random stream for ``year`` (common random numbers, sim.core.rng).

        Named ``lever:<type>:<index>`` so that two levers of one type draw independently and
        switching any lever on leaves births, migration and every other process untouched.
        """
        return model.streams.get(f"lever:{self.type_name}:{self.index}", year)

    def target_schools(
        self, model: QingyuanModel, types: list[str] | tuple[str, ...], tiers: tuple[int, ...] | None = None
    ) -> np.ndarray:
        """Ids of open schools of ``types`` (and ``tiers``) in the lever's target counties."""
        s = model.schools
        mask = s.is_open & type_mask(s.type, tuple(types)) & self.target_county[s.county]
        if tiers is not None:
            mask &= np.isin(s.tier, tiers)
        if self.named is not None:
            mask &= self.named_mask(len(s))
        return np.flatnonzero(mask)

    def named_mask(self, n_schools: int) -> np.ndarray:
        """Mask of the named schools over ``n_schools`` (schools opened later are not named)."""
        assert self.named is not None
        return np.concatenate([self.named, np.zeros(n_schools - len(self.named), dtype=bool)])

    def spend(self, model: QingyuanModel, yuan_per_county: np.ndarray) -> None:
        """Record this year's cost per county (yuan) under ``cost_yuan_<type>``."""
        model.lever_state.add(f"cost_yuan_{self.type_name}", yuan_per_county)
        model.lever_state.add("cost_yuan", yuan_per_county)

    def spend_at(self, model: QingyuanModel, schools: np.ndarray, yuan: np.ndarray | float) -> None:
        """Record costs incurred at ``schools`` (yuan each, or one value for all)."""
        schools = np.asarray(schools, dtype=np.int64)
        amount = np.broadcast_to(np.asarray(yuan, dtype=float), schools.shape)
        self.spend(model, np.bincount(model.schools.county[schools], amount, len(model.counties)))

    def per_county(self, model: QingyuanModel, schools: np.ndarray, values: np.ndarray | float = 1.0):
        """Sum ``values`` at ``schools`` by county (length n_counties)."""
        schools = np.asarray(schools, dtype=np.int64)
        w = np.broadcast_to(np.asarray(values, dtype=float), schools.shape)
        return np.bincount(model.schools.county[schools], w, len(model.counties))
