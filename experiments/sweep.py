"""``gradstep sweep``: the lab's discussion questions as phase diagrams over settings and seeds.

A grid of learning rates x hidden widths (x activations x optimizers) x seeds, each cell the lab's
2-w-w-1 network trained as in the report; runs that differ only in learning rate and seed train
together as one population. Per cell: the fraction of seeds that reach MSE < 0.01, the median
epochs to get there, the mean final accuracy. Written to a folder (via a temporary one, moved
into place): ``results.json``, ``sweep.csv`` (a row per run) and a heatmap figure per
activation and optimizer."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import replace
from pathlib import Path

import numpy as np

from autograd.files import write_file
from nets.budget import check_memory
from nets.population import estimate_bytes

from . import plots
from .jsondata import dumps
from .outdir import check_output_dir, replacing
from .progress import RunsProgress
from .runs import CONVERGED_MSE, REPORT_SETTING, Setting, settings_dict, train_runs
from .workers import worker_pool

__all__ = ["SweepGrid", "run_sweep", "cell_table", "check_sweep_dir"]

_MARKER = "sweep.csv"


class SweepGrid:
    """The settings of one sweep: every combination of the given values, each over ``seeds``."""

    def __init__(
        self,
        data: str = "xor",
        lrs: Sequence[float] = (0.05,),
        hidden: Sequence[int] = (4,),
        seeds: int = 5,
        epochs: int = 10_000,
        activations: Sequence[str] = ("sigmoid",),
        optimizers: Sequence[str] = ("sgd",),
        n: int = 100,
        base: Setting = REPORT_SETTING,
    ) -> None:
        for name, values in (("lr", lrs), ("hidden", hidden), ("activation", activations),
                             ("optimizer", optimizers)):  # fmt: skip
            if not values:
                raise ValueError(f"the {name} grid is empty: give at least one value")
        if any(not (isinstance(v, (int, float)) and 0 < v < float("inf")) for v in lrs):
            raise ValueError(f"learning rates must be positive numbers, got {list(lrs)}")
        if any(isinstance(w, bool) or not isinstance(w, int) or w < 1 for w in hidden):
            raise ValueError(f"hidden widths must be positive integers, got {list(hidden)}")
        if seeds < 1 or epochs < 1:
            raise ValueError(f"seeds and epochs must be at least 1, got {seeds} and {epochs}")
        self.data, self.n, self.seeds, self.epochs = data, n, seeds, epochs
        self.lrs, self.hidden = sorted(set(lrs)), sorted(set(hidden))
        self.activations, self.optimizers = (
            list(dict.fromkeys(activations)),
            list(dict.fromkeys(optimizers)),
        )
        self.base = replace(base, dataset=data, n=n, epochs=epochs)

    def setting(self, lr: float, width: int, activation: str, optimizer: str) -> Setting:
        return replace(
            self.base, lr=lr, layer_sizes=(2, width, width, 1), activation=activation,
            optimizer=optimizer,
        )  # fmt: skip

    def cells(self) -> list[tuple[float, int, str, str]]:
        return [
            (lr, w, act, opt)
            for act in self.activations
            for opt in self.optimizers
            for w in self.hidden
            for lr in self.lrs
        ]

    def runs(self) -> int:
        return len(self.cells()) * self.seeds

    def peak_bytes(self) -> int:
        """Memory of the largest population the sweep trains at once (one width, activation and
        optimizer: every learning rate and seed)."""
        points = 21 if self.data == "xor" else self.n
        per_group = len(self.lrs) * self.seeds
        return max(
            estimate_bytes((2, w, w, 1), per_group, points, self.base.bias) for w in self.hidden
        )


def check_sweep_dir(out: Path) -> None:
    """New, empty, or an earlier sweep's output (replaced whole); anything else is refused."""
    check_output_dir(out, (_MARKER, "results.json"), "sweep output")


def cell_table(runs: list[dict]) -> dict:
    """A cell's numbers over its seeds."""
    converged = [r["epochs_to_converge"] for r in runs if r["epochs_to_converge"] is not None]
    return {
        "seeds": len(runs),
        "converged_fraction": len(converged) / len(runs),
        "median_epochs_to_converge": float(np.median(converged)) if converged else None,
        "mean_final_accuracy": float(np.mean([r["final_accuracy"] for r in runs])),
        "mean_final_mse": float(np.mean([r["final_loss"] for r in runs])),
    }


def run_sweep(
    grid: SweepGrid,
    out: Path | None,
    progress: bool | None = None,
    log: Callable[[str], None] = print,
    jobs: int = 1,
    pool: Executor | None = None,
) -> dict:
    """Train the grid (in ``jobs`` worker processes, or in ``pool``'s); write the folder when
    ``out`` is given; return the results."""
    check_memory(
        grid.peak_bytes(),
        "this sweep (its largest population)",
        "use fewer learning rates or seeds",
    )
    if out is not None:
        check_sweep_dir(out)
    start = time.perf_counter()
    cells = grid.cells()
    work = [(grid.setting(*cell), seed) for cell in cells for seed in range(grid.seeds)]
    log(
        f"gradstep sweep: {len(work)} runs ({len(cells)} settings x {grid.seeds} seeds, "
        f"{grid.epochs:,} epochs each) on {grid.data}"
    )
    with (
        worker_pool(jobs if pool is None else 1) as own,
        RunsProgress(len(work), progress, label="sweep") as bar,
    ):
        runs = train_runs(work, bar, pool=pool or own)
    results = {
        "data": grid.data,
        "epochs": grid.epochs,
        "seeds": grid.seeds,
        "converged_mse": CONVERGED_MSE,
        "lrs": grid.lrs,
        "hidden": grid.hidden,
        "activations": grid.activations,
        "optimizers": grid.optimizers,
        "base_setting": settings_dict(grid.base),
        "cells": [],
        "seconds": 0.0,
    }
    for i, (lr, w, act, opt) in enumerate(cells):
        mine = runs[i * grid.seeds : (i + 1) * grid.seeds]
        results["cells"].append(
            {
                "lr": lr,
                "hidden": w,
                "activation": act,
                "optimizer": opt,
                **cell_table(mine),
                "runs": [
                    {
                        k: r[k]
                        for k in ("seed", "final_loss", "final_accuracy", "epochs_to_converge")
                    }
                    for r in mine
                ],
            }
        )
    results["seconds"] = time.perf_counter() - start
    if out is not None:
        _write(results, out)
        log(f"wrote {out / 'results.json'}, {out / _MARKER} and the heatmaps in "
            f"{time.perf_counter() - start:.1f} s")  # fmt: skip
    return results


def grids(results: dict, activation: str, optimizer: str) -> dict[str, np.ndarray]:
    """The three heatmap grids (hidden widths x learning rates) of one activation/optimizer."""
    lrs, hidden = results["lrs"], results["hidden"]
    out = {k: np.full((len(hidden), len(lrs)), np.nan) for k in ("converged", "epochs", "acc")}
    for c in results["cells"]:
        if c["activation"] != activation or c["optimizer"] != optimizer:
            continue
        i, j = hidden.index(c["hidden"]), lrs.index(c["lr"])
        out["converged"][i, j] = c["converged_fraction"]
        med = c["median_epochs_to_converge"]
        out["epochs"][i, j] = np.nan if med is None else med
        out["acc"][i, j] = 100 * c["mean_final_accuracy"]
    return out


def heatmap_figure(results: dict, activation: str, optimizer: str, path: Path) -> Path:
    g = grids(results, activation, optimizer)
    return plots.heatmaps(
        [
            (f"seeds reaching MSE < {results['converged_mse']:g}", g["converged"], ".0%"),
            ("median epochs to reach it", g["epochs"], ".0f", "low"),
            ("mean final accuracy (%)", g["acc"], ".0f"),
        ],
        results["hidden"],
        results["lrs"],
        path,
        title=f"{results['data']}: 2-w-w-1, {activation}, {optimizer}, "
        f"{results['epochs']:,} epochs, {results['seeds']} seeds per cell",
    )


def _write(results: dict, out: Path) -> None:
    with replacing(out) as tmp:
        figures = []
        for act in results["activations"]:
            for opt in results["optimizers"]:
                figures.append(
                    heatmap_figure(results, act, opt, tmp / f"heatmap_{act}_{opt}.png").name
                )
        results = {**results, "figures": figures}
        write_file(tmp / "results.json", dumps(results, indent=1))  # strict: nan as "nan"
        table = io.StringIO(newline="")
        writer = csv.writer(table)
        writer.writerow(["data", "activation", "optimizer", "hidden", "lr", "seed",
                         "final_mse", "final_accuracy", "epochs_to_converge"])  # fmt: skip
        for c in results["cells"]:
            for r in c["runs"]:
                writer.writerow([
                    results["data"], c["activation"], c["optimizer"], c["hidden"], c["lr"],
                    r["seed"], r["final_loss"], r["final_accuracy"],
                    "" if r["epochs_to_converge"] is None else r["epochs_to_converge"],
                ])  # fmt: skip
        write_file(tmp / _MARKER, table.getvalue())
