"""The network on one point: what ``gradstep graph`` draws and ``gradstep step`` steps through.

``network_on_one_point`` builds the network on the graph engine (``ValueMLP``) and picks the
point (by default the first where every weight's gradient is non-zero); ``graph_file`` renders
its computation graph, ``step_page`` writes the page that steps through its loss's backward pass.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["network_on_one_point", "graph_file", "step_page"]


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


def step_page(out: Path, *, collapse: str | None, forward: bool, **network) -> tuple[Path, int]:
    """Write the stepper page of the loss on the network's point; (path, number of steps)."""
    from autograd import stepper

    net, x, y, about = network_on_one_point(**network)
    loss = network.get("loss", "bce")
    steps = stepper(
        net.loss(x, y, loss=loss), collapse=collapse, forward=forward,
        title=f"{loss} loss of a {about}",
    )  # fmt: skip
    return steps.save(out), len(steps)
