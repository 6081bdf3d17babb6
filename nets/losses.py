"""Losses over a batch of predictions p (n, outputs) and 0/1 targets y of the same shape.

- ``mse``: (p - y)^2 per element; dL/dp = 2 (p - y).
- ``bce``: -(y ln p + (1 - y) ln(1 - p)) per element with logs clamped at -100 (never log(0));
  dL/dp = (p - y) / max(p (1 - p), 1e-12). After a sigmoid output this gives the lab's output
  delta dL/dz = p - y.

Reduction ``mean`` divides the sum over all elements by their number (n * outputs); ``sum`` does
not: the lab's update sums over the batch. The graph engines build each loss from ops; the numpy
fast path (``NumpyMLP.loss_and_grads``) writes the same formulas out in place."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from autograd import Tensor, Value, sum_values

LOSSES = ("mse", "bce")
REDUCTIONS = ("mean", "sum")


def check_loss(loss: str, reduction: str) -> None:
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
    if reduction not in REDUCTIONS:
        raise ValueError(f"unknown reduction {reduction!r}; choose one of {', '.join(REDUCTIONS)}")


def check_targets(loss: str, y: np.ndarray | None) -> None:
    """bce is defined for targets in [0, 1] (probabilities, usually 0/1 labels): refuse others
    by name instead of training on a loss that has no minimum."""
    if loss == "bce" and y is not None and y.size and (y.min() < 0 or y.max() > 1):
        bad = np.argwhere((y < 0) | (y > 1))[0]
        where = ", ".join(map(str, bad))
        raise ValueError(
            f"bce needs targets in [0, 1]; y[{where}] is {y[tuple(bad)]:g} (use mse, or rescale y)"
        )


@lru_cache(maxsize=32)
def _term_labels(loss: str, n: int, outputs: int) -> tuple[str, ...]:
    """``se[0]``, ``se[1]``, ... (``[i,k]`` with several outputs), made once per batch shape."""
    kind = "se" if loss == "mse" else "bce"
    if outputs > 1:
        return tuple(f"{kind}[{i},{k}]" for i in range(n) for k in range(outputs))
    return tuple(f"{kind}[{i}]" for i in range(n))


def value_loss(outputs: list[list[Value]], y: np.ndarray, loss: str, reduction: str) -> Value:
    """The loss as one Value graph over every sample's outputs; terms are labelled
    ``bce[i]`` / ``se[i]`` (sample i; ``[i,k]`` with several outputs) and the result ``L``."""
    terms = []
    labels = iter(_term_labels(loss, len(outputs), len(outputs[0]) if outputs else 0))
    for row, targets in zip(outputs, y):
        for p, t in zip(row, targets.tolist()):
            term = (p - t) ** 2 if loss == "mse" else p.bce(t)
            term.label = next(labels)
            terms.append(term)
    if len(terms) == 1:  # the loss of one sample is its term: no "sum" or "* 1" node
        terms[0].label = "L"
        return terms[0]
    total = sum_values(terms)
    if reduction == "mean":
        total.label = "sum"
        total = total * (1.0 / len(terms))
    total.label = "L"
    return total


def tensor_loss(p: Tensor, y: np.ndarray, loss: str, reduction: str) -> Tensor:
    """The loss as a Tensor graph."""
    per_element = (p - y) ** 2 if loss == "mse" else p.bce(y)
    return per_element.mean() if reduction == "mean" else per_element.sum()
