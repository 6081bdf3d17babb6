"""The graph core shared by every node type.

A node (``Value`` or ``Tensor``) records the result of one operation:

- ``data``: the forward result;
- ``grad``: d(root)/d(node), filled in by ``backward``;
- ``parents``: the operands, a tuple in argument order (empty for a leaf);
- ``op``: a short name of the operation (``"*"``, ``"sigmoid"``; ``""`` for a leaf);
- ``label``: a name given by the user (``"W1[0,2]"``);
- ``id``: an integer that grows in creation order, so orders and drawings are deterministic;
- ``scope``: the ``"/"``-joined names of the ``scope(...)`` blocks the node was made in;
- ``param``: the op's non-node argument (an exponent, a slope, an axis), or None.

Every tool that walks a graph (backward, stepping, drawing, counting) uses ``topological_order``,
which is iterative (no recursion limit) and deterministic (creation order).

Gradient lifecycle (as in PyTorch): ``backward`` seeds the root, recomputes every interior node's
gradient from zero, and *adds* into leaves. Calling it twice doubles leaf gradients and leaves
interior gradients as one call gives them; training loops zero the leaves between steps.
"""

from __future__ import annotations

import gc
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from operator import attrgetter

__all__ = [
    "Node",
    "AnomalyError",
    "topological_order",
    "backward",
    "no_grad",
    "is_grad_enabled",
    "scope",
    "current_scope",
    "detect_anomaly",
    "gc_paused",
    "is_anomaly_enabled",
]


class AnomalyError(FloatingPointError):
    """Raised inside ``detect_anomaly()`` by the first op that produces nan or inf."""


class _State:
    """Process-wide switches read by every op. One instance; attributes, not globals, so tests
    and context managers restore them the same way."""

    grad_enabled: bool = True
    anomaly: bool = False
    scope: str = ""
    differentiating: bool = False  # a derivative rule is running on nodes (ops.differentiating)


STATE = _State()
_ids = itertools.count()


def next_id() -> int:
    return next(_ids)


class Node:
    """Base of ``Value`` and ``Tensor``: the slots every graph tool relies on.

    Subclasses provide ``_seed_grad``, ``_zero_grad`` and ``_backprop`` (push ``self.grad`` into the
    parents' gradients), ``local_grads`` (the contributions ``_backprop`` would add, returned
    rather than applied) and ``_apply`` (add given contributions): stepping uses the last two."""

    __slots__ = ("data", "grad", "parents", "op", "label", "id", "scope", "param")

    def backward(self, grad=None) -> None:
        """Back-propagate from this node; see ``autograd.graph.backward``."""
        backward(self, grad)

    def is_leaf(self) -> bool:
        return not self.parents

    # The hooks below are implemented by Value and Tensor.
    def _seed_grad(self, grad) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _zero_grad(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _backprop(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def _backprop_all(nodes) -> None:
        """``_backprop`` of each node in turn (a graph holds one node type: its root's)."""
        for node in nodes:
            node._backprop()

    def local_grads(self, upstream) -> tuple:  # pragma: no cover - abstract
        raise NotImplementedError

    def _apply(self, contributions) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


def topological_order(root: Node, interior_only: bool = False) -> list[Node]:
    """Every node ``root`` depends on, each after all of its parents, ending with ``root``.

    An op's operands exist before its result does, so ids (given in creation order) already
    sort the graph: collect what ``root`` reaches with an explicit stack (no recursion, any
    depth), then sort by id. The order is the program's own order and the same on every run.
    A node reached twice (``a + a``, diamonds) appears once. ``interior_only`` leaves out the
    leaves (what backward needs: a leaf only receives), which for a sum over a million inputs
    saves collecting and sorting them."""
    seen = {root}
    stack = [root]
    pop, push, mark = stack.pop, stack.append, seen.add
    if interior_only:
        while stack:
            for parent in pop().parents:
                if parent.parents and parent not in seen:
                    mark(parent)
                    push(parent)
        if not root.parents:
            seen.discard(root)
    else:
        while stack:
            for parent in pop().parents:
                if parent not in seen:
                    mark(parent)
                    push(parent)
    return sorted(seen, key=_by_id)


_by_id = attrgetter("id")


def prepare_backward(root: Node, grad=None) -> list[Node]:
    """The first half of ``backward``: the op nodes in topological order, their gradients
    reset, the root seeded. Returns those op nodes."""
    if not STATE.grad_enabled:
        raise RuntimeError(
            "backward() called inside no_grad(): nodes made there record no graph; "
            "leave the no_grad() block first"
        )
    order = topological_order(root, interior_only=True)
    for node in order:
        node.grad = node._zero  # (a class attribute: 0.0 for Value, None for Tensor)
    root._seed_grad(grad)
    return order


def backward(root: Node, grad=None) -> None:
    """Fill ``grad`` of every node ``root`` depends on with d(root)/d(node).

    ``grad`` is the upstream gradient for the root: 1 by default, which needs a one-element root;
    any other Tensor root needs ``grad`` of its shape. Interior gradients are recomputed from zero;
    leaf gradients are added to."""
    with gc_paused():  # the walk makes no cycles; see gc_paused
        type(root)._backprop_all(reversed(prepare_backward(root, grad)))


def is_grad_enabled() -> bool:
    return STATE.grad_enabled


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block, operations compute values but record no parents (every result is a
    leaf), as ``torch.no_grad`` does. gradcheck's perturbed evaluations and optimizers use it."""
    previous = STATE.grad_enabled
    STATE.grad_enabled = False
    try:
        yield
    finally:
        STATE.grad_enabled = previous


def current_scope() -> str:
    return STATE.scope


class scope:  # noqa: N801 - used like a function: ``with scope("layer1"):``
    """Tag every node made inside with ``name``; nested scopes join with ``"/"``
    (``scope("layer1")`` then ``scope("neuron2")`` gives ``"layer1/neuron2"``).
    A class rather than a generator: networks enter one per layer and per neuron."""

    __slots__ = ("name", "previous")

    def __init__(self, name: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"scope name must be a str, got {type(name).__name__}")
        name = name.strip("/")
        if not name:
            raise ValueError("scope name must be a non-empty string")
        self.name = name

    def __enter__(self) -> str:
        self.previous = previous = STATE.scope
        STATE.scope = f"{previous}/{self.name}" if previous else self.name
        return STATE.scope

    def __exit__(self, *exc) -> None:
        STATE.scope = self.previous


class gc_paused:  # noqa: N801 - used like a function: ``with gc_paused():``
    """Pause Python's cyclic garbage collector inside the block (restored on exit, also on
    errors). The engine's nodes hold no reference cycles (no closures, parents are plain
    tuples), so they are freed by reference counting alone and the collector finds nothing in
    them; but every few hundred new nodes it would walk all young objects, which for a graph
    of thousands of nodes costs about twice the work itself. Networks build and walk their
    graphs inside this block; use it around large hand-built graphs too."""

    __slots__ = ("was_enabled",)

    def __enter__(self) -> None:
        self.was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc) -> None:
        if self.was_enabled:
            gc.enable()


def is_anomaly_enabled() -> bool:
    return STATE.anomaly


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Inside this block, the first op whose result (or, during backward, whose gradient
    contribution) holds nan or inf raises ``AnomalyError`` naming the op, its label and inputs.
    Outside it, ops follow IEEE arithmetic (``log(0) = -inf``, ``log(-1) = nan``)."""
    previous = STATE.anomaly
    STATE.anomaly = True
    try:
        yield
    finally:
        STATE.anomaly = previous
