"""A ready-to-edit step file for a program gradstep did not recognise.

The adapter is today's step-file format (``params``, ``loss``, ``step``), filled in with what the
run showed: the arrays the program updated, as they were before its first update, become
``params`` (when a network was read, exactly its weights and biases, and ``forward`` is that
network written out); the arrays that look like its data become ``x`` and ``y``; ``loss`` is a
standard loss to edit; the program's own functions are listed with their arguments. ``step``
must call the learner's own update, which only the teacher can say: until it is edited it
raises, so an unedited adapter can never pass.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np

from .recognise import Recognition
from .submissions import program_trees

__all__ = ["adapter_text"]

MAX_INLINE = 400  # entries written out as a literal; larger arrays are described, not written
ACTIVATION_CODE = {
    "sigmoid": "1 / (1 + np.exp(-a))",
    "tanh": "np.tanh(a)",
    "relu": "np.maximum(a, 0)",
    "leaky_relu": "np.where(a > 0, a, 0.01 * a)",
    "none": "a",
}


def _literal(a: np.ndarray) -> str:
    if a.size > MAX_INLINE:
        return f"np.zeros({tuple(a.shape)})  # EDIT: {a.size} entries, too many to write here"
    return f"np.array({np.asarray(a, dtype=np.float64).tolist()!r})"


def _functions(spec: dict) -> list[str]:
    """``name(arguments)`` of every function the program defines, for the step to call."""
    out = []
    for tree in program_trees(spec):
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                out.append(f"{node.name}({', '.join(a.arg for a in node.args.args)})")
    return out[:20]


def _forward_lines(reading) -> list[str]:
    """The recognised network's forward pass as code on ``params``."""
    lines = ["    h = x.T" if reading.network.column else "    h = x"]
    for layer in reading.network.layers:
        w = f"params[{layer.weight!r}]" + (".T" if layer.transposed else "")
        if layer.folded == "last":
            lines.append("    h = np.hstack([h, np.ones((len(h), 1))])")
        elif layer.folded == "first":
            lines.append("    h = np.hstack([np.ones((len(h), 1)), h])")
        bias = f" + params[{layer.bias!r}].reshape(-1)" if layer.bias else ""
        lines.append(f"    a = h @ {w}{bias}")
        lines.append(f"    h = {ACTIVATION_CODE[layer.activation]}")
    return lines + ["    return h.reshape(-1, 1)"]


def _guessed(slots: list) -> tuple[list, list]:
    """Without a reading: the updated arrays with no row per sample, and two data arrays."""
    data = [s for s in slots if not s.updated and s.values[0][1].ndim == 2][:2]
    samples = {s.values[0][1].shape[0] for s in data}
    updated = [
        s
        for s in slots
        if s.updated and s.values[0][1].ndim in (1, 2) and not samples & set(s.values[0][1].shape)
    ]
    return updated[:8], data


def adapter_text(spec: dict, slots: list, result: Recognition) -> str:
    """The adapter's source for the program of ``spec``, from the run's ``slots`` and the
    recognition's ``result``."""
    reading = result.reading
    lines = [
        f'"""Adapter for {Path(spec["entry"]).name}, written by gradstep check: the program was '
        "not recognised",
        f"({result.message}).",
        "",
        "Edit the lines marked EDIT, then: gradstep check THIS_FILE",
        '"""',
        "",
        "import numpy as np",
        "",
        "lr = 0.1  # EDIT: the program's learning rate",
        "",
    ]
    if reading is not None:
        y = result.targets[0][1] if result.targets else None
        lines.append(f"x = {_literal(reading.x)}  # the program's {reading.x_label}")
        if y is not None:
            lines.append(
                f"y = {_literal(y.reshape(-1, 1))}  # the program's {result.targets[0][0]}"
            )
        else:
            lines.append("y = ...  # EDIT: the program's targets")
        params = [(n, reading.params[n], reading.slots[n].label) for n in reading.network.names()]
        forward = _forward_lines(reading)
    else:
        updated, data = _guessed(slots)
        names = ["x", "y"]
        for name, s in zip(names, data):
            lines.append(f"{name} = {_literal(s.values[0][1])}  # EDIT? seen as {s.label!s:.60}")
        for name in names[len(data) :]:
            lines.append(
                f"{name} = ...  # EDIT: the program's {'inputs' if name == 'x' else 'targets'}"
            )
        params = [(f"p{k}", s.values[0][1], s.label) for k, s in enumerate(updated, start=1)]
        forward = (
            ["    h = x"]
            + [
                f"    h = 1 / (1 + np.exp(-(h @ params[{n!r}])))  # EDIT: a guess"
                for n, v, _ in params
                if v.ndim == 2
            ]
            + ["    return h"]
        )
    lines += ["", "params = {  # the arrays the program updated, before its first update"]
    for name, value, label in params:
        lines.append(f"    {name!r}: {_literal(value)},  # {label!s:.60}")
    lines += ["}", "", "", "def forward(params, x):"] + forward
    lines += [
        "",
        "",
        "def loss(params):",
        "    # EDIT: the loss the step descends (here the mean squared error)",
        "    return float(np.mean((forward(params, x) - y) ** 2))",
        "",
        "",
        "def step(params):",
        "    # EDIT: one update of the program's own code on the arrays of params, in place.",
        "    # The program's functions: " + (", ".join(_functions(spec)) or "none"),
        '    raise NotImplementedError("edit step() to call the program\'s own update")',
        "",
    ]
    return "\n".join(lines)
