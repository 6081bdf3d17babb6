"""User-defined ops (define_op, define_tensor_op): the same node as a built-in, served by every
tool, and errors that name the op."""

import math

import numpy as np
import pytest
from hypothesis import given, settings

from autograd import (
    AnomalyError,
    CustomOpError,
    Tensor,
    Value,
    backward_steps,
    define_op,
    define_tensor_op,
    detect_anomaly,
    draw,
    gradcheck,
    no_grad,
    scope,
)
from autograd.checks.testing import broadcastable_arrays, values

# The four lines: softplus(x) = ln(1 + e^x), d/dx softplus = sigmoid(x).
softplus = define_op(
    "softplus",
    forward=lambda x: math.log1p(math.exp(x)),
    local_grads=lambda x, out: (1.0 / (1.0 + math.exp(-x)),),
)


def test_softplus_is_a_node_like_any_other():
    """op name, data, stored local derivative, parents in argument order, scope, label."""
    x = Value(0.5, label="x")
    with scope("act"):
        y = softplus(x * 2.0)
    assert y.op == "softplus" and y.scope == "act"
    assert y.data == pytest.approx(math.log1p(math.exp(1.0)), rel=1e-15)
    assert y.local_derivatives == pytest.approx((1 / (1 + math.exp(-1.0)),), rel=1e-15)
    assert y.parents[0].op == "*"
    y.backward()
    assert x.grad == pytest.approx(2.0 / (1.0 + math.exp(-1.0)), rel=1e-15)


def test_softplus_takes_plain_numbers_as_constants():
    y = softplus(0.0)
    assert y.data == pytest.approx(math.log(2.0)) and y.parents[0].op == "const"


def test_softplus_is_stepped_checked_drawn_and_gradchecked():
    """backward_steps names the op in its chain-rule line; step.check passes; the DOT source
    draws an ellipse labelled softplus; gradcheck passes on a composite expression."""
    x = Value(-0.3, label="x")
    y = softplus(x)
    y.label = "y"
    steps = list(backward_steps(y))
    assert len(steps) == 1
    assert str(steps[0]) == "dy/dx += dy/dy * dy/dx = 1 * 0.425557 = 0.425557"
    assert steps[0].check().ok
    assert "n1op [label=softplus" in draw(y).source
    assert gradcheck(lambda x: softplus(x * x) * x, [Value(0.7, label="x")]).ok


def test_softplus_under_no_grad_and_detect_anomaly():
    """no_grad: a leaf, and local_grads is not even called; detect_anomaly: the first
    non-finite result raises naming the op."""
    calls = []
    counted = define_op(
        "counted_square", lambda x: x * x, lambda x, out: calls.append(x) or (2 * x,)
    )
    with no_grad():
        y = counted(Value(3.0))
    assert y.parents == () and y.data == 9.0 and calls == []
    root = define_op(
        "my_sqrt",
        lambda x: math.sqrt(x) if x >= 0 else math.nan,
        lambda x, out: (0.5 / out,),
    )
    assert math.isnan(root(Value(-1.0)).data)  # IEEE outside anomaly mode
    with detect_anomaly(), pytest.raises(AnomalyError, match="op 'my_sqrt' produced"):
        root(Value(-1.0))


# Built-ins redefined through define_op, written from the same math as value.py.
REDEFINED = {
    "tanh": (
        lambda a: a.tanh(),
        define_op("my_tanh", math.tanh, lambda x, out: (1.0 - out * out,)),
    ),
    "exp": (lambda a: a.exp(), define_op("my_exp2", math.exp, lambda x, out: (out,))),
    "mul": (
        lambda a, b: a * b,
        define_op("my_mul", lambda a, b: a * b, lambda a, b, out: (b, a)),
    ),
    "sigmoid": (
        lambda a: a.sigmoid(),
        define_op(
            "my_sigmoid",
            lambda x: 1.0 / (1.0 + math.exp(-x)),
            lambda x, out: (out * (1.0 - out),),
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(REDEFINED))
def test_a_redefined_builtin_gives_identical_values_and_gradients(name):
    """In an expression that uses the op twice, the custom op gives exactly (==) the built-in's
    value and gradients."""
    builtin, custom = REDEFINED[name]

    @settings(max_examples=30, deadline=None)
    @given(a=values((-3.0, 3.0), label="a"), b=values((-3.0, 3.0), label="b"))
    def check(a, b):
        results = []
        for op in (builtin, custom):
            x, y = Value(a.data, label="a"), Value(b.data, label="b")
            args = (x, y) if name == "mul" else (x,)
            out = op(*args) * y + op(*((y, x) if name == "mul" else (y,)))
            out.backward()
            results.append((out.data, x.grad, y.grad))
        assert results[0] == results[1]

    check()


@pytest.mark.parametrize(
    "local_grads, message",
    [
        (lambda x, out: 1 / 0, "local_grads(2.0, 4.0) raised ZeroDivisionError"),
        (lambda x, out: (1.0, 2.0), "one derivative per input (1), got 2 values"),
        (lambda x, out: ("two",), "returned str 'two' for input 0; expected a real number"),
        (lambda x, out: None, "one derivative per input (1), got None"),
    ],
)
def test_bad_local_grads_are_named_errors(local_grads, message):
    op = define_op("broken", lambda x: x * x, local_grads)
    with pytest.raises(CustomOpError) as info:
        op(Value(2.0))
    assert "op 'broken'" in str(info.value) and message in str(info.value)


def test_bad_definitions_are_refused():
    for builtin in ("sigmoid", "+", "dot", "conv2d", "input", "const"):
        with pytest.raises(ValueError, match=f"op name '{re_escape(builtin)}' is a built-in"):
            define_op(builtin, lambda x: x, lambda x, out: (1.0,))
    with pytest.raises(TypeError, match="non-empty string"):
        define_op("", lambda x: x, lambda x, out: (1.0,))
    with pytest.raises(TypeError, match="op 'f': forward must be callable"):
        define_op("f", 3.0, lambda x, out: (1.0,))
    bad_forward = define_op("vec", lambda x: [x, x], lambda x, out: (1.0,))
    with pytest.raises(CustomOpError, match="op 'vec': forward must return a real number"):
        bad_forward(Value(1.0))
    with pytest.raises(TypeError, match="op 'softplus': input 0 must be a Value or a number"):
        softplus("x")


def re_escape(text: str) -> str:
    import re

    return re.escape(text)


# -- Tensor ops ---------------------------------------------------------------------------------
tensor_softplus = define_tensor_op(
    "softplus",  # a Tensor op may share a Value op's name
    forward=lambda x: np.logaddexp(0.0, x),
    vjp=lambda g, x, out: (g / (1.0 + np.exp(-x)),),
)
scaled_product = define_tensor_op(
    "scaled_product",
    forward=lambda a, b: 3.0 * a * b,
    vjp=lambda g, a, b, out: (3.0 * g * b, 3.0 * g * a),
)


def test_tensor_op_values_gradients_and_steps():
    """A Tensor op's forward, its backward through gradcheck's full Jacobian, and its step."""
    x = Tensor([[-1.0, 0.0, 2.0]], label="x")
    y = tensor_softplus(x)
    assert y.op == "softplus"
    np.testing.assert_allclose(y.data, np.log1p(np.exp(x.data)), rtol=1e-15)
    assert gradcheck(lambda x: tensor_softplus(x).sum(), [x]).ok
    total = scaled_product(x, Tensor([[2.0, 1.0, -1.0]], label="w")).sum()
    total.label = "L"
    steps = list(backward_steps(total))
    assert [s.node.op for s in steps] == ["sum", "scaled_product"]
    assert all(s.check().ok for s in steps)


@pytest.mark.slow
@settings(max_examples=30, deadline=None)
@given(arrays=broadcastable_arrays(2, max_side=3).filter(lambda a: a[0].shape == a[1].shape))
def test_tensor_op_gradcheck_on_drawn_shapes(arrays):
    a, b = (Tensor(v, label=n) for v, n in zip(arrays, "ab"))
    assert gradcheck(scaled_product, [a, b]).ok


def test_a_wrong_vjp_shape_is_named_at_backward_time():
    bad = define_tensor_op("bad_sum_rows", lambda x: x.sum(axis=1), lambda g, x, out: (g,))
    x = Tensor(np.ones((2, 3)), label="x")
    y = bad(x).sum()  # the forward is fine
    with pytest.raises(CustomOpError) as info:
        y.backward()
    assert str(info.value) == (
        "op 'bad_sum_rows': vjp returned a gradient of shape (2,) for input 0, "
        "whose shape is (2, 3)"
    )


@pytest.mark.parametrize(
    "vjp, message",
    [
        (lambda g, x, out: (g, g), "one gradient per input (1), got 2 gradients"),
        (lambda g, x, out: ("a",), "vjp returned str for input 0"),
        (lambda g, x, out: 1 / 0, "vjp raised ZeroDivisionError"),
    ],
)
def test_bad_vjps_are_named_errors(vjp, message):
    op = define_tensor_op("bad_vjp", lambda x: 2 * x, vjp)
    y = op(Tensor([1.0, 2.0])).sum()
    with pytest.raises(CustomOpError, match=re_escape(message)):
        y.backward()


@pytest.mark.slow
def test_custom_nodes_hold_no_reference_cycles():
    """Like built-ins, a graph of custom op nodes is freed by reference counting alone: with
    the cycle collector off, once the last name is gone none of its nodes is alive. (Checked
    on the nodes themselves, not on gc.collect()'s count, which counts whatever garbage earlier
    tests left behind.)"""
    import gc

    from autograd import topological_order
    from autograd.graph import Node

    gc.collect()
    gc.disable()
    try:
        made = set()
        for _ in range(3):
            x = Value(0.5)
            v = softplus(softplus(x) * x)
            v.backward()
            t = Tensor([1.0, 2.0])
            s = tensor_softplus(scaled_product(t, t)).sum()
            s.backward()
            made |= {n.id for root in (v, s) for n in topological_order(root)}
        del x, t, v, s
        # type(o), not isinstance: some modules' objects warn when asked their __class__
        alive = [o for o in gc.get_objects() if issubclass(type(o), Node) and o.id in made]
        assert len(made) > 10 and alive == []
    finally:
        gc.enable()
