"""The 2-4-4-1 net and the optimizers against PyTorch float64 (skipped without torch)."""

import numpy as np
import pytest

from nets import ENGINES, make_optimizer

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

ACT = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, 0.01),
    "none": lambda z: z,
}


def torch_loss(state, X, y, activation, loss, reduction, bias):
    params = {k: torch.tensor(v, requires_grad=True) for k, v in state.items()}
    h = torch.tensor(X)
    depth = sum(1 for k in state if k[0] == "W")
    for k in range(1, depth + 1):
        z = h @ params[f"W{k}"] + (params[f"b{k}"] if bias else 0)
        h = torch.sigmoid(z) if k == depth else ACT[activation](z)
    target = torch.tensor(y)
    fn = torch.nn.functional.mse_loss if loss == "mse" else torch.nn.functional.binary_cross_entropy
    value = fn(h, target, reduction=reduction)
    value.backward()
    return value.item(), {k: p.grad.numpy() for k, p in params.items()}


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "leaky_relu"])
@pytest.mark.parametrize("loss", ["mse", "bce"])
@pytest.mark.parametrize("bias", [True, False])
def test_2_4_4_1_matches_torch(engine, activation, loss, bias):
    """Loss and every gradient equal torch's float64 model on the same weights (1e-10)."""
    rng = np.random.default_rng(4)
    X = rng.random((21, 2))
    y = (X[:, :1] > X[:, 1:]).astype(float)
    net = ENGINES[engine]((2, 4, 4, 1), activation=activation, bias=bias, seed=2, init="lab")
    for reduction in ("mean", "sum"):
        value, grads = net.loss_and_grads(X, y, loss=loss, reduction=reduction)
        ref_value, ref_grads = torch_loss(net.state_dict(), X, y, activation, loss, reduction, bias)
        assert value == pytest.approx(ref_value, rel=1e-10)
        for k, g in ref_grads.items():
            np.testing.assert_allclose(grads[k], g, rtol=1e-10, atol=1e-14)


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, torch_opt, kwargs",
    [
        ("sgd", "SGD", {}),
        ("momentum", "SGD", {"momentum": 0.9}),
        ("adagrad", "Adagrad", {}),
        ("rmsprop", "RMSprop", {}),
        ("adam", "Adam", {}),
    ],
)
def test_optimizers_follow_torch_optim(name, torch_opt, kwargs):
    """50 steps of each optimizer give torch.optim's parameters (1e-9)."""
    rng = np.random.default_rng(0)
    X, y = rng.random((21, 2)), (rng.random((21, 1)) > 0.5).astype(float)
    net = ENGINES["numpy"]((2, 4, 4, 1), seed=0)
    params = {k: torch.tensor(v, requires_grad=True) for k, v in net.state_dict().items()}
    ours = make_optimizer(name, net, lr=0.05)
    theirs = getattr(torch.optim, torch_opt)(list(params.values()), lr=0.05, **kwargs)
    for _ in range(50):
        _, grads = net.loss_and_grads(X, y, loss="bce")
        ours.step(grads)
        theirs.zero_grad()
        h = torch.tensor(X)
        for k in (1, 2, 3):
            h = torch.sigmoid(h @ params[f"W{k}"] + params[f"b{k}"])
        torch.nn.functional.binary_cross_entropy(h, torch.tensor(y)).backward()
        theirs.step()
    for k, p in params.items():
        np.testing.assert_allclose(net.state_dict()[k], p.detach().numpy(), rtol=1e-9, atol=1e-12)
