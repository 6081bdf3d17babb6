"""The stepper's model (``static/stepper_model.mjs``) run by Node on the JSON trace Python
records, with no browser: at every step k, what it says each element shows must be what
``backward_steps`` did on the same graph (the current node, the nodes done, every grad line,
the status text). The view only writes these frames into the page."""

import pytest
from nodejs import run_model
from test_stepper import GRAPHS, expected_after_each_step, expression

from autograd import backward_steps, stepper, topological_order
from autograd.views.frontend import STATIC

FRAMES_JS = """
import { readFileSync } from "node:fs";
import { frame } from "%s";
const trace = JSON.parse(readFileSync(0, "utf-8"));
const frames = trace.steps.map((_, k) => frame(trace, k));
process.stdout.write(JSON.stringify(frames));
"""


def model_frames(trace: dict) -> list[dict]:
    return run_model(STATIC / "stepper_model.mjs", FRAMES_JS, trace)


@pytest.mark.parametrize("name", GRAPHS)
def test_model_frames_follow_backward_steps(name):
    make, collapse = GRAPHS[name]
    root = make()
    s = stepper(root, collapse=collapse)
    frames = model_frames(s.trace.to_json())
    shown, texts, currents = expected_after_each_step(root)
    order = topological_order(root)
    users = {n.id: [c.id for c in order if n in c.parents] for n in order}
    assert len(frames) == len(s) + 1
    for k, f in enumerate(frames):
        assert f["status"] == s.text(k)
        taken = currents[:k]  # the ops whose step is done or being taken
        for track in s.trace.nodes:
            if track.box is None:
                continue
            if k == 0:
                expected = "pending"
            elif track.id in currents:
                expected = (
                    "current"
                    if currents[k - 1] == track.id
                    else ("done" if track.id in taken else "pending")
                )
            else:  # a leaf: done once every op that uses it has taken its step
                expected = "done" if all(u in taken for u in users[track.id]) else "pending"
            assert f["states"][track.box] == expected, (k, track.id)
        for (element, line, text), track in zip(f["lines"], s.trace.texts):
            assert (element, line) == (track.element, track.line)
            if track.parts == ["grad ", {"value": "grad"}]:
                assert text == f"grad {shown[k][track.node]}", (k, track.node)
        if k:
            assert f["current"] == currents[k - 1]
            assert set(f["active"]) == {
                e.element for e in s.trace.edges if e.node == currents[k - 1]
            }


def test_model_walks_the_forward_pass_first():
    """With forward=True, data lines read "?" until their op's forward step, then the value;
    every leaf is done during the forward steps; back-propagation follows."""
    root = expression()
    s = stepper(root, forward=True)
    frames = model_frames(s.trace.to_json())
    data_lines = [(i, t) for i, t in enumerate(s.trace.texts) if t.parts[0] == "data "]
    ops = {t.id: t for t in s.trace.nodes if t.backward is not None}
    for k, f in enumerate(frames):
        for i, track in data_lines:
            text = f["lines"][i][2]
            if track.node in ops:
                computed = k >= ops[track.node].forward
                assert (text != "data ?") == computed, (k, track.node, text)
    assert s.trace.forward == 3
    assert [f["status"] for f in frames[4:]] == [str(step) for step in backward_steps(expression())]
