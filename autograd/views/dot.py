"""The DOT writer: a ``Layout`` (what boxes, clusters, edges and rank groups a picture has)
written into a ``graphviz.Digraph``.

Boxes are HTML-like tables (narrow whatever the rankdir: dot cannot lay out flat edges to
record shapes), ops ellipses, clusters rounded boxes labelled with their scope's last part;
rank groups become ``{rank=same; ...}`` lines with an invisible chain that keeps their order
(in LR a flat edge puts its head above its tail, in dot and graphviz-pure alike). With ``ids``,
every element gets the id and class the stepper's script finds it by.
"""

from __future__ import annotations

import html

from ..graph import Node
from .labels import edge_term, plain_label, record_fields, scope_lines, tooltip_text
from .layout import Cluster, Layout, ScopeBox, role, safe_id

__all__ = [
    "COLOURS",
    "DotWriter",
    "box_element",
    "edge_element",
    "op_element",
    "result_element",
    "scope_element",
    "table",
]

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


# -- element ids and classes: what the stepper's script finds the drawing's parts by ---------------
def box_element(node: Node) -> str:
    return f"gsn{node.id}"


def op_element(node: Node) -> str:
    return f"gsop{node.id}"


def result_element(node: Node) -> str:
    """The edge from a node's op ellipse into its box."""
    return f"gsr{node.id}"


def scope_element(box: ScopeBox) -> str:
    return f"gss{safe_id(box.scope)}"


def edge_element(node: Node, i: int) -> str:
    """The edge from the node's ``i``-th parent into its op (or into its collapsed scope)."""
    return f"gse{node.id}x{i}"


def table(lines: list[str], fill: str, border: str = "#000000", width: int = 1,
          rounded: bool = False) -> str:  # fmt: skip
    """An HTML-like label: one line per row (escaped: text, never markup), rules between them."""
    rows = "<hr/>".join(f"<tr><td>{html.escape(line, quote=False)}</td></tr>" for line in lines)
    style = ' style="rounded"' if rounded else ""
    return (
        f'<<table border="{width}" cellborder="0" cellspacing="0" cellpadding="3" '
        f'bgcolor="{fill}" color="{border}"{style}>{rows}</table>>'
    )


def _rank(names: list[str], chained: list[str]) -> str:
    """One rank for ``names``; ``chained`` kept top to bottom in that order by an invisible
    chain (written bottom to top: in LR a flat edge points up)."""
    links = f"; {' -> '.join(reversed(chained))} [style=invis]" if len(chained) > 1 else ""
    return f"\t{{rank=same; {'; '.join(names)}{links}}}\n"


class DotWriter:
    """Writes a Layout into a Digraph: clusters and boxes, then edges. ``status`` colours
    nodes by step state (``id(node)`` -> done/current/pending), ``highlighted`` holds the ids
    of nodes drawn with a thick red border, ``ids`` gives elements the stepper's ids."""

    def __init__(self, pic: Layout, dot, status=None, highlighted=(), ids: bool = False) -> None:
        self.pic, self.dot, self.status = pic, dot, status or {}
        self.highlighted, self.ids = set(highlighted), ids

    def _id(self, element: str, kind: str) -> dict[str, str]:
        return {"id": element, "class": kind} if self.ids else {}

    def _tooltip(self, text) -> dict[str, str]:
        """The full text of a label drawn escaped or shortened, on hover (not for the
        stepper's elements: a tooltip wraps them in a link the stepper's styles do not reach;
        the stepper titles them itself)."""
        full = None if self.ids else tooltip_text(text)
        return {"tooltip": full} if full else {}

    def write(self, mode: str, current: Node | None = None) -> None:
        """Every cluster and box, then every edge; ``mode`` says where edges carry their
        chain-rule terms: "all", "none", "step" (``current``'s edges) or "tooltip"."""
        self.cluster(self.dot, self.pic.clusters)
        self.edges(mode, current)

    def scope_box(self, graph, box: ScopeBox) -> None:
        lines, _ = scope_lines(self.pic, box)
        label = table(lines, COLOURS["collapsed"], rounded=True)
        ids = self._id(scope_element(box), "gs-scope")
        graph.node(box.name, label=label, shape="plain", **ids, **self._tooltip(box.scope))

    def node_box(self, graph, node: Node) -> None:
        pic, own = self.pic, self.pic.own_box(node)
        kind = role(node, pic.root)
        fill = COLOURS[self.status.get(id(node), kind)]
        name = pic.names[id(node)]
        fields = record_fields(node, name, pic.grads_known)
        if id(node) in self.highlighted:
            label = table(fields, fill, COLOURS["highlight"], width=3)
        else:
            label = table(fields, fill)
        ids = self._id(box_element(node), f"gs-box gs-{kind}")
        graph.node(own.name, label=label, shape="plain", **ids, **self._tooltip(name))
        if node.parents:
            graph.node(
                own.op_name,
                label=plain_label(node.op),
                shape="ellipse",
                fillcolor=COLOURS[self.status.get(id(node), "op")],
                style="filled",
                **self._id(op_element(node), "gs-op"),
                **self._tooltip(node.op),
            )
            graph.edge(own.op_name, own.name, **self._id(result_element(node), "gs-result"))

    def cluster(self, graph, c: Cluster) -> None:
        """A cluster's boxes, its rank groups, then its child clusters, each a subgraph."""
        for node in c.nodes:
            self.node_box(graph, node)
        for box in c.boxes:
            self.scope_box(graph, box)
        for leaves, op in c.columns:
            # the op stays out of the chain: with it, graphviz-pure puts it mid-column
            graph.body.append(_rank([*leaves, op], leaves))
        if c.inputs:
            graph.body.append(_rank(c.inputs, c.inputs))
        for child in c.children:
            with graph.subgraph(name=f"cluster_{safe_id(child.scope)}") as sub:
                sub.attr(label=plain_label(child.label), style="rounded", color="#999999")
                self.cluster(sub, child)
        if c.siblings:
            graph.body.append(_rank(c.siblings, c.siblings))

    def edges(self, mode: str, current: Node | None) -> None:
        for edge in self.pic.edges:
            attrs = self._id(edge_element(edge.node, edge.index), "gs-edge")
            if edge.spare_rank:
                attrs["minlen"] = "2"
            if edge.plain and mode != "none":
                term = edge_term(edge.node, edge.index)
                if term and (mode == "all" or (mode == "step" and edge.node is current)):
                    # decorate: a line from the label to its own edge (two edges into one op
                    # otherwise leave a reader to guess which label is whose)
                    attrs.update(label=plain_label(term), decorate="true")
                elif term:
                    attrs["tooltip"] = term
            self.dot.edge(edge.src, edge.dst, **attrs)
