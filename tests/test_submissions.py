"""Submissions checked as they are handed in: the corpus in tests/submissions/ (each verdict
known by construction, see each file's docstring) gives the rows stated here."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograd.checks.tolerance import Tolerance
from experiments.checking.recognise import Layer, Network, Slot, recognise
from experiments.checking.submissions import (
    check_submission,
    check_submissions,
    find_submissions,
    notebook_chunks,
)

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).with_name("submissions")

EXPECTED = {  # file -> (status, words its message holds)
    "adam.py": ("ok", "an Adam-like first step with lr 0.01"),
    "columns.py": ("ok", "descends BCE (mean) with lr 0.8"),
    "float128.py": ("ok", "descends BCE (sum) with lr 0.05; prints MSE"),
    "four_layers_f32.py": ("ok", "descends SSE with lr 0.01"),
    "lists_of_floats.py": ("ok", "descends one sample's 0.5*SSE with lr 0.5"),
    "momentum.py": ("ok", "descends BCE (sum) with lr 0.1"),
    "relu_kink.py": ("ok", "descends MSE with lr 0.5"),
    "at_import_layers.py": ("ok", "descends BCE (mean) with lr 1"),
    "class_mse.py": ("ok", "descends MSE with lr 0.5"),
    "crash.py": ("error", "ValueError: matmul"),
    "imports_scipy.py": ("error", "imports scipy_is_not_here, which is not installed here"),
    "inline_tanh.py": ("ok", "descends 0.5*SSE with lr 0.1"),
    "input_endless.py": ("ok", "descends one sample's SSE with lr 0.2"),
    "l1_loss.py": ("not recognised", "no parameter's step is -lr x the gradient"),
    "mean_vs_sum.py": ("wrong", "step WRONG for w3"),
    "missing_derivative.py": ("wrong", "step WRONG for w1:"),
    "notebook_tanh.ipynb": ("ok", "descends BCE (mean) with lr 0.5"),
    "seed_fixed.py": ("ok", "descends BCE (sum) with lr 0.05; prints MSE"),
    "seed_order.py": ("wrong", "step WRONG for w1, w2"),
    "syntax_error.py": ("error", "SyntaxError: '(' was never closed"),
    "three_files": ("ok", "descends MSE with lr 2"),
    "transposed_weight.py": ("wrong", "step WRONG for w1:"),
}


def test_a_class_folder_gives_one_row_per_submission():
    """Files, a notebook and a three-file folder: one row each, the folder's helper modules
    none; step files and programs told apart."""
    subs = find_submissions([CORPUS])
    assert [s.path.name for s in subs] == sorted(EXPECTED)
    folder = next(s for s in subs if s.path.name == "three_files")
    assert folder.kind == "folder" and folder.entry.name == "train.py"
    assert {p.name for p in folder.files} == {"data.py", "model.py", "train.py"}
    kinds = {s.path.name: s.kind for s in subs}
    assert kinds["notebook_tanh.ipynb"] == "notebook" and kinds["seed_order.py"] == "program"
    one = find_submissions([CORPUS / "three_files"])
    assert len(one) == 1 and one[0].entry.name == "train.py"  # a folder that is one program
    step_files = find_submissions([REPO / "experiments" / "examples"])
    assert {s.kind for s in step_files} == {"step file"}


def test_a_notebook_is_its_code_cells_without_magics():
    chunks, skipped = notebook_chunks(CORPUS / "notebook_tanh.ipynb")
    assert [c["filename"].rsplit("#", 1)[1] for c in chunks] == ["cell2", "cell3", "cell4", "cell5"]
    assert skipped == ["cell 2, line 1: %matplotlib inline", "cell 3, line 1: !pip install numpy"]
    assert chunks[0]["source"].splitlines()[0] == "pass"  # line numbers kept


@pytest.mark.slow  # over a second: a subprocess or a notebook run
def test_the_seed_order_bug_is_named_as_it_is():
    """The seed report's program, unmodified but for its seed: W3 right, W2 and W1 computed
    through the weights the same step had updated (recomputed: it equals that
    back-propagation), at the program's own lr; the descended and printed losses named."""
    sub = find_submissions([CORPUS / "seed_order.py"])[0]
    row = check_submission(sub, timeout=60)
    assert row.status == "wrong", row.message
    assert row.loss == "BCE (sum)" and abs(row.lr - 0.05) < 1e-9
    assert row.message.endswith("descend BCE (sum) with lr 0.05; prints MSE")
    assert row.parameters["w3"]["wrong"] == 0
    assert "computed after w3 was updated" in row.parameters["w2"]["verdict"]
    assert "computed after w2, w3 were updated" in row.parameters["w1"]["verdict"]
    assert "epoch 0 loss" in row.output and "epoch 1000" not in row.output  # stopped early


@pytest.mark.slow
def test_the_corpus_gives_the_verdicts_it_was_built_for():
    rows = check_submissions(find_submissions([CORPUS]), jobs=2, timeout=60)
    got = {Path(r.file).name: r for r in rows}
    for name, (status, words) in EXPECTED.items():
        assert got[name].status == status, (name, got[name].message)
        assert words in got[name].message, (name, got[name].message)
    assert (
        got["mean_vs_sum.py"]
        .parameters["w3"]["verdict"]
        .endswith("scaled by 1/21 (and again at the program's second step)")
    )
    assert "(crash.py, line 10: `out = h @ w2`)" in got["crash.py"].message
    assert "(syntax_error.py, line 3: `w = np.zeros((2, 2)`)" in got["syntax_error.py"].message
    assert "input() was answered with an empty line 1x" in got["input_endless.py"].notes
    assert any("skipped IPython lines" in n for n in got["notebook_tanh.ipynb"].notes)
    assert got["l1_loss.py"].adapter.count("def step(params):") == 1
    assert "updated: w1 (2, 3) float64 (w1)" in got["l1_loss.py"].found
    kink = got["relu_kink.py"]
    assert "5 not differentiable here" in kink.parameters["b1"]["verdict"]
    assert any("computes in float32" in n for n in got["four_layers_f32.py"].notes)
    momentum = "its second step is momentum's: -lr x the gradient there + 0.9 x the first step"
    assert any(n.startswith(momentum) for n in got["momentum.py"].notes)
    assert not any("momentum" in n for r in rows if r is not got["momentum.py"] for n in r.notes)


def _slots(net: Network, params: dict, deltas: dict, x: np.ndarray, y: np.ndarray):
    """What a run would report: the data, the weights before and after one step, the
    predictions made at the weights before it."""
    p = net.forward(params, x).reshape(-1, 1)
    slots = [Slot("x", [(1, x)], 0, "float64"), Slot("y", [(1, y)], 0, "float64")]
    for name, value in params.items():
        slots.append(Slot(name, [(2, value), (10, value + deltas[name])], 1, "float64"))
    slots.append(Slot("out", [(5, p), (12, p + 1.0)], 1, "float64"))
    return slots


def _problem(seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(12, 2))
    y = (x[:, :1] > x[:, 1:]).astype(float)
    params = {"W1": rng.normal(size=(2, 3)), "W2": rng.normal(size=(3, 1))}
    net = Network((Layer("W1", False, None, None, "tanh"), Layer("W2", False, None, None,
                                                                   "sigmoid")), False)  # fmt: skip
    return net, params, x, y


def _sse_step(net, params, x, y, lr):
    h = np.tanh(x @ params["W1"])
    p = net.forward(params, x).reshape(-1, 1)
    d2 = 2 * (p - y) * p * (1 - p)
    d1 = (d2 @ params["W2"].T) * (1 - h**2)
    return {"W2": -lr * h.T @ d2, "W1": -lr * x.T @ d1}


def test_a_step_is_judged_in_gradsteps_process_from_reported_numbers():
    """recognise() reads only the numbers: a right SSE step is right, its lr named; the same
    step with W1's half of it is wrong for W1 alone, with its scale."""
    net, params, x, y = _problem()
    deltas = _sse_step(net, params, x, y, 0.3)
    result = recognise(_slots(net, params, deltas, x, y), Tolerance(), {0.3})
    assert result.status == "ok" and result.loss == "SSE" and abs(result.lr - 0.3) < 1e-9
    deltas["W1"] = deltas["W1"] / 2
    result = recognise(_slots(net, params, deltas, x, y), Tolerance(), {0.3})
    assert result.status == "wrong" and result.report.wrong == ["W1"]
    assert "scaled by 1/2" in dict((p.name, str(p)) for p in result.report.parameters)["W1"]


def test_no_verdict_without_reproduced_predictions():
    """Predictions the model cannot reproduce (the program's 'out' off by 1e-6) give "not
    recognised", never a verdict, with what was found."""
    net, params, x, y = _problem()
    slots = _slots(net, params, _sse_step(net, params, x, y, 0.3), x, y)
    out = slots[-1]
    out.values = [(line, v + 1e-6) for line, v in out.values]
    result = recognise(slots, Tolerance(), {0.3})
    assert result.status == "not recognised"
    assert "updated: W1 (2, 3) float64 (W1)" in result.found


@pytest.mark.slow  # over a second: a subprocess or a notebook run
def test_gradstep_check_a_program_on_the_command_line(tmp_path):
    """The command line on a program: its row, its table, exit 1 for a wrong step; --json
    carries the loss, the lr and the kind of submission."""
    shutil.copy(CORPUS / "mean_vs_sum.py", tmp_path / "student.py")
    out = tmp_path / "rows.json"
    result = subprocess.run(
        [sys.executable, "-m", "experiments", "check", str(tmp_path), "--json", str(out)],
        capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert "w3: wrong in 4 of 4 entries: its step is the right step scaled by 1/21" in result.stdout
    (row,) = json.loads(out.read_text())
    assert row["status"] == "wrong" and row["submission"] == "program"
    assert row["loss"] == "BCE (sum)" and abs(row["lr"] - 0.05) < 1e-9


def _check(path, **options):
    return check_submission(find_submissions([path], options.pop("entry", None))[0], **options)


def test_a_folder_of_two_programs_needs_its_entry_named(tmp_path):
    """Two files nobody imports and a helper both import: which one runs is not guessed;
    ``--entry`` names it."""
    folder = tmp_path / "carol"
    folder.mkdir()
    (folder / "helper.py").write_text("import numpy as np\n")
    (folder / "first.py").write_text("import helper\nraise SystemExit(1)\n")
    (folder / "second.py").write_text("import helper\nprint(1 / 0)\n")
    row = _check(folder, timeout=30)
    assert row.status == "error"
    assert row.message.startswith("cannot tell which file is the program (candidates: first.py")
    assert row.message.endswith("name it with --entry NAME")
    row = _check(folder, entry="second.py", timeout=30)
    assert row.message == (
        "running it raised ZeroDivisionError: division by zero (second.py, line 2: `print(1 / 0)`)"
    )


@pytest.mark.slow  # over a second: a subprocess or a notebook run
def test_a_timeout_names_the_phase(tmp_path):
    """A helper that loops at import times out "importing" it; a program that never updates
    times out "running the program to its first update"."""
    folder = tmp_path / "dave"
    folder.mkdir()
    (folder / "main.py").write_text("import slow\n")
    (folder / "slow.py").write_text("while True:\n    pass\n")
    assert _check(folder, timeout=3).message == "timed out after 3 s (importing slow.py)"
    (tmp_path / "spin.py").write_text("import numpy as np\nw = np.ones(2)\nwhile True:\n    pass\n")
    row = _check(tmp_path / "spin.py", timeout=3)
    assert row.message == "timed out after 3 s (running the program to its first update)"


@pytest.mark.slow  # over a second: a subprocess or a notebook run
def test_a_program_that_patches_gradsteps_checks_in_its_process_is_still_wrong(tmp_path):
    """The verdict is made in gradstep's process: a program that makes every comparison pass in
    its own process (the tolerance, check_step) changes nothing."""
    source = (CORPUS / "mean_vs_sum.py").read_text()
    patch = (
        "import autograd.checks.tolerance as _t, autograd.checks.stepcheck as _s\n"
        "_t.Tolerance.passes = lambda self, a, b: True\n"
        "_s.check_step = lambda *a, **k: None\n"
    )
    (tmp_path / "sly.py").write_text(patch + source)
    row = _check(tmp_path / "sly.py", timeout=60)
    assert row.status == "wrong" and "scaled by 1/21" in row.parameters["w3"]["verdict"]


def test_an_adapter_is_a_step_file_that_fails_until_edited(tmp_path):
    """Not recognised (a step along the sign of the error, no standard loss's): the adapter
    holds the network read (its weights, forward, data and targets) and the program's functions,
    parses, and as it is gives an error naming the edit, never a verdict."""
    from experiments.checking.adapter import adapter_text
    from experiments.checking.files import check_file

    net, params, x, y = _problem()
    p = net.forward(params, x).reshape(-1, 1)
    deltas = {"W2": -0.1 * np.tanh(x @ params["W1"]).T @ np.sign(p - y)}
    deltas["W1"] = np.zeros_like(params["W1"])
    slots = _slots(net, params, deltas, x, y)
    result = recognise(slots, Tolerance(), {0.1})
    assert result.status == "not recognised" and result.reading is not None
    source = "def backward(x, y, y_pred, w1, w2):\n    pass\n"
    spec = {"entry": "/c/ann.py", "chunks": [{"filename": "/c/ann.py", "source": source}]}
    text = adapter_text({**spec, "files": []}, slots, result)
    assert "backward(x, y, y_pred, w1, w2)" in text and "np.tanh(a)" in text
    path = tmp_path / "ann.adapter.py"
    path.write_text(text)
    row = check_file(path, timeout=30)
    assert row.status == "error" and "edit step() to call the program's own update" in row.message


@pytest.mark.slow  # over a second: a subprocess or a notebook run
def test_gradstep_check_a_class_writes_its_page_and_adapters(tmp_path):
    """--html writes the class's page, --adapters an adapter for the one not recognised (and
    none for the recognised); exit 2 for the row not recognised."""
    cls = tmp_path / "class"
    cls.mkdir()
    for name in ("l1_loss.py", "momentum.py"):
        shutil.copy(CORPUS / name, cls / name)
    page, adapters = tmp_path / "class.html", tmp_path / "adapters"
    result = subprocess.run(
        [sys.executable, "-m", "experiments", "check", str(cls), "--html", str(page),
         "--adapters", str(adapters)],
        capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert [p.name for p in adapters.iterdir()] == ["l1_loss.adapter.py"]
    assert f"wrote {page}" in result.stdout and "l1_loss.py" in page.read_text()
    assert "descends BCE (sum) with lr 0.1" in result.stdout


@pytest.mark.slow  # over a second: a subprocess or a notebook run
def test_the_order_bug_is_found_at_a_small_lr_within_the_tolerance(tmp_path):
    """At lr 0.0005 the seed's order bug moves each entry less than the tolerance: it is still
    named, because the step equals the back-propagation through the updated weights exactly."""
    source = (CORPUS / "seed_order.py").read_text().replace("lr = 0.05", "lr = 0.0005")
    (tmp_path / "tiny.py").write_text(source)
    row = _check(tmp_path / "tiny.py", timeout=60)
    assert row.status == "wrong" and abs(row.lr - 0.0005) < 1e-12
    assert row.parameters["w2"]["verdict"].startswith(
        "w2: wrong, though each entry is within the tolerance at this lr: its step was computed "
        "after w3 was updated in the same step"
    )
