import numpy as np


class MLP:
    """Weights (in, out), biases (out,), sigmoid layers, MSE's gradient."""

    def __init__(self, sizes, seed=0):
        rng = np.random.default_rng(seed)
        self.params = {}
        for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
            self.params[f"W{k}"] = rng.normal(size=(a, b))
            self.params[f"b{k}"] = np.zeros(b)
        self.layers = len(sizes) - 1

    def forward(self, x):
        self.cache = [x]
        for k in range(1, self.layers + 1):
            x = 1 / (1 + np.exp(-(x @ self.params[f"W{k}"] + self.params[f"b{k}"])))
            self.cache.append(x)
        return x

    def gradients(self, y):
        out = self.cache[-1]
        delta = 2 * (out - y) / len(y) * out * (1 - out)
        grads = {}
        for k in range(self.layers, 0, -1):
            grads[f"W{k}"] = self.cache[k - 1].T @ delta
            grads[f"b{k}"] = delta.sum(axis=0)
            a = self.cache[k - 1]
            delta = (delta @ self.params[f"W{k}"].T) * a * (1 - a)
        return grads
