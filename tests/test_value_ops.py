"""Value: every op of the catalog (forward against numpy, gradient against central differences),
numbers and constants, IEEE results and nan, and bad input named by its type."""

import math

import numpy as np
import pytest
from catalog import ALL, domains, inputs_for, values_for
from hypothesis import given, settings

from autograd import Value, numerical_grad
from autograd.checks.testing import assert_gradcheck, assert_op


def _values(xs):
    return [Value(x, label=f"x{i}") for i, x in enumerate(xs)]


@pytest.mark.parametrize("op", ALL, ids=lambda op: op.name)
def test_forward_matches_numpy(op):
    """op(Value...) gives the same float as numpy's float64 op, to 1e-12 relative."""

    @settings(max_examples=40, deadline=None)
    @given(xs=inputs_for(op))
    def check(xs):
        out = op.apply(*_values(xs))
        expected = float(op.numpy(*[np.float64(x) for x in xs]))
        assert isinstance(out, Value)
        assert out.data == pytest.approx(expected, rel=1e-12, abs=1e-300)

    check()


@pytest.mark.parametrize("op", ALL, ids=lambda op: op.name)
def test_gradient_matches_central_differences(op):
    """backward() agrees with central differences (torch's gradcheck rule) for every input,
    written with autograd.checks.testing as a user's own test would be."""

    @settings(max_examples=40, deadline=None)
    @given(xs=values_for(op))
    def check(xs):
        report = assert_gradcheck(op.apply, list(xs))
        assert len(report.rows) == op.arity

    check()


@pytest.mark.parametrize("op", ALL, ids=lambda op: op.name)
def test_check_op_passes_over_the_whole_catalog(op):
    """check_op over its grid and random points in each op's domain: every derivative passes
    and most points are checked (only non-finite forwards may be skipped)."""
    report = assert_op(op.apply, arity=op.arity, domain=domains(op))
    assert report.points >= 20 and len(report.rows) == report.points * op.arity


@pytest.mark.parametrize(
    "expr, x, dx",
    [
        (lambda x: x.sigmoid(), 0.0, 0.25),  # s(0)(1 - s(0))
        (lambda x: x.tanh(), 0.0, 1.0),
        (lambda x: x.exp(), 1.0, math.e),
        (lambda x: x.log(), 2.0, 0.5),
        (lambda x: x**3, 2.0, 12.0),
        (lambda x: 1 / x, 2.0, -0.25),
        (lambda x: abs(x), -3.0, -1.0),
        (lambda x: x.relu(), -1.0, 0.0),
        (lambda x: x.relu(), 2.0, 1.0),
        (lambda x: x.leaky_relu(), -1.0, 0.01),
        (lambda x: x.leaky_relu(slope=0.2), -1.0, 0.2),
        (lambda x: 2**x, 3.0, 8 * math.log(2)),
    ],
)
def test_known_derivatives(expr, x, dx):
    """Closed-form derivatives at chosen points."""
    v = Value(x)
    expr(v).backward()
    assert v.grad == pytest.approx(dx, rel=1e-14)


def test_power_with_value_exponent_gives_both_gradients():
    """d/dx x^p = p x^(p-1) and d/dp x^p = x^p ln x."""
    x, p = Value(2.0), Value(3.0)
    (x**p).backward()
    assert x.grad == pytest.approx(12.0)
    assert p.grad == pytest.approx(8 * math.log(2.0))


def test_reflected_operators_wrap_numbers_as_constant_leaves():
    """2 - x, 2 / x, 2 * x, 2 + x treat the number as a constant leaf (op 'const')."""
    x = Value(4.0)
    for out, expected, dx in [
        (2 - x, -2.0, -1.0),
        (2 / x, 0.5, -0.125),
        (2 * x, 8.0, 2.0),
        (2 + x, 6.0, 1.0),
    ]:
        x.grad = 0.0
        out.backward()
        assert out.data == expected and x.grad == dx
        const = out.parents[0]
        assert const.op == "const" and const.parents == () and const.data == 2.0


def test_numpy_scalars_and_ints_are_accepted():
    """numpy float64/int64 scalars and 0-d arrays are real numbers."""
    assert (Value(np.float64(1.5)) * np.int64(2)).data == 3.0
    assert Value(np.array(2.0)).data == 2.0
    assert Value(3).data == 3.0 and isinstance(Value(3).data, float)


@pytest.mark.parametrize("x", [2, 2.0, np.float32(2.0), np.int64(2), np.array(2.0), True])
def test_every_node_type_and_user_ops_take_the_same_numbers(x):
    """One rule (``autograd.numeric.is_number``) for Value, Tensor, user ops and grad_output."""
    from autograd import Tensor, define_op, grad
    from autograd.numeric import is_number

    assert is_number(x)
    twice = define_op("twice_numbers", lambda a: 2 * a, lambda a, out: (2.0,))
    expected = 2.0 * float(x)
    assert (Value(1.0) * x).data == float(x) and (Tensor([1.0]) * x).data.tolist() == [float(x)]
    assert twice(x).data == expected and twice(x).parents[0].op == "const"
    y = Value(3.0, label="y")
    assert grad(y * 1.0, [y], grad_output=x) == (float(x),)


@pytest.mark.parametrize("bad", ["2", None, 1j, np.array([1.0, 2.0]), np.array("a")])
def test_what_is_not_a_number_is_refused_alike(bad):
    from autograd import define_op
    from autograd.numeric import is_number

    assert not is_number(bad)
    twice = define_op("twice_refusing", lambda a: 2 * a, lambda a, out: (2.0,))
    with pytest.raises(TypeError, match="input 0 must be a Value or a number"):
        twice(bad)
    with pytest.raises(TypeError, match="Value needs a real number"):
        Value(bad)


def test_sigmoid_is_stable_at_extremes():
    """No overflow and no warning for |x| up to 1e4; saturates to exactly 0 and 1."""
    with np.errstate(all="raise"):
        for x in (1e4, 1000.0, -1000.0, -1e4):
            v = Value(x)
            s = v.sigmoid()
            s.backward()
            assert s.data == 1.0 if x > 0 else 0 < s.data < 1e-300
            assert 0.0 <= v.grad < 1e-300
    assert Value(-745.0).sigmoid().data > 0  # still resolves the subnormal tail


def test_ieee_results_for_log_div_exp_pow():
    """Outside detect_anomaly, results follow IEEE like numpy: no Python exceptions."""
    assert Value(0.0).log().data == -math.inf
    assert math.isnan(Value(-1.0).log().data)
    assert (Value(1.0) / 0.0).data == math.inf
    assert (Value(-1.0) / 0.0).data == -math.inf
    assert math.isnan((Value(0.0) / 0.0).data)
    assert Value(1000.0).exp().data == math.inf
    assert math.isnan((Value(-8.0) ** (1 / 3)).data)
    assert (Value(0.0) ** -1).data == math.inf


def test_repr_shows_label_data_and_grad():
    v = Value(1.5, label="w")
    v.grad = 0.25
    assert repr(v) == "Value('w', data=1.5, grad=0.25)"
    assert repr(Value(2.0)) == "Value(data=2, grad=0)"
    html = v._repr_html_()
    assert "<table>" in html and "w" in html and "1.5" in html


def test_comparisons_compare_data_and_build_no_graph():
    a, b = Value(1.0), Value(2.0)
    assert a < b and b > a and a <= 1.0 and b >= 2 and not (a > b)
    assert a.parents == () and b.parents == ()
    assert (a == Value(1.0)) is False  # == is identity, so nodes can be dict keys


def test_numerical_grad_returns_one_float_per_value():
    x, y = Value(0.5), Value(-2.0)
    gx, gy = numerical_grad(lambda x, y: x * y + x.exp(), [x, y])
    assert gx == pytest.approx(-2.0 + math.exp(0.5), rel=1e-8)
    assert gy == pytest.approx(0.5, rel=1e-8)
    assert x.data == 0.5 and y.data == -2.0  # inputs restored


# -- nan in, nan out ----------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["sigmoid", "relu", "leaky_relu", "tanh", "exp", "log", "abs"])
def test_every_value_op_keeps_nan_and_anomaly_mode_raises_at_it(op):
    from autograd import AnomalyError, detect_anomaly
    from autograd.ops import OPS

    x = Value(float("nan"), label="x")
    out = abs(x) if op == "abs" else getattr(x, op)()
    out.backward()
    assert np.isnan(out.data) and np.isnan(x.grad)
    assert np.isnan(OPS[op].scalar((float("nan"),), 0.01 if op == "leaky_relu" else None))
    with detect_anomaly(), pytest.raises(AnomalyError, match=f"op '{op}' produced a non-finite"):
        abs(x) if op == "abs" else getattr(x, op)()
    assert np.isnan(Value(float("nan")).bce(1.0).data)


def test_relu_and_abs_below_zero_give_a_plain_zero_derivative():
    assert Value(-1.0).relu().local_derivatives == (0.0,)
    assert str(Value(-1.0).relu().local_derivatives[0]) == "0.0"  # never -0
    assert abs(Value(0.0)).local_derivatives == (0.0,)


# -- bad input: a TypeError naming the offending type ------------------------------------------
@pytest.mark.parametrize(
    "bad, name",
    [("x", "str"), (None, "NoneType"), ([1, 2], "list"), (1 + 2j, "complex"), ({"a": 1}, "dict")],
)
def test_value_rejects_non_real_data(bad, name):
    with pytest.raises(TypeError, match=f"Value needs a real number, got {name}"):
        Value(bad)


@pytest.mark.parametrize("bad", ["s", None, [1.0], object()])
def test_arithmetic_with_non_numbers_names_the_type(bad):
    # (``"s" * Value(1)`` is refused by str itself, with Python's own sequence message.)
    for op in (
        lambda: Value(1) + bad,
        lambda: Value(1) * bad,
        lambda: Value(1) / bad,
        lambda: Value(2) ** bad,
        lambda: Value(1) - bad,
    ):
        with pytest.raises(TypeError, match=type(bad).__name__):
            op()


def test_label_must_be_a_string():
    with pytest.raises(TypeError, match="label must be a str, got int"):
        Value(1.0, label=3)


def test_comparison_with_non_number():
    with pytest.raises(TypeError, match="cannot compare Value with str"):
        Value(1.0) < "a"  # noqa: B015


@pytest.mark.parametrize("bad", [None, object()])
def test_reflected_arithmetic_with_non_numbers_names_the_type(bad):
    for op in (lambda: bad + Value(1), lambda: bad * Value(1), lambda: bad - Value(1)):
        with pytest.raises(TypeError, match=type(bad).__name__):
            op()
