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
    POW,
    RELU,
    SIGMOID,
    SUB,
    SUM,
    TANH,
    NumbersOnlyError,
    Op,
)

__all__ = ["Value", "sum_values", "dot", "unchecked_dot", "as_value"]


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

    def __init__(self, data, label: str = "") -> None:
        self.data = _to_float(data)
        self.grad = 0.0
        self.parents = ()
        self.op = ""
        self.label = check_label(label)
        self.id = next(node_ids)
        self.scope = STATE.scope
        self._local = ()
        self.param = None

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
        other = _operand(other, "+")
        return other if other is NotImplemented else other + self

    def __rmul__(self, other) -> Value:
        other = _operand(other, "*")
        return other if other is NotImplemented else other * self

    def __rsub__(self, other) -> Value:
        other = _operand(other, "-")
        return other if other is NotImplemented else other - self

    def __rtruediv__(self, other) -> Value:
        other = _operand(other, "/")
        return other if other is NotImplemented else other / self

    def __rpow__(self, other) -> Value:
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

    # -- comparisons compare data and build no graph ---------------------------------------
    # ``==`` stays identity so nodes can be dict keys and set members (graph walks rely on it).
    def __lt__(self, other) -> bool:
        return self.data < _data(other)

    def __le__(self, other) -> bool:
        return self.data <= _data(other)

    def __gt__(self, other) -> bool:
        return self.data > _data(other)

    def __ge__(self, other) -> bool:
        return self.data >= _data(other)

    def __float__(self) -> float:
        if STATE.differentiating:
            raise NumbersOnlyError(
                "a derivative rule took a number out of a node (float(x), math.exp(x)); write "
                "it with operators and autograd.ops functions (exp, log, tanh, ...)"
            )
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
    other node types are left to their own reflected operator; anything else is a TypeError."""
    if isinstance(x, Value):
        return x
    if type(x) is float or type(x) is int or is_number(x):
        return Value.constant(x)
    if isinstance(x, (np.ndarray, Node)):
        return NotImplemented
    raise TypeError(f"unsupported operand type for {symbol}: Value and {type(x).__name__}")


def _data(x) -> float:
    if isinstance(x, Value):
        return x.data
    if is_number(x):
        return float(x)
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
