"""Draw the computation graph as a ``graphviz.Digraph`` (rendering lives in ``rendering``).

``draw(root)`` gives a box per Value or Tensor (label, data, grad; shape and a preview for
tensors), an ellipse per op, colours by role, left to right. What makes a network readable:

- each scope (``layer1/neuron2``) is a nested cluster, and a parameter or constant used only
  inside one scope is drawn inside it, so a neuron's weights sit in the neuron's box;
- clusters and boxes are emitted in natural order (``neuron2`` before ``neuron10``), edges keep
  their order (``ordering=out``), and parallel siblings (a layer's neurons, the inputs) share a
  rank chained top to bottom, so neurons read in index order from the top (when collapsed boxes
  sit beside expanded scopes, those constraints fight each other and dot keeps its own order);
- chain-rule edge labels only where they cannot crowd: on small graphs, or for the current step;
  elsewhere each edge carries its term as a tooltip (hover in the SVG).

Node names follow the topological order (not the global ids), so the same program always gives
the same DOT text. ``ids=True`` gives each element an SVG id carrying its node's ``id`` and a
class saying what it is (what the stepper's script finds nodes by).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ..graph import Node, topological_order
from .display import format_number
from .rendering import find_renderer, render, use_renderer
from .steps import Step, node_names

__all__ = ["draw", "render", "find_renderer", "TooManyNodesError", "COLOURS", "MAX_EDGE_LABELS"]

COLOURS = {
    "input": "#c7e9c0",  # data fed in
    "parameter": "#c6dbef",  # leaves that training changes
    "constant": "#eeeeee",  # plain numbers used in expressions
    "op": "#ffffff",
    "value": "#ffffff",  # interior results
    "output": "#fdd0a2",  # the root
    "done": "#a1d99b",  # stepping: gradient pushed to the parents
    "current": "#fd8d3c",
    "pending": "#d9d9d9",
    "highlight": "#e31a1c",
    "collapsed": "#fff7bc",
}

# More labelled edges than this and dot's labels crowd each other: they become tooltips.
MAX_EDGE_LABELS = 24


class TooManyNodesError(ValueError):
    """The graph is larger than ``max_nodes``. ``drawn`` is its size, ``fits`` the collapse
    settings that would bring it under the limit, with their sizes; ``advice(...)`` phrases
    them in the caller's own options (``draw`` has ``only_from=``, the stepper and the command
    line do not)."""

    def __init__(self, drawn: int, max_nodes: int, fits: dict[str, int], more: str) -> None:
        self.drawn, self.max_nodes, self.fits = drawn, max_nodes, fits
        super().__init__(self.advice(more))

    def advice(self, more: str, collapse: str = "collapse={!r}", limit: str = "max_nodes") -> str:
        """The message: how big, which collapse settings fit (in the caller's spelling), what
        else the caller can do."""
        tips = [f"{collapse.format(name)} gives {count}" for name, count in self.fits.items()]
        tips += [more] if more else []
        tips.append(f"or raise {limit}")
        return (
            f"the graph would draw {self.drawn} boxes and ops ({limit}={self.max_nodes}): "
            + "; ".join(tips)
        )


def role(node: Node, root: Node) -> str:
    if node is root:
        return "output"
    if node.parents:
        return "value"
    return {"const": "constant", "input": "input"}.get(node.op, "parameter")


def _preview(x) -> str:
    if x is None:
        return "None"
    if isinstance(x, np.ndarray) and x.size > 1:
        flat = " ".join(f"{v + 0.0:.3g}" for v in x.reshape(-1)[:3])
        return f"[{flat}{' ...' if x.size > 3 else ''}]"
    return f"{float(np.asarray(x).reshape(-1)[0]) + 0.0:.4f}"  # + 0.0: never "-0.0000"


def record_fields(node: Node, name: str) -> list[str]:
    """The lines of a node's box: name, shape (tensors), data, grad (data and grad always the
    last two: the stepper rewrites them by position)."""
    fields = [name]
    if isinstance(node.data, np.ndarray) and node.data.ndim:
        fields.append(f"shape {node.data.shape}")
    fields.append(data_line(node.data))
    fields.append(grad_line(node.grad))
    return fields


def line_parts(kind: str, name: str = "") -> list:
    """A box line that shows numbers, as parts: strings and number slots ``{"value": "data"}``
    / ``{"value": "grad"}``. ``kind`` is "data" or "grad" (a node's own box) or "output" (a
    collapsed box's line for its output ``name``). The stepper's script fills the same parts."""
    data, grad = {"value": "data"}, {"value": "grad"}
    parts = {
        "data": ["data ", data],
        "grad": ["grad ", grad],
        "output": [f"{name} = ", data, ", grad ", grad],
    }
    return parts[kind]


def fill_line(parts: list, values: dict[str, str]) -> str:
    """The line's text with its number slots filled from ``values`` (``{"data": ..., ...}``)."""
    return "".join(p if isinstance(p, str) else values[p["value"]] for p in parts)


def data_line(data) -> str:
    return fill_line(line_parts("data"), {"data": _preview(data)})


def grad_line(grad) -> str:
    return fill_line(line_parts("grad"), {"grad": _preview(grad)})


def _table(lines: list[str], fill: str, border: str = "#000000", width: int = 1,
           rounded: bool = False) -> str:  # fmt: skip
    """An HTML-like label: one line per row, rules between them, narrow whatever the rankdir
    (dot cannot lay out flat edges to record shapes, and ops share a rank with parameters)."""
    rows = "<hr/>".join(f"<tr><td>{html.escape(line, quote=False)}</td></tr>" for line in lines)
    style = ' style="rounded"' if rounded else ""
    return (
        f'<<table border="{width}" cellborder="0" cellspacing="0" cellpadding="3" '
        f'bgcolor="{fill}" color="{border}"{style}>{rows}</table>>'
    )


def _scope_key(scope: str, depth: int | None) -> str | None:
    """The scope prefix a node collapses into, or None when it stays a node of its own."""
    if depth is None or not scope:
        return None
    parts = scope.split("/")
    return "/".join(parts[:depth]) if len(parts) >= depth else None


_COLLAPSE = {"none": None, "layer": 1, "neuron": 2}


def collapse_depth(collapse) -> int | None:
    """``None``, ``"none"``, ``"neuron"``, ``"layer"`` or a depth >= 1, as a depth."""
    if collapse is None or isinstance(collapse, int) and not isinstance(collapse, bool):
        if isinstance(collapse, int) and collapse < 1:
            raise ValueError(f"collapse depth must be at least 1, got {collapse}")
        return collapse
    if isinstance(collapse, str) and collapse in _COLLAPSE:
        return _COLLAPSE[collapse]
    raise ValueError(
        f"collapse must be None, a depth, or one of {', '.join(_COLLAPSE)}; got {collapse!r}"
    )


def _on_paths(order: list[Node], sources: Iterable[Node]) -> set[int]:
    """ids of nodes on some path from a source to the root (the root's order ends the list)."""
    reach = {id(n) for n in sources}
    for node in order:
        if any(id(p) in reach for p in node.parents):
            reach.add(id(node))
    return reach


def _natural(text: str):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


def plain_label(text: str) -> str:
    """User text (op names, labels, scopes, titles) as a plain-text Graphviz label: never read
    as an HTML-like label (``<<table href=...>>`` would become a live link in the SVG), its
    backslashes never read as Graphviz escapes."""
    import graphviz

    return graphviz.escape(str(text))


def safe_id(name: str) -> str:
    """A Graphviz/SVG id for a scope, injective so that ``layer-1`` and ``layer_1`` stay two
    boxes: letters and digits kept, ``/`` as ``__``, any other character as ``_x<hex>_``."""
    return "".join(
        ch if ch.isascii() and ch.isalnum() else "__" if ch == "/" else f"_x{ord(ch):x}_"
        for ch in name
    )


# -- deciding what goes where ---------------------------------------------------------------------
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
        return self.scope.rsplit("/", 1)[0] if "/" in self.scope else ""


Box = NodeBox | ScopeBox


@dataclass
class Layout:
    """What ``draw`` decided before writing DOT: the nodes kept, their names, the box each is
    drawn in (a ``NodeBox`` of its own or the ``ScopeBox`` of a collapsed scope) and the scope
    each is clustered in. The stepper reads it to map SVG elements back to nodes."""

    root: Node
    order: list[Node]
    nodes: list[Node]
    names: dict[int, str]
    position: dict[int, int]
    box: dict[int, Box]
    home: dict[int, str]
    consumers: dict[int, list[Node]]
    depth: int | None = None  # the collapse depth it was laid out with

    def own_box(self, node: Node) -> NodeBox | None:
        """The node's own box, or None when it is drawn inside a collapsed scope (or not at
        all)."""
        b = self.box.get(id(node))
        return b if isinstance(b, NodeBox) else None

    def collapsed(self) -> dict[ScopeBox, list[Node]]:
        """Each collapsed scope's box and the nodes inside it, in topological order."""
        out: dict[ScopeBox, list[Node]] = {}
        for node in self.nodes:
            b = self.box[id(node)]
            if isinstance(b, ScopeBox):
                out.setdefault(b, []).append(node)
        return out

    def box_outputs(self, box: ScopeBox) -> list[Node]:
        """The nodes of a collapsed box whose values leave it (or the root)."""
        return [
            n
            for n in self.collapsed()[box]
            if n is self.root or any(self.box.get(id(c)) != box for c in self.consumers[id(n)])
        ]


def layout(root, collapse=None, expand=(), only_from=None, cluster=True) -> Layout:
    order = topological_order(root)
    names = node_names(order)
    depth = collapse_depth(collapse)
    keep = None if only_from is None else _on_paths(order, only_from)
    if keep is not None and id(root) not in keep:
        raise ValueError("none of only_from's nodes lies on a path to the root")
    nodes = [n for n in order if keep is None or id(n) in keep]
    position = {id(n): i for i, n in enumerate(order)}
    consumers: dict[int, list[Node]] = {id(n): [] for n in nodes}
    for node in nodes:
        for parent in node.parents:
            if id(parent) in consumers:
                consumers[id(parent)].append(node)
    home = _homes(nodes, root, consumers) if cluster else {id(n): "" for n in nodes}
    expanded = set(expand)
    box: dict[int, Box] = {}
    for node in nodes:
        key = _scope_key(home[id(node)], depth)
        if key is not None and key not in expanded:
            box[id(node)] = ScopeBox(key)
        else:
            box[id(node)] = NodeBox(position[id(node)])
    return Layout(root, order, nodes, names, position, box, home, consumers, depth)


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


# -- the picture ----------------------------------------------------------------------------------
def draw(
    root: Node,
    *,
    step: Step | None = None,
    cluster: bool = True,
    collapse: str | int | None = None,
    max_nodes: int = 400,
    expand: Iterable[str] = (),
    highlight: Iterable[Node] = (),
    only_from: Iterable[Node] | None = None,
    edge_labels: bool | None = None,
    rankdir: str = "LR",
    title: str = "",
    ids: bool = False,
    picture: Layout | None = None,
):
    """The computation graph behind ``root`` as a ``graphviz.Digraph``.

    - ``cluster``: draw each scope (``layer1/neuron2``) as a nested box, with the parameters
      only it uses inside;
    - ``collapse``: ``"neuron"`` (scope depth 2), ``"layer"`` (depth 1) or a depth: every scope
      at that depth becomes one box (with the parameters only it uses), its inputs and outputs
      kept as edges; ``expand`` names scopes (``"layer1/neuron0"``) to draw in full anyway;
    - ``max_nodes``: refuse (``TooManyNodesError``) a picture larger than this, saying what to
      collapse instead;
    - ``highlight``: nodes drawn with a thick red border;
    - ``only_from``: keep only nodes on paths from these (e.g. some parameters) to the root;
    - ``edge_labels``: label edges with their chain-rule terms (local derivative x upstream =
      contribution). ``None`` (default): once the root has a gradient, labels when at most
      ``MAX_EDGE_LABELS`` edges carry one (or, with ``step``, on the current step's edges),
      tooltips otherwise; ``True`` always labels, ``False`` never;
    - ``step``: a ``Step`` from ``backward_steps``: colours done, current and pending nodes;
    - ``ids``: give SVG elements ids from the nodes' ``id`` and a class saying what they are
      (``gsn12`` its box, class ``gs-box gs-{role}``; ``gsop12`` its op, ``gs-op``; ``gse12x0``
      the edge from its first parent, ``gs-edge``; ``gss{scope}`` a collapsed scope,
      ``gs-scope``): what the stepper's script finds them by;
    - ``picture``: a ``layout(root, collapse, expand, only_from, cluster)`` already made (the
      stepper makes one and reads it back; the layout options are then taken from it).
    """
    import graphviz

    use_renderer()  # so notebook display of the result finds the same renderer as render()
    pic = picture if picture is not None else layout(root, collapse, expand, only_from, cluster)
    drawn = _drawn(pic)
    if drawn > max_nodes:
        fits = _collapses_that_fit(root, pic, max_nodes, expand, only_from, cluster)
        raise TooManyNodesError(drawn, max_nodes, fits, "or keep only_from=[some parameters]")
    status = _step_status(pic.order, step) if step is not None else {}
    dot = graphviz.Digraph(
        name="gradstep",
        graph_attr={
            "rankdir": rankdir,
            "fontsize": "10",
            "label": plain_label(title),
            "labelloc": "t",
            "ordering": "out",
            "newrank": "true",
            "remincross": "false",
        },
        node_attr={"fontsize": "10", "fontname": "Helvetica"},
        edge_attr={"fontsize": "8", "fontname": "Helvetica"},
    )
    writer = _Writer(pic, dot, status, {id(n) for n in highlight}, ids)
    writer.nodes(cluster)
    writer.edges(_edge_label_mode(pic, edge_labels, step), step)
    return dot


def _edge_label_mode(pic: Layout, edge_labels, step) -> str:
    """ "all", "none", "step" (the current step's edges) or "tooltip" (terms on hover)."""
    if edge_labels is not None:
        return "all" if edge_labels else "none"
    if step is not None:
        return "step"
    if pic.root.grad is None or not np.any(np.asarray(pic.root.grad) != 0):
        return "none"
    labelled = sum(
        1 for n in pic.nodes if n.parents and pic.own_box(n) for p in n.parents if pic.own_box(p)
    )
    return "all" if labelled <= MAX_EDGE_LABELS else "tooltip"


# -- element ids and classes: what the stepper's script finds the drawing's parts by ---------------
def box_element(node: Node) -> str:
    return f"gsn{node.id}"


def op_element(node: Node) -> str:
    return f"gsop{node.id}"


def scope_element(box: ScopeBox) -> str:
    return f"gss{safe_id(box.scope)}"


def edge_element(node: Node, i: int) -> str:
    """The edge from the node's ``i``-th parent into its op (or into its collapsed scope)."""
    return f"gse{node.id}x{i}"


def scope_lines(pic: Layout, box: ScopeBox) -> tuple[list[str], list[Node]]:
    """A collapsed box's lines (its scope, its size, up to 3 outputs with data and grad) and
    the outputs shown, the k-th on line 2 + k."""
    inside = pic.collapsed()[box]
    params = sum(1 for n in inside if not n.parents and n.op != "const")
    outputs = pic.box_outputs(box)[:3]
    lines = [box.scope, f"{len(inside) - params} nodes, {params} parameters"]
    lines += [output_line(pic.names[id(n)], n.data, n.grad) for n in outputs]
    return lines, outputs


def output_line(name: str, data, grad) -> str:
    """A collapsed box's line for one of its outputs."""
    return fill_line(line_parts("output", name), {"data": _preview(data), "grad": _preview(grad)})


def edge_term(node: Node, i: int) -> str:
    """The chain-rule term on the edge from the node's ``i``-th parent, once the node's grad
    is known: ``local x upstream = contribution`` for a Value; for a Tensor, the size of the
    contribution (its arrays do not fit on an edge)."""
    g = node.grad
    if g is None:
        return ""
    local = getattr(node, "_local", None)
    if local is not None:
        return f"{format_number(local[i])} x {format_number(g)} = {format_number(local[i] * g)}"
    contribution = node.local_grads(g)[i]
    return f"|contribution| {np.linalg.norm(np.asarray(contribution)):.4g}"


class _Writer:
    """Writes a Layout into a Digraph: clusters and boxes, then edges. With ``ids``, every
    element gets the id and class the stepper's script finds it by."""

    def __init__(self, pic: Layout, dot, status, highlighted, ids: bool) -> None:
        self.pic, self.dot, self.status = pic, dot, status
        self.highlighted, self.ids = highlighted, ids
        self.collapsed = pic.collapsed()

    def _id(self, element: str, kind: str) -> dict[str, str]:
        return {"id": element, "class": kind} if self.ids else {}

    def add_scope_box(self, graph, box: ScopeBox) -> None:
        lines, _ = scope_lines(self.pic, box)
        label = _table(lines, COLOURS["collapsed"], rounded=True)
        graph.node(box.name, label=label, shape="plain", **self._id(scope_element(box), "gs-scope"))

    def add_node_box(self, graph, node: Node) -> None:
        pic, own = self.pic, self.pic.own_box(node)
        kind = role(node, pic.root)
        fill = COLOURS[self.status.get(id(node), kind)]
        fields = record_fields(node, pic.names[id(node)])
        if id(node) in self.highlighted:
            label = _table(fields, fill, COLOURS["highlight"], width=3)
        else:
            label = _table(fields, fill)
        ids = self._id(box_element(node), f"gs-box gs-{kind}")
        graph.node(own.name, label=label, shape="plain", **ids)
        if node.parents:
            graph.node(
                own.op_name,
                label=plain_label(node.op),
                shape="ellipse",
                fillcolor=COLOURS[self.status.get(id(node), "op")],
                style="filled",
                **self._id(op_element(node), "gs-op"),
            )
            graph.edge(own.op_name, own.name, **self._id(f"gsr{node.id}", "gs-result"))

    def nodes(self, cluster: bool) -> None:
        """Every box, inside nested clusters by scope, each level in natural order."""
        pic = self.pic
        own: dict[str, list[Node]] = {}  # scope -> nodes drawn in their own boxes there
        boxes: dict[str, list[ScopeBox]] = {}  # scope -> collapsed child scopes
        for node in pic.nodes:
            b = pic.box[id(node)]
            if isinstance(b, ScopeBox):
                if b not in boxes.setdefault(b.parent_scope, []):
                    boxes[b.parent_scope].append(b)
            else:
                own.setdefault(pic.home[id(node)] if cluster else "", []).append(node)
        scopes = set(own) | set(boxes)
        for scope in list(scopes):  # scopes that hold no node still cluster their children
            parts = scope.split("/") if scope else []
            scopes.update("/".join(parts[:i]) for i in range(1, len(parts)))

        def children_of(scope: str) -> list[str]:
            found = {s for s in scopes if s and (s.rsplit("/", 1)[0] if "/" in s else "") == scope}
            return sorted(found - {scope}, key=_natural)

        def add_scope(graph, scope: str) -> None:
            mine = own.get(scope, [])
            collapsed = sorted(boxes.get(scope, []), key=lambda b: _natural(b.scope))
            for node in mine:
                self.add_node_box(graph, node)
            for box in collapsed:
                self.add_scope_box(graph, box)
            if cluster and scope:
                self.same_rank(graph, mine)
            inputs = [(pic.own_box(n).name, {id(n)}) for n in mine if n.op == "input"]
            self.stack(graph, inputs)
            # collapsed scopes and expanded ones (clusters, by their first op) in this scope:
            # one column in natural order (neuron0 above neuron1, collapsed or not)
            siblings = [(b.scope, (b.name, {id(n) for n in self.collapsed[b]})) for b in collapsed]
            for child in children_of(scope) if cluster else []:
                with graph.subgraph(name=f"cluster_{safe_id(child)}") as sub:
                    sub.attr(
                        label=plain_label(child.rsplit("/", 1)[-1]),
                        style="rounded",
                        color="#999999",
                    )
                    add_scope(sub, child)
                anchor = self.anchor(child)
                if anchor is not None:
                    siblings.append((child, anchor))
            siblings.sort(key=lambda item: _natural(item[0]))
            self.stack(graph, [anchor for _, anchor in siblings])

        add_scope(self.dot, "")

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

    def stack(self, graph, items: list[tuple[str, set]]) -> None:
        """Siblings that do not feed each other (a layer's neurons, the inputs) are parallel:
        one rank, kept top to bottom in index order by an invisible chain (a flat edge puts its
        head above its tail, in dot and graphviz-pure alike). Siblings that do feed each other
        (layers) are left to the ranks their edges give."""
        if len(items) < 2:
            return
        owner = {i: k for k, (_, ids) in enumerate(items) for i in ids}
        # which items each node depends on, through any path (layers feed the loss through
        # the layers between them: they are not parallel)
        upstream: dict[int, set[int]] = {}
        for node in self.pic.nodes:
            deps = set().union(*(upstream.get(id(p), ()) for p in node.parents))
            k = owner.get(id(node))
            if k is not None:
                if deps - {k}:
                    return
                deps.add(k)
            upstream[id(node)] = deps
        chain = " -> ".join(name for name, _ in reversed(items))
        names = "; ".join(name for name, _ in items)
        graph.body.append(f"\t{{rank=same; {names}; {chain} [style=invis]}}\n")

    def same_rank(self, graph, own: list[Node]) -> None:
        """An op and the parameters that only it uses share one rank (a column, in LR): the
        scope's parameters then take no rank of their own, so edges from the layer before
        reach the op without detouring around the scope."""
        pic, mine = self.pic, {id(n) for n in own}
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
                names = [pic.own_box(p).name for p in leaves]
                op = pic.own_box(node).op_name
                # invisible edges keep the column in argument order (W[0,j], W[1,j], b[j]);
                # the op stays out of the chain: with it, graphviz-pure puts it mid-column
                chain = " -> ".join(reversed(names))  # in LR a flat edge points up
                links = f"; {chain} [style=invis]" if len(names) > 1 else ""
                graph.body.append(f"\t{{rank=same; {'; '.join(names)}; {op}{links}}}\n")

    def edges(self, mode: str, step: Step | None) -> None:
        """parent -> op node (or into a collapsed box), deduplicated, in order."""
        pic, seen = self.pic, set()
        for node in pic.nodes:
            b = pic.box[id(node)]
            for i, parent in enumerate(node.parents):
                pb = pic.box.get(id(parent))
                if pb is None or (isinstance(b, ScopeBox) and pb == b):
                    continue
                src = pb.name
                dst = b.name if isinstance(b, ScopeBox) else b.op_name
                plain = isinstance(b, NodeBox) and isinstance(pb, NodeBox)
                key = (src, dst, i) if plain else (src, dst)
                if key in seen:
                    continue
                seen.add(key)
                attrs = self._id(edge_element(node, i), "gs-edge")
                if (
                    plain
                    and not self.collapsed
                    and _top(pic.home[id(parent)]) != _top(pic.home[id(node)])
                ):
                    # One spare rank between top-level scopes (layers) of a graph drawn in full:
                    # without it graphviz-pure stacks a layer's neurons in reverse order.
                    attrs["minlen"] = "2"
                if plain and mode != "none":
                    term = edge_term(node, i)
                    current = step is not None and node is step.node
                    if term and (mode == "all" or (mode == "step" and current)):
                        attrs["label"] = plain_label(term)
                    elif term:
                        attrs["tooltip"] = term
                self.dot.edge(src, dst, **attrs)


def _top(scope: str) -> str:
    return scope.split("/", 1)[0]


def _step_status(order: list[Node], step: Step) -> dict[int, str]:
    work = [n for n in reversed(order) if n.parents]
    try:
        current = next(i for i, n in enumerate(work) if n is step.node)
    except StopIteration:
        raise ValueError("the step's node is not in this graph") from None
    status = {}
    for i, n in enumerate(work):
        status[id(n)] = "done" if i < current else "current" if i == current else "pending"
    return status


def _drawn(pic: Layout) -> int:
    """Boxes and op ellipses a picture draws."""
    return len(set(pic.box.values())) + sum(1 for n in pic.nodes if n.parents and pic.own_box(n))


def _collapses_that_fit(root, pic: Layout, max_nodes: int, expand, only_from, cluster):
    """The collapse settings, coarser than the picture's own, whose picture is within the limit
    (laid out for real: the count is the one ``draw`` would check)."""
    fits = {}
    for name, depth in (("neuron", 2), ("layer", 1)):
        if pic.depth is not None and pic.depth <= depth:
            continue
        count = _drawn(layout(root, depth, expand, only_from, cluster))
        if count <= max_nodes:
            fits[name] = count
    return fits
