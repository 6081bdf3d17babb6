"""The lab's Extra C: convolution. A small CNN on the lab's points drawn as 12x12 images (and on
horizontal vs vertical bars), beside MLPs on the raw points and on the flattened pixels.

Each run trains on one seeded sample and is also tested on fresh data: new points (linear), the
same 21 XOR points with fresh pixel noise, or new bars."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nets import CNN, Adam, NumpyMLP

from .. import plots
from ..datasets import load_dataset
from ..train import accuracy
from ..workers import worker_pool
from .images import IMAGE_SETS, bars, image_set, points_to_images
from .prose import fill

TEST_SEED_OFFSET = 1000
LR = 0.01


def _test_set(name: str, seed: int):
    """Fresh data for a trained model: (images, labels, points or None)."""
    test_seed = seed + TEST_SEED_OFFSET
    if name == "bars":
        X, y = bars(100, seed=test_seed)
        return X, y, None
    if name == "xor-images":
        points, y = load_dataset("xor")
    else:
        points, y = load_dataset("linear", n=100, seed=test_seed)
    return points_to_images(points, seed=test_seed), y, points


def _fit(model, X, y, epochs: int) -> list[float]:
    opt = Adam(model, lr=LR)
    losses = []
    for _ in range(epochs):
        loss, grads = model.loss_and_grads(X, y, loss="bce", reduction="mean")
        losses.append(loss)
        opt.step(grads)
    return losses


def run_one(name: str, seed: int, epochs: int) -> dict:
    """Train the CNN, an MLP on the flattened pixels and (for the lab's sets) the report's MLP on
    the raw points; return train and test accuracy of each, and the CNN's filters and curve."""
    X, y, points = image_set(name, seed)
    Xt, yt, points_t = _test_set(name, seed)
    cnn = CNN(image_shape=X.shape[1:], channels=(4,), kernel=3, seed=seed)
    curve = _fit(cnn, X, y, epochs)
    flat = X.reshape(len(X), -1)
    pixels = NumpyMLP((flat.shape[1], 8, 1), activation="relu", seed=seed, init="he")
    _fit(pixels, flat, y, epochs)
    out = {
        "seed": seed,
        "cnn": {
            "train": accuracy(cnn.predict(X), y),
            "test": accuracy(cnn.predict(Xt), yt),
            "final_loss": curve[-1],
        },
        "mlp_pixels": {
            "train": accuracy(pixels.predict(flat), y),
            "test": accuracy(pixels.predict(Xt.reshape(len(Xt), -1)), yt),
        },
        "cnn_loss": curve,
        "filters": cnn.filters().tolist(),
    }
    if points is not None:
        raw = NumpyMLP((2, 4, 4, 1), bias=True, seed=seed, init="xavier")
        _fit(raw, points, y, max(epochs, 2000))
        out["mlp_points"] = {
            "train": accuracy(raw.predict(points), y),
            "test": accuracy(raw.predict(points_t), yt),
        }
    return out


def _job(args):
    return run_one(*args)


def run_convolution(seeds: list[int], epochs: int, jobs: int) -> dict:
    work = [(name, seed, epochs) for name in IMAGE_SETS for seed in seeds]
    with worker_pool(jobs) as pool:
        runs = list(pool.map(_job, work)) if pool is not None else [_job(w) for w in work]
    results: dict = {"epochs": epochs, "optimizer": f"adam lr={LR}", "sets": {}}
    for (name, _, _), run in zip(work, runs):
        results["sets"].setdefault(name, []).append(run)
    return results


def summary(runs: list[dict], model: str) -> dict | None:
    if model not in runs[0]:
        return None
    train = np.array([r[model]["train"] for r in runs])
    test = np.array([r[model]["test"] for r in runs])
    return {
        "train_mean": float(train.mean()),
        "test_mean": float(test.mean()),
        "test_min": float(test.min()),
        "test_perfect": int(np.sum(test == 1.0)),
        "seeds": len(runs),
    }


def write_figures(results: dict, out: Path) -> dict[str, str]:
    figures = {}
    runs = results["sets"]["bars"]
    filters = np.array(runs[0]["filters"])[:, 0]
    figures["conv_filters"] = plots.image_grid(
        list(filters),
        out / "conv_filters.png",
        titles=[f"filter {i}" for i in range(len(filters))],
        title=f"conv1's 3x3 filters learned on bars, seed {runs[0]['seed']}",
        cmap="RdBu",
        scale_label="weight",
        symmetric=True,
    ).name
    samples, titles = [], []
    what = {"bars": {0: " horizontal", 1: " vertical"}}  # short: neighbouring titles never touch
    for name in IMAGE_SETS:
        X, y, _ = image_set(name, 0)
        for label in (0, 1):  # the first image of each class, so both classes show
            i = int(np.flatnonzero(y[:, 0] == label)[0])
            samples.append(X[i, 0])
            titles.append(f"{name}:{what.get(name, {}).get(label, '')}\nlabel {label}")
    figures["conv_samples"] = plots.image_grid(
        samples,
        out / "conv_samples.png",
        titles=titles,
        title="training images, one of each class (seed 0)",
    ).name
    curves = []
    for name in IMAGE_SETS:
        losses = np.array([r["cnn_loss"] for r in results["sets"][name]])
        curves.append((name, list(range(losses.shape[1])), np.median(losses, axis=0)))
    figures["conv_curve"] = plots.learning_curves(
        curves,
        out / "conv_curve.png",
        ylabel="loss (binary cross-entropy)",
        title="CNN training loss, median over seeds",
    ).name
    return figures


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.2f}%"


def _linear_sentence(linear: dict) -> list[str]:
    """On the linear images the label is where the blob sits (which side of the line x0 = x1):
    say how the CNN does there against both MLPs, and why."""
    cnn, pixels, points = (linear.get(m) for m in ("cnn", "mlp_pixels", "mlp_points"))
    if not (cnn and pixels and points):
        return []
    if cnn["test_mean"] > max(pixels["test_mean"], points["test_mean"]):
        return []
    rank = (
        "worse than both MLPs"
        if cnn["test_mean"] < min(pixels["test_mean"], points["test_mean"])
        else "not better than the MLPs"
    )
    return fill(
        "convolution_linear",
        rank=rank,
        cnn=_pct(cnn["test_mean"]),
        pixels=_pct(pixels["test_mean"]),
        points=_pct(points["test_mean"]),
    ).splitlines() + [""]


def section(results: dict, figures: dict) -> list[str]:
    rows = []
    for name in IMAGE_SETS:
        runs = results["sets"][name]
        for model, label in (
            ("cnn", "CNN on the images"),
            ("mlp_pixels", "MLP on the flattened pixels"),
            ("mlp_points", "MLP 2-4-4-1 on the raw points"),
        ):
            s = summary(runs, model)
            if s is None:
                continue
            rows.append(
                f"| {name} | {label} | {_pct(s['train_mean'])} | {_pct(s['test_mean'])} "
                f"| {_pct(s['test_min'])} | {s['test_perfect']}/{s['seeds']} |"
            )
    cnn_bars = summary(results["sets"]["bars"], "cnn")
    mlp_bars = summary(results["sets"]["bars"], "mlp_pixels")
    linear = {
        m: summary(results["sets"]["linear-images"], m) for m in ("cnn", "mlp_pixels", "mlp_points")
    }
    return fill(
        "convolution",
        lr=LR,
        epochs=results["epochs"],
        rows="\n".join(rows),
        cnn_bars=_pct(cnn_bars["test_mean"]),
        mlp_bars=_pct(mlp_bars["test_mean"]),
        linear="\n".join(_linear_sentence(linear)),
        filters=figures["conv_filters"],
        samples=figures["conv_samples"],
        curve=figures["conv_curve"],
    ).splitlines() + [""]
