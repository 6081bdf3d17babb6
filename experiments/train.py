"""The training loop for any engine and optimizer, with the lab's printed lines."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

from nets import MLP, Optimizer, Population, make_optimizer

__all__ = [
    "History",
    "train",
    "PopulationHistory",
    "train_population",
    "accuracy",
    "mse",
    "prediction_lines",
    "summary_line",
    "NetworkOnData",
    "train_and_report",
]


@dataclass
class History:
    """The monitored loss and the accuracy at each evaluated epoch (epoch 0 is before training;
    the last entry is after the final update)."""

    epoch: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def final_loss(self) -> float:
        return self.loss[-1]

    @property
    def final_accuracy(self) -> float:
        return self.accuracy[-1]


def accuracy(pred: np.ndarray, y: np.ndarray) -> float:
    """Share of predictions that round to their label (>= 0.5 counts as 1)."""
    return float(np.mean((np.asarray(pred) >= 0.5) == (np.asarray(y) >= 0.5)))


def mse(pred: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((np.asarray(pred) - np.asarray(y)) ** 2))


def train(
    model: MLP,
    X: np.ndarray,
    y: np.ndarray,
    *,
    optimizer: str | Optimizer = "sgd",
    lr: float = 0.05,
    epochs: int = 10_000,
    loss: str = "mse",
    reduction: str = "mean",
    log_every: int | None = 1000,
    eval_every: int | None = None,
    progress: bool | None = None,
    quiet: bool = False,
    out: Callable[[str], None] = print,
    record: tuple[int, Callable[[int], None]] | None = None,
) -> History:
    """Train ``model`` on (X, y) for ``epochs`` full-batch updates of ``loss`` with ``reduction``.

    Every ``eval_every`` epochs (default: about 200 points over the run) the mean squared error
    of the predictions and the accuracy are recorded; every ``log_every`` epochs the lab's line
    ``epoch 1000 loss : 0.000076`` is printed (the MSE, as the lab prints it) unless ``quiet``.
    A tqdm progress bar shows on a terminal; ``progress=False`` or ``quiet`` hides it.
    ``record=(every, fn)`` calls ``fn(epoch)`` at epoch 0, every ``every`` epochs and the last,
    before that epoch's update: the weights are then those after ``epoch`` updates
    (``experiments.watch`` records a timeline this way; reading them changes nothing)."""
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
    X, y = model.check_batch(X, y)
    opt = optimizer if isinstance(optimizer, Optimizer) else make_optimizer(optimizer, model, lr)
    eval_every = eval_every or max(1, epochs // 200)
    log_every = log_every if log_every and not quiet else 0
    show_bar = (not quiet and sys.stderr.isatty()) if progress is None else progress and not quiet
    bar = None
    if show_bar:
        from tqdm import tqdm

        bar = tqdm(total=epochs, unit="epoch", file=sys.stderr, leave=False)
    history = History()
    # the gradients alone, the batch checked once, the loop inside one errstate (NumpyMLP.trainer)
    gradients = model.trainer(X, y, loss=loss, reduction=reduction)
    every, on_record = record or (0, None)
    try:
        with np.errstate(over="ignore"):
            for epoch in range(epochs + 1):
                if every and (epoch % every == 0 or epoch == epochs):
                    on_record(epoch)
                if (
                    epoch % eval_every == 0
                    or epoch == epochs
                    or (log_every and epoch % log_every == 0)
                ):
                    pred = model.predict(X)
                    history.epoch.append(epoch)
                    history.loss.append(mse(pred, y))
                    history.accuracy.append(accuracy(pred, y))
                    if log_every and (epoch % log_every == 0 or epoch == epochs):
                        out(f"epoch {epoch} loss : {history.loss[-1]:.6f}")
                    if bar is not None and epoch:
                        bar.update(epoch - bar.n)
                if epoch == epochs:
                    break
                opt.step(gradients())
    finally:
        if bar is not None:
            bar.close()
    return history


@dataclass
class PopulationHistory:
    """``History`` for R networks trained together: MSE and accuracy (R, evaluations) at the
    same epochs, and each network's printed lines."""

    epoch: list[int]
    loss: np.ndarray
    accuracy: np.ndarray
    logs: list[list[str]]

    def run(self, r: int) -> History:
        """Network r's history, as ``train`` would have recorded it."""
        return History(list(self.epoch), self.loss[r].tolist(), self.accuracy[r].tolist())


def train_population(
    population: Population,
    X: np.ndarray,
    y: np.ndarray,
    *,
    optimizer: str = "sgd",
    lr=0.05,
    epochs: int = 10_000,
    loss: str = "mse",
    reduction: str = "mean",
    log_every: int | None = 1000,
    eval_every: int | None = None,
    on_epochs: Callable[[int], None] | None = None,
    record: tuple[int, Callable[[int], None]] | None = None,
) -> PopulationHistory:
    """``train`` for a ``Population``: every network takes the same full-batch epochs on its
    own data (X (n, in) shared, or (R, n, in)), each with its own learning rate (a number or R of
    them). Evaluations and printed lines are ``train``'s, per network; gradients are asked for
    without the loss value (only the evaluations need one). ``on_epochs(k)`` is told after every
    block of k epochs (a progress bar); ``record`` is ``train``'s."""
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
    X, y = population.check_batch(X, y)
    R = len(population)
    rates = np.broadcast_to(np.asarray(lr, dtype=np.float64), (R,)).copy()
    opt = make_optimizer(optimizer, population, rates)
    eval_every = eval_every or max(1, epochs // 200)
    log_every = log_every or 0
    epochs_seen, losses, accs = [], [], []
    logs: list[list[str]] = [[] for _ in range(R)]
    gradients = population.trainer(X, y, loss=loss, reduction=reduction)
    every, on_record = record or (0, None)
    done = 0
    for epoch in range(epochs + 1):
        if every and (epoch % every == 0 or epoch == epochs):
            on_record(epoch)
        if epoch % eval_every == 0 or epoch == epochs or (log_every and epoch % log_every == 0):
            pred = population.predict(X)
            epochs_seen.append(epoch)
            losses.append(np.mean((pred - y) ** 2, axis=(1, 2)))
            accs.append(np.mean((pred >= 0.5) == (y >= 0.5), axis=(1, 2)))
            if log_every and (epoch % log_every == 0 or epoch == epochs):
                for r in range(R):
                    logs[r].append(f"epoch {epoch} loss : {losses[-1][r]:.6f}")
            if on_epochs is not None and epoch > done:
                on_epochs(epoch - done)
                done = epoch
        if epoch == epochs:
            break
        opt.step(gradients())
    return PopulationHistory(epochs_seen, np.array(losses).T, np.array(accs).T, logs)


def prediction_lines(model: MLP, X: np.ndarray, y: np.ndarray) -> list[str]:
    """One line per point: its prediction and ground truth, as the lab prints them."""
    pred = model.predict(X)
    return [
        f"Prediction {i}: {p[0]:.5f}  ground truth {int(t[0])}"
        for i, (p, t) in enumerate(zip(pred, np.asarray(y)))
    ]


def summary_line(model: MLP, X: np.ndarray, y: np.ndarray) -> str:
    """``loss=0.03844 accuracy=100.00%`` (MSE and the share of rounded predictions right)."""
    pred = model.predict(X)
    return f"loss={mse(pred, y):.5f} accuracy={100 * accuracy(pred, y):.2f}%"


# -- the `gradstep train` and `watch` commands' network and data -----------------------------------
# bytes per number held: a float64 on the array engines, a graph node (~200 B) on the Value engine
BYTES_PER_NUMBER = {"numpy": 1, "tensor": 1, "value": 25}


@dataclass(frozen=True)
class NetworkOnData:
    """The network and data set a command trains: the data set's name, points and seed, and the
    network's engine, layer sizes, activations, bias and initialisation (its seed is the run's).
    """

    data: str = "xor"
    n: int = 100
    data_seed: int = 0
    engine: str = "numpy"
    sizes: tuple[int, ...] = (2, 4, 4, 1)
    activation: str = "sigmoid"
    output_activation: str = "sigmoid"
    bias: bool = False
    init: str = "lab"

    def check(self) -> None:
        """Before anything is made: 2-D data, and the memory training needs."""
        from nets.budget import check_memory
        from nets.population import estimate_bytes

        if self.sizes[0] != 2:
            raise ValueError(f"--sizes must start with 2 (the data are 2-D), got {self.sizes[0]}")
        points = 21 if self.data == "xor" else self.n
        need = estimate_bytes(self.sizes, 1, points, self.bias) * BYTES_PER_NUMBER[self.engine]
        what = f"training a {'-'.join(map(str, self.sizes))} network on {points} points"
        check_memory(need, what, "use smaller --sizes or --n")

    def parameters(self) -> int:
        """How many weights and biases the network has."""
        from nets.init import parameter_shapes

        return int(sum(np.prod(s) for s in parameter_shapes(tuple(self.sizes), self.bias).values()))

    def make(self, seed: int):
        """(X, y, model): the data set and the network initialised from ``seed`` (checked first)."""
        from nets import make_mlp

        from .datasets import load_dataset

        self.check()
        X, y = load_dataset(self.data, n=self.n, seed=self.data_seed)
        model = make_mlp(
            self.engine,
            layer_sizes=self.sizes,
            activation=self.activation,
            output_activation=self.output_activation,
            bias=self.bias,
            seed=seed,
            init=self.init,
        )
        return X, y, model


def train_and_report(
    setup: NetworkOnData,
    seed: int,
    *,
    plots: str | None = None,
    save: str | None = None,
    quiet: bool = False,
    **train_args,
) -> list[str]:
    """``gradstep train``: make the network and data, train (printing the lab's epoch lines as
    ``train`` does), write the plots (``PREFIX_curve.png``, ``_comparison.png``,
    ``_boundary.png``) and the saved weights if asked; return the lines that follow: each
    point's prediction (unless ``quiet``), the summary, what was written."""
    from . import plots as figures

    X, y, model = setup.make(seed)
    history = train(model, X, y, quiet=quiet, **train_args)
    lines = [] if quiet else prediction_lines(model, X, y)
    lines.append(summary_line(model, X, y))
    if plots is not None:
        curve = [(f"{setup.engine}, seed {seed}", history.epoch, history.loss)]
        figures.learning_curves(curve, f"{plots}_curve.png")
        figures.comparison(X, y, model.predict(X), f"{plots}_comparison.png")
        figures.decision_boundary(model.predict, X, y, f"{plots}_boundary.png")
        lines.append(f"plots: {plots}_curve.png {plots}_comparison.png {plots}_boundary.png")
    if save is not None:
        lines.append(f"saved: {model.save(save)}")
    return lines
