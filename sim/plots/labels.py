"""Every human-readable name the figures and the report print, in Chinese and English.

One module holds the mapping metric name → (Chinese label, English label, unit) so names are
not scattered over figure code. Metric families with a pattern (``n_students_<stage>_<tier>``,
``cv_<indicator>_<level>``, ``cost_yuan_<lever>``, ...) are resolved by rule, so a metric added
by the model later gets a sensible label without touching this file; an unknown name falls
back to the raw name rather than failing.

In ``zh`` mode county and criterion names are printed Chinese first with the English after
(the issue asks for both so a report can be forwarded to readers of either language); other
labels are Chinese only to keep axes short.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from sim.core.names import CITY, COUNTIES
from sim.standards.spec import load_compulsory
from sim.standards.targets import TARGETS

LANGS = ("en", "zh")

# County names: (short Chinese, English). Full Chinese names are the keys (sim.config.COUNTIES).
COUNTY_NAMES: dict[str, tuple[str, str]] = {
    "清城区": ("清城", "Qingcheng"),
    "清新区": ("清新", "Qingxin"),
    "英德市": ("英德", "Yingde"),
    "连州市": ("连州", "Lianzhou"),
    "佛冈县": ("佛冈", "Fogang"),
    "阳山县": ("阳山", "Yangshan"),
    "连山壮族瑶族自治县": ("连山", "Lianshan"),
    "连南瑶族自治县": ("连南", "Liannan"),
    CITY: ("全市", "City total"),
}
assert set(COUNTY_NAMES) == {*COUNTIES, CITY}

STAGE_NAMES: dict[str, tuple[str, str]] = {
    "preschool": ("学前", "preschool"),
    "primary": ("小学", "primary"),
    "junior": ("初中", "junior secondary"),
    "senior_general": ("普通高中", "general senior"),
    "senior": ("高中", "senior secondary"),
    "vocational": ("中职", "vocational"),
    "special": ("特殊教育", "special education"),
}
TIER_NAMES: dict[str, tuple[str, str]] = {
    "urban": ("城区", "urban (county seat)"),
    "town": ("镇区", "town"),
    "village": ("乡村", "village"),
}
# The seven resource indicators of 教督〔2017〕6号: ids and short names come from the
# standard's own data file (sim/standards/compulsory.toml), so they match the model's
# ``cv_<id>_<level>`` metrics; the compact axis names are ours.
INDICATOR_NAMES: dict[str, tuple[str, str]] = {
    ind.id: (ind.short_zh, ind.short_en) for ind in load_compulsory().indicators
}
INDICATORS: tuple[str, ...] = tuple(INDICATOR_NAMES)
_AXIS_NAMES: dict[str, tuple[str, str]] = {
    "above_degree": ("学历", "degree"),
    "backbone": ("骨干", "backbone"),
    "pe_art": ("体艺", "PE/art"),
    "teaching_space": ("校舍", "space"),
    "sports_area": ("运动场", "sports"),
    "equipment": ("仪器", "equipment"),
    "multimedia": ("多媒体", "multimedia"),
}
INDICATOR_SHORT: dict[str, tuple[str, str]] = {
    i: _AXIS_NAMES.get(i, INDICATOR_NAMES[i]) for i in INDICATORS
}
LEVEL_NAMES: dict[str, tuple[str, str]] = {
    "primary": ("小学", "primary"),
    "junior": ("初中", "junior"),
    "kindergarten": ("幼儿园", "kindergarten"),
    "senior": ("高中", "senior"),
    "vocational": ("中职", "vocational"),
    "special": ("特殊教育", "special education"),
    "preschool": ("学前", "preschool"),
}

UNITS: dict[str, tuple[str, str]] = {
    "students": ("人", "students"),
    "children": ("人", "children"),
    "people": ("人", "people"),
    "teachers": ("人", "teachers"),
    "schools": ("所", "schools"),
    "classes": ("个", "classes"),
    "counties": ("个", "counties"),
    "count": ("项", "items"),
    "share": ("比例", "share"),
    "ratio": ("比", "ratio"),
    "coefficient": ("系数", "coefficient"),
    "yuan": ("元", "yuan"),
    "flag": ("是/否", "yes/no"),
    "": ("", ""),
}


@dataclass(frozen=True)
class MetricLabel:
    """The printed name and unit of one metric."""

    zh: str
    en: str
    unit: str  # a key of UNITS

    def text(self, lang: str) -> str:
        """The label in ``lang``."""
        return self.zh if lang == "zh" else self.en


METRICS: dict[str, MetricLabel] = {
    "new_births": MetricLabel("出生人口", "births", "people"),
    "population": MetricLabel("常住人口", "population", "people"),
    "urbanisation_rate": MetricLabel("城镇化率", "urbanisation rate", "share"),
    "n_students_preschool": MetricLabel("在园幼儿", "preschool children", "children"),
    "n_students_primary": MetricLabel("小学在校生", "primary students", "students"),
    "n_students_junior": MetricLabel("初中在校生", "junior secondary students", "students"),
    "n_students_senior_general": MetricLabel("普高在校生", "general senior students", "students"),
    "n_students_vocational": MetricLabel("中职在校生", "vocational students", "students"),
    "n_students_special": MetricLabel("特教在校生", "special-education students", "students"),
    "n_boarding": MetricLabel("寄宿生", "boarders", "students"),
    "n_left_behind": MetricLabel("留守儿童", "left-behind children", "children"),
    "n_migrant": MetricLabel("随迁子女", "migrant children", "children"),
    "n_schools_open": MetricLabel("在办学校", "schools open", "schools"),
    "n_teachers": MetricLabel("专任教师", "teachers", "teachers"),
    "n_vacancies": MetricLabel("编制缺口", "vacancies against staffing norm", "teachers"),
    "n_teacher_posts": MetricLabel("编制岗位", "posts by the staffing norm", "teachers"),
    "n_backbone": MetricLabel("骨干教师", "backbone teachers", "teachers"),
    "n_pe_art": MetricLabel("体艺教师", "PE and art teachers", "teachers"),
    "new_retirements": MetricLabel("退休", "retirements", "teachers"),
    "new_hires": MetricLabel("招聘", "hires", "teachers"),
    "new_attrition": MetricLabel("流失", "attrition", "teachers"),
    "students_per_teacher_primary": MetricLabel(
        "小学生师比", "primary pupils per teacher", "ratio"
    ),
    "n_large_classes": MetricLabel("大班额班级", "oversized classes", "classes"),
    "gross_enrolment_rate_preschool": MetricLabel(
        "学前三年毛入园率", "preschool gross enrolment", "share"
    ),
    "puhui_coverage_rate": MetricLabel("普惠性幼儿园覆盖率", "inclusive coverage", "share"),
    "public_share_preschool": MetricLabel("公办园在园幼儿占比", "public kindergarten share", "share"),
    "children_per_teacher_preschool": MetricLabel(
        "幼儿园师幼比(每名教师幼儿数)", "children per kindergarten teacher", "ratio"
    ),
    "class_compliance_rate_preschool": MetricLabel(
        "幼儿园班额达标率", "kindergarten classes within size limits", "share"
    ),
    "n_criteria_failed_compulsory": MetricLabel(
        "优质均衡未达标项", "compulsory criteria failed", "count"
    ),
    "n_criteria_failed_preschool": MetricLabel(
        "普及普惠未达标项", "preschool criteria failed", "count"
    ),
    "passes_compulsory_standard": MetricLabel(
        "义务教育优质均衡达标", "passes compulsory high-quality-balance standard", "flag"
    ),
    "passes_preschool_standard": MetricLabel(
        "学前教育普及普惠达标", "passes preschool universal-inclusive standard", "flag"
    ),
    "n_counties_passing_compulsory": MetricLabel(
        "优质均衡达标县数", "counties passing compulsory standard", "counties"
    ),
    "n_counties_passing_preschool": MetricLabel(
        "普及普惠达标县数", "counties passing preschool standard", "counties"
    ),
    "cost_yuan": MetricLabel("政策成本", "lever cost", "yuan"),
    "net_migration": MetricLabel("儿童净迁入", "net migration of children", "children"),
    "new_inflow": MetricLabel("迁入本市儿童", "children arriving in the city", "children"),
    "new_outflow": MetricLabel("随家庭迁出本市儿童", "children leaving the city", "children"),
    "new_moved_in_county": MetricLabel("县际迁入儿童", "children moving in from other counties",
                                       "children"),
    "new_moved_out_county": MetricLabel("县际迁出儿童", "children moving to other counties",
                                        "children"),
    "new_moved_to_urban": MetricLabel("乡村迁往城镇儿童", "children moving to town or seat",
                                      "children"),
    "n_children": MetricLabel("0–17岁儿童", "children aged 0–17", "children"),
    "n_students": MetricLabel("在校生", "students", "students"),
    "n_beds": MetricLabel("寄宿床位", "boarding beds", "students"),
    "n_classes": MetricLabel("班级", "classes", "classes"),
    "n_teaching_points": MetricLabel("教学点", "teaching points", "schools"),
    "n_long_commute": MetricLabel("通学距离过远学生", "pupils with a long commute", "students"),
    "n_left_behind_students": MetricLabel("留守在校生", "left-behind students", "students"),
    "n_migrant_students": MetricLabel("随迁子女在校生", "migrant students", "students"),
    "new_dropouts": MetricLabel("辍学", "dropouts", "students"),
    "new_top_outflow": MetricLabel("县中优生外流", "top students leaving county", "students"),
}

# Lever registry names (DESIGN §4) → printed names; unknown levers print their raw name.
LEVER_NAMES: dict[str, tuple[str, str]] = {
    "layout": ("布局优化", "layout optimisation"),
    "layout_optimisation": ("布局优化", "layout optimisation"),
    "county_high_support": ("县中托管帮扶", "county high-school support"),
    "county_high_school_support": ("县中托管帮扶", "county high-school support"),
    "three_schools": ("三所学校质量提升", "three-schools uplift"),
    "three_schools_uplift": ("三所学校质量提升", "three-schools uplift"),
    "township_management": ("乡镇学校管理", "township management"),
    "group_schooling": ("集团化办学/教共体", "group schooling"),
    "principal_selection": ("选优配强校长", "principal selection"),
    "rural_teacher_development": ("乡村教师能力提升", "rural teacher development"),
    "curriculum_reform": ("课程教学改革", "curriculum reform"),
    "special_groups": ("特殊群体关爱", "special-groups care"),
    "special_groups_care": ("特殊群体关爱", "special-groups care"),
    "warm_campus": ("乡村温馨校园", "warm rural campus"),
    "warm_rural_campus": ("乡村温馨校园", "warm rural campus"),
    "vocational_standards": ("中职办学条件达标", "vocational standards"),
    "education_ecology": ("净化教育生态", "education ecology"),
    "boarding_expansion": ("寄宿制学校建设", "boarding expansion"),
    "teacher_rotation": ("交流轮岗", "teacher rotation"),
    "salary_parity": ("两个不低于", "salary parity"),
    "preschool_expansion": ("学前普及普惠", "preschool expansion"),
    "digital": ("数字化赋能", "digital empowerment"),
    "digital_empowerment": ("数字化赋能", "digital empowerment"),
}

# Plan targets: short printed names by target id; the threshold and deadline are read from
# the plan's data file (sim/standards/targets.toml) so an edited target prints as edited.
TARGET_NAMES: dict[str, tuple[str, str]] = {
    "counties_compulsory": ("义务教育优质均衡达标县", "counties passing the compulsory standard"),
    "counties_preschool": ("学前教育普及普惠达标县", "counties passing the preschool standard"),
    "liannan_communities": ("连南城乡教育共同体", "education communities running in Liannan"),
    "featured_high_schools": ("特色优质普通高中", "featured high-quality high schools"),
}


def _pair(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def check_lang(lang: str) -> str:
    """Return ``lang`` if supported, else raise ``ValueError`` naming the choices."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; allowed: {', '.join(LANGS)}")
    return lang


def county(name: str, lang: str = "en", *, short: bool = True) -> str:
    """Printed county name: English, or Chinese with English in ``zh`` mode.

    ``short`` drops the administrative suffix (连南瑶族自治县 → 连南) for panel titles.
    """
    if name not in COUNTY_NAMES:
        return name
    zh_short, en = COUNTY_NAMES[name]
    if lang == "zh":
        return f"{zh_short if short else name} {en}"
    return en


def stage(name: str, lang: str = "en") -> str:
    """A school stage's label in ``lang``."""
    return _pair(STAGE_NAMES.get(name, (name, name.replace("_", " "))), lang)


def tier(name: str, lang: str = "en") -> str:
    """An urban/town/village tier's label in ``lang``."""
    return _pair(TIER_NAMES.get(name, (name, name)), lang)


def indicator(name: str, lang: str = "en") -> str:
    """A standard indicator's short label in ``lang``."""
    return _pair(INDICATOR_NAMES.get(name, (name, name)), lang)


def indicator_short(name: str, lang: str = "en") -> str:
    """Short indicator name for crowded axes; Chinese with English in ``zh`` mode."""
    zh, en = INDICATOR_SHORT.get(name, (name, name))
    return f"{zh} {en}" if lang == "zh" else en


def level(name: str, lang: str = "en") -> str:
    """A school level's label in ``lang``."""
    return _pair(LEVEL_NAMES.get(name, (name, name)), lang)


def lever(name: str, lang: str = "en") -> str:
    """A lever type's name in ``lang`` (the plan's own words under zh)."""
    return _pair(LEVER_NAMES.get(name, (name, name.replace("_", " "))), lang)


def target(name: str, lang: str = "en") -> str:
    """Printed name of a plan target with its line and deadline ("≥3 by 2027")."""
    spec = TARGETS.get(name)
    zh, en = TARGET_NAMES.get(name, (spec.name_zh, _ascii(spec.name_en)) if spec else
                              (name, name.replace("_", " ")))
    if spec is not None:
        zh += f"≥{spec.threshold:g}({spec.deadline}年)"
        en += f" ≥{spec.threshold:g} by {spec.deadline}"
    return f"{zh} ({en})" if lang == "zh" else en


def target_deadline(name: str) -> int | None:
    """The year by which the plan wants ``name`` met, if the plan's data file knows it."""
    spec = TARGETS.get(name)
    return spec.deadline if spec is not None else None


def _ascii(text: str) -> str:
    """Drop CJK from an English name (English labels must not need a CJK font)."""
    out = "".join(ch for ch in text if ord(ch) < 0x2E80)
    return " ".join(out.replace("()", "").split())


_STUDENT_TIER = re.compile(r"^n_students_(?P<stage>.+)_(?P<tier>urban|town|village)$")
_CV = re.compile(r"^cv_(?P<ind>[a-z_]+?)_(?P<level>primary|junior)$")
_PASSING = re.compile(r"^(?P<kind>n|share)_schools_passing_(?P<level>[a-z]+)$")
_COST = re.compile(r"^cost_yuan_(?P<lever>.+)$")
_BY_LEVEL = re.compile(r"^n_(?P<what>teachers|schools_open)_(?P<level>[a-z]+)$")


def metric_label(name: str) -> MetricLabel:
    """The label of any metric name, by table or by pattern; unknown names print as-is."""
    if name in METRICS:
        return METRICS[name]
    if m := _STUDENT_TIER.match(name):
        st, ti = STAGE_NAMES.get(m["stage"], (m["stage"], m["stage"])), TIER_NAMES[m["tier"]]
        return MetricLabel(f"{st[0]}在校生({ti[0]})", f"{st[1]} students ({ti[1]})", "students")
    if m := _CV.match(name):
        ind = INDICATOR_NAMES.get(m["ind"], (m["ind"], m["ind"]))
        lv = LEVEL_NAMES[m["level"]]
        return MetricLabel(
            f"{lv[0]}{ind[0]}差异系数", f"difference coefficient: {ind[1]} ({lv[1]})", "coefficient"
        )
    if m := _PASSING.match(name):
        lv = LEVEL_NAMES.get(m["level"], (m["level"], m["level"]))
        if m["kind"] == "n":
            return MetricLabel(
                f"{lv[0]}7项指标达标学校数", f"{lv[1]} schools passing 6-of-7 rule", "schools"
            )
        return MetricLabel(
            f"{lv[0]}7项指标达标学校占比", f"share of {lv[1]} schools passing 6-of-7 rule", "share"
        )
    if m := _BY_LEVEL.match(name):
        lv = LEVEL_NAMES.get(m["level"], STAGE_NAMES.get(m["level"], (m["level"], m["level"])))
        if m["what"] == "teachers":
            return MetricLabel(f"{lv[0]}专任教师", f"{lv[1]} teachers", "teachers")
        return MetricLabel(f"在办{lv[0]}学校", f"{lv[1]} schools open", "schools")
    if m := _COST.match(name):
        lv_zh, lv_en = LEVER_NAMES.get(m["lever"], (m["lever"], m["lever"].replace("_", " ")))
        return MetricLabel(f"成本:{lv_zh}", f"cost: {lv_en}", "yuan")
    return MetricLabel(name, name.replace("_", " "), "")


def labelled_metric(name: str) -> bool:
    """Whether ``name`` has a printed label (else it would print as its raw id)."""
    return metric_label(name).zh != name


def metric(name: str, lang: str = "en", *, unit: bool = False) -> str:
    """Printed metric name, optionally with its unit in parentheses."""
    lab = metric_label(name)
    text = lab.text(lang)
    if unit and lab.unit and lab.unit not in ("flag",):
        u = _pair(UNITS.get(lab.unit, (lab.unit, lab.unit)), lang)
        if u:
            text = f"{text} ({u})"
    return text


def fmt_value(name: str, value: float, lang: str = "en") -> str:
    """Format a metric value for text: shares as percent, coefficients to 2 decimals,
    money in the language's magnitudes."""
    if not math.isfinite(value):  # NaN: not defined that year (e.g. a ratio over zero)
        return "n/a"
    unit = metric_label(name).unit
    if unit == "share":
        return f"{100 * value:.1f}".rstrip("0").rstrip(".") + "%"
    if unit in ("coefficient", "ratio"):
        return f"{value:.2f}"
    if unit == "yuan":
        return fmt_yuan(value, lang)
    if abs(value - round(value)) < 1e-9 or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def fmt_yuan(value: float, lang: str = "en") -> str:
    """Money as a reader of the language counts it: 亿元 and 万元 in Chinese (1 亿 = 10^8,
    1 万 = 10^4), bn / m / k yuan in English."""
    a = abs(value)
    if lang == "zh":
        if a >= 1e8:
            return f"{value / 1e8:.2f} 亿元"
        if a >= 1e7:
            return f"{value / 1e4:,.0f} 万元"
        if a >= 1e4:
            return f"{value / 1e4:.1f} 万元"
        return f"{value:.0f} 元"
    if a >= 1e9:
        return f"{value / 1e9:.2f} bn yuan"
    if a >= 1e6:
        return f"{value / 1e6:.1f} m yuan"
    if a >= 1e3:
        return f"{value / 1e3:.0f} k yuan"
    return f"{value:.0f} yuan"
