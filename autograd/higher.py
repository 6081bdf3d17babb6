"""Derivatives of derivatives: the backward pass as a graph of its own.

``grad(output, inputs)`` walks the same reverse topological order as ``backward`` but keeps the
gradients to itself (no node's ``.grad`` changes). With ``create_graph=True`` it runs each op's
derivative rule (its record in ``autograd.ops``) on the nodes themselves instead of on their
numbers, so every gradient it returns is a node built from the engine's own ops, in scope
``backward``: draw it, step through it, differentiate it again, to any order.

    >>> from autograd import Value, grad
    >>> x = Value(3.0, label="x")
    >>> (dy,) = grad(x**3, [x], create_graph=True)     # 3 x^2, a node
    >>> (d2y,) = grad(dy, [x])                          # 6 x
    >>> dy.data, d2y
    (27.0, 18.0)

``hessian(f, inputs)`` and ``hvp(f, inputs, vectors)`` are built on it (and, among the checks,
``autograd.checks.gradcheck.gradgradcheck``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext

import numpy as np

from . import ops
from .graph import Node, node_names, scope, topological_order
from .numeric import is_number
from .tensor import Tensor
from .value import Value

__all__ = ["grad", "hessian", "hvp", "node_list", "scalar_output"]


# -- argument checks ------------------------------------------------------------------------------
def node_list(inputs, what: str) -> list[Node]:
    """``inputs`` (a node or a sequence of nodes) as a list of nodes; else a TypeError that
    names the function ``what`` and the offending input."""
    if isinstance(inputs, Node):
        return [inputs]
    try:
        inputs = list(inputs)
    except TypeError:
        raise TypeError(
            f"{what} takes a node or a sequence of nodes, got {type(inputs).__name__}"
        ) from None
    for i, x in enumerate(inputs):
        if not isinstance(x, Node):
            raise TypeError(f"{what}'s inputs must be Value or Tensor nodes; input {i} is "
                            f"{type(x).__name__}")  # fmt: skip
    return inputs


def _seed(output: Node, grad_output, create_graph: bool):
    """The upstream gradient of ``output``: 1 for a one-element output, else ``grad_output``."""
    if isinstance(output, Value):
        if grad_output is None:
            g = 1.0
        elif isinstance(grad_output, Value):
            return grad_output if create_graph else grad_output.data
        elif is_number(grad_output):
            g = float(grad_output)
        else:
            raise TypeError(
                f"grad_output must be a number for a Value output, got {type(grad_output).__name__}"
            )
        return Value.constant(g) if create_graph else g
    shape = output.shape
    if grad_output is None:
        if output.size != 1:
            raise ValueError(
                f"grad of an output of shape {shape} needs grad_output= of that shape (the "
                "upstream gradient); or take .sum() first"
            )
        g = np.ones(shape)
    elif isinstance(grad_output, Tensor):
        if grad_output.shape != shape:
            raise ValueError(f"grad_output has shape {grad_output.shape}; the output {shape}")
        return grad_output if create_graph else grad_output.data
    else:
        g = np.asarray(grad_output, dtype=np.float64)
        if g.shape != shape:
            raise ValueError(f"grad_output has shape {g.shape}; the output {shape}")
    return Tensor.constant(g) if create_graph else g


def _zero(node: Node, create_graph: bool):
    if isinstance(node, Value):
        return Value.constant(0.0) if create_graph else 0.0
    zeros = np.zeros(node.shape)
    return Tensor.constant(zeros) if create_graph else zeros


# -- one node's contributions ---------------------------------------------------------------------
def _graph_contributions(node: Node, g) -> tuple:
    """Each parent's share of the gradient as nodes: the op's rule run on the nodes themselves.
    A share that is exactly 0 is None (nothing to add)."""
    op = node.op
    if not isinstance(op, ops.Op):
        raise TypeError(f"node {node.label or node.id} was made by {op!r}, which is not an op "
                        "record; it cannot be differentiated as a graph")  # fmt: skip
    parents = node.parents
    if isinstance(node, Value) or op.vjp is None:
        local = ops.differentiating(op.local, parents, node, node.param)
        shares = tuple(None if _is_zero(d) else ops.times(g, d) for d in local)
    else:
        shares = ops.differentiating(op.vjp, g, parents, node, node.param)
    if isinstance(node, Tensor):
        shares = tuple(
            s if s is None else ops.sum_to(_spread_constant(s, p), p.shape)
            for s, p in zip(shares, parents)
        )
    return shares


def _is_zero(d) -> bool:
    return type(d) is float and d == 0.0


def _spread_constant(x, like: Tensor):
    return x if isinstance(x, Tensor) else Tensor.constant(np.broadcast_to(x, like.shape))


def _number_contributions(node: Node, g) -> tuple:
    return node.local_grads(g)


def grad(
    output: Node,
    inputs: Sequence[Node] | Node,
    grad_output=None,
    create_graph: bool = False,
) -> tuple:
    """The gradients of ``output`` with respect to each of ``inputs``, as a tuple in their
    order, without touching any node's ``.grad``.

    ``grad_output`` is the upstream gradient (as in ``backward(grad=...)``): by default 1, which
    needs a one-element output. With ``create_graph=False`` each gradient is a float (a Value
    input) or a float64 array (a Tensor input); with ``create_graph=True`` it is a node made of
    the engine's own ops (in scope ``backward``, labelled ``dL/dW3[0,0]``), which can be drawn,
    stepped through and differentiated again. An input ``output`` does not depend on gets
    zero (0.0, zeros, or a constant node)."""
    if not isinstance(output, Node):
        raise TypeError(
            f"grad's output must be a Value or Tensor node, got {type(output).__name__}"
        )
    inputs = node_list(inputs, "grad")
    seed = _seed(output, grad_output, create_graph)
    order = topological_order(output)
    grads: dict[int, object] = {id(output): seed}
    share = _graph_contributions if create_graph else _number_contributions
    names = node_names(order) if create_graph else {}
    root = output.label or "L"
    root = f"({root})" if "/" in root else root  # d(dL/dx)/dx
    with scope("backward") if create_graph else nullcontext():
        for node in reversed(order):
            g = grads.get(id(node))
            if g is None or not node.parents:
                continue
            if create_graph:
                _name_gradient(g, node, root, names)
            for parent, c in zip(node.parents, share(node, g)):
                if c is None:
                    continue
                previous = grads.get(id(parent))
                grads[id(parent)] = c if previous is None else previous + c
        results = []
        for x in inputs:
            g = grads.get(id(x))
            if g is None:
                g = _zero(x, create_graph)
            elif create_graph:
                g = _own_node(g, x, root, names, results)
            results.append(g)
    return tuple(results)


def _name_gradient(g, node: Node, root: str, names: dict) -> None:
    """Label a gradient node made for ``node`` alone with what it is (``dL/dz1[0]``)."""
    if isinstance(g, Node) and g.parents and not g.label:
        g.label = f"d{root}/d{names[id(node)]}"


def _own_node(g, x: Node, root: str, names: dict, taken: list):
    """The returned gradient of input ``x`` as a node that says what it is: labelled, and not
    shared with another input's (``a + b`` gives both the same upstream node)."""
    label = f"d{root}/d{names.get(id(x), x.label or 'x')}"
    own = isinstance(g, Node) and g.parents and (not g.label or g.label == label)
    if own and not any(g is t for t in taken):
        g.label = label
        return g
    out = g.identity() if isinstance(g, Node) else g
    out.label = label
    return out


# -- built on grad --------------------------------------------------------------------------------
def scalar_output(f: Callable, inputs: list[Node], what: str) -> Node:
    """``f(*inputs)``, checked to be a one-element node (what a Hessian is taken of)."""
    out = f(*inputs)
    if not isinstance(out, Node):
        raise TypeError(f"{what}: f must return a Value or Tensor node, got {type(out).__name__}")
    if isinstance(out, Tensor) and out.size != 1:
        raise ValueError(f"{what}: f must return one element, got a tensor of shape {out.shape}")
    return out


def _flat(g) -> np.ndarray:
    return np.asarray(g, dtype=np.float64).reshape(-1)


def _elements(g: Node) -> list[Node]:
    """The elements of a gradient node, each a one-element node, in C order."""
    if isinstance(g, Value):
        return [g]
    flat = g.reshape(-1)
    return [flat[k] for k in range(g.size)]


def hessian(f: Callable[..., Node], inputs: Sequence[Node] | Node) -> np.ndarray:
    """The matrix of second derivatives of ``f(*inputs)`` (a one-element node): float64 of
    shape (N, N), N the number of elements of ``inputs`` (a Value counts 1, a Tensor its size,
    flattened in C order, inputs in order). Row i is the gradient of the i-th first
    derivative, from the graph ``grad(..., create_graph=True)`` builds."""
    inputs = node_list(inputs, "hessian")
    out = scalar_output(f, inputs, "hessian")
    first = grad(out, inputs, create_graph=True)
    rows = []
    for g in first:
        for element in _elements(g):
            second = grad(element, inputs) if element.parents else [_zero(x, False) for x in inputs]
            rows.append(np.concatenate([_flat(s) for s in second]))
    return np.array(rows, dtype=np.float64).reshape(len(rows), -1)


def hvp(f: Callable[..., Node], inputs: Sequence[Node] | Node, vectors) -> tuple:
    """The Hessian of ``f(*inputs)`` times ``vectors`` (one per input, of its shape), without
    forming the Hessian: the gradient of <grad f, v>. A tuple like ``grad``'s."""
    single = isinstance(inputs, Node)
    inputs = node_list(inputs, "hvp")
    vectors = [vectors] if single else list(vectors)
    if len(vectors) != len(inputs):
        raise ValueError(f"hvp needs one vector per input: {len(inputs)} inputs, "
                         f"{len(vectors)} vectors")  # fmt: skip
    out = scalar_output(f, inputs, "hvp")
    first = grad(out, inputs, create_graph=True)
    total = None
    for x, g, v in zip(inputs, first, vectors):
        v = np.asarray(v, dtype=np.float64)
        if v.shape != np.shape(x.data):
            raise ValueError(f"hvp: a vector of shape {v.shape} for an input of shape "
                             f"{np.shape(x.data)}")  # fmt: skip
        term = g * float(v) if isinstance(g, Value) else (g * v).sum()
        total = term if total is None else total + term
    return grad(total, inputs)
