"""Drawing: DOT text for known graphs (labels, values, colours, clusters, edges), determinism,
collapsing, the max_nodes guard, stepping colours, and rendering with or without a renderer."""

import re
import warnings
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import autograd.drawing as draw_module
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
from autograd.drawing import COLOURS
from nets import ValueMLP


def neuron():
    x, w = Value(0.5, label="x"), Value(-1.5, label="w")
    with scope("neuron"):
        z = x * w + 0.25
        z.label = "z"
        y = z.sigmoid()
        y.label = "y"
    return x, w, z, y


def node_lines(source):
    return [line.strip() for line in source.splitlines() if re.match(r"\s*n\d+(op)? \[", line)]


def test_dot_of_a_known_graph():
    x, w, z, y = neuron()
    y.backward()
    src = draw(y).source
    assert 'n0 [label="{ x | data 0.5000 | grad -0.3525 }" fillcolor="#c6dbef"' in src
    assert '[label="{ y | data 0.3775 | grad 1.0000 }" fillcolor="#fdd0a2"' in src
    assert '[label="{ 0.25 | data 0.2500 | grad 0.2350 }" fillcolor="#eeeeee"' in src
    assert "subgraph cluster_neuron {" in src and "label=neuron" in src
    assert src.count("->") == 5 + 3  # 5 operand edges, 3 op -> result edges
    assert 'n0 -> n2op [label="-1.5 x 0.235004 = -0.352506"]' in src
    assert "rankdir=LR" in src
    assert len(node_lines(src)) == 6 + 3  # 6 values, 3 ops


def test_no_edge_labels_before_backward_and_roles_coloured():
    x, w, z, y = neuron()
    x.op = "input"
    src = draw(y).source
    assert 'label="-1.5' not in src
    assert f'fillcolor="{COLOURS["input"]}"' in src and f'fillcolor="{COLOURS["output"]}"' in src


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
    boxes = re.findall(r"scope_(layer\d_neuron\d) \[", by_neuron)
    assert sorted(boxes) == sorted(
        [f"layer{k}_neuron{j}" for k, n in ((1, 4), (2, 4), (3, 1)) for j in range(n)]
    )
    assert "2 nodes, 3 parameters" in by_neuron and "a3[0] = 0.4204, grad 1.0000" in by_neuron
    assert "W1[0,0]" not in by_neuron  # drawn inside its neuron
    # 2 inputs -> 4 neurons, 4 -> 4, 4 -> 1
    assert by_neuron.count("->") == 2 * 4 + 4 * 4 + 4
    by_layer = draw(out, collapse="layer").source
    assert len(re.findall(r"scope_layer\d \[", by_layer)) == 3
    expanded = draw(out, collapse="neuron", expand=["layer1/neuron0"]).source
    assert "scope_layer1_neuron0 [" not in expanded and "z1[0]" in expanded
    assert "subgraph cluster_layer1_neuron0" in expanded


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
    assert f'fillcolor="{COLOURS["done"]}"' in src  # y
    assert f'fillcolor="{COLOURS["current"]}"' in src  # z
    assert f'fillcolor="{COLOURS["pending"]}"' in src  # x*w
    assert 'color="#e31a1c"' in src and "penwidth=3" in src


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
