"""A small convolutional network on Tensor nodes, with the MLP's contract.

``CNN(image_shape=(1, 12, 12), channels=(4,), kernel=3, ...)``: for each entry of ``channels``
a block conv (same padding) -> activation -> pool, then flatten, then dense layers (``hidden``
widths, then ``outputs``) exactly like the MLP's layers. Parameters are named
``conv1.W`` (out, in, kh, kw), ``conv1.b``, ..., ``dense1.W`` (inputs, outputs), ``dense1.b``, ...
and live in one flat buffer, so the same optimizers drive it; ``loss_and_grads(X, y, loss,
reduction)`` and ``predict(X)`` take images X of shape (n, channels, height, width).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from autograd import Tensor, avg_pool2d, conv2d, flatten, max_pool2d, scope
from autograd.conv import conv_output_size

from .activations import get_activation
from .module import Module
from .tensornet import TensorNetwork

__all__ = ["CNN"]

_POOLS = {"max": max_pool2d, "avg": avg_pool2d, "none": None}


class CNN(TensorNetwork, Module):
    """conv -> activation -> pool blocks, flatten, dense layers; see the module docstring."""

    engine = "tensor"

    def __init__(
        self,
        image_shape: Sequence[int] = (1, 12, 12),
        channels: Sequence[int] = (4,),
        kernel: int = 3,
        pool: str = "max",
        pool_size: int = 2,
        hidden: Sequence[int] = (),
        outputs: int = 1,
        activation: str = "relu",
        output_activation: str = "sigmoid",
        seed: int | None = 0,
    ) -> None:
        self.image_shape = tuple(int(v) for v in image_shape)
        if len(self.image_shape) != 3 or min(self.image_shape) < 1:
            raise ValueError(f"image_shape must be (channels, height, width), got {image_shape}")
        if pool not in _POOLS:
            raise ValueError(f"unknown pool {pool!r}; choose one of {', '.join(_POOLS)}")
        if kernel < 1 or kernel % 2 == 0:
            raise ValueError(f"kernel must be an odd size >= 1 (same padding), got {kernel}")
        self.channels, self.kernel, self.pool, self.pool_size = (
            tuple(channels),
            kernel,
            pool,
            pool_size,
        )
        self.hidden, self.outputs = tuple(hidden), int(outputs)
        self.activation = get_activation(activation)
        self.output_activation = get_activation(output_activation)
        self.seed = seed
        rng = np.random.default_rng(seed)
        params: dict[str, np.ndarray] = {}
        c, h, w = self.image_shape
        for k, out in enumerate(self.channels, start=1):
            fan_in = c * kernel * kernel
            params[f"conv{k}.W"] = rng.standard_normal((out, c, kernel, kernel)) * np.sqrt(
                2.0 / fan_in
            )
            params[f"conv{k}.b"] = np.zeros(out)
            if pool != "none":
                if pool_size > min(h, w):
                    raise ValueError(
                        f"pool_size {pool_size} is larger than the {h}x{w} maps after conv{k}"
                    )
                h = conv_output_size(h, pool_size, pool_size, 0)
                w = conv_output_size(w, pool_size, pool_size, 0)
            c = out
        self.features = c * h * w
        widths = [self.features, *self.hidden, self.outputs]
        for k, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:]), start=1):
            params[f"dense{k}.W"] = rng.standard_normal((n_in, n_out)) * np.sqrt(
                2.0 / (n_in + n_out)
            )
            params[f"dense{k}.b"] = np.zeros(n_out)
        self._init_parameters(params)

    # -- Module hooks --------------------------------------------------------------------------
    def config(self) -> dict:
        return {
            "image_shape": list(self.image_shape),
            "channels": list(self.channels),
            "kernel": self.kernel,
            "pool": self.pool,
            "pool_size": self.pool_size,
            "hidden": list(self.hidden),
            "outputs": self.outputs,
            "activation": self.activation.name,
            "output_activation": self.output_activation.name,
            "seed": self.seed,
        }

    def describe(self) -> str:
        return (
            f"CNN({'x'.join(map(str, self.image_shape))} -> conv{list(self.channels)} "
            f"k{self.kernel} {self.pool}pool -> dense{[*self.hidden, self.outputs]})"
        )

    __repr__ = describe

    # -- forward, loss, gradients ---------------------------------------------------------------
    def check_batch(self, X, y=None):
        X = (
            np.asarray(X, dtype=np.float64)
            if not (type(X) is np.ndarray and X.dtype == np.float64)
            else X
        )
        if X.ndim != 4 or X.shape[1:] != self.image_shape:
            raise ValueError(
                f"X has shape {X.shape}; {self.describe()} takes (n, "
                f"{', '.join(map(str, self.image_shape))})"
            )
        if y is None:
            return X, None
        y = np.asarray(y, dtype=np.float64)
        if y.ndim == 1 and self.outputs == 1:
            y = y.reshape(-1, 1)
        if y.shape != (X.shape[0], self.outputs):
            raise ValueError(f"y has shape {y.shape}; expected {(X.shape[0], self.outputs)}")
        return X, y

    def _forward(self, X: np.ndarray) -> Tensor:
        h = Tensor.input(X, label="X")
        pool = _POOLS[self.pool]
        for k in range(1, len(self.channels) + 1):
            with scope(f"conv{k}"):
                h = conv2d(
                    h,
                    self.params[f"conv{k}.W"],
                    self.params[f"conv{k}.b"],
                    padding=self.kernel // 2,
                )
                h = self.activation.on_node(h)
                if pool is not None:
                    h = pool(h, self.pool_size)
        h = flatten(h)
        dense = len(self.hidden) + 1
        for k in range(1, dense + 1):
            with scope(f"dense{k}"):
                h = h @ self.params[f"dense{k}.W"] + self.params[f"dense{k}.b"]
                act = self.output_activation if k == dense else self.activation
                h = act.on_node(h)
        return h

    def filters(self, layer: int = 1) -> np.ndarray:
        """The learned kernels of a conv layer, (out, in, kh, kw)."""
        return self.params[f"conv{layer}.W"].data.copy()
