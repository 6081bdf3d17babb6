"""What a learner sees: numbers printed as a person reads them, graphs without nodes to explain
away, and defaults that show something."""

import numpy as np
import pytest


def test_numbers_never_print_as_minus_zero():
    from autograd.views.display import format_number
    from autograd.views.labels import preview

    assert [format_number(-0.0), format_number(np.float64(-0.0))] == ["0", "0"]
    assert format_number(np.array([-0.0, 2.0])) == "(2,) [0, 2]"
    assert preview(-0.0) == "0.0000" and preview(np.array([-0.0, 1.0])) == "[0 1]"


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
    from experiments.datasets import load_dataset, telling_sample
    from nets import ValueMLP

    X, y = load_dataset("xor", seed=0)
    net = ValueMLP((2, 4, 4, 1), seed=0)
    _, at_origin = net.loss_and_grads(X[:1], y[:1], loss="bce")
    assert not at_origin["W1"].any()
    k = telling_sample(net, X, y, "bce")
    assert all(not np.any(g) for g in net.named_grads().values())  # grads left as found
    _, grads = net.loss_and_grads(X[k : k + 1], y[k : k + 1], loss="bce")
    assert k > 0 and all(np.all(g != 0) for g in grads.values())


@pytest.mark.slow
def test_runs_of_very_different_lengths_get_a_panel_each(tmp_path):
    """The learning-rate figure: the 1e-4 run's 100,000 epochs beside the 10,000-epoch runs get
    a panel of their own (sharing the loss axis); runs of one length share one panel."""
    import matplotlib.image

    from experiments import plots

    short, long = list(range(0, 10_001, 100)), list(range(0, 100_001, 1000))
    falling = np.linspace(0.3, 0.01, len(short))
    assert plots._panels_by_length([long, short, short]) == [[1, 2], [0]]
    assert plots._panels_by_length([short, short]) == [[0, 1]]
    curves = [("lr=0.0001", long, np.linspace(0.33, 0.24, len(long))), ("lr=0.05", short, falling)]
    wide = plots.learning_curves(curves, tmp_path / "two.png", title="learning rates")
    narrow = plots.learning_curves(curves[1:], tmp_path / "one.png")
    # two panels take the page's whole width, one panel less (both within the page)
    assert matplotlib.image.imread(wide).shape[1] > 1.15 * matplotlib.image.imread(narrow).shape[1]


def test_runs_in_workers_report_progress_before_they_finish():
    """A population training in a worker reports fractions of its runs as its epochs pass
    (the bar moves before the first, longest population returns), adding up to every run."""
    from experiments.runs import REPORT_SETTING, train_runs
    from experiments.workers import worker_pool

    setting = REPORT_SETTING.__class__(**{**REPORT_SETTING.__dict__, "epochs": 2000})
    jobs = [(setting, seed) for seed in range(3)]
    told = []
    with worker_pool(2) as pool:
        runs = train_runs(jobs, told.append, pool=pool)
    assert len(runs) == 3 and all(r["seed"] == s for r, s in zip(runs, range(3)))
    assert sum(told) == pytest.approx(3)
    assert len(told) > 2 and min(told) < 3  # fractions, not one report at the end
