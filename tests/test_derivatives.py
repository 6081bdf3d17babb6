"""check_op and check_gradients (autograd/checks/derivatives.py) and their pytest front ends
(autograd.checks.testing: assert_op, assert_gradients, assert_gradcheck, hypothesis strategies)."""

import math
import os

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
    assert lines[0] == (
        "W: wrong in 4 of 4 entries: your gradient is exactly half the right gradient (at two "
        "points)"
    )
    assert lines[1].startswith("b: ok")
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
