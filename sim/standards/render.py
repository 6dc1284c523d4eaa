"""Readable tables (Chinese and English) and JSON objects from an evaluation.

Kept apart from the evaluator so the model never pays for formatting. Column widths
count East Asian wide characters as two terminal columns, so Chinese names line up.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any

import numpy as np
import pandas as pd

from sim.standards.evaluator import CompulsoryEvaluation, level_label
from sim.standards.judge import FAILED, MET, NOT_ASSESSED
from sim.standards.preschool import PreschoolEvaluation
from sim.standards.spec import LEVELS

_MARK = {MET: "ok", FAILED: "FAIL", NOT_ASSESSED: "n/a"}
_STATUS_ZH = {"passes": "达标 passes", "fails": "未达标 fails", "incomplete": "资料不全 incomplete"}


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * max(0, width - _width(text))
    return fill + text if right else text + fill


def _table(headers: list[str], rows: list[list[str]], right: set[int], indent: str = "  ") -> str:
    widths = [max(_width(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    lines = []
    for row in [headers, *rows]:
        cells = [_pad(c, widths[i], i in right) for i, c in enumerate(row)]
        lines.append(indent + "  ".join(cells).rstrip())
    return "\n".join(lines)


def fmt(value: Any, digits: int = 2) -> str:
    """A number for a table: blanks for NaN, thousands grouped, yes/no never needed here."""
    if value is None:
        return "-"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(v):
        return "-"
    if math.isinf(v):
        return "∞"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if float(v).is_integer() and abs(v) < 1000 and digits <= 2:
        return f"{v:.{digits}f}" if abs(v) < 100 else f"{v:.0f}"
    return f"{v:.{digits}f}"


def _value(value: float, op: str, unit: str) -> str:
    if op in ("true", "false"):
        if math.isnan(value):
            return "-"
        return "yes" if value >= 0.5 else "no"
    if unit == "share" and not math.isnan(value) and not math.isinf(value):
        return f"{value:.1%}"
    return fmt(value)


def _threshold(threshold: float, op: str, unit: str) -> str:
    if op == "true":
        return "must be yes"
    if op == "false":
        return "must be no"
    sign = "≥" if op == ">=" else "≤"
    if unit == "share":
        return f"{sign} {threshold:.0%}"
    return f"{sign} {fmt(threshold)}"


def _clean(value: Any) -> Any:
    """JSON-safe scalars: NaN/inf → None, numpy types → Python."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _clean(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


# --------------------------------------------------------------------------------------
# compulsory
# --------------------------------------------------------------------------------------


def _standard_header(std: Any) -> dict[str, str]:
    """Which standard a JSON verdict applies: id, names and the document it comes from."""
    s = std.standard
    return {"id": s.id, "name_zh": s.name_zh, "name_en": s.name_en, "document": s.document}


def compulsory_to_dict(ev: CompulsoryEvaluation) -> dict[str, Any]:
    """Per county and level: coefficients, county values, every school's flags, verdict."""
    std = ev.standard
    ids = [i.id for i in std.indicators]
    out: dict[str, Any] = {
        "standard": _standard_header(std),
        "counties": {},
    }
    for row in ev.counties.to_dict(orient="records"):
        county = row["county"]
        levels: dict[str, Any] = {}
        for level in LEVELS:
            if row[f"n_schools_{level}"] == 0:
                continue
            ind = ev.indicators[(ev.indicators["county"] == county) & (ev.indicators["level"] == level)]
            sch = ev.schools[(ev.schools["county"] == county) & (ev.schools["level"] == level)]
            levels[level] = {
                "n_schools": row[f"n_schools_{level}"],
                "n_passing": row[f"n_passing_{level}"],
                "coefficient_limit": _clean(float(std.coefficient[level])),
                "coefficients": {
                    r["indicator"]: {
                        "value": _clean(r["cv"]),
                        "limit": _clean(r["cv_limit"]),
                        "ok": bool(r["cv_ok"]),
                        "unweighted": _clean(r["cv_unweighted"]),
                    }
                    for r in ind.to_dict(orient="records")
                },
                "county_values": {
                    r["indicator"]: {
                        "value": _clean(r["county_value"]),
                        "threshold": _clean(r["threshold"]),
                        "lowest_school": _clean(r["min_value"]),
                        "n_schools_below": int(r["n_below"]),
                        "shortfall": _clean(r["shortfall"]),
                        "shortfall_unit": r["resource_unit"],
                    }
                    for r in ind.to_dict(orient="records")
                },
                "schools": [
                    {
                        "school": s["school"],
                        "students": _clean(s["students"]),
                        "combined": bool(s["combined"]),
                        "passes": bool(s["passes"]),
                        "n_met": int(s["n_met"]),
                        "values": {i: _clean(s[f"v_{i}"]) for i in ids},
                        "met": {i: bool(s[f"met_{i}"]) for i in ids},
                    }
                    for s in sch.to_dict(orient="records")
                ],
            }
        crit = ev.criteria[ev.criteria["county"] == county]
        out["counties"][county] = {
            **_verdict_fields(row),
            "resources_pass": bool(row["resources_pass"]),
            "levels": levels,
            "excluded": _records(ev.excluded[ev.excluded["county"] == county].drop(columns="county")),
            "criteria": _records(crit.drop(columns="county")),
            "gaps": _records(ev.gaps[ev.gaps["county"] == county].drop(columns="county")),
        }
    return out


def compulsory_text(ev: CompulsoryEvaluation, *, schools: bool = True) -> str:
    """The per-county report a bureau reads: verdict, binding criteria, indicator table."""
    std = ev.standard
    blocks = [
        f"{std.standard.name_zh} ({std.standard.document})\n{std.standard.name_en}",
    ]
    for row in ev.counties.to_dict(orient="records"):
        county = row["county"]
        lines = [
            "=" * 78,
            f"{county}: {_STATUS_ZH[row['status']]}",
            f"  verdict: {row['verdict']}",
        ]
        gaps = ev.gaps[ev.gaps["county"] == county]
        if len(gaps):
            lines.append("  未达标项 / failing criteria (worst first):")
            for g in gaps.to_dict(orient="records"):
                lines.append("    - " + _gap_line(g, std))
        for level in LEVELS:
            lines.extend(_level_block(ev, row, level, schools))
        lines.extend(_county_items_block(ev, county))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _level_block(ev: CompulsoryEvaluation, row: dict[str, Any], level: str, schools: bool) -> list[str]:
    """One level of one county: schools passing, the indicator table, optionally each school."""
    std, county = ev.standard, row["county"]
    n = row[f"n_schools_{level}"]
    if n == 0:
        return [f"\n  {level_label(level)}: no schools in the table (not assessed)"]
    excl = ev.excluded[ev.excluded["county"] == county]
    note = ""
    if level == "primary" and len(excl):
        pairs = zip(excl["school"], excl["reason"], strict=True)
        note = "; excluded: " + ", ".join(f"{s} ({r})" for s, r in pairs)
    lines = [f"\n  {level_label(level)}: {n} schools, {row[f'n_passing_{level}']} pass the 6-of-7 rule{note}"]
    ind = ev.indicators[(ev.indicators["county"] == county) & (ev.indicators["level"] == level)]
    rows = []
    for r in ind.to_dict(orient="records"):
        spec = std.indicators[int(r["no"]) - 1]
        rows.append(
            [
                str(r["no"]),
                spec.short_zh,
                spec.short_en,
                fmt(r["threshold"]),
                fmt(r["county_value"]),
                fmt(r["min_value"]),
                str(r["n_below"]),
                fmt(r["cv"], 3),
                "ok" if r["cv_ok"] else "FAIL",
            ]
        )
    cv_head = f"CV(≤{std.coefficient[level]:.2f})"
    header = ["#", "指标", "indicator", "threshold", "county", "lowest", "below", cv_head, ""]
    lines.append(_table(header, rows, right={3, 4, 5, 6, 7}, indent="    "))
    if schools:
        lines.extend(_school_rows_block(ev, county, level))
    return lines


def _school_rows_block(ev: CompulsoryEvaluation, county: str, level: str) -> list[str]:
    """Each school's indicator values, marked below the threshold (x) or below its 85% floor (!)."""
    std = ev.standard
    inds = std.indicators
    sch = ev.schools[(ev.schools["county"] == county) & (ev.schools["level"] == level)]
    srows = []
    for s in sch.to_dict(orient="records"):
        cells = [s["school"] + (" *" if s["combined"] else ""), fmt(s["students"], 0)]
        for spec in inds:
            v = s[f"v_{spec.id}"]
            mark = ""
            if not s[f"met_{spec.id}"]:
                below_floor = v < std.per_school_rule.floor_ratio * spec.threshold[level]
                mark = "!" if below_floor else "x"
            cells.append(fmt(v, 0 if spec.per == 1 and spec.threshold[level] >= 100 else 2) + mark)
        cells.append("pass" if s["passes"] else "FAIL")
        srows.append(cells)
    return [
        "    schools (x below threshold, ! below 85% of it, * combined school split 1:1.1):",
        _table(
            ["school", "students", *[str(i.no) for i in inds], "6-of-7"],
            srows,
            right=set(range(1, 2 + len(inds))),
            indent="      ",
        ),
    ]


def _county_items_block(ev: CompulsoryEvaluation, county: str) -> list[str]:
    """The county-level items (guarantees, quality, recognition, vetoes) with their status."""
    crit = ev.criteria[(ev.criteria["county"] == county) & (ev.criteria["level"] == "")]
    irows = []
    for c in crit.to_dict(orient="records"):
        if c["criterion"] in ("school_size", "class_size"):
            value = "-" if math.isnan(c["value"]) else f"{int(c['value'])} over"
            required = "no school over"
        else:
            value = _value(c["value"], c["op"], c["unit"])
            required = _threshold(c["threshold"], c["op"], c["unit"])
        irows.append([c["name_zh"], c["criterion"], value, required, _MARK[c["status"]]])
    return [
        "\n  county items (保障、质量、认可度、否决项):",
        _table(["项目", "item", "value", "required", ""], irows, right={2}, indent="    "),
    ]


def _gap_line(g: dict[str, Any], std: Any) -> str:
    """One failing criterion: what, how far from the threshold, how many schools."""
    level = f"[{level_label(g['level'])}] " if g["level"] else ""
    kind = g["kind"]
    spec = next((i for i in std.indicators if i.id == g["indicator"]), None)
    name = f"{spec.short_zh} {spec.short_en}" if spec else f"{g['name_zh']} / {g['name_en']}"
    if kind == "resources":
        return (
            f"{level}{g['name_zh']} / every school meets 6 of 7: "
            f"{int(g['n_schools_failing'])} school(s) fail the rule"
        )
    if kind == "school_indicator" and spec is not None:
        unit = "per 100 students" if spec.per == 100 else "per student"
        return (
            f"{level}{name}: lowest school {fmt(g['value'])} < {fmt(g['threshold'])} {unit}; "
            f"{int(g['n_schools_failing'])} school(s) below; to bring every school up: "
            f"+{fmt(g['shortfall'], 1)} {spec.resource_unit}"
        )
    if kind == "coefficient":
        return (
            f"{level}{name} difference coefficient 差异系数: {fmt(g['value'], 3)} > "
            f"{fmt(g['threshold'])} (gap {fmt(g['gap'], 3)}); "
            f"{int(g['n_schools_failing'])} school(s) below the threshold"
        )
    if g["criterion"] in ("school_size", "class_size"):
        return (
            f"{g['name_zh']} / {g['name_en']}: {int(g['value'])} school(s) over the limit "
            f"(gap {fmt(g['gap'], 0)} students)"
        )
    return (
        f"{g['name_zh']} / {g['name_en']}: {_value(g['value'], g['op'], g['unit'])}, "
        f"required {_threshold(g['threshold'], g['op'], g['unit'])}"
    )


# --------------------------------------------------------------------------------------
# preschool
# --------------------------------------------------------------------------------------


def preschool_to_dict(ev: PreschoolEvaluation) -> dict[str, Any]:
    """Per county: each indicator's value, threshold and status, and the verdict."""
    std = ev.standard
    out: dict[str, Any] = {
        "standard": _standard_header(std),
        "counties": {},
    }
    inputs = ev.inputs.set_index("county")
    for row in ev.counties.to_dict(orient="records"):
        county = row["county"]
        crit = ev.criteria[ev.criteria["county"] == county]
        out["counties"][county] = {
            **_verdict_fields(row),
            "core_pass": bool(row["core_pass"]),
            "inputs": {k: _clean(v) for k, v in inputs.loc[county].items()},
            "indicators": {
                r["criterion"]: {k: _clean(v) for k, v in r.items() if k not in ("county", "criterion")}
                for r in crit.to_dict(orient="records")
            },
        }
    return out


def preschool_text(ev: PreschoolEvaluation) -> str:
    """Per-county table of the preschool indicators with the verdict."""
    std = ev.standard
    blocks = [f"{std.standard.name_zh} ({std.standard.document})\n{std.standard.name_en}"]
    for row in ev.counties.to_dict(orient="records"):
        county = row["county"]
        crit = ev.criteria[ev.criteria["county"] == county]
        rows = [
            [
                c["name_zh"],
                c["criterion"],
                _value(c["value"], c["op"], c["unit"]),
                _threshold(c["threshold"], c["op"], c["unit"]),
                _MARK[c["status"]],
            ]
            for c in crit.to_dict(orient="records")
        ]
        lines = [
            "=" * 78,
            f"{county}: {_STATUS_ZH[row['status']]}",
            f"  verdict: {row['verdict']}",
            _table(["指标", "indicator", "value", "required", ""], rows, right={2}, indent="    "),
        ]
        gaps = ev.gaps[ev.gaps["county"] == county]
        if len(gaps):
            lines.append("  未达标项 / failing criteria (worst first):")
            for g in gaps.to_dict(orient="records"):
                lines.append(
                    f"    - {g['name_zh']} / {g['name_en']}: "
                    f"{_value(g['value'], g['op'], g['unit'])}, "
                    f"required {_threshold(g['threshold'], g['op'], g['unit'])}"
                )
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _verdict_fields(row: dict) -> dict:
    """The county verdict fields both standards' JSON share."""
    return {
        "verdict": row["verdict"],
        "status": row["status"],
        "passes": bool(row["passes"]),
        "passes_assessed_criteria": bool(row["passes_assessed"]),
        "n_failed": row["n_failed"],
        "n_not_assessed": row["n_not_assessed"],
        "binding": list(row["binding"]),
    }
