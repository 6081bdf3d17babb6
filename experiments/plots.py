"""Figures with matplotlib on the Agg backend (no display needed). Each function writes one file
and returns its path; figures are closed after saving."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

# The report page is 928 CSS px wide (58rem): every figure is drawn at most that wide at DPI,
# so it shows at its natural size, and its smallest text (7 pt at 110 dpi = 10.7 px) stays
# readable. tests/test_figures.py checks both for every figure lab1 writes.
DPI = 110
PAGE_WIDTH_PX = 928
MAX_WIDTH_IN = PAGE_WIDTH_PX / DPI
MIN_TEXT_PX = 10.0
STYLE = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "figure.titlesize": 11,
}
# one look per curve, so a curve under another still shows (markers at staggered epochs)
LINESTYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    matplotlib.rcParams.update(STYLE)
    import matplotlib.pyplot as plt

    return plt


def text_sizes_px(fig) -> list[float]:
    """The height in pixels (at ``DPI``) of every non-empty text of ``fig``."""
    from matplotlib.text import Text

    return [
        t.get_fontsize() * DPI / 72
        for t in fig.findobj(Text)
        if t.get_text().strip() and t.get_visible()
    ]


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
    fig, axes = plt.subplots(1, 2, figsize=(MAX_WIDTH_IN, 4.2))
    rounded = (np.asarray(pred) >= 0.5).astype(int)
    for ax, labels, name in ((axes[0], y, "Ground truth"), (axes[1], rounded, "Predict result")):
        _scatter(ax, X, labels)
        ax.set_title(name, fontsize=14)
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
        1, len(panels), figsize=(7 if len(panels) == 1 else MAX_WIDTH_IN, 4.2), sharey=True,
        squeeze=False,
    )  # fmt: skip
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, members in zip(axes[0], panels):
        for k, i in enumerate(members):
            label, epochs, losses = curves[i]
            colour = colours[i % len(colours)]
            every = max(1, len(epochs) // 8)
            ax.plot(
                epochs,
                np.maximum(losses, 1e-12),
                label=label,
                color=colour,
                lw=1.5,
                ls=LINESTYLES[i % len(LINESTYLES)],
                marker=MARKERS[i % len(MARKERS)],
                markersize=4.5,
                markevery=(k * every // max(len(members), 1), every),
            )
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
        ax.legend(loc="best")
        if len(panels) > 1:
            ax.set_title(f"{curves[members[0]][1][-1]:,} epochs")
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
    scale_label: str = "pixel value",
    symmetric: bool = False,
) -> Path:
    """Small images side by side on one colour scale (shown as a colour bar labelled
    ``scale_label``); ``symmetric`` centres it on 0 (weights: a diverging map, white at 0)."""
    plt = _plt()
    n = len(images)
    stack = np.array([np.asarray(i, dtype=float) for i in images])
    vmin, vmax = float(stack.min()), float(stack.max())
    if symmetric:
        vmax = max(abs(vmin), abs(vmax))
        vmin = -vmax
    width = min(MAX_WIDTH_IN, 1.35 * n + 1.2)
    fig, axes = plt.subplots(1, n, figsize=(width, 2.1), squeeze=False)
    for i, (ax, image) in enumerate(zip(axes[0], stack)):
        shown = ax.imshow(image, cmap=cmap, vmin=vmin, vmax=vmax)
        ax.set_xticks([])
        ax.set_yticks([])
        if i < len(titles):
            ax.set_title(titles[i], fontsize=8)
    fig.colorbar(shown, ax=list(axes[0]), label=scale_label, fraction=0.03, pad=0.02)
    if title:
        fig.suptitle(title, fontsize=10)
    return _save(fig, path)


def heatmaps(
    panels: Sequence[tuple],
    rows: Sequence,
    columns: Sequence,
    path: str | Path,
    row_label: str = "hidden units",
    column_label: str = "learning rate",
    title: str = "",
) -> Path:
    """Heatmaps over one grid, one above the other: ``panels`` are (title, values (rows,
    columns), number format[, better]) where ``better`` is "high" (default) or "low" (epochs:
    fewer is better). Colour means one thing in every panel: yellow is better, dark is worse;
    each panel has its colour bar. A nan cell (nothing to show) is grey and labelled "-", and
    every cell's number is written in it."""
    plt = _plt()
    height = len(panels) * (0.3 * len(rows) + 1.25) + 0.5
    fig, axes = plt.subplots(len(panels), 1, figsize=(MAX_WIDTH_IN, height), squeeze=False)
    for ax, panel in zip(axes[:, 0], panels):
        name, values, fmt = panel[:3]
        better = panel[3] if len(panel) > 3 else "high"
        _heatmap_panel(plt, fig, ax, np.asarray(values, dtype=float), fmt, better)
        ax.set_xticks(range(len(columns)), [f"{c:g}" for c in columns])
        ax.set_yticks(range(len(rows)), [str(r) for r in rows])
        ax.set_xlabel(column_label)
        ax.set_ylabel(row_label)
        ax.set_title(f"{name} ({'fewer' if better == 'low' else 'more'} is better)")
    fig.suptitle(
        (title + "\n" if title else "") + "yellow = better, dark = worse, in every panel",
        fontsize=10,
    )
    fig.tight_layout()
    return _save(fig, path)


def _heatmap_panel(plt, fig, ax, values: np.ndarray, fmt: str, better: str) -> None:
    """One panel: viridis (reversed where fewer is better), its colour bar, every number."""
    cmap = plt.get_cmap("viridis_r" if better == "low" else "viridis").with_extremes(bad="#dddddd")
    finite = values[np.isfinite(values)]
    vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if vmin == vmax:
        vmin, vmax = vmin - 0.5, vmax + 0.5
    shown = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, aspect="auto", vmin=vmin, vmax=vmax)
    bar = fig.colorbar(shown, ax=ax, fraction=0.04, pad=0.01)
    bar.ax.tick_params(labelsize=8)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v = values[i, j]
            if not np.isfinite(v):
                ax.text(j, i, "-", ha="center", va="center", fontsize=8, color="#555555")
                continue
            good = (v - vmin) / (vmax - vmin)
            bright = (1 - good if better == "low" else good) > 0.6  # yellow: dark text on it
            ax.text(j, i, format(v, fmt), ha="center", va="center", fontsize=8,
                    color="black" if bright else "white")  # fmt: skip


def _save(fig, path) -> Path:
    from autograd.files import replacing_file

    path = Path(path)
    try:
        with replacing_file(path, suffix=path.suffix) as tmp:  # the suffix names the format
            fig.savefig(tmp, dpi=DPI)
    finally:
        _plt().close(fig)
    return path
