"""A seeded corpus of malformed inputs for the command line (issue 16).

Every case is an input the program must refuse: a wrong type, an out-of-range or non-finite
number, an unknown key, a broken TOML/CSV structure, a bad command-line option. Each names
the text (``needle``) its one-line error has to contain, so a vague message fails too. The
cases are generated from the models themselves (every field of the config, of each lever,
of the experiment spec), so a field added later is fuzzed without editing this file.
"""

from __future__ import annotations

import json
import math
import random
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[1]
NAN = float("nan")
INF = float("inf")


@dataclass
class Case:
    """One malformed input: files to write, the argv to run, text the error must name."""

    name: str
    argv: list[str]
    needle: str
    files: dict[str, str | bytes] = field(default_factory=dict)


# -- a minimal TOML writer (values only need to round-trip through tomllib) -------------------
def toml_value(v: Any) -> str:
    """One TOML value; nan and inf are written as TOML's own nan/inf."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return (
            "{"
            + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)} = {toml_value(x)}" for k, x in v.items())
            + "}"
        )
    raise TypeError(type(v))


def toml_dump(data: dict[str, Any], prefix: str = "") -> str:
    """A TOML document: scalars first, then tables, then arrays of tables."""
    lines, tables, arrays = [], [], []
    for k, v in data.items():
        key = json.dumps(str(k), ensure_ascii=False)
        if (isinstance(v, dict) and v and all(isinstance(x, dict) for x in v.values()) and prefix == "") or (
            isinstance(v, dict) and prefix == "" and v
        ):
            tables.append((key, v))
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            arrays.append((key, v))
        else:
            lines.append(f"{key} = {toml_value(v)}")
    out = "\n".join(lines) + "\n"
    for key, table in tables:
        out += f"\n[{key}]\n" + "".join(
            f"{json.dumps(str(k), ensure_ascii=False)} = {toml_value(x)}\n" for k, x in table.items()
        )
    for key, items in arrays:
        for item in items:
            out += f"\n[[{key}]]\n" + "".join(
                f"{json.dumps(str(k), ensure_ascii=False)} = {toml_value(x)}\n" for k, x in item.items()
            )
    return out


# -- bad values by field type --------------------------------------------------------------------
def _base_type(annotation: Any) -> tuple[Any, bool]:
    """The annotation without ``| None`` and whether None was allowed."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _bounds(info: Any) -> tuple[float | None, float | None]:
    lo = hi = None
    for m in info.metadata:
        if isinstance(m, Ge):
            lo = m.ge
        elif isinstance(m, Gt):
            lo = m.gt
        elif isinstance(m, Le):
            hi = m.le
        elif isinstance(m, Lt):
            hi = m.lt
    return lo, hi


def bad_values(info: Any, rng: random.Random) -> list[Any]:
    """Values no field of this type and range may accept."""
    tp, _ = _base_type(info.annotation)
    lo, hi = _bounds(info)
    out: list[Any] = []
    if tp is float:
        out += [True, "0.5", [0.5], {"x": 1}, NAN, rng.choice([INF, -INF])]
    elif tp is int:
        out += [True, "3", 2.5, [3], NAN]
    elif tp is bool:
        out += [1, 0, "yes", "true", 1.0]
    elif tp is str:
        out += [1, True, ["a"]]
    elif typing.get_origin(tp) is Literal:
        out += ["no_such_choice", 1, True]
    elif typing.get_origin(tp) is list:
        out += ["not a list", [True], [1.5]]
        return out
    else:
        return out
    if tp in (int, float):
        span = (hi - lo) if lo is not None and hi is not None else 1.0
        if lo is not None:
            out.append(
                lo - rng.choice([1, max(span * 0.1, 1e-6), span * 10])
                if tp is float
                else int(lo) - rng.randint(1, 5)
            )
        if hi is not None:
            out.append(
                hi + rng.choice([1, max(span * 0.1, 1e-6), span * 10])
                if tp is float
                else int(hi) + rng.randint(1, 5)
            )
    return out


def _models(model: type[BaseModel], prefix: str = ""):
    """(dotted key, field info) for every leaf field, descending into nested models."""
    for name, info in model.model_fields.items():
        tp, _ = _base_type(info.annotation)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            yield from _models(tp, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", info


def _nest(dotted: str, value: Any) -> dict[str, Any]:
    out: Any = value
    for part in reversed(dotted.split(".")):
        out = {part: out}
    return out


def _misspell(name: str, rng: random.Random) -> str:
    i = rng.randrange(len(name))
    return name[:i] + rng.choice("xqz") + name[i + 1 :] if name[i] not in "xqz" else name + "x"


# -- generators --------------------------------------------------------------------------------
def config_cases(rng: random.Random) -> list[Case]:
    """Every config field with every wrong type, range and non-finite value; unknown keys."""
    from sim.config import Config

    cases = []
    for dotted, info in _models(Config):
        if dotted == "levers":
            continue
        for value in bad_values(info, rng):
            text = toml_dump(_nest(dotted, value)) if "." in dotted else f"{dotted} = {toml_value(value)}\n"
            if "." in dotted:
                section, leaf = dotted.split(".", 1)
                text = f"[{section}]\n{leaf} = {toml_value(value)}\n"
            cases.append(
                Case(
                    f"config {dotted}={value!r}", ["run", "{dir}/c.toml", "--check"], dotted, {"c.toml": text}
                )
            )
        wrong = _misspell(dotted.rsplit(".", 1)[-1], rng)
        section = dotted.rsplit(".", 1)[0] if "." in dotted else None
        text = f"[{section}]\n{wrong} = 1\n" if section else f"{wrong} = 1\n"
        needle = f"{section}.{wrong}" if section else wrong
        cases.append(
            Case(f"config unknown {needle}", ["run", "{dir}/c.toml", "--check"], needle, {"c.toml": text})
        )
    for counties in ([], ["北京"], ["清城区", "清城区"], "清城区"):
        cases.append(
            Case(
                f"config counties={counties!r}",
                ["run", "{dir}/c.toml", "--check"],
                "counties",
                {"c.toml": f"counties = {toml_value(counties)}\n"},
            )
        )
    return cases


def lever_cases(rng: random.Random) -> list[Case]:
    """Each lever's every key with wrong types and ranges; unknown keys; empty county lists."""
    from sim.levers import REGISTRY, _load_all

    _load_all()
    cases = []
    for kind in sorted(REGISTRY):
        params = REGISTRY[kind].Params
        for key, info in params.model_fields.items():
            if key == "type":
                continue
            for value in bad_values(info, rng):
                table = {"type": kind, key: value}
                cases.append(
                    Case(
                        f"lever {kind}.{key}={value!r}",
                        ["run", "{dir}/c.toml", "--check"],
                        f"levers[0].{key}",
                        {"c.toml": toml_dump({"levers": [table]})},
                    )
                )
        wrong = _misspell(rng.choice([k for k in params.model_fields if k != "type"]), rng)
        cases.append(
            Case(
                f"lever {kind} unknown {wrong}",
                ["run", "{dir}/c.toml", "--check"],
                f"levers[0].{wrong}",
                {"c.toml": toml_dump({"levers": [{"type": kind, wrong: 1}]})},
            )
        )
        cases.append(
            Case(
                f"lever {kind} counties=[]",
                ["run", "{dir}/c.toml", "--check"],
                "levers[0].counties",
                {"c.toml": toml_dump({"levers": [{"type": kind, "counties": []}]})},
            )
        )
    for bad in ("no_such_lever", 3, True):
        cases.append(
            Case(
                f"lever type={bad!r}",
                ["run", "{dir}/c.toml", "--check"],
                "levers[0].type",
                {"c.toml": toml_dump({"levers": [{"type": bad}]})},
            )
        )
    return cases


def structure_cases(rng: random.Random) -> list[Case]:
    """Broken files: circular bases, deep nesting, bad encodings, syntax errors."""
    deep = rng.randint(600, 3000)
    cases = [
        Case(
            "circular base",
            ["run", "{dir}/a.toml", "--check"],
            "base",
            {"a.toml": 'base = "b.toml"\n', "b.toml": 'base = "a.toml"\n'},
        ),
        Case("self base", ["run", "{dir}/a.toml", "--check"], "base", {"a.toml": 'base = "a.toml"\n'}),
        Case("missing base", ["run", "{dir}/a.toml", "--check"], "base", {"a.toml": 'base = "nope.toml"\n'}),
        Case("base not a string", ["run", "{dir}/a.toml", "--check"], "base", {"a.toml": "base = 3\n"}),
        Case(
            "deep nested arrays",
            ["run", "{dir}/a.toml", "--check"],
            "a.toml",
            {"a.toml": "x = " + "[" * deep + "]" * deep + "\n"},
        ),
        Case(
            "deep nested tables",
            ["run", "{dir}/a.toml", "--check"],
            "a.toml",
            {"a.toml": "x = " + "{a = " * deep + "1" + "}" * deep + "\n"},
        ),
        Case(
            "deep dotted key",
            ["run", "{dir}/a.toml", "--check"],
            "a.toml",
            {"a.toml": ".".join(["a"] * deep) + " = 1\n"},
        ),
        Case("not utf-8", ["run", "{dir}/a.toml", "--check"], "a.toml", {"a.toml": b"name = '\xff\xfe'\n"}),
        Case(
            "binary",
            ["run", "{dir}/a.toml", "--check"],
            "a.toml",
            {"a.toml": bytes(rng.randrange(256) for _ in range(200))},
        ),
        Case("toml syntax", ["run", "{dir}/a.toml", "--check"], "a.toml", {"a.toml": "until = [\n"}),
        Case("folder as config", ["run", "{dir}", "--check"], "{dir}", {}),
        Case("missing config", ["run", "{dir}/none.toml", "--check"], "none.toml", {}),
    ]
    for i in range(20):  # random garbage lines
        junk = "".join(rng.choice("=[]{}\"'#.,\n abc123") for _ in range(rng.randint(5, 60)))
        cases.append(
            Case(
                f"garbage {i}",
                ["run", "{dir}/a.toml", "--check"],
                "a.toml",
                {"a.toml": "until = 2024\n" + junk + "\n= ="},
            )
        )
    return cases


def spec_cases(rng: random.Random) -> list[Case]:
    """Mutations of the shipped specs: every spec field, outcome, design and parameter key."""
    import tomllib

    from sim.experiments.params import ParamDef
    from sim.experiments.spec import DesignSpec, OutcomeSpec, PrimSpec, SpecModel

    base = tomllib.loads((ROOT / "experiments" / "births_urbanisation.toml").read_text("utf-8"))
    base["base"] = str(ROOT / "configs" / "baseline.toml")
    base["replicates"] = 1
    argv = ["experiment", "{dir}/s.toml", "--check"]

    def case(name: str, data: dict[str, Any], needle: str) -> Case:
        return Case(f"spec {name}", argv, needle, {"s.toml": toml_dump(data)})

    cases = []
    for key, info in SpecModel.model_fields.items():
        if key in ("scenarios", "constants", "uncertainties", "levers", "outcomes", "design", "prim"):
            continue
        for value in bad_values(info, rng):
            cases.append(case(f"{key}={value!r}", {**base, key: value}, key))
    for key, info in DesignSpec.model_fields.items():
        for value in bad_values(info, rng):
            cases.append(
                case(
                    f"design.{key}={value!r}",
                    {**base, "design": {**base["design"], key: value}},
                    f"design.{key}",
                )
            )
    for key, info in OutcomeSpec.model_fields.items():
        for value in bad_values(info, rng):
            outcomes = [dict(o) for o in base["outcomes"]]
            outcomes[0][key] = value
            cases.append(
                case(f"outcomes[0].{key}={value!r}", {**base, "outcomes": outcomes}, f"outcomes[0].{key}")
            )
    for key, info in PrimSpec.model_fields.items():
        for value in bad_values(info, rng):
            cases.append(case(f"prim.{key}={value!r}", {**base, "prim": {key: value}}, f"prim.{key}"))
    pname = "demography.births_trend"
    for key, info in ParamDef.model_fields.items():
        for value in bad_values(info, rng):
            unc = dict(base["uncertainties"])
            unc[pname] = {**unc[pname], key: value}
            cases.append(
                case(f"param {key}={value!r}", {**base, "uncertainties": unc}, f"uncertainties.{pname}")
            )
    for name in ("../../x", "/tmp/x", "a/b", "", ".", "..", "x" * 300, "名\x00"):
        cases.append(case(f"name={name!r}", {**base, "name": name}, "name"))
    cases.append(case("unknown top key", {**base, "seeed": 1}, "seeed"))
    cases.append(case("bad scenario name", {**base, "scenarios": {"a b": {}}}, "scenarios.a b"))
    cases.append(case("scenario not table", {**base, "scenarios": {"a": 3}}, "scenarios.a"))
    cases.append(
        case(
            "unknown param",
            {**base, "uncertainties": {"demography.nope": {"low": 0.0, "high": 1.0}}},
            "uncertainties.demography.nope",
        )
    )
    cases.append(
        case(
            "param out of config range", {**base, "uncertainties": {pname: {"low": -0.9, "high": 0.0}}}, pname
        )
    )
    return cases


def csv_cases(rng: random.Random) -> list[Case]:
    """The example school CSV with one defect each: stray quotes, blanks, text, negatives."""
    text = (ROOT / "sim" / "standards" / "example_schools.csv").read_text("utf-8")
    lines = text.splitlines()
    header_at = next(i for i, ln in enumerate(lines) if ln and not ln.startswith("#"))
    header = lines[header_at].split(",")
    body = lines[header_at + 1 :]

    def renamed(row: str, i: int) -> str:  # the same schools again under new names
        cells = row.split(",")
        return ",".join([cells[0], f"{cells[1]}{i}", *cells[2:]])

    big = [lines[header_at]] + [renamed(body[i % len(body)], i) for i in range(2900)]
    cases = []

    def case(name: str, content: str | bytes, needle: str) -> Case:
        return Case(f"csv {name}", ["evaluate", "{dir}/s.csv"], needle, {"s.csv": content})

    for i in range(8):
        rows = list(big)
        at = rng.randrange(1, len(rows))
        cells = rows[at].split(",")
        k = rng.randrange(len(cells))
        cells[k] = '"' + cells[k]  # opens a quoted field that never closes
        rows[at] = ",".join(cells)
        cases.append(case(f"stray quote {i}", "\n".join(rows) + "\n", "s.csv"))
    numeric = [c for c in header if c not in ("county", "school", "teaching_point", "max_class_size")]
    for col in numeric:
        j = header.index(col)
        for bad in ("abc", "-3", "nan", "inf", "", "1e999", "0x10", "1 5"):
            rows = [ln.split(",") for ln in body]
            at = rng.randrange(len(rows))
            if j >= len(rows[at]):
                continue
            rows[at][j] = bad
            content = "\n".join([lines[header_at]] + [",".join(r) for r in rows]) + "\n"
            cases.append(case(f"{col}={bad!r}", content, col))
    for col in ("county", "school", *numeric[:4]):
        keep = [c for c in header if c != col]
        idx = [header.index(c) for c in keep]
        rows = [",".join(ln.split(",")[k] for k in idx) for ln in body]
        cases.append(case(f"missing column {col}", "\n".join([",".join(keep), *rows]) + "\n", col))
    cases += [
        case("empty", "", "s.csv"),
        case("header only", lines[header_at] + "\n", "s.csv"),
        case("not utf-8", b"county,school\n\xff\xfe,1\n", "s.csv"),
        case("nul bytes", lines[header_at] + "\n" + body[0].replace(",", "\x00,", 1) + "\n", "s.csv"),
        case("duplicate row", "\n".join([lines[header_at], body[0], body[0]]) + "\n", "line"),
        case("short row", "\n".join([lines[header_at], body[0].rsplit(",", 2)[0]]) + "\n", "line"),
    ]
    return cases


def cli_cases(rng: random.Random) -> list[Case]:
    """Command-line options out of range or malformed."""
    spec = str(ROOT / "experiments" / "births_urbanisation.toml")
    cfg = str(ROOT / "configs" / "baseline.toml")
    e = ["experiment", spec, "--check"]
    cases = [
        Case("workers 0", [*e, "--workers", "0"], "--workers"),
        Case("workers -1", [*e, "--workers", "-1"], "--workers"),
        Case("workers abc", [*e, "--workers", "abc"], "--workers"),
        Case("run-function no colon", [*e, "--run-function", "nosuch"], "--run-function"),
        Case("run-function missing module", [*e, "--run-function", "no_such_mod:run"], "--run-function"),
        Case("run-function missing attr", [*e, "--run-function", "sim.config:nope"], "--run-function"),
        Case("run-function not callable", [*e, "--run-function", "sim.config:COUNTIES"], "--run-function"),
        Case("replicates 0", [*e, "--replicates", "0"], "--replicates"),
        Case("replicates huge", [*e, "--replicates", "100000000"], "replicates"),
        Case("samples 0", [*e, "--samples", "0"], "--samples"),
        Case("until 2020", [*e, "--until", "2020"], "until"),
        Case("until 3000", [*e, "--until", "3000"], "until"),
        Case("counties unknown", [*e, "--counties", "北京"], "counties"),
        Case("dask bad", [*e, "--dask", "ftp://x"], "--dask"),
        Case("run seed -1", ["run", cfg, "--check", "--seed", "-1"], "seed"),
        Case("run seed huge", ["run", cfg, "--check", "--seed", str(2**70)], "seed"),
        Case("run until 2022", ["run", cfg, "--check", "--until", "2022"], "until"),
        Case("run until x", ["run", cfg, "--check", "--until", "x"], "--until"),
        Case("run out is file", ["run", cfg, "--check", "--out", "{dir}/f"], "{dir}/f", {"f": "x"}),
        Case("run out under file", ["run", cfg, "--check", "--out", "{dir}/f/sub"], "{dir}/f", {"f": "x"}),
        Case(
            "run out other files", ["run", cfg, "--check", "--out", "{dir}/d"], "{dir}/d", {"d/keep.txt": "x"}
        ),
        Case(
            "run out experiment",
            ["run", cfg, "--check", "--out", "{dir}/d"],
            "{dir}/d",
            {"d/experiment.json": "{}"},
        ),
        Case(
            "experiment out is file",
            ["experiment", spec, "--check", "--out", "{dir}/f"],
            "{dir}/f",
            {"f": "x"},
        ),
        Case(
            "evaluate out is folder",
            ["evaluate", str(ROOT / "sim/standards/example_schools.csv"), "--out", "{dir}"],
            "{dir}",
        ),
        Case(
            "evaluate out under file",
            ["evaluate", str(ROOT / "sim/standards/example_schools.csv"), "--out", "{dir}/f/x.txt"],
            "{dir}/f",
            {"f": "x"},
        ),
        Case("report missing", ["report", "{dir}/none"], "{dir}/none"),
        Case("report dpi", ["report", "{dir}", "--dpi", "5"], "--dpi"),
        Case("unknown command", ["nosuch"], "nosuch"),
        Case("max-runs 0", [*e, "--max-runs", "0"], "--max-runs"),
        Case("experiment out is a run", [*e, "--out", "{dir}/d"], "{dir}/d", {"d/manifest.json": "{}"}),
        Case(
            "run force into other files",
            ["run", cfg, "--check", "--force", "--out", "{dir}/d"],
            "{dir}/d",
            {"d/keep.txt": "x"},
        ),
        Case("max-children 0", [*e, "--max-children", "0"], "--max-children"),
        Case("run max-children 0", ["run", cfg, "--check", "--max-children", "0"], "--max-children"),
        Case("run max-children small", ["run", cfg, "--check", "--max-children", "1000"], "children"),
        Case(
            "report no manifest", ["report", "{dir}/r"], "manifest.json", {"r/county_year.parquet": b"PAR1"}
        ),
        Case(
            "compare no manifest",
            ["compare", "{dir}/r", "{dir}/r"],
            "manifest.json",
            {"r/county_year.parquet": b"PAR1"},
        ),
        Case("unknown option", ["run", cfg, "--bogus"], "--bogus"),
    ]
    for _ in range(10):
        n = rng.choice([0, -rng.randint(1, 10**6)])
        cases.append(Case(f"workers {n}", [*e, "--workers", str(n)], "--workers"))
    return cases


def resource_cases(rng: random.Random) -> list[Case]:
    """Specs and configs too large to build: refused from their sizes, before anything is built."""
    import tomllib

    from sim.config import Config

    base = tomllib.loads((ROOT / "experiments" / "births_urbanisation.toml").read_text("utf-8"))
    base["base"] = str(ROOT / "configs" / "baseline.toml")
    argv = ["experiment", "{dir}/s.toml", "--check"]

    def case(name: str, data: dict[str, Any], needle: str) -> Case:
        return Case(f"spec {name}", argv, needle, {"s.toml": toml_dump(data)})

    cases = []
    ranged = [(k, _bounds(i)) for k, i in _models(Config) if _base_type(i.annotation)[0] is float]
    ranged = [(k, lo, hi) for k, (lo, hi) in ranged if lo is not None and hi is not None][:13]
    big = {k: {"low": lo + (hi - lo) * 0.2, "high": lo + (hi - lo) * 0.4} for k, lo, hi in ranged}
    levels = rng.choice([5, 6, 7])
    cases.append(
        case(
            "huge grid",
            {**base, "uncertainties": big, "design": {"kind": "grid", "levels": levels}},
            "design",
        )
    )
    cases.append(
        case(
            "huge replicates",
            {**base, "replicates": 1000, "design": {"kind": "grid", "levels": 1000}},
            "design",
        )
    )
    cases.append(
        case(
            "huge sobol",
            {**base, "replicates": 1000, "uncertainties": big, "design": {"kind": "sobol", "samples": 4096}},
            "design",
        )
    )
    growth = {**base, "until": 2050, "constants": {"demography": {"births_trend": 0.3}}}
    cases.append(case("millions of children", growth, "children"))
    cfg = "[demography]\nbirths_trend = 0.3\n"
    cases.append(
        Case(
            "run millions of children",
            ["run", "{dir}/c.toml", "--check", "--until", "2045"],
            "children",
            {"c.toml": cfg},
        )
    )
    return cases


def corpus(seed: int = 16) -> list[Case]:
    """The whole corpus, deterministic for a seed."""
    rng = random.Random(seed)
    return [
        *config_cases(rng),
        *lever_cases(rng),
        *structure_cases(rng),
        *spec_cases(rng),
        *csv_cases(rng),
        *cli_cases(rng),
        *resource_cases(rng),
    ]


if __name__ == "__main__":
    cs = corpus()
    print(len(cs))
    from collections import Counter

    print(Counter(c.name.split()[0] for c in cs))
