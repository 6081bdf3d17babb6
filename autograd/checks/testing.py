"""Helpers for your own test suite: assertions that show the check's table, and hypothesis
strategies for inputs inside an op's domain.

    from hypothesis import given
    from autograd.checks.testing import assert_gradcheck, values

    @given(x=values(domain=(0.1, 5.0)))
    def test_my_log_gradient(x):
        assert_gradcheck(lambda x: x.log() * x, [x])

A failing assertion raises ``AssertionError`` (a ``GradcheckError``) whose message is the
check's summary and its failing rows as a table, which pytest prints as it is. The strategies
need ``hypothesis`` (in the ``dev`` extra); importing ``autograd`` alone never imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..extras import extra_hint
from ..tensor import Tensor
from ..value import Value
from .derivatives import (
    GradientCheckReport,
    OpCheckReport,
    check_gradients,
    check_op,
    failure_message,
)
from .gradcheck import GradcheckError, GradcheckReport, gradcheck

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as e:  # pragma: no cover - hypothesis is in the dev extra
    raise ImportError(f"autograd.checks.testing needs hypothesis: {extra_hint('dev')}") from e

__all__ = [
    "assert_gradcheck",
    "assert_op",
    "assert_gradients",
    "floats",
    "values",
    "arrays",
    "tensors",
    "broadcastable_arrays",
    "broadcastable_tensors",
]

Domain = tuple[float, float]


# -- assertions -----------------------------------------------------------------------------------
def _assert(report, what: str):
    __tracebackhide__ = True  # pytest shows the caller's line, not this helper's
    if not report.ok:
        raise GradcheckError(f"{what}\n{failure_message(report)}", report)
    return report


def assert_gradcheck(f: Callable, inputs, **options) -> GradcheckReport:
    """``gradcheck(f, inputs)``; on failure an AssertionError showing the failing rows."""
    __tracebackhide__ = True
    report = gradcheck(f, inputs, raise_on_failure=False, **options)
    return _assert(report, "gradcheck failed")


def assert_op(op: Callable, **options) -> OpCheckReport:
    """``check_op(op, ...)``; on failure (or when no point could be checked) an AssertionError
    showing the failing rows."""
    __tracebackhide__ = True
    report = check_op(op, raise_on_failure=False, **options)
    return _assert(report, f"check_op {getattr(report, 'name', op)!r} failed")


def assert_gradients(loss: Callable, grads: Callable, params, **options) -> GradientCheckReport:
    """``check_gradients(loss, grads, params)``; on failure an AssertionError naming the wrong
    parameters and showing the failing entries."""
    __tracebackhide__ = True
    report = check_gradients(loss, grads, params, raise_on_failure=False, **options)
    return _assert(report, f"wrong gradients for {', '.join(report.wrong)}")


# -- strategies -----------------------------------------------------------------------------------
def floats(domain: Domain = (-3.0, 3.0), avoid_zero: bool = False, margin: float = 0.1):
    """Finite floats in ``domain``; with ``avoid_zero``, none within ``margin`` of 0 (where abs,
    relu and 1/x have kinks or poles, and central differences mean nothing)."""
    lo, hi = domain
    s = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    return s.filter(lambda x: abs(x) >= margin) if avoid_zero else s


def values(
    domain: Domain = (-3.0, 3.0), avoid_zero: bool = False, label: str = "x", margin: float = 0.1
):
    """Fresh ``Value`` leaves (labelled ``label``) holding floats from ``floats(...)``."""
    return floats(domain, avoid_zero, margin).map(lambda x: Value(x, label=label))


def arrays(shape, domain: Domain = (-3.0, 3.0), avoid_zero: bool = False, margin: float = 0.1):
    """float64 arrays of ``shape`` with elements from ``floats(...)``."""
    return hnp.arrays(np.float64, shape, elements=floats(domain, avoid_zero, margin))


def tensors(
    shape: tuple | None = None,
    domain: Domain = (-3.0, 3.0),
    avoid_zero: bool = False,
    label: str = "x",
    max_dims: int = 3,
    max_side: int = 3,
):
    """Fresh ``Tensor`` leaves of ``shape`` (or of a drawn shape up to ``max_dims`` axes of at
    most ``max_side``) with elements from ``floats(...)``."""
    shapes = (
        st.just(tuple(shape))
        if shape is not None
        else hnp.array_shapes(min_dims=0, max_dims=max_dims, min_side=1, max_side=max_side)
    )
    return shapes.flatmap(lambda s: arrays(s, domain, avoid_zero)).map(
        lambda a: Tensor(a, label=label)
    )


@st.composite
def broadcastable_arrays(
    draw,
    n: int = 2,
    domains: Sequence[Domain] | None = None,
    avoid_zero: bool = False,
    max_dims: int = 3,
    max_side: int = 3,
):
    """A tuple of ``n`` float64 arrays whose shapes broadcast together (size-1 and missing
    leading axes included), input i's elements from ``domains[i]`` (default [-3, 3])."""
    domains = list(domains) if domains is not None else [(-3.0, 3.0)] * n
    if len(domains) != n:
        raise ValueError(f"broadcastable_arrays: {len(domains)} domains for {n} arrays")
    shapes = draw(
        hnp.mutually_broadcastable_shapes(
            num_shapes=n, min_dims=0, max_dims=max_dims, max_side=max_side
        )
    )
    return tuple(draw(arrays(s, d, avoid_zero)) for s, d in zip(shapes.input_shapes, domains))


def broadcastable_tensors(n: int = 2, domains: Sequence[Domain] | None = None, **options):
    """``broadcastable_arrays`` as Tensor leaves labelled ``x0``, ``x1``, ..."""
    return broadcastable_arrays(n, domains, **options).map(
        lambda drawn: tuple(Tensor(a, label=f"x{i}") for i, a in enumerate(drawn))
    )
