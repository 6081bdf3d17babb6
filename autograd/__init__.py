"""gradstep's autograd engine: a computation graph whose every gradient can be seen and checked.

``Value`` is a float64 scalar node and ``Tensor`` a numpy float64 array node; both share one graph
core (``topological_order``, ``backward``, ``no_grad``, ``scope``, ``detect_anomaly``), and every
tool (``gradcheck``, stepping, drawing) serves both.

The package has three rooms. The engine is the flat modules below; ``autograd.checks`` compares
derivatives with central differences (gradcheck, check_op, check_gradients, check_step);
``autograd.views`` shows a graph (steps, drawing, rendering, the stepper). Checks and views import
the engine; the engine imports neither, so it can be read, and run, on its own. (This package
loads the checks and views only when one of their names is first asked for.)

Reading the engine, in order:

1. ``graph``: the graph core. What a node is (``data``, ``grad``, ``parents``, ``op``, ``id``),
   ``topological_order`` (ids are given in creation order, so sorting by id orders the graph),
   ``backward`` (seed the root, walk the order in reverse, each node pushes its gradient into its
   parents: the chain rule dL/dx = sum over uses of dL/d(out) * d(out)/dx), ``no_grad``,
   ``scope``, ``detect_anomaly`` and how its errors name nodes.
2. ``ops`` (and ``numeric``): one record per op, its forward and its derivative rule side by side
   (``local``: d(out)/d(x_i) for elementwise ops, ``vjp`` for the others). The rules are written
   with generic functions, so the same rule gives numbers or, differentiated again, nodes.
3. ``value``: ``Value``, the scalar engine. An op computes its result and, right then, its local
   derivatives as floats; backward only multiplies (``parent.grad += out.grad * local``).
4. ``tensor``: ``Tensor``, the array engine on the same core. Backward runs each record's rule on
   arrays and sums broadcast gradients back to each parent's shape.
5. ``higher``: ``grad(..., create_graph=True)`` runs the same rules on nodes, so a derivative is
   a graph that can be drawn, stepped and differentiated again (``hessian``, ``hvp``).
6. Then ``conv`` (convolution and pooling as records like any other) and ``custom`` (user ops:
   one more record through the same door).

Three devices make the engine fast; each is marked in the code and none changes a number:

- **Method factories** (``value._binary``, ``value._unary``): each Value operator is a function
  made once per op with its record's forward and rule bound as locals, so a call does no lookup
  in ``OPS`` and no attribute reads on the record: a network calls them thousands of times a step.
- **The inlined backward loop** (``Value._backprop_all``): the whole Value backward is one loop
  over nodes with ``_backprop`` written inline, since a method call per node would be a large
  part of a scalar engine's backward. (Anomaly mode takes the slow path, one call per node.)
- **gc_paused** (``graph.gc_paused``): nodes hold no reference cycles (they store numbers and
  records, never closures), so reference counting frees them; pausing the cyclic collector while
  a large graph is built and walked saves it from scanning thousands of young nodes it would
  never free: for a graph of thousands of nodes those scans cost about twice the work itself.
"""

from __future__ import annotations

from importlib import import_module

from .conv import avg_pool2d, conv2d, flatten, max_pool2d, value_conv2d
from .custom import CustomOpError, define_op, define_tensor_op
from .graph import (
    AnomalyError,
    Node,
    backward,
    current_scope,
    detect_anomaly,
    gc_paused,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
    scope,
    topological_order,
)
from .higher import grad, hessian, hvp
from .tensor import Tensor, concatenate, stack
from .value import ClosureError, MixingError, Value, dot, sum_values

# The checks' and views' names, by the module that defines each: loaded on first use
# (``from autograd import gradcheck`` works as before), so importing the engine loads neither.
_LATER = {
    "checks.derivatives": ("GradientCheckReport", "OpCheckReport", "check_gradients", "check_op"),
    "checks.gradcheck": (
        "GradcheckError",
        "GradcheckReport",
        "gradcheck",
        "gradgradcheck",
        "numerical_grad",
    ),
    "checks.stepcheck": ("StepCheckReport", "check_step"),
    "checks.tolerance": ("CheckRow", "Tolerance"),
    "views.drawing": ("TooManyNodesError", "draw"),
    "views.micrograd": ("draw_dot",),
    "views.rendering": ("RendererMissingError", "find_renderer", "render"),
    "views.stepper": ("Stepper", "stepper"),
    "views.steps": ("ForwardStep", "Step", "backward_steps", "forward_steps"),
}
_WHERE = {name: module for module, names in _LATER.items() for name in names}


def __getattr__(name: str):
    """A check's or view's name (or the ``checks``/``views`` room itself), imported on first use."""
    if name in ("checks", "views"):
        return import_module(f"{__name__}.{name}")
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value  # the next look-up is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))


__all__ = [
    "ClosureError",
    "CustomOpError",
    "MixingError",
    "GradientCheckReport",
    "OpCheckReport",
    "check_gradients",
    "check_step",
    "StepCheckReport",
    "check_op",
    "define_op",
    "define_tensor_op",
    "AnomalyError",
    "RendererMissingError",
    "ForwardStep",
    "Step",
    "Stepper",
    "stepper",
    "backward_steps",
    "forward_steps",
    "gc_paused",
    "GradcheckError",
    "GradcheckReport",
    "Node",
    "Tensor",
    "Tolerance",
    "CheckRow",
    "Value",
    "TooManyNodesError",
    "avg_pool2d",
    "backward",
    "conv2d",
    "flatten",
    "max_pool2d",
    "value_conv2d",
    "draw",
    "draw_dot",
    "find_renderer",
    "render",
    "concatenate",
    "current_scope",
    "detect_anomaly",
    "dot",
    "gradcheck",
    "grad",
    "gradgradcheck",
    "hessian",
    "hvp",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "no_grad",
    "numerical_grad",
    "scope",
    "stack",
    "sum_values",
    "topological_order",
]
