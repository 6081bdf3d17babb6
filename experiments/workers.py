"""Worker processes that die with gradstep.

``worker_pool(jobs)`` is a ``ProcessPoolExecutor`` whose workers ask the kernel to kill them
when their parent dies (``PR_SET_PDEATHSIG`` on Linux; elsewhere they notice a new parent pid
between tasks), so a ``kill -9`` of ``gradstep lab1`` or ``sweep`` leaves no process computing on.
Leaving the block by an exception (Ctrl-C, SIGTERM: see ``terminate_as_interrupt``) kills the
workers at once instead of waiting for their current task; a normal exit waits for them.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

__all__ = ["worker_pool", "die_with_parent", "terminate_as_interrupt", "Terminated"]


def die_with_parent(parent: int | None = None) -> None:
    """In a child: be killed when the parent process dies (Linux), and exit now if it already
    has (the parent may die between the fork and this call)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if parent is not None and os.getppid() != parent:
        os._exit(1)


@contextmanager
def worker_pool(jobs: int) -> Iterator[ProcessPoolExecutor | None]:
    """``jobs`` worker processes (None for a single job: run in this process)."""
    if jobs <= 1:
        yield None
        return
    pool = ProcessPoolExecutor(
        max_workers=jobs, initializer=die_with_parent, initargs=(os.getpid(),)
    )
    try:
        yield pool
    except BaseException:
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()  # now, not after their current task
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so the same clean-up runs."""


def terminate_as_interrupt() -> None:
    """From now on SIGTERM unwinds the main thread as Ctrl-C does: temporary folders are
    removed and workers killed on the way out."""

    def raise_terminated(signum, frame):
        raise Terminated()

    signal.signal(signal.SIGTERM, raise_terminated)
