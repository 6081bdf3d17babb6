"""Everything inline in one main(): a tanh hidden layer, a sigmoid output, half the summed
squared error, weights and biases in a dict stored (out, in) as in PyTorch."""

import numpy as np


def main():
    rng = np.random.default_rng(7)
    x = rng.uniform(-1, 1, (30, 2))
    y = (x[:, :1] * x[:, 1:] > 0).astype(float)
    p = {
        "W1": rng.normal(size=(5, 2)),
        "b1": np.zeros(5),
        "W2": rng.normal(size=(1, 5)),
        "b2": np.zeros(1),
    }
    lr = 0.1
    for epoch in range(5000):
        h = np.tanh(x @ p["W1"].T + p["b1"])
        out = 1 / (1 + np.exp(-(h @ p["W2"].T + p["b2"])))
        d2 = (out - y) * out * (1 - out)
        d1 = (d2 @ p["W2"]) * (1 - h**2)
        grads = {"W2": d2.T @ h, "b2": d2.sum(0), "W1": d1.T @ x, "b1": d1.sum(0)}
        for k in p:
            p[k] = p[k] - lr * grads[k]
        if epoch % 1000 == 0:
            print(epoch, 0.5 * np.sum((out - y) ** 2))


main()
