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
row passes, and raises ``GradcheckError`` on request (``raise_on_failure=True``). The pass rule
is gradcheck's: ``|declared - numeric| <= atol + rtol * |numeric|``.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

import numpy as np

from .display import Report, html_table, text_table
from .gradcheck import GradcheckError, gradcheck
from .graph import Node, no_grad
from .tensor import Tensor
from .value import Value

__all__ = [
    "check_op",
    "check_gradients",
    "OpCheckReport",
    "GradientCheckReport",
    "OpCheckRow",
    "GradientRow",
    "ParameterSummary",
    "GradientMismatchError",
    "failure_message",
]

Domain = tuple[float, float]


class GradientMismatchError(ValueError):
    """``grads(params)`` left out a parameter, named an unknown one, or gave a wrong shape."""


def _rel(err: float, numeric: float) -> float:
    return err / abs(numeric) if numeric != 0 else (0.0 if err == 0 else float("inf"))


# -- check_op -------------------------------------------------------------------------------------
class OpCheckRow(NamedTuple):
    point: str
    derivative: str
    declared: float
    numeric: float
    abs_error: float
    rel_error: float
    ok: bool


class OpCheckReport(Report):
    """One row per (sample point, input): declared and numeric derivative, errors, ok."""

    headers = ("point", "derivative", "declared", "numeric", "abs error", "rel error", "ok")

    def __init__(self, name, rows, points, skipped, eps, atol, rtol) -> None:
        super().__init__(rows)
        self.name, self.points, self.skipped = name, points, skipped
        self.eps, self.atol, self.rtol = eps, atol, rtol

    def summary(self) -> str:
        bad = self.failures()
        skipped = f", {self.skipped} skipped (forward not finite)" if self.skipped else ""
        head = (
            f"check_op {self.name!r}: {len(self.rows)} derivatives at {self.points} points"
            f"{skipped}, eps={self.eps:g}, atol={self.atol:g}, rtol={self.rtol:g}"
        )
        if not self.rows:
            return head + ": nothing checked (no point had a finite forward)"
        if not bad:
            return head + ": passed"
        worst = max(bad, key=lambda r: r.abs_error if r.abs_error == r.abs_error else np.inf)
        return (
            f"{head}: FAILED ({len(bad)} of {len(self.rows)}); worst at {worst.point}: "
            f"{worst.derivative} declared {worst.declared:.6g}, numeric {worst.numeric:.6g}"
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
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps}")
    names = _signature_names(op)
    if arity is None:
        if not names:
            raise ValueError(f"cannot tell how many inputs {name!r} takes; pass arity=")
        arity = len(names)
    if names is None or len(names) != arity:
        names = [f"x{i}" for i in range(arity)]
    if getattr(op, "kind", "value") == "tensor":
        return _check_tensor_op(
            op, name, names, domain, shape, n_random, seed, eps, atol, rtol, raise_on_failure
        )
    domains = _domains(domain, arity)
    if points is None:
        points = _sample_points(domains, grid, n_random, seed)
    rows, skipped, used = [], 0, 0
    for point in points:
        point = tuple(float(v) for v in (point if isinstance(point, Sequence) else (point,)))
        if len(point) != arity:
            raise ValueError(f"point {point} has {len(point)} values; {name!r} takes {arity}")
        checked = _check_at(op, name, names, point, eps, atol, rtol)
        if checked is None:
            skipped += 1
            continue
        used += 1
        rows += checked
    report = OpCheckReport(name, rows, used, skipped, eps, atol, rtol)
    _maybe_raise(report, raise_on_failure)
    return report


def _evaluate(op, name: str, xs) -> float:
    out = op(*[Value(x) for x in xs])
    if not isinstance(out, Value):
        raise TypeError(f"op {name!r} must return a Value, got {type(out).__name__}")
    return out.data


def _check_at(op, name, names, point, eps, atol, rtol) -> list[OpCheckRow] | None:
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
            plus, minus = list(point), list(point)
            plus[i] += eps
            minus[i] -= eps
            f_plus, f_minus = _evaluate(op, name, plus), _evaluate(op, name, minus)
            if not (np.isfinite(f_plus) and np.isfinite(f_minus)):
                return None
            numeric = (f_plus - f_minus) / (2 * eps)
            declared = inputs[i].grad
            err = abs(declared - numeric)
            ok = bool(err <= atol + rtol * abs(numeric))
            rows.append(
                OpCheckRow(where, f"d{name}/d{n}", declared, numeric, err, _rel(err, numeric), ok)
            )
    return rows


def _check_tensor_op(
    op, name, names, domain, shape, n_random, seed, eps, atol, rtol, raise_on_failure
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
        report = gradcheck(op, inputs, eps=eps, atol=atol, rtol=rtol, raise_on_failure=False)
        if not all(np.isfinite(r.numeric) for r in report.rows):
            skipped += 1
            continue
        used += 1
        for r in report.rows:
            rows.append(
                OpCheckRow(
                    f"#{k}",
                    f"d{name}/d{r.label}",
                    r.analytic,
                    r.numeric,
                    r.abs_error,
                    r.rel_error,
                    r.ok,
                )
            )
    report = OpCheckReport(name, rows, used, skipped, eps, atol, rtol)
    _maybe_raise(report, raise_on_failure)
    return report


def _maybe_raise(report, raise_on_failure: bool) -> None:
    if raise_on_failure and not report.ok:
        raise GradcheckError(failure_message(report), report)


def failure_message(report: Report, limit: int = 20) -> str:
    """The summary, then the failing rows as a table (at most ``limit``): what an assertion
    shows."""
    bad = report.failures()
    lines = [report.summary()]
    if bad:
        lines.append(text_table(report.headers, bad[:limit]))
        if len(bad) > limit:
            lines.append(f"... and {len(bad) - limit} more failing rows")
    return "\n".join(lines)


# -- check_gradients ------------------------------------------------------------------------------
class GradientRow(NamedTuple):
    entry: str
    yours: float
    numeric: float
    abs_error: float
    rel_error: float
    ok: bool


class ParameterSummary(NamedTuple):
    name: str
    entries: int
    wrong: int
    worst_abs_error: float
    worst_rel_error: float

    def __str__(self) -> str:
        if not self.wrong:
            return (
                f"{self.name}: ok ({self.entries} entries, worst abs error "
                f"{self.worst_abs_error:.3g})"
            )
        return (
            f"{self.name}: WRONG in {self.wrong} of {self.entries} entries, worst abs error "
            f"{self.worst_abs_error:.3g}, worst rel error {self.worst_rel_error:.3g}"
        )


class GradientCheckReport(Report):
    """One row per parameter entry (``W1[0,2]``: yours, numeric, errors, ok) and a summary per
    parameter; ``wrong`` lists the parameters with any failing entry."""

    headers = ("entry", "yours", "numeric", "abs error", "rel error", "ok")

    def __init__(self, rows, parameters: list[ParameterSummary], eps, atol, rtol) -> None:
        super().__init__(rows)
        self.parameters = parameters
        self.eps, self.atol, self.rtol = eps, atol, rtol

    @property
    def wrong(self) -> list[str]:
        return [p.name for p in self.parameters if p.wrong]

    def summary(self) -> str:
        per = "\n".join(str(p) for p in self.parameters)
        wrong = self.wrong
        verdict = (
            f"gradients WRONG for {', '.join(wrong)}"
            if wrong
            else f"gradients right for all {len(self.parameters)} parameters"
        )
        return (
            f"{per}\n{verdict} ({len(self.rows)} entries, eps={self.eps:g}, "
            f"atol={self.atol:g}, rtol={self.rtol:g})"
        )

    def _repr_html_(self) -> str:
        summary = html_table(
            ("parameter", "entries", "wrong", "worst abs error", "worst rel error"),
            [tuple(p) for p in self.parameters],
            caption=self.summary().splitlines()[-1],
            bad_rows=[bool(p.wrong) for p in self.parameters],
        )
        entries = html_table(self.headers, self.rows, bad_rows=[not r.ok for r in self.rows])
        return summary + entries


def _entry_label(name: str, shape: tuple, k: int) -> str:
    if not shape:
        return name
    return f"{name}[{','.join(str(int(i)) for i in np.unravel_index(k, shape))}]"


def _copy_params(params) -> dict[str, np.ndarray]:
    if not isinstance(params, Mapping) or not params:
        raise TypeError(
            f"params must be a non-empty dict of name -> array, got {type(params).__name__}"
        )
    out = {}
    for name, value in params.items():
        if isinstance(value, Node):
            value = value.data
        try:
            array = np.array(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"parameter {name!r} must be an array of numbers, got {type(value).__name__}"
            ) from None
        out[name] = array
    return out


def _fresh(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: v.copy() for k, v in params.items()}


def _loss_value(loss: Callable, params: dict) -> float:
    value = loss(params)
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        array = None
    if array is None or array.size != 1:
        raise TypeError(
            f"loss(params) must return one number, got {type(value).__name__}"
            + (f" of shape {array.shape}" if array is not None else "")
        )
    return float(array.reshape(-1)[0])


def _user_grads(grads: Callable, params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The user's gradients, every problem named at once: missing, unexpected, misshapen or
    non-numeric entries."""
    given = grads(_fresh(params))
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
    ``GradientMismatchError`` (a ``ValueError``)."""
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps}")
    base = _copy_params(params)
    yours = _user_grads(grads, base)
    rows, summaries = [], []
    for name, value in base.items():
        first = len(rows)
        for k in range(value.size):
            plus, minus = _fresh(base), _fresh(base)
            plus[name].flat[k] += eps
            minus[name].flat[k] -= eps
            numeric = (_loss_value(loss, plus) - _loss_value(loss, minus)) / (2 * eps)
            mine = float(yours[name].flat[k])
            err = abs(mine - numeric)
            ok = bool(err <= atol + rtol * abs(numeric))
            label = _entry_label(name, value.shape, k)
            rows.append(GradientRow(label, mine, numeric, err, _rel(err, numeric), ok))
        mine_rows = rows[first:]
        wrong = [r for r in mine_rows if not r.ok]
        summaries.append(
            ParameterSummary(
                name,
                len(mine_rows),
                len(wrong),
                max((r.abs_error for r in mine_rows), default=0.0),
                max((r.rel_error for r in wrong), default=0.0)
                if wrong
                else max((r.rel_error for r in mine_rows), default=0.0),
            )
        )
    report = GradientCheckReport(rows, summaries, eps, atol, rtol)
    _maybe_raise(report, raise_on_failure)
    return report
