"""Step through a backward (or forward) pass one node at a time.

``backward_steps(root)`` walks the same reverse topological order as ``backward`` and yields a
``Step`` per op node: its upstream gradient dL/d(node) and, per parent, the local derivative and
the contribution added to that parent's gradient. Each step's contributions are applied before it
is yielded, so running the iterator to the end leaves exactly the gradients ``backward`` gives.

    >>> from autograd import Value, backward_steps
    >>> a, b = Value(2.0, label="a"), Value(3.0, label="b")
    >>> c = a * b; c.label = "c"
    >>> for step in backward_steps(c):
    ...     print(step)
    dc/da += dc/dc * b = 1 * 3 = 3
    dc/db += dc/dc * a = 1 * 2 = 2
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..checks.gradcheck import GradcheckReport
from ..checks.tolerance import Tolerance
from ..graph import (
    Node,
    format_number,
    is_infix,
    node_names,
    prepare_backward,
    topological_order,
)
from .display import html_table, printable

__all__ = [
    "Step",
    "ForwardStep",
    "backward_steps",
    "bracketed",
    "forward_steps",
    "node_names",
    "shown_names",
]


def shown_names(order: list[Node]) -> dict[int, str]:
    """``graph.node_names`` as the views show them: control characters, non-characters and
    lone surrogates in labels escaped (``display.printable``), so any label can be drawn,
    saved and printed."""
    return {k: printable(name) for k, name in node_names(order).items()}


_ONE_TOKEN = re.compile(r"-?[\w.#\[\],']+")  # x1, W1[0,2], -1.5, op#3, a'
_CALL = re.compile(r"[\w.]*\(")  # "(" or "sigmoid(" opening a name


def bracketed(name: str) -> str:
    """A name as one term of a formula: as it is when it is one token (``x1``, ``W1[0,2]``,
    ``-1.5``) or already wrapped whole (``(x*w)``, ``sigmoid(z)``), else in brackets, so
    ``do/d(x1*w1 + x2*w2)`` reads as one derivative."""
    if _ONE_TOKEN.fullmatch(name) or _wrapped(name):
        return name
    return f"({name})"


def _wrapped(name: str) -> bool:
    """Whether the name's first opening bracket closes at its very end."""
    start = _CALL.match(name)
    if start is None or not name.endswith(")"):
        return False
    depth = 0
    for i in range(start.end() - 1, len(name)):
        depth += {"(": 1, ")": -1}.get(name[i], 0)
        if depth == 0:
            return i == len(name) - 1
    return False


@dataclass
class Step:
    """One node's part of the backward pass."""

    node: Node
    index: int  # 0-based among the steps of this pass
    total: int
    upstream: object  # dL/d(node), a float or an array
    local: tuple  # d(node)/d(parent) per parent (floats for Value; None for Tensor ops)
    contributions: tuple  # what was added to each parent's grad
    root_name: str
    names: dict

    @property
    def parents(self) -> tuple:
        return self.node.parents

    def _name(self, node: Node) -> str:
        return self.names[id(node)]

    def _term(self, node: Node) -> str:
        """The node's name as one term of a formula (``bracketed``)."""
        return bracketed(self.names[id(node)])

    def lines(self) -> list[str]:
        """One chain-rule line per parent, e.g.
        ``dL/dz1[0] += dL/da1[0] * dsigmoid/dz = 0.12 * 0.25 = 0.03``; a name of several tokens
        in brackets (``do/d(x1*w1 + x2*w2)``)."""
        L, me, out = bracketed(self.root_name), self._term(self.node), []
        names = [self._term(p) for p in self.node.parents]  # once: a dot op has many parents
        for i, (parent, c) in enumerate(zip(self.node.parents, self.contributions)):
            if parent.op == "const" and not parent.parents:
                continue  # constants get gradients too, but no one asks for them
            p = names[i]
            if self.local is not None:
                local_name = self._local_name(i, names)
                out.append(
                    f"d{L}/d{p} += d{L}/d{me} * {local_name} = "
                    f"{format_number(self.upstream)} * {format_number(self.local[i])} = "
                    f"{format_number(c)}"
                )
            else:
                out.append(f"d{L}/d{p} += vjp_{self.node.op}(d{L}/d{me}) = {format_number(c)}")
        return out

    def _local_name(self, i: int, names: list[str]) -> str:
        """What the chain-rule line calls d(node)/d(parent i) (``names``: the parents'): the op
        record says when it is a name of its own (``b`` for d(a*b)/da, ``1`` for a sum), else
        ``dz/dx``."""
        text = getattr(self.node.op, "local_text", None)
        if text is not None:
            return text(names, i)
        return f"d{self._term(self.node)}/d{names[i]}"

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __repr__(self) -> str:
        return f"<Step {self.index + 1}/{self.total}: {self._name(self.node)} ({self.node.op})>"

    def _repr_html_(self) -> str:
        rows = []
        for i, (parent, c) in enumerate(zip(self.node.parents, self.contributions)):
            local = self.local[i] if self.local is not None else "vjp"
            rows.append([self._name(parent), self.upstream, local, c, parent.grad])
        caption = (
            f"step {self.index + 1}/{self.total}: {self._name(self.node)} = "
            f"{self.node.op}(...), d{bracketed(self.root_name)}/d{self._term(self.node)} = "
            f"{format_number(self.upstream)}"
        )
        return html_table(
            ["parent", "upstream", "local derivative", "contribution", "parent grad now"],
            rows,
            caption=caption,
        )

    def check(self, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3) -> GradcheckReport:
        """Compare this op's stored local derivatives with central differences of the op alone
        (re-run from its forward table). For Tensor ops, the contribution is checked along a
        seeded random direction: <upstream, (f(x + eps v) - f(x - eps v)) / 2 eps> against
        <contribution, v>."""
        from ..tensor import Tensor

        tolerance = Tolerance(eps, atol, rtol)
        node = self.node
        # the node's own record: a user op redefined later is still checked as it was made
        forward = getattr(node.op, "array" if isinstance(node, Tensor) else "scalar", None)
        if forward is None:
            raise ValueError(f"op {node.op!r} has no forward function registered; cannot check")
        datas = [p.data for p in node.parents]
        rows = []
        rng = np.random.default_rng(0)
        for i, parent in enumerate(node.parents):
            label = f"d{self._name(node)}/d{self._name(parent)}"
            tensor = isinstance(node, Tensor)
            direction = rng.standard_normal(np.shape(datas[i])) if tensor else 1.0

            def moved(h, i=i, direction=direction):
                args = list(datas)
                args[i] = datas[i] + h * direction
                return np.asarray(forward(args, node.param))

            diff = tolerance.central_difference(moved)
            if tensor:
                numeric = float(np.sum(np.asarray(self.upstream) * diff))
                analytic = float(np.sum(self.contributions[i] * direction))
            else:
                numeric, analytic = float(diff), float(node._local[i])
            rows.append(tolerance.row(label, analytic, numeric))
        return GradcheckReport(rows, tolerance, what=f"step {self.index + 1} check")


def backward_steps(root: Node, grad=None) -> Iterator[Step]:
    """Yield one ``Step`` per op node in reverse topological order, applying each as it goes.
    Exhausting it gives every node the gradient ``backward()`` gives (same lifecycle: interior
    gradients start from zero, leaves are added to)."""
    work = list(reversed(prepare_backward(root, grad)))
    names = shown_names(topological_order(root))
    root_name = printable(root.label) or "L"
    for index, node in enumerate(work):
        upstream = node.grad
        contributions = node.local_grads(upstream)
        local = getattr(node, "_local", None)
        node._apply(contributions)
        yield Step(node, index, len(work), _copy(upstream), local, contributions, root_name, names)


def _copy(x):
    return x.copy() if isinstance(x, np.ndarray) else x


@dataclass
class ForwardStep:
    node: Node
    index: int
    total: int
    names: dict

    def __str__(self) -> str:
        node, names = self.node, self.names
        me = names[id(node)]
        value = format_number(node.data)
        if not node.parents:
            kind = {"const": "constant", "input": "input"}.get(node.op, "leaf")
            return f"{me} = {value}   ({kind})"
        args = [names[id(p)] for p in node.parents]
        vals = [format_number(p.data) for p in node.parents]
        if is_infix(node.op) and len(args) == 2:
            args = [bracketed(a) for a in args]  # n = (x1*w1 + x2*w2) + b
            return f"{me} = {args[0]} {node.op} {args[1]} = {vals[0]} {node.op} {vals[1]} = {value}"
        if node.op == "**" and len(args) == 1:
            args = [bracketed(args[0])]
            return (
                f"{me} = {args[0]} ** {format_number(node.param)} = {vals[0]} ** "
                f"{format_number(node.param)} = {value}"
            )
        if len(args) > 4:
            return f"{me} = {node.op}({', '.join(args[:3])}, ... {len(args)} inputs) = {value}"
        return f"{me} = {node.op}({', '.join(args)}) = {node.op}({', '.join(vals)}) = {value}"

    __repr__ = __str__


def forward_steps(root: Node, include_leaves: bool = False) -> Iterator[ForwardStep]:
    """The forward pass in topological order as a text trace (``b = sin(a) = 0.84``)."""
    order = topological_order(root)
    names = shown_names(order)
    nodes = [n for n in order if include_leaves or n.parents]
    for index, node in enumerate(nodes):
        yield ForwardStep(node, index, len(nodes), names)
