"""What the networks built on Tensor nodes share (``TensorMLP``, ``CNN``): parameters as Tensor
leaves viewing one flat buffer (so optimizers update them with one call), and the
``loss`` / ``loss_and_grads`` / ``predict`` contract on top of a subclass's ``_forward``."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from autograd import Tensor, no_grad, scope

from .losses import check_loss, check_targets, tensor_loss
from .module import FlatBuffer, Gradients, make_layout

__all__ = ["TensorNetwork"]


class TensorNetwork(FlatBuffer):
    """Mixin for a ``Module`` whose subclass provides ``check_batch(X, y)`` and
    ``_forward(X) -> Tensor`` (X already checked)."""

    def _init_parameters(self, params: dict[str, np.ndarray]) -> None:
        self.shapes = {name: a.shape for name, a in params.items()}
        self._layout = make_layout(self.shapes)
        self._flat = np.concatenate([a.ravel() for a in params.values()])
        self._grad_flat = np.zeros_like(self._flat)
        self.params: dict[str, Tensor] = {}
        self._grad_views: dict[str, np.ndarray] = {}
        for name, start, stop, shape in self._layout:
            t = Tensor(np.zeros(shape), label=name)
            t.data = self._flat[start:stop].reshape(shape)  # views of one buffer
            self._grad_views[name] = t.grad = self._grad_flat[start:stop].reshape(shape)
            self.params[name] = t

    def named_parameters(self) -> Iterator[tuple[str, Tensor]]:
        yield from self.params.items()

    def zero_grad(self) -> None:
        self._grad_flat.fill(0.0)
        for name, t in self.params.items():  # backward adds into these views of one buffer
            t.grad = self._grad_views[name]

    def _read(self, name: str) -> np.ndarray:
        return self.params[name].data

    def _write(self, name: str, array: np.ndarray) -> None:
        self.params[name].data[...] = array

    def forward(self, X) -> Tensor:
        """The batch's outputs as a Tensor graph."""
        X, _ = self.check_batch(X)
        return self._forward(X)

    __call__ = forward

    def loss(self, X, y, loss: str = "mse", reduction: str = "mean") -> Tensor:
        """The loss over the batch as a Tensor graph (the loss ops in scope ``loss``)."""
        check_loss(loss, reduction)
        X, y = self.check_batch(X, y)
        check_targets(loss, y)
        p = self._forward(X)
        with scope("loss"):
            return tensor_loss(p, y, loss, reduction)

    def loss_and_grads(
        self, X, y, loss: str = "mse", reduction: str = "mean"
    ) -> tuple[float, Gradients]:
        total = self.loss(X, y, loss, reduction)
        self.zero_grad()
        total.backward()
        return total.item(), Gradients(self._grad_flat.copy(), self._layout)

    def predict(self, X) -> np.ndarray:
        X, _ = self.check_batch(X)
        with no_grad():
            return self._forward(X).data.copy()

    def parameter_table(self):
        from autograd.views.display import ParameterTable

        return ParameterTable([(n, t.data, t.grad) for n, t in self.params.items()])
