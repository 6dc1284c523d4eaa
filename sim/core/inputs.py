"""Reading and checking user input: TOML files, pydantic models, dotted keys.

Every layer that reads a user's file (scenario configs, standards rules, experiment specs)
needs the same three things: a TOML reader that turns syntax errors into ``InputError``, a
pydantic base that rejects unknown keys, and one readable line from a ``ValidationError``
naming the file, the key, the value and the allowed range. They live here, below every
layer that reads input, so that the standards evaluator does not depend on the model's config.
"""

from __future__ import annotations

import copy
import tomllib
import typing
from pathlib import Path
from typing import Any

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel, ConfigDict, ValidationError

from sim.core.errors import InputError

# Strict types (issue 16): pydantic's default lax mode ran ``rotation_rate = true`` as 100%
# rotation and took "2027" for 2027. In strict mode a bool is not a number, a string is not a
# number and a number is not a bool; an int still fills a float field (TOML writes 1 for 1.0).
# NaN and infinities are refused everywhere: no range check can hold for them.
STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class Strict(BaseModel):
    """Base for config sections: unknown keys and wrong types are rejected, values re-validated on set."""

    model_config = ConfigDict(**STRICT, validate_assignment=True, frozen=False)


def set_dotted(data: dict[str, Any], dotted: str, value: Any, source: str) -> None:
    """Set ``a.b.c`` inside nested dicts; an unknown path is an error naming the key."""
    parts = dotted.split(".")
    node = data
    for i, part in enumerate(parts):
        if not isinstance(node, dict) or part not in node:
            raise InputError(
                f"unknown key (known here: {', '.join(sorted(node)) if isinstance(node, dict) else 'none'})",
                source=source,
                key=".".join(parts[: i + 1]),
            )
        if i == len(parts) - 1:
            node[part] = copy.deepcopy(value)
        else:
            node = node[part]


def _model_of(annotation: Any) -> Any:
    """The pydantic model inside an annotation (``list[M]``, ``M | None``), or the annotation."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if isinstance(found, type) and issubclass(found, BaseModel):
            return found
    return annotation


def _field_bounds(model: type[BaseModel], loc: tuple[Any, ...]) -> str | None:
    """Describe the allowed range of the field at ``loc`` from its constraints."""
    cls: Any = model
    info = None
    for part in loc:
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)):
            return None
        info = cls.model_fields.get(str(part))
        if info is None:
            return None
        cls = _model_of(info.annotation)
    if info is None:
        return None
    lo = hi = None
    lo_op = hi_op = ""
    for meta in info.metadata:
        if isinstance(meta, Ge):
            lo, lo_op = meta.ge, ">="
        elif isinstance(meta, Gt):
            lo, lo_op = meta.gt, ">"
        elif isinstance(meta, Le):
            hi, hi_op = meta.le, "<="
        elif isinstance(meta, Lt):
            hi, hi_op = meta.lt, "<"
    if lo is not None and hi is not None:
        return f"allowed: {lo_op} {lo} and {hi_op} {hi}"
    if lo is not None:
        return f"allowed: {lo_op} {lo}"
    if hi is not None:
        return f"allowed: {hi_op} {hi}"
    return None


def loc_key(loc: tuple[Any, ...]) -> str:
    """``("outcomes", 0, "year")`` as ``outcomes[0].year``, the way the file is read."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def describe_validation_error(exc: ValidationError, model: type[BaseModel], source: str) -> InputError:
    """Turn pydantic's error list into one line naming file, key, value and allowed range."""
    err = exc.errors()[0]
    loc = tuple(p for p in err["loc"] if not isinstance(p, int))
    key = loc_key(err["loc"]) or "(top level)"
    if err["type"] == "extra_forbidden":
        parent: Any = model
        for part in loc[:-1]:
            fi = parent.model_fields.get(str(part)) if hasattr(parent, "model_fields") else None
            parent = _model_of(fi.annotation) if fi is not None else None
        known = sorted(parent.model_fields) if hasattr(parent, "model_fields") else []
        allowed = f" (allowed keys: {', '.join(known)})" if known else ""
        return InputError(f"unknown key{allowed}", source=source, key=key)
    bounds = _field_bounds(model, loc)
    value = err.get("input")
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    text = f"{msg} (got {value!r})" if not isinstance(value, dict) else msg
    if bounds and bounds not in text:
        text += f"; {bounds}"
    extra = f" (+{len(exc.errors()) - 1} more problems)" if len(exc.errors()) > 1 else ""
    return InputError(text + extra, source=source, key=key)


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file, turning a missing file or a syntax error into an ``InputError``."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", source=path)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"malformed TOML: {exc}", source=path) from None
    except RecursionError:
        raise InputError("malformed TOML: arrays or tables nested too deeply", source=path) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", source=path) from None
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", source=path) from None


def deep_merge(base: dict[str, Any], delta: dict[str, Any]) -> dict[str, Any]:
    """``delta`` laid over ``base``, nested tables merged key by key (a config over its base)."""
    out = dict(base)
    for key, value in delta.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out
