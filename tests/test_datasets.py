"""The lab's data sets exactly as LAB1.md defines them, and the harder sets."""

import numpy as np
import pytest

from experiments.datasets import DATASETS, generate_linear, generate_xor_easy, load_dataset


def test_xor_easy_matches_the_lab_point_by_point():
    X, y = generate_xor_easy()
    assert X.shape == (21, 2) and X.dtype == np.float64 and y.shape == (21, 1)
    assert y.dtype.kind == "i"
    # interleaved: (0.1i, 0.1i) label 0, then (0.1i, 1 - 0.1i) label 1, skipping i = 5's second
    assert y[:, 0].tolist() == [0, 1] * 5 + [0] + [0, 1] * 5
    assert (X[0].tolist(), X[1].tolist()) == ([0.0, 0.0], [0.0, 1.0])
    assert X[10].tolist() == [0.5, 0.5] and X[11].tolist() == [0.6000000000000001] * 2
    # bit-exact float noise from 0.1 * 3 and 1 - 0.1 * 3
    assert X[6].tolist() == [0.30000000000000004, 0.30000000000000004]
    assert X[7].tolist() == [0.30000000000000004, 0.7]
    assert X[7, 1].hex() == (1 - 0.30000000000000004).hex()
    assert X[20].tolist() == [1.0, 0.0]
    zeros, ones = X[y[:, 0] == 0], X[y[:, 0] == 1]
    assert len(zeros) == 11 and np.all(zeros[:, 0] == zeros[:, 1])
    assert len(ones) == 10 and np.allclose(ones.sum(axis=1), 1.0)


def test_linear_labels_follow_the_rule_exactly():
    X, y = generate_linear(500, seed=4)
    assert X.shape == (500, 2) and y.shape == (500, 1) and y.dtype.kind == "i"
    assert np.all((y[:, 0] == 0) == (X[:, 0] > X[:, 1]))
    assert np.all((X >= 0) & (X < 1))


def test_linear_seed_gives_the_lab_codes_numbers():
    """With a seed: np.random.RandomState(seed), what the lab's code draws after np.random.seed."""
    X, _ = generate_linear(100, seed=7)
    np.testing.assert_array_equal(X, np.random.RandomState(7).uniform(0, 1, (100, 2)))
    np.testing.assert_array_equal(generate_linear(100, seed=7)[0], X)


def test_linear_without_seed_uses_the_global_generator():
    np.random.seed(11)
    X, _ = generate_linear(10)
    np.random.seed(11)
    np.testing.assert_array_equal(X, np.random.uniform(0, 1, (10, 2)))


def test_a_tie_gets_label_one():
    state = np.random.get_state()
    try:
        np.random.seed(0)
        X, y = generate_linear(3)
    finally:
        np.random.set_state(state)
    # the rule in the lab: 0 if x0 > x1 else 1; a point on the diagonal is labelled 1
    assert all((0 if a > b else 1) == label for (a, b), label in zip(X, y[:, 0]))


@pytest.mark.parametrize("bad", [0, -5])
def test_non_positive_n_is_rejected(bad):
    with pytest.raises(ValueError, match="n must be at least 1"):
        generate_linear(bad)


@pytest.mark.parametrize("bad", [2.5, "10", None])
def test_non_integer_n_is_rejected(bad):
    with pytest.raises(TypeError, match="n must be an integer"):
        generate_linear(bad)


@pytest.mark.parametrize("name", ["circles", "moons", "spiral", "xor-quadrants"])
def test_harder_sets_are_seeded_two_class_sets(name):
    X, y = load_dataset(name, n=120, seed=3)
    assert X.shape == (120, 2) and X.dtype == np.float64 and y.shape == (120, 1)
    assert set(y[:, 0].tolist()) == {0, 1}
    X2, y2 = load_dataset(name, n=120, seed=3)
    np.testing.assert_array_equal(X, X2)
    assert not np.array_equal(X, load_dataset(name, n=120, seed=4)[0])
    with pytest.raises(ValueError, match="n must be at least"):
        DATASETS[name](n=0)
    with pytest.raises(ValueError, match="noise must be a non-negative"):
        DATASETS[name](n=10, noise=-1)


def test_unknown_data_set():
    with pytest.raises(ValueError, match="unknown data set 'mnist'"):
        load_dataset("mnist")


def test_image_sets_draw_the_points_and_bars():
    """Blobs sit where the points are (column x0, row 1 - x1); bars are one row or column."""
    import numpy as np

    from experiments.lab.images import bars, image_set, points_to_images

    images = points_to_images(np.array([[0.0, 1.0], [1.0, 0.0]]), size=12, noise=0.0)
    assert images.shape == (2, 1, 12, 12)
    assert np.unravel_index(images[0, 0].argmax(), (12, 12)) == (0, 0)
    assert np.unravel_index(images[1, 0].argmax(), (12, 12)) == (11, 11)
    X, y = bars(20, noise=0.0, seed=1)
    for image, label in zip(X[:, 0], y[:, 0]):
        lit = np.argwhere(image > 0.5)
        axis_constant = 0 if label == 0 else 1  # horizontal: one row; vertical: one column
        assert len(set(lit[:, axis_constant])) == 1
    Xi, yi, points = image_set("xor-images", seed=0)
    assert Xi.shape == (21, 1, 12, 12) and yi.shape == (21, 1) and points.shape == (21, 2)
    with pytest.raises(ValueError, match="unknown image set 'mnist'"):
        image_set("mnist")
    with pytest.raises(ValueError, match=r"points of shape \(n, 2\)"):
        points_to_images(np.ones((3, 3)))
