"""What a learner sees: numbers printed as a person reads them, graphs without nodes to explain
away, and defaults that show something."""

import numpy as np
import pytest


def test_numbers_never_print_as_minus_zero():
    from autograd.display import format_number
    from autograd.drawing import _preview

    assert [format_number(-0.0), format_number(np.float64(-0.0))] == ["0", "0"]
    assert format_number(np.array([-0.0, 2.0])) == "(2,) [0, 2]"
    assert _preview(-0.0) == "0.0000" and _preview(np.array([-0.0, 1.0])) == "[0 1]"


def test_the_loss_of_one_sample_adds_no_sum_or_times_one_node():
    """One sample's loss is its term itself (labelled L), whichever the reduction; over two
    samples a mean is the sum times 1/2."""
    from nets import ValueMLP

    net = ValueMLP((2, 2, 1), seed=0)
    for reduction in ("mean", "sum"):
        one = net.loss([[0.2, 0.7]], [[1.0]], loss="bce", reduction=reduction)
        assert one.op == "bce" and one.label == "L" and one.parents[0].label == "a2[0]"
    two = net.loss([[0.2, 0.7], [0.5, 0.1]], [[1.0], [0.0]], loss="bce", reduction="mean")
    assert two.op == "*" and two.data == pytest.approx(two.parents[0].data / 2)


def test_gradstep_step_defaults_to_a_point_where_every_gradient_moves():
    """XOR's sample 0 is (0, 0): every first-layer weight gets gradient 0 there. The default
    is the first point where no weight's gradient is 0."""
    from experiments.cli import _telling_sample
    from experiments.datasets import load_dataset
    from nets import ValueMLP

    X, y = load_dataset("xor", seed=0)
    net = ValueMLP((2, 4, 4, 1), seed=0)
    _, at_origin = net.loss_and_grads(X[:1], y[:1], loss="bce")
    assert not at_origin["W1"].any()
    k = _telling_sample(net, X, y, "bce")
    _, grads = net.loss_and_grads(X[k : k + 1], y[k : k + 1], loss="bce")
    assert k > 0 and all(np.all(g != 0) for g in grads.values())
