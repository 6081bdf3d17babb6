"""The seed report's backward, as a gradient function: the same network, data, weights and loss
as ``lab_backprop.py`` (taken from it), with a ``grads`` that repeats the report's order of
updates. ``gradstep check`` finds the bug training hides:

    gradstep check experiments/examples/lab_backprop_buggy.py

The report's ``backward`` updates ``w3`` *before* it computes ``sigma2`` through ``w3`` (and
``w2`` before ``sigma1``), so W2's and W1's gradients are taken through weights that already
moved by one step of lr 0.05. W3's gradient is right.
"""

import runpy
from pathlib import Path

# everything but grads: the network, the XOR data, the seeded weights, the loss
_lab = runpy.run_path(str(Path(__file__).with_name("lab_backprop.py")))
x, y, params, loss = _lab["x"], _lab["y"], _lab["params"], _lab["loss"]
forward, derivative_sigmoid = _lab["forward"], _lab["derivative_sigmoid"]

LR = 0.05


def grads(params):
    w1, w2, w3 = params["W1"].copy(), params["W2"].copy(), params["W3"].copy()
    z1, z2, y_pred = forward(x, w1, w2, w3)
    sigma3 = y_pred - y
    d_w3 = z2.T @ sigma3
    w3 -= LR * d_w3  # the report updates w3 here ...
    sigma2 = (sigma3 @ w3.T) * derivative_sigmoid(z2)  # ... then goes back through the new w3
    d_w2 = z1.T @ sigma2
    w2 -= LR * d_w2  # the same for w2 and sigma1
    sigma1 = (sigma2 @ w2.T) * derivative_sigmoid(z1)
    d_w1 = x.T @ sigma1
    return {"W1": d_w1, "W2": d_w2, "W3": d_w3}
