"""A ready-to-edit step file for a program gradstep did not recognise.

The adapter is today's step-file format (``params``, ``loss``, ``step``): the arrays the program
updated, as they were before its first update, become ``params``; the arrays that look like its
data become ``x`` and ``y``; ``loss`` is a guess to edit; ``step`` must call the learner's own
update, which only the teacher can say, so until it is edited it raises (an unedited adapter can
never pass).
"""

from __future__ import annotations

import numpy as np

__all__ = ["adapter_text"]

MAX_INLINE = 400  # entries written out as a literal; larger arrays are described, not written


def _literal(a: np.ndarray) -> str:
    if a.size > MAX_INLINE:
        return f"np.zeros({tuple(a.shape)})  # EDIT: {a.size} entries, too many to write here"
    return f"np.array({np.asarray(a, dtype=np.float64).tolist()!r})"


def _name(label: str, taken: set[str]) -> str:
    base = "".join(c if c.isalnum() else "_" for c in label.split(" in ")[0]).strip("_") or "p"
    if base[0].isdigit():
        base = "p_" + base
    name, k = base, 2
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    taken.add(name)
    return name


def adapter_text(spec: dict, slots: list, result) -> str:
    """The adapter's source for the program of ``spec``, from the run's ``slots``."""
    entry = spec["entry"]
    updated = [s for s in slots if s.updated and s.values[0][1].ndim in (1, 2)]
    data = [s for s in slots if not s.updated and s.values[0][1].ndim == 2][:2]
    taken: set[str] = set()
    lines = [
        f'"""Adapter for {entry}, written by gradstep check: the program was not recognised',
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
    for s in data:
        lines.append(f"# seen as {s.label!s:.60}, shape {tuple(s.values[0][1].shape)}")
        lines.append(f"{_name(s.label, taken)} = {_literal(s.values[0][1])}")
    lines += ["", "params = {  # the arrays the program updated, before its first update"]
    names = []
    for s in updated:
        name = _name(s.label, taken)
        names.append(name)
        lines.append(f"    # {s.label!s:.70}, {s.dtype}")
        lines.append(f"    {name!r}: {_literal(s.values[0][1])},")
    lines += [
        "}",
        "",
        "",
        "def forward(params, x):",
        "    # EDIT: the program's forward pass on params (a guess: sigmoid layers, x @ W)",
        "    h = x",
        *[f"    h = 1 / (1 + np.exp(-(h @ params[{n!r}])))" for n in names[:6]],
        "    return h",
        "",
        "",
        "def loss(params):",
        "    # EDIT: the loss the step descends, e.g. the mean squared error",
        "    x, y = ...  # EDIT: the program's inputs and targets",
        "    return float(np.mean((forward(params, x) - y) ** 2))",
        "",
        "",
        "def step(params):",
        "    # EDIT: one update of the program's own code on the arrays of params, in place,",
        "    # e.g. backward(x, y, forward(params, x), *params.values())",
        "    raise NotImplementedError('edit step() to call the program\\'s own update')",
        "",
    ]
    return "\n".join(lines)
