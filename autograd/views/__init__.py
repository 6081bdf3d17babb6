"""The views room: what a person sees of a graph.

- ``display``: numbers, text and HTML tables, notebook reprs;
- ``steps``: the backward (and forward) pass one op at a time, with its chain-rule text;
- ``drawing``: the graph as a ``graphviz.Digraph``, made from ``layout`` (what boxes, clusters,
  edges and rank groups the picture has: a pure data structure), ``labels`` (what each box and
  edge says, user text made safe to draw) and ``dot`` (the DOT writer);
- ``rendering``: finding a Graphviz renderer (a system ``dot`` or the ``graphviz-pure`` wheel);
- ``stepper``, ``frontend``, ``widget`` and ``static/``: the click-through stepper, one front end
  for the notebook widget and the saved page.

The views import the engine; the engine imports no view.
"""

from .drawing import TooManyNodesError, draw
from .layout import UnknownScopeError
from .rendering import RendererMissingError, find_renderer, render
from .stepper import Stepper, TooManyTermsError, stepper
from .steps import ForwardStep, Step, backward_steps, forward_steps

__all__ = [
    "ForwardStep",
    "RendererMissingError",
    "Step",
    "Stepper",
    "TooManyNodesError",
    "TooManyTermsError",
    "UnknownScopeError",
    "backward_steps",
    "draw",
    "find_renderer",
    "forward_steps",
    "render",
    "stepper",
]
