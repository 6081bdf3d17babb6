"""Draw the computation graph with the ``graphviz`` package, and render it.

``draw(root)`` returns a ``graphviz.Digraph``: a box per Value or Tensor (label, data, grad; shape
and a preview for tensors), an ellipse per op, colours by role, left to right. Node names follow
the topological order (not the global ids), so the same program always gives the same DOT text.

Rendering looks for a renderer in this order: a system Graphviz ``dot`` on PATH; the
``graphviz-pure`` wheel's binary (on PATH or in this interpreter's scripts folder, for an
unactivated venv); otherwise ``render`` writes the ``.gv`` source and says how to get one.
"""

from __future__ import annotations

import os
import shutil
import sys
import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .display import format_number
from .graph import Node, topological_order
from .steps import Step, node_names

__all__ = ["draw", "render", "find_renderer", "TooManyNodesError", "COLOURS"]

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


class TooManyNodesError(ValueError):
    """The graph is larger than ``max_nodes``; the message says what to collapse instead."""


def role(node: Node, root: Node) -> str:
    if node is root:
        return "output"
    if node.parents:
        return "value"
    return {"const": "constant", "input": "input"}.get(node.op, "parameter")


def _escape(text: str) -> str:
    for ch in '\\{}|<>"':
        text = text.replace(ch, "\\" + ch)
    return text


def _preview(x) -> str:
    if x is None:
        return "None"
    if isinstance(x, np.ndarray) and x.size > 1:
        flat = " ".join(f"{v:.3g}" for v in x.reshape(-1)[:3])
        return f"[{flat}{' ...' if x.size > 3 else ''}]"
    return f"{float(np.asarray(x).reshape(-1)[0]):.4f}"


def _record(node: Node, name: str) -> str:
    fields = [_escape(name)]
    if isinstance(node.data, np.ndarray) and node.data.ndim:
        fields.append(f"shape {node.data.shape}")
    fields.append(f"data {_escape(_preview(node.data))}")
    fields.append(f"grad {_escape(_preview(node.grad))}")
    return "{ " + " | ".join(fields) + " }"


def _scope_key(scope: str, depth: int | None) -> str | None:
    """The scope prefix a node collapses into, or None when it stays a node of its own."""
    if depth is None or not scope:
        return None
    parts = scope.split("/")
    return "/".join(parts[:depth]) if len(parts) >= depth else None


_COLLAPSE = {"none": None, "layer": 1, "neuron": 2}


def _depth(collapse) -> int | None:
    if collapse is None or isinstance(collapse, int) and not isinstance(collapse, bool):
        if isinstance(collapse, int) and collapse < 1:
            raise ValueError(f"collapse depth must be at least 1, got {collapse}")
        return collapse
    if collapse in _COLLAPSE:
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
):
    """The computation graph behind ``root`` as a ``graphviz.Digraph``.

    - ``cluster``: draw each scope (``layer1/neuron2``) as a nested box;
    - ``collapse``: ``"neuron"`` (scope depth 2), ``"layer"`` (depth 1) or a depth: every scope
      at that depth becomes one box (with the parameters only it uses), its inputs and outputs
      kept as edges; ``expand`` names scopes (``"layer1/neuron0"``) to draw in full anyway;
    - ``max_nodes``: refuse (``TooManyNodesError``) a picture larger than this, saying what to
      collapse instead;
    - ``highlight``: nodes drawn with a thick red border;
    - ``only_from``: keep only nodes on paths from these (e.g. some parameters) to the root;
    - ``edge_labels``: label each edge with its chain-rule terms (local derivative x upstream =
      contribution); on by default once the root has a gradient;
    - ``step``: a ``Step`` from ``backward_steps``: colours done, current and pending nodes.
    """
    import graphviz

    use_renderer()  # so notebook display of the result finds the same renderer as render()
    order = topological_order(root)
    names = node_names(order)
    depth = _depth(collapse)
    keep = None if only_from is None else _on_paths(order, only_from)
    if keep is not None and id(root) not in keep:
        raise ValueError("none of only_from's nodes lies on a path to the root")
    nodes = [n for n in order if keep is None or id(n) in keep]
    highlighted = {id(n) for n in highlight}
    if edge_labels is None:
        edge_labels = root.grad is not None and np.any(np.asarray(root.grad) != 0)

    position = {id(n): i for i, n in enumerate(order)}
    expanded = set(expand)
    # Which box draws each node: its own, or its collapsed scope's.
    box = {}
    for node in nodes:
        key = _scope_key(node.scope, depth)
        if key is not None and key not in expanded:
            box[id(node)] = f"scope:{key}"
        else:
            box[id(node)] = f"n{position[id(node)]}"
    if depth is not None:
        # A parameter or constant used only inside one collapsed box is drawn inside it.
        users: dict[int, set] = {}
        for node in nodes:
            for parent in node.parents:
                users.setdefault(id(parent), set()).add(box[id(node)])
        for node in nodes:
            mine = users.get(id(node), set())
            if (
                not node.parents
                and node.op != "input"
                and node is not root
                and len(mine) == 1
                and next(iter(mine)).startswith("scope:")
            ):
                box[id(node)] = next(iter(mine))
    boxes = {b for b in box.values()}
    ops = sum(1 for n in nodes if n.parents and not box[id(n)].startswith("scope:"))
    drawn = len(boxes) + ops
    if drawn > max_nodes:
        raise TooManyNodesError(_too_many(nodes, drawn, max_nodes))

    status = _step_status(order, step) if step is not None else {}
    consumers: dict[int, list[Node]] = {}
    for node in nodes:
        for parent in node.parents:
            consumers.setdefault(id(parent), []).append(node)
    dot = graphviz.Digraph(
        name="gradstep",
        graph_attr={"rankdir": rankdir, "fontsize": "10", "label": title, "labelloc": "t"},
        node_attr={"fontsize": "10", "fontname": "Helvetica"},
        edge_attr={"fontsize": "8", "fontname": "Helvetica"},
    )

    # Group the boxes by scope for clusters (collapsed scopes are boxes themselves).
    members: dict[str, list] = {}
    collapsed: dict[str, list[Node]] = {}
    for node in nodes:
        b = box[id(node)]
        if b.startswith("scope:"):
            collapsed.setdefault(b, []).append(node)
            parent_scope = "/".join(b[6:].split("/")[:-1])
            if b not in members.get(parent_scope, []):
                members.setdefault(parent_scope, []).append(b)
        else:
            members.setdefault(node.scope if cluster else "", []).append(node)

    def add_node(graph, item) -> None:
        if isinstance(item, str):  # a collapsed scope
            inside = collapsed[item]
            outs = [
                n
                for n in inside
                if n is root or any(box.get(id(c)) != item for c in consumers.get(id(n), ()))
            ]
            params = sum(1 for n in inside if not n.parents and n.op != "const")
            lines = [item[6:], f"{len(inside) - params} nodes, {params} parameters"]
            lines += [
                f"{names[id(n)]} = {_preview(n.data)}, grad {_preview(n.grad)}" for n in outs[:3]
            ]
            graph.node(
                _safe(item),
                label="{ " + " | ".join(_escape(x) for x in lines) + " }",
                shape="record",
                style="filled,rounded",
                fillcolor=COLOURS["collapsed"],
            )
            return
        node = item
        k = position[id(node)]
        fill = COLOURS[status.get(id(node), role(node, root))]
        attrs = {"shape": "record", "style": "filled", "fillcolor": fill}
        if id(node) in highlighted:
            attrs.update(color=COLOURS["highlight"], penwidth="3")
        graph.node(f"n{k}", label=_record(node, names[id(node)]), **attrs)
        if node.parents:
            graph.node(
                f"n{k}op",
                label=_escape(node.op),
                shape="ellipse",
                fillcolor=COLOURS["op"],
                style="filled",
            )
            graph.edge(f"n{k}op", f"n{k}")

    def add_scope(graph, scope: str) -> None:
        for item in members.get(scope, []):
            add_node(graph, item)
        children = sorted(
            {s for s in members if s and s != scope and s.rsplit("/", 1)[0] == scope if "/" in s}
            | ({s for s in members if s and "/" not in s} if scope == "" else set()),
            key=_natural,
        )
        for child in children:
            if not cluster:
                continue
            with graph.subgraph(name=f"cluster_{_safe(child)}") as sub:
                sub.attr(label=child.rsplit("/", 1)[-1], style="rounded", color="#999999")
                add_scope(sub, child)

    # Scopes that hold no node themselves still need a cluster for their children.
    for scope in list(members):
        parts = scope.split("/") if scope else []
        for i in range(1, len(parts)):
            members.setdefault("/".join(parts[:i]), [])
    add_scope(dot, "")

    # Edges: parent -> op node (or into a collapsed box), deduplicated and in order.
    seen = set()
    for node in nodes:
        b = box[id(node)]
        for i, parent in enumerate(node.parents):
            if id(parent) not in box:
                continue
            pb = box[id(parent)]
            if b.startswith("scope:") and pb == b:
                continue
            src = _safe(pb) if pb.startswith("scope:") else pb
            dst = _safe(b) if b.startswith("scope:") else f"{b}op"
            key = (
                (src, dst) if (b.startswith("scope:") or pb.startswith("scope:")) else (src, dst, i)
            )
            if key in seen:
                continue
            seen.add(key)
            attrs = {}
            if edge_labels and not b.startswith("scope:") and not pb.startswith("scope:"):
                attrs["label"] = _chain_label(node, i)
            dot.edge(src, dst, **attrs)
    return dot


def _natural(text: str):
    import re

    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name)


def _chain_label(node: Node, i: int) -> str:
    """``local x upstream = contribution`` for a Value edge; the contribution for a Tensor."""
    g = node.grad
    if g is None:
        return ""
    local = getattr(node, "_local", None)
    if local is not None:
        return f"{format_number(local[i])} x {format_number(g)} = {format_number(local[i] * g)}"
    contribution = node.local_grads(g)[i]
    return f"|contrib| {np.linalg.norm(np.asarray(contribution)):.3g}"


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


def _too_many(nodes: list[Node], drawn: int, max_nodes: int) -> str:
    options = []
    for name, depth in (("neuron", 2), ("layer", 1)):
        keys = {_scope_key(n.scope, depth) for n in nodes}
        loose = sum(1 for n in nodes if _scope_key(n.scope, depth) is None)
        count = (
            len(keys - {None})
            + loose
            + sum(1 for n in nodes if n.parents and _scope_key(n.scope, depth) is None)
        )
        options.append(f"collapse={name!r} gives {count}")
    return (
        f"the graph would draw {drawn} boxes and ops (max_nodes={max_nodes}): "
        f"{'; '.join(options)}; or keep only_from=[some parameters], or raise max_nodes"
    )


# -- rendering ----------------------------------------------------------------------------------
def find_renderer() -> str | None:
    """Path of a Graphviz renderer: ``dot`` on PATH, else the ``graphviz-pure`` binary on PATH
    or beside this interpreter; None when there is none."""
    dot = shutil.which("dot")
    if dot:
        return dot
    pure = shutil.which("graphviz-pure")
    if pure:
        return pure
    beside = Path(sys.executable).parent / "graphviz-pure"
    if beside.exists() and os.access(beside, os.X_OK):
        return str(beside)
    return None


def use_renderer() -> str | None:
    """Point the graphviz package at the renderer ``find_renderer`` finds (also what notebook
    display uses). Returns its path, or None."""
    renderer = find_renderer()
    if renderer is not None:
        from graphviz.backend import dot_command

        dot_command.DOT_BINARY = renderer
    return renderer


NO_RENDERER = (
    "no Graphviz renderer found: install one with `apt-get install graphviz` or "
    "`pip install graphviz-pure` (the 'render' extra), then render the source with "
    "`dot -Tsvg {path} -o out.svg`"
)


def render(root_or_graph, path: str | os.PathLike, format: str = "svg", **draw_options) -> Path:
    """Draw (if given a node) and render to ``path`` (``.svg``, ``.png`` or ``.pdf``). Without a
    renderer, write the DOT source to ``path`` with suffix ``.gv`` and warn how to get one.
    Returns the path written."""
    import graphviz

    if format not in ("svg", "png", "pdf"):
        raise ValueError(f"format must be svg, png or pdf, got {format!r}")
    graph = (
        root_or_graph
        if isinstance(root_or_graph, graphviz.Digraph)
        else draw(root_or_graph, **draw_options)
    )
    path = Path(path)
    if path.suffix != f".{format}":
        path = path.with_suffix(f".{format}")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot render to {path}: directory {path.parent} does not exist")
    if use_renderer() is None:
        source = path.with_suffix(".gv")
        source.write_text(graph.source)
        warnings.warn(NO_RENDERER.format(path=source), stacklevel=2)
        return source
    data = graph.pipe(format=format)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path
