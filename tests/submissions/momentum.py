"""Momentum 0.9: the first step is a plain gradient step of BCE (sum), lr 0.1."""

import numpy as np

rng = np.random.default_rng(21)
x = rng.uniform(size=(16, 2))
y = (x[:, :1] + x[:, 1:] > 1).astype(float)
w1, w2 = rng.normal(size=(2, 4)), rng.normal(size=(4, 1))
v1, v2 = np.zeros_like(w1), np.zeros_like(w2)
for epoch in range(1000):
    h = 1 / (1 + np.exp(-(x @ w1)))
    p = 1 / (1 + np.exp(-(h @ w2)))
    d2 = p - y
    d1 = (d2 @ w2.T) * h * (1 - h)
    v2 = 0.9 * v2 - 0.1 * (h.T @ d2)
    v1 = 0.9 * v1 - 0.1 * (x.T @ d1)
    w2 += v2
    w1 += v1
