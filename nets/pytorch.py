"""Hand-off to PyTorch: a gradstep network out as ``torch.nn.Sequential``, and back in.

PyTorch is optional: it is imported inside these functions, never when gradstep is imported, and
without it they raise one line naming the ``torch`` extra.

The name mapping. An MLP becomes ``Linear, activation, Linear, activation, ...`` (an activation
module after every Linear, ``nn.Identity`` for ``none``), so layer k's Linear sits at index
2(k - 1):

    gradstep                   torch.nn.Sequential
    W1 (in, out)          ->   0.weight (out, in)      (transposed: torch computes x W^T + b)
    b1 (out,)             ->   0.bias
    W2, b2                ->   2.weight, 2.bias
    Wk, bk                ->   {2(k-1)}.weight, {2(k-1)}.bias

A ``nets.Sequential`` (and so a ``CNN``) maps layer i to index i: ``Conv2d`` -> ``nn.Conv2d``
(weights (out, in, kh, kw) as they are), ``MaxPool2d``/``AvgPool2d`` -> their ``nn`` namesakes,
``Flatten`` -> ``nn.Flatten``, ``Linear`` -> ``nn.Linear`` (W transposed), ``ActivationLayer`` ->
``nn.Sigmoid``, ``nn.Tanh``, ``nn.ReLU``, ``nn.LeakyReLU(0.01)`` or ``nn.Identity``;
``conv1.W`` becomes ``{i}.weight``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from autograd.extras import extra_hint
from autograd.files import replacing_file

from .activations import LEAKY_SLOPE
from .layers import (
    ActivationLayer,
    AvgPool2d,
    Conv2d,
    Flatten,
    Layer,
    Linear,
    MaxPool2d,
    Sequential,
)
from .mlp import MLP, make_mlp
from .module import Module

__all__ = [
    "to_torch",
    "from_torch",
    "torch_code",
    "export_torch",
    "import_torch",
    "TorchMissingError",
]

# gradstep activation name -> torch.nn class name
_TORCH_ACTIVATIONS = {
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
    "relu": "ReLU",
    "leaky_relu": "LeakyReLU",
    "none": "Identity",
}


class TorchMissingError(ImportError):
    """PyTorch is not installed."""


def import_torch():
    """``torch``, or a one-line error naming the extra that installs it."""
    try:
        import torch
    except ImportError:
        raise TorchMissingError(
            f"this needs PyTorch, which is not installed: {extra_hint('torch')} "
            "(torch==2.13.0, CPU build)"
        ) from None
    return torch


# -- out: gradstep -> torch ----------------------------------------------------------------------
def to_torch(net: Module, dtype=None):
    """``net`` as a ``torch.nn.Sequential`` holding copies of its weights, in ``dtype``
    (``torch.float64`` by default). Works for every MLP engine, ``nets.Sequential`` and ``CNN``."""
    torch = import_torch()
    nn = torch.nn
    dtype = torch.float64 if dtype is None else dtype
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating torch.dtype, got {dtype!r}")
    modules, weights = [], {}
    for index, (kind, args, params) in enumerate(_plan(net)):
        modules.append(_torch_layer(nn, kind, args))
        for name, array in params.items():
            weights[f"{index}.{name}"] = torch.from_numpy(np.array(array, dtype=np.float64))
    module = nn.Sequential(*modules).to(dtype)
    with torch.no_grad():
        for name, tensor in module.state_dict().items():
            tensor.copy_(weights[name])
    return module


def _plan(net: Module) -> list[tuple[str, dict, dict]]:
    """The torch layers as (kind, arguments, {torch parameter name: array in torch's layout})."""
    state = net.state_dict()
    if isinstance(net, MLP):
        plan = []
        for k, act in enumerate(net.activations(), start=1):
            W = state[f"W{k}"]
            params = {"weight": W.T}
            if net.bias:
                params["bias"] = state[f"b{k}"]
            plan.append(
                ("Linear", {"inputs": W.shape[0], "outputs": W.shape[1], "bias": net.bias}, params)
            )
            plan.append(("activation", {"name": act.name}, {}))
        return plan
    if isinstance(net, Sequential):
        plan = []
        for layer, (_, local) in zip(net.layers, net._names):
            spec = layer.spec()
            kind = spec.pop("type")
            params = {}
            if "W" in local:
                W = state[local["W"]]
                params["weight"] = W.T if kind == "Linear" else W
            if "b" in local:
                params["bias"] = state[local["b"]]
            plan.append((kind if kind != "ActivationLayer" else "activation", spec, params))
        return plan
    raise TypeError(f"to_torch takes an MLP, nets.Sequential or CNN, got {type(net).__name__}")


def _torch_layer(nn, kind: str, a: dict):
    if kind == "Linear":
        return nn.Linear(a["inputs"], a["outputs"], bias=a["bias"])
    if kind == "Conv2d":
        return nn.Conv2d(
            a["in_channels"],
            a["out_channels"],
            a["kernel"],
            stride=a["stride"],
            padding=a["padding"],
            bias=a["bias"],
        )
    if kind in ("MaxPool2d", "AvgPool2d"):
        return getattr(nn, kind)(a["kernel"], stride=a["stride"])
    if kind == "Flatten":
        return nn.Flatten()
    name = _TORCH_ACTIVATIONS[a["name"]]
    return nn.LeakyReLU(LEAKY_SLOPE) if name == "LeakyReLU" else getattr(nn, name)()


def torch_code(net: Module) -> str:
    """Python source that builds ``net``'s architecture in plain PyTorch (what ``to_torch``
    returns, without the weights): for loading an exported state dict without gradstep."""
    lines = []
    for kind, a, _ in _plan(net):
        if kind == "Linear":
            bias = "" if a["bias"] else ", bias=False"
            lines.append(f"nn.Linear({a['inputs']}, {a['outputs']}{bias})")
        elif kind == "Conv2d":
            bias = "" if a["bias"] else ", bias=False"
            lines.append(
                f"nn.Conv2d({a['in_channels']}, {a['out_channels']}, {a['kernel']}, "
                f"stride={a['stride']}, padding={a['padding']}{bias})"
            )
        elif kind in ("MaxPool2d", "AvgPool2d"):
            lines.append(f"nn.{kind}({a['kernel']}, stride={a['stride']})")
        elif kind == "Flatten":
            lines.append("nn.Flatten()")
        else:
            name = _TORCH_ACTIVATIONS[a["name"]]
            lines.append(f"nn.{name}({LEAKY_SLOPE!r})" if name == "LeakyReLU" else f"nn.{name}()")
    body = "".join(f"    {line},\n" for line in lines)
    return f"nn.Sequential(\n{body}).double()"


def export_torch(net: Module, path: str | os.PathLike) -> Path:
    """Write ``net`` for plain PyTorch: ``.pt`` a state dict (``torch.load`` it into the module
    ``torch_code(net)`` builds), ``.pt2`` a ``torch.export`` program with a free batch size
    (``torch.export.load(path).module()``). Written beside the target and renamed into place."""
    torch = import_torch()
    path = Path(path)
    if path.suffix not in (".pt", ".pt2"):
        raise ValueError(f"export path must end in .pt (state dict) or .pt2 (program): {path}")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot export to {path}: directory {path.parent} does not exist")
    module = to_torch(net)
    # torch.export wants its archive's name to end in .pt2, so the temporary name keeps the suffix
    with replacing_file(path, suffix=path.suffix) as tmp:
        if path.suffix == ".pt":
            torch.save(module.state_dict(), tmp)
        else:
            sample_shape = getattr(net, "input_shape", None) or (net.layer_sizes[0],)
            example = torch.zeros((2, *sample_shape), dtype=torch.float64)
            batch = torch.export.Dim("batch", min=1)
            program = torch.export.export(module, (example,), dynamic_shapes=({0: batch},))
            torch.export.save(program, tmp)
    return path


# -- in: torch -> gradstep ----------------------------------------------------------------------
def from_torch(module, input_shape=None, engine: str = "numpy") -> Module:
    """The gradstep network matching ``module`` (an ``nn.Sequential`` of ``Linear``, ``Conv2d``,
    ``MaxPool2d``, ``AvgPool2d``, ``Flatten`` and the activations gradstep has, or one
    ``nn.Linear``), with the same weights in float64.

    A stack of ``Linear`` layers, each followed by at most one activation, the hidden ones all
    alike, becomes an MLP on ``engine`` (``value`` to draw and step through it); anything else
    becomes a ``nets.Sequential``, which needs ``input_shape`` (one sample's shape, e.g.
    ``(1, 12, 12)``) when it starts with a convolution. Layers gradstep cannot take are named,
    all of them at once, in a ``ValueError``."""
    torch = import_torch()
    nn = torch.nn
    if isinstance(module, nn.Linear) and not isinstance(module, nn.Sequential):
        module = nn.Sequential(module)
    if not isinstance(module, nn.Sequential):
        raise TypeError(
            f"from_torch takes an nn.Sequential (or one nn.Linear), got {type(module).__name__}"
        )
    if _own_forward(module, nn.Sequential) or _hooked(module):
        raise ValueError(
            f"from_torch cannot reproduce {type(module).__name__}: it changes how nn.Sequential "
            "computes (its own forward, or hooks)"
        )
    # every entry, repeats included (named_children() lists a module used twice only once)
    children = [(name, child) for name, child in module._modules.items() if child is not None]
    if not children:
        raise ValueError("from_torch got an empty nn.Sequential")
    layers, problems, first_use = [], [], {}
    for name, child in children:
        if id(child) in first_use and list(child.parameters()):
            problems.append(
                f"{name}: the same {type(child).__name__} as {first_use[id(child)]} (its weights "
                "shared by two layers; gradstep's layers each own theirs)"
            )
            continue
        first_use.setdefault(id(child), name)
        try:
            layers.append(_gradstep_layer(nn, child))
        except _Unsupported as e:
            problems.append(f"{name}: {e}")
    if problems:
        raise ValueError(
            "from_torch cannot take these layers: "
            + "; ".join(problems)
            + " (gradstep has Linear, Conv2d, MaxPool2d, AvgPool2d, Flatten, Sigmoid, Tanh, "
            "ReLU, LeakyReLU(0.01), Identity)"
        )
    weights = [
        {k: v.detach().to("cpu", torch.float64).numpy().copy() for k, v in child.named_parameters()}
        for _, child in children
    ]
    mlp = _as_mlp(layers)
    if mlp is not None:
        sizes, hidden, output, bias = mlp
        net = make_mlp(
            engine, layer_sizes=sizes, activation=hidden, output_activation=output, bias=bias
        )
        state, k = {}, 0
        for layer, w in zip(layers, weights):
            if isinstance(layer, Linear):
                k += 1
                state[f"W{k}"] = w["weight"].T
                if bias:
                    state[f"b{k}"] = w["bias"]
        net.load_state_dict(state)
        return net
    if engine not in ("numpy", "tensor"):
        raise ValueError(
            f"this module is not a plain Linear stack, so it becomes a nets.Sequential, which "
            f"runs on Tensor nodes; engine {engine!r} does not apply"
        )
    if input_shape is None:
        first = layers[0]
        if not isinstance(first, Linear):
            raise ValueError(
                f"from_torch needs input_shape= (one sample, e.g. (1, 12, 12)) for a module "
                f"that starts with {type(children[0][1]).__name__}"
            )
        input_shape = (first.inputs,)
    net = Sequential(layers, input_shape)
    state = {}
    for (_, local), layer, w in zip(net._names, layers, weights):
        if "W" in local:
            state[local["W"]] = w["weight"].T if isinstance(layer, Linear) else w["weight"]
        if "b" in local:
            state[local["b"]] = w["bias"]
    net.load_state_dict(state)
    return net


class _Unsupported(Exception):
    pass


def _own_forward(m, base) -> bool:
    """A subclass that computes something else than ``base`` (its own ``forward``)."""
    return type(m).forward is not base.forward


def _hooked(m) -> bool:
    return bool(m._forward_hooks or m._forward_pre_hooks)


_EXACT = ("Linear", "Conv2d", "MaxPool2d", "AvgPool2d", "Flatten")


def _gradstep_layer(nn, m) -> Layer:
    kind = type(m).__name__
    base = next((getattr(nn, k) for k in _EXACT if isinstance(m, getattr(nn, k))), None)
    if (base is not None and _own_forward(m, base)) or _hooked(m):
        raise _Unsupported(f"{kind} (its own forward or hooks: gradstep cannot reproduce it)")
    if isinstance(m, nn.Linear):
        return Linear(m.in_features, m.out_features, bias=m.bias is not None)
    if isinstance(m, nn.Conv2d):
        k, s, p = m.kernel_size, m.stride, m.padding
        if (
            len(set(k)) != 1
            or len(set(s)) != 1
            or isinstance(p, str)
            or len(set(p)) != 1
            or m.dilation != (1, 1)
            or m.groups != 1
            or m.padding_mode != "zeros"
        ):
            raise _Unsupported(
                f"{m!r} (gradstep's Conv2d has square kernels, equal strides and zero "
                "padding on all sides, no dilation or groups)"
            )
        return Conv2d(m.in_channels, m.out_channels, k[0], s[0], p[0], bias=m.bias is not None)
    if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
        k, s = m.kernel_size, m.stride
        k = k if isinstance(k, int) else (k[0] if len(set(k)) == 1 else None)
        s = s if isinstance(s, int) else (s[0] if len(set(s)) == 1 else None)
        p = m.padding if isinstance(m.padding, int) else max(m.padding)
        extra = getattr(m, "dilation", 1) not in (1, (1, 1)) or getattr(m, "divisor_override", None)
        if k is None or s is None or p or m.ceil_mode or extra:
            raise _Unsupported(
                f"{m!r} (gradstep pools square windows without padding or ceil_mode)"
            )
        return (MaxPool2d if isinstance(m, nn.MaxPool2d) else AvgPool2d)(k, s)
    if isinstance(m, nn.Flatten):
        if m.start_dim != 1 or m.end_dim != -1:
            raise _Unsupported(f"{m!r} (gradstep flattens from dim 1 to the end)")
        return Flatten()
    names = {v: k for k, v in _TORCH_ACTIVATIONS.items()}
    if kind in names and type(m) is getattr(nn, kind):
        if kind == "LeakyReLU" and m.negative_slope != LEAKY_SLOPE:
            raise _Unsupported(f"{m!r} (gradstep's leaky_relu has slope {LEAKY_SLOPE})")
        return ActivationLayer(names[kind])
    raise _Unsupported(kind)


def _as_mlp(layers: list[Layer]):
    """(sizes, hidden activation, output activation, bias) when ``layers`` is an MLP, else None."""
    groups: list[tuple[Linear, str]] = []
    for layer in layers:
        if isinstance(layer, Linear):
            groups.append((layer, "none"))
        elif isinstance(layer, ActivationLayer) and groups and groups[-1][1] == "none":
            groups[-1] = (groups[-1][0], layer.activation.name)
        else:
            return None
    linears = [g[0] for g in groups]
    hidden = {g[1] for g in groups[:-1]}
    if (
        len(hidden) > 1
        or len({lin.bias for lin in linears}) != 1
        or any(a.outputs != b.inputs for a, b in zip(linears, linears[1:]))
    ):
        return None
    sizes = (linears[0].inputs, *(lin.outputs for lin in linears))
    output = groups[-1][1]
    return sizes, (hidden.pop() if hidden else output), output, linears[0].bias
