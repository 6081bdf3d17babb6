"""Watching training: ``watch`` records what ``train`` does without changing it (bit for bit),
the Timeline reads back weights, gradients, the training loss and accuracy at every recorded
epoch, bad input is named, the front end's model computes what the networks compute (Node, on
the same JSON), and the page steps through epochs in Chromium."""

import json

import numpy as np
import pytest
from browser import watched
from nodejs import run_model

from experiments import watch
from experiments.datasets import load_dataset
from experiments.timeline.data import page_params
from experiments.timeline.record import TIMELINE
from experiments.train import train
from nets import NumpyMLP, TensorMLP, ValueMLP

X, Y = load_dataset("xor")
SETTINGS = dict(epochs=300, loss="bce", reduction="sum", quiet=True)


def lab_net(seed=0, **kw):
    return NumpyMLP((2, 4, 4, 1), bias=False, init="lab", seed=seed, **kw)


def trained_for(net, epochs, **kw):
    train(net, X, Y, **{**SETTINGS, **kw, "epochs": epochs})
    return net.state_dict()


# -- recording changes nothing ----------------------------------------------------------------
def test_watch_records_what_train_does_bit_for_bit():
    """Weights at every recorded epoch equal those of `train` run for that many epochs (exact
    equality), and the watched network ends where `train` leaves it."""
    net = lab_net()
    tl = watch(net, X, Y, every=50, lr=0.5, **SETTINGS)
    assert tl.epochs == [0, 50, 100, 150, 200, 250, 300]
    for epoch in (0, 50, 150, 300):
        expected = trained_for(lab_net(), epoch, lr=0.5)
        got = tl.weights(epoch)
        assert all(np.array_equal(got[k], expected[k]) for k in expected), epoch
    assert all(np.array_equal(net.state_dict()[k], v) for k, v in tl.weights(300).items())


def test_recorded_loss_and_grads_are_the_training_objective_at_those_weights():
    """The loss recorded is the one minimised (summed cross-entropy here, not the MSE the lab
    prints), and the gradients are its gradients at the recorded weights."""
    tl = watch(lab_net(), X, Y, every=100, lr=0.5, **SETTINGS)
    for epoch in tl.epochs:
        value, grads = tl.network(epoch).loss_and_grads(X, Y, loss="bce", reduction="sum")
        assert tl.loss(epoch) == pytest.approx(value, rel=1e-12)
        assert all(np.allclose(tl.grads(epoch)[k], grads[k], rtol=0, atol=1e-12) for k in grads)
        pred = tl.network(epoch).predict(X)
        assert tl.accuracy(epoch) == np.mean((pred >= 0.5) == (Y >= 0.5))
    assert tl.loss(0) > tl.loss(300)


@pytest.mark.parametrize("lists", [{"lr": [0.05, 2.0]}, {"seed": [0, 3]}])
def test_several_runs_each_equal_its_own_train(lists):
    """A list of learning rates (or seeds) gives one run each, every one equal to `train` with
    that setting, labelled by it."""
    tl = watch(lab_net(), X, Y, every=150, **{"lr": 0.5, **lists}, **SETTINGS)
    assert len(tl.runs) == 2
    for r, run in enumerate(tl.runs):
        lr = lists.get("lr", [0.5, 0.5])[r]
        seed = lists.get("seed", [0, 0])[r]
        expected = trained_for(lab_net(seed), 300, lr=lr)
        assert all(np.array_equal(tl.weights(300, run=r)[k], v) for k, v in expected.items())
        key, value = next(iter(lists.items()))
        assert f"{key}={value[r]:g}" in run.label


def test_any_engine_and_a_list_of_networks():
    """The graph engines are watched the same way; a list of networks (other widths) gives a
    run per network."""
    small = ValueMLP((2, 2, 1), seed=1)
    tl = watch(small, X, Y, every=5, lr=0.5, epochs=10, loss="mse", quiet=True)
    assert tl.epochs == [0, 5, 10] and tl.loss(10) < tl.loss(0)
    nets = [TensorMLP((2, 3, 1), seed=0), TensorMLP((2, 3, 1), seed=1)]
    both = watch(nets, X, Y, every=5, lr=0.5, epochs=10, loss="mse", quiet=True)
    assert [r.label for r in both.runs] == ["2-3-1", "2-3-1"]


def test_the_stepper_of_a_point_at_an_epoch_uses_that_epochs_weights():
    from autograd import backward_steps

    tl = watch(lab_net(), X, Y, every=100, lr=0.5, **SETTINGS)
    s = tl.stepper(200, 2)
    net = ValueMLP((2, 4, 4, 1), bias=False, seed=0)
    net.load_state_dict(tl.weights(200))
    loss = net.loss(X[2:3], Y[2:3], loss="bce", reduction="sum")
    assert [s.text(k) for k in range(1, len(s) + 1)] == [str(st) for st in backward_steps(loss)]
    assert "epoch 200" in s.title and "point 2" in s.title


# -- bad input ------------------------------------------------------------------------------------
@pytest.mark.parametrize("every", [0, -5, 1.5, True, "50"])
def test_every_must_be_a_positive_integer(every):
    with pytest.raises(ValueError, match="every must be a positive integer"):
        watch(lab_net(), X, Y, every=every, **SETTINGS)


def test_lists_must_be_non_empty_and_of_one_length():
    with pytest.raises(ValueError, match="lr is an empty list"):
        watch(lab_net(), X, Y, lr=[], **SETTINGS)
    with pytest.raises(ValueError, match="one entry per run: lr has 2, seed has 3"):
        watch(lab_net(), X, Y, lr=[0.1, 0.2], seed=[0, 1, 2], **SETTINGS)
    with pytest.raises(TypeError, match="gradstep networks"):
        watch("net", X, Y, **SETTINGS)


def test_recorded_epochs_and_runs_are_named_when_missing():
    tl = watch(lab_net(), X, Y, every=100, lr=0.5, **SETTINGS)
    with pytest.raises(ValueError, match="epoch 37 was not recorded: the recorded epochs are 0"):
        tl.weights(37)
    with pytest.raises(IndexError, match="run 2 out of range: this timeline has 1 runs"):
        tl.loss(0, run=2)
    with pytest.raises(IndexError, match="sample 21 out of range"):
        tl.stepper(0, 21)


def test_a_network_without_two_inputs_still_has_its_other_views(tmp_path):
    """Three inputs: no input plane to draw. The page still holds the loss, network and
    gradients, and the boundary view says why it is absent."""
    X3 = np.random.default_rng(0).normal(size=(12, 3))
    y3 = (X3.sum(axis=1, keepdims=True) > 0).astype(float)
    tl = watch(NumpyMLP((3, 4, 1), seed=0), X3, y3, every=10, lr=0.1, epochs=20, quiet=True)
    data = tl.to_json()
    assert data["planeReason"].startswith("the network has 3 inputs")
    assert len(data["runs"][0]["gradNorms"][0]) == 2  # two layers' gradient sizes


def test_save_refuses_bad_paths_and_writes_nothing(tmp_path):
    tl = watch(lab_net(), X, Y, every=100, lr=0.5, **SETTINGS)
    with pytest.raises(ValueError, match="ending in .html"):
        tl.save(tmp_path / "t.svg")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        tl.save(tmp_path / "missing" / "t.html")
    (tmp_path / "dir.html").mkdir()
    with pytest.raises(IsADirectoryError):
        tl.save(tmp_path / "dir.html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.html"]


# -- the front end's model, run by Node on the same JSON -----------------------------------------
MODEL_JS = """
import { readFileSync } from "node:fs";
import { readTimeline, planePictures, statusAt, layersOf, forward, classifiedRight } from "%s";
const data = readTimeline(JSON.parse(readFileSync(0, "utf-8")));
const res = data.res || 6;
const out = data.runs.map((run) => run.params.map((_, i) => {
  const pics = planePictures(data, layersOf(data, run, i), res);
  return Array.from(pics[pics.length - 1][0]);
}));
const statuses = data.epochs.map((_, i) => statusAt(data, i));
const layers = layersOf(data, data.runs[0], 1);
const hidden = forward(layers, [0.3, 0.7]).map((a) => a.map(Number));
const right = data.runs.map((run) => run.params.map((_, i) =>
  classifiedRight(data, layersOf(data, run, i)).filter(Boolean).length));
const diverged = data.runs.map((run) => run.diverged);
process.stdout.write(JSON.stringify({ out, statuses, hidden, right, diverged }));
"""


def page_model(data: dict) -> dict:
    return run_model(TIMELINE.folder / "timeline_model.mjs", MODEL_JS, data)


@pytest.mark.slow
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu", "none"])
def test_the_pages_forward_pass_is_the_networks(activation):
    """The boundary the page draws is the network's prediction: the model's forward pass over
    the plane equals NumpyMLP.predict at every recorded epoch (1e-12), for every activation,
    with bias; and each hidden layer's outputs too."""
    net = NumpyMLP((2, 3, 3, 1), activation=activation, bias=True, seed=1)
    tl = watch(net, X, Y, every=10, lr=0.1, epochs=20, loss="mse", quiet=True)
    data = tl.to_json()
    got = page_model(data)
    x0, x1, y0, y1 = data["box"]
    res = 6
    centres = [(r, c) for r in range(res) for c in range(res)]
    grid = np.array(
        [[x0 + (c + 0.5) / res * (x1 - x0), y1 - (r + 0.5) / res * (y1 - y0)] for r, c in centres]
    )
    for i, epoch in enumerate(tl.epochs):
        expected = as_the_page_holds(tl, epoch).predict(grid)[:, 0]
        assert np.allclose(got["out"][0][i], expected, rtol=0, atol=1e-12), epoch
    assert got["statuses"][0].startswith("epoch 0: loss ") and "accuracy " in got["statuses"][0]
    w = as_the_page_holds(tl, tl.epochs[1]).state_dict()
    a1 = net.activation.forward(np.array([0.3, 0.7]) @ w["W1"] + w["b1"])
    assert np.allclose(got["hidden"][0], a1, rtol=0, atol=1e-12)


def as_the_page_holds(tl, epoch: int, run: int = 0) -> NumpyMLP:
    """The run's network at ``epoch`` with its weights rounded to float32, as the page has them."""
    net = tl.network(epoch, run)
    net.load_state_dict({k: page_params(v) for k, v in net.state_dict().items()})
    return net


def plane_grid(box, res: int) -> np.ndarray:
    """The centres of the page's res x res picture of the plane, row 0 at the top."""
    x0, x1, y0, y1 = box
    return np.array(
        [
            [x0 + (c + 0.5) / res * (x1 - x0), y1 - (r + 0.5) / res * (y1 - y0)]
            for r in range(res)
            for c in range(res)
        ]
    )


# runs of different widths and depths, with and without bias, side by side
MIXED = [
    NumpyMLP((2, 2, 2, 1), bias=False, init="lab", seed=0),
    NumpyMLP((2, 8, 8, 1), bias=False, init="lab", seed=0),
    NumpyMLP((2, 32, 1), bias=True, seed=0),
    NumpyMLP((2, 4, 4, 4, 1), activation="tanh", bias=True, seed=1),
]


@pytest.fixture(scope="module")
def mixed():
    nets = [NumpyMLP(**{k: v for k, v in m.config().items() if k != "class"}) for m in MIXED]
    return watch(nets, X, Y, every=100, lr=0.5, epochs=600, loss="bce", reduction="sum", quiet=True)


@pytest.mark.slow
def test_each_run_keeps_its_own_network(mixed):
    """network, weights, grads and the stepper of run r have run r's layers and shapes, and the
    network classifies as run r's recorded accuracy says."""
    from autograd import backward_steps
    from nets import ValueMLP

    for r, model in enumerate(MIXED):
        sizes = tuple(model.layer_sizes)
        assert mixed.runs[r].label == "-".join(map(str, sizes))
        net = mixed.network(600, run=r)
        assert tuple(net.layer_sizes) == sizes and net.bias == model.bias
        shapes = {k: v.shape for k, v in model.state_dict().items()}
        assert {k: v.shape for k, v in mixed.weights(600, run=r).items()} == shapes
        assert {k: v.shape for k, v in mixed.grads(600, run=r).items()} == shapes
        pred = net.predict(X)
        assert mixed.accuracy(600, run=r) == np.mean((pred >= 0.5) == (Y >= 0.5))
        assert mixed.loss(600, run=r) == pytest.approx(
            net.loss_and_grads(X, Y, loss="bce", reduction="sum")[0], rel=1e-12
        )
        s = mixed.stepper(600, 2, run=r, collapse=None)
        graph = ValueMLP(sizes, activation=model.activation.name, bias=model.bias, seed=0)
        graph.load_state_dict(mixed.weights(600, run=r))
        loss = graph.loss(X[2:3], Y[2:3], loss="bce", reduction="sum")
        assert [s.text(k) for k in range(1, len(s) + 1)] == [str(st) for st in backward_steps(loss)]


def test_the_page_draws_each_runs_own_network(mixed):
    """Under Node, the page model's boundary for every run and epoch is that run's
    NumpyMLP.predict on the weights the page holds (float32: 1e-12), within 1e-5 of the float64
    network, and the points it counts as right are the recorded accuracy."""
    data = {**mixed.to_json(), "res": 8}
    json.dumps(data, allow_nan=False)
    got = page_model(data)
    grid = plane_grid(data["box"], 8)
    for r in range(len(MIXED)):
        assert data["runs"][r]["layers"] == list(MIXED[r].layer_sizes)
        for i, epoch in enumerate(mixed.epochs):
            drawn = np.array(got["out"][r][i])
            exact = as_the_page_holds(mixed, epoch, r).predict(grid)[:, 0]
            assert np.allclose(drawn, exact, rtol=0, atol=1e-12), (r, epoch)
            full = mixed.network(epoch, r).predict(grid)[:, 0]
            assert np.allclose(drawn, full, rtol=0, atol=1e-5), (r, epoch)
            assert got["right"][r][i] == round(mixed.accuracy(epoch, run=r) * len(X)), (r, epoch)


def test_the_page_holds_four_bytes_a_weight():
    """The parameters travel as float32 (base64): 4 bytes of each number, 16/3 characters."""
    tl = watch(NumpyMLP((2, 10, 10, 1), seed=0), X, Y, every=10, lr=0.1, epochs=100, quiet=True)
    run = tl.to_json()["runs"][0]
    count = tl.runs[0].params.size
    assert len(run["params"]) == 4 * -(-4 * count // 3)  # base64 of 4 * count bytes
    assert len(json.dumps(run)) < 6 * count + 20_000


def test_a_diverged_run_is_strict_json_and_said(tmp_path):
    """lr 10 with relu and no output squashing overflows: the loss becomes inf (relu) or nan
    (tanh). The timeline's document is strict JSON, the page model reads the numbers back and
    its status says the run diverged (and where)."""
    for activation, word in (("relu", "inf"), ("tanh", "nan")):
        net = NumpyMLP(
            (2, 4, 4, 1), activation=activation, output_activation="none", bias=True, init="lab"
        )
        with np.errstate(all="ignore"):
            tl = watch(net, X, Y, every=10, lr=10.0, epochs=100, loss="mse", reduction="sum")
            data = tl.to_json()
        at = tl.runs[0].diverged_at
        assert at is not None and not np.isfinite(tl.loss(at)) and np.isfinite(tl.loss(0))
        text = json.dumps(data, allow_nan=False)
        assert json.loads(text, parse_constant=lambda c: pytest.fail(c))["runs"][0]["loss"][-1]
        got = page_model(data)
        i = tl.epochs.index(at)
        assert got["diverged"] == [i]
        assert got["statuses"][-1] == f"epoch 100: diverged at epoch {at} (loss {word})"
        assert got["statuses"][i - 1].startswith(f"epoch {tl.epochs[i - 1]}: loss ")


def test_watch_refuses_a_recording_that_cannot_fit_before_training():
    """A 2-1000-1000-1 network recorded at every one of 100,000 epochs (about 4.8 TB) is
    refused at once, naming an every that fits."""
    import time

    from nets.budget import memory_limit_bytes

    net = NumpyMLP((2, 1000, 1000, 1), seed=0)
    t = time.perf_counter()
    with pytest.raises(ValueError, match=r"recording 1 run\(s\) of 1,005,001 parameters") as e:
        watch(net, X, Y, every=1, lr=0.1, epochs=100_000, quiet=True)
    assert time.perf_counter() - t < 0.5
    every = int(str(e.value).split("every (--every) ")[1].split(" ")[0])
    from experiments.timeline.record import RECORDING_BYTES, recorded_epochs

    assert RECORDING_BYTES * 1_005_001 * recorded_epochs(100_000, every) <= memory_limit_bytes()
    assert RECORDING_BYTES * 1_005_001 * recorded_epochs(100_000, every - 1) > memory_limit_bytes()


def test_status_reads_epoch_loss_and_accuracy():
    tl = watch(lab_net(), X, Y, every=100, lr=0.5, **SETTINGS)
    statuses = page_model(tl.to_json())["statuses"]
    expected = f"epoch 300: loss {tl.loss(300):.4f}, accuracy {100 * tl.accuracy(300):.2f}%"
    assert statuses[-1] == expected


# -- in Chromium ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def three_runs():
    return watch(lab_net(), X, Y, every=50, lr=[0.0001, 0.05, 2.0], **{**SETTINGS, "epochs": 1000})


def picture(page, selector: str, index: int = 0) -> str:
    return page.locator(selector).nth(index).evaluate("c => c.toDataURL()")


@pytest.mark.slow
def test_page_steps_through_epochs(browser, tmp_path, three_runs):
    """The slider labelled Epoch, the arrow keys and Play move every run together; the status
    and data-epoch follow; the boundary and the neurons' pictures change between epochs; four
    views per run; no console error; no request but the file."""
    path = three_runs.save(tmp_path / "training.html")
    page = browser.new_page(viewport={"width": 1366, "height": 850})
    seen = watched(page)
    page.goto(path.as_uri())
    root = page.locator(".tl-timeline")
    status = page.get_by_role("status")
    assert root.get_attribute("data-epoch") == "0"
    assert status.inner_text().startswith("epoch 0: lr=0.0001: loss ")
    for view in ("boundary", "loss", "network", "gradients"):
        assert page.locator(f'[data-view="{view}"]').count() == 3, view
    before = [picture(page, ".tl-field", r) for r in range(3)]
    neurons_before = picture(page, ".tl-pictures", 1)  # run 1's neurons (lr 0.05)
    slider = page.get_by_role("slider", name="Epoch")
    slider.fill("10")  # the 11th recorded epoch
    assert root.get_attribute("data-epoch") == "500"
    assert status.inner_text().startswith("epoch 500: ")
    after = [picture(page, ".tl-field", r) for r in range(3)]
    assert after[1] != before[1] and after[2] != before[2]  # lr 0.05 and 2 moved
    assert picture(page, ".tl-pictures", 1) != neurons_before
    root.focus()
    page.keyboard.press("ArrowRight")
    assert root.get_attribute("data-epoch") == "550"
    page.keyboard.press("End")
    assert root.get_attribute("data-epoch") == "1000"
    page.keyboard.press("Home")
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("document.querySelector('.tl-timeline').dataset.epoch !== '0'")
    page.get_by_role("button", name="Pause").click()
    epoch = root.get_attribute("data-epoch")
    page.wait_for_timeout(300)
    assert root.get_attribute("data-epoch") == epoch  # paused
    assert seen.errors == []
    assert seen.requests == [path.as_uri()]
    page.close()


@pytest.mark.slow
def test_clicking_a_point_opens_its_stepper_at_that_epoch(browser, tmp_path, three_runs):
    """Saved with steppers=[(epoch, sample)], the page opens that point's backward stepper when
    the point is clicked at that epoch; elsewhere it says how to get one."""
    path = three_runs.save(tmp_path / "training.html", steppers=[(500, 2, 1)])
    page = browser.new_page(viewport={"width": 1366, "height": 850})
    seen = watched(page)
    page.goto(path.as_uri())
    page.get_by_role("slider", name="Epoch").fill("10")
    data = json.loads(
        path.read_text()
        .split('id="gradstep-data">', 1)[1]
        .split("</script>", 1)[0]
        .replace("<\\/", "</")
    )["timeline"]
    x0, x1, y0, y1 = data["box"]

    def click_point(sample: int) -> None:
        """Click the point on run 1's boundary where it is now (the page may have scrolled)."""
        dots = page.locator(".tl-points").nth(1)
        dots.evaluate("e => e.scrollIntoView({block: 'center'})")  # clear of the sticky header
        box = dots.bounding_box()
        u, v = X[sample]
        page.mouse.click(
            box["x"] + (u - x0) / (x1 - x0) * box["width"],
            box["y"] + (1 - (v - y0) / (y1 - y0)) * box["height"],
        )

    click_point(2)
    stepper = page.locator(".tl-stepper .gs-stepper")
    stepper.wait_for()
    assert stepper.get_by_role("status").inner_text().startswith("step 0: L = ")
    assert "epoch 500" in stepper.get_by_role("heading").inner_text()
    stepper.get_by_role("button", name="Next", exact=True).click()
    assert stepper.get_by_role("status").inner_text().startswith("dL/da3[0]")
    page.get_by_role("slider", name="Epoch").fill("3")
    click_point(2)
    assert "No stepper saved for point 2 at epoch 150" in page.locator(".tl-stepper").inner_text()
    assert seen.errors == []
    page.close()


def test_gradstep_watch_writes_the_page(tmp_path, capsys):
    from experiments.cli import main

    out = tmp_path / "training.html"
    args = ["watch", "--data", "xor", "--lr", "0.0001,0.05,2", "--epochs", "400", "--every", "100"]
    assert main([*args, "--out", str(out), "--quiet"]) == 0
    said = capsys.readouterr().out
    assert said.startswith(f"timeline: {out} (3 run(s), 5 epochs recorded; lr=0.0001: loss ")
    page = out.read_text()
    assert (
        page.count("<script") == 2
        and "http" not in page.split("<body>", 1)[1].split("gradstep-data")[0]
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["--lr", "0.1,0.2", "--seed", "1,2,3"], "--lr has 2 values and --seed 3"),
        (["--out", "t.svg"], "expected a file ending in .html"),
        (["--out", "missing/t.html"], "directory missing does not exist"),
        (["--sizes", "3-4-1"], "--sizes must start with 2"),
    ],
)
def test_gradstep_watch_errors_are_one_line_and_write_nothing(
    tmp_path, args, message, capsys, monkeypatch
):
    from experiments.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["watch", "--epochs", "10", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gradstep: error: ") and message in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args, message",
    [
        (["--every", "0"], "argument --every: expected a positive integer, got 0"),
        (["--lr", "0.1,x"], "argument --lr: expected positive numbers, got 'x'"),
    ],
)
def test_gradstep_watch_bad_values_are_named_by_the_parser(
    tmp_path, args, message, capsys, monkeypatch
):
    from experiments.cli import main

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(["watch", *args])
    assert exit_.value.code == 2 and message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_page_without_an_input_plane_says_why(browser, tmp_path):
    """Three inputs: the boundary view says why it is absent; the other views draw; no error."""
    X3 = np.random.default_rng(0).normal(size=(12, 3))
    y3 = (X3.sum(axis=1, keepdims=True) > 0).astype(float)
    tl = watch(NumpyMLP((3, 4, 1), seed=0), X3, y3, every=10, lr=0.1, epochs=20, quiet=True)
    path = tl.save(tmp_path / "three.html")
    page = browser.new_page()
    seen = watched(page)
    page.goto(path.as_uri())
    boundary = page.locator('[data-view="boundary"]')
    assert boundary.inner_text().startswith("No boundary: the network has 3 inputs")
    assert page.locator('[data-view="network"] .tl-neuron').count() == 3 + 4 + 1
    page.get_by_role("slider", name="Epoch").fill("2")
    assert page.get_by_role("status").inner_text().startswith("epoch 20: loss ")
    assert seen.errors == []
    page.close()


@pytest.mark.slow
def test_slider_and_status_stay_in_view_on_a_laptop(browser, tmp_path, three_runs):
    """At 1024x700 the runs' views are taller than the window: scrolled down to the gradient
    views, the Epoch slider and the status line are still in view (a sticky header)."""
    path = three_runs.save(tmp_path / "training.html")
    page = browser.new_page(viewport={"width": 1024, "height": 700})
    page.goto(path.as_uri())
    gradients = page.locator('[data-view="gradients"]').first
    gradients.scroll_into_view_if_needed()
    box = gradients.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 700
    for part in (page.get_by_role("slider", name="Epoch"), page.get_by_role("status")):
        where = part.bounding_box()
        assert where["y"] >= 0 and where["y"] + where["height"] <= 700
    page.close()


# -- every run its own network, legible, in Chromium ---------------------------------------------
def boxes(locator) -> list[dict]:
    return [locator.nth(i).bounding_box() for i in range(locator.count())]


def overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def field_classes(page, run: int, data: dict) -> list[bool]:
    """Per data point: is the drawn boundary's pixel under it blue (predicts 1)?"""
    x0, x1, y0, y1 = data["box"]
    return (
        page.locator(".tl-field")
        .nth(run)
        .evaluate(
            """(c, pts) => {
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          return pts.map(([u, v]) => {
            const col = Math.min(c.width - 1, Math.floor(u * c.width));
            const row = Math.min(c.height - 1, Math.floor(v * c.height));
            const k = 4 * (row * c.width + col);
            return d[k + 2] > d[k];
          });
        }""",
            [[(u - x0) / (x1 - x0), 1 - (v - y0) / (y1 - y0)] for u, v in X],
        )
    )


@pytest.mark.slow
@pytest.mark.parametrize("size", [(1024, 700), (1600, 1000)])
def test_each_run_draws_its_own_network_legibly(browser, tmp_path, mixed, size):
    """Four runs (2-2-2-1, 2-8-8-1, 2-32-1, 2-4-4-4-1): each draws as many neuron pictures as its
    layers have, none overlapping (8 and 32 to a layer); the boundary under the points agrees
    with the stated accuracy (and the points counted right are exactly it); a legend names the
    points, the background, the lines and the edges; each axis name is clear of its numbers."""
    path = mixed.save(tmp_path / "mixed.html")
    data = mixed.to_json()
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    seen = watched(page)
    page.goto(path.as_uri())
    page.get_by_role("slider", name="Epoch").fill(str(len(mixed.epochs) - 1))
    legend = page.get_by_role("note", name="Legend")
    for words in ("label 1 point", "hollow: misclassified", "background: the prediction",
                  "accuracy (0 to 100%)", "this epoch", "edges: blue positive"):  # fmt: skip
        assert words in legend.inner_text(), words
    for r, model in enumerate(MIXED):
        card = page.get_by_role("region", name=data["runs"][r]["label"])
        neurons = boxes(card.locator(".tl-neuron"))
        assert len(neurons) == sum(model.layer_sizes)
        assert all(b["width"] >= 8 for b in neurons)
        clashes = [(a, b) for i, a in enumerate(neurons) for b in neurons[i + 1 :] if overlap(a, b)]
        assert clashes == [], (r, clashes[:1])
        accuracy = mixed.accuracy(mixed.epochs[-1], run=r)
        assert int(card.locator(".tl-points").get_attribute("data-right")) == round(21 * accuracy)
        blue = field_classes(page, r, data)
        agree = np.mean([b == (t >= 0.5) for b, t in zip(blue, Y[:, 0])])
        assert abs(agree - accuracy) <= 2 / 21, (r, agree, accuracy)  # pixels near the boundary
        for chart in ("loss", "gradients"):
            svg = card.locator(f'[data-view="{chart}"]')
            name = svg.locator(".tl-axis-name").bounding_box()
            numbers = boxes(svg.locator(".tl-axis:not(.tl-axis-name)"))
            assert numbers and not any(overlap(name, b) for b in numbers), (r, chart)
    page.screenshot(path=str(tmp_path / f"mixed_{size[0]}.png"), full_page=True)
    assert seen.errors == [] and seen.requests == [path.as_uri()]
    page.close()


@pytest.mark.slow
def test_a_clicked_points_stepper_opens_in_view_below_the_header(browser, tmp_path, three_runs):
    """At 1024x700 a click on a point opens its stepper scrolled into view, its title below the
    sticky header and inside the window."""
    path = three_runs.save(tmp_path / "training.html", steppers=[(1000, 2, 0)])
    page = browser.new_page(viewport={"width": 1024, "height": 700})
    seen = watched(page)
    page.goto(path.as_uri())
    page.get_by_role("slider", name="Epoch").fill("20")
    dots = page.locator(".tl-points").first
    box = dots.bounding_box()
    data = json.loads(path.read_text().split('id="gradstep-data">', 1)[1].split("</script>", 1)[0])
    x0, x1, y0, y1 = data["timeline"]["box"]
    u, v = X[2]
    page.mouse.click(
        box["x"] + (u - x0) / (x1 - x0) * box["width"],
        box["y"] + (1 - (v - y0) / (y1 - y0)) * box["height"],
    )
    title = page.locator(".tl-stepper .gs-stepper").get_by_role("heading")
    title.wait_for()
    page.wait_for_timeout(100)
    head = page.locator(".tl-head").bounding_box()
    where = title.bounding_box()
    assert where["y"] >= head["y"] + head["height"] and where["y"] + where["height"] <= 700
    page.screenshot(path=str(tmp_path / "stepper_1024.png"))
    assert seen.errors == []
    page.close()


@pytest.mark.slow
@pytest.mark.parametrize("activation, word", [("relu", "inf"), ("tanh", "nan")])
def test_gradstep_watch_draws_a_diverged_run_as_diverged(browser, tmp_path, activation, word):
    """The issue's command: the page is strict JSON, it opens without an error, its status
    says where the run diverged, and the loss curve ends there."""
    import subprocess
    import sys

    out = tmp_path / "div.html"
    done = subprocess.run(
        [sys.executable, "-m", "experiments", "watch", "--activation", activation,
         "--output-activation", "none", "--loss", "mse", "--lr", "10", "--epochs", "100",
         "--every", "10", "--bias", "--out", str(out), "--quiet"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert "lr=10: diverged at epoch " in done.stdout
    text = out.read_text().split('id="gradstep-data">', 1)[1].split("</script>", 1)[0]
    json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in the page's JSON"))
    page = browser.new_page(viewport={"width": 1024, "height": 700})
    seen = watched(page)
    page.goto(out.as_uri())
    page.get_by_role("slider", name="Epoch").fill("10")
    status = page.get_by_role("status").inner_text()
    assert status.startswith("epoch 100: diverged at epoch ") and status.endswith(f"(loss {word})")
    at = int(status.split("diverged at epoch ")[1].split(" ")[0])
    line = page.locator('[data-view="loss"] .tl-loss').get_attribute("points")
    assert len(line.split()) == at // 10  # the recorded epochs before it diverged
    assert (
        page.locator('[data-view="loss"] .tl-diverged').text_content() == f"diverged at epoch {at}"
    )
    svg = page.locator('[data-view="loss"]')
    frame, name = svg.bounding_box(), svg.locator(".tl-axis-name").bounding_box()
    for number in boxes(svg.locator(".tl-axis:not(.tl-axis-name)")):
        assert number["x"] >= frame["x"] and not overlap(name, number)  # 1.3e+265 fits
    page.screenshot(path=str(tmp_path / f"diverged_{activation}.png"))
    assert seen.errors == []
    page.close()


def test_gradstep_watch_refuses_a_recording_too_large_before_any_work(
    tmp_path, monkeypatch, capsys
):
    """The issue's 2-1000-1000-1 every 1 for 100,000 epochs (about 4.4 TiB): exit 2, one line
    naming --every and a value that fits, no network made (well under a second) and no file."""
    import time

    from experiments.cli import main

    monkeypatch.chdir(tmp_path)
    made = []
    monkeypatch.setattr("nets.make_mlp", lambda *a, **k: made.append(1))
    t = time.process_time()
    args = ["watch", "--sizes", "2-1000-1000-1", "--every", "1", "--epochs", "100000"]
    assert main(args) == 2
    assert time.process_time() - t < 0.5 and made == []
    err = capsys.readouterr().err
    assert err.startswith("gradstep: error: recording 1 run(s) of 1,003,000 parameters")
    assert "record less often: every (--every) " in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_the_labs_hidden_units_timeline_keeps_each_width():
    """The lab's discussion B timeline (2, 4, 10 and 32 units; --quick length): each run's
    network is its own width, classifies as its recorded accuracy says, and its page data
    carries that architecture and four bytes a weight."""
    from experiments.lab.lab1 import lab_timelines

    tl = lab_timelines(quick=True)["hidden_units"]
    data = tl.to_json()
    last = tl.epochs[-1]
    for r, width in enumerate((2, 4, 10, 32)):
        sizes = [2, width, width, 1]
        net = tl.network(last, run=r)
        assert list(net.layer_sizes) == sizes and tl.runs[r].label == "-".join(map(str, sizes))
        assert tl.weights(last, run=r)["W2"].shape == (width, width)
        assert tl.accuracy(last, run=r) == np.mean((net.predict(X) >= 0.5) == (Y >= 0.5))
        assert data["runs"][r]["layers"] == sizes
        assert len(data["runs"][r]["params"]) == 4 * -(-4 * tl.runs[r].params.size // 3)
