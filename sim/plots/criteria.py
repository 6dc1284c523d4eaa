"""The county criteria the scorecard and the report judge, read from the standards' data.

The model's evaluator (``sim.standards``) decides pass/fail; the report only needs to know,
for each county-level metric that is a criterion, which way is good and where the line is,
so that it can colour a heat map by margin and name the criterion that binds. Thresholds,
directions and sources are read from the same TOML files the evaluator applies
(``sim/standards/compulsory.toml``, ``preschool.toml``, ``targets.toml``), so an edited
standard changes the report too:

* 优质均衡 (教督〔2017〕6号): each of the 7 difference coefficients ≤ 0.50 (primary) and
  ≤ 0.45 (junior); every school meets at least 6 of the 7 indicators (share = 100%).
* 普及普惠 (教督〔2020〕1号): gross enrolment ≥ 85%, 普惠 coverage ≥ 80%, public share ≥ 50%,
  ≤ 15 children per teacher, ≥ 85% of classes within the size limits.
* Plan counts (targets.toml): at least 3 counties pass 优质均衡 and 2 pass 普及普惠 by 2027.

A criterion whose metric is absent from a run is simply not shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.core.names import PRESCHOOL_METRICS
from sim.plots import labels as lbl
from sim.standards.spec import LEVELS, load_compulsory, load_preschool
from sim.standards.targets import TARGETS

_COMP = load_compulsory()
_PRE = load_preschool()

CV_LIMIT: dict[str, float] = {lv: getattr(_COMP.coefficient, lv) for lv in LEVELS}
SCHOOL_PASS_SHARE = 1.0  # every school meets the per-school rule (compulsory.toml per_school_rule)
PASS_FLAGS = {"compulsory": "passes_compulsory_standard", "preschool": "passes_preschool_standard"}
_COUNT_TARGETS = {t.metric: t for t in TARGETS.values() if t.count_counties}
PLAN_COUNTIES: dict[str, int] = {
    std: int(_COUNT_TARGETS[flag].threshold) for std, flag in PASS_FLAGS.items()
    if flag in _COUNT_TARGETS
}
PLAN_YEAR = max((t.deadline for t in _COUNT_TARGETS.values()), default=2027)


@dataclass(frozen=True)
class Criterion:
    """One county criterion: a metric, a threshold and which side passes."""

    metric: str
    threshold: float
    higher_is_better: bool
    standard: str  # "compulsory" or "preschool"
    source: str

    def passes(self, value: float) -> bool:
        """Whether ``value`` meets the criterion (NaN never passes)."""
        if value != value:
            return False
        return value >= self.threshold if self.higher_is_better else value <= self.threshold

    def margin(self, value: float) -> float:
        """Relative distance to the threshold, positive when passing (0.1 = 10% of the line)."""
        if self.threshold == 0:
            return float(value) if self.higher_is_better else -float(value)
        diff = value - self.threshold if self.higher_is_better else self.threshold - value
        return diff / abs(self.threshold)

    def short_label(self, lang: str) -> str:
        """Compact name for heat-map columns and summary lines."""
        if self.metric.startswith("cv_"):
            ind, lvl = self.metric[3:].rsplit("_", 1)
            lv = lbl.level(lvl, lang)
            zh, en = lbl.INDICATOR_SHORT.get(ind, (ind, ind))
            if lang == "zh":
                return f"{lv}{zh}差异系数 (CV {en})"
            return f"CV {en} ({lv})"
        short = SHORT_NAMES.get(self.metric)
        if short:
            return f"{short[0]} ({short[1]})" if lang == "zh" else short[1]
        lab = lbl.metric_label(self.metric)
        return f"{lab.zh} ({lab.en})" if lang == "zh" else lab.en


SHORT_NAMES: dict[str, tuple[str, str]] = {
    "share_schools_passing_primary": ("小学校校达标", "primary schools 6-of-7"),
    "share_schools_passing_junior": ("初中校校达标", "junior schools 6-of-7"),
    "gross_enrolment_rate_preschool": ("毛入园率", "gross enrolment"),
    "puhui_coverage_rate": ("普惠覆盖率", "inclusive coverage"),
    "public_share_preschool": ("公办占比", "public share"),
    "children_per_teacher_preschool": ("师幼比", "children per teacher"),
    "class_compliance_rate_preschool": ("班额达标率", "class-size compliance"),
    "passes_compulsory_standard": ("优质均衡", "compulsory standard"),
    "passes_preschool_standard": ("普及普惠", "preschool standard"),
}


def _criteria() -> tuple[Criterion, ...]:
    out = [
        Criterion(f"cv_{ind.id}_{lv}", CV_LIMIT[lv], False, "compulsory",
                  _COMP.coefficient.source)
        for lv in LEVELS for ind in _COMP.indicators
    ]
    out += [
        Criterion(f"share_schools_passing_{lv}", SCHOOL_PASS_SHARE, True, "compulsory",
                  _COMP.per_school_rule.source)
        for lv in LEVELS
    ]
    by_id = {ind.id: ind for ind in _PRE.indicators}
    for metric, ind_id in PRESCHOOL_METRICS.items():
        ind = by_id.get(ind_id)
        if ind is None or ind.op not in (">=", "<=") or ind.threshold is None:
            continue
        out.append(Criterion(metric, float(ind.threshold), ind.op == ">=", "preschool",
                             ind.source))
    return tuple(out)


CRITERIA: tuple[Criterion, ...] = _criteria()
BY_METRIC: dict[str, Criterion] = {c.metric: c for c in CRITERIA}

# City-level thresholds drawn on scenario plots (metric → threshold, higher is better).
PLAN_LINES: dict[str, tuple[float, bool]] = {
    **{f"n_counties_passing_{std}": (float(n), True) for std, n in PLAN_COUNTIES.items()},
    **{c.metric: (c.threshold, c.higher_is_better) for c in CRITERIA},
}
