"""The lab report's training step exactly as the report wrote it: ``backward`` updates ``w3``
and then computes ``sigma2`` through the *new* ``w3`` (and ``w2`` before ``sigma1``). Training
still converges, which hides the bug; ``gradstep check`` finds it and names it:

    gradstep check experiments/examples/lab_step_report.py

Only ``backward`` differs from ``lab_step.py``; data, weights, loss and ``step`` are the same.
"""

import numpy as np

lr = 0.05


def generate_XOR_easy():  # noqa: N802 - the lab's name
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


def derivative_sigmoid(z):
    return np.multiply(z, 1.0 - z)


def forward(x, w1, w2, w3):
    a1 = np.dot(x, w1)
    z1 = sigmoid(a1)
    a2 = np.dot(z1, w2)
    z2 = sigmoid(a2)
    a3 = np.dot(z2, w3)
    y_pred = sigmoid(a3)
    return a1, z1, a2, z2, a3, y_pred


def backward(x, y, y_pred, w1, w2, w3, z1, z2):  # the report's, line for line
    sigma3 = y_pred - y
    w3 -= lr * np.dot(z2.T, sigma3)

    sigma2 = np.dot(sigma3, w3.T) * derivative_sigmoid(z2)
    w2 -= lr * np.dot(z1.T, sigma2)

    sigma1 = np.dot(sigma2, w2.T) * derivative_sigmoid(z1)
    w1 -= lr * np.dot(x.T, sigma1)

    return w1, w2, w3


x, y = generate_XOR_easy()
rng = np.random.default_rng(0)
params = {
    "W1": rng.standard_normal((2, 4)),
    "W2": rng.standard_normal((4, 4)),
    "W3": rng.standard_normal((4, 1)),
}


def loss(params):
    *_, y_pred = forward(x, params["W1"], params["W2"], params["W3"])
    return -np.sum(y * np.log(y_pred) + (1 - y) * np.log(1 - y_pred))


def step(params):
    a1, z1, a2, z2, a3, y_pred = forward(x, params["W1"], params["W2"], params["W3"])
    backward(x, y, y_pred, params["W1"], params["W2"], params["W3"], z1, z2)
