"""check_step: a learner's training step, checked as written and diagnosed in their terms.

Every step file here is generated from one template: a sigmoid MLP of the given sizes (with or
without biases) trained on summed cross-entropy by a hand-written backward in the lab's style,
with one of the bugs learners make switched on. Data and weights come from a fixed seed (1).
"""

import math
import os
import runpy
import textwrap

import numpy as np
import pytest

from autograd import GradcheckError, StepCheckReport, check_step
from autograd.checks.stepcheck import StepCheckError, format_scale
from autograd.checks.tracing import trace_updates

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(REPO, "experiments", "examples")

TEMPLATE = """
import numpy as np

{lr_line}
SIZES, BIAS, BUG = {sizes!r}, {bias!r}, {bug!r}
rng = np.random.default_rng(1)
x = rng.uniform(-1, 1, (12, SIZES[0]))
y = (x[:, :1] * x[:, 1:2] > 0).astype(float)
L = len(SIZES) - 1
params = {{}}
for i in range(1, L + 1):
    params[f"W{{i}}"] = rng.standard_normal((SIZES[i - 1], SIZES[i]))
    if BIAS:
        params[f"b{{i}}"] = 0.1 * rng.standard_normal(SIZES[i])


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def forward(p):
    zs = [x]
    for i in range(1, L + 1):
        zs.append(sigmoid(zs[-1] @ p[f"W{{i}}"] + (p[f"b{{i}}"] if BIAS else 0)))
    return zs


def loss(p):
    y_pred = forward(p)[-1]
    return -np.sum(y * np.log(y_pred) + (1 - y) * np.log(1 - y_pred))


def step(p):
    zs = forward(p)
    delta = zs[-1] - y
    if BUG == "mean":
        delta = delta / len(x)
    if BUG == "climb":
        delta = -delta
    grads = {{}}
    for i in range(L, 0, -1):
        grads[f"W{{i}}"] = zs[i - 1].T @ delta
        if BIAS:
            grads[f"b{{i}}"] = delta.sum(axis=0)
        if BUG == "order":  # the report's bug: update, then go back through the new weight
            p[f"W{{i}}"] -= lr * grads[f"W{{i}}"]
        if i > 1:
            back = delta @ p[f"W{{i}}"].T
            forgot = BUG == "derivative" and i == 2  # the sigmoid's derivative left out
            delta = back if forgot else back * zs[i - 1] * (1 - zs[i - 1])
    for name, g in grads.items():
        if BUG == "order" and name.startswith("W"):
            continue
        if BUG == "not_updated" and name == "W1":
            w1 = p["W1"]
            w1 = w1 - lr * g  # rebinds a local name: params["W1"] never changes
            continue
        p[name] -= lr * g
"""


def step_file(sizes=(2, 4, 4, 1), bias=False, bug=None, lr=0.1):
    lr_line = f"lr = {lr!r}" if lr is not None else "lr = 0.1  # read by step, but named _lr"
    source = TEMPLATE.format(sizes=tuple(sizes), bias=bias, bug=bug, lr_line=lr_line)
    if lr is None:  # the file defines no module-level `lr` that gradstep could read
        source = source.replace("lr = 0.1  #", "_lr = 0.1  #").replace("lr * ", "_lr * ")
    return source


def load(source, tmp_path, name="student.py"):
    path = tmp_path / name
    path.write_text(source)
    return runpy.run_path(str(path))


def check(ns, **options):
    return check_step(ns["step"], ns["params"], ns["loss"], ns.get("lr"), **options)


ARCHITECTURES = [((2, 4, 1), False), ((2, 4, 4, 1), False), ((2, 3, 4, 3, 1), False)]
ARCHITECTURES += [((2, 4, 4, 1), True), ((2, 3, 1), True)]


def weight_names(sizes, bias):
    n = len(sizes) - 1
    return [f"W{i}" for i in range(1, n + 1)] + ([f"b{i}" for i in range(1, n + 1)] if bias else [])


# -- each diagnosis, on 1, 2 and 3 hidden layers, with and without bias -------------------------
@pytest.mark.parametrize("sizes, bias", ARCHITECTURES)
def test_a_right_step_passes_and_the_users_arrays_are_untouched(tmp_path, sizes, bias):
    ns = load(step_file(sizes, bias), tmp_path)
    before = {k: v.copy() for k, v in ns["params"].items()}
    report = check(ns)
    assert isinstance(report, StepCheckReport) and report.ok and bool(report)
    assert report.wrong == [] and report.diagnoses == {} and report.lr == 0.1
    assert sorted(p.name for p in report.parameters) == sorted(weight_names(sizes, bias))
    assert all(np.array_equal(ns["params"][k], before[k]) for k in before)
    assert (
        report.summary().splitlines()[-1].startswith(f"step right for all {len(before)} parameters")
    )


@pytest.mark.parametrize("sizes, bias", ARCHITECTURES)
def test_update_order_names_the_weight_updated_too_early(tmp_path, sizes, bias):
    """Each W_i is updated before the delta goes back through it: every parameter below the
    top layer is wrong, computed after W_(i+1) moved; the top layer's own step is right."""
    n = len(sizes) - 1
    report = check(load(step_file(sizes, bias, "order"), tmp_path))
    lines = report.diagnoses
    top = [f"W{n}"] + ([f"b{n}"] if bias else [])
    assert sorted(report.wrong) == sorted(set(weight_names(sizes, bias)) - set(top))
    for i in range(1, n):
        line = lines[f"W{i}"]
        assert line.startswith(f"W{i}: wrong in ")
        assert f"W{i + 1}" in line.split("computed after ")[1].split(" updated")[0]
        assert line.endswith(
            "updated in the same step; compute every gradient before updating any weight"
        )
        if bias:
            assert f"W{i + 1}" in lines[f"b{i}"]


def test_update_order_message_in_the_issues_words(tmp_path):
    report = check(load(step_file((2, 4, 4, 1), False, "order"), tmp_path))
    assert report.diagnoses["W2"] == (
        "W2: wrong in 16 of 16 entries: its step was computed after W3 was updated in the same "
        "step; compute every gradient before updating any weight"
    )
    w1 = report.diagnoses["W1"]
    assert (
        w1.startswith("W1: wrong in ")
        and " of 8 entries: its step was computed after W2, W3 " in w1
    )


@pytest.mark.parametrize("sizes, bias", ARCHITECTURES)
def test_a_mean_where_the_loss_sums_is_a_scale_of_one_over_n(tmp_path, sizes, bias):
    report = check(load(step_file(sizes, bias, "mean"), tmp_path))
    names = weight_names(sizes, bias)
    assert sorted(report.wrong) == sorted(names)
    for name in names:
        if report.parameters[[p.name for p in report.parameters].index(name)].entries == 1:
            assert report.diagnoses[name].endswith(
                ", 1/12 x (one entry: no scale is claimed for it, a factor cannot be told from a "
                "wrong derivative)"
            )
        else:
            assert report.diagnoses[name].endswith("its step is the right step scaled by 1/12")
    assert report.notes[-1].startswith(
        "every parameter's step is scaled by 1/12: the step descends loss/12, e.g. a mean over "
        "12 samples"
    )


@pytest.mark.parametrize("sizes, bias", ARCHITECTURES[:3])
def test_a_step_that_climbs_is_scaled_by_minus_one(tmp_path, sizes, bias):
    report = check(load(step_file(sizes, bias, "climb"), tmp_path))
    for name in weight_names(sizes, bias):
        assert report.diagnoses[name].endswith("scaled by -1: the step climbs the loss")


@pytest.mark.parametrize("sizes, bias", ARCHITECTURES)
def test_a_rebound_local_name_is_not_updated(tmp_path, sizes, bias):
    report = check(load(step_file(sizes, bias, "not_updated"), tmp_path))
    assert report.wrong == ["W1"]
    assert report.diagnoses == {"W1": "W1: not updated by the step"}


@pytest.mark.parametrize("sizes, bias", ARCHITECTURES)
def test_a_wrong_derivative_is_plainly_wrong_with_its_worst_entries(tmp_path, sizes, bias):
    """The sigmoid's derivative left out below layer 2: W1 (and b1) wrong, neither scaled nor
    an order problem (re-running at lr/10 leaves the error as it was), so never guessed at."""
    report = check(load(step_file(sizes, bias, "derivative"), tmp_path))
    assert sorted(report.wrong) == (["W1", "b1"] if bias else ["W1"])
    line = report.diagnoses["W1"]
    assert "not a multiple of the gradient; worst W1[" in line
    assert "updated" not in line and "scaled" not in line


def test_order_found_by_lr_alone_when_the_trace_cannot_see_it(tmp_path):
    """A step that returns a new dict and goes back through its own new W2: nothing is written
    in place, so the trace sees no update; re-running at lr/10 shows the error shrinking in
    proportion to lr, which is diagnosed without naming a weight."""
    source = step_file((2, 4, 1)) + textwrap.dedent(
        """
        def step(p):
            z1, z2 = forward(p)[1:]
            d2 = z2 - y
            new = {"W2": p["W2"] - lr * z1.T @ d2}
            d1 = (d2 @ new["W2"].T) * z1 * (1 - z1)
            new["W1"] = p["W1"] - lr * x.T @ d1
            return new
        """
    )
    report = check(load(source, tmp_path))
    assert report.wrong == ["W1"]
    assert "its error shrinks in proportion to lr" in report.diagnoses["W1"]


def test_without_lr_the_step_size_is_estimated_and_said(tmp_path):
    report = check(load(step_file((2, 4, 1), lr=None), tmp_path))
    assert report.ok and report.lr_estimated and report.lr == pytest.approx(0.1, rel=1e-6)
    assert report.notes[0].startswith("lr not given: estimated as 0.1 from ")


def test_format_scale_reads_as_a_learner_would():
    assert [format_scale(c) for c in (1 / 21, -1 / 4, -1.0, 2.0, 0.37)] == [
        "1/21",
        "-1/4",
        "-1",
        "2",
        "0.37",
    ]
    assert format_scale(1 / 21 * (1 + 1e-5)) == "0.0476195"  # 1/c off an integer by 2e-4


def test_trace_names_the_updated_weight_for_the_reports_backward():
    """The report's own backward: w3 updated, then sigma2 taken through w3.T (a view)."""
    ns = runpy.run_path(os.path.join(EXAMPLES, "lab_step_report.py"))
    assert trace_updates(ns["step"], ns["params"]) == {
        "W3": set(),
        "W2": {"W3"},
        "W1": {"W2", "W3"},
    }


def test_the_shipped_examples():
    right = runpy.run_path(os.path.join(EXAMPLES, "lab_step.py"))
    report_step = runpy.run_path(os.path.join(EXAMPLES, "lab_step_report.py"))
    assert check(right).ok
    report = check(report_step)
    assert report.wrong == ["W1", "W2"]
    assert report.diagnoses["W2"].startswith(
        "W2: wrong in 16 of 16 entries: its step was computed after W3 was updated"
    )
    assert "background:#fdd" in report._repr_html_() and "W3 was updated" in report._repr_html_()
    with pytest.raises(GradcheckError, match="step WRONG for W1, W2"):
        check(report_step, raise_on_failure=True)


# -- bad input, named ---------------------------------------------------------------------------
def test_bad_steps_and_arguments_are_named(tmp_path):
    ns = load(step_file((2, 3, 1)), tmp_path)
    params, loss = ns["params"], ns["loss"]

    def reshape(p):
        p["W1"] = p["W1"].T

    def nan(p):
        p["W2"][0, 0] = math.nan

    def returns_tuple(p):
        return (p["W1"], p["W2"])

    def forgets(p):
        return {"W1": p["W1"]}

    cases = [
        (reshape, StepCheckError, r"W1: the step changed its shape from \(2, 3\) to \(3, 2\)"),
        (nan, StepCheckError, "W2: the step produced nan or inf"),
        (returns_tuple, StepCheckError, "return None, or return the updated dict; it returned"),
        (forgets, StepCheckError, "returned has no W2"),
    ]
    for step, error, message in cases:
        with pytest.raises(error, match=message):
            check_step(step, params, loss, 0.1)
    for lr in (0, -1.0, math.inf, math.nan, True, "0.1"):
        with pytest.raises(ValueError, match="lr must be a positive finite number"):
            check_step(ns["step"], params, loss, lr)
    with pytest.raises(TypeError, match="must be an array of real numbers"):
        check_step(ns["step"], {"W1": "abc"}, loss, 0.1)
    with pytest.raises(TypeError, match="non-empty dict"):
        check_step(ns["step"], [1, 2], loss, 0.1)
    with pytest.raises(TypeError, match=r"loss\(params\) must return one real number, got None"):
        check_step(ns["step"], params, lambda p: None, 0.1)
    with pytest.raises(ValueError, match="atol must be a finite number >= 0"):
        check_step(ns["step"], params, loss, 0.1, atol=math.nan)
