"""A check leaves nothing behind: every process a checked file starts ends with the check (a
background ``sleep``, a double fork through ``setsid``, a file that kills its keeper), also when
``gradstep check`` is SIGKILLed, and its temporary folder goes on every exit path or with the next
run. Real processes and real signals; each test marks its processes with a unique ``sleep``
duration and looks for them in ``/proc``."""

import os
import signal
import subprocess
import sys
import time

import pytest

from experiments.checking.sandbox import SCRATCH_PREFIX, TOKEN_VARIABLE

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

RIGHT_STEP = (
    "import numpy as np\nlr = 0.1\nparams = {'W': np.array([1.0, -2.0])}\n"
    "def loss(p): return float(np.sum(p['W'] ** 2))\n"
    "def step(p): p['W'] -= lr * 2 * p['W']\n"
)


def spawner(mark: str) -> str:
    """Source that leaves three processes running: ``sleep MARK.1`` in the shell's background,
    ``sleep MARK.2`` in a session of its own (setsid), ``sleep MARK.3`` after a double fork."""
    return (
        "import os, subprocess, time\n"
        f"os.system('sleep {mark}1 &')\n"
        f"subprocess.Popen(['setsid', 'sleep', '{mark}2'])\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        f"        os.execvp('sleep', ['sleep', '{mark}3'])\n"
        "    os._exit(0)\n"
        "time.sleep(0.3)\n"
    )


def marked(mark: str) -> list[int]:
    """Living processes whose command line holds ``mark``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().decode(errors="replace")
            with open(f"/proc/{entry}/stat") as f:
                state = f.read().rsplit(") ", 1)[1].split()[0]
        except OSError:
            continue
        if mark in cmdline and state != "Z" and "pytest" not in cmdline:
            found.append(int(entry))
    return found


def none_left(mark: str, timeout: float = 10.0) -> list[int]:
    """Waits until no process holds ``mark``; returns those left after ``timeout``."""
    end = time.monotonic() + timeout
    while (left := marked(mark)) and time.monotonic() < end:
        time.sleep(0.05)
    return left


def environment(tmp_path) -> dict:
    scratch_root = tmp_path / "tmp"
    scratch_root.mkdir(exist_ok=True)
    return dict(os.environ, TMPDIR=str(scratch_root))


def gradstep(args, env, **kw):
    return subprocess.run(
        [sys.executable, "-m", "experiments", *args],
        capture_output=True, text=True, cwd=REPO, env=env, **kw,
    )  # fmt: skip


@pytest.mark.slow
def test_a_checked_file_leaves_no_process_and_no_folder(tmp_path):
    """A right step file that leaves three sleeps behind passes, and none of them outlives it."""
    (tmp_path / "spawns.py").write_text(spawner("97.10") + RIGHT_STEP)
    env = environment(tmp_path)
    result = gradstep(["check", str(tmp_path / "spawns.py")], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("step right for all 1 parameters")
    assert none_left("97.10") == []
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.slow
def test_a_file_that_kills_its_keeper_still_leaves_nothing(tmp_path):
    """The file double-forks, then kills the keeper watching it: the file's process dies with
    its keeper (parent-death signal) and gradstep ends what carries the run's token."""
    kill = "import signal\nos.kill(os.getppid(), signal.SIGKILL)\ntime.sleep(30)\n"
    source = spawner("97.20") + kill
    (tmp_path / "killer.py").write_text(source)
    env = environment(tmp_path)
    result = gradstep(["check", str(tmp_path / "killer.py")], env)
    assert result.returncode == 2 and "killed by SIGKILL" in result.stderr, result.stderr
    assert none_left("97.20") == []
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.slow
def test_a_timed_out_file_leaves_nothing(tmp_path):
    (tmp_path / "slow.py").write_text(spawner("97.30") + "while True:\n    pass\n")
    env = environment(tmp_path)
    result = gradstep(["check", str(tmp_path / "slow.py"), "--timeout", "2"], env)
    assert result.returncode == 2 and "timed out after 2 s" in result.stderr, result.stderr
    assert none_left("97.30") == []
    assert list((tmp_path / "tmp").iterdir()) == []


def _wait_for(mark: str, count: int, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while len(marked(mark)) < count:
        assert time.monotonic() < end, f"the file did not start its {count} processes"
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.parametrize("sig", ["SIGKILL", "SIGTERM"])
def test_a_killed_gradstep_check_leaves_no_process_and_no_folder(tmp_path, sig):
    """SIGKILL of gradstep check (no clean-up of its own can run): the keeper gets its
    parent-death signal, ends every process below it and removes the scratch folder. SIGTERM:
    gradstep's own clean-up does it."""
    (tmp_path / "forever.py").write_text(spawner("97.40") + "while True:\n    time.sleep(1)\n")
    env = environment(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "experiments", "check", str(tmp_path / "forever.py")],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    _wait_for("97.40", 3)
    assert [p.name for p in (tmp_path / "tmp").iterdir()][0].startswith(SCRATCH_PREFIX)
    process.send_signal(getattr(signal, sig))
    process.communicate(timeout=30)
    assert none_left("97.40") == []
    end = time.monotonic() + 10
    while list((tmp_path / "tmp").iterdir()) and time.monotonic() < end:
        time.sleep(0.05)
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.slow
def test_the_next_run_removes_what_a_dead_gradstep_left(tmp_path):
    """A process carrying the token of a gradstep that no longer runs (pid 999999999 cannot
    exist), and that gradstep's scratch folder, are gone after the next check; a folder of a
    living gradstep (this test's own pid and start time) stays."""
    env = environment(tmp_path)
    dead = tmp_path / "tmp" / f"{SCRATCH_PREFIX}999999999-123-abcd"
    dead.mkdir()
    (dead / "output").write_text("x")
    with open(f"/proc/{os.getpid()}/stat") as f:
        start = f.read().rsplit(")", 1)[1].split()[19]
    living = tmp_path / "tmp" / f"{SCRATCH_PREFIX}{os.getpid()}-{start}-efgh"
    living.mkdir()
    orphan = subprocess.Popen(
        ["sleep", "97.50"], env=dict(env, **{TOKEN_VARIABLE: "999999999-123-abcdef"})
    )
    (tmp_path / "right.py").write_text(RIGHT_STEP)
    result = gradstep(["check", str(tmp_path / "right.py")], env)
    assert result.returncode == 0, result.stderr
    assert orphan.wait(timeout=10) == -signal.SIGKILL
    assert sorted(p.name for p in (tmp_path / "tmp").iterdir()) == [living.name]
