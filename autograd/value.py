"""Value: a float64 scalar node of the computation graph.

Each operation below computes its result and, right beside it, its local derivatives: one float
per parent, d(out)/d(parent), stored on the output node as ``_local``. Back-propagation then only
multiplies: ``parent.grad += out.grad * local``. Storing numbers rather than a closure keeps nodes
free of reference cycles (a closure on the node that refers back to the node would be a cycle, and
cycles make CPython's garbage collector slow training down several times).

Arithmetic follows IEEE 754 like numpy: ``log(0) = -inf``, ``log(-1) = nan``, ``1/0 = inf``,
``exp(1000) = inf``; inside ``autograd.detect_anomaly()`` the first non-finite result raises.
"""

from __future__ import annotations

import math
import numbers
from operator import mul as _mul

import numpy as np

from .graph import STATE, AnomalyError, Node, _ids
from .numeric import BCE_EPS, LOG_FLOOR, SIGMOID_FLOOR

__all__ = ["Value", "FORWARD", "sum_values", "dot"]

_inf, _nan = math.inf, math.nan

# Forward function of every op, keyed by op name: f(parent data tuple, param) -> result.
# Nodes store only the result and the local derivatives; this table lets tools re-run one op
# alone (step.check compares the stored derivatives with central differences of it).
FORWARD: dict = {}


def _forward(op: str):
    def register(fn):
        FORWARD[op] = fn
        return fn

    return register


class Value(Node):
    """A scalar node: ``data`` is a Python float (float64), ``grad`` is d(root)/d(self).

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
        self.label = _check_label(label)
        self.id = next(_ids)
        self.scope = STATE.scope
        self._local = ()
        self.param = None

    # -- node construction ------------------------------------------------------------------
    @staticmethod
    def _make(data: float, parents: tuple, op: str, local: tuple, param=None) -> Value:
        """Make an op's output node (no input checks: every op passes float data)."""
        out = _new_value(Value)
        out.data = data
        out.grad = 0.0
        out.label = ""
        out.id = next(_ids)
        out.scope = STATE.scope
        out.param = param
        if STATE.grad_enabled:
            out.parents, out.op, out._local = parents, op, local
        else:
            out.parents, out.op, out._local = (), "", ()
        if STATE.anomaly and not math.isfinite(data):
            raise AnomalyError(_anomaly_message(op, data, parents))
        return out

    @staticmethod
    def input(x: float, label: str = "") -> Value:
        """A leaf holding data fed in, not a parameter (drawn as an input)."""
        out = Value(x, label)
        out.op = "input"
        return out

    @staticmethod
    def constant(x: float) -> Value:
        """A leaf for a plain number used in an expression (drawn as a constant)."""
        out = Value(x)
        out.op = "const"
        return out

    # -- arithmetic: forward and local derivatives side by side -----------------------------
    def __add__(self, other) -> Value:
        """d/da (a + b) = 1, d/db (a + b) = 1"""
        other = _operand(other, "+")
        if other is NotImplemented:
            return other
        return Value._make(self.data + other.data, (self, other), "+", (1.0, 1.0))

    def __mul__(self, other) -> Value:
        """d/da (a * b) = b, d/db (a * b) = a"""
        other = _operand(other, "*")
        if other is NotImplemented:
            return other
        return Value._make(self.data * other.data, (self, other), "*", (other.data, self.data))

    def __sub__(self, other) -> Value:
        """d/da (a - b) = 1, d/db (a - b) = -1"""
        other = _operand(other, "-")
        if other is NotImplemented:
            return other
        return Value._make(self.data - other.data, (self, other), "-", (1.0, -1.0))

    def __truediv__(self, other) -> Value:
        """d/da (a / b) = 1/b, d/db (a / b) = -a/b^2"""
        other = _operand(other, "/")
        if other is NotImplemented:
            return other
        a, b = self.data, other.data
        out = _div(a, b)
        return Value._make(out, (self, other), "/", (_div(1.0, b), -_div(out, b)))

    def __pow__(self, other) -> Value:
        """d/dx x^p = p x^(p-1); for a Value exponent also d/dp x^p = x^p ln x (0 where x^p = 0)."""
        x = self.data
        if isinstance(other, Value):
            p = other.data
            out = _pow(x, p)
            dp = out * _log(x) if out != 0.0 else 0.0
            return Value._make(out, (self, other), "**", (p * _pow(x, p - 1.0), dp))
        if not _is_number(other):
            return _operand(other, "**")
        p = float(other)
        return Value._make(_pow(x, p), (self,), "**", (p * _pow(x, p - 1.0),), p)

    def __neg__(self) -> Value:
        """d/dx (-x) = -1"""
        return Value._make(-self.data, (self,), "neg", (-1.0,))

    def __abs__(self) -> Value:
        """d/dx |x| = sign(x) (0 at 0, as in PyTorch; nan at nan)"""
        x = self.data
        sign = 1.0 if x > 0 else -1.0 if x < 0 else 0.0 if x == 0 else x  # nan at nan
        return Value._make(abs(x), (self,), "abs", (sign,))

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
    def exp(self) -> Value:
        """d/dx e^x = e^x"""
        out = _exp(self.data)
        return Value._make(out, (self,), "exp", (out,))

    def log(self) -> Value:
        """d/dx ln x = 1/x   (ln 0 = -inf, ln of a negative number = nan)"""
        x = self.data
        return Value._make(_log(x), (self,), "log", (_div(1.0, x),))

    def tanh(self) -> Value:
        """d/dx tanh x = 1 - tanh(x)^2"""
        t = math.tanh(self.data)
        return Value._make(t, (self,), "tanh", (1.0 - t * t,))

    def sigmoid(self) -> Value:
        """s(x) = 1 / (1 + e^-x), d/dx s(x) = s (1 - s); no overflow (see numeric.sigmoid)."""
        s = _sigmoid(self.data)
        return Value._make(s, (self,), "sigmoid", (s * (1.0 - s),))

    def relu(self) -> Value:
        """relu(x) = max(0, x), d/dx = 1 if x > 0 else 0 (nan in, nan out)"""
        x = self.data
        if x > 0:
            return Value._make(x, (self,), "relu", (1.0,))
        zero = x if x != x else 0.0  # nan in, nan out
        return Value._make(zero, (self,), "relu", (zero,))

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """leaky_relu(x) = x if x > 0 else slope*x, d/dx = 1 if x > 0 else slope"""
        x, slope = self.data, float(slope)
        local = 1.0 if x > 0 else slope if x == x else x  # nan in, nan out
        return Value._make(x if x > 0 else slope * x, (self,), "leaky_relu", (local,), slope)

    def identity(self) -> Value:
        """A no-op node (d/dx x = 1): the lab's "without activation" keeps one node per layer."""
        return Value._make(self.data, (self,), "identity", (1.0,))

    def bce(self, target: float) -> Value:
        """Binary cross-entropy of this probability against a 0/1 target y:
        L = -(y ln p + (1 - y) ln(1 - p)), each log clamped at -100 so log(0) is never taken;
        dL/dp = (p - y) / max(p (1 - p), 1e-12), the same clamped form as torch's BCELoss."""
        p, y = self.data, _to_float(target)
        if not 0.0 <= y <= 1.0:
            raise ValueError(f"bce target must be in [0, 1], got {y}")
        out = -(y * _clamped_log(p) + (1.0 - y) * _clamped_log(1.0 - p))
        return Value._make(out, (self,), "bce", ((p - y) / max(p * (1.0 - p), BCE_EPS),), y)

    # -- the node protocol -----------------------------------------------------------------
    def _seed_grad(self, grad) -> None:
        self.grad += 1.0 if grad is None else _to_float(grad)

    _zero = 0.0  # an interior node's gradient before backward reaches it

    def _zero_grad(self) -> None:
        self.grad = 0.0

    def _backprop(self) -> None:
        g = self.grad
        if STATE.anomaly:
            _check_contributions(self, self.local_grads(g))
        for parent, local in zip(self.parents, self._local):
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
        return self.data

    def __repr__(self) -> str:
        label = f"{self.label!r}, " if self.label else ""
        return f"Value({label}data={self.data:.6g}, grad={self.grad:.6g})"

    def _repr_html_(self) -> str:
        from .display import value_html

        return value_html(self)


_new_value = object.__new__


# -- forward functions, registered for tools that re-run one op --------------------------------
def _div(a: float, b: float) -> float:
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0.0 or a != a:
            return _nan
        return math.copysign(_inf, a) * math.copysign(1.0, b)


def _pow(x: float, p: float) -> float:
    try:
        out = x**p
    except ZeroDivisionError:  # 0.0 ** negative
        return _inf if (p % 2 != 1 or math.copysign(1.0, x) > 0) else -_inf
    except OverflowError:
        return _inf if x > 0 or p % 2 == 0 else -_inf
    return out if type(out) is float else _nan  # negative ** fraction gives complex in Python


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return _inf


def _log(x: float) -> float:
    if x > 0:
        return math.log(x)
    return -_inf if x == 0 else _nan


_P_FLOOR = math.exp(LOG_FLOOR)


def _clamped_log(x: float) -> float:
    """ln(max(x, e^-100)): the same clamp as numeric.clamped_log."""
    return math.log(_P_FLOOR if x < _P_FLOOR else x)  # a nan stays nan


def _sigmoid(x: float) -> float:
    # The same formula as numeric.sigmoid, so the scalar and array engines agree to the ulp.
    return 1.0 / (1.0 + math.exp(-(SIGMOID_FLOOR if x < SIGMOID_FLOOR else x)))  # nan stays nan


FORWARD.update(
    {
        "+": lambda d, p: d[0] + d[1],
        "*": lambda d, p: d[0] * d[1],
        "-": lambda d, p: d[0] - d[1],
        "/": lambda d, p: _div(d[0], d[1]),
        "**": lambda d, p: _pow(d[0], d[1] if p is None else p),
        "neg": lambda d, p: -d[0],
        "abs": lambda d, p: abs(d[0]),
        "exp": lambda d, p: _exp(d[0]),
        "log": lambda d, p: _log(d[0]),
        "tanh": lambda d, p: math.tanh(d[0]),
        "sigmoid": lambda d, p: _sigmoid(d[0]),
        "relu": lambda d, p: d[0] if d[0] > 0 or d[0] != d[0] else 0.0,
        "leaky_relu": lambda d, p: d[0] if d[0] > 0 else p * d[0],
        "identity": lambda d, p: d[0],
        "bce": lambda d, p: -(p * _clamped_log(d[0]) + (1.0 - p) * _clamped_log(1.0 - d[0])),
    }
)


# -- input checks -------------------------------------------------------------------------------
def _is_number(x) -> bool:
    return isinstance(x, numbers.Real) or (isinstance(x, np.ndarray) and x.ndim == 0)


def _to_float(x) -> float:
    if type(x) is float:
        return x
    if isinstance(x, Value):
        return x.data
    if isinstance(x, numbers.Real) or (
        isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "biuf"
    ):
        return float(x)
    raise TypeError(f"Value needs a real number, got {type(x).__name__}: {x!r:.60}")


def _check_label(label) -> str:
    if not isinstance(label, str):
        raise TypeError(f"label must be a str, got {type(label).__name__}")
    return label


def _as_value(x):
    if isinstance(x, Value):
        return x
    if _is_number(x):
        return Value.constant(x)
    return NotImplemented


def _operand(x, symbol: str):
    """The other operand of a binary op as a Value; numbers become constant leaves. Arrays and
    other node types are left to their own reflected operator; anything else is a TypeError."""
    if isinstance(x, Value):
        return x
    if type(x) is float or type(x) is int or _is_number(x):
        return Value.constant(x)
    if isinstance(x, (np.ndarray, Node)):
        return NotImplemented
    raise TypeError(f"unsupported operand type for {symbol}: Value and {type(x).__name__}")


def _data(x) -> float:
    if isinstance(x, Value):
        return x.data
    if _is_number(x):
        return float(x)
    raise TypeError(f"cannot compare Value with {type(x).__name__}")


def _describe(node: Node) -> str:
    name = node.label or (node.op and f"<{node.op} #{node.id}>") or f"<leaf #{node.id}>"
    data = node.data
    shown = f"{data:.6g}" if isinstance(data, float) else np.array2string(np.asarray(data))
    return f"{name}={shown}"


def _anomaly_message(op: str, data, parents: tuple) -> str:
    inputs = ", ".join(_describe(p) for p in parents)
    where = f" in scope {STATE.scope!r}" if STATE.scope else ""
    return f"op {op!r}{where} produced a non-finite result {data!r} from inputs ({inputs})"


def _check_contributions(node: Node, contributions) -> None:
    for parent, c in zip(node.parents, contributions):
        if not np.all(np.isfinite(c)):
            name = node.label or f"#{node.id}"
            raise AnomalyError(
                f"backward through op {node.op!r} ({name}) gave a non-finite gradient "
                f"for its input {_describe(parent)}: upstream grad {node.grad!r}"
            )


def sum_values(values, start: float = 0.0) -> Value:
    """One node adding many Values: d/dx_i (x_1 + ... + x_n) = 1 for every i.

    Unlike ``sum()``, which builds a chain of n binary ``+`` nodes, this makes a single node with
    n parents, so a neuron's weighted sum or a loss over a batch stays one readable node."""
    values = list(values)
    parents = tuple(_as_value(v) for v in values)
    for i, p in enumerate(parents):
        if p is NotImplemented:
            raise TypeError(
                f"sum_values needs Values or numbers; item {i} is {type(values[i]).__name__}"
            )
    total = sum([p.data for p in parents], float(start))
    return Value._make(total, parents, "sum", (1.0,) * len(parents), float(start) or None)


FORWARD["sum"] = lambda d, p: sum(d, 0.0 if p is None else p)


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
    return _dot(weights, inputs, bias)


def _dot(weights: tuple, inputs: tuple, bias: Value | None) -> Value:
    """``dot`` without the checks, for networks that pass Values in tuples."""
    wd = [w.data for w in weights]
    xd = [x.data for x in inputs]
    total = sum(map(_mul, wd, xd), 0.0)
    if bias is None:
        return Value._make(total, weights + inputs, "dot", (*xd, *wd))
    return Value._make(total + bias.data, (*weights, *inputs, bias), "dot", (*xd, *wd, 1.0))


def _dot_forward(d, p):
    n = len(d) // 2
    total = sum(map(_mul, d[:n], d[n : 2 * n]), 0.0)
    return total + d[-1] if len(d) % 2 else total


FORWARD["dot"] = _dot_forward
