"""The drawing's layout model: which boxes, clusters, edges and rank groups a picture has.

A pure data structure, decided before any DOT is written (``dot.py`` writes it, ``stepper``
reads it to map SVG elements back to nodes):

- every kept node is drawn in a box of its own (``NodeBox``: a result also gets its op
  ellipse) or inside the box of a collapsed scope (``ScopeBox``);
- each scope (``layer1/neuron2``) is a ``Cluster`` holding its own boxes, its collapsed child
  scopes and its expanded child scopes, in natural order (``neuron2`` before ``neuron10``); a
  parameter or constant used only inside one scope is homed in it, so a neuron's weights sit in
  the neuron's box;
- rank groups: an op and the parameters only it uses share one rank (a column, in LR), and
  parallel siblings (a layer's neurons, the inputs) share a rank chained top to bottom;
- ``Edge``s from a parent's box into its consumer's op (or into a collapsed box).

Names follow the topological order (not the global ids), so the same program always gives the
same layout. What each box says is ``labels``'s.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..graph import Node, topological_order
from .steps import shown_names

__all__ = [
    "COLLAPSE",
    "Box",
    "Cluster",
    "Edge",
    "Layout",
    "NodeBox",
    "ScopeBox",
    "UnknownScopeError",
    "collapse_depth",
    "drawn_count",
    "layout",
    "natural_key",
    "role",
    "safe_id",
    "step_status",
]

COLLAPSE = {"none": None, "layer": 1, "neuron": 2}
_LISTED_SCOPES = 20  # an unknown scope's error lists this many of the graph's scopes


class UnknownScopeError(ValueError):
    """``expand`` names a scope the graph does not have; the message lists those it has."""


def role(node: Node, root: Node) -> str:
    """What a node is to the picture: output, value (an interior result), input, constant or
    parameter (any other leaf)."""
    if node is root:
        return "output"
    if node.parents:
        return "value"
    return {"const": "constant", "input": "input"}.get(node.op, "parameter")


def collapse_depth(collapse) -> int | None:
    """``None``, ``"none"``, ``"neuron"``, ``"layer"`` or a depth >= 1, as a depth."""
    if collapse is None or isinstance(collapse, int) and not isinstance(collapse, bool):
        if isinstance(collapse, int) and collapse < 1:
            raise ValueError(f"collapse depth must be at least 1, got {collapse}")
        return collapse
    if isinstance(collapse, str) and collapse in COLLAPSE:
        return COLLAPSE[collapse]
    raise ValueError(
        f"collapse must be None, a depth, or one of {', '.join(COLLAPSE)}; got {collapse!r}"
    )


def natural_key(text: str) -> list:
    """Sort key reading digit runs as numbers: ``neuron2`` before ``neuron10``."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


def safe_id(name: str) -> str:
    """A Graphviz/SVG id for a scope, injective so that ``layer-1`` and ``layer_1`` stay two
    boxes: letters and digits kept, ``/`` as ``__``, any other character as ``_x<hex>_``."""
    return "".join(
        ch if ch.isascii() and ch.isalnum() else "__" if ch == "/" else f"_x{ord(ch):x}_"
        for ch in name
    )


def _parent_scope(scope: str) -> str:
    return scope.rsplit("/", 1)[0] if "/" in scope else ""


def _prefixes(scope: str) -> list[str]:
    """``a/b/c`` -> ``a``, ``a/b``, ``a/b/c``."""
    parts = scope.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]


@dataclass(frozen=True)
class NodeBox:
    """A node drawn as a box of its own (a result also gets its op ellipse): Graphviz names
    ``n{position}`` and ``n{position}op``, ``position`` being its place in topological order."""

    position: int

    @property
    def name(self) -> str:
        return f"n{self.position}"

    @property
    def op_name(self) -> str:
        return f"n{self.position}op"


@dataclass(frozen=True)
class ScopeBox:
    """A collapsed scope (``layer1/neuron2``) drawn as one box."""

    scope: str

    @property
    def name(self) -> str:
        return "scope_" + safe_id(self.scope)

    @property
    def parent_scope(self) -> str:
        return _parent_scope(self.scope)


Box = NodeBox | ScopeBox


@dataclass(frozen=True)
class Edge:
    """The edge from ``node``'s ``index``-th parent: from the parent's box (``src``, a Graphviz
    name) into the node's op or collapsed box (``dst``). ``plain`` when both ends are nodes of
    their own (such an edge carries a chain-rule term); ``spare_rank`` when it crosses between
    top-level scopes of a graph drawn in full (one spare rank keeps graphviz-pure from stacking
    a layer's neurons in reverse order)."""

    node: Node
    index: int
    src: str
    dst: str
    plain: bool
    spare_rank: bool = False


@dataclass
class Cluster:
    """One scope's part of the picture (the top level is scope ``""``): its own boxes, its
    collapsed child scopes and its expanded child scopes, each in natural order. Rank groups:
    ``columns`` are (leaf box names, op name) sharing one rank; ``inputs`` (its input boxes)
    and ``siblings`` (its child scopes, by their collapsed box or first op) each share a rank,
    top to bottom in that order, when they are parallel (else empty)."""

    scope: str
    nodes: list[Node]
    boxes: list[ScopeBox]
    children: list[Cluster]
    columns: list[tuple[list[str], str]] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    siblings: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.scope.rsplit("/", 1)[-1]


@dataclass
class Layout:
    """What a picture holds: the nodes kept (in topological order), the box each is drawn in
    (a ``NodeBox`` of its own or the ``ScopeBox`` of a collapsed scope) and the scope each is
    clustered in (``home``). ``clusters``, ``edges`` and ``names`` are worked out when first
    asked for (counting a picture's size needs none of them)."""

    root: Node
    order: list[Node]
    nodes: list[Node]
    position: dict[int, int]
    box: dict[int, Box]
    home: dict[int, str]
    consumers: dict[int, list[Node]]
    depth: int | None = None  # the collapse depth it was laid out with
    cluster: bool = True

    @cached_property
    def names(self) -> dict[int, str]:
        """Each node's readable name as shown (``steps.shown_names``), by ``id(node)``."""
        return shown_names(self.order)

    @cached_property
    def grads_known(self) -> bool:
        """Whether a backward pass has run: the root holds a non-zero gradient (``backward``
        seeds it); before that every grad shown would be a zero nobody computed."""
        grad = self.root.grad
        return grad is not None and bool(np.any(np.asarray(grad) != 0))

    def own_box(self, node: Node) -> NodeBox | None:
        """The node's own box, or None when it is drawn inside a collapsed scope (or not at
        all)."""
        b = self.box.get(id(node))
        return b if isinstance(b, NodeBox) else None

    @cached_property
    def _members(self) -> dict[ScopeBox, list[Node]]:
        out: dict[ScopeBox, list[Node]] = {}
        for node in self.nodes:
            b = self.box[id(node)]
            if isinstance(b, ScopeBox):
                out.setdefault(b, []).append(node)
        return out

    def collapsed(self) -> dict[ScopeBox, list[Node]]:
        """Each collapsed scope's box and the nodes inside it, in topological order."""
        return dict(self._members)

    def box_outputs(self, box: ScopeBox) -> list[Node]:
        """The nodes of a collapsed box whose values leave it (or the root)."""
        return [
            n
            for n in self._members[box]
            if n is self.root or any(self.box.get(id(c)) != box for c in self.consumers[id(n)])
        ]

    def drawn(self) -> int:
        """Boxes and op ellipses the picture draws."""
        return drawn_count(self.box, self.nodes)

    @cached_property
    def clusters(self) -> Cluster:
        """The top-level cluster (scope ``""``), every scope nested inside it."""
        return _Clusters(self).build("")

    @cached_property
    def edges(self) -> list[Edge]:
        """parent -> op (or into a collapsed box), one per pair of ends, in order."""
        return _edges(self)


def drawn_count(box: dict[int, Box], nodes: list[Node]) -> int:
    """Boxes and op ellipses: one per distinct box, one more per op drawn in its own box."""
    ops = sum(1 for n in nodes if n.parents and isinstance(box[id(n)], NodeBox))
    return len(set(box.values())) + ops


def layout(root, collapse=None, expand=(), only_from=None, cluster=True) -> Layout:
    """Lay the graph behind ``root`` out: the nodes on paths from ``only_from`` (default: all),
    each in its own box or in the box of the scope it collapses into (``collapse`` a depth or
    ``"neuron"``/``"layer"``; ``expand`` names scopes drawn in full anyway, with everything
    inside them; an ``UnknownScopeError`` lists the scopes when one does not exist)."""
    order = topological_order(root)
    depth = collapse_depth(collapse)
    keep = None if only_from is None else _on_paths(order, only_from)
    if keep is not None and id(root) not in keep:
        raise ValueError("none of only_from's nodes lies on a path to the root")
    nodes = order if keep is None else [n for n in order if id(n) in keep]
    position = {id(n): i for i, n in enumerate(order)}
    consumers: dict[int, list[Node]] = {id(n): [] for n in nodes}
    for node in nodes:
        for parent in node.parents:
            if id(parent) in consumers:
                consumers[id(parent)].append(node)
    home = _homes(nodes, root, consumers) if cluster else {id(n): "" for n in nodes}
    named = _check_expand(nodes, expand)
    opened = {p for s in named for p in _prefixes(s)[:-1]}  # ancestors of a scope drawn in full
    box: dict[int, Box] = {}
    into: dict[str, ScopeBox | None] = {}  # scope -> the box it collapses into (few scopes)
    for node in nodes:
        scope = home[id(node)]
        if scope not in into:
            into[scope] = _collapsed_into(scope, depth, named, opened)
        scoped = into[scope]
        box[id(node)] = scoped if scoped is not None else NodeBox(position[id(node)])
    return Layout(root, order, nodes, position, box, home, consumers, depth, cluster)


def _collapsed_into(scope: str, depth: int | None, named: set, opened: set) -> ScopeBox | None:
    """The collapsed scope a node is drawn in: the outermost prefix of its scope at least
    ``depth`` deep that is neither named in ``expand`` (drawn in full, with all inside it) nor
    on the way to one that is; None when it keeps a box of its own."""
    if depth is None or not scope:
        return None
    for d, prefix in enumerate(_prefixes(scope), start=1):
        if prefix in named:
            return None
        if d >= depth and prefix not in opened:
            return ScopeBox(prefix)
    return None


def _check_expand(nodes: list[Node], expand) -> set[str]:
    """``expand``'s scope names, each one the graph has (else ``UnknownScopeError``)."""
    named = {expand} if isinstance(expand, str) else set(expand)
    if not named:
        return named
    known = {p for n in nodes if n.scope for p in _prefixes(n.scope)}
    unknown = sorted(named - known, key=natural_key)
    if unknown:
        scopes = sorted(known, key=natural_key)
        listed = ", ".join(scopes[:_LISTED_SCOPES])
        more = f", ... ({len(scopes)} in all)" if len(scopes) > _LISTED_SCOPES else ""
        has = f"its scopes are {listed}{more}" if scopes else "it has no scopes"
        raise UnknownScopeError(
            f"expand names {'a scope' if len(unknown) == 1 else 'scopes'} this graph does not "
            f"have: {', '.join(map(repr, unknown))}; {has}"
        )
    return named


def _on_paths(order: list[Node], sources: Iterable[Node]) -> set[int]:
    """ids of nodes on some path from a source to the root (the root's order ends the list)."""
    reach = {id(n) for n in sources}
    for node in order:
        if any(id(p) in reach for p in node.parents):
            reach.add(id(node))
    return reach


def _homes(nodes: list[Node], root: Node, consumers) -> dict[int, str]:
    """The scope each node is drawn in: its own, except that an unscoped parameter or constant
    whose users all lie in one scope moves into that scope (a neuron's weights into the
    neuron). Inputs stay outside: they feed many neurons and read as the graph's entry."""
    home = {}
    for node in nodes:
        scope = node.scope
        users = consumers[id(node)]
        if not scope and not node.parents and node.op != "input" and node is not root and users:
            scopes = {u.scope for u in users}
            if len(scopes) == 1:
                scope = scopes.pop()
        home[id(node)] = scope
    return home


def _top(scope: str) -> str:
    return scope.split("/", 1)[0]


def _edges(pic: Layout) -> list[Edge]:
    edges, seen = [], set()
    for node in pic.nodes:
        b = pic.box[id(node)]
        for i, parent in enumerate(node.parents):
            pb = pic.box.get(id(parent))
            if pb is None or (isinstance(b, ScopeBox) and pb == b):
                continue  # not drawn, or inside the same collapsed box
            dst = b.name if isinstance(b, ScopeBox) else b.op_name
            plain = isinstance(b, NodeBox) and isinstance(pb, NodeBox)
            key = (pb.name, dst, i) if plain else (pb.name, dst)
            if key in seen:
                continue
            seen.add(key)
            spare = (
                plain
                and not pic._members
                and _top(pic.home[id(parent)]) != _top(pic.home[id(node)])
            )
            edges.append(Edge(node, i, pb.name, dst, plain, spare))
    return edges


class _Clusters:
    """Builds the nested clusters of a Layout, with their rank groups."""

    def __init__(self, pic: Layout) -> None:
        self.pic = pic
        own: dict[str, list[Node]] = {}  # scope -> nodes drawn in their own boxes there
        boxes: dict[str, list[ScopeBox]] = {}  # scope -> collapsed child scopes
        for node in pic.nodes:
            b = pic.box[id(node)]
            if isinstance(b, ScopeBox):
                if b not in boxes.setdefault(b.parent_scope, []):
                    boxes[b.parent_scope].append(b)
            else:
                own.setdefault(pic.home[id(node)] if pic.cluster else "", []).append(node)
        scopes = set(own) | set(boxes)
        for scope in list(scopes):  # scopes that hold no node still cluster their children
            scopes.update(_prefixes(scope)[:-1] if scope else [])
        self.own, self.boxes = own, boxes
        self.kids: dict[str, list[str]] = {}
        for s in scopes:
            if s:
                self.kids.setdefault(_parent_scope(s), []).append(s)

    def build(self, scope: str) -> Cluster:
        pic = self.pic
        mine = self.own.get(scope, [])
        collapsed = sorted(self.boxes.get(scope, []), key=lambda b: natural_key(b.scope))
        kids = sorted(self.kids.get(scope, []), key=natural_key) if pic.cluster else []
        children = [self.build(child) for child in kids]
        columns = _columns(pic, mine) if pic.cluster and scope else []
        inputs = [(pic.own_box(n).name, {id(n)}) for n in mine if n.op == "input"]
        # collapsed scopes and expanded ones (by their first op) in this scope: one column in
        # natural order (neuron0 above neuron1, collapsed or not)
        members = pic._members
        siblings = [(b.scope, (b.name, {id(n) for n in members[b]})) for b in collapsed]
        for child in kids:
            anchor = self.anchor(child)
            if anchor is not None:
                siblings.append((child, anchor))
        siblings.sort(key=lambda item: natural_key(item[0]))
        stacked = _stack(pic, [a for _, a in siblings])
        return Cluster(scope, mine, collapsed, children, columns, _stack(pic, inputs), stacked)

    def anchor(self, scope: str):
        """A scope's first op drawn as its own box, and the ids of every node in the scope."""
        pic = self.pic
        inside = [
            n
            for n in pic.nodes
            if pic.home[id(n)] == scope or pic.home[id(n)].startswith(scope + "/")
        ]
        ops = [n for n in inside if n.parents and pic.own_box(n)]
        if not ops:
            return None
        return pic.own_box(ops[0]).op_name, {id(n) for n in inside}


def _stack(pic: Layout, items: list[tuple[str, set]]) -> list[str]:
    """Siblings that do not feed each other (a layer's neurons, the inputs) are parallel: their
    names, to share one rank in this order. Siblings that do feed each other (layers), or fewer
    than two: none (left to the ranks their edges give)."""
    if len(items) < 2:
        return []
    owner = {i: k for k, (_, ids) in enumerate(items) for i in ids}
    # which items each node depends on, through any path (layers feed the loss through the
    # layers between them: they are not parallel)
    upstream: dict[int, set[int]] = {}
    for node in pic.nodes:
        deps = set().union(*(upstream.get(id(p), ()) for p in node.parents))
        k = owner.get(id(node))
        if k is not None:
            if deps - {k}:
                return []
            deps.add(k)
        upstream[id(node)] = deps
    return [name for name, _ in items]


def _columns(pic: Layout, own: list[Node]) -> list[tuple[list[str], str]]:
    """An op and the parameters that only it uses share one rank (a column, in LR): the scope's
    parameters then take no rank of their own, so edges from the layer before reach the op
    without detouring around the scope."""
    mine = {id(n) for n in own}
    out = []
    for node in own:
        leaves = [
            p
            for p in node.parents
            if id(p) in mine
            and not p.parents
            and p.op != "input"
            and len(pic.consumers[id(p)]) == 1
        ]
        if node.parents and leaves:
            out.append(([pic.own_box(p).name for p in leaves], pic.own_box(node).op_name))
    return out


def step_status(order: list[Node], node: Node) -> dict[int, str]:
    """Each op node's state when the backward pass is at ``node``: done, current or pending."""
    work = [n for n in reversed(order) if n.parents]
    try:
        current = next(i for i, n in enumerate(work) if n is node)
    except StopIteration:
        raise ValueError("the step's node is not in this graph") from None
    return {
        id(n): "done" if i < current else "current" if i == current else "pending"
        for i, n in enumerate(work)
    }
