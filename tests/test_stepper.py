"""The stepper: what it records (Python), and the saved page clicked through in Chromium.

The page tests rely on the front end's contract: buttons named First/Previous/Next/Last step, a
range input labelled Step, ArrowLeft/ArrowRight, a role="status" element with the step's text,
and SVG elements with data-node-id / data-state and grad texts that show each node's grad after
the step. Expected values come from ``backward_steps`` run on the same graph."""

import math
import re

import numpy as np
import pytest
from browser import watched

import autograd.views.rendering
from autograd import (
    RendererMissingError,
    Tensor,
    Value,
    backward_steps,
    define_op,
    scope,
    stepper,
    topological_order,
)
from autograd.views.labels import preview
from nets import ValueMLP


# -- graphs of several shapes -------------------------------------------------------------------
def expression():
    x, w, b = Value(0.5, label="x"), Value(-1.5, label="w"), Value(0.25, label="b")
    with scope("neuron"):
        y = (x * w + b).sigmoid()
    y.label = "y"
    return y


def lab_net():
    net = ValueMLP((2, 4, 4, 1), seed=0)
    return net.loss([[0.1, 0.9]], [[1.0]], loss="bce")


def tensor_graph():
    W = Tensor([[0.5, -1.0, 0.3], [2.0, 0.25, -0.7]], label="W")
    x = Tensor([[1.0, 2.0], [-0.5, 0.4]], label="X")
    b = Tensor([0.1, -0.2, 0.05], label="b")
    loss = ((x @ W + b).tanh() ** 2).mean()
    loss.label = "L"
    return loss


softplus = define_op(
    "softplus_s", lambda x: math.log1p(math.exp(x)), lambda x, out: 1 / (1 + math.exp(-x))
)


def custom_op_graph():
    a, c = Value(0.3, label="a"), Value(-1.2, label="c")
    out = softplus(a * c) * a
    out.label = "out"
    return out


GRAPHS = {
    "value expression": (expression, None),
    "2-4-4-1 full": (lab_net, None),
    "2-4-4-1 by neuron": (lab_net, "neuron"),
    "tensor graph": (tensor_graph, None),
    "custom op": (custom_op_graph, None),
}


def expected_after_each_step(root):
    """Per step k (0..n): {node id: grad shown}, from backward_steps on the graph itself. A
    Tensor's grad before backward reaches it is None: the page shows zeros, as at step 0."""
    order = topological_order(root)

    def grad(n):
        if n.grad is None:
            return np.zeros_like(n.data)
        return n.grad

    for node in order:
        node.grad = np.zeros_like(node.data) if isinstance(node.data, np.ndarray) else 0.0
    shown = [{n.id: preview(grad(n)) for n in order}]
    texts, currents = [], []
    for step in backward_steps(root):
        shown.append({n.id: preview(grad(n)) for n in order})
        texts.append(str(step))
        currents.append(step.node.id)
    return shown, texts, currents


# -- Python side --------------------------------------------------------------------------------
def test_the_users_graph_is_left_as_it_was_found():
    """Grads before (even after an earlier backward) equal grads after; step 0 shows zeros."""
    root = lab_net()
    root.backward()
    before = {n.id: np.array(n.grad) for n in topological_order(root)}
    s = stepper(root)
    after = {n.id: np.array(n.grad) for n in topological_order(root)}
    assert before.keys() == after.keys()
    assert all(np.array_equal(before[k], after[k]) for k in before)
    shown = {line for track in s.trace.texts for line in [svg_line(s.svg, track)]}
    assert {line for line in shown if line.startswith("grad ")} == {"grad 0.0000"}


@pytest.mark.parametrize("name", GRAPHS)
def test_recorded_texts_are_the_backward_steps(name):
    make, collapse = GRAPHS[name]
    root = make()
    s = stepper(root, collapse=collapse)
    _, texts, currents = expected_after_each_step(root)  # the same graph, after the stepper
    assert len(s) == len(texts)
    assert [s.text(k) for k in range(1, len(s) + 1)] == texts
    assert s.text(0).startswith("step 0")
    assert [step.current for step in s.trace.steps[1:]] == currents


def test_forward_steps_come_first():
    root = expression()
    s = stepper(root, forward=True)
    assert len(s) == 3 + 3  # three ops forward, three back
    assert s.text(1) == "(x*w) = x * w = 0.5 * -1.5 = -0.75"
    assert s.text(3) == "y = sigmoid(((x*w)+b)) = sigmoid(-0.5) = 0.377541"
    assert s.text(4).startswith("dy/d")


def svg_line(svg: str, track) -> str:
    """The text a trace's line shows in the SVG as saved (parsed as XML)."""
    import xml.etree.ElementTree as ET

    ns = "{http://www.w3.org/2000/svg}"
    group = next(e for e in ET.fromstring(svg).iter() if e.get("id") == track.element)
    return list(group.iter(f"{ns}text"))[track.line].text


@pytest.mark.parametrize("name", GRAPHS)
def test_svg_elements_carry_the_ids_and_classes_the_trace_names(name):
    """Meaning is in the drawing, not guessed from its text: every node's box, op, collapsed
    scope and edge is found by the id the trace names, with a class saying what it is; each
    tracked line is the grad (or data) line of its box, showing its step-0 text."""
    import xml.etree.ElementTree as ET

    make, collapse = GRAPHS[name]
    s = stepper(make(), collapse=collapse)
    elements = {e.get("id"): e for e in ET.fromstring(s.svg).iter() if e.get("id")}
    order = topological_order(make())
    tracks = s.trace.nodes
    assert len(tracks) == len(order)  # every node is tracked
    for track in tracks:
        if track.box is not None:
            assert elements[track.box].get("class").split() == [
                "node",
                "gs-box",
                f"gs-{track.role}",
            ]
        if track.op is not None:
            assert elements[track.op].get("class").split() == ["node", "gs-op"]
    assert all(
        elements[t.element].get("class").split() == ["edge", "gs-edge"] for t in s.trace.edges
    )
    assert all("gs-scope" in elements[t.element].get("class") for t in s.trace.scopes)
    assert bool(s.trace.scopes) == (collapse is not None)
    nodes = {t.id: t for t in tracks}
    for track in s.trace.texts:
        node = nodes[track.node]
        expected = "".join(
            p if isinstance(p, str) else (node.grads if p["value"] == "grad" else node.datas)[0][1]
            for p in track.parts
        )
        assert svg_line(s.svg, track) == expected


def test_a_node_labelled_like_a_line_is_not_mistaken_for_one():
    """A node labelled "grad x" keeps its label: lines are found by position, not by text."""
    g, w = Value(1.5, label="grad x"), Value(-2.0, label="w")
    out = g * w
    out.label = "out"
    s = stepper(out)
    labels = [svg_line(s.svg, type(t)(t.element, 0, t.node, [])) for t in s.trace.texts]
    assert "grad x" in labels


def test_stepper_errors_name_the_problem(monkeypatch):
    with pytest.raises(TypeError, match="root node .* got float"):
        stepper(1.5)
    with pytest.raises(ValueError, match="root is a leaf"):
        stepper(Value(2.0))
    with pytest.raises(ValueError, match="collapse must be"):
        stepper(expression(), collapse="neurons")
    monkeypatch.setattr(autograd.views.rendering, "find_renderer", lambda: None)
    with pytest.raises(RendererMissingError, match=r"pip install -e '\.\[render\]'` in a clone"):
        stepper(expression())


def test_save_writes_one_self_contained_page(tmp_path):
    """One file; nothing it would fetch (no src/href to anywhere, no url(), no @import); under
    1 MB for the full 2-4-4-1 graph; bad paths are named errors that write nothing."""
    s = stepper(lab_net())
    path = s.save(tmp_path / "steps.html")
    page = path.read_text(encoding="utf-8")
    assert len(page.encode()) < 1_000_000
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page)
    assert "url(" not in page and "@import" not in page
    assert page.count("\\u003csvg") == 1  # the SVG, once, inside the escaped JSON
    with pytest.raises(ValueError, match="ending in .html"):
        s.save(tmp_path / "steps.svg")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        s.save(tmp_path / "missing" / "steps.html")
    (tmp_path / "dir.html").mkdir()
    with pytest.raises(IsADirectoryError, match="is a directory"):
        s.save(tmp_path / "dir.html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.html", "steps.html"]


# -- in Chromium ----------------------------------------------------------------------------------
def open_page(browser, tmp_path, root, collapse=None):
    s = stepper(root, collapse=collapse)
    path = s.save(tmp_path / "steps.html")
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    watch = watched(page)
    page.goto(path.as_uri())
    return s, page, watch, path


def squash(text: str) -> str:
    return " ".join(text.split())


def shown_grads(page) -> dict[int, str]:
    """{node id: grad text} for the nodes' own boxes, as the page shows them."""
    return page.eval_on_selector_all(
        "g[data-node-id] text[data-grad-of]",
        "els => Object.fromEntries(els.map(e => [e.dataset.gradOf,"
        " e.textContent.slice(e.dataset.prefix.length)]))",
    )


def state_of(page, node_id, collapsed) -> str:
    own = page.locator(f'g[data-node-id="{node_id}"]')
    if own.count():
        return own.get_attribute("data-state")
    holder = page.locator(f'g[data-scope][data-members~="{node_id}"]')
    return holder.get_attribute("data-state")


@pytest.mark.slow
@pytest.mark.parametrize("name", GRAPHS)
def test_clicking_through_every_step_matches_backward_steps(browser, tmp_path, name):
    """Next through every step, then Previous back: the status shows str(step), the current
    node (or its collapsed scope) is 'current', every shown grad is the node's grad after that
    step; no console error and no request but the file itself."""
    make, collapse = GRAPHS[name]
    root = make()
    s, page, watch, path = open_page(browser, tmp_path, root, collapse)
    shown, texts, currents = expected_after_each_step(root)  # the graph the page was made from
    status = page.get_by_role("status")
    assert squash(status.inner_text()).startswith("step 0")
    next_button = page.get_by_role("button", name="Next", exact=True)
    for k in range(1, len(s) + 1):
        next_button.click()
        assert squash(status.inner_text()) == squash(texts[k - 1])
        assert state_of(page, currents[k - 1], collapse) == "current"
        grads = shown_grads(page)
        expected = {str(i): g for i, g in shown[k].items()}
        assert grads == {i: expected[i] for i in grads}, f"step {k}"
    assert next_button.is_disabled()
    previous = page.get_by_role("button", name="Previous", exact=True)
    for k in range(len(s) - 1, 0, -1):
        previous.click()
        assert squash(status.inner_text()) == squash(texts[k - 1])
    assert watch.errors == []
    assert watch.requests == [path.as_uri()]
    page.close()


@pytest.mark.slow
def test_keys_slider_first_and_last(browser, tmp_path):
    root = lab_net()
    s, page, watch, _ = open_page(browser, tmp_path, root)
    status = page.get_by_role("status")
    page.get_by_role("button", name="Last", exact=True).click()
    assert squash(status.inner_text()) == squash(s.text(len(s)))
    page.keyboard.press("ArrowLeft")
    assert squash(status.inner_text()) == squash(s.text(len(s) - 1))
    page.get_by_role("button", name="First", exact=True).click()
    assert squash(status.inner_text()).startswith("step 0")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert squash(status.inner_text()) == squash(s.text(2))
    slider = page.get_by_role("slider", name="Step")
    slider.focus()
    page.keyboard.press("ArrowRight")  # the slider's own arrow: one step, not two
    assert slider.input_value() == "3"
    assert squash(status.inner_text()) == squash(s.text(3))
    slider.fill("10")
    assert squash(status.inner_text()) == squash(s.text(10))
    # a done node is green-state, a later one still pending
    done, later = s.trace.steps[2].current, s.trace.steps[12].current
    assert page.locator(f'g[data-op-of="{done}"]').get_attribute("data-state") == "done"
    assert page.locator(f'g[data-op-of="{later}"]').get_attribute("data-state") == "pending"
    assert watch.errors == []
    page.close()


@pytest.mark.slow
def test_zoom_fit_and_the_view_following_the_current_node(browser, tmp_path):
    """The full 2-4-4-1 graph opens at a readable scale around the first step; Fit shows it
    all inside the view; stepping to a node outside the view brings it into view; the wheel
    and the buttons zoom."""
    s, page, watch, _ = open_page(browser, tmp_path, lab_net())
    view = page.locator(".gs-view")
    graph = page.locator(".gs-view svg")

    def scale():
        return float(view.get_attribute("data-scale"))

    assert scale() == 1.0  # 1 px per point: too big to fit, so it opens readable
    frame = view.bounding_box()
    page.get_by_role("button", name="Fit graph").click()
    fitted = graph.bounding_box()
    assert scale() < 0.6
    assert (
        frame["x"] - 1 <= fitted["x"]
        and fitted["x"] + fitted["width"] <= frame["x"] + frame["width"] + 1
    )
    assert (
        frame["y"] - 1 <= fitted["y"]
        and fitted["y"] + fitted["height"] <= frame["y"] + frame["height"] + 1
    )
    fit_scale = scale()
    page.get_by_role("button", name="Zoom in").click()
    assert scale() == pytest.approx(fit_scale * 1.5, rel=1e-3)
    page.get_by_role("button", name="Zoom in").click()
    page.get_by_role("button", name="Last", exact=True).click()  # z1[0], far left of the loss
    last = s.trace.steps[len(s)].current
    box = page.locator(f'g[data-node-id="{last}"]').bounding_box()
    assert frame["x"] <= box["x"] + box["width"] / 2 <= frame["x"] + frame["width"]
    assert frame["y"] <= box["y"] + box["height"] / 2 <= frame["y"] + frame["height"]
    before = scale()
    page.mouse.move(frame["x"] + 200, frame["y"] + 200)
    page.mouse.wheel(0, -300)
    assert scale() > before
    assert watch.errors == []
    page.close()


@pytest.mark.slow
def test_a_stepper_rendered_before_layout_places_itself_when_shown(browser, tmp_path):
    """A notebook may render the widget where nothing is laid out yet (an output not yet in the
    page, a cell out of view): every size reads 0 there. The view waits for its first real size,
    then opens exactly as a visible page does (same scale and offset), not at scale 0."""
    s = stepper(lab_net())
    path = s.save(tmp_path / "steps.html")
    transforms = []
    for hidden in (False, True):
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        watch = watched(page)
        if hidden:
            page.add_init_script(
                "const hide = new CSSStyleSheet(); hide.replaceSync('html { display: none }');"
                "document.adoptedStyleSheets = [hide];"
            )
        page.goto(path.as_uri())
        svg = page.locator(".gs-view svg")
        if hidden:
            assert page.locator(".gs-view").get_attribute("data-scale") is None  # not placed
            page.evaluate("document.adoptedStyleSheets = []")
        page.wait_for_function("document.querySelector('.gs-view').dataset.scale !== undefined")
        transforms.append(svg.evaluate("e => e.style.transform"))
        first_step = s.trace.steps[1].current
        frame = page.locator(".gs-view").bounding_box()
        box = page.locator(f'g[data-node-id="{first_step}"]').bounding_box()
        assert box["width"] > 0
        assert frame["x"] <= box["x"] + box["width"] / 2 <= frame["x"] + frame["width"]
        assert watch.errors == []
        page.close()
    assert transforms[1] == transforms[0]
    assert "scale(1)" in transforms[0]


# -- gradstep step --------------------------------------------------------------------------------
def page_trace(path) -> dict:
    import json

    page = path.read_text(encoding="utf-8")
    data = page.split('id="gradstep-data">', 1)[1].split("</script>", 1)[0]
    return json.loads(data.replace("<\\/", "</"))["trace"]


def test_gradstep_step_writes_the_lab_nets_page(tmp_path, capsys, browser):
    """`gradstep step --data xor` writes the 2-4-4-1 net's page on the first point where every
    weight's gradient is non-zero (point 2: at point 0, (0, 0), the first layer's are all 0), the
    same texts as backward_steps on that loss (bce: 19 backward steps); `--forward` walks the
    forward pass first; the page steps in Chromium."""
    from experiments.cli import main
    from experiments.datasets import generate_xor_easy

    path = tmp_path / "steps.html"
    assert main(["step", "--data", "xor", "--out", str(path)]) == 0
    assert capsys.readouterr().out == f"steps: {path} (19 steps; open it in a browser)\n"
    trace = page_trace(path)
    X, y = generate_xor_easy()
    loss = ValueMLP((2, 4, 4, 1), seed=0).loss(X[2:3], y[2:3], loss="bce")
    assert [step["text"] for step in trace["steps"][1:]] == [str(s) for s in backward_steps(loss)]
    assert "bce loss of a 2-4-4-1 sigmoid net on xor point 2 (0.1, 0.1)" in trace["title"]
    forward = tmp_path / "forward.html"
    assert main(["step", "--forward", "--collapse", "neuron", "--out", str(forward)]) == 0
    assert page_trace(forward)["forward"] > 0
    page = browser.new_page()
    watch = watched(page)
    page.goto(path.as_uri())
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == trace["title"]  # once: the graph itself carries no title
    assert page.get_by_text(trace["title"], exact=True).count() == 1
    page.get_by_role("button", name="Next", exact=True).click()
    assert squash(page.get_by_role("status").inner_text()) == squash(trace["steps"][1]["text"])
    assert watch.errors == [] and watch.requests == [path.as_uri()]
    page.close()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--sample", "21"], "--sample 21 is out of range: xor has 21 points"),
        (["--out", "steps.svg"], "expected a file ending in .html"),
        (["--out", "missing/steps.html"], "directory missing does not exist"),
        (["--sizes", "3-4-1"], "--sizes must start with 2"),
    ],
)
def test_gradstep_step_errors_are_one_line_and_write_nothing(tmp_path, args, message, capsys):
    import os

    from experiments.cli import main

    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert main(["step", *args]) == 2
    finally:
        os.chdir(cwd)
    err = capsys.readouterr().err
    assert err.startswith("gradstep: error: ") and message in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


# -- at laptop sizes ------------------------------------------------------------------------------
def inside(box, viewport) -> bool:
    return (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= viewport["width"] + 0.5
        and box["y"] + box["height"] <= viewport["height"] + 0.5
    )


@pytest.mark.slow
@pytest.mark.parametrize("size", [(1024, 700), (1366, 850)])
@pytest.mark.parametrize("collapse", [None, "neuron"])
def test_graph_text_and_table_visible_together_at_laptop_sizes(browser, tmp_path, size, collapse):
    """The page `gradstep step` writes, at 1024x700 and 1366x850: at every step the graph, the
    step's text and its table are all inside the window, the stepper's height never changes,
    the toolbar is one row, and the graph opens covering its view (no blank half)."""
    s = stepper(lab_net(), collapse=collapse)
    path = s.save(tmp_path / "steps.html")
    viewport = {"width": size[0], "height": size[1]}
    page = browser.new_page(viewport=viewport)
    watch = watched(page)
    page.goto(path.as_uri())
    root = page.locator(".gs-stepper")
    view = page.locator(".gs-view")
    graph = page.locator(".gs-view svg").bounding_box()
    frame = view.bounding_box()
    if graph["width"] > frame["width"]:  # covers the view from side to side (inside its border)
        assert (
            graph["x"] <= frame["x"] + 1.5
            and graph["x"] + graph["width"] >= frame["x"] + frame["width"] - 1.5
        )
    tops = {
        round(b.bounding_box()["y"])
        for b in page.get_by_role("toolbar").get_by_role("button").all()
    }
    assert len(tops) == 1, f"the toolbar wraps: button tops {tops}"
    heights = set()
    next_button = page.get_by_role("button", name="Next", exact=True)
    for k in range(len(s) + 1):
        if k:
            next_button.click()
        heights.add(round(root.bounding_box()["height"]))
        assert inside(view.bounding_box(), viewport), f"graph at step {k}"
        assert inside(page.get_by_role("status").bounding_box(), viewport), f"text at step {k}"
        if k:
            table = page.locator(".gs-table table")
            assert inside(table.locator("caption").bounding_box(), viewport), f"table at step {k}"
            assert table.locator("tr").first.bounding_box()["y"] < viewport["height"]
    assert len(heights) == 1, f"the stepper's height jumps between steps: {heights}"
    assert watch.errors == []
    page.close()


@pytest.mark.slow
@pytest.mark.parametrize("collapse", ["neuron", None])
def test_a_resized_window_keeps_the_graph_in_view(browser, tmp_path, collapse):
    """From a wide window to a laptop's: a graph shown whole (by neuron) is fitted again, one
    shown at 1 px per point (every node) still covers the view, with no blank margin."""
    s = stepper(lab_net(), collapse=collapse)
    path = s.save(tmp_path / "steps.html")
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(path.as_uri())
    if collapse:
        page.get_by_role("button", name="Fit graph").click()
    page.set_viewport_size({"width": 1024, "height": 700})
    page.wait_for_timeout(200)  # the ResizeObserver runs after layout
    frame = page.locator(".gs-view").bounding_box()
    graph = page.locator(".gs-view svg").bounding_box()
    if collapse:  # whole, inside the view
        assert graph["x"] >= frame["x"] - 1 and graph["y"] >= frame["y"] - 1
        assert graph["x"] + graph["width"] <= frame["x"] + frame["width"] + 1
        assert graph["y"] + graph["height"] <= frame["y"] + frame["height"] + 1
    else:  # larger than the view: it covers it
        assert graph["x"] <= frame["x"] + 1 and graph["y"] <= frame["y"] + 1
        assert graph["x"] + graph["width"] >= frame["x"] + frame["width"] - 1
        assert graph["y"] + graph["height"] >= frame["y"] + frame["height"] - 1
    page.close()


def test_a_stepper_too_large_to_record_is_refused_before_recording(monkeypatch):
    """Sizes are checked before any step is recorded: a trace over max_terms (no collapse
    setting helps: every step is recorded) and a picture over max_nodes (naming the collapse
    that fits) are refused without recording a step; an unknown expand scope too."""
    import importlib

    stepper_module = importlib.import_module("autograd.views.stepper")
    from autograd.views import TooManyNodesError, TooManyTermsError, UnknownScopeError

    def no_recording(*args, **kwargs):
        raise AssertionError("a step was recorded before the size was checked")

    monkeypatch.setattr(stepper_module, "_record", no_recording)
    loss = ValueMLP((2, 30, 30, 1), seed=0).loss([[0.1, 0.9]], [[1.0]], loss="bce")
    terms, steps = stepper_module.recording_size(topological_order(loss))
    assert steps == sum(1 for n in topological_order(loss) if n.parents)
    with pytest.raises(TooManyTermsError, match=f"record {terms:,} chain-rule terms") as err:
        stepper(loss, collapse="layer", max_terms=terms - 1)
    assert "no collapse setting records fewer" in str(err.value)
    with pytest.raises(TooManyNodesError, match=r"collapse='neuron' gives \d+"):
        stepper(loss, max_nodes=500)
    with pytest.raises(UnknownScopeError, match="'layer7'"):
        stepper(loss, collapse="neuron", expand=["layer7"])


HOSTILE = {
    "comment": "<!-- <script>",
    "close": "</script><script>window.__pwned = 1</script>",
    "separators": "a\u2028b\u2029c & <b>d</b>",
}


def test_hostile_labels_and_titles_stay_data_on_the_page(browser, tmp_path):
    """Labels and a title that would end or reopen a script (`<!-- <script>`, `</script>...`,
    U+2028/U+2029, `&`): the embedded JSON escapes them (no `<`, `>`, `&`, U+2028/9 in it), the
    page steps, shows them as text, runs no script of theirs and makes no request."""
    from autograd.views.frontend import script_json

    a = Value(0.5, label=HOSTILE["comment"])
    b = Value(-1.5, label=HOSTILE["close"])
    c = Value(2.0, label=HOSTILE["separators"])
    out = (a * b + c).tanh()
    out.label = "out"
    title = "</script><script>window.__pwned = 2</script><!--"
    s = stepper(out, title=title)
    data = script_json({"k": list(HOSTILE.values())})
    assert not any(ch in data for ch in "<>&\u2028\u2029")
    page_html = s.save(tmp_path / "hostile.html").read_text(encoding="utf-8")
    block = page_html.split('id="gradstep-data">', 1)[1].split("</script>", 1)[0]
    assert not any(ch in block for ch in "<>&\u2028\u2029")
    page = browser.new_page()
    watch = watched(page)
    page.goto((tmp_path / "hostile.html").as_uri())
    assert page.get_by_role("heading", level=1).inner_text() == title
    page.get_by_role("button", name="Last", exact=True).click()
    status = page.get_by_role("status").inner_text()
    assert HOSTILE["close"] in status and HOSTILE["comment"] in status
    assert page.evaluate("window.__pwned") is None
    assert page.locator("svg[aria-label='computation graph'] [data-node-id]").count() == 6
    assert watch.errors == [] and watch.requests == [(tmp_path / "hostile.html").as_uri()]
    page.close()


def micrograd_neuron():
    """The micrograd lecture's neuron, o = tanh(x1*w1 + x2*w2 + b): 10 nodes, labelled."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1.label, x2w2.label = "x1*w1", "x2*w2"
    s = x1w1 + x2w2
    s.label = "x1*w1 + x2*w2"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


@pytest.mark.parametrize("size", [(1024, 700), (1600, 1000)])
def test_a_small_graph_opens_readable_with_a_legend_and_named_buttons(browser, tmp_path, size):
    """The lecture's neuron at 1024x700 and 1600x1000: every box's text at least 10 px high,
    the whole graph, the step's text and its table inside the window; a legend names the four
    states; the buttons are First, Previous, Next, Last; the chain rule brackets the
    multi-token label (do/d(x1*w1 + x2*w2))."""
    s = stepper(micrograd_neuron())
    assert len(topological_order(micrograd_neuron())) == 10
    path = s.save(tmp_path / "neuron.html")
    viewport = {"width": size[0], "height": size[1]}
    page = browser.new_page(viewport=viewport)
    watch = watched(page)
    page.goto(path.as_uri())
    page.wait_for_timeout(100)
    heights = page.eval_on_selector_all(
        "g[data-node-id] text", "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert len(heights) == 30 and min(heights) >= 10, f"box text {min(heights):.1f} px high"
    view = page.locator(".gs-view").bounding_box()
    for node in page.locator("g[data-node-id]").all():
        b = node.bounding_box()
        assert b["x"] >= view["x"] - 0.5 and b["x"] + b["width"] <= view["x"] + view["width"] + 0.5
        assert b["y"] >= view["y"] - 0.5 and b["y"] + b["height"] <= view["y"] + view["height"] + 1
    legend = page.get_by_role("list", name="Legend")
    assert legend.get_by_role("listitem").all_inner_texts() == [
        "current step",
        "done",
        "pending",
        "parameter, gradient final",
    ]
    bar = page.get_by_role("toolbar", name="Stepping")
    for name in ("First", "Previous", "Next", "Last"):
        assert bar.get_by_role("button", name=name, exact=True).count() == 1
    bar.get_by_role("button", name="Next", exact=True).click()
    bar.get_by_role("button", name="Next", exact=True).click()
    status = page.get_by_role("status").inner_text()
    assert status.startswith("do/d(x1*w1 + x2*w2) += do/dn * 1 = 0.5 * 1 = 0.5")
    assert inside(page.get_by_role("status").bounding_box(), viewport)
    assert inside(page.locator(".gs-table table").bounding_box(), viewport)
    assert inside(page.locator(".gs-view").bounding_box(), viewport)
    page.screenshot(path=str(tmp_path / f"neuron_{size[0]}.png"))
    assert watch.errors == [] and watch.requests == [path.as_uri()]
    page.close()


def test_any_label_steps_escaped_with_the_full_text_on_hover(browser, tmp_path):
    """Control characters, U+FFFE, a lone surrogate and a 20,000 character label: the stepper
    lays the graph out (no renderer failure), writes a page that is valid UTF-8, the boxes show
    the escaped or shortened text, the long label's box keeps its full text as its title, and
    the page steps in Chromium."""
    from autograd.views.display import printable

    long = "w" * 20_000
    a = Value(0.5, label="a\x00\x1b[2J")
    b = Value(-1.5, label="b\ufffe\udc80")
    c = Value(2.0, label=long)
    out = (a * b + c).tanh()
    out.label = "out"
    with scope("s\x00cope"):
        out2 = out * 2.0
    out2.label = "out2"
    s = stepper(out2, title="t\udc80itle")
    path = s.save(tmp_path / "odd.html")
    path.read_bytes().decode("utf-8")  # valid UTF-8
    assert len(stepper(out2, collapse=1)) == len(s)  # the NUL'd scope collapses too
    page = browser.new_page(viewport={"width": 1024, "height": 700})
    watch = watched(page)
    page.goto(path.as_uri())
    names = page.eval_on_selector_all(
        "g[data-node-id]", "els => els.map(e => e.querySelector('text').textContent)"
    )
    assert "a\\x00\\x1b[2J" in names and "b\\ufffe\\udc80" in names
    assert printable(long, 200) in names
    title = page.locator(f'g[data-node-id="{c.id}"] > title').text_content()
    assert title == printable(long, 4000)
    page.get_by_role("button", name="Last", exact=True).click()
    status = page.get_by_role("status").inner_text()
    assert squash(status) == squash(s.text(len(s)))
    assert status.startswith("dout2/d(a\\x00\\x1b[2J) += dout2/d(a\\x00\\x1b[2J*b\\ufffe\\udc80)")
    assert watch.errors == [] and watch.requests == [path.as_uri()]
    page.close()
