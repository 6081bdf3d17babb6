"""micrograd's ``nn`` on gradstep's Values: ``Neuron``, ``Layer`` and ``MLP``, same weights.

The classes behave as micrograd 0.1.0's ``micrograd.nn``: ``Neuron(nin, nonlin=True)`` draws its
``nin`` weights from ``random.uniform(-1, 1)`` in order (so after ``random.seed(s)`` a network
gets exactly the weights micrograd's would), its bias is 0, it computes ``relu(w . x + b)``
(linear with ``nonlin=False``); ``Layer(nin, nout, **kwargs)`` holds ``nout`` neurons and
returns a list (or the one output); ``MLP(nin, nouts)`` chains layers, ReLU except a linear last
layer. ``parameters()``, ``zero_grad()`` and the reprs (``MLP of [Layer of [ReLUNeuron(2),
...]]``) are micrograd's. So micrograd's ``demo.ipynb`` runs with its two imports changed::

    from autograd import Value                       # was: from micrograd.engine import Value
    from nets.micrograd import Neuron, Layer, MLP    # was: from micrograd.nn import ...

What differs is what gradstep adds: each neuron computes in a scope of its own
(``layer1/neuron3``; parameters labelled ``W1[0,3]`` and ``b1[3]`` as in ``nets.ValueMLP``), so
``draw_dot(loss, collapse="neuron")`` and ``stepper(loss, collapse="layer")`` show one box per
neuron or per layer; a neuron's weighted sum is one ``dot`` node (z = sum_i w_i x_i + b, its
local derivatives the paired inputs and weights) rather than micrograd's chain of ``*`` and
``+``; and a sample of the wrong length is an error (micrograd's ``zip`` drops the extra
inputs silently).

``hinge_loss`` is the demo's max-margin loss with L2 regularization (its numbers to rounding),
its parts in scopes of their own so the loss over a whole batch can be drawn collapsed.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np

from autograd import Value, dot, scope, sum_values
from autograd.graph import STATE

__all__ = ["Module", "Neuron", "Layer", "MLP", "hinge_loss", "neurons", "square_norm"]


class Module:
    """micrograd's base: ``parameters()`` and ``zero_grad()``."""

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0

    def parameters(self) -> list[Value]:
        return []


def _inputs(x) -> tuple[Value, ...]:
    """A sample as Values: Values pass through; numbers become input leaves (another library's
    value objects are refused by ``Value.input``, naming both types)."""
    return tuple(xi if type(xi) is Value else Value.input(xi, f"x[{i}]") for i, xi in enumerate(x))


class Neuron(Module):
    """One neuron: z = sum_i w_i x_i + b, then relu(z) (``nonlin=True``) or z itself."""

    def __init__(self, nin: int, nonlin: bool = True) -> None:
        if not isinstance(nin, int) or isinstance(nin, bool) or nin < 1:
            raise ValueError(f"a neuron needs a positive number of inputs, got {nin!r}")
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]  # micrograd's draw order
        self.b = Value(0.0)
        self.nonlin = nonlin
        self.place("neuron", "w[{i}]", "b")

    def place(self, scope_name: str, weight_label: str, bias_label: str) -> None:
        """Where the neuron computes (its scope) and its parameters' labels (``{i}``: the
        weight's input); a Layer or an MLP places its neurons."""
        self.scope_name = scope_name
        for i, w in enumerate(self.w):
            w.label = weight_label.format(i=i)
        self.b.label = bias_label
        self._weights = tuple(self.w)

    def __call__(self, x) -> Value:
        x = _inputs(x)
        if len(x) != len(self.w):
            raise ValueError(f"{self!r} takes {len(self.w)} inputs, got a sample of {len(x)}")
        outer = STATE.scope
        STATE.scope = f"{outer}/{self.scope_name}" if outer else self.scope_name
        try:
            act = dot(self._weights, x, self.b)
            return act.relu() if self.nonlin else act
        finally:
            STATE.scope = outer

    def parameters(self) -> list[Value]:
        return self.w + [self.b]

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons on the same inputs; ``kwargs`` go to each ``Neuron``."""

    def __init__(self, nin: int, nout: int, **kwargs) -> None:
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]
        self.place("layer", "")

    def place(self, scope_name: str, index: str) -> None:
        """Scopes ``{scope_name}/neuron{j}``; labels ``W{index}[i,j]`` and ``b{index}[j]``."""
        for j, n in enumerate(self.neurons):
            n.place(f"{scope_name}/neuron{j}", f"W{index}[{{i}},{j}]", f"b{index}[{j}]")

    def __call__(self, x) -> Value | list[Value]:
        x = _inputs(x)
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Layers of sizes ``nouts`` on ``nin`` inputs: ReLU neurons, the last layer linear."""

    def __init__(self, nin: int, nouts: Sequence[int]) -> None:
        sz = [nin] + list(nouts)
        self.layers = [
            Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1) for i in range(len(nouts))
        ]
        for k, layer in enumerate(self.layers, start=1):
            layer.place(f"layer{k}", str(k))

    def __call__(self, x) -> Value | list[Value]:
        x = _inputs(x)
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def state_dict(self) -> dict[str, np.ndarray]:
        """The weights as gradstep's networks keep them: ``W{k}`` (inputs, outputs) and
        ``b{k}``, so ``ValueMLP((nin, *nouts), activation="relu", output_activation="none")``
        loads them (``load_state_dict``) and computes the same function."""
        state = {}
        for k, layer in enumerate(self.layers, start=1):
            state[f"W{k}"] = np.array([[w.data for w in n.w] for n in layer.neurons]).T.copy()
            state[f"b{k}"] = np.array([n.b.data for n in layer.neurons])
        return state

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"


def neurons(model) -> list[Neuron]:
    """Every neuron of an ``MLP``, a ``Layer`` or a ``Neuron``, in ``parameters()`` order."""
    if isinstance(model, Neuron):
        return [model]
    if isinstance(model, Layer):
        return list(model.neurons)
    if isinstance(model, MLP):
        return [n for layer in model.layers for n in layer.neurons]
    raise TypeError(f"expected a nets.micrograd MLP, Layer or Neuron, got {type(model).__name__}")


def square_norm(neuron: Neuron) -> Value:
    """sum_p p^2 over the neuron's parameters as one node in the neuron's scope: ``dot`` of the
    parameters with themselves, whose two local derivatives per parameter add to 2p."""
    outer = STATE.scope
    STATE.scope = f"{outer}/{neuron.scope_name}" if outer else neuron.scope_name
    try:
        params = neuron.parameters()
        return dot(params, params)
    finally:
        STATE.scope = outer


def hinge_loss(model, X, y, alpha: float = 1e-4) -> tuple[Value, float]:
    """micrograd demo's loss on the batch ``X`` (rows of features) with labels ``y`` in
    {-1, 1}: L = (1/n) sum_i relu(1 - y_i score_i) + alpha sum_p p^2, and the accuracy (the
    share of samples whose score has the label's sign): the demo's numbers (to rounding).

    Built to be seen: the inputs in scope ``input/x``; each sample's margin term in
    ``loss/margin``, their mean one ``sum`` node; each neuron's sum of squared parameters one
    node in the neuron's own scope (so a parameter stays inside its neuron's box), their total
    in ``loss/regularization``; the sum in ``loss/total``. The whole batch then draws in a few
    dozen boxes with ``collapse="neuron"`` and in seven with ``collapse="layer"``."""
    with scope("input"), scope("x"):
        inputs = [
            [Value.input(v, f"x{i}[{j}]") for j, v in enumerate(row)] for i, row in enumerate(X)
        ]
    scores = [model(x) for x in inputs]
    with scope("loss"), scope("margin"):
        losses = [(1 + -float(yi) * score).relu() for yi, score in zip(y, scores)]
        data_loss = sum_values(losses) * (1.0 / len(losses))
        data_loss.label = "data_loss"
    squares = [square_norm(n) for n in neurons(model)]
    with scope("loss"):
        with scope("regularization"):
            reg_loss = alpha * sum_values(squares)
            reg_loss.label = "reg_loss"
        with scope("total"):
            total = data_loss + reg_loss
    total.label = "L"
    accuracy = [(yi > 0) == (score.data > 0) for yi, score in zip(y, scores)]
    return total, sum(accuracy) / len(accuracy)
