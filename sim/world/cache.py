"""Set-up cached per world config and seed: a sweep builds each 2022 world once per process.

Building the autumn-2022 world (a million children, their schools, teachers and stocks)
costs about as much as three simulated years. It depends only on the seed and on the
config's world sections, not on the levers or the horizon, so the scenarios and lever
samples of a sweep that share a seed share one world. The cache keeps the state the
model's ``_build_world`` set, and hands each new model its own deep copy: a run never sees
another run's changes. Process-pool and Dask workers are long-lived, so they reuse it too.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections import OrderedDict
from typing import Any

import numpy as np

from sim.config import Config

# config fields that do not change the 2022 world (levers act from the first step on)
NOT_WORLD = ("name", "description", "until", "levers", "seed")
MAX_WORLDS = 2  # worlds kept per process (about 80 MB each at full scale)
# parts of the world no process changes in place after set-up: shared by the models of a
# process, not copied (the geography with its 8 MB place x place distance table; the pupils'
# distances and long commutes, which the boarding step replaces with new arrays each year)
SHARED = ("geo", "student_distance", "long_commute")

_worlds: OrderedDict[str, dict[str, Any]] = OrderedDict()
stats = {"hits": 0, "misses": 0}


def world_key(config: Config, seed: int) -> str:
    """A digest of everything the 2022 world depends on."""
    fields = {k: v for k, v in config.model_dump(mode="json").items() if k not in NOT_WORLD}
    text = json.dumps([int(seed), fields], sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def get(key: str) -> dict[str, Any] | None:
    """A private deep copy of the cached world state, or None."""
    state = _worlds.get(key)
    if state is None:
        stats["misses"] += 1
        return None
    stats["hits"] += 1
    _worlds.move_to_end(key)
    shared = {id(state[name]): state[name] for name in SHARED if name in state}
    return copy.deepcopy(state, memo=shared)


def put(key: str, state: dict[str, Any]) -> None:
    """Keep a deep copy of ``state`` (the caller goes on mutating its own).

    The ``SHARED`` parts are kept as they are, made read-only, and handed to every model
    (its road-distance table built first, so that no model builds its own).
    """
    for name in SHARED:
        if name in state:
            freeze(state[name])
    shared = {id(state[name]): state[name] for name in SHARED if name in state}
    _worlds[key] = copy.deepcopy(state, memo=shared)
    _worlds.move_to_end(key)
    while len(_worlds) > MAX_WORLDS:
        _worlds.popitem(last=False)


def clear() -> None:
    """Forget every cached world (tests, memory-bound callers)."""
    _worlds.clear()
    stats.update(hits=0, misses=0)


def freeze(part: Any) -> None:
    """Make a shared part's arrays read-only, so that a process writing to one fails loudly."""
    if isinstance(part, np.ndarray):
        part.flags.writeable = False
        return
    if hasattr(part, "distance_table"):
        part.distance_table()
    for value in vars(part).values():
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
