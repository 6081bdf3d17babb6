"""Adam (lr 0.01): its first step is -lr * g / (|g| + eps), every entry about -lr * sign(g)."""

import numpy as np

rng = np.random.default_rng(22)
x = rng.uniform(size=(16, 2))
y = (x[:, :1] > x[:, 1:]).astype(float)
params = {"W1": rng.normal(size=(2, 4)), "W2": rng.normal(size=(4, 1))}
m = {k: np.zeros_like(v) for k, v in params.items()}
s = {k: np.zeros_like(v) for k, v in params.items()}
for t in range(1, 1000):
    h = np.tanh(x @ params["W1"])
    p = 1 / (1 + np.exp(-(h @ params["W2"])))
    d2 = (p - y) / len(x)
    g = {"W2": h.T @ d2, "W1": x.T @ ((d2 @ params["W2"].T) * (1 - h**2))}
    for k in params:
        m[k] = 0.9 * m[k] + 0.1 * g[k]
        s[k] = 0.999 * s[k] + 0.001 * g[k] ** 2
        mh, sh = m[k] / (1 - 0.9**t), s[k] / (1 - 0.999**t)
        params[k] = params[k] - 0.01 * mh / (np.sqrt(sh) + 1e-8)
