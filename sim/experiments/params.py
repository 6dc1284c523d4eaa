"""Sampled parameters: uncertainties and levers, and how a value in [0, 1] becomes a config value.

Every parameter lives on a bounded range ``[low, high]`` (or a list of ``values``). A design
first draws points in the unit hypercube and each parameter maps its coordinate through its
own inverse CDF. That keeps one sampler per design whatever the distributions, makes Morris
trajectories (which touch 0 and 1 exactly) safe, and leaves Sobol indices unchanged (they are
invariant under a monotone transform of each input).

Parameter names are dotted paths into ``Config`` (``demography.births_trend``). Lever
parameters are ``levers.<lever type>.<param>``, set on every ``[[levers]]`` table of that type
in the scenario's config (an effect size is one number however many tables a lever has), or
``levers.<index>.<param>`` for one table.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field, ValidationError, model_validator

from sim.config import Config, describe_validation_error, set_dotted
from sim.core.errors import InputError
from sim.core.inputs import STRICT
from sim.scenario import validate_config

# Keys that make a TOML table a parameter definition rather than a namespace of dotted keys.
PARAM_KEYS = frozenset(
    {"low", "high", "dist", "mode", "mean", "sd", "values", "levels", "integer", "scenarios"}
)


class ParamDef(BaseModel):
    """A parameter's range or distribution as written in the spec."""

    model_config = STRICT

    low: float | None = None
    high: float | None = None
    dist: Literal["uniform", "loguniform", "triangular", "normal"] = "uniform"
    mode: float | None = None
    mean: float | None = None
    sd: float | None = Field(None, gt=0)
    values: list[float | int | bool | str] | None = Field(None, min_length=1)
    levels: int | None = Field(None, ge=2, le=1000)
    integer: bool = False
    scenarios: list[str] | None = None

    @model_validator(mode="after")
    def _check(self) -> ParamDef:
        if self.values is not None:
            extra = [
                k for k in ("low", "high", "mode", "mean", "sd", "levels") if getattr(self, k) is not None
            ]
            if extra:
                raise ValueError(f"give either values = [...] or a range, not both (also got {extra[0]})")
            if len({repr(v) for v in self.values}) != len(self.values):
                raise ValueError("values must not repeat")
            return self
        if self.low is None or self.high is None:
            raise ValueError("needs low and high (or values = [...])")
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError("low and high must be finite")
        if self.low >= self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.dist == "loguniform" and self.low <= 0:
            raise ValueError(f"a loguniform range needs low > 0 (got {self.low})")
        if self.dist == "triangular" and (self.mode is None or not self.low <= self.mode <= self.high):
            raise ValueError(f"a triangular range needs low <= mode <= high (got mode={self.mode})")
        if self.dist == "normal" and (self.mean is None or self.sd is None):
            raise ValueError("a normal distribution needs mean and sd (truncated to [low, high])")
        if self.dist != "triangular" and self.mode is not None:
            raise ValueError("mode applies only to dist = 'triangular'")
        if self.dist != "normal" and (self.mean is not None or self.sd is not None):
            raise ValueError("mean and sd apply only to dist = 'normal'")
        if self.integer and (math.floor(self.high) - math.ceil(self.low) < 1):
            raise ValueError("an integer range needs at least two integers between low and high")
        return self


@dataclass(frozen=True)
class Parameter:
    """One sampled parameter, resolved to its dotted path into ``Config``."""

    name: str
    kind: Literal["uncertainty", "lever"]
    spec: ParamDef
    scenarios: tuple[str, ...] | None = None  # None: applies to every scenario

    def from_unit(self, u: float) -> Any:
        """Map a coordinate in [0, 1] to a value by the inverse CDF of the parameter."""
        s = self.spec
        u = min(max(float(u), 0.0), 1.0)
        if s.values is not None:
            k = len(s.values)
            return s.values[min(int(u * k), k - 1)]
        lo, hi = float(s.low), float(s.high)  # type: ignore[arg-type]
        if s.integer:
            ilo, ihi = math.ceil(lo), math.floor(hi)
            n = ihi - ilo + 1
            if s.dist == "uniform":
                return int(ilo + min(int(u * n), n - 1))
        if s.dist == "uniform":
            x = lo + u * (hi - lo)
        elif s.dist == "loguniform":
            x = math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
        elif s.dist == "triangular":
            from scipy.stats import triang

            c = (float(s.mode) - lo) / (hi - lo)  # type: ignore[arg-type]
            x = float(triang(c, loc=lo, scale=hi - lo).ppf(u))
        else:  # truncated normal
            from scipy.stats import truncnorm

            m, sd = float(s.mean), float(s.sd)  # type: ignore[arg-type]
            x = float(truncnorm((lo - m) / sd, (hi - m) / sd, loc=m, scale=sd).ppf(u))
        x = min(max(x, lo), hi)
        if s.integer:
            return int(min(max(round(x), math.ceil(lo)), math.floor(hi)))
        return float(x)

    def grid_values(self, default_levels: int) -> list[Any]:
        """The values a full-factorial grid visits: ``values`` or evenly spaced ``levels``."""
        s = self.spec
        if s.values is not None:
            return list(s.values)
        n = s.levels or default_levels
        xs = np.linspace(float(s.low), float(s.high), n)  # type: ignore[arg-type]
        if s.integer:
            out: list[Any] = []
            for x in xs:
                v = round(float(x))
                if v not in out:
                    out.append(v)
            return out
        return [float(x) for x in xs]

    def probe_values(self) -> list[Any]:
        """Values to test against the config's bounds before any run (the extremes)."""
        s = self.spec
        if s.values is not None:
            return list(s.values)
        return [self.from_unit(0.0), self.from_unit(1.0)]

    def applies_to(self, scenario: str) -> bool:
        """Whether this parameter is set in runs of ``scenario``."""
        return self.scenarios is None or scenario in self.scenarios

    def describe(self) -> dict[str, Any]:
        """A JSON-friendly description for ``experiment.json``."""
        d = {"name": self.name, "kind": self.kind}
        d.update(self.spec.model_dump(exclude_none=True, exclude_defaults=True))
        if self.spec.values is None:
            d.setdefault("low", self.spec.low)
            d.setdefault("high", self.spec.high)
        d["dist"] = self.spec.dist
        return d


def flatten(table: dict[str, Any], prefix: str = "", *, stop_at_params: bool = False) -> dict[str, Any]:
    """Flatten nested TOML tables into dotted keys.

    TOML reads ``demography.births_trend = 1`` as nested tables; a spec may also quote the
    key. Both give ``{"demography.births_trend": 1}``. With ``stop_at_params``, a table
    that holds parameter keys (``low``, ``values``...) is a leaf.
    """
    out: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and value and not (stop_at_params and PARAM_KEYS & set(value)):
            out.update(flatten(value, name, stop_at_params=stop_at_params))
        else:
            out[name] = value
    return out


_SECTIONS = ("demography", "enrolment", "workforce", "schools")


def _leaf_aliases() -> dict[str, str]:
    """Short names for config fields whose leaf name is unique (``births_trend``)."""
    seen: dict[str, list[str]] = {}
    for section in _SECTIONS:
        model = Config.model_fields[section].annotation
        for leaf in model.model_fields:  # type: ignore[union-attr]
            seen.setdefault(leaf, []).append(f"{section}.{leaf}")
    for top in Config.model_fields:
        if top not in _SECTIONS and top != "levers":
            seen.setdefault(top, []).append(top)
    return {leaf: paths[0] for leaf, paths in seen.items() if len(paths) == 1}


def resolve_name(name: str, section: str, source: str) -> str:
    """Resolve a parameter name to a dotted config path, or fail naming the key.

    Accepted: a dotted path into ``Config``; a unique field name (``births_trend``); in the
    ``[levers]`` section, ``<lever type>.<param>`` for ``levers.<lever type>.<param>``.
    """
    key = f"{section}.{name}"
    parts = name.split(".")
    if parts[0] == "levers":
        if len(parts) != 3 or not all(parts):
            raise InputError(
                "a lever parameter is levers.<lever type>.<param> (or levers.<index>.<param>)",
                source=source,
                key=key,
            )
        return name
    if parts[0] in Config.model_fields:
        probe: Any = Config().model_dump()
        for i, part in enumerate(parts):
            if not isinstance(probe, dict) or part not in probe:
                known = ", ".join(sorted(probe)) if isinstance(probe, dict) else "none"
                raise InputError(
                    f"unknown config path {'.'.join(parts[: i + 1])!r} (known here: {known})",
                    source=source,
                    key=key,
                )
            probe = probe[part]
        return name
    if section == "levers" and len(parts) == 2 and all(parts):
        return f"levers.{name}"
    aliases = _leaf_aliases()
    if name in aliases:
        return aliases[name]
    raise InputError(
        "unknown parameter; use a dotted path into the config such as demography.births_trend "
        "or workforce.attrition_rural, or levers.<lever type>.<param>",
        source=source,
        key=key,
    )


def parse_parameters(table: dict[str, Any], section: str, source: str) -> list[Parameter]:
    """Read the ``[uncertainties]`` or ``[levers]`` table of a spec."""
    if not isinstance(table, dict):
        raise InputError("must be a table of parameters", source=source, key=section)
    kind: Literal["uncertainty", "lever"] = "lever" if section == "levers" else "uncertainty"
    params = []
    for raw_name, raw in flatten(table, stop_at_params=True).items():
        key = f"{section}.{raw_name}"
        if not isinstance(raw, dict):
            raise InputError(
                "must be a table such as { low = 0.0, high = 1.0 } or { values = [...] }",
                source=source,
                key=key,
            )
        try:
            pdef = ParamDef.model_validate(raw)
        except ValidationError as exc:
            err = describe_validation_error(exc, ParamDef, source)
            raise InputError(
                err.detail,
                source=source,
                key=f"{key}.{err.key}".rstrip(".") if err.key and err.key != "(top level)" else key,
            ) from None
        name = resolve_name(raw_name, section, source)
        scen = tuple(pdef.scenarios) if pdef.scenarios is not None else None
        params.append(Parameter(name=name, kind=kind, spec=pdef, scenarios=scen))
    return params


def apply_overrides(config: Config, overrides: dict[str, Any], source: str, key_prefix: str = "") -> Config:
    """Return ``config`` with dotted overrides applied, lever parameters included.

    Plain paths go through ``set_dotted`` (as ``Config.with_overrides``); a path
    ``levers.<type>.<param>`` sets ``param`` on every ``[[levers]]`` table of that type.
    The result is validated as a whole, levers included, so a bad value fails here.
    """
    if not overrides:
        return config
    data = config.model_dump()
    for dotted, value in overrides.items():
        key = f"{key_prefix}{dotted}"
        if dotted.startswith("levers."):
            _set_lever(data["levers"], dotted, value, source, key)
        else:
            try:
                set_dotted(data, dotted, value, source)
            except InputError as exc:
                raise InputError(exc.detail, source=source, key=f"{key_prefix}{exc.key}") from None
    try:
        return validate_config(data, source)
    except InputError as exc:
        names = ", ".join(overrides)
        raise InputError(f"{exc.detail} (while applying {names})", source=source, key=exc.key) from None


def _set_lever(levers: list[dict[str, Any]], dotted: str, value: Any, source: str, key: str) -> None:
    _, selector, param = dotted.split(".", 2)
    if "." in param:
        raise InputError("a lever parameter is levers.<lever type>.<param>", source=source, key=key)
    if param == "type":
        raise InputError("a lever's type cannot be sampled", source=source, key=key)
    if selector.isdigit():
        idx = int(selector)
        if idx >= len(levers):
            raise InputError(
                f"lever index {idx} out of range: the scenario's config has {len(levers)} levers",
                source=source,
                key=key,
            )
        matches = [idx]
    else:
        matches = [i for i, lv in enumerate(levers) if lv.get("type") == selector]
    if not matches:
        present = ", ".join(str(lv.get("type")) for lv in levers) or "none"
        raise InputError(
            f"no lever of type {selector!r} in this scenario's config (its levers: {present}); "
            "switch the lever on in the scenario or limit the parameter with scenarios = [...]",
            source=source,
            key=key,
        )
    for i in matches:  # an effect size is one number for every table of its lever
        levers[i] = copy.deepcopy(levers[i])
        levers[i][param] = copy.deepcopy(value)
