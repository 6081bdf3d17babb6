"""Four layers (2-8-8-8-1), float32 throughout, tanh, tanh, relu, sigmoid; SSE, lr 0.01."""

import numpy as np

rng = np.random.default_rng(24)
x = rng.uniform(-1, 1, size=(32, 2)).astype(np.float32)
y = (x[:, :1] * x[:, 1:] > 0).astype(np.float32)
Ws = [rng.normal(size=s).astype(np.float32) for s in [(2, 8), (8, 8), (8, 8), (8, 1)]]
acts = ["tanh", "tanh", "relu", "sigmoid"]


def f(a, kind):
    if kind == "tanh":
        return np.tanh(a)
    if kind == "relu":
        return np.maximum(a, 0)
    return 1 / (1 + np.exp(-a))


def df(h, a, kind):
    if kind == "tanh":
        return 1 - h * h
    if kind == "relu":
        return (a > 0).astype(np.float32)
    return h * (1 - h)


for epoch in range(300):
    hs, pre = [x], []
    for W, kind in zip(Ws, acts):
        pre.append(hs[-1] @ W)
        hs.append(f(pre[-1], kind))
    delta = 2 * (hs[-1] - y) * df(hs[-1], pre[-1], "sigmoid")
    grads = []
    for k in range(3, -1, -1):
        grads.insert(0, hs[k].T @ delta)
        if k:
            delta = (delta @ Ws[k].T) * df(hs[k], pre[k - 1], acts[k - 1])
    for W, g in zip(Ws, grads):
        W -= np.float32(0.01) * g
