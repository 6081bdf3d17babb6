"""Recognise the network a program trained, from what its run showed, and judge its first step.

The child (``program_worker``) reports *slots*: the places the program kept arrays, with the
values each took and when (a count of the program's lines). This module, in gradstep's own
process, reads them as follows.

1. **Weights** are the float arrays that were updated (changed in place, or rebound to a new
   array of the same shape). **Predictions** are the program's other arrays; **data** its
   arrays whose width a weight accepts.
2. **The network** is gradstep's own model (``Network``) of weights whose shapes chain from the
   data's width to one output: each weight stored (in, out) or (out, in), its bias separate
   (any of (h,), (1, h), (h, 1)), folded in as an extra input row or column, or absent, each
   layer followed by sigmoid, tanh, ReLU, leaky ReLU or nothing. A reading counts only when its
   forward pass, at the weights the program held when it computed some array of its own,
   reproduces that array to rounding: the program's own predictions.
3. **The step** is the next value of every weight minus its value then. It is right when it is
   ``-c`` times the gradient of one standard loss (MSE, SSE, 0.5 SSE, BCE mean or sum, of the
   batch the program used, one sample's for a per-sample update) for one ``c > 0`` shared by
   every parameter; the gradients are central differences through the model, and the
   comparison and the per-parameter diagnoses are ``check_step``'s, run on the observed step.

Anything that does not fit is "not recognised", with what was found: never a guess.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from autograd.checks.derivatives import numeric_gradients
from autograd.checks.diagnoses import common_factor, same_factor, sign_factor
from autograd.checks.stepcheck import check_step
from autograd.checks.tolerance import Tolerance

__all__ = ["Slot", "Network", "Layer", "recognise", "Recognition", "ACTIVATIONS"]

MAX_NODES = 60_000  # forward passes tried before giving up ("too many arrays to read")
NODES_PER_SEARCH = 4_000  # of them from one data array at one set of weights
SMALL_BATCH = 8  # a batch this small may be as wide as a layer


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _leaky(a):
    return np.where(a > 0, a, 0.01 * a)


ACTIVATIONS: dict[str, Callable] = {
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "relu": lambda a: np.maximum(a, 0.0),
    "none": lambda a: a,
    "leaky_relu": _leaky,
}


DERIVATIVES: dict[str, Callable] = {  # of each activation, from its input a and output h
    "sigmoid": lambda a, h: h * (1.0 - h),
    "tanh": lambda a, h: 1.0 - h * h,
    "relu": lambda a, h: (a > 0).astype(np.float64),
    "none": lambda a, h: np.ones_like(a),
    "leaky_relu": lambda a, h: np.where(a > 0, 1.0, 0.01),
}


# -- what the child saw -------------------------------------------------------------------------
@dataclass
class Slot:
    """One place the program kept an array: ``values`` are (line, array) in time order;
    ``complete`` is False when values between the last two were not kept."""

    label: str
    values: list[tuple[int, np.ndarray]]
    changes: int
    dtype: str
    complete: bool = True

    @property
    def updated(self) -> bool:
        return self.changes > 0 and self.values[0][1].dtype.kind == "f"

    def at(self, line: int) -> np.ndarray | None:
        """The value it held at ``line`` (None when unknown or not yet there)."""
        current = None
        for i, (seen, value) in enumerate(self.values):
            if seen > line:
                if not self.complete and i == len(self.values) - 1 and current is not None:
                    return None  # a value between the kept ones may have been current
                return current
            current = value
        return current

    def since(self, line: int) -> int:
        """The line at which the value it held at ``line`` appeared."""
        return max((seen for seen, _ in self.values if seen <= line), default=line)

    def after(self, line: int) -> tuple[int, np.ndarray] | None:
        """The first value it took after ``line``."""
        for seen, value in self.values:
            if seen > line:
                return seen, value
        return None


# -- gradstep's model of the program's network --------------------------------------------------
@dataclass(frozen=True)
class Layer:
    """``a = [h, 1] @ W (+ b)`` then the activation; ``transposed``: W stored (out, in);
    ``folded``: "last" or "first" where a ones column joins the input (W has one row more)."""

    weight: str
    transposed: bool
    bias: str | None
    folded: str | None
    activation: str

    def pre(self, h: np.ndarray, params: dict) -> np.ndarray:
        """The layer's input to its activation: ``[h, 1] @ W (+ b)``."""
        if self.folded:
            ones = np.ones((h.shape[0], 1))
            h = np.hstack([h, ones] if self.folded == "last" else [ones, h])
        w = params[self.weight]
        if w.ndim == 1:  # a last layer's weights as a vector: one output
            return (h @ w).reshape(-1, 1) + (params[self.bias] if self.bias else 0.0)
        a = h @ (w.T if self.transposed else w)
        if self.bias is not None:
            a = a + params[self.bias].reshape(-1)
        return a


@dataclass(frozen=True)
class Network:
    """Layers in order; ``column``: the data is stored (features, samples)."""

    layers: tuple[Layer, ...]
    column: bool

    def forward(self, params: dict, x: np.ndarray) -> np.ndarray:
        """The predictions for the rows of ``x`` (as the program stores it), flat."""
        h = _rows(x, self.column)
        for layer in self.layers:
            h = ACTIVATIONS[layer.activation](layer.pre(h, params))
        return h.reshape(-1)

    def pre_activations(self, params: dict, x: np.ndarray) -> list[np.ndarray]:
        """Each layer's input to its activation."""
        h, out = _rows(x, self.column), []
        for layer in self.layers:
            a = layer.pre(h, params)
            out.append(a)
            h = ACTIVATIONS[layer.activation](a)
        return out

    def late_loss(self, old: dict, new: dict, k: int, x: np.ndarray, dloss: np.ndarray):
        """The loss as back-propagation sees it when the weights after layer ``k`` were updated
        before layer ``k``'s gradient was computed (the forward pass and every activation's
        derivative at ``old``, the weights that carry the deltas back from ``new``): a function
        of layer ``k``'s parameters whose gradient at ``old`` is that back-propagation's.
        ``dloss`` is d(loss)/d(predictions) at ``old``."""
        inputs, pres, outs = [], [], []
        h = _rows(x, self.column)
        for layer in self.layers:
            inputs.append(h)
            pres.append(layer.pre(h, old))
            h = ACTIVATIONS[layer.activation](pres[-1])
            outs.append(h)

        def loss(params):
            layer = self.layers[k]
            d = ACTIVATIONS[layer.activation](layer.pre(inputs[k], {**old, **params})) - outs[k]
            for m in range(k + 1, len(self.layers)):
                later = self.layers[m]
                w = new[later.weight]
                w = w.T if later.transposed else w
                if later.folded:
                    zeros = np.zeros((d.shape[0], 1))
                    d = np.hstack([d, zeros] if later.folded == "last" else [zeros, d])
                d = DERIVATIVES[later.activation](pres[m], outs[m]) * (d @ w)
            return float(np.sum(dloss * d.reshape(-1)))

        return loss

    def names(self) -> list[str]:
        """The parameters' names, layer by layer (weight, then bias)."""
        out = []
        for layer in self.layers:
            out += [layer.weight] + ([layer.bias] if layer.bias else [])
        return out

    def describe(self) -> str:
        """``w1 -> sigmoid; w2 + b2 -> relu``: the network in a line."""
        parts = []
        for layer in self.layers:
            bias = ", folded bias" if layer.folded else f" + {layer.bias}" if layer.bias else ""
            t = ".T" if layer.transposed else ""
            parts.append(f"{layer.weight}{t}{bias} -> {layer.activation}")
        return "; ".join(parts)


def _rows(x: np.ndarray, column: bool) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        return x.reshape(1, -1)
    return x.T if column else x


# -- losses -------------------------------------------------------------------------------------
FAMILIES = {
    # name: (base loss of predictions p and targets y, members as (name, factor of the base))
    "squared error": ("SSE", lambda p, y: float(np.sum((p - y) ** 2))),
    "cross-entropy": (
        "BCE (sum)",
        lambda p, y: float(-np.sum(y * np.log(p) + (1 - y) * np.log(1 - p))),
    ),
}


LOSS_DERIVATIVES = {  # d(base loss)/d(predictions)
    "squared error": lambda p, y: 2.0 * (p - y),
    "cross-entropy": lambda p, y: (p - y) / (p * (1.0 - p)),
}


def members(family: str, n: int) -> list[tuple[str, float]]:
    """The standard losses of a family as multiples of its base: (name, loss / base)."""
    if family == "squared error":
        return [("SSE", 1.0), ("0.5*SSE", 0.5), ("MSE", 1.0 / n)]
    return [("BCE (sum)", 1.0), ("BCE (mean)", 1.0 / n)]


# -- reading the network ------------------------------------------------------------------------
@dataclass
class Reading:
    """One way the slots read as a network that reproduces a prediction of the program."""

    network: Network
    params: dict[str, np.ndarray]  # name -> value when the prediction was made (float64)
    slots: dict[str, Slot]  # name -> its slot
    x: np.ndarray
    x_label: str
    prediction: str
    line: int
    targets: list[tuple[str, np.ndarray]] = field(default_factory=list)


@dataclass
class Recognition:
    """The outcome: ``status`` ok / wrong / not recognised; ``message`` one line; ``report``
    check_step's report on the observed step (when judged); ``found`` what was found."""

    status: str
    message: str
    found: list[str] = field(default_factory=list)
    report: object = None
    notes: list[str] = field(default_factory=list)
    network: str = ""
    loss: str = ""
    lr: float | None = None
    names: dict[str, str] = field(default_factory=dict)
    reading: Reading | None = None  # the network read, when one was (for an adapter)
    targets: list = field(default_factory=list)


def _weight_slots(slots: list[Slot]) -> list[Slot]:
    return [s for s in slots if s.updated and s.values[0][1].ndim in (1, 2)]


def _name(slot: Slot) -> str:
    return slot.label.split(" in ")[0]


def _unique_names(slots: list[Slot]) -> dict[str, Slot]:
    out: dict[str, Slot] = {}
    for s in slots:
        name = _name(s)
        while name in out:
            name += "'"
        out[name] = s
    return out


def _bias_options(out: int, biases: dict[str, np.ndarray], used: set, column: bool):
    """A layer's bias: each updated vector of its width, then none (tried in that order: a
    bias still zero reproduces the same predictions either way, and it is updated)."""
    for name, value in biases.items():
        if name in used or value.size != out:
            continue
        if value.ndim == 1 or value.shape == ((out, 1) if column else (1, out)):
            yield name
    yield None


class _Search:
    """Depth-first over layer choices, sharing the forward pass of every prefix: ``leaves``
    are every network from the data to one output, with its output."""

    def __init__(self, weights, x, column, age=None, sizes=frozenset()):
        n = _rows(x, column).shape[0]
        sizes = {n} | set(sizes) if n > SMALL_BATCH else set(sizes)
        # a weight with a dimension of the sample count is an activation held between epochs
        # (unless the batch is as small as a layer); the oldest values are tried first: the
        # weights were set before the forward pass that made the activations
        order = sorted(weights, key=lambda k: (age or {}).get(k, 0))
        self.mats = {
            k: weights[k]
            for k in order
            if weights[k].ndim == 2
            and not sizes & set(weights[k].shape)
            and np.any(weights[k])  # a zero matrix reproduces zeros, whatever it is
        }
        self.vecs = {k: v for k, v in weights.items() if v.ndim == 1 or 1 in v.shape}
        self.vectors = {  # 1-D weights of a last layer (lists of floats, often)
            k: v for k, v in weights.items() if v.ndim == 1 and v.size > 1 and np.any(v)
        }
        self.params = weights
        self.x, self.column = x, column
        self.nodes = 0
        self.leaves: list[tuple[tuple, np.ndarray]] = []

    def run(self) -> _Search:
        self._extend(_rows(self.x, self.column), [], set())
        return self

    def _options(self, width: int, used: set):
        for name, w in self.vectors.items():
            if name not in used and w.size == width:
                yield name, False, None, 1
        for name, w in self.mats.items():
            if name in used:
                continue
            r, c = w.shape
            for transposed, n_in, n_out in ((False, r, c), (True, c, r)):
                if n_in == width:
                    yield name, transposed, None, n_out
                elif n_in == width + 1:
                    yield name, transposed, "last", n_out
                    yield name, transposed, "first", n_out

    def _extend(self, h: np.ndarray, layers: list, used: set) -> None:
        if len(layers) >= 6 or self.nodes > NODES_PER_SEARCH:
            return
        for name, transposed, folded, n_out in self._options(h.shape[1], used):
            for bias in _bias_options(n_out, self.vecs, used, self.column):
                if folded and bias:
                    continue
                pre = Layer(name, transposed, bias, folded, "none").pre(h, self.params)
                for act in ACTIVATIONS:
                    self.nodes += 1
                    with np.errstate(all="ignore"):
                        out = ACTIVATIONS[act](pre)
                    if not np.all(np.isfinite(out)):
                        continue
                    layer = Layer(name, transposed, bias, folded, act)
                    if n_out == 1:
                        self.leaves.append((tuple(layers + [layer]), out.reshape(-1)))
                    else:
                        taken = used | {name} | ({bias} if bias else set())
                        self._extend(out, layers + [layer], taken)


def _same(a: np.ndarray, b: np.ndarray, rtol: float) -> bool:
    """``a`` equals ``b`` to ``rtol`` of ``b``'s size (entry 0 first: most candidates differ
    there already)."""
    scale = rtol * (float(np.max(np.abs(b))) + 1e-300) + rtol * 1e-2
    if abs(float(a[0]) - float(b[0])) > scale:
        return False
    return bool(np.max(np.abs(a - b)) <= scale)


def _rounding(dtype: str) -> float:
    """How closely float64 arithmetic must reproduce an array the program computed in
    ``dtype``: a few thousand units of its last place (its own order of operations differs)."""
    try:
        eps = float(np.finfo(np.dtype(dtype)).eps)
    except (TypeError, ValueError):
        eps = float(np.finfo(np.float64).eps)
    return max(eps, float(np.finfo(np.float64).eps)) * 4096


class _Reader:
    """The state of reading one run: the weights (updated slots), the data sets, the searches
    made (one per data array and set of weights), the readings found."""

    def __init__(self, slots: list[Slot]) -> None:
        self.slots = slots
        self.weights = _unique_names(_weight_slots(slots))
        self.label_of = {n: s.label for n, s in self.weights.items()}
        self.data_rows = _stable_rows(slots)
        # the sample counts of the data sets: an activation (one row per sample) is no weight
        self.data_sizes = {
            s.values[0][1].shape[0]
            for s in slots
            if s.values[0][1].ndim == 2 and _stable(s) and s.values[0][1].shape[0] > SMALL_BATCH
        }
        self.searched: dict = {}
        self.tried = 0
        self.first: dict | None = None  # the weights of the first reading found
        self.out: list[Reading] = []

    def data_at(self, line: int):
        """The slots holding data at ``line`` (each distinct array once), with their value."""
        seen: set[bytes] = set()
        for s in self.slots:
            x = s.at(line)
            if x is None or x.ndim not in (1, 2) or x.dtype.kind not in "fiu":
                continue
            if x.tobytes() in seen or not np.any(x):
                continue
            if not all(_data_like(v, self.data_rows, line) for _, v in s.values if v.ndim < 3):
                continue  # data keeps being data; a bias that starts at zero does not
            seen.add(x.tobytes())
            yield s, x

    def read_line(self, line: int, params: dict, predictions: list) -> None:
        """Every reading of the predictions made at ``line`` from every data array."""
        age = {n: self.weights[n].since(line) for n in params}
        for s, x in self.data_at(line):
            mine = {n: v for n, v in params.items() if self.label_of[n] != s.label}
            for column in _layouts(x):
                n = _rows(x, column).shape[0]
                usable = [p for p in predictions if p[2].size == n and p[0] != s.label]
                if usable:
                    search = self.search(mine, x, s.label, column, age)
                    self.match(search, usable, params, x, s.label, column)

    def search(self, mine: dict, x, label: str, column: bool, age: dict) -> _Search:
        search = _Search(mine, x, column, age, self.data_sizes)
        key = (label, x.tobytes(), column) + tuple(
            (k, v.tobytes()) for k, v in {**search.mats, **search.vecs}.items()
        )
        if key not in self.searched:
            self.searched[key] = search.run()
            self.tried += search.nodes
        return self.searched[key]

    def match(self, search: _Search, usable, params, x, x_label: str, column: bool) -> None:
        for layers, output in search.leaves:
            used = {self.label_of[k] for la in layers for k in (la.weight, la.bias) if k}
            for label, at, p, rtol in usable:
                if label in used or p.size != output.size or len(self.out) >= 400:
                    continue
                if np.any(p) and _same(output, p.astype(np.float64), rtol):
                    network = Network(layers, column)
                    self.out.append(Reading(network, params, self.weights, x, x_label, label, at))
                    self.first = self.first or {k: params[k] for k in network.names()}


def readings(slots: list[Slot]) -> tuple[list[Reading], list[str]]:
    """The readings of the slots as a network reproducing one of the program's predictions, at
    the first weights where one does (the prediction furthest through the forward pass
    first); and what was found, for a "not recognised" row."""
    reader = _Reader(slots)
    found = [
        f"updated: {n} {tuple(s.values[0][1].shape)} {s.dtype} ({s.label})"
        for n, s in reader.weights.items()
    ]
    lines = sorted(
        {line for s in slots for line, v in s.values if v.dtype.kind == "f" and _one_column(v)}
    )
    for line in lines:
        params = {n: s.at(line) for n, s in reader.weights.items()}
        params = {n: np.asarray(v, dtype=np.float64) for n, v in params.items() if v is not None}
        if reader.first is not None and any(
            not np.array_equal(params.get(k, np.nan), v) for k, v in reader.first.items()
        ):
            break  # past the weights of the first reading: its later arrays are the next step's
        predictions = [
            (s.label, line, v.reshape(-1), _rounding(s.dtype))
            for s in slots
            for seen, v in s.values
            if seen == line and v.dtype.kind == "f" and _one_column(v)
        ]
        if predictions and any(v.ndim == 2 for v in params.values()):
            reader.read_line(line, params, predictions)
        if reader.tried > MAX_NODES:
            break
    # a whole batch's predictions before one sample's; at one set of weights, the latest array
    # reproduced is the furthest through the forward pass (the sigmoid's output after its
    # pre-activation): the program's predictions; of readings of it, the one with the most
    # parameters (a bias still zero reproduces the same predictions read or not, and it is
    # updated)
    reader.out.sort(
        key=lambda r: (-_rows(r.x, r.network.column).shape[0], -r.line, -len(r.network.names()))
    )
    return reader.out, found


def _row_keys(a: np.ndarray) -> list[bytes]:
    a = np.asarray(a, dtype=np.float64)
    a = a.reshape(1, -1) if a.ndim == 1 else a
    return [row.tobytes() for row in a] + [col.tobytes() for col in np.ascontiguousarray(a.T)]


def _stable(s: Slot) -> bool:
    """Whether every value the slot took has the first one's rows (reordered at most)."""
    first = s.values[0][1]
    key = sorted(_row_keys(first))
    return all(v.shape == first.shape and sorted(_row_keys(v)) == key for _, v in s.values)


def _stable_rows(slots: list[Slot]) -> dict[bytes, int]:
    """The rows (and columns) of every array of two or more rows whose slot kept the same rows
    in every value it took (reordered at most): the program's data sets, never an activation
    (those change when the weights do); each with the line its data set was first seen."""
    rows: dict[bytes, int] = {}
    for s in slots:
        first = s.values[0][1]
        if first.ndim == 1 and s.changes == 0 and first.size > 1 and first.dtype.kind in "fiu":
            if _stable(s):  # one sample kept as a vector (a list of floats, often)
                key = first.astype(np.float64).tobytes()
                rows[key] = min(rows.get(key, s.values[0][0]), s.values[0][0])
            continue
        if first.ndim != 2 or first.dtype.kind not in "fiu" or first.shape[0] < 2:
            continue
        if _stable(s):
            for key in _row_keys(first):
                rows[key] = min(rows.get(key, s.values[0][0]), s.values[0][0])
    return rows


def _data_like(x: np.ndarray, data_rows: dict[bytes, int], line: int) -> bool:
    """Whether ``x`` is data at ``line``: made of rows (or, stored features first, columns) of
    one of the program's data sets seen before then (a sample of it, the whole set, a shuffled
    copy)."""
    a = np.asarray(x, dtype=np.float64)
    a = a.reshape(1, -1) if a.ndim == 1 else a
    if all(data_rows.get(row.tobytes(), line) < line for row in a):
        return True
    columns = np.ascontiguousarray(a.T)
    return a.shape[0] > 1 and all(data_rows.get(c.tobytes(), line) < line for c in columns)


def _layouts(x: np.ndarray) -> tuple[bool, ...]:
    """Whether to read ``x`` as (samples, features), (features, samples) or both: more
    samples than features is the usual case either way."""
    if x.ndim == 1 or x.shape[0] == 1:
        return (False,)  # one sample, as a row
    if x.shape[1] == 1:
        return (False, True)  # a one-feature data set, or one sample as a column
    if x.shape[0] > x.shape[1]:
        return (False,)
    if x.shape[0] < x.shape[1]:
        return (True,)
    return (False, True)


def _one_column(v: np.ndarray) -> bool:
    """One number per sample: shape (n,), (n, 1), (1, n) or a single number."""
    return v.ndim <= 1 or (v.ndim == 2 and 1 in v.shape)


def targets_for(reading: Reading, slots: list[Slot]) -> list[tuple[str, np.ndarray]]:
    """The arrays that could be the targets: held when the prediction was made, one number
    per prediction, not the prediction or the data."""
    n = _rows(reading.x, reading.network.column).shape[0]
    weight_ids = {id(reading.slots[n]) for n in reading.network.names()}
    with np.errstate(all="ignore"):
        predicted = reading.network.forward(reading.params, reading.x)
    out = []
    for s in slots:
        if id(s) in weight_ids or s.label in (reading.prediction, reading.x_label):
            continue
        v = s.at(reading.line)
        if v is None or v.size != n or v.dtype.kind not in "fiu":
            continue
        v = np.asarray(v, dtype=np.float64).reshape(-1)
        if np.allclose(v, predicted, rtol=1e-6, atol=1e-9):
            continue  # the predictions themselves, held under another name
        out.append((s.label, v))
    # labels first: whole numbers (0/1 classes) before anything computed
    out.sort(key=lambda t: not np.all(t[1] == np.round(t[1])))
    return out


# -- judging the step ---------------------------------------------------------------------------
@dataclass
class Fit:
    """One standard loss family and target array against the observed step."""

    family: str
    target: str
    y: np.ndarray
    loss: Callable  # the family's base loss of params
    gradients: dict[str, np.ndarray]
    scales: dict[str, float]  # per parameter: the c of its step along its gradient, or nan
    c: float  # the one c most parameters share
    along: list[str]  # the parameters on that line


def _along(step: np.ndarray, g: np.ndarray, tolerance: Tolerance) -> float:
    """The c > 0 with ``-step == c * g`` entry by entry (to the tolerance), else nan."""
    norm = float(np.sum(g * g))
    if norm == 0:
        return math.nan
    if all(tolerance.passes(0.0, gk) for gk in g.flat):
        return math.nan  # a gradient within the tolerance of zero: any small step would pass
    c = float(np.sum(-step * g)) / norm
    if not c > 0:
        return math.nan
    ok = all(tolerance.passes(-s / c, gk) for s, gk in zip(step.flat, g.flat))
    return c if ok else math.nan


def _shared(scales: dict[str, float], order: list[str], rtol: float) -> tuple[float, list[str]]:
    """The c the most parameters share (ties: the one nearest the output), and those."""
    best: tuple[float, list[str]] = (math.nan, [])
    for name in reversed(order):
        c = scales[name]
        if not math.isfinite(c):
            continue
        group = [n for n in order if math.isfinite(scales[n]) and abs(scales[n] - c) <= rtol * c]
        if len(group) > len(best[1]):
            best = (c, group)
    return best


def fits(
    reading: Reading, deltas: dict, targets: list[tuple[str, np.ndarray]], tolerance: Tolerance
) -> list[Fit]:
    """Every (family, target) with the gradients of its base loss through the model."""
    net, x = reading.network, reading.x
    base = {n: reading.params[n] for n in net.names()}
    with np.errstate(all="ignore"):
        p = net.forward(base, x)
    out = []
    for label, y in targets:
        for family, (_, fn) in FAMILIES.items():
            if family == "cross-entropy" and not (
                np.all((p > 0) & (p < 1)) and np.all((y >= 0) & (y <= 1))
            ):
                continue

            def loss(params, fn=fn, y=y):
                return fn(net.forward(params, x), y)

            with np.errstate(all="ignore"):
                g = numeric_gradients(loss, base, tolerance)
            if not all(np.all(np.isfinite(v)) for v in g.values()):
                continue
            scales = {n: _along(deltas[n], g[n], tolerance) for n in base}
            c, along = _shared(scales, net.names(), tolerance.rtol)
            out.append(Fit(family, label, y, loss, g, scales, c, along))
    return out


def _residual(fit: Fit, deltas: dict) -> float:
    """How exactly the parameters on the line follow it: the largest relative distance of
    their step / -c from the gradient (rounding, ~1e-9, for the loss the program descends; a
    loss whose gradient merely points nearly the same way, ~1e-4)."""
    worst = 0.0
    for n in fit.along:
        g = fit.gradients[n]
        worst = max(worst, float(np.linalg.norm(-deltas[n] / fit.c - g) / np.linalg.norm(g)))
    return worst


def _best(fit_list: list[Fit], deltas: dict, n: int, literals: set) -> Fit | None:
    """The fit with the most parameters on its line; of those, the most exact (to rounding:
    for one sample every loss's gradient points the same way); of those, one whose lr is a
    number in the source; then the first (labels before other targets)."""

    def key(f: Fit):
        named = _member(f, n, literals)[1]
        written = any(abs(named - v) <= 1e-6 * v for v in literals if v > 0)
        return (len(f.along), -max(_residual(f, deltas), 1e-7), written)

    ranked = [f for f in fit_list if f.along]
    return max(ranked, key=key) if ranked else None


def _member(fit: Fit, n: int, literals: set[float]) -> tuple[str, float, float]:
    """The standard loss of the family named with its lr: the one whose lr is a number in the
    program's source, else the one whose lr is shortest to write. (name, lr, factor)"""
    options = [(name, fit.c / factor, factor) for name, factor in members(fit.family, n)]
    for name, lr, factor in options:
        if any(abs(lr - v) <= 1e-6 * abs(v) for v in literals if v > 0):
            return name, lr, factor
    return min(options, key=lambda o: len(f"{o[1]:.6g}"))


def _observed_step(deltas: dict[str, np.ndarray]):
    """A step function that makes the observed step from the observed weights."""

    def step(params):
        return {name: params[name] + delta for name, delta in deltas.items()}

    return step


def _adam_like(fit: Fit, deltas: dict, tolerance: Tolerance) -> float | None:
    """The lr of an Adam-like first step (every entry -lr * sign(gradient):
    ``diagnoses.sign_factor`` over all the parameters at once), or None."""
    g = np.concatenate([fit.gradients[n].ravel() for n in deltas])
    d = np.concatenate([deltas[n].ravel() for n in deltas])
    return sign_factor(-d, g, tolerance)


def _deltas(reading: Reading) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """Each parameter's first change after the prediction (0 when it never changed), and the
    line of that change."""
    deltas, when = {}, {}
    for name in reading.network.names():
        nxt = reading.slots[name].after(reading.line)
        before = reading.params[name]
        if nxt is None or nxt[1].shape != before.shape:
            deltas[name], when[name] = np.zeros_like(before), -1
        else:
            deltas[name] = np.asarray(nxt[1], dtype=np.float64) - before
            when[name] = nxt[0]
    return deltas, when


def _order(fit: Fit, factor: float, reading: Reading, deltas, when, name, lr, tolerance):
    """The parameters updated before ``name`` when its observed step equals (to the tolerance,
    and far better than the true gradient) the gradient back-propagation gives after their
    update: through their new values (``Network.late_loss``: the lab report's bug), or at
    them (the whole loss recomputed). [] otherwise: the order is then not claimed."""
    net = reading.network
    base = {n: reading.params[n] for n in net.names()}
    before = [n for n in base if n != name and 0 <= when[n] < when[name]]
    if not before or when[name] < 0:
        return []
    new = {n: base[n] + deltas[n] if n in before else base[n] for n in base}
    k = next(i for i, la in enumerate(net.layers) if name in (la.weight, la.bias))
    p = net.forward(base, reading.x)
    dloss = factor * LOSS_DERIVATIVES[fit.family](p, fit.y)
    late_losses = [net.late_loss(base, new, k, reading.x, dloss)]
    late_losses.append(lambda q: factor * fit.loss({**new, name: q[name]}))
    right = numeric_gradients(
        lambda q: factor * fit.loss({**base, name: q[name]}), {name: base[name]}, tolerance
    )[name]
    yours = -deltas[name] / lr
    off_right = float(np.linalg.norm(yours - right))
    for late_loss in late_losses:
        late = numeric_gradients(late_loss, {name: base[name]}, tolerance)[name]
        off_late = float(np.linalg.norm(yours - late))
        fits_late = all(tolerance.passes(a, b) for a, b in zip(yours.flat, late.flat))
        if fits_late and off_late < 0.01 * off_right and off_right > 1e-7 * np.linalg.norm(right):
            downstream = {la.weight for la in net.layers[k + 1 :]} | {
                la.bias for la in net.layers[k + 1 :] if la.bias
            }
            return sorted(n for n in before if n in downstream) or before
    return []


def _printed(output: str, values: dict[str, float]) -> str | None:
    """The standard loss whose value at the start the program printed, if one was."""
    import re

    numbers = [float(m) for m in re.findall(r"(?<![\w.])\d+\.\d{3,}(?:e-?\d+)?", output)[:50]]
    for name, v in values.items():
        if v > 0 and any(abs(p - v) <= 5e-4 * v for p in numbers):
            return name
    return None


def recognise(
    slots: list[Slot],
    tolerance: Tolerance,
    literals: set[float] = frozenset(),
    output: str = "",
) -> Recognition:
    """Read the slots as a network and judge its first step (see the module's docstring)."""
    found_readings, found = readings(slots)
    if not found_readings:
        why = (
            "no array was updated"
            if not _weight_slots(slots)
            else "no reading of the updated arrays as a network reproduces the program's own "
            "predictions"
        )
        return Recognition("not recognised", why, found=found)
    verdicts = []
    for reading in found_readings[:4]:
        targets = targets_for(reading, slots)
        verdicts.append(judge(reading, targets, tolerance, literals, output))
        verdicts[-1].found = found
        verdicts[-1].reading, verdicts[-1].targets = reading, targets
        if verdicts[-1].status in ("ok", "wrong"):
            break
    return verdicts[-1]


def _left_out(reading: Reading, deltas: dict, when: dict) -> str:
    """Updated arrays of a layer's width that changed within the judged step but are not in
    the network read (optimizer state, or a bias the reading could not place)."""
    start = min((t for t in when.values() if t >= 0), default=-1)
    end = max(when.values(), default=-1)
    widths = {s for la in reading.network.layers for s in reading.params[la.weight].shape}
    out = []
    for name, slot in reading.slots.items():
        if name in deltas or slot.values[0][1].size not in widths:
            continue
        now = slot.at(reading.line)
        if now is not None and now.size == reading.x.size and np.array_equal(now, reading.x):
            continue  # the data (the sample the step is on)
        nxt = slot.after(reading.line)
        if nxt is not None and start <= nxt[0] <= end + 2:
            out.append(f"{name} {tuple(slot.values[0][1].shape)}")
    return ", ".join(out[:6])


def _no_fit(reading: Reading, deltas, all_fits, tolerance, common: dict) -> Recognition:
    """The row when no parameter's step lies along a standard loss's gradient: an Adam-like
    sign step (named), else not recognised."""
    n = _rows(reading.x, reading.network.column).shape[0]
    for f in all_fits:
        lr = _adam_like(f, deltas, tolerance)
        if lr is not None:
            name = members(f.family, n)[0][0]
            message = (
                f"an Adam-like first step with lr {lr:.4g}: every entry is -lr x the sign of its "
                f"gradient (of {name}; right in sign: Adam's first step cannot show the "
                "gradient's size)"
            )
            return Recognition("ok", message, loss=name, lr=lr, **common)
    where = common["notes"][0].split("; ", 1)[1]
    message = f"{where}: no parameter's step is -lr x the gradient of MSE, SSE or BCE"
    return Recognition("not recognised", message, **common)


def _message(report, reading: Reading, fit: Fit, loss_name: str, lr: float, output: str) -> str:
    """The row's line: right or wrong, the loss descended, its lr, the loss printed."""
    net, n = reading.network, _rows(reading.x, reading.network.column).shape[0]
    base = {k: reading.params[k] for k in net.names()}
    with np.errstate(all="ignore"):
        p = net.forward(base, reading.x)
    values = {
        member: factor * FAMILIES[family][1](p, fit.y)
        for family in FAMILIES
        for member, factor in members(family, n)
        if family != "cross-entropy" or fit.family == "cross-entropy"
    }
    printed = _printed(output, values)
    prints = f"; prints {printed}" if printed and printed != loss_name else ""
    per = "one sample's " if n == 1 else ""
    if report.ok:
        return f"step right: descends {per}{loss_name} with lr {lr:.6g}{prints}"
    return (
        f"step WRONG for {', '.join(report.wrong)}: the others descend {per}{loss_name} "
        f"with lr {lr:.6g}{prints}"
    )


def judge(
    reading: Reading,
    targets: list[tuple[str, np.ndarray]],
    tolerance: Tolerance,
    literals: set[float],
    output: str,
) -> Recognition:
    """The verdict on the step after ``reading``'s prediction: the standard loss it descends
    (``fits``, ``_best``, ``_member``), then ``check_step`` on the observed step with that loss
    and lr, and the update order recomputed (``_apply_order``)."""
    net = reading.network
    base = {k: reading.params[k] for k in net.names()}
    deltas, when = _deltas(reading)
    n = _rows(reading.x, net.column).shape[0]
    where = f"network {net.describe()} on {reading.x_label} ({n} samples)"
    common = {
        "notes": [f"predictions {reading.prediction} reproduced; {where}"],
        "network": net.describe(),
        "names": {k: reading.slots[k].label for k in net.names()},
    }
    if not any(np.any(d) for d in deltas.values()):
        return Recognition("not recognised", "the program's network was not updated", **common)
    all_fits = fits(reading, deltas, targets, tolerance)
    if not all_fits:
        return Recognition("not recognised", f"{where}: no targets found for its loss", **common)
    if all(not any(np.any(v) for v in f.gradients.values()) for f in all_fits):
        why = "the loss does not move when the parameters move"
        return Recognition("not recognised", why, **common)
    fit = _best(all_fits, deltas, n, set(literals))
    if fit is None:
        return _no_fit(reading, deltas, all_fits, tolerance, common)
    loss_name, lr, factor = _member(fit, n, set(literals))

    def loss(params, fit=fit, factor=factor):
        return factor * fit.loss(params)

    widened = _rounding_tolerance(reading, base, lr, tolerance)
    common["notes"].append(f"targets: {fit.target}")
    if widened is not tolerance:
        common["notes"].append(
            f"the program computes in {_coarsest(reading)}: its weights' rounding divided by lr "
            f"is {widened.atol:.2g}, so entries pass within atol {widened.atol:.2g}"
        )
    report = check_step(
        _observed_step(deltas), base, loss, lr,
        eps=widened.eps, atol=widened.atol, rtol=widened.rtol,
    )  # fmt: skip
    _apply_order(report, fit, factor, reading, deltas, when, lr, widened)
    _confirm_scales(report, reading, loss, deltas, lr, widened)
    if report.ok:
        common["notes"] += _momentum(reading, loss, deltas, lr, widened)
    message = _message(report, reading, fit, loss_name, lr, output)
    left = _left_out(reading, deltas, when)
    if left:
        common["notes"].append(f"also updated in that step, not part of the network: {left}")
    status = "ok" if report.ok else "wrong"
    return Recognition(status, message, report=report, loss=loss_name, lr=lr, **common)


UNCONFIRMED = " here (not confirmed at a second point:"


def _second_steps(reading: Reading, deltas: dict) -> tuple[dict, dict] | None:
    """The weights after the program's first step and its second step from there (full batch
    only: one sample's second step is another sample's), or None when not all were seen."""
    if _rows(reading.x, reading.network.column).shape[0] == 1:
        return None
    point, steps = {}, {}
    for name in reading.network.names():
        first = reading.slots[name].after(reading.line)
        second = reading.slots[name].after(first[0]) if first else None
        if second is None or second[1].shape != first[1].shape:
            return None
        point[name] = np.asarray(first[1], dtype=np.float64)
        steps[name] = np.asarray(second[1], dtype=np.float64) - point[name]
    return point, steps


def _confirm_scales(report, reading: Reading, loss, deltas, lr: float, tolerance) -> None:
    """A scale check_step could not confirm (the observed step is one recorded step) is
    confirmed at the program's own second step, when the same factor holds there; otherwise
    it stays unconfirmed (a step with state, momentum, may differ there for other reasons)."""
    pending = [p for p in report.parameters if UNCONFIRMED in p.diagnosis]
    second = _second_steps(reading, deltas) if pending else None
    if second is None:
        return
    point, steps = second
    numeric = numeric_gradients(loss, point, tolerance)
    summaries = []
    for p in report.parameters:
        if p in pending:
            c = _tidy_scale(p.diagnosis)
            c2 = common_factor(-steps[p.name] / lr, numeric[p.name], tolerance)
            if c is not None and same_factor(c, c2, tolerance):
                kept = p.diagnosis.split(UNCONFIRMED)[0]
                p = p._replace(diagnosis=f"{kept} (and again at the program's second step)")
        summaries.append(p)
    report.parameters = summaries


def _momentum(reading: Reading, loss, deltas: dict, lr: float, tolerance) -> list[str]:
    """A note when the program's second step is momentum's, ``-lr * g(W1) + beta * step1``
    with one beta in (0, 1) for every parameter (least squares, every entry to the tolerance);
    nothing otherwise (a plain step needs no note: beta 0)."""
    second = _second_steps(reading, deltas)
    if second is None:
        return []
    point, steps = second
    g = numeric_gradients(loss, point, tolerance)
    names = list(deltas)
    rest = np.concatenate([(steps[n] + lr * g[n]).ravel() for n in names])
    first = np.concatenate([deltas[n].ravel() for n in names])
    norm = float(first @ first)
    if norm == 0:
        return []
    beta = float(rest @ first) / norm
    if not 0.01 < beta < 1:
        return []
    for n in names:
        mine, model = -steps[n] / lr, g[n] - beta * deltas[n] / lr
        if not all(tolerance.passes(a, b) for a, b in zip(mine.flat, model.flat)):
            return []
    return [
        f"its second step is momentum's: -lr x the gradient there + {beta:.3g} x the first "
        "step (the first step, from zero velocity, is the plain gradient step judged here)"
    ]


def _tidy_scale(diagnosis: str) -> float | None:
    """The factor a "scaled by c here" diagnosis claims."""
    text = diagnosis.split("scaled by ", 1)[-1].split(" here", 1)[0]
    try:
        if "/" in text:
            top, bottom = text.split("/")
            return float(top or 1) / float(bottom) if top != "-" else -1 / float(bottom)
        return float(text)
    except ValueError:
        return None


def _coarsest(reading: Reading) -> str:
    dtypes = [reading.slots[n].dtype for n in reading.network.names()]
    return max(dtypes, key=lambda d: _eps(d))


def _eps(dtype: str) -> float:
    try:
        return float(np.finfo(np.dtype(dtype)).eps)
    except (TypeError, ValueError):
        return float(np.finfo(np.float64).eps)


def _rounding_tolerance(reading: Reading, base: dict, lr: float, tolerance: Tolerance):
    """The tolerance, its atol raised to what the weights' own rounding makes of a step
    divided by lr (8 units of the last place of the largest weight: float32 programs), so
    rounding is never called wrong; ``tolerance`` itself when that is smaller."""
    rounding = max(
        8 * _eps(reading.slots[n].dtype) * float(np.max(np.abs(base[n]))) / lr for n in base
    )
    if rounding <= tolerance.atol:
        return tolerance
    return Tolerance(tolerance.eps, rounding, tolerance.rtol)


def _apply_order(report, fit, factor, reading, deltas, when, lr, tolerance) -> None:
    """The update-order diagnosis, found by recomputing the gradient after the weights the
    program had already updated: replaces the plain diagnosis, and is reported also when the
    error hides within the tolerance."""
    summaries = []
    for s in report.parameters:
        through = _order(fit, factor, reading, deltas, when, s.name, lr, tolerance)
        if through:
            were = "were" if len(through) > 1 else "was"
            wrong = (
                f"wrong in {s.wrong} of {s.entries} entries"
                if s.wrong
                else "wrong, though each entry is within the tolerance at this lr"
            )
            s = s._replace(
                wrong=max(s.wrong, 1),
                diagnosis=(
                    f"{wrong}: its step was computed after {', '.join(sorted(through))} {were} "
                    "updated in the same step (it equals that back-propagation, to rounding); "
                    "compute every gradient before updating any weight"
                ),
            )
        summaries.append(s)
    report.parameters = summaries
