"""micrograd's ``draw_dot`` drawn by gradstep: the lecture's call, gradstep's picture.

``draw_dot(root, format="svg", rankdir="LR")`` returns a ``graphviz.Digraph`` as micrograd's
does (display it in a notebook, or ``dot.render("gout")`` writes ``gout.svg``), but drawn by
``autograd.draw``: a box per value (its label, data and grad), an ellipse per op, the scopes of a
network as clusters, chain-rule terms on the edges once gradients are in. Any of ``draw``'s
options passes through (``collapse="neuron"`` for a network's loss over a batch).
"""

from __future__ import annotations

from ..graph import Node
from .drawing import draw

__all__ = ["draw_dot"]

FORMATS = ("svg", "png", "pdf")


def draw_dot(root: Node, format: str = "svg", rankdir: str = "LR", **draw_options):
    """The graph behind ``root`` as a ``graphviz.Digraph`` with output format ``format``
    (``svg``, ``png`` or ``pdf``) laid out ``rankdir`` (``LR`` left to right, or ``TB``), as
    micrograd's ``draw_dot``; ``draw_options`` are ``autograd.draw``'s."""
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {format!r}")
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' or 'TB'; got {rankdir!r}")
    dot = draw(root, rankdir=rankdir, **draw_options)
    dot.format = format
    return dot
