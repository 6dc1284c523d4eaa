"""A run folder is written whole or not at all, by one process at a time.

Why: a rerun killed half-way used to leave tables of two seeds beside one manifest, and the
report rendered the mix as if it were one run (issue 16). So a run is written into a fresh
hidden folder beside ``--out`` and swapped in whole once its manifest, with a SHA-256 per
table, is on disk; readers check those sums (``verify_run``). ``--out`` is checked before the
model runs (``check_out``), and a lock file beside it (``RunLock``) keeps a second writer out
with a message naming the first.

The swap uses Linux ``renameat2(RENAME_EXCHANGE)``, which exchanges two folders atomically, so
``--out`` always holds the old run or the new one. Where that call is missing the old folder
is renamed aside first, and the next writer puts it back if a kill fell between the renames.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import hashlib
import json
import os
import shutil
import socket
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sim.core.errors import InputError
from sim.core.provenance import atomic_write_json

MANIFEST = "manifest.json"
_HELD: set[Path] = set()  # locks this process holds (a nested RunLock on one is a no-op)
EXPERIMENT_FILES = ("experiment.json", "runs")


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def folder_kind(path: Path) -> str:
    """``"missing"``, ``"empty"``, ``"run"``, ``"experiment"`` or ``"other"``."""
    if not path.exists():
        return "missing"
    if any((path / name).exists() for name in EXPERIMENT_FILES):
        return "experiment"
    if (path / MANIFEST).is_file():
        return "run"
    return "other" if any(path.iterdir()) else "empty"


def _same_config(path: Path, source: str, name: str) -> bool:
    """Whether the run in ``path`` was made from this config file (or, in older runs, name)."""
    try:
        data = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        if data.get("config_file"):
            return bool(data["config_file"] == source)
        return bool(data["config"]["name"] == name)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def check_writable(out: str | Path) -> Path:
    """``out`` as a folder this process can create or replace; ``InputError`` otherwise."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError("is a file, not a folder; choose another --out", source=out)
    ancestor = out.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise InputError(f"cannot make a folder under {ancestor}: it is a file", source=out)
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise InputError(f"cannot write in {ancestor} (permission denied)", source=out)
    if out.is_dir() and not os.access(out, os.W_OK | os.X_OK):
        raise InputError("cannot write in this folder (permission denied)", source=out)
    return out


def check_experiment_out(out: str | Path) -> Path:
    """Refuse an experiment ``--out`` that is a file, unwritable, or a single run's folder."""
    out = check_writable(out)
    if folder_kind(out) == "run":
        raise InputError(
            "holds a run (manifest.json); choose another --out for the experiment", source=out
        )
    return out


def check_out(out: str | Path, *, source: str, force: bool, name: str | None = None) -> Path:
    """Refuse an ``--out`` the run could not write or should not replace, before simulating.

    A folder holding a run of the same config file (``source``, the manifest's
    ``config_file``; ``name`` for runs written before it was recorded) is replaced: a rerun.
    Another config's run or an experiment only with ``force``; a folder of other files
    never, since the swap would delete them.
    """
    out = check_writable(out)
    kind = folder_kind(out)
    if kind == "other":
        raise InputError(
            "holds files that are not a run; choose a new or empty folder for --out", source=out
        )
    if kind == "experiment" and not force:
        raise InputError(
            "holds an experiment; choose another --out, or pass --force to replace it", source=out
        )
    if kind == "run" and not force and not _same_config(out, source, name or ""):
        raise InputError(
            "holds the run of another config; choose another --out, or pass --force to replace it",
            source=out,
        )
    return out


class RunLock:
    """An exclusive ``flock`` on ``.<name>.lock`` beside a folder, naming its holder.

    The kernel drops the lock when its holder dies, so a killed run never leaves a stale lock.
    Taking a lock this process already holds is a no-op, so a command can lock ``--out``
    before simulating and ``write_run`` can lock it again when it writes.
    """

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.path = self.folder.parent / f".{self.folder.name}.lock"
        self.fd: int | None = None
        self.nested = False

    def acquire(self) -> RunLock:
        """Take the lock or raise ``InputError`` naming the process that holds it."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create the folder ({exc.strerror})", source=self.folder) from None
        key = self.path.resolve()
        if key in _HELD:
            self.nested = True
            return self
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                reason = exc.strerror
                raise InputError(f"cannot create its lock file ({reason})", source=self.folder) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(fd)
                os.close(fd)
                raise InputError(
                    f"another process is writing this folder ({holder}); wait for it to finish "
                    "or choose another --out",
                    source=self.folder,
                ) from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)  # the holder unlinked it between our open and flock: take the new one
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": " ".join(sys.argv),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(info, ensure_ascii=False).encode())
        self.fd = fd
        _HELD.add(key)
        return self

    def release(self) -> None:
        """Remove the lock file and drop the lock."""
        if self.fd is None:
            return
        _HELD.discard(self.path.resolve())
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        os.close(self.fd)
        self.fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "a process that is still starting"
    return f"pid {info.get('pid')} on {info.get('host')} since {info.get('since')}: {info.get('command')}"


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths (Linux ``renameat2``); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(a))


def _siblings(out: Path, tag: str) -> Iterator[Path]:
    return out.parent.glob(f".{out.name}.{tag}-*")


def recover(out: Path) -> None:
    """Tidy what a killed writer left beside ``out`` (call with the lock held).

    A folder set aside by the two-rename fallback comes back if ``out`` is missing; any
    other temporary folder is deleted.
    """
    aside = sorted(_siblings(out, "old"))
    if not out.exists() and aside:
        os.rename(aside.pop(), out)
    for stale in [*aside, *_siblings(out, "tmp")]:
        shutil.rmtree(stale, ignore_errors=True)


def write_run_folder(
    out: Path,
    tables: dict[str, pd.DataFrame],
    manifest: dict[str, Any],
) -> Path:
    """Write tables and manifest into a fresh folder beside ``out``, then swap it in whole.

    The manifest gains ``files`` (table → file name) and ``sha256`` (table → checksum). An
    ``OSError`` (full disk, permissions) leaves ``out`` as it was and becomes an
    ``InputError``. Call with the folder's ``RunLock`` held.
    """
    out = Path(out)
    recover(out)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    try:
        tmp.mkdir(parents=True)
        files, sums = {}, {}
        for name, frame in tables.items():
            path = tmp / f"{name}.parquet"
            frame.to_parquet(path, index=False)
            files[name], sums[name] = path.name, sha256_file(path)
        atomic_write_json(tmp / MANIFEST, {**manifest, "files": files, "sha256": sums})
        _swap(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        reason = exc.strerror or str(exc)
        raise InputError(
            f"cannot write the run ({reason}); what was there before is unchanged", source=out
        ) from None
    shutil.rmtree(tmp, ignore_errors=True)  # after an exchange it holds the old run
    return out


def _swap(new: Path, out: Path) -> None:
    if not out.exists():
        os.rename(new, out)
    elif not _exchange(new, out):
        aside = out.parent / f".{out.name}.old-{os.getpid()}"
        os.rename(out, aside)
        os.rename(new, out)
        shutil.rmtree(aside, ignore_errors=True)


def verify_run(path: Path) -> dict[str, Any]:
    """The manifest of a complete run folder; ``InputError`` unless every checksum matches.

    Why: only a folder whose tables are exactly those its manifest describes is one run.
    """
    path = Path(path)
    mpath = path / MANIFEST
    if not mpath.is_file():
        raise InputError(
            "not a complete run: manifest.json is missing (killed while writing?); rerun it",
            source=path,
        )
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"unreadable manifest: {exc}", source=mpath) from None
    sums = manifest.get("sha256") if isinstance(manifest, dict) else None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(sums, dict) or not isinstance(files, dict) or not files:
        raise InputError(
            "the manifest lists no table checksums (written by an older version); rerun it",
            source=mpath,
        )
    for name, file in files.items():
        table = path / str(file)
        if not table.is_file():
            raise InputError(f"table {name} listed in the manifest is missing; rerun it", source=path)
        if sha256_file(table) != sums.get(name):
            raise InputError(
                f"{file} does not match the checksum in manifest.json (tables of two runs "
                "mixed?); rerun it",
                source=path,
            )
    return manifest
