"""gradstep speaks micrograd: ``_prev``, ``_op``, ``_backward()`` and micrograd's constructor
read and drive the same nodes; closures are refused with a ``define_op`` recipe that works;
another library's value objects are refused by name; ``draw_dot`` has micrograd's signature.

The references are the lecture's own code (``tests/lecture.py``, transcribed) and micrograd
0.1.0 itself (the ``bench`` extra; tests that need it skip without it)."""

import math
import random

import numpy as np
import pytest
from lecture import LectureValue, build_topo, expression, neuron, trace
from lecture import draw_dot as lecture_draw_dot

from autograd import ClosureError, MixingError, Value, define_op, draw_dot, find_renderer


def micrograd_engine():
    return pytest.importorskip("micrograd.engine", reason="micrograd is the bench extra")


# -- _prev and _op ------------------------------------------------------------------------------
def test_prev_is_the_parents_as_a_set_and_op_is_micrograds_symbol():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    s = a + a
    assert s._prev == {a} and s.parents == (a, a)  # micrograd's set: a reached once
    assert (a * b)._prev == {a, b} and a._prev == set()
    cases = {
        "+": a + b, "*": a * b, "**2": a**2, "**-1": a**-1, "**0.5": a**0.5,
        "ReLU": a.relu(), "tanh": a.tanh(), "exp": a.exp(), "-": a - b, "/": a / b,
        "neg": -a, "sigmoid": a.sigmoid(), "log": a.log(),
    }  # fmt: skip
    for symbol, node in cases.items():
        assert node._op == symbol, (symbol, node._op)
    assert a._op == "" and Value.constant(3.0)._op == "" and Value.input(1.0)._op == ""


def test_op_symbols_are_micrograds_own():
    engine = micrograd_engine()
    M = engine.Value
    ma, mb = M(2.0), M(-3.0)
    a, b = Value(2.0), Value(-3.0)
    pairs = [
        (ma + mb, a + b), (ma * mb, a * b), (ma**2, a**2), (ma**-1, a**-1),
        (ma**0.5, a**0.5), (ma.relu(), a.relu()),
    ]  # fmt: skip
    for theirs, ours in pairs:
        assert ours._op == theirs._op
        assert ours.data == pytest.approx(theirs.data, rel=1e-15)


def test_the_lectures_trace_and_draw_dot_read_gradstep_nodes():
    ours, theirs = expression(Value), expression(LectureValue)
    nodes, edges = trace(ours["L"])
    ref_nodes, ref_edges = trace(theirs["L"])
    assert len(nodes) == len(ref_nodes) == 7 and len(edges) == len(ref_edges) == 6
    assert sorted(n._op for n in nodes) == sorted(n._op for n in ref_nodes)
    assert {(p.label, c.label) for p, c in edges} == {(p.label, c.label) for p, c in ref_edges}
    source = lecture_draw_dot(ours["L"]).source
    assert "{ L | data -8.0000 | grad 0.0000 }" in source and source.count('label="*"') == 2


# -- the lecture's numbers, by hand and by backward() --------------------------------------------
def test_hand_driven_backward_in_reverse_topological_order_gives_the_lectures_numbers():
    ours, theirs = neuron(Value), neuron(LectureValue)
    for graph in (ours, theirs):
        graph["o"].grad = 1.0
        for node in reversed(build_topo(graph["o"])):
            node._backward()
    assert ours["o"].data == pytest.approx(0.7071067811865476, rel=1e-15)
    expected = {"n": 0.5, "b": 0.5, "x1w1": 0.5, "x2w2": 0.5, "x1": -1.5, "w1": 1.0,
                "x2": 0.5, "w2": 0.0}  # fmt: skip
    for name, grad in expected.items():
        assert ours[name].grad == pytest.approx(grad, rel=1e-12, abs=1e-15), name
        assert ours[name].grad == pytest.approx(theirs[name].grad, rel=1e-12, abs=1e-15), name


def test_the_lectures_named_calls_one_by_one():
    g = expression(Value)
    g["L"].grad = 1.0
    for name in ("L", "d", "e"):  # as the lecture's cells call them
        g[name]._backward()
    assert [g[k].grad for k in "abcdef"] == [6.0, -4.0, -2.0, -2.0, -2.0, 4.0]  # exact: *, +
    leaf = g["a"]
    before = leaf.grad
    leaf._backward()  # a leaf's step does nothing, as micrograd's lambda: None
    assert leaf.grad == before


def test_a_second_backward_adds_into_leaves_only_where_micrograd_compounds():
    """gradstep (as PyTorch) recomputes interior gradients and adds into leaves: a.grad goes
    6 -> 12. micrograd's closures add everywhere, so the second call compounds: 6 -> 24."""
    ours, theirs = expression(Value), expression(LectureValue)
    for _ in range(2):
        ours["L"].backward()
        theirs["L"].backward()
    assert ours["a"].grad == 12.0 and theirs["a"].grad == 24.0
    assert ours["d"].grad == -2.0 and theirs["d"].grad == -4.0  # interior: recomputed vs added
    engine = pytest.importorskip("micrograd.engine")
    m = expression(lambda data, label="": engine.Value(data))
    m["L"].backward()
    m["L"].backward()
    assert m["a"].grad == 24.0  # micrograd 0.1.0 itself compounds too


# -- the constructor -----------------------------------------------------------------------------
def test_constructor_with_children_makes_that_ops_node():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    made = Value(a.data * b.data, (a, b), "*", label="ab")
    ref = a * b
    assert (made.data, made.parents, made._op, made.label) == (-6.0, (a, b), "*", "ab")
    assert made.local_derivatives == ref.local_derivatives == (-3.0, 2.0)
    made.backward()
    assert (a.grad, b.grad) == (-3.0, 2.0)
    # the lecture's tanh formula is a few ulps from math.tanh: accepted, its data kept
    x = Value(0.8813735870195432)
    t = (math.exp(2 * x.data) - 1) / (math.exp(2 * x.data) + 1)
    o = Value(t, (x,), "tanh")
    assert o.data == t and o.local_derivatives[0] == pytest.approx(0.5, rel=1e-12)
    sq = Value(9.0, (Value(3.0),), "**2")
    assert sq._op == "**2" and sq.local_derivatives == (6.0,)
    assert Value(2.0, "a").label == "a"  # gradstep's older positional label still works


@pytest.mark.parametrize(
    "build, error, words",
    [
        (lambda a: Value(5.0, (a, a), "+"), ValueError, "gives 4.0, not 5.0"),
        (lambda a: Value(1.0, (a,), "frobnicate"), ValueError, "define_op"),
        (lambda a: Value(1.0, (), "+"), ValueError, "needs its operands"),
        (lambda a: Value(4.0, (a, 2.0), "+"), TypeError, "child 1 is float"),
        (lambda a: Value(4.0, {a, Value(2.0)}, "+"), TypeError, "tuple in operand order"),
        (lambda a: Value(4.0, (a, a, a), "tanh"), ValueError, "cannot take 3 operand"),
    ],
)
def test_constructor_refuses_what_is_not_an_op_node(build, error, words):
    with pytest.raises(error, match=words):
        build(Value(2.0))


# -- closures are refused with a recipe that works -----------------------------------------------
def test_assigning_a_closure_shows_the_same_op_with_define_op():
    x = Value(0.5, label="x")
    out = Value(math.tanh(0.5), (x,), "tanh")
    with pytest.raises(ClosureError) as info:
        out._backward = lambda: None
    message = str(info.value)
    assert "define_op" in message and "already back-propagates" in message
    recipe = message[message.index("from autograd import define_op") :].split("\nand every")[0]
    scope = {"math": math, "n": x}
    exec("\n".join(line.strip() for line in recipe.splitlines()), scope)  # the recipe runs
    o = scope["o"]
    assert o.data == pytest.approx(math.tanh(0.5), rel=1e-12)
    o.backward()
    assert x.grad == pytest.approx(1 - math.tanh(0.5) ** 2, rel=1e-12)
    with pytest.raises(ClosureError, match="define_op"):
        Value(1.0)._backward = print


def test_define_op_in_place_of_the_lectures_closure():
    tanh_mine = define_op(
        "tanh_lecture",
        forward=lambda x: (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1),
        local_grads=lambda x, out: (1 - out**2,),
    )
    g, ref = neuron(Value), neuron(LectureValue)
    o = tanh_mine(g["n"])
    o.backward()
    ref["o"].backward()
    assert o._op == "tanh_lecture" and o.data == ref["o"].data  # the same formula, same floats
    for name in ("x1", "w1", "x2", "w2", "b"):
        assert g[name].grad == pytest.approx(ref[name].grad, rel=1e-12, abs=1e-15)


# -- no silent mixing ----------------------------------------------------------------------------
def _refused(expr, *names):
    with pytest.raises(MixingError) as info:
        expr()
    assert isinstance(info.value, TypeError)
    for name in names:
        assert name in str(info.value)
    return str(info.value)


def test_micrograd_values_are_refused_both_ways_and_inside_micrograds_own_ops():
    M = micrograd_engine().Value
    a, m = Value(2.0), M(3.0)
    for expr in (
        lambda: a + m, lambda: m + a, lambda: a * m, lambda: m * a, lambda: a - m,
        lambda: m - a, lambda: a / m, lambda: m / a, lambda: a**m, lambda: a < m,
        lambda: M(a).relu(), lambda: Value(m), lambda: Value(1.0, (a, m), "+"),
    ):  # fmt: skip
        _refused(expr, "micrograd.engine.Value", "gradstep's autograd.Value")
    held = _refused(lambda: m + a, "wrapped a gradstep Value")
    assert "nets.micrograd" in held


def test_micrograds_nn_on_gradstep_values_and_the_reverse_are_refused():
    nn = pytest.importorskip("micrograd.nn")
    from nets.micrograd import MLP

    random.seed(0)
    theirs = nn.MLP(2, [3, 1])
    _refused(lambda: theirs([Value(1.0), Value(2.0)]), "micrograd.engine.Value")
    ours = MLP(2, [3, 1])
    M = micrograd_engine().Value
    _refused(lambda: ours([M(1.0), M(2.0)]), "micrograd.engine.Value")


def test_lecture_values_are_refused_numbers_welcome():
    a, lv = Value(2.0), LectureValue(3.0)
    for expr in (lambda: a + lv, lambda: lv + a, lambda: lv * a, lambda: lv.tanh() * a):
        _refused(expr, "lecture.LectureValue")
    _refused(lambda: LectureValue(a).tanh(), "lecture.LectureValue")  # math.exp(our node)
    welcome = [2, 2.0, np.float64(2.0), np.int64(2), np.float32(2.0), True]
    for x in welcome:
        assert (a * x).data == 2.0 * float(x) and (a + x).data == 2.0 + float(x)
        assert (x + a).data == float(x) + 2.0 and (x * a).data == float(x) * 2.0
        assert (x - a).data == float(x) - 2.0 and (x / a).data == float(x) / 2.0


def test_torch_tensors_are_refused_as_operands():
    torch = pytest.importorskip("torch")
    a = Value(2.0)
    t = torch.tensor(2.0)
    for expr in (lambda: a + t, lambda: t + a, lambda: t * a, lambda: a * t, lambda: Value(t)):
        _refused(expr, "torch.Tensor")


def test_plain_reflected_ops_in_dunder_methods_still_work():
    class Wrapper:  # a user's wrapper holding a node is not another library's value object
        def __init__(self, v):
            self.data = v

        def __mul__(self, k):
            return Wrapper(k * self.data)

    w = Wrapper(Value(3.0)) * 2.0
    assert w.data.data == 6.0


# -- draw_dot ------------------------------------------------------------------------------------
def test_draw_dot_has_micrograds_signature_and_renders_gout(tmp_path):
    import graphviz

    g = expression(Value)
    g["L"].backward()
    dot = draw_dot(g["L"])
    assert isinstance(dot, graphviz.Digraph) and dot.format == "svg"
    assert "rankdir=LR" in dot.source and "L" in dot.source
    assert draw_dot(g["L"], format="png", rankdir="TB").format == "png"
    assert "rankdir=TB" in draw_dot(g["L"], rankdir="TB").source
    with pytest.raises(ValueError, match="format"):
        draw_dot(g["L"], format="gif")
    if find_renderer() is None:
        pytest.skip("no Graphviz renderer (graphviz-pure is in the dev extra)")
    written = dot.render(str(tmp_path / "gout"))
    assert written.endswith("gout.svg") and "<svg" in (tmp_path / "gout.svg").read_text()


@pytest.mark.slow  # over a second: a subprocess or a notebook run
def test_the_lectures_own_nn_trains_on_gradstep_values_with_the_lectures_numbers():
    """The lecture's MLP(3, [4, 4, 1]) of tanh neurons, its four samples and its loop of
    20 steps of lr 0.05, on gradstep's Value and on the lecture's own: the same losses."""
    from lecture import lecture_nn

    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    histories = []
    for V in (Value, LectureValue):
        random.seed(42)
        n = lecture_nn(V)(3, [4, 4, 1])
        history = []
        for _ in range(20):
            ypred = [n(x) for x in xs]
            loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
            for p in n.parameters():
                p.grad = 0.0
            loss.backward()
            for p in n.parameters():
                p.data += -0.05 * p.grad
            history.append(loss.data)
        histories.append(history)
    ours, theirs = histories
    assert ours == pytest.approx(theirs, rel=1e-12)
    assert ours[-1] < ours[0] / 2  # it trained


def test_gradsteps_own_draw_sets_svg_so_render_gout_writes_svg():
    from autograd import draw

    assert draw(expression(Value)["L"]).format == "svg"
