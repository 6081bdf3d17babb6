"""Convolution and pooling: central differences, PyTorch float64, the Value-built convolution,
errors, stepping; and the CNN module's contract."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import (
    Tensor,
    Value,
    avg_pool2d,
    backward_steps,
    conv2d,
    flatten,
    gradcheck,
    max_pool2d,
    sum_values,
    value_conv2d,
)
from nets import CNN, Adam


@st.composite
def conv_cases(draw):
    n, c, o = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride, padding = draw(st.integers(1, 2)), draw(st.integers(0, 1))
    h = draw(st.integers(max(1, kh - 2 * padding), 5))
    w = draw(st.integers(max(1, kw - 2 * padding), 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    bias = draw(st.booleans())
    return dict(
        x=rng.standard_normal((n, c, h, w)),
        w=rng.standard_normal((o, c, kh, kw)),
        b=rng.standard_normal(o) if bias else None,
        stride=stride,
        padding=padding,
    )


def _conv_fn(case):
    def f(x, w, *b):
        return conv2d(x, w, b[0] if b else None, stride=case["stride"], padding=case["padding"])

    return f


def _tensors(case):
    out = [Tensor(case["x"], label="x"), Tensor(case["w"], label="w")]
    if case["b"] is not None:
        out.append(Tensor(case["b"], label="b"))
    return out


@settings(max_examples=25, deadline=None)
@given(case=conv_cases())
def test_conv2d_gradients_match_central_differences(case):
    assert gradcheck(_conv_fn(case), _tensors(case))


@st.composite
def pool_cases(draw):
    k = draw(st.integers(1, 3))
    stride = draw(st.one_of(st.none(), st.integers(1, 3)))
    h, w = draw(st.integers(k, 6)), draw(st.integers(k, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    # distinct values: max pooling's derivative is defined (no ties)
    x = rng.permutation(2 * h * w).reshape(2, 1, h, w)[:, :, :, :] * 0.37 + 0.1
    return x.astype(np.float64), k, stride


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(case=pool_cases())
def test_pool_gradients_match_central_differences(case):
    x, k, stride = case
    for pool in (max_pool2d, avg_pool2d):
        assert gradcheck(lambda t, pool=pool: pool(t, k, stride), [Tensor(x, label="x")])


@pytest.mark.slow
@pytest.mark.torch
@settings(max_examples=20, deadline=None)
@given(case=conv_cases(), pool=pool_cases())
def test_conv_and_pools_match_torch(case, pool):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    tensors = _tensors(case)
    out = _conv_fn(case)(*tensors)
    seed = np.linspace(-1, 1, out.size).reshape(out.shape)
    out.backward(seed)
    refs = [torch.tensor(t.data, requires_grad=True) for t in tensors]
    ref = F.conv2d(
        refs[0],
        refs[1],
        refs[2] if len(refs) > 2 else None,
        stride=case["stride"],
        padding=case["padding"],
    )
    ref.backward(torch.tensor(seed))
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    for t, r in zip(tensors, refs, strict=True):
        np.testing.assert_allclose(t.grad, r.grad.numpy(), rtol=1e-10, atol=1e-12)
    x, k, stride = pool
    for ours, theirs in ((max_pool2d, F.max_pool2d), (avg_pool2d, F.avg_pool2d)):
        t = Tensor(x)
        y = ours(t, k, stride)
        g = np.linspace(0.5, 1.5, y.size).reshape(y.shape)
        y.backward(g)
        r = torch.tensor(x, requires_grad=True)
        ry = theirs(r, k, stride)
        ry.backward(torch.tensor(g))
        np.testing.assert_allclose(y.data, ry.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(t.grad, r.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("stride, padding", [(1, 0), (1, 1), (2, 1)])
def test_value_built_convolution_equals_the_tensor_one(stride, padding):
    """A 5x5 image and one 3x3 filter: values and every gradient equal to 1e-12."""
    rng = np.random.default_rng(stride * 10 + padding)
    image, kernel, bias = rng.standard_normal((5, 5)), rng.standard_normal((3, 3)), 0.3
    pixels = [
        [Value.input(v, f"x[{i},{j}]") for j, v in enumerate(row)] for i, row in enumerate(image)
    ]
    k = [[Value(v, f"k[{i},{j}]") for j, v in enumerate(row)] for i, row in enumerate(kernel)]
    b = Value(bias, "b")
    out = value_conv2d(pixels, k, b, stride=stride, padding=padding)
    total = sum_values(
        [y * (1 + 0.1 * i + 0.01 * j) for i, row in enumerate(out) for j, y in enumerate(row)]
    )
    total.backward()

    x, w, bt = Tensor(image[None, None]), Tensor(kernel[None, None]), Tensor([bias])
    y = conv2d(x, w, bt, stride=stride, padding=padding)
    weights = np.array(
        [[1 + 0.1 * i + 0.01 * j for j in range(y.shape[3])] for i in range(y.shape[2])]
    )
    (y * weights).sum().backward()
    np.testing.assert_allclose(
        [[v.data for v in row] for row in out], y.data[0, 0], rtol=1e-12, atol=1e-14
    )
    np.testing.assert_allclose([[v.grad for v in row] for row in k], w.grad[0, 0], rtol=1e-12)
    np.testing.assert_allclose(
        [[v.grad for v in row] for row in pixels], x.grad[0, 0], rtol=1e-12, atol=1e-14
    )
    assert b.grad == pytest.approx(bt.grad[0], rel=1e-12)
    assert out[0][0].scope == "conv/out[0,0]" and out[0][0].op == "dot"


def test_stepping_checks_conv_and_pool_nodes():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((1, 2, 5, 5)), label="x")
    w = Tensor(rng.standard_normal((3, 2, 3, 3)), label="w")
    b = Tensor(rng.standard_normal(3), label="b")
    # tanh, not relu: relu's zeros would tie inside pooling windows, where max has no derivative
    y = flatten(max_pool2d(conv2d(x, w, b, padding=1).tanh(), 2)).sum()
    ops = []
    for step in backward_steps(y):
        ops.append(step.node.op)
        assert step.check().ok, step
    assert {"conv2d", "max_pool2d"} <= set(ops)


def test_shape_errors_name_shapes_and_fixes():
    x = Tensor(np.ones((1, 3, 4, 4)), label="x")
    with pytest.raises(
        ValueError,
        match=r"input 'x' \(1, 3, 4, 4\) has 3 channels but weight "
        r"'w' \(2, 1, 3, 3\) expects 1",
    ):
        conv2d(x, Tensor(np.ones((2, 1, 3, 3)), label="w"))
    with pytest.raises(
        ValueError,
        match=r"kernel 7x7 does not fit input 4x4 with padding 0; "
        r"use padding >= 2",
    ):
        conv2d(x, Tensor(np.ones((1, 3, 7, 7))))
    with pytest.raises(
        ValueError,
        match=r"must be \(batch, channels, height, width\), got "
        r"shape \(4, 4\)",
    ):
        conv2d(Tensor(np.ones((4, 4))), Tensor(np.ones((1, 1, 3, 3))))
    with pytest.raises(ValueError, match=r"bias .* must have shape \(2,\), got \(3,\)"):
        conv2d(x, Tensor(np.ones((2, 3, 3, 3))), Tensor(np.ones(3)))
    with pytest.raises(ValueError, match="stride must be an integer >= 1, got 0"):
        conv2d(x, Tensor(np.ones((2, 3, 3, 3))), stride=0)
    with pytest.raises(ValueError, match="kernel 5 is larger than the input's 4x4"):
        max_pool2d(x, 5)
    with pytest.raises(TypeError, match="conv2d input must be a Tensor, got ndarray"):
        conv2d(np.ones((1, 1, 3, 3)), Tensor(np.ones((1, 1, 3, 3))))


def test_cnn_contract_gradcheck_and_training():
    rng = np.random.default_rng(0)
    X = rng.random((6, 1, 6, 6))
    y = (X[:, 0, :3].sum(axis=(1, 2)) > X[:, 0, 3:].sum(axis=(1, 2))).astype(float)
    net = CNN(
        image_shape=(1, 6, 6), channels=(2,), kernel=3, hidden=(3,), seed=1, activation="tanh"
    )
    assert list(net.state_dict()) == [
        "conv1.W",
        "conv1.b",
        "dense1.W",
        "dense1.b",
        "dense2.W",
        "dense2.b",
    ]
    assert net.state_dict()["conv1.W"].shape == (2, 1, 3, 3)
    params = net.parameters()
    report = gradcheck(lambda *p: net.loss(X, y, loss="bce"), params)
    assert report.ok and len(report) == net.num_parameters()
    loss, grads = net.loss_and_grads(X, y, loss="bce")
    assert set(grads) == set(net.state_dict()) and grads["conv1.W"].shape == (2, 1, 3, 3)
    opt = Adam(net, lr=0.05)
    for _ in range(60):
        last, grads = net.loss_and_grads(X, y, loss="bce")
        opt.step(grads)
    assert last < loss / 2
    assert net.predict(X).shape == (6, 1)
    with pytest.raises(ValueError, match=r"X has shape \(6, 6, 6\)"):
        net.predict(X[:, 0])


def test_cnn_save_load_round_trip(tmp_path):
    a, b = CNN(seed=0), CNN(seed=1)
    b.load(a.save(tmp_path / "cnn.npz"))
    for k, v in a.state_dict().items():
        np.testing.assert_array_equal(b.state_dict()[k], v)


def test_sequential_of_linear_layers_equals_the_mlp_engines():
    """Linear + activation layers compose into the MLP: same weights, same loss and gradients."""
    from nets import ActivationLayer, Flatten, Linear, NumpyMLP, Sequential

    rng = np.random.default_rng(3)
    X, y = rng.random((7, 2)), (rng.random((7, 1)) > 0.5).astype(float)
    mlp = NumpyMLP((2, 4, 4, 1), activation="tanh", seed=3)
    seq = Sequential(
        [
            Flatten(),
            Linear(2, 4),
            ActivationLayer("tanh"),
            Linear(4, 4),
            ActivationLayer("tanh"),
            Linear(4, 1),
            ActivationLayer("sigmoid"),
        ],
        input_shape=(2,),
    )
    rename = {f"{p}{k}": f"dense{k}.{p}" for k in (1, 2, 3) for p in ("W", "b")}
    seq.load_state_dict({rename[k]: v for k, v in mlp.state_dict().items()})
    loss_a, grads_a = mlp.loss_and_grads(X, y, loss="bce")
    loss_b, grads_b = seq.loss_and_grads(X, y, loss="bce")
    assert loss_a == pytest.approx(loss_b, rel=1e-12)
    for k, v in grads_a.items():
        np.testing.assert_allclose(grads_b[rename[k]], v, rtol=1e-10, atol=1e-15)


def test_sequential_reports_layers_that_do_not_fit():
    from nets import Conv2d, Flatten, Linear, Sequential

    with pytest.raises(
        ValueError,
        match=r"Linear\(36, 1\) needs 36 features per sample, got "
        r"\(2, 6, 6\); put a Flatten\(\) before it",
    ):
        Sequential([Conv2d(1, 2, 3, padding=1), Linear(36, 1)], input_shape=(1, 6, 6))
    with pytest.raises(
        ValueError,
        match=r"needs input \(channels=3, height, width\), got "
        r"\(1, 6, 6\)",
    ):
        Sequential([Conv2d(3, 2, 3), Flatten(), Linear(2, 1)], input_shape=(1, 6, 6))
    with pytest.raises(ValueError, match="end with Flatten"):
        Sequential([Conv2d(1, 2, 3)], input_shape=(1, 6, 6))
    with pytest.raises(TypeError, match="layer 0 is str"):
        Sequential(["conv"], input_shape=(1, 6, 6))
