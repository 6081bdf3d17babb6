"""The lab's two data sets, exactly as the lab defines them, and a few harder seeded 2-D sets.

Every generator returns ``X`` (n, 2) float64 and ``y`` (n, 1) int (labels 0 and 1)."""

from __future__ import annotations

import numbers
from collections.abc import Callable

import numpy as np

__all__ = [
    "DATASETS",
    "load_dataset",
    "generate_linear",
    "generate_xor_easy",
    "circles",
    "moons",
    "make_moons",
    "spiral",
    "xor_quadrants",
]


def check_n(n, minimum: int = 1) -> int:
    """A generator's point count: an integer of at least ``minimum`` (else a named error)."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"n must be an integer, got {type(n).__name__} {n!r}")
    if n < minimum:
        raise ValueError(f"n must be at least {minimum}, got {n}")
    return int(n)


def check_noise(noise) -> float:
    """A generator's noise level: a non-negative real number (else a named error)."""
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or noise < 0:
        raise ValueError(f"noise must be a non-negative number, got {noise!r}")
    return float(noise)


def as_labels(y) -> np.ndarray:
    """Labels as every generator returns them: an (n, 1) int column."""
    return np.asarray(y, dtype=int).reshape(-1, 1)


def generate_linear(n: int = 100, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """n points uniform in [0, 1)^2, kept in sampling order; label 0 if x0 > x1, else 1.

    As the lab: with ``seed=None`` the points come from numpy's global generator
    (``np.random.uniform(0, 1, (n, 2))``); with a seed, from ``np.random.RandomState(seed)``,
    the same numbers the lab's code gives after ``np.random.seed(seed)``."""
    n = check_n(n)
    source = np.random if seed is None else np.random.RandomState(seed)
    X = source.uniform(0, 1, (n, 2))
    y = [0 if x0 > x1 else 1 for x0, x1 in X]
    return X, as_labels(y)


def generate_xor_easy() -> tuple[np.ndarray, np.ndarray]:
    """The lab's 21 XOR points: for i = 0..10, (0.1 i, 0.1 i) with label 0, then, unless
    0.1 i == 0.5, (0.1 i, 1 - 0.1 i) with label 1. Coordinates are computed exactly so."""
    points, labels = [], []
    for i in range(11):
        points.append([0.1 * i, 0.1 * i])
        labels.append(0)
        if 0.1 * i == 0.5:
            continue
        points.append([0.1 * i, 1 - 0.1 * i])
        labels.append(1)
    return np.array(points, dtype=np.float64), as_labels(labels)


def _rng(seed) -> np.random.Generator:
    return np.random.default_rng(seed)


def circles(n: int = 200, noise: float = 0.05, seed: int | None = 0):
    """A disc (label 1) inside a ring (label 0), centred in the unit square: not linearly
    separable; a 2-4-4-1 net needs its hidden layers to bend a closed boundary."""
    n, noise = check_n(n, 2), check_noise(noise)
    rng = _rng(seed)
    inner = n // 2
    radius = np.concatenate([rng.uniform(0, 0.2, inner), rng.uniform(0.3, 0.45, n - inner)])
    angle = rng.uniform(0, 2 * np.pi, n)
    X = 0.5 + radius[:, None] * np.c_[np.cos(angle), np.sin(angle)]
    X += rng.normal(0, noise, X.shape)
    return X, as_labels(np.r_[np.ones(inner), np.zeros(n - inner)])


def moons(n: int = 200, noise: float = 0.08, seed: int | None = 0):
    """Two interleaving half circles scaled into the unit square."""
    n, noise = check_n(n, 2), check_noise(noise)
    rng = _rng(seed)
    half = n // 2
    t0, t1 = rng.uniform(0, np.pi, half), rng.uniform(0, np.pi, n - half)
    a = np.c_[np.cos(t0), np.sin(t0)]
    b = np.c_[1 - np.cos(t1), 0.5 - np.sin(t1)]
    X = (np.r_[a, b] + [1.0, 0.5]) / [4.0, 2.0]
    X += rng.normal(0, noise / 3, X.shape)
    return X, as_labels(np.r_[np.zeros(half), np.ones(n - half)])


def make_moons(
    n_samples: int = 100,
    noise: float | None = None,
    shuffle: bool = True,
    random_state: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's ``make_moons`` (its signature, its construction, numpy only), for
    micrograd's demo where scikit-learn is not installed: ``n_samples // 2`` points on the upper
    half circle (label 0) and the rest on the lower one shifted to (1, 0.5) (label 1), shuffled
    with the generator's ``shuffle``, then Gaussian ``noise``. ``random_state=None`` draws from
    numpy's global generator, as scikit-learn does, so ``np.random.seed(1337)`` seeds it. ``y``
    is 1-D here (scikit-learn's shape), unlike this module's other sets."""
    n_samples = check_n(n_samples, 2)
    rng = np.random.mtrand._rand if random_state is None else np.random.RandomState(random_state)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    outer, inner = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    X = np.vstack(
        [
            np.append(np.cos(outer), 1 - np.cos(inner)),
            np.append(np.sin(outer), 1 - np.sin(inner) - 0.5),
        ]
    ).T
    y = np.hstack([np.zeros(n_out, dtype=np.intp), np.ones(n_in, dtype=np.intp)])
    if shuffle:
        order = np.arange(n_samples)
        rng.shuffle(order)
        X, y = X[order], y[order]
    if noise is not None:
        X = X + rng.normal(scale=check_noise(noise), size=X.shape)
    return X, y


def spiral(n: int = 200, noise: float = 0.02, turns: float = 1.5, seed: int | None = 0):
    """Two interleaved spiral arms: hard for a 2-4-4-1 net, easy for a wider one."""
    n, noise = check_n(n, 2), check_noise(noise)
    rng = _rng(seed)
    half = n // 2
    t = np.sqrt(rng.uniform(0.05, 1, n)) * turns * 2 * np.pi
    arm = np.r_[np.zeros(half), np.ones(n - half)]
    angle = t + arm * np.pi
    r = 0.45 * t / (turns * 2 * np.pi)
    X = 0.5 + r[:, None] * np.c_[np.cos(angle), np.sin(angle)]
    X += rng.normal(0, noise, X.shape)
    return X, as_labels(arm)


def xor_quadrants(n: int = 200, noise: float = 0.05, seed: int | None = 0):
    """Points uniform in the unit square, label 1 in the top-left and bottom-right quadrants,
    with Gaussian jitter so points near the centre lines carry label noise."""
    n, noise = check_n(n), check_noise(noise)
    rng = _rng(seed)
    X = rng.uniform(0, 1, (n, 2))
    y = (X[:, 0] > 0.5) != (X[:, 1] > 0.5)
    return X + rng.normal(0, noise, X.shape), as_labels(y)


DATASETS: dict[str, Callable] = {
    "linear": generate_linear,
    "xor": generate_xor_easy,
    "circles": circles,
    "moons": moons,
    "spiral": spiral,
    "xor-quadrants": xor_quadrants,
}


def load_dataset(name: str, n: int | None = None, seed: int | None = 0):
    """A data set by name. ``n`` is ignored by ``xor`` (always its 21 points)."""
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; choose one of {', '.join(DATASETS)}")
    if name == "xor":
        return generate_xor_easy()
    kwargs = {"seed": seed}
    if n is not None:
        kwargs["n"] = n
    return DATASETS[name](**kwargs)


def telling_sample(net, X: np.ndarray, y: np.ndarray, loss: str = "bce") -> int:
    """The first point whose loss gives every weight of ``net`` a non-zero gradient (what
    ``gradstep step`` shows by default): at the XOR set's (0, 0) every first-layer gradient is
    0, which teaches nothing. The network's grads are left at zero, as they were found."""
    found = 0
    for i in range(len(X)):
        _, grads = net.loss_and_grads(X[i : i + 1], y[i : i + 1], loss=loss)
        if all(np.all(g != 0) for g in grads.values()):
            found = i
            break
    net.zero_grad()  # a graph engine keeps the last backward's grads on its parameters
    return found
