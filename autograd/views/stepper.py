"""Step through a graph by clicking: one recorded trace, one front end.

``stepper(root)`` records the steps of ``backward_steps(root)`` (and, with ``forward=True``, the
forward steps before them) on a detached copy of the graph, so the user's nodes keep the grads
they had, into a ``Trace``. Graphviz lays the graph out once, to SVG, every element with the id
and class ``draw(ids=True)`` gives it; the front end (``static/stepper_model.mjs``, a pure
function of the trace, and ``static/stepper_view.js``, the same for the notebook widget and the
saved page) only switches states and texts as you step:

- step 0 is the graph before back-propagation, every shown grad zero; step k >= 1 is the state
  after the k-th step of ``backward_steps(root)`` on that copy (after the forward steps, when
  ``forward=True``);
- the trace names each node's elements by id, the line of its box that shows its grad (and
  data), and the steps at which its state and numbers change;
- the view marks each node's box with ``data-node-id`` (its ``id``) and ``data-state``
  (``pending``, ``current`` or ``done``), its op ellipse with ``data-op-of``, a collapsed scope
  with ``data-scope``; the ``role="status"`` element shows the step's text exactly as
  ``str(step)`` gives it.

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

import os
import re
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..graph import Node, topological_order
from . import frontend
from .display import format_number, printable
from .dot import box_element, edge_element, op_element, scope_element
from .drawing import TooManyNodesError, collapses_that_fit, draw
from .labels import (
    edge_term,
    fill_line,
    line_parts,
    preview,
    record_fields,
    scope_lines,
    tooltip_text,
)
from .layout import Layout, collapse_depth, layout, role
from .rendering import render_svg
from .steps import backward_steps, bracketed, forward_steps

__all__ = [
    "MAX_TERMS",
    "Stepper",
    "TooManyTermsError",
    "Trace",
    "check_recording",
    "recording_size",
    "stepper",
]

MAX_TERMS = 50_000  # chain-rule terms a trace records at most (a 15 MB page)
TERM_BYTES = 300  # page bytes per recorded term (measured: 287 for a 2-100-100-1 loss)


def stepper(
    root: Node,
    collapse: str | int | None = None,
    expand=(),
    forward: bool = False,
    *,
    grad=None,
    title: str = "",
    max_nodes: int = 2000,
    max_terms: int = MAX_TERMS,
) -> Stepper:
    """A ``Stepper`` over the graph that ends at ``root`` (a Value or a Tensor; a non-scalar
    Tensor root needs ``grad``, as in ``backward``). ``collapse`` and ``expand`` are ``draw``'s;
    ``forward=True`` walks the forward pass first. The user's graph is left as it was found.

    Sizes are checked before anything is recorded: a picture of more than ``max_nodes`` boxes
    and ops raises ``TooManyNodesError`` (naming the collapse settings that fit), a trace of
    more than ``max_terms`` chain-rule terms (one per operand of each op: what recording costs)
    raises ``TooManyTermsError``."""
    return Stepper(
        root,
        collapse,
        expand,
        forward,
        grad=grad,
        title=title,
        max_nodes=max_nodes,
        max_terms=max_terms,
    )


# -- what recording costs, checked before it starts -----------------------------------------------


class TooManyTermsError(ValueError):
    """The trace would record more than ``max_terms`` chain-rule terms. ``terms`` and
    ``steps`` are its size; no collapse setting records fewer (every step is recorded, whatever
    the picture shows)."""

    def __init__(self, terms: int, steps: int, max_terms: int) -> None:
        self.terms, self.steps, self.max_terms = terms, steps, max_terms
        super().__init__(self.advice())

    def advice(self, limit: str = "max_terms") -> str:
        """The message, with the limit in the caller's spelling."""
        return (
            f"the stepper would record {self.terms:,} chain-rule terms over {self.steps:,} "
            f"steps (about {self.terms * TERM_BYTES / 1e6:.0f} MB of page; {limit}="
            f"{self.max_terms:,}): no collapse setting records fewer, since every step is "
            "recorded whatever the picture shows; step through a smaller graph (fewer units a "
            f"layer) or, from Python, raise {limit}"
        )


def recording_size(order: list[Node], forward: bool = False) -> tuple[int, int]:
    """(terms, steps) a trace of this graph records: a backward step per op and a term per
    operand of it, plus, with ``forward``, one forward step and text per op."""
    steps = terms = 0
    for node in order:
        if node.parents:
            steps += 1
            terms += len(node.parents)
    return (terms + steps, 2 * steps) if forward else (terms, steps)


def check_recording(order: list[Node], forward: bool, max_terms: int) -> None:
    """Refuse (``TooManyTermsError``) a trace larger than ``max_terms``, before recording."""
    terms, steps = recording_size(order, forward)
    if terms > max_terms:
        raise TooManyTermsError(terms, steps, max_terms)


# -- the recorded trace: what the script reads ----------------------------------------------------
Changes = list[tuple[int, str]]  # (step, text shown from that step on), the first at step 0


@dataclass
class StepRecord:
    """One step as shown: the status text, the step's table, the node it works on."""

    text: str
    table: str = ""
    current: int | None = None


@dataclass
class NodeTrack:
    """One node: its elements (None when drawn inside a collapsed scope), when it is computed
    (``forward``) and back-propagated (``backward``, ops), when a leaf's grad is final
    (``final``), and the number texts it shows."""

    id: int
    role: str
    box: str | None
    op: str | None
    forward: int | None = None
    backward: int | None = None
    final: int | None = None
    grads: Changes = field(default_factory=list)
    datas: Changes = field(default_factory=list)


@dataclass
class TextTrack:
    """Line ``line`` of element ``element`` shows node ``node``'s numbers: ``parts`` are
    strings and ``{"value": "grad"}`` / ``{"value": "data"}``."""

    element: str
    line: int
    node: int
    parts: list


@dataclass
class ScopeTrack:
    element: str
    scope: str
    members: list[int]


@dataclass
class EdgeTrack:
    """An edge into ``node``'s op and the chain-rule term it carries once the node's step is
    taken (shown on hover)."""

    element: str
    node: int
    term: str


@dataclass
class Trace:
    """Everything the front end steps through, laid out once."""

    title: str
    forward: int  # how many of the steps walk the forward pass
    steps: list[StepRecord]  # step 0 (before back-propagation) to the last
    nodes: list[NodeTrack]
    texts: list[TextTrack] = field(default_factory=list)
    scopes: list[ScopeTrack] = field(default_factory=list)
    edges: list[EdgeTrack] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)


def _record(root: Node, grad, forward: bool, root_name: str, title: str) -> Trace:
    """Run the steps on ``root`` (a detached copy) and record what each one changes."""
    order = topological_order(root)
    tracks = {
        n.id: NodeTrack(
            n.id,
            role(n, root),
            None,
            None,
            grads=[(0, preview(_zeros_like(n.data)))],
            datas=[(0, "?" if forward and n.parents else preview(n.data))],
        )
        for n in order
    }
    steps = [StepRecord("")]

    def change(changes: Changes, k: int, text: str) -> None:
        if changes[-1][0] == k:  # a parent used twice by one op: its grad after the step
            changes[-1] = (k, text)
        else:
            changes.append((k, text))

    if forward:
        for fstep in forward_steps(root):
            k = len(steps)
            steps.append(StepRecord(str(fstep), "", fstep.node.id))
            tracks[fstep.node.id].forward = k
            change(tracks[fstep.node.id].datas, k, preview(fstep.node.data))
    n_forward = len(steps) - 1
    for step in backward_steps(root, grad):  # read each step's grads as it is applied
        k = len(steps)
        steps.append(StepRecord(str(step), step._repr_html_(), step.node.id))
        tracks[step.node.id].backward = k
        if step.index == 0:  # the root's own gradient is seeded before the first step
            change(tracks[step.node.id].grads, k, preview(step.node.grad))
        for parent in step.node.parents:
            change(tracks[parent.id].grads, k, preview(parent.grad))
    for node in order:  # a leaf's grad is final after the last step of the ops that use it
        for parent in node.parents:
            if not parent.parents:
                leaf = tracks[parent.id]
                leaf.final = max(leaf.final or 0, tracks[node.id].backward)
    n_backward = len(steps) - 1 - n_forward
    value = format_number(root.data)
    steps[0].text = (
        f"step 0: before the forward pass; {n_forward} forward and {n_backward} backward steps "
        "follow"
        if forward
        else f"step 0: {root_name} = {value} after the forward pass; {n_backward} backward "
        "steps follow"
    )
    return Trace(title, n_forward, steps, list(tracks.values()))


def _place(trace: Trace, pic: Layout) -> None:
    """Name, in the trace, the elements ``draw(ids=True)`` gives each node, scope and edge."""
    tracks = {t.id: t for t in trace.nodes}
    for node in pic.nodes:
        track = tracks[node.id]
        if pic.own_box(node) is None:
            continue
        track.box = box_element(node)
        track.op = op_element(node) if node.parents else None
        last = len(record_fields(node, pic.names[id(node)])) - 1  # data, grad: the last two
        trace.texts.append(TextTrack(track.box, last, node.id, line_parts("grad")))
        if trace.forward:
            trace.texts.append(TextTrack(track.box, last - 1, node.id, line_parts("data")))
        for i, parent in enumerate(node.parents):
            if node.parents and pic.own_box(parent) is not None:
                name = f"d{bracketed(pic.names[id(node)])} -> d{bracketed(pic.names[id(parent)])}"
                term = f"{name}: {edge_term(node, i)}"
                trace.edges.append(EdgeTrack(edge_element(node, i), node.id, term))
    for box, members in pic.collapsed().items():
        element = scope_element(box)
        trace.scopes.append(ScopeTrack(element, box.scope, [n.id for n in members]))
        _, outputs = scope_lines(pic, box)
        for k, n in enumerate(outputs):
            parts = line_parts("output", pic.names[id(n)])
            trace.texts.append(TextTrack(element, 2 + k, n.id, parts))


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
        max_terms: int = MAX_TERMS,
    ) -> None:
        if not isinstance(root, Node):
            raise TypeError(
                "stepper needs the graph's root node (a Value or Tensor), got "
                f"{type(root).__name__}"
            )
        collapse_depth(collapse)  # a named error for a collapse value that does not exist
        if not root.parents:
            raise ValueError(
                "the root is a leaf: there is no step to take (build an expression from it first)"
            )
        # the sizes first (cheap: one walk of the graph, one layout), the recording after
        check_recording(topological_order(root), forward, max_terms)
        copy = _detached_copy(root)
        pic = layout(copy, collapse, expand)  # an unknown scope in expand is named here
        if pic.drawn() > max_nodes:
            fits = collapses_that_fit(pic, max_nodes, expand)
            raise TooManyNodesError(pic.drawn(), max_nodes, fits, "")
        self.forward = forward
        self.root_name = printable(root.label) or "L"
        self._order = pic.order
        title = title or f"back-propagation through {self.root_name}"
        self._trace = _record(copy, grad, forward, self.root_name, title)
        self.title = title
        self._lay_out(pic, max_nodes)
        self.step = 0

    def _lay_out(self, pic: Layout, max_nodes: int) -> None:
        """Graphviz lays the graph out once, boxes sized for the final grads (the widest text
        they will show); the SVG then shows step 0."""
        graph = draw(pic.root, edge_labels=False, ids=True, max_nodes=max_nodes, picture=pic)
        _place(self._trace, pic)
        self.svg = _at_step_zero(render_svg(graph), self._trace, _full_texts(pic))

    # -- reading ----------------------------------------------------------------------------------
    def __len__(self) -> int:
        """Steps after step 0."""
        return len(self._trace.steps) - 1

    def text(self, k: int) -> str:
        """What the status line shows at step ``k`` (``str(step)`` of that step)."""
        if not 0 <= k <= len(self):
            raise IndexError(f"step {k} out of range: this stepper has steps 0 to {len(self)}")
        return self._trace.steps[k].text

    @property
    def trace(self) -> Trace:
        """The recorded steps as the front end reads them (``trace.to_json()``)."""
        return self._trace

    def __repr__(self) -> str:
        return f"<Stepper: {len(self)} steps over {len(self._order)} nodes, root {self.root_name}>"

    # -- the page ---------------------------------------------------------------------------------
    def html(self) -> str:
        """One self-contained HTML page: SVG, script, styles and data inline; no network."""
        data = {"svg": self.svg, "trace": self._trace.to_json(), "step": 0}
        return frontend.page("stepper", f"gradstep: {self.title}", data)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the page to ``path`` (``.html``), beside it first and renamed into place."""
        return frontend.save_page(path, self.html)

    # -- the notebook -----------------------------------------------------------------------------
    def widget(self):
        """The live anywidget widget (needs the ``notebook`` extra)."""
        from .widget import StepperWidget

        return StepperWidget(svg=self.svg, trace=self._trace.to_json(), step=self.step)

    def static_html(self) -> str:
        """What a viewer without a live kernel shows: the self-contained page in a sandboxed
        frame (``frontend.fallback_html``)."""
        return frontend.fallback_html(self.html(), f"gradstep: {self.title}")

    def _ipython_display_(self) -> None:
        """In a notebook: the page as the static fallback, then the live widget."""
        frontend.show_in_notebook(self.html(), f"gradstep: {self.title}", self.widget)

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/plain": repr(self), "text/html": self.static_html()}


# -- helpers --------------------------------------------------------------------------------------
def _zeros_like(data):
    return np.zeros_like(data) if isinstance(data, np.ndarray) else 0.0


def _detached_copy(root: Node) -> Node:
    """A copy of every node ``root`` reaches, with the same ids, data, ops and local derivatives
    and zero gradients, wired to each other: stepping it leaves the user's graph untouched."""
    copies: dict[int, Node] = {}
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
    return copies[id(root)]


SVG = "http://www.w3.org/2000/svg"
ET.register_namespace("", SVG)
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _at_step_zero(svg: str, trace: Trace, full: dict[str, str] | None = None) -> str:
    """The SVG as parsed XML, every tracked line showing its step-0 text, centred on its box
    (a longer number then stays inside), each element of ``full`` titled with its full text
    (what a browser shows on hover); no XML prolog or doctype (the SVG is inlined in HTML).
    Every element the trace names must be in it."""
    root = ET.fromstring(svg)
    elements = {e.get("id"): e for e in root.iter() if e.get("id")}
    named = [t.box for t in trace.nodes if t.box] + [t.op for t in trace.nodes if t.op]
    named += [t.element for t in trace.scopes] + [t.element for t in trace.edges]
    missing = [name for name in named if name not in elements]
    if missing:
        raise RuntimeError(f"the renderer dropped elements the stepper needs: {missing[:5]}")
    nodes = {t.id: t for t in trace.nodes}
    for track in trace.texts:
        group = elements[track.element]
        lines = list(group.iter(f"{{{SVG}}}text"))
        line = lines[track.line]
        node = nodes[track.node]
        line.text = fill_line(track.parts, {"grad": node.grads[0][1], "data": node.datas[0][1]})
        centre = _centre_x(group)
        if centre is not None:
            line.set("text-anchor", "middle")
            line.set("x", f"{centre:.2f}")
    for element_id, text in (full or {}).items():
        title = elements[element_id].find(f"{{{SVG}}}title") if element_id in elements else None
        if title is not None:
            title.text = text
    return ET.tostring(root, encoding="unicode")


def _full_texts(pic: Layout) -> dict[str, str]:
    """The full text of every label drawn shortened or escaped, by the element showing it."""
    full = {}
    for node in pic.nodes:
        text = tooltip_text(pic.names[id(node)]) if pic.own_box(node) else None
        if text is not None:
            full[box_element(node)] = text
        op = tooltip_text(node.op) if node.parents and pic.own_box(node) else None
        if op is not None:
            full[op_element(node)] = op
    for box in pic.collapsed():
        text = tooltip_text(box.scope)
        if text is not None:
            full[scope_element(box)] = text
    return full


def _centre_x(group: ET.Element) -> float | None:
    """The horizontal centre of a box: its first polygon (a table) or path (a rounded one)."""
    for shape in group:
        if shape.tag == f"{{{SVG}}}polygon":
            numbers = _NUMBER.findall(shape.get("points", ""))
        elif shape.tag == f"{{{SVG}}}path":
            numbers = _NUMBER.findall(shape.get("d", ""))
        else:
            continue
        xs = [float(x) for x in numbers[0::2]]
        return (min(xs) + max(xs)) / 2 if xs else None
    return None
