"""Networks from files: ``load_network(path)`` builds the network a ``Module.save`` file
describes (its class and constructor arguments are saved beside the weights) and loads them."""

from __future__ import annotations

import inspect
import os

from .cnn import CNN, cnn_layers
from .layers import Sequential, layer_from_spec, sequential_parameter_shapes
from .mlp import ENGINES, make_mlp
from .module import Module, read_parameter_file

__all__ = ["load_network"]

_MLP_CLASSES = {cls.__name__: name for name, cls in ENGINES.items()}
_MLP_ARGS = ("layer_sizes", "activation", "output_activation", "bias", "seed", "init")


def load_network(path: str | os.PathLike, engine: str | None = None) -> Module:
    """The network saved at ``path``, weights loaded. An MLP comes back on the engine it was
    saved from unless ``engine`` (``value``, ``tensor``, ``numpy``) asks for another."""
    config, arrays = read_parameter_file(path)
    kind = config.get("class")
    if kind is None and "layer_sizes" in config:  # files from before the class was recorded
        kind = "NumpyMLP"
    _check_shapes(path, _described_shapes(path, kind, config), arrays)
    if kind in _MLP_CLASSES:
        net: Module = make_mlp(engine or _MLP_CLASSES[kind], **_pick(config, _MLP_ARGS, path))
    elif engine not in (None, "tensor"):
        raise ValueError(f"{path} holds a {kind}, which runs on Tensor nodes only, not {engine!r}")
    elif kind == "CNN":
        args = {k: v for k, v in config.items() if k != "class"}
        net = CNN(**args)
    elif kind == "Sequential":
        layers = config.get("layers")
        if not isinstance(layers, list) or not all(isinstance(x, dict) for x in layers):
            raise ValueError(
                f"{path}: its layers were saved as text by an older gradstep; save again"
            )
        net = Sequential(
            [layer_from_spec(spec) for spec in layers], config["input_shape"], config.get("seed")
        )
    else:
        raise ValueError(f"{path} does not say which network it holds (class {kind!r})")
    net.load_state_dict(arrays)
    return net


def _described_shapes(path, kind, config: dict) -> dict[str, tuple]:
    """The parameters the config describes, by name and shape, computed without allocating."""
    try:
        if kind in _MLP_CLASSES:
            sizes = [int(s) for s in config["layer_sizes"]]
            if len(sizes) < 2 or min(sizes) < 1:
                raise ValueError(f"layer_sizes {sizes}")
            shapes = {f"W{i}": (a, b) for i, (a, b) in enumerate(zip(sizes, sizes[1:]), 1)}
            if config.get("bias", True):
                shapes.update({f"b{i}": (b,) for i, b in enumerate(sizes[1:], 1)})
            return shapes
        if kind == "CNN":
            signature = inspect.signature(CNN.__init__).parameters
            merged = {n: p.default for n, p in signature.items() if n not in ("self", "seed")}
            merged.update({k: v for k, v in config.items() if k not in ("class", "seed")})
            merged["image_shape"] = tuple(int(v) for v in merged["image_shape"])
            return sequential_parameter_shapes(cnn_layers(**merged))
        if kind == "Sequential" and isinstance(config.get("layers"), list):
            return sequential_parameter_shapes([layer_from_spec(s) for s in config["layers"]])
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"{path}: its config is not one gradstep wrote ({e})") from None
    return {}


def _check_shapes(path, described: dict[str, tuple], arrays: dict) -> None:
    """The arrays stored must be exactly those the config describes: a config that asks for
    more (a 1 KB file declaring layers of 30,000 units) is refused before anything is built."""
    stored = {name: tuple(a.shape) for name, a in arrays.items()}
    if not described or described == stored:
        return
    differ = [
        f"{n}: config {described.get(n, 'none')}, stored {stored.get(n, 'none')}"
        for n in sorted(set(described) | set(stored), key=str)
        if described.get(n) != stored.get(n)
    ]
    shown = "; ".join(differ[:4]) + (f"; and {len(differ) - 4} more" if len(differ) > 4 else "")
    raise ValueError(
        f"{path}: its config does not match the arrays it holds ({shown}); refusing to build it"
    )


def _pick(config: dict, names: tuple, path) -> dict:
    missing = [n for n in names if n not in config]
    if missing:
        raise ValueError(f"{path}: its config lacks {', '.join(missing)}")
    return {n: config[n] for n in names}
