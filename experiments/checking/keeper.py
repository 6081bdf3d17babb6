"""The keeper: the first process of a check, which outlives everything the checked code starts.

    python keeper.py PARENT_PID SCRATCH -- COMMAND...

Started by ``experiments.checking.sandbox`` as the leader of a session of its own. It makes itself
a *child subreaper* (``PR_SET_CHILD_SUBREAPER``): every process the checked code starts and
abandons (a ``sleep 97 &``, a double fork through ``setsid``) is re-parented to the keeper instead
of to PID 1, so the keeper can find it. It then forks ``COMMAND`` (which dies with the keeper:
``PR_SET_PDEATHSIG``) and waits for it. When the command ends, and when the keeper is told to stop
(SIGTERM from gradstep on a timeout, or from the kernel when gradstep itself dies: the keeper's
parent-death signal), it kills every process below it and reaps them; when gradstep has died it
also removes the check's scratch folder, which gradstep can no longer do. It then ends as its
command ended (the same exit status, or the same signal), so gradstep reads the command's fate.

Only the standard library is imported: the keeper must start fast and hold no learner code.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import sys
import time

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
STOPPED = 143  # the keeper's exit status when it was told to stop (128 + SIGTERM)


class Stop(Exception):
    """SIGTERM reached the keeper: end everything below it now."""


def _prctl(option: int, value: int) -> None:
    ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def _on_term(signum, frame) -> None:
    raise Stop()


def descendants(root: int) -> list[int]:
    """Every living process below ``root``, found from the parent pid in ``/proc/PID/stat``."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:  # it ended while we looked
            continue
        if fields[0] != b"Z":
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        for pid in children.get(todo.pop(), []):
            found.append(pid)
            todo.append(pid)
    return found


def reap() -> None:
    """Collect the exit status of every ended child (orphans re-parented here included)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def end_all(seconds: float = 5.0) -> None:
    """SIGKILL every process below the keeper until none is left (a process that forks while
    it is killed leaves a child, which the next round finds), then reap them."""
    deadline = time.monotonic() + seconds
    while True:
        found = descendants(os.getpid())
        if not found:
            break
        for pid in found:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        reap()
        if time.monotonic() > deadline:
            break
        time.sleep(0.005)
    reap()


def _start(command: list[str]) -> int:
    keeper = os.getpid()
    child = os.fork()
    if child == 0:
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            if os.getppid() != keeper:  # the keeper died before the prctl took hold
                os._exit(1)
            os.execv(command[0], command)
        finally:
            os._exit(127)
    return child


def _end_as(status: int) -> None:
    """Exit as the command did: its exit code, or killed by its signal."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        time.sleep(1)  # a signal whose default is to be ignored: fall through
        os._exit(128 + sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def main(argv: list[str]) -> None:
    signal.signal(signal.SIGTERM, _on_term)
    parent, scratch, command = int(argv[0]), argv[1], argv[3:]
    status = None
    try:
        if os.getppid() != parent:  # gradstep died before the keeper could watch for it
            raise Stop()
        _prctl(PR_SET_CHILD_SUBREAPER, 1)
        child = _start(command)
        _, status = os.waitpid(child, 0)
    except Stop:
        pass
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the clean-up is not interrupted
    end_all()
    if os.getppid() != parent:  # gradstep is gone: nobody else will remove the scratch folder
        shutil.rmtree(scratch, ignore_errors=True)
    if status is None:
        os._exit(STOPPED)
    _end_as(status)


if __name__ == "__main__":
    main(sys.argv[1:])
