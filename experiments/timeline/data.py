"""The timeline's views read one JSON document: this module writes it from a ``Timeline``.

Weights go as numbers, not pictures: the page computes the decision boundary and every neuron's
picture of the input plane itself (``timeline_model.mjs`` runs the network forward, the same
formulas as ``nets``; a test compares the two), so a 10,000-epoch run recorded every 50 epochs
stays well under a megabyte."""

from __future__ import annotations

import numpy as np

from nets.activations import LEAKY_SLOPE

__all__ = ["timeline_json", "plane_reason"]


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
    lo = np.minimum(X.min(axis=0), 0.0) - 0.05
    hi = np.maximum(X.max(axis=0), 1.0) + 0.05
    return [float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])]


def timeline_json(tl, steppers=()) -> dict:
    sizes = list(tl.config["layer_sizes"])
    depth = len(sizes) - 1
    acts = [tl.config["activation"]] * (depth - 1) + [tl.config["output_activation"]]
    runs = []
    for i, run in enumerate(tl.runs):
        runs.append(
            {
                "label": run.label,
                "lr": run.lr,
                "seed": run.seed,
                "params": run.params.tolist(),
                "loss": run.loss.tolist(),
                "accuracy": run.accuracy.tolist(),
                "gradNorms": tl.layer_grad_norms(i).tolist(),
            }
        )
    return {
        "epochs": tl.epochs,
        "layers": sizes,
        "activations": acts,
        "leakySlope": LEAKY_SLOPE,
        "bias": bool(tl.config["bias"]),
        "shapes": [[name, list(shape)] for name, shape in tl.shapes.items()],
        "X": np.asarray(tl.X).tolist(),
        "y": np.asarray(tl.y)[:, 0].tolist(),
        "box": _plane_box(np.asarray(tl.X)),
        "planeReason": plane_reason(sizes),
        "lossName": f"{tl.loss_name} ({tl.reduction})",
        "runs": runs,
        "steppers": [_stepper_json(tl, *item) for item in steppers],
    }


def _stepper_json(tl, epoch: int, sample: int, run: int = 0) -> dict:
    s = tl.stepper(epoch, sample, run)
    return {"epoch": epoch, "sample": sample, "run": run, "svg": s.svg, "trace": s.trace.to_json()}
