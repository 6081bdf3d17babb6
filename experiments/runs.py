"""Training runs: one configuration (``Setting``) and seed each, alone or many at once.

``run_one(setting, seed)`` trains one network with ``NumpyMLP`` (the reference, and what
``gradstep train`` does). ``train_runs([(setting, seed), ...])`` gives the same numbers for many
runs: runs that share an architecture, optimizer, loss, epochs and data shape form one
``nets.Population`` trained in one loop (each with its own seed, learning rate and data), and the
histories are split back per run. A run's seed fixes its weights and, for the linear set, its data.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, wait
from dataclasses import asdict, dataclass
from functools import partial

import numpy as np

from nets import NumpyMLP, Population

from .datasets import load_dataset
from .train import History, train, train_population
from .workers import progress_reports, report_progress

__all__ = [
    "CONVERGED_MSE",
    "Setting",
    "REPORT_SETTING",
    "data_for",
    "model_for",
    "run_one",
    "train_runs",
    "plan_groups",
    "settings_dict",
    "summarize",
]

CONVERGED_MSE = 0.01  # a run "converges" once its MSE falls below this


@dataclass(frozen=True)
class Setting:
    """One training configuration. The defaults are the seed report's settings."""

    dataset: str = "xor"
    n: int = 100
    layer_sizes: tuple = (2, 4, 4, 1)
    activation: str = "sigmoid"
    output_activation: str = "sigmoid"
    bias: bool = False
    init: str = "lab"
    optimizer: str = "sgd"
    lr: float = 0.05
    epochs: int = 10_000
    loss: str = "bce"
    reduction: str = "sum"


REPORT_SETTING = Setting()


def data_for(setting: Setting, seed: int):
    return load_dataset(setting.dataset, n=setting.n, seed=seed)


def model_for(setting: Setting, seed: int) -> NumpyMLP:
    """The setting's network with seed ``seed``'s initial weights (the numpy fast path)."""
    return NumpyMLP(
        setting.layer_sizes,
        activation=setting.activation,
        output_activation=setting.output_activation,
        bias=setting.bias,
        seed=seed,
        init=setting.init,
    )


def run_one(setting: Setting, seed: int) -> dict:
    """Train one seed of one setting with the numpy fast path; return its measured numbers."""
    X, y = data_for(setting, seed)
    model = model_for(setting, seed)
    lines: list[str] = []
    history = train(
        model,
        X,
        y,
        optimizer=setting.optimizer,
        lr=setting.lr,
        epochs=setting.epochs,
        loss=setting.loss,
        reduction=setting.reduction,
        log_every=max(setting.epochs // 10, 1),
        progress=False,
        out=lines.append,
    )
    return _run_record(seed, history, lines, model.state_dict())


def _run_record(seed: int, history: History, lines: list[str], state: dict) -> dict:
    converged = next((e for e, v in zip(history.epoch, history.loss) if v < CONVERGED_MSE), None)
    return {
        "seed": seed,
        "initial_loss": history.loss[0],
        "final_loss": history.final_loss,
        "final_accuracy": history.final_accuracy,
        "epochs_to_converge": converged,
        "history": history.to_dict(),
        "log": lines,
        "state": {k: v.tolist() for k, v in state.items()},
    }


def _group_key(setting: Setting) -> tuple:
    """What the runs of one population share: everything but the learning rate (and the seed)."""
    d = settings_dict(setting)
    d.pop("lr")
    d["layer_sizes"] = tuple(d["layer_sizes"])
    return tuple(sorted(d.items()))


def train_runs(
    jobs: Sequence[tuple[Setting, int]],
    on_progress: Callable[[float], None] | None = None,
    max_group: int = 400,
    pool: Executor | None = None,
) -> list[dict]:
    """``run_one`` for every (setting, seed), in order, trained as populations (at most
    ``max_group`` networks each). With a process ``pool`` the populations train in its
    workers, the costliest first. ``on_progress(runs)`` is told how many runs' worth of epochs
    just finished (a fraction of a run while a population trains in this process)."""
    groups = plan_groups(jobs, max_group)
    out: list[dict | None] = [None] * len(jobs)
    if pool is None:
        for members in groups:
            records = _train_group([jobs[i] for i in members], on_progress)
            for i, record in zip(members, records):
                out[i] = record
        return out  # type: ignore[return-value]
    token = uuid.uuid4().hex  # this call's reports, apart from any other on the pool
    futures = {
        pool.submit(_train_group, [jobs[i] for i in m], None, (token, g)): g
        for g, m in enumerate(groups)
    }
    told = [0.0] * len(groups)  # runs' worth of progress reported per group

    def tell(g: int, amount: float) -> None:
        amount = min(amount, len(groups[g]) - told[g])
        told[g] += amount
        if on_progress is not None and amount > 0:
            on_progress(amount)

    pending = set(futures)
    while pending:
        done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
        for (key, g), amount in progress_reports(pool):
            if key == token:
                tell(g, amount)
        for future in done:
            g = futures[future]
            for i, record in zip(groups[g], future.result()):
                out[i] = record
            tell(g, len(groups[g]))
    return out  # type: ignore[return-value]


def plan_groups(jobs: Sequence[tuple[Setting, int]], max_group: int = 400) -> list[list[int]]:
    """Indices of the jobs that train together, the costliest population first (cost: epochs
    times a fixed per-epoch overhead plus a little per network)."""
    by_key: dict[tuple, list[int]] = {}
    for i, (setting, _) in enumerate(jobs):
        by_key.setdefault(_group_key(setting), []).append(i)
    groups = [
        members[start : start + max_group]
        for members in by_key.values()
        for start in range(0, len(members), max_group)
    ]
    return sorted(groups, key=lambda m: -jobs[m[0]][0].epochs * (20 + len(m)))


def _train_group(jobs: list[tuple[Setting, int]], on_progress, report=None) -> list[dict]:
    """Train the jobs as one population; progress goes to ``on_progress`` (in this process)
    or, from a worker, to its parent as ``report_progress(report, runs)``."""
    if report is not None:
        on_progress = partial(report_progress, report)
    setting = jobs[0][0]
    seeds = [seed for _, seed in jobs]
    data = [data_for(s, seed) for s, seed in jobs]
    shared = all(np.array_equal(d[0], data[0][0]) for d in data)
    X = data[0][0] if shared else np.stack([d[0] for d in data])
    y = data[0][1] if shared else np.stack([d[1] for d in data])
    population = Population(
        setting.layer_sizes,
        seeds=seeds,
        activation=setting.activation,
        output_activation=setting.output_activation,
        bias=setting.bias,
        init=setting.init,
    )
    epochs = setting.epochs
    history = train_population(
        population,
        X,
        y.astype(np.float64),
        optimizer=setting.optimizer,
        lr=np.array([s.lr for s, _ in jobs]),
        epochs=epochs,
        loss=setting.loss,
        reduction=setting.reduction,
        log_every=max(epochs // 10, 1),
        on_epochs=None if on_progress is None else (lambda k: on_progress(k * len(jobs) / epochs)),
    )
    return [
        _run_record(seed, history.run(r), history.logs[r], population.state_dict(r))
        for r, seed in enumerate(seeds)
    ]


def settings_dict(setting: Setting) -> dict:
    d = asdict(setting)
    d["layer_sizes"] = list(d["layer_sizes"])
    return d


def summarize(runs: list[dict]) -> dict:
    final = np.array([r["final_loss"] for r in runs])
    acc = np.array([r["final_accuracy"] for r in runs])
    conv = [r["epochs_to_converge"] for r in runs if r["epochs_to_converge"] is not None]
    return {
        "seeds": len(runs),
        "initial_loss_mean": float(np.mean([r["initial_loss"] for r in runs])),
        "final_loss_mean": float(final.mean()),
        "final_loss_std": float(final.std()),
        "accuracy_mean": float(acc.mean()),
        "accuracy_std": float(acc.std()),
        "accuracy_min": float(acc.min()),
        "perfect_runs": int(np.sum(acc == 1.0)),
        "converged_runs": len(conv),
        "median_epochs_to_converge": float(np.median(conv)) if conv else None,
    }
