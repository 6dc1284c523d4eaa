"""What differs between scenarios: their levers and the config values they change.

Policy staff comparing scenarios first ask "what is different in this one?". Runs carry
their resolved config in ``manifest.json``; experiments carry each scenario's resolved
config in ``experiment.json`` (``scenario_configs``). Both reduce to the same two tables.
"""

from __future__ import annotations

from typing import Any

from sim.plots.common import tr
from sim.report.lever_words import describe, word

IGNORED = ("levers", "name", "description")


def flatten(d: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts as dotted keys (``workforce.salary_parity``)."""
    if isinstance(d, dict):
        out: dict[str, Any] = {}
        for k, v in d.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: d}


def describe_levers(levers: list[dict[str, Any]], lang: str) -> list[str]:
    """One readable sentence per lever entry (name, years, counties, settings)."""
    return [describe(lv, lang) for lv in levers]


def lever_table(labels: list[str], configs: list[dict[str, Any] | None],
                lang: str) -> tuple[list[str], list[list[str]]]:
    """Scenario → levers switched on. ``None`` config: not recorded."""
    header = [tr(lang, "情景", "scenario"), tr(lang, "政策杠杆", "levers")]
    rows = []
    for label, cfg in zip(labels, configs, strict=True):
        if cfg is None:
            text = tr(lang, "未记录", "not recorded")
        else:
            levers = [lv for lv in cfg.get("levers") or [] if isinstance(lv, dict)]
            text = "; ".join(describe_levers(levers, lang)) or tr(lang, "无", "none")
        rows.append([label, text])
    return header, rows


def settings_table(labels: list[str], configs: list[dict[str, Any] | None],
                   lang: str) -> tuple[list[str], list[list[str]]]:
    """Config values that differ between the scenarios that recorded a config."""
    known = [(lab, flatten({k: v for k, v in cfg.items() if k not in IGNORED}))
             for lab, cfg in zip(labels, configs, strict=True) if cfg]
    if len(known) < 2:
        return [], []
    keys = sorted(set().union(*(f for _, f in known)))
    differing = [k for k in keys if len({repr(f.get(k)) for _, f in known}) > 1]
    header = [tr(lang, "设置", "setting"), *[lab for lab, _ in known]]
    return header, [[k, *[_text(f.get(k, "–"), lang) for _, f in known]] for k in differing]


def _text(value: Any, lang: str = "en") -> str:
    """Config values as written by people: 0.15, not 0.15000000000000002; lists as words,
    never a Python repr."""
    if value is None:
        return tr(lang, "无", "none")
    if isinstance(value, bool):
        return tr(lang, "是" if value else "否", "yes" if value else "no")
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list | tuple):
        return ("、" if lang == "zh" else ", ").join(word(str(v), lang) for v in value) or "–"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v, lang)}" for k, v in value.items())
    return str(value)
