"""A class with forward/backward/update, biases as (1, h) rows, the mean squared error and its
own gradient (2/n (p - y) p (1 - p) at the output), linear data, lr read from an attribute."""

import numpy as np


def generate_linear(n=100):
    pts = np.random.uniform(0, 1, (n, 2))
    inputs, labels = [], []
    for pt in pts:
        inputs.append([pt[0], pt[1]])
        labels.append(0 if pt[0] > pt[1] else 1)
    return np.array(inputs), np.array(labels).reshape(n, 1)


class Network:
    def __init__(self, sizes, lr):
        rng = np.random.default_rng(3)
        self.lr = lr
        self.W = [rng.normal(size=(a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
        self.b = [np.zeros((1, b)) for b in sizes[1:]]

    @staticmethod
    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    def forward(self, x):
        self.acts = [x]
        for W, b in zip(self.W, self.b):
            x = self.sigmoid(x @ W + b)
            self.acts.append(x)
        return x

    def backward(self, y):
        p = self.acts[-1]
        delta = 2 * (p - y) / len(y) * p * (1 - p)
        self.dW, self.db = [], []
        for k in reversed(range(len(self.W))):
            self.dW.insert(0, self.acts[k].T @ delta)
            self.db.insert(0, delta.sum(axis=0, keepdims=True))
            a = self.acts[k]
            delta = (delta @ self.W[k].T) * a * (1 - a)

    def update(self):
        for k in range(len(self.W)):
            self.W[k] -= self.lr * self.dW[k]
            self.b[k] -= self.lr * self.db[k]


def main():
    np.random.seed(0)
    x, y = generate_linear()
    net = Network([2, 4, 4, 1], lr=0.5)
    for epoch in range(20000):
        out = net.forward(x)
        net.backward(y)
        net.update()
        if epoch % 500 == 0:
            print("epoch", epoch, "loss", float(np.mean((out - y) ** 2)))


if __name__ == "__main__":
    main()
