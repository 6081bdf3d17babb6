"""Higher-order derivatives: ``grad`` (and the gradient as a graph), ``hessian``, ``hvp``,
``gradgradcheck``, and the op records that make every op differentiable to any order.

Hypothesis draws the inputs; the PyTorch agreement is in test_higher_torch.py."""

import math

import numpy as np
import pytest
from catalog import UNARY, inputs_for
from hypothesis import given, settings

from autograd import (
    CustomOpError,
    Tensor,
    Value,
    backward_steps,
    define_op,
    define_tensor_op,
    draw,
    grad,
    hessian,
    hvp,
    stepper,
)
from autograd.ops import OPS, exp

# -- grad: first order, leaving .grad alone ------------------------------------------------------


def test_grad_matches_backward_and_touches_no_grad():
    x, w = Value(0.5, label="x"), Value(-1.5, label="w")
    y = (x * w).sigmoid() * x
    gx, gw = grad(y, [x, w])
    assert (x.grad, w.grad, y.grad) == (0.0, 0.0, 0.0)  # nothing written
    y.backward()
    assert (gx, gw) == (x.grad, w.grad)
    W = Tensor(np.arange(6.0).reshape(2, 3) / 7, label="W")
    v = Tensor(np.array([0.3, -0.2]), label="v")
    z = (v @ W).tanh().sum()
    gW, gv = grad(z, [W, v])
    assert np.all(W.grad == 0) and z.grad is None
    z.backward()
    assert np.array_equal(gW, W.grad) and np.array_equal(gv, v.grad)


def test_grad_of_an_input_not_reached_is_zero_of_its_kind():
    x, other = Value(2.0), Value(5.0)
    t, unused = Tensor(np.ones(3)), Tensor(np.ones((2, 2)))
    assert grad(x * x, [other, x]) == (0.0, 4.0)
    g = grad((t * 2).sum(), [unused])[0]
    assert isinstance(g, np.ndarray) and g.shape == (2, 2) and not g.any()
    (node,) = grad(x * x, [other], create_graph=True)
    assert isinstance(node, Value) and node.data == 0.0 and node.op == "const"


def test_grad_output_is_the_upstream_gradient():
    t = Tensor(np.array([1.0, 2.0, 3.0]), label="t")
    (g,) = grad(t * t, [t], grad_output=np.array([1.0, 0.0, -1.0]))
    assert g.tolist() == [2.0, 0.0, -6.0]
    x = Value(3.0)
    assert grad(x * x, [x], grad_output=0.5) == (3.0,)


def test_bad_arguments_are_named():
    x, t = Value(1.0), Tensor(np.ones(3))
    with pytest.raises(
        TypeError, match="grad's inputs must be Value or Tensor nodes; input 1 is float"
    ):
        grad(x * x, [x, 2.0])
    with pytest.raises(TypeError, match="grad's output must be a Value or Tensor node, got float"):
        grad(1.0, [x])
    with pytest.raises(ValueError, match=r"output of shape \(3,\) needs grad_output="):
        grad(t * 2, [t])
    with pytest.raises(ValueError, match=r"grad_output has shape \(2,\); the output \(3,\)"):
        grad(t * 2, [t], grad_output=np.ones(2))
    with pytest.raises(TypeError, match="hessian: f must return a Value or Tensor node, got float"):
        hessian(lambda a: 1.0, [x])
    with pytest.raises(
        ValueError, match=r"hessian: f must return one element, got a tensor of shape \(3,\)"
    ):
        hessian(lambda a: a * 2, [t])
    with pytest.raises(ValueError, match="hvp needs one vector per input"):
        hvp(lambda a, b: a * b, [x, Value(2.0)], [1.0])


# -- the gradient as a graph --------------------------------------------------------------------
def test_second_and_third_derivatives_of_a_polynomial():
    x = Value(3.0, label="x")
    (d1,) = grad(x**3, [x], create_graph=True)
    (d2,) = grad(d1, [x], create_graph=True)
    (d3,) = grad(d2, [x], create_graph=True)
    (d4,) = grad(d3, [x])
    assert (d1.data, d2.data, d3.data, d4) == (27.0, 18.0, 6.0, 0.0)
    assert d1.label == "dL/dx" and d2.label == "d(dL/dx)/dx"


THIRD = {  # d^3/dx^3 of each unary op, from its formula
    "neg": lambda x: 0.0,
    "exp": math.exp,
    "log": lambda x: 2 / x**3,
    "tanh": lambda x: -2 * (1 - math.tanh(x) ** 2) * (1 - 3 * math.tanh(x) ** 2),
    "sigmoid": lambda x: (s := 1 / (1 + math.exp(-x))) * (1 - s) * (1 - 6 * s + 6 * s * s),
    "abs": lambda x: 0.0,
    "relu": lambda x: 0.0,
    "leaky_relu": lambda x: 0.0,
    "square": lambda x: 0.0,
    "sqrt": lambda x: 3 / 8 * x**-2.5,
    "cube": lambda x: 6.0,
    "reciprocal": lambda x: -6 / x**4,
    "add_const": lambda x: 0.0,
    "rsub_const": lambda x: 0.0,
    "mul_const": lambda x: 0.0,
}


@pytest.mark.parametrize("op", UNARY, ids=lambda op: op.name)
def test_third_derivative_of_every_unary_op_matches_its_formula(op):
    @settings(max_examples=15, deadline=None)
    @given(xs=inputs_for(op))
    def check(xs):
        x = Value(xs[0], label="x")
        (d1,) = grad(op.apply(x), [x], create_graph=True)
        (d2,) = grad(d1, [x], create_graph=True)
        (d3,) = grad(d2, [x])
        assert d3 == pytest.approx(THIRD[op.name](xs[0]), rel=1e-9, abs=1e-9)

    check()


def test_every_registered_op_gives_nan_for_nan():
    """NaN in, NaN out, settled once in the records: every scalar and array forward."""
    params = {"**": 2.0, "leaky_relu": 0.01, "clip": (-1.0, 1.0), "bce": 1.0, "between": (0, 1)}
    arity = {"+": 2, "-": 2, "*": 2, "/": 2, "dot": 2}
    checked = 0
    for name, op in OPS.items():
        if op.user or op.scalar is None:
            continue
        xs = (math.nan,) * arity.get(name, 1)
        assert math.isnan(op.scalar(xs, params.get(name))), name
        if op.array is not None and name not in ("dot", "sum"):
            arrays = tuple(np.full(3, np.nan) for _ in xs)
            assert np.isnan(op.array(arrays, params.get(name))).all(), name
        checked += 1
    assert checked >= 18


def test_the_gradient_graph_is_drawn_stepped_and_checked():
    """The gradient of the lab's loss as nodes: labelled, in scope backward, drawn beside the
    forward graph it reads, stepped through, and each step's rule checks out."""
    from nets import ValueMLP

    net = ValueMLP((2, 2, 1), seed=0)
    loss = net.loss([[0.3, 0.8]], [[1.0]], loss="bce", reduction="sum")
    params = list(net.parameters())
    g = grad(loss, params, create_graph=True)
    first = dict(zip([p.label for p in params], g))
    assert first["W2[0,0]"].label == "dL/dW2[0,0]" and first["W2[0,0]"].scope == "backward"
    source = draw(first["W2[0,0]"]).source
    assert "cluster_backward" in source and "layer1" in source  # beside the forward graph
    steps = list(backward_steps(first["W2[0,0]"]))
    assert steps and all(step.check().ok for step in steps)
    assert len(stepper(first["W2[0,0]"])) == len(steps)


# -- user-defined ops --------------------------------------------------------------------------
def test_a_custom_op_written_with_node_ops_is_twice_differentiable():
    softplus = define_op(
        "softplus_twice",
        lambda x: math.log1p(math.exp(x)),
        lambda x, out: (1 / (1 + exp(-x)),),  # autograd.ops.exp: numbers and nodes alike
    )
    x = Value(0.3, label="x")
    (d1,) = grad(softplus(x), [x], create_graph=True)
    (d2,) = grad(d1, [x])
    s = 1 / (1 + math.exp(-0.3))
    assert d1.data == pytest.approx(s) and d2 == pytest.approx(s * (1 - s))
    cube = define_tensor_op("cube_graph", lambda a: a**3, lambda g, a, out: (3 * g * a * a,))
    t = Tensor(np.array([0.5, -2.0]), label="t")
    H = hessian(lambda t: cube(t).sum(), [t])
    np.testing.assert_allclose(H, np.diag([3.0, -12.0]))


def test_a_custom_op_with_numbers_only_derivatives_says_how_to_fix_it():
    numbers_only = define_op(
        "softplus_numbers", lambda x: math.log1p(math.exp(x)),
        lambda x, out: (1 / (1 + math.exp(-x)),),
    )  # fmt: skip
    x = Value(0.3, label="x")
    assert grad(numbers_only(x), [x])[0] == pytest.approx(1 / (1 + math.exp(-0.3)))
    with pytest.raises(CustomOpError, match="works on numbers only.*autograd.ops functions"):
        grad(numbers_only(x), [x], create_graph=True)
    flat = define_tensor_op("flat_vjp", lambda a: np.sin(a), lambda g, a, out: (g * np.cos(a),))
    t = Tensor(np.ones(2))
    with pytest.raises(CustomOpError, match="op 'flat_vjp': its derivative works on numbers only"):
        grad(flat(t).sum(), [t], create_graph=True)


def test_a_redefined_op_leaves_older_nodes_with_their_own_record():
    first = define_op("twice_me", lambda x: 2 * x, lambda x, out: (2.0,))
    y = first(Value(1.0, label="x"))
    define_op("twice_me", lambda x: 3 * x, lambda x, out: (3.0,))  # redefined: a new record
    (step,) = list(backward_steps(y))
    assert step.check().ok and y.op.scalar((1.0,), None) == 2.0


def test_an_op_record_applied_to_a_non_number_is_named():
    from autograd.ops import EXP

    with pytest.raises(TypeError, match="op 'exp' takes Values and numbers, got str"):
        Value.apply(EXP, ("x",))
    assert Value.apply(EXP, (0.0,)).data == 1.0  # a number becomes a constant
