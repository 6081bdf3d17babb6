"""Tensor: a numpy float64 array node on the same graph core as Value.

Every op is a record of ``autograd.ops``: its array forward gives the node's data, and during
backward its rule (``vjp``, or the local derivative times ``g`` for elementwise ops) gives each
parent's share of the gradient from ``g`` = d(root)/d(out), the parents' data and the output. The
node stores only its record and parameter, never a closure, so nodes hold no reference cycles.
Gradients computed in a broadcast shape are summed back to each parent's shape by the core
(``numeric.unbroadcast``). Under ``grad(..., create_graph=True)`` the same rules run on nodes.

A leaf's ``grad`` is an array of its shape (zeros until backward adds into it); an op result's
``grad`` is None until backward reaches it, as in PyTorch.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import ops as _ops
from .graph import (
    STATE,
    AnomalyError,
    Node,
    anomaly_message,
    check_contributions,
    check_label,
    node_ids,
)
from .numeric import is_number, unbroadcast
from .ops import Op

__all__ = ["Tensor", "concatenate", "stack", "make_tensor", "tensor_name"]


class Tensor(Node):
    """An array node: ``data`` is a float64 ndarray; after ``backward``, ``grad`` has its shape.

    >>> W = Tensor([[1.0, 2.0], [3.0, 4.0]], label="W")
    >>> x = Tensor([1.0, -1.0], label="x")
    >>> (x @ W).sum().backward()
    >>> W.grad.tolist(), x.grad.tolist()
    ([[1.0, 1.0], [-1.0, -1.0]], [3.0, 7.0])
    """

    __slots__ = ("_exact",)
    __array_ufunc__ = None  # ndarray + Tensor defers to Tensor.__radd__

    def __init__(self, data, label: str = "") -> None:
        self.data = _to_array(data)
        self.grad = np.zeros_like(self.data)
        self.parents = ()
        self.op = ""
        self.label = check_label(label)
        self.id = next(node_ids)
        self.scope = STATE.scope
        self.param = None
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
                check_label(label),
                next(node_ids),
                STATE.scope,
                None,
            )
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

    @staticmethod
    def apply(op: Op, parents: tuple, param=None) -> Tensor:
        """``op`` on ``parents`` (Tensors; numbers and arrays become constants): its array
        forward (the records of ops that can overflow or divide by zero give IEEE inf and nan
        without warnings, as the Value ops do)."""
        if any(type(p) is not Tensor for p in parents):
            parents = tuple(p if type(p) is Tensor else _operand(p, str(op)) for p in parents)
        out = op.array(tuple([p.data for p in parents]), param)
        return make_tensor(np.asarray(out, dtype=np.float64), parents, op, param)

    # -- elementwise arithmetic with broadcasting; each op's rule lives in its record -------------
    def __add__(self, other) -> Tensor:
        other = _operand(other, "+")
        return other if other is NotImplemented else _elementwise(_ops.ADD, self, other)

    def __sub__(self, other) -> Tensor:
        other = _operand(other, "-")
        return other if other is NotImplemented else _elementwise(_ops.SUB, self, other)

    def __mul__(self, other) -> Tensor:
        other = _operand(other, "*")
        return other if other is NotImplemented else _elementwise(_ops.MUL, self, other)

    def __truediv__(self, other) -> Tensor:
        other = _operand(other, "/")
        return other if other is NotImplemented else _elementwise(_ops.DIV, self, other)

    def __pow__(self, other) -> Tensor:
        if is_number(other):  # a constant exponent is the op's parameter: d/dx x^p = p x^(p-1)
            return Tensor.apply(_ops.POW, (self,), float(other))
        other = _operand(other, "**")  # an array exponent: elementwise, as a constant node
        return other if other is NotImplemented else _elementwise(_ops.POW, self, other)

    def __neg__(self) -> Tensor:
        return Tensor.apply(_ops.NEG, (self,))

    def __abs__(self) -> Tensor:
        return Tensor.apply(_ops.ABS, (self,))

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
        return Tensor.apply(_ops.EXP, (self,))

    def log(self) -> Tensor:
        return Tensor.apply(_ops.LOG, (self,))

    def tanh(self) -> Tensor:
        return Tensor.apply(_ops.TANH, (self,))

    def sigmoid(self) -> Tensor:
        return Tensor.apply(_ops.SIGMOID, (self,))

    def relu(self) -> Tensor:
        return Tensor.apply(_ops.RELU, (self,))

    def leaky_relu(self, slope: float = 0.01) -> Tensor:
        return Tensor.apply(_ops.LEAKY_RELU, (self,), float(slope))

    def identity(self) -> Tensor:
        return Tensor.apply(_ops.IDENTITY, (self,))

    def clip(self, low: float, high: float) -> Tensor:
        return Tensor.apply(_ops.CLIP, (self,), (float(low), float(high)))

    def bce(self, target) -> Tensor:
        """Elementwise binary cross-entropy of these probabilities against targets in [0, 1]
        (an array of the same shape): -(y ln p + (1 - y) ln(1 - p)) with logs clamped at -100;
        dL/dp = (p - y) / max(p (1 - p), 1e-12), as torch's BCELoss."""
        p = self.data
        y = target.data if isinstance(target, Tensor) else target
        if type(y) is not np.ndarray or y.dtype != np.float64:
            y = _to_array(y)
        if y.shape != p.shape:
            raise ValueError(
                f"bce target shape {y.shape} differs from {tensor_name(self)} {p.shape}"
            )
        if y.size and not (y.min() >= 0.0 and y.max() <= 1.0):
            raise ValueError("bce targets must lie in [0, 1] (and not be nan)")
        return Tensor.apply(_ops.BCE, (self,), y)

    # -- linear algebra, reductions and shapes -----------------------------------------------
    def __matmul__(self, other) -> Tensor:
        other = _operand(other, "@")
        if other is NotImplemented:
            return other
        a, b = self.data, other.data
        if a.ndim not in (1, 2) or b.ndim not in (1, 2):
            raise ValueError(
                f"@ takes 1-D or 2-D operands, got {tensor_name(self)} {a.shape} @ "
                f"{tensor_name(other)} {b.shape}"
            )
        if a.shape[-1] != b.shape[0]:
            raise ValueError(
                f"shape mismatch in @: {tensor_name(self)} {a.shape} @ {tensor_name(other)} "
                f"{b.shape} (inner sizes {a.shape[-1]} and {b.shape[0]} differ)"
            )
        return make_tensor(np.dot(a, b), (self, other), _ops.MATMUL)

    def __rmatmul__(self, other) -> Tensor:
        other = _operand(other, "@")
        return other if other is NotImplemented else other @ self

    def sum(self, axis=None, keepdims: bool = False) -> Tensor:
        return Tensor.apply(_ops.SUM, (self,), (axis, keepdims))

    def mean(self, axis=None, keepdims: bool = False) -> Tensor:
        return Tensor.apply(_ops.MEAN, (self,), (axis, keepdims))

    def reshape(self, *shape) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        x = self.data
        try:
            out = x.reshape(shape)
        except ValueError:
            raise ValueError(
                f"cannot reshape {tensor_name(self)} of shape {x.shape} ({x.size} elements) "
                f"into {shape}"
            ) from None
        return make_tensor(out, (self,), _ops.RESHAPE, shape)

    def transpose(self, *axes) -> Tensor:
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = () if axes[0] is None else tuple(axes[0])
        axes = tuple(axes) or None
        return make_tensor(self.data.transpose(axes), (self,), _ops.TRANSPOSE, axes)

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
            raise IndexError(f"{tensor_name(self)} of shape {x.shape}: {e}") from None
        return make_tensor(out, (self,), _ops.INDEX, index)

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
        summed back to each parent's shape: its record's rule on the parents' data."""
        grads = self._rule(upstream)
        if self._exact:  # no operand was broadcast: every gradient has its parent's shape
            return grads
        return tuple(
            g if g.shape == p.data.shape else unbroadcast(g, p.data.shape)
            for p, g in zip(self.parents, grads)
        )

    def _rule(self, g) -> tuple:
        return self.op.gradients(g, tuple([p.data for p in self.parents]), self.data, self.param)

    def _backprop(self) -> None:
        grads = self._rule(self.grad)
        if not self._exact:
            grads = tuple(
                g if g.shape == p.data.shape else unbroadcast(g, p.data.shape)
                for p, g in zip(self.parents, grads)
            )
        if STATE.anomaly:
            check_contributions(self, grads)
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


# -- node construction --------------------------------------------------------------------------
_new = object.__new__


_BROADCASTING = frozenset({"+", "-", "*", "/", "**"})


def make_tensor(data: np.ndarray, parents: tuple, op: Op, param=None) -> Tensor:
    """An op's output node (no input checks: ``data`` is already its float64 result); the
    op records that build Tensors directly (``@``, reshapes, convolution) end here."""
    out = _new(Tensor)
    # Only elementwise binary ops broadcast; elsewhere each vjp returns its parent's shape.
    out._exact = op not in _BROADCASTING or all(p.data.shape == data.shape for p in parents)
    out.data = data
    out.grad = None
    out.label = ""
    out.id = next(node_ids)
    out.scope = STATE.scope
    out.param = param
    if STATE.grad_enabled:
        out.parents, out.op = parents, op
    else:
        out.parents, out.op = (), ""
        out.grad = np.zeros_like(data)
    if STATE.anomaly and not np.all(np.isfinite(data)):
        raise AnomalyError(anomaly_message(op, data, parents))
    return out


def _elementwise(op: Op, a: Tensor, b: Tensor) -> Tensor:
    """A binary elementwise op, with an error naming both shapes when they do not broadcast."""
    try:
        out = op.array((a.data, b.data), None)
    except ValueError:
        raise ValueError(
            f"shapes do not broadcast in {op}: {tensor_name(a)} {a.shape} and "
            f"{tensor_name(b)} {b.shape}"
        ) from None
    return make_tensor(out, (a, b), op)


def concatenate(tensors, axis: int = 0) -> Tensor:
    """Join tensors along an existing axis; each gets its own slice of the gradient."""
    tensors = _tensor_list(tensors, "concatenate")
    try:
        out = np.concatenate([t.data for t in tensors], axis=axis)
    except ValueError as e:
        shapes = ", ".join(f"{tensor_name(t)} {t.shape}" for t in tensors)
        raise ValueError(f"cannot concatenate along axis {axis}: {shapes} ({e})") from None
    return make_tensor(out, tuple(tensors), _ops.CONCATENATE, axis)


def stack(tensors, axis: int = 0) -> Tensor:
    """Join same-shape tensors along a new axis."""
    tensors = _tensor_list(tensors, "stack")
    try:
        out = np.stack([t.data for t in tensors], axis=axis)
    except ValueError as e:
        shapes = ", ".join(f"{tensor_name(t)} {t.shape}" for t in tensors)
        raise ValueError(f"cannot stack {shapes}: {e}") from None
    return make_tensor(out, tuple(tensors), _ops.STACK, axis)


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


def tensor_name(t: Tensor) -> str:
    """How an error message names a tensor: its label, else "a constant" or "a tensor"."""
    return repr(t.label) if t.label else ("a constant" if t.op == "const" else "a tensor")


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
