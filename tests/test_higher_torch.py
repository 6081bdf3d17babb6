"""Higher-order derivatives against PyTorch float64: second derivatives of every op, the
Hessians of MLP losses, hvp and gradgradcheck (needs the torch extra; skipped without it)."""

import numpy as np
import pytest
from catalog import ALL, arrays_for, inputs_for
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from autograd import (
    Tensor,
    Value,
    avg_pool2d,
    conv2d,
    define_op,
    gradgradcheck,
    hessian,
    hvp,
    max_pool2d,
)

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


def torch_hessian(fn, arrays):
    tensors = tuple(torch.tensor(a, dtype=torch.float64) for a in arrays)
    H = torch.autograd.functional.hessian(lambda *ts: fn(*ts).sum(), tensors)
    n = [int(np.prod(a.shape)) for a in arrays]
    return np.block([[H[i][j].reshape(n[i], n[j]).numpy() for j in range(len(arrays))]
                     for i in range(len(arrays))])  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("op", ALL, ids=lambda op: op.name)
def test_value_op_second_derivatives_match_torch(op):
    @settings(max_examples=15, deadline=None)
    @given(xs=inputs_for(op))
    def check(xs):
        # torch masks d/dx x^e to 0 where e == 0 exactly, so its mixed derivative there is 0 one
        # way and 1 the other; ours is the symmetric 1 (x^(e-1) (1 + e ln x))
        assume(not (op.name == "pow" and xs[1] == 0.0))
        values = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
        ours = hessian(op.apply, values)
        theirs = torch_hessian(op.torch, [np.array(x) for x in xs])
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-10)

    check()


@pytest.mark.slow
@pytest.mark.parametrize("op", ALL, ids=lambda op: op.name)
def test_tensor_op_second_derivatives_with_broadcasting_match_torch(op):
    @settings(max_examples=10, deadline=None)
    @given(arrays=arrays_for(op, max_dims=2, max_side=2))
    def check(arrays):
        assume(not (op.name == "pow" and np.any(arrays[1] == 0.0)))  # torch's mask, as above
        nodes = [Tensor(a, label=f"x{i}") for i, a in enumerate(arrays)]
        ours = hessian(lambda *ts: (op.apply(*ts) * op.apply(*ts)).sum(), nodes)
        theirs = torch_hessian(lambda *ts: op.torch(*ts) ** 2, arrays)
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-9)

    check()


STRUCTURAL = [
    ("matmul", lambda a, b: ((a @ b).tanh()).sum(), lambda a, b: (a @ b).tanh().sum(),
     [(2, 3), (3, 2)]),
    ("vector_matmul", lambda a, b: (a @ b).sigmoid().sum(), lambda a, b: (a @ b).sigmoid().sum(),
     [(3,), (3, 2)]),
    ("sum_axis", lambda a: (a.sum(axis=0) ** 3).sum(), lambda a: (a.sum(dim=0) ** 3).sum(),
     [(2, 3)]),
    ("mean_keepdims", lambda a: (a.mean(axis=1, keepdims=True) * a).exp().sum(),
     lambda a: (a.mean(dim=1, keepdim=True) * a).exp().sum(), [(2, 3)]),
    ("reshape_transpose", lambda a: (a.reshape(3, 2).T * a).sum() ** 2,
     lambda a: (a.reshape(3, 2).T * a).sum() ** 2, [(2, 3)]),
    ("index", lambda a: (a[np.array([0, 2, 2])] ** 3).sum(),
     lambda a: (a[torch.tensor([0, 2, 2])] ** 3).sum(), [(4,)]),
    ("slice", lambda a: (a[1:, :2] * a[:1, 1:]).tanh().sum(),
     lambda a: (a[1:, :2] * a[:1, 1:]).tanh().sum(), [(2, 3)]),
]  # fmt: skip


@pytest.mark.parametrize("name, ours, theirs, shapes", STRUCTURAL, ids=[s[0] for s in STRUCTURAL])
def test_structural_tensor_ops_second_derivatives_match_torch(name, ours, theirs, shapes):
    rng = np.random.default_rng(3)
    arrays = [rng.uniform(-1, 1, s) for s in shapes]
    H = hessian(ours, [Tensor(a) for a in arrays])
    np.testing.assert_allclose(H, torch_hessian(theirs, arrays), rtol=1e-9, atol=1e-10)


@pytest.mark.slow
@pytest.mark.parametrize("stride, padding", [(1, 0), (1, 1), (2, 1)])
def test_conv_and_pools_second_derivatives_match_torch(stride, padding):
    """conv2d (with bias), then max and average pooling: the Hessian over input, weight and bias,
    including the convolution's gradient ops differentiated again."""
    F = torch.nn.functional
    rng = np.random.default_rng(stride * 10 + padding)
    x, w, b = rng.normal(size=(1, 2, 5, 5)), rng.normal(size=(2, 2, 3, 3)), rng.normal(size=2)

    def ours(x, w, b):
        y = conv2d(x, w, b, stride=stride, padding=padding).tanh()
        return (max_pool2d(y, 2, 1) * avg_pool2d(y, 2, 1)).sum()

    def theirs(x, w, b):
        y = F.conv2d(x, w, b, stride=stride, padding=padding).tanh()
        return F.max_pool2d(y, 2, 1) * F.avg_pool2d(y, 2, 1)

    H = hessian(ours, [Tensor(x), Tensor(w), Tensor(b)])
    np.testing.assert_allclose(H, torch_hessian(theirs, [x, w, b]), rtol=1e-8, atol=1e-9)


@st.composite
def mlp_problems(draw):
    from catalog import mlp_configs

    config = draw(mlp_configs(max_depth=3, max_width=4))
    n = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 1000))
    loss = draw(st.sampled_from(["mse", "bce"]))
    return config, n, seed, loss


@settings(max_examples=12, deadline=None)
@given(problem=mlp_problems())
def test_hessian_of_mlp_losses_of_random_architectures_matches_torch(problem):
    """The Tensor MLP's loss Hessian over every parameter equals torch's on the same weights."""
    from nets import TensorMLP
    from nets.pytorch import to_torch

    config, n, seed, loss = problem
    if loss == "bce" and config["output_activation"] != "sigmoid":
        loss = "mse"
    net = TensorMLP(**config)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, config["layer_sizes"][0]))
    y = rng.integers(0, 2, (n, config["layer_sizes"][-1])).astype(float)
    names = list(net.state_dict())
    leaves = [net.params[k] for k in names]
    H = hessian(lambda *ps: net.loss(X, y, loss=loss, reduction="sum"), leaves)
    module = to_torch(net)
    params = dict(module.named_parameters())
    torch_names = [_torch_name(k) for k in names]
    shapes = [params[t].shape for t in torch_names]

    def f(*flat):
        state = {t: (v.T if k.startswith("W") else v) for t, k, v in zip(torch_names, names, flat)}
        out = torch.func.functional_call(module, state, (torch.tensor(X),))
        t = torch.tensor(y)
        if loss == "bce":
            return torch.nn.functional.binary_cross_entropy(out, t, reduction="sum")
        return ((out - t) ** 2).sum()

    arrays = [net.state_dict()[k] for k in names]
    theirs = torch_hessian(f, arrays)
    assert shapes  # every parameter found in the torch module
    np.testing.assert_allclose(H, theirs, rtol=1e-7, atol=1e-9)


def _torch_name(name: str) -> str:
    kind, k = name[0], int(name[1:])
    return f"{2 * (k - 1)}.{'weight' if kind == 'W' else 'bias'}"


def test_hvp_equals_the_hessian_times_the_vector():
    rng = np.random.default_rng(0)
    a, b = Tensor(rng.normal(size=(2, 2))), Tensor(rng.normal(size=2))

    def f(a, b):
        return ((a @ b).sigmoid() * b).sum()

    v = [rng.normal(size=(2, 2)), rng.normal(size=2)]
    H = hessian(f, [a, b])
    expected = H @ np.concatenate([x.reshape(-1) for x in v])
    got = np.concatenate([g.reshape(-1) for g in hvp(f, [a, b], v)])
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


def test_gradgradcheck_passes_right_ops_and_names_a_wrong_second_derivative():
    x, y = Value(0.7, label="x"), Value(-0.4, label="y")
    assert gradgradcheck(lambda x, y: (x * y).tanh() * x.exp(), [x, y])
    # first derivative right, but written so that its own derivative is wrong:
    # d/dx x^3 = 3 x^2, given as 3 * (the number x^2): a constant to the graph
    cube = define_op(
        "cube_flat",
        lambda x: x**3,
        lambda x, out: (3.0 * (x * x if isinstance(x, float) else x.data * x.data),),
    )
    with pytest.raises(AssertionError, match=r"gradgradcheck FAILED \(1 of 1\)"):
        gradgradcheck(lambda x: cube(x), [Value(1.5, label="x")])
