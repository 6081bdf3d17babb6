"""Activation functions, each named once for every engine.

The graph engines call the node method of the same name (``node.sigmoid()``); the numpy fast path
uses ``forward`` and ``derivative`` (d a / d z from the pre-activation z and the output a)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from autograd.numeric import sigmoid

LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class Activation:
    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray, np.ndarray], np.ndarray]  # (z, a) -> da/dz
    method: str  # the Value/Tensor method that applies it
    args: tuple = ()

    def on_node(self, node):
        return getattr(node, self.method)(*self.args)


ACTIVATIONS: dict[str, Activation] = {
    # d/dz sigmoid = s (1 - s), from the output as the lab's helper does
    "sigmoid": Activation("sigmoid", sigmoid, lambda z, a: a * (1.0 - a), "sigmoid"),
    # d/dz tanh = 1 - tanh^2
    "tanh": Activation("tanh", np.tanh, lambda z, a: 1.0 - a * a, "tanh"),
    # d/dz relu = 1 if z > 0 else 0
    "relu": Activation("relu", lambda z: np.maximum(z, 0.0), lambda z, a: (z > 0) * 1.0, "relu"),
    # d/dz leaky_relu = 1 if z > 0 else slope
    "leaky_relu": Activation(
        "leaky_relu",
        lambda z: np.where(z > 0, z, LEAKY_SLOPE * z),
        lambda z, a: np.where(z > 0, 1.0, LEAKY_SLOPE),
        "leaky_relu",
        (LEAKY_SLOPE,),
    ),
    # the lab's "without activation functions": identity, d/dz = 1
    "none": Activation("none", lambda z: z, lambda z, a: np.ones_like(z), "identity"),
}


def get_activation(name: str) -> Activation:
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(
            f"unknown activation {name!r}; choose one of {', '.join(sorted(ACTIVATIONS))}"
        )
    return ACTIVATIONS[name]
