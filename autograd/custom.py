"""User-defined ops: the same kind of node as the built-ins, so every tool serves them.

``define_op(name, forward, local_grads)`` makes a Value op from its forward and d(out)/d(x_i) for
each input, the way the built-ins are written; ``define_tensor_op(name, forward, vjp)`` makes a
Tensor op from an array forward and its vector-Jacobian product. Both go through the same door as
the built-ins: one record in ``autograd.ops.OPS`` that every tool reads (``step.check()`` re-runs
the node's own record, drawing and steps show its name), and both check what the user's
functions return, naming the op in every error.

Written with operators and the generic functions of ``autograd.ops`` (``exp``, ``log``, ``tanh``,
``sigmoid``, ``div``, ...), a derivative works on numbers and on nodes alike, so the op is
differentiable to any order (``grad(..., create_graph=True)``). One that only works on numbers
(``math.exp(x)``) still gives first derivatives; asked for a graph it raises ``CustomOpError``
saying how to write it.

    >>> import math
    >>> from autograd import Value, define_op
    >>> softplus = define_op(
    ...     "softplus",
    ...     forward=lambda x: math.log1p(math.exp(x)),
    ...     local_grads=lambda x, out: (1 / (1 + math.exp(-x)),),  # d/dx softplus = sigmoid(x)
    ... )
    >>> y = softplus(Value(0.0, label="x"))
    >>> y.op, round(y.data, 6), y.local_derivatives
    ('softplus', 0.693147, (0.5,))
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import ops
from .graph import Node
from .numeric import is_number
from .tensor import Tensor
from .value import Value, as_value

__all__ = ["define_op", "define_tensor_op", "CustomOpError", "ValueOp", "TensorOp"]


def is_builtin(name: str) -> bool:
    """True for an op name the engine itself uses (its ops and the roles of leaves)."""
    return name in ops.LEAF_ROLES or (name in ops.OPS and not ops.OPS[name].user)


HOW_TO_NEST = (
    "write the derivative with operators and autograd.ops functions (exp, log, tanh, sigmoid, "
    "div, ...), which take numbers and nodes alike, instead of math/numpy functions of numbers"
)


class CustomOpError(RuntimeError):
    """A user-defined op's function raised, or returned the wrong count, shape or type."""


def _check_name(name) -> str:
    if not isinstance(name, str) or not name.strip():
        raise TypeError(f"an op's name must be a non-empty string, got {name!r}")
    if is_builtin(name):
        raise ValueError(
            f"op name {name!r} is a built-in op of gradstep; choose another name "
            f"(e.g. {name + '_mine'!r})"
        )
    if not name.isidentifier():
        raise ValueError(
            f"an op's name must be a plain identifier (letters, digits, _), got {name!r:.60}: "
            "it is shown in steps, drawings and pages"
        )
    return name


def _check_callable(what: str, fn, name: str) -> None:
    if not callable(fn):
        raise TypeError(f"op {name!r}: {what} must be callable, got {type(fn).__name__}")


def _define(kind, name, forward, derivative, derivative_name: str):
    """Check and make an op, registered as one record like every built-in."""
    name = _check_name(name)
    _check_callable("forward", forward, name)
    _check_callable(derivative_name, derivative, name)
    return kind(name, forward, derivative)


def _as_graph(name: str, rule, *args):
    """The user's derivative run on nodes: a rule that only works on numbers is named."""
    try:
        return ops.differentiating(rule, *args)
    except CustomOpError:
        raise
    except Exception as e:
        raise CustomOpError(
            f"op {name!r}: its derivative works on numbers only, so it cannot be differentiated "
            f"again ({type(e).__name__}: {e}); {HOW_TO_NEST}"
        ) from e


class ValueOp:
    """A user-defined Value op (what ``define_op`` returns): call it with Values or numbers."""

    kind = "value"

    def __init__(self, name: str, forward: Callable, local_grads: Callable) -> None:
        self.name = name
        self.forward = forward
        self.local_grads = local_grads
        self.__doc__ = getattr(forward, "__doc__", None) or f"user-defined op {name!r}"
        self.record = ops.define(
            name,
            scalar=lambda xs, p: self._run_forward(tuple(xs)),
            local=lambda xs, out, p: self._run_local_grads(tuple(xs), out),
            user=True,
            doc=self.__doc__,
        )

    def __call__(self, *args) -> Value:
        if not args:
            raise TypeError(f"op {self.name!r} needs at least one input")
        parents = tuple(_input_value(a, self.name, i) for i, a in enumerate(args))
        return Value.apply(self.record, parents)

    def _run_forward(self, xs: tuple) -> float:
        try:
            out = self.forward(*xs)
        except Exception as e:
            raise CustomOpError(
                f"op {self.name!r}: forward{xs} raised {type(e).__name__}: {e}"
            ) from e
        if not is_number(out):
            raise CustomOpError(
                f"op {self.name!r}: forward must return a real number, got "
                f"{type(out).__name__}: {out!r:.60}"
            )
        return float(out)

    def _run_local_grads(self, xs: tuple, out) -> tuple:
        if ops.any_node(*xs):  # the derivative as a graph (grad(..., create_graph=True))
            local = _as_graph(self.name, self.local_grads, *xs, out)
            return self._checked_local(xs, local, nodes=True)
        try:
            local = self.local_grads(*xs, out)
        except Exception as e:
            raise CustomOpError(
                f"op {self.name!r}: local_grads{(*xs, out)} raised {type(e).__name__}: {e}"
            ) from e
        return self._checked_local(xs, local, nodes=False)

    def _checked_local(self, xs: tuple, local, nodes: bool) -> tuple:
        if len(xs) == 1 and (is_number(local) or isinstance(local, Value)):
            local = (local,)  # a unary op may return its one derivative bare
        if not isinstance(local, (tuple, list)) or len(local) != len(xs):
            got = f"{len(local)} values" if isinstance(local, (tuple, list)) else repr(local)
            raise CustomOpError(
                f"op {self.name!r}: local_grads must return one derivative per input "
                f"({len(xs)}), got {got}"
            )
        for i, d in enumerate(local):
            if not (is_number(d) or (nodes and isinstance(d, Value))):
                raise CustomOpError(
                    f"op {self.name!r}: local_grads returned {type(d).__name__} {d!r:.40} "
                    f"for input {i}; expected a real number"
                )
        return tuple(d if isinstance(d, Value) else float(d) for d in local)

    def __repr__(self) -> str:
        return f"<Value op {self.name!r}>"


def _input_value(x, name: str, i: int) -> Value:
    """Input ``i`` of user op ``name`` as a Value (``value.as_value``), else a named error."""
    out = as_value(x)
    if out is NotImplemented:
        raise TypeError(
            f"op {name!r}: input {i} must be a Value or a number, got {type(x).__name__}"
        )
    return out


def define_op(
    name: str,
    forward: Callable[..., float],
    local_grads: Callable[..., tuple],
) -> ValueOp:
    """A new Value op named ``name``.

    ``forward(*xs) -> float`` computes the result from the inputs' floats; ``local_grads(*xs,
    out) -> tuple`` gives d(out)/d(x_i) for each input as numbers (a unary op may return a bare
    number). The returned function takes Values (and plain numbers, made constants) and returns
    a Value whose ``op`` is ``name``: drawing, ``backward_steps``, ``step.check()``,
    ``gradcheck``, ``check_op``, ``detect_anomaly``, ``no_grad`` and scopes treat it like any
    built-in. A name the engine uses is refused; defining the same name again replaces it (nodes
    made before keep the op they were made with). Written with operators and ``autograd.ops``
    functions, ``local_grads`` also runs on Values, and the op is differentiable to any order."""
    return _define(ValueOp, name, forward, local_grads, "local_grads")


# -- Tensor ops -----------------------------------------------------------------------------------
class TensorOp:
    """A user-defined Tensor op (what ``define_tensor_op`` returns)."""

    kind = "tensor"

    def __init__(self, name: str, forward: Callable, vjp: Callable) -> None:
        self.name, self.forward, self.vjp = name, forward, vjp
        self.record = ops.define(
            name,
            array=lambda xs, p: self._run_forward(tuple(xs)),
            vjp=lambda g, xs, out, p: self._run_vjp(g, tuple(xs), out),
            user=True,
            doc=getattr(forward, "__doc__", None) or f"user-defined op {name!r}",
        )

    def __call__(self, *args) -> Tensor:
        if not args:
            raise TypeError(f"op {self.name!r} needs at least one input")
        parents = tuple(_input_tensor(a, self.name, i) for i, a in enumerate(args))
        return Tensor.apply(self.record, parents)

    def _run_forward(self, arrays: tuple) -> np.ndarray:
        try:
            out = self.forward(*arrays)
        except Exception as e:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise CustomOpError(
                f"op {self.name!r}: forward on shapes ({shapes}) raised {type(e).__name__}: {e}"
            ) from e
        try:
            out = np.asarray(out, dtype=np.float64)
        except (TypeError, ValueError):
            raise CustomOpError(
                f"op {self.name!r}: forward must return an array of numbers, got "
                f"{type(out).__name__}"
            ) from None
        return out

    def _run_vjp(self, g, arrays: tuple, out) -> tuple:
        nodes = ops.any_node(g, *arrays)
        if nodes:
            grads = _as_graph(self.name, self.vjp, g, *arrays, out)
        else:
            try:
                grads = self.vjp(g, *arrays, out)
            except Exception as e:
                raise CustomOpError(f"op {self.name!r}: vjp raised {type(e).__name__}: {e}") from e
        if len(arrays) == 1 and isinstance(grads, (np.ndarray, Tensor)):
            grads = (grads,)  # a unary op may return its one gradient bare
        if not isinstance(grads, (tuple, list)) or len(grads) != len(arrays):
            got = f"{len(grads)} gradients" if isinstance(grads, (tuple, list)) else repr(grads)
            raise CustomOpError(
                f"op {self.name!r}: vjp must return one gradient per input ({len(arrays)}), "
                f"got {got:.80}"
            )
        return tuple(
            self._checked_grad(i, grad, x, nodes) for i, (grad, x) in enumerate(zip(grads, arrays))
        )

    def _checked_grad(self, i: int, grad, x, nodes: bool):
        if not (nodes and isinstance(grad, Tensor)):
            try:
                grad = np.asarray(grad, dtype=np.float64)
            except (TypeError, ValueError):
                raise CustomOpError(
                    f"op {self.name!r}: vjp returned {type(grad).__name__} for input {i}; "
                    "expected an array of numbers"
                ) from None
        if grad.shape != x.shape:
            raise CustomOpError(
                f"op {self.name!r}: vjp returned a gradient of shape {grad.shape} for "
                f"input {i}, whose shape is {x.shape}"
            )
        return grad

    def __repr__(self) -> str:
        return f"<Tensor op {self.name!r}>"


def _input_tensor(x, name: str, i: int) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if isinstance(x, Node):
        raise TypeError(f"op {name!r}: input {i} is a {type(x).__name__}; Tensor ops take Tensors")
    try:
        return Tensor.constant(x)
    except (TypeError, ValueError):
        raise TypeError(
            f"op {name!r}: input {i} must be a Tensor, an array or a number, got {type(x).__name__}"
        ) from None


def define_tensor_op(
    name: str,
    forward: Callable[..., np.ndarray],
    vjp: Callable[..., tuple],
) -> TensorOp:
    """A new Tensor op named ``name``.

    ``forward(*arrays) -> array`` computes the result; ``vjp(grad_out, *arrays, out) -> tuple``
    returns, for each input, the gradient of the root with respect to it given ``grad_out`` (the
    root's gradient with respect to ``out``), each of its input's shape: a wrong count, shape or
    type is a ``CustomOpError`` at backward time naming the op (and both shapes)."""
    return _define(TensorOp, name, forward, vjp, "vjp")
