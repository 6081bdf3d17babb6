"""Gradient checking by central differences, for Value and Tensor inputs.

For every input element x_k and every output element y_j the numeric derivative is
``(f(x + eps e_k) - f(x - eps e_k)) / (2 eps)`` and the analytic one comes from ``backward``;
both the difference and the pass rule are ``autograd.checks.tolerance``'s, shared by every check.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..graph import Node, element, element_count, element_label, no_grad, set_element
from ..higher import grad, hessian, node_list, scalar_output
from ..views.display import Report
from .tolerance import CheckRow, Tolerance

__all__ = [
    "gradcheck",
    "numerical_grad",
    "GradcheckError",
    "GradcheckReport",
    "failure_message",
    "gradgradcheck",
]


class GradcheckError(AssertionError):
    """A gradient check failed; ``.report`` holds every row."""

    def __init__(self, message: str, report: GradcheckReport) -> None:
        super().__init__(message)
        self.report = report


class GradcheckReport(Report):
    """One row per (output element, input element): analytic, numeric, errors, ok.
    Truthy when every row passes; prints as an aligned table; renders as HTML in notebooks."""

    headers = ("input", "analytic", "numeric", "abs error", "rel error", "ok")

    def __init__(self, rows: list[CheckRow], tolerance: Tolerance, what: str = "gradcheck") -> None:
        super().__init__(rows)
        self.tolerance, self.what = tolerance, what
        self.atol, self.rtol, self.eps = tolerance.atol, tolerance.rtol, tolerance.eps

    def summary(self) -> str:
        bad = len(self.failures())
        verdict = "passed" if not bad else f"FAILED ({bad} of {len(self.rows)})"
        return f"{self.what} {verdict}: {len(self.rows)} derivatives, {self.tolerance.describe()}"


def _flat(x) -> np.ndarray:
    if isinstance(x, Node):
        x = x.data
    return np.array(x, dtype=np.float64).reshape(-1)  # a copy: outputs may view input data


def _check_inputs(inputs) -> list[Node]:
    if isinstance(inputs, Node):
        inputs = [inputs]
    inputs = list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Node):
            raise TypeError(
                f"gradcheck inputs must be Value or Tensor nodes; input {i} is {type(x).__name__}"
            )
        if isinstance(x.data, np.ndarray) and x.data.dtype != np.float64:
            raise TypeError(
                f"input {i} ({x.label or 'unlabelled'}) is {x.data.dtype}, gradcheck needs float64"
            )
    return inputs


def _call(f: Callable, inputs: list[Node]) -> Node:
    out = f(*inputs)
    if not isinstance(out, Node):
        raise TypeError(
            f"gradcheck's function must return a Value or Tensor, got {type(out).__name__}"
        )
    return out


def numerical_grad(
    f: Callable[..., Node], inputs: Sequence[Node] | Node, eps: float = 1e-6
) -> list:
    """Central-difference gradient of a one-element output ``f(*inputs)`` with respect to each
    input: a float for a Value, an array of the input's shape for a Tensor. Inputs are restored."""
    inputs = _check_inputs(inputs)
    jac = _numeric_jacobian(f, inputs, Tolerance(eps=eps))
    if jac and jac[0].shape[0] != 1:
        raise ValueError(
            f"numerical_grad needs a one-element output, got {jac[0].shape[0]} "
            "elements; use gradcheck for the full Jacobian"
        )
    grads = []
    for node, j in zip(inputs, jac):
        g = j[0]
        grads.append(
            g.reshape(node.data.shape) if isinstance(node.data, np.ndarray) else float(g[0])
        )
    return grads


def _central_columns(inputs: list[Node], tolerance: Tolerance, evaluate: Callable) -> list:
    """Per input, the central difference of ``evaluate()`` (a flat array) with respect to each
    of its elements, one column per element; every element is restored, also on errors."""
    jac = []
    for node in inputs:
        columns = []
        for k in range(element_count(node)):
            x = element(node, k)

            def moved(h, node=node, k=k, x=x):
                set_element(node, k, x + h)
                return evaluate()

            try:
                columns.append(tolerance.central_difference(moved))
            finally:
                set_element(node, k, x)
        jac.append(np.stack(columns, axis=1))
    return jac


def _numeric_jacobian(f, inputs: list[Node], tolerance: Tolerance) -> list[np.ndarray]:
    """Per input, an array (output elements, input elements) of central differences."""
    with no_grad():
        return _central_columns(inputs, tolerance, lambda: _flat(_call(f, inputs)))


def _analytic_jacobian(out: Node, inputs: list[Node]) -> list[np.ndarray]:
    """Per input, (output elements, input elements) from one backward per output element.
    The inputs' own gradients are saved and restored around it."""
    saved = [node.grad for node in inputs]
    n_out = element_count(out)
    rows = [np.empty((n_out, element_count(node))) for node in inputs]
    try:
        for j in range(n_out):
            for node in inputs:
                node._zero_grad()
                if isinstance(node.data, np.ndarray):
                    node.grad = np.zeros_like(node.data)
            if isinstance(out.data, np.ndarray):
                seed = np.zeros_like(out.data)
                seed.flat[j] = 1.0
                out.backward(seed)
            else:
                out.backward()
            for r, node in zip(rows, inputs):
                r[j] = _flat(node.grad)
    finally:
        for node, g in zip(inputs, saved):
            node.grad = g
    return rows


def gradcheck(
    f: Callable[..., Node],
    inputs: Sequence[Node] | Node,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_on_failure: bool = True,
) -> GradcheckReport:
    """Compare ``backward`` with central differences for every element of every input.

    ``f(*inputs)`` must build its result from the inputs with Value or Tensor ops. Returns a
    ``GradcheckReport``; on a failure raises ``GradcheckError`` naming every failing derivative
    with both numbers, unless ``raise_on_failure=False``.

    >>> from autograd import Value, gradcheck
    >>> bool(gradcheck(lambda x: x.tanh() * x, [Value(0.3, label="x")]))
    True
    """
    inputs = _check_inputs(inputs)
    tolerance = Tolerance(eps, atol, rtol)
    out = _call(f, inputs)
    analytic = _analytic_jacobian(out, inputs)
    numeric = _numeric_jacobian(f, inputs, tolerance)
    n_out = element_count(out)
    rows = []
    for position, (node, a, n) in enumerate(zip(inputs, analytic, numeric)):
        for j in range(n_out):
            for k in range(a.shape[1]):
                label = element_label(node, k, position)
                if n_out > 1:
                    label = f"d out[{j}] / d {label}"
                rows.append(tolerance.row(label, a[j, k], n[j, k]))
    report = GradcheckReport(rows, tolerance)
    raise_if_failed(report, raise_on_failure)
    return report


def failure_message(report: Report, limit: int = 20) -> str:
    """The summary, then the failing rows as a table (at most ``limit``): the one failure
    format of every check, what an assertion shows."""
    bad = report.failures()
    lines = [report.summary()]
    if bad:
        lines.append(report.table(bad[:limit]))
        if len(bad) > limit:
            lines.append(f"... and {len(bad) - limit} more failing rows")
    return "\n".join(lines)


def raise_if_failed(report: Report, raise_on_failure: bool) -> None:
    """Raise ``GradcheckError`` with ``failure_message`` when asked and the report failed."""
    if raise_on_failure and not report.ok:
        raise GradcheckError(failure_message(report), report)


def gradgradcheck(
    f: Callable[..., Node],
    inputs: Sequence[Node] | Node,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_on_failure: bool = True,
) -> GradcheckReport:
    """Second derivatives of ``f(*inputs)`` (a one-element node) from the gradient's own graph
    against central differences of the analytic first derivatives: the Hessian, entry by
    entry, with gradcheck's pass rule and table (as ``torch.autograd.gradgradcheck``)."""
    inputs = node_list(inputs, "gradgradcheck")
    tolerance = Tolerance(eps, atol, rtol)
    analytic = hessian(f, inputs)

    def first_derivatives() -> np.ndarray:
        out = scalar_output(f, inputs, "gradgradcheck")
        return np.concatenate([_flat(g) for g in grad(out, inputs)])

    labels = [element_label(x, k, i) for i, x in enumerate(inputs) for k in range(element_count(x))]
    numeric = np.concatenate(_central_columns(inputs, tolerance, first_derivatives), axis=1)
    rows = [
        tolerance.row(f"d2/d{labels[i]} d{labels[j]}", analytic[i, j], numeric[i, j])
        for j in range(len(labels))
        for i in range(len(labels))
    ]
    report = GradcheckReport(rows, tolerance, what="gradgradcheck")
    raise_if_failed(report, raise_on_failure)
    return report
