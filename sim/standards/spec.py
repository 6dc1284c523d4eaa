"""The national standards as typed data, read from the TOML files beside this module.

Thresholds live in ``compulsory.toml`` and ``preschool.toml`` with their sources, so a new
threshold is an edit of data. These classes only check the files' shape (a typo in a key is
an error naming the file and the key) and give the evaluator attribute access.

The classes are frozen dataclasses read by a strict checker of their own (``read_strict``):
exactly the keys of the class, a string for a string, an integer (not a bool) for an
integer, a finite number for a float, the constraints beside each field, and each class's
own consistency check (``_problem``). Anything it refuses goes to pydantic, through models
derived from these classes (``sim.standards.schema.model_of``), which name the file, the key and
the allowed range in the error. Why: importing pydantic and building its models cost about
0.12 s of CPU, paid by every ``sim report`` for three well-formed packaged files.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import tomllib
import types
import typing
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from sim.core.errors import InputError

HERE = Path(__file__).parent
LEVELS: tuple[str, str] = ("primary", "junior")
LEVEL_NAMES = {"primary": ("小学", "primary"), "junior": ("初中", "junior")}
Op = Literal[">=", "<=", "true", "false"]

class RefusedError(Exception):
    """``read_strict`` does not accept the data as it stands; pydantic will say why."""


def _at_least(v: float) -> dict[str, float]:
    return {"ge": v}


def _above(v: float) -> dict[str, float]:
    return {"gt": v}


def _between(lo: float, hi: float) -> dict[str, float]:
    return {"ge": lo, "le": hi}


def _bounded(metadata: dict[str, float]) -> Any:
    return field(metadata=metadata)


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _value(kind: Any, value: Any, limits: Any) -> Any:
    """``value`` as pydantic's strict mode reads it into ``kind`` (without inf or NaN), or
    ``RefusedError``."""
    origin = typing.get_origin(kind)
    if kind is str:
        ok = type(value) is str
    elif kind is bool:
        ok = type(value) is bool
    elif kind is int:
        ok = type(value) is int
    elif kind is float:
        ok = type(value) in (int, float) and math.isfinite(value)
        value = float(value) if ok else value
    elif origin is Literal:
        ok = any(type(value) is type(c) and value == c for c in typing.get_args(kind))
    elif origin is list:
        if type(value) is not list:
            raise RefusedError
        (item,) = typing.get_args(kind)
        return [_value(item, v, {}) for v in value]
    elif origin in (typing.Union, types.UnionType):
        options = [k for k in typing.get_args(kind) if k is not type(None)]
        if value is None or len(options) != 1:
            raise RefusedError
        return _value(options[0], value, limits)
    elif dataclasses.is_dataclass(kind):
        return read_strict(kind, value)
    else:
        raise RefusedError
    if not ok:
        raise RefusedError
    if (("ge" in limits and not value >= limits["ge"])
            or ("gt" in limits and not value > limits["gt"])
            or ("le" in limits and not value <= limits["le"])):
        raise RefusedError
    return value


def read_strict[T](cls: type[T], data: Any) -> T:
    """An instance of the dataclass ``cls`` from the mapping ``data``, read as the pydantic
    model of the same name in ``sim.standards.schema`` reads it (strict, no unknown keys,
    the fields' limits, the class's ``_problem`` check); ``RefusedError`` otherwise."""
    if type(data) is not dict:
        raise RefusedError
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    if not data.keys() <= fields.keys():
        raise RefusedError
    hints = _hints(cls)
    values = {}
    for name, f in fields.items():
        if name in data:
            values[name] = _value(hints[name], data[name], f.metadata)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise RefusedError
    made = cls(**values)
    problem = getattr(made, "_problem", None)
    if problem is not None and problem() is not None:
        raise RefusedError
    return made


def load_file[T](path: Path, cls: type[T], kind: str) -> T:
    """``cls`` read from the TOML file at ``path``; a file the strict reader refuses (or
    cannot read) is validated by pydantic (``sim.standards.schema``), which raises the
    ``InputError`` naming file, key and allowed range."""
    try:
        with path.open("rb") as fh:
            return read_strict(cls, tomllib.load(fh))
    except (OSError, ValueError, RecursionError, RefusedError):  # TOML and UTF-8 errors are ValueErrors
        pass
    from sim.standards import schema

    data = schema.validate(path, kind)  # raises the error for the user, or returns the data
    try:
        return read_strict(cls, data)
    except RefusedError:
        raise RuntimeError(f"{path}: pydantic accepts what sim.standards.spec refuses; "
                           "the two readers of the format disagree") from None


@dataclass(frozen=True, kw_only=True)
class Meta:
    """Which document a standard file encodes."""

    id: str
    name_zh: str
    name_en: str
    document: str
    date: str
    source: str


@dataclass(frozen=True, kw_only=True)
class PerLevel:
    """A value for the primary and the junior level."""

    primary: float
    junior: float

    def __getitem__(self, level: str) -> float:
        return float(getattr(self, level))


@dataclass(frozen=True, kw_only=True)
class PerLevelColumn:
    """A school-table column for the primary and the junior level."""

    primary: str
    junior: str

    def __getitem__(self, level: str) -> str:
        return str(getattr(self, level))


@dataclass(frozen=True, kw_only=True)
class Scope:
    """Which schools the standard judges (special schools and tiny teaching points are left out)."""
    exclude_teaching_points_below: int = _bounded(_at_least(0))
    exclude_types: list[str] = field(default_factory=list)
    source: str


@dataclass(frozen=True, kw_only=True)
class Weights:
    """Weights of pupils by level when a combined school's stocks are split."""
    primary: float = _bounded(_above(0))
    junior: float = _bounded(_above(0))
    senior: float = _bounded(_above(0))
    source: str


@dataclass(frozen=True, kw_only=True)
class PerSchoolRule:
    """The per-school rule: at least ``min_met`` indicators met, none below ``floor_ratio``."""
    min_met: int = _bounded(_between(0, 7))
    floor_ratio: float = _bounded(_between(0, 1))
    source: str


@dataclass(frozen=True, kw_only=True)
class Coefficient:
    """Largest allowed difference coefficient per level."""
    method: Literal["enrolment_weighted"]
    primary: float = _bounded(_above(0))
    junior: float = _bounded(_above(0))
    source: str

    def __getitem__(self, level: str) -> float:
        return float(getattr(self, level))


@dataclass(frozen=True, kw_only=True)
class Indicator:
    """One of the seven per-school resource indicators."""

    id: str
    no: int = _bounded(_between(1, 7))
    short_zh: str
    short_en: str
    name_zh: str
    name_en: str
    resource: PerLevelColumn
    split: bool = True  # False: the column already holds the section's own stock
    resource_unit: str
    per: float = _bounded(_above(0))
    threshold: PerLevel
    source: str


@dataclass(frozen=True, kw_only=True)
class SchoolSize:
    """The school-size ceilings (pupils) for single- and multi-level schools."""
    name_zh: str
    name_en: str
    single_level: int = _bounded(_above(0))
    multi_level: int = _bounded(_above(0))
    source: str


@dataclass(frozen=True, kw_only=True)
class ClassSize:
    """The class-size ceilings per level."""
    name_zh: str
    name_en: str
    primary: int = _bounded(_above(0))
    junior: int = _bounded(_above(0))
    source: str


@dataclass(frozen=True, kw_only=True)
class Item:
    """A county-level item judged from a supplied value (guarantee, quality, veto...)."""

    id: str
    kind: Literal["eligibility", "guarantee", "quality", "recognition", "veto"]
    op: Op
    threshold: float | None = None
    veto: bool = False
    name_zh: str
    name_en: str
    source: str

    def _problem(self) -> str | None:
        """A comparison needs a threshold."""
        if self.op in (">=", "<=") and self.threshold is None:
            return f"item {self.id!r} with op {self.op!r} needs a threshold"
        return None


@dataclass(frozen=True, kw_only=True)
class CompulsoryStandard:
    """县域义务教育优质均衡 (2017) as data."""

    standard: Meta
    scope: Scope
    weights: Weights
    per_school_rule: PerSchoolRule
    coefficient: Coefficient
    indicators: list[Indicator]
    school_size: SchoolSize
    class_size: ClassSize
    items: list[Item]

    def _problem(self) -> str | None:
        """Exactly 7 distinct indicators, and distinct item ids."""
        ids = [i.id for i in self.indicators]
        if len(ids) != 7 or len(set(ids)) != 7:
            return f"exactly 7 distinct indicators are needed, got {ids}"
        item_ids = [i.id for i in self.items]
        if len(set(item_ids)) != len(item_ids):
            return "item ids must be distinct"
        return None

    @property
    def item_columns(self) -> list[str]:
        """The county-data columns this standard reads."""
        return [i.id for i in self.items]


@dataclass(frozen=True, kw_only=True)
class PreschoolIndicator:
    """A county-level preschool indicator: a ratio of columns, or one supplied column."""

    id: str
    name_zh: str
    name_en: str
    numerator: list[str] | None = None
    denominator: str | None = None
    column: str | None = None
    op: Op
    threshold: float | None = None
    unit: str
    required: bool = False
    source: str

    def _problem(self) -> str | None:
        """Either numerator and denominator or a column; a comparison needs a threshold."""
        ratio = self.numerator is not None and self.denominator is not None
        if ratio == (self.column is not None):
            return f"indicator {self.id!r} needs either numerator+denominator or column"
        if self.op in (">=", "<=") and self.threshold is None:
            return f"indicator {self.id!r} with op {self.op!r} needs a threshold"
        return None

    @property
    def inputs(self) -> list[str]:
        """The county inputs this standard needs beyond the kindergarten table."""
        if self.column is not None:
            return [self.column]
        return [*(self.numerator or []), str(self.denominator)]


@dataclass(frozen=True, kw_only=True)
class KindergartenTypes:
    """How kindergarten types count toward the public and 普惠 shares."""
    public: str
    puhui: str
    private: str
    source: str


@dataclass(frozen=True, kw_only=True)
class PreschoolStandard:
    """县域学前教育普及普惠 (2020) as data."""

    standard: Meta
    indicators: list[PreschoolIndicator]
    kindergartens: KindergartenTypes

    @property
    def input_columns(self) -> list[str]:
        """The per-county columns any indicator reads, in file order."""
        cols: list[str] = []
        for ind in self.indicators:
            cols += [c for c in ind.inputs if c not in cols]
        return cols


@lru_cache(maxsize=16)
def _cached(path: Path, kind: str) -> CompulsoryStandard | PreschoolStandard:
    cls = CompulsoryStandard if kind == "compulsory" else PreschoolStandard
    return load_file(path, cls, kind)


def load_compulsory(path: str | Path | None = None) -> CompulsoryStandard:
    """The compulsory standard from ``path`` (default: the packaged ``compulsory.toml``)."""
    std = _cached(Path(path or HERE / "compulsory.toml").resolve(), "compulsory")
    assert isinstance(std, CompulsoryStandard)
    return std


def load_preschool(path: str | Path | None = None) -> PreschoolStandard:
    """The preschool standard from ``path`` (default: the packaged ``preschool.toml``)."""
    std = _cached(Path(path or HERE / "preschool.toml").resolve(), "preschool")
    assert isinstance(std, PreschoolStandard)
    return std


def load_standard(kind: str, path: str | Path | None = None) -> CompulsoryStandard | PreschoolStandard:
    """Load ``"compulsory"`` or ``"preschool"``; an unknown kind is an input error."""
    if kind == "compulsory":
        return load_compulsory(path)
    if kind == "preschool":
        return load_preschool(path)
    raise InputError("unknown standard; allowed: compulsory, preschool", key=kind)
