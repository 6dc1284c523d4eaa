"""Held-out published figures and the back-test that compares a run with them.

The figures in ``sim/data/holdout/*.csv`` were published after the calibration cut-off
(autumn 2022). Nothing that builds or calibrates the model reads them (a test enforces it),
so a run that lands inside their bands has been checked against data it was not fitted to.
Each row names the model quantity it is comparable with and a tolerance band with its
reasoning; rows that a given run cannot speak to are reported as "not comparable" with the
reason, never silently dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from sim.core.errors import InputError
from sim.core.names import CITY, COUNTIES

COLUMNS = (
    "id",
    "kind",
    "metric",
    "geography",
    "year",
    "value",
    "unit",
    "basis",
    "source",
    "publisher",
    "publication_date",
    "url",
    "confidence",
    "model_county",
    "model_metric",
    "transform",
    "base_year",
    "comparable_with",
    "band_low",
    "band_high",
    "band_reason",
)
KINDS = ("births", "enrolment", "schools", "standards", "population")
TRANSFORMS = ("value", "percent", "change_pct")
# any: every run; levers: only runs that include the measures behind the figure;
# input: the figure (or what it follows) is a model input, so it is listed, not tested
COMPARABLE_WITH = ("any", "levers", "input")
CUTOFF = "2022-09-01"  # calibration cut-off: the autumn-2022 school statistics


def holdout_dir() -> Path:
    """The packaged directory of held-out CSVs (never read by set-up or calibration)."""
    return Path(str(resources.files("sim.data").joinpath("holdout")))


def load_holdout(path: str | Path | None = None) -> pd.DataFrame:
    """All held-out rows (every CSV in the directory, or one file), checked.

    Bad rows raise ``InputError`` naming the file, the row id and the key.
    """
    p = Path(path) if path is not None else holdout_dir()
    files = sorted(p.glob("*.csv")) if p.is_dir() else [p]
    if not files:
        raise InputError("no held-out CSV found", source=p)
    frames = []
    for f in files:
        try:
            df = pd.read_csv(f, dtype=str, keep_default_na=False, encoding="utf-8")
        except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise InputError(f"cannot read CSV ({exc.__class__.__name__})", source=f) from None
        missing = [c for c in COLUMNS if c not in df.columns]
        if missing:
            raise InputError(f"missing columns {missing}; expected {list(COLUMNS)}", source=f)
        frames.append(_check(df[list(COLUMNS)], f))
    out = pd.concat(frames, ignore_index=True)
    dup = out["id"][out["id"].duplicated()]
    if len(dup):
        raise InputError(f"duplicate id {dup.iloc[0]!r}", source=p, key="id")
    return out


def _number(value: str, f: Path, row: str, key: str, *, optional: bool = False) -> float:
    if optional and value.strip() == "":
        return math.nan
    try:
        x = float(value)
    except ValueError:
        raise InputError(f"row {row!r}: {value!r} is not a number", source=f, key=key) from None
    if not math.isfinite(x):
        raise InputError(f"row {row!r}: must be finite", source=f, key=key)
    return x


def _check(df: pd.DataFrame, f: Path) -> pd.DataFrame:
    """Validate one file's rows; return them with numeric columns converted."""
    df = df.copy()
    for key, allowed in (("kind", KINDS), ("transform", TRANSFORMS), ("comparable_with", COMPARABLE_WITH)):
        bad = df.loc[~df[key].isin(allowed)]
        if len(bad):
            row = bad.iloc[0]
            raise InputError(f"row {row['id']!r}: {row[key]!r} not one of {list(allowed)}", source=f, key=key)
    for key in ("id", "metric", "source", "publisher", "publication_date", "model_metric", "band_reason"):
        empty = df.loc[df[key].str.strip() == ""]
        if len(empty):
            raise InputError(f"row {empty.iloc[0]['id']!r}: must not be empty", source=f, key=key)
    late = df.loc[df["publication_date"] < CUTOFF]
    if len(late):
        raise InputError(
            f"row {late.iloc[0]['id']!r}: published before the cut-off {CUTOFF}; it is not held out",
            source=f,
            key="publication_date",
        )
    for key in ("value", "band_low", "band_high"):
        df[key] = [_number(v, f, r, key) for v, r in zip(df[key], df["id"], strict=True)]
    ids = df["id"]
    df["base_year"] = [
        _number(v, f, r, "base_year", optional=True) for v, r in zip(df["base_year"], ids, strict=True)
    ]
    df["year"] = [int(_number(v, f, r, "year")) for v, r in zip(df["year"], ids, strict=True)]
    low, high, value = df["band_low"], df["band_high"], df["value"]
    bad_band = df.loc[(low > high) | (value < low) | (value > high)]
    if len(bad_band):
        raise InputError(
            f"row {bad_band.iloc[0]['id']!r}: need band_low <= value <= band_high", source=f, key="band_low"
        )
    need_base = df.loc[(df["transform"] == "change_pct") & df["base_year"].isna()]
    if len(need_base):
        row = need_base.iloc[0]["id"]
        raise InputError(f"row {row!r}: change_pct needs a base_year", source=f, key="base_year")
    return df


@dataclass
class Comparison:
    """One held-out row set against a run."""

    row: dict[str, Any]
    model: float | None = None
    reason: str = ""  # why not comparable (empty when compared)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def compared(self) -> bool:
        """Whether the run could be set against this row."""
        return self.model is not None

    @property
    def error(self) -> float | None:
        """Model minus published, on the row's scale (None when not compared)."""
        return None if self.model is None else self.model - self.row["value"]

    @property
    def within(self) -> bool | None:
        """Whether the model lies inside the tolerance band (None when not compared)."""
        if self.model is None:
            return None
        return self.row["band_low"] - 1e-9 <= self.model <= self.row["band_high"] + 1e-9


@dataclass(frozen=True)
class RunInfo:
    """What a run can speak to: its counties, whether it has levers, its years."""

    counties: tuple[str, ...]
    all_counties: bool
    has_levers: bool
    name: str


def run_info(manifest: dict[str, Any]) -> RunInfo:
    """Read the run's scope from its manifest: a city-wide figure needs all 8 counties."""
    cfg = manifest.get("config", {})
    counties = tuple(cfg.get("counties") or COUNTIES)
    return RunInfo(
        counties=counties,
        all_counties=set(COUNTIES) <= set(counties),
        has_levers=bool(cfg.get("levers")),
        name=str(cfg.get("name", "")),
    )


def _series(cy: pd.DataFrame, expr: str, county: str) -> pd.Series | None:
    """A model metric (or ``a - b``) by year for one county; None when a term is missing."""
    series = []
    for name in (t.strip() for t in expr.split(" - ")):
        sel = cy[(cy["metric"] == name) & (cy["county"] == county)]
        if sel.empty:
            return None
        series.append(sel.groupby("year")["value"].mean())
    out = series[0]
    for s in series[1:]:
        out = out - s
    return out


def model_value(cy: pd.DataFrame, row: dict[str, Any]) -> tuple[float | None, str]:
    """The run's value on the row's scale, or None and the reason it cannot be computed."""
    s = _series(cy, row["model_metric"], row["model_county"])
    if s is None:
        return None, f"the run has no metric {row['model_metric']!r} for {row['model_county']}"
    year = row["year"]
    if year not in s.index or pd.isna(s.loc[year]):
        return None, f"the run does not cover {year}"
    v = float(s.loc[year])
    if row["transform"] == "percent":
        return 100.0 * v, ""
    if row["transform"] == "change_pct":
        base = int(row["base_year"])
        if base not in s.index or pd.isna(s.loc[base]):
            return None, f"the run does not cover the base year {base}"
        b = float(s.loc[base])
        if b == 0:
            return None, f"the model value in {base} is zero"
        return 100.0 * (v / b - 1.0), ""
    return v, ""


def compare(holdout: pd.DataFrame, cy: pd.DataFrame, info: RunInfo) -> list[Comparison]:
    """Set every held-out row against the run (compared, or not comparable with a reason)."""
    out = []
    for row in holdout.to_dict("records"):
        c = Comparison(row=row)
        county = row["model_county"]
        if row["comparable_with"] == "input":
            c.reason = "a model input (the model follows it by construction): listed, not tested"
        elif row["comparable_with"] == "levers" and not info.has_levers:
            c.reason = "an outcome of measures taken since 2022; this run has no levers (compare a plan run)"
        elif county == CITY and not info.all_counties:
            c.reason = f"a city-wide figure; this run covers {len(info.counties)} of the 8 counties"
        elif county != CITY and county not in info.counties:
            c.reason = f"{county} is not in this run"
        else:
            value, why = model_value(cy, row)
            c.model, c.reason = value, why
        out.append(c)
    return out


def summary(comparisons: list[Comparison]) -> dict[str, int]:
    """Counts of rows compared, within band, outside band and not comparable."""
    compared = [c for c in comparisons if c.compared]
    return {
        "rows": len(comparisons),
        "compared": len(compared),
        "within": sum(bool(c.within) for c in compared),
        "outside": sum(not c.within for c in compared),
        "not_comparable": len(comparisons) - len(compared),
    }


def to_records(comparisons: list[Comparison]) -> list[dict[str, Any]]:
    """JSON-ready records, one per held-out row."""
    out = []
    for c in comparisons:
        r = c.row
        out.append(
            {
                "id": r["id"],
                "kind": r["kind"],
                "metric": r["metric"],
                "geography": r["geography"],
                "year": r["year"],
                "published": r["value"],
                "unit": r["unit"],
                "model": c.model,
                "error": c.error,
                "band": [r["band_low"], r["band_high"]],
                "verdict": "not comparable" if not c.compared else ("within" if c.within else "OUTSIDE"),
                "reason": c.reason,
                "band_reason": r["band_reason"],
                "source": r["source"],
                "publisher": r["publisher"],
                "publication_date": r["publication_date"],
            }
        )
    return out


def _fmt(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.2f}"


def render_markdown(comparisons: list[Comparison], run_name: str) -> str:
    """The back-test as a Markdown table, then the rows that could not be compared and why."""
    lines = [
        f"Back-test of `{run_name}` against {len(comparisons)} held-out published figures",
        "",
        "| id | geography | year | unit | model | published | error | band | verdict |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for c in comparisons:
        if not c.compared:
            continue
        r = c.row
        verdict = "within" if c.within else "**OUTSIDE**"
        band = f"[{_fmt(r['band_low'])}, {_fmt(r['band_high'])}]"
        lines.append(
            f"| {r['id']} | {r['geography']} | {r['year']} | {r['unit']} | {_fmt(c.model)} | "
            f"{_fmt(r['value'])} | {_fmt(c.error)} | {band} | {verdict} |"
        )
    skipped = [c for c in comparisons if not c.compared]
    if skipped:
        lines += ["", "Not compared:", ""]
        lines += [f"- {c.row['id']} ({c.row['geography']} {c.row['year']}): {c.reason}" for c in skipped]
    s = summary(comparisons)
    lines += [
        "",
        f"{s['within']} of {s['compared']} compared rows within their bands, {s['outside']} outside, "
        f"{s['not_comparable']} not comparable.",
    ]
    return "\n".join(lines)
