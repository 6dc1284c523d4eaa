"""The county criteria the scorecard and the report judge, with thresholds and sources.

The model's evaluator (``sim.standards``) decides pass/fail; the report only needs to know,
for each county-level metric that is a criterion, which way is good and where the line is,
so that it can colour a heat map by margin and name the criterion that binds. Thresholds are
the national ones quoted in ``reference/standards.md``:

* 优质均衡: 教督〔2017〕6号 — each of the 7 difference coefficients ≤ 0.50 (primary) and
  ≤ 0.45 (junior); every school meets at least 6 of the 7 indicators (share = 100%).
* 普及普惠: 教督〔2020〕1号 — gross enrolment ≥ 85%, 普惠 coverage ≥ 80%, public share ≥ 50%.
* Plan counts: 《清远市…教育提升行动实施方案(2023—2027年)》 — by 2027 at least 3 counties pass
  优质均衡 and at least 2 pass 普及普惠 (reference/plan-summary.md).

A criterion whose metric is absent from a run is simply not shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.plots import labels as lbl

CV_LIMIT = {"primary": 0.50, "junior": 0.45}  # 教督〔2017〕6号 (standards.md §A1)
SCHOOL_PASS_SHARE = 1.0  # every school meets 6 of 7 (教督〔2017〕6号, standards.md §A1)
PLAN_YEAR = 2027  # plan horizon (plan-summary.md)
PLAN_COUNTIES = {"compulsory": 3, "preschool": 2}  # plan-summary.md: "at least 3" / "at least 2"


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

    def label(self, lang: str) -> str:
        """Criterion name, Chinese with English after in ``zh`` mode."""
        lab = lbl.metric_label(self.metric)
        op = "≥" if self.higher_is_better else "≤"
        thr = lbl.fmt_value(self.metric, self.threshold)
        if lang == "zh":
            return f"{lab.zh} {op}{thr} ({lab.en})"
        return f"{lab.en} {op} {thr}"

    def short_label(self, lang: str) -> str:
        """Compact name for heat-map columns."""
        if self.metric.startswith("cv_"):
            ind, lvl = self.metric[3:].rsplit("_", 1)
            lv = lbl.level(lvl, lang)
            if lang == "zh":
                zh, en = lbl.INDICATOR_SHORT.get(ind, (ind, ind))
                return f"{lv}{zh}差异系数 (CV {en})"
            return f"CV {lbl.indicator_short(ind, lang)} ({lv})"
        short = SHORT_NAMES.get(self.metric)
        if short:
            return f"{short[0]} ({short[1]})" if lang == "zh" else short[1]
        lab = lbl.metric_label(self.metric)
        return f"{lab.zh} ({lab.en})" if lang == "zh" else lab.en


SHORT_NAMES: dict[str, tuple[str, str]] = {
    "share_schools_passing_primary": ("小学校校达标", "primary schools 6-of-7"),
    "share_schools_passing_junior": ("初中校校达标", "junior schools 6-of-7"),
    "gross_enrolment_rate": ("毛入园率", "gross enrolment"),
    "puhui_coverage": ("普惠覆盖率", "inclusive coverage"),
    "public_share": ("公办占比", "public share"),
    "passes_compulsory_standard": ("优质均衡", "compulsory standard"),
    "passes_preschool_standard": ("普及普惠", "preschool standard"),
}

_STD17 = "教督〔2017〕6号 (reference/standards.md §A1)"
_STD20 = "教督〔2020〕1号 (reference/standards.md §B)"

CRITERIA: tuple[Criterion, ...] = (
    *(
        Criterion(f"cv_{ind}_{lvl}", CV_LIMIT[lvl], False, "compulsory", _STD17)
        for lvl in ("primary", "junior")
        for ind in lbl.INDICATORS
    ),
    Criterion("share_schools_passing_primary", SCHOOL_PASS_SHARE, True, "compulsory", _STD17),
    Criterion("share_schools_passing_junior", SCHOOL_PASS_SHARE, True, "compulsory", _STD17),
    Criterion("gross_enrolment_rate", 0.85, True, "preschool", _STD20),
    Criterion("puhui_coverage", 0.80, True, "preschool", _STD20),
    Criterion("public_share", 0.50, True, "preschool", _STD20),
)
BY_METRIC: dict[str, Criterion] = {c.metric: c for c in CRITERIA}

# City-level thresholds drawn on scenario plots (metric → threshold, higher is better).
PLAN_LINES: dict[str, tuple[float, bool]] = {
    "n_counties_passing_compulsory": (PLAN_COUNTIES["compulsory"], True),
    "n_counties_passing_preschool": (PLAN_COUNTIES["preschool"], True),
    **{c.metric: (c.threshold, c.higher_is_better) for c in CRITERIA},
}
PASS_FLAGS = {"compulsory": "passes_compulsory_standard", "preschool": "passes_preschool_standard"}
