"""The lab's 2-4-4-1 sigmoid network with its gradients written as a function (numpy only, no
bias, summed cross-entropy), the other form ``gradstep check`` reads:

    gradstep check experiments/examples/lab_gradients.py

A gradient file defines ``params`` (a dict of float arrays, or a function returning one),
``loss(params) -> float`` and ``grads(params) -> {name: array}`` with the same names and shapes
as ``params``, and updates nothing. (A training step as the lab writes it, updating the weights
in place, is checked as it is: see ``lab_step.py``.) Everything else in the file is yours.
"""

import numpy as np


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


def derivative_sigmoid(s):
    """The lab's helper: takes the sigmoid's output s and returns s (1 - s)."""
    return np.multiply(s, 1.0 - s)


x, y = generate_XOR_easy()
rng = np.random.default_rng(0)
params = {
    "W1": rng.standard_normal((2, 4)),
    "W2": rng.standard_normal((4, 4)),
    "W3": rng.standard_normal((4, 1)),
}


def forward(x, w1, w2, w3):
    z1 = sigmoid(x @ w1)
    z2 = sigmoid(z1 @ w2)
    y_pred = sigmoid(z2 @ w3)
    return z1, z2, y_pred


def loss(params):
    """Summed binary cross-entropy: the loss whose output delta is ``y_pred - y``."""
    *_, y_pred = forward(x, params["W1"], params["W2"], params["W3"])
    return -np.sum(y * np.log(y_pred) + (1 - y) * np.log(1 - y_pred))


def grads(params):
    w1, w2, w3 = params["W1"], params["W2"], params["W3"]
    z1, z2, y_pred = forward(x, w1, w2, w3)
    sigma3 = y_pred - y
    sigma2 = (sigma3 @ w3.T) * derivative_sigmoid(z2)
    sigma1 = (sigma2 @ w2.T) * derivative_sigmoid(z1)
    return {"W1": x.T @ sigma1, "W2": z1.T @ sigma2, "W3": z2.T @ sigma3}
