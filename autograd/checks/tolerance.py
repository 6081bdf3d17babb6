"""The one central difference, the one pass rule and the one row every check reports.

Every check in gradstep (``gradcheck``, ``check_op``, ``check_gradients``, ``Step.check``,
``check_step``) compares a derivative it was given (*analytic*: from ``backward``, a declared local
derivative, your ``grads`` or your training step) with a *numeric* one from central differences:

    numeric = (f(x + eps) - f(x - eps)) / (2 eps)          error O(eps^2)

and passes an entry when ``|analytic - numeric| <= atol + rtol * |numeric|`` (the rule and the
defaults of ``torch.autograd.gradcheck``: eps 1e-6, atol 1e-5, rtol 1e-3, in float64). A nan on
either side fails. Each compared entry becomes one ``CheckRow``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

__all__ = ["Tolerance", "CheckRow"]

T = TypeVar("T")


class CheckRow(NamedTuple):
    """One compared entry: what was checked, both derivatives, the errors, the verdict.
    ``where`` is the point an op was checked at (``check_op``), empty elsewhere."""

    label: str
    analytic: float
    numeric: float
    abs_error: float
    rel_error: float
    ok: bool
    where: str = ""


def _setting(name: str, value, *, positive: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}: {value!r:.40}")
    value = float(value)
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        need = "a finite number > 0" if positive else "a finite number >= 0"
        raise ValueError(f"{name} must be {need}, got {value}")
    return value


@dataclass(frozen=True)
class Tolerance:
    """Step and tolerances of a check, validated once: ``eps`` finite and > 0, ``atol`` and
    ``rtol`` finite and >= 0 (an ``atol=nan`` would pass nothing, an ``eps=inf`` everything)."""

    eps: float = 1e-6
    atol: float = 1e-5
    rtol: float = 1e-3

    def __post_init__(self) -> None:
        object.__setattr__(self, "eps", _setting("eps", self.eps, positive=True))
        object.__setattr__(self, "atol", _setting("atol", self.atol, positive=False))
        object.__setattr__(self, "rtol", _setting("rtol", self.rtol, positive=False))

    def central_difference(self, f: Callable[[float], T]) -> T:
        """``(f(eps) - f(-eps)) / (2 eps)``, where ``f(h)`` evaluates the function with the
        checked input moved by ``h`` (a float or an array of them)."""
        return (f(self.eps) - f(-self.eps)) / (2.0 * self.eps)

    def passes(self, analytic: float, numeric: float) -> bool:
        """``|analytic - numeric| <= atol + rtol |numeric|``; nan on either side fails."""
        return bool(abs(analytic - numeric) <= self.atol + self.rtol * abs(numeric))

    def row(self, label: str, analytic, numeric, where: str = "") -> CheckRow:
        """The compared entry as a row: both values, absolute and relative error, verdict."""
        analytic, numeric = float(analytic), float(numeric)
        err = abs(analytic - numeric)
        rel = err / abs(numeric) if numeric != 0 else (0.0 if err == 0 else math.inf)
        return CheckRow(label, analytic, numeric, err, rel, self.passes(analytic, numeric), where)

    def describe(self) -> str:
        return f"eps={self.eps:g}, atol={self.atol:g}, rtol={self.rtol:g}"
