"""The Solara page: choices on the left, scorecard, map and tables on the right.

State is per browser session (Solara reactive variables live in each virtual kernel). A run
executes in a background task so the page stays live and shows progress for the full city.
Served by ``python -m sim app`` (``sim.cli.app``); the config to open first is read from the
``QYSIM_APP_CONFIG`` environment variable that command sets.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pandas as pd
import solara
import solara.lab

from sim.app import session as runs
from sim.config import COUNTIES
from sim.core.errors import InputError
from sim.plots import labels as lbl
from sim.plots.maps import VERDICT_METRICS, county_map, county_name, county_values, verdict_words

CONFIG_ENV = "QYSIM_APP_CONFIG"  # set by sim.cli.app


def _configs() -> dict[str, Path | None]:
    return runs.shipped_configs(os.environ.get(CONFIG_ENV) or None)


def _initial_name() -> str:
    return next(iter(_configs()))


_first = runs.load_choice(_configs()[_initial_name()])
config_name = solara.reactive(_initial_name())
counties = solara.reactive(list(_first.counties))
levers = solara.reactive(runs.lever_choices(_first))
births_scale = solara.reactive(_first.demography.births_scale)
births_trend = solara.reactive(_first.demography.births_trend)
session = solara.reactive(None)  # runs.Session | None
error = solara.reactive("")
map_metric = solara.reactive("passes_preschool_standard")
revision = solara.reactive(0)  # bumped after each step or run so the results re-render


def _choose_config(name: str) -> None:
    config_name.value = name
    cfg = runs.load_choice(_configs()[name])
    counties.value = list(cfg.counties)
    levers.value = runs.lever_choices(cfg)
    births_scale.value = cfg.demography.births_scale
    births_trend.value = cfg.demography.births_trend
    session.value = None


def _current_config():
    base = runs.load_choice(_configs()[config_name.value])
    return runs.build_config(base, counties.value, levers.value, births_scale.value, births_trend.value)


def _fresh_session() -> runs.Session | None:
    """The session for the current choices: kept if they did not change, else a new one."""
    try:
        cfg = _current_config()
    except InputError as exc:
        error.value = str(exc)
        return None
    error.value = ""
    old = session.value
    if old is not None and old.config == cfg and not old.done:
        return old
    return runs.Session(cfg)


@solara.lab.task
def run_task(mode: str) -> None:
    """Step one year or run to the end, in a worker thread, reporting progress."""
    sess = _fresh_session()
    if sess is None:
        return
    run_task.progress = 0.0
    if mode == "step":
        sess.build()
        sess.step()
    else:
        sess.run(progress=lambda share: setattr(run_task, "progress", 100.0 * share),
                 cancelled=lambda: not run_task.is_current())
    session.value = sess
    revision.value += 1


def _set_lever(i: int, **changes) -> None:
    rows = list(levers.value)
    row = rows[i]
    if "enabled" in changes:
        row = runs.LeverChoice(dict(row.spec), bool(changes["enabled"]), row.from_config)
    if "param" in changes:
        key, value = changes["param"]
        spec = dict(row.spec)
        spec[key] = value
        row = runs.LeverChoice(spec, row.enabled, row.from_config)
    rows[i] = row
    levers.value = rows


def _set_county(county: str, on: bool) -> None:
    chosen = set(counties.value) | {county} if on else set(counties.value) - {county}
    counties.value = [c for c in COUNTIES if c in chosen]


@solara.component
def lever_row(i: int, choice: runs.LeverChoice) -> None:
    """A lever's switch and, when on, its key numeric parameters."""
    zh, en = lbl.lever(choice.type, "zh"), lbl.lever(choice.type, "en")
    name = en if zh == choice.type else f"{zh} {en}"
    where = choice.spec.get("counties")
    label = name + (f" ({', '.join(lbl.county(c, 'zh').split(' ')[0] for c in where)})" if where else "")
    solara.Switch(label=label, value=choice.enabled, on_value=lambda v: _set_lever(i, enabled=v),
                  classes=[f"lever-{choice.type}"])
    if choice.enabled:
        with solara.Row(style={"padding-left": "2.5em", "flex-wrap": "wrap"}):
            for p in runs.key_parameters(choice):
                def setter(v, key=p.key, integer=p.integer):
                    if v is not None:
                        _set_lever(i, param=(key, int(v) if integer else float(v)))
                if p.integer:
                    solara.InputInt(p.key, value=int(p.value), on_value=setter, continuous_update=False)
                else:
                    solara.InputFloat(p.key, value=p.value, on_value=setter, continuous_update=False)


@solara.component
def controls() -> None:
    """Config, counties, births, levers and the run buttons."""
    solara.Select("方案 Config", values=list(_configs()), value=config_name.value, on_value=_choose_config)
    solara.Markdown("**县 Counties**")
    with solara.Row(style={"flex-wrap": "wrap"}):
        for county in COUNTIES:
            solara.Checkbox(label=lbl.county(county, "zh"), value=county in counties.value,
                            on_value=lambda v, c=county: _set_county(c, v))
    solara.Markdown("**出生假设 Birth assumptions**")
    solara.SliderFloat("出生规模 births scale", value=births_scale, min=0.5, max=1.5, step=0.05)
    solara.SliderFloat("年变化 yearly trend", value=births_trend, min=-0.3, max=0.3, step=0.01)
    with solara.Row():
        busy = run_task.pending
        solara.Button("单步一年 Step one year", on_click=lambda: run_task("step"), disabled=busy)
        solara.Button("运行到2027 Run to 2027", on_click=lambda: run_task("run"), disabled=busy,
                      color="primary")
    if run_task.pending:
        solara.ProgressLinear(run_task.progress or True)
        solara.Text(f"运行中 running… {run_task.progress or 0:.0f}%", classes=["progress-text"])
    if error.value:
        solara.Error(error.value)
    if run_task.error:
        solara.Error(f"{run_task.exception}")
    solara.Markdown("**政策杠杆 Levers**")
    for i, choice in enumerate(levers.value):
        lever_row(i, choice)


def _markdown_table(df: pd.DataFrame) -> str:
    head = "| " + " | ".join(df.columns) + " |\n|" + "---|" * len(df.columns) + "\n"
    rows = ("| " + " | ".join(str(v) for v in row) + " |\n" for row in df.itertuples(index=False))
    return head + "".join(rows)


def _metric_name(metric: str) -> str:
    """A map metric as listed: Chinese and English where a label exists, else its key."""
    zh, en = lbl.metric(metric, "zh"), lbl.metric(metric, "en")
    return f"{zh} {en}" if zh != metric else metric


def _map_png(sess: runs.Session, metric: str) -> tuple[bytes, str]:
    """The scenario's county map as PNG, and its values as text (read by people and tests)."""
    cy = sess.scenario.county_year()
    fig = county_map(cy, metric, year=sess.year, lang="zh")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    values, _ = county_values(cy, metric, sess.year)
    zh, en = verdict_words("zh"), verdict_words("en")

    def show(v: float) -> str:
        if metric not in VERDICT_METRICS:
            return lbl.fmt_value(metric, v)
        k = -1 if v != v else int(v >= 0.5)
        return f"{zh[k]} {en[k]}"

    text = "; ".join(f"{county_name(c, 'zh')} {county_name(c, 'en')}: {show(v)}" for c, v in values.items())
    return buf.getvalue(), text


@solara.component
def results() -> None:
    """Scorecard, county verdicts, map and summary of the current session."""
    sess = session.value
    _ = revision.value
    if sess is None or not sess.built:
        solara.Info("尚未运行：选择后点“运行到2027”或“单步一年”。 Not run yet: choose, then Run or Step.")
        return
    n_on = len(sess.config.levers)
    with solara.Div(classes=["results-head"]):
        solara.Markdown(f"### {sess.year}年 school year {sess.year} · {n_on} 项杠杆 levers on")
    with solara.Div(classes=["scorecard"]):
        solara.Markdown("**规划目标记分卡 Plan scorecard**\n\n" + _markdown_table(runs.scorecard(sess)))
    with solara.Div(classes=["county-verdicts"]):
        solara.Markdown("**各县达标 County verdicts**\n\n" + _markdown_table(runs.county_verdicts(sess)))
    metrics = runs.map_metrics(sess)
    metric = map_metric.value if map_metric.value in metrics else metrics[0]
    names = {_metric_name(m): m for m in metrics}
    solara.Select("地图指标 Map metric", values=list(names), value=_metric_name(metric),
                  on_value=lambda name: map_metric.set(names[name]))
    png, text = _map_png(sess, metric)
    with solara.Div(classes=["county-map"]):
        solara.Image(png)
        solara.Text(text, classes=["map-values"])
    with solara.Div(classes=["summary"]):
        solara.Markdown("**招生、班级、教师与成本 Enrolment, classes, teachers, costs**\n\n"
                        + _markdown_table(runs.summary(sess)))


@solara.component
def Page() -> None:  # noqa: N802 (Solara serves the component named Page)
    """The app."""
    solara.Title("清远市基础教育仿真 Qingyuan education simulator")
    with solara.Column(style={"padding": "1em"}):
        solara.Markdown("## 清远市基础教育仿真 Qingyuan basic-education simulator")
        with solara.Columns([1, 2]):
            with solara.Column():
                controls()
            with solara.Column():
                results()
