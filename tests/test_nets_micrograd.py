"""nets.micrograd is micrograd's nn on gradstep Values: the same seeded weights, outputs,
gradients, reprs and training numbers as micrograd 0.1.0 itself (the bench extra; the tests that
need it skip without it), each neuron in a scope of its own."""

import random

import numpy as np
import pytest

import nets.micrograd
from autograd import Value, topological_order
from experiments.benchmarks.micrograd_demo import run_demo
from experiments.datasets import make_moons
from nets.micrograd import MLP, Layer, Neuron, hinge_loss


def micrograd_nn():
    return pytest.importorskip("micrograd.nn", reason="micrograd is the bench extra")


def _pair(seed, build):
    """The same network built by micrograd and by nets.micrograd from the same seed."""
    nn = micrograd_nn()
    random.seed(seed)
    theirs = build(nn)
    random.seed(seed)
    ours = build(nets.micrograd)
    return theirs, ours


def test_seeded_weights_reprs_and_parameters_are_micrograds():
    for build in (
        lambda m: m.MLP(2, [16, 16, 1]),
        lambda m: m.Layer(3, 4, nonlin=False),
        lambda m: m.Neuron(5),
    ):
        theirs, ours = _pair(1337, build)
        assert repr(ours) == repr(theirs)
        # random.uniform drawn in micrograd's order: the very same floats
        assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
        assert all(type(p) is Value for p in ours.parameters())
    assert repr(MLP(2, [3, 1])).startswith("MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2)")


def test_outputs_and_gradients_agree_with_micrograd():
    theirs, ours = _pair(7, lambda m: m.MLP(3, [4, 4, 1]))
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    losses = []
    for net in (theirs, ours):
        ypred = [net(x) for x in xs]
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
        net.zero_grad()
        loss.backward()
        losses.append(loss.data)
    assert losses[1] == pytest.approx(losses[0], rel=1e-12)
    g_theirs = np.array([p.grad for p in theirs.parameters()], dtype=float)
    g_ours = np.array([p.grad for p in ours.parameters()])
    np.testing.assert_allclose(g_ours, g_theirs, rtol=1e-12, atol=1e-15)


def test_layers_return_a_list_or_the_one_output_and_neurons_are_scoped():
    random.seed(0)
    layer = Layer(2, 3)
    out = layer([1.0, -1.0])
    assert isinstance(out, list) and len(out) == 3
    one = Layer(2, 1, nonlin=False)([1.0, 2.0])
    assert isinstance(one, Value) and one._op == "dot"
    net = MLP(2, [3, 1])
    y = net([0.5, -0.5])
    scopes = {n.scope for n in topological_order(y) if n.parents}
    assert scopes == {"layer1/neuron0", "layer1/neuron1", "layer1/neuron2", "layer2/neuron0"}
    assert [p.label for p in net.layers[0].neurons[1].parameters()] == ["W1[0,1]", "W1[1,1]",
                                                                        "b1[1]"]  # fmt: skip
    assert Neuron(2).parameters()[0].label == "w[0]"
    net.zero_grad()
    y.backward()
    assert any(p.grad != 0.0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad == 0.0 for p in net.parameters())
    with pytest.raises(ValueError, match="takes 2 inputs, got a sample of 3"):
        net([1.0, 2.0, 3.0])


def test_demo_training_prints_micrograds_losses_and_accuracies():
    """The demo's loop, its two imports swapped, against micrograd 0.1.0 itself (same seeds):
    every step's loss to 1e-12 relative, every accuracy equal (a size that takes a second)."""
    nn = micrograd_nn()
    from micrograd.engine import Value as MValue

    theirs, _ = run_demo(MValue, nn.MLP, 16, [6, 6, 1], 8)
    ours, _ = run_demo(Value, MLP, 16, [6, 6, 1], 8)
    helper, _ = run_demo(Value, MLP, 16, [6, 6, 1], 8, hinge=hinge_loss)
    for (l_t, a_t), (l_o, a_o), (l_h, a_h) in zip(theirs, ours, helper):
        assert l_o == pytest.approx(l_t, rel=1e-12) and l_h == pytest.approx(l_t, rel=1e-12)
        assert a_o == a_t == a_h
    assert len({a for _, a in theirs}) > 1  # the accuracy moved: the comparison means something


def test_make_moons_is_seeded_by_numpys_global_generator():
    np.random.seed(1337)
    X, y = make_moons(n_samples=100, noise=0.1)
    np.random.seed(1337)
    X2, y2 = make_moons(n_samples=100, noise=0.1)
    assert X.shape == (100, 2) and y.shape == (100,) and sorted(set(y.tolist())) == [0, 1]
    np.testing.assert_array_equal(X, X2)  # the same computation twice
    clean, labels = make_moons(n_samples=10, shuffle=False)
    np.testing.assert_allclose(clean[0], [1.0, 0.0], atol=1e-15)  # the upper arc starts at (1, 0)
    assert labels.tolist() == [0] * 5 + [1] * 5


def _demo_batch():
    np.random.seed(1337)
    random.seed(1337)
    X, y = make_moons(n_samples=100, noise=0.1)
    return X, y * 2 - 1, MLP(2, [16, 16, 1])


@pytest.mark.slow
def test_the_demos_batch_loss_draws_collapsed_and_renders():
    """The demo's whole-batch loss (7,500 nodes) draws in 37 boxes by neuron and 5 by layer
    when built by hinge_loss (the demo's own loss() leaves its terms unscoped: too many)."""
    from autograd import TooManyNodesError, draw_dot, find_renderer, topological_order
    from autograd.views.rendering import render_svg

    X, y, model = _demo_batch()
    total, _ = hinge_loss(model, X, y)
    total.backward()
    assert len(topological_order(total)) > 7000
    with pytest.raises(TooManyNodesError) as info:
        draw_dot(total)
    assert info.value.fits == {"neuron": 37, "layer": 5}
    by_layer = draw_dot(total, collapse="layer")
    by_neuron = draw_dot(total, collapse="neuron")
    assert "layer1" in by_layer.source and "layer2/neuron15" in by_neuron.source
    if find_renderer() is None:
        pytest.skip("no Graphviz renderer (graphviz-pure is in the dev extra)")
    for graph in (by_layer, by_neuron):
        assert render_svg(graph).lstrip().startswith(("<?xml", "<svg"))


def test_a_few_samples_loss_fits_the_stepper():
    from autograd import stepper

    X, y, model = _demo_batch()
    total, _ = hinge_loss(model, X[:4], y[:4])
    s = stepper(total, collapse="neuron")
    assert 0 < len(s) < 400 and "<svg" in s.svg
    # the first step is the root's: L = data_loss + reg_loss
    assert s.text(1).splitlines() == [
        "dL/ddata_loss += dL/dL * 1 = 1 * 1 = 1",
        "dL/dreg_loss += dL/dL * 1 = 1 * 1 = 1",
    ]


def test_state_dict_loads_into_value_mlp_as_the_same_function():
    from nets import ValueMLP

    random.seed(3)
    model = MLP(2, [5, 4, 1])
    net = ValueMLP((2, 5, 4, 1), activation="relu", output_activation="none")
    net.load_state_dict(model.state_dict())
    X = np.array([[0.3, -1.2], [1.5, 0.25], [-0.7, 0.9]])
    ours = np.array([model(list(row)).data for row in X])
    np.testing.assert_allclose(net.predict(X)[:, 0], ours, rtol=1e-12, atol=1e-15)
    assert model.state_dict()["W1"].shape == (2, 5) and model.state_dict()["b3"].shape == (1,)
