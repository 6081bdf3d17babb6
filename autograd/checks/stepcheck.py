"""Check a training step as a learner wrote it, and say what is wrong with it in their terms.

``check_step(step, params, loss, lr)`` runs ``step`` (one training step: it updates the arrays of
the dict in place, ``w -= lr * ...``, or returns the updated dict) on fresh copies of ``params``,
takes the step it actually made, divides it by ``-lr`` and compares that, entry by entry, with
central differences of ``loss`` at the starting point: a right step is ``-lr`` times the gradient.

A wrong parameter gets one diagnosis, each found by measurement, never guessed:

- **update order**: its update was computed through another weight the same step had already
  updated (found by tracing the step's reads and writes, ``autograd.checks.tracing``; confirmed,
  when the step's ``lr`` can be set, by the error shrinking in proportion to ``lr``);
- **scale**: every entry is the same multiple ``c`` of the right step (a mean where the loss sums,
  a factor 2, a sign);
- **not updated**: the step left it unchanged;
- otherwise plainly wrong, with the worst entries.
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable, Mapping

import numpy as np

from .derivatives import (
    GradientCheckReport,
    ParameterSummary,
    compare_parameters,
    copy_params,
    entry_label,
    fresh,
    numeric_gradients,
)
from .gradcheck import raise_if_failed
from .tolerance import Tolerance
from .tracing import trace_updates

__all__ = ["check_step", "StepCheckReport", "StepCheckError", "format_scale"]

ORDER_ADVICE = "compute every gradient before updating any weight"


class StepCheckError(ValueError):
    """The step cannot be checked: it returned something other than None or a dict, left out or
    reshaped a parameter, or produced nan or inf."""


class StepCheckReport(GradientCheckReport):
    """``check_gradients``'s report for a step: a row per entry (the step divided by ``-lr``
    against the numeric gradient), a line per parameter (its diagnosis when wrong), notes on
    the step size and on which loss the step descends."""

    headers = ("entry", "step / -lr", "numeric grad", "abs error", "rel error", "ok")
    subject = "step"

    def __init__(self, rows, parameters, tolerance, notes, lr: float, lr_estimated: bool):
        super().__init__(rows, parameters, tolerance, notes)
        self.lr, self.lr_estimated = lr, lr_estimated

    @property
    def diagnoses(self) -> dict[str, str]:
        """Parameter name -> its diagnosis line, for every wrong parameter."""
        return {p.name: str(p) for p in self.parameters if p.diagnosis}


def format_scale(c: float) -> str:
    """``c`` as a learner reads a scale: ``-1``, ``1/k`` or ``-1/k`` when 1/|c| is within 1e-6 of
    an integer k > 1, else 6 significant digits."""
    if abs(c + 1.0) <= 1e-6:
        return "-1"
    if c != 0:
        inverse = 1.0 / abs(c)
        k = round(inverse)
        if k > 1 and abs(inverse - k) <= 1e-6:
            return f"{'-' if c < 0 else ''}1/{k}"
    return f"{c:.6g}"


# -- running the step ---------------------------------------------------------------------------
class _StepRunner:
    """Calls the step with a chosen ``lr``: as its ``lr=`` argument when it takes one, else by
    setting the module-level ``lr`` it reads (restored afterwards), else not at all."""

    def __init__(self, step: Callable, lr: float | None) -> None:
        self.step = step
        self.by_argument = "lr" in _parameters(step)
        module = getattr(step, "__globals__", {})
        self.by_global = (
            not self.by_argument
            and lr is not None
            and _is_real(module.get("lr"))
            and float(module["lr"]) == lr
        )
        self.module = module

    @property
    def can_set_lr(self) -> bool:
        return self.by_argument or self.by_global

    def call(self, params: dict, lr: float | None):
        if self.by_argument and lr is not None:
            return self.step(params, lr=lr)
        if self.by_global and lr is not None:
            saved = self.module["lr"]
            self.module["lr"] = lr
            try:
                return self.step(params)
            finally:
                self.module["lr"] = saved
        return self.step(params)


def _parameters(fn: Callable) -> dict:
    try:
        return dict(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return {}


def _is_real(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(float(x))


def _taken(runner: _StepRunner, base: dict, lr: float | None) -> dict[str, np.ndarray]:
    """The step the learner's code takes from ``base`` (new - old, per parameter)."""
    params = fresh(base)
    returned = runner.call(params, lr)
    if returned is None:
        after = params
    elif isinstance(returned, Mapping):
        after = returned
    else:
        raise StepCheckError(
            "step(params) must update the arrays of params in place and return None, or return "
            f"the updated dict; it returned {type(returned).__name__}"
        )
    missing = [n for n in base if n not in after]
    if missing:
        raise StepCheckError(f"the dict step(params) returned has no {', '.join(missing)}")
    taken = {}
    for name, old in base.items():
        try:
            new = np.array(after[name], dtype=np.float64)
        except (TypeError, ValueError):
            raise StepCheckError(
                f"{name}: the step left a {type(after[name]).__name__}, not an array of numbers"
            ) from None
        if new.shape != old.shape:
            raise StepCheckError(
                f"{name}: the step changed its shape from {old.shape} to {new.shape}"
            )
        if not np.all(np.isfinite(new)):
            raise StepCheckError(f"{name}: the step produced nan or inf (lr {lr})")
        taken[name] = new - old
    return taken


# -- the step size ------------------------------------------------------------------------------
def _along(step: np.ndarray, gradient: np.ndarray) -> tuple[float, float]:
    """The multiple c with ``step ~ c * gradient`` (least squares) and the relative residual."""
    norm = float(np.sum(gradient * gradient))
    if norm == 0:
        return math.nan, math.inf
    c = float(np.sum(step * gradient)) / norm
    size = float(np.linalg.norm(step)) or 1.0
    return c, float(np.linalg.norm(step - c * gradient)) / size


def _estimate_lr(taken: dict, numeric: dict) -> tuple[float, str]:
    """The step size from the parameter whose step lies most exactly along its gradient."""
    best = None
    for name in taken:
        c, residual = _along(-taken[name], numeric[name])
        if c > 0 and (best is None or residual < best[2]):
            best = (name, c, residual)
    if best is None:
        raise StepCheckError(
            "cannot estimate lr: no parameter's step goes down its gradient; set lr in the file "
            "(or pass lr=)"
        )
    name, c, _ = best
    return c, (
        f"lr not given: estimated as {c:.6g} from {name}'s step (the one most exactly along its "
        "gradient); define lr to check the step size too"
    )


# -- diagnoses ----------------------------------------------------------------------------------
def _diagnose(
    summary: ParameterSummary,
    yours: np.ndarray,
    taken: np.ndarray,
    numeric: np.ndarray,
    through: set[str],
    shrink: float | None,
    tolerance: Tolerance,
) -> str:
    """The one-line diagnosis of a wrong parameter (without its name), or "" when it is right."""
    numeric_zero = all(tolerance.passes(0.0, g) for g in numeric.flat)
    if not np.any(taken) and not numeric_zero:
        return "not updated by the step"
    if not summary.wrong:
        return ""
    wrong = f"wrong in {summary.wrong} of {summary.entries} entries"
    shrinks = shrink is not None and 0.05 <= shrink <= 0.2
    if through and (shrinks or shrink is None):
        names = ", ".join(sorted(through))
        were = "were" if len(through) > 1 else "was"
        return f"{wrong}: its step was computed after {names} {were} updated in the same step; " + (
            ORDER_ADVICE
        )
    if shrinks:
        return (
            f"{wrong}: its error shrinks in proportion to lr, as when a step is computed through "
            f"weights the same step already updated; {ORDER_ADVICE}"
        )
    c, _ = _along(yours, numeric)
    if (
        math.isfinite(c)
        and c != 0
        and all(tolerance.passes(y, c * g) for y, g in zip(yours.flat, numeric.flat))
    ):
        climbs = ": the step climbs the loss" if c < 0 else ""
        return f"{wrong}: its step is the right step scaled by {format_scale(c)}{climbs}"
    return f"{wrong}: {_worst(yours, numeric, summary.name)}"


def _worst(yours: np.ndarray, numeric: np.ndarray, name: str, count: int = 3) -> str:
    order = np.argsort(-np.abs(yours - numeric).reshape(-1), kind="stable")[:count]
    shown = ", ".join(
        f"{entry_label(name, numeric.shape, int(k))} step/-lr {yours.flat[k]:.6g} vs "
        f"gradient {numeric.flat[k]:.6g}"
        for k in order
    )
    return f"not a multiple of the gradient; worst {shown}"


def _loss_note(parameters: list[ParameterSummary]) -> list[str]:
    """Which loss the step descends, when every parameter is scaled by one 1/k or k."""
    scales = {p.diagnosis.rsplit("scaled by ", 1)[-1] for p in parameters if p.diagnosis}
    if len(scales) != 1 or not all("scaled by" in p.diagnosis for p in parameters):
        return []
    scale = scales.pop()
    if scale.startswith("1/"):
        k = scale[2:]
        return [
            f"every parameter's step is scaled by 1/{k}: the step descends loss/{k}, e.g. a mean "
            f"over {k} samples where loss(params) is their sum"
        ]
    if scale.isdigit():
        return [
            f"every parameter's step is scaled by {scale}: the step descends {scale} x loss, e.g. "
            f"a sum over {scale} samples where loss(params) is their mean"
        ]
    return []


def _check_lr(lr) -> float | None:
    if lr is None:
        return None
    if not _is_real(lr) or float(lr) <= 0:
        raise ValueError(f"lr must be a positive finite number, got {lr!r:.40}")
    return float(lr)


def check_step(
    step: Callable[[dict], Mapping | None],
    params: Mapping[str, np.ndarray],
    loss: Callable[[dict], float],
    lr: float | None = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_on_failure: bool = False,
) -> StepCheckReport:
    """Check one training step, written any way you like, against central differences of
    ``loss``: the step divided by ``-lr`` must equal the gradient at the starting point.

    ``step(params)`` updates the arrays of the dict in place (``w -= lr * ...``) or returns the
    updated dict; it is called on fresh copies, so your arrays are never modified. ``lr`` is
    the step size; without it the step size is estimated (the report says so). When the step
    reads a module-level ``lr`` equal to the given one (or takes an ``lr=`` argument) it is also
    re-run at lr/10, which tells an update-order error (it shrinks with lr) from a wrong
    derivative. The report is truthy when every parameter is right, prints a table and a line
    per parameter, renders as HTML in notebooks, and raises ``GradcheckError`` on request."""
    if not callable(step) or not callable(loss):
        bad = "step" if not callable(step) else "loss"
        raise TypeError(f"check_step needs a callable {bad}")
    tolerance = Tolerance(eps, atol, rtol)
    lr = _check_lr(lr)
    base = copy_params(params)
    numeric = numeric_gradients(loss, base, tolerance)
    runner = _StepRunner(step, lr)
    taken = _taken(runner, base, lr)
    notes = []
    estimated = lr is None
    if estimated:
        lr, note = _estimate_lr(taken, numeric)
        notes.append(note)
    yours = {name: -t / lr for name, t in taken.items()}
    rows, summaries = compare_parameters(yours, numeric, tolerance)
    try:
        through = trace_updates(step, base, lambda s, p: runner.call(p, None if estimated else lr))
    except Exception:  # noqa: BLE001 - the trace is extra evidence; the step's own run counts
        through = {}
    shrink = _shrink(runner, base, lr, yours, numeric, summaries) if not estimated else None
    summaries = [
        s._replace(
            diagnosis=_diagnose(
                s,
                yours[s.name],
                taken[s.name],
                numeric[s.name],
                through.get(s.name, set()),
                shrink.get(s.name) if shrink is not None else None,
                tolerance,
            )
        )
        for s in summaries
    ]
    notes += _loss_note(summaries)
    report = StepCheckReport(rows, summaries, tolerance, notes, lr, estimated)
    raise_if_failed(report, raise_on_failure)
    return report


def _shrink(runner, base, lr, yours, numeric, summaries) -> dict[str, float] | None:
    """Per wrong parameter, error at lr/10 over error at lr (0.1 when the error is in proportion
    to lr); None when the step's lr cannot be set."""
    if not runner.can_set_lr or not any(s.wrong for s in summaries):
        return None
    small = _taken(runner, base, lr / 10)
    out = {}
    for s in summaries:
        error = float(np.linalg.norm(yours[s.name] - numeric[s.name]))
        if s.wrong and error > 0:
            small_error = float(np.linalg.norm(-small[s.name] / (lr / 10) - numeric[s.name]))
            out[s.name] = small_error / error
    return out
