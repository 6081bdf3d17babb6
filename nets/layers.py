"""Layers that compose into a ``Sequential`` network on Tensor nodes.

Each layer knows its output shape (for one sample, without the batch axis), the parameters it
needs (fresh, seeded) and how to apply itself to a Tensor:

- ``Conv2d(in_channels, out_channels, kernel, stride=1, padding=0, bias=True)``: weights
  (out, in, kh, kw), He-initialised;
- ``MaxPool2d(kernel, stride=None)``, ``AvgPool2d(kernel, stride=None)``, ``Flatten()``;
- ``Linear(inputs, outputs, bias=True)``: ``X @ W + b`` with W stored (inputs, outputs), as the
  MLP's layers, Xavier-initialised;
- ``ActivationLayer(name)``: any of ``nets.ACTIVATIONS``.

``Sequential(layers, input_shape, seed=0)`` names parameters ``{kind}{k}.W`` / ``{kind}{k}.b``
(``conv1.W``, ``dense2.b``), keeps them in one flat buffer (the optimizers drive it like the
MLPs) and offers the same ``loss_and_grads`` / ``predict`` contract; each layer is built inside
scope ``{kind}{k}``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from autograd import Tensor, avg_pool2d, conv2d, flatten, max_pool2d, scope
from autograd.conv import conv_output_size

from .activations import get_activation
from .module import Module, as_float_array, require_finite
from .tensornet import TensorNetwork

__all__ = [
    "Layer",
    "Conv2d",
    "MaxPool2d",
    "AvgPool2d",
    "Flatten",
    "Linear",
    "ActivationLayer",
    "Sequential",
    "layer_from_spec",
]


class Layer:
    kind = "layer"

    def output_shape(self, shape: tuple) -> tuple:
        return shape

    def init(self, shape: tuple, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Fresh parameters ({"W": ..., "b": ...}) for an input of ``shape``; none by default."""
        return {}

    def parameter_shapes(self) -> dict[str, tuple]:
        """The shapes ``init`` gives, known without allocating anything."""
        return {}

    def __call__(self, h: Tensor, params: dict[str, Tensor]) -> Tensor:  # pragma: no cover
        raise NotImplementedError

    def spec(self) -> dict:
        """The constructor arguments as plain data (``{"type": "Conv2d", ...}``): what a saved
        file records, so ``layer_from_spec`` can build the layer again."""
        return {"type": type(self).__name__}

    def __repr__(self) -> str:
        return type(self).__name__


def _int(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


class Conv2d(Layer):
    kind = "conv"

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel: int,
        stride: int = 1,
        padding: int = 0,
        bias: bool = True,
    ) -> None:
        self.in_channels = _int("in_channels", in_channels)
        self.out_channels = _int("out_channels", out_channels)
        self.kernel, self.stride = _int("kernel", kernel), _int("stride", stride)
        self.padding, self.bias = _int("padding", padding, 0), bool(bias)

    def output_shape(self, shape):
        if len(shape) != 3 or shape[0] != self.in_channels:
            raise ValueError(
                f"{self!r} needs input (channels={self.in_channels}, height, width), got {shape}"
            )
        h, w = (conv_output_size(n, self.kernel, self.stride, self.padding) for n in shape[1:])
        if h < 1 or w < 1:
            raise ValueError(
                f"{self!r}: kernel {self.kernel} does not fit {shape[1]}x{shape[2]} "
                f"maps with padding {self.padding}"
            )
        return (self.out_channels, h, w)

    def parameter_shapes(self):
        shapes = {"W": (self.out_channels, self.in_channels, self.kernel, self.kernel)}
        return {**shapes, "b": (self.out_channels,)} if self.bias else shapes

    def init(self, shape, rng):
        shapes = self.parameter_shapes()
        fan_in = self.in_channels * self.kernel**2
        params = {"W": rng.standard_normal(shapes["W"]) * np.sqrt(2.0 / fan_in)}
        if self.bias:
            params["b"] = np.zeros(shapes["b"])
        return params

    def __call__(self, h, params):
        return conv2d(h, params["W"], params.get("b"), stride=self.stride, padding=self.padding)

    def spec(self):
        return {
            "type": "Conv2d",
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel": self.kernel,
            "stride": self.stride,
            "padding": self.padding,
            "bias": self.bias,
        }

    def __repr__(self):
        return (
            f"Conv2d({self.in_channels}, {self.out_channels}, kernel={self.kernel}, "
            f"stride={self.stride}, padding={self.padding})"
        )


class _Pool(Layer):
    op = staticmethod(max_pool2d)

    def __init__(self, kernel: int = 2, stride: int | None = None) -> None:
        self.kernel = _int("kernel", kernel)
        self.stride = self.kernel if stride is None else _int("stride", stride)

    def output_shape(self, shape):
        if len(shape) != 3 or self.kernel > min(shape[1:]):
            raise ValueError(
                f"{self!r} needs (channels, height, width) maps of at least "
                f"{self.kernel}x{self.kernel}, got {shape}"
            )
        return (shape[0], *(conv_output_size(n, self.kernel, self.stride, 0) for n in shape[1:]))

    def __call__(self, h, params):
        return type(self).op(h, self.kernel, self.stride)

    def spec(self):
        return {"type": type(self).__name__, "kernel": self.kernel, "stride": self.stride}

    def __repr__(self):
        return f"{type(self).__name__}({self.kernel}, stride={self.stride})"


class MaxPool2d(_Pool):
    kind = "maxpool"
    op = staticmethod(max_pool2d)


class AvgPool2d(_Pool):
    kind = "avgpool"
    op = staticmethod(avg_pool2d)


class Flatten(Layer):
    kind = "flatten"

    def output_shape(self, shape):
        return (int(np.prod(shape)),)

    def __call__(self, h, params):
        return flatten(h)


class Linear(Layer):
    kind = "dense"

    def __init__(self, inputs: int, outputs: int, bias: bool = True) -> None:
        self.inputs, self.outputs = _int("inputs", inputs), _int("outputs", outputs)
        self.bias = bool(bias)

    def output_shape(self, shape):
        if shape != (self.inputs,):
            raise ValueError(
                f"{self!r} needs {self.inputs} features per sample, got {shape}"
                + ("; put a Flatten() before it" if len(shape) > 1 else "")
            )
        return (self.outputs,)

    def parameter_shapes(self):
        shapes = {"W": (self.inputs, self.outputs)}
        return {**shapes, "b": (self.outputs,)} if self.bias else shapes

    def init(self, shape, rng):
        shapes = self.parameter_shapes()
        params = {
            "W": rng.standard_normal(shapes["W"]) * np.sqrt(2.0 / (self.inputs + self.outputs))
        }
        if self.bias:
            params["b"] = np.zeros(shapes["b"])
        return params

    def __call__(self, h, params):
        out = h @ params["W"]
        return out + params["b"] if "b" in params else out

    def spec(self):
        return {"type": "Linear", "inputs": self.inputs, "outputs": self.outputs, "bias": self.bias}

    def __repr__(self):
        return f"Linear({self.inputs}, {self.outputs})"


class ActivationLayer(Layer):
    kind = "activation"

    def __init__(self, name: str) -> None:
        self.activation = get_activation(name)

    def __call__(self, h, params):
        return self.activation.on_node(h)

    def spec(self):
        return {"type": "ActivationLayer", "name": self.activation.name}

    def __repr__(self):
        return f"ActivationLayer({self.activation.name!r})"


def layer_names(layers: Sequence[Layer]) -> list[str]:
    """``conv1``, ``act1``, ``conv2``, ...: each layer's name, by kind and count."""
    counts: dict[str, int] = {}
    names = []
    for layer in layers:
        counts[layer.kind] = counts.get(layer.kind, 0) + 1
        names.append(f"{layer.kind}{counts[layer.kind]}")
    return names


def sequential_parameter_shapes(layers: Sequence[Layer]) -> dict[str, tuple]:
    """The parameters ``Sequential(layers, ...)`` makes, by name, without allocating them."""
    return {
        f"{name}.{k}": shape
        for name, layer in zip(layer_names(layers), layers)
        for k, shape in layer.parameter_shapes().items()
    }


class Sequential(TensorNetwork, Module):
    """Layers applied in order to inputs of ``input_shape`` (one sample, no batch axis)."""

    engine = "tensor"

    def __init__(
        self, layers: Sequence[Layer], input_shape: Sequence[int], seed: int | None = 0
    ) -> None:
        self.layers = list(layers)
        for i, layer in enumerate(self.layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layer {i} is {type(layer).__name__}, not a nets layer")
        self.input_shape = tuple(int(v) for v in input_shape)
        self.seed = seed
        rng = np.random.default_rng(seed)
        params: dict[str, np.ndarray] = {}
        self._names: list[tuple[str, dict[str, str]]] = []
        shape = self.input_shape
        for name, layer in zip(layer_names(self.layers), self.layers):
            local = layer.init(shape, rng)
            params.update({f"{name}.{k}": v for k, v in local.items()})
            self._names.append((name, {k: f"{name}.{k}" for k in local}))
            shape = layer.output_shape(shape)
        if len(shape) != 1:
            raise ValueError(
                f"the last layer gives samples of shape {shape}; end with "
                "Flatten() and Linear layers so the outputs are (n, outputs)"
            )
        self.outputs = shape[0]
        self._init_parameters(params)

    def check_batch(self, X, y=None):
        if not (type(X) is np.ndarray and X.dtype == np.float64):
            X = as_float_array(X, "X")
        if X.shape[1:] != self.input_shape or X.shape[0] == 0:
            raise ValueError(
                f"X has shape {X.shape}; {self.describe()} takes (n, "
                f"{', '.join(map(str, self.input_shape))})"
            )
        if y is None:
            return X, None
        y = as_float_array(y, "y")
        if y.ndim == 1 and self.outputs == 1:
            y = y.reshape(-1, 1)
        if y.shape != (X.shape[0], self.outputs):
            raise ValueError(f"y has shape {y.shape}; expected {(X.shape[0], self.outputs)}")
        require_finite(X, y)
        return X, y

    def _forward(self, X: np.ndarray) -> Tensor:
        h = Tensor.input(X, label="X")
        for layer, (name, local) in zip(self.layers, self._names):
            with scope(name):
                h = layer(h, {k: self.params[full] for k, full in local.items()})
        return h

    def config(self) -> dict:
        return {
            "class": "Sequential",
            "layers": [layer.spec() for layer in self.layers],
            "input_shape": list(self.input_shape),
            "seed": self.seed,
        }

    def describe(self) -> str:
        return f"{type(self).__name__}({' -> '.join(map(repr, self.layers))})"

    __repr__ = describe


LAYER_TYPES = {
    cls.__name__: cls for cls in (Conv2d, MaxPool2d, AvgPool2d, Flatten, Linear, ActivationLayer)
}


def layer_from_spec(spec: dict) -> Layer:
    """The layer a ``Layer.spec()`` describes."""
    if not isinstance(spec, dict) or spec.get("type") not in LAYER_TYPES:
        kind = spec.get("type") if isinstance(spec, dict) else type(spec).__name__
        raise ValueError(f"unknown layer type {kind!r}; known: {', '.join(LAYER_TYPES)}")
    args = {k: v for k, v in spec.items() if k != "type"}
    try:
        return LAYER_TYPES[spec["type"]](**args)
    except TypeError as e:
        raise ValueError(f"bad arguments for {spec['type']}: {e}") from None
