"""The graph core: order, gradient lifecycle, no_grad, scopes, anomalies, scale."""

import math
import os
import subprocess
import sys
import textwrap

import pytest

import autograd
from autograd import (
    AnomalyError,
    Value,
    detect_anomaly,
    no_grad,
    scope,
    sum_values,
    topological_order,
)


def test_node_protocol_fields():
    """data, grad, parents in argument order, op, label, increasing id, scope."""
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    c = b - a
    assert c.parents == (b, a) and c.op == "-" and c.label == ""
    assert a.id < b.id < c.id
    assert c.scope == "" and a.is_leaf() and not c.is_leaf()


def test_topological_order_puts_parents_first_and_root_last():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d.tanh()
    order = topological_order(e)
    assert order[-1] is e
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for parent in node.parents:
            assert position[id(parent)] < position[id(node)]
    assert len(order) == 5  # a appears once although used twice


def test_a_plus_a_gets_gradient_two():
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0


def test_diamond_gradient_sums_both_paths():
    """f = (x*y) * (x+y): df/dx = y(x+y) + xy, df/dy = x(x+y) + xy."""
    x, y = Value(2.0), Value(5.0)
    p, s = x * y, x + y
    f = p * s
    f.backward()
    assert x.grad == 5 * 7 + 10 and y.grad == 2 * 7 + 10
    assert p.grad == 7 and s.grad == 10  # interior gradients are visible too


def test_node_used_many_times():
    x = Value(1.5)
    y = x * x * x * x  # x^4
    y.backward()
    assert x.grad == pytest.approx(4 * 1.5**3)


def test_backward_twice_doubles_leaves_and_keeps_interior():
    x, w = Value(0.5, label="x"), Value(-2.0, label="w")
    h = x * w
    out = h.sigmoid()
    out.backward()
    first = (x.grad, w.grad, h.grad, out.grad)
    out.backward()
    assert (x.grad, w.grad) == (2 * first[0], 2 * first[1])
    assert (h.grad, out.grad) == (first[2], first[3])


@pytest.mark.slow
def test_chain_of_100k_nodes_runs_backward_without_recursion_error():
    x = Value(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0  # 2 op nodes (and 2 constants) per step
    y = y.tanh()
    y.backward()
    assert x.grad == pytest.approx(1 - math.tanh(1.0) ** 2)
    assert len(topological_order(y)) == 400_002


@pytest.mark.slow
def test_sum_over_a_million_leaves():
    leaves = [Value(float(i % 7)) for i in range(1_000_000)]
    total = sum_values(leaves)
    total.backward()
    assert total.data == sum(i % 7 for i in range(1_000_000))
    assert all(v.grad == 1.0 for v in leaves[::9973]) and leaves[-1].grad == 1.0


def test_sum_values_equals_builtin_sum():
    xs = [Value(0.1 * i) for i in range(10)]
    a = sum_values(xs, start=1.0)
    b = sum(xs, 1.0)
    assert a.data == pytest.approx(b.data) and len(a.parents) == 10
    a.backward()
    assert all(x.grad == 1.0 for x in xs)
    with pytest.raises(TypeError, match="item 1 is str"):
        sum_values([Value(1.0), "x"])


PROGRAM = textwrap.dedent(
    """
    from autograd import Value, topological_order
    xs = [Value(float(i)) for i in range(6)]
    h = [(xs[i] * xs[(i + 1) % 6]).tanh() for i in range(6)]
    y = h[0]
    for i in range(1, 6):
        y = y + h[i] * h[(i + 2) % 6]
    base = xs[0].id
    print([n.id - base for n in topological_order(y)])
    """
)


@pytest.mark.slow
def test_same_program_gives_same_order_in_separate_processes():
    """Deterministic: ids are creation-ordered and the walk follows argument order, whatever
    the hash seed."""
    outputs = set()
    for seed in ("0", "1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        result = subprocess.run(
            [sys.executable, "-c", PROGRAM], capture_output=True, text=True, env=env, check=True
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1 and outputs.pop().startswith("[0, 1, ")


def test_no_grad_records_no_parents():
    a = Value(2.0)
    with no_grad():
        b = (a * 3).exp()
        assert not autograd.is_grad_enabled()
    assert b.parents == () and b.op == "" and b.data == pytest.approx(math.exp(6))
    assert autograd.is_grad_enabled()
    assert (a * 3).parents != ()


def test_backward_inside_no_grad_is_an_error():
    x = Value(1.0)
    y = x * 2
    with no_grad(), pytest.raises(RuntimeError, match="inside no_grad"):
        y.backward()


def test_scopes_nest_and_tag_every_node_made_inside():
    x = Value(1.0)
    with scope("layer1"):
        a = x * 2
        with scope("neuron2") as name:
            b = a.sigmoid()
            c = Value(0.5)
        d = b + 1
    e = d * 1
    assert name == "layer1/neuron2"
    assert (a.scope, b.scope, c.scope, d.scope, e.scope, x.scope) == (
        "layer1",
        "layer1/neuron2",
        "layer1/neuron2",
        "layer1",
        "",
        "",
    )
    assert d.parents[1].scope == "layer1"  # the constant 1 too


def test_scope_rejects_bad_names():
    with pytest.raises(TypeError, match="str"), scope(3):
        pass
    with pytest.raises(ValueError, match="non-empty"), scope(""):
        pass


def test_detect_anomaly_names_the_op_and_inputs():
    x = Value(0.0, label="x")
    assert Value(0.0).log().data == -math.inf  # outside: IEEE
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"op 'log'.*x=0"):
        x.log()
    with detect_anomaly(), scope("loss"), pytest.raises(AnomalyError, match=r"'/' in scope 'loss'"):
        Value(1.0, label="num") / Value(0.0, label="den")
    assert not autograd.is_anomaly_enabled()


def test_detect_anomaly_checks_backward_too():
    """sqrt at 0 is finite forward but its derivative is infinite."""
    x = Value(0.0, label="x")
    y = x**0.5
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"backward through op '\*\*'"):
        y.backward()


def _garbage_after(build) -> int:
    """How many unreachable objects the cyclic collector finds after ``build()``'s result is
    dropped (0 when reference counting alone freed everything)."""
    import gc

    gc.collect()
    gc.disable()
    try:
        result = build()
        del result
        return gc.collect()
    finally:
        gc.enable()


@pytest.mark.slow
def test_graphs_hold_no_reference_cycles():
    """Nodes are freed by reference counting alone: no closures on nodes, parents in tuples."""
    import numpy as np

    from autograd import Tensor
    from nets import TensorMLP, ValueMLP

    def value_graph():
        x, w = Value(0.5), Value(-1.0)
        y = sum_values([(x * w).sigmoid(), x.exp(), abs(w) ** 2])
        y.backward()
        return y

    def tensor_graph():
        W = Tensor(np.ones((2, 3)))
        y = (Tensor(np.ones((4, 2))) @ W).tanh().sum()
        y.backward()
        return y

    def networks():
        X, t = np.random.default_rng(0).random((5, 2)), np.ones((5, 1))
        return [ValueMLP(seed=0).loss_and_grads(X, t), TensorMLP(seed=0).loss(X, t)]

    assert _garbage_after(value_graph) == 0
    assert _garbage_after(tensor_graph) == 0
    assert _garbage_after(networks) == 0


def test_gc_paused_restores_the_collector():
    import gc

    from autograd import gc_paused

    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError), gc_paused():
        assert not gc.isenabled()
        1 / 0  # noqa: B018
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()
