"""Optimizers: one implementation each, driving every engine through its flat parameter vector.

``opt = Adam(model, lr=0.01)`` then ``opt.step(grads)`` with the gradients ``loss_and_grads``
returned. The update rules are PyTorch's (``torch.optim``), written for a 1-D array p and its
gradient g; all state is kept as arrays of p's size."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .module import Gradients, Module

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "OPTIMIZERS", "make_optimizer"]


def _positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not value > 0 or not np.isfinite(value):
        raise ValueError(f"{name} must be a positive number, got {value}")
    return float(value)


def _fraction(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value}")
    return float(value)


def _learning_rate(lr):
    """A positive number, or (for a ``Population``) one positive number per network, kept as a
    column (R, 1) so it scales each network's row of the flat parameters."""
    if isinstance(lr, (list, tuple, np.ndarray)):
        rates = np.asarray(lr, dtype=np.float64).reshape(-1)
        if rates.size == 0 or not np.all(np.isfinite(rates)) or not np.all(rates > 0):
            raise ValueError(f"lr must hold positive numbers, got {lr!r:.80}")
        return rates.reshape(-1, 1)
    return _positive("lr", lr)


class Optimizer:
    """Drives a ``Module`` (or a ``Population``: anything with ``flat_parameters`` and
    ``set_flat_parameters``) through its flat parameter vector (R of them, for a population)."""

    def __init__(self, model: Module, lr: float) -> None:
        if not isinstance(model, Module) and not hasattr(model, "flat_parameters"):
            raise TypeError(f"an optimizer needs a nets Module, got {type(model).__name__}")
        self.model = model
        self.lr = _learning_rate(lr)
        if isinstance(self.lr, np.ndarray) and self.lr.shape[0] != model.flat_parameters().shape[0]:
            raise ValueError(
                f"{self.lr.shape[0]} learning rates for {model.flat_parameters().shape[0]} networks"
            )
        self.steps = 0

    def step(self, grads: Gradients | dict) -> None:
        """Apply one update from ``grads`` (keyed like ``state_dict()``)."""
        if isinstance(grads, Gradients):
            flat_grad = grads.flat
        else:
            names = list(self.model.shapes)
            if not isinstance(grads, Mapping) or sorted(grads) != sorted(names):
                raise ValueError(f"gradients must be keyed {', '.join(names)}")
            flat_grad = Gradients.from_arrays({n: grads[n] for n in names}).flat
        params = self.model.flat_parameters()
        if flat_grad.shape != params.shape:
            raise ValueError(
                f"gradients hold {flat_grad.size} numbers, the model has {params.size} parameters"
            )
        self.steps += 1
        self._update(params, flat_grad)
        self.model.set_flat_parameters(params)

    def _update(self, p: np.ndarray, g: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        lr = f"{self.lr:g}" if isinstance(self.lr, float) else f"{self.lr.size} rates"
        return f"{type(self).__name__}(lr={lr})"


class SGD(Optimizer):
    """v = momentum v + g;  p -= lr v   (plain gradient descent with momentum=0)."""

    def __init__(self, model: Module, lr: float = 0.01, momentum: float = 0.0) -> None:
        super().__init__(model, lr)
        self.momentum = _fraction("momentum", momentum)
        self.velocity = None

    def _update(self, p, g):
        if self.momentum:
            if self.velocity is None:
                self.velocity = g.copy()  # torch starts the buffer at the first gradient
            else:
                self.velocity *= self.momentum
                self.velocity += g
            g = self.velocity
        p -= self.lr * g


class Adagrad(Optimizer):
    """G += g^2;  p -= lr g / (sqrt(G) + eps)."""

    def __init__(self, model: Module, lr: float = 0.01, eps: float = 1e-10) -> None:
        super().__init__(model, lr)
        self.eps = _positive("eps", eps)
        self.sum_squares = None

    def _update(self, p, g):
        if self.sum_squares is None:
            self.sum_squares = np.zeros_like(p)
        self.sum_squares += g * g
        p -= self.lr * g / (np.sqrt(self.sum_squares) + self.eps)


class RMSprop(Optimizer):
    """s = alpha s + (1 - alpha) g^2;  p -= lr g / (sqrt(s) + eps)."""

    def __init__(
        self, model: Module, lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8
    ) -> None:
        super().__init__(model, lr)
        self.alpha = _fraction("alpha", alpha)
        self.eps = _positive("eps", eps)
        self.square_avg = None

    def _update(self, p, g):
        if self.square_avg is None:
            self.square_avg = np.zeros_like(p)
        self.square_avg *= self.alpha
        self.square_avg += (1.0 - self.alpha) * g * g
        p -= self.lr * g / (np.sqrt(self.square_avg) + self.eps)


class Adam(Optimizer):
    """m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
    p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)."""

    def __init__(
        self,
        model: Module,
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        super().__init__(model, lr)
        self.beta1, self.beta2 = _fraction("betas[0]", betas[0]), _fraction("betas[1]", betas[1])
        self.eps = _positive("eps", eps)
        self.m = self.v = None

    def _update(self, p, g):
        if self.m is None:
            self.m, self.v = np.zeros_like(p), np.zeros_like(p)
        b1, b2, t = self.beta1, self.beta2, self.steps
        self.m *= b1
        self.m += (1.0 - b1) * g
        self.v *= b2
        self.v += (1.0 - b2) * g * g
        denom = np.sqrt(self.v / (1.0 - b2**t)) + self.eps
        p -= (self.lr / (1.0 - b1**t)) * self.m / denom


OPTIMIZERS = {"sgd": SGD, "momentum": SGD, "adagrad": Adagrad, "rmsprop": RMSprop, "adam": Adam}


def make_optimizer(name: str, model: Module, lr: float, **kwargs) -> Optimizer:
    """An optimizer by name: ``sgd``, ``momentum`` (SGD, momentum 0.9), ``adagrad``,
    ``rmsprop``, ``adam``."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    if name == "momentum":
        kwargs.setdefault("momentum", 0.9)
    return OPTIMIZERS[name](model, lr=lr, **kwargs)
