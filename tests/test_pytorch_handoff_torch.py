"""Hand-off to PyTorch with torch installed: ``to_torch`` and ``from_torch`` on the same
weights, exported files loaded by plain PyTorch (needs the torch extra; skipped without it)."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from catalog import mlp_configs
from hypothesis import given, settings
from hypothesis import strategies as st
from test_pytorch_handoff import REPO, run_python

import nets
from nets import CNN, ENGINES, Sequential, from_torch, load_network, to_torch

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


def torch_loss_and_grads(module, X, y, loss, reduction):
    """PyTorch's loss and parameter gradients, keyed by torch's names."""
    module.zero_grad()
    out = module(torch.tensor(X))
    fn = torch.nn.functional.mse_loss if loss == "mse" else torch.nn.functional.binary_cross_entropy
    value = fn(out, torch.tensor(y), reduction=reduction)
    value.backward()
    return value.item(), {k: p.grad.numpy().copy() for k, p in module.named_parameters()}


def rel_diff(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    scale = max(np.abs(a).max(), np.abs(b).max(), 1e-300)
    return float(np.abs(a - b).max() / scale)


def torch_name(net, name: str) -> tuple[str, bool]:
    """The documented mapping: W{k} -> {2(k-1)}.weight (transposed), b{k} -> {2(k-1)}.bias;
    for a Sequential, layer i's W and b -> {i}.weight, {i}.bias (dense W transposed)."""
    if isinstance(net, nets.MLP):
        k = int(name[1:])
        return f"{2 * (k - 1)}.{'weight' if name[0] == 'W' else 'bias'}", name[0] == "W"
    prefix, which = name.split(".")
    index = [n for n, _ in net._names].index(prefix)
    return f"{index}.{'weight' if which == 'W' else 'bias'}", which == "W" and "dense" in prefix


def saturation_condition(net, X) -> float:
    """How much rounding the activation derivatives amplify on this batch (1 when nothing is
    saturated). A derivative is computed from the unit's output a, which both libraries round
    to within an ulp but not always to the same one; d/dz tanh = 1 - a^2 then carries a relative
    error of 2 a^2 / (1 - a^2) ulps, and d/dz sigmoid = a (1 - a) one of |1 - 2a| / (1 - a) ulps.
    Returns the largest such factor over every tanh and sigmoid unit and sample."""
    weights = net.state_dict()
    a, worst = np.asarray(X, dtype=float), 1.0
    for k, act in enumerate(net.activations(), start=1):
        z = a @ weights[f"W{k}"] + (weights[f"b{k}"] if net.bias else 0.0)
        a = act.forward(z)
        if act.name == "tanh":
            worst = max(worst, float(np.max(2 * a * a / np.maximum(1 - a * a, 1e-300))))
        elif act.name == "sigmoid":
            worst = max(worst, float(np.max(np.abs(1 - 2 * a) / np.maximum(1 - a, 1e-300))))
    return worst


def assert_same_as_torch(net, module, X, y, loss, reduction, grad_rtol=1e-12):
    """Outputs and loss agree to 1e-12 relative, the gradient to ``grad_rtol``, through the name
    mapping. The gradient is compared as one vector (largest difference over its largest entry):
    a parameter behind a saturated unit has a gradient near 1e-8 made of cancelling terms, whose
    last digits depend on how each library writes the derivative (1 - t^2 or (1 - t)(1 + t))."""
    assert rel_diff(module(torch.tensor(X)).detach().numpy(), net.predict(X)) <= 1e-12
    value, grads = net.loss_and_grads(X, y, loss=loss, reduction=reduction)
    ref_value, ref_grads = torch_loss_and_grads(module, X, y, loss, reduction)
    assert value == pytest.approx(ref_value, rel=1e-12)
    assert len(ref_grads) == len(grads)
    ours, theirs = [], []
    for name in grads:
        torch_key, transposed = torch_name(net, name)
        g = ref_grads[torch_key].T if transposed else ref_grads[torch_key]
        assert g.shape == grads[name].shape, name
        ours.append(grads[name].ravel())
        theirs.append(g.ravel())
    assert rel_diff(np.concatenate(ours), np.concatenate(theirs)) <= grad_rtol


@pytest.mark.slow
@pytest.mark.parametrize("engine", sorted(ENGINES))
@settings(max_examples=25, deadline=None)
@given(arch=mlp_configs(), n=st.integers(1, 12))
def test_mlp_to_torch_gives_the_same_outputs_and_gradients(engine, arch, n):
    """Hypothesis-drawn MLPs (depth 1-4, widths 1-6, every activation, bias on and off) on every
    engine: the torch module's outputs and MSE loss equal gradstep's to 1e-12, and so do the
    gradients where no unit saturates. Behind a saturated tanh or sigmoid the gradient is only
    defined to a few ulps times the derivative's conditioning (a tanh output at 1 - 1e-9 leaves
    1 - t^2 with 8 good digits in any library), so the tolerance grows by that factor: 1e-12 plus
    4 ulps times ``saturation_condition``."""
    net = ENGINES[engine](**arch)
    rng = np.random.default_rng(arch["seed"])
    X = rng.standard_normal((n, arch["layer_sizes"][0]))
    y = rng.standard_normal((n, arch["layer_sizes"][-1]))
    module = net.to_torch()
    assert all(p.dtype == torch.float64 for p in module.parameters())
    tolerance = 1e-12 + 4 * np.finfo(float).eps * saturation_condition(net, X)
    assert_same_as_torch(net, module, X, y, "mse", "mean", grad_rtol=tolerance)


def test_saturation_condition_measures_saturated_units():
    """The tolerance's factor: 1 for units away from saturation and for piecewise-linear
    activations; about 2 / (1 - t^2) for a tanh output t near 1 (here z = 10: t = 1 - 4.1e-9)."""
    net = nets.NumpyMLP((1, 1), output_activation="tanh", bias=False, seed=0)
    net.load_state_dict({"W1": np.array([[1.0]])})
    assert saturation_condition(net, [[0.1]]) == 1.0
    assert saturation_condition(net, [[10.0]]) == pytest.approx(2 / (1 - np.tanh(10.0) ** 2))
    relu = nets.NumpyMLP((1, 1), output_activation="none", activation="relu", seed=0)
    assert saturation_condition(relu, [[1e6]]) == 1.0


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_lab_net_to_torch_matches_on_bce_sum(engine):
    """The lab's 2-4-4-1 sigmoid net without bias, summed BCE on XOR-like points (seed 3)."""
    net = ENGINES[engine]((2, 4, 4, 1), bias=False, seed=3, init="lab")
    rng = np.random.default_rng(3)
    X = rng.random((21, 2))
    y = (X[:, :1] > X[:, 1:]).astype(float)
    assert_same_as_torch(net, to_torch(net), X, y, "bce", "sum")


@settings(max_examples=25, deadline=None)
@given(arch=mlp_configs())
def test_to_torch_then_from_torch_gives_back_identical_weights(arch):
    """The round trip is exact (transposes only): the same architecture (sizes, each layer's
    activation, bias) and bit-identical weights."""
    net = nets.NumpyMLP(**arch)
    back = from_torch(net.to_torch())
    assert (back.layer_sizes, back.bias) == (net.layer_sizes, net.bias)
    assert [a.name for a in back.activations()] == [a.name for a in net.activations()]
    for name, value in net.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[name], value)


CNN_SHAPES = [
    {"image_shape": (1, 12, 12), "channels": (4,), "kernel": 3, "pool": "max"},
    {"image_shape": (2, 9, 7), "channels": (3, 2), "kernel": 3, "pool": "avg", "hidden": (5,)},
    {"image_shape": (1, 6, 6), "channels": (2,), "kernel": 5, "pool": "none", "outputs": 2},
    {"image_shape": (3, 8, 8), "channels": (2,), "kernel": 1, "pool": "max", "pool_size": 3},
]


@pytest.mark.parametrize("kwargs", CNN_SHAPES, ids=lambda k: str(k["image_shape"]))
def test_cnn_to_torch_matches_and_round_trips(kwargs):
    """CNNs of several shapes (pools, paddings, channels, hidden layers): outputs, loss and
    gradients equal PyTorch's to 1e-12; from_torch gives back the same layers and weights."""
    net = CNN(**kwargs, activation="tanh", seed=5)
    rng = np.random.default_rng(5)
    X = rng.standard_normal((4, *kwargs["image_shape"]))
    y = rng.random((4, net.outputs)).round()
    module = net.to_torch()
    assert_same_as_torch(net, module, X, y, "bce", "mean")
    back = from_torch(module, input_shape=kwargs["image_shape"])
    assert isinstance(back, Sequential)
    assert [layer.spec() for layer in back.layers] == [layer.spec() for layer in net.layers]
    for name, value in net.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[name], value)


def test_to_torch_dtype_float32():
    """dtype=torch.float32 gives a float32 module with the weights rounded to float32."""
    net = nets.NumpyMLP((2, 3, 1), seed=1)
    module = net.to_torch(dtype=torch.float32)
    assert {p.dtype for p in module.parameters()} == {torch.float32}
    np.testing.assert_allclose(module[0].weight.detach().numpy(), net.state_dict()["W1"].T, 1e-7)
    with pytest.raises(TypeError, match="floating torch.dtype"):
        net.to_torch(dtype=torch.int64)


def test_from_torch_builds_an_mlp_from_a_linear_stack():
    """A PyTorch-made nn.Sequential of Linear + Tanh layers becomes a ValueMLP (to draw and step
    through) whose output equals the module's."""
    torch.manual_seed(0)
    module = torch.nn.Sequential(
        torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1), torch.nn.Sigmoid()
    ).double()
    net = from_torch(module, engine="value")
    assert isinstance(net, nets.ValueMLP)
    assert (net.layer_sizes, net.activation.name, net.output_activation.name, net.bias) == (
        (2, 3, 1),
        "tanh",
        "sigmoid",
        True,
    )
    x = [0.3, -0.7]
    expected = module(torch.tensor([x], dtype=torch.float64)).item()
    assert net(x).data == pytest.approx(expected, rel=1e-14)
    # A missing output activation means "none"; one nn.Linear alone is a 1-layer MLP.
    plain = from_torch(torch.nn.Linear(4, 2, bias=False))
    assert plain.layer_sizes == (4, 2) and plain.output_activation.name == "none"
    assert not plain.bias


def test_from_torch_mixed_activations_become_a_sequential():
    """Hidden layers with different activations are not an MLP: a Sequential of Linear and
    activation layers, with the same output."""
    module = torch.nn.Sequential(
        torch.nn.Linear(2, 3),
        torch.nn.ReLU(),
        torch.nn.Linear(3, 3),
        torch.nn.Tanh(),
        torch.nn.Linear(3, 1),
    ).double()
    net = from_torch(module)
    assert isinstance(net, Sequential) and not isinstance(net, nets.MLP)
    X = np.random.default_rng(0).standard_normal((5, 2))
    assert rel_diff(net.predict(X), module(torch.tensor(X)).detach().numpy()) <= 1e-12


def test_from_torch_names_every_layer_it_cannot_take():
    module = torch.nn.Sequential(
        torch.nn.Linear(2, 3), torch.nn.Dropout(), torch.nn.GELU(), torch.nn.LeakyReLU(0.2)
    )
    with pytest.raises(ValueError) as info:
        from_torch(module)
    message = str(info.value)
    assert "1: Dropout" in message and "2: GELU" in message and "3: LeakyReLU" in message
    assert "0:" not in message
    with pytest.raises(TypeError, match="nn.Sequential"):
        from_torch(torch.nn.ReLU())
    with pytest.raises(ValueError, match="input_shape"):
        from_torch(torch.nn.Sequential(torch.nn.Conv2d(1, 1, 3), torch.nn.Flatten()))
    with pytest.raises(ValueError, match="square kernels"):
        from_torch(torch.nn.Sequential(torch.nn.Conv2d(1, 1, (3, 1))), input_shape=(1, 4, 4))


def test_from_torch_refuses_what_it_cannot_reproduce_exactly():
    """A module used twice (shared weights), subclasses with their own forward, hooks: each
    would become a different model, so each is refused, naming the module."""
    nn = torch.nn
    lin = nn.Linear(2, 2)
    with pytest.raises(ValueError, match=r"2: the same Linear as 0 \(its weights shared"):
        from_torch(nn.Sequential(lin, nn.Tanh(), lin))

    class Doubled(nn.Linear):
        def forward(self, x):
            return 2 * super().forward(x)

    class Reversed(nn.Sequential):
        def forward(self, x):
            for m in reversed(self):
                x = m(x)
            return x

    class Plain(nn.Linear):  # a subclass that computes what nn.Linear does: accepted
        pass

    with pytest.raises(ValueError, match="0: Doubled \\(its own forward or hooks"):
        from_torch(nn.Sequential(Doubled(2, 1)))
    with pytest.raises(ValueError, match="cannot reproduce Reversed"):
        from_torch(Reversed(nn.Linear(2, 2), nn.Linear(2, 1)))
    hooked = nn.Linear(2, 1)
    hooked.register_forward_hook(lambda m, i, o: o * 3)
    with pytest.raises(ValueError, match="0: Linear \\(forward hooks: gradstep cannot reproduce"):
        from_torch(nn.Sequential(hooked))
    torch.manual_seed(0)
    plain = nn.Sequential(Plain(2, 3), nn.Tanh(), nn.Linear(3, 1)).double()
    X = np.random.default_rng(0).standard_normal((4, 2))
    assert rel_diff(from_torch(plain).predict(X), plain(torch.tensor(X)).detach().numpy()) <= 1e-12
    shared_act = nn.Tanh()  # a parameter-free module used twice is the same computation
    ok = nn.Sequential(nn.Linear(2, 3), shared_act, nn.Linear(3, 1), shared_act).double()
    assert rel_diff(from_torch(ok).predict(X), ok(torch.tensor(X)).detach().numpy()) <= 1e-12


def _stack():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))


def test_from_torch_refuses_parametrizations_by_name():
    """weight_norm by parametrization (the review's raw KeyError 'weight') and the older
    weight_norm hook: refused, naming the layer, what changes it and the way out."""
    import warnings

    net = _stack()
    torch.nn.utils.parametrizations.weight_norm(net[0])
    with pytest.raises(
        ValueError,
        match=r"0: ParametrizedLinear \(parametrized weight \(torch"
        r".nn.utils.parametrize.*remove_parametrizations\(module, 'weight'\)",
    ):
        from_torch(net)  # fmt: skip
    torch.nn.utils.parametrize.remove_parametrizations(net[0], "weight")
    X = np.random.default_rng(1).standard_normal((5, 2))
    theirs = net.double()(torch.tensor(X)).detach().numpy()
    assert rel_diff(from_torch(net).predict(X), theirs) <= 1e-12  # baked in: reproduced
    old = _stack()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch deprecates the hook form
        torch.nn.utils.weight_norm(old[2])
    with pytest.raises(ValueError, match=r"2: Linear \(torch.nn.utils.weight_norm \(a forward"):
        from_torch(old)


def test_from_torch_refuses_complex_and_integer_weights_by_name():
    """complex128 layers (the review saw outputs off by 0.37, the imaginary parts dropped)."""
    nn = torch.nn
    net = nn.Sequential(nn.Linear(2, 3, dtype=torch.complex128), nn.Tanh(), nn.Linear(3, 1))
    with pytest.raises(
        ValueError,
        match=r"0: Linear \(weight and bias are complex128 \(gradstep "
        r"computes with real numbers\)",
    ) as info:
        from_torch(net)  # fmt: skip
    assert "1: Tanh" not in str(info.value) and "2: Linear" not in str(info.value)
    lin = nn.Linear(2, 1, bias=False)
    lin.weight = nn.Parameter(torch.ones(1, 2, dtype=torch.int64), requires_grad=False)
    with pytest.raises(ValueError, match=r"0: Linear \(weight is int64"):
        from_torch(nn.Sequential(lin))


def test_from_torch_refuses_a_forward_set_on_the_instance():
    """module.forward replaced on the instance (the review's off-by-0.01): the class's
    forward is not what runs, so it is refused, on a layer or on the Sequential itself."""
    net = _stack()
    original = net[0].forward
    net[0].forward = lambda x: original(x) * 1.01
    with pytest.raises(ValueError, match=r"0: Linear \(a forward set on the instance"):
        from_torch(net)
    outer = _stack()
    whole = outer.forward
    outer.forward = lambda x: whole(x) + 0.5
    with pytest.raises(ValueError, match=r"cannot reproduce Sequential: .*\(a forward set on the"):
        from_torch(outer)


def test_from_torch_refuses_global_and_backward_hooks_by_name():
    """A global forward hook (the review's off-by-0.39) changes every module: refused while it
    is registered, accepted once removed. Backward hooks and gradient hooks on a weight change
    the gradients gradstep would compute: refused too."""
    registry = torch.nn.modules.module
    net = _stack()
    for register, what in (
        (registry.register_module_forward_hook, "a global forward hook"),
        (registry.register_module_forward_pre_hook, "a global forward pre-hook"),
        (registry.register_module_full_backward_hook, "a global backward hook"),
    ):
        handle = register(lambda *args: None)
        try:
            with pytest.raises(ValueError, match=f"while {what} \\(register_module_"):
                from_torch(net)
        finally:
            handle.remove()
    from_torch(net)  # nothing registered any more: accepted
    net[2].register_full_backward_hook(lambda m, gi, go: None)
    with pytest.raises(ValueError, match=r"2: Linear \(backward hooks"):
        from_torch(net)
    net = _stack()
    net[0].weight.register_hook(lambda g: 2 * g)
    with pytest.raises(ValueError, match=r"0: Linear \(gradient hooks on weight"):
        from_torch(net)


def test_from_torch_checks_its_network_against_the_module_on_a_probe_batch(monkeypatch):
    """What no attribute shows (a patched torch function) is caught by running both: the
    network is refused when its outputs differ by more than the module's dtype explains;
    float32 modules (rounding about 1e-7) are accepted."""
    net = _stack()
    X = np.random.default_rng(2).standard_normal((4, 2))
    float32 = from_torch(net).predict(X)
    assert rel_diff(float32, net(torch.tensor(X, dtype=torch.float32)).detach().numpy()) < 1e-5
    linear = torch.nn.functional.linear
    monkeypatch.setattr(torch.nn.functional, "linear", lambda x, w, b=None: linear(x, w, b) * 1.01)
    with pytest.raises(
        ValueError,
        match=r"outputs differ from the module's by [0-9.e-]+ on a "
        r"probe batch \(more than 0.000[0-9]+, what torch.float32 rounding",
    ):
        from_torch(net)  # fmt: skip


@pytest.mark.slow
def test_train_save_export_and_load_in_plain_pytorch(tmp_path):
    """The issue's round trip: `gradstep train --save`, `gradstep export` to .pt and .pt2, then
    a fresh process that imports only torch loads both and predicts what gradstep predicts."""
    model = tmp_path / "model.npz"
    base = [sys.executable, "-m", "experiments"]
    train = subprocess.run(
        [*base, "train", "--data", "xor", "--epochs", "2000", "--quiet", "--save", str(model)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert train.returncode == 0, train.stderr
    net = load_network(model)
    assert isinstance(net, nets.NumpyMLP) and net.layer_sizes == (2, 4, 4, 1) and not net.bias
    from experiments.datasets import generate_xor_easy

    X, _ = generate_xor_easy()
    np.save(tmp_path / "X.npy", X)
    for suffix in (".pt", ".pt2"):
        target = tmp_path / f"model{suffix}"
        export = subprocess.run(
            [*base, "export", str(model), "--torch", str(target)],
            capture_output=True,
            text=True,
            cwd=REPO,
        )
        assert export.returncode == 0, export.stderr
        # The printed snippet is the loading code: run it as a user would, torch alone.
        snippet = export.stdout.split("load it with plain PyTorch:\n", 1)[1]
        result = run_python(
            textwrap.dedent(snippet)
            + textwrap.dedent(
                f"""
                import sys, numpy as np
                X = torch.tensor(np.load({str(tmp_path / "X.npy")!r}))
                np.save({str(tmp_path / "pred.npy")!r}, model(X).detach().numpy())
                assert not any(m in sys.modules for m in ("autograd", "nets", "experiments"))
                """
            ),
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr
        pred = np.load(tmp_path / "pred.npy")
        np.testing.assert_allclose(pred, net.predict(X), rtol=1e-12, atol=1e-15)


@pytest.mark.slow
def test_export_cnn_program(tmp_path):
    """A saved CNN exports to a .pt2 program that takes any batch size."""
    net = CNN(image_shape=(1, 6, 6), channels=(2,), seed=1)
    net.save(tmp_path / "cnn.npz")
    again = load_network(tmp_path / "cnn.npz")
    assert isinstance(again, CNN) and again.config() == net.config()
    path = nets.pytorch.export_torch(again, tmp_path / "cnn.pt2")
    program = torch.export.load(str(path)).module()
    X = np.random.default_rng(0).random((1, 1, 6, 6))
    np.testing.assert_allclose(
        program(torch.tensor(X)).detach().numpy(), net.predict(X), rtol=1e-12
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cnn.npz", "cnn.pt2"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["export", "missing.npz", "--torch", "m.pt"], "no parameter file at missing.npz"),
        (["export", "model.npz", "--torch", "m.onnx"], "expected a file ending in .pt or .pt2"),
        (["export", "model.npz", "--torch", "nodir/m.pt"], "directory nodir does not exist"),
        (["export", "junk.npz", "--torch", "m.pt"], "not a gradstep parameter file"),
    ],
)
def test_export_errors_are_one_line_and_write_nothing(tmp_path, args, message, capsys):
    from experiments.cli import main

    nets.NumpyMLP().save(tmp_path / "model.npz")
    (tmp_path / "junk.npz").write_text("not a zip")
    before = sorted(p.name for p in tmp_path.iterdir())
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert main(args) == 2
    finally:
        os.chdir(cwd)
    err = capsys.readouterr().err
    assert err.startswith("gradstep: error: ") and message in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_pytorch_module_brought_in_can_be_drawn_and_stepped():
    """from_torch(..., engine="value") gives a graph to draw (neuron clusters, weight labels)
    and step through; the stepped gradients equal PyTorch's for the same output."""
    from autograd import backward_steps, draw

    torch.manual_seed(1)
    module = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Sigmoid(), torch.nn.Linear(2, 1))
    module = module.double()
    net = from_torch(module, engine="value")
    out = net([0.5, -1.0])
    source = draw(out).source
    assert "cluster_layer1" in source and "W1[0,1]" in source and "b2[0]" in source
    steps = list(backward_steps(out))
    # a neuron is two op nodes (its dot and its activation; identity for a missing one)
    assert [s.node.label for s in steps] == ["a2[0]", "z2[0]", "a1[1]", "z1[1]", "a1[0]", "z1[0]"]
    module(torch.tensor([[0.5, -1.0]], dtype=torch.float64)).sum().backward()
    grads = net.named_grads()
    np.testing.assert_allclose(grads["W1"], module[0].weight.grad.numpy().T, rtol=1e-12)
    np.testing.assert_allclose(grads["b2"], module[2].bias.grad.numpy(), rtol=1e-12)
