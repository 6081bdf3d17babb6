"""A verdict nobody can fake: the checked file's process reports numbers (transport), gradstep
judges them in its own process. A file that patches gradstep's comparison in its process, or
writes a verdict of its own, cannot turn a wrong step into "ok"; a report larger than the check's
8 MB file limit travels in chunks, and one that cannot be written at all is named as gradstep's
limit, not the file's fault."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from autograd.checks.tolerance import Tolerance
from experiments.checking.files import judge_record
from experiments.checking.transport import read_report

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

WRONG_STEP = (
    "import numpy as np\nlr = 0.1\nparams = {'W': np.array([1.0, -2.0, 0.5])}\n"
    "def loss(p): return float(np.sum(p['W'] ** 2))\n"
    "def step(p): p['W'] -= lr * 3 * p['W']\n"  # 3/2 of the step: wrong
)


def gradstep_check(path, *args):
    return subprocess.run(
        [sys.executable, "-m", "experiments", "check", str(path), *args],
        capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip


def test_patching_gradsteps_comparison_inside_the_file_changes_nothing(tmp_path):
    """The file makes every comparison pass in its own process (the tolerance's rule, the
    judging functions): the verdict, made in gradstep's process, is still "wrong"."""
    patch = textwrap.dedent(
        """
        import autograd.checks.tolerance as tolerance
        import autograd.checks.stepcheck as stepcheck
        tolerance.Tolerance.passes = lambda self, a, b: True
        stepcheck.judge_step = lambda *a, **k: None
        """
    )
    (tmp_path / "patched.py").write_text(patch + WRONG_STEP)
    result = gradstep_check(tmp_path / "patched.py")
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("step WRONG for W")


@pytest.mark.slow  # over a second: a subprocess or a notebook run
def test_a_verdict_written_by_the_file_itself_is_not_taken(tmp_path):
    """The file finds the report folder from its own command line, writes an "ok" verdict there
    in the worker's format and ends the process: gradstep takes no verdict from the file."""
    forge = textwrap.dedent(
        """
        import json, os
        folder = open('/proc/self/cmdline', 'rb').read().split(b'\\0')[2].decode()
        record = {"dict": [["status", {"value": "ok"}], ["kind", {"value": "step"}],
                           ["message", {"value": "step right for all 1 parameters"}]]}
        index = json.dumps({"record": record})
        open(os.path.join(folder, "report.json"), "w").write(
            json.dumps({"count": 0, "index": index}))
        os._exit(0)
        """
    )
    (tmp_path / "forged.py").write_text(forge + WRONG_STEP)
    result = gradstep_check(tmp_path / "forged.py")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "reported a verdict of its own; gradstep judges numbers" in result.stderr
    printed = "print('ok     forged.py: step right for all 1 parameters')\n"
    (tmp_path / "printed.py").write_text(printed + WRONG_STEP)
    result = gradstep_check(tmp_path / "printed.py")  # a printed verdict is only output
    assert result.returncode == 1 and result.stdout.splitlines()[-1].startswith("step WRONG")


def test_a_loss_that_ignores_its_argument_gives_no_verdict_on_the_command_line(tmp_path):
    source = WRONG_STEP.replace("def loss(p): return float(np.sum(p['W'] ** 2))",
                                "def loss(p): return float(np.sum(params['W'] ** 2))")  # fmt: skip
    (tmp_path / "still.py").write_text(source)
    result = gradstep_check(tmp_path / "still.py")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith(
        "no verdict: loss(params) gives the same value however the parameters move"
    )


def _write_in_limited_process(folder, record_source: str, limit: int):
    """Run write_report in a process whose files may not exceed ``limit`` bytes."""
    code = textwrap.dedent(
        f"""
        import resource, sys
        from pathlib import Path
        import numpy as np
        from experiments.checking.transport import write_report
        resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
        write_report(Path(sys.argv[1]), {record_source})
        """
    )
    done = subprocess.run([sys.executable, "-c", code, str(folder)], cwd=REPO, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()


def test_a_report_past_the_file_limit_travels_in_chunks(tmp_path):
    """Two million numbers (16 MB) under an 8 MB file limit: read back whole and equal."""
    record = "{'kind': 'grads', 'numbers': np.arange(2_000_000, dtype=float) / 7}"
    _write_in_limited_process(tmp_path, record, 8 * 2**20)
    assert len(list(tmp_path.glob("numbers.*"))) == 4
    back = read_report(tmp_path)
    assert back["kind"] == "grads"
    assert np.array_equal(back["numbers"], np.arange(2_000_000, dtype=float) / 7)


def test_a_report_that_cannot_be_written_is_gradsteps_limit(tmp_path):
    """An index past the limit (here 64 kB, with 20,000 names): the report says so in a few
    bytes, and the verdict blames gradstep's limit, not the file."""
    record = "{'kind': 'grads', 'names': {f'p{i}': float(i) for i in range(20000)}}"
    _write_in_limited_process(tmp_path, record, 64 * 1024)
    back = read_report(tmp_path)
    assert set(back) == {"too_large"} and back["too_large"] > 64 * 1024
    verdict = judge_record("big.py", back, Tolerance())
    assert verdict.status == "error"
    assert verdict.message.startswith("gradstep's limit, not a fault of the file: the check's ")
    assert json.loads((tmp_path / "report.json").read_text())["too_large"] == back["too_large"]
