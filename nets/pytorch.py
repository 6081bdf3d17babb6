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

import io
import os
from pathlib import Path

import numpy as np

from autograd.extras import extra_hint
from autograd.files import write_file

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
    "computes_otherwise",
    "global_hooks",
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
    (``torch.export.load(path).module()``). Serialised in memory, then written through
    ``autograd.files.write_file`` (torch's own writers report a full disk as a RuntimeError of
    its C++ stream, with no path)."""
    torch = import_torch()
    path = Path(path)
    if path.suffix not in (".pt", ".pt2"):
        raise ValueError(f"export path must end in .pt (state dict) or .pt2 (program): {path}")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot export to {path}: directory {path.parent} does not exist")
    module = to_torch(net)
    buffer = io.BytesIO()
    if path.suffix == ".pt":
        torch.save(module.state_dict(), buffer)
    else:
        sample_shape = getattr(net, "input_shape", None) or (net.layer_sizes[0],)
        example = torch.zeros((2, *sample_shape), dtype=torch.float64)
        batch = torch.export.Dim("batch", min=1)
        program = torch.export.export(module, (example,), dynamic_shapes=({0: batch},))
        torch.export.save(program, buffer)
    return write_file(path, buffer.getvalue())


# -- in: torch -> gradstep ----------------------------------------------------------------------
def from_torch(module, input_shape=None, engine: str = "numpy") -> Module:
    """The gradstep network matching ``module`` (an ``nn.Sequential`` of ``Linear``, ``Conv2d``,
    ``MaxPool2d``, ``AvgPool2d``, ``Flatten`` and the activations gradstep has, or one
    ``nn.Linear``), with the same weights in float64.

    A stack of ``Linear`` layers, each followed by at most one activation, the hidden ones all
    alike, becomes an MLP on ``engine`` (``value`` to draw and step through it); anything else
    becomes a ``nets.Sequential``, which needs ``input_shape`` (one sample's shape, e.g.
    ``(1, 12, 12)``) when it starts with a convolution. Layers gradstep cannot take are named,
    all of them at once, in a ``ValueError``; so is whatever makes a module compute something
    else than its class (``computes_otherwise``: hooks, global ones included, a ``forward`` set
    on the instance, parametrizations such as ``weight_norm``, complex weights). Last, the
    network built is run beside ``module`` on a probe batch: outputs that differ by more than
    the module's dtype explains (sqrt(eps) relative) are refused, never handed back."""
    torch = import_torch()
    nn = torch.nn
    if isinstance(module, nn.Linear) and not isinstance(module, nn.Sequential):
        module = nn.Sequential(module)
    if not isinstance(module, nn.Sequential):
        raise TypeError(
            f"from_torch takes an nn.Sequential (or one nn.Linear), got {type(module).__name__}"
        )
    everywhere = global_hooks(torch)
    if everywhere:
        raise ValueError(
            f"from_torch cannot reproduce any module while {' and '.join(everywhere)} is "
            "registered: it changes what every module computes (remove it with its handle's "
            ".remove() first)"
        )
    if _own_forward(module, nn.Sequential) or computes_otherwise(nn, module):
        reasons = computes_otherwise(nn, module) or ["its own forward"]
        raise ValueError(
            f"from_torch cannot reproduce {type(module).__name__}: it changes how nn.Sequential "
            f"computes ({'; '.join(reasons)})"
        )
    # every entry, repeats included (named_children() lists a module used twice only once)
    children = [(name, child) for name, child in module._modules.items() if child is not None]
    if not children:
        raise ValueError("from_torch got an empty nn.Sequential")
    layers = _gradstep_layers(nn, children)
    weights = [
        {k: v.detach().to("cpu", torch.float64).numpy().copy() for k, v in child.named_parameters()}
        for _, child in children
    ]
    mlp = _as_mlp(layers)
    if mlp is not None:
        net = _mlp_with(engine, mlp, layers, weights)
    else:
        net = _sequential_with(engine, layers, weights, input_shape, type(children[0][1]).__name__)
    _check_reproduces(torch, module, net)
    return net


def _gradstep_layers(nn, children: list) -> list[Layer]:
    """gradstep's layer for each child, or one ``ValueError`` naming every child it cannot be."""
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
    return layers


def _mlp_with(engine: str, mlp: tuple, layers: list, weights: list) -> Module:
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


def _sequential_with(engine: str, layers: list, weights: list, input_shape, first: str):
    if engine not in ("numpy", "tensor"):
        raise ValueError(
            f"this module is not a plain Linear stack, so it becomes a nets.Sequential, which "
            f"runs on Tensor nodes; engine {engine!r} does not apply"
        )
    if input_shape is None:
        if not isinstance(layers[0], Linear):
            raise ValueError(
                f"from_torch needs input_shape= (one sample, e.g. (1, 12, 12)) for a module "
                f"that starts with {first}"
            )
        input_shape = (layers[0].inputs,)
    net = Sequential(layers, input_shape)
    state = {}
    for (_, local), layer, w in zip(net._names, layers, weights):
        if "W" in local:
            state[local["W"]] = w["weight"].T if isinstance(layer, Linear) else w["weight"]
        if "b" in local:
            state[local["b"]] = w["bias"]
    net.load_state_dict(state)
    return net


# torch.nn.modules.module's registries of hooks that run around every module's forward/backward
_GLOBAL_HOOKS = {
    "_global_forward_hooks": "a global forward hook (register_module_forward_hook)",
    "_global_forward_pre_hooks": "a global forward pre-hook (register_module_forward_pre_hook)",
    "_global_backward_hooks": "a global backward hook (register_module_full_backward_hook)",
    "_global_backward_pre_hooks": (
        "a global backward pre-hook (register_module_full_backward_pre_hook)"
    ),
}


def global_hooks(torch) -> list[str]:
    """The hooks registered for every module at once, by what registers them."""
    registry = torch.nn.modules.module
    return [what for name, what in _GLOBAL_HOOKS.items() if getattr(registry, name, None)]


def computes_otherwise(nn, m) -> list[str]:
    """What makes this module instance compute something else than its class says, or
    something gradstep cannot hold: each named (an empty list when there is nothing)."""
    found = []
    if "forward" in vars(m) or "_call_impl" in vars(m):
        found.append("a forward set on the instance")
    pre = list(m._forward_pre_hooks.values())
    norms = sorted({type(h).__name__ for h in pre if type(h).__name__ in _NORM_HOOKS})
    if norms:
        found.append(f"{' and '.join(_NORM_HOOKS[n] for n in norms)} (a forward pre-hook)")
    elif pre:
        found.append("forward pre-hooks")
    if m._forward_hooks:
        found.append("forward hooks")
    if m._backward_hooks or m._backward_pre_hooks:
        found.append("backward hooks")
    if nn.utils.parametrize.is_parametrized(m):
        names = ", ".join(m.parametrizations.keys())
        found.append(
            f"parametrized {names} (torch.nn.utils.parametrize, as weight_norm does; "
            f"torch.nn.utils.parametrize.remove_parametrizations(module, {names!r}) keeps "
            "their current values as plain weights)"
        )
    odd: dict[str, list[str]] = {}  # dtype -> the parameters held in it
    for name, p in m.named_parameters(recurse=False):
        if p.is_complex() or not p.is_floating_point():
            odd.setdefault(str(p.dtype).removeprefix("torch."), []).append(name)
        elif p.is_meta:
            found.append(f"{name} is on the meta device (it has no values)")
        if getattr(p, "_backward_hooks", None) or getattr(p, "_post_accumulate_grad_hooks", None):
            found.append(f"gradient hooks on {name}")
    for dtype, names in odd.items():
        verb = "is" if len(names) == 1 else "are"
        found.append(f"{' and '.join(names)} {verb} {dtype} (gradstep computes with real numbers)")
    return found


_NORM_HOOKS = {"WeightNorm": "torch.nn.utils.weight_norm", "SpectralNorm": "spectral_norm"}


def _check_reproduces(torch, module, net: Module) -> None:
    """Run ``module`` and ``net`` on one probe batch (3 standard-normal samples, seed 0):
    refuse ``net`` unless max|net - module| <= sqrt(eps) (1 + max|module|), eps that of the
    module's dtype (float64: 1.5e-8; float32: 3.5e-4), whatever the module does unseen (a
    patched class or function)."""
    params = list(module.parameters())
    dtype = params[0].dtype if params else torch.float64
    device = params[0].device if params else "cpu"
    shape = getattr(net, "input_shape", None) or (net.layer_sizes[0],)
    X = np.random.default_rng(0).standard_normal((3, *shape))
    try:
        with torch.no_grad():
            out = module(torch.from_numpy(X).to(device=device, dtype=dtype))
        theirs = out.detach().to("cpu", torch.float64).numpy()
    except Exception as e:  # noqa: BLE001 - whatever the module raises is reported by name
        raise ValueError(
            f"from_torch could not run the module on a probe batch of shape {X.shape} "
            f"({type(e).__name__}: {e})"
        ) from None
    ours = net.predict(X)
    tol = float(np.sqrt(torch.finfo(dtype).eps)) * (1 + float(np.abs(theirs).max(initial=0)))
    off = (
        np.inf
        if theirs.size != ours.size
        else float(np.abs(ours - theirs.reshape(ours.shape)).max(initial=0))
    )
    if not off <= tol:
        raise ValueError(
            f"from_torch built a network whose outputs differ from the module's by {off:.3g} "
            f"on a probe batch (more than {tol:.2g}, what {dtype} rounding explains): the module "
            "computes something else than its layers say (a patched class or function?); "
            "refusing it"
        )


class _Unsupported(Exception):
    pass


def _own_forward(m, base) -> bool:
    """A subclass that computes something else than ``base`` (its own ``forward``)."""
    return type(m).forward is not base.forward


_EXACT = ("Linear", "Conv2d", "MaxPool2d", "AvgPool2d", "Flatten")


def _gradstep_layer(nn, m) -> Layer:
    kind = type(m).__name__
    base = next((getattr(nn, k) for k in _EXACT if isinstance(m, getattr(nn, k))), None)
    if base is not None and _own_forward(m, base):
        raise _Unsupported(f"{kind} (its own forward or hooks: gradstep cannot reproduce it)")
    otherwise = computes_otherwise(nn, m)
    if otherwise:
        raise _Unsupported(f"{kind} ({'; '.join(otherwise)}: gradstep cannot reproduce it)")
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
