"""Every op of the engine, one record each, read by every tool.

An ``Op`` record holds, for one op:

- ``scalar(xs, param)``: the forward on floats (the Value engine), IEEE arithmetic (nan in, nan
  out; ``log(0) = -inf``);
- ``array(xs, param)``: the forward on float64 arrays (the Tensor engine);
- ``local(xs, out, param)``: d(out)/d(x_i) for each input of an elementwise op, written once
  with the generic functions below and plain operators, so the same rule gives numbers (floats
  or arrays: the fast first-order path) or nodes (``grad(..., create_graph=True)``: the
  derivative is itself a graph, differentiable again);
- ``vjp(g, xs, out, param)``: the gradient of each input given the output's gradient ``g``, for
  ops that are not elementwise (``@``, reductions, reshapes, convolution); for elementwise ops it
  is ``g * local``;
- how steps and drawings show it: ``infix`` (``(a*b)``), ``word`` (``mul#12`` when a name is
  too long) and ``local_text`` (what a chain-rule line calls d(out)/d(x_i));
- ``micrograd``: the op's symbol in micrograd's vocabulary (``node._op``): ``"+"``, ``"*"``,
  ``"**{param}"`` (``"**2"``), ``"ReLU"``, ``"tanh"``, ``"exp"``; the op's own name for the ops
  micrograd does not have.

A record *is* its name (``Op`` is a ``str``), so ``node.op == "sigmoid"`` reads naturally, while
a node keeps the record it was made with: redefining a user op later does not change what an
older node's ``step.check()`` re-runs. ``OPS`` maps each name to its current record; a new op is
one entry (``define``), for built-ins and user ops alike.

The generic functions (``div``, ``exp``, ``log``, ``sign``, ``positive``, ...) take floats,
arrays, Values or Tensors and answer in kind, which is what lets one rule serve every engine.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from operator import mul as _mul

import numpy as np

from .graph import STATE, Node
from .numeric import BCE_EPS, LOG_FLOOR, SIGMOID_FLOOR, unbroadcast
from .numeric import bce as _bce_array
from .numeric import bce_grad as _bce_grad_array
from .numeric import sigmoid as _sigmoid_array

__all__ = [
    "Op",
    "OPS",
    "define",
    "NumbersOnlyError",
    "div",
    "exp",
    "log",
    "tanh",
    "sigmoid",
    "sign",
    "positive",
    "where_positive",
    "between",
    "clip_below",
    "sum_to",
    "broadcast_to",
    "times",
    "any_node",
]

_inf, _nan = math.inf, math.nan


class NumbersOnlyError(TypeError):
    """An op's derivative rule worked only on numbers, so its derivative cannot be a graph."""


class Op(str):
    """One op: its name (the string itself) and everything every tool reads; see the module
    docstring. Records compare equal to their name; each node keeps its own record."""

    scalar: Callable | None
    array: Callable | None
    local: Callable | None
    vjp: Callable | None
    infix: bool
    word: str
    local_text: Callable | None
    user: bool
    doc: str
    micrograd: str

    def __new__(
        cls,
        name: str,
        *,
        scalar: Callable | None = None,
        array: Callable | None = None,
        local: Callable | None = None,
        vjp: Callable | None = None,
        infix: bool = False,
        word: str | None = None,
        local_text: Callable | None = None,
        user: bool = False,
        doc: str = "",
        micrograd: str | None = None,
    ) -> Op:
        op = super().__new__(cls, name)
        op.scalar, op.array, op.local, op.vjp = scalar, array, local, vjp
        op.infix, op.word, op.local_text, op.user = infix, word or name, local_text, user
        op.doc, op.micrograd = doc, micrograd or name
        return op

    def __reduce__(self):  # records travel by name (worker processes rebuild nodes, never ops)
        return (str, (str(self),))

    @property
    def name(self) -> str:
        return str(self)

    def micrograd_symbol(self, param=None) -> str:
        """What micrograd's ``_op`` says for a node of this op: ``"**2"`` for ``x ** 2`` (an
        integral exponent shown as micrograd shows an int), ``"**"`` for a node exponent."""
        symbol = self.micrograd
        if "{param}" not in symbol:
            return symbol
        if param is None:
            return symbol.replace("{param}", "")
        shown = int(param) if float(param).is_integer() and abs(param) < 1e15 else param
        return symbol.format(param=shown)

    def gradients(self, g, xs: tuple, out, param) -> tuple:
        """The contribution to each input's gradient (before summing back broadcast axes):
        ``vjp`` when the op has one, else ``g`` times each local derivative. Works on arrays
        (first order) and on nodes (the derivative as a graph)."""
        if self.vjp is not None:
            return self.vjp(g, xs, out, param)
        return tuple([times(g, d) for d in self.local(xs, out, param)])


def times(g, d):
    """``g * d``, without a node or an array for the common constant factors."""
    if type(d) is float:
        if d == 1.0:
            return g
        if d == -1.0:
            return -g
    return g * d


OPS: dict[str, Op] = {}
# Names that are never ops: the roles of leaves.
LEAF_ROLES = frozenset({"", "input", "const"})


def define(name: str, **fields) -> Op:
    """Make the record ``name`` and register it (replacing an earlier one of that name)."""
    op = Op(name, **fields)
    OPS[name] = op
    return op


# -- generic functions: floats, arrays and nodes alike ---------------------------------------------
def _quiet() -> np.errstate:
    return np.errstate(divide="ignore", invalid="ignore", over="ignore")


def any_node(*xs) -> bool:
    """True if one of ``xs`` is a node (a rule is running on the graph, not on numbers)."""
    return any(isinstance(x, Node) for x in xs)


def _node_type(*xs):
    return next(type(x) for x in xs if isinstance(x, Node))


def apply(op: Op, parents: tuple, param=None):
    """``op`` on nodes: a node of the parents' type (numbers among them become constants)."""
    return _node_type(*parents).apply(op, parents, param)


def div_float(a: float, b: float) -> float:
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0.0 or a != a:
            return _nan
        return math.copysign(_inf, a) * math.copysign(1.0, b)


def div(a, b):
    """a / b with IEEE results (1/0 = inf, 0/0 = nan), never an exception or a warning."""
    if type(a) is float and type(b) is float:  # the Value fast path first
        return div_float(a, b)
    if any_node(a, b):
        return a / b
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        with _quiet():
            return np.divide(a, b)
    return div_float(float(a), float(b))


def _exp_scalar(xs, p) -> float:
    try:
        return math.exp(xs[0])
    except OverflowError:
        return _inf


def _log_scalar(xs, p) -> float:
    x = xs[0]
    if x > 0:
        return math.log(x)
    return -_inf if x == 0 else _nan


def exp_float(x: float) -> float:
    return _exp_scalar((x,), None)


def log_float(x: float) -> float:
    return _log_scalar((x,), None)


def pow_float(x: float, p: float) -> float:
    try:
        out = x**p
    except ZeroDivisionError:  # 0.0 ** negative
        return _inf if (p % 2 != 1 or math.copysign(1.0, x) > 0) else -_inf
    except OverflowError:
        return _inf if x > 0 or p % 2 == 0 else -_inf
    return out if type(out) is float else _nan  # negative ** fraction gives complex in Python


def _sigmoid_scalar(xs, p) -> float:
    # the formula of numeric.sigmoid, so the scalar and array engines agree to the ulp
    x = xs[0]
    return 1.0 / (1.0 + math.exp(-(SIGMOID_FLOOR if x < SIGMOID_FLOOR else x)))  # nan stays nan


def sigmoid_float(x: float) -> float:
    return _sigmoid_scalar((x,), None)


_P_FLOOR = math.exp(LOG_FLOOR)


def clamped_log_float(x: float) -> float:
    """ln(max(x, e^-100)), the clamp of numeric.clamped_log; a nan stays nan."""
    return math.log(_P_FLOOR if x < _P_FLOOR else x)


def exp(x):
    """e^x for a float, an array or a node."""
    if isinstance(x, Node):
        return x.exp()
    if isinstance(x, np.ndarray):
        with _quiet():
            return np.exp(x)
    return exp_float(x)


def log(x):
    """ln x (ln 0 = -inf, ln of a negative number = nan) for a float, an array or a node."""
    if isinstance(x, Node):
        return x.log()
    if isinstance(x, np.ndarray):
        with _quiet():
            return np.log(x)
    return log_float(x)


def tanh(x):
    if isinstance(x, Node):
        return x.tanh()
    return np.tanh(x) if isinstance(x, np.ndarray) else math.tanh(x)


def sigmoid(x):
    if isinstance(x, Node):
        return x.sigmoid()
    return _sigmoid_array(x) if isinstance(x, np.ndarray) else sigmoid_float(x)


def power(x, p):
    """x ** p with IEEE results for floats and arrays; for nodes, the ``**`` op."""
    if type(x) is float and type(p) is float:
        return pow_float(x, p)
    if any_node(x, p):
        return x**p
    if isinstance(x, np.ndarray) or isinstance(p, np.ndarray):
        with _quiet():
            return np.power(x, p)
    return pow_float(float(x), float(p))


def _zero_derivative(xs, out, param):
    """A step function's derivative: 0 (nan where its input is nan)."""
    x = xs[0]
    if isinstance(x, Node):
        return (0.0,)
    if isinstance(x, np.ndarray):
        return (np.where(np.isnan(x), np.nan, 0.0),)
    return (0.0 if x == x else x,)


def sign(x):
    """-1, 0 or 1 (nan for nan): d|x|/dx. Its own derivative is 0."""
    if type(x) is float:
        return 1.0 if x > 0 else -1.0 if x < 0 else 0.0 if x == 0 else x
    if isinstance(x, Node):
        return apply(SIGN, (x,))
    if isinstance(x, np.ndarray):
        return np.sign(x)
    return 1.0 if x > 0 else -1.0 if x < 0 else 0.0 if x == 0 else x


def positive(x):
    """1 where x > 0, else 0 (nan for nan): d relu(x)/dx. Its own derivative is 0."""
    if type(x) is float:
        return 1.0 if x > 0 else 0.0 if x == x else x
    if isinstance(x, Node):
        return apply(POSITIVE, (x,))
    if isinstance(x, np.ndarray):
        return np.where(np.isnan(x), np.nan, (x > 0).astype(np.float64))
    return 1.0 if x > 0 else 0.0 if x == x else x


def where_positive(x, a, b):
    """a where x > 0, else b (nan for nan); for nodes b + (a - b) positive(x)."""
    if type(x) is float:
        return a if x > 0 else b if x == x else x
    if isinstance(x, Node):
        return b + (a - b) * positive(x)
    if isinstance(x, np.ndarray):
        return np.where(np.isnan(x), np.nan, np.where(x > 0, a, b))
    return a if x > 0 else b if x == x else x


def between(x, low: float, high: float):
    """1 where low <= x <= high, else 0 (nan for nan): d clip(x)/dx. Its derivative is 0."""
    if isinstance(x, Node):
        return apply(BETWEEN, (x,), (low, high))
    if isinstance(x, np.ndarray):
        inside = ((x >= low) & (x <= high)).astype(np.float64)
        return np.where(np.isnan(x), np.nan, inside)
    return 1.0 if low <= x <= high else 0.0 if x == x else x


def clip_below(x, low: float):
    """max(x, low) (nan stays nan)."""
    if isinstance(x, Node):
        return x.clip(low, _inf)
    if isinstance(x, np.ndarray):
        return np.maximum(x, low)
    return low if x < low else x


def sum_to(g, shape: tuple):
    """``g`` summed over the axes broadcasting added to ``shape`` (an array or a node)."""
    if isinstance(g, Node):
        return g if g.shape == tuple(shape) else apply(SUM_TO, (g,), tuple(shape))
    return unbroadcast(np.asarray(g), tuple(shape))


def broadcast_to(g, shape: tuple):
    """``g`` repeated to ``shape`` (an array or a node); the transpose of ``sum_to``."""
    if isinstance(g, Node):
        return g if g.shape == tuple(shape) else apply(BROADCAST_TO, (g,), tuple(shape))
    return np.broadcast_to(g, shape)


def shape_of(x) -> tuple:
    return x.shape if isinstance(x, (np.ndarray, Node)) else ()


def data_of(x):
    """The numbers of a node, or the value itself."""
    return x.data if isinstance(x, Node) else x


# -- elementwise ops: forwards and local derivatives side by side ----------------------------------
def _one(xs, out, p):
    return (1.0,) * len(xs)


def _other(names: list[str], i: int) -> str:
    return names[1 - i]  # d(a*b)/da = b


def _unit(names: list[str], i: int) -> str:
    return "1"


def _pow_scalar(xs, p):
    return pow_float(xs[0], xs[1] if p is None else p)


def _pow_array(xs, p):
    with _quiet():
        return np.power(xs[0], xs[1] if p is None else p)


def _pow_local(xs, out, p):
    """d/dx x^p = p x^(p-1); for a node exponent also d/dp x^p = x^p ln x (0 where x^p = 0)."""
    x = xs[0]
    if p is not None:  # x^0 = 1 everywhere: its derivative is 0, also at x = 0 (as in torch)
        return (p * power(x, p - 1.0),) if p != 0.0 else (0.0,)
    e = xs[1]
    return (e * power(x, e - 1.0), _exponent_grad(x, out))


def _exponent_grad(x, out):
    if isinstance(out, Node):
        return out * log(x)
    if isinstance(out, np.ndarray):
        with _quiet():
            return np.where(out != 0, out * np.log(np.where(out != 0, x, 1.0)), 0.0)
    return out * log_float(x) if out != 0.0 else 0.0


def _bce_scalar(xs, y):
    p = xs[0]
    return -(y * clamped_log_float(p) + (1.0 - y) * clamped_log_float(1.0 - p))


def _bce_local(xs, out, y):
    """dL/dp = (p - y) / max(p (1 - p), 1e-12), as torch's BCELoss."""
    p = xs[0]
    if isinstance(p, Node):
        return ((p - y) / clip_below(p * (1.0 - p), BCE_EPS),)
    if isinstance(p, np.ndarray):
        return (_bce_grad_array(p, y),)
    return ((p - y) / max(p * (1.0 - p), BCE_EPS),)


def _clip_scalar(xs, p):
    x, (low, high) = xs[0], p
    return low if x < low else high if x > high else x  # nan stays nan


def _clip_array(xs, p):
    return np.clip(xs[0], *p)


def _relu_scalar(xs, p):
    x = xs[0]
    return x if x > 0 or x != x else 0.0


def _leaky_scalar(xs, slope):
    x = xs[0]
    return x if x > 0 else slope * x


ADD = define("+", scalar=lambda xs, p: xs[0] + xs[1], array=lambda xs, p: xs[0] + xs[1],
             local=lambda xs, out, p: (1.0, 1.0), infix=True, word="add", local_text=_unit,
             micrograd="+", doc="d/da (a + b) = 1, d/db (a + b) = 1")  # fmt: skip
SUB = define("-", scalar=lambda xs, p: xs[0] - xs[1], array=lambda xs, p: xs[0] - xs[1],
             local=lambda xs, out, p: (1.0, -1.0), infix=True, word="sub",
             doc="d/da (a - b) = 1, d/db (a - b) = -1")  # fmt: skip
MUL = define("*", scalar=lambda xs, p: xs[0] * xs[1], array=lambda xs, p: xs[0] * xs[1],
             local=lambda xs, out, p: (xs[1], xs[0]), infix=True, word="mul",
             local_text=_other, micrograd="*",
             doc="d/da (a * b) = b, d/db (a * b) = a")  # fmt: skip
DIV = define("/", scalar=lambda xs, p: div_float(xs[0], xs[1]), array=lambda xs, p: div(*xs),
             local=lambda xs, out, p: (div(1.0, xs[1]), -div(out, xs[1])), infix=True,
             word="div", doc="d/da (a / b) = 1/b, d/db (a / b) = -a/b^2 = -out/b")  # fmt: skip
POW = define("**", scalar=_pow_scalar, array=_pow_array, local=_pow_local, infix=True,
             word="pow", micrograd="**{param}", doc=_pow_local.__doc__)  # fmt: skip
NEG = define("neg", scalar=lambda xs, p: -xs[0], array=lambda xs, p: -xs[0],
             local=lambda xs, out, p: (-1.0,), doc="d/dx (-x) = -1")  # fmt: skip
ABS = define("abs", scalar=lambda xs, p: abs(xs[0]), array=lambda xs, p: np.abs(xs[0]),
             local=lambda xs, out, p: (sign(xs[0]),),
             doc="d/dx |x| = sign(x) (0 at 0, as in PyTorch)")  # fmt: skip
EXP = define("exp", scalar=_exp_scalar, array=lambda xs, p: exp(xs[0]),
             local=lambda xs, out, p: (out,), micrograd="exp", doc="d/dx e^x = e^x")  # fmt: skip
LOG = define("log", scalar=_log_scalar, array=lambda xs, p: log(xs[0]),
             local=lambda xs, out, p: (div(1.0, xs[0]),),
             doc="d/dx ln x = 1/x (ln 0 = -inf, ln of a negative number = nan)")  # fmt: skip
TANH = define("tanh", scalar=lambda xs, p: math.tanh(xs[0]), array=lambda xs, p: np.tanh(xs[0]),
              local=lambda xs, out, p: (1.0 - out * out,),
              doc="d/dx tanh x = 1 - tanh(x)^2")  # fmt: skip
SIGMOID = define("sigmoid", scalar=_sigmoid_scalar,
                 array=lambda xs, p: _sigmoid_array(xs[0]),
                 local=lambda xs, out, p: (out * (1.0 - out),),
                 doc="s(x) = 1 / (1 + e^-x), d/dx s(x) = s (1 - s); no overflow")  # fmt: skip
RELU = define("relu", scalar=_relu_scalar, array=lambda xs, p: np.maximum(xs[0], 0.0),
              local=lambda xs, out, p: (positive(xs[0]),), micrograd="ReLU",
              doc="relu(x) = max(0, x), d/dx = 1 if x > 0 else 0")  # fmt: skip
LEAKY_RELU = define("leaky_relu", scalar=_leaky_scalar,
                    array=lambda xs, p: np.where(xs[0] > 0, xs[0], p * xs[0]),
                    local=lambda xs, out, p: (where_positive(xs[0], 1.0, p),),
                    doc="x if x > 0 else slope x; d/dx = 1 if x > 0 else slope")  # fmt: skip
IDENTITY = define("identity", scalar=lambda xs, p: xs[0], array=lambda xs, p: xs[0],
                  local=lambda xs, out, p: (1.0,), local_text=_unit,
                  doc="d/dx x = 1 (the lab's 'no activation' keeps a node per layer)")  # fmt: skip
CLIP = define("clip", scalar=_clip_scalar, array=_clip_array,
              local=lambda xs, out, p: (between(xs[0], *p),),
              doc="d/dx clip(x, lo, hi) = 1 inside [lo, hi], else 0")  # fmt: skip
BCE = define("bce", scalar=_bce_scalar, array=lambda xs, y: _bce_array(xs[0], y),
             local=_bce_local, doc=_bce_local.__doc__)  # fmt: skip
# Step functions: the derivatives of abs, relu and clip. Their own derivative is 0.
SIGN = define("sign", scalar=lambda xs, p: sign(xs[0]), array=lambda xs, p: np.sign(xs[0]),
              local=_zero_derivative, doc="sign(x); d/dx = 0")  # fmt: skip
POSITIVE = define("positive", scalar=lambda xs, p: positive(xs[0]),
                  array=lambda xs, p: positive(xs[0]), local=_zero_derivative,
                  doc="1 if x > 0 else 0; d/dx = 0")  # fmt: skip
BETWEEN = define("between", scalar=lambda xs, p: between(xs[0], *p),
                 array=lambda xs, p: between(xs[0], *p), local=_zero_derivative,
                 doc="1 if low <= x <= high else 0; d/dx = 0")  # fmt: skip


# -- n-ary Value ops ------------------------------------------------------------------------------
def _dot_scalar(xs, p):
    m = len(xs)
    n = m >> 1
    total = sum(map(_mul, xs, xs[n : n + n]), 0.0)  # map stops after the n weights
    return total + xs[-1] if m & 1 else total


def _dot_local(xs, out, p):
    """z = sum_i w_i x_i (+ b): d z/d w_i = x_i, d z/d x_i = w_i, d z/d b = 1."""
    m = len(xs)
    n = m >> 1
    return xs[n : n + n] + xs[:n] + _ONE if m & 1 else xs[n:] + xs[:n]


_ONE = (1.0,)


def _dot_text(names: list[str], i: int) -> str:
    n = len(names) // 2
    return names[(i + n) % (2 * n)] if i < 2 * n else "1"


def _sum_scalar(xs, start):
    return sum(xs, 0.0 if start is None else start)


def _sum_array(xs, p):
    axis, keepdims = p
    return np.asarray(xs[0].sum(axis=axis, keepdims=keepdims))


def _expand(g, shape, axis, keepdims):
    """``g`` spread back over the axes a reduction removed."""
    if axis is None and not isinstance(g, Node):  # the common case, on arrays: one fill
        out = np.empty(shape)
        out.fill(g)
        return out
    if axis is None:
        kept = (1,) * len(shape)
    else:
        axes = (axis,) if isinstance(axis, int) else tuple(axis)
        axes = tuple(a % len(shape) for a in axes)
        kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
    if not keepdims or axis is None:
        g = g.reshape(kept)
    return broadcast_to(g, shape)


def _sum_vjp(g, xs, out, p):
    """d/dx_i sum(x) = 1: g spread over the summed axes."""
    axis, keepdims = p
    return (_expand(g, shape_of(xs[0]), axis, keepdims),)


def _mean_array(xs, p):
    axis, keepdims = p
    return np.asarray(xs[0].mean(axis=axis, keepdims=keepdims))


def _mean_vjp(g, xs, out, p):
    """d/dx_i mean(x) = 1/n over the n averaged elements."""
    axis, keepdims = p
    shape = shape_of(xs[0])
    count = max(int(np.prod(shape)), 1) // max(int(np.prod(shape_of(out))), 1)
    return (_expand(g * (1.0 / count), shape, axis, keepdims),)


DOT = define("dot", scalar=_dot_scalar, local=_dot_local, local_text=_dot_text,
             doc=_dot_local.__doc__)  # fmt: skip
SUM = define("sum", scalar=_sum_scalar, local=_one, array=_sum_array, vjp=_sum_vjp,
             local_text=_unit, doc="d/dx_i (x_1 + ... + x_n) = 1")  # fmt: skip
MEAN = define("mean", array=_mean_array, vjp=_mean_vjp, doc=_mean_vjp.__doc__)


# -- Tensor ops that are not elementwise ----------------------------------------------------------
def _matmul_vjp(g, xs, out, p):
    """out = a b: d/da = g b^T, d/db = a^T g (a 1-D operand as a row or a column)."""
    a, b = xs  # arrays and Tensors both have ndim, shape, T, reshape and @
    if a.ndim == 2 and b.ndim == 2:
        return g @ b.T, a.T @ g
    a2 = a if a.ndim == 2 else a.reshape(1, -1)
    b2 = b if b.ndim == 2 else b.reshape(-1, 1)
    g2 = g.reshape(a2.shape[0], b2.shape[1])
    return (g2 @ b2.T).reshape(a.shape), (a2.T @ g2).reshape(b.shape)


def _index_array(xs, index):
    return np.array(xs[0][index])


def _index_vjp(g, xs, out, index):
    """Each indexed element gets its share of g; repeated indices add up."""
    return (scatter(g, index, shape_of(xs[0])),)


def scatter(g, index, shape: tuple):
    """Zeros of ``shape`` with ``g`` added at ``index``; the transpose of ``x[index]``."""
    if isinstance(g, Node):
        return apply(SCATTER, (g,), (tuple(shape), index))
    out = np.zeros(shape)
    np.add.at(out, index, g)
    return out


def _scatter_array(xs, p):
    return scatter(xs[0], p[1], p[0])


def _scatter_vjp(g, xs, out, p):
    return (g[p[1]],)


def _concat_vjp(g, xs, out, axis):
    """Each input gets its own slice of g."""
    start, grads = 0, []
    for x in xs:
        size = shape_of(x)[axis]
        where = (slice(None),) * (axis % len(shape_of(out))) + (slice(start, start + size),)
        grads.append(g[where])
        start += size
    return tuple(grads)


def _stack_vjp(g, xs, out, axis):
    axis = axis % len(shape_of(out))
    return tuple(g[(slice(None),) * axis + (i,)] for i in range(len(xs)))


def _transpose_vjp(g, xs, out, axes):
    inverse = None if axes is None else tuple(int(i) for i in np.argsort(axes))
    return (g.transpose(inverse),)


MATMUL = define("@", array=lambda xs, p: np.dot(xs[0], xs[1]), vjp=_matmul_vjp, infix=True,
                word="matmul", doc=_matmul_vjp.__doc__)  # fmt: skip
RESHAPE = define("reshape", array=lambda xs, shape: xs[0].reshape(shape),
                 vjp=lambda g, xs, out, p: (g.reshape(shape_of(xs[0])),),
                 doc="the gradient takes the input's shape back")  # fmt: skip
TRANSPOSE = define("transpose", array=lambda xs, axes: xs[0].transpose(axes), vjp=_transpose_vjp,
                   doc="the gradient is transposed back")  # fmt: skip
INDEX = define("index", array=_index_array, vjp=_index_vjp, doc=_index_vjp.__doc__)
SCATTER = define("scatter", array=_scatter_array, vjp=_scatter_vjp,
                 doc="zeros with g added at the index; its gradient is read there")  # fmt: skip
CONCATENATE = define("concatenate", array=lambda xs, axis: np.concatenate(xs, axis=axis),
                     vjp=_concat_vjp, doc=_concat_vjp.__doc__)  # fmt: skip
STACK = define("stack", array=lambda xs, axis: np.stack(xs, axis=axis), vjp=_stack_vjp,
               doc="each input gets its slice of g")  # fmt: skip
SUM_TO = define("sum_to", array=lambda xs, shape: unbroadcast(xs[0], shape),
                vjp=lambda g, xs, out, p: (broadcast_to(g, shape_of(xs[0])),),
                doc="summed back to a shape; the gradient is repeated")  # fmt: skip
BROADCAST_TO = define("broadcast_to", array=lambda xs, shape: np.broadcast_to(xs[0], shape).copy(),
                      vjp=lambda g, xs, out, p: (sum_to(g, shape_of(xs[0])),),
                      doc="repeated to a shape; the gradient is summed back")  # fmt: skip


def differentiating(rule: Callable, *args):
    """Run a derivative rule on nodes, where taking a number out of a node (``float(x)``,
    ``math.exp(x)``) would silently cut the graph: inside, that raises ``NumbersOnlyError``."""
    previous = STATE.differentiating
    STATE.differentiating = True
    try:
        return rule(*args)
    finally:
        STATE.differentiating = previous
