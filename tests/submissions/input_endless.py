"""Asks for its learning rate with input() (answered with an empty line: the default), then
trains for ever, per sample, in a while loop: the step of one sample's SSE with lr 0.2."""

import numpy as np

answer = input("learning rate [0.2]: ")
lr = float(answer) if answer else 0.2
rng = np.random.default_rng(2)
X = rng.uniform(size=(50, 2))
Y = (X.sum(axis=1) > 1).astype(float)
W1 = rng.normal(size=(2, 3))
W2 = rng.normal(size=(3, 1))
step = 0
while True:
    i = step % len(X)
    xi, yi = X[i : i + 1], Y[i]
    h = 1 / (1 + np.exp(-(xi @ W1)))
    out = 1 / (1 + np.exp(-(h @ W2)))
    g_out = 2 * (out - yi) * out * (1 - out)
    g_h = (g_out @ W2.T) * h * (1 - h)
    W2 -= lr * h.T @ g_out
    W1 -= lr * xi.T @ g_h
    step += 1
