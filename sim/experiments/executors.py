"""Where runs execute: in this process, a process pool, or a Dask cluster — one interface.

The runner only needs ``concurrent.futures.Executor.submit``; anything that offers it works
(Mesa 4's ``run_scenarios(..., executor=...)`` takes the same view). Results never depend on
the choice: each run carries its own seed and config, and the tables are sorted by run id.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

from sim.core.errors import InputError

MALLOC_TRIM_KEY = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"
# The same for workers started by hand (``dask worker``): put this in a YAML file in
# ~/.config/dask/ (or a directory named by DASK_CONFIG) on every worker machine.
DASK_WORKER_CONFIG = """\
distributed:
  nanny:
    pre-spawn-environ:
      MALLOC_TRIM_THRESHOLD_: null
"""


class InlineExecutor(Executor):
    """Runs each task at ``submit`` in the calling process (``--workers 1``).

    No pickling and no child process: the simplest path to debug a run, and the reference
    the other executors are tested against.
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Run ``fn(*args, **kwargs)`` now, in this process, and return its finished future."""
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # a KeyboardInterrupt still stops the sweep
            if not isinstance(exc, Exception):
                raise
            future.set_exception(exc)
        return future


def _worker_init(runner_pid: int) -> None:
    """Import the model once per worker, and leave when the runner is gone.

    A runner killed with SIGKILL cannot shut its pool down; without the watchdog its idle
    workers (hundreds of MB each) would stay until the machine restarts.
    """
    with contextlib.suppress(ImportError):
        import sim.scenario  # noqa: F401
    threading.Thread(target=_exit_with, args=(runner_pid,), daemon=True).start()


def _exit_with(pid: int, interval: float = 1.0) -> None:
    while True:
        time.sleep(interval)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:  # pragma: no cover - the pid was reused by another user
            os._exit(0)


@contextlib.contextmanager
def open_executor(workers: int = 1, dask: str | None = None) -> Iterator[tuple[Executor, str, int]]:
    """Yield an executor, a description of it and how many runs to queue; shut it down after.

    ``dask=None`` and one worker: in-process. ``dask=None`` and more: a process pool
    (forkserver, so a worker never inherits the parent's threads or locks). ``dask="local"``
    starts a ``LocalCluster`` on loopback with ``workers`` single-threaded processes;
    ``dask="tcp://host:8786"`` joins a running scheduler (its workers need this package
    installed; results come back to this process, which writes them, so no shared disk).
    """
    if workers < 1:
        raise InputError(f"--workers must be at least 1 (got {workers})", key="--workers")
    if dask is None:
        if workers == 1:
            yield InlineExecutor(), "inline (1 process)", 1
            return
        ctx = multiprocessing.get_context("forkserver")
        ex = ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=_worker_init, initargs=(os.getpid(),)
        )
        try:
            yield ex, f"process pool ({workers} workers)", 2 * workers
        except BaseException:
            # Ctrl-C or an error: do not wait for queued runs (finished ones are on disk)
            ex.shutdown(wait=False, cancel_futures=True)
            raise
        ex.shutdown(wait=True)
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - dask is a declared dependency
        raise InputError(f"--dask needs the 'distributed' package ({exc})", key="--dask") from None
    if dask == "local":
        import dask.config

        # Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in each worker, which turns off
        # glibc's adaptive mmap threshold: every large numpy temporary is then mapped and
        # page-faulted afresh, and a model run costs twice the CPU (8.2 s against 3.0 s,
        # issue 15). Unset, workers allocate like any Python process. Remote workers: see
        # DASK_WORKER_CONFIG and the README's "Sweeps on a Dask cluster".
        with dask.config.set({MALLOC_TRIM_KEY: None}):
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
        try:
            with Client(cluster) as client:
                yield (
                    client.get_executor(pure=False),
                    f"dask LocalCluster ({workers} workers)",
                    2 * workers,
                )
        finally:
            cluster.close()
        return
    if not dask.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
        raise InputError(
            f"expected 'local' or a scheduler address such as tcp://host:8786 (got {dask!r})",
            key="--dask",
        )
    try:
        client = Client(dask, timeout="20s")
    except OSError as exc:
        raise InputError(f"cannot reach the Dask scheduler at {dask} ({exc})", key="--dask") from None
    try:
        n = len(client.scheduler_info().get("workers", {}))
        yield (
            client.get_executor(pure=False),
            f"dask scheduler {dask} ({n} workers)",
            2 * max(n, workers),
        )
    finally:
        client.close()
