"""Stepping through backward: equal to backward(), readable lines, and step.check()."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import (
    Tensor,
    Value,
    backward_steps,
    define_op,
    forward_steps,
    sum_values,
    topological_order,
)


@st.composite
def random_value_graphs(draw):
    """A random expression over 3 leaves with shared sub-expressions, built op by op."""
    leaves = [Value(draw(st.floats(0.2, 2.0)), label=f"x{i}") for i in range(3)]
    nodes = list(leaves)
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["+", "*", "-", "sigmoid", "tanh", "exp", "sum"]))
        a = draw(st.sampled_from(nodes))
        b = draw(st.sampled_from(nodes))
        if kind == "+":
            nodes.append(a + b)
        elif kind == "*":
            nodes.append(a * b)
        elif kind == "-":
            nodes.append(a - b)
        elif kind == "sum":
            nodes.append(sum_values([a, b, a]))
        elif kind == "exp":
            nodes.append((a * 0.1).exp())
        else:
            nodes.append(getattr(a, kind)())
    return leaves, nodes[-1] + nodes[-2] * 0.5


@settings(max_examples=60, deadline=None)
@given(graph=random_value_graphs())
def test_exhausting_steps_equals_backward_on_random_value_graphs(graph):
    leaves, root = graph
    root.backward()
    expected = {id(n): n.grad for n in topological_order(root)}
    for node in topological_order(root):
        if not node.parents:  # leaves (constants too) accumulate: reset them
            node.grad = 0.0
    steps = list(backward_steps(root))
    assert len(steps) == sum(1 for n in topological_order(root) if n.parents)
    for node in topological_order(root):
        assert node.grad == expected[id(node)]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_exhausting_steps_equals_backward_on_tensor_graphs(seed):
    rng = np.random.default_rng(seed)
    X = Tensor(rng.standard_normal((4, 3)), label="X")
    W = Tensor(rng.standard_normal((3, 2)), label="W")
    b = Tensor(rng.standard_normal(2), label="b")
    h = (X @ W + b).tanh()
    root = (h * h.sigmoid()).sum(axis=0).mean() + (W**2).sum()
    root.backward()
    expected = {id(n): np.array(n.grad) for n in topological_order(root)}
    for node in topological_order(root):
        if not node.parents:
            node.zero_grad()
    for _ in backward_steps(root):
        pass
    for node in topological_order(root):
        np.testing.assert_array_equal(node.grad, expected[id(node)])


def test_step_lines_read_as_the_chain_rule():
    x, w = Value(0.5, label="x"), Value(-1.5, label="w")
    z = x * w + 0.25
    z.label = "z"
    y = z.sigmoid()
    y.label = "y"
    steps = list(backward_steps(y))
    assert [s.node for s in steps] == [y, z, z.parents[0]]
    assert str(steps[0]) == "dy/dz += dy/dy * dy/dz = 1 * 0.235004 = 0.235004"
    assert str(steps[1]) == "dy/d(x*w) += dy/dz * 1 = 0.235004 * 1 = 0.235004"
    assert str(steps[2]).splitlines() == [
        "dy/dx += dy/d(x*w) * w = 0.235004 * -1.5 = -0.352506",
        "dy/dw += dy/d(x*w) * x = 0.235004 * 0.5 = 0.117502",
    ]
    assert repr(steps[2]) == "<Step 3/3: (x*w) (*)>"
    html = steps[2]._repr_html_()
    assert "step 3/3" in html and html.count("<tr>") == 3


def test_steps_are_applied_as_they_go():
    x = Value(2.0, label="x")
    y = (x * x).tanh()
    steps = backward_steps(y)
    next(steps)
    assert x.grad == 0.0  # not reached yet
    next(steps)
    assert x.grad == pytest.approx(2 * 2 * (1 - np.tanh(4.0) ** 2))


def test_step_check_passes_for_every_catalogued_value_op():
    a, b = Value(0.7, label="a"), Value(1.3, label="b")
    root = sum_values(
        [
            (a * b).sigmoid(),
            (a / b).log(),
            a**b,
            (a - b).tanh(),
            abs(a - b),
            (a + b).exp(),
            (a - b).relu(),
            (a - b).leaky_relu(0.1),
            b**2,
            -a,
        ]
    )
    for step in backward_steps(root):
        assert step.check().ok, step


def test_step_check_flags_a_wrong_local_derivative():
    """A test-only op: forward x^2, local derivative x (should be 2x)."""
    bad_square = define_op("bad_square", lambda x: x**2, lambda x, out: (x,))
    x = Value(3.0, label="x")
    y = bad_square(x)
    y.label = "y"
    (step,) = list(backward_steps(y))
    report = step.check()
    assert not report.ok
    row = report.rows[0]
    assert row.label == "dy/dx" and row.analytic == 3.0 and row.numeric == pytest.approx(6.0)


def test_step_check_on_tensor_ops():
    rng = np.random.default_rng(1)
    X = Tensor(rng.standard_normal((3, 2)), label="X")
    W = Tensor(rng.standard_normal((2, 2)), label="W")
    root = ((X @ W).sigmoid() * 2.0).mean(axis=1).sum()
    for step in backward_steps(root):
        assert step.check().ok, step


def test_forward_steps_trace_the_computation():
    a = Value(2.0, label="a")
    b = a.tanh()
    b.label = "b"
    c = b * a + 1
    c.label = "c"
    lines = [str(s) for s in forward_steps(c)]
    assert lines[0] == "b = tanh(a) = tanh(2) = 0.964028"
    assert lines[1] == "(b*a) = b * a = 0.964028 * 2 = 1.92806"
    assert lines[2] == "c = (b*a) + 1 = 1.92806 + 1 = 2.92806"
    with_leaves = [str(s) for s in forward_steps(c, include_leaves=True)]
    assert with_leaves[0] == "a = 2   (leaf)"
