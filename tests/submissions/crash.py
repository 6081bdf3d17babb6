"""Crashes in its forward pass before any update: w2 has the wrong shape."""

import numpy as np

rng = np.random.default_rng(0)
x = rng.uniform(size=(10, 2))
w1 = rng.normal(size=(2, 4))
w2 = rng.normal(size=(3, 1))
h = 1 / (1 + np.exp(-(x @ w1)))
out = h @ w2
