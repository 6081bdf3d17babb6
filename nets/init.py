"""Seeded weight initialisation shared by every engine, so they start from the same numbers.

- ``lab``: standard normal N(0, 1), as the lab's hand-written code draws with ``np.random.randn``;
- ``xavier``: N(0, 2 / (fan_in + fan_out)) (Glorot);
- ``he``: N(0, 2 / fan_in) (for relu).
Biases start at zero. Weights are stored (inputs, outputs): a layer is ``X @ W + b``."""

from __future__ import annotations

import numpy as np

INITS = ("lab", "xavier", "he")


def check_layer_sizes(layer_sizes) -> tuple[int, ...]:
    try:
        sizes = tuple(layer_sizes)
    except TypeError:
        raise TypeError(
            f"layer_sizes must be a sequence of ints, got {type(layer_sizes).__name__}"
        ) from None
    if len(sizes) < 2:
        raise ValueError(f"layer_sizes needs an input and an output size, got {sizes}")
    for n in sizes:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"layer sizes must be positive integers, got {sizes}")
    return tuple(int(n) for n in sizes)


def parameter_shapes(layer_sizes: tuple[int, ...], bias: bool) -> dict[str, tuple]:
    """Names and shapes in state_dict order: W1, b1, W2, b2, ..."""
    shapes = {}
    for k, (n_in, n_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:]), start=1):
        shapes[f"W{k}"] = (n_in, n_out)
        if bias:
            shapes[f"b{k}"] = (n_out,)
    return shapes


def init_parameters(
    layer_sizes, bias: bool = True, init: str = "xavier", seed: int | None = 0
) -> dict[str, np.ndarray]:
    """Fresh parameters, the same for the same arguments (``seed=None`` draws fresh entropy)."""
    sizes = check_layer_sizes(layer_sizes)
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}; choose one of {', '.join(INITS)}")
    rng = np.random.default_rng(seed)
    params = {}
    for name, shape in parameter_shapes(sizes, bias).items():
        if name.startswith("b"):
            params[name] = np.zeros(shape)
            continue
        fan_in, fan_out = shape
        std = {
            "lab": 1.0,
            "xavier": np.sqrt(2.0 / (fan_in + fan_out)),
            "he": np.sqrt(2.0 / fan_in),
        }[init]
        params[name] = rng.standard_normal(shape) * std
    return params
