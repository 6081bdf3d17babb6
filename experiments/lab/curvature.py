"""Curvature of the lab's loss along a training run, measured with the Hessian.

Gradient descent with step ``lr`` is stable along a direction whose curvature (a Hessian
eigenvalue) is ``lam`` only when ``lr < 2 / lam``: past that, each step overshoots the valley
floor by more than it started from. So ``2 / lam_max``, with ``lam_max`` the largest eigenvalue
(the sharpest direction), is the largest learning rate the loss allows where the weights are.

``sharpness_along(setting, seed, checkpoints)`` trains the lab's network exactly as
``runs.run_one`` does (same data, initial weights, optimizer, loss and reduction) and, at each
checkpoint epoch, takes the Hessian of the training loss with respect to every weight
(``autograd.hessian`` on a ``TensorMLP`` holding the same weights) and its eigenvalues.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from autograd import hessian
from nets import TensorMLP

from ..runs import Setting, data_for, model_for
from ..train import train

__all__ = ["loss_hessian", "sharpness_along", "newton_and_gradient_descent"]


def _tensor_net(state: dict, setting: Setting) -> TensorMLP:
    net = TensorMLP(
        setting.layer_sizes,
        activation=setting.activation,
        output_activation=setting.output_activation,
        bias=setting.bias,
        init=setting.init,
    )
    net.load_state_dict(state)
    return net


def loss_hessian(state: dict, setting: Setting, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The Hessian of the setting's training loss at weights ``state``: (P, P), the parameters
    in ``state``'s order, each flattened in C order."""
    net = _tensor_net(state, setting)
    leaves = [net.params[name] for name in state]
    return hessian(
        lambda *_: net.loss(X, y, loss=setting.loss, reduction=setting.reduction), leaves
    )


def sharpness_along(setting: Setting, seed: int, checkpoints: Sequence[int]) -> list[dict]:
    """Per checkpoint epoch: the training loss, the largest and smallest Hessian eigenvalue,
    and the largest stable learning rate 2 / lam_max."""
    X, y = data_for(setting, seed)
    model = model_for(setting, seed)
    rows, done = [], 0
    for epoch in sorted(set(checkpoints)):
        if epoch > done:
            train(model, X, y, optimizer=setting.optimizer, lr=setting.lr, epochs=epoch - done,
                  loss=setting.loss, reduction=setting.reduction, quiet=True)  # fmt: skip
            done = epoch
        state = model.state_dict()
        eigenvalues = np.linalg.eigvalsh(loss_hessian(state, setting, X, y))
        loss, _ = model.loss_and_grads(X, y, loss=setting.loss, reduction=setting.reduction)
        lam = float(eigenvalues[-1])
        rows.append(
            {
                "epoch": epoch,
                "loss": float(loss),
                "lambda_max": lam,
                "lambda_min": float(eigenvalues[0]),
                "stable_lr": 2.0 / lam if lam > 0 else float("inf"),
                "lr_over_stable": setting.lr * lam / 2.0,
            }
        )
    return rows


def newton_and_gradient_descent(
    setting: Setting, seed: int, steps: int, lr: float, damping: float = 1e-3
) -> dict:
    """From the same starting weights, ``steps`` damped Newton steps (w -= (H + d I)^-1 g, the
    damping keeping the step finite where H is not positive definite) against ``steps`` plain
    gradient steps of size ``lr``: the training loss after each step."""
    X, y = data_for(setting, seed)
    start = model_for(setting, seed).state_dict()
    curves = {}
    for method in ("newton", "gradient descent"):
        state = {k: v.copy() for k, v in start.items()}
        losses = []
        for _ in range(steps + 1):
            net = _tensor_net(state, setting)
            loss, grads = net.loss_and_grads(X, y, loss=setting.loss, reduction=setting.reduction)
            losses.append(float(loss))
            g = np.concatenate([np.asarray(grads[k]).reshape(-1) for k in state])
            if method == "newton":
                H = loss_hessian(state, setting, X, y)
                step = np.linalg.solve(H + damping * np.eye(len(g)), g)
            else:
                step = lr * g
            offset = 0
            for k, v in state.items():
                state[k] = v - step[offset : offset + v.size].reshape(v.shape)
                offset += v.size
        curves[method] = losses
    return curves


def lab_curvature(quick: bool) -> dict:
    """The lab's learning-rate discussion, measured: lr 0.05 and lr 2 on XOR (seed 0)."""
    from ..runs import REPORT_SETTING

    epochs = 2000 if quick else 10_000
    checkpoints = [0, 10, 100, 1000, epochs] if not quick else [0, 10, 100, epochs]
    base = replace(REPORT_SETTING, dataset="xor")
    return {
        f"lr={lr:g}": sharpness_along(replace(base, lr=lr, epochs=epochs), 0, checkpoints)
        for lr in (0.05, 2.0)
    }
