"""The lab's multilayer perceptron three ways, one constructor and one contract.

- ``ValueMLP``: built of Value nodes neuron by neuron, each layer and neuron in its own scope
  (``layer1/neuron3``), parameters labelled ``W1[0,3]``: the graph you can draw and step through.
  A neuron is two nodes: ``z = dot(w, x, b)`` (the weighted sum, one node whose local
  derivatives are the paired inputs and weights) and its activation.
- ``TensorMLP``: the same network on Tensor nodes, ``act(X @ W + b)`` per layer, a batch at once.
- ``NumpyMLP``: the fast path, forward and hand-derived backward in numpy with no graph: the
  lab's derivation for any depth, widths, activation, loss and bias.

All three take ``(layer_sizes=(2, 4, 4, 1), activation="sigmoid", output_activation="sigmoid",
bias=True, seed=0, init="xavier")``, start from the same numbers for the same arguments, and
offer ``loss_and_grads(X, y, loss="mse", reduction="mean") -> (float, Gradients)`` with gradients
keyed like ``state_dict()`` (``W1, b1, W2, b2, ...``; W stored (inputs, outputs)), and
``predict(X) -> ndarray (n, outputs)``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from autograd import Tensor, Value, gc_paused, no_grad, scope
from autograd.graph import STATE
from autograd.numeric import LOG_FLOOR
from autograd.value import unchecked_dot

from .activations import get_activation
from .backprop import Backprop
from .init import check_layer_sizes, init_parameters, parameter_shapes
from .losses import LOSSES, REDUCTIONS, check_loss, check_targets, value_loss
from .module import FlatBuffer, Gradients, Module, as_float_array, make_layout, require_finite
from .tensornet import TensorNetwork

__all__ = ["MLP", "ValueMLP", "TensorMLP", "NumpyMLP", "ENGINES", "make_mlp"]


class MLP(Module):
    """What the three engines share: arguments, checks, parameter names and shapes."""

    engine = ""

    def __init__(
        self,
        layer_sizes: Sequence[int] = (2, 4, 4, 1),
        activation: str = "sigmoid",
        output_activation: str = "sigmoid",
        bias: bool = True,
        seed: int | None = 0,
        init: str = "xavier",
    ) -> None:
        self.layer_sizes = check_layer_sizes(layer_sizes)
        self.activation = get_activation(activation)
        self.output_activation = get_activation(output_activation)
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"bias must be True or False, got {type(bias).__name__}")
        self.bias = bool(bias)
        self.seed, self.init = seed, init
        self.shapes = parameter_shapes(self.layer_sizes, self.bias)
        self._setup(init_parameters(self.layer_sizes, self.bias, init, seed))

    def _setup(self, params: dict[str, np.ndarray]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def depth(self) -> int:
        return len(self.layer_sizes) - 1

    def activations(self):
        """The activation of each layer: hidden ones, then the output's."""
        return [self.activation] * (self.depth - 1) + [self.output_activation]

    def config(self) -> dict:
        return {
            "class": type(self).__name__,
            "layer_sizes": list(self.layer_sizes),
            "activation": self.activation.name,
            "output_activation": self.output_activation.name,
            "bias": self.bias,
            "seed": self.seed,
            "init": self.init,
        }

    def describe(self) -> str:
        return f"{type(self).__name__}({architecture(self)})"

    __repr__ = describe

    def check_batch(self, X, y=None) -> tuple[np.ndarray, np.ndarray | None]:
        """X as float64 (n, inputs) and y as float64 (n, outputs) (a 1-D y for one output is
        accepted), with errors that name the mismatch. Arrays that already fit pass through
        untouched (the training loop's case: this check runs every epoch)."""
        sizes = self.layer_sizes
        if (
            type(X) is np.ndarray
            and X.dtype == np.float64
            and X.ndim == 2
            and X.shape[1] == sizes[0]
            and X.shape[0]
            and (
                y is None
                or (
                    type(y) is np.ndarray
                    and y.dtype == np.float64
                    and y.shape == (X.shape[0], sizes[-1])
                )
            )
        ):
            require_finite(X, y)
            return X, y
        X = as_float_array(X, "X")
        if X.ndim == 1 and self.layer_sizes[0] > 1 and X.shape[0] == self.layer_sizes[0]:
            X = X.reshape(1, -1)
        if X.ndim != 2 or X.shape[1] != self.layer_sizes[0]:
            raise ValueError(
                f"X has shape {X.shape}; {self.describe()} takes (n, {self.layer_sizes[0]})"
            )
        if X.shape[0] == 0:
            raise ValueError("X holds no samples")
        if y is None:
            require_finite(X, None)
            return X, None
        y = as_float_array(y, "y")
        outputs = self.layer_sizes[-1]
        if y.ndim == 1 and outputs == 1:
            y = y.reshape(-1, 1)
        if y.shape != (X.shape[0], outputs):
            raise ValueError(
                f"y has shape {y.shape}; with X of {X.shape[0]} samples and "
                f"{outputs} output(s) it should be {(X.shape[0], outputs)}"
            )
        require_finite(X, y)
        return X, y


# -- Value engine ---------------------------------------------------------------------------------
class ValueMLP(MLP):
    """The network as a graph of scalar Values: every weight, product and sum is a node.

    >>> net = ValueMLP((2, 4, 4, 1), seed=0)
    >>> out = net([1.0, 0.0])          # one sample -> the output Value
    >>> out.backward()
    >>> round(net.W[0][0][3].grad, 6) == round(net.named_grads()["W1"][0, 3], 6)
    True
    """

    engine = "value"

    def _setup(self, params):
        self.W: list[list[list[Value]]] = []
        self.b: list[list[Value]] = []
        for k in range(1, self.depth + 1):
            W = params[f"W{k}"]
            self.W.append(
                [
                    [Value(W[i, j], label=f"W{k}[{i},{j}]") for j in range(W.shape[1])]
                    for i in range(W.shape[0])
                ]
            )
            if self.bias:
                self.b.append([Value(v, label=f"b{k}[{j}]") for j, v in enumerate(params[f"b{k}"])])
        # Labels and scope names are made once, not per sample.
        # Per layer, per neuron: its scope, weights (a tuple: one per input), bias, activation
        # function and labels, made once rather than per sample.
        self._plan = [
            [
                (
                    f"layer{k}/neuron{j}",
                    tuple(row[j] for row in self.W[k - 1]),
                    self.b[k - 1][j] if self.bias else None,
                    getattr(Value, act.method),
                    act.args,
                    f"z{k}[{j}]",
                    f"a{k}[{j}]",
                )
                for j in range(n)
            ]
            for k, (n, act) in enumerate(zip(self.layer_sizes[1:], self.activations()), start=1)
        ]
        self._input_labels = [f"x[{i}]" for i in range(self.layer_sizes[0])]

    def named_parameters(self) -> Iterator[tuple[str, Value]]:
        for k in range(self.depth):
            for row in self.W[k]:
                for w in row:
                    yield w.label, w
            if self.bias:
                for b in self.b[k]:
                    yield b.label, b

    def zero_grad(self) -> None:
        for _, p in self.named_parameters():
            p.grad = 0.0

    def _read(self, name: str) -> np.ndarray:
        k = int(name[1:]) - 1
        if name[0] == "W":
            return np.array([[w.data for w in row] for row in self.W[k]])
        return np.array([b.data for b in self.b[k]])

    def _write(self, name: str, array: np.ndarray) -> None:
        k = int(name[1:]) - 1
        if name[0] == "W":
            for row, values in zip(self.W[k], array):
                for w, v in zip(row, values):
                    w.data = float(v)
        else:
            for b, v in zip(self.b[k], array):
                b.data = float(v)

    def named_grads(self) -> dict[str, np.ndarray]:
        """The parameters' current gradients as arrays keyed like state_dict()."""
        out = {}
        for k in range(self.depth):
            out[f"W{k + 1}"] = np.array([[w.grad for w in row] for row in self.W[k]])
            if self.bias:
                out[f"b{k + 1}"] = np.array([b.grad for b in self.b[k]])
        return out

    def __call__(self, x) -> Value | list[Value]:
        """One sample through the network: the output Value (a list if there are several)."""
        outputs = self.forward_sample(x)
        return outputs[0] if len(outputs) == 1 else outputs

    def forward_sample(self, x) -> list[Value]:
        """One sample's graph. Scopes are set directly from names made once (not with nested
        ``scope()`` blocks): the same tags for a fraction of the cost, per neuron per sample."""
        if len(x) != self.layer_sizes[0]:
            raise ValueError(
                f"a sample has {len(x)} features; {self.describe()} takes {self.layer_sizes[0]}"
            )
        outer = STATE.scope
        prefix = f"{outer}/" if outer else ""
        try:
            STATE.scope = prefix + "input"
            h = tuple(
                xi if isinstance(xi, Value) else Value.input(xi, label)
                for xi, label in zip(x, self._input_labels)
            )
            for layer in self._plan:
                nxt = []
                for scope_name, weights, bias, act, args, z_label, a_label in layer:
                    STATE.scope = prefix + scope_name
                    z = unchecked_dot(weights, h, bias)
                    z.label = z_label
                    a = act(z, *args) if args else act(z)
                    a.label = a_label
                    nxt.append(a)
                h = tuple(nxt)
        finally:
            STATE.scope = outer
        return list(h)

    def loss(self, X, y, loss: str = "mse", reduction: str = "mean") -> Value:
        """The loss over the batch as one Value graph (every sample's nodes in it)."""
        check_loss(loss, reduction)
        X, y = self.check_batch(X, y)
        check_targets(loss, y)
        outputs = [self.forward_sample(list(row)) for row in X.tolist()]
        with scope("loss"):
            return value_loss(outputs, y, loss, reduction)

    def loss_and_grads(
        self, X, y, loss: str = "mse", reduction: str = "mean"
    ) -> tuple[float, Gradients]:
        with gc_paused():  # thousands of cycle-free nodes: see autograd.gc_paused
            total = self.loss(X, y, loss, reduction)
            self.zero_grad()
            total.backward()
            value = total.data
            del total  # the graph is freed here, by reference counting
        return value, Gradients.from_arrays(self.named_grads())

    def predict(self, X) -> np.ndarray:
        X, _ = self.check_batch(X)
        with no_grad():
            return np.array([[o.data for o in self.forward_sample(row)] for row in X.tolist()])

    def parameter_table(self):
        """Every parameter with its value and gradient (a table in notebooks)."""
        from autograd.views.display import ParameterTable

        return ParameterTable([(n, p.data, p.grad) for n, p in self.named_parameters()])


# -- Tensor engine --------------------------------------------------------------------------------
class TensorMLP(TensorNetwork, MLP):
    """The network on Tensor nodes: per layer ``act(X @ W + b)`` for the whole batch, each layer
    inside scope ``layer{k}``."""

    engine = "tensor"

    def _setup(self, params):
        self._init_parameters(params)
        self._plan = [
            (f"layer{k}", self.params[f"W{k}"], self.params.get(f"b{k}"), act, f"a{k}")
            for k, act in enumerate(self.activations(), start=1)
        ]

    def _forward(self, X: np.ndarray) -> Tensor:
        h = Tensor.input(X, label="X")
        for name, W, b, act, label in self._plan:
            with scope(name):
                z = h @ W
                if b is not None:
                    z = z + b
                h = act.on_node(z)
                h.label = label
        return h


# -- numpy fast path ------------------------------------------------------------------------------
class NumpyMLP(FlatBuffer, MLP):
    """Forward and hand-derived backward in numpy, no graph: ``nets.backprop``'s derivation
    (shared with ``Population``), for layer k with input a_{k-1}:

        z_k = a_{k-1} W_k + b_k,  a_k = f_k(z_k)
        delta_L = dLoss/da_L * f_L'(z_L)         (bce after a sigmoid: p - y, the lab's delta)
        dW_k = a_{k-1}^T delta_k,  db_k = sum_rows(delta_k),
        delta_{k-1} = (delta_k W_k^T) * f_{k-1}'(z_{k-1})

    Each layer's bias is stored as the row after its weights in one flat buffer, so an optimizer
    updates every parameter with one call on it (``nets.backprop`` says how the rest is kept
    fast)."""

    engine = "numpy"

    def _setup(self, params):
        self._flat = np.concatenate([a.ravel() for a in params.values()])
        self._grad_flat = np.zeros_like(self._flat)
        self._layout = make_layout(self.shapes)
        self._blocks, self._grad_blocks, self._views = [], [], {}
        start = 0
        extra = 1 if self.bias else 0
        for n_in, n_out in zip(self.layer_sizes[:-1], self.layer_sizes[1:]):
            size = (n_in + extra) * n_out
            block = self._flat[start : start + size].reshape(n_in + extra, n_out)
            self._blocks.append(block)
            self._grad_blocks.append(self._grad_flat[start : start + size].reshape(block.shape))
            start += size
        for k, block in enumerate(self._blocks, start=1):
            self._views[f"W{k}"] = block[: self.layer_sizes[k - 1]]
            if self.bias:
                self._views[f"b{k}"] = block[-1]
        self._pass = Backprop(
            self._blocks, self._grad_blocks, self.layer_sizes, self.activations(), self.bias
        )
        self._n = None

    def named_parameters(self) -> Iterator[tuple[str, np.ndarray]]:
        yield from self._views.items()

    def zero_grad(self) -> None:
        self._grad_flat.fill(0.0)

    def _read(self, name: str) -> np.ndarray:
        return self._views[name]

    def _write(self, name: str, array: np.ndarray) -> None:
        self._views[name][...] = array

    def _loss_buffers(self, n: int) -> None:
        """The loss value's buffers, allocated once per batch size."""
        if self._n == n:
            return
        out = (n, self.layer_sizes[-1])
        self._lp, self._l1p = np.empty(out), np.empty(out)
        self._log_floor = np.full(out, np.exp(LOG_FLOOR))  # an array: no scalar conversion
        self._ones = np.ones(out[0] * out[1])
        self._n = n

    def loss_and_grads(
        self, X, y, loss: str = "mse", reduction: str = "mean"
    ) -> tuple[float, Gradients]:
        return self._backward(X, y, loss, reduction, want_loss=True)

    def gradients(self, X, y, loss: str = "mse", reduction: str = "mean") -> Gradients:
        """The gradients alone: the loss value costs numpy calls (8 of them for the clamped
        cross-entropy) that a training epoch does not need. The result shares the model's
        gradient buffer, rewritten by the next call (an optimizer step reads it before)."""
        return self._backward(X, y, loss, reduction, want_loss=False)[1]

    def trainer(self, X, y, loss: str = "mse", reduction: str = "mean"):
        """A function of no arguments giving the gradients on this batch, checked once: what a
        training loop calls every epoch (``gradients`` without the per-call checks). Call it
        inside ``np.errstate(over="ignore")``, as ``experiments.train`` does: a sigmoid's e^-z
        overflows to inf for z < -709, which gives the right 0 but a warning outside it."""
        check_loss(loss, reduction)
        X, y = self.check_batch(X, y)
        check_targets(loss, y)
        return lambda: self._backward_checked(X, y, loss, reduction, False)[1]

    def _backward(self, X, y, loss, reduction, want_loss: bool):
        if loss not in LOSSES or reduction not in REDUCTIONS:
            check_loss(loss, reduction)
        X, y = self.check_batch(X, y)
        check_targets(loss, y)
        with np.errstate(over="ignore"):
            return self._backward_checked(X, y, loss, reduction, want_loss)

    def _backward_checked(self, X, y, loss, reduction, want_loss: bool):
        run = self._pass
        p = run.forward(X)
        delta, one_minus_p = run.output_error(p, y)
        value = 0.0
        if want_loss and loss == "mse":
            flat = delta.ravel()
            value = float(flat.dot(flat))
        elif want_loss:
            # -(y ln p + (1 - y) ln(1 - p)) = -(y (ln p - ln(1 - p)) + ln(1 - p)), logs clamped
            self._loss_buffers(X.shape[0])
            lp, l1p = self._lp, self._l1p
            np.maximum(p, self._log_floor, out=lp)
            np.log(lp, lp)
            np.maximum(one_minus_p, self._log_floor, out=l1p)
            np.log(l1p, l1p)
            lp -= l1p
            value = -float(y.ravel().dot(lp.ravel()) + l1p.ravel().dot(self._ones))
        scale = 1.0 / p.size if reduction == "mean" else 1.0
        run.backward(p, loss, scale, X if self.bias else X.T)
        grad = self._grad_flat.copy() if want_loss else self._grad_flat
        return value * scale, Gradients(grad, self._layout)

    def predict(self, X) -> np.ndarray:
        X, _ = self.check_batch(X)
        with np.errstate(over="ignore"):
            return self._pass.forward(X).copy()

    def parameter_table(self):
        from autograd.views.display import ParameterTable

        grads = Gradients(self._grad_flat, self._layout)
        return ParameterTable([(n, v, grads[n]) for n, v in self._views.items()])


def architecture(net) -> str:
    """'2-4-4-1, sigmoid/sigmoid, bias=False': what an MLP (or a population of them) is."""
    sizes = "-".join(map(str, net.layer_sizes))
    return f"{sizes}, {net.activation.name}/{net.output_activation.name}, bias={net.bias}"


ENGINES = {"value": ValueMLP, "tensor": TensorMLP, "numpy": NumpyMLP}


def make_mlp(engine: str, **kwargs) -> MLP:
    """Build an engine by name: ``value``, ``tensor`` or ``numpy``."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    return ENGINES[engine](**kwargs)
