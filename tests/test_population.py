"""Many networks at once: every network of a Population equals a single NumpyMLP (the reference
derivation) on the same weights and data: gradients to 1e-12, optimizer steps, and 10,000 epochs
of the lab's training."""

import numpy as np
import pytest
from catalog import mlp_configs
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments.datasets import generate_xor_easy, load_dataset
from experiments.train import train, train_population
from nets import NumpyMLP, Population, estimate_bytes, make_optimizer


def rel_diff(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(np.abs(a - b).max() / max(np.abs(a).max(), np.abs(b).max(), 1e-300))


def single(pop: Population, r: int) -> NumpyMLP:
    return NumpyMLP(
        pop.layer_sizes,
        activation=pop.activation.name,
        output_activation=pop.output_activation.name,
        bias=pop.bias,
        seed=pop.seeds[r],
        init=pop.init,
    )


@st.composite
def cases(draw):
    """A population's arguments: an MLP config and one to five seeds."""
    case = draw(mlp_configs())
    del case["seed"]
    return {**case, "seeds": draw(st.lists(st.integers(0, 1000), min_size=1, max_size=5))}


@settings(max_examples=60, deadline=None)
@given(
    case=cases(),
    n=st.integers(1, 12),
    loss=st.sampled_from(["mse", "bce"]),
    reduction=st.sampled_from(["mean", "sum"]),
    per_network=st.booleans(),
    data_seed=st.integers(0, 2**16),
)
def test_each_network_equals_a_single_numpy_mlp(case, n, loss, reduction, per_network, data_seed):
    """Losses and gradients of every network equal NumpyMLP's on the same weights and data
    (1e-12 relative), with one shared batch or one batch per network."""
    if loss == "bce" and case["output_activation"] != "sigmoid":
        case["output_activation"] = "sigmoid"  # bce needs probabilities
    pop = Population(**case)
    R, n_in, n_out = len(pop), pop.layer_sizes[0], pop.layer_sizes[-1]
    rng = np.random.default_rng(data_seed)
    shape = (R, n, n_in) if per_network else (n, n_in)
    X = rng.standard_normal(shape)
    y = rng.random((*shape[:-1], n_out)).round()
    losses, grads = pop.loss_and_grads(X, y, loss=loss, reduction=reduction)
    only = pop.gradients(X, y, loss=loss, reduction=reduction)
    for r in range(R):
        net = single(pop, r)
        Xr, yr = (X[r], y[r]) if per_network else (X, y)
        value, ref = net.loss_and_grads(Xr, yr, loss=loss, reduction=reduction)
        assert losses[r] == pytest.approx(value, rel=1e-12, abs=1e-300)
        flat = np.concatenate([ref[k].ravel() for k in ref])
        mine = np.concatenate([grads[k][r].ravel() for k in ref])
        assert rel_diff(mine, flat) <= 1e-12
        assert np.array_equal(only.flat[r], grads.flat[r])


@pytest.mark.parametrize(
    "name, kwargs",
    [("sgd", {}), ("momentum", {}), ("adagrad", {}), ("rmsprop", {}), ("adam", {})],
)
def test_optimizers_step_each_network_with_its_own_learning_rate(name, kwargs):
    """50 steps of each optimizer with a different lr per network give each single network's
    parameters after 50 steps of the same optimizer (1e-12)."""
    X, y = generate_xor_easy()
    rates = [0.01, 0.05, 0.2]
    pop = Population((2, 4, 4, 1), seeds=[0, 1, 2])
    opt = make_optimizer(name, pop, np.array(rates), **kwargs)
    for _ in range(50):
        opt.step(pop.gradients(X, y, loss="bce"))
    for r, lr in enumerate(rates):
        net = single(pop, r)
        ref = make_optimizer(name, net, lr, **kwargs)
        for _ in range(50):
            ref.step(net.loss_and_grads(X, y, loss="bce")[1])
        for k, v in net.state_dict().items():
            assert rel_diff(pop.state_dict(r)[k], v) <= 1e-12, (name, r, k)


@pytest.mark.slow
@pytest.mark.parametrize("dataset", ["xor", "linear"])
def test_ten_thousand_lab_epochs_equal_single_network_training(dataset):
    """The seed report's settings (2-4-4-1, no bias, N(0,1), lr 0.05, summed cross-entropy
    delta) for 10,000 epochs, three seeds with their own data (the linear set is drawn from
    each run's seed): final weights, evaluations and printed lines equal training each network
    alone (weights to 1e-8, printed losses to their last digit; measured: identical)."""
    seeds = [0, 1, 2]
    data = [load_dataset(dataset, n=100, seed=s) for s in seeds]
    X, y = np.stack([d[0] for d in data]), np.stack([d[1] for d in data])
    pop = Population((2, 4, 4, 1), seeds=seeds, bias=False, init="lab")
    history = train_population(
        pop, X, y, lr=0.05, epochs=10_000, loss="bce", reduction="sum", log_every=1000
    )
    for r in range(len(seeds)):
        net = single(pop, r)
        lines = []
        alone = train(
            net, X[r], y[r], lr=0.05, epochs=10_000, loss="bce", reduction="sum",
            log_every=1000, progress=False, out=lines.append,
        )  # fmt: skip
        worst = max(rel_diff(pop.state_dict(r)[k], v) for k, v in net.state_dict().items())
        assert worst <= 1e-8
        assert history.epoch == alone.epoch
        assert np.allclose(history.loss[r], alone.loss, rtol=1e-8, atol=1e-15)
        assert history.run(r).accuracy == alone.accuracy
        assert same_printed_lines(history.logs[r], lines)


def same_printed_lines(mine: list[str], reference: list[str]) -> bool:
    """Log lines of two different computations (stacked and single-network numpy): the same
    words, and each printed number within one unit of its last printed digit (the two agree
    to about 1e-15, so a number on a rounding boundary may print one digit apart)."""
    import re

    number = re.compile(r"-?\d+\.\d+")
    if len(mine) != len(reference):
        return False
    for a, b in zip(mine, reference):
        if number.sub("#", a) != number.sub("#", b):
            return False
        for x, y in zip(number.findall(a), number.findall(b)):
            digits = len(x.split(".")[1])
            if abs(float(x) - float(y)) > 1.01 * 10.0**-digits:
                return False
    return True


def test_population_errors_and_memory_estimate():
    pop = Population((2, 3, 1), seeds=[0, 1])
    with pytest.raises(ValueError, match=r"X has shape \(3, 5, 2\)"):
        pop.loss_and_grads(np.zeros((3, 5, 2)), np.zeros((5, 1)))
    with pytest.raises(ValueError, match=r"y has shape"):
        pop.loss_and_grads(np.zeros((5, 2)), np.zeros((4, 1)))
    with pytest.raises(ValueError, match="at least one network"):
        Population((2, 1), seeds=[])
    with pytest.raises(ValueError, match="2 learning rates for 2 networks|3 learning rates"):
        make_optimizer("sgd", pop, np.array([0.1, 0.2, 0.3]))
    with pytest.raises(ValueError, match="positive numbers"):
        make_optimizer("sgd", pop, np.array([0.1, -0.2]))
    # 2-4-4-1 with bias: 37 parameters; widths 2+4+4+1 plus a ones column each
    assert estimate_bytes((2, 4, 4, 1), runs=10, n=21) == 8 * 10 * (4 * 37 + 4 * 21 * 15)
    assert pop.network(1).state_dict().keys() == pop.state_dict(1).keys()


@pytest.mark.parametrize("loss", ["mse", "bce"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_gradients_alone_equal_loss_and_grads(loss, reduction):
    """NumpyMLP.gradients, NumpyMLP.trainer and a Population's trainer skip the loss value (and
    the per-call checks), nothing else: the same gradients, exactly."""
    X, y = generate_xor_easy()
    net = NumpyMLP((2, 4, 4, 1), seed=3)
    _, full = net.loss_and_grads(X, y, loss=loss, reduction=reduction)
    assert np.array_equal(net.gradients(X, y, loss=loss, reduction=reduction).flat, full.flat)
    assert np.array_equal(net.trainer(X, y, loss=loss, reduction=reduction)().flat, full.flat)
    pop = Population((2, 4, 4, 1), seeds=[3, 4])
    _, ref = pop.loss_and_grads(X, y, loss=loss, reduction=reduction)
    assert np.array_equal(pop.trainer(X, y, loss=loss, reduction=reduction)().flat, ref.flat)


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_graph_engines_train_through_the_default_trainer(engine):
    """Module.trainer (the graph engines have no faster path) gives loss_and_grads' gradients."""
    from nets import ENGINES

    X, y = generate_xor_easy()
    net = ENGINES[engine]((2, 3, 1), seed=2)
    _, full = net.loss_and_grads(X, y, loss="bce", reduction="mean")
    assert np.array_equal(net.trainer(X, y, loss="bce", reduction="mean")().flat, full.flat)
