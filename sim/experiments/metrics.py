"""Which county-year metrics an outcome may name, so a typo fails before any run."""

from __future__ import annotations

from sim import schema

# The county-year metrics the model writes (sim/measure.py), used while ``sim.schema`` does
# not declare its own list. tests/test_experiments_model.py checks this list against a real
# run, so a metric added to or dropped from the model shows up as a failing test here.
MODEL_METRICS: frozenset[str] = frozenset(
    {
        "mean_achievement",
        "mean_teacher_age",
        "n_above_required_degree",
        "n_backbone",
        "n_beds",
        "n_births",
        "n_boarding",
        "n_children",
        "n_children_3_5",
        "n_children_6_14",
        "n_classes",
        "n_classes_preschool",
        "n_classes_preschool_compliant",
        "n_large_classes",
        "n_left_behind",
        "n_left_behind_students",
        "n_long_commute",
        "n_migrant_students",
        "n_pe_art",
        "n_schools_open",
        "n_schools_open_junior",
        "n_schools_open_kindergarten",
        "n_schools_open_primary",
        "n_schools_open_senior",
        "n_schools_open_special",
        "n_schools_open_vocational",
        "n_students",
        "n_students_junior",
        "n_students_junior_town",
        "n_students_junior_urban",
        "n_students_junior_village",
        "n_students_preschool",
        "n_students_preschool_public",
        "n_students_preschool_puhui",
        "n_students_preschool_town",
        "n_students_preschool_urban",
        "n_students_preschool_village",
        "n_students_primary",
        "n_students_primary_town",
        "n_students_primary_urban",
        "n_students_primary_village",
        "n_students_senior_general",
        "n_students_senior_general_town",
        "n_students_senior_general_urban",
        "n_students_senior_general_village",
        "n_students_special",
        "n_students_vocational",
        "n_teachers",
        "n_teachers_junior",
        "n_teachers_kindergarten",
        "n_teachers_preschool",
        "n_teachers_primary",
        "n_teachers_senior",
        "n_teachers_special",
        "n_teachers_vocational",
        "n_teaching_points",
        "n_vacancies",
        "new_aged_out",
        "new_attrition",
        "new_choice_transfers",
        "new_deaths",
        "new_dropouts",
        "new_hires",
        "new_inflow",
        "new_moved_in_county",
        "new_moved_out_county",
        "new_moved_to_urban",
        "new_outflow",
        "new_primary_intake",
        "new_retirements",
        "new_student_entrants",
        "new_student_inmigrants",
        "new_student_leavers",
        "new_student_outmigrants",
        "new_top_outflow",
        "new_top_students",
        "new_zhongkao",
        "population",
        "students_per_teacher_primary",
        "urbanisation_rate",
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
    base = frozenset(declared) if declared else MODEL_METRICS
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
