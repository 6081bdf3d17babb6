"""Many networks at once: R networks of one architecture, weights stacked on a leading axis.

At the lab's sizes every epoch is numpy call overhead (a 2-4-4-1 epoch is about 17 kflop), so
training R networks one at a time pays that overhead R times. ``Population`` runs the one
derivation ``NumpyMLP`` runs (``nets.backprop``) on stacked arrays: layer k of every network is one
``(R, inputs + 1, outputs)`` block (the bias as the last row, as in ``NumpyMLP``), a batch is one
``np.matmul``, and an optimizer updates all R flat parameter vectors with one call, each network
with its own learning rate. Each network's gradients equal a single ``NumpyMLP``'s on the same
weights and data (to 1e-12, tested), so the single network stays the reference and the readable
derivation.

    >>> import numpy as np
    >>> from nets import Population, NumpyMLP
    >>> pop = Population((2, 4, 4, 1), seeds=[0, 1, 2], bias=False, init="lab")
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0]]); y = np.array([[1.0], [1.0]])
    >>> losses, grads = pop.loss_and_grads(X, y, loss="bce", reduction="sum")
    >>> losses.shape, grads["W1"].shape
    ((3,), (3, 2, 4))
    >>> single = NumpyMLP((2, 4, 4, 1), bias=False, init="lab", seed=1)
    >>> bool(np.allclose(grads["W1"][1], single.loss_and_grads(X, y, "bce", "sum")[1]["W1"]))
    True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from autograd.numeric import LOG_FLOOR

from .activations import get_activation
from .backprop import Backprop
from .init import INITS, check_layer_sizes, init_parameters, parameter_shapes
from .losses import LOSSES, REDUCTIONS, check_loss, check_targets
from .mlp import NumpyMLP, architecture
from .module import Gradients, as_float_array, make_layout, require_finite

__all__ = ["Population", "PopulationGradients", "estimate_bytes"]

_LOG_FLOOR_P = float(np.exp(LOG_FLOOR))


class PopulationGradients(Gradients):
    """``{name: array (R, *shape)}`` backed by ``flat`` (R, P): every network's gradients in
    state_dict order (what the optimizers update, row by row)."""

    def __getitem__(self, name: str) -> np.ndarray:
        for key, start, stop, shape in self._layout:
            if key == name:
                return self.flat[:, start:stop].reshape(self.flat.shape[0], *shape)
        raise KeyError(name)


def estimate_bytes(layer_sizes: Sequence[int], runs: int, n: int, bias: bool = True) -> int:
    """Memory a population of ``runs`` networks needs for batches of ``n`` points: parameters,
    gradients and optimizer state (4 copies of R x P), and the per-layer buffers (activations,
    pre-activations, deltas, scratch: 4 copies of R x n x width), in float64."""
    sizes = check_layer_sizes(layer_sizes)
    params = sum((a + (1 if bias else 0)) * b for a, b in zip(sizes[:-1], sizes[1:]))
    widths = sum(s + 1 for s in sizes)
    return 8 * runs * (4 * params + 4 * n * widths)


class Population:
    """R networks of one architecture (``NumpyMLP``'s arguments), network r initialised from
    ``seeds[r]``. ``loss_and_grads(X, y)`` takes one batch for all networks (X of shape
    (n, inputs)) or one per network ((R, n, inputs)), and returns R losses and R sets of
    gradients; ``gradients(X, y)`` skips the loss values (the training loop's epochs between
    logs). ``flat_parameters()`` is (R, P), so every optimizer in ``nets.optim`` drives it with
    a per-network learning rate (``lr`` an array of R)."""

    engine = "numpy-population"

    def __init__(
        self,
        layer_sizes: Sequence[int] = (2, 4, 4, 1),
        seeds: Sequence[int] = (0,),
        activation: str = "sigmoid",
        output_activation: str = "sigmoid",
        bias: bool = True,
        init: str = "xavier",
    ) -> None:
        self.layer_sizes = check_layer_sizes(layer_sizes)
        self.activation = get_activation(activation)
        self.output_activation = get_activation(output_activation)
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"bias must be True or False, got {type(bias).__name__}")
        if init not in INITS:
            raise ValueError(f"unknown init {init!r}; choose one of {', '.join(INITS)}")
        self.bias, self.init = bool(bias), init
        seeds = list(seeds)
        if not seeds:
            raise ValueError("a population needs at least one network (one seed)")
        self.seeds = seeds
        self.shapes = parameter_shapes(self.layer_sizes, self.bias)
        self._layout = make_layout(self.shapes)
        rows = []
        for seed in seeds:
            params = init_parameters(self.layer_sizes, self.bias, init, seed)
            rows.append(np.concatenate([a.ravel() for a in params.values()]))
        self._flat = np.array(rows)
        self._grad_flat = np.zeros_like(self._flat)
        extra = 1 if self.bias else 0
        self._blocks, self._grad_blocks = [], []
        start = 0
        for n_in, n_out in zip(self.layer_sizes[:-1], self.layer_sizes[1:]):
            size = (n_in + extra) * n_out
            shape = (len(seeds), n_in + extra, n_out)
            self._blocks.append(self._flat[:, start : start + size].reshape(shape))
            self._grad_blocks.append(self._grad_flat[:, start : start + size].reshape(shape))
            start += size
        acts = [self.activation] * (self.depth - 1) + [self.output_activation]
        self._pass = Backprop(self._blocks, self._grad_blocks, self.layer_sizes, acts, self.bias)

    # -- what it is ---------------------------------------------------------------------------
    @property
    def depth(self) -> int:
        return len(self.layer_sizes) - 1

    def __len__(self) -> int:
        return len(self.seeds)

    def describe(self) -> str:
        return f"Population({len(self)} x {architecture(self)})"

    __repr__ = describe

    def flat_parameters(self) -> np.ndarray:
        return self._flat

    def set_flat_parameters(self, flat: np.ndarray) -> None:
        if flat is not self._flat:
            self._flat[...] = flat

    def state_dict(self, r: int) -> dict[str, np.ndarray]:
        """Network r's parameters, named and shaped as ``NumpyMLP.state_dict()``."""
        out = {}
        for name, start, stop, shape in self._layout:
            out[name] = self._flat[r, start:stop].reshape(shape).copy()
        return out

    def network(self, r: int) -> NumpyMLP:
        """Network r as a ``NumpyMLP`` (a copy of its weights)."""
        net = NumpyMLP(
            self.layer_sizes,
            activation=self.activation.name,
            output_activation=self.output_activation.name,
            bias=self.bias,
            seed=self.seeds[r],
            init=self.init,
        )
        net.load_state_dict(self.state_dict(r))
        return net

    # -- batches --------------------------------------------------------------------------------
    def check_batch(self, X, y=None):
        """X as (R, n, inputs) float64 (a shared (n, inputs) batch is broadcast, not copied) and
        y as (R, n, outputs); errors name the mismatch."""
        R, n_in, n_out = len(self), self.layer_sizes[0], self.layer_sizes[-1]
        X = as_float_array(X, "X")
        if X.ndim == 2:
            X = np.broadcast_to(X, (R, *X.shape))
        if X.ndim != 3 or X.shape[0] != R or X.shape[2] != n_in or X.shape[1] == 0:
            raise ValueError(
                f"X has shape {X.shape}; {self.describe()} takes (n, {n_in}) shared by every "
                f"network or ({R}, n, {n_in}), one batch per network"
            )
        if y is None:
            return X, None
        y = as_float_array(y, "y")
        if y.ndim == 2:
            y = np.broadcast_to(y, (R, *y.shape))
        if y.shape != (R, X.shape[1], n_out):
            raise ValueError(f"y has shape {y.shape}; expected {(R, X.shape[1], n_out)}")
        require_finite(X, y)
        return X, y

    def predict(self, X) -> np.ndarray:
        X, _ = self.check_batch(X)
        with np.errstate(over="ignore"):
            return self._pass.forward(X).copy()

    def loss_and_grads(
        self, X, y, loss: str = "mse", reduction: str = "mean"
    ) -> tuple[np.ndarray, PopulationGradients]:
        """R losses and every network's gradients (NumpyMLP's derivation, stacked)."""
        return self._backward(X, y, loss, reduction, want_loss=True)

    def gradients(self, X, y, loss: str = "mse", reduction: str = "mean") -> PopulationGradients:
        """Every network's gradients without the loss values (fewer numpy calls)."""
        return self._backward(X, y, loss, reduction, want_loss=False)[1]

    def trainer(self, X, y, loss: str = "mse", reduction: str = "mean"):
        """A function of no arguments giving the gradients on this batch, checked once: what a
        training loop calls every epoch. The gradients it returns share one buffer, rewritten
        by the next call (an optimizer step reads them before that)."""
        check_loss(loss, reduction)
        X, y = self.check_batch(X, y)
        check_targets(loss, y)
        return lambda: self._backward(X, y, loss, reduction, False, checked=True)[1]

    def _backward(self, X, y, loss, reduction, want_loss: bool, checked: bool = False):
        if not checked:
            if loss not in LOSSES or reduction not in REDUCTIONS:
                check_loss(loss, reduction)
            X, y = self.check_batch(X, y)
            check_targets(loss, y)
        run = self._pass
        with np.errstate(over="ignore"):
            p = run.forward(X)
        delta, one_minus_p = run.output_error(p, y)
        values = None
        if want_loss and loss == "mse":
            values = np.einsum("rnj,rnj->r", delta, delta)
        elif want_loss:  # -(y ln p + (1 - y) ln(1 - p)), logs clamped at -100
            lp = np.log(np.maximum(p, _LOG_FLOOR_P))
            l1p = np.log(np.maximum(one_minus_p, _LOG_FLOOR_P))
            values = -(np.einsum("rnj,rnj->r", y, lp - l1p) + l1p.sum(axis=(1, 2)))
        scale = 1.0 / (p.shape[1] * p.shape[2]) if reduction == "mean" else 1.0
        if values is not None and scale != 1.0:
            values *= scale
        run.backward(p, loss, scale, X)  # (a stack reads X from its buffer)
        grad = self._grad_flat if checked else self._grad_flat.copy()
        return values, PopulationGradients(grad, self._layout)
