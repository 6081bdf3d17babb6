"""ReLU hidden layers with zero biases, and the data holds the point (0, 0): every hidden
unit's input there is exactly 0, where ReLU has a kink. The step is MSE's (relu'(0) = 0)."""

import numpy as np

rng = np.random.default_rng(23)
x = np.vstack([[0.0, 0.0], rng.uniform(size=(11, 2))])
y = (x[:, :1] > x[:, 1:]).astype(float)
W1, b1 = rng.normal(size=(2, 5)), np.zeros(5)
W2, b2 = rng.normal(size=(5, 1)), np.zeros(1)
for epoch in range(500):
    z1 = x @ W1 + b1
    h = np.maximum(z1, 0)
    p = 1 / (1 + np.exp(-(h @ W2 + b2)))
    d2 = 2 * (p - y) * p * (1 - p) / len(x)
    d1 = (d2 @ W2.T) * (z1 > 0)
    W2 -= 0.5 * h.T @ d2
    b2 -= 0.5 * d2.sum(0)
    W1 -= 0.5 * x.T @ d1
    b1 -= 0.5 * d1.sum(0)
