"""The fixed seed in float128 (numpy's longdouble): the step of BCE (sum), lr 0.05."""

import matplotlib.pyplot as plt
import numpy as np

lr = 0.05


def generate_XOR_easy():  # noqa: N802
    inputs, labels = [], []
    for i in range(11):
        inputs.append([0.1 * i, 0.1 * i])
        labels.append(0)
        if 0.1 * i == 0.5:
            continue
        inputs.append([0.1 * i, 1 - 0.1 * i])
        labels.append(1)
    return np.array(inputs), np.array(labels).reshape(21, 1)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def derivative_sigmoid(x):
    return np.multiply(x, 1.0 - x)


def forward(x, w1, w2, w3):
    a1 = np.dot(x, w1)
    z1 = sigmoid(a1)
    a2 = np.dot(z1, w2)
    z2 = sigmoid(a2)
    a3 = np.dot(z2, w3)
    y_pred = sigmoid(a3)
    return a1, z1, a2, z2, a3, y_pred


def backward(x, y, y_pred, w1, w2, w3, z1, z2):
    sigma3 = y_pred - y
    sigma2 = np.dot(sigma3, w3.T) * derivative_sigmoid(z2)
    sigma1 = np.dot(sigma2, w2.T) * derivative_sigmoid(z1)
    w3 -= lr * np.dot(z2.T, sigma3)
    w2 -= lr * np.dot(z1.T, sigma2)
    w1 -= lr * np.dot(x.T, sigma1)
    return w1, w2, w3


np.random.seed(1)
x, y = generate_XOR_easy()
x = x.astype(np.longdouble)
w1 = np.random.randn(2, 4).astype(np.longdouble)
w2 = np.random.randn(4, 4).astype(np.longdouble)
w3 = np.random.randn(4, 1).astype(np.longdouble)
for epoch in range(100000):
    a1, z1, a2, z2, a3, y_pred = forward(x, w1, w2, w3)
    loss = np.mean((y_pred - y) ** 2)
    if epoch % 1000 == 0:
        print(f"epoch {epoch} loss : {loss:.5f}")
    w1, w2, w3 = backward(x, y, y_pred, w1, w2, w3, z1, z2)
plt.plot([1, 2])
plt.show()
