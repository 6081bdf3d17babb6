"""experiments/from_micrograd.ipynb (the lecture's examples done in gradstep) runs top to bottom
in a kernel, is committed without outputs, and prints the lecture's and micrograd's numbers."""

import pathlib
import re

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = pathlib.Path(__file__).resolve().parents[1] / "experiments" / "from_micrograd.ipynb"

# micrograd 0.1.0's own demo (its engine and nn, the same seeds and moons): steps 0-19's loss
# and accuracy, printed by that run; the notebook's gradstep run must give them to 1e-12.
MICROGRAD_DEMO = [
    (0.8958441028683222, 50.0), (1.7235905336972022, 81.0), (0.742900631385113, 77.0),
    (0.7705641260584202, 82.0), (0.36927933859765383, 84.0), (0.31354548191852194, 86.0),
    (0.28142343497724337, 89.0), (0.2688873331398391, 91.0), (0.2567147286057416, 91.0),
    (0.27048625516379227, 91.0), (0.24507023853658041, 91.0), (0.25099055297915035, 92.0),
    (0.2156095185192295, 91.0), (0.23090378446402726, 93.0), (0.20152151227899445, 92.0),
    (0.2257450627928222, 93.0), (0.194479875962041, 92.0), (0.21089496199246363, 93.0),
    (0.159830773563036, 94.0), (0.18453748746883922, 93.0),
]  # fmt: skip


def test_notebook_is_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


@pytest.mark.slow  # over a second: a subprocess or a notebook run
@pytest.mark.bench
def test_notebook_executes_and_prints_the_lectures_numbers(tmp_path):
    """Needs micrograd (the bench extra): it checks micrograd's own numbers beside gradstep's,
    so without it it skips (.ci/run runs it with the bench extra)."""
    pytest.importorskip("micrograd")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError naming the failing cell
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "the lecture's trace: 7 nodes, 6 edges" in text
    for line in ("a.grad = 6.0", "b.grad = -4.0", "c.grad = -2.0", "f.grad = 4.0"):
        assert line in text  # L's gradients, hand-driven _backward()
    for line in ("o: data 0.7071, grad 1.0000", "n: data 0.8814, grad 0.5000",
                 "x1: data 2.0000, grad -1.5000", "w1: data -3.0000, grad 1.0000",
                 "x2: data 0.0000, grad 0.5000", "w2: data 1.0000, grad 0.0000"):  # fmt: skip
        assert line in text  # the neuron's, in reverse topological order
    step5 = next(line for line in text.splitlines() if line.startswith("step 5: do/dx1 += "))
    assert step5.endswith(" * w1 = 0.5 * -3 = -1.5")  # the stepper's chain rule for x1
    assert "gradstep:  after two backward() calls a.grad = 12.0, d.grad = -2.0" in text
    assert "micrograd: after two backward() calls a.grad = 24.0, d.grad = -4.0" in text
    assert "already back-propagates with its own rule" in text
    assert "tanh_lecture: data 0.7071, d/dn = 0.5000" in text
    printed = re.findall(r"step (\d+) loss ([0-9.e-]+), accuracy ([0-9.]+)%", text)
    assert [int(k) for k, _, _ in printed] == list(range(20))
    for (_, loss, acc), (ref_loss, ref_acc) in zip(printed, MICROGRAD_DEMO):
        assert float(loss) == pytest.approx(ref_loss, rel=1e-12) and float(acc) == ref_acc
    assert "MLP of [Layer of [ReLUNeuron(2)" in text and "number of parameters 337" in text
    assert "dL/ddata_loss += dL/dL * 1 = 1 * 1 = 1" in text  # the few samples' stepper
    diff = float(re.search(r"largest difference ([0-9.e-]+)", text).group(1))
    assert diff <= 1e-12  # ValueMLP with the same weights computes the same scores
    svgs = [o for o in outputs if "image/svg+xml" in o.get("data", {})]
    assert len(svgs) == 4  # the lecture's draw_dot, gradstep's, the batch by layer and by neuron
    # the steppers: each its self-contained page (the fallback a viewer without a kernel shows),
    # then its live widget
    pages = [
        o["data"]["text/html"]
        for o in outputs
        if "gradstep-fallback" in o.get("data", {}).get("text/html", "")
    ]
    assert len(pages) == 2 and all("\\u003csvg" in page for page in pages)
