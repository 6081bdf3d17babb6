"""The curvature behind the lab's learning-rate discussion: the Hessian of the training loss,
its largest eigenvalue, Newton's steps against gradient descent."""

import pytest


def test_sharpness_is_the_largest_hessian_eigenvalue_of_the_training_loss():
    """At the lab's initial weights the Hessian from autograd equals a central difference of
    the numpy fast path's gradient, and lambda_max is its largest eigenvalue."""
    import numpy as np

    from experiments.lab.curvature import loss_hessian, sharpness_along
    from experiments.runs import REPORT_SETTING, data_for
    from nets import NumpyMLP

    X, y = data_for(REPORT_SETTING, 0)
    net = NumpyMLP((2, 4, 4, 1), bias=False, init="lab", seed=0)
    state = net.state_dict()
    H = loss_hessian(state, REPORT_SETTING, X, y)
    flat = np.concatenate([v.reshape(-1) for v in state.values()])
    eps, numeric = 1e-6, np.empty_like(H)

    def grad_at(w):
        offset, moved = 0, {}
        for k, v in state.items():
            moved[k] = w[offset : offset + v.size].reshape(v.shape)
            offset += v.size
        net.load_state_dict(moved)
        g = net.loss_and_grads(X, y, loss="bce", reduction="sum")[1]
        return np.concatenate([np.asarray(g[k]).reshape(-1) for k in state])

    for j in range(len(flat)):
        e = np.zeros_like(flat)
        e[j] = eps
        numeric[:, j] = (grad_at(flat + e) - grad_at(flat - e)) / (2 * eps)
    np.testing.assert_allclose(H, numeric, rtol=1e-5, atol=1e-6)
    (row,) = sharpness_along(REPORT_SETTING, 0, [0])
    assert row["lambda_max"] == pytest.approx(np.linalg.eigvalsh(H)[-1], rel=1e-12)


def test_newton_against_gradient_descent_as_the_walkthrough_reads_it():
    """What the walkthrough says of its numbers (seed 0, XOR): Newton's first step lowers the
    loss more than a gradient step, a later Newton step climbs (the Hessian has a negative
    eigenvalue there), gradient descent with lr 0.05 never climbs."""
    import numpy as np

    from experiments.lab.curvature import loss_hessian, newton_and_gradient_descent
    from experiments.runs import REPORT_SETTING, data_for, model_for

    curves = newton_and_gradient_descent(REPORT_SETTING, 0, steps=8, lr=0.05)
    newton, descent = curves["newton"], curves["gradient descent"]
    assert newton[0] == descent[0] and len(newton) == len(descent) == 9
    assert newton[1] < descent[1]
    assert any(b > a for a, b in zip(newton, newton[1:]))
    assert all(b < a for a, b in zip(descent, descent[1:]))
    X, y = data_for(REPORT_SETTING, 0)
    H = loss_hessian(model_for(REPORT_SETTING, 0).state_dict(), REPORT_SETTING, X, y)
    assert np.linalg.eigvalsh(H)[0] < 0
