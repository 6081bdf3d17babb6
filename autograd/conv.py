"""Convolution and pooling: ops of the graph engine like any other.

Tensor ops (vectorized with numpy strided views, im2col style) for inputs (batch, channels,
height, width) and weights (out, in, kh, kw):

- ``conv2d(x, w, b=None, stride=1, padding=0)``: out[n,o,i,j] = b[o] +
  sum_{c,di,dj} w[o,c,di,dj] * xp[n,c,i*s+di,j*s+dj] (xp: x zero-padded).
  d/dw = sum over batch and positions of g times the window; d/db = sum of g;
  d/dx: each window's share g * w, added back where the window came from.
- ``max_pool2d(x, kernel, stride)``: the gradient goes to each window's (first) maximum.
- ``avg_pool2d(x, kernel, stride)``: each window element gets g / (kernel * kernel).
- ``flatten(x)``: (batch, ...) -> (batch, features).

Each is a record of ``autograd.ops``. Their gradients are ops too, so a convolution network is
differentiable to any order: conv2d's vector-Jacobian products are ``conv2d_input_grad`` and
``conv2d_weight_grad``, and the three ops' gradients are each other; max pooling's is a scatter
to the maxima (whose gradient reads them back), average pooling's spreads g over its windows
(whose gradient is average pooling again).

``value_conv2d`` builds the same convolution for one small single-channel image out of Value
nodes (one ``dot`` node per output pixel), to draw, step through and cross-check.
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .graph import Node, scope
from .ops import apply, data_of, define, scatter, shape_of
from .tensor import Tensor, make_tensor, tensor_name
from .value import Value, unchecked_dot

__all__ = ["conv2d", "max_pool2d", "avg_pool2d", "flatten", "value_conv2d", "conv_output_size"]


def _positive_int(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def conv_output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def _windows(xp: np.ndarray, kh: int, kw: int, stride: int) -> np.ndarray:
    """(N, C, Ho, Wo, kh, kw) view of every window (no copy)."""
    return sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]


def _conv_forward(x: np.ndarray, w: np.ndarray, b, stride: int, padding: int):
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding))) if padding else x
    cols = _windows(xp, w.shape[2], w.shape[3], stride)
    out = np.tensordot(cols, w, axes=([1, 4, 5], [1, 2, 3]))  # (N, Ho, Wo, O)
    out = np.ascontiguousarray(out.transpose(0, 3, 1, 2))
    if b is not None:
        out += b[None, :, None, None]
    return out, cols


def _check_conv(x: Tensor, w: Tensor, b, stride: int, padding: int) -> None:
    if x.data.ndim != 4:
        raise ValueError(
            f"conv2d input {tensor_name(x)} must be (batch, channels, height, width), "
            f"got shape {x.shape}"
        )
    if w.data.ndim != 4:
        raise ValueError(
            f"conv2d weight {tensor_name(w)} must be (out, in, kh, kw), got shape {w.shape}"
        )
    if x.shape[1] != w.shape[1]:
        raise ValueError(
            f"conv2d: input {tensor_name(x)} {x.shape} has {x.shape[1]} channels but "
            f"weight {tensor_name(w)} {w.shape} expects {w.shape[1]}"
        )
    short = max(w.shape[2] - x.shape[2], w.shape[3] - x.shape[3])
    if short > 2 * padding:
        raise ValueError(
            f"conv2d: kernel {w.shape[2]}x{w.shape[3]} does not fit input "
            f"{x.shape[2]}x{x.shape[3]} with padding {padding}; use padding >= "
            f"{(short + 1) // 2} or a smaller kernel"
        )
    if b is not None and b.shape != (w.shape[0],):
        raise ValueError(
            f"conv2d bias {tensor_name(b)} must have shape ({w.shape[0]},), got {b.shape}"
        )


def conv2d(
    x: Tensor, w: Tensor, b: Tensor | None = None, stride: int = 1, padding: int = 0
) -> Tensor:
    """2-D convolution (cross-correlation, as in PyTorch) of x (N, C, H, W) with w (O, C, kh, kw)
    plus an optional bias b (O,): output (N, O, Ho, Wo), Ho = (H + 2 padding - kh) // stride + 1."""
    for t, name in ((x, "input"), (w, "weight")):
        if not isinstance(t, Tensor):
            raise TypeError(f"conv2d {name} must be a Tensor, got {type(t).__name__}")
    if b is not None and not isinstance(b, Tensor):
        raise TypeError(f"conv2d bias must be a Tensor or None, got {type(b).__name__}")
    stride = _positive_int("stride", stride)
    padding = _positive_int("padding", padding, 0)
    _check_conv(x, w, b, stride, padding)
    out, _ = _conv_forward(x.data, w.data, None if b is None else b.data, stride, padding)
    parents = (x, w) if b is None else (x, w, b)
    return make_tensor(out, parents, CONV2D, (stride, padding))


def _input_grad_array(g, w, x_shape, stride: int, padding: int) -> np.ndarray:
    """d(conv2d)/dx applied to g: each window's share g * w, added back where it was read."""
    N, C, H, W = x_shape
    kh, kw = w.shape[2], w.shape[3]
    Ho, Wo = g.shape[2], g.shape[3]
    dcols = np.tensordot(g, w, axes=([1], [0]))  # (N, Ho, Wo, C, kh, kw)
    dxp = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
    for i in range(kh):  # each kernel offset sends its share back to where it was read
        for j in range(kw):
            dxp[:, :, i : i + stride * Ho : stride, j : j + stride * Wo : stride] += dcols[
                :, :, :, :, i, j
            ].transpose(0, 3, 1, 2)
    dx = dxp[:, :, padding : padding + H, padding : padding + W] if padding else dxp
    return np.ascontiguousarray(dx)


def _weight_grad_array(x, g, w_shape, stride: int, padding: int) -> np.ndarray:
    """d(conv2d)/dw applied to g: g times each window, summed over batch and positions."""
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding))) if padding else x
    cols = _windows(xp, w_shape[2], w_shape[3], stride)
    return np.tensordot(g, cols, axes=([0, 2, 3], [0, 2, 3]))  # (O, C, kh, kw)


def _conv(x, w, stride: int, padding: int):
    """conv2d of arrays or nodes (no bias, no checks): what the gradient rules call."""
    if isinstance(x, Node) or isinstance(w, Node):
        return apply(CONV2D, (x, w), (stride, padding))
    return _conv_forward(x, w, None, stride, padding)[0]


def conv2d_input_grad(g, w, x_shape: tuple, stride: int, padding: int):
    """The gradient conv2d sends to its input, for arrays or nodes."""
    if isinstance(g, Node) or isinstance(w, Node):
        return apply(CONV2D_INPUT_GRAD, (g, w), (tuple(x_shape), stride, padding))
    return _input_grad_array(g, w, x_shape, stride, padding)


def conv2d_weight_grad(x, g, w_shape: tuple, stride: int, padding: int):
    """The gradient conv2d sends to its weight, for arrays or nodes."""
    if isinstance(x, Node) or isinstance(g, Node):
        return apply(CONV2D_WEIGHT_GRAD, (x, g), (tuple(w_shape), stride, padding))
    return _weight_grad_array(x, g, w_shape, stride, padding)


def _conv_vjp(g, xs, out, p):
    """d/dx: conv2d_input_grad(g, w); d/dw: conv2d_weight_grad(x, g); d/db: g summed."""
    stride, padding = p
    x, w = xs[0], xs[1]
    dx = conv2d_input_grad(g, w, shape_of(x), stride, padding)
    dw = conv2d_weight_grad(x, g, shape_of(w), stride, padding)
    return (dx, dw, g.sum(axis=(0, 2, 3))) if len(xs) > 2 else (dx, dw)


def _input_grad_vjp(h, xs, out, p):
    """z = input_grad(g, w) is linear in g and in w: <h, z> = <g, conv2d(h, w)> =
    <w, weight_grad(h, g)>."""
    _, stride, padding = p
    g, w = xs
    return _conv(h, w, stride, padding), conv2d_weight_grad(h, g, shape_of(w), stride, padding)


def _weight_grad_vjp(h, xs, out, p):
    """u = weight_grad(x, g): <h, u> = <x, input_grad(g, h)> = <g, conv2d(x, h)>."""
    _, stride, padding = p
    x, g = xs
    return conv2d_input_grad(g, h, shape_of(x), stride, padding), _conv(x, h, stride, padding)


def _conv_array(xs, p):
    return _conv_forward(xs[0], xs[1], xs[2] if len(xs) > 2 else None, *p)[0]


CONV2D = define("conv2d", array=_conv_array, vjp=_conv_vjp, doc=_conv_vjp.__doc__)
CONV2D_INPUT_GRAD = define(
    "conv2d_input_grad",
    array=lambda xs, p: _input_grad_array(xs[0], xs[1], *p),
    vjp=_input_grad_vjp,
    doc=_input_grad_vjp.__doc__,
)
CONV2D_WEIGHT_GRAD = define(
    "conv2d_weight_grad",
    array=lambda xs, p: _weight_grad_array(xs[0], xs[1], *p),
    vjp=_weight_grad_vjp,
    doc=_weight_grad_vjp.__doc__,
)


def _pool_args(x: Tensor, kernel, stride, what: str) -> tuple[int, int]:
    if not isinstance(x, Tensor):
        raise TypeError(f"{what} input must be a Tensor, got {type(x).__name__}")
    if x.data.ndim != 4:
        raise ValueError(
            f"{what} input {tensor_name(x)} must be (batch, channels, height, width), "
            f"got shape {x.shape}"
        )
    kernel = _positive_int("kernel", kernel)
    stride = kernel if stride is None else _positive_int("stride", stride)
    if kernel > x.shape[2] or kernel > x.shape[3]:
        raise ValueError(
            f"{what}: kernel {kernel} is larger than the input's {x.shape[2]}x{x.shape[3]}"
        )
    return kernel, stride


def max_pool2d(x: Tensor, kernel: int = 2, stride: int | None = None) -> Tensor:
    """The largest value of each kernel x kernel window (stride defaults to kernel)."""
    kernel, stride = _pool_args(x, kernel, stride, "max_pool2d")
    return make_tensor(
        _max_pool_array((x.data,), (kernel, stride)), (x,), MAX_POOL2D, (kernel, stride)
    )


def _max_pool_array(xs, p):
    return _windows(xs[0], p[0], p[0], p[1]).max(axis=(-2, -1))


def _maxima(x: np.ndarray, kernel: int, stride: int) -> tuple:
    """Where each window's (first) maximum lies in x, as an index of x (one entry per output)."""
    win = _windows(x, kernel, kernel, stride)
    arg = win.reshape(*win.shape[:4], kernel * kernel).argmax(axis=-1)
    N, C, Ho, Wo = arg.shape
    di, dj = np.divmod(arg, kernel)
    rows = np.arange(Ho)[None, None, :, None] * stride + di
    cols = np.arange(Wo)[None, None, None, :] * stride + dj
    n = np.broadcast_to(np.arange(N)[:, None, None, None], arg.shape)
    c = np.broadcast_to(np.arange(C)[None, :, None, None], arg.shape)
    return (n, c, rows, cols)


def _max_pool_vjp(g, xs, out, p):
    """The gradient goes to each window's (first) maximum: a scatter, whose gradient reads the
    same places back."""
    x = xs[0]
    return (scatter(g, _maxima(data_of(x), *p), shape_of(x)),)


MAX_POOL2D = define("max_pool2d", array=_max_pool_array, vjp=_max_pool_vjp,
                    doc=_max_pool_vjp.__doc__)  # fmt: skip


def avg_pool2d(x: Tensor, kernel: int = 2, stride: int | None = None) -> Tensor:
    """The mean of each kernel x kernel window (stride defaults to kernel)."""
    kernel, stride = _pool_args(x, kernel, stride, "avg_pool2d")
    return make_tensor(
        _avg_pool_array((x.data,), (kernel, stride)), (x,), AVG_POOL2D, (kernel, stride)
    )


def _avg_pool_array(xs, p):
    return _windows(xs[0], p[0], p[0], p[1]).mean(axis=(-2, -1))


def _spread_array(g, shape, kernel: int, stride: int) -> np.ndarray:
    Ho, Wo = g.shape[2], g.shape[3]
    dx = np.zeros(shape)
    share = g / (kernel * kernel)
    for i in range(kernel):
        for j in range(kernel):
            dx[:, :, i : i + stride * Ho : stride, j : j + stride * Wo : stride] += share
    return dx


def _avg_pool_vjp(g, xs, out, p):
    """Each window element gets g / (kernel * kernel)."""
    kernel, stride = p
    shape = shape_of(xs[0])
    if isinstance(g, Node):
        return (apply(AVG_POOL_SPREAD, (g,), (tuple(shape), kernel, stride)),)
    return (_spread_array(g, shape, kernel, stride),)


def _pool(h, kernel: int, stride: int):
    if isinstance(h, Node):
        return apply(AVG_POOL2D, (h,), (kernel, stride))
    return _avg_pool_array((h,), (kernel, stride))


AVG_POOL2D = define("avg_pool2d", array=_avg_pool_array, vjp=_avg_pool_vjp,
                    doc=_avg_pool_vjp.__doc__)  # fmt: skip
AVG_POOL_SPREAD = define(
    "avg_pool2d_spread",
    array=lambda xs, p: _spread_array(xs[0], *p),
    vjp=lambda h, xs, out, p: (_pool(h, p[1], p[2]),),
    doc="avg_pool2d's gradient spread over its windows; its own gradient is avg_pool2d",
)


def flatten(x: Tensor) -> Tensor:
    """(batch, d1, d2, ...) -> (batch, d1 * d2 * ...)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"flatten input must be a Tensor, got {type(x).__name__}")
    if x.data.ndim < 2:
        raise ValueError(f"flatten needs a batch axis and at least one more, got shape {x.shape}")
    return x.reshape(x.shape[0], -1)


def value_conv2d(
    image, kernel, bias: Value | None = None, stride: int = 1, padding: int = 0
) -> list[list[Value]]:
    """The convolution of one single-channel image (a list of rows of Values or numbers) with
    one kernel (rows of Values), built of Value nodes: each output pixel is one ``dot`` node
    over its window, made in scope ``conv/out[i,j]``. Padding adds constant zeros."""
    stride = _positive_int("stride", stride)
    padding = _positive_int("padding", padding, 0)
    rows = [[p if isinstance(p, Value) else Value.input(p) for p in row] for row in image]
    k = [list(row) for row in kernel]
    h, w, kh, kw = len(rows), len(rows[0]), len(k), len(k[0])
    if any(len(r) != w for r in rows) or any(len(r) != kw for r in k):
        raise ValueError("value_conv2d: image and kernel must be rectangular lists of rows")
    if kh > h + 2 * padding or kw > w + 2 * padding:
        raise ValueError(
            f"value_conv2d: kernel {kh}x{kw} does not fit image {h}x{w} with padding {padding}"
        )
    zero = Value.constant(0.0)
    padded = [[zero] * (w + 2 * padding) for _ in range(padding)]
    padded += [[zero] * padding + r + [zero] * padding for r in rows]
    padded += [[zero] * (w + 2 * padding) for _ in range(padding)]
    weights = tuple(v for row in k for v in row)
    out = []
    for i in range(conv_output_size(h, kh, stride, padding)):
        line = []
        for j in range(conv_output_size(w, kw, stride, padding)):
            window = tuple(
                padded[i * stride + di][j * stride + dj] for di in range(kh) for dj in range(kw)
            )
            with scope(f"conv/out[{i},{j}]"):
                node = unchecked_dot(weights, window, bias)
            node.label = f"y[{i},{j}]"
            line.append(node)
        out.append(line)
    return out
