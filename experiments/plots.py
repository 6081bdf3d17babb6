"""Figures with matplotlib on the Agg backend (no display needed). Each function writes one file
and returns its path; figures are closed after saving."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


RED, BLUE = "#d62728", "#1f77b4"


def _scatter(ax, X: np.ndarray, labels: np.ndarray, size: float = 30, edge: str = "none") -> None:
    labels = np.asarray(labels).reshape(-1)
    for value, colour in ((0, RED), (1, BLUE)):
        pts = X[labels == value]
        ax.scatter(
            pts[:, 0],
            pts[:, 1],
            c=colour,
            s=size,
            edgecolors=edge,
            linewidths=0.8,
            label=f"class {value}",
        )


def comparison(
    X: np.ndarray, y: np.ndarray, pred: np.ndarray, path: str | Path, title: str = ""
) -> Path:
    """The lab's figure: "Ground truth" | "Predict result", red for 0 and blue for 1, predictions
    rounded to 0/1 before drawing."""
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.4))
    rounded = (np.asarray(pred) >= 0.5).astype(int)
    for ax, labels, name in ((axes[0], y, "Ground truth"), (axes[1], rounded, "Predict result")):
        _scatter(ax, X, labels)
        ax.set_title(name, fontsize=18)
        ax.set_aspect("equal", adjustable="datalim")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


def learning_curves(
    curves: Sequence[tuple[str, Sequence[int], Sequence[float]]],
    path: str | Path,
    title: str = "",
    ylabel: str = "loss (MSE)",
    bands: Sequence[tuple[Sequence[float], Sequence[float]] | None] | None = None,
) -> Path:
    """Several runs overlaid, loss on a log scale; optional (low, high) bands per curve. Runs
    of very different lengths (10,000 and 100,000 epochs) get a panel per length, sharing the
    loss axis: on one epoch axis the short runs would be squashed into its first tenth."""
    plt = _plt()
    panels = _panels_by_length([epochs for _, epochs, _ in curves])
    fig, axes = plt.subplots(
        1, len(panels), figsize=(7 if len(panels) == 1 else 5 * len(panels), 4.2), sharey=True,
        squeeze=False,
    )  # fmt: skip
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, members in zip(axes[0], panels):
        for i in members:
            label, epochs, losses = curves[i]
            colour = colours[i % len(colours)]
            ax.plot(epochs, np.maximum(losses, 1e-12), label=label, color=colour, lw=1.5)
            if bands and bands[i] is not None:
                low, high = bands[i]
                ax.fill_between(
                    epochs,
                    np.maximum(low, 1e-12),
                    np.maximum(high, 1e-12),
                    color=colour,
                    alpha=0.15,
                    lw=0,
                )
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8, loc="best")
        if len(panels) > 1:
            ax.set_title(f"{curves[members[0]][1][-1]:,} epochs", fontsize=10)
    axes[0][0].set_ylabel(ylabel)
    if title:
        fig.suptitle(title) if len(panels) > 1 else axes[0][0].set_title(title)
    fig.tight_layout()
    return _save(fig, path)


def _panels_by_length(epoch_lists: Sequence[Sequence[int]], ratio: float = 3.0) -> list[list[int]]:
    """Curve indices grouped by run length, shortest first: one group unless the longest run
    is more than ``ratio`` times the shortest."""
    ends = [e[-1] if len(e) else 0 for e in epoch_lists]
    if not ends or max(ends) <= ratio * max(min(ends), 1):
        return [list(range(len(ends)))]
    return [[i for i, end in enumerate(ends) if end == length] for length in sorted(set(ends))]


def decision_boundary(
    predict, X: np.ndarray, y: np.ndarray, path: str | Path, title: str = "", resolution: int = 200
) -> Path:
    """Predicted probability over the data's box (the unit square for the lab's sets) with the
    0.5 contour and the points on top."""
    plt = _plt()
    lo = np.minimum(X.min(axis=0), 0.0) - 0.05
    hi = np.maximum(X.max(axis=0), 1.0) + 0.05
    gx, gy = np.meshgrid(
        np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    )
    grid = np.c_[gx.ravel(), gy.ravel()]
    prob = np.asarray(predict(grid))[:, 0].reshape(gx.shape)
    fig, ax = plt.subplots(figsize=(5.2, 4.6))
    image = ax.contourf(gx, gy, prob, levels=np.linspace(0, 1, 21), cmap="RdBu", alpha=0.75)
    ax.contour(gx, gy, prob, levels=[0.5], colors="k", linewidths=1)
    _scatter(ax, X, y, size=26, edge="white")
    fig.colorbar(image, ax=ax, label="predicted P(class 1)")
    ax.set_aspect("equal")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return _save(fig, path)


def image_grid(
    images: Sequence[np.ndarray],
    path: str | Path,
    titles: Sequence[str] = (),
    title: str = "",
    cmap: str = "gray",
) -> Path:
    """Small images side by side (filters, samples)."""
    plt = _plt()
    n = len(images)
    fig, axes = plt.subplots(1, n, figsize=(1.6 * n + 0.4, 2.0), squeeze=False)
    for i, (ax, image) in enumerate(zip(axes[0], images)):
        ax.imshow(image, cmap=cmap)
        ax.set_xticks([])
        ax.set_yticks([])
        if i < len(titles):
            ax.set_title(titles[i], fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def heatmaps(
    panels: Sequence[tuple[str, np.ndarray, str]],
    rows: Sequence,
    columns: Sequence,
    path: str | Path,
    row_label: str = "hidden units",
    column_label: str = "learning rate",
    title: str = "",
) -> Path:
    """Side-by-side heatmaps over one grid: ``panels`` are (title, values (rows, columns), number
    format); a nan cell (nothing to show) is drawn grey and labelled "-". Every cell is written
    out, so the figure reads without a colour scale."""
    plt = _plt()
    fig, axes = plt.subplots(
        1, len(panels), figsize=(4.2 * len(panels) + 0.6, 0.42 * len(rows) + 2.0), squeeze=False
    )
    for ax, (name, values, fmt) in zip(axes[0], panels):
        values = np.asarray(values, dtype=float)
        cmap = plt.get_cmap("viridis").copy()
        cmap.set_bad("#dddddd")
        finite = values[np.isfinite(values)]
        vmin, vmax = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
        ax.imshow(np.ma.masked_invalid(values), cmap=cmap, aspect="auto", vmin=vmin, vmax=vmax)
        for i in range(values.shape[0]):
            for j in range(values.shape[1]):
                v = values[i, j]
                bright = np.isfinite(v) and vmax > vmin and (v - vmin) / (vmax - vmin) > 0.6
                ax.text(j, i, "-" if not np.isfinite(v) else format(v, fmt), ha="center",
                        va="center", fontsize=8, color="black" if bright else "white"
                        if np.isfinite(v) else "#555555")  # fmt: skip
        ax.set_xticks(range(len(columns)), [f"{c:g}" for c in columns], rotation=45, fontsize=8)
        ax.set_yticks(range(len(rows)), [str(r) for r in rows], fontsize=8)
        ax.set_xlabel(column_label)
        ax.set_ylabel(row_label)
        ax.set_title(name, fontsize=10)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return _save(fig, path)


def _save(fig, path) -> Path:
    from autograd.files import replacing_file

    path = Path(path)
    try:
        with replacing_file(path, suffix=path.suffix) as tmp:  # the suffix names the format
            fig.savefig(tmp, dpi=110)
    finally:
        _plt().close(fig)
    return path
