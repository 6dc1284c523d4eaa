"""Provenance and safe writing, shared by single runs and experiments.

One place says what a result was made with (the git commit, package versions, UTC time
stamps) and how files reach the disk (written to a temporary name, then moved into place
with ``os.replace``, so a reader sees the old file or the whole new one). Both the run store
(``sim.scenario``) and the experiment store (``sim.experiments.store``) use it, so their
manifests have one format.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

TMP_PREFIX = ".tmp-"
# Packages whose versions can change the numbers (or how they are stored).
PACKAGES = (
    "qingyuan-edu-sim",
    "mesa",
    "numpy",
    "pandas",
    "pyarrow",
    "pydantic",
    "scipy",
    "SALib",
    "dask",
    "distributed",
)


def utc_now() -> datetime:
    """Timezone-aware now (UTC), for manifests."""
    return datetime.now(UTC)


def git_commit() -> dict[str, Any]:
    """The commit of the source tree, and whether tracked files had edits (None outside git)."""
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": head, "dirty": bool(dirty)}


def versions() -> dict[str, str]:
    """Versions of Python and of the packages that shape the numbers."""
    out = {"python": platform.python_version()}
    for dist in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[dist] = metadata.version(dist)
    return out


def temporary_name(path: Path) -> Path:
    """A sibling name unique to this process, so concurrent writers never share one."""
    return path.with_name(f"{TMP_PREFIX}{os.getpid()}-{path.name}")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one."""
    tmp = temporary_name(path)
    with open(tmp, "wb") as fh:
        fh.write(data)  # no fsync: this guards against a killed process, not a power cut
    os.replace(tmp, path)


def atomic_write_json(path: Path, obj: Any) -> None:
    """JSON (UTF-8, Chinese kept readable) written atomically."""
    text = json.dumps(obj, ensure_ascii=False, indent=1, default=_json_default)
    atomic_write_bytes(path, (text + "\n").encode("utf-8"))


def atomic_write_parquet(path: Path, frame: pd.DataFrame) -> None:
    """A DataFrame to Parquet, atomically, without the pandas index."""
    tmp = temporary_name(path)
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    return str(obj)


def table_digest(frame: pd.DataFrame) -> str:
    """SHA-256 of a table's content: column names, dtypes and values, in row order.

    Independent of the Parquet writer's version (whose file bytes carry a ``created_by``
    string), so a digest committed on one machine checks outputs on another.
    """
    h = hashlib.sha256()
    for name in frame.columns:
        col = frame[name]
        h.update(f"{name}:{col.dtype}\n".encode())
        if col.dtype == object or isinstance(col.dtype, pd.StringDtype):
            h.update("\x1f".join(map(str, col.tolist())).encode())
        else:
            h.update(np.ascontiguousarray(col.to_numpy()).tobytes())
    return h.hexdigest()
