"""Networks from files: ``load_network(path)`` builds the network a ``Module.save`` file
describes (its class and constructor arguments are saved beside the weights) and loads them."""

from __future__ import annotations

import os

from .cnn import CNN
from .layers import Sequential, layer_from_spec
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


def _pick(config: dict, names: tuple, path) -> dict:
    missing = [n for n in names if n not in config]
    if missing:
        raise ValueError(f"{path}: its config lacks {', '.join(missing)}")
    return {n: config[n] for n in names}
