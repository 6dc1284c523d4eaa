"""What the app shows, without the web page: choices → config, a run beside its baseline, tables.

A workshop moves levers and reads the scorecard, so every run here is a pair: the chosen
scenario and the *same* counties, seed and birth assumptions with no lever (its baseline),
stepped year by year in lock-step. With no lever on, the pair is one model.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config import CITY, COUNTIES, Config
from sim.levers import REGISTRY, build_levers
from sim.levers.base import LeverParams
from sim.model import QingyuanModel
from sim.plots import labels as lbl
from sim.plots import maps
from sim.scenario import load_config

BASELINE_NAME = "baseline (built-in)"
PASS, FAIL, NOT_ASSESSED = "pass", "fail", "not assessed"
VERDICT_WORDS = {PASS: "达标 pass", FAIL: "未达标 fail", NOT_ASSESSED: "未评估 not assessed"}
KEY_PARAMETERS = 4  # at most this many numeric parameters shown per lever
# the summary table beside the scorecard: (metric, Chinese, English)
SUMMARY_METRICS = (
    ("n_students_preschool", "在园幼儿", "kindergarten pupils"),
    ("n_students_primary", "小学生", "primary pupils"),
    ("n_students_junior", "初中生", "junior pupils"),
    ("n_students_senior_general", "普高学生", "general senior pupils"),
    ("n_classes", "班级数", "classes"),
    ("n_large_classes", "大班额班级", "oversized classes"),
    ("n_teachers", "教师", "teachers"),
    ("n_vacancies", "空缺岗位", "vacancies"),
    ("cost_yuan", "当年杠杆成本(元)", "lever cost this year (yuan)"),
    ("cum_cost_yuan", "累计杠杆成本(元)", "cumulative lever cost (yuan)"),
)
STANDARD_METRICS = (
    ("passes_compulsory_standard", "义务教育优质均衡", "compulsory standard"),
    ("passes_preschool_standard", "学前教育普及普惠", "preschool standard"),
)


def configs_dir() -> Path:
    """The repository's ``configs/`` (beside the package), or ``./configs``."""
    here = Path(__file__).resolve().parents[2] / "configs"
    return here if here.is_dir() else Path.cwd() / "configs"


def shipped_configs(extra: str | Path | None = None) -> dict[str, Path | None]:
    """Config name → TOML path; the built-in baseline maps to ``None``; ``extra`` comes first."""
    out: dict[str, Path | None] = {}
    if extra is not None:
        out[Path(extra).stem] = Path(extra)
    out[BASELINE_NAME] = None
    folder = configs_dir()
    if folder.is_dir():
        for path in sorted(folder.glob("*.toml")):
            out.setdefault(path.stem, path)
    return out


def load_choice(path: Path | None) -> Config:
    """The config behind a menu entry (``None``: the built-in baseline)."""
    return Config() if path is None else load_config(path)


@dataclass
class LeverChoice:
    """One lever row of the page: its ``[[levers]]`` table, on or off."""

    spec: dict[str, Any]
    enabled: bool
    from_config: bool

    @property
    def type(self) -> str:
        """Registered lever name."""
        return str(self.spec["type"])


def lever_choices(config: Config) -> list[LeverChoice]:
    """The config's levers (on), then every other registered lever with its defaults (off)."""
    build_levers([], config, "app")  # imports every lever module, so the registry is complete
    rows = [LeverChoice(dict(spec), True, True) for spec in config.levers]
    present = {r.type for r in rows}
    rows += [LeverChoice({"type": name}, False, False) for name in REGISTRY if name not in present]
    return rows


@dataclass(frozen=True)
class Parameter:
    """A numeric lever key shown as an input box."""

    key: str
    value: float
    integer: bool
    description: str


def key_parameters(choice: LeverChoice) -> list[Parameter]:
    """The lever's numeric keys: those its table sets first, then its own defaults (at most 4)."""
    params: type[LeverParams] = REGISTRY[choice.type].Params
    own = [k for k in params.model_fields if k not in LeverParams.model_fields]
    order = [k for k in choice.spec if k in own] + [k for k in own if k not in choice.spec]
    out = []
    for key in order:
        info = params.model_fields[key]
        value = choice.spec.get(key, info.default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        out.append(Parameter(key, float(value), isinstance(value, int), info.description or key))
        if len(out) == KEY_PARAMETERS:
            break
    return out


def build_config(base: Config, counties: list[str], levers: list[LeverChoice],
                 births_scale: float, births_trend: float, until: int = 2027) -> Config:
    """The scenario the page describes; bad values raise ``InputError`` naming the key."""
    config = base.with_overrides(
        {
            "counties": list(counties),
            "until": until,
            "demography.births_scale": births_scale,
            "demography.births_trend": births_trend,
            "levers": [dict(c.spec) for c in levers if c.enabled],
        },
        source="app",
    )
    build_levers(config.levers, config, "app")  # each lever's keys checked against its ranges
    return config


def baseline_of(config: Config) -> Config:
    """The same counties, seed and assumptions with no lever."""
    return config.with_overrides({"levers": []}, source="app")


@dataclass
class Session:
    """A scenario and its baseline, stepped together from autumn 2022."""

    config: Config
    scenario: QingyuanModel | None = None
    baseline: QingyuanModel | None = None
    built: bool = field(default=False)

    @property
    def year(self) -> int:
        """The last school year both models have simulated (2022 before any step).

        The page may read a session while its worker thread steps it; the lagging model's year
        keeps scenario and baseline columns from the same year.
        """
        if self.scenario is None or self.baseline is None:
            return self.config.start_year
        return min(self.scenario.year, self.baseline.year)

    @property
    def done(self) -> bool:
        """Whether the run reached ``config.until``."""
        return self.year >= self.config.until

    def models(self) -> list[QingyuanModel]:
        """The distinct models to step (one when no lever is on)."""
        self.build()
        assert self.scenario is not None and self.baseline is not None
        return [self.scenario] if self.baseline is self.scenario else [self.scenario, self.baseline]

    def build(self, progress: Callable[[], None] | None = None) -> None:
        """Set up both worlds (same seed, so the same 2022); ``progress`` is called after each."""
        if self.built:
            return
        self.scenario = QingyuanModel(self.config)
        if progress:
            progress()
        self.baseline = self.scenario if not self.config.levers else QingyuanModel(baseline_of(self.config))
        if progress and self.baseline is not self.scenario:
            progress()
        self.built = True

    def step(self, progress: Callable[[], None] | None = None) -> None:
        """One school year for both (``progress`` is called after each model's year)."""
        if self.done:
            return
        year = self.year
        for model in self.models():
            if model.year == year:
                model.step()
                if progress:
                    progress()

    def run(self, progress: Callable[[float], None] | None = None,
            cancelled: Callable[[], bool] | None = None) -> None:
        """Step to ``config.until``, reporting the share done after each model's set-up and year."""
        n_models = 1 if not self.config.levers else 2
        total = n_models * (max(self.config.until - self.year, 0) + (0 if self.built else 1))
        done = 0

        def tick() -> None:
            nonlocal done
            done += 1
            if progress:
                progress(done / max(total, 1))

        self.build(tick)
        while not self.done:
            if cancelled is not None and cancelled():
                return
            self.step(tick)


# the scorecard's three-state status (sim.standards.targets) in the app's words
STATUS_VERDICT = {"met": PASS, "not met": FAIL, "not assessed": NOT_ASSESSED}


def verdict(met: Any, note: str = "") -> str:
    """pass / fail / not assessed from a scorecard cell (a status word, bool or NaN)."""
    if isinstance(met, str):
        word = met.strip().lower()
        if word in STATUS_VERDICT:
            return STATUS_VERDICT[word]
        return word if word in (PASS, FAIL, NOT_ASSESSED) else NOT_ASSESSED
    if met is None or (isinstance(met, float) and math.isnan(met)) or "missing" in str(note):
        return NOT_ASSESSED
    return PASS if bool(met) else FAIL


def scorecard(session: Session) -> pd.DataFrame:
    """Plan targets at the current year: value, threshold and verdict, scenario and baseline."""
    session.build()
    year = session.year
    rows = []
    sc = session.scenario.targets_table()
    bl = session.baseline.targets_table()
    for (_, s), (_, b) in zip(sc[sc.year == year].iterrows(), bl[bl.year == year].iterrows(), strict=True):
        rows.append({
            "目标 target": lbl.target(s["target"], "zh"),
            "方案 scenario": f"{s['value']:g} · {VERDICT_WORDS[verdict(s.get('status', s['met']))]}",
            "基线 baseline": f"{b['value']:g} · {VERDICT_WORDS[verdict(b.get('status', b['met']))]}",
        })
    return pd.DataFrame(rows)


def _at(cy: pd.DataFrame, year: int) -> pd.DataFrame:
    return cy[cy["year"] == year]


def county_verdicts(session: Session) -> pd.DataFrame:
    """Each simulated county's verdict on each standard, scenario and baseline."""
    session.build()
    year = session.year
    sc, bl = _at(session.scenario.county_year(), year), _at(session.baseline.county_year(), year)
    # a pass on computed items with items left open is "not assessed" (sim.plots.maps.county_values)
    values = {
        (metric, label): maps.county_values(cy, metric, year)[0]
        for metric, _, _ in STANDARD_METRICS
        for label, cy in (("方案 scenario", sc), ("基线 baseline", bl))
    }
    rows = []
    for county in session.config.counties:
        row = {"县 county": lbl.county(county, "zh")}
        for metric, zh, en in STANDARD_METRICS:
            for label in ("方案 scenario", "基线 baseline"):
                met = values[(metric, label)].get(county, float("nan"))
                row[f"{zh} {en} · {label}"] = VERDICT_WORDS[verdict(met if math.isnan(met) else met >= 0.5)]
        rows.append(row)
    return pd.DataFrame(rows)


def summary(session: Session) -> pd.DataFrame:
    """Enrolment, classes, teachers and costs for the whole run's counties: scenario, baseline, Δ."""
    session.build()
    year = session.year
    sc, bl = _at(session.scenario.county_year(), year), _at(session.baseline.county_year(), year)
    rows = []
    for metric, zh, en in SUMMARY_METRICS:
        a = sc[(sc.county == CITY) & (sc.metric == metric)]["value"].sum()
        b = bl[(bl.county == CITY) & (bl.metric == metric)]["value"].sum()
        rows.append({"指标 metric": f"{zh} {en}", "方案 scenario": f"{a:,.0f}",
                     "基线 baseline": f"{b:,.0f}", "差 Δ": f"{a - b:+,.0f}"})
    return pd.DataFrame(rows)


def map_metrics(session: Session) -> list[str]:
    """County metrics the map can show: the verdicts first, then every other metric."""
    session.build()
    cy = session.scenario.county_year()
    names = sorted(cy.loc[cy.county.isin(COUNTIES), "metric"].unique())
    first = [m for m, _, _ in STANDARD_METRICS if m in names]
    return first + [m for m in names if m not in first]
