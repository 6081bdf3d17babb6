"""The hand-derived forward and backward of a multilayer perceptron, written once.

For layer k with input a_{k-1} (a_0 = X):

    z_k = a_{k-1} W_k + b_k,  a_k = f_k(z_k)
    delta_L = dLoss/da_L * f_L'(z_L)         (bce after a sigmoid: p - y, the lab's delta)
    dW_k = a_{k-1}^T delta_k,  db_k = sum_rows(delta_k),
    delta_{k-1} = (delta_k W_k^T) * f_{k-1}'(z_{k-1})

``Backprop`` runs these lines on arrays with any leading axes: (n, width) for one network
(``NumpyMLP``) or (R, n, width) for R networks at once (``Population``, one block per layer
stacking every network's weights). Both read this one derivation; only the matrix product
differs (``ndarray.dot`` for a single network, ``np.matmul`` for a stack).

For speed (at the lab's sizes everything is call overhead, not arithmetic): each layer's bias is
the row after its weights in one block, so ``[a_{k-1}, 1] @ [W_k; b_k]`` is one matrix product
and ``[a_{k-1}, 1]^T delta_k`` gives dW_k and db_k at once; every intermediate lives in a buffer
allocated once per batch size (transposed views included) and is written in place.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from autograd.numeric import BCE_EPS

__all__ = ["Backprop", "output_delta", "through_activation"]

_min = np.minimum.reduce


class Backprop:
    """The forward and backward of one architecture on given parameter blocks.

    ``blocks[k - 1]`` is layer k's ``(..., inputs + bias, outputs)`` view of the parameters (the
    bias as the last row) and ``grad_blocks`` the same views of the gradient buffer, which
    ``backward`` overwrites. ``acts`` are the layers' activations (``nets.activations``)."""

    def __init__(
        self,
        blocks: Sequence[np.ndarray],
        grad_blocks: Sequence[np.ndarray],
        layer_sizes: Sequence[int],
        acts: Sequence,
        bias: bool,
    ) -> None:
        self.blocks, self.grad_blocks = list(blocks), list(grad_blocks)
        self.sizes, self.bias = tuple(layer_sizes), bias
        self.lead = blocks[0].shape[:-2]  # () for one network, (R,) for a population
        # W without its bias row, transposed: what a delta goes back through
        self.weights_T = [b[..., :n, :].swapaxes(-1, -2) for b, n in zip(blocks, layer_sizes)]
        self.acts = list(acts)
        self.sigmoid = [act.name == "sigmoid" for act in self.acts]
        # The method form for one network: np.dot's dispatch costs as much as the product.
        self.product = np.ndarray.dot if not self.lead else np.matmul
        # Layer 1 reads X from a buffer when it needs a column of ones (a bias) or is a stack:
        # np.matmul on a batch broadcast over the networks (stride 0) is twice as slow as on a
        # copy. One network without bias reads X itself.
        self.copy_input = bias or bool(self.lead)
        self.n = None

    def buffers(self, n: int) -> None:
        """Allocate the per-batch-size buffers once: each layer's output with a trailing column
        of ones (the bias row's partner), pre-activations, deltas and scratch."""
        if self.n == n:
            return
        lead, extra, sizes = self.lead, 1 if self.bias else 0, self.sizes
        self.A = [np.ones((*lead, n, sizes[0] + extra)) if self.copy_input else None]
        self.A += [np.ones((*lead, n, size + extra)) for size in sizes[1:]]
        self.Av = [None if a is None else a[..., :size] for a, size in zip(self.A, sizes)]
        self.AT = [None if a is None else a.swapaxes(-1, -2) for a in self.A]
        self.Z = [None] + [np.empty((*lead, n, size)) for size in sizes[1:]]
        self.D = [None] + [np.empty((*lead, n, size)) for size in sizes[1:]]
        self.T = [None] + [np.empty((*lead, n, size)) for size in sizes[1:]]
        self.q = np.empty((*lead, n, sizes[-1]))
        self.n = n

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Fill the buffers; return the output activations (a view). Callers silence overflow:
        a sigmoid's e^-z may overflow to inf for z < -709, giving exactly 0, as it should."""
        self.buffers(X.shape[-2])
        A, Av, Z, product = self.A, self.Av, self.Z, self.product
        if self.copy_input:
            Av[0][...] = X
            below = A[0]
        else:
            below = X
        for k, (block, act, is_sigmoid) in enumerate(
            zip(self.blocks, self.acts, self.sigmoid), start=1
        ):
            z, out = Z[k], Av[k]
            product(below, block, z)
            if is_sigmoid:  # 1 / (1 + e^-z), in place: 4 calls
                np.negative(z, out)
                np.exp(out, out)
                out += 1.0
                np.reciprocal(out, out)
            else:
                out[...] = act.forward(z)
            below = A[k]
        return Av[-1]

    def output_error(self, p: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """p - y and 1 - p, in the buffers ``backward`` starts from (a loss value reads them)."""
        L = len(self.blocks)
        delta, one_minus_p = self.D[L], self.T[L]
        np.subtract(1.0, p, one_minus_p)
        np.subtract(p, y, delta)
        return delta, one_minus_p

    def backward(self, p: np.ndarray, loss: str, scale: float, XT: np.ndarray) -> None:
        """Fill ``grad_blocks`` with the gradients of ``scale`` times the summed loss, from
        ``output_error``'s buffers. ``XT`` is X with its last two axes swapped (layer 1's input
        transposed, read when X itself is layer 1's input: one network without bias)."""
        L = len(self.blocks)
        acts, sigmoid, Av, Z, D, T = self.acts, self.sigmoid, self.Av, self.Z, self.D, self.T
        delta = D[L]
        output_delta(delta, p, T[L], self.q, Z[L], acts[-1], sigmoid[-1], loss)
        if scale != 1.0:
            delta *= scale
        AT, grads, WT, product = self.AT, self.grad_blocks, self.weights_T, self.product
        for k in range(L, 0, -1):
            product(AT[k - 1] if (k > 1 or self.copy_input) else XT, delta, grads[k - 1])
            if k > 1:
                nxt = D[k - 1]
                product(delta, WT[k - 1], nxt)
                through_activation(nxt, Av[k - 1], Z[k - 1], acts[k - 2], sigmoid[k - 2], T[k - 1])
                delta = nxt


# -- the derivation's two local rules -------------------------------------------------------------
def output_delta(delta, p, one_minus_p, q, z, act, is_sigmoid: bool, loss: str) -> None:
    """dLoss/dz at the output, in place: ``delta`` holds p - y on entry (any leading shape).
    mse: dL/dp = 2 (p - y); bce: dL/dp = (p - y) / max(p (1 - p), eps) (torch's clamp), which
    after a sigmoid is the lab's p - y unless p (1 - p) < eps. ``q`` is scratch of p's shape."""
    if loss == "mse":
        delta *= 2.0
        if is_sigmoid:
            delta *= p
            delta *= one_minus_p
        else:
            delta *= act.derivative(z, p)
        return
    np.multiply(p, one_minus_p, q)
    if is_sigmoid:
        if _min(q, None) < BCE_EPS:
            delta *= q / np.maximum(q, BCE_EPS)
    else:
        delta /= np.maximum(q, BCE_EPS)
        delta *= act.derivative(z, p)


def through_activation(delta, a, z, act, is_sigmoid: bool, scratch) -> None:
    """delta *= f'(z), in place; a sigmoid's from its output: f' = a (1 - a)."""
    if is_sigmoid:
        np.subtract(1.0, a, scratch)
        delta *= a
        delta *= scratch
    else:
        delta *= act.derivative(z, a)
