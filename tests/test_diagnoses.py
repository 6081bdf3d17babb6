"""Every diagnosis is a claim, tested on files whose truth is known by construction: right, wrong,
kinked, scaled (and a factor that only looks like a scale), update order with the lr in a global,
an attribute, a default argument or a literal (alone, with a second error in the same parameter,
at a tiny lr), Adam's first step, momentum, a loss that ignores its argument; and check_gradients'
half, negative and transpose. The lab's network throughout: 2-4-4-1, sigmoid, summed
cross-entropy, 12 seeded points."""

import runpy

import numpy as np
import pytest

from autograd import check_gradients, check_step
from autograd.checks.derivatives import probe_loss
from autograd.checks.tolerance import Tolerance

LAB = """
import numpy as np
{head}
rng = np.random.default_rng(1)
x = rng.uniform(-1, 1, (12, 2))
y = (x[:, :1] * x[:, 1:] > 0).astype(float)
params = {{"W1": rng.standard_normal((2, 4)), "W2": rng.standard_normal((4, 4)),
          "W3": rng.standard_normal((4, 1))}}


def sig(v):
    return 1 / (1 + np.exp(-v))


def forward(p):
    z1 = sig(x @ p["W1"])
    z2 = sig(z1 @ p["W2"])
    return z1, z2, sig(z2 @ p["W3"])


def loss(p):
    z3 = forward(p)[2]
    return -np.sum(y * np.log(z3) + (1 - y) * np.log(1 - z3))


def step(p{args}):
    z1, z2, z3 = forward(p)
    d3 = z3 - y
    g3 = z2.T @ d3
    if {order}:
        p["W3"] -= {lr} * g3  # updated before the delta goes back through it
    d2 = (d3 @ p["W3"].T) * z2 * (1 - z2)
    g2 = z1.T @ d2
    d1 = (d2 @ p["W2"].T){derivative}
    g1 = x.T @ d1
    if not {order}:
        p["W3"] -= {lr} * g3
    p["W2"] -= {lr} * g2
    p["W1"] -= {lr} * g1
"""

SIG_DERIVATIVE = " * z1 * (1 - z1)"


def lab(tmp_path, *, head="lr = 0.1", args="", lr="lr", order=False, derivative=True, name="f"):
    source = LAB.format(
        head=head, args=args, lr=lr, order=order, derivative=SIG_DERIVATIVE if derivative else ""
    )
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    return runpy.run_path(str(path))


def check(ns, **options):
    return check_step(ns["step"], ns["params"], ns["loss"], ns.get("lr"), **options)


ORDER_LINE = (
    "{p}: wrong in {k} of {n} entries: its step was computed after W3 was updated in the same "
    "step; compute every gradient before updating any weight"
)


# -- update order, wherever the lr lives --------------------------------------------------------
LR_PLACES = [
    ("lr = 0.1", "", "lr", None),  # a module global
    ("beta = 0.1\nlr = 0.1", "", "(beta / beta) * lr", None),  # beside another global of 0.1
    ("class Config:\n    lr = 0.1\n\ncfg = Config()\ncfg.lr = 0.1", "", "cfg.lr", "cfg.lr"),
    # an attribute, beside a module global lr the step does not read: the first place gradstep
    # changes leaves the step as it was, the next one is the lr the step uses
    ("lr = 0.1\nclass Config:\n    lr = 0.1\n\ncfg = Config()", "", "cfg.lr", "cfg.lr"),
    ("", ", eta=0.1", "eta", "its argument eta="),  # a default argument
    ("", "", "0.1", "the number 0.1 written in step"),  # a literal
]


@pytest.mark.parametrize("head, args, lr, where", LR_PLACES)
def test_update_order_is_confirmed_wherever_the_lr_lives(tmp_path, head, args, lr, where):
    """The re-run at lr/10 changes the lr the step really reads; both layers below W3 are
    diagnosed as computed after W3 was updated, W3 itself is right."""
    report = check(lab(tmp_path, head=head, args=args, lr=lr, order=True))
    assert report.lr == pytest.approx(0.1, rel=1e-12)
    assert report.wrong == ["W1", "W2"]
    assert report.diagnoses["W2"] == ORDER_LINE.format(p="W2", k=16, n=16)
    assert report.diagnoses["W1"].endswith(ORDER_LINE.format(p="", k=8, n=8).split(": ", 1)[1])
    if where is not None:
        assert f"lr 0.1, read from {where}" in report.notes


def test_order_is_reported_when_another_error_shares_the_parameter(tmp_path):
    """W1 has both bugs (computed after W3 moved, and the sigmoid's derivative left out): the
    order is named and so is the rest, which is no multiple of the gradient."""
    report = check(lab(tmp_path, order=True, derivative=False))
    assert report.wrong == ["W1", "W2"]
    w1 = report.diagnoses["W1"]
    assert "its step was computed after W3 was updated in the same step; besides the order, " in w1
    assert "not a multiple of the gradient; worst W1[" in w1
    assert report.diagnoses["W2"] == ORDER_LINE.format(p="W2", k=16, n=16)


def test_a_missing_derivative_alone_is_not_called_an_order_bug(tmp_path):
    report = check(lab(tmp_path, derivative=False))
    assert report.wrong == ["W1"]
    assert "updated" not in report.diagnoses["W1"] and "scaled" not in report.diagnoses["W1"]


def test_order_is_found_at_the_programs_own_tiny_lr(tmp_path):
    """At lr 1e-4 the order's error is inside the tolerance; the step still depends on lr, which
    the re-runs show, so it is wrong, and the report says why it passed the tolerance. (Found
    down to lr 1e-5 on this network; at 1e-6 the re-run at lr/10 is lost in rounding.)"""
    report = check(lab(tmp_path, head="lr = 1e-4", order=True))
    assert report.wrong == ["W1", "W2"] and not report.ok
    assert all(p.wrong == 0 for p in report.parameters)  # every entry inside the tolerance
    w2 = report.diagnoses["W2"]
    assert w2.startswith("W2: wrong (inside the tolerance at lr 0.0001, but growing with lr): ")
    assert "computed after W3 was updated" in w2
    assert check(lab(tmp_path, head="lr = 1e-4", name="right")).ok  # the right step at that lr


def test_an_order_seen_by_the_trace_but_with_no_lr_to_change_is_not_confirmed(tmp_path):
    """The step reads its lr from a closure gradstep cannot change: the trace still names W3,
    and the report says the order could not be confirmed, and why."""
    lab(tmp_path, args=", rate", lr="rate", order=True)
    source = (tmp_path / "f.py").read_text()
    source += "\n_step = step\nstep = (lambda f, r: lambda p: f(p, r))(_step, 0.1)\n"
    (tmp_path / "g.py").write_text(source)
    ns = runpy.run_path(str(tmp_path / "g.py"))
    report = check(ns)
    assert report.wrong == ["W1", "W2"]
    assert (
        "could not confirm by a re-run at a smaller lr: gradstep found no lr in the program"
        in (report.diagnoses["W2"])
    )


# -- scale ----------------------------------------------------------------------------------------
def test_a_factor_that_changes_with_the_weights_is_no_scale(tmp_path):
    """step = -lr * (1 + sum W3^2) * gradient: one factor for every entry at this point, another
    at the second point: not claimed as a scale."""
    ns = lab(tmp_path)
    right = ns["step"]

    def step(p):
        factor = 1 + float(np.sum(p["W3"] ** 2))
        before = {k: v.copy() for k, v in p.items()}
        right(p)
        for k in p:
            p[k] = before[k] + factor * (p[k] - before[k])

    report = check_step(step, ns["params"], ns["loss"], 0.1)
    assert report.wrong == ["W1", "W2", "W3"]
    for name in ("W1", "W2"):
        line = report.diagnoses[name]
        assert "scaled" not in line and "not a multiple of the gradient: " in line
        assert "at another point" in line


def test_a_true_scale_holds_at_two_points_and_names_the_loss(tmp_path):
    ns = lab(tmp_path, lr="lr / 12")
    report = check(ns)
    for name in ("W1", "W2", "W3"):
        assert report.diagnoses[name].endswith("its step is the right step scaled by 1/12")
    assert any("the step descends loss/12" in n for n in report.notes)


def test_a_one_entry_parameter_never_gets_a_scale():
    params = {"w": np.array([1.5]), "v": np.array([1.0, -2.0])}

    def loss(p):
        return float(p["w"][0] ** 2 + np.sum(p["v"] ** 2))

    def step(p):
        p["w"] -= 0.1 * 2 * p["w"] / 4  # a quarter of the step: looks like a scale of one number
        p["v"] -= 0.1 * 2 * p["v"]

    report = check_step(step, params, loss, 0.1)
    assert report.wrong == ["w"]
    assert report.diagnoses["w"] == (
        "w: wrong in 1 of 1 entries: step/-lr 0.75 vs gradient 3, 1/4 x (one entry: no scale is "
        "claimed for it, a factor cannot be told from a wrong derivative)"
    )


# -- kinks ----------------------------------------------------------------------------------------
def test_one_sided_differences_find_kinks_and_not_curvature():
    tolerance = Tolerance()
    kinked = probe_loss(lambda p: float(np.sum(np.abs(p["W"]))), {"W": np.array([0.0, 1.0])},
                        tolerance).kinks(tolerance)  # fmt: skip
    assert kinked["W"].tolist() == [True, False]
    steep = probe_loss(lambda p: float(1e3 * p["W"][0] ** 2), {"W": np.array([0.0])}, tolerance)
    assert steep.kinks(tolerance)["W"].tolist() == [False]  # its gap doubles with h


RELU = """
import numpy as np
lr = 0.1
x = np.array([[0.0, 0.0], [0.5, -1.0], [1.0, 0.3], [-0.7, 0.8]])
y = np.array([[1.0], [0.0], [1.0], [0.0]])
rng = np.random.default_rng(2)
params = {"W1": rng.standard_normal((2, 3)), "b1": np.zeros(3),
          "W2": rng.standard_normal((3, 1)), "b2": np.zeros(1)}


def loss(p):
    h = np.maximum(0, x @ p["W1"] + p["b1"])
    return float(0.5 * np.sum((h @ p["W2"] + p["b2"] - y) ** 2))


def step(p):
    a = x @ p["W1"] + p["b1"]
    h = np.maximum(0, a)
    d2 = h @ p["W2"] + p["b2"] - y
    d1 = (d2 @ p["W2"].T) * (a > 0)
    p["W2"] -= lr * h.T @ d2
    p["b2"] -= lr * d2.sum(0)
    p["W1"] -= lr * x.T @ d1
    p["b1"] -= lr * d1.sum(0)
"""


def test_a_relu_at_exactly_zero_is_not_called_wrong(tmp_path):
    """The point (0, 0) with zero biases puts every hidden pre-activation at exactly 0: the
    loss is not differentiable in b1 there. The right step passes (checked at a point moved off
    the kink, said in a note); b1 is never wrong."""
    (tmp_path / "relu.py").write_text(RELU)
    report = check(runpy.run_path(str(tmp_path / "relu.py")))
    assert report.ok, report.summary()
    assert any("not differentiable in" in n and "moved by about 1e-4" in n for n in report.notes)


# -- optimizer state ----------------------------------------------------------------------------
ADAM = """
m, v, t = {}, {}, [0]


def step(p):
    g = grads(p)
    t[0] += 1
    for k in p:
        m[k] = 0.9 * m.get(k, 0) + 0.1 * g[k]
        v[k] = 0.999 * v.get(k, 0) + 0.001 * g[k] ** 2
        mh, vh = m[k] / (1 - 0.9 ** t[0]), v[k] / (1 - 0.999 ** t[0])
        p[k] -= lr * mh / (np.sqrt(vh) + 1e-8)
"""

MOMENTUM = """
velocity = {}


def step(p):
    g = grads(p)
    for k in p:
        velocity[k] = 0.9 * velocity.get(k, 0) + g[k]
        p[k] -= lr * velocity[k]
"""

GRADS = """

def grads(p):
    z1, z2, z3 = forward(p)
    d3 = z3 - y
    d2 = (d3 @ p["W3"].T) * z2 * (1 - z2)
    d1 = (d2 @ p["W2"].T) * z1 * (1 - z1)
    return {"W1": x.T @ d1, "W2": z1.T @ d2, "W3": z2.T @ d3}
"""


def optimizer_file(tmp_path, body):
    source = LAB.format(head="lr = 0.1", args="", lr="lr", order=False, derivative=SIG_DERIVATIVE)
    (tmp_path / "opt.py").write_text(source + GRADS + body)
    return runpy.run_path(str(tmp_path / "opt.py"))


def test_adams_first_step_is_named_not_judged(tmp_path):
    report = check(optimizer_file(tmp_path, ADAM))
    assert report.status == "no verdict" and report.wrong == [] and not report.ok
    assert report.unjudged == ["W1", "W2", "W3"]
    line = report.diagnoses["W1"]
    assert line.startswith("W1: not a gradient step: every entry moves by the same 0.1 against")
    assert "as Adam's first step does" in line


def test_momentums_second_step_is_named_and_its_first_judged(tmp_path):
    report = check(optimizer_file(tmp_path, MOMENTUM))
    assert report.ok, report.summary()
    assert any(
        "keeps state between calls" in n
        and "its second step is 1.9 x its first (as momentum with beta 0.9 gives)" in n
        for n in report.notes
    )


# -- a loss that does not move ------------------------------------------------------------------
def test_a_loss_that_ignores_its_argument_gives_no_verdict(tmp_path):
    ns = lab(tmp_path, lr="3 * lr")  # a wrong step
    frozen = {k: v.copy() for k, v in ns["params"].items()}
    report = check_step(ns["step"], ns["params"], lambda p: ns["loss"](frozen), 0.1)
    assert report.status == "no verdict" and not report.ok
    assert report.verdict().startswith("no verdict: loss(params) gives the same value however")
    assert "does not read its argument" in report.summary()


# -- check_gradients ------------------------------------------------------------------------------
def quadratic():
    A = np.array([[1.0, 2.0], [3.0, 4.0]])
    params = {"W": np.array([[0.1, -0.2], [0.3, 0.4]]), "b": np.array([1.0, 2.0, 3.0])}
    c = np.array([0.5, -1.5, 2.0])
    return params, (lambda p: float(np.sum(A * p["W"] ** 2) + p["b"] @ c)), A, c


@pytest.mark.parametrize(
    "grads, expected",
    [
        (lambda A, c: lambda p: {"W": A * p["W"], "b": c}, "exactly half the right gradient"),
        (lambda A, c: lambda p: {"W": -2 * A * p["W"], "b": c},
         "exactly the negative of the right gradient"),
        (lambda A, c: lambda p: {"W": (2 * A * p["W"]).T, "b": c}, "the transpose of the right"),
    ],
)  # fmt: skip
def test_check_gradients_names_half_negative_and_transposed(grads, expected):
    params, loss, A, c = quadratic()
    report = check_gradients(loss, grads(A, c), params)
    assert report.wrong == ["W"]
    assert expected in str(report.parameters[0])


def test_check_gradients_scale_not_claimed_when_it_changes_with_the_point():
    params, loss, A, c = quadratic()
    report = check_gradients(
        loss, lambda p: {"W": 2 * A * p["W"] * (1 + float(np.sum(p["W"] ** 2))), "b": c}, params
    )
    line = str(report.parameters[0])
    assert report.wrong == ["W"] and "scaled" not in line and "exactly" not in line
    assert "not a multiple of the right gradient" in line


def test_a_recorded_step_is_checked_at_its_own_point_only():
    """A step that is the same wherever it starts (one observed update, as gradstep records from
    a program) cannot be re-run at a second point: its scale is said for this point, and that
    it was not confirmed."""
    params = {"v": np.array([1.0, -2.0, 0.5])}
    delta = {"v": -0.1 * 2 * params["v"] / 4}

    def loss(p):
        return float(np.sum(p["v"] ** 2))

    report = check_step(lambda p: {"v": p["v"] + delta["v"]}, params, loss, 0.1)
    assert report.diagnoses["v"] == (
        "v: wrong in 3 of 3 entries: its step is the right step scaled by 1/4 here (not confirmed "
        "at a second point: the step is the same at every point (a recorded step))"
    )
    assert any("descends loss/4" in n for n in report.notes)
