"""Tensor: a numpy float64 array node on the same graph core as Value.

Each op computes its result and names, right beside it, its vector-Jacobian product: a static
function ``back(ctx, g) -> one gradient per parent`` where ``g`` is d(root)/d(out) and ``ctx`` holds
the arrays the derivative needs. The node stores the function and ``ctx`` (arrays, never nodes),
so nodes hold no reference cycles. Gradients computed in a broadcast shape are summed back to
each parent's shape by the core (``numeric.unbroadcast``).

A leaf's ``grad`` is an array of its shape (zeros until backward adds into it); an op result's
``grad`` is None until backward reaches it, as in PyTorch.
"""

from __future__ import annotations

import numbers

import numpy as np

from .graph import STATE, AnomalyError, Node, _ids
from .numeric import bce as _bce
from .numeric import bce_grad as _bce_grad
from .numeric import sigmoid as _sigmoid
from .numeric import unbroadcast
from .value import _check_contributions, _check_label, _describe

__all__ = ["Tensor", "TENSOR_FORWARD", "concatenate", "stack"]

# Forward function of every op: f(parent data tuple, param) -> array (see value.FORWARD).
TENSOR_FORWARD: dict = {}


def _quiet() -> np.errstate:
    """IEEE results (inf, nan) without numpy warnings, as the Value ops give them."""
    return np.errstate(divide="ignore", invalid="ignore", over="ignore")


class Tensor(Node):
    """An array node: ``data`` is a float64 ndarray; after ``backward``, ``grad`` has its shape.

    >>> W = Tensor([[1.0, 2.0], [3.0, 4.0]], label="W")
    >>> x = Tensor([1.0, -1.0], label="x")
    >>> (x @ W).sum().backward()
    >>> W.grad.tolist(), x.grad.tolist()
    ([[1.0, 1.0], [-1.0, -1.0]], [3.0, 7.0])
    """

    __slots__ = ("_back", "_ctx", "_exact")
    __array_ufunc__ = None  # ndarray + Tensor defers to Tensor.__radd__

    def __init__(self, data, label: str = "") -> None:
        self.data = _to_array(data)
        self.grad = np.zeros_like(self.data)
        self.parents = ()
        self.op = ""
        self.label = _check_label(label)
        self.id = next(_ids)
        self.scope = STATE.scope
        self.param = None
        self._back = None
        self._ctx = None
        self._exact = True

    @classmethod
    def input(cls, x, label: str = "") -> Tensor:
        """A leaf holding data fed in (drawn as an input). A float64 array is used as it is,
        not copied: ops never write into their operands."""
        if type(x) is np.ndarray and x.dtype == np.float64:
            out = _new(Tensor)
            out.data, out.grad, out.parents, out.op = x, np.zeros(x.shape), (), "input"
            out._exact = True
            out.label, out.id, out.scope, out.param = (
                _check_label(label),
                next(_ids),
                STATE.scope,
                None,
            )
            out._back = out._ctx = None
            return out
        out = cls(x, label)
        out.op = "input"
        return out

    @staticmethod
    def constant(x) -> Tensor:
        """A leaf for a plain number or array used in an expression (drawn as a constant)."""
        out = Tensor(x)
        out.op = "const"
        return out

    # -- properties --------------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    def __len__(self) -> int:
        return len(self.data)

    def numpy(self) -> np.ndarray:
        return self.data

    def item(self) -> float:
        if self.data.size != 1:
            raise ValueError(f"item() needs a one-element tensor, got shape {self.shape}")
        return float(self.data.reshape(-1)[0])

    # -- elementwise arithmetic with broadcasting --------------------------------------------
    def __add__(self, other) -> Tensor:
        other = _operand(other, "+")
        if other is NotImplemented:
            return other
        return _make(_broadcast(np.add, self, other, "+"), (self, other), "+", _add_back)

    def __sub__(self, other) -> Tensor:
        other = _operand(other, "-")
        if other is NotImplemented:
            return other
        return _make(_broadcast(np.subtract, self, other, "-"), (self, other), "-", _sub_back)

    def __mul__(self, other) -> Tensor:
        other = _operand(other, "*")
        if other is NotImplemented:
            return other
        a, b = self.data, other.data
        return _make(
            _broadcast(np.multiply, self, other, "*"), (self, other), "*", _mul_back, (a, b)
        )

    def __truediv__(self, other) -> Tensor:
        other = _operand(other, "/")
        if other is NotImplemented:
            return other
        with _quiet():
            out = _broadcast(np.divide, self, other, "/")
        return _make(out, (self, other), "/", _div_back, (self.data, other.data, out))

    def __pow__(self, other) -> Tensor:
        x = self.data
        if isinstance(other, Tensor):
            with _quiet():
                out = _broadcast(np.power, self, other, "**")
            return _make(out, (self, other), "**", _pow_back, (x, other.data, out))
        if not _is_number(other):
            return _operand(other, "**")
        p = float(other)
        with _quiet():
            out = np.power(x, p)
        return _make(out, (self,), "**", _pow_const_back, (x, p), p)

    def __neg__(self) -> Tensor:
        return _make(-self.data, (self,), "neg", _neg_back)

    def __abs__(self) -> Tensor:
        return _make(np.abs(self.data), (self,), "abs", _abs_back, self.data)

    def __radd__(self, other) -> Tensor:
        other = _operand(other, "+")
        return other if other is NotImplemented else other + self

    def __rsub__(self, other) -> Tensor:
        other = _operand(other, "-")
        return other if other is NotImplemented else other - self

    def __rmul__(self, other) -> Tensor:
        other = _operand(other, "*")
        return other if other is NotImplemented else other * self

    def __rtruediv__(self, other) -> Tensor:
        other = _operand(other, "/")
        return other if other is NotImplemented else other / self

    def __rpow__(self, other) -> Tensor:
        other = _operand(other, "**")
        return other if other is NotImplemented else other**self

    # -- elementwise functions ---------------------------------------------------------------
    def exp(self) -> Tensor:
        with _quiet():
            out = np.exp(self.data)
        return _make(out, (self,), "exp", _exp_back, out)

    def log(self) -> Tensor:
        with _quiet():
            out = np.log(self.data)
        return _make(out, (self,), "log", _log_back, self.data)

    def tanh(self) -> Tensor:
        out = np.tanh(self.data)
        return _make(out, (self,), "tanh", _tanh_back, out)

    def sigmoid(self) -> Tensor:
        out = _sigmoid(self.data)
        return _make(out, (self,), "sigmoid", _sigmoid_back, out)

    def relu(self) -> Tensor:
        x = self.data
        return _make(np.maximum(x, 0.0), (self,), "relu", _relu_back, x)

    def leaky_relu(self, slope: float = 0.01) -> Tensor:
        x, slope = self.data, float(slope)
        return _make(
            np.where(x > 0, x, slope * x), (self,), "leaky_relu", _leaky_back, (x, slope), slope
        )

    def identity(self) -> Tensor:
        return _make(self.data, (self,), "identity", _identity_back)

    def clip(self, low: float, high: float) -> Tensor:
        x = self.data
        return _make(
            np.clip(x, low, high), (self,), "clip", _clip_back, (x, low, high), (low, high)
        )

    def bce(self, target) -> Tensor:
        """Elementwise binary cross-entropy of these probabilities against 0/1 targets (an array
        of the same shape): -(y ln p + (1 - y) ln(1 - p)) with logs clamped at -100;
        dL/dp = (p - y) / max(p (1 - p), 1e-12), as torch's BCELoss."""
        p = self.data
        y = target.data if isinstance(target, Tensor) else target
        if type(y) is not np.ndarray or y.dtype != np.float64:
            y = _to_array(y)
        if y.shape != p.shape:
            raise ValueError(f"bce target shape {y.shape} differs from {_name(self)} {p.shape}")
        if y.size and not (y.min() >= 0.0 and y.max() <= 1.0):
            raise ValueError("bce targets must lie in [0, 1] (and not be nan)")
        return _make(_bce(p, y), (self,), "bce", _bce_back, (p, y), y)

    # -- linear algebra, reductions and shapes -----------------------------------------------
    def __matmul__(self, other) -> Tensor:
        other = _operand(other, "@")
        if other is NotImplemented:
            return other
        a, b = self.data, other.data
        if a.ndim not in (1, 2) or b.ndim not in (1, 2):
            raise ValueError(
                f"@ takes 1-D or 2-D operands, got {_name(self)} {a.shape} @ "
                f"{_name(other)} {b.shape}"
            )
        if a.shape[-1] != b.shape[0]:
            raise ValueError(
                f"shape mismatch in @: {_name(self)} {a.shape} @ {_name(other)} "
                f"{b.shape} (inner sizes {a.shape[-1]} and {b.shape[0]} differ)"
            )
        return _make(np.dot(a, b), (self, other), "@", _matmul_back, (a, b))

    def __rmatmul__(self, other) -> Tensor:
        other = _operand(other, "@")
        return other if other is NotImplemented else other @ self

    def sum(self, axis=None, keepdims: bool = False) -> Tensor:
        x = self.data
        out = np.asarray(x.sum(axis=axis, keepdims=keepdims))
        return _make(out, (self,), "sum", _sum_back, (x.shape, axis, keepdims), (axis, keepdims))

    def mean(self, axis=None, keepdims: bool = False) -> Tensor:
        x = self.data
        out = np.asarray(x.mean(axis=axis, keepdims=keepdims))
        count = x.size // max(out.size, 1) if x.size else 1
        return _make(
            out, (self,), "mean", _mean_back, (x.shape, axis, keepdims, count), (axis, keepdims)
        )

    def reshape(self, *shape) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        x = self.data
        try:
            out = x.reshape(shape)
        except ValueError:
            raise ValueError(
                f"cannot reshape {_name(self)} of shape {x.shape} ({x.size} elements) into {shape}"
            ) from None
        return _make(out, (self,), "reshape", _reshape_back, x.shape, shape)

    def transpose(self, *axes) -> Tensor:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        axes = axes or None
        out = self.data.transpose(axes)
        inverse = None if axes is None else tuple(np.argsort(axes))
        return _make(out, (self,), "transpose", _transpose_back, inverse, axes)

    @property
    def T(self) -> Tensor:
        return self.transpose()

    def __getitem__(self, index) -> Tensor:
        if isinstance(index, Tensor):
            raise TypeError("index a Tensor with integers, slices or arrays, not a Tensor")
        x = self.data
        try:
            out = np.array(x[index])
        except IndexError as e:
            raise IndexError(f"{_name(self)} of shape {x.shape}: {e}") from None
        return _make(out, (self,), "index", _index_back, (x.shape, index), index)

    # -- the node protocol -------------------------------------------------------------------
    def _seed_grad(self, grad) -> None:
        if grad is None:
            if self.data.size != 1:
                raise ValueError(
                    f"backward() on a non-scalar tensor of shape {self.shape} needs grad= of "
                    "that shape (the upstream gradient); call .sum() first for a scalar"
                )
            seed = np.ones(self.data.shape)
        else:
            seed = _to_array(grad)
            if seed.shape != self.shape:
                raise ValueError(f"backward(grad=...) needs shape {self.shape}, got {seed.shape}")
        self.grad = seed if self.grad is None else self.grad + seed

    _zero = None  # an op result's gradient before backward reaches it

    def _zero_grad(self) -> None:
        self.grad = None

    def local_grads(self, upstream: np.ndarray) -> tuple:
        """The contributions this node adds to each parent's grad, given its upstream gradient,
        summed back to each parent's shape."""
        grads = self._back(self._ctx, upstream)
        if self._exact:  # no operand was broadcast: every gradient has its parent's shape
            return grads
        return tuple(
            g if g.shape == p.data.shape else unbroadcast(g, p.data.shape)
            for p, g in zip(self.parents, grads)
        )

    def _backprop(self) -> None:
        grads = self._back(self._ctx, self.grad)
        if not self._exact:
            grads = tuple(
                g if g.shape == p.data.shape else unbroadcast(g, p.data.shape)
                for p, g in zip(self.parents, grads)
            )
        if STATE.anomaly:
            _check_contributions(self, grads)
        self._apply(grads)

    def _apply(self, grads) -> None:
        """Add each contribution into its parent's grad."""
        for parent, g in zip(self.parents, grads):
            if parent.parents:  # interior grads may share memory with others: never in place
                parent.grad = g if parent.grad is None else parent.grad + g
            elif parent.grad is None:
                parent.grad = np.array(g)  # a leaf owns its gradient array
            else:
                parent.grad += g

    def zero_grad(self) -> None:
        """Reset this node's gradient to zeros (what training loops do to leaves)."""
        self.grad = np.zeros_like(self.data)

    def __repr__(self) -> str:
        label = f"{self.label!r}, " if self.label else ""
        grad = "None" if self.grad is None else _short(self.grad)
        return f"Tensor({label}shape={self.shape}, data={_short(self.data)}, grad={grad})"

    def _repr_html_(self) -> str:
        from .display import value_html

        return value_html(self)


# -- node construction --------------------------------------------------------------------------
_new = object.__new__


_BROADCASTING = frozenset({"+", "-", "*", "/", "**"})


def _make(data: np.ndarray, parents: tuple, op: str, back, ctx=None, param=None) -> Tensor:
    out = _new(Tensor)
    # Only elementwise binary ops broadcast; elsewhere each vjp returns its parent's shape.
    out._exact = op not in _BROADCASTING or all(p.data.shape == data.shape for p in parents)
    out.data = data
    out.grad = None
    out.label = ""
    out.id = next(_ids)
    out.scope = STATE.scope
    out.param = param
    if STATE.grad_enabled:
        out.parents, out.op, out._back, out._ctx = parents, op, back, ctx
    else:
        out.parents, out.op, out._back, out._ctx = (), "", None, None
        out.grad = np.zeros_like(data)
    if STATE.anomaly and not np.all(np.isfinite(data)):
        inputs = ", ".join(_describe(p) for p in parents)
        where = f" in scope {STATE.scope!r}" if STATE.scope else ""
        raise AnomalyError(f"op {op!r}{where} produced a non-finite result from inputs ({inputs})")
    return out


# -- vector-Jacobian products, one per op (g = d(root)/d(out)) ----------------------------------
def _add_back(ctx, g):  # d/da (a + b) = 1, d/db = 1
    return g, g


def _sub_back(ctx, g):  # d/da (a - b) = 1, d/db = -1
    return g, -g


def _mul_back(ctx, g):  # d/da (a * b) = b, d/db = a
    a, b = ctx
    return g * b, g * a


def _div_back(ctx, g):  # d/da (a / b) = 1/b, d/db = -a/b^2 = -out/b
    a, b, out = ctx
    with _quiet():
        gb = g / b
        return gb, -gb * out


def _pow_back(ctx, g):  # d/dx x^p = p x^(p-1), d/dp x^p = x^p ln x (0 where x^p = 0)
    x, p, out = ctx
    with _quiet():
        dp = np.where(out != 0, out * np.log(np.where(out != 0, x, 1.0)), 0.0)
        return g * p * np.power(x, p - 1), g * dp


def _pow_const_back(ctx, g):  # d/dx x^p = p x^(p-1)
    x, p = ctx
    with _quiet():
        return (g * (p * np.power(x, p - 1)),)


def _neg_back(ctx, g):  # d/dx (-x) = -1
    return (-g,)


def _abs_back(x, g):  # d/dx |x| = sign(x)
    return (g * np.sign(x),)


def _exp_back(out, g):  # d/dx e^x = e^x
    return (g * out,)


def _log_back(x, g):  # d/dx ln x = 1/x
    with _quiet():
        return (g / x,)


def _tanh_back(t, g):  # d/dx tanh x = 1 - tanh^2 x
    return (g * (1.0 - t * t),)


def _sigmoid_back(s, g):  # d/dx s(x) = s (1 - s)
    return (g * s * (1.0 - s),)


def _relu_back(x, g):  # d/dx relu x = 1 if x > 0 else 0
    return (g * (x > 0),)


def _leaky_back(ctx, g):  # d/dx leaky_relu x = 1 if x > 0 else slope
    x, slope = ctx
    return (np.where(x > 0, g, slope * g),)


def _identity_back(ctx, g):  # d/dx x = 1
    return (g,)


def _bce_back(ctx, g):  # dL/dp = (p - y) / max(p (1 - p), eps)
    p, y = ctx
    return (g * _bce_grad(p, y),)


def _clip_back(ctx, g):  # d/dx clip(x, lo, hi) = 1 inside [lo, hi], else 0
    x, low, high = ctx
    return (g * ((x >= low) & (x <= high)),)


def _matmul_back(ctx, g):  # out = a b: d/da = g b^T, d/db = a^T g (1-D operands as row/column)
    a, b = ctx
    if a.ndim == 2 and b.ndim == 2:
        return g.dot(b.T), a.T.dot(g)
    a2 = a if a.ndim == 2 else a.reshape(1, -1)
    b2 = b if b.ndim == 2 else b.reshape(-1, 1)
    g2 = np.reshape(g, (a2.shape[0], b2.shape[1]))
    return np.dot(g2, b2.T).reshape(a.shape), np.dot(a2.T, g2).reshape(b.shape)


def _expand(g, shape, axis, keepdims):
    if axis is None:
        out = np.empty(shape)  # a writable array, and cheaper than np.full or broadcast_to
        out.fill(g)
        return out
    if not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, shape)


def _sum_back(ctx, g):  # d/dx_i sum(x) = 1: spread g over the summed axes
    shape, axis, keepdims = ctx
    return (_expand(g, shape, axis, keepdims),)


def _mean_back(ctx, g):  # d/dx_i mean(x) = 1/n
    shape, axis, keepdims, count = ctx
    return (_expand(g / count, shape, axis, keepdims),)


def _reshape_back(shape, g):
    return (np.reshape(g, shape),)


def _transpose_back(inverse, g):
    return (np.transpose(g, inverse),)


def _index_back(ctx, g):  # scatter g into zeros; repeated indices add up
    shape, index = ctx
    out = np.zeros(shape)
    np.add.at(out, index, g)
    return (out,)


def _split_back(ctx, g):  # concatenate / stack: each input gets its slice of g
    kind, axis, sizes = ctx
    if kind == "stack":
        return tuple(np.take(g, i, axis=axis) for i in range(sizes))
    bounds = np.cumsum(sizes)[:-1]
    return tuple(np.split(g, bounds, axis=axis))


def concatenate(tensors, axis: int = 0) -> Tensor:
    """Join tensors along an existing axis; each gets its own slice of the gradient."""
    tensors = _tensor_list(tensors, "concatenate")
    try:
        out = np.concatenate([t.data for t in tensors], axis=axis)
    except ValueError as e:
        shapes = ", ".join(f"{_name(t)} {t.shape}" for t in tensors)
        raise ValueError(f"cannot concatenate along axis {axis}: {shapes} ({e})") from None
    sizes = [t.data.shape[axis] for t in tensors]
    return _make(out, tuple(tensors), "concatenate", _split_back, ("concat", axis, sizes), axis)


def stack(tensors, axis: int = 0) -> Tensor:
    """Join same-shape tensors along a new axis."""
    tensors = _tensor_list(tensors, "stack")
    try:
        out = np.stack([t.data for t in tensors], axis=axis)
    except ValueError as e:
        shapes = ", ".join(f"{_name(t)} {t.shape}" for t in tensors)
        raise ValueError(f"cannot stack {shapes}: {e}") from None
    return _make(out, tuple(tensors), "stack", _split_back, ("stack", axis, len(tensors)), axis)


TENSOR_FORWARD.update(
    {
        "+": lambda d, p: d[0] + d[1],
        "-": lambda d, p: d[0] - d[1],
        "*": lambda d, p: d[0] * d[1],
        "/": lambda d, p: d[0] / d[1],
        "**": lambda d, p: np.power(d[0], d[1] if p is None else p),
        "neg": lambda d, p: -d[0],
        "abs": lambda d, p: np.abs(d[0]),
        "exp": lambda d, p: np.exp(d[0]),
        "log": lambda d, p: np.log(d[0]),
        "tanh": lambda d, p: np.tanh(d[0]),
        "sigmoid": lambda d, p: _sigmoid(d[0]),
        "relu": lambda d, p: np.maximum(d[0], 0.0),
        "leaky_relu": lambda d, p: np.where(d[0] > 0, d[0], p * d[0]),
        "identity": lambda d, p: d[0],
        "clip": lambda d, p: np.clip(d[0], *p),
        "bce": lambda d, p: _bce(d[0], p),
        "@": lambda d, p: np.dot(d[0], d[1]),
        "sum": lambda d, p: np.asarray(d[0].sum(axis=p[0], keepdims=p[1])),
        "mean": lambda d, p: np.asarray(d[0].mean(axis=p[0], keepdims=p[1])),
        "reshape": lambda d, p: d[0].reshape(p),
        "transpose": lambda d, p: d[0].transpose(p),
        "index": lambda d, p: np.array(d[0][p]),
        "concatenate": lambda d, p: np.concatenate(d, axis=p),
        "stack": lambda d, p: np.stack(d, axis=p),
    }
)


# -- input checks ---------------------------------------------------------------------------------
def _to_array(x) -> np.ndarray:
    if isinstance(x, Tensor):
        return x.data.copy()
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"Tensor needs real numbers, got {type(x).__name__}: {x!r:.60}")
    try:
        array = np.array(x)
    except ValueError as e:  # ragged nested lists
        raise ValueError(f"Tensor needs a rectangular array of numbers: {e}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"Tensor needs real numbers, got {type(x).__name__} of dtype {array.dtype}")
    return array.astype(np.float64)


def _is_number(x) -> bool:
    return isinstance(x, numbers.Real)


def _operand(x, symbol: str):
    """The other operand as a Tensor; numbers and arrays become constant leaves."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (numbers.Real, np.ndarray)) or (isinstance(x, list) and x):
        try:
            return Tensor.constant(x)
        except TypeError:
            pass
    if isinstance(x, Node):
        raise TypeError(
            f"cannot combine Tensor and {type(x).__name__} with {symbol}; "
            "build the expression from one node type"
        )
    raise TypeError(f"unsupported operand type for {symbol}: Tensor and {type(x).__name__}")


def _name(t: Tensor) -> str:
    return repr(t.label) if t.label else ("a constant" if t.op == "const" else "a tensor")


def _broadcast(fn, a: Tensor, b: Tensor, symbol: str) -> np.ndarray:
    try:
        return fn(a.data, b.data)
    except ValueError:
        raise ValueError(
            f"shapes do not broadcast in {symbol}: {_name(a)} {a.shape} and {_name(b)} {b.shape}"
        ) from None


def _tensor_list(tensors, what: str) -> list:
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{what} needs at least one tensor")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{what} needs Tensors; item {i} is {type(t).__name__}")
    return tensors


def _short(a: np.ndarray) -> str:
    return np.array2string(a, precision=4, threshold=8, edgeitems=2, separator=", ")
