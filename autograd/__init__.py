"""gradstep's autograd engine: a computation graph whose every gradient can be seen and checked.

``Value`` is a float64 scalar node and ``Tensor`` a numpy float64 array node; both share one graph
core (``topological_order``, ``backward``, ``no_grad``, ``scope``, ``detect_anomaly``), and every
tool (``gradcheck``, stepping, drawing) serves both.
"""

from .checks.derivatives import GradientCheckReport, OpCheckReport, check_gradients, check_op
from .checks.gradcheck import GradcheckError, GradcheckReport, gradcheck, numerical_grad
from .checks.stepcheck import StepCheckReport, check_step
from .checks.tolerance import CheckRow, Tolerance
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
from .higher import grad, gradgradcheck, hessian, hvp
from .tensor import Tensor, concatenate, stack
from .value import Value, dot, sum_values
from .views.drawing import TooManyNodesError, draw
from .views.rendering import RendererMissingError, find_renderer, render
from .views.stepper import Stepper, stepper
from .views.steps import ForwardStep, Step, backward_steps, forward_steps

__all__ = [
    "CustomOpError",
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
