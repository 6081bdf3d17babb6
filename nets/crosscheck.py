"""Cross-check the three engines on the same weights: losses and every gradient must agree."""

from __future__ import annotations

from itertools import combinations
from typing import NamedTuple

import numpy as np

from autograd.views.display import Report

from .mlp import ENGINES

__all__ = ["crosscheck", "CrosscheckReport", "CrosscheckRow", "relative_difference"]


class CrosscheckRow(NamedTuple):
    quantity: str  # "loss" or a parameter name
    engines: str  # "value vs tensor"
    max_abs_diff: float
    max_rel_diff: float
    ok: bool


def relative_difference(a, b) -> tuple[float, float]:
    """Largest absolute difference, and that difference relative to the larger of the two
    arrays' largest magnitudes (0 when both are all zeros)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    diff = float(np.max(np.abs(a - b))) if a.size else 0.0
    scale = max(
        float(np.max(np.abs(a))) if a.size else 0.0, float(np.max(np.abs(b))) if b.size else 0.0
    )
    if diff == 0.0:
        return 0.0, 0.0
    return diff, diff / scale if scale > 0 else float("inf")


class CrosscheckReport(Report):
    """The loss from each engine and, per parameter and engine pair, the largest differences."""

    headers = ("quantity", "engines", "max abs diff", "max rel diff", "ok")

    def __init__(
        self, losses: dict[str, float], rows: list[CrosscheckRow], rtol: float, description: str
    ) -> None:
        super().__init__(rows)
        self.losses, self.rtol, self.description = losses, rtol, description

    def worst(self) -> CrosscheckRow:
        return max(self.rows, key=lambda r: r.max_rel_diff)

    def summary(self) -> str:
        verdict = "passed" if self.ok else "FAILED"
        losses = ", ".join(f"{k} {v:.12g}" for k, v in self.losses.items())
        return (
            f"crosscheck {verdict} for {self.description}: worst relative difference "
            f"{self.worst().max_rel_diff:.3g} (limit {self.rtol:g}); losses: {losses}"
        )


def crosscheck(
    X,
    y,
    *,
    layer_sizes=(2, 4, 4, 1),
    activation: str = "sigmoid",
    output_activation: str = "sigmoid",
    loss: str = "mse",
    reduction: str = "mean",
    bias: bool = True,
    seed: int | None = 0,
    init: str = "xavier",
    state: dict | None = None,
    rtol: float = 1e-10,
) -> CrosscheckReport:
    """Build ``ValueMLP``, ``TensorMLP`` and ``NumpyMLP`` from one state dict (``state``, or the
    seeded initialisation), run each one's ``loss_and_grads`` on (X, y), and compare every pair.
    Passes when every relative difference is within ``rtol``."""
    kwargs = dict(
        layer_sizes=layer_sizes,
        activation=activation,
        output_activation=output_activation,
        bias=bias,
        seed=seed,
        init=init,
    )
    models = {name: cls(**kwargs) for name, cls in ENGINES.items()}
    state = models["numpy"].state_dict() if state is None else state
    results = {}
    for name, model in models.items():
        model.load_state_dict(state)
        results[name] = model.loss_and_grads(X, y, loss=loss, reduction=reduction)
    rows = []
    for a, b in combinations(models, 2):
        pair = f"{a} vs {b}"
        diff, rel = relative_difference(results[a][0], results[b][0])
        rows.append(CrosscheckRow("loss", pair, diff, rel, rel <= rtol))
        for param in state:
            diff, rel = relative_difference(results[a][1][param], results[b][1][param])
            rows.append(CrosscheckRow(param, pair, diff, rel, rel <= rtol))
    description = f"{models['numpy'].describe()}, {loss}/{reduction}, {np.shape(X)[0]} samples"
    return CrosscheckReport({k: v[0] for k, v in results.items()}, rows, rtol, description)
