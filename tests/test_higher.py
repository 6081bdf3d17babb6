"""Higher-order derivatives: ``grad`` (and the gradient as a graph), ``hessian``, ``hvp``,
``gradgradcheck``, and the op records that make every op differentiable to any order.

The PyTorch agreement tests skip without torch (CI installs it); hypothesis draws the inputs."""

import math

import numpy as np
import pytest
from catalog import ALL, UNARY, arrays_for, inputs_for
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from autograd import (
    CustomOpError,
    Tensor,
    Value,
    avg_pool2d,
    backward_steps,
    conv2d,
    define_op,
    define_tensor_op,
    draw,
    grad,
    gradgradcheck,
    hessian,
    hvp,
    max_pool2d,
    stepper,
)
from autograd.ops import OPS, exp

# -- grad: first order, leaving .grad alone ------------------------------------------------------


def test_grad_matches_backward_and_touches_no_grad():
    x, w = Value(0.5, label="x"), Value(-1.5, label="w")
    y = (x * w).sigmoid() * x
    gx, gw = grad(y, [x, w])
    assert (x.grad, w.grad, y.grad) == (0.0, 0.0, 0.0)  # nothing written
    y.backward()
    assert (gx, gw) == (x.grad, w.grad)
    W = Tensor(np.arange(6.0).reshape(2, 3) / 7, label="W")
    v = Tensor(np.array([0.3, -0.2]), label="v")
    z = (v @ W).tanh().sum()
    gW, gv = grad(z, [W, v])
    assert np.all(W.grad == 0) and z.grad is None
    z.backward()
    assert np.array_equal(gW, W.grad) and np.array_equal(gv, v.grad)


def test_grad_of_an_input_not_reached_is_zero_of_its_kind():
    x, other = Value(2.0), Value(5.0)
    t, unused = Tensor(np.ones(3)), Tensor(np.ones((2, 2)))
    assert grad(x * x, [other, x]) == (0.0, 4.0)
    g = grad((t * 2).sum(), [unused])[0]
    assert isinstance(g, np.ndarray) and g.shape == (2, 2) and not g.any()
    (node,) = grad(x * x, [other], create_graph=True)
    assert isinstance(node, Value) and node.data == 0.0 and node.op == "const"


def test_grad_output_is_the_upstream_gradient():
    t = Tensor(np.array([1.0, 2.0, 3.0]), label="t")
    (g,) = grad(t * t, [t], grad_output=np.array([1.0, 0.0, -1.0]))
    assert g.tolist() == [2.0, 0.0, -6.0]
    x = Value(3.0)
    assert grad(x * x, [x], grad_output=0.5) == (3.0,)


def test_bad_arguments_are_named():
    x, t = Value(1.0), Tensor(np.ones(3))
    with pytest.raises(
        TypeError, match="grad's inputs must be Value or Tensor nodes; input 1 is float"
    ):
        grad(x * x, [x, 2.0])
    with pytest.raises(TypeError, match="grad's output must be a Value or Tensor node, got float"):
        grad(1.0, [x])
    with pytest.raises(ValueError, match=r"output of shape \(3,\) needs grad_output="):
        grad(t * 2, [t])
    with pytest.raises(ValueError, match=r"grad_output has shape \(2,\); the output \(3,\)"):
        grad(t * 2, [t], grad_output=np.ones(2))
    with pytest.raises(TypeError, match="hessian: f must return a Value or Tensor node, got float"):
        hessian(lambda a: 1.0, [x])
    with pytest.raises(
        ValueError, match=r"hessian: f must return one element, got a tensor of shape \(3,\)"
    ):
        hessian(lambda a: a * 2, [t])
    with pytest.raises(ValueError, match="hvp needs one vector per input"):
        hvp(lambda a, b: a * b, [x, Value(2.0)], [1.0])


# -- the gradient as a graph --------------------------------------------------------------------
def test_second_and_third_derivatives_of_a_polynomial():
    x = Value(3.0, label="x")
    (d1,) = grad(x**3, [x], create_graph=True)
    (d2,) = grad(d1, [x], create_graph=True)
    (d3,) = grad(d2, [x], create_graph=True)
    (d4,) = grad(d3, [x])
    assert (d1.data, d2.data, d3.data, d4) == (27.0, 18.0, 6.0, 0.0)
    assert d1.label == "dL/dx" and d2.label == "d(dL/dx)/dx"


THIRD = {  # d^3/dx^3 of each unary op, from its formula
    "neg": lambda x: 0.0,
    "exp": math.exp,
    "log": lambda x: 2 / x**3,
    "tanh": lambda x: -2 * (1 - math.tanh(x) ** 2) * (1 - 3 * math.tanh(x) ** 2),
    "sigmoid": lambda x: (s := 1 / (1 + math.exp(-x))) * (1 - s) * (1 - 6 * s + 6 * s * s),
    "abs": lambda x: 0.0,
    "relu": lambda x: 0.0,
    "leaky_relu": lambda x: 0.0,
    "square": lambda x: 0.0,
    "sqrt": lambda x: 3 / 8 * x**-2.5,
    "cube": lambda x: 6.0,
    "reciprocal": lambda x: -6 / x**4,
    "add_const": lambda x: 0.0,
    "rsub_const": lambda x: 0.0,
    "mul_const": lambda x: 0.0,
}


@pytest.mark.parametrize("op", UNARY, ids=lambda op: op.name)
def test_third_derivative_of_every_unary_op_matches_its_formula(op):
    @settings(max_examples=15, deadline=None)
    @given(xs=inputs_for(op))
    def check(xs):
        x = Value(xs[0], label="x")
        (d1,) = grad(op.apply(x), [x], create_graph=True)
        (d2,) = grad(d1, [x], create_graph=True)
        (d3,) = grad(d2, [x])
        assert d3 == pytest.approx(THIRD[op.name](xs[0]), rel=1e-9, abs=1e-9)

    check()


def test_every_registered_op_gives_nan_for_nan():
    """NaN in, NaN out, settled once in the records: every scalar and array forward."""
    params = {"**": 2.0, "leaky_relu": 0.01, "clip": (-1.0, 1.0), "bce": 1.0, "between": (0, 1)}
    arity = {"+": 2, "-": 2, "*": 2, "/": 2, "dot": 2}
    checked = 0
    for name, op in OPS.items():
        if op.user or op.scalar is None:
            continue
        xs = (math.nan,) * arity.get(name, 1)
        assert math.isnan(op.scalar(xs, params.get(name))), name
        if op.array is not None and name not in ("dot", "sum"):
            arrays = tuple(np.full(3, np.nan) for _ in xs)
            assert np.isnan(op.array(arrays, params.get(name))).all(), name
        checked += 1
    assert checked >= 18


def test_the_gradient_graph_is_drawn_stepped_and_checked():
    """The gradient of the lab's loss as nodes: labelled, in scope backward, drawn beside the
    forward graph it reads, stepped through, and each step's rule checks out."""
    from nets import ValueMLP

    net = ValueMLP((2, 2, 1), seed=0)
    loss = net.loss([[0.3, 0.8]], [[1.0]], loss="bce", reduction="sum")
    params = list(net.parameters())
    g = grad(loss, params, create_graph=True)
    first = dict(zip([p.label for p in params], g))
    assert first["W2[0,0]"].label == "dL/dW2[0,0]" and first["W2[0,0]"].scope == "backward"
    source = draw(first["W2[0,0]"]).source
    assert "cluster_backward" in source and "layer1" in source  # beside the forward graph
    steps = list(backward_steps(first["W2[0,0]"]))
    assert steps and all(step.check().ok for step in steps)
    assert len(stepper(first["W2[0,0]"])) == len(steps)


# -- PyTorch agreement --------------------------------------------------------------------------
torch = pytest.importorskip("torch")


def torch_hessian(fn, arrays):
    tensors = tuple(torch.tensor(a, dtype=torch.float64) for a in arrays)
    H = torch.autograd.functional.hessian(lambda *ts: fn(*ts).sum(), tensors)
    n = [int(np.prod(a.shape)) for a in arrays]
    return np.block([[H[i][j].reshape(n[i], n[j]).numpy() for j in range(len(arrays))]
                     for i in range(len(arrays))])  # fmt: skip


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


# -- user-defined ops --------------------------------------------------------------------------
def test_a_custom_op_written_with_node_ops_is_twice_differentiable():
    softplus = define_op(
        "softplus_twice",
        lambda x: math.log1p(math.exp(x)),
        lambda x, out: (1 / (1 + exp(-x)),),  # autograd.ops.exp: numbers and nodes alike
    )
    x = Value(0.3, label="x")
    (d1,) = grad(softplus(x), [x], create_graph=True)
    (d2,) = grad(d1, [x])
    s = 1 / (1 + math.exp(-0.3))
    assert d1.data == pytest.approx(s) and d2 == pytest.approx(s * (1 - s))
    cube = define_tensor_op("cube_graph", lambda a: a**3, lambda g, a, out: (3 * g * a * a,))
    t = Tensor(np.array([0.5, -2.0]), label="t")
    H = hessian(lambda t: cube(t).sum(), [t])
    np.testing.assert_allclose(H, np.diag([3.0, -12.0]))


def test_a_custom_op_with_numbers_only_derivatives_says_how_to_fix_it():
    numbers_only = define_op(
        "softplus_numbers", lambda x: math.log1p(math.exp(x)),
        lambda x, out: (1 / (1 + math.exp(-x)),),
    )  # fmt: skip
    x = Value(0.3, label="x")
    assert grad(numbers_only(x), [x])[0] == pytest.approx(1 / (1 + math.exp(-0.3)))
    with pytest.raises(CustomOpError, match="works on numbers only.*autograd.ops functions"):
        grad(numbers_only(x), [x], create_graph=True)
    flat = define_tensor_op("flat_vjp", lambda a: np.sin(a), lambda g, a, out: (g * np.cos(a),))
    t = Tensor(np.ones(2))
    with pytest.raises(CustomOpError, match="op 'flat_vjp': its derivative works on numbers only"):
        grad(flat(t).sum(), [t], create_graph=True)


def test_a_redefined_op_leaves_older_nodes_with_their_own_record():
    first = define_op("twice_me", lambda x: 2 * x, lambda x, out: (2.0,))
    y = first(Value(1.0, label="x"))
    define_op("twice_me", lambda x: 3 * x, lambda x, out: (3.0,))  # redefined: a new record
    (step,) = list(backward_steps(y))
    assert step.check().ok and y.op.scalar((1.0,), None) == 2.0


def test_an_op_record_applied_to_a_non_number_is_named():
    from autograd.ops import EXP

    with pytest.raises(TypeError, match="op 'exp' takes Values and numbers, got str"):
        Value.apply(EXP, ("x",))
    assert Value.apply(EXP, (0.0,)).data == 1.0  # a number becomes a constant
