"""Drawing: DOT text for known graphs (labels, values, colours, clusters, edges), determinism,
collapsing, the max_nodes guard, stepping colours, and rendering with or without a renderer."""

import math
import re
import warnings
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import autograd.views.rendering as draw_module
from autograd import (
    Tensor,
    TooManyNodesError,
    Value,
    backward_steps,
    draw,
    find_renderer,
    render,
    scope,
)
from autograd.views.drawing import COLOURS
from nets import ValueMLP


def neuron():
    x, w = Value(0.5, label="x"), Value(-1.5, label="w")
    with scope("neuron"):
        z = x * w + 0.25
        z.label = "z"
        y = z.sigmoid()
        y.label = "y"
    return x, w, z, y


def box(source, name):
    """The lines and fill colour of a drawn node's box (an HTML-like table)."""
    line = next(line for line in source.splitlines() if line.strip().startswith(f"{name} ["))
    return re.findall(r"<td>(.*?)</td>", line), re.search(r'bgcolor="(#\w+)"', line).group(1)


def visible_edges(source):
    return [line for line in source.splitlines() if "->" in line and "style=invis" not in line]


def node_lines(source):
    return [line.strip() for line in source.splitlines() if re.match(r"\s*n\d+(op)? \[", line)]


def test_dot_of_a_known_graph():
    x, w, z, y = neuron()
    y.backward()
    src = draw(y).source
    assert box(src, "n0") == (["x", "data 0.5000", "grad -0.3525"], "#c6dbef")
    assert box(src, "n5") == (["y", "data 0.3775", "grad 1.0000"], "#fdd0a2")
    assert box(src, "n3") == (["0.25", "data 0.2500", "grad 0.2350"], "#eeeeee")
    assert "subgraph cluster_neuron {" in src and "label=neuron" in src
    assert len(visible_edges(src)) == 5 + 3  # 5 operand edges, 3 op -> result edges
    # x, w and the constant share a rank with the op that alone uses them (a column in LR),
    # kept in argument order by an invisible chain (of the leaves alone: see test_loss_graph...)
    assert "{rank=same; n0; n1; n2op; n1 -> n0 [style=invis]}" in src
    assert "{rank=same; n3; n4op}" in src
    assert 'n0 -> n2op [label="-1.5 x 0.235004 = -0.352506" decorate=true]' in src
    assert "rankdir=LR" in src
    assert len(node_lines(src)) == 6 + 3  # 6 values, 3 ops


def test_no_edge_labels_before_backward_and_roles_coloured():
    x, w, z, y = neuron()
    x.op = "input"
    src = draw(y).source
    assert 'label="-1.5' not in src
    assert f'bgcolor="{COLOURS["input"]}"' in src and f'bgcolor="{COLOURS["output"]}"' in src


def test_same_program_same_dot():
    def build():
        net = ValueMLP((2, 3, 1), seed=4)
        out = net([0.2, 0.7])
        out.backward()
        return draw(out, collapse="neuron").source

    assert build() == build()


def test_collapse_by_neuron_and_layer():
    net = ValueMLP((2, 4, 4, 1), seed=0)
    out = net([0.1, 0.9])
    out.backward()
    by_neuron = draw(out, collapse="neuron").source
    boxes = re.findall(r"^\s*scope_(layer\d__neuron\d) \[", by_neuron, re.M)
    assert sorted(boxes) == sorted(
        [f"layer{k}__neuron{j}" for k, n in ((1, 4), (2, 4), (3, 1)) for j in range(n)]
    )
    assert "2 ops, 3 parameters" in by_neuron and "a3[0] = 0.4204, grad 1.0000" in by_neuron
    assert "W1[0,0]" not in by_neuron  # drawn inside its neuron
    # 2 inputs -> 4 neurons, 4 -> 4, 4 -> 1
    assert len(visible_edges(by_neuron)) == 2 * 4 + 4 * 4 + 4
    by_layer = draw(out, collapse="layer").source
    assert len(re.findall(r"^\s*scope_layer\d \[", by_layer, re.M)) == 3
    expanded = draw(out, collapse="neuron", expand=["layer1/neuron0"]).source
    assert "scope_layer1__neuron0 [" not in expanded and "z1[0]" in expanded
    assert "subgraph cluster_layer1__neuron0" in expanded


def test_max_nodes_guard_says_what_to_collapse():
    net = ValueMLP((2, 4, 4, 1), seed=0)
    out = net([0.1, 0.9])
    with pytest.raises(TooManyNodesError, match=r"collapse='neuron' gives \d+"):
        draw(out, max_nodes=50)
    assert draw(out, max_nodes=50, collapse="neuron")


def test_only_from_keeps_paths_to_the_root():
    net = ValueMLP((2, 2, 1), seed=0)
    out = net([0.1, 0.9])
    w = net.W[0][0][1]  # W1[0,1] feeds neuron 1 of layer 1 only
    src = draw(out, only_from=[w], cluster=False).source
    assert "W1[0,1]" in src and "W1[0,0]" not in src and "z1[0]" not in src
    assert "a2[0]" in src
    with pytest.raises(ValueError, match="none of only_from"):
        draw(out, only_from=[Value(1.0)])


def test_highlight_and_step_colours():
    x, w, z, y = neuron()
    steps = list(backward_steps(y))
    src = draw(y, step=steps[1], highlight=[w]).source
    assert f'bgcolor="{COLOURS["done"]}"' in src  # y
    assert f'fillcolor="{COLOURS["current"]}"' in src  # z's op
    assert f'bgcolor="{COLOURS["current"]}"' in src  # z
    assert f'bgcolor="{COLOURS["pending"]}"' in src  # x*w
    assert 'color="#e31a1c"' in src and 'border="3"' in src


def test_tensor_nodes_show_shape_and_preview():
    W = Tensor(np.arange(6.0).reshape(2, 3), label="W")
    out = (W * 2).sum()
    out.backward()
    src = draw(out).source
    assert "shape (2, 3)" in src and "data [0 1 2 ...]" in src and "grad [2 2 2 ...]" in src


def test_bad_options():
    _, _, _, y = neuron()
    with pytest.raises(ValueError, match="collapse must be"):
        draw(y, collapse="everything")


def test_render_svg_parses_as_xml(tmp_path):
    if find_renderer() is None:
        pytest.skip("no Graphviz renderer installed (the dev extra brings graphviz-pure)")
    _, _, _, y = neuron()
    path = render(y, tmp_path / "g.svg")
    assert path.suffix == ".svg"
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    texts = "".join(root.itertext())
    assert "sigmoid" in texts and "0.3775" in texts
    png = render(y, tmp_path / "g.png", format="png")
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_render_without_renderer_writes_source_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(draw_module, "find_renderer", lambda: None)
    _, _, _, y = neuron()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = render(y, tmp_path / "g.svg")
    assert path == tmp_path / "g.gv" and path.read_text().startswith("digraph gradstep {")
    assert any("apt-get install graphviz" in str(w.message) for w in caught)
    assert [p.name for p in tmp_path.iterdir()] == ["g.gv"]


def test_renderer_lookup_prefers_dot_then_graphviz_pure(monkeypatch, tmp_path):
    monkeypatch.setattr(
        draw_module.shutil, "which", lambda name: "/usr/bin/dot" if name == "dot" else None
    )
    assert find_renderer() == "/usr/bin/dot"
    fake = tmp_path / "graphviz-pure"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setattr(draw_module.shutil, "which", lambda name: None)
    monkeypatch.setattr(draw_module.sys, "executable", str(tmp_path / "python"))
    assert find_renderer() == str(fake)


def test_render_errors(tmp_path):
    _, _, _, y = neuron()
    with pytest.raises(ValueError, match="format must be svg, png or pdf"):
        render(y, tmp_path / "g.jpg", format="jpg")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        render(y, tmp_path / "missing" / "g.svg")


# -- readable layout: checked on the renderer's own coordinates (``-Tplain``) --------------------
def plain_positions(graph) -> dict[str, tuple[float, float]]:
    """Node name -> (x, y) as the renderer lays it out (y grows upwards)."""
    if find_renderer() is None:
        pytest.skip("no Graphviz renderer installed (the dev extra brings graphviz-pure)")
    out = {}
    for line in graph.pipe(format="plain", encoding="utf-8").splitlines():
        parts = line.split()
        if parts and parts[0] == "node":
            out[parts[1]] = (float(parts[2]), float(parts[3]))
    return out


def test_collapsed_network_reads_left_to_right_neurons_in_order_from_the_top():
    net = ValueMLP((2, 4, 4, 1), seed=0)
    out = net([0.1, 0.9])
    out.backward()
    pos = plain_positions(draw(out, collapse="neuron"))
    for k, n in ((1, 4), (2, 4)):
        ys = [pos[f"scope_layer{k}__neuron{j}"][1] for j in range(n)]
        assert ys == sorted(ys, reverse=True), f"layer {k} neurons top to bottom: {ys}"
    xs = [pos[f"scope_layer{k}__neuron0"][0] for k in (1, 2, 3)]
    assert xs == sorted(xs)  # layers left to right
    inputs = [name for name in pos if name.startswith("n")]
    assert pos[inputs[0]][1] > pos[inputs[1]][1]  # x[0] above x[1]


def test_full_network_keeps_each_neurons_parameters_inside_its_cluster():
    """Every weight and bias is declared inside its neuron's cluster, the layers do not overlap
    horizontally, and the neurons of a layer run top to bottom in index order."""
    net = ValueMLP((2, 4, 4, 1), seed=0)
    out = net([0.1, 0.9])
    out.backward()
    graph = draw(out)
    src = graph.source
    for k, n_in, n in ((1, 2, 4), (2, 4, 4), (3, 4, 1)):
        for j in range(n):
            body = src.split(f"subgraph cluster_layer{k}__neuron{j} {{", 1)[1].split("}", 1)[0]
            labels = re.findall(r"<td>([Wb]\d\[[\d,]+\])</td>", body)
            expected = [f"W{k}[{i},{j}]" for i in range(n_in)] + [f"b{k}[{j}]"]
            assert sorted(labels) == sorted(expected)
    pos = plain_positions(graph)
    names = {
        re.search(r"<td>(.*?)</td>", line).group(1): line.split()[0]
        for line in src.splitlines()
        if "<td>" in line and line.strip().startswith("n")
    }
    for k in (1, 2):
        ys = [pos[names[f"z{k}[{j}]"]][1] for j in range(4)]
        assert ys == sorted(ys, reverse=True), f"layer {k}: z top to bottom {ys}"
    assert pos[names["a1[3]"]][0] < min(pos[names[f"W2[0,{j}]"]][0] for j in range(4))
    assert pos[names["a2[3]"]][0] < pos[names["W3[0,0]"]][0]


def test_edge_labels_only_where_they_cannot_crowd():
    """A small graph after backward labels its edges; the 2-4-4-1 graph (61 edges) gives
    them as tooltips instead; with a step, only the current step's edges are labelled."""
    x, w, z, y = neuron()
    y.backward()
    assert 'label="-1.5 x 0.235004 = -0.352506"' in draw(y).source
    net = ValueMLP((2, 4, 4, 1), seed=0)
    out = net([0.1, 0.9])
    out.backward()
    src = draw(out).source
    assert re.search(r"-> n\d+op \[tooltip=", src) and not re.search(r"-> n\d+op \[label=", src)
    step = next(s for s in backward_steps(out) if s.node.label == "z3[0]")
    stepped = draw(out, step=step).source
    assert len(re.findall(r"-> n\d+op \[label=", stepped)) == 9  # 4 weights, 4 inputs, bias


# -- index order from the top, with the loss in the graph, on every renderer ----------------------
def renderers() -> list[str]:
    """Every renderer this machine has: the system's ``dot`` and the graphviz-pure wheel's."""
    import shutil
    import sys
    from pathlib import Path

    found = [shutil.which("dot")]
    pure = Path(sys.executable).parent / "graphviz-pure"
    found.append(str(pure) if pure.exists() else shutil.which("graphviz-pure"))
    return [r for r in found if r]


def laid_out(graph, renderer: str) -> dict[str, tuple[float, float]]:
    """``plain_positions`` with a chosen renderer binary."""
    from graphviz.backend import dot_command

    saved = dot_command.DOT_BINARY
    dot_command.DOT_BINARY = renderer
    try:
        return plain_positions(graph)
    finally:
        dot_command.DOT_BINARY = saved


def box_names(source: str) -> dict[str, str]:
    """A drawn node's first line (its label) -> its Graphviz node name."""
    return {
        re.search(r"<td>(.*?)</td>", line).group(1): line.split()[0]
        for line in source.splitlines()
        if "<td>" in line and re.match(r"\s*n\d+ \[", line)
    }


def top_to_bottom(pos, names: list[str]) -> bool:
    ys = [pos[n][1] for n in names]
    return ys == sorted(ys, reverse=True) and len(set(ys)) == len(ys)


def xor_loss(bias: bool):
    from experiments.datasets import load_dataset

    X, y = load_dataset("xor", seed=0)
    net = ValueMLP((2, 4, 4, 1), seed=0, bias=bias)
    loss = net.loss(X[2:3], y[2:3], loss="bce")
    loss.backward()
    return loss


@pytest.mark.parametrize("renderer", renderers() or ["none"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize(
    "collapse, expand",
    [(None, ()), ("neuron", ()), ("neuron", ("layer1/neuron0",)), ("neuron", ("layer2/neuron0",)),
     ("layer", ())],
)  # fmt: skip
def test_loss_graph_reads_in_index_order_from_the_top(renderer, bias, collapse, expand):
    """With the loss in the graph (what ``gradstep step`` draws), every layer's neurons, the
    inputs and each neuron's parameters (W[0,j], W[1,j], ..., b[j]) read in index order from
    the top, the layers left to right, whatever is collapsed or expanded, with and without
    bias, on the renderer's own coordinates."""
    if renderer == "none":
        pytest.skip("no Graphviz renderer installed (the dev extra brings graphviz-pure)")
    graph = draw(xor_loss(bias), collapse=collapse, expand=expand)
    pos, names = laid_out(graph, renderer), box_names(graph.source)
    if collapse != "layer":
        assert top_to_bottom(pos, [names["x[0]"], names["x[1]"]]), "x[0] above x[1]"
    if collapse == "layer":
        xs = [pos[f"scope_{scope}"][0] for scope in ("layer1", "layer2", "layer3", "loss")]
        assert xs == sorted(xs), f"layers left to right: {xs}"
        return
    for k, n_in in ((1, 2), (2, 4)):
        # a neuron is placed by its box (collapsed) or its weighted sum z (drawn in full)
        where = []
        for j in range(4):
            scope = f"layer{k}/neuron{j}"
            if collapse is None or scope in expand:
                where.append(names[f"z{k}[{j}]"])
            else:
                where.append(f"scope_layer{k}__neuron{j}")
        assert top_to_bottom(pos, where), f"layer {k}: {[pos[w][1] for w in where]}"
        for j in range(4):
            if collapse is None or f"layer{k}/neuron{j}" in expand:
                params = [f"W{k}[{i},{j}]" for i in range(n_in)] + [f"b{k}[{j}]"] * bias
                assert top_to_bottom(pos, [names[p] for p in params]), f"{params} from the top"
    if expand:
        # an expanded neuron's box stays within its layer's column of neighbours
        assert max(p[0] for p in pos.values()) < 40, "the picture is not stretched sideways"


# -- drawings say what they show -------------------------------------------------------------------
def test_a_collapsed_box_lists_every_output_or_says_how_many_it_hides():
    """A layer of 4 neurons lists a1[0] to a1[3] (not 3 of them); past 8 outputs, the first 7
    and a line naming how many more and which; the counts say ops, parameters, inputs."""
    net = ValueMLP((2, 4, 4, 1), seed=0)
    out = net([0.1, 0.9])
    out.backward()
    src = draw(out, collapse="layer").source
    lines, _ = box(src, "scope_layer1")
    assert lines[:2] == ["layer1", "8 ops, 12 parameters"]  # per neuron: dot, sigmoid; W, W, b
    assert [line.split(" = ")[0] for line in lines[2:]] == ["a1[0]", "a1[1]", "a1[2]", "a1[3]"]
    assert box(src, "scope_input")[0] == [
        "input",
        "2 inputs",  # not "0 nodes, 2 parameters"
        "x[0] = 0.1000, grad -0.0026",
        "x[1] = 0.9000, grad -0.0046",
    ]
    wide = ValueMLP((2, 12, 1), seed=0)
    out = wide([0.1, 0.9])
    out.backward()
    lines, _ = box(draw(out, collapse="layer").source, "scope_layer1")
    assert [line.split(" = ")[0] for line in lines[2:9]] == [f"a1[{j}]" for j in range(7)]
    assert lines[9:] == ["and 5 more outputs (a1[7] to a1[11])"]


def test_a_graph_drawn_before_backward_shows_no_gradient():
    """Before backward every box says 'grad not computed' (a zero would read as computed), in
    full and collapsed drawings, for Values and Tensors; after it, the numbers."""
    x, w, z, y = neuron()
    src = draw(y).source
    assert "grad 0.0000" not in src
    assert box(src, "n0")[0] == ["x", "data 0.5000", "grad not computed"]
    net = ValueMLP((2, 2, 1), seed=0)
    out = net([0.1, 0.9])
    collapsed = draw(out, collapse="neuron").source
    assert "grad 0.0000" not in collapsed and ", grad not computed" in collapsed
    W = Tensor(np.arange(6.0).reshape(2, 3), label="W")
    t = (W * 2).sum()
    assert "grad not computed" in draw(t).source and "grad None" not in draw(t).source
    y.backward()
    assert box(draw(y).source, "n0")[0] == ["x", "data 0.5000", "grad -0.3525"]


def test_expand_names_scopes_that_exist_and_draws_them_in_full():
    """An unknown scope is an UnknownScopeError (a ValueError) listing the graph's scopes; a
    layer named at collapse='neuron' draws all its neurons in full; a neuron named at
    collapse='layer' opens its layer and keeps the other neurons collapsed."""
    from autograd.views import UnknownScopeError

    net = ValueMLP((2, 3, 1), seed=0)
    out = net([0.1, 0.9])
    out.backward()
    with pytest.raises(UnknownScopeError) as err:
        draw(out, collapse="neuron", expand=["layer9/neuron0"])
    assert str(err.value) == (
        "expand names a scope this graph does not have: 'layer9/neuron0'; its scopes are "
        "input, layer1, layer1/neuron0, layer1/neuron1, layer1/neuron2, layer2, layer2/neuron0"
    )
    assert isinstance(err.value, ValueError)
    layer = draw(out, collapse="neuron", expand=["layer1"]).source
    assert "scope_layer1__neuron" not in layer and "scope_layer2__neuron0 [" in layer
    assert all(f"z1[{j}]" in layer for j in range(3))
    one = draw(out, collapse="layer", expand="layer1/neuron1").source
    assert "scope_layer1 [" not in one and "z1[1]" in one and "z1[0]" not in one
    assert "scope_layer1__neuron0 [" in one and "scope_layer1__neuron2 [" in one


def test_gradstep_graph_names_an_unknown_expand_scope(tmp_path, capsys):
    """`gradstep graph --expand layer9/neuron0`: exit 2, one line listing the scopes, nothing
    written."""
    from experiments.cli import main

    path = tmp_path / "g.svg"
    code = main(["graph", "--collapse", "neuron", "--expand", "layer9/neuron0", "--out", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "'layer9/neuron0'" in err and "its scopes are input, layer1, layer1/neuron0" in err
    assert list(tmp_path.iterdir()) == []


def micrograd_neuron():
    """The micrograd lecture's neuron, o = tanh(x1*w1 + x2*w2 + b), labelled as there."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    s = x1w1 + x2w2
    s.label = "x1*w1 + x2*w2"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def rendered_with(graph, renderer: str) -> str:
    from graphviz.backend import dot_command

    saved = dot_command.DOT_BINARY
    dot_command.DOT_BINARY = renderer
    try:
        return graph.pipe(format="svg", encoding="utf-8")
    finally:
        dot_command.DOT_BINARY = saved


def bezier_points(d: str, n: int = 40) -> list[tuple[float, float]]:
    """Points along an SVG path of cubic Bezier segments (``M p0 C p1 p2 p3 ...``)."""
    pts = [tuple(map(float, p.split(","))) for p in re.findall(r"-?[\d.]+,-?[\d.]+", d)]
    out, p0 = [], pts[0]
    for i in range(1, len(pts) - 2, 3):
        p1, p2, p3 = pts[i : i + 3]
        for k in range(n + 1):
            t = k / n
            c = ((1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t * t, t**3)
            out.append(tuple(sum(w * p[j] for w, p in zip(c, (p0, p1, p2, p3))) for j in (0, 1)))
        p0 = p3
    return out


@pytest.mark.parametrize("renderer", renderers() or ["none"])
def test_each_edge_label_is_tied_to_its_own_edge(renderer):
    """Every chain-rule label is drawn with a line from it to its own edge (Graphviz's
    decorate): where two edges enter one op, each label's line ends on that label's edge."""
    if renderer == "none":
        pytest.skip("no Graphviz renderer installed (the dev extra brings graphviz-pure)")
    o = micrograd_neuron()
    o.backward()
    svg = ET.fromstring(rendered_with(draw(o), renderer))
    ns = "{http://www.w3.org/2000/svg}"
    labelled = 0
    for g in svg.iter(f"{ns}g"):
        texts = list(g.iter(f"{ns}text"))
        if g.get("class") != "edge" or not texts:
            continue
        labelled += 1
        curve = bezier_points(g.find(f"{ns}path").get("d"))
        line = g.find(f"{ns}polyline")
        assert line is not None, f"label {texts[0].text!r} has no line to its edge"
        end = tuple(map(float, line.get("points").split()[-1].split(",")))
        gap = min(math.dist(end, p) for p in curve)
        assert gap < 2.0, f"{texts[0].text!r}: its line ends {gap:.1f} pt from its own edge"
    assert labelled == 9  # x1, w1, x2, w2, x1*w1, x2*w2, the sum, b, n


# -- any label can be drawn ------------------------------------------------------------------------
ODD_LABELS = {
    "controls": "a\x00b\x01c\x07d\x1b[2Je\rf\x7f",
    "non-characters": "x\ufffey\uffff",
    "lone surrogate": "bad\udc80name",
    "very long": "w" * 20_000,
}


@pytest.mark.parametrize("renderer", renderers() or ["none"])
@pytest.mark.parametrize("kind", ODD_LABELS)
def test_any_label_is_drawn_escaped_or_shortened(renderer, kind, tmp_path):
    """Control characters (but tab and newline), U+FFFE/U+FFFF, lone surrogates and a 20,000
    character label, in a label, a scope and a title: every renderer draws them (escaped as
    \\x00, \\ufffe, \\udc80, or shortened to 200 characters and a count), the full text kept in
    the box's tooltip, full and collapsed."""
    if renderer == "none":
        pytest.skip("no Graphviz renderer installed (the dev extra brings graphviz-pure)")
    from autograd.views.display import printable

    label = ODD_LABELS[kind]
    with scope(f"layer{label[:40]}"):
        x = Value(2.0, label=label)
        y = (x * Value(3.0, label="w")).tanh()
    y.label = "y"
    y.backward()
    shown = printable(label, 200)
    for collapse in (None, 1):
        graph = draw(y, title=label, collapse=collapse)
        svg = ET.fromstring(rendered_with(graph, renderer))  # parses: valid XML, valid text
        texts = [t.text or "" for t in svg.iter("{http://www.w3.org/2000/svg}text")]
        if collapse is None:
            assert shown in texts
            if len(label) > 200:  # shortened: the box's tooltip keeps (4,000 characters of) it
                titles = [a.get("{http://www.w3.org/1999/xlink}title") or "" for a in
                          svg.iter("{http://www.w3.org/2000/svg}a")]  # fmt: skip
                assert printable(label, 4000) in titles
        else:
            assert any(t.startswith(printable(f"layer{label[:40]}")) for t in texts)
    if kind == "controls":
        assert shown == "a\\x00b\\x01c\\x07d\\x1b[2Je\\x0df\\x7f"
    if kind == "lone surrogate":
        assert shown == "bad\\udc80name"
    assert len(shown) < 250
