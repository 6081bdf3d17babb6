"""experiments.one_point: `gradstep step` refuses an oversized recording from the layer sizes,
before building the network, with the stepper's own count and message."""

import itertools
import time

import pytest

from autograd.graph import topological_order
from autograd.views.stepper import MAX_TERMS, TooManyTermsError, recording_size
from experiments import one_point
from experiments.cli import main
from experiments.one_point import network_on_one_point, step_recording_size


@pytest.mark.parametrize(
    "sizes, loss, forward",
    [((2, 1), "bce", False), ((2, 4, 4, 1), "mse", True), ((2, 5, 3, 1), "bce", True),
     ((2, 1, 7, 1), "mse", False)],
)  # fmt: skip
def test_the_size_from_the_layer_sizes_is_the_stepper_s_own_count(sizes, loss, forward):
    """Exactly the (terms, steps) the stepper counts on the graph the command builds (the real
    data point and seed), for every activation and with and without biases."""
    for activation, bias in itertools.product(("sigmoid", "tanh", "relu"), (True, False)):
        net, x, y, _ = network_on_one_point("xor", None, sizes, activation, bias, 0, loss)
        order = topological_order(net.loss(x, y, loss=loss))
        expected = recording_size(order, forward)
        assert step_recording_size(sizes, activation, bias, loss, forward) == expected, (
            sizes, activation, bias
        )  # fmt: skip


def test_an_oversized_step_is_refused_before_the_network_is_built(tmp_path, monkeypatch, capsys):
    """2-1000-1000-1 took half a minute to build before the stepper refused it; now it is
    refused from its sizes: exit 2, the stepper's message, no page, well under a second."""

    def build(*args, **kwargs):
        raise AssertionError("the network was built")

    monkeypatch.setattr(one_point, "network_on_one_point", build)
    out = tmp_path / "steps.html"
    start = time.process_time()
    code = main(["step", "--sizes", "2-1000-1000-1", "--out", str(out)])
    cpu = time.process_time() - start
    err = capsys.readouterr().err
    expected = TooManyTermsError(2_010_003, 4_003, MAX_TERMS).advice()
    assert code == 2 and err == f"gradstep: error: {expected}\n"
    assert "2,010,003 chain-rule terms over 4,003 steps" in err
    assert not out.exists() and list(tmp_path.iterdir()) == []
    assert cpu < 1.0, f"the refusal took {cpu:.2f} s of CPU"


def test_the_early_refusal_is_exactly_at_the_steppers_limit(tmp_path, monkeypatch):
    """2-155-155-1 records 49,603 terms (within MAX_TERMS = 50,000): it goes on to be built;
    2-156-156-1 records 50,235: refused without building."""

    class Built(Exception):
        pass

    def build(*args, **kwargs):
        raise Built(kwargs["sizes"])

    monkeypatch.setattr(one_point, "network_on_one_point", build)
    network = dict(data="xor", sample=None, activation="sigmoid", bias=True, seed=0)
    assert step_recording_size((2, 155, 155, 1), "sigmoid", True)[0] == 49_603 <= MAX_TERMS
    with pytest.raises(Built):
        one_point.step_page(tmp_path / "a.html", collapse=None, forward=False,
                            sizes=(2, 155, 155, 1), **network)  # fmt: skip
    with pytest.raises(TooManyTermsError, match="50,235 chain-rule terms"):
        one_point.step_page(tmp_path / "b.html", collapse=None, forward=False,
                            sizes=(2, 156, 156, 1), **network)  # fmt: skip


@pytest.mark.parametrize("sizes", [(2, 1), (2, 3, 1), (2, 4, 3, 1), (2, 1, 5, 1), (2, 3, 2)])
def test_the_drawn_size_from_the_layer_sizes_is_the_layouts_own_count(sizes):
    """Exactly the boxes and ops the layout of the first output's graph has, for every
    activation, collapse setting, with and without biases (several outputs: one drawn)."""
    from autograd.views.layout import layout
    from nets import ValueMLP

    for activation, bias, collapse in itertools.product(
        ("sigmoid", "tanh", "relu", "leaky_relu", "none"), (True, False), (None, "neuron", "layer")
    ):
        net = ValueMLP(sizes, activation=activation, bias=bias, seed=0)
        outputs = net([0.3, -0.7])
        root = outputs[0] if isinstance(outputs, list) else outputs
        expected = layout(root, collapse).drawn()
        got = one_point.graph_drawn_size(sizes, activation, bias, collapse)
        assert got == expected, (sizes, activation, bias, collapse)


def test_an_oversized_graph_is_refused_before_building_with_renders_own_message(
    tmp_path, monkeypatch, capsys
):
    """The early refusal says what render's refusal said after building (2-20-20-1, every
    node, --max-nodes 100: 667 boxes; neuron gives 43, layer 4), and a 2-1000-1000-1 graph is
    refused without building it."""
    network = dict(data="xor", sample=None, sizes=(2, 20, 20, 1), activation="tanh",
                   bias=True, seed=0)  # fmt: skip
    options = dict(collapse=None, expand=[], after_backward=False, max_nodes=100)
    with pytest.raises(ValueError) as early:
        one_point.graph_file(tmp_path / "a.svg", **options, **network)
    monkeypatch.setattr(one_point, "_check_drawing", lambda *a: None)  # render's own check
    with pytest.raises(ValueError) as late:
        one_point.graph_file(tmp_path / "a.svg", **options, **network)
    assert str(early.value) == str(late.value)
    assert str(early.value) == (
        "the graph would draw 667 boxes and ops (--max-nodes=100): --collapse neuron gives 43; "
        "--collapse layer gives 4; or raise --max-nodes"
    )
    monkeypatch.undo()

    def build(*args, **kwargs):
        raise AssertionError("the network was built")

    monkeypatch.setattr(one_point, "network_on_one_point", build)
    out = tmp_path / "g.svg"
    start = time.process_time()
    code = main(["graph", "--sizes", "2-1000-1000-1", "--out", str(out)])
    assert time.process_time() - start < 1.0
    assert code == 2 and not out.exists()
    assert capsys.readouterr().err == (
        "gradstep: error: the graph would draw 2003 boxes and ops (--max-nodes=400): "
        "--collapse layer gives 4; or raise --max-nodes\n"
    )
