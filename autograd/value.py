"""Value: a float64 scalar node of the computation graph.

Every operation is a record of ``autograd.ops`` (its forward and its derivative rule side by
side): a Value op computes its result with the record's forward and, right then, its local
derivatives with the record's rule on the inputs' floats, one number per parent, stored on the
output node as ``_local``. Back-propagation then only multiplies: ``parent.grad += out.grad *
local``. Storing numbers rather than a closure keeps nodes free of reference cycles (a closure on
the node that refers back to the node would be a cycle, and cycles make CPython's garbage
collector slow training down several times). Under ``grad(..., create_graph=True)`` the same rule
runs on the nodes themselves, and the derivative becomes a graph.

Arithmetic follows IEEE 754 like numpy: ``log(0) = -inf``, ``log(-1) = nan``, ``1/0 = inf``,
``exp(1000) = inf``; inside ``autograd.detect_anomaly()`` the first non-finite result raises.
"""

from __future__ import annotations

import math
import numbers
import re
import sys
from operator import attrgetter

import numpy as np

from .graph import (
    STATE,
    AnomalyError,
    Node,
    anomaly_message,
    check_contributions,
    check_label,
    node_ids,
)
from .numeric import is_number
from .ops import (
    ABS,
    ADD,
    BCE,
    CLIP,
    DIV,
    DOT,
    EXP,
    IDENTITY,
    LEAKY_RELU,
    LOG,
    MUL,
    NEG,
    OPS,
    POW,
    RELU,
    SIGMOID,
    SUB,
    SUM,
    TANH,
    NumbersOnlyError,
    Op,
)

__all__ = ["Value", "sum_values", "dot", "unchecked_dot", "as_value", "ClosureError", "MixingError"]


# -- the fast path: one node per op, its record's forward and rule on floats ---------------------
def _node(data: float, parents: tuple, op, local: tuple, param=None):
    """An op's output node (no input checks: every op passes float data)."""
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.id = next(node_ids)
    out.scope = STATE.scope
    out.param = param
    if STATE.grad_enabled:
        out.parents, out.op, out._local = parents, op, local
    else:
        out.parents, out.op, out._local = (), "", ()
    if STATE.anomaly and not math.isfinite(data):
        raise AnomalyError(anomaly_message(op, data, parents))
    return out


def _leaf(data: float, role: str, label: str):
    """A leaf made by the engine itself (an input or a constant): its data already a float."""
    out = _new_value(Value)
    out.data, out.grad, out.parents, out.op, out.label = data, 0.0, (), role, label
    out.id, out.scope, out._local, out.param = next(node_ids), STATE.scope, (), None
    return out


def _binary(op: Op, symbol: str):
    """The Value method of a binary op: its record's forward and rule bound once, since a
    network calls these thousands of times a step."""
    scalar, local = op.scalar, op.local

    def method(self, other):
        if type(other) is not Value:
            other = _operand(other, symbol)
            if other is NotImplemented:
                return other
        xs = (self.data, other.data)
        out = scalar(xs, None)
        return _node(out, (self, other), op, local(xs, out, None))

    method.__doc__ = op.doc
    return method


def _unary(op: Op):
    """The Value method of a unary op without a parameter (see ``_binary``)."""
    scalar, local = op.scalar, op.local

    def method(self):
        xs = (self.data,)
        out = scalar(xs, None)
        return _node(out, (self,), op, local(xs, out, None))  # (_node drops it under no_grad)

    method.__doc__ = op.doc
    return method


def _with_param(op: Op, node, param):
    xs = (node.data,)
    out = op.scalar(xs, param)
    return _node(out, (node,), op, op.local(xs, out, param) if STATE.grad_enabled else (), param)


def _pow_binary(a, b):
    xs = (a.data, b.data)
    out = POW.scalar(xs, None)
    return _node(out, (a, b), POW, POW.local(xs, out, None) if STATE.grad_enabled else ())


class Value(Node):
    """A scalar node: ``data`` is a Python float (float64), ``grad`` is d(root)/d(self).

    Each op is a record of ``autograd.ops``: its forward gives ``data`` and its derivative rule,
    evaluated on the inputs' floats, the local derivatives stored on the node (``_local``, one
    number per parent). Back-propagation then only multiplies: ``parent.grad += out.grad *
    local``. Numbers, not a closure: nodes hold no reference cycles.

    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b + 1
    >>> c.backward()
    >>> a.grad, b.grad
    (-3.0, 2.0)
    """

    __slots__ = ("_local",)

    def __init__(self, data, _children=(), _op: str = "", label: str = "") -> None:
        """``Value(data, label="a")``: a leaf. micrograd's ``Value(data, (a, b), "+")``: the
        node of that op on those operands, the same node as ``a + b`` (its derivative comes
        from the op's record, see ``micrograd_node``). A string as the second argument is the
        label (``Value(2.0, "a")``, gradstep's older signature)."""
        if type(_children) is str:
            if _op or label:
                raise TypeError("Value(data, label): give the label once, as label=")
            _children, label = (), _children
        self.data = _to_float(data)
        self.grad = 0.0
        self.parents = ()
        self.op = ""
        self.label = check_label(label)
        self.id = next(node_ids)
        self.scope = STATE.scope
        self._local = ()
        self.param = None
        if _children or _op:
            micrograd_node(self, _children, _op)

    @staticmethod
    def apply(op: Op, parents: tuple, param=None) -> Value:
        """``op`` on ``parents`` (Values; numbers become constants): its forward, and its
        rule's local derivatives on the parents' floats."""
        given, parents = parents, tuple(p if type(p) is Value else as_value(p) for p in parents)
        for x, p in zip(given, parents):
            if p is NotImplemented:
                raise TypeError(f"op {str(op)!r} takes Values and numbers, got {type(x).__name__}")
        xs = tuple(p.data for p in parents)
        out = op.scalar(xs, param)
        return _node(
            out, parents, op, op.local(xs, out, param) if STATE.grad_enabled else (), param
        )

    @staticmethod
    def input(x: float, label: str = "") -> Value:
        """A leaf holding data fed in, not a parameter (drawn as an input)."""
        return _leaf(_to_float(x), "input", check_label(label))

    @staticmethod
    def constant(x: float) -> Value:
        """A leaf for a plain number used in an expression (drawn as a constant)."""
        return _leaf(_to_float(x), "const", "")

    # -- arithmetic: each method reads its op's record (forward and rule side by side there) --
    __add__ = _binary(ADD, "+")
    __sub__ = _binary(SUB, "-")
    __mul__ = _binary(MUL, "*")
    __truediv__ = _binary(DIV, "/")

    def __pow__(self, other) -> Value:
        if isinstance(other, Value):
            return _pow_binary(self, other)
        if not is_number(other):
            return _operand(other, "**")
        return _with_param(POW, self, float(other))

    __pow__.__doc__ = POW.doc
    __neg__ = _unary(NEG)
    __abs__ = _unary(ABS)

    # Reflected forms: ``2 * v``, ``1 - v``, ``2 ** v``.
    def __radd__(self, other) -> Value:
        refuse_holder(self, "+")
        other = _operand(other, "+")
        return other if other is NotImplemented else other + self

    def __rmul__(self, other) -> Value:
        refuse_holder(self, "*")
        other = _operand(other, "*")
        return other if other is NotImplemented else other * self

    def __rsub__(self, other) -> Value:
        refuse_holder(self, "-")
        other = _operand(other, "-")
        return other if other is NotImplemented else other - self

    def __rtruediv__(self, other) -> Value:
        refuse_holder(self, "/")
        other = _operand(other, "/")
        return other if other is NotImplemented else other / self

    def __rpow__(self, other) -> Value:
        refuse_holder(self, "**")
        other = _operand(other, "**")
        return other if other is NotImplemented else other**self

    # -- functions -------------------------------------------------------------------------
    exp = _unary(EXP)
    log = _unary(LOG)
    tanh = _unary(TANH)
    sigmoid = _unary(SIGMOID)
    relu = _unary(RELU)
    identity = _unary(IDENTITY)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        return _with_param(LEAKY_RELU, self, float(slope))

    leaky_relu.__doc__ = LEAKY_RELU.doc

    def clip(self, low: float, high: float) -> Value:
        return _with_param(CLIP, self, (float(low), float(high)))

    clip.__doc__ = CLIP.doc

    def bce(self, target: float) -> Value:
        """Binary cross-entropy of this probability against a target y in [0, 1]:
        L = -(y ln p + (1 - y) ln(1 - p)), each log clamped at -100 so log(0) is never taken."""
        y = _to_float(target)
        if not 0.0 <= y <= 1.0:
            raise ValueError(f"bce target must be in [0, 1], got {y}")
        return _with_param(BCE, self, y)

    # -- the node protocol -----------------------------------------------------------------
    def _seed_grad(self, grad) -> None:
        self.grad += 1.0 if grad is None else _to_float(grad)

    _zero = 0.0  # an interior node's gradient before backward reaches it

    def _zero_grad(self) -> None:
        self.grad = 0.0

    def _backprop(self) -> None:
        g = self.grad
        if STATE.anomaly:
            check_contributions(self, self.local_grads(g))
        for parent, local in zip(self.parents, self._local):
            parent.grad += g * local

    @staticmethod
    def _backprop_all(nodes) -> None:
        """The backward loop of a Value graph, ``_backprop`` written inline: a method call per
        node is a large part of a scalar engine's backward."""
        if STATE.anomaly:
            for node in nodes:
                node._backprop()
            return
        for node in nodes:
            g = node.grad
            for parent, local in zip(node.parents, node._local):
                parent.grad += g * local

    def _apply(self, contributions) -> None:
        """Add each contribution into its parent's grad (what ``_backprop`` does, for stepping)."""
        for parent, c in zip(self.parents, contributions):
            parent.grad += c

    def local_grads(self, upstream: float) -> tuple[float, ...]:
        """The contributions ``upstream * d(self)/d(parent)``, one per parent."""
        return tuple(upstream * local for local in self._local)

    @property
    def local_derivatives(self) -> tuple[float, ...]:
        """d(self)/d(parent) for each parent, as computed in the forward pass."""
        return self._local

    # -- micrograd's vocabulary: the same node read and driven by micrograd's names ------------
    @property
    def _prev(self) -> set:
        """The parents as a set, as micrograd's ``_prev`` (``parents`` keeps their order)."""
        return set(self.parents)

    @property
    def _op(self) -> str:
        """micrograd's name of the op that made this node: ``"+"``, ``"*"``, ``"**2"``,
        ``"ReLU"``, ``"tanh"``, ``"exp"`` (gradstep's own name for an op micrograd does not
        have: ``"-"``, ``"/"``, ``"neg"``, ``"sigmoid"``, ``"dot"``, ...); ``""`` for a leaf."""
        if not self.parents:
            return ""
        symbol = getattr(self.op, "micrograd_symbol", None)
        return symbol(self.param) if symbol is not None else str(self.op)

    @property
    def _backward(self):
        """micrograd's step of one node: ``parent.grad += self.grad * d(self)/d(parent)`` for
        each parent (a no-op for a leaf). Called on each node in reverse topological order
        after ``root.grad = 1.0``, it gives what ``backward()`` gives on a fresh graph. A method
        reading the node's numbers, not a closure stored on it: assigning one is refused."""
        return self._backprop

    @_backward.setter
    def _backward(self, fn) -> None:
        raise ClosureError(closure_message(self))

    # -- comparisons compare data and build no graph ---------------------------------------
    # ``==`` stays identity so nodes can be dict keys and set members (graph walks rely on it).
    def __lt__(self, other) -> bool:
        refuse_holder(self, "<", dunder_only=False)
        return self.data < _data(other)

    def __le__(self, other) -> bool:
        refuse_holder(self, "<=", dunder_only=False)
        return self.data <= _data(other)

    def __gt__(self, other) -> bool:
        refuse_holder(self, ">", dunder_only=False)
        return self.data > _data(other)

    def __ge__(self, other) -> bool:
        refuse_holder(self, ">=", dunder_only=False)
        return self.data >= _data(other)

    def __float__(self) -> float:
        if STATE.differentiating:
            raise NumbersOnlyError(
                "a derivative rule took a number out of a node (float(x), math.exp(x)); write "
                "it with operators and autograd.ops functions (exp, log, tanh, ...)"
            )
        refuse_holder(self, "float()", dunder_only=False)
        return self.data

    def __repr__(self) -> str:
        label = f"{self.label!r}, " if self.label else ""
        return f"Value({label}data={self.data:.6g}, grad={self.grad:.6g})"


_new_value = object.__new__
_dot_scalar, _dot_local = DOT.scalar, DOT.local
_get_data = attrgetter("data")


# -- input checks -------------------------------------------------------------------------------
def _to_float(x) -> float:
    if type(x) is float:
        return x
    if isinstance(x, Value):
        return x.data
    if is_number(x):
        return float(x)
    if is_foreign_value(x):
        raise MixingError(mixing_message("Value()", x))
    raise TypeError(f"Value needs a real number, got {type(x).__name__}: {x!r:.60}")


def as_value(x):
    """``x`` as a Value: itself, or a constant leaf for a number (``numeric.is_number``); any
    other object gives NotImplemented (callers name it in their own error)."""
    if isinstance(x, Value):
        return x
    if is_number(x):
        return Value.constant(x)
    return NotImplemented


def _operand(x, symbol: str):
    """The other operand of a binary op as a Value; numbers become constant leaves. Arrays and
    other node types are left to their own reflected operator; anything else is a TypeError
    (another library's value object: a ``MixingError`` naming both types)."""
    if isinstance(x, Value):
        return x
    if type(x) is float or type(x) is int or is_number(x):
        return Value.constant(x)
    if isinstance(x, (np.ndarray, Node)):
        return NotImplemented
    if is_foreign_value(x):
        raise MixingError(mixing_message(symbol, x))
    raise TypeError(f"unsupported operand type for {symbol}: Value and {type(x).__name__}")


# -- no silent mixing with other libraries' value objects -----------------------------------------
class MixingError(TypeError):
    """A gradstep Value met another library's value object (micrograd's Value, a torch tensor):
    each library's graph would miss the other's nodes, so their gradients would be silently
    wrong. Refused, naming both types."""


OURS = "gradstep's autograd.Value"


def type_name(x) -> str:
    """``micrograd.engine.Value``, ``torch.Tensor``, ``gradstep's autograd.Value``."""
    t = type(x)
    if t is Value:
        return OURS
    module = t.__module__
    return t.__qualname__ if module == "builtins" else f"{module}.{t.__qualname__}"


def is_foreign_value(x) -> bool:
    """Another library's value object: not a number, a numpy array or a gradstep node, but
    carrying ``data`` (micrograd's Value, the lecture's, a torch tensor)."""
    return not isinstance(x, (Node, np.ndarray, numbers.Number, str)) and hasattr(x, "data")


def mixing_message(what: str, other, holder: bool = False) -> str:
    held = (
        f"; {type_name(other)} wrapped a gradstep Value as its data (micrograd does that to an "
        "operand that is not its own Value), which would cut gradstep's graph"
        if holder
        else ""
    )
    return (
        f"{what} between {OURS} and {type_name(other)}: the two "
        f"libraries' values do not mix{held}. Use one library for a whole computation: "
        "gradstep's Value for every number (from autograd import Value), nets.micrograd for "
        "micrograd's Neuron, Layer and MLP, float(x) for a plain number"
    )


_getframe = getattr(sys, "_getframe", None)


def refuse_holder(node: Value, what: str, dunder_only: bool = True) -> None:
    """Refuse a value object of another library (it has ``data`` and ``grad``) that holds a
    gradstep node as its data, found in the frame that asked ``node`` for ``what``.

    ``micrograd_value + gradstep_value`` wraps the gradstep Value in micrograd's
    ``Value(other)`` and computes ``self.data + other.data``, a float plus our node: our
    reflected ``__radd__`` runs inside micrograd's ``__add__``, whose locals hold the wrapper.
    Only dunder frames are searched for reflected ops (a user's ``2 * v`` costs one name
    test); ``float(node)`` and comparisons search the caller's frame always (the lecture's
    ``tanh`` calls ``math.exp(2*x)`` on its data, micrograd's ``relu`` tests ``self.data < 0``)."""
    if _getframe is None:
        return
    frame = _getframe(2)
    if dunder_only and not frame.f_code.co_name.startswith("__"):
        return
    for obj in frame.f_locals.values():
        if (
            not isinstance(obj, Node)
            and isinstance(getattr(obj, "data", None), Node)
            and hasattr(obj, "grad")
        ):
            raise MixingError(mixing_message(what, obj, holder=True))


# -- micrograd's constructor and closures ---------------------------------------------------------
class ClosureError(AttributeError):
    """``out._backward = closure`` (micrograd's way to make an op): gradstep's nodes hold no
    closures; the message shows the same op written with ``define_op``."""


_POWER = re.compile(r"\*\*\s*(.+)")
# How far a constructor-made node's data may be from its op's forward on the children's data
# (the lecture computes tanh as (e^2x - 1)/(e^2x + 1), a few ulps from math.tanh).
CONSTRUCTOR_RTOL, CONSTRUCTOR_ATOL = 1e-9, 1e-12


def micrograd_op(symbol: str):
    """The record and parameter a micrograd ``_op`` names: ``"+"``, ``"*"``, ``"**2"``,
    ``"ReLU"``, ``"tanh"``, ``"exp"``, or any op gradstep has (its name, or a ``define_op``
    name) that takes no parameter but ``**``'s exponent. None when there is none."""
    if not isinstance(symbol, str):
        return None
    power = _POWER.fullmatch(symbol.strip())
    if power:
        try:
            return POW, float(power.group(1))
        except ValueError:
            return None
    for op in OPS.values():
        if symbol in (op.micrograd, op.name) and op.scalar is not None and op.local is not None:
            return (op, None) if op not in _WITH_PARAM else None
    return None


_WITH_PARAM = frozenset({LEAKY_RELU, CLIP, BCE, POW})


def micrograd_node(node: Value, children, symbol) -> None:
    """Make ``node`` (its data already set) the node of op ``symbol`` on ``children``, as
    micrograd's ``Value(data, (a, b), "+")``: the parents in the given order, the local
    derivatives from the op's record on the children's data (so it back-propagates like
    ``a + b``). Refused with a reason: children that are not gradstep Values, an op without
    operands or operands without an op, an op gradstep does not know (use ``define_op``),
    or data that is not what the op gives (beyond 1e-9 relative, 1e-12 absolute)."""
    if isinstance(children, (set, frozenset)) and len(children) > 1:
        raise TypeError("Value(data, children, op): give the children as a tuple in operand order")
    children = tuple(children)
    for i, c in enumerate(children):
        if type(c) is not Value:
            if is_foreign_value(c):
                raise MixingError(mixing_message(f"Value(data, children) child {i}", c))
            raise TypeError(
                f"Value(data, children, op): child {i} is {type(c).__name__}, not a Value"
            )
    if not children:
        raise ValueError(
            f"Value(data, (), {symbol!r}): an op needs its operands; "
            "a leaf is Value(data, label=...)"
        )
    found = micrograd_op(symbol)
    if found is None:
        raise ValueError(
            f"Value(data, children, {symbol!r}): gradstep knows no op {symbol!r} (it knows "
            f"'+', '*', '**k', 'ReLU', 'tanh', 'exp' and its own ops); "
            f"for a new op, {DEFINE_OP_HINT}"
        )
    op, param = found
    xs = tuple(c.data for c in children)
    try:
        expected = op.scalar(xs, param)
        local = op.local(xs, node.data, param)
    except (IndexError, TypeError, ValueError):
        local = ()
    if len(local) != len(xs):  # a rule gives one derivative per operand it takes
        raise ValueError(
            f"Value(data, children, {symbol!r}): op {op.name!r} cannot take {len(xs)} operand(s)"
        )
    data = node.data
    if not (math.isclose(data, expected, rel_tol=CONSTRUCTOR_RTOL, abs_tol=CONSTRUCTOR_ATOL)
            or (data != data and expected != expected)):  # fmt: skip
        raise ValueError(
            f"Value({data!r}, children, {symbol!r}): op {op.name!r} on the children's data "
            f"{xs} gives {expected!r}, not {data!r}"
        )
    if STATE.grad_enabled:  # under no_grad a result is a leaf, as every op's is
        node.parents, node.op, node.param, node._local = children, op, param, local


DEFINE_OP_HINT = (
    "give its forward and its local derivatives to define_op:\n"
    "    from autograd import define_op\n"
    "    my_tanh = define_op('my_tanh',\n"
    "        forward=lambda x: (math.exp(2*x) - 1) / (math.exp(2*x) + 1),\n"
    "        local_grads=lambda x, out: (1 - out**2,))  # d(out)/dx for each input\n"
    "    o = my_tanh(n)\n"
    "and every tool (backward, the stepper, drawing, gradcheck) treats it like a built-in"
)


def closure_message(node: Value) -> str:
    """Why ``node._backward = fn`` is refused, and what to write instead."""
    known = ""
    if node.parents:
        doc = getattr(node.op, "doc", "")
        known = (
            f"This node's op {node._op!r} already back-propagates with its own rule"
            f"{f' ({doc})' if doc else ''}: drop the assignment. "
        )
    return (
        "gradstep's nodes keep no _backward closure (a closure that refers to its own node is a "
        "reference cycle, and cycles slow training down several times); an op's derivative "
        f"lives in its record. {known}To make a new op, {DEFINE_OP_HINT}"
    )


def _data(x) -> float:
    if isinstance(x, Value):
        return x.data
    if is_number(x):
        return float(x)
    if is_foreign_value(x):
        raise MixingError(mixing_message("comparison", x))
    raise TypeError(f"cannot compare Value with {type(x).__name__}")


def sum_values(values, start: float = 0.0) -> Value:
    """One node adding many Values: d/dx_i (x_1 + ... + x_n) = 1 for every i.

    Unlike ``sum()``, which builds a chain of n binary ``+`` nodes, this makes a single node with
    n parents, so a neuron's weighted sum or a loss over a batch stays one readable node."""
    values = list(values)
    parents = tuple(as_value(v) for v in values)
    for i, p in enumerate(parents):
        if p is NotImplemented:
            raise TypeError(
                f"sum_values needs Values or numbers; item {i} is {type(values[i]).__name__}"
            )
    return Value.apply(SUM, parents, float(start) or None)


def dot(weights, inputs, bias: Value | None = None) -> Value:
    """A neuron's weighted sum as one node: z = sum_i w_i x_i (+ b).
    d z/d w_i = x_i, d z/d x_i = w_i, d z/d b = 1. Parents are (w_0..w_n-1, x_0..x_n-1, b).

    One node instead of 2n (n products, n sums) keeps a network's graph small and readable:
    a step reads ``dL/dW1[0,3] += dL/dz1[3] * x[0]``."""
    weights = tuple(w if type(w) is Value else _operand(w, "dot") for w in weights)
    inputs = tuple(x if type(x) is Value else _operand(x, "dot") for x in inputs)
    if len(weights) != len(inputs):
        raise ValueError(
            f"dot needs as many weights as inputs, got {len(weights)} and {len(inputs)}"
        )
    if bias is not None and type(bias) is not Value:
        bias = _operand(bias, "dot")
    return unchecked_dot(weights, inputs, bias)


def unchecked_dot(weights: tuple, inputs: tuple, bias: Value | None) -> Value:
    """``dot`` without the checks, for networks that pass Values in tuples."""
    parents = weights + inputs if bias is None else (*weights, *inputs, bias)
    xs = tuple(map(_get_data, parents))
    out = _dot_scalar(xs, None)
    return _node(out, parents, DOT, _dot_local(xs, out, None))
