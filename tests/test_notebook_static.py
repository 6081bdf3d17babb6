"""Notebooks that read without a kernel: a notebook with steppers, drawings and a timeline,
executed by nbclient (which saves the widgets' state, as a course's build does) and converted by
`jupyter nbconvert --to html`, shows each of them offline in Chromium: every widget's
self-contained page is there as the static fallback (not a blank widget view), each found by its
labels, and a wide drawing fits its cell instead of running past its edge."""

import subprocess
import sys

import nbformat
import pytest
from browser import watched
from nbclient import NotebookClient

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CELLS = [
    """from autograd import Value, draw, stepper
from nets import ValueMLP
x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
b = Value(6.8813735870195432, label="b")
x1w1, x2w2 = x1 * w1, x2 * w2
x1w1.label, x2w2.label = "x1*w1", "x2*w2"
s = x1w1 + x2w2; s.label = "x1*w1 + x2*w2"
n = s + b; n.label = "n"
o = n.tanh(); o.label = "o"
""",
    "stepper(o)",
    """loss = ValueMLP((2, 4, 4, 1), seed=0).loss([[0.1, 0.9]], [[1.0]], loss="bce")
stepper(loss, collapse="neuron", title="the lab net by neuron")""",
    """loss.backward()
draw(loss, max_nodes=1000)  # every node: far wider than a cell""",
    """from experiments.datasets import load_dataset
from experiments.timeline.record import watch
X, Y = load_dataset("xor", seed=0)
net = ValueMLP((2, 4, 4, 1), seed=0)
watch(net, X, Y, every=50, lr=0.5, epochs=100, loss="bce", quiet=True)""",
]


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """The notebook executed with its widgets' state saved, then converted to HTML."""
    tmp = tmp_path_factory.mktemp("static")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code) for code in CELLS]
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp)}}
    )
    client.execute()
    assert "widgets" in nb.metadata  # the state a viewer would use to pick the widget view
    path = tmp / "static.ipynb"
    nbformat.write(nb, path)
    subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", str(path)],
        check=True,
        capture_output=True,
    )
    return nb, tmp / "static.html"


def test_every_widget_output_carries_its_page_and_the_widget_view_beside_it(converted):
    """Each stepper and the timeline give two outputs: the page in a sandboxed frame (text/html)
    and the widget view with an empty text/html; the drawing is an SVG that scales to the cell,
    and HTML that scrolls sideways in it."""
    nb, _ = converted
    outputs = [cell.outputs for cell in nb.cells]
    for k in (1, 2, 4):
        fallback, live = outputs[k][-2:]
        assert 'class="gradstep-fallback"' in fallback["data"]["text/html"]
        assert 'sandbox="allow-scripts"' in fallback["data"]["text/html"]
        assert set(fallback["data"]) == {"text/html"}
        assert "application/vnd.jupyter.widget-view+json" in live["data"]
        assert live["data"]["text/html"] == ""
    drawing = outputs[3][0]["data"]
    assert '<svg style="max-width: 100%; height: auto"' in drawing["image/svg+xml"]
    assert drawing["text/html"].startswith('<div class="gradstep-drawing"')


def test_the_converted_notebook_shows_every_graph_offline(browser, converted):
    """Offline (every request off the file system refused): each stepper's frame steps and shows
    its graph by its labels, the timeline's frame shows its run, and the wide drawing ends
    inside its cell; nothing from gradstep asks the network."""
    _, html_path = converted
    page = browser.new_page(viewport={"width": 1024, "height": 700})
    watch = watched(page)
    page.route(
        "**/*",
        lambda route: (
            route.abort()
            if not route.request.url.startswith(("file:", "about:", "data:"))
            else route.continue_()
        ),
    )  # noqa: E501
    page.goto(html_path.as_uri())
    frames = page.locator("iframe")
    assert frames.count() == 3
    # each frame loads once it nears the view (loading="lazy"), as a reader scrolls to it
    frames.nth(0).scroll_into_view_if_needed()
    neuron = page.frame_locator("iframe").nth(0)
    for label in ("x1", "w1", "x1*w1 + x2*w2", "n", "o"):
        assert neuron.locator("svg g[data-node-id] text", has_text=label).count() >= 1, label
    neuron.get_by_role("button", name="Next", exact=True).click()
    neuron.get_by_role("button", name="Next", exact=True).click()
    assert neuron.get_by_role("status").inner_text().startswith("do/d(x1*w1 + x2*w2) +=")
    frames.nth(1).scroll_into_view_if_needed()
    lab = page.frame_locator("iframe").nth(1)
    assert lab.get_by_role("heading", level=1).inner_text() == "the lab net by neuron"
    assert lab.locator("g[data-scope='layer2/neuron3']").count() == 1
    frames.nth(2).scroll_into_view_if_needed()
    timeline = page.frame_locator("iframe").nth(2)
    assert timeline.get_by_text("lr=0.5").first.is_visible()
    holder = page.locator(".gradstep-drawing", has_text="W1[0,0]")
    cell = holder.locator("xpath=ancestor::div[contains(@class, 'jp-Cell')][1]")
    box, edge = holder.bounding_box(), cell.bounding_box()
    assert box["x"] + box["width"] <= edge["x"] + edge["width"] + 1, (
        "the drawing runs past its cell"
    )
    # wider than the cell even at 60%: it scrolls sideways, and the far right is reachable
    assert holder.evaluate("e => e.scrollWidth > e.clientWidth")
    holder.evaluate("e => { e.scrollLeft = e.scrollWidth; }")
    loss_box = holder.locator("svg text", has_text="bce").first.bounding_box()
    assert (
        edge["x"] <= loss_box["x"]
        and loss_box["x"] + loss_box["width"] <= edge["x"] + edge["width"]
    )
    page.screenshot(path=str(html_path.with_suffix(".png")), full_page=True)
    ours = [url for url in watch.requests if not url.startswith(("https://cdn", "https://unpkg"))]
    assert all(url.startswith(("file:", "about:", "data:")) for url in ours), ours
    page.close()
