"""Which county-year metrics an outcome may name, so a typo fails before any run."""

from __future__ import annotations

from sim import schema

# The metrics the model API documents (BRIEF "The model API"), used while ``sim.schema``
# does not declare its own list.
DOCUMENTED_METRICS: frozenset[str] = frozenset(
    {
        "n_births",
        "n_students_preschool",
        "n_students_primary",
        "n_students_junior",
        "n_students_senior_general",
        "n_students_vocational",
        "n_boarding",
        "n_left_behind",
        "n_schools_open",
        "n_teachers",
        "students_per_teacher_primary",
        "n_large_classes",
        "urbanisation_rate",
        "population",
    }
)


def _plan_targets() -> dict[str, str]:
    """Plan target id -> the county-year metric it is computed from (empty if not available)."""
    try:
        from sim.standards.targets import TARGETS
    except ImportError:
        return {}
    return {tid: t.metric for tid, t in TARGETS.items()}


def known_metrics() -> frozenset[str]:
    """The county-year metric names the model writes (``sim.schema`` when it lists them).

    The metrics the plan scorecard reads (such as ``passes_compulsory_standard``) count too.
    """
    declared = getattr(schema, "COUNTY_YEAR_METRICS", None)
    base = frozenset(declared) if declared else DOCUMENTED_METRICS
    return base | frozenset(_plan_targets().values())


def target_threshold(target: str) -> float | None:
    """The plan's threshold for a scorecard target (None if unknown)."""
    try:
        from sim.standards.targets import TARGETS
    except ImportError:
        return None
    t = TARGETS.get(target)
    return float(t.threshold) if t is not None else None


def known_targets() -> frozenset[str] | None:
    """The plan scorecard's target ids, or None while the scorecard is not available."""
    targets = _plan_targets()
    return frozenset(targets) if targets else None
