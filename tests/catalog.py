"""One catalog of the engine's ops, reused by the forward, gradient and PyTorch tests of both
node types (the minitorch way). Each entry names the op, how to apply it to gradstep nodes (the
same call works for Value and Tensor), the same op in plain numpy (the forward reference), the
same op in torch, and the domain its inputs are drawn from: away from kinks (abs, relu at 0) and
singularities (log and division at 0) so central differences are meaningful there."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from autograd.checks.testing import broadcastable_arrays, floats, values


@dataclass(frozen=True)
class Op:
    name: str
    arity: int
    apply: Callable  # on gradstep nodes (and plain numbers mixed in)
    numpy: Callable  # on float64 arrays
    torch: Callable  # on torch tensors
    domain: tuple[float, float] = (-3.0, 3.0)  # each input drawn from here
    avoid_zero: bool = False  # keep |x| >= 0.1 (kinks and poles at 0)
    domains: tuple | None = None  # per-input domains, overriding ``domain``


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _leaky(x, slope=0.01):
    return np.where(x > 0, x, slope * x)


UNARY = [
    Op("neg", 1, lambda a: -a, lambda a: -a, lambda a: -a),
    Op("abs", 1, abs, np.abs, lambda a: a.abs(), avoid_zero=True),
    Op("exp", 1, lambda a: a.exp(), np.exp, lambda a: a.exp()),
    Op("log", 1, lambda a: a.log(), np.log, lambda a: a.log(), domain=(0.1, 5.0)),
    Op("tanh", 1, lambda a: a.tanh(), np.tanh, lambda a: a.tanh()),
    Op("sigmoid", 1, lambda a: a.sigmoid(), _sigmoid, lambda a: a.sigmoid()),
    Op(
        "relu",
        1,
        lambda a: a.relu(),
        lambda a: np.maximum(a, 0),
        lambda a: a.relu(),
        avoid_zero=True,
    ),
    Op(
        "leaky_relu",
        1,
        lambda a: a.leaky_relu(0.1),
        lambda a: _leaky(a, 0.1),
        lambda a: __import__("torch").nn.functional.leaky_relu(a, 0.1),
        avoid_zero=True,
    ),
    Op("square", 1, lambda a: a**2, lambda a: a**2, lambda a: a**2),
    Op("sqrt", 1, lambda a: a**0.5, np.sqrt, lambda a: a**0.5, domain=(0.1, 5.0)),
    Op("cube", 1, lambda a: a**3, lambda a: a**3, lambda a: a**3),
    Op("reciprocal", 1, lambda a: 1 / a, lambda a: 1 / a, lambda a: 1 / a, avoid_zero=True),
    Op("add_const", 1, lambda a: a + 2.5, lambda a: a + 2.5, lambda a: a + 2.5),
    Op("rsub_const", 1, lambda a: 1 - a, lambda a: 1 - a, lambda a: 1 - a),
    Op("mul_const", 1, lambda a: 3 * a, lambda a: 3 * a, lambda a: 3 * a),
]

BINARY = [
    Op("add", 2, lambda a, b: a + b, np.add, lambda a, b: a + b),
    Op("sub", 2, lambda a, b: a - b, np.subtract, lambda a, b: a - b),
    Op("mul", 2, lambda a, b: a * b, np.multiply, lambda a, b: a * b),
    Op(
        "div",
        2,
        lambda a, b: a / b,
        np.divide,
        lambda a, b: a / b,
        domains=((-3.0, 3.0), (0.2, 3.0)),
    ),
    Op("pow", 2, lambda a, b: a**b, np.power, lambda a, b: a**b, domains=((0.2, 3.0), (-2.0, 2.0))),
]

ALL = UNARY + BINARY


def domains(op: Op) -> tuple:
    return op.domains or (op.domain,) * op.arity


# The strategies are autograd.checks.testing's, what a user's own tests would use.
def inputs_for(op: Op):
    """A strategy drawing a tuple of ``op.arity`` floats from the op's domain."""
    return st.tuples(*(floats(d, op.avoid_zero) for d in domains(op)))


def values_for(op: Op):
    """A strategy drawing a tuple of ``op.arity`` Value leaves (``x0``, ``x1``) in its domain."""
    return st.tuples(*(values(d, op.avoid_zero, label=f"x{i}") for i, d in enumerate(domains(op))))


def arrays_for(op: Op, max_dims: int = 3, max_side: int = 3):
    """A tuple of ``op.arity`` arrays whose shapes broadcast together (leading axes and size-1
    axes included), each drawn from the op's domain."""
    return broadcastable_arrays(
        op.arity, domains(op), op.avoid_zero, max_dims=max_dims, max_side=max_side
    )


# -- network architectures for the engine, population and hand-off tests --------------------------
@st.composite
def mlp_configs(draw, max_depth: int = 4, max_width: int = 6):
    """MLP constructor arguments: depth 1-``max_depth``, widths 1-``max_width``, any hidden
    activation, a sigmoid, identity or tanh output, bias on or off, any init, a seed."""
    from nets import ACTIVATIONS, INITS

    depth = draw(st.integers(1, max_depth))
    sizes = draw(st.lists(st.integers(1, max_width), min_size=depth + 1, max_size=depth + 1))
    return {
        "layer_sizes": tuple(sizes),
        "activation": draw(st.sampled_from(sorted(ACTIVATIONS))),
        "output_activation": draw(st.sampled_from(["sigmoid", "none", "tanh"])),
        "bias": draw(st.booleans()),
        "init": draw(st.sampled_from(INITS)),
        "seed": draw(st.integers(0, 2**16)),
    }
