"""check_op, check_gradients, the autograd.checks.testing helpers and `gradstep check`."""

import math
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings

from autograd import (
    GradcheckError,
    Value,
    check_gradients,
    check_op,
    define_op,
    define_tensor_op,
)
from autograd.checks.derivatives import GradientMismatchError
from autograd.checks.testing import (
    assert_gradcheck,
    assert_gradients,
    assert_op,
    broadcastable_tensors,
    tensors,
    values,
)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(REPO, "experiments", "examples")

# d/dx x^2 = 2x, declared wrongly as x
half_square = define_op("half_square", lambda x: x * x, lambda x, out: (x,))


# -- check_op -----------------------------------------------------------------------------------
def test_check_op_passes_a_right_op_on_grid_and_random_points():
    softplus = define_op(
        "softplus_c", lambda x: math.log1p(math.exp(x)), lambda x, out: 1 / (1 + math.exp(-x))
    )
    report = check_op(softplus)
    assert report.ok and report.points == 24 and report.skipped == 0  # 16 on the grid + 8
    assert report.rows[0].where == "x=-3" and report.rows[0].label == "dsoftplus_c/dx"
    assert all(-3 <= float(r.where[2:]) <= 3 for r in report.rows)
    assert not any(r.where == "x=0" for r in report.rows)  # the grid steps over the kink at 0
    assert str(report).splitlines()[-1].endswith(": passed")


def test_check_op_names_the_wrong_derivative_and_raises_on_request():
    report = check_op(half_square)
    assert not report.ok and len(report.failures()) == len(report.rows) == 24
    row = report.rows[0]
    assert (row.where, row.analytic, row.numeric) == ("x=-3", -3.0, pytest.approx(-6.0))
    assert "FAILED (24 of 24); worst at x=-3: dhalf_square/dx declared -3, numeric -6" in (
        report.summary()
    )
    assert "background:#fdd" in report._repr_html_()
    with pytest.raises(GradcheckError) as info:
        check_op(half_square, raise_on_failure=True)
    assert info.value.report.failures()


def test_check_op_skips_points_where_the_forward_is_not_finite():
    """log is checked only where x > 0 (and x - eps > 0); the rest are counted as skipped."""
    report = check_op(Value.log)
    assert report.ok and report.skipped > 0
    assert report.points + report.skipped == 24
    assert all(float(r.where[2:]) > 0 for r in report.rows)


def test_check_op_on_builtins_with_domains_points_and_arity():
    assert check_op(lambda a, b: a / b, domain=[(-3, 3), (0.2, 3)]).ok
    report = check_op(Value.__mul__, points=[(1.0, 2.0), (3.0, -1.0)])
    assert [r.where for r in report.rows] == ["x=1, other=2"] * 2 + ["x=3, other=-1"] * 2
    assert [r.analytic for r in report.rows] == [2.0, 1.0, -1.0, 3.0]
    with pytest.raises(ValueError, match="takes 2"):
        check_op(Value.__mul__, points=[(1.0,)])
    with pytest.raises(ValueError, match="finite low < high"):
        check_op(Value.tanh, domain=(1.0, -1.0))
    with pytest.raises(ValueError, match="pass arity="):
        check_op(lambda *xs: xs[0])


def test_check_op_on_tensor_ops():
    """Tensor ops get full Jacobians at random arrays of the given shapes."""
    cube = define_tensor_op("cube_t", lambda x: x**3, lambda g, x, out: (3 * g * x**2,))
    report = check_op(cube, shape=(2, 2))
    assert report.ok and report.points == 2 and len(report.rows) == 2 * 16
    wrong = define_tensor_op("cube_wrong", lambda x: x**3, lambda g, x, out: (g * x**2,))
    assert not check_op(wrong, shape=(3,)).ok


def test_an_op_check_with_no_finite_point_is_not_a_pass():
    never = define_op("never", lambda x: math.nan, lambda x, out: (0.0,))
    report = check_op(never)
    assert not report.ok and "nothing checked" in report.summary()


# -- check_gradients ----------------------------------------------------------------------------
def quadratic_problem():
    """loss = sum(A * W^2) + b . c, so dloss/dW = 2 A W and dloss/db = c."""
    A = np.array([[1.0, 2.0], [3.0, 4.0]])
    c = np.array([0.5, -1.5, 2.0])
    params = {"W": np.array([[0.1, -0.2], [0.3, 0.4]]), "b": np.array([1.0, 2.0, 3.0])}

    def loss(p):
        return float(np.sum(A * p["W"] ** 2) + p["b"] @ c)

    return params, loss, A, c


def test_check_gradients_passes_right_gradients_entry_by_entry():
    params, loss, A, c = quadratic_problem()
    original = {k: v.copy() for k, v in params.items()}
    report = check_gradients(loss, lambda p: {"W": 2 * A * p["W"], "b": c}, params)
    assert report.ok and report.wrong == []
    assert [r.label for r in report.rows] == ["W[0,0]", "W[0,1]", "W[1,0]", "W[1,1]"] + [
        "b[0]",
        "b[1]",
        "b[2]",
    ]
    assert report.rows[1].analytic == pytest.approx(-0.8) and report.rows[1].numeric == (
        pytest.approx(-0.8)
    )
    assert all(np.array_equal(params[k], original[k]) for k in params)  # nothing mutated


def test_check_gradients_names_wrong_parameters_and_by_how_much():
    params, loss, A, c = quadratic_problem()
    report = check_gradients(loss, lambda p: {"W": A * p["W"], "b": c}, params)  # W's is half
    assert report.wrong == ["W"]
    w, b = report.parameters
    assert (w.entries, w.wrong, b.wrong) == (4, 4, 0)
    assert w.worst_rel_error == pytest.approx(0.5)
    lines = report.summary().splitlines()
    assert lines[0].startswith("W: WRONG in 4 of 4 entries") and lines[1].startswith("b: ok")
    assert lines[-1].startswith("gradients WRONG for W (7 entries")
    with pytest.raises(GradcheckError):
        check_gradients(loss, lambda p: {"W": A * p["W"], "b": c}, params, raise_on_failure=True)


def test_check_gradients_names_missing_unexpected_and_misshapen_gradients():
    params, loss, A, c = quadratic_problem()
    with pytest.raises(GradientMismatchError) as info:
        check_gradients(loss, lambda p: {"W": (2 * A * p["W"])[:, :1], "bias": c}, params)
    assert str(info.value) == (
        "check_gradients: no gradient for b; gradients for unknown parameters bias; "
        "W: gradient has shape (2, 1), the parameter (2, 2)"
    )
    rect = {"W": np.zeros((2, 3))}
    with pytest.raises(
        GradientMismatchError, match=r"\(3, 2\), the parameter \(2, 3\) \(transposed"
    ):
        check_gradients(lambda p: 0.0, lambda p: {"W": np.zeros((3, 2))}, rect)
    with pytest.raises(TypeError, match="must return one real number"):
        check_gradients(lambda p: p["W"], lambda p: {"W": np.zeros((2, 3))}, rect)
    with pytest.raises(TypeError, match="non-empty dict"):
        check_gradients(loss, lambda p: {}, [])


def test_check_gradients_passes_the_gradient_example():
    import runpy

    right = runpy.run_path(os.path.join(EXAMPLES, "lab_gradients.py"))
    assert check_gradients(right["loss"], right["grads"], right["params"]).ok


# -- autograd.checks.testing ----------------------------------------------------------------
def test_assert_helpers_show_the_table_in_the_assertion():
    with pytest.raises(AssertionError) as info:
        assert_op(half_square)
    text = str(info.value)
    assert text.startswith("check_op 'half_square' failed\ncheck_op 'half_square': 24 derivatives")
    assert "point" in text and "declared" in text and "x=-3" in text
    with pytest.raises(AssertionError, match="gradcheck failed"):
        assert_gradcheck(lambda x: half_square(x), [Value(1.5, label="x")])
    params, loss, A, c = quadratic_problem()
    with pytest.raises(AssertionError, match="wrong gradients for b"):
        assert_gradients(loss, lambda p: {"W": 2 * A * p["W"], "b": -c}, params)
    assert assert_gradients(loss, lambda p: {"W": 2 * A * p["W"], "b": c}, params).ok


@settings(max_examples=50, deadline=None)
@given(x=values(domain=(0.1, 5.0), label="x"), y=values(avoid_zero=True, label="y"))
def test_values_strategy_stays_in_its_domain(x, y):
    assert isinstance(x, Value) and 0.1 <= x.data <= 5.0 and x.label == "x" and x.grad == 0.0
    assert abs(y.data) >= 0.1 and -3.0 <= y.data <= 3.0
    assert_gradcheck(lambda x, y: x.log() * y, [x, y])


@settings(max_examples=50, deadline=None)
@given(t=tensors(shape=(2, 3), domain=(-1.0, 1.0)), pair=broadcastable_tensors(2))
def test_tensor_strategies_give_shapes_that_fit(t, pair):
    assert t.shape == (2, 3) and np.all(np.abs(t.data) <= 1.0)
    a, b = pair
    np.broadcast_shapes(a.shape, b.shape)  # raises if they did not broadcast
    assert (a.label, b.label) == ("x0", "x1")
    assert_gradcheck(lambda a, b: (a * b).sum(), [a, b])


# -- gradstep check -----------------------------------------------------------------------------
def gradstep(*args, cwd=REPO):
    return subprocess.run(
        [sys.executable, "-m", "experiments", *args], capture_output=True, text=True, cwd=cwd
    )


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


@pytest.mark.parametrize(
    "source, message",
    [
        ("import no_such_module\n", "running it raised ModuleNotFoundError"),
        ("params = {}\n", "defines no loss, step (or grads): a step file defines `params`"),
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
    assert result.stderr.startswith("gradstep: error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1 and result.stdout == ""


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
    assert rows["c_forever.py"]["message"] == "timed out after 5 s"
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
