"""The lab's 2-4-4-1 sigmoid network trained in the report's own style (numpy only, no bias,
summed cross-entropy, a module-level ``lr``, a ``backward`` that updates the weights in place),
with the order fixed: every delta is computed before any weight moves. Check it with

    gradstep check experiments/examples/lab_step.py

``gradstep check`` reads a step file: ``params`` (a dict of float arrays, or a function returning
one), ``loss(params) -> float`` and ``step(params)``, one training step that updates the arrays
of the dict in place or returns the updated dict. ``lr`` (optional) is the step size.
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
    """The lab's helper: takes the sigmoid's output z and returns z (1 - z)."""
    return np.multiply(z, 1.0 - z)


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


x, y = generate_XOR_easy()
rng = np.random.default_rng(0)
params = {
    "W1": rng.standard_normal((2, 4)),
    "W2": rng.standard_normal((4, 4)),
    "W3": rng.standard_normal((4, 1)),
}


def loss(params):
    """Summed binary cross-entropy: the loss whose output delta is ``y_pred - y``."""
    *_, y_pred = forward(x, params["W1"], params["W2"], params["W3"])
    return -np.sum(y * np.log(y_pred) + (1 - y) * np.log(1 - y_pred))


# The three lines that adapt the lab's code to `gradstep check`:
def step(params):
    a1, z1, a2, z2, a3, y_pred = forward(x, params["W1"], params["W2"], params["W3"])
    backward(x, y, y_pred, params["W1"], params["W2"], params["W3"], z1, z2)
