"""The experiment spec (TOML): what to run, and its expansion into runs with stable ids.

A spec keeps apart what EMA Workbench keeps apart: scenarios (named overrides of a base
config), ``[constants]`` (overrides for every scenario), ``[uncertainties]`` (what the
world might be), ``[levers]`` (policy choices with ranges), ``[[outcomes]]`` (what is judged
against which plan threshold), the ``[design]``, ``replicates`` and the master ``seed``.

Everything is checked here, before any run: unknown keys, ranges, config paths, the values
each parameter can take against the config's own bounds, metrics, counties and years. A
researcher who cites a spec file gets the same runs from it on any machine: a run's seed
depends only on (master seed, replicate) and a sample only on (design, master seed).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field, ValidationError, field_validator

from sim.config import CITY, COUNTIES, Config, describe_validation_error, read_toml
from sim.core.errors import InputError
from sim.core.inputs import STRICT
from sim.experiments.metrics import known_metrics, known_targets, probe_metrics, target_threshold
from sim.experiments.params import Parameter, apply_overrides, flatten, parse_parameters
from sim.scenario import MAX_CHILDREN, check_run_size, load_config

MAX_SAMPLES = 100_000
MAX_RUNS = 20_000  # default cap on runs in one experiment; --max-runs
# Memory the planned runs take in the parent (resolved config per run): 43 KB measured on
# experiments/sensitivity.toml (896 runs, tracemalloc); rounded up.
PLAN_BYTES_PER_RUN = 45_000
MAX_REPLICATES = 1_000
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_FOLDER_NAME = re.compile(r"^\w[\w.-]{0,59}\Z")  # \w includes Chinese; no separators, no leading dot
# Which stream of the master SeedSequence feeds the design (replicates use spawn keys 0..R-1).
_DESIGN_STREAM = 0x5A4D


class _Strict(BaseModel):
    model_config = STRICT


class DesignSpec(_Strict):
    """How parameter values are sampled."""

    kind: Literal["none", "grid", "lhs", "sobol", "morris"] = "none"
    samples: int | None = Field(
        None,
        ge=1,
        le=MAX_SAMPLES,
        description="lhs: points; sobol: base N (runs N*(2D+2), or N*(D+2) without second "
        "order); morris: trajectories (runs N*(D+1)). Not used by grid.",
    )
    levels: int | None = Field(
        None,
        ge=2,
        le=1000,
        description="grid: default levels per parameter (3); morris: levels of its grid (4, even).",
    )
    second_order: bool = Field(True, description="sobol: also sample for second-order indices.")

    @property
    def num_levels(self) -> int:
        """Levels of a grid or of a Morris design, with the defaults filled in."""
        return self.levels if self.levels is not None else (4 if self.kind == "morris" else 3)


class OutcomeSpec(_Strict):
    """One number per run, judged against a plan threshold."""

    name: str
    description: str = ""
    metric: str | None = None
    divide_by: str | None = Field(
        None, description="Another metric of the same county and year to divide by (a share)."
    )
    target: str | None = None
    county: str = CITY
    year: int = Field(ge=2023, le=2050)
    reduce: Literal[
        "value", "sum_counties", "mean_counties", "min_counties", "max_counties", "count_counties"
    ] = "value"
    county_threshold: float | None = Field(
        None,
        description="count_counties: count counties whose value reaches this (default: "
        "value > 0.5, for 0/1 pass flags).",
    )
    county_sense: Literal[">=", "<="] = Field(
        ">=", description="count_counties: count counties at or above (>=) or below (<=) it."
    )
    threshold: float | None = None
    sense: Literal[">=", "<="] = ">="

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError("must start with a letter and hold only letters, digits and _")
        return v


class ScenarioSpec(_Strict):
    """A named scenario: a config (default: the spec's base) plus overrides and levers."""

    config: str | None = None
    description: str = ""
    only_levers: list[str] | None = Field(
        None, description="Keep only the config's [[levers]] of these types (one measure alone)."
    )
    drop_levers: list[str] | None = Field(
        None, description="Drop the config's [[levers]] of these types (the plan without one)."
    )
    overrides: dict[str, Any] = Field(default_factory=dict)
    levers: list[dict[str, Any]] = Field(default_factory=list)


class PrimSpec(_Strict):
    """Scenario discovery options (PRIM, Friedman & Fisher 1999)."""

    probability: float = Field(
        0.8,
        gt=0.0,
        le=1.0,
        description="A sample 'reaches' an outcome's "
        "target when the share of its replicates meeting it is at least this.",
    )
    outcomes: list[str] | None = None
    alpha: float = Field(0.05, gt=0.0, lt=0.5, description="Share of points peeled per step.")
    min_mass: float = Field(0.05, gt=0.0, lt=1.0, description="Stop peeling below this share of points.")
    min_coverage: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="The reported box is the densest "
        "on the peeling trajectory that still covers this share of hits.",
    )
    prune: float = Field(
        0.02,
        ge=0.0,
        le=1.0,
        description="Lift a box's restriction of a parameter if that lowers its density by at "
        "most this (0 keeps every restriction the peeling made).",
    )
    boxes: int = Field(1, ge=1, le=10, description="Boxes found by covering (each on the rest).")


class SpecModel(_Strict):
    """The top level of an experiment TOML."""

    name: str | None = None
    description: str = ""
    base: str | None = None
    seed: int = Field(ge=0, le=2**63 - 1)
    replicates: int = Field(1, ge=1, le=MAX_REPLICATES)
    until: int | None = Field(None, ge=2023, le=2050)
    save: list[Literal["county_year", "targets", "school_year"]] = Field(
        default_factory=lambda: ["county_year", "targets"]
    )
    scenarios: dict[str, Any] = Field(default_factory=lambda: {"baseline": {}})
    constants: dict[str, Any] = Field(default_factory=dict)
    design: DesignSpec = Field(default_factory=DesignSpec)
    uncertainties: dict[str, Any] = Field(default_factory=dict)
    levers: dict[str, Any] = Field(default_factory=dict)
    outcomes: list[OutcomeSpec] = Field(default_factory=list)
    prim: PrimSpec | None = None

    @field_validator("name")
    @classmethod
    def _folder_name(cls, v: str | None) -> str | None:
        # the name is the default output folder results/experiments/<name>: one plain folder
        if v is not None and not _FOLDER_NAME.match(v):
            raise ValueError(
                "must be a plain folder name: letters, digits, _ - . (not first), at most 60 "
                "characters, no / or .."
            )
        return v


@dataclass(frozen=True)
class RunSpec:
    """One run: a scenario, a sample of the parameters, a replicate seed; picklable."""

    run_id: str
    scenario: str
    sample: int
    replicate: int
    seed: int
    until: int
    params: dict[str, Any]
    config: dict[str, Any]
    config_hash: str


@dataclass
class SpecOverrides:
    """Command-line shrinking of a spec (for quick checks); recorded in ``experiment.json``."""

    replicates: int | None = None
    samples: int | None = None
    until: int | None = None
    counties: list[str] | None = None

    def active(self) -> dict[str, Any]:
        """The levers this scenario runs with, after only_levers/drop_levers."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class Experiment:
    """A validated spec: scenarios resolved to configs, parameters, design and runs."""

    path: Path
    name: str
    text: str
    model: SpecModel
    scenarios: dict[str, Config]
    parameters: list[Parameter]
    outcomes: list[OutcomeSpec]
    unit_samples: np.ndarray  # (n_samples, n_params) in [0, 1]; empty for 'none'
    samples: list[dict[str, Any]]  # parameter values per sample
    replicate_seeds: list[int]
    until: int
    runs: list[RunSpec] = field(default_factory=list)
    overrides: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    n_runs: int = 0  # scenarios x samples x replicates, known before the runs are built
    peak_children: int = 0  # children of the largest run (estimate, sim.scenario.peak_children)

    @property
    def spec_hash(self) -> str:
        """A digest of everything that decides the runs, so a resume never mixes two experiments."""
        return hashlib.sha256(self.text.encode()).hexdigest()

    @property
    def plan_hash(self) -> str:
        """Hash of what would run: ids, seeds, resolved configs, saved tables.

        It changes when a config file the spec uses changes; not when only outcomes or the
        analysis change, so those can be recomputed by resuming without rerunning the model.
        """
        h = hashlib.sha256()
        h.update(("save:" + ",".join(self.model.save) + "\n").encode())
        for r in self.runs:
            h.update(f"{r.run_id}|{r.seed}|{r.until}|{r.config_hash}\n".encode())
        return h.hexdigest()

    @property
    def design(self) -> DesignSpec:
        """The design section (kind, samples, parameters) of the spec."""
        return self.model.design


def replicate_seeds(master: int, replicates: int) -> list[int]:
    """Replicate seeds spawned from one ``SeedSequence`` (DESIGN §8).

    Child ``i`` of ``SeedSequence(master)`` does not depend on how many children are spawned,
    so adding replicates keeps the seeds of the earlier ones. The same seed serves replicate
    ``i`` of every scenario and sample: common random numbers.
    """
    children = np.random.SeedSequence(master).spawn(replicates)
    # 63 bits: Config.seed (and numpy) take any non-negative int below 2**63
    return [int(c.generate_state(1, dtype=np.uint64)[0]) >> 1 for c in children]


def design_seed(master: int) -> int:
    """The seed for the design's sampler, a stream apart from the replicate seeds."""
    ss = np.random.SeedSequence([master, _DESIGN_STREAM])
    return int(ss.generate_state(1, dtype=np.uint32)[0])


def config_hash(config: dict[str, Any]) -> str:
    """A stable hash of a resolved config (its JSON with sorted keys)."""
    text = json.dumps(config, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _resolve_path(ref: str, spec_path: Path, key: str) -> Path:
    """A config path in a spec: relative to the spec's folder, else to the working directory."""
    candidates = [spec_path.parent / ref, Path.cwd() / ref]
    for c in candidates:
        if c.is_file():
            return c.resolve()
    tried = " or ".join(str(c) for c in dict.fromkeys(candidates))
    raise InputError(f"config file {ref!r} not found (tried {tried})", source=spec_path, key=key)


def _read_model(path: Path, data: dict[str, Any]) -> SpecModel:
    try:
        return SpecModel.model_validate(data)
    except ValidationError as exc:
        raise describe_validation_error(exc, SpecModel, str(path)) from None


@dataclass(frozen=True)
class Limits:
    """Caps checked before anything is built (``--max-runs``, ``--max-children``)."""

    max_runs: int = MAX_RUNS
    max_children: int = MAX_CHILDREN


def load_spec(
    path: str | Path,
    overrides: SpecOverrides | None = None,
    limits: Limits | None = None,
    *,
    expand: bool = True,
) -> Experiment:
    """Read, validate and (with ``expand``) expand an experiment spec; ``InputError`` on any problem.

    The design's size, the number of runs and the children of the largest run are computed
    and checked against ``limits`` before any sample or run is built, so an oversized spec
    fails in a second whatever its size. ``expand=False`` (``--check``) leaves ``runs``
    empty; ``n_runs`` still says how many there would be.
    """
    path = Path(path)
    data = read_toml(path)
    text = path.read_text(encoding="utf-8")
    src = str(path)
    ov = overrides or SpecOverrides()
    lim = limits or Limits()
    notes: list[str] = []
    _apply_cli_overrides(data, ov, notes)
    model = _read_model(path, data)
    scenarios = _resolve_scenarios(model, path, ov)
    untils = {c.until for c in scenarios.values()}
    if len(untils) > 1:
        raise InputError(
            f"scenarios end in different years ({sorted(untils)}); set until = YEAR in the spec",
            source=src,
            key="until",
        )
    params, probes = _resolve_parameters(model, scenarios, src)
    n_runs = _check_size(model, params, len(scenarios), lim, src)
    children = max(check_run_size(c, lim.max_children, src) for c in [*scenarios.values(), *probes])
    unit, samples = _sample_design(model, params, src)
    shrunk = ov.until is not None
    outcomes = _check_outcomes(model.outcomes, scenarios, min(untils), src, notes, shrunk=shrunk)
    _check_prim(model, outcomes, params, src)
    exp = Experiment(
        path=path.resolve(),
        name=model.name or path.stem,
        text=text,
        model=model,
        scenarios=scenarios,
        parameters=params,
        outcomes=outcomes,
        unit_samples=unit,
        samples=samples,
        replicate_seeds=replicate_seeds(model.seed, model.replicates),
        until=min(untils),
        overrides=ov.active(),
        notes=notes,
        n_runs=n_runs,
        peak_children=children,
    )
    if expand:
        exp.runs = _expand(exp, src)
    return exp


def _apply_cli_overrides(data: dict[str, Any], ov: SpecOverrides, notes: list[str]) -> None:
    """Write ``--replicates``, ``--until`` and ``--samples`` into the spec's data."""
    if ov.replicates is not None:
        data["replicates"] = ov.replicates
    if ov.until is not None:
        data["until"] = ov.until
    raw_design = data.get("design")
    raw_kind = raw_design.get("kind", "none") if isinstance(raw_design, dict) else "none"
    if ov.samples is not None and raw_kind == "none":
        notes.append("--samples ignored: the spec has no design")
    elif ov.samples is not None:
        design = dict(data.get("design") or {})
        if design.get("kind") == "grid":
            design["levels"] = ov.samples
            for section in ("uncertainties", "levers"):
                for pdef in flatten(data.get(section) or {}, stop_at_params=True).values():
                    if isinstance(pdef, dict):
                        pdef.pop("levels", None)
                        if isinstance(pdef.get("values"), list):
                            pdef["values"] = pdef["values"][: ov.samples]
        else:
            design["samples"] = ov.samples
        data["design"] = design


def _resolve_scenarios(model: SpecModel, path: Path, ov: SpecOverrides) -> dict[str, Config]:
    """Each scenario as a full config: base or its own, then constants, then its overrides."""
    src = str(path)
    base = load_config(_resolve_path(model.base, path, "base")) if model.base else Config()
    constants = flatten(model.constants)
    if ov.counties is not None:
        constants["counties"] = ov.counties
    if not model.scenarios:
        raise InputError("at least one scenario is needed", source=src, key="scenarios")
    scenarios: dict[str, Config] = {}
    for name, raw in model.scenarios.items():
        key = f"scenarios.{name}"
        if not _NAME.match(name) or len(name) > 60:
            raise InputError(
                "a scenario name starts with a letter and holds only letters, digits and _ (at most 60)",
                source=src,
                key=key,
            )
        if not isinstance(raw, dict):
            raise InputError('must be a table, e.g. { config = "..." } or {}', source=src, key=key)
        raw = dict(raw)
        known = set(ScenarioSpec.model_fields)
        loose = {k: raw.pop(k) for k in list(raw) if k not in known}
        try:
            scen = ScenarioSpec.model_validate(raw)
        except ValidationError as exc:
            err = describe_validation_error(exc, ScenarioSpec, src)
            raise InputError(err.detail, source=src, key=f"{key}.{err.key}") from None
        cfg = load_config(_resolve_path(scen.config, path, f"{key}.config")) if scen.config else base
        if scen.only_levers is not None or scen.drop_levers is not None:
            cfg = _filter_levers(cfg, scen.only_levers, scen.drop_levers, src, key)
        if scen.levers:
            cfg = _add_levers(cfg, scen.levers, src, f"{key}.levers")
        cfg = apply_overrides(cfg, constants, src, key_prefix="constants.")
        extra = flatten(scen.overrides) | flatten(loose)
        cfg = apply_overrides(cfg, extra, src, key_prefix=f"{key}.")
        if model.until is not None:
            cfg = apply_overrides(cfg, {"until": model.until}, src, key_prefix="")
        scenarios[name] = cfg
    return scenarios


def _resolve_parameters(
    model: SpecModel, scenarios: dict[str, Config], src: str
) -> tuple[list[Parameter], list[Config]]:
    """Parameters with names resolved, and each scenario's config at each parameter's extremes.

    Applying the extremes checks that every reachable value fits the config's bounds (and
    the levers' own checks); the configs serve the size estimate.
    """
    params = parse_parameters(model.uncertainties, "uncertainties", src) + parse_parameters(
        model.levers, "levers", src
    )
    seen: set[str] = set()
    probes: list[Config] = []
    for p in params:
        key = f"{_section(p)}.{p.name}"
        if p.name in seen:
            raise InputError(
                "parameter given twice (uncertainties and levers are one namespace)", source=src, key=key
            )
        seen.add(p.name)
        for s in p.scenarios or ():
            if s not in scenarios:
                raise InputError(
                    f"unknown scenario {s!r} (scenarios: {', '.join(scenarios)})",
                    source=src,
                    key=f"{key}.scenarios",
                )
        if p.spec.integer is False and p.spec.values is None and _is_int_field(p.name):
            raise InputError("this config value is an integer; add integer = true", source=src, key=key)
        for sname, cfg in scenarios.items():
            if not p.applies_to(sname):
                continue
            for value in p.probe_values():
                where = f"{src} [{key} = {value!r} in scenario {sname}]"
                probes.append(apply_overrides(cfg, {p.name: value}, where))
    return params, probes


def design_size(design: DesignSpec, params: list[Parameter]) -> int:
    """Samples the design will draw, computed from its settings alone (nothing is sampled).

    grid: the product of each parameter's levels; lhs: N; sobol: N(2D+2), or N(D+2)
    without second order; morris: N(D+1) (SALib's sizes). 0 when samples is missing.
    """
    D = len(params)
    if design.kind == "none":
        return 1
    if design.kind == "grid":
        return math.prod(len(p.grid_values(design.num_levels)) for p in params)
    n = design.samples or 0
    if design.kind == "sobol":
        return n * (2 * D + 2 if design.second_order else D + 2)
    if design.kind == "morris":
        return n * (D + 1)
    return n


def _check_size(model: SpecModel, params: list[Parameter], n_scenarios: int, lim: Limits, src: str) -> int:
    """Total runs, checked against the sample and run caps before anything is built."""
    n_samples = design_size(model.design, params)
    if n_samples > MAX_SAMPLES:
        raise InputError(
            f"the {model.design.kind} design has {n_samples:,} points (at most {MAX_SAMPLES:,})",
            source=src,
            key="design",
        )
    n_runs = n_scenarios * max(n_samples, 1) * model.replicates
    if n_runs > lim.max_runs:
        raise InputError(
            f"the plan has {n_runs:,} runs ({n_scenarios} scenario(s) x {max(n_samples, 1):,} "
            f"sample(s) x {model.replicates} replicate(s)), about {n_runs * PLAN_BYTES_PER_RUN / 1e9:.1f} GB "
            f"to hold; the cap is {lim.max_runs:,} (raise it with --max-runs)",
            source=src,
            key="design",
        )
    return n_runs


def _check_prim(model: SpecModel, outcomes: list[OutcomeSpec], params: list[Parameter], src: str) -> None:
    if model.prim is None:
        return
    names = {o.name for o in outcomes}
    for o in model.prim.outcomes or []:
        if o not in names:
            raise InputError(
                f"unknown outcome {o!r} (outcomes: {', '.join(sorted(names))})",
                source=src,
                key="prim.outcomes",
            )
    if not params:
        raise InputError("PRIM needs sampled uncertainties or levers", source=src, key="prim")


def _section(p: Parameter) -> str:
    return "levers" if p.kind == "lever" else "uncertainties"


def _is_int_field(dotted: str) -> bool:
    if dotted.startswith("levers."):
        return False
    node: Any = Config
    info = None
    for part in dotted.split("."):
        if not (isinstance(node, type) and issubclass(node, BaseModel)):
            return False
        info = node.model_fields.get(part)
        if info is None:
            return False
        node = info.annotation
    return node is int


def _filter_levers(cfg: Config, only: list[str] | None, drop: list[str] | None, src: str, key: str) -> Config:
    """The config with only (or without) its levers of the given types."""
    present = [str(lv.get("type")) for lv in cfg.levers]
    for name, types in (("only_levers", only), ("drop_levers", drop)):
        for t in types or []:
            if t not in present:
                raise InputError(
                    f"no lever of type {t!r} in this scenario's config (its levers: "
                    f"{', '.join(dict.fromkeys(present)) or 'none'})",
                    source=src,
                    key=f"{key}.{name}",
                )
    kept = [
        lv
        for lv in cfg.levers
        if (only is None or lv.get("type") in only) and (drop is None or lv.get("type") not in drop)
    ]
    data = cfg.model_dump()
    data["levers"] = kept
    from sim.scenario import validate_config

    return validate_config(data, src)


def _add_levers(cfg: Config, levers: list[dict[str, Any]], src: str, key: str) -> Config:
    data = cfg.model_dump()
    data["levers"] = list(data["levers"]) + [dict(lv) for lv in levers]
    try:
        from sim.scenario import validate_config

        return validate_config(data, src)
    except InputError as exc:
        raise InputError(exc.detail, source=src, key=f"{key}: {exc.key}") from None


def _sample_design(
    model: SpecModel, params: list[Parameter], src: str
) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Draw the unit-cube design and map it to parameter values."""
    d = model.design
    if d.kind == "none":
        if params:
            raise InputError(
                "uncertainties or levers are given but no design; set [design] kind = "
                "'grid', 'lhs', 'sobol' or 'morris'",
                source=src,
                key="design.kind",
            )
        if d.samples is not None:
            raise InputError("samples needs a design kind", source=src, key="design.samples")
        return np.zeros((1, 0)), [{}]
    if not params:
        raise InputError(
            f"a {d.kind} design needs [uncertainties] or [levers]", source=src, key="design.kind"
        )
    if d.kind == "grid":
        return _grid_design(d, params, src)
    return _sampled_design(model, params, src)


def _grid_design(d: DesignSpec, params: list[Parameter], src: str) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Every combination of the parameters' levels (the size was checked before)."""
    if d.samples is not None:
        raise InputError(
            "a grid takes levels (per parameter or in [design]), not samples",
            source=src,
            key="design.samples",
        )
    import itertools

    axes = [p.grid_values(d.num_levels) for p in params]
    values = [
        dict(zip([p.name for p in params], combo, strict=True)) for combo in itertools.product(*axes)
    ]
    if len(values) > MAX_SAMPLES:
        raise InputError(
            f"the grid has {len(values)} points (at most {MAX_SAMPLES})",
            source=src,
            key="design",
        )
    # unit coordinates of grid points, for analysis
    unit = np.array(
        [
            [_grid_unit(ax, v) for ax, v in zip(axes, combo, strict=True)]
            for combo in itertools.product(*axes)
        ],
        dtype=float,
    )
    return unit, values


def _sampled_design(
    model: SpecModel, params: list[Parameter], src: str
) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """An LHS, Sobol or Morris sample drawn from the design's own seed stream."""
    d = model.design
    D = len(params)
    seed = design_seed(model.seed)
    if d.samples is None:
        raise InputError(f"a {d.kind} design needs samples = N", source=src, key="design.samples")
    problem = {"num_vars": D, "names": [p.name for p in params], "bounds": [[0.0, 1.0]] * D}
    if d.kind == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=D, rng=np.random.default_rng(seed)).random(d.samples)
    elif d.kind == "sobol":
        import warnings

        from SALib.sample import sobol as sobol_sample

        if d.samples & (d.samples - 1):
            raise InputError(
                f"a Sobol base sample size must be a power of 2 (got {d.samples})",
                source=src,
                key="design.samples",
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            unit = sobol_sample.sample(problem, d.samples, calc_second_order=d.second_order, seed=seed)
    else:
        from SALib.sample import morris as morris_sample

        if d.samples < 2:
            raise InputError(
                "a Morris design needs at least 2 trajectories", source=src, key="design.samples"
            )
        unit = morris_sample.sample(problem, d.samples, num_levels=d.num_levels, seed=seed)
    if len(unit) > MAX_SAMPLES:
        raise InputError(
            f"the design has {len(unit)} points (at most {MAX_SAMPLES})",
            source=src,
            key="design.samples",
        )
    values = [{p.name: p.from_unit(u) for p, u in zip(params, row, strict=True)} for row in unit]
    return np.asarray(unit, dtype=float), values


def _grid_unit(axis: list[Any], value: Any) -> float:
    i = axis.index(value)
    return i / (len(axis) - 1) if len(axis) > 1 else 0.0


class _MetricChecker:
    """Accepts documented metric names at once; asks a probe run of each scenario for others."""

    def __init__(self, scenarios: dict[str, Config]):
        self.known = set(known_metrics())
        self.pending = list(scenarios.items())

    def knows(self, name: str) -> bool:
        while name not in self.known and self.pending:
            scenario, config = self.pending.pop(0)
            try:
                self.known |= probe_metrics(config)
            except Exception as exc:
                raise InputError(
                    f"cannot list the model's metrics: a one-year probe run of scenario "
                    f"{scenario!r} failed ({type(exc).__name__}: {exc})"
                ) from exc
        return name in self.known

    def unknown(self, name: str) -> str:
        import difflib

        close = difflib.get_close_matches(name, sorted(self.known), n=4, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        return (
            f"unknown metric {name!r}{hint} (the model writes {len(self.known)} metrics; "
            "see the metric column of a run's county_year.parquet)"
        )


def _check_outcomes(
    outcomes: list[OutcomeSpec],
    scenarios: dict[str, Config],
    until: int,
    src: str,
    notes: list[str],
    *,
    shrunk: bool,
) -> list[OutcomeSpec]:
    """Each outcome checked: unique name, what it measures, where, and in which year."""
    names: set[str] = set()
    checker = _MetricChecker(scenarios)
    out = []
    start = min(c.start_year for c in scenarios.values())
    for i, o in enumerate(outcomes):
        key = f"outcomes[{i}]"
        if o.name in names:
            raise InputError(f"outcome name {o.name!r} is used twice", source=src, key=f"{key}.name")
        names.add(o.name)
        o = _check_measure(o, checker, src, key)
        _check_place(o, scenarios, src, key)
        if o.year <= start or o.year > until:
            if shrunk and o.year > until:
                notes.append(f"outcome {o.name}: year {o.year} moved to {until} by --until")
                o = o.model_copy(update={"year": until})
            else:
                raise InputError(
                    f"year {o.year} is outside the simulated years {start + 1}-{until}",
                    source=src,
                    key=f"{key}.year",
                )
        out.append(o)
    return out


def _check_measure(o: OutcomeSpec, checker: _MetricChecker, src: str, key: str) -> OutcomeSpec:
    """What the outcome measures: one metric (or a share of two) or one plan target."""
    if (o.metric is None) == (o.target is None):
        raise InputError(
            "give exactly one of metric = ... (a county-year metric) or target = ... (a plan target)",
            source=src,
            key=key,
        )
    for attr in ("metric", "divide_by"):
        name = getattr(o, attr)
        if name is not None and not checker.knows(name):
            raise InputError(checker.unknown(name), source=src, key=f"{key}.{attr}")
    if o.divide_by is not None and o.metric is None:
        raise InputError("divide_by applies to a metric", source=src, key=f"{key}.divide_by")
    targets = known_targets()
    if o.target is not None and targets is not None and o.target not in targets:
        raise InputError(
            f"unknown plan target {o.target!r} (known: {', '.join(sorted(targets))})",
            source=src,
            key=f"{key}.target",
        )
    if o.target is not None and o.threshold is None:
        o = o.model_copy(update={"threshold": target_threshold(o.target)})
    if o.target is not None and o.reduce != "value":
        raise InputError(
            "a plan target is one number; reduce applies to metrics only", source=src, key=f"{key}.reduce"
        )
    return o


def _check_place(o: OutcomeSpec, scenarios: dict[str, Config], src: str, key: str) -> None:
    """Where the outcome is read: a simulated county or the city, and how counties combine."""
    if o.county not in (*COUNTIES, CITY):
        raise InputError(
            f"unknown county {o.county!r} (allowed: {', '.join((*COUNTIES, CITY))})",
            source=src,
            key=f"{key}.county",
        )
    if o.reduce != "value" and o.county != CITY:
        raise InputError(
            f"reduce = {o.reduce!r} runs over the counties; leave county out", source=src, key=f"{key}.county"
        )
    if o.county != CITY:
        for sname, cfg in scenarios.items():
            if o.county not in cfg.counties:
                raise InputError(
                    f"county {o.county!r} is not simulated in scenario {sname!r} "
                    f"(its counties: {', '.join(cfg.counties)})",
                    source=src,
                    key=f"{key}.county",
                )
    if o.county_sense != ">=" and o.county_threshold is None:
        raise InputError("county_sense needs county_threshold", source=src, key=f"{key}.county_sense")
    if o.county_threshold is not None and o.reduce != "count_counties":
        raise InputError(
            "county_threshold applies only to reduce = 'count_counties'",
            source=src,
            key=f"{key}.county_threshold",
        )


def _expand(exp: Experiment, src: str) -> list[RunSpec]:
    """Scenarios × samples × replicates, with ids that never depend on how they are run."""
    runs: list[RunSpec] = []
    for sname, base_cfg in exp.scenarios.items():
        for si, values in enumerate(exp.samples):
            applied = {
                k: v
                for k, v in values.items()
                if next(p for p in exp.parameters if p.name == k).applies_to(sname)
            }
            cfg = apply_overrides(base_cfg, applied, f"{src} [scenario {sname}, sample {si}]")
            for ri, seed in enumerate(exp.replicate_seeds):
                dumped = cfg.model_copy(update={"seed": seed}).model_dump(mode="json")
                runs.append(
                    RunSpec(
                        run_id=run_id(sname, si, ri),
                        scenario=sname,
                        sample=si,
                        replicate=ri,
                        seed=seed,
                        until=exp.until,
                        params=applied,
                        config=dumped,
                        config_hash=config_hash(dumped),
                    )
                )
    return runs


def run_id(scenario: str, sample: int, replicate: int) -> str:
    """The stable id of a run, also its folder name under ``runs/``."""
    return f"{scenario}-s{sample:05d}-r{replicate:03d}"


def describe(exp: Experiment) -> dict[str, Any]:
    """What ``experiment.json`` says about the design."""
    d = exp.design
    return {
        "kind": d.kind,
        "samples": len(exp.samples),
        "base_samples": d.samples,
        "levels": d.num_levels if d.kind in ("grid", "morris") else None,
        "second_order": d.second_order if d.kind == "sobol" else None,
        "replicates": exp.model.replicates,
        "scenarios": list(exp.scenarios),
        "parameters": [p.describe() for p in exp.parameters],
        "outcomes": [o.model_dump(exclude_defaults=True) for o in exp.outcomes],
        "runs": len(exp.runs),
    }


def eprint(*args: Any) -> None:
    """Print to stderr (notes the user should see next to the progress bar)."""
    print(*args, file=sys.stderr)
