"""Tensor ops: the shared catalog on broadcast shapes, plus matmul, reductions and reshapes."""

import warnings

import numpy as np
import pytest
from catalog import ALL, arrays_for
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Tensor, Value, concatenate, gradcheck, stack, sum_values
from autograd.checks.testing import arrays as array


def _tensors(arrays):
    return [Tensor(a, label=f"x{i}") for i, a in enumerate(arrays)]


@pytest.mark.parametrize("op", ALL, ids=lambda op: op.name)
def test_forward_matches_numpy_with_broadcasting(op):
    """op(Tensor...) equals the numpy op on the same arrays, result shape included."""

    @settings(max_examples=30, deadline=None)
    @given(arrays=arrays_for(op))
    def check(arrays):
        out = op.apply(*_tensors(arrays))
        expected = op.numpy(*arrays)
        assert out.shape == np.shape(expected)
        np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-300)

    check()


@pytest.mark.parametrize("op", ALL, ids=lambda op: op.name)
def test_gradient_matches_central_differences_with_broadcasting(op):
    """Full Jacobian of every op on broadcast shapes; gradients land in each input's shape."""

    @settings(max_examples=20, deadline=None)
    @given(arrays=arrays_for(op, max_side=2))
    def check(arrays):
        tensors = _tensors(arrays)
        report = gradcheck(op.apply, tensors)
        assert report.ok
        out = op.apply(*tensors)
        out.backward(np.ones(out.shape))
        for t in tensors:
            assert t.grad.shape == t.shape

    check()


@pytest.mark.parametrize("op", ALL, ids=lambda op: op.name)
def test_tensor_equals_the_same_expression_built_from_values(op):
    """The op on Tensors and element by element on Values (numpy broadcasting over object
    arrays of Values): equal values and gradients to 1e-12."""

    @settings(max_examples=15, deadline=None)
    @given(arrays=arrays_for(op, max_side=2))
    def check(arrays):
        tensors = _tensors(arrays)
        out = op.apply(*tensors)
        seed = np.linspace(0.5, 1.5, out.size).reshape(out.shape)
        out.backward(seed)

        values = [np.vectorize(Value, otypes=[object])(a) for a in arrays]
        outs = np.vectorize(op.apply, otypes=[object])(*values)
        np.testing.assert_allclose(np.vectorize(float)(outs), out.data, rtol=1e-12, atol=1e-300)
        sum_values([y * s for y, s in zip(np.ravel(outs), seed.ravel())]).backward()
        for t, v in zip(tensors, values):
            grads = np.vectorize(lambda node: node.grad, otypes=[float])(v)
            np.testing.assert_allclose(t.grad, grads, rtol=1e-12, atol=1e-14)

    check()


# -- structural ops: a second small catalog (name, build(tensors), numpy reference, torch) --------
STRUCTURAL = {
    "matmul": (lambda a, b: a @ b, np.dot, lambda a, b: a @ b),
    "sum_all": (lambda a: a.sum(), np.sum, lambda a: a.sum()),
    "sum_axis0": (lambda a: a.sum(axis=0), lambda a: a.sum(axis=0), lambda a: a.sum(0)),
    "sum_axis1_keep": (
        lambda a: a.sum(axis=1, keepdims=True),
        lambda a: a.sum(axis=1, keepdims=True),
        lambda a: a.sum(1, keepdim=True),
    ),
    "mean_all": (lambda a: a.mean(), np.mean, lambda a: a.mean()),
    "mean_axis1": (lambda a: a.mean(axis=1), lambda a: a.mean(axis=1), lambda a: a.mean(1)),
    "mean_axis0_keep": (
        lambda a: a.mean(axis=0, keepdims=True),
        lambda a: a.mean(axis=0, keepdims=True),
        lambda a: a.mean(0, keepdim=True),
    ),
    "reshape": (lambda a: a.reshape(-1), lambda a: a.reshape(-1), lambda a: a.reshape(-1)),
    "transpose": (lambda a: a.T, lambda a: a.T, lambda a: a.T),
    "index_row": (lambda a: a[1], lambda a: a[1], lambda a: a[1]),
    "index_slice": (lambda a: a[:, 1:], lambda a: a[:, 1:], lambda a: a[:, 1:]),
    "concat1": (
        lambda a, b: concatenate([a, b.T @ a], axis=0),
        lambda a, b: np.concatenate([a, b.T @ a], axis=0),
        lambda a, b: __import__("torch").cat([a, b.T @ a], 0),
    ),
    "stack": (
        lambda a: stack([a, a * 2], axis=1),
        lambda a: np.stack([a, a * 2], axis=1),
        lambda a: __import__("torch").stack([a, a * 2], 1),
    ),
}


@st.composite
def structural_inputs(draw, name):
    n = draw(st.integers(2, 4))
    k = draw(st.integers(2, 4))
    a = draw(array((n, k), (-2.0, 2.0)))
    if name == "matmul":
        left_1d, right_1d = draw(st.booleans()), draw(st.booleans())
        b = draw(array((k,) if right_1d else (k, draw(st.integers(1, 3))), (-2.0, 2.0)))
        return (a[0] if left_1d else a, b)
    if name == "concat1":
        return (a, draw(array((n, 1), (-2.0, 2.0))))
    return (a,)


@pytest.mark.parametrize("name", sorted(STRUCTURAL))
def test_structural_ops_forward_and_gradcheck(name):
    build, reference, _ = STRUCTURAL[name]

    @settings(max_examples=15, deadline=None)
    @given(arrays=structural_inputs(name))
    def check(arrays):
        tensors = _tensors(arrays)
        out = build(*tensors)
        np.testing.assert_allclose(out.data, reference(*arrays), rtol=1e-12, atol=1e-14)
        assert gradcheck(build, tensors)

    check()


def _agrees_with_torch(torch, arrays, build, torch_build, low, high, value_atol):
    """build(Tensors) and torch_build(torch tensors) on the same arrays, backward from the same
    upstream gradient (linspace(low, high)): values to 1e-12, every gradient to 1e-10."""
    tensors = _tensors(arrays)
    out = build(*tensors)
    seed = np.linspace(low, high, out.size).reshape(out.shape)
    out.backward(seed)
    refs = [torch.tensor(a, requires_grad=True) for a in arrays]
    expected = torch_build(*refs)
    expected.backward(torch.tensor(seed))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=value_atol)
    for t, r in zip(tensors, refs, strict=True):
        np.testing.assert_allclose(t.grad, r.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.slow
@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(STRUCTURAL))
def test_structural_ops_match_torch(name):
    torch = pytest.importorskip("torch")
    build, _, torch_build = STRUCTURAL[name]

    @settings(max_examples=10, deadline=None)
    @given(arrays=structural_inputs(name))
    def check(arrays):
        _agrees_with_torch(torch, arrays, build, torch_build, -1, 1, value_atol=1e-14)

    check()


@pytest.mark.slow
@pytest.mark.torch
@pytest.mark.parametrize("op", ALL, ids=lambda op: op.name)
def test_elementwise_ops_match_torch_with_broadcasting(op):
    torch = pytest.importorskip("torch")

    @settings(max_examples=15, deadline=None)
    @given(arrays=arrays_for(op))
    def check(arrays):
        _agrees_with_torch(torch, arrays, op.apply, op.torch, 0.5, 1.5, value_atol=1e-300)

    check()


def test_repeated_index_adds_up():
    x = Tensor([1.0, 2.0, 3.0], label="x")
    x[[0, 0, 2]].sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 1.0]


def test_backward_on_non_scalar_needs_grad():
    y = Tensor([[1.0, 2.0]], label="y") * 2
    with pytest.raises(ValueError, match=r"non-scalar tensor of shape \(1, 2\) needs grad="):
        y.backward()
    with pytest.raises(ValueError, match=r"needs shape \(1, 2\), got \(2,\)"):
        y.backward(np.ones(2))
    Tensor([3.0]).sum().backward()  # one element: no argument needed


def test_leaf_gradients_accumulate_and_interior_recompute():
    w = Tensor([0.5, -1.0], label="w")
    h = w * 3
    y = h.sigmoid().sum()
    y.backward()
    first_w, first_h = w.grad.copy(), h.grad.copy()
    y.backward()
    np.testing.assert_array_equal(w.grad, 2 * first_w)
    np.testing.assert_array_equal(h.grad, first_h)


def test_op_result_grad_is_none_until_backward():
    h = Tensor([1.0]) * 2
    assert h.grad is None and "grad=None" in repr(h)


def test_sigmoid_is_stable_without_warnings():
    x = Tensor([-1e4, -1000.0, -745.0, 0.0, 1000.0, 1e4], label="x")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = x.sigmoid()
        s.sum().backward()
    assert 0 < s.data[0] < 1e-300 and s.data[-1] == 1.0 and s.data[3] == 0.5 and s.data[2] > 0
    assert np.all(np.isfinite(x.grad))


def test_ieee_results_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = Tensor([0.0, -1.0, 1.0]).log()
        div = Tensor([1.0, 0.0]) / Tensor([0.0, 0.0])
    assert out.data[0] == -np.inf and np.isnan(out.data[1]) and out.data[2] == 0.0
    assert div.data[0] == np.inf and np.isnan(div.data[1])


@pytest.mark.parametrize(
    "bad, name",
    [
        ("abc", "str"),
        (None, "NoneType"),
        ([["a"]], "list"),
        ([1 + 2j], "list"),
        (object(), "object"),
    ],
)
def test_non_numeric_data_is_a_type_error(bad, name):
    with pytest.raises(TypeError, match=f"Tensor needs real numbers, got {name}"):
        Tensor(bad)


def test_ragged_data_is_a_value_error():
    with pytest.raises(ValueError, match="rectangular"):
        Tensor([[1.0, 2.0], [3.0]])


def test_shape_errors_name_both_shapes_and_labels():
    X, W = Tensor(np.ones((5, 2)), label="X"), Tensor(np.ones((4, 1)), label="W1")
    with pytest.raises(ValueError, match=r"'X' \(5, 2\) @ 'W1' \(4, 1\)"):
        X @ W
    with pytest.raises(ValueError, match=r"broadcast in \+: 'X' \(5, 2\) and 'W1' \(4, 1\)"):
        X + W
    with pytest.raises(ValueError, match=r"1-D or 2-D"):
        Tensor(np.ones((2, 2, 2))) @ Tensor(np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"cannot reshape 'X' of shape \(5, 2\)"):
        X.reshape(3, 3)
    with pytest.raises(TypeError, match="unsupported operand type for \\*: Tensor and str"):
        X * "a"
    with pytest.raises(TypeError, match="cannot combine Tensor and Value"):
        X + Value(1.0)


def test_numpy_arrays_on_the_left_defer_to_tensor():
    t = Tensor([1.0, 2.0], label="t")
    out = np.array([10.0, 20.0]) - t
    assert isinstance(out, Tensor) and out.data.tolist() == [9.0, 18.0]
    out.sum().backward()
    assert t.grad.tolist() == [-1.0, -1.0]


def test_an_array_exponent_raises_each_element_to_its_own_power():
    """``t ** array`` is elementwise with the array as a constant (it used to return the
    exponent itself); a number or a 0-d array is the op's parameter: d/dt t^p = p t^(p-1)."""
    t = Tensor([2.0, 3.0], label="t")
    out = t ** np.array([3.0, 2.0])
    assert out.op == "**" and out.data.tolist() == [8.0, 9.0]
    out.sum().backward()
    np.testing.assert_allclose(t.grad, [3.0 * 2.0**2, 2.0 * 3.0], rtol=1e-15)
    assert (t ** [3.0, 2.0]).data.tolist() == [8.0, 9.0]
    for p in (np.array(2.0), 2, np.float32(2.0)):
        square = t**p
        assert square.param == 2.0 and square.parents == (t,) and square.data.tolist() == [4, 9]


def test_gradcheck_labels_tensor_elements():
    W = Tensor(np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]), label="W1")
    report = gradcheck(lambda W: W.sigmoid().sum(), [W])
    assert [r.label for r in report][:4] == ["W1[0,0]", "W1[0,1]", "W1[0,2]", "W1[1,0]"]
    assert len(report) == 6
