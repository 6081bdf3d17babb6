"""Check a training step as a learner wrote it, and say what is wrong with it in their terms.

``check_step(step, params, loss, lr)`` runs ``step`` (one training step: it updates the arrays of
the dict in place, ``w -= lr * ...``, or returns the updated dict) on fresh copies of ``params``,
takes the step it actually made, divides it by ``-lr`` and compares that, entry by entry, with
central differences of ``loss`` at the starting point: a right step is ``-lr`` times the gradient.

It is two halves: ``measure_step`` runs the learner's code and keeps numbers only
(``StepMeasurements``: the losses around the point, the steps taken, re-runs at other lrs, the
trace); ``judge_step`` makes the report from those numbers without running any code, which lets
``gradstep check`` judge in its own process. A wrong parameter gets one diagnosis, each found by
measurement and confirmed, or said to be unconfirmed, never guessed
(``autograd.checks.diagnoses`` holds each claim's rule):

- **update order**: its update was computed through another weight the same step had already
  updated (the trace, ``autograd.checks.tracing``), confirmed by re-runs at lr/10, lr/100 and
  10 lr with the lr changed where the program really reads it (``LrSetter``: an argument, a
  module global, an attribute or dict entry, a default argument, a number literal; a change
  that leaves the step as it was is no confirmation): the part of step/-lr proportional to lr.
  Named also beside another error in the same parameter ("besides the order, ...") and when the
  program's own lr is so small that the error is inside the tolerance;
- **scale**: one factor for every entry of a parameter of two or more entries, again at a
  second point (a mean where the loss sums, a factor 2, -1: the step climbs the loss);
- **transposed**; **not updated** (the step left it unchanged);
- **not a gradient step**: ``-lr * sign(gradient)`` (Adam's first step) is named and not judged;
  a step that keeps state between calls (momentum) is judged on its first call, with a note;
- otherwise plainly wrong, with the worst entries.

Entries where the loss is not differentiable at the point (one-sided differences disagree: ReLU
or abs at exactly 0) are never wrong, and a point moved off them is preferred; a loss that does
not move when the parameters do gives no verdict.
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable, Iterator, Mapping
from typing import NamedTuple

import numpy as np

from .derivatives import (
    STILL_LOSS,
    GradientCheckReport,
    LossProbe,
    ParameterSummary,
    compare_parameters,
    copy_params,
    entry_label,
    fresh,
    off_kinks,
    probe_loss,
    second_point,
)
from .diagnoses import (
    common_factor,
    describe_factor,
    is_transposed,
    lr_dependence,
    same_factor,
    sign_factor,
    significant,
)
from .gradcheck import raise_if_failed
from .tolerance import Tolerance
from .tracing import trace_updates

__all__ = [
    "check_step",
    "measure_step",
    "judge_step",
    "StepMeasurements",
    "StepCheckReport",
    "StepCheckError",
    "LrSetter",
    "format_scale",
]

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

    def __init__(
        self, rows, parameters, tolerance, notes, lr: float, lr_estimated: bool, no_verdict=None
    ):
        super().__init__(rows, parameters, tolerance, notes, no_verdict)
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


# -- where the lr lives -------------------------------------------------------------------------
LR_NAMES = ("lr", "learning_rate", "eta", "alpha", "step_size", "LR", "LEARNING_RATE", "ETA")


class LrSetter:
    """Runs the step with a chosen lr by changing the lr the program really uses: its ``lr=``
    (or other) argument, a module global, an attribute or dict entry of an object it reads, a
    default argument, or a number literal in its code (and in the module's functions it calls),
    each restored afterwards. ``where`` says which; None when gradstep found none (then ``call``
    runs the step as it is). ``judge_step`` checks that a changed lr changed the step."""

    def __init__(self, step: Callable, lr: float | None) -> None:
        self.step, self.lr, self.where, self._set = step, lr, None, None
        self.candidates = [
            found
            for finder in (_by_argument, _by_global, _by_attribute, _by_literal)
            if (found := finder(step, lr)) is not None
        ]
        if self.candidates:
            self.lr, self.where, self._set = self.candidates[0]

    def others(self) -> Iterator[LrSetter]:
        """The same step with each further place the lr may live (when the first, changed,
        does not change the step)."""
        for found in self.candidates[1:]:
            other = LrSetter.__new__(LrSetter)
            other.step, other.candidates = self.step, [found]
            other.lr, other.where, other._set = found
            yield other

    @property
    def can_set_lr(self) -> bool:
        return self._set is not None

    def call(self, params: dict, lr: float | None):
        if self._set is None or lr is None:
            return self.step(params)
        return self._set(params, lr)


def _is_lr(value, lr: float | None, name: str) -> bool:
    """Is ``value`` the lr: equal to the given one, or (none given) a positive number under an
    lr-like name?"""
    if not _is_real(value) or float(value) <= 0:
        return False
    return float(value) == lr if lr is not None else name in LR_NAMES


def _by_argument(step, lr):
    for name, p in _parameters(step).items():
        default = p.default if p.default is not p.empty else None
        if lr is None and not _is_lr(default, None, name):
            continue  # no lr given and none to read: its value is unknown
        if name in LR_NAMES or (lr is not None and _is_lr(default, lr, name)):
            value = lr if lr is not None else float(default)
            where = f"its argument {name}="
            return value, where, lambda params, new, name=name: step(params, **{name: new})
    return None


def _functions(step) -> list:
    """The step and the module's functions (and its object's methods) it calls, transitively."""
    seen, todo, out = set(), [step], []
    owner = getattr(step, "__self__", None)
    while todo and len(out) < 50:
        fn = todo.pop()
        fn = getattr(fn, "__func__", fn)
        code = getattr(fn, "__code__", None)
        if code is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        out.append(fn)
        names = set(_code_names(code))
        module = getattr(fn, "__globals__", {})
        todo += [module[n] for n in names if inspect.isfunction(module.get(n))]
        if owner is not None:
            todo += [
                getattr(type(owner), n)
                for n in names
                if inspect.isfunction(getattr(type(owner), n, None))
            ]
    return out


def _code_names(code) -> Iterator[str]:
    yield from code.co_names
    for const in code.co_consts:
        if inspect.iscode(const):
            yield from _code_names(const)


def _lr_names_first(names) -> list:
    """``names`` with lr-like ones (``LR_NAMES``) first: a ``beta`` equal to the lr is tried
    after the ``lr`` itself."""
    return sorted(names, key=lambda n: n not in LR_NAMES)


def _by_global(step, lr):
    found = [
        (fn.__globals__, name)
        for fn in _functions(step)
        for name in _code_names(fn.__code__)
        if name in fn.__globals__ and _is_lr(fn.__globals__[name], lr, name)
    ]
    for module, name in sorted(found, key=lambda f: f[1] not in LR_NAMES):  # lr-like first
        return (
            float(module[name]),
            f"the module's global {name}",
            _setting(step, lambda new, m=module, n=name: _swap_item(m, n, new)),
        )
    return None


def _owners(step) -> list[tuple[str, object]]:
    """The objects the step reads its settings from: its ``self``, and the module globals its
    functions name that are neither modules, functions nor numbers."""
    owners = []
    if getattr(step, "__self__", None) is not None:
        owners.append(("self", step.__self__))
    for fn in _functions(step):
        for name in _code_names(fn.__code__):
            value = fn.__globals__.get(name)
            if value is not None and not (
                inspect.ismodule(value) or callable(value) or _is_real(value)
            ):
                owners.append((name, value))
    return owners


def _settings_of(owner) -> dict:
    """An object's settings: a dict's items, else its class's attributes under its own."""
    if isinstance(owner, dict):
        return dict(owner)
    found = dict(getattr(type(owner), "__dict__", {}))
    found.update(getattr(owner, "__dict__", {}))
    return found


def _by_attribute(step, lr):
    for owner_name, owner in _owners(step):
        settings = _settings_of(owner)
        for name in _lr_names_first(n for n in settings if isinstance(n, str)):
            value = settings[name]
            if not _is_lr(value, lr, name):
                continue
            if isinstance(owner, dict):
                where, swap = f"{owner_name}[{name!r}]", _swap_item
            else:
                where, swap = f"{owner_name}.{name}", _swap_attribute
            return (
                float(value),
                where,
                _setting(step, lambda new, o=owner, n=name, swap=swap: swap(o, n, new)),
            )
    return None


def literal_setter(step, estimate: float) -> LrSetter | None:
    """For a step whose lr is not given: a setter for the number literal in its code within
    1e-6 of the ``estimate`` (the step size measured from its step), if there is exactly one."""
    values = {
        c
        for fn in _functions(step)
        for c in _literals(fn.__code__)
        if abs(c - estimate) <= 1e-6 * abs(estimate)
    }
    if len(values) != 1:
        return None
    setter = LrSetter.__new__(LrSetter)
    setter.step = step
    setter.lr, setter.where, setter._set = _by_literal(step, values.pop())
    return setter


def _literals(code) -> Iterator[float]:
    for c in code.co_consts:
        if type(c) is float and c > 0:
            yield c
        elif inspect.iscode(c):
            yield from _literals(c)


def _by_literal(step, lr):
    if lr is None:
        return None
    found = [fn for fn in _functions(step) if _has_literal(fn.__code__, lr)]
    if len(found) != 1:  # none, or the number in several functions: perhaps also something else
        return None
    names = found[0].__name__

    def swap(new):
        saved = [(fn, fn.__code__) for fn in found]
        for fn in found:
            fn.__code__ = _with_literal(fn.__code__, lr, new)
        return lambda: [setattr(fn, "__code__", code) for fn, code in saved]

    return lr, f"the number {lr:g} written in {names}", _setting(step, swap)


def _has_literal(code, lr: float) -> bool:
    return any(
        (type(c) is float and c == lr) or (inspect.iscode(c) and _has_literal(c, lr))
        for c in code.co_consts
    )


def _with_literal(code, lr: float, new: float):
    consts = tuple(
        new
        if type(c) is float and c == lr
        else _with_literal(c, lr, new)
        if inspect.iscode(c)
        else c
        for c in code.co_consts
    )
    return code.replace(co_consts=consts)


def _swap_item(owner, name, new):
    saved = owner[name]
    owner[name] = type(saved)(new) if isinstance(saved, float) else new
    return lambda: owner.__setitem__(name, saved)


def _swap_attribute(owner, name, new):
    own = getattr(owner, "__dict__", {})
    had, saved = name in own, own.get(name)
    setattr(owner, name, new)  # on the instance: a class attribute is shadowed, not changed
    return (lambda: setattr(owner, name, saved)) if had else (lambda: delattr(owner, name))


def _setting(step, swap):
    """A call of the step with the lr swapped in by ``swap(new)`` (which returns the undo)."""

    def call(params, new):
        undo = swap(new)
        try:
            return step(params)
        finally:
            undo()

    return call


def _parameters(fn: Callable) -> dict:
    try:
        return dict(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return {}


def _is_real(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(float(x))


def _taken(runner: LrSetter, base: dict, lr: float | None) -> dict[str, np.ndarray]:
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


# -- measuring: the only part that runs the learner's code ---------------------------------------
class StepMeasurements(NamedTuple):
    """Everything ``judge_step`` needs, as numbers: the ``point`` checked and the loss ``probe``
    there; the ``lr`` (given, or found where the program keeps it: ``lr_where``; None when it is
    to be estimated); the step ``taken`` (new - old) and the same step ``again`` (a step that
    keeps state differs); from re-runs at lr/10, lr/100 and 10 lr the steps ``smaller``,
    ``smallest`` and ``larger`` (None when not run or not finite); ``through`` the trace (per
    parameter, the parameters already updated when its update was computed); ``second``
    (point, probe, taken) at a second point, or None, and ``why_no_second``; ``notes``."""

    point: dict
    probe: LossProbe
    lr: float | None
    lr_where: str | None
    taken: dict
    again: dict
    smaller: dict | None
    smallest: dict | None
    larger: dict | None
    through: dict
    second: tuple | None
    why_no_second: str
    notes: list


def _quiet_taken(runner: LrSetter, base: dict, lr: float) -> dict | None:
    """A re-run's step, or None when the step fails at that lr (nan, overflow, an error)."""
    try:
        return _taken(runner, base, lr)
    except Exception:  # noqa: BLE001 - a re-run is extra evidence; the first run counts
        return None


def _same_steps(a: dict, b: dict) -> bool:
    return all(np.array_equal(a[n], b[n]) for n in a)


def _fails_somewhere(taken: dict, numeric: dict, lr: float | None, tolerance: Tolerance) -> bool:
    if lr is None:
        return True  # not judged here: measure the second point in case
    return any(
        not tolerance.passes(-t / lr, g)
        for n in numeric
        for t, g in zip(taken[n].flat, numeric[n].flat)
    )


def _shrinks(taken: dict, smaller: dict | None) -> bool:
    """Did the step at lr/10 come out about ten times smaller (the lr change took effect)?"""
    if smaller is None:
        return False
    norm = math.sqrt(sum(float(np.sum(t * t)) for t in taken.values()))
    small = math.sqrt(sum(float(np.sum(t * t)) for t in smaller.values()))
    return bool(norm) and 0.05 <= small / norm <= 0.2


def _effective(runner: LrSetter, point: dict, lr: float, taken: dict):
    """The first place of the lr whose change at lr/10 changes the step, and that step (the
    first place and its step when none does)."""
    first = (runner, _quiet_taken(runner, point, lr / 10))
    if _shrinks(taken, first[1]):
        return first
    for other in runner.others():
        if other.lr == lr:
            smaller = _quiet_taken(other, point, lr / 10)
            if _shrinks(taken, smaller):
                return other, smaller
    return first


RECORDED = "the step is the same at every point (a recorded step)"


def _close_steps(a: dict, b: dict) -> bool:
    """Steps equal to rounding: a step that does not change when the weights do."""
    return all(np.allclose(a[n], b[n], rtol=1e-9, atol=0) for n in a)


def measure_step(
    step: Callable, params: Mapping, loss: Callable, lr: float | None, tolerance: Tolerance
) -> StepMeasurements:
    """Run the learner's ``step`` and ``loss`` and keep the numbers ``judge_step`` needs. The
    first call is the judged one (a step that keeps state is judged on it); a step that is the
    same at every point (one recorded step) is checked at its own point only."""
    point = copy_params(params)
    probe = probe_loss(loss, point, tolerance)
    runner = LrSetter(step, lr)
    taken = _taken(runner, point, runner.lr)
    if runner.lr is None:  # perhaps a number written in the code: found from the step's size
        try:
            estimate, _ = _estimate_lr(taken, probe.central(tolerance))
        except StepCheckError:
            estimate = None
        runner = (literal_setter(step, estimate) if estimate else None) or runner
    lr = runner.lr
    again = _taken(runner, point, lr)
    smaller = smallest = larger = second = None
    through: dict = {}
    notes: list = []
    why_no_second = "the step keeps state between calls"
    if _same_steps(taken, again):
        moved = off_kinks(loss, point, probe, tolerance)
        if moved is not None:
            taken_there = _taken(runner, moved[0], lr)
            if not _close_steps(taken_there, taken):
                point, probe, notes = moved
                taken = again = taken_there
        try:
            traced = trace_updates(step, point, lambda s, p: runner.call(p, lr))
            through = {n: sorted(v) for n, v in traced.items()}
        except Exception:  # noqa: BLE001 - the trace is extra evidence; the step's own run counts
            through = {}
        if runner.can_set_lr:
            runner, smaller = _effective(runner, point, lr, taken)
            smallest = _quiet_taken(runner, point, lr / 100)
            larger = _quiet_taken(runner, point, lr * 10)
        why_no_second = "not needed"
        if _fails_somewhere(taken, probe.central(tolerance), lr, tolerance):
            point2 = second_point(point)
            taken2 = _quiet_taken(runner, point2, lr)
            why_no_second = "the step failed there"
            if taken2 is not None and _close_steps(taken2, taken):
                why_no_second = RECORDED
            elif taken2 is not None:
                second = (point2, probe_loss(loss, point2, tolerance), taken2)
    return StepMeasurements(
        point, probe, lr, runner.where, taken, again, smaller, smallest, larger, through,
        second, why_no_second, notes,
    )  # fmt: skip


# -- judging: numbers only ----------------------------------------------------------------------
class _Evidence(NamedTuple):
    """What the judging of each parameter draws on, worked out once per step."""

    lr: float
    numeric: dict
    kinks: dict
    yours: dict
    order: dict  # parameter -> the part of step/-lr proportional to lr (confirmed), if any
    unconfirmed: str  # why an order seen by the trace could not be confirmed
    second: dict  # parameter -> (yours, numeric) at the second point
    no_second: str  # why there is no second point


def _state_note(taken: dict, again: dict) -> str:
    """The note for a step that keeps state between calls (momentum, Adam, a random batch)."""
    first = np.concatenate([taken[n].ravel() for n in taken])
    second = np.concatenate([again[n].ravel() for n in again])
    norm = float(first @ first)
    c = float(first @ second) / norm if norm else math.nan
    exact = math.isfinite(c) and np.allclose(second, c * first, rtol=1e-6, atol=1e-15)
    how = (
        f"its second step is {c:.6g} x its first (as momentum with beta {c - 1:.3g} gives)"
        if exact and c > 1
        else "its second step differs from its first (momentum, Adam, a random batch?)"
    )
    return (
        f"the step keeps state between calls: run twice from the same weights, {how}; only its "
        "first step is judged, and nothing is confirmed by re-runs"
    )


def _noise(point: dict, taken: dict, lr: float) -> dict:
    """Per entry, the rounding in ``-taken / lr`` (the step is new - old in float64)."""
    tiny = np.finfo(float).eps
    return {n: 4 * tiny * (2 * np.abs(point[n]) + np.abs(taken[n])) / lr for n in point}


def _order_evidence(m: StepMeasurements, lr: float, yours: dict) -> tuple[dict, str]:
    """The confirmed lr-proportional part of each parameter's step/-lr, and why it could not be
    confirmed when it could not."""
    if m.lr is None or m.lr_where is None:
        return {}, "gradstep found no lr in the program that it could change"
    if not _same_steps(m.taken, m.again):
        return {}, "the step keeps state between calls"
    if m.smaller is None:
        return {}, "the re-run at lr/10 failed"
    if not _shrinks(m.taken, m.smaller):
        return {}, (
            f"at lr/10 the step did not shrink: {m.lr_where}, which gradstep changed, is not the "
            "lr the step uses"
        )
    noise = _noise(m.point, m.taken, lr)
    noise_small = _noise(m.point, m.smaller, lr / 10)
    order = {}
    # a number literal equal to the lr may also be something else (a slope of 0.1): the trace
    # must back an order found by changing it
    traced_only = m.lr_where.startswith("the number")
    for n in yours:
        if traced_only and not [t for t in m.through.get(n, []) if t != n]:
            continue
        larger = -m.larger[n] / (lr * 10) if m.larger is not None else None
        small = -m.smaller[n] / (lr / 10)
        if lr_dependence(yours[n], small, larger, noise[n] + noise_small[n]) is not None:
            order[n] = yours[n] - _at_zero_lr(small, m.smallest, n, lr, yours[n])
    return order, ""


def _at_zero_lr(
    small: np.ndarray, smallest: dict | None, name: str, lr: float, yours
) -> np.ndarray:
    """step/-lr as lr -> 0 (Richardson: (10 y(l/10) - y(l)) / 9 cancels the term in l), from the
    re-runs at lr/10 and lr/100 (or lr and lr/10 without the smallest)."""
    if smallest is not None:
        return (10 * (-smallest[name] / (lr / 100)) - small) / 9
    return (10 * small - yours) / 9


def _worst(yours: np.ndarray, numeric: np.ndarray, name: str, count: int = 3) -> str:
    order = np.argsort(-np.abs(yours - numeric).reshape(-1), kind="stable")[:count]
    shown = ", ".join(
        f"{entry_label(name, numeric.shape, int(k))} step/-lr {yours.flat[k]:.6g} vs "
        f"gradient {numeric.flat[k]:.6g}"
        for k in order
    )
    return f"not a multiple of the gradient; worst {shown}"


def _plain(name: str, yours, numeric, kinks, ev: _Evidence, tolerance: Tolerance) -> str:
    """What is wrong with a step that has no order problem: a transpose, a scale that holds at
    two points, else the worst entries."""
    if is_transposed(yours, numeric, tolerance, kinks):
        return "its step is the transpose of the right one"
    if yours.size == 1:
        y, g = float(yours.flat[0]), float(numeric.flat[0])
        ratio = f", {format_scale(y / g)} x" if g else ""
        return (
            f"step/-lr {y:.6g} vs gradient {g:.6g}{ratio} (one entry: no scale is claimed for "
            "it, a factor cannot be told from a wrong derivative)"
        )
    c = common_factor(yours, numeric, tolerance, kinks)
    if c is None:
        return _worst(yours, numeric, name)
    climbs = ": the step climbs the loss" if c < 0 else ""
    if name not in ev.second:
        return (
            f"its step is the right step scaled by {format_scale(c)} here{climbs} (not confirmed "
            f"at a second point: {ev.no_second})"
        )
    c2 = common_factor(*ev.second[name], tolerance)
    if same_factor(c, c2, tolerance):
        return f"its step is {describe_factor(c, 'step')}{climbs}"
    other = f"{c2:.6g} x" if c2 is not None else "no multiple"
    return f"not a multiple of the gradient: {c:.6g} x here, {other} at another point"


def _order_line(name, summary, yours, numeric, kinks, through, ev, tolerance) -> str:
    part = ev.order[name]
    wrong = f"wrong in {summary.wrong} of {summary.entries} entries"
    if through:
        were = "were" if len(through) > 1 else "was"
        line = f"its step was computed after {', '.join(through)} {were} updated in the same step"
    else:
        line = (
            "its error shrinks in proportion to lr, as when a step is computed through weights "
            "the same step already updated"
        )
    if not summary.wrong:
        wrong = f"wrong (inside the tolerance at lr {ev.lr:g}, but growing with lr)"
    rest = yours - part
    if not all(
        tolerance.passes(r, g) for r, g, k in zip(rest.flat, numeric.flat, kinks.flat) if not k
    ):
        besides = _plain(name, rest, numeric, kinks, ev._replace(second={}), tolerance)
        line += f"; besides the order, {besides}"
    return f"{wrong}: {line}; {ORDER_ADVICE}"


def _diagnose(
    summary: ParameterSummary, m: StepMeasurements, ev: _Evidence, tolerance
) -> ParameterSummary:
    """The parameter's summary with its diagnosis (and whether it is judged at all)."""
    n = summary.name
    yours, numeric, kinks = ev.yours[n], ev.numeric[n], ev.kinks[n]
    through = [t for t in m.through.get(n, []) if t != n]
    if not np.any(m.taken[n]) and np.any(significant(numeric, tolerance) & ~kinks):
        return summary._replace(diagnosis="not updated by the step")
    if n in ev.order:
        return summary._replace(
            diagnosis=_order_line(n, summary, yours, numeric, kinks, through, ev, tolerance)
        )
    if not summary.wrong:
        return summary
    c = sign_factor(yours, numeric, tolerance, kinks)
    if c is not None:
        return summary._replace(
            judged=False,
            diagnosis=(
                f"not a gradient step: every entry moves by the same {c * ev.lr:.3g} against "
                "the sign of its gradient (-lr x sign(gradient)), as Adam's first step does "
                "(m / sqrt(v) = g / |g|); gradstep judges plain gradient steps"
            ),
        )
    wrong = f"wrong in {summary.wrong} of {summary.entries} entries"
    if through:
        were = "were" if len(through) > 1 else "was"
        return summary._replace(
            diagnosis=(
                f"{wrong}: its step was computed after {', '.join(through)} {were} updated in "
                "the same step (seen by tracing its reads and writes; could not confirm by a "
                f"re-run at a smaller lr: {ev.unconfirmed}); {ORDER_ADVICE}"
            )
        )
    return summary._replace(diagnosis=f"{wrong}: {_plain(n, yours, numeric, kinks, ev, tolerance)}")


def _loss_note(parameters: list[ParameterSummary]) -> list[str]:
    """Which loss the step descends, when every parameter of two or more entries is scaled by
    one 1/k or k and every one-entry parameter by the same ratio."""
    single = [p for p in parameters if p.entries == 1]
    many = [p for p in parameters if p.entries > 1]
    scales = {
        p.diagnosis.rsplit("scaled by ", 1)[-1].split(" ")[0].rstrip(":")
        for p in many
        if p.diagnosis
    }
    if not many or len(scales) != 1 or not all("scaled by" in p.diagnosis for p in many):
        return []
    scale = scales.pop()
    if not all(f", {scale} x (one entry" in p.diagnosis for p in single):
        return []
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


def judge_step(m: StepMeasurements, tolerance: Tolerance) -> StepCheckReport:
    """The report from the numbers alone (no learner code runs): the step divided by ``-lr``
    against the central differences, entry by entry; kinks never wrong; each wrong parameter
    diagnosed by the claims of ``autograd.checks.diagnoses``, each confirmed or not made."""
    numeric = m.probe.central(tolerance)
    kinks = m.probe.kinks(tolerance)
    notes = list(m.notes)
    lr, estimated = m.lr, m.lr is None
    if estimated:
        lr, note = _estimate_lr(m.taken, numeric)
        notes.append(note)
    elif m.lr_where is not None and m.lr_where != "the module's global lr":
        notes.append(f"lr {lr:g}, read from {m.lr_where}")
    yours = {n: -t / lr for n, t in m.taken.items()}
    rows, summaries = compare_parameters(yours, numeric, tolerance, kinks)
    order, unconfirmed = _order_evidence(m, lr, yours) if not estimated else ({}, "lr not known")
    second, no_second = {}, m.why_no_second
    if m.second is not None:
        point2, probe2, taken2 = m.second
        numeric2 = probe2.central(tolerance)
        second = {n: (-taken2[n] / lr, numeric2[n]) for n in numeric}
    if not _same_steps(m.taken, m.again):
        notes.append(_state_note(m.taken, m.again))
    ev = _Evidence(lr, numeric, kinks, yours, order, unconfirmed, second, no_second)
    summaries = [_diagnose(s, m, ev, tolerance) for s in summaries]
    notes += _loss_note(summaries)
    still = STILL_LOSS if m.probe.still() else None
    return StepCheckReport(rows, summaries, tolerance, notes, lr, estimated, no_verdict=still)


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
    the step size; without it gradstep looks for it where the program keeps it (an ``lr=``
    argument, a global, an attribute) or estimates it (the report says so). The step is re-run
    at lr/10 and 10 lr with the lr changed where the program really reads it (an argument, a
    module global, an attribute, a default argument or a number literal in its code): an error
    that shrinks with lr is an update-order error, told apart from a wrong derivative even when
    both are in one parameter. Entries where the loss is not differentiable are never wrong; a
    scale is claimed only when it holds at a second point; a sign step (Adam's first) is named,
    not judged; a loss that does not move gives no verdict. This is
    ``judge_step(measure_step(...))``. The report is truthy when every parameter is right,
    prints a table and a line per parameter, renders as HTML in notebooks, and raises
    ``GradcheckError`` on request."""
    if not callable(step) or not callable(loss):
        bad = "step" if not callable(step) else "loss"
        raise TypeError(f"check_step needs a callable {bad}")
    tolerance = Tolerance(eps, atol, rtol)
    measured = measure_step(step, params, loss, _check_lr(lr), tolerance)
    report = judge_step(measured, tolerance)
    raise_if_failed(report, raise_on_failure)
    return report
