"""experiments.workers: a SIGTERM or Ctrl-C never cuts a worker pool's start short."""

import os
import signal
import sys

import pytest

from experiments.workers import Terminated, signals_deferred, terminate_as_interrupt, worker_pool

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork and /proc")


@pytest.fixture
def sigterm_raises():
    """SIGTERM raises Terminated in this (pytest's) process for the test, as in gradstep."""
    old = signal.getsignal(signal.SIGTERM)
    terminate_as_interrupt()
    yield
    signal.signal(signal.SIGTERM, old)


def test_a_signal_inside_signals_deferred_is_raised_when_the_block_ends(sigterm_raises):
    reached = []
    with pytest.raises(Terminated), signals_deferred():
        os.kill(os.getpid(), signal.SIGTERM)  # Python runs handlers at the next bytecode
        reached.append("after the kill")
    assert reached == ["after the kill"]  # the block ran to its end first
    with pytest.raises(KeyboardInterrupt), signals_deferred():
        os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handlers restored


@linux
def test_a_sigterm_between_forking_the_workers_and_starting_the_pools_thread(
    sigterm_raises, monkeypatch
):
    """The race of `gradstep sweep` / `lab1`: the pool's first submit forks the workers, then
    starts its manager thread. A SIGTERM in between used to unwind from inside submit, and the
    tear-down then failed with 'cannot join thread before it is started' (or hung). Here the
    signal is sent exactly there, every time; it must come out as Terminated with the workers
    dead."""
    from concurrent.futures import process as cf_process

    real_start = cf_process._ExecutorManagerThread.start
    workers = []

    def start_after_a_sigterm(thread):
        workers.extend(thread.processes.values())  # forked already
        os.kill(os.getpid(), signal.SIGTERM)  # the handler runs here, before the real start
        return real_start(thread)

    monkeypatch.setattr(cf_process._ExecutorManagerThread, "start", start_after_a_sigterm)
    with pytest.raises(Terminated), worker_pool(2) as pool:
        pool.submit(abs, -1)
        pytest.fail("submit returned although a SIGTERM arrived inside it")
    assert len(workers) == 2
    assert all(w.exitcode is not None for w in workers), "a worker outlived the pool"
