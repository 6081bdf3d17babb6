"""Training at import, layer objects in a list, biases folded in as an extra input row
(a column of ones appended), ReLU hidden layers, sigmoid output, BCE mean, lr 1.0."""

import numpy as np

rng = np.random.default_rng(11)


class Dense:
    def __init__(self, n_in, n_out, activation):
        self.W = rng.normal(scale=0.8, size=(n_in + 1, n_out))
        self.activation = activation

    def forward(self, x):
        self.x = np.hstack([x, np.ones((len(x), 1))])
        self.z = self.x @ self.W
        self.a = np.maximum(self.z, 0) if self.activation == "relu" else 1 / (1 + np.exp(-self.z))
        return self.a

    def backward(self, delta):
        if self.activation == "relu":
            delta = delta * (self.z > 0)
        self.grad = self.x.T @ delta
        return (delta @ self.W.T)[:, :-1]


X = rng.uniform(0.05, 1, (40, 2))
Y = (X[:, 0] > X[:, 1]).astype(float).reshape(-1, 1)
layers = [Dense(2, 6, "relu"), Dense(6, 6, "relu"), Dense(6, 1, "sigmoid")]
for epoch in range(3000):
    h = X
    for layer in layers:
        h = layer.forward(h)
    delta = (h - Y) / len(X)  # BCE mean through the sigmoid
    for layer in reversed(layers):
        if layer.activation == "sigmoid":
            layer.grad = layer.x.T @ delta
            delta = (delta @ layer.W.T)[:, :-1]
        else:
            delta = layer.backward(delta)
    for layer in layers:
        layer.W -= 1.0 * layer.grad
