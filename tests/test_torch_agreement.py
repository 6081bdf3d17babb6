"""Agreement with PyTorch float64 (an optional test dependency: these tests skip without it)."""

import pytest
from catalog import ALL, inputs_for
from hypothesis import given, settings

from autograd import Value

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


@pytest.mark.slow
@pytest.mark.parametrize("op", ALL, ids=lambda op: op.name)
def test_value_op_matches_torch(op):
    """Values to 1e-12 relative, gradients of every input to 1e-10."""

    @settings(max_examples=25, deadline=None)
    @given(xs=inputs_for(op))
    def check(xs):
        values = [Value(x) for x in xs]
        out = op.apply(*values)
        out.backward()
        tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
        expected = op.torch(*tensors)
        expected.backward()
        assert out.data == pytest.approx(expected.item(), rel=1e-12, abs=1e-300)
        for v, t in zip(values, tensors, strict=True):
            assert v.grad == pytest.approx(t.grad.item(), rel=1e-10, abs=1e-12)

    check()


def test_composite_expression_matches_torch():
    """A small neuron with a loss: every leaf gradient equals torch's."""
    data = {"x0": 0.3, "x1": -1.1, "w0": 0.8, "w1": -0.4, "b": 0.1, "t": 1.0}
    v = {k: Value(x, label=k) for k, x in data.items()}
    t = {k: torch.tensor(x, dtype=torch.float64, requires_grad=True) for k, x in data.items()}

    def loss(n, sigmoid, log):
        y = sigmoid(n["x0"] * n["w0"] + n["x1"] * n["w1"] + n["b"])
        return -(n["t"] * log(y) + (1 - n["t"]) * log(1 - y)) + (y - n["t"]) ** 2

    ours = loss(v, lambda a: a.sigmoid(), lambda a: a.log())
    ours.backward()
    ref = loss(t, torch.sigmoid, torch.log)
    ref.backward()
    assert ours.data == pytest.approx(ref.item(), rel=1e-12)
    for k in data:
        assert v[k].grad == pytest.approx(t[k].grad.item(), rel=1e-10, abs=1e-14), k
