"""Step through a graph by clicking: one recorded trace, one front end.

``stepper(root)`` records the steps of ``backward_steps(root)`` (and, with ``forward=True``, the
forward steps before them) on a detached copy of the graph, so the user's nodes keep the grads
they had. Graphviz lays the graph out once, to SVG, with each node's ``id`` on its element; the
script ``static/stepper.js`` (the same file for the notebook widget and the saved page) only
switches states and texts as you step:

- step 0 is the graph before back-propagation, every shown grad zero; step k >= 1 is the state
  after the k-th step of ``backward_steps(root)`` on that copy (after the forward steps, when
  ``forward=True``);
- each node's SVG element carries ``data-node-id`` (its ``id``) and ``data-state`` (``pending``,
  ``current`` or ``done``); its op ellipse ``data-op-of``; a collapsed scope ``data-scope``;
- the ``role="status"`` element shows the step's text exactly as ``str(step)`` gives it.

    >>> from autograd import Value, stepper
    >>> x, w = Value(2.0, label="x"), Value(-1.0, label="w")
    >>> y = (x * w).tanh(); y.label = "y"
    >>> s = stepper(y)
    >>> len(s)
    2
    >>> print(s.text(2))
    dy/dx += dy/d(x*w) * w = 0.419974 * -1 = -0.419974
    dy/dw += dy/d(x*w) * x = 0.419974 * 2 = 0.839949
    >>> x.grad, w.grad  # untouched
    (0.0, 0.0)
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path

import numpy as np

from .display import format_number
from .drawing import TooManyNodesError, _preview, _safe, collapse_depth, draw, layout
from .files import write_file
from .graph import Node, topological_order
from .rendering import render_svg
from .steps import backward_steps, forward_steps

__all__ = ["Stepper", "stepper", "STATIC"]

STATIC = Path(__file__).parent / "static"


def stepper(
    root: Node,
    collapse: str | int | None = None,
    expand=(),
    forward: bool = False,
    *,
    grad=None,
    title: str = "",
    max_nodes: int = 2000,
) -> Stepper:
    """A ``Stepper`` over the graph that ends at ``root`` (a Value or a Tensor; a non-scalar
    Tensor root needs ``grad``, as in ``backward``). ``collapse`` and ``expand`` are ``draw``'s;
    ``forward=True`` walks the forward pass first. The user's graph is left as it was found."""
    return Stepper(root, collapse, expand, forward, grad=grad, title=title, max_nodes=max_nodes)


class Stepper:
    """A recorded walk through a graph: ``len(s)`` steps after step 0, ``s.text(k)``, the SVG
    laid out once, ``save(path)`` for a page of its own, and a live widget in Jupyter."""

    def __init__(
        self,
        root: Node,
        collapse=None,
        expand=(),
        forward: bool = False,
        *,
        grad=None,
        title: str = "",
        max_nodes: int = 2000,
    ) -> None:
        if not isinstance(root, Node):
            raise TypeError(
                "stepper needs the graph's root node (a Value or Tensor), got "
                f"{type(root).__name__}"
            )
        collapse_depth(collapse)  # a named error for a collapse value that does not exist
        if isinstance(expand, str):
            expand = [expand]
        if not root.parents:
            raise ValueError(
                "the root is a leaf: there is no step to take (build an expression from it first)"
            )
        copy, copies = _detached_copy(root)
        self.title = title
        self.forward = forward
        self._record(copy, copies, grad, forward)
        self._lay_out(copy, collapse, expand, max_nodes)
        self.step = 0

    # -- recording ------------------------------------------------------------------------------
    def _record(self, root: Node, copies: list[Node], grad, forward: bool) -> None:
        order = topological_order(root)
        ops = [n for n in order if n.parents]
        self._order = order
        self.root_name = root.label or "L"
        self.root_value = format_number(root.data)
        texts, tables, currents = [], [], []
        data_changes: list[dict] = []
        grad_changes: list[dict] = []
        f_index: dict[int, int] = {}
        if forward:
            for fstep in forward_steps(root):
                f_index[fstep.node.id] = len(texts) + 1
                texts.append(str(fstep))
                tables.append("")
                currents.append(fstep.node.id)
                data_changes.append({fstep.node.id: _preview(fstep.node.data)})
                grad_changes.append({})
        b_index: dict[int, int] = {}
        self.steps = []
        for step in backward_steps(root, grad):  # read each step's grads as it is applied
            self.steps.append(step)
            b_index[step.node.id] = len(texts) + 1
            texts.append(str(step))
            tables.append(step._repr_html_())
            currents.append(step.node.id)
            data_changes.append({})
            changed = {}
            for parent in step.node.parents:
                changed[parent.id] = _preview(parent.grad)
            if step.index == 0:  # the root's own gradient is seeded before the first step
                changed[step.node.id] = _preview(step.node.grad)
            grad_changes.append(changed)
        # a leaf's grad is final after the last step of the ops that use it
        leaf_done: dict[int, int | None] = {n.id: None for n in order if not n.parents}
        for node in ops:
            for parent in node.parents:
                if not parent.parents:
                    done = leaf_done[parent.id]
                    leaf_done[parent.id] = max(done or 0, b_index[node.id])
        step0 = (
            f"step 0: {self.root_name} = {self.root_value} after the forward pass; "
            f"{len(self.steps)} backward steps follow"
            if not forward
            else f"step 0: before the forward pass; {len(ops)} forward and "
            f"{len(self.steps)} backward steps follow"
        )
        self._texts = [step0, *texts]
        self._trace = {
            "title": self.title or f"back-propagation through {self.root_name}",
            "forward": len(texts) - len(self.steps),
            "texts": self._texts,
            "tables": ["", *tables],
            "current": [None, *currents],
            "grads": [{}, *grad_changes],
            "data": [{}, *data_changes],
            "ops": {str(n.id): [f_index.get(n.id), b_index[n.id]] for n in ops},
            "leaves": {str(k): v for k, v in leaf_done.items()},
        }
        # What each node shows at step 0: zero gradients (and, walking forward, no data yet).
        self._initial_grad = {n.id: _preview(_zeros_like(n.grad, n.data)) for n in order}
        self._initial_data = {
            n.id: ("?" if forward and n.parents else _preview(n.data)) for n in order
        }

    def _lay_out(self, root: Node, collapse, expand, max_nodes: int) -> None:
        """Graphviz lays the graph out once, boxes sized for the final grads (the widest text
        they will show), then the SVG gets the attributes the script steps through."""
        pic = layout(root, collapse, expand)
        try:
            graph = draw(root, edge_labels=False, ids=True, max_nodes=max_nodes, picture=pic)
        except TooManyNodesError as e:
            raise TooManyNodesError(e.drawn, e.max_nodes, e.fits, "") from None
        svg = render_svg(graph)
        self.svg = _annotate(svg, pic, self._initial_grad, self._initial_data)
        self._trace["terms"] = _edge_terms(pic)

    # -- reading ----------------------------------------------------------------------------------
    def __len__(self) -> int:
        """Steps after step 0."""
        return len(self._texts) - 1

    def text(self, k: int) -> str:
        """What the status line shows at step ``k`` (``str(step)`` of that step)."""
        if not 0 <= k < len(self._texts):
            raise IndexError(f"step {k} out of range: this stepper has steps 0 to {len(self)}")
        return self._texts[k]

    @property
    def trace(self) -> dict:
        """The recorded steps as the front end reads them (JSON-ready)."""
        return self._trace

    def __repr__(self) -> str:
        return f"<Stepper: {len(self)} steps over {len(self._order)} nodes, root {self.root_name}>"

    # -- the page ---------------------------------------------------------------------------------
    def html(self) -> str:
        """One self-contained HTML page: SVG, script, styles and data inline; no network."""
        script = (STATIC / "stepper.js").read_text(encoding="utf-8")
        script = script.replace("export default { render };", "")
        css = (STATIC / "stepper.css").read_text(encoding="utf-8")
        payload = json.dumps({"svg": self.svg, "trace": self._trace, "step": 0})
        payload = payload.replace("</", "<\\/")  # no "</script>" inside the data block
        title = html.escape(f"gradstep: {self._trace['title']}")
        return (
            "<!doctype html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{title}</title>\n<style>\n{PAGE_CSS}{css}</style>\n</head>\n<body>\n"
            f'<main>\n<div id="gradstep"></div>\n</main>\n'
            f'<script type="application/json" id="gradstep-data">{payload}</script>\n'
            f'<script type="module">\n{script}\nmountPage(document.getElementById("gradstep"), '
            'JSON.parse(document.getElementById("gradstep-data").textContent));\n</script>\n'
            "</body>\n</html>\n"
        )

    def save(self, path: str | os.PathLike) -> Path:
        """Write the page to ``path`` (``.html``), beside it first and renamed into place."""
        path = Path(path)
        if path.suffix.lower() not in (".html", ".htm"):
            raise ValueError(f"the page is HTML: give a path ending in .html, got {path}")
        if not path.parent.is_dir():
            raise FileNotFoundError(
                f"cannot save to {path}: directory {path.parent} does not exist"
            )
        return write_file(path, self.html())

    # -- the notebook -----------------------------------------------------------------------------
    def widget(self):
        """The live anywidget widget (needs the ``notebook`` extra)."""
        from .widget import StepperWidget

        return StepperWidget(svg=self.svg, trace=self._trace, step=self.step)

    def static_html(self) -> str:
        """What a viewer without a live kernel shows: the picture at step 0 and every step's
        text."""
        steps = "".join(f"<li><pre>{html.escape(t)}</pre></li>" for t in self._texts[1:])
        return (
            f'<div class="gradstep-static">{self.svg}'
            f"<p>{html.escape(self._texts[0])}</p><details><summary>{len(self)} steps"
            f"</summary><ol>{steps}</ol></details></div>"
        )

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {"text/plain": repr(self), "text/html": self.static_html()}
        try:
            widget = self.widget()
        except ImportError:
            return bundle
        view = widget._repr_mimebundle_(include=include, exclude=exclude)
        if isinstance(view, tuple):  # ipywidgets may return (data, metadata)
            view = view[0]
        bundle.update({k: v for k, v in view.items() if k != "text/plain"})
        return bundle


PAGE_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 1rem; }
"""


# -- helpers --------------------------------------------------------------------------------------
def _zeros_like(grad, data):
    if isinstance(data, np.ndarray):
        return np.zeros_like(data)
    return 0.0


def _detached_copy(root: Node) -> tuple[Node, list[Node]]:
    """A copy of every node ``root`` reaches, with the same ids, data, ops and local derivatives
    and zero gradients, wired to each other: stepping it leaves the user's graph untouched."""
    copies: dict[int, Node] = {}
    out = []
    for node in topological_order(root):
        cls = type(node)
        c = object.__new__(cls)
        for klass in cls.__mro__:
            for slot in getattr(klass, "__slots__", ()):
                if hasattr(node, slot):
                    object.__setattr__(c, slot, getattr(node, slot))
        c.parents = tuple(copies[id(p)] for p in node.parents)
        if isinstance(node.data, np.ndarray):
            c.grad = None if node.parents else np.zeros_like(node.data)
        else:
            c.grad = 0.0
        copies[id(node)] = c
        out.append(c)
    return copies[id(root)], out


_GROUP = re.compile(r'<g id="(gs(?:n|op|s|e|r)[^"]*)" class="(node|edge)">(.*?)</g>', re.S)
_TEXT = re.compile(r"<text ([^>]*)>([^<]*)</text>")


def _annotate(svg: str, pic, grads: dict[int, str], data: dict[int, str]) -> str:
    """Add the attributes the script steps through: ``data-node-id`` and ``data-state`` on each
    node's box, ``data-op-of`` on its op, ``data-scope`` and ``data-members`` on a collapsed
    scope, ``data-edge-of`` on edges, and ``data-grad-of``/``data-data-of`` (with the text that
    precedes the number) on the texts that change. Grad texts are centred so a longer number
    stays inside its box, and show their step-0 values."""
    by_id = {n.id: n for n in pic.nodes}
    names = {n.id: pic.names[id(n)] for n in pic.nodes}
    collapsed = pic.collapsed()

    def group(m: re.Match) -> str:
        gid, kind, body = m.group(1), m.group(2), m.group(3)
        attrs = ""
        if gid.startswith("gsn"):
            nid = int(gid[3:])
            attrs = (
                f' data-node-id="{nid}" data-state="pending" data-role="{_role(by_id[nid], pic)}"'
            )
            body = _mark_texts(body, [(nid, "grad ", grads), (nid, "data ", data)])
        elif gid.startswith("gsop"):
            attrs = f' data-op-of="{int(gid[4:])}" data-state="pending"'
        elif gid.startswith("gss"):
            box = next(b for b in collapsed if f"gss{_safe(b[6:])}" == gid)
            members = " ".join(str(n.id) for n in collapsed[box])
            attrs = (
                f' data-scope="{html.escape(box[6:])}" data-members="{members}"'
                ' data-state="pending"'
            )
            outs = pic.box_outputs(box)[:3]
            body = _mark_texts(
                body,
                [(n.id, f"{names[n.id]} = {_preview(n.data)}, grad ", grads) for n in outs],
            )
        elif gid.startswith("gse"):
            node_id, _, index = gid[3:].partition("x")
            attrs = f' data-edge-of="{int(node_id)}" data-edge-index="{int(index)}"'
        elif gid.startswith("gsr"):
            attrs = f' data-result-of="{int(gid[3:])}"'
        return f'<g id="{gid}" class="{kind}"{attrs}>{body}</g>'

    svg = _GROUP.sub(group, svg.replace("&#45;", "-"))
    return svg[svg.index("<svg") :]  # no XML prolog or doctype: the SVG is inlined in HTML


def _mark_texts(body: str, wanted: list[tuple[int, str, dict]]) -> str:
    """Tag the text element that starts with each prefix; centre it on its box."""
    outline = re.search(r'<polygon [^>]*points="([^"]+)"', body)
    centre = None
    if outline:
        xs = [float(pair.split(",")[0]) for pair in outline.group(1).split()]
        centre = (min(xs) + max(xs)) / 2

    def text(m: re.Match) -> str:
        attrs, content = m.group(1), html.unescape(m.group(2))
        for nid, prefix, values in wanted:
            if content.startswith(prefix):
                kind = "grad" if "grad " in prefix else "data"
                if centre is not None:
                    attrs = re.sub(r'text-anchor="\w+"', 'text-anchor="middle"', attrs)
                    attrs = re.sub(r' x="[-\d.]+"', f' x="{centre:.2f}"', attrs)
                shown = html.escape(prefix + values[nid], quote=False)
                return (
                    f'<text {attrs} data-{kind}-of="{nid}" '
                    f'data-prefix="{html.escape(prefix)}">{shown}</text>'
                )
        return m.group(0)

    return _TEXT.sub(text, body)


def _role(node: Node, pic) -> str:
    if node is pic.root:
        return "output"
    if node.parents:
        return "value"
    return {"const": "constant", "input": "input"}.get(node.op, "parameter")


def _edge_terms(pic) -> dict[str, str]:
    """The chain-rule term each edge carries once its step is taken (shown on hover)."""
    terms = {}
    for node in pic.nodes:
        if not node.parents or pic.box[id(node)].startswith("scope:"):
            continue
        g = node.grad
        local = getattr(node, "_local", None)
        for i, parent in enumerate(node.parents):
            if pic.box.get(id(parent), "scope:").startswith("scope:"):
                continue
            name = f"d{pic.names[id(node)]} -> d{pic.names[id(parent)]}"
            if local is not None:
                c = local[i] * g
                term = f"{format_number(local[i])} x {format_number(g)} = {format_number(c)}"
            else:
                term = f"|contribution| {np.linalg.norm(np.asarray(node.local_grads(g)[i])):.4g}"
            terms[f"gse{node.id}x{i}"] = f"{name}: {term}"
    return terms
