"""Worker processes that die with gradstep.

``worker_pool(jobs)`` is a ``ProcessPoolExecutor`` whose workers ask the kernel to kill them
when their parent dies (``PR_SET_PDEATHSIG`` on Linux; elsewhere they notice a new parent pid
between tasks), so a ``kill -9`` of ``gradstep lab1`` or ``sweep`` leaves no process computing on.
Leaving the block by an exception (Ctrl-C, SIGTERM: see ``terminate_as_interrupt``) kills the
workers at once instead of waiting for their current task; a normal exit waits for them.

Workers report how far their task has got with ``report_progress(key, amount)``; the parent
reads those reports with ``progress_reports(pool)`` while it waits, so a progress bar moves as
work completes rather than only when a long task returns.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import sys
import threading
from collections.abc import Hashable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

__all__ = [
    "worker_pool",
    "die_with_parent",
    "report_progress",
    "progress_reports",
    "terminate_as_interrupt",
    "Terminated",
    "signals_deferred",
]

_reports = None  # in a worker: the queue its progress reports go to


def _start_worker(parent: int, reports) -> None:
    global _reports
    _reports = reports
    die_with_parent(parent)


def report_progress(key: Hashable, amount: float) -> None:
    """In a worker: ``amount`` more of the work called ``key`` is done (a no-op elsewhere)."""
    if _reports is not None:
        _reports.put((key, amount))


def progress_reports(pool) -> list[tuple]:
    """The (key, amount) reports the pool's workers made since the last call."""
    reports = getattr(pool, "gradstep_reports", None)
    out = []
    while reports is not None:
        try:
            out.append(reports.get_nowait())
        except queue.Empty:
            break
    return out


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
def signals_deferred() -> Iterator[None]:
    """SIGTERM and SIGINT that arrive inside the block are acted on when it ends, by the handler
    that was in place, so they never unwind the main thread half-way through starting a pool
    (a pool whose worker processes exist but whose manager thread does not yet run cannot be
    shut down: ``cannot join thread before it is started``, or a hang). Outside the main thread
    a no-op: Python runs signal handlers only in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[int] = []
    previous = {}
    for signum in (signal.SIGTERM, signal.SIGINT):
        handler = signal.getsignal(signum)
        if handler is not None:  # None: installed outside Python, left alone
            previous[signum] = handler
            signal.signal(signum, lambda s, frame: arrived.append(s))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in dict.fromkeys(arrived):
            handler = previous[signum]
            if callable(handler):
                handler(signum, None)  # raises Terminated / KeyboardInterrupt
            elif handler == signal.SIG_DFL:
                signal.raise_signal(signum)


class _Pool(ProcessPoolExecutor):
    """A process pool whose ``submit`` (which forks the workers and starts the manager thread
    on first use) cannot be cut short by SIGTERM or Ctrl-C; ``map`` goes through it."""

    def submit(self, fn, /, *args, **kwargs):
        with signals_deferred():
            return super().submit(fn, *args, **kwargs)


@contextmanager
def worker_pool(jobs: int) -> Iterator[ProcessPoolExecutor | None]:
    """``jobs`` worker processes (None for a single job: run in this process)."""
    if jobs <= 1:
        yield None
        return
    with signals_deferred():
        reports = multiprocessing.Queue()
        pool = _Pool(max_workers=jobs, initializer=_start_worker, initargs=(os.getpid(), reports))
        pool.gradstep_reports = reports
    try:
        yield pool
        pool.shutdown(wait=True)
    except BaseException:
        with signals_deferred():  # a second signal does not cut the tear-down short
            for process in list(getattr(pool, "_processes", {}).values()):
                process.kill()  # now, not after their current task
            pool.shutdown(wait=True, cancel_futures=True)
        raise


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so the same clean-up runs."""


def terminate_as_interrupt() -> None:
    """From now on SIGTERM unwinds the main thread as Ctrl-C does: temporary folders are
    removed and workers killed on the way out."""

    def raise_terminated(signum, frame):
        raise Terminated()

    signal.signal(signal.SIGTERM, raise_terminated)
