"""The standards' and the plan targets' file formats as pydantic models: the reference
for what ``sim.standards.spec`` and ``sim.standards.targets`` accept, and the source of
their error messages.

Why a module of its own: pydantic costs about 0.12 s of CPU to import and to build these
models, which every ``sim report`` paid to read three well-formed packaged files. The
loaders now read a file with a strict check of their own and come here only when that
check refuses something, so a bad file gets the same one-line error (file, key, allowed
range) as before; ``tests/test_standards_spec.py`` holds the two to the same results.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.core.errors import InputError
from sim.core.inputs import STRICT, describe_validation_error, read_toml

Op = Literal[">=", "<=", "true", "false"]


class _Strict(BaseModel):
    model_config = ConfigDict(**STRICT, frozen=True)


class Meta(_Strict):
    """Which document a standard file encodes."""

    id: str
    name_zh: str
    name_en: str
    document: str
    date: str
    source: str


class PerLevel(_Strict):
    """A value for the primary and the junior level."""

    primary: float
    junior: float

    def __getitem__(self, level: str) -> float:
        return float(getattr(self, level))


class PerLevelColumn(_Strict):
    """A school-table column for the primary and the junior level."""

    primary: str
    junior: str

    def __getitem__(self, level: str) -> str:
        return str(getattr(self, level))


class Scope(_Strict):
    """Which schools the standard judges (special schools and tiny teaching points are left out)."""
    exclude_teaching_points_below: int = Field(ge=0)
    exclude_types: list[str] = Field(default_factory=list)
    source: str


class Weights(_Strict):
    """Weights of pupils by level when a combined school's stocks are split."""
    primary: float = Field(gt=0)
    junior: float = Field(gt=0)
    senior: float = Field(gt=0)
    source: str


class PerSchoolRule(_Strict):
    """The per-school rule: at least ``min_met`` indicators met, none below ``floor_ratio``."""
    min_met: int = Field(ge=0, le=7)
    floor_ratio: float = Field(ge=0, le=1)
    source: str


class Coefficient(_Strict):
    """Largest allowed difference coefficient per level."""
    method: Literal["enrolment_weighted"]
    primary: float = Field(gt=0)
    junior: float = Field(gt=0)
    source: str

    def __getitem__(self, level: str) -> float:
        return float(getattr(self, level))


class Indicator(_Strict):
    """One of the seven per-school resource indicators."""

    id: str
    no: int = Field(ge=1, le=7)
    short_zh: str
    short_en: str
    name_zh: str
    name_en: str
    resource: PerLevelColumn
    split: bool = True  # False: the column already holds the section's own stock
    resource_unit: str
    per: float = Field(gt=0)
    threshold: PerLevel
    source: str


class SchoolSize(_Strict):
    """The school-size ceilings (pupils) for single- and multi-level schools."""
    name_zh: str
    name_en: str
    single_level: int = Field(gt=0)
    multi_level: int = Field(gt=0)
    source: str


class ClassSize(_Strict):
    """The class-size ceilings per level."""
    name_zh: str
    name_en: str
    primary: int = Field(gt=0)
    junior: int = Field(gt=0)
    source: str


class Item(_Strict):
    """A county-level item judged from a supplied value (guarantee, quality, veto...)."""

    id: str
    kind: Literal["eligibility", "guarantee", "quality", "recognition", "veto"]
    op: Op
    threshold: float | None = None
    veto: bool = False
    name_zh: str
    name_en: str
    source: str

    @model_validator(mode="after")
    def _threshold_for_comparisons(self) -> Item:
        if self.op in (">=", "<=") and self.threshold is None:
            raise ValueError(f"item {self.id!r} with op {self.op!r} needs a threshold")
        return self


class CompulsoryStandard(_Strict):
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

    @model_validator(mode="after")
    def _seven_distinct(self) -> CompulsoryStandard:
        ids = [i.id for i in self.indicators]
        if len(ids) != 7 or len(set(ids)) != 7:
            raise ValueError(f"exactly 7 distinct indicators are needed, got {ids}")
        item_ids = [i.id for i in self.items]
        if len(set(item_ids)) != len(item_ids):
            raise ValueError("item ids must be distinct")
        return self

    @property
    def item_columns(self) -> list[str]:
        """The county-data columns this standard reads."""
        return [i.id for i in self.items]


class PreschoolIndicator(_Strict):
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

    @model_validator(mode="after")
    def _one_definition(self) -> PreschoolIndicator:
        ratio = self.numerator is not None and self.denominator is not None
        if ratio == (self.column is not None):
            raise ValueError(f"indicator {self.id!r} needs either numerator+denominator or column")
        if self.op in (">=", "<=") and self.threshold is None:
            raise ValueError(f"indicator {self.id!r} with op {self.op!r} needs a threshold")
        return self

    @property
    def inputs(self) -> list[str]:
        """The county inputs this standard needs beyond the kindergarten table."""
        if self.column is not None:
            return [self.column]
        return [*(self.numerator or []), str(self.denominator)]


class KindergartenTypes(_Strict):
    """How kindergarten types count toward the public and 普惠 shares."""
    public: str
    puhui: str
    private: str
    source: str


class PreschoolStandard(_Strict):
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


class Target(BaseModel):
    """One plan target."""

    model_config = ConfigDict(**STRICT, frozen=True)
    id: str
    name_zh: str
    name_en: str
    metric: str
    county: str | None = None
    count_counties: bool = False
    # per-county count of the standard's items the verdict could not assess: a target whose
    # value reaches the threshold only through counties with such items is "not assessed"
    not_assessed_metric: str | None = None
    threshold: float
    deadline: int = Field(ge=2023, le=2050)
    source: str


class _Targets(BaseModel):
    model_config = ConfigDict(**STRICT, frozen=True)
    targets: list[Target]


MODELS: dict[str, type[BaseModel]] = {
    "compulsory": CompulsoryStandard,
    "preschool": PreschoolStandard,
    "targets": _Targets,
}


def validate(path: Path, kind: str) -> dict[str, Any]:
    """The file at ``path`` validated as ``kind`` (``compulsory``, ``preschool`` or
    ``targets``) and dumped to plain data; a bad file raises the ``InputError`` naming the
    file, the key and the allowed range."""
    model = MODELS[kind]
    data = read_toml(path)
    try:
        return model.model_validate(data).model_dump()
    except ValidationError as exc:
        if kind == "targets":
            raise describe_validation_error(exc, model, str(path)) from None
        errors = exc.errors()
        extra = [e for e in errors if e["type"] == "extra_forbidden"]
        if extra:  # a misspelt key also shows up as a missing one; name the typo first
            missing = [".".join(map(str, e["loc"])) for e in errors if e["type"] == "missing"]
            hint = f" (expected: {', '.join(missing)})" if missing else ""
            key = ".".join(map(str, extra[0]["loc"]))
            raise InputError(f"unknown key{hint}", source=path, key=key) from None
        raise describe_validation_error(exc, model, str(path)) from None
