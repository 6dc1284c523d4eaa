"""The standards' and the plan targets' file formats as pydantic models: the source of the
error messages for a file that ``sim.standards.spec`` and ``sim.standards.targets`` refuse.

The models are derived from those modules' dataclasses (``model_of``): the same fields,
types, defaults and limits, and each class's ``_problem`` check as a model validator, so the
format is written once and the two readers cannot drift apart.

Why a module of its own: pydantic costs about 0.12 s of CPU to import and to build these
models, which every ``sim report`` paid to read three well-formed packaged files. The
loaders read a file with a strict check of their own and come here only when that check
refuses something, so a bad file gets the same one-line error (file, key, allowed range)
as before; ``tests/test_standards_spec.py`` holds the two to the same results.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator

from sim.core.errors import InputError
from sim.core.inputs import STRICT, describe_validation_error, read_toml
from sim.standards import spec
from sim.standards import targets as plan_targets


class _Strict(BaseModel):
    model_config = ConfigDict(**STRICT, frozen=True)


def _annotation(kind: Any) -> Any:
    """A dataclass field's type with every dataclass in it replaced by its model."""
    if dataclasses.is_dataclass(kind):
        return model_of(kind)
    origin = typing.get_origin(kind)
    if origin is list:
        (item,) = typing.get_args(kind)
        return list[_annotation(item)]
    if origin in (typing.Union, types.UnionType):
        return functools.reduce(lambda a, b: a | b, [_annotation(k) for k in typing.get_args(kind)])
    return kind


@functools.cache
def model_of(cls: type) -> type[BaseModel]:
    """The strict, frozen pydantic model of the dataclass ``cls``: its fields with their types,
    defaults and limits (``ge``/``gt``/``le`` in the field's metadata), and its ``_problem``
    check raising the check's message."""
    hints = typing.get_type_hints(cls)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        limits = dict(f.metadata)
        if f.default is not dataclasses.MISSING:
            info = Field(default=f.default, **limits)
        elif f.default_factory is not dataclasses.MISSING:
            info = Field(default_factory=f.default_factory, **limits)
        else:
            info = Field(**limits)
        fields[f.name] = (_annotation(hints[f.name]), info)
    validators = {}
    problem = getattr(cls, "_problem", None)
    if problem is not None:

        def check(self: BaseModel) -> BaseModel:
            message = problem(self)  # the dataclass's check reads the same attribute names
            if message is not None:
                raise ValueError(message)
            return self

        validators["check_problem"] = model_validator(mode="after")(check)
    return create_model(cls.__name__, __base__=_Strict, __doc__=cls.__doc__,
                        __validators__=validators, **fields)


MODELS: dict[str, type[BaseModel]] = {
    "compulsory": model_of(spec.CompulsoryStandard),
    "preschool": model_of(spec.PreschoolStandard),
    "targets": model_of(plan_targets._Targets),
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
