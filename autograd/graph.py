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
import html
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from operator import attrgetter

import numpy as np

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
    "node_ids",
    "check_label",
    "describe",
    "anomaly_message",
    "check_contributions",
    "element_count",
    "element",
    "set_element",
    "element_label",
    "format_number",
    "node_names",
    "node_html",
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
# Every node's ``id``: ``next(node_ids)``, read inline by the ops (a function call per node costs).
node_ids = itertools.count()


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

    def _repr_html_(self) -> str:
        """How a notebook shows a node: ``node_html``."""
        return node_html(self)


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


# -- what the ops' errors say about a node ------------------------------------------------------
def check_label(label) -> str:
    """A node's label: a str (what drawings and steps show), else a TypeError."""
    if not isinstance(label, str):
        raise TypeError(f"label must be a str, got {type(label).__name__}")
    return label


def describe(node: Node) -> str:
    """``name=data`` for an error message: the label, else ``<op #id>`` or ``<leaf #id>``."""
    name = node.label or (node.op and f"<{node.op} #{node.id}>") or f"<leaf #{node.id}>"
    data = node.data
    shown = f"{data:.6g}" if isinstance(data, float) else np.array2string(np.asarray(data))
    return f"{name}={shown}"


def anomaly_message(op: str, data, parents: tuple) -> str:
    """What ``detect_anomaly`` says when op ``op`` made a non-finite result ``data`` (a float is
    shown; an array is not, it may be large) from ``parents``."""
    inputs = ", ".join(describe(p) for p in parents)
    where = f" in scope {STATE.scope!r}" if STATE.scope else ""
    shown = f" {data!r}" if isinstance(data, float) else ""
    return f"op {op!r}{where} produced a non-finite result{shown} from inputs ({inputs})"


def check_contributions(node: Node, contributions) -> None:
    """Inside ``detect_anomaly``: raise ``AnomalyError`` if a gradient contribution of ``node``
    to one of its parents holds nan or inf."""
    for parent, c in zip(node.parents, contributions):
        if not np.all(np.isfinite(c)):
            name = node.label or f"#{node.id}"
            raise AnomalyError(
                f"backward through op {node.op!r} ({name}) gave a non-finite gradient "
                f"for its input {describe(parent)}: upstream grad {node.grad!r}"
            )


# -- element access, the same for Value (one float) and Tensor (an ndarray) ---------------------
def element_count(node: Node) -> int:
    """How many numbers ``node`` holds: 1 for a Value, the size of a Tensor."""
    return node.data.size if isinstance(node.data, np.ndarray) else 1


def element(node: Node, k: int) -> float:
    """The ``k``-th number of ``node`` (C order)."""
    return float(node.data.flat[k]) if isinstance(node.data, np.ndarray) else node.data


def set_element(node: Node, k: int, value: float) -> None:
    """Overwrite the ``k``-th number of ``node`` in place (how checks perturb an input)."""
    if isinstance(node.data, np.ndarray):
        node.data.flat[k] = value
    else:
        node.data = value


def element_label(node: Node, k: int, position: int) -> str:
    """The name of element ``k`` of input number ``position``: ``W[0,2]``, ``x``, ``input1``."""
    name = node.label or f"input{position}"
    if not isinstance(node.data, np.ndarray) or node.data.ndim == 0:
        return name
    index = np.unravel_index(k, node.data.shape)
    return f"{name}[{','.join(str(int(i)) for i in index)}]"


# -- readable names of the nodes of a graph -------------------------------------------------------
MAX_NAME = 24  # a longer expression name becomes ``op#k``


def format_number(x) -> str:
    """Short, aligned-friendly form of a number or small array."""
    if isinstance(x, bool):
        return "ok" if x else "FAIL"
    if isinstance(x, (float, int, np.floating, np.integer)):
        return f"{float(x) + 0.0:.6g}"  # + 0.0: -0.0 prints as 0
    if isinstance(x, np.ndarray):
        if x.size == 1:
            return f"{float(x.reshape(-1)[0]) + 0.0:.6g}"
        flat = ", ".join(f"{v + 0.0:.4g}" for v in x.reshape(-1)[:4])
        more = ", ..." if x.size > 4 else ""
        return f"{x.shape} [{flat}{more}]"
    return str(x)


def is_infix(op) -> bool:
    """True for an op written between its operands (``a*b``): its record says so."""
    return getattr(op, "infix", False)


def node_names(order: list[Node]) -> dict[int, str]:
    """A readable, deterministic name per node (keyed by ``id(node)``): its label; else the
    expression it computes when that is short (``(x*w)``, ``sigmoid(z)``); else ``op#k`` with k
    its position in the topological ``order``. Constants are their value."""
    names: dict[int, str] = {}
    for k, node in enumerate(order):
        if node.label:
            name = node.label
        elif node.op == "const":
            name = format_number(node.data)
        elif not node.parents:
            name = f"{node.op or 'leaf'}#{k}"
        else:
            args = [names[id(p)] for p in node.parents]
            if is_infix(node.op) and len(args) == 2:
                name = f"({args[0]}{node.op}{args[1]})"
            elif node.op == "**":
                name = f"({args[0]}**{format_number(node.param)})"
            else:
                name = f"{node.op}({', '.join(args)})"
            if len(name) > MAX_NAME:
                name = f"{getattr(node.op, 'word', node.op)}#{k}"
        names[id(node)] = name
    return names


def node_html(node: Node) -> str:
    """A one-row HTML table for a node (label, op, data, grad), its text escaped: what a notebook
    shows for a Value or Tensor, with no view module needed."""
    cells = (node.label or "-", node.op or "leaf", node.data, node.grad)
    head = "".join(f"<th>{h}</th>" for h in ("label", "op", "data", "grad"))
    row = "".join(f"<td>{html.escape(format_number(c))}</td>" for c in cells)
    return f"<table><thead><tr>{head}</tr></thead><tbody><tr>{row}</tr></tbody></table>"
