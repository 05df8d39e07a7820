"""Worker pools that Ctrl-C and SIGTERM still stop at once.

Python runs a signal handler in the main thread only, when that thread next executes bytecode,
while the kernel may hand a process's signal to any of its threads (a pool's own, a worker
thread). A main thread blocked in ``Future.result()`` would run the handler only once that
future is done: after every clip was cut and kept, or after a fetch hanging on the network.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor, wait
from multiprocessing.context import BaseContext
from typing import TypeVar

__all__ = ["POLL_S", "kill_workers", "process_context", "result_of"]

POLL_S = 0.1  # how often the main thread wakes while it waits, so a signal is handled at once

T = TypeVar("T")


def result_of(future: Future[T]) -> T:
    """``future.result()``, waited for in short slices so that signal handlers run meanwhile."""
    while not wait([future], timeout=POLL_S).done:
        pass
    return future.result()


def process_context(preload: Sequence[str]) -> BaseContext:
    """How to start worker processes: from a fork server that has imported ``preload``, where the
    platform has one (else spawn, as on Windows).

    Forking the main process itself copies whatever its other threads (rich's progress refresh)
    hold locked at that instant: Python 3.12 warns of it and 3.14 no longer does it by default.
    The fork server is a fresh single-threaded process; having imported the stage once, it forks
    workers that start as fast as forked ones (1,000 notes with --jobs 2 took the same time).
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(list(preload))
    return ctx


def kill_workers(pool: ProcessPoolExecutor) -> None:
    """End a process pool's workers now, mid-task, instead of waiting for their work."""
    kill = getattr(pool, "kill_workers", None)  # Python 3.14+
    if kill is not None:
        kill()
        return
    # Before 3.14 the executor's processes are reachable only through this private mapping.
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(OSError, ValueError):
            proc.kill()
