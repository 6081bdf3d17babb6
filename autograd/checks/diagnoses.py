"""What is wrong with a derivative, said only when measured: the claims ``check_gradients`` and
``check_step`` make about a parameter, each with the rule that earns it.

Every function here takes numbers (the learner's derivative ``yours``, the central difference
``numeric``, masks of entries to leave out) and returns a claim or None; none calls learner code.

- **kinks** (``kinked``): an entry where the one-sided differences ``(f(x+h) - f(x)) / h`` and
  ``(f(x) - f(x-h)) / h`` disagree by the pass rule *and* keep disagreeing by as much at ``2h``
  (for a smooth function their gap is ``f'' h`` and doubles with ``h``; at a kink such as ReLU or
  ``abs`` at exactly 0 it stays the jump in slope). Such an entry is "not differentiable here":
  any value between the one-sided slopes is right, and it is never called wrong.
- **scale** (``common_factor``): one factor ``c`` with ``yours ~ c * numeric`` entry by entry (the
  pass rule), found from at least two entries whose gradient is not negligible; a parameter of
  one entry never gets a scale. ``check_step`` and ``check_gradients`` claim it only when the
  same ``c`` holds again at a second point (``same_factor``).
- **transposed** (``is_transposed``): a square matrix whose derivative is the transpose of the
  right one (and the right one is not symmetric).
- **sign steps** (``sign_factor``): ``yours ~ c * sign(numeric)`` where the gradient's entries
  differ in size (Adam's first step is ``-lr * m / sqrt(v) = -lr * g / |g|``): not a gradient step.
- **lr dependence** (``lr_dependence``): a step divided by its lr that changes with the lr is
  computed through weights the same step already updated: its part proportional to lr.
"""

from __future__ import annotations

import math

import numpy as np

from .tolerance import Tolerance

__all__ = [
    "common_factor",
    "describe_factor",
    "is_transposed",
    "kinked",
    "lr_dependence",
    "same_factor",
    "significant",
    "sign_factor",
]

# one-sided gaps that stay within this fraction of their size when h doubles are kinks (a smooth
# function's gap doubles)
KINK_GROWTH = 1.5


def _passes(tolerance: Tolerance, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The pass rule entry by entry (nan fails)."""
    return np.abs(a - b) <= tolerance.atol + tolerance.rtol * np.abs(b)


def significant(numeric: np.ndarray, tolerance: Tolerance) -> np.ndarray:
    """Entries whose gradient is told apart from 0 by the pass rule."""
    return ~_passes(tolerance, np.zeros_like(numeric), numeric)


def kinked(
    right: np.ndarray,
    left: np.ndarray,
    right2: np.ndarray,
    left2: np.ndarray,
    tolerance: Tolerance,
) -> np.ndarray:
    """Entries where the loss is not differentiable: the one-sided slopes at ``h`` (``right``,
    ``left``) disagree and their gap at ``2h`` (``right2``, ``left2``; nan where not measured)
    has not grown as a smooth function's would."""
    suspect = ~_passes(tolerance, right, left)
    gap, gap2 = np.abs(right - left), np.abs(right2 - left2)
    with np.errstate(invalid="ignore"):
        stays = np.isfinite(gap2) & (gap2 < KINK_GROWTH * gap)
    return suspect & stays


def common_factor(
    yours: np.ndarray, numeric: np.ndarray, tolerance: Tolerance, skip: np.ndarray | None = None
) -> float | None:
    """The one factor ``c`` (least squares, rounded to ``1/k`` or ``k`` when within 1e-9 of
    one) with ``yours ~ c * numeric`` in every entry not in ``skip``, found from at least two
    significant entries; None when there is no such factor, or fewer than two entries fix it."""
    keep = np.ones(numeric.shape, bool) if skip is None else ~skip
    y, g = yours[keep], numeric[keep]
    if np.count_nonzero(significant(g, tolerance)) < 2:
        return None
    c = float(np.sum(y * g) / np.sum(g * g))
    if not math.isfinite(c) or c == 0:
        return None
    c = _tidy(c)
    return c if bool(np.all(_passes(tolerance, y, c * g))) else None


def _tidy(c: float) -> float:
    for k in range(1, 1001):
        for candidate in (k, 1.0 / k, -k, -1.0 / k):
            if abs(c - candidate) <= 1e-9 * abs(candidate):
                return float(candidate)
    return c


def same_factor(c: float, c2: float | None, tolerance: Tolerance) -> bool:
    """Does the factor found at a second point agree with ``c`` (by the relative tolerance)?"""
    return c2 is not None and abs(c2 - c) <= max(tolerance.rtol, 1e-9) * abs(c)


def describe_factor(c: float, subject: str) -> str:
    """``c`` in words: "exactly half the right gradient", "the right step scaled by 1/12"."""
    from .stepcheck import format_scale

    words = {0.5: "exactly half", 2.0: "exactly twice", -1.0: "exactly the negative of"}
    if subject == "gradient" and c in words:
        return f"{words[c]} the right gradient"
    return f"the right {subject} scaled by {format_scale(c)}"


def is_transposed(
    yours: np.ndarray, numeric: np.ndarray, tolerance: Tolerance, skip: np.ndarray | None = None
) -> bool:
    """A square matrix given as the transpose of the right one (which is not symmetric)."""
    if numeric.ndim != 2 or numeric.shape[0] != numeric.shape[1] or numeric.shape[0] < 2:
        return False
    keep = np.ones(numeric.shape, bool) if skip is None else ~(skip | skip.T)
    if bool(np.all(_passes(tolerance, numeric, numeric.T)[keep])):
        return False  # symmetric: a transpose cannot be told apart
    return bool(np.all(_passes(tolerance, yours, numeric.T)[keep]))


def sign_factor(
    yours: np.ndarray, numeric: np.ndarray, tolerance: Tolerance, skip: np.ndarray | None = None
) -> float | None:
    """``c`` when ``yours ~ c * sign(numeric)`` in every significant entry (at most ``|c|``
    elsewhere), the gradient's significant entries differing in size by at least 1.5x (else a
    sign step is also a gradient step times a factor); None otherwise."""
    keep = np.ones(numeric.shape, bool) if skip is None else ~skip
    y, g = yours[keep], numeric[keep]
    big = significant(g, tolerance)
    if np.count_nonzero(big) < 2:
        return None
    sizes = np.abs(g[big])
    if sizes.max() < 1.5 * sizes.min():
        return None
    c = float(np.mean(y[big] * np.sign(g[big])))
    if not math.isfinite(c) or c <= 0:
        return None
    close = _passes(tolerance, y[big], c * np.sign(g[big]))
    small = np.abs(y[~big]) <= abs(c) * (1 + tolerance.rtol) + tolerance.atol
    return c if bool(np.all(close) and np.all(small)) else None


def lr_dependence(
    yours: np.ndarray,
    yours_small: np.ndarray | None,
    yours_large: np.ndarray | None,
    noise: np.ndarray,
) -> np.ndarray | None:
    """The part of ``step / -lr`` proportional to lr, at lr, from a re-run at lr/10
    (``yours_small``): ``(yours - yours_small) / 0.9``. Returned when it stands out of the
    rounding ``noise`` (per entry, times 1000) and, when a re-run at 10 lr exists
    (``yours_large``), that run moves the same way (cosine over 0.8: rounding noise does not;
    higher powers of lr change the size, not the direction); None otherwise."""
    if yours_small is None:
        return None
    part = (yours - yours_small) / 0.9
    if not np.any(np.abs(part) > 1e3 * noise):
        return None
    if yours_large is not None and np.all(np.isfinite(yours_large)):
        large = yours_large - yours
        norms = float(np.linalg.norm(part) * np.linalg.norm(large))
        if norms == 0 or float(np.sum(part * large)) / norms < 0.8:
            return None
    return part
