"""Column layout as in many courses: X is (features, samples), W is (out, in), b is (out, 1),
A = W @ X + b; sigmoid layers; BCE mean, lr 0.8."""

import numpy as np

np.random.seed(25)
X = np.random.rand(2, 30)
Y = (X[0:1] > X[1:2]).astype(float)
W1, b1 = np.random.randn(4, 2), np.zeros((4, 1))
W2, b2 = np.random.randn(1, 4), np.zeros((1, 1))


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


for i in range(2000):
    A1 = sigmoid(W1 @ X + b1)
    A2 = sigmoid(W2 @ A1 + b2)
    m = X.shape[1]
    dZ2 = A2 - Y
    dW2 = dZ2 @ A1.T / m
    db2 = dZ2.sum(axis=1, keepdims=True) / m
    dZ1 = (W2.T @ dZ2) * A1 * (1 - A1)
    dW1 = dZ1 @ X.T / m
    db1 = dZ1.sum(axis=1, keepdims=True) / m
    W1 -= 0.8 * dW1
    b1 -= 0.8 * db1
    W2 -= 0.8 * dW2
    b2 -= 0.8 * db2
