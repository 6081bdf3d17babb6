"""`gradstep check` (experiments/checking): files and folders of submissions checked from the
command line, exit statuses and messages."""

import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# -- gradstep check -----------------------------------------------------------------------------
def gradstep(*args, cwd=REPO):
    return subprocess.run(
        [sys.executable, "-m", "experiments", *args], capture_output=True, text=True, cwd=cwd
    )


@pytest.mark.slow
def test_gradstep_check_on_the_examples():
    """The gradient example and the fixed step exit 0; the report's step exits 1, naming W1 and
    W2 with the update-order diagnosis, W3 right."""
    right = gradstep("check", "experiments/examples/lab_gradients.py")
    assert right.returncode == 0, right.stderr
    assert right.stdout.splitlines()[-1].startswith("gradients right for all 3 parameters")
    fixed = gradstep("check", "experiments/examples/lab_step.py")
    assert fixed.returncode == 0, fixed.stderr
    assert fixed.stdout.splitlines()[-1].startswith("step right for all 3 parameters")
    buggy = gradstep("check", "experiments/examples/lab_step_report.py")
    assert buggy.returncode == 1, buggy.stderr
    lines = buggy.stdout.splitlines()
    assert lines[0].split() == ["entry", "step", "/", "-lr", "numeric", "grad", "abs", "error"] + [
        "rel",
        "error",
        "ok",
    ]
    assert len([line for line in lines if line.startswith(("W1[", "W2[", "W3["))]) == 28
    assert lines[-4].startswith("W1: wrong in 8 of 8 entries: its step was computed after W2, W3")
    assert lines[-3] == (
        "W2: wrong in 16 of 16 entries: its step was computed after W3 was updated in the same "
        "step; compute every gradient before updating any weight"
    )
    assert lines[-2].startswith("W3: ok (4 entries")
    assert lines[-1].startswith("step WRONG for W1, W2 (28 entries")
    only = gradstep("check", "experiments/examples/lab_step_report.py", "--failures-only")
    assert not any(line.startswith("W3[") for line in only.stdout.splitlines())
    assert any(line.startswith("W2[") for line in only.stdout.splitlines())


@pytest.mark.slow
@pytest.mark.parametrize(
    "source, message",
    [
        ("import no_such_module\n", "running it raised ModuleNotFoundError"),
        # `params` alone is no step file: a program, run as it is, which trains nothing
        ("params = {}\n", "the program ran to its end without updating any array"),
        ("params = {}\nloss = 1\n", "defines no step (or grads): a step file defines `params`"),
        ("params = {}\nloss = 1\ngrads = 2\n", "`loss` is not a function"),
        ("raise SystemExit(3)\n", "running it raised SystemExit"),
        (
            "import numpy as np\nparams = {'W': np.ones(2)}\n"
            "def loss(p): return 1 / 0\ndef grads(p): return {'W': np.ones(2)}\n",
            "ZeroDivisionError",
        ),
        (
            "import numpy as np\nparams = {'W': np.ones(2)}\n"
            "def loss(p): return None\ndef grads(p): return {'W': np.ones(2)}\n",
            "loss(params) must return one real number, got None",
        ),
        (
            "import numpy as np\nparams = {'W': np.ones(2)}\n"
            "def loss(p): return '1.5'\ndef grads(p): return {'W': np.ones(2)}\n",
            "must return one real number, got '1.5'",
        ),
        (
            "import numpy as np\nparams = {'W': np.ones(2)}\nlr = -0.1\n"
            "def loss(p): return 1.0\ndef step(p): pass\n",
            "lr must be a positive number, got -0.1",
        ),
        (
            "import numpy as np\nparams = {'W': 'abc'}\n"
            "def loss(p): return 1.0\ndef step(p): pass\n",
            "parameter 'W' must be an array of real numbers",
        ),
        (
            "import numpy as np\nparams = {'W': np.ones(2)}\nlr = 0.1\n"
            "def loss(p): return float(p['W'] @ p['W'])\n"
            "def step(p): p['W'] *= float('nan')\n",
            "W: the step produced nan or inf",
        ),
        ("import os\nos._exit(0)\n", "the file ended the process (exit status 0) before"),
    ],
)
def test_gradstep_check_bad_files_exit_2_with_one_line(tmp_path, source, message):
    path = tmp_path / "student.py"
    path.write_text(source)
    result = gradstep("check", str(path))
    assert result.returncode == 2, result.stdout
    assert result.stderr.startswith(("gradstep: error: ", "gradstep: not recognised: "))
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and result.stdout == ""


@pytest.mark.slow
def test_gradstep_check_paths_that_are_not_python_files(tmp_path):
    (tmp_path / "data.txt").write_text("import os\nos.system('touch ran')\n")
    (tmp_path / "empty").mkdir()
    for path, message in [
        (tmp_path / "nope.py", "no such file or directory"),
        (tmp_path / "data.txt", "not a Python file"),
        (tmp_path / "empty", "a directory with no .py files"),
    ]:
        result = gradstep("check", str(path))
        assert result.returncode == 2 and message in result.stderr, result.stderr
    assert not (tmp_path / "ran").exists()  # data.txt was never executed
    bad = gradstep("check", str(tmp_path), "--timeout", "0")
    assert bad.returncode == 2 and "--timeout: expected a positive number" in bad.stderr
    bad = gradstep("check", str(tmp_path), "--json", str(tmp_path / "out.txt"))
    assert bad.returncode == 2 and "expected a file ending in .json" in bad.stderr


@pytest.mark.slow
def test_gradstep_check_misshapen_gradient_exits_1(tmp_path):
    path = tmp_path / "student.py"
    path.write_text(
        "import numpy as np\n"
        "def params(): return {'W': np.ones((2, 3))}\n"
        "def loss(p): return float(np.sum(p['W'] ** 2))\n"
        "def grads(p): return {'W': 2 * p['W'].T}\n"
    )
    result = gradstep("check", str(path))
    assert result.returncode == 1
    assert "W: gradient has shape (3, 2), the parameter (2, 3) (transposed?)" in result.stdout


@pytest.mark.slow
def test_a_checked_file_runs_as_a_script_in_its_own_folder(tmp_path):
    """The file imports a module beside it and reads a data file by a relative path, while
    gradstep runs from another folder; its prints are shown under its name."""
    folder = tmp_path / "student"
    folder.mkdir()
    (folder / "helpers.py").write_text(
        "import numpy as np\ndef loss(p): return float(np.sum(p['W'] ** 2))\n"
    )
    (folder / "start.txt").write_text("1.5 -2.0")
    (folder / "lab.py").write_text(
        "import numpy as np\nfrom helpers import loss\nlr = 0.1\n"
        "params = {'W': np.loadtxt('start.txt')}\nprint('training...')\n"
        "def step(p): p['W'] -= lr * 2 * p['W']\n"
    )
    result = gradstep("check", str(folder / "lab.py"), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"--- output of {folder / 'lab.py'} ---\ntraining...\n---")
    assert result.stdout.splitlines()[-1].startswith("step right for all 1 parameters")


BATCH = {
    "a_right.py": (
        "import numpy as np\nlr = 0.1\nparams = {'W': np.array([1.0, -2.0])}\n"
        "def loss(p): return float(np.sum(p['W'] ** 2))\n"
        "def step(p): p['W'] -= lr * 2 * p['W']\n"
    ),
    "b_mean.py": (
        "import numpy as np\nlr = 0.1\nparams = {'W': np.array([1.0, -2.0])}\n"
        "def loss(p): return float(np.sum(p['W'] ** 2))\n"
        "def step(p): p['W'] -= lr * 2 * p['W'] / 4\n"
    ),
    "c_forever.py": "while True:\n    pass\n",
    "d_exit.py": "import os\nprint('bye')\nos._exit(0)\n",
    "e_garbage.py": (
        "import sys\nsys.stdout.buffer.write(bytes(range(256)) * 400)\nsys.stdout.flush()\n"
        "raise SystemExit(0)\n"
    ),
    "f_memory.py": "import numpy as np\nbig = np.ones(2 * 1024**3)\n",
}


@pytest.mark.slow
def test_gradstep_check_a_folder_of_submissions(tmp_path):
    """A teaching assistant's batch: every file gets a verdict and a JSON/CSV row; the one that
    loops forever times out, the one that exits early, prints binary or exhausts its memory
    limit is an error, and the batch goes on. Exit status 2, the worst."""
    folder = tmp_path / "submissions"
    folder.mkdir()
    for name, source in BATCH.items():
        (folder / name).write_text(source)
    out = tmp_path / "grades.json"
    result = gradstep(
        "check", str(folder), "--timeout", "5", "--memory", "1024", "--json", str(out),
        "--csv", str(tmp_path / "grades.csv"),
    )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    rows = {os.path.basename(r["file"]): r for r in __import__("json").loads(out.read_text())}
    assert list(rows) == sorted(BATCH)
    status = {name: row["status"] for name, row in rows.items()}
    assert status == {
        "a_right.py": "ok",
        "b_mean.py": "wrong",
        "c_forever.py": "error",
        "d_exit.py": "error",
        "e_garbage.py": "error",
        "f_memory.py": "error",
    }
    assert rows["a_right.py"]["parameters"]["W"]["wrong"] == 0
    assert rows["b_mean.py"]["parameters"]["W"]["verdict"].endswith("scaled by 1/4")
    assert rows["c_forever.py"]["message"] == (
        "timed out after 5 s (running the program to its first update)"
    )
    assert (
        "ended the process (exit status 0) before the check finished"
        in rows["d_exit.py"]["message"]
    )
    assert "running it raised SystemExit" in rows["e_garbage.py"]["message"]
    assert "MemoryError" in rows["f_memory.py"]["message"]
    lines = result.stdout.splitlines()
    assert lines[0].startswith("ok     ") and lines[0].endswith(
        "a_right.py: step right for all 1 parameters"
    )
    assert lines[-3].endswith("6 files: 1 ok, 1 wrong, 4 error")
    assert "\x00" not in result.stdout and "\x1b" not in result.stdout  # garbage made printable
    import csv

    with open(tmp_path / "grades.csv", newline="", encoding="utf-8") as f:
        table = list(csv.reader(f))
    assert table[0] == ["file", "status", "kind", "wrong", "message", "diagnosis"]
    assert len(table) == 7
    mean = next(row for row in table if row[0].endswith("b_mean.py"))
    assert mean[5].splitlines()[0] == rows["b_mean.py"]["parameters"]["W"]["verdict"]
    assert mean[5].endswith("a mean over 4 samples where loss(params) is their sum")
    assert rows["b_mean.py"]["diagnosis"] == mean[5].splitlines()
