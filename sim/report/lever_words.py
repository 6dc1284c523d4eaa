"""Levers as sentences a reader of either language can follow, and their costs counted once.

A config lists levers as ``[[levers]]`` tables (``type = "layout_optimisation"``,
``counties = ["佛冈县"]``, ``max_closures_per_year = 21`` ...). Policy staff read neither the
registry names nor Python values, so each setting is printed with its name and unit in the
report's language: "布局优化:2024年;佛冈;可关闭类型:教学点;每县每年最多关闭 21 所".
A key this table does not know prints its English words (never ``None`` or brackets).

Costs are per lever *type* (``cost_yuan_<type>`` in ``county_year``): a config with four
layout entries has one layout cost, so the cost is reported once per type, not per entry.
"""

from __future__ import annotations

import functools
from typing import Any

from sim.plots import labels as lbl

# Parameter key → (Chinese name, English name, unit). Units: "year", "yuan", "share", "sd"
# (quality, in standard deviations), "km", "" (a count or a plain number), "bool", "list".
PARAMS: dict[str, tuple[str, str, str]] = {
    "start_year": ("起始", "from", "year"),
    "end_year": ("截止", "to", "year"),
    "counties": ("县(市、区)", "counties", "list"),
    "exclude_counties": ("不含", "except", "list"),
    "schools": ("学校", "schools", "list"),
    "school_types": ("学校类型", "school types", "list"),
    "close_types": ("可撤并类型", "types that may close", "list"),
    "lead_types": ("牵头学校类型", "lead school types", "list"),
    "beds_per_year": ("每年新增床位", "beds a year", ""),
    "boarding_distance_km": ("寄宿距离线", "boarding distance line", "km"),
    "bed_cost_yuan": ("每张床位造价", "cost per bed", "yuan"),
    "bed_running_yuan": ("每张床位年运行费", "running cost per bed-year", "yuan"),
    "schools_per_county": ("每县帮扶学校数", "schools per county", ""),
    "select": ("选取", "choose", "word"),
    "quality_uplift_per_year": ("年质量提升", "quality gain a year", "sd"),
    "max_uplift": ("质量提升上限", "cap of the quality gain", "sd"),
    "outflow_reduction": ("优生外流减少", "cut of top-student outflow", "share"),
    "training_places_per_school": ("每校年培训名额", "training places per school a year", ""),
    "place_cost_yuan": ("每个学位/名额成本", "cost per place", "yuan"),
    "support_fee_yuan": ("每校年托管费", "support fee per school-year", "yuan"),
    "uplift_per_year": ("年质量提升", "quality gain a year", "sd"),
    "cost_per_pupil_yuan": ("生均年成本", "cost per pupil-year", "yuan"),
    "classrooms_per_year": ("每年多媒体教室", "multimedia classrooms a year", ""),
    "remote_lessons": ("专递课堂", "remote lessons", "bool"),
    "remote_uplift_per_year": ("专递课堂年质量提升", "remote-lesson gain a year", "sd"),
    "remote_max_uplift": ("专递课堂提升上限", "cap of the remote-lesson gain", "sd"),
    "multimedia_yuan": ("每间多媒体教室成本", "cost per multimedia classroom", "yuan"),
    "remote_yuan_per_school": ("每校年专递课堂成本", "remote lessons per school-year", "yuan"),
    "choice_reduction": ("跨片择校减少", "cut of cross-catchment choice", "share"),
    "cost_per_county_yuan": ("每县年成本", "cost per county-year", "yuan"),
    "n_groups": ("每县集团数", "groups per county", ""),
    "groups_per_year": ("每县每年组建集团", "groups formed per county a year", ""),
    "townships_per_group": ("每个集团乡镇数", "townships per group", ""),
    "rotation_share": ("牵头校年交流比例", "share of the lead's teachers rotating", "share"),
    "backbone_share": ("骨干教师占比下限", "least backbone share", "share"),
    "stint_years": ("交流年限", "years a stint lasts", ""),
    "member_uplift_per_year": ("成员校年质量提升", "members' quality gain a year", "sd"),
    "lead_uplift_per_year": ("牵头校年质量提升", "lead's quality gain a year", "sd"),
    "small_school_pupils": ("小规模学校人数线", "small-school size line", ""),
    "shared_lesson_uplift": ("共享课堂质量提升", "shared-lesson quality gain", "sd"),
    "mentoring_rate": ("结对帮扶比例", "mentoring rate", "share"),
    "cost_per_group_yuan": ("每个集团年成本", "cost per group-year", "yuan"),
    "allowance_yuan": ("交流教师年补贴", "allowance per rotating teacher-year", "yuan"),
    "min_pupils": ("撤并人数线", "closure size line (pupils)", ""),
    "forecast": ("按5年预测判断", "judged on the 5-year forecast", "bool"),
    "max_closures_per_year": ("每县每年最多撤并", "most closures per county a year", ""),
    "keep_beyond_km": ("保留距离线", "keep a school farther than", "km"),
    "beds_for_displaced": ("为撤并寄宿生建床位", "beds for displaced boarders", "bool"),
    "bus_route_yuan": ("每个撤并点年校车费", "school bus per closed site-year", "yuan"),
    "urban_places_per_year": ("城区每年新增学位", "county-seat seats a year", ""),
    "new_school_places": ("新校学位数", "seats of a new school", ""),
    "public_places_per_year": ("每年新增公办园学位", "public kindergarten seats a year", ""),
    "places_end_year": ("建设学位截止", "seats built until", "year"),
    "switch_per_place": ("每个学位转入公办园幼儿", "children switching per seat", ""),
    "attendance_gain_per_place": ("每个学位新增入园", "new attendance per seat", ""),
    "puhui_conversions_per_year": ("每县每年认定普惠园", "普惠 recognitions per county a year",
                                   ""),
    "public_conversions_per_year": ("每县每年转公办园", "public conversions per county a year",
                                    ""),
    "puhui_conversion_yuan": ("每次普惠认定成本", "cost per 普惠 recognition", "yuan"),
    "public_conversion_yuan": ("每次转公办成本", "cost per public conversion", "yuan"),
    "share_per_year": ("每年选配校长的乡村学校比例", "share of rural schools a year", "share"),
    "selected_mean": ("选配校长平均水平", "mean quality of selected principals", "sd"),
    "selected_sd": ("选配校长水平离散度", "spread of selected principals", "sd"),
    "training_gain": ("校长年培训提升", "principals' yearly training gain", "sd"),
    "max_quality": ("培训提升上限", "training cap", "sd"),
    "selection_cost_yuan": ("每名选配校长成本", "cost per selected principal", "yuan"),
    "training_cost_yuan": ("每名校长年培训成本", "training per principal-year", "yuan"),
    "rate": ("年交流轮岗比例", "share rotating a year", "share"),
    "parity": ("工资对标程度", "pay parity", "share"),
    "reference_pay_yuan": ("公务员参照年薪", "reference civil-service pay", "yuan"),
    "gap_reduction": ("留守儿童成绩差距缩小", "cut of the left-behind gap", "share"),
    "dropout_reduction": ("辍学减少", "cut of dropout", "share"),
    "places_per_rural_teacher": ("每名乡村教师年培训名额", "training places per rural teacher",
                                 ""),
    "gap_close_per_year": ("每年补齐差距比例", "share of each gap closed a year", "share"),
    "facility_target": ("办学条件目标(标准倍数)", "aim (multiple of the lines)", ""),
    "directed_places_per_school": ("每校每年定向招聘", "directed hires per school a year", ""),
    "classroom_yuan": ("每间教室成本", "cost per classroom", "yuan"),
    "floor_m2_yuan": ("每平方米校舍造价", "cost per m² of floor space", "yuan"),
    "sports_m2_yuan": ("每平方米运动场造价", "cost per m² of sports ground", "yuan"),
    "posts_per_township": ("每个乡镇每年共享体艺岗位", "shared PE/art posts per township a year",
                           ""),
    "teacher_year_yuan": ("每个岗位年薪", "pay per post-year", "yuan"),
    "cost_per_township_yuan": ("每个乡镇年管理成本", "management per township-year", "yuan"),
    "continuation_gain": ("升学率提升", "rise of senior continuation", "share"),
    "schools_per_year": ("每县每年改造学校", "schools upgraded per county a year", ""),
    "quality_uplift": ("质量提升", "quality gain", "sd"),
    "campus_cost_yuan": ("每校改造成本", "upgrade cost per school", "yuan"),
    "training_places": ("培训名额", "training places", ""),
}

# School types (sim.core.names.SCHOOL_TYPES) and other words a list or choice may hold.
WORDS: dict[str, tuple[str, str]] = {
    "kg_public": ("公办幼儿园", "public kindergartens"),
    "kg_puhui": ("普惠性民办园", "inclusive private kindergartens"),
    "kg_private": ("营利性民办园", "for-profit kindergartens"),
    "teaching_point": ("教学点", "teaching points"),
    "village_primary": ("村小", "village primaries"),
    "central_primary": ("乡镇中心小学", "township central primaries"),
    "urban_primary": ("城区小学", "county-seat primaries"),
    "nine_year": ("九年一贯制学校", "nine-year schools"),
    "junior": ("初级中学", "junior secondaries"),
    "complete_middle": ("完全中学", "complete middle schools"),
    "county_high": ("县中", "county high schools"),
    "city_high": ("市属高中", "city high schools"),
    "vocational": ("中职", "vocational schools"),
    "special": ("特殊教育学校", "special schools"),
    "largest": ("规模最大的", "the largest"),
    "strongest": ("质量最好的", "the strongest"),
    "weakest": ("质量最弱的", "the weakest"),
}


def word(value: str, lang: str) -> str:
    """A county, school type or choice in ``lang``; unknown words print with spaces."""
    if value in lbl.COUNTY_NAMES:
        return lbl.county(value, lang) if lang == "en" else lbl.COUNTY_NAMES[value][0]
    zh, en = WORDS.get(value, (value, value.replace("_", " ")))
    return zh if lang == "zh" else en


def param_value(key: str, value: Any, lang: str) -> str:
    """One setting's value as words: 21 所, 3.0%, 0.04 SD, 1.5 亿元, 教学点、村小."""
    unit = PARAMS.get(key, ("", "", ""))[2]
    if value is None:
        return "全部" if lang == "zh" else "all"
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, list | tuple):
        sep = "、" if lang == "zh" else ", "
        return sep.join(word(str(v), lang) for v in value) or ("无" if lang == "zh" else "none")
    if isinstance(value, str):
        return word(value, lang)
    if unit == "yuan":
        return lbl.fmt_yuan(float(value), lang)
    if unit == "share":
        return f"{100 * float(value):.3g}%"
    if unit == "sd":
        return f"{float(value):.3g} SD"
    if unit == "km":
        return f"{float(value):.3g} " + ("公里" if lang == "zh" else "km")
    if unit == "year":
        return f"{int(value)}" + ("年" if lang == "zh" else "")
    return f"{float(value):,.6g}"


def param_name(key: str, lang: str) -> str:
    """The printed name of a lever setting (English words for a key this table lacks)."""
    zh, en, _ = PARAMS.get(key, (key.replace("_", " "), key.replace("_", " "), ""))
    return zh if lang == "zh" else en


def _window(lv: dict[str, Any], lang: str) -> str:
    start, end = lv.get("start_year"), lv.get("end_year")
    if start is None and end is None:
        return ""
    if lang == "zh":
        if end is None:
            return f"自{start}年起"
        return f"{start}年" if start == end else f"{start}–{end}年"
    if end is None:
        return f"from {start}"
    return f"in {start}" if start == end else f"{start}–{end}"


def _where(lv: dict[str, Any], lang: str) -> str:
    sep = "、" if lang == "zh" else ", "
    counties = lv.get("counties")
    text = (sep.join(word(c, lang) for c in counties) if counties
            else ("全市各县" if lang == "zh" else "every county"))
    if lv.get("exclude_counties"):
        ex = sep.join(word(c, lang) for c in lv["exclude_counties"])
        text += f"(不含{ex})" if lang == "zh" else f" except {ex}"
    return text


@functools.cache
def lever_defaults(kind: str) -> dict[str, Any]:
    """The default of every setting of lever ``kind`` (empty for an unknown type)."""
    from sim.levers import REGISTRY, _load_all

    _load_all()
    cls = REGISTRY.get(kind)
    if cls is None:
        return {}
    out = {}
    for name, field in cls.Params.model_fields.items():
        if field.default_factory is not None:
            out[name] = field.default_factory()
        elif not field.is_required():
            out[name] = field.default
    return out


def describe(lv: dict[str, Any], lang: str, *, name: bool = True) -> str:
    """One lever entry as a sentence: its name, years, counties, then the settings that
    differ from the lever's defaults (a manifest records every default; the reader wants
    what the config chose)."""
    kind = str(lv.get("type", "?"))
    defaults = lever_defaults(kind)
    parts = [p for p in (_window(lv, lang), _where(lv, lang)) if p]
    for key, value in lv.items():
        if key in ("type", "start_year", "end_year", "counties", "exclude_counties"):
            continue
        if key in defaults and defaults[key] == value:
            continue
        sep = ":" if lang == "zh" else ": "
        parts.append(f"{param_name(key, lang)}{sep}{param_value(key, value, lang)}")
    joined = (";" if lang == "zh" else "; ").join(parts)
    colon = ":" if lang == "zh" else ": "
    if not name:
        return joined
    return f"{lbl.lever(kind, lang)}{colon}{joined}" if joined else lbl.lever(kind, lang)
