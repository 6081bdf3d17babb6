"""nets: the three engines agree, the graph engine passes gradcheck, optimizers, state, errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import gradcheck
from nets import (
    ACTIVATIONS,
    OPTIMIZERS,
    Adam,
    NumpyMLP,
    TensorMLP,
    ValueMLP,
    crosscheck,
    init_parameters,
    make_mlp,
    make_optimizer,
)

ENGINES = (ValueMLP, TensorMLP, NumpyMLP)


def xor_batch():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.3, 0.8]])
    return X, np.array([[0.0], [1.0], [1.0], [0.0], [1.0]])


@st.composite
def architectures(draw):
    depth = draw(st.integers(1, 4))
    sizes = tuple(draw(st.lists(st.integers(1, 8), min_size=depth + 1, max_size=depth + 1)))
    loss = draw(st.sampled_from(["mse", "bce"]))
    output = "sigmoid" if loss == "bce" else draw(st.sampled_from(sorted(ACTIVATIONS)))
    n = draw(st.integers(1, 50))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, (n, sizes[0]))
    y = (rng.random((n, sizes[-1])) > 0.5).astype(float)
    return dict(
        X=X,
        y=y,
        layer_sizes=sizes,
        activation=draw(st.sampled_from(sorted(ACTIVATIONS))),
        output_activation=output,
        loss=loss,
        reduction=draw(st.sampled_from(["mean", "sum"])),
        bias=draw(st.booleans()),
        seed=seed,
        init=draw(st.sampled_from(["lab", "xavier", "he"])),
    )


@settings(max_examples=40, deadline=None)
@given(case=architectures())
def test_crosscheck_passes_on_drawn_architectures(case):
    """Depth 1-4, widths 1-8, every activation, both losses and reductions, bias on and off,
    batches of 1-50: losses and all gradients agree to 1e-10 relative."""
    X, y = case.pop("X"), case.pop("y")
    report = crosscheck(X, y, **case)
    assert report.ok, str(report)
    assert len(report.rows) == 3 * (1 + len(init_parameters(case["layer_sizes"], case["bias"])))


def test_crosscheck_report_prints_and_flags_a_difference():
    X, y = xor_batch()
    report = crosscheck(X, y)
    text = str(report)
    assert text.splitlines()[0].split()[:2] == ["quantity", "engines"]
    assert "value vs numpy" in text and "crosscheck passed" in text
    assert "<table>" in report._repr_html_()
    strict = crosscheck(X, y, rtol=0.0)  # exact equality is not expected across engines
    assert not strict.ok or strict.worst().max_rel_diff == 0.0


def test_gradcheck_on_value_mlp_loss_for_every_parameter():
    X, y = xor_batch()
    for loss in ("mse", "bce"):
        net = ValueMLP((2, 4, 4, 1), seed=3, init="lab")
        params = net.parameters()
        report = gradcheck(lambda *p, net=net, loss=loss: net.loss(X, y, loss=loss), params)
        assert report.ok and len(report) == 2 * 4 + 4 + 4 * 4 + 4 + 4 + 1
        assert report.rows[0].label == "W1[0,0]"


def test_engines_predict_the_same_outputs():
    X, _ = xor_batch()
    preds = [cls(seed=7).predict(X) for cls in ENGINES]
    assert preds[0].shape == (5, 1)
    for p in preds[1:]:
        np.testing.assert_allclose(p, preds[0], rtol=1e-12)


def test_value_mlp_builds_its_graph_in_layer_and_neuron_scopes():
    net = ValueMLP((2, 3, 1), seed=0)
    out = net([0.5, -0.5])
    from autograd import topological_order

    scopes = {n.scope for n in topological_order(out)}
    assert {"input", "layer1/neuron0", "layer1/neuron2", "layer2/neuron0"} <= scopes
    assert out.label == "a2[0]" and out.op == "sigmoid"
    assert net.W[0][1][2].label == "W1[1,2]" and net.b[1][0].label == "b2[0]"


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_100_optimizer_steps_leave_the_engines_equal(name):
    """The same optimizer drives every engine; after 100 steps parameters agree to 1e-9."""
    X, y = xor_batch()
    finals = []
    for cls in ENGINES:
        net = cls((2, 4, 4, 1), seed=1)
        opt = make_optimizer(name, net, lr=0.05)
        for _ in range(100):
            _, grads = net.loss_and_grads(X, y, loss="bce")
            opt.step(grads)
        finals.append(net.state_dict())
    start = NumpyMLP((2, 4, 4, 1), seed=1).state_dict()
    assert any(not np.allclose(finals[0][k], start[k]) for k in start)  # it did train
    for other in finals[1:]:
        for k in start:
            np.testing.assert_allclose(other[k], finals[0][k], rtol=1e-9, atol=1e-12)


def test_training_with_adam_reduces_the_loss():
    X, y = xor_batch()
    net = NumpyMLP((2, 8, 1), seed=0)
    opt = Adam(net, lr=0.05)
    first, _ = net.loss_and_grads(X, y)
    for _ in range(300):
        loss, grads = net.loss_and_grads(X, y)
        opt.step(grads)
    assert loss < first / 5


def test_state_dict_names_shapes_and_round_trip():
    net = TensorMLP((2, 4, 4, 1), bias=True, seed=5)
    state = net.state_dict()
    assert list(state) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    assert state["W1"].shape == (2, 4) and state["b3"].shape == (1,)
    state["W1"][0, 0] = 123.0  # a copy: the model is unchanged
    assert net.state_dict()["W1"][0, 0] != 123.0
    other = ValueMLP((2, 4, 4, 1), bias=True, seed=99)
    other.load_state_dict(state)
    assert other.state_dict()["W1"][0, 0] == 123.0
    assert other.W[0][0][0].data == 123.0
    assert list(NumpyMLP(bias=False).state_dict()) == ["W1", "W2", "W3"]


@pytest.mark.parametrize("cls", ENGINES, ids=lambda c: c.__name__)
def test_save_and_load_round_trip(tmp_path, cls):
    net = cls((2, 3, 1), seed=11)
    path = net.save(tmp_path / "weights.npz")
    assert path.exists() and [p.name for p in tmp_path.iterdir()] == ["weights.npz"]
    fresh = NumpyMLP((2, 3, 1), seed=0)
    fresh.load(path)
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[k], v)


def test_load_errors_say_exactly_what_is_wrong(tmp_path):
    net = NumpyMLP((2, 4, 1), seed=0)
    state = net.state_dict()
    with pytest.raises(ValueError, match=r"missing b2; unexpected W9"):
        net.load_state_dict({**{k: v for k, v in state.items() if k != "b2"}, "W9": state["W1"]})
    with pytest.raises(ValueError, match=r"W1 has shape \(4, 2\), expected \(2, 4\)"):
        net.load_state_dict({**state, "W1": state["W1"].T})
    with pytest.raises(ValueError, match=r"W2 is not numeric"):
        net.load_state_dict({**state, "W2": np.array([["a"]] * 4)})
    with pytest.raises(TypeError, match="needs a dict of arrays, got list"):
        net.load_state_dict([1, 2])
    before = net.state_dict()
    with pytest.raises(ValueError):
        net.load_state_dict({**state, "W1": np.zeros((2, 4)), "b1": np.zeros(3)})
    for k in before:  # nothing was loaded
        np.testing.assert_array_equal(net.state_dict()[k], before[k])
    with pytest.raises(FileNotFoundError, match="no parameter file"):
        net.load(tmp_path / "missing.npz")
    (tmp_path / "junk.npz").write_text("not a zip")
    with pytest.raises(ValueError, match="not a gradstep parameter file"):
        net.load(tmp_path / "junk.npz")
    np.savez(tmp_path / "foreign.npz", W1=np.zeros((2, 4)))
    with pytest.raises(ValueError, match="not one written by gradstep"):
        net.load(tmp_path / "foreign.npz")
    other = NumpyMLP((2, 3, 1), seed=0)
    other.save(tmp_path / "small.npz")
    with pytest.raises(ValueError, match=r"W1 has shape \(2, 3\), expected \(2, 4\)"):
        net.load(tmp_path / "small.npz")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        net.save(tmp_path / "no" / "dir.npz")


def test_a_failed_save_leaves_no_file(tmp_path, monkeypatch):
    net = NumpyMLP((2, 2, 1))

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken)
    with pytest.raises(OSError, match="disk full"):
        net.save(tmp_path / "w.npz")
    assert list(tmp_path.iterdir()) == []


def test_constructor_and_batch_errors():
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        NumpyMLP(activation="swish")
    with pytest.raises(ValueError, match="positive integers"):
        NumpyMLP(layer_sizes=(2, 0, 1))
    with pytest.raises(ValueError, match="input and an output"):
        NumpyMLP(layer_sizes=(2,))
    with pytest.raises(ValueError, match="unknown init 'zeros'"):
        NumpyMLP(init="zeros")
    with pytest.raises(ValueError, match="unknown engine 'jax'"):
        make_mlp("jax")
    net = TensorMLP((2, 4, 1))
    with pytest.raises(ValueError, match=r"X has shape \(3, 3\).*takes \(n, 2\)"):
        net.predict(np.ones((3, 3)))
    with pytest.raises(ValueError, match=r"y has shape \(2, 1\).*should be \(3, 1\)"):
        net.loss_and_grads(np.ones((3, 2)), np.ones((2, 1)))
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        net.loss_and_grads(np.ones((3, 2)), np.ones(3), loss="hinge")
    with pytest.raises(TypeError, match="X must hold numbers"):
        net.predict([["a", "b"]])
    with pytest.raises(ValueError, match="lr must be a positive number"):
        make_optimizer("sgd", net, lr=-1.0)
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        make_optimizer("lbfgs", net, lr=0.1)


def test_parameter_table_lists_values_and_gradients():
    net = ValueMLP((2, 1), seed=0)
    net.loss_and_grads(np.ones((1, 2)), np.ones((1, 1)))
    table = net.parameter_table()
    text = str(table)
    assert "W1[0,0]" in text and "b1[0]" in text and text.count("\n") == 4
    assert "<table>" in table._repr_html_()


@pytest.mark.parametrize("engine", ["value", "tensor", "numpy"])
def test_training_data_holding_nan_is_refused_by_name(engine):
    from experiments.train import train

    net = make_mlp(engine, layer_sizes=(2, 3, 1), seed=0)
    X = np.array([[0.0, 1.0], [1.0, np.nan]])
    y = np.array([[1.0], [0.0]])
    with pytest.raises(ValueError, match=r"X holds nan or inf \(first at X\[1, 1\] = nan\)"):
        net.loss_and_grads(X, y)
    with pytest.raises(ValueError, match="y holds nan or inf"):
        train(net, X[:1], np.array([[np.inf]]), epochs=2, quiet=True)
