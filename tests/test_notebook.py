"""The walkthrough notebook runs top to bottom, and is committed without outputs."""

import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = pathlib.Path(__file__).resolve().parents[1] / "experiments" / "walkthrough.ipynb"


def test_notebook_is_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


@pytest.mark.slow
def test_notebook_executes(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError naming the failing cell
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "dy/dx += dy/d(x*w) * w" in text  # stepping printed the chain rule
    assert "gradcheck passed: 37 derivatives" in text
    assert "lr=0.05: training loss " in text and "accuracy 100.00%" in text  # the watched run
    # the chain rule by hand, the lab's deltas and a hand-written backward, each checked
    assert "back-propagation gave the hand-computed chain rule, to the last digit" in text
    assert "gradients right for all 6 parameters (37 entries" in text
    delta = next(line for line in text.splitlines() if line.startswith("delta3 = "))
    ours, graph = delta.split("graph dL/dz3:")
    assert float(ours.split("[")[1].rstrip("] ")) == pytest.approx(
        float(graph), abs=1e-8
    )  # printed to 8 digits
    assert "final accuracy 100.00%" in text
    # derivatives of derivatives: the formulas agree, and the curvature and Newton steps print
    lines = dict(line.split(" = ", 1) for line in text.splitlines() if line.startswith("f'"))
    for value in lines.values():
        ours, formula = value.split("  (formula ")
        assert ours == formula.rstrip(")")
    assert "largest stable learning rate 2 / lam_max = " in text
    assert "lr 2: lr * lam_max / 2 =" in text and "(overshoots the sharpest direction)" in text
    assert "step   newton    gradient descent" in text
    assert "W2: wrong in 16 of 16 entries: its step was computed after W3 was updated" in text
    assert any("image/svg+xml" in o.get("data", {}) for o in outputs)  # graphs rendered
    assert any("image/png" in o.get("data", {}) for o in outputs)  # plots shown
    # the steppers (and the timeline): the self-contained page as the fallback a viewer without
    # a kernel shows, then the live widget, whose text/html is empty (no second picture)
    datas = [o.get("data", {}) for o in outputs]
    fallbacks = [d for d in datas if 'class="gradstep-fallback"' in d.get("text/html", "")]
    live = [d for d in datas if "application/vnd.jupyter.widget-view+json" in d]
    assert len(fallbacks) == len(live) >= 2
    assert sum("back-propagation through" in d["text/html"] for d in fallbacks) == 2
    assert all(d["text/html"] == "" for d in live)
