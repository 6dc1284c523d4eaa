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


def known_metrics() -> frozenset[str]:
    """The county-year metric names the model writes (``sim.schema`` when it lists them)."""
    declared = getattr(schema, "COUNTY_YEAR_METRICS", None)
    if declared:
        return frozenset(declared)
    return DOCUMENTED_METRICS
