"""Policy levers: one module per lever, registered by name, built from config.

Each lever is a small class with eager argument checks, a ``start_year``/``end_year``
window and target counties; the model calls ``apply(model, year)`` once a year at the
policy phase (DESIGN §3 step 1). The registry maps the ``type`` key of a ``[[levers]]``
table to its class.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.errors import InputError

if TYPE_CHECKING:
    from sim.config import Config

REGISTRY: dict[str, type] = {}


def register(name: str):
    """Class decorator adding a lever class to the registry under ``name``."""

    def deco(cls: type) -> type:
        REGISTRY[name] = cls
        cls.type_name = name
        return cls

    return deco


def build_levers(specs: list[dict[str, Any]], config: Config, source: str) -> list[Any]:
    """Build lever objects from ``[[levers]]`` tables, failing early on any bad entry."""
    levers = []
    for i, spec in enumerate(specs):
        kind = spec.get("type")
        if kind not in REGISTRY:
            allowed = ", ".join(sorted(REGISTRY)) or "none registered yet"
            raise InputError(
                f"unknown lever type {kind!r} (allowed: {allowed})",
                source=source,
                key=f"levers[{i}].type",
            )
        levers.append(REGISTRY[kind].from_spec(spec, config, source, i))
    return levers
