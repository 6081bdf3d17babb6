"""The checks room: every check compares a derivative with central differences of its function.

One central difference and one pass rule (``tolerance``: ``|analytic - numeric| <= atol + rtol
|numeric|``), one row and report format, and thin front ends on them:

- ``gradcheck`` / ``gradgradcheck``: a graph's first and second derivatives (as torch's);
- ``derivatives``: ``check_op`` (an op's declared derivatives) and ``check_gradients`` (a
  hand-written numpy backward);
- ``stepcheck``: ``check_step`` (one training step as the learner wrote it), with ``tracing``
  recording which arrays it reads and writes;
- ``diagnoses``: the claims both make about a wrong parameter (kinks, scale, transpose, sign
  steps, lr dependence), each with the rule that earns it. ``check_step`` and ``check_gradients``
  are each a *measure* (runs the learner's code, keeps numbers) and a *judge* (numbers only), so
  ``gradstep check`` judges in its own process;
- ``testing``: pytest helpers and hypothesis strategies built on the above.

The checks import the engine (``autograd.graph``, ``Value``, ``Tensor``); the engine imports no
check.
"""

from .derivatives import (
    BadLossError,
    GradientCheckReport,
    GradientMismatchError,
    OpCheckReport,
    check_gradients,
    check_op,
)
from .gradcheck import GradcheckError, GradcheckReport, gradcheck, gradgradcheck, numerical_grad
from .stepcheck import StepCheckError, StepCheckReport, check_step
from .tolerance import CheckRow, Tolerance

__all__ = [
    "BadLossError",
    "CheckRow",
    "GradcheckError",
    "GradcheckReport",
    "GradientCheckReport",
    "GradientMismatchError",
    "OpCheckReport",
    "StepCheckError",
    "StepCheckReport",
    "Tolerance",
    "check_gradients",
    "check_op",
    "check_step",
    "gradcheck",
    "gradgradcheck",
    "numerical_grad",
]
