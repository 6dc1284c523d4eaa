"""Policy levers: one module per lever, registered by name, built from config.

Each lever is a small class with eager argument checks, a ``start_year``/``end_year``
window and target counties; the model calls ``apply(model, year)`` once a year at the
policy phase (DESIGN §3 step 1). The registry maps the ``type`` key of a ``[[levers]]``
table to its class. ``install`` wires the levers into a model: the shared book-keeping
(``model.lever_state``), the lever metrics and each lever's ``setup``.

The plan's 12 key projects and its named measures (DESIGN §4), one module each:

==============================  =====================================================
plan item                       lever ``type``
==============================  =====================================================
城乡中小学校布局优化              ``layout_optimisation``
县中托管帮扶                      ``county_high_school_support``
"三所学校"质量提升                ``three_schools_uplift``
乡镇学校管理模式优化              ``township_management``
城乡教育共同体 / 集团化办学        ``group_schooling``
选优配强乡村校(园)长              ``principal_selection``
乡村教师专业能力提升              ``rural_teacher_development``
课程教学改革三年行动              ``curriculum_reform``
特殊群体关爱                      ``special_groups_care``
乡村温馨校园                      ``warm_rural_campus``
中职办学条件达标                  ``vocational_standards``
净化优化教育生态                  ``education_ecology``
寄宿制学校 (measure)              ``boarding_expansion``
县管校聘 / 交流轮岗 (measure)     ``teacher_rotation``
"两个不低于或高于" (measure)      ``salary_parity``
学前普及普惠 (measure)            ``preschool_expansion``
数字化赋能 (measure)              ``digital_empowerment``
==============================  =====================================================
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sim.core.errors import InputError

if TYPE_CHECKING:
    from sim.config import Config
    from sim.levers.base import Lever
    from sim.model import QingyuanModel

REGISTRY: dict[str, type] = {}

LEVER_MODULES = (
    "layout",
    "county_high",
    "three_schools",
    "township",
    "groups",
    "principals",
    "teacher_development",
    "curriculum",
    "special_groups",
    "warm_campus",
    "vocational",
    "ecology",
    "boarding",
    "rotation",
    "salary",
    "preschool",
    "digital",
)


def register(name: str):
    """Class decorator adding a lever class to the registry under ``name``."""

    def deco(cls: type) -> type:
        REGISTRY[name] = cls
        cls.type_name = name
        return cls

    return deco


def _load_all() -> None:
    """Import every lever module once so the registry is complete."""
    for module in LEVER_MODULES:
        importlib.import_module(f"sim.levers.{module}")


def build_levers(specs: list[dict[str, Any]], config: Config, source: str) -> list[Lever]:
    """Build lever objects from ``[[levers]]`` tables, failing early on any bad entry."""
    _load_all()
    levers = []
    for i, spec in enumerate(specs):
        if not isinstance(spec, dict):
            raise InputError("must be a table with a `type` key", source=source, key=f"levers[{i}]")
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


def resolved(config: Config) -> list[dict[str, Any]]:
    """Each configured lever's parameters with every default filled in (for manifests)."""
    return [lever.to_dict() for lever in build_levers(config.levers, config, "config")]


def install(model: QingyuanModel, levers: list[Lever]) -> None:
    """Give ``model`` its lever book-keeping and metrics, then set each lever up."""
    from sim.levers.ledger import LeverState, lever_metrics

    _load_all()
    model.lever_state = LeverState(len(model.counties), len(model.schools), list(REGISTRY))
    model.metric_extensions.append(lever_metrics)
    for lever in levers:
        lever.setup(model)
