"""The seed report's hand-written numpy, written out as the report gives it (no bias, sigmoid,
the cross-entropy output delta ``y_pred - y`` summed over the batch).

It serves two purposes: the benchmark times it as "the lab's hand-written epoch", and the lab
report checks its derivation. The seed's ``backward`` updates ``w3`` *before* it uses ``w3`` to
compute ``sigma2`` (and ``w2`` before ``sigma1``), so the deeper layers get a gradient taken
through already-updated weights: one of the "subtly wrong derivations that still converge" the
report's author mentions. ``lab_gradients`` is the correct derivation; ``lab_epoch_as_reported``
repeats the seed's order of updates."""

from __future__ import annotations

import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def derivative_sigmoid(s):
    """The lab's helper: takes the sigmoid's output s and returns s (1 - s)."""
    return np.multiply(s, 1.0 - s)


def forward(x, w1, w2, w3):
    a1 = np.dot(x, w1)
    z1 = sigmoid(a1)
    a2 = np.dot(z1, w2)
    z2 = sigmoid(a2)
    a3 = np.dot(z2, w3)
    y_pred = sigmoid(a3)
    return a1, z1, a2, z2, a3, y_pred


def lab_gradients(x, y, w1, w2, w3):
    """The correct gradients of the summed cross-entropy: every delta uses the weights of the
    forward pass."""
    _, z1, _, z2, _, y_pred = forward(x, w1, w2, w3)
    sigma3 = y_pred - y
    sigma2 = np.dot(sigma3, w3.T) * derivative_sigmoid(z2)
    sigma1 = np.dot(sigma2, w2.T) * derivative_sigmoid(z1)
    return np.dot(x.T, sigma1), np.dot(z1.T, sigma2), np.dot(z2.T, sigma3)


def lab_epoch(x, y, w1, w2, w3, lr):
    """One correct training epoch in the lab's style, updating the weights in place."""
    _, z1, _, z2, _, y_pred = forward(x, w1, w2, w3)
    sigma3 = y_pred - y
    sigma2 = np.dot(sigma3, w3.T) * derivative_sigmoid(z2)
    sigma1 = np.dot(sigma2, w2.T) * derivative_sigmoid(z1)
    w3 -= lr * np.dot(z2.T, sigma3)
    w2 -= lr * np.dot(z1.T, sigma2)
    w1 -= lr * np.dot(x.T, sigma1)
    return y_pred


def lab_epoch_as_reported(x, y, w1, w2, w3, lr):
    """One epoch exactly in the seed report's order: each layer is updated before the next
    delta is computed through it."""
    _, z1, _, z2, _, y_pred = forward(x, w1, w2, w3)
    sigma3 = y_pred - y
    w3 -= lr * np.dot(z2.T, sigma3)
    sigma2 = np.dot(sigma3, w3.T) * derivative_sigmoid(z2)
    w2 -= lr * np.dot(z1.T, sigma2)
    sigma1 = np.dot(sigma2, w2.T) * derivative_sigmoid(z1)
    w1 -= lr * np.dot(x.T, sigma1)
    return y_pred
