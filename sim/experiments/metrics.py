"""Which county-year metrics an outcome may name, so a typo fails before any run."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from sim.core import names as schema
from sim.core.names import CORE_COUNTY_METRICS

if TYPE_CHECKING:
    from sim.config import Config

# Metrics the model API documents (BRIEF "The model API"); they are accepted without asking the
# model. Any other name is checked against a tiny probe run (``probe_metrics``), since the model's
# list grows with every mechanism (tests/test_experiments_model.py keeps this list honest).
DOCUMENTED_METRICS: frozenset[str] = CORE_COUNTY_METRICS

# The county on which a probe runs: the smallest, so a probe takes a fraction of a second.
PROBE_COUNTY = "连南瑶族自治县"


@lru_cache(maxsize=16)
def _probe(config_json: str) -> frozenset[str]:
    from sim.config import Config
    from sim.scenario import run

    config = Config.model_validate_json(config_json)
    tables = run(config, seed=config.seed, until=config.start_year + 1)
    return frozenset(tables["county_year"]["metric"].unique())


def probe_metrics(config: Config) -> frozenset[str]:
    """The metric names a run of ``config`` writes, from a one-year run of one county.

    Metric names do not depend on the number of counties or years; levers may add some, so
    the probe keeps the config's levers.
    """
    county = PROBE_COUNTY if PROBE_COUNTY in config.counties else config.counties[0]
    small = config.model_copy(update={"counties": [county], "until": config.start_year + 1})
    return _probe(small.model_dump_json())


def _plan_targets() -> dict[str, str]:
    """Plan target id -> the county-year metric it is computed from (empty if not available)."""
    try:
        from sim.standards.targets import TARGETS
    except ImportError:
        return {}
    return {tid: t.metric for tid, t in TARGETS.items()}


def known_metrics() -> frozenset[str]:
    """Metric names accepted without a probe run: documented, declared, or read by the scorecard."""
    declared = getattr(schema, "COUNTY_YEAR_METRICS", None)
    base = frozenset(declared) if declared else DOCUMENTED_METRICS
    return base | frozenset(_plan_targets().values())


def target_threshold(target: str) -> float | None:
    """The plan's threshold for a scorecard target (None if unknown)."""
    try:
        from sim.standards.targets import TARGETS
    except ImportError:
        return None
    t = TARGETS.get(target)
    return float(t.threshold) if t is not None else None


def known_targets() -> frozenset[str] | None:
    """The plan scorecard's target ids, or None while the scorecard is not available."""
    targets = _plan_targets()
    return frozenset(targets) if targets else None
