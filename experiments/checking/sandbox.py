"""Run code gradstep did not write so that it leaves nothing behind.

``scratch_folder()`` gives a check its temporary folder (``$TMPDIR/gradstep-check-PID-START-*``,
named for the gradstep process that owns it); ``run_contained(command, ...)`` runs one command
under the limits below and returns how it ended and what it printed. Every process the command
starts ends with it:

- the command runs under a *keeper* (``experiments/checking/keeper.py``), the leader of a session
  of its own and a child subreaper: whatever the command starts and abandons, a ``sleep &`` or a
  double fork through ``setsid``, is re-parented to the keeper, which kills it all when the
  command ends, when gradstep stops it (a timeout, Ctrl-C, SIGTERM) and when gradstep dies (its
  parent-death signal), and then also removes the scratch folder;
- every process of the check carries ``GRADSTEP_CHECK_TOKEN`` in its environment; after each run
  gradstep kills what still carries the run's token (the keeper itself may have been killed by
  the code it watched), and ``clean_leftovers()``, at the start of every run, kills what carries
  the token of a gradstep process that no longer exists and removes its scratch folders;
- limits: ``RLIMIT_AS`` (memory), ``RLIMIT_FSIZE`` (8 MB per file written, the captured output
  included), no core files, stdin closed, a timeout.

What this does not stop (it is not a sandbox; check only code you would run yourself): a process
that clears its environment and escapes the keeper (by killing the keeper first) survives until
it ends by itself; the code reads and writes the user's files with the user's rights.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "OUTPUT_LIMIT",
    "SCRATCH_PREFIX",
    "TOKEN_VARIABLE",
    "Contained",
    "clean_leftovers",
    "end_marked",
    "run_contained",
    "scratch_folder",
]

KEEPER = Path(__file__).with_name("keeper.py")
OUTPUT_LIMIT = 8 * 1024 * 1024  # bytes per file a check writes (its captured output included)
SCRATCH_PREFIX = "gradstep-check-"
TOKEN_VARIABLE = "GRADSTEP_CHECK_TOKEN"
STOP_GRACE = 5.0  # seconds the keeper gets to end its processes before it is killed itself


@dataclass
class Contained:
    """How a contained run ended: ``code`` is its exit status (negative: killed by that signal;
    None: timed out), ``output`` what it printed (stdout and stderr, at most ``OUTPUT_LIMIT``
    bytes)."""

    code: int | None
    output: bytes
    seconds: float

    @property
    def timed_out(self) -> bool:
        return self.code is None


def _start_time(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (clock ticks since boot): with the pid, it names one
    process for good, as pids are reused."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return None


def _owner() -> str:
    return f"{os.getpid()}-{_start_time(os.getpid()) or 0}"


def _alive(owner: str) -> bool:
    """Is the gradstep process named ``PID-START`` still running?"""
    pid, _, start = owner.partition("-")
    return pid.isdigit() and _start_time(int(pid)) == start


def _marked() -> Iterator[tuple[int, str]]:
    """(pid, token) of every process whose environment carries a check token."""
    needle = TOKEN_VARIABLE.encode() + b"="
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                environ = f.read()
        except OSError:
            continue
        for item in environ.split(b"\0"):
            if item.startswith(needle):
                yield int(entry), item[len(needle) :].decode("ascii", "replace")


def _kill(pids) -> None:
    for pid in pids:
        with suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def end_marked(token: str) -> None:
    """Kill every process that still carries ``token`` (repeated while new ones appear)."""
    if not sys.platform.startswith("linux"):
        return
    for _ in range(20):
        found = [pid for pid, t in _marked() if t == token]
        if not found:
            return
        _kill(found)
        time.sleep(0.01)


def clean_leftovers() -> None:
    """What a killed gradstep left: processes carrying the token of a gradstep that no longer
    runs, and its scratch folders in the temporary directory."""
    if sys.platform.startswith("linux"):
        _kill(pid for pid, token in _marked() if not _alive(token.rsplit("-", 1)[0]))
    root = Path(tempfile.gettempdir())
    try:
        folders = [p for p in root.iterdir() if p.name.startswith(SCRATCH_PREFIX)]
    except OSError:
        return
    for folder in folders:
        owner = "-".join(folder.name[len(SCRATCH_PREFIX) :].split("-")[:2])
        if folder.is_dir() and not folder.is_symlink() and not _alive(owner):
            shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def scratch_folder() -> Iterator[Path]:
    """A fresh temporary folder for one check, removed when the block ends however it ends (and
    by the keeper, or the next run, when gradstep is killed). Leftovers are cleaned first."""
    clean_leftovers()
    folder = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{_owner()}-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _limits(memory_bytes: int) -> None:
    """In the keeper, before it runs anything: memory, file size and core limits, and SIGTERM
    (which the keeper turns into its clean-up) when gradstep dies."""
    import ctypes
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (OUTPUT_LIMIT, OUTPUT_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _end_group(pgid: int) -> None:
    """SIGKILL what is left of the keeper's process group (its pid cannot be reused while the
    group has members, so this reaches only the check's processes)."""
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _stop(process: subprocess.Popen) -> None:
    """Ask the keeper to end everything below it; kill its whole session if it does not."""
    try:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=STOP_GRACE)
    except subprocess.TimeoutExpired:
        pass
    _end_group(process.pid)
    process.wait()


def run_contained(
    command: list[str],
    *,
    cwd: Path,
    scratch: Path,
    timeout: float,
    memory_mb: int,
    env: dict | None = None,
) -> Contained:
    """Run ``command`` under a keeper, in ``cwd``, with its output captured in
    ``scratch/output``; nothing it starts outlives this call (see the module's docstring).
    Ctrl-C or SIGTERM of gradstep during the run stops it and is raised again."""
    token = f"{_owner()}-{secrets.token_hex(6)}"
    env = dict(os.environ if env is None else env)
    env[TOKEN_VARIABLE] = token
    start = time.perf_counter()
    with open(scratch / "output", "w+b") as output:
        process = subprocess.Popen(
            [sys.executable, str(KEEPER), str(os.getpid()), str(scratch), "--", *command],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            preexec_fn=lambda: _limits(memory_mb * 2**20),
        )
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(process)
            code = None
        except BaseException:  # Ctrl-C or SIGTERM of gradstep: take the check down too
            _stop(process)
            end_marked(token)
            raise
        _end_group(process.pid)
        end_marked(token)
        output.seek(0)
        printed = output.read(OUTPUT_LIMIT)
    return Contained(code, printed, time.perf_counter() - start)
