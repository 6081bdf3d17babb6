"""The network on one point: what ``gradstep graph`` draws and ``gradstep step`` steps through.

``network_on_one_point`` builds the network on the graph engine (``ValueMLP``) and picks the
point (by default the first where every weight's gradient is non-zero); ``graph_file`` renders
its computation graph, ``step_page`` writes the page that steps through its loss's backward pass.
``step_recording_size`` is what the stepper would record, from the layer sizes alone, so an
oversized ``step`` is refused before the network is built (a 2-1000-1000-1 Value network takes
half a minute to build); ``graph_drawn_size`` is the same for ``graph``'s drawing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = [
    "network_on_one_point",
    "graph_file",
    "step_page",
    "step_recording_size",
    "graph_drawn_size",
]


def network_on_one_point(
    data: str,
    sample: int | None,
    sizes: tuple[int, ...],
    activation: str,
    bias: bool,
    seed: int,
    loss: str = "bce",
) -> tuple[object, np.ndarray, np.ndarray, str]:
    """(network, x, y, about): the network, the point as a batch of one, its label and a title
    naming them."""
    from nets import ValueMLP

    from .datasets import load_dataset, telling_sample

    X, y = load_dataset(data, seed=seed)
    if sample is not None and sample >= len(X):
        raise ValueError(f"--sample {sample} is out of range: {data} has {len(X)} points")
    if sizes[0] != 2:
        raise ValueError(f"--sizes must start with 2 (the data are 2-D), got {sizes[0]}")
    net = ValueMLP(sizes, activation=activation, bias=bias, seed=seed)
    if sample is None:
        sample = telling_sample(net, X, y, loss)
    point = tuple(round(float(v), 3) for v in X[sample])
    about = (
        f"{'-'.join(map(str, sizes))} {activation} net on {data} point {sample} {point}, "
        f"label {int(y[sample, 0])}"
    )
    return net, X[sample : sample + 1], y[sample : sample + 1], about


_COARSER = {None: ("neuron", "layer"), "neuron": ("layer",), "layer": ()}


def _neuron_boxes(fan_in: int, activation: str, bias: bool, collapse: str | None) -> int:
    """Boxes and ops one neuron draws (its inputs apart), measured on two tiny ValueMLP
    neurons laid out for real; linear in the fan-in (a box per weight when not collapsed)."""
    from autograd.views.layout import layout
    from nets import ValueMLP

    one, two = (
        layout(
            ValueMLP((n, 1), output_activation=activation, bias=bias, seed=0)([0.0] * n), collapse
        ).drawn()
        - n  # fmt: skip
        for n in (1, 2)
    )
    return one + (fan_in - 1) * (two - one)


def graph_drawn_size(
    sizes: tuple[int, ...], activation: str, bias: bool, collapse: str | None
) -> int:
    """Boxes and ops ``graph`` draws for ``ValueMLP(sizes, activation)``'s first output, without
    building it (no ``--expand``): a box per input (one for them all with collapse="layer"),
    then each neuron it depends on (every hidden one and the first output) drawn as a tiny
    neuron is; with collapse="layer" a box per layer."""
    if collapse == "layer":
        return len(sizes)
    acts = [activation] * (len(sizes) - 2) + ["sigmoid"]  # ValueMLP's default output
    units = [*sizes[1:-1], 1]  # the first output's graph holds one output neuron
    return sizes[0] + sum(
        count * _neuron_boxes(fan_in, act, bias, collapse)
        for fan_in, count, act in zip(sizes[:-1], units, acts)
    )


def _check_drawing(collapse: str | None, max_nodes: int, network: dict) -> None:
    """Refuse, before building, a drawing over ``max_nodes``: the message ``render`` gives."""
    from autograd.views.drawing import TooManyNodesError

    sizes, activation, bias = network["sizes"], network["activation"], network["bias"]
    if not sizes or sizes[0] != 2 or collapse not in _COARSER:
        return  # network_on_one_point / render name the problem
    drawn = graph_drawn_size(sizes, activation, bias, collapse)
    if drawn > max_nodes:
        fits = {c: graph_drawn_size(sizes, activation, bias, c) for c in _COARSER[collapse]}
        fits = {c: n for c, n in fits.items() if n <= max_nodes}
        e = TooManyNodesError(drawn, max_nodes, fits, "")
        raise ValueError(e.advice("", collapse="--collapse {}", limit="--max-nodes"))


def graph_file(
    out: Path,
    *,
    collapse: str | None,
    expand: list[str],
    after_backward: bool,
    max_nodes: int,
    **network,
) -> Path:
    """Render the network's output graph on its point to ``out`` (its suffix the format), after
    a backward pass if asked; a drawing over ``max_nodes`` is refused with what would fit."""
    from autograd import render
    from autograd.views.drawing import TooManyNodesError

    if not expand:  # an expanded scope is counted by render, after building
        _check_drawing(collapse, max_nodes, network)
    net, x, _, about = network_on_one_point(**network)
    outputs = net(list(x[0]))
    root = outputs[0] if isinstance(outputs, list) else outputs
    if after_backward:
        root.backward()
    try:
        return render(
            root,
            out,
            format=Path(out).suffix.lstrip("."),
            collapse=collapse,
            expand=expand,
            max_nodes=max_nodes,
            title=about,
        )
    except TooManyNodesError as e:
        raise ValueError(e.advice("", collapse="--collapse {}", limit="--max-nodes")) from None


def _graph_size(root, forward: bool) -> tuple[int, int]:
    from autograd.graph import topological_order
    from autograd.views.stepper import recording_size

    return recording_size(topological_order(root), forward)


def _neuron_size(fan_in: int, activation: str, bias: bool, forward: bool) -> tuple[int, int]:
    """(terms, steps) of one neuron's ops, built by ValueMLP itself on leaf inputs. They grow
    linearly with the fan-in (one dot op with an operand per weight and input), so two tiny
    neurons give the size of any: size(n) = size(1) + (n - 1) (size(2) - size(1))."""
    from nets import ValueMLP

    one, two = (
        _graph_size(ValueMLP((n, 1), output_activation=activation, bias=bias, seed=0)([0.0] * n),
                    forward)
        for n in (1, 2)
    )  # fmt: skip
    return tuple(a + (fan_in - 1) * (b - a) for a, b in zip(one, two))


def step_recording_size(
    sizes: tuple[int, ...], activation: str, bias: bool, loss: str = "bce", forward: bool = False
) -> tuple[int, int]:
    """(terms, steps) the stepper records for the loss of ``ValueMLP(sizes, activation)`` on one
    point, without building it: every op of the graph belongs to one neuron (a layer's inputs
    are leaves or the previous layer's outputs, counted there) or to the loss, so the total is
    the sum over neurons of one neuron's size plus the loss's own ops (measured on a
    1-n_out network and the output neurons taken off)."""
    import numpy as np

    from nets import ValueMLP

    acts = [activation] * (len(sizes) - 2) + ["sigmoid"]  # ValueMLP's default output
    terms = steps = 0
    for fan_in, units, act in zip(sizes[:-1], sizes[1:], acts):
        t, s = _neuron_size(fan_in, act, bias, forward)
        terms, steps = terms + units * t, steps + units * s
    n_out = sizes[-1]
    tiny = ValueMLP((1, n_out), bias=bias, seed=0)
    whole = _graph_size(tiny.loss(np.zeros((1, 1)), np.zeros((1, n_out)), loss=loss), forward)
    out_t, out_s = _neuron_size(1, "sigmoid", bias, forward)
    return terms + whole[0] - n_out * out_t, steps + whole[1] - n_out * out_s


def step_page(out: Path, *, collapse: str | None, forward: bool, **network) -> tuple[Path, int]:
    """Write the stepper page of the loss on the network's point; (path, number of steps).
    A recording over the stepper's ``MAX_TERMS`` is refused (``TooManyTermsError``, the
    stepper's own message) from the layer sizes, before the network is built."""
    from autograd import stepper
    from autograd.views.stepper import MAX_TERMS, TooManyTermsError

    sizes = network["sizes"]
    if sizes and sizes[0] == 2:  # otherwise network_on_one_point names the problem
        terms, steps = step_recording_size(
            sizes, network["activation"], network["bias"], network.get("loss", "bce"), forward
        )
        if terms > MAX_TERMS:
            raise TooManyTermsError(terms, steps, MAX_TERMS)
    net, x, y, about = network_on_one_point(**network)
    loss = network.get("loss", "bce")
    steps = stepper(
        net.loss(x, y, loss=loss), collapse=collapse, forward=forward,
        title=f"{loss} loss of a {about}",
    )  # fmt: skip
    return steps.save(out), len(steps)
