"""The training loop: lab lines, history, quiet mode, engines and optimizers."""

import numpy as np
import pytest

from experiments.datasets import generate_xor_easy
from experiments.train import accuracy, mse, prediction_lines, summary_line, train
from nets import NumpyMLP, ValueMLP


def test_train_prints_the_lab_lines_and_records_history():
    X, y = generate_xor_easy()
    lines = []
    net = NumpyMLP((2, 4, 4, 1), bias=False, init="lab", seed=0)
    history = train(
        net,
        X,
        y,
        lr=0.05,
        epochs=3000,
        loss="bce",
        reduction="sum",
        log_every=1000,
        out=lines.append,
        progress=False,
    )
    assert [line.split(" loss : ")[0] for line in lines] == [
        "epoch 0",
        "epoch 1000",
        "epoch 2000",
        "epoch 3000",
    ]
    assert lines[-1] == f"epoch 3000 loss : {history.final_loss:.6f}"
    assert history.epoch[0] == 0 and history.epoch[-1] == 3000
    # evaluated every 3000 // 200 = 15 epochs, and at each printed epoch
    expected = sorted(set(range(0, 3001, 15)) | {1000, 2000})
    assert history.epoch == expected
    assert len(history.loss) == len(history.accuracy) == len(expected)
    assert history.final_loss == pytest.approx(mse(net.predict(X), y))
    assert history.final_loss < history.loss[0] / 10  # seed 0 learns XOR by epoch 3000
    assert history.final_accuracy == accuracy(net.predict(X), y) == 1.0


def test_quiet_prints_nothing(capsys):
    X, y = generate_xor_easy()
    train(NumpyMLP(seed=0), X, y, epochs=20, quiet=True)
    assert capsys.readouterr() == ("", "")


def test_value_engine_trains_the_same_as_numpy():
    X, y = generate_xor_easy()
    a, b = ValueMLP(seed=2), NumpyMLP(seed=2)
    ha = train(a, X, y, optimizer="adam", lr=0.01, epochs=15, quiet=True)
    hb = train(b, X, y, optimizer="adam", lr=0.01, epochs=15, quiet=True)
    np.testing.assert_allclose(ha.loss, hb.loss, rtol=1e-10)


def test_prediction_and_summary_lines():
    X, y = generate_xor_easy()
    net = NumpyMLP(seed=0)
    lines = prediction_lines(net, X, y)
    assert (
        len(lines) == 21
        and lines[1].startswith("Prediction 1: 0.")
        and lines[1].endswith("ground truth 1")
    )
    summary = summary_line(net, X, y)
    assert summary.startswith("loss=0.") and summary.endswith("%") and "accuracy=" in summary


def test_bad_epochs():
    X, y = generate_xor_easy()
    with pytest.raises(ValueError, match="epochs must be a non-negative integer"):
        train(NumpyMLP(), X, y, epochs=-1)
