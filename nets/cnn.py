"""A small convolutional network: a ``Sequential`` of the layers in ``nets.layers``.

``CNN(image_shape=(1, 12, 12), channels=(4,), kernel=3, ...)``: for each entry of ``channels``
a block Conv2d (same padding) -> activation -> pool, then Flatten, then Linear layers (``hidden``
widths, then ``outputs``) with the activation between them and ``output_activation`` at the end,
as in the MLP. Parameters: ``conv1.W`` (out, in, kh, kw), ``conv1.b``, ..., ``dense1.W``
(inputs, outputs), ``dense1.b``, ...; images X of shape (n, channels, height, width).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .layers import ActivationLayer, AvgPool2d, Conv2d, Flatten, Linear, MaxPool2d, Sequential

__all__ = ["CNN"]

_POOLS = {"max": MaxPool2d, "avg": AvgPool2d, "none": None}


def cnn_layers(
    image_shape: tuple,
    channels: Sequence[int],
    kernel: int,
    pool: str,
    pool_size: int,
    hidden: Sequence[int],
    outputs: int,
    activation: str,
    output_activation: str,
) -> list:
    """The CNN's layers (nothing allocated): its blocks, flatten, the dense layers."""
    if len(image_shape) != 3 or min(image_shape) < 1:
        raise ValueError(f"image_shape must be (channels, height, width), got {image_shape}")
    if pool not in _POOLS:
        raise ValueError(f"unknown pool {pool!r}; choose one of {', '.join(_POOLS)}")
    if kernel < 1 or kernel % 2 == 0:
        raise ValueError(f"kernel must be an odd size >= 1 (same padding), got {kernel}")
    layers = []
    c = image_shape[0]
    for out in channels:
        layers += [Conv2d(c, out, kernel, padding=kernel // 2), ActivationLayer(activation)]
        if _POOLS[pool] is not None:
            layers.append(_POOLS[pool](pool_size))
        c = out
    layers.append(Flatten())
    shape = image_shape
    for layer in layers:  # the flattened width, for the first dense layer
        shape = layer.output_shape(shape)
    widths = [int(np.prod(shape)), *hidden, outputs]
    for k, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:]), start=1):
        layers.append(Linear(n_in, n_out))
        layers.append(ActivationLayer(output_activation if k == len(widths) - 1 else activation))
    return layers


class CNN(Sequential):
    """conv -> activation -> pool blocks, flatten, dense layers; see the module docstring."""

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
        image_shape = tuple(int(v) for v in image_shape)
        layers = cnn_layers(
            image_shape, channels, kernel, pool, pool_size, hidden, outputs, activation,
            output_activation,
        )  # fmt: skip
        super().__init__(layers, image_shape, seed=seed)
        self.image_shape, self.channels = image_shape, tuple(channels)
        self._args = {
            "image_shape": list(image_shape),
            "channels": [int(c) for c in channels],
            "kernel": int(kernel),
            "pool": pool,
            "pool_size": int(pool_size),
            "hidden": [int(h) for h in hidden],
            "outputs": int(outputs),
            "activation": activation,
            "output_activation": output_activation,
            "seed": seed,
        }

    def config(self) -> dict:
        return {"class": "CNN", **self._args}

    def filters(self, layer: int = 1) -> np.ndarray:
        """The learned kernels of a conv layer, (out, in, kh, kw)."""
        return self.params[f"conv{layer}.W"].data.copy()
