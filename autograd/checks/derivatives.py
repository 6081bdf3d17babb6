"""Check your own derivatives: an op's over many points, and a hand-written numpy backward.

- ``check_op(op)``: the op's derivatives (from ``backward``, so the local derivatives it
  declares) against central differences at sample points: a grid plus seeded random points in a
  domain (default [-3, 3]), skipping points where the forward is not finite. Works for ops made
  with ``define_op`` / ``define_tensor_op`` and for built-ins (``Value.tanh``, ``lambda a, b:
  a / b``).
- ``check_gradients(loss, grads, params)``: the user's own numpy functions, ``loss(params) ->
  float`` and ``grads(params) -> {name: array}``, compared entry by entry with central
  differences of ``loss``, with a summary of which parameters are wrong and by how much.

Both return a report that prints as a table, renders as HTML in notebooks, is truthy when every
row passes, and raises ``GradcheckError`` on request (``raise_on_failure=True``). The central
difference, the pass rule and the rows are ``autograd.checks.tolerance``'s, as in every check.
"""

from __future__ import annotations

import html
import inspect
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

import numpy as np

from ..graph import Node, no_grad
from ..tensor import Tensor
from ..value import Value
from ..views.display import Report, html_table
from .gradcheck import failure_message, gradcheck, raise_if_failed
from .tolerance import CheckRow, Tolerance

__all__ = [
    "check_op",
    "check_gradients",
    "OpCheckReport",
    "GradientCheckReport",
    "ParameterSummary",
    "GradientMismatchError",
    "BadLossError",
    "failure_message",
    "loss_number",
    "LossProbe",
    "GradientMeasurements",
    "probe_loss",
    "choose_point",
    "off_kinks",
    "second_point",
    "measure_gradients",
    "judge_gradients",
    "numeric_gradients",
    "compare_parameters",
]

Domain = tuple[float, float]


class GradientMismatchError(ValueError):
    """``grads(params)`` left out a parameter, named an unknown one, or gave a wrong shape."""


class BadLossError(TypeError):
    """``loss(params)`` returned something that is not one real number (None, a string, a
    bool, a complex number, an array of several)."""


def loss_number(value, what: str = "loss(params)") -> float:
    """``value`` as a float when it is one real number (a float, an int, a numpy real scalar or
    one-element real array); anything else is a ``BadLossError`` naming what it was. Strings,
    bools and complex numbers are refused rather than converted."""
    if isinstance(value, (bool, np.bool_)) or value is None or isinstance(value, (str, bytes)):
        raise BadLossError(f"{what} must return one real number, got {value!r:.60}")
    if isinstance(value, Node):
        value = value.data
    array = np.asarray(value) if isinstance(value, (numbers.Number, np.ndarray, list)) else None
    if array is None or array.dtype.kind not in "iuf" or array.size != 1:
        kind = type(value).__name__
        if array is not None and array.dtype.kind == "c":
            detail = " (complex: take the real loss)"
        elif array is not None and array.size != 1:
            detail = f" of shape {array.shape}"
        else:
            detail = ""
        raise BadLossError(f"{what} must return one real number, got {kind}{detail}")
    return float(array.reshape(-1)[0])


# -- check_op -------------------------------------------------------------------------------------
class OpCheckReport(Report):
    """One row per (sample point, input): declared and numeric derivative, errors, ok. A row's
    ``where`` is the point, its ``label`` the derivative (``dtanh/dx``)."""

    headers = ("point", "derivative", "declared", "numeric", "abs error", "rel error", "ok")

    def __init__(self, name, rows, points, skipped, tolerance: Tolerance) -> None:
        super().__init__(rows)
        self.name, self.points, self.skipped = name, points, skipped
        self.tolerance = tolerance
        self.eps, self.atol, self.rtol = tolerance.eps, tolerance.atol, tolerance.rtol

    def cells(self, rows) -> list[tuple]:
        return [(r.where, *r[:6]) for r in rows]

    def summary(self) -> str:
        bad = self.failures()
        skipped = f", {self.skipped} skipped (forward not finite)" if self.skipped else ""
        head = (
            f"check_op {self.name!r}: {len(self.rows)} derivatives at {self.points} points"
            f"{skipped}, {self.tolerance.describe()}"
        )
        if not self.rows:
            return head + ": nothing checked (no point had a finite forward)"
        if not bad:
            return head + ": passed"
        worst = max(bad, key=lambda r: r.abs_error if r.abs_error == r.abs_error else np.inf)
        return (
            f"{head}: FAILED ({len(bad)} of {len(self.rows)}); worst at {worst.where}: "
            f"{worst.label} declared {worst.analytic:.6g}, numeric {worst.numeric:.6g}"
        )

    @property
    def ok(self) -> bool:
        return bool(self.rows) and all(r.ok for r in self.rows)


def _op_name(op) -> str:
    return getattr(op, "name", None) or getattr(op, "__name__", None) or repr(op)


def _signature_names(op) -> list[str] | None:
    """The op's input names from its signature (``forward`` for a user-defined op)."""
    fn = getattr(op, "forward", op)
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    return [
        "x" if p.name == "self" else p.name  # a method as an op: Value.tanh reads d tanh/dx
        for p in params
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]


def _domains(domain, arity: int) -> list[Domain]:
    if (
        isinstance(domain, Sequence)
        and len(domain) == 2
        and all(isinstance(d, numbers.Real) for d in domain)
    ):
        domains = [tuple(domain)] * arity
    else:
        domains = [tuple(d) for d in domain]
        if len(domains) != arity:
            raise ValueError(f"domain gives {len(domains)} ranges for an op of {arity} inputs")
    for lo, hi in domains:
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise ValueError(f"a domain must be (low, high) with finite low < high, got {(lo, hi)}")
    return domains


def _sample_points(domains: list[Domain], grid: int | None, n_random: int, seed: int):
    """A grid (an even count per axis, so it never lands on 0 in a symmetric domain, where
    abs and relu have kinks) plus seeded uniform random points."""
    arity = len(domains)
    if grid is None:
        grid = max(2, int(round(16 ** (1 / arity))) // 2 * 2)
    axes = [np.linspace(lo, hi, grid) for lo, hi in domains] if grid else []
    points = [tuple(map(float, p)) for p in np.array(np.meshgrid(*axes)).reshape(arity, -1).T]
    if not grid:
        points = []
    rng = np.random.default_rng(seed)
    for _ in range(n_random):
        points.append(tuple(float(rng.uniform(lo, hi)) for lo, hi in domains))
    return points


def check_op(
    op: Callable,
    *,
    arity: int | None = None,
    domain: Domain | Sequence[Domain] = (-3.0, 3.0),
    points: Sequence | None = None,
    grid: int | None = None,
    n_random: int = 8,
    shape: tuple | Sequence[tuple] = (3,),
    seed: int = 0,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_on_failure: bool = False,
) -> OpCheckReport:
    """Check ``op``'s derivatives against central differences at many points.

    ``op`` takes nodes and returns one (a ``define_op`` / ``define_tensor_op`` result, a built-in
    method such as ``Value.tanh``, or any function of nodes). Its number of inputs comes from its
    signature unless ``arity`` says. Value ops are checked at ``points`` (tuples of floats) if
    given, else on a grid (``grid`` per axis; by default about 16 points in all) plus
    ``n_random`` seeded random points, all inside ``domain`` (one ``(low, high)`` for every
    input, or one per input). Tensor ops (``define_tensor_op`` results) are checked with full
    Jacobians at ``n_random`` random arrays of ``shape`` (one shape, or one per input). Points
    where the forward (or a perturbed forward) is not finite are skipped and counted."""
    name = _op_name(op)
    if not callable(op):
        raise TypeError(f"check_op needs a callable op, got {type(op).__name__}")
    tolerance = Tolerance(eps, atol, rtol)
    names = _signature_names(op)
    if arity is None:
        if not names:
            raise ValueError(f"cannot tell how many inputs {name!r} takes; pass arity=")
        arity = len(names)
    if names is None or len(names) != arity:
        names = [f"x{i}" for i in range(arity)]
    if getattr(op, "kind", "value") == "tensor":
        return _check_tensor_op(
            op, name, names, domain, shape, n_random, seed, tolerance, raise_on_failure
        )
    domains = _domains(domain, arity)
    if points is None:
        points = _sample_points(domains, grid, n_random, seed)
    rows, skipped, used = [], 0, 0
    for point in points:
        point = tuple(float(v) for v in (point if isinstance(point, Sequence) else (point,)))
        if len(point) != arity:
            raise ValueError(f"point {point} has {len(point)} values; {name!r} takes {arity}")
        checked = _check_at(op, name, names, point, tolerance)
        if checked is None:
            skipped += 1
            continue
        used += 1
        rows += checked
    report = OpCheckReport(name, rows, used, skipped, tolerance)
    raise_if_failed(report, raise_on_failure)
    return report


def _evaluate(op, name: str, xs) -> float:
    out = op(*[Value(x) for x in xs])
    if not isinstance(out, Value):
        raise TypeError(f"op {name!r} must return a Value, got {type(out).__name__}")
    return out.data


def _check_at(op, name, names, point, tolerance: Tolerance) -> list[CheckRow] | None:
    inputs = [Value(x, label=n) for x, n in zip(point, names)]
    out = op(*inputs)
    if not isinstance(out, Value):
        raise TypeError(f"op {name!r} must return a Value, got {type(out).__name__}")
    if not np.isfinite(out.data):
        return None
    out.backward()
    where = ", ".join(f"{n}={x:.6g}" for n, x in zip(names, point))
    rows = []
    with no_grad():
        for i, n in enumerate(names):

            def moved(h, i=i):
                shifted = list(point)
                shifted[i] += h
                return _evaluate(op, name, shifted)

            numeric = tolerance.central_difference(moved)
            if not np.isfinite(numeric):  # a perturbed forward left the domain
                return None
            rows.append(tolerance.row(f"d{name}/d{n}", inputs[i].grad, numeric, where))
    return rows


def _check_tensor_op(
    op, name, names, domain, shape, n_random, seed, tolerance: Tolerance, raise_on_failure
) -> OpCheckReport:
    arity = len(names)
    domains = _domains(domain, arity)
    shapes = [tuple(shape)] * arity if all(isinstance(s, int) for s in shape) else list(shape)
    if len(shapes) != arity:
        raise ValueError(f"shape gives {len(shapes)} shapes for an op of {arity} inputs")
    rng = np.random.default_rng(seed)
    rows, skipped, used = [], 0, 0
    for k in range(max(1, n_random // 4)):
        inputs = [
            Tensor(rng.uniform(lo, hi, s), label=n)
            for (lo, hi), s, n in zip(domains, shapes, names)
        ]
        with no_grad():
            if not np.all(np.isfinite(op(*inputs).data)):
                skipped += 1
                continue
        report = gradcheck(
            op,
            inputs,
            eps=tolerance.eps,
            atol=tolerance.atol,
            rtol=tolerance.rtol,
            raise_on_failure=False,
        )
        if not all(np.isfinite(r.numeric) for r in report.rows):
            skipped += 1
            continue
        used += 1
        rows += [r._replace(label=f"d{name}/d{r.label}", where=f"#{k}") for r in report.rows]
    report = OpCheckReport(name, rows, used, skipped, tolerance)
    raise_if_failed(report, raise_on_failure)
    return report


# -- check_gradients ------------------------------------------------------------------------------
class ParameterSummary(NamedTuple):
    """One parameter's verdict. ``diagnosis`` says what is wrong in the learner's terms (scale,
    sign, transposed; for a step also update order, not updated), else empty. ``kinked`` counts
    the entries where the loss is not differentiable at the point (never wrong); ``judged`` is
    False when the derivative is not one gradstep judges (a step that is not a gradient step:
    ``diagnosis`` names it)."""

    name: str
    entries: int
    wrong: int
    worst_abs_error: float
    worst_rel_error: float
    diagnosis: str = ""
    kinked: int = 0
    judged: bool = True

    def __str__(self) -> str:
        kinks = f"; {self.kinked} not differentiable here" if self.kinked else ""
        if self.diagnosis:
            return f"{self.name}: {self.diagnosis}{kinks}"
        if not self.wrong:
            return (
                f"{self.name}: ok ({self.entries} entries, worst abs error "
                f"{self.worst_abs_error:.3g}{kinks})"
            )
        return (
            f"{self.name}: WRONG in {self.wrong} of {self.entries} entries, worst abs error "
            f"{self.worst_abs_error:.3g}, worst rel error {self.worst_rel_error:.3g}{kinks}"
        )


class GradientCheckReport(Report):
    """One row per parameter entry (``W1[0,2]``: yours, numeric, errors, ok) and a summary per
    parameter; ``wrong`` lists the parameters with any failing entry. ``notes`` are lines
    printed above the verdict (how a step size was found, which loss a step descends).
    ``no_verdict`` is the reason when the check could not judge at all (a loss that does not
    move when the parameters do); ``status`` is ``ok``, ``wrong`` or ``no verdict``."""

    headers = ("entry", "yours", "numeric", "abs error", "rel error", "ok")
    subject = "gradients"

    def __init__(
        self,
        rows,
        parameters: list[ParameterSummary],
        tolerance: Tolerance,
        notes: Sequence[str] = (),
        no_verdict: str | None = None,
    ) -> None:
        super().__init__(rows)
        self.parameters = parameters
        self.tolerance, self.notes = tolerance, list(notes)
        self.eps, self.atol, self.rtol = tolerance.eps, tolerance.atol, tolerance.rtol
        self.no_verdict = no_verdict

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def status(self) -> str:
        if self.no_verdict or not self.rows:
            return "no verdict"
        if self.wrong:
            return "wrong"
        return "no verdict" if self.unjudged else "ok"

    @property
    def wrong(self) -> list[str]:
        return [p.name for p in self.parameters if p.judged and (p.wrong or p.diagnosis)]

    @property
    def unjudged(self) -> list[str]:
        """Parameters whose derivative is not one gradstep judges (their diagnosis says why)."""
        return [p.name for p in self.parameters if not p.judged]

    def verdict(self) -> str:
        if self.no_verdict:
            return f"no verdict: {self.no_verdict}"
        wrong, unjudged = self.wrong, self.unjudged
        if wrong:
            return f"{self.subject} WRONG for {', '.join(wrong)}"
        if unjudged:
            return f"no verdict for {', '.join(unjudged)}: not a plain gradient {self.subject}"
        return f"{self.subject} right for all {len(self.parameters)} parameters"

    def summary(self) -> str:
        lines = [str(p) for p in self.parameters] + self.notes
        lines.append(f"{self.verdict()} ({len(self.rows)} entries, {self.tolerance.describe()})")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        summary = html_table(
            ("parameter", "entries", "wrong", "worst abs error", "worst rel error", "diagnosis"),
            [tuple(p)[:6] for p in self.parameters],
            caption=self.summary().splitlines()[-1],
            bad_rows=[bool(p.wrong or p.diagnosis) for p in self.parameters],
        )
        notes = "".join(f"<p>{html.escape(n)}</p>" for n in self.notes)
        entries = html_table(
            self.headers, self.cells(self.rows), bad_rows=[not r.ok for r in self.rows]
        )
        return summary + notes + entries


def entry_label(name: str, shape: tuple, k: int) -> str:
    """``W1[0,2]``: flat entry ``k`` of a parameter of ``shape`` (a scalar: the name alone)."""
    if not shape:
        return name
    return f"{name}[{','.join(str(int(i)) for i in np.unravel_index(k, shape))}]"


def copy_params(params) -> dict[str, np.ndarray]:
    """A float64 copy of a non-empty dict of name -> array of real numbers (nodes give their
    data); anything else is a ``TypeError`` naming the parameter."""
    if not isinstance(params, Mapping) or not params:
        raise TypeError(
            f"params must be a non-empty dict of name -> array, got {type(params).__name__}"
        )
    out = {}
    for name, value in params.items():
        if not isinstance(name, str):
            raise TypeError(f"params' names must be strings, got {type(name).__name__} {name!r}")
        if isinstance(value, Node):
            value = value.data
        array = np.asarray(value) if not isinstance(value, (str, bytes)) else None
        if array is None or array.dtype.kind not in "biuf" or array.dtype == bool:
            kind = (
                type(value).__name__
                if array is None
                else f"{type(value).__name__} of {array.dtype}"
            )
            raise TypeError(f"parameter {name!r} must be an array of real numbers, got {kind}")
        out[name] = np.array(array, dtype=np.float64)
    return out


def fresh(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Copies of every array: what each call of the user's code gets."""
    return {k: v.copy() for k, v in params.items()}


def _moved_point(base: dict[str, np.ndarray], scale: float, seed: int) -> dict[str, np.ndarray]:
    """``base`` with every entry moved by a seeded normal times ``scale * (|x| + 0.1)``."""
    rng = np.random.default_rng(seed)
    return {
        k: v + scale * (np.abs(v) + 0.1) * rng.standard_normal(v.shape) for k, v in base.items()
    }


class LossProbe(NamedTuple):
    """The loss around one point: ``base`` = f(x), per parameter ``plus[k]`` = f(x + eps e_k)
    and ``minus[k]`` = f(x - eps e_k); ``plus2``/``minus2`` the same at 2 eps where the one-sided
    differences disagree (nan elsewhere, see ``diagnoses.kinked``); ``moved`` = f at a seeded
    move of every entry by about 1e-3 of its size. Numbers only: the judging needs no code."""

    base: float
    plus: dict
    minus: dict
    plus2: dict
    minus2: dict
    moved: float

    def central(self, tolerance: Tolerance) -> dict[str, np.ndarray]:
        """The central differences, by the one formula (``Tolerance.central_difference``)."""
        return {
            n: tolerance.central_difference(lambda h, n=n: self.plus[n] if h > 0 else self.minus[n])
            for n in self.plus
        }

    def kinks(self, tolerance: Tolerance) -> dict[str, np.ndarray]:
        """Per parameter, the entries where the loss is not differentiable at the point."""
        from .diagnoses import kinked

        eps = tolerance.eps
        out = {}
        for n in self.plus:
            right, left = (self.plus[n] - self.base) / eps, (self.base - self.minus[n]) / eps
            right2 = (self.plus2[n] - self.base) / (2 * eps)
            left2 = (self.base - self.minus2[n]) / (2 * eps)
            size = max(abs(self.base), float(np.max(np.abs(self.plus[n]), initial=0.0)))
            noise = 1e3 * np.finfo(float).eps * size / eps  # rounding in a one-sided slope
            out[n] = kinked(right, left, right2, left2, tolerance) & (np.abs(right - left) > noise)
        return out

    def still(self) -> bool:
        """True when the loss did not move at all: every perturbed value equals f(x) exactly
        (the loss does not read its argument)."""
        same = all(
            np.all(self.plus[n] == self.base) and np.all(self.minus[n] == self.base)
            for n in self.plus
        )
        return bool(same and self.moved == self.base)


def probe_loss(
    loss: Callable, base: dict[str, np.ndarray], tolerance: Tolerance, *, extras: bool = True
) -> LossProbe:
    """Evaluate ``loss`` around ``base``: at x +- eps in every entry, and (``extras``) at
    +- 2 eps where the one-sided differences disagree and at one seeded move of every entry."""

    def at(name, k, h):
        shifted = fresh(base)
        shifted[name].flat[k] += h
        return loss_number(loss(shifted))

    f0 = loss_number(loss(fresh(base))) if extras else math.nan
    plus, minus, plus2, minus2 = {}, {}, {}, {}
    for name, value in base.items():
        p, m = np.empty(value.shape), np.empty(value.shape)
        for k in range(value.size):
            p.flat[k], m.flat[k] = at(name, k, tolerance.eps), at(name, k, -tolerance.eps)
        plus[name], minus[name] = p, m
        p2, m2 = np.full(value.shape, np.nan), np.full(value.shape, np.nan)
        if extras:
            right, left = (p - f0) / tolerance.eps, (f0 - m) / tolerance.eps
            for k in np.flatnonzero(
                ~(np.abs(right - left) <= tolerance.atol + tolerance.rtol * np.abs(left))
            ):
                p2.flat[k], m2.flat[k] = (
                    at(name, k, 2 * tolerance.eps),
                    at(name, k, -2 * tolerance.eps),
                )
        plus2[name], minus2[name] = p2, m2
    moved = loss_number(loss(_moved_point(base, 1e-3, 7))) if extras else math.nan
    return LossProbe(f0, plus, minus, plus2, minus2, moved)


def numeric_gradients(
    loss: Callable, base: dict[str, np.ndarray], tolerance: Tolerance
) -> dict[str, np.ndarray]:
    """Central differences of ``loss`` at ``base``, entry by entry, for every parameter."""
    return probe_loss(loss, base, tolerance, extras=False).central(tolerance)


def compare_parameters(
    yours: dict[str, np.ndarray],
    numeric: dict[str, np.ndarray],
    tolerance: Tolerance,
    kinks: dict[str, np.ndarray] | None = None,
) -> tuple[list[CheckRow], list[ParameterSummary]]:
    """Rows for every entry and a summary per parameter: ``yours`` against ``numeric``. An entry
    in ``kinks`` (the loss is not differentiable there) is labelled so and never wrong."""
    rows, summaries = [], []
    for name, target in numeric.items():
        kink = kinks[name] if kinks is not None else np.zeros(target.shape, bool)
        mine_rows = []
        for k in range(target.size):
            row = tolerance.row(
                entry_label(name, target.shape, k), yours[name].flat[k], target.flat[k]
            )
            if kink.flat[k]:
                row = row._replace(label=row.label + " (not differentiable here)", ok=True)
            mine_rows.append(row)
        rows += mine_rows
        wrong = [r for r in mine_rows if not r.ok]
        summaries.append(
            ParameterSummary(
                name,
                len(mine_rows),
                len(wrong),
                max((r.abs_error for r in mine_rows), default=0.0),
                max((r.rel_error for r in (wrong or mine_rows)), default=0.0),
                kinked=int(np.count_nonzero(kink)),
            )
        )
    return rows, summaries


def _user_grads(grads: Callable, params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The user's gradients, every problem named at once: missing, unexpected, misshapen or
    non-numeric entries."""
    given = grads(fresh(params))
    if not isinstance(given, Mapping):
        raise TypeError(
            f"grads(params) must return a dict of name -> array, got {type(given).__name__}"
        )
    problems, out = [], {}
    missing = [n for n in params if n not in given]
    unexpected = [str(n) for n in given if n not in params]
    if missing:
        problems.append(f"no gradient for {', '.join(missing)}")
    if unexpected:
        problems.append(f"gradients for unknown parameters {', '.join(unexpected)}")
    for name, value in params.items():
        if name not in given:
            continue
        try:
            g = np.array(given[name], dtype=np.float64)
        except (TypeError, ValueError):
            problems.append(f"{name}: gradient is {type(given[name]).__name__}, not numbers")
            continue
        if g.shape != value.shape:
            hint = " (transposed?)" if g.shape == value.shape[::-1] and g.ndim == 2 else ""
            problems.append(
                f"{name}: gradient has shape {g.shape}, the parameter {value.shape}{hint}"
            )
            continue
        out[name] = g
    if problems:
        raise GradientMismatchError("check_gradients: " + "; ".join(problems))
    return out


class GradientMeasurements(NamedTuple):
    """Everything ``check_gradients`` needs from the learner's code, as numbers: the ``point``
    checked, the ``probe`` of the loss there and ``yours`` (grads(point)); ``second`` the same
    three at a second point (to confirm a scale), or None; ``notes`` on how the point was
    chosen. ``judge_gradients`` turns them into the report without calling any code."""

    point: dict
    probe: LossProbe
    yours: dict
    second: tuple | None
    notes: list


def _kinks_total(probe: LossProbe, tolerance: Tolerance) -> int:
    return sum(int(np.count_nonzero(k)) for k in probe.kinks(tolerance).values())


def choose_point(loss: Callable, base: dict, tolerance: Tolerance) -> tuple[dict, LossProbe, list]:
    """The point to check at: ``base``, unless the loss is not differentiable there in some
    entries (ReLU or abs at exactly 0) and a point moved by about 1e-4 of each entry's size has
    fewer such entries (``off_kinks``); then that point, said in a note."""
    probe = probe_loss(loss, base, tolerance)
    moved = off_kinks(loss, base, probe, tolerance)
    return (base, probe, []) if moved is None else moved


def off_kinks(
    loss: Callable, base: dict, probe: LossProbe, tolerance: Tolerance
) -> tuple[dict, LossProbe, list] | None:
    """A point moved by about 1e-4 of each entry's size, its probe and a note, when ``base`` has
    entries where the loss is not differentiable and the moved point has fewer; else None."""
    kinks = _kinks_total(probe, tolerance)
    if not kinks:
        return None
    nudged = _moved_point(base, 1e-4, 3)
    probe2 = probe_loss(loss, nudged, tolerance)
    if _kinks_total(probe2, tolerance) >= kinks:
        return None
    note = (
        f"at the given parameters the loss is not differentiable in {kinks} entries (a ReLU or "
        "abs at exactly 0): checked at a point moved by about 1e-4 of each entry's size instead"
    )
    return nudged, probe2, [note]


def second_point(base: dict) -> dict:
    """The second point a claimed scale must hold at: every entry moved by about 10%."""
    return _moved_point(base, 0.1, 11)


def measure_gradients(
    loss: Callable, grads: Callable, params: Mapping, tolerance: Tolerance
) -> GradientMeasurements:
    """Run the learner's ``loss`` and ``grads`` and keep the numbers ``judge_gradients`` needs
    (a second point only when some entry fails at the first)."""
    base = copy_params(params)
    yours = _user_grads(grads, base)
    point, probe, notes = choose_point(loss, base, tolerance)
    if point is not base:
        yours = _user_grads(grads, point)
    second = None
    numeric = probe.central(tolerance)
    if any(
        not tolerance.passes(y, g) for n in numeric for y, g in zip(yours[n].flat, numeric[n].flat)
    ):
        point2 = second_point(point)
        second = (point2, probe_loss(loss, point2, tolerance), _user_grads(grads, point2))
    return GradientMeasurements(point, probe, yours, second, notes)


STILL_LOSS = (
    "loss(params) gives the same value however the parameters move, so every numeric gradient "
    "is 0: it does not read its argument (a global instead?)"
)


def _gradient_diagnosis(summary, mine, numeric, kinks, second, tolerance) -> str:
    """A wrong gradient's diagnosis: a scale confirmed at the second point, or a transpose."""
    from .diagnoses import common_factor, describe_factor, is_transposed, same_factor

    if not summary.wrong:
        return ""
    wrong = f"wrong in {summary.wrong} of {summary.entries} entries"
    if is_transposed(mine, numeric, tolerance, kinks):
        return f"{wrong}: your gradient is the transpose of the right one"
    c = common_factor(mine, numeric, tolerance, kinks)
    if c is None:
        return ""
    if second is None:
        return f"{wrong}: {describe_factor(c, 'gradient')} here (not confirmed at a second point)"
    c2 = common_factor(*second, tolerance)
    if same_factor(c, c2, tolerance):
        return f"{wrong}: your gradient is {describe_factor(c, 'gradient')} (at two points)"
    return f"{wrong}: not a multiple of the right gradient ({c:.6g} x here, not at another point)"


def judge_gradients(m: GradientMeasurements, tolerance: Tolerance) -> GradientCheckReport:
    """The report from the numbers alone: entry by entry against the central differences, kinks
    never wrong, diagnoses (scale at two points, transposed), or no verdict for a still loss."""
    numeric = m.probe.central(tolerance)
    kinks = m.probe.kinks(tolerance)
    rows, summaries = compare_parameters(m.yours, numeric, tolerance, kinks)
    seconds = {}
    if m.second is not None:
        point2, probe2, yours2 = m.second
        numeric2 = probe2.central(tolerance)
        seconds = {n: (yours2[n], numeric2[n]) for n in numeric}
    summaries = [
        s._replace(
            diagnosis=_gradient_diagnosis(
                s, m.yours[s.name], numeric[s.name], kinks[s.name], seconds.get(s.name), tolerance
            )
        )
        for s in summaries
    ]
    still = STILL_LOSS if m.probe.still() else None
    return GradientCheckReport(rows, summaries, tolerance, m.notes, no_verdict=still)


def check_gradients(
    loss: Callable[[dict], float],
    grads: Callable[[dict], Mapping],
    params: Mapping[str, np.ndarray],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_on_failure: bool = False,
) -> GradientCheckReport:
    """Check hand-written gradients against central differences of the loss, entry by entry.

    ``params`` maps names to float arrays; ``loss(params)`` returns a number and
    ``grads(params)`` a dict of arrays of the same names and shapes (both the user's own numpy
    functions; each call gets fresh copies, so functions that update weights in place do no
    harm). Missing, unexpected and misshapen gradients are named, all at once, in a
    ``GradientMismatchError`` (a ``ValueError``); a loss that is not one real number is a
    ``BadLossError`` (a ``TypeError``). Entries where the loss is not differentiable (one-sided
    differences disagree: ReLU or abs at exactly 0) are never wrong, and a point that avoids
    them is preferred; a wrong parameter is diagnosed (a scale that holds at two points, such
    as exactly half; the negative; a transpose); a loss that does not move gives no verdict.
    This is ``judge_gradients(measure_gradients(...))``: the measuring runs your code, the
    judging only reads numbers (``gradstep check`` judges in its own process)."""
    tolerance = Tolerance(eps, atol, rtol)
    report = judge_gradients(measure_gradients(loss, grads, params, tolerance), tolerance)
    raise_if_failed(report, raise_on_failure)
    return report
