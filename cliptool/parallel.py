"""Worker pools that Ctrl-C and SIGTERM still stop at once.

Python runs a signal handler in the main thread only, when that thread next executes bytecode,
while the kernel may hand a process's signal to any of its threads (a pool's own, a worker
thread). A main thread blocked in ``Future.result()`` would run the handler only once that
future is done: after every clip was cut and kept, or after a fetch hanging on the network.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import Future, ProcessPoolExecutor, wait
from typing import TypeVar

__all__ = ["POLL_S", "kill_workers", "result_of"]

POLL_S = 0.1  # how often the main thread wakes while it waits, so a signal is handled at once

T = TypeVar("T")


def result_of(future: Future[T]) -> T:
    """``future.result()``, waited for in short slices so that signal handlers run meanwhile."""
    while not wait([future], timeout=POLL_S).done:
        pass
    return future.result()


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
