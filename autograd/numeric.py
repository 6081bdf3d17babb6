"""Numerically careful array functions shared by the Tensor ops and the numpy fast path, and the
one rule for what counts as a number."""

from __future__ import annotations

import numbers

import numpy as np


def is_number(x) -> bool:
    """The one rule for what every node type takes as a number: a Python or numpy real scalar
    (a bool too, as ``float(True)`` does) or a 0-d array of one."""
    return isinstance(x, numbers.Real) or (
        isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "biuf"
    )


SIGMOID_FLOOR = -700.0  # e^700 is still finite; sigmoid(-700) is 1e-304
_SIGMOID_FLOOR = np.array(SIGMOID_FLOOR)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-x), accurate to a few ulps in relative terms over the whole line (the
    reciprocal of a sum of positives loses nothing). Inputs below -700 are raised to -700 so
    e^-x never overflows (no warning); sigmoid there is below 1e-304 either way."""
    e = np.maximum(x, _SIGMOID_FLOOR)
    if not isinstance(e, np.ndarray):  # a 0-d input gives a numpy scalar
        e = np.array(e)
    np.negative(e, e)
    np.exp(e, e)
    e += 1.0
    return np.reciprocal(e, e)


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum a gradient computed in a broadcast shape back to an operand's ``shape``: over the
    leading axes broadcasting added and over the axes where the operand had size 1."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    ones = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if ones:
        grad = grad.sum(axis=ones, keepdims=True)
    return grad


BCE_EPS = 1e-12  # floor of p (1 - p) in the bce derivative, as in torch's BCELoss
LOG_FLOOR = -100.0  # bce's logs are clamped here, as in torch
# 0-d arrays: numpy converts a Python float scalar on every call, an array it does not.
_P_FLOOR = np.array(np.exp(LOG_FLOOR))
_EPS = np.array(BCE_EPS)


def clamped_log(x: np.ndarray) -> np.ndarray:
    """ln x clamped below at -100 (never evaluates log(0)): ln(max(x, e^-100))."""
    out = np.maximum(x, _P_FLOOR)
    return np.log(out, out=out)


def bce(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Elementwise -(y ln p + (1 - y) ln(1 - p)) with clamped logs, as
    -(ln(1 - p) + y (ln p - ln(1 - p))): two logs, the rest in place."""
    lp = clamped_log(p)
    l1p = np.subtract(1.0, p)
    np.maximum(l1p, _P_FLOOR, out=l1p)
    np.log(l1p, out=l1p)
    lp -= l1p
    lp *= y
    lp += l1p
    return np.negative(lp, out=lp)


def bce_grad(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Elementwise dL/dp = (p - y) / max(p (1 - p), 1e-12)."""
    q = np.subtract(1.0, p)
    q *= p
    np.maximum(q, _EPS, out=q)
    d = np.subtract(p, y)
    d /= q
    return d
