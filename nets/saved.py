"""Networks from files: ``load_network(path)`` builds the network a ``Module.save`` file
describes (its class and constructor arguments are saved beside the weights) and loads them.

A file's config is data from outside: ``check_config`` holds it against the schema of what
gradstep writes (``CONFIG_SCHEMAS``: each class's keys and the type of each, the layers of a
``Sequential`` each against their own) before anything is built, and names every problem: a
config that is not an object, a missing key, a wrong type at any depth (``layers[0].inputs``),
NaN where a number of units belongs. Values of the right type that no network can have (a size
of 0, an unknown activation) are refused by the constructors, and named the same way."""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable

from .cnn import CNN, cnn_layers
from .layers import Sequential, layer_from_spec, sequential_parameter_shapes
from .mlp import ENGINES, make_mlp
from .module import Module, read_parameter_file

__all__ = ["load_network", "check_config", "CONFIG_SCHEMAS"]

_MLP_CLASSES = {cls.__name__: name for name, cls in ENGINES.items()}

Rule = tuple[str, Callable[[object], bool]]  # (what the value must be, the test)


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


_INT: Rule = ("an integer", _is_int)
_SEED: Rule = ("an integer or null", lambda v: v is None or _is_int(v))
_BOOL: Rule = ("true or false", lambda v: isinstance(v, bool))
_NAME: Rule = ("a name (a string)", lambda v: isinstance(v, str))
_INTS: Rule = ("a list of integers", lambda v: isinstance(v, list) and all(map(_is_int, v)))
_SPECS: Rule = ("a list of layer objects", lambda v: isinstance(v, list))

# class -> ({required key: rule}, {optional key: rule}); the layers of a Sequential by "type"
_MLP_SCHEMA = (
    {"layer_sizes": _INTS, "activation": _NAME, "output_activation": _NAME, "bias": _BOOL,
     "seed": _SEED, "init": _NAME},
    {},
)  # fmt: skip
CONFIG_SCHEMAS: dict[str, tuple[dict[str, Rule], dict[str, Rule]]] = {
    **{name: _MLP_SCHEMA for name in _MLP_CLASSES},
    "CNN": (
        {},
        {
            "image_shape": _INTS,
            "channels": _INTS,
            "kernel": _INT,
            "pool": _NAME,
            "pool_size": _INT,
            "hidden": _INTS,
            "outputs": _INT,
            "activation": _NAME,
            "output_activation": _NAME,
            "seed": _SEED,
        },
    ),  # fmt: skip
    "Sequential": ({"layers": _SPECS, "input_shape": _INTS}, {"seed": _SEED}),
}
LAYER_SCHEMAS: dict[str, tuple[dict[str, Rule], dict[str, Rule]]] = {
    "Linear": ({"inputs": _INT, "outputs": _INT}, {"bias": _BOOL}),
    "Conv2d": (
        {"in_channels": _INT, "out_channels": _INT, "kernel": _INT},
        {"stride": _INT, "padding": _INT, "bias": _BOOL},
    ),
    "MaxPool2d": ({}, {"kernel": _INT, "stride": _SEED}),
    "AvgPool2d": ({}, {"kernel": _INT, "stride": _SEED}),
    "Flatten": ({}, {}),
    "ActivationLayer": ({"name": _NAME}, {}),
}


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _schema_problems(where: str, data, schema, kinds: str) -> list[str]:
    """What is wrong with the object ``data`` against ``(required, optional)`` rules."""
    if not isinstance(data, dict):
        return [f"{where or 'the config'} must be an object {kinds}, got {_shown(data)}"]
    required, optional = schema
    prefix = f"{where}." if where else ""
    problems = [f"{prefix}{key} is missing" for key in required if key not in data]
    for key, (what, test) in {**required, **optional}.items():
        if key in data and not test(data[key]):
            problems.append(f"{prefix}{key} must be {what}, got {_shown(data[key])}")
    return problems


def check_config(path, config) -> str:
    """The class a saved ``config`` describes, once it has every key its schema requires and
    every key is of its type (nested layers included); otherwise a ``ValueError`` naming
    ``path`` and each problem (the first four)."""
    kind = config.get("class") if isinstance(config, dict) else None
    if kind is None and isinstance(config, dict) and "layer_sizes" in config:
        kind = "NumpyMLP"  # files from before the class was recorded
    if isinstance(config, dict) and (not isinstance(kind, str) or kind not in CONFIG_SCHEMAS):
        raise ValueError(f"{path} does not say which network it holds (class {_shown(kind)})")
    classes = f"naming its class ({', '.join(CONFIG_SCHEMAS)})"
    problems = _schema_problems("", config, CONFIG_SCHEMAS.get(kind, ({}, {})), classes)
    if not problems and kind == "Sequential":
        for i, spec in enumerate(config["layers"]):
            kinds = ", ".join(LAYER_SCHEMAS)
            layer = spec.get("type") if isinstance(spec, dict) else None
            if isinstance(spec, dict) and not (isinstance(layer, str) and layer in LAYER_SCHEMAS):
                problems.append(f"layers[{i}].type must be one of {kinds}, got {_shown(layer)}")
                continue
            problems += _schema_problems(
                f"layers[{i}]", spec, LAYER_SCHEMAS.get(layer, ({}, {})), f"with a type ({kinds})"
            )
    if problems:
        shown = "; ".join(problems[:4]) + (f"; and {len(problems) - 4} more" * (len(problems) > 4))
        raise ValueError(f"{path}: its config is not one gradstep wrote ({shown})")
    return kind


def load_network(path: str | os.PathLike, engine: str | None = None) -> Module:
    """The network saved at ``path``, weights loaded. An MLP comes back on the engine it was
    saved from unless ``engine`` (``value``, ``tensor``, ``numpy``) asks for another."""
    config, arrays = read_parameter_file(path)
    kind = check_config(path, config)
    if kind not in _MLP_CLASSES and engine not in (None, "tensor"):
        raise ValueError(f"{path} holds a {kind}, which runs on Tensor nodes only, not {engine!r}")
    _check_shapes(path, _described_shapes(path, kind, config), arrays)
    required, optional = CONFIG_SCHEMAS[kind]
    args = {k: config[k] for k in (*required, *optional) if k in config}
    try:
        if kind in _MLP_CLASSES:
            net: Module = make_mlp(engine or _MLP_CLASSES[kind], **args)
        elif kind == "CNN":
            net = CNN(**args)
        else:
            layers = [layer_from_spec(spec) for spec in args.pop("layers")]
            net = Sequential(layers, **args)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{path}: its config is not one gradstep wrote ({e})") from None
    net.load_state_dict(arrays)
    return net


def _described_shapes(path, kind: str, config: dict) -> dict[str, tuple]:
    """The parameters the config describes, by name and shape, computed without allocating."""
    try:
        if kind in _MLP_CLASSES:
            sizes = config["layer_sizes"]
            if len(sizes) < 2 or min(sizes) < 1:
                raise ValueError(f"layer_sizes {sizes}")
            shapes = {f"W{i}": (a, b) for i, (a, b) in enumerate(zip(sizes, sizes[1:]), 1)}
            if config["bias"]:
                shapes.update({f"b{i}": (b,) for i, b in enumerate(sizes[1:], 1)})
            return shapes
        if kind == "CNN":
            signature = inspect.signature(CNN.__init__).parameters
            merged = {n: p.default for n, p in signature.items() if n not in ("self", "seed")}
            merged.update({k: v for k, v in config.items() if k in merged})
            merged["image_shape"] = tuple(merged["image_shape"])
            return sequential_parameter_shapes(cnn_layers(**merged))
        return sequential_parameter_shapes([layer_from_spec(s) for s in config["layers"]])
    except (KeyError, TypeError, ValueError, OverflowError) as e:
        raise ValueError(f"{path}: its config is not one gradstep wrote ({e})") from None


def _check_shapes(path, described: dict[str, tuple], arrays: dict) -> None:
    """The arrays stored must be exactly those the config describes: a config that asks for
    more (a 1 KB file declaring layers of 30,000 units) is refused before anything is built."""
    stored = {name: tuple(a.shape) for name, a in arrays.items()}
    if described == stored:
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
