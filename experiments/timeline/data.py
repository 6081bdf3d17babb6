"""The timeline's views read one JSON document: this module writes it from a ``Timeline``.

Weights go as numbers, not pictures: the page computes the decision boundary and every neuron's
picture of the input plane itself (``timeline_model.mjs`` runs the network forward, the same
formulas as ``nets``; a test compares the two). Each run carries its own architecture (layer
sizes, activations, bias, parameter shapes), so runs of different widths and depths sit side by
side.

The document is strict JSON (``json.dumps(..., allow_nan=False)`` accepts it):

- a run's parameters at every recorded epoch go as one base64 string of little-endian float32
  (``params_text``; 4 bytes a number where decimal text takes about 20): float32's 7 significant
  digits are far finer than anything the page draws, and keep a 2-32-32-1 run of 10,000 epochs
  recorded every 50 near a megabyte instead of five. Python keeps the float64 weights.
- every other number that is not finite (a diverged run's loss, gradient sizes) travels as the
  string ``"nan"``, ``"inf"`` or ``"-inf"`` (``strict_numbers``); the page reads them back as
  numbers and shows the run as diverged.
"""

from __future__ import annotations

import base64

import numpy as np

from nets.activations import LEAKY_SLOPE

from ..jsondata import json_safe

__all__ = ["timeline_json", "plane_reason", "strict_numbers", "params_text", "page_params"]


def plane_reason(layer_sizes) -> str:
    """Why the input-plane views (boundary, neuron pictures) are absent, or "" when they show."""
    if layer_sizes[0] != 2:
        return (
            f"the network has {layer_sizes[0]} inputs: the boundary and the neurons' pictures "
            "show an input plane, which needs exactly 2"
        )
    return ""


def _plane_box(X: np.ndarray) -> list[float]:
    """The drawn square of the input plane: the data's box, and at least the unit square."""
    if X.shape[1] != 2:
        return [0.0, 1.0, 0.0, 1.0]
    finite = X[np.isfinite(X).all(axis=1)]
    if not len(finite):
        return [0.0, 1.0, 0.0, 1.0]
    lo = np.minimum(finite.min(axis=0), 0.0) - 0.05
    hi = np.maximum(finite.max(axis=0), 1.0) + 0.05
    return [float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])]


def strict_numbers(values) -> list:
    """``values`` (an array or nested list) as lists of numbers where every number that is not
    finite is the string "nan", "inf" or "-inf" (``experiments.jsondata``): strict JSON, read
    back by the page."""
    return json_safe(np.asarray(values, dtype=np.float64))


def page_params(params: np.ndarray) -> np.ndarray:
    """The parameters as the page holds them: rounded to float32 (float64 values past float32's
    range become inf, as a diverged run's weights are)."""
    with np.errstate(over="ignore"):
        return np.asarray(params, dtype=np.float64).astype(np.float32).astype(np.float64)


def params_text(params: np.ndarray) -> str:
    """(epochs, P) parameters as base64 of little-endian float32, row after row."""
    with np.errstate(over="ignore"):
        raw = np.ascontiguousarray(params, dtype=np.float64).astype("<f4").tobytes()
    return base64.b64encode(raw).decode("ascii")


def _run_json(tl, i: int) -> dict:
    run = tl.runs[i]
    sizes = list(run.config["layer_sizes"])
    depth = len(sizes) - 1
    return {
        "label": run.label,
        "lr": run.lr,
        "seed": run.seed,
        "layers": sizes,
        "activations": [run.config["activation"]] * (depth - 1) + [run.config["output_activation"]],
        "bias": bool(run.config["bias"]),
        "shapes": [[name, list(shape)] for name, shape in run.shapes.items()],
        "params": params_text(run.params),
        "loss": strict_numbers(run.loss),
        "accuracy": strict_numbers(run.accuracy),
        "gradNorms": strict_numbers(tl.layer_grad_norms(i)),
    }


def timeline_json(tl, steppers=()) -> dict:
    """The document the views read (see the module's docstring; ``timeline_model.mjs`` names
    every field)."""
    X = np.asarray(tl.X, dtype=np.float64)
    return {
        "epochs": tl.epochs,
        "leakySlope": LEAKY_SLOPE,
        "X": strict_numbers(X),
        "y": strict_numbers(np.asarray(tl.y)[:, 0]),
        "box": _plane_box(X),
        "planeReason": plane_reason(tl.runs[0].config["layer_sizes"]),
        "lossName": f"{tl.loss_name} ({tl.reduction})",
        "runs": [_run_json(tl, i) for i in range(len(tl.runs))],
        "steppers": [_stepper_json(tl, *item) for item in steppers],
    }


def _stepper_json(tl, epoch: int, sample: int, run: int = 0) -> dict:
    s = tl.stepper(epoch, sample, run)
    return {"epoch": epoch, "sample": sample, "run": run, "svg": s.svg, "trace": s.trace.to_json()}
