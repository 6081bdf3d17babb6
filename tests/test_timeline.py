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
import { planePictures, statusAt, layersOf, forward } from "%s";
const data = JSON.parse(readFileSync(0, "utf-8"));
const out = data.runs.map((run) => run.params.map((flat) => {
  const pics = planePictures(data, layersOf(data, flat), 6);
  return pics[pics.length - 1][0].map(Number);
}));
const statuses = data.epochs.map((_, i) => statusAt(data, i));
const layers = layersOf(data, data.runs[0].params[1]);
const hidden = forward(layers, [0.3, 0.7]).map((a) => a.map(Number));
const pictures = out.map((r) => r.map((p) => Array.from(p)));
process.stdout.write(JSON.stringify({ out: pictures, statuses, hidden }));
"""


def page_model(data: dict) -> dict:
    return run_model(TIMELINE.folder / "timeline_model.mjs", MODEL_JS, data)


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
        expected = tl.network(epoch).predict(grid)[:, 0]
        assert np.allclose(got["out"][0][i], expected, rtol=0, atol=1e-12), epoch
    assert got["statuses"][0].startswith("epoch 0: loss ") and "accuracy " in got["statuses"][0]
    w = tl.weights(tl.epochs[1])
    a1 = net.activation.forward(np.array([0.3, 0.7]) @ w["W1"] + w["b1"])
    assert np.allclose(got["hidden"][0], a1, rtol=0, atol=1e-12)


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
    neuron_before = picture(page, ".tl-neuron", 3)
    slider = page.get_by_role("slider", name="Epoch")
    slider.fill("10")  # the 11th recorded epoch
    assert root.get_attribute("data-epoch") == "500"
    assert status.inner_text().startswith("epoch 500: ")
    after = [picture(page, ".tl-field", r) for r in range(3)]
    assert after[1] != before[1] and after[2] != before[2]  # lr 0.05 and 2 moved
    assert picture(page, ".tl-neuron", 3) != neuron_before
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
    stepper.get_by_role("button", name="Next step").click()
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
    assert page.locator('[data-view="network"] canvas').count() == 3 + 4 + 1
    page.get_by_role("slider", name="Epoch").fill("2")
    assert page.get_by_role("status").inner_text().startswith("epoch 20: loss ")
    assert seen.errors == []
    page.close()


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
