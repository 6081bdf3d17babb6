"""Draw the computation graph as a ``graphviz.Digraph`` (rendering lives in ``rendering``).

``draw(root)`` gives a box per Value or Tensor (label, data, grad; shape and a preview for
tensors), an ellipse per op, colours by role, left to right. It is made in two steps: ``layout``
decides what the picture holds (boxes, nested clusters by scope, edges, rank groups: a pure
data structure, see that module for what makes a network readable), and ``dot.DotWriter``
writes it as DOT. Chain-rule edge labels only where they cannot crowd: on small graphs, or for
the current step; elsewhere each edge carries its term as a tooltip (hover in the SVG). Before a
backward pass the boxes say ``grad not computed``.

Node names follow the topological order (not the global ids), so the same program always gives
the same DOT text. ``ids=True`` gives each element an SVG id carrying its node's ``id`` and a
class saying what it is (what the stepper's script finds nodes by).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from ..graph import Node
from .dot import COLOURS, DotWriter
from .labels import plain_label
from .layout import Layout, UnknownScopeError, layout, step_status
from .rendering import find_renderer, render, use_renderer
from .steps import Step

__all__ = [
    "draw",
    "render",
    "find_renderer",
    "TooManyNodesError",
    "UnknownScopeError",
    "COLOURS",
    "MAX_EDGE_LABELS",
]

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
      kept as edges, its outputs listed (past 8, the first 7 and how many more); ``expand``
      names scopes (``"layer1/neuron0"``) to draw in full anyway, everything inside them (a
      name the graph does not have raises ``UnknownScopeError``, a ``ValueError`` listing
      the scopes it has);
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
    use_renderer()  # so notebook display of the result finds the same renderer as render()
    pic = picture if picture is not None else layout(root, collapse, expand, only_from, cluster)
    drawn = pic.drawn()
    if drawn > max_nodes:
        fits = collapses_that_fit(pic, max_nodes, expand, only_from)
        raise TooManyNodesError(drawn, max_nodes, fits, "or keep only_from=[some parameters]")
    status = step_status(pic.order, step.node) if step is not None else {}
    dot = drawing_class()(
        name="gradstep",
        format="svg",  # so dot.render("gout") writes gout.svg, as micrograd's lecture expects
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
    writer = DotWriter(pic, dot, status, {id(n) for n in highlight}, ids)
    writer.write(_edge_label_mode(pic, edge_labels, step), step.node if step else None)
    return dot


@functools.cache
def drawing_class() -> type:
    """``graphviz.Digraph`` that a notebook shows within its cell: as HTML (what nbconvert's
    pages, static viewers and JupyterLab pick first), the SVG inline in a box that scrolls
    sideways, the picture scaled to the cell's width but never below 60% of its size nor above
    it; as SVG, scaled down to the cell (``fit_width``). Made on first use: graphviz is imported
    only when drawing."""
    import graphviz

    class Drawing(graphviz.Digraph):
        """A computation graph drawn by ``draw``: a ``graphviz.Digraph`` that fits the cell."""

        def _repr_image_svg_xml(self) -> str:
            return fit_width(super()._repr_image_svg_xml())

        def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
            bundle = super()._repr_mimebundle_(include, exclude, **kwargs)
            svg = bundle.get("image/svg+xml")
            if svg is not None:
                bundle["text/html"] = scrolling_html(svg)
            return bundle

    return Drawing


def fit_width(svg: str) -> str:
    """An SVG that scales down to its container's width, never up: ``max-width: 100%`` and a
    height that keeps its proportions (Graphviz's SVG has a viewBox)."""
    return svg.replace("<svg ", '<svg style="max-width: 100%; height: auto" ', 1)


_SVG_WIDTH = re.compile(r'<svg\b[^>]*?\bwidth="([\d.]+)pt"')


def scrolling_html(svg: str) -> str:
    """The SVG inline (no XML prolog), in a box as wide as the cell that scrolls sideways: the
    picture as wide as the cell allows, between 60% of its own width (text still readable) and
    its own width."""
    start = svg.find("<svg")
    body = svg[start:] if start >= 0 else svg
    found = _SVG_WIDTH.search(body)
    if found:
        w = float(found.group(1))
        size = f"width: 100%; max-width: {w:g}pt; min-width: {0.6 * w:.0f}pt; height: auto"
        body = re.sub(r'style="max-width: 100%; height: auto" ', "", body, count=1)
        body = body.replace("<svg ", f'<svg style="{size}" ', 1)
    return f'<div class="gradstep-drawing" style="max-width: 100%; overflow-x: auto">{body}</div>'


def _edge_label_mode(pic: Layout, edge_labels, step) -> str:
    """ "all", "none", "step" (the current step's edges) or "tooltip" (terms on hover)."""
    if edge_labels is not None:
        return "all" if edge_labels else "none"
    if step is not None:
        return "step"
    if not pic.grads_known:
        return "none"
    labelled = sum(
        1 for n in pic.nodes if n.parents and pic.own_box(n) for p in n.parents if pic.own_box(p)
    )
    return "all" if labelled <= MAX_EDGE_LABELS else "tooltip"


def collapses_that_fit(pic: Layout, max_nodes: int, expand=(), only_from=None) -> dict[str, int]:
    """The collapse settings, coarser than the picture's own, whose picture is within the limit
    (laid out for real: the count is the one ``draw`` would check)."""
    fits = {}
    for name, depth in (("neuron", 2), ("layer", 1)):
        if pic.depth is not None and pic.depth <= depth:
            continue
        count = layout(pic.root, depth, expand, only_from, pic.cluster).drawn()
        if count <= max_nodes:
            fits[name] = count
    return fits
