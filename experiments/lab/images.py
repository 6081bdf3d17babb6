"""Image data sets where convolution is the right tool, tied back to the lab's points.

Every generator returns ``X`` (n, 1, size, size) float64 in [0, 1]-ish and ``y`` (n, 1) int."""

from __future__ import annotations

import numpy as np

from ..datasets import as_labels, check_n, check_noise

__all__ = ["points_to_images", "bars", "image_set", "IMAGE_SETS"]


def points_to_images(
    X: np.ndarray, size: int = 12, width: float = 1.0, noise: float = 0.05, seed: int | None = 0
) -> np.ndarray:
    """Each 2-D point (x0, x1) in the unit square drawn as a Gaussian blob at column x0, row
    (1 - x1) of a size x size grayscale image (so the picture looks like the scatter plot), plus
    Gaussian pixel noise."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"points_to_images needs points of shape (n, 2), got {X.shape}")
    if isinstance(size, bool) or not isinstance(size, int) or size < 3:
        raise ValueError(f"size must be an integer >= 3, got {size!r}")
    noise = check_noise(noise)
    rng = np.random.default_rng(seed)
    grid = np.arange(size, dtype=np.float64)
    cols = X[:, 0] * (size - 1)
    rows = (1.0 - X[:, 1]) * (size - 1)
    blob = np.exp(
        -(
            (grid[None, :, None] - rows[:, None, None]) ** 2
            + (grid[None, None, :] - cols[:, None, None]) ** 2
        )
        / (2 * width**2)
    )
    images = blob + rng.normal(0.0, noise, blob.shape)
    return images[:, None, :, :]


def bars(n: int = 100, size: int = 12, noise: float = 0.1, seed: int | None = 0):
    """Horizontal (label 0) and vertical (label 1) bars, one per image, at random positions and
    lengths: position says nothing, orientation everything, which a 3x3 filter sees at once."""
    n, noise = check_n(n, 2), check_noise(noise)
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 1, size, size))
    labels = np.arange(n) % 2
    rng.shuffle(labels)
    for i, label in enumerate(labels):
        length = rng.integers(size // 2, size + 1)
        start = rng.integers(0, size - length + 1)
        line = rng.integers(0, size)
        if label == 0:
            images[i, 0, line, start : start + length] = 1.0
        else:
            images[i, 0, start : start + length, line] = 1.0
    images += rng.normal(0.0, noise, images.shape)
    return images, as_labels(labels)


def image_set(name: str, seed: int = 0):
    """``linear-images`` / ``xor-images``: the lab's sets drawn as 12x12 images (the linear set's
    points from the same seed); ``bars``: horizontal vs vertical bars. Returns (X, y, points or
    None)."""
    from ..datasets import load_dataset

    if name == "bars":
        X, y = bars(100, seed=seed)
        return X, y, None
    if name in ("linear-images", "xor-images"):
        points, y = load_dataset(name.split("-")[0], n=100, seed=seed)
        return points_to_images(points, seed=seed), y, points
    raise ValueError(f"unknown image set {name!r}; choose one of {', '.join(IMAGE_SETS)}")


IMAGE_SETS = ("linear-images", "xor-images", "bars")
