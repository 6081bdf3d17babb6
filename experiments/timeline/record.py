"""Step through training: a timeline of the run you trained.

``watch(net, X, y, every=50, **train_args)`` trains exactly as ``experiments.train.train(net, X,
y, **train_args)`` (the same loop: the weights at every recorded epoch are those of ``train``
run for that many epochs, bit for bit) and records, at epoch 0, every ``every`` epochs and the
last: the parameters, their gradients, the training loss (the loss being minimised, with its
reduction) and the accuracy. Several runs side by side: a list for ``lr`` or ``seed`` (or a list
of networks) trains each of them, and the views show them as small multiples on one epoch
slider.

    >>> from experiments import watch
    >>> from experiments.datasets import load_dataset
    >>> from nets import NumpyMLP
    >>> X, y = load_dataset("xor")
    >>> tl = watch(NumpyMLP((2, 4, 4, 1), bias=False, init="lab", seed=0), X, y,
    ...            every=500, lr=[0.05, 2.0], epochs=2000, loss="bce", reduction="sum", quiet=True)
    >>> tl.epochs
    [0, 500, 1000, 1500, 2000]
    >>> [run.label for run in tl.runs]
    ['lr=0.05', 'lr=2']
    >>> round(tl.accuracy(2000, run=0), 4)
    1.0

The views (``timeline_view.js``: boundary, loss, network, gradients) are a Jupyter widget
(``tl.widget()``, or just ``tl`` in a cell) and one self-contained page (``tl.save(path)``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nets import NumpyMLP, ValueMLP

from ..train import accuracy, train

__all__ = [
    "watch",
    "watch_and_save",
    "run_summary",
    "check_recording",
    "Timeline",
    "Run",
    "TIMELINE",
]

LISTABLE = ("lr", "seed")
NEURON_BOXES = 16  # the widest layer a timeline's stepper draws neuron by neuron


@dataclass
class Run:
    """One watched run: its label, its network's architecture (``config``: the constructor
    arguments but the seed; ``shapes``: the parameters' shapes in ``state_dict`` order) and, per
    recorded epoch (rows), the flat parameters and gradients (in that order), the training loss
    and the accuracy. Runs of one timeline may have different architectures."""

    label: str
    config: dict
    shapes: dict
    lr: float
    seed: int | None
    epochs: np.ndarray
    params: np.ndarray
    grads: np.ndarray
    loss: np.ndarray
    accuracy: np.ndarray

    @property
    def diverged_at(self) -> int | None:
        """The first recorded epoch whose loss is not finite (the run diverged), or None."""
        bad = np.flatnonzero(~np.isfinite(self.loss))
        return int(self.epochs[bad[0]]) if bad.size else None


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _runs_to_make(net, train_args: dict) -> list[tuple[object, float, object, str]]:
    """(network, lr, seed, label) per run, from a network or a list of them and ``lr`` /
    ``seed`` given as a number or a list. Lists must not be empty and must agree in length."""
    lists = {k: train_args.pop(k) for k in LISTABLE if isinstance(train_args.get(k), list | tuple)}
    nets = list(net) if isinstance(net, list | tuple) else None
    if nets is not None:
        lists["networks"] = nets
    for name, values in lists.items():
        if not values:
            raise ValueError(f"{name} is an empty list: give at least one value")
    lengths = {name: len(values) for name, values in lists.items()}
    if len(set(lengths.values())) > 1:
        said = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise ValueError(f"the lists of settings must have one entry per run: {said}")
    count = next(iter(lengths.values()), 1)
    models = nets or [net] * count
    _check_models(models)
    lr = lists.get("lr", [train_args.pop("lr", 0.05)] * count)
    seeds = lists.get("seed", [train_args.pop("seed", None)] * count)
    runs = []
    for i in range(count):
        model = models[i]
        # one network given for several runs, or a seed to start from: a copy per run
        if (count > 1 and nets is None) or seeds[i] is not None:
            model = _copy(model, seeds[i])
        label = _label(lists, i, lr[i], seeds[i], model)
        runs.append((model, float(lr[i]), seeds[i] if seeds[i] is not None else model.seed, label))
    return runs


def _check_models(net) -> None:
    for m in net if isinstance(net, list | tuple) else [net]:
        if not hasattr(m, "trainer") or not hasattr(m, "state_dict"):
            raise TypeError(
                f"watch needs gradstep networks (nets.NumpyMLP, ...), got {type(m).__name__}"
            )


def _copy(model, seed):
    """The model's architecture, initialised from ``seed`` (or with the model's own weights)."""
    config = {k: v for k, v in model.config().items() if k != "class"}
    if seed is None:
        copy = type(model)(**config)
        copy.load_state_dict(model.state_dict())
        return copy
    return type(model)(**{**config, "seed": seed})


def _label(lists: dict, i: int, lr: float, seed, model) -> str:
    parts = []
    if "lr" in lists:
        parts.append(f"lr={lr:g}")
    if "seed" in lists:
        parts.append(f"seed={seed}")
    if "networks" in lists:
        parts.append("-".join(map(str, model.layer_sizes)))
    return ", ".join(parts) or f"lr={lr:g}"


# bytes held per parameter, recorded epoch and run: the float64 parameters and gradients (16),
# their stacked copy as a run ends (16), the page's float32 text and its copies (about 16)
RECORDING_BYTES = 48


def recorded_epochs(epochs: int, every: int) -> int:
    """How many epochs ``watch`` records: epoch 0, every ``every``-th, and the last."""
    return epochs // every + 1 + (1 if epochs % every else 0)


def check_recording(parameters: int, runs: int, epochs: int, every: int) -> None:
    """Refuse, before any training, a recording that would not fit in memory (the pictures are
    drawn by the page, so the weights and gradients are what is held), naming the ``every``
    that would fit."""
    from nets.budget import check_memory, memory_limit_bytes

    per_record = RECORDING_BYTES * parameters * runs
    need = per_record * recorded_epochs(epochs, every)
    fits = memory_limit_bytes() // per_record  # records that fit
    if fits >= 3:
        least = -(-epochs // (fits - 2))  # fits, perhaps by one record more than needed
        while least > 1 and recorded_epochs(epochs, least - 1) <= fits:
            least -= 1
        hint = f"record less often: every (--every) {least} or more would fit"
    else:
        hint = "even two recorded epochs do not fit: use a smaller network or fewer runs"
    what = (
        f"recording {runs} run(s) of {parameters:,} parameters at "
        f"{recorded_epochs(epochs, every):,} epochs (every {every} of {epochs:,})"
    )
    check_memory(need, what, hint)


def watch(net, X, y, *, every: int = 50, **train_args) -> Timeline:
    """Train as ``train(net, X, y, **train_args)`` and record a ``Timeline`` (see the module's
    docstring). A single run trains ``net`` itself, as ``train`` does; several runs train copies."""
    every = _positive_int("every", every)
    train_args = dict(train_args)
    if "record" in train_args:
        raise TypeError("watch records by itself: do not pass record=")
    epochs = train_args.get("epochs", 10_000)
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
    _check_models(net)
    models = net if isinstance(net, list | tuple) else [net]
    listed = [
        len(v) for k, v in train_args.items() if k in LISTABLE and isinstance(v, list | tuple)
    ]
    runs_asked = max([len(models), *listed])
    check_recording(max(m.num_parameters() for m in models), runs_asked, int(epochs), every)
    runs = _runs_to_make(net, train_args)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    loss = train_args.get("loss", "mse")
    reduction = train_args.get("reduction", "mean")
    recorded = []
    for model, lr, seed, label in runs:
        rows: dict[str, list] = {"epochs": [], "params": [], "grads": [], "loss": [], "acc": []}
        Xc, yc = model.check_batch(X, y)

        def record(epoch: int, model=model, rows=rows, Xc=Xc, yc=yc) -> None:
            value, grads = model.loss_and_grads(Xc, yc, loss=loss, reduction=reduction)
            state = model.state_dict()
            rows["epochs"].append(epoch)
            rows["params"].append(np.concatenate([v.ravel() for v in state.values()]))
            rows["grads"].append(np.concatenate([np.asarray(grads[k]).ravel() for k in state]))
            rows["loss"].append(float(value))
            rows["acc"].append(accuracy(model.predict(Xc), yc))

        train(model, X, y, lr=lr, record=(every, record), **train_args)
        recorded.append(
            Run(
                label,
                {k: v for k, v in model.config().items() if k not in ("class", "seed")},
                {name: tuple(np.shape(v)) for name, v in model.state_dict().items()},
                lr,
                seed,
                np.array(rows["epochs"]),
                np.array(rows["params"]),
                np.array(rows["grads"]),
                np.array(rows["loss"]),
                np.array(rows["acc"]),
            )
        )
    return Timeline(recorded, X, y, loss, reduction)


def _timeline_front():
    from autograd.views.frontend import Front

    return Front("timeline", Path(__file__).parent / "static")


TIMELINE = _timeline_front()


class Timeline:
    """What ``watch`` recorded: ``epochs``, per run ``weights(epoch)``, ``grads(epoch)``,
    ``loss(epoch)``, ``accuracy(epoch)``, ``network(epoch)``, the backward stepper of one
    point's loss at an epoch, and the views (widget and page). Each run keeps its own
    architecture (``runs[r].config``), so runs of different widths and depths sit side by side."""

    def __init__(self, runs: list[Run], X, y, loss: str, reduction: str) -> None:
        self.runs = runs
        self.X, self.y = X, y
        self.loss_name, self.reduction = loss, reduction

    # -- reading --------------------------------------------------------------------------------
    @property
    def epochs(self) -> list[int]:
        return [int(e) for e in self.runs[0].epochs]

    def run(self, run: int) -> Run:
        """The ``run``-th run (an index into ``runs``), checked."""
        if isinstance(run, bool) or not isinstance(run, (int, np.integer)):
            raise TypeError(f"run must be an integer index, got {type(run).__name__}")
        if not 0 <= run < len(self.runs):
            raise IndexError(f"run {run} out of range: this timeline has {len(self.runs)} runs")
        return self.runs[run]

    def _row(self, epoch: int, run: int) -> tuple[Run, int]:
        r = self.run(run)
        hits = np.flatnonzero(r.epochs == epoch)
        if not hits.size:
            shown = ", ".join(map(str, self.epochs[:4]))
            raise ValueError(
                f"epoch {epoch} was not recorded: the recorded epochs are {shown}, ..., "
                f"{self.epochs[-1]}"
            )
        return r, int(hits[0])

    @staticmethod
    def _unflatten(r: Run, flat: np.ndarray) -> dict[str, np.ndarray]:
        out, start = {}, 0
        for name, shape in r.shapes.items():
            size = int(np.prod(shape))
            out[name] = flat[start : start + size].reshape(shape).copy()
            start += size
        return out

    def weights(self, epoch: int, run: int = 0) -> dict[str, np.ndarray]:
        """The parameters after ``epoch`` updates, like ``state_dict()``."""
        r, i = self._row(epoch, run)
        return self._unflatten(r, r.params[i])

    def grads(self, epoch: int, run: int = 0) -> dict[str, np.ndarray]:
        """The gradient of the training loss at those parameters."""
        r, i = self._row(epoch, run)
        return self._unflatten(r, r.grads[i])

    def loss(self, epoch: int, run: int = 0) -> float:
        """The training loss (the one being minimised, with its reduction) at that epoch."""
        r, i = self._row(epoch, run)
        return float(r.loss[i])

    def accuracy(self, epoch: int, run: int = 0) -> float:
        r, i = self._row(epoch, run)
        return float(r.accuracy[i])

    def network(self, epoch: int, run: int = 0) -> NumpyMLP:
        """A ``NumpyMLP`` of that run's architecture with the weights of that epoch."""
        net = NumpyMLP(**self.run(run).config)
        net.load_state_dict(self.weights(epoch, run))
        return net

    def layer_grad_norms(self, run: int = 0) -> np.ndarray:
        """(epochs, layers): the size of each layer's gradient (weights and bias together)."""
        r = self.run(run)
        out, start = [], 0
        layers: dict[str, list[tuple[int, int]]] = {}
        for name, shape in r.shapes.items():
            size = int(np.prod(shape))
            layers.setdefault(name[1:], []).append((start, start + size))
            start += size
        for spans in layers.values():
            parts = np.concatenate([r.grads[:, a:b] for a, b in spans], axis=1)
            with np.errstate(over="ignore", invalid="ignore"):  # a diverged run: inf or nan
                out.append(np.linalg.norm(parts, axis=1))
        return np.stack(out, axis=1)

    def stepper(self, epoch: int, sample: int, run: int = 0, collapse: str | None = "auto"):
        """The backward stepper of point ``sample``'s loss at ``epoch`` (the graph engine on
        that epoch's weights, run ``run``'s network). ``collapse="auto"`` draws one box per
        neuron up to ``NEURON_BOXES`` neurons a layer and one per layer past that (a 2-32-32-1
        net's thousand edges neither read nor fit a page); or give the stepper's own setting."""
        from autograd import stepper

        if collapse == "auto":
            hidden = self.run(run).config["layer_sizes"][1:]
            collapse = "neuron" if max(hidden) <= NEURON_BOXES else "layer"

        if isinstance(sample, bool) or not isinstance(sample, (int, np.integer)):
            raise TypeError(f"sample must be an integer index, got {type(sample).__name__}")
        if not 0 <= sample < len(self.X):
            raise IndexError(f"sample {sample} out of range: the data have {len(self.X)} points")
        net = ValueMLP(**self.run(run).config)
        net.load_state_dict(self.weights(epoch, run))
        x, t = self.X[sample : sample + 1], self.y[sample : sample + 1]
        loss = net.loss(x, t, loss=self.loss_name, reduction=self.reduction)
        title = (
            f"{self.runs[run].label}, epoch {epoch}: {self.loss_name} loss of point {sample} "
            f"({', '.join(f'{v:.3g}' for v in x[0])}), label {t[0, 0]:g}"
        )
        return stepper(loss, collapse=collapse, title=title)

    def __repr__(self) -> str:
        runs = ", ".join(r.label for r in self.runs)
        return f"<Timeline: {len(self.runs)} run(s) ({runs}), {len(self.epochs)} recorded epochs>"

    # -- the views ------------------------------------------------------------------------------
    def to_json(self, steppers=()) -> dict:
        from .data import timeline_json

        return timeline_json(self, steppers)

    def html(self, steppers=()) -> str:
        from autograd.views import frontend

        title = f"gradstep: training of {', '.join(r.label for r in self.runs)}"
        data = {"timeline": self.to_json(steppers), "epoch": 0}
        return frontend.page(TIMELINE, title, data, uses=("stepper",))

    def save(self, path: str | os.PathLike, steppers=()) -> Path:
        """Write the page to ``path`` (``.html``); ``steppers=[(epoch, sample), ...]`` adds the
        backward stepper of those points (clicking the point at that epoch opens it)."""
        from autograd.views.frontend import save_page

        return save_page(path, lambda: self.html(steppers))

    def widget(self):
        from .widget import TimelineWidget

        return TimelineWidget(self)

    def _ipython_display_(self) -> None:
        """In a notebook: the page as the static fallback (what nbconvert's HTML and viewers
        without a kernel show), then the live widget (``frontend.show_in_notebook``)."""
        from autograd.views.frontend import show_in_notebook

        title = f"gradstep: training of {', '.join(r.label for r in self.runs)}"
        show_in_notebook(self.html(), title, self.widget, height=900)

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {"text/plain": repr(self)}
        try:
            widget = self.widget()
        except ImportError:
            return bundle
        view = widget._repr_mimebundle_(include=include, exclude=exclude)
        if isinstance(view, tuple):
            view = view[0]
        bundle.update({k: v for k, v in view.items() if k != "text/plain"})
        return bundle


def run_summary(run: Run) -> str:
    """One watched run's end: its loss and accuracy, or the epoch it diverged at."""
    if run.diverged_at is not None:
        return f"{run.label}: diverged at epoch {run.diverged_at} (loss {run.loss[-1]:g})"
    return f"{run.label}: loss {run.loss[-1]:.4g}, accuracy {100 * run.accuracy[-1]:.2f}%"


def watch_and_save(
    setup, out: str | os.PathLike, *, lrs: list, seeds: list, every: int, epochs: int, **train_args
) -> str:
    """``gradstep watch``: one run per learning rate or seed (a single value is shared by every
    run), the recording's memory checked before the network is made, the page written to
    ``out``; returns the line that says what was recorded and how each run ended (a diverged
    run by name, numpy's overflow warnings silenced). ``setup`` is a
    ``train.NetworkOnData``."""
    runs = max(len(lrs), len(seeds))
    setup.check()
    check_recording(setup.parameters(), runs, epochs, every)
    X, y, model = setup.make(seeds[0])
    with np.errstate(over="ignore", invalid="ignore"):  # said by name in the summary
        tl = watch(
            model,
            X,
            y,
            every=every,
            lr=lrs * runs if len(lrs) == 1 else lrs,
            seed=seeds if len(seeds) > 1 else None,  # one seed: the model above, copied per run
            epochs=epochs,
            log_every=0,
            **train_args,
        )
    path = tl.save(out)
    finals = "; ".join(run_summary(run) for run in tl.runs)
    return f"timeline: {path} ({len(tl.runs)} run(s), {len(tl.epochs)} epochs recorded; {finals})"
