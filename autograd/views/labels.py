"""What each part of a picture says: a box's lines, a collapsed scope's summary, an edge's
chain-rule term, and user text made safe to draw.

A node's box reads: its name, its shape (tensors), ``data ...`` and ``grad ...`` (the data and
grad lines always the last two: the stepper rewrites them by position). Before a backward pass
(the root holds no gradient) the grad line says ``grad not computed``: a zero there would read as
a computed gradient. User text (labels, scopes, op names, titles) goes through ``shown``: escaped
where a renderer cannot take it (``display.printable``) and shortened past ``MAX_SHOWN``
characters, the full text kept for a tooltip.
"""

from __future__ import annotations

import numpy as np

from ..graph import Node
from .display import format_number, printable
from .layout import Layout, ScopeBox

__all__ = [
    "MAX_OUTPUT_LINES",
    "MAX_SHOWN",
    "NOT_COMPUTED",
    "data_line",
    "edge_term",
    "fill_line",
    "grad_line",
    "line_parts",
    "output_line",
    "plain_label",
    "preview",
    "record_fields",
    "scope_lines",
    "scope_summary",
    "shown",
    "tooltip_text",
]

MAX_SHOWN = 200  # characters of user text drawn on one line (Graphviz fails near 16,000)
MAX_TOOLTIP = 4000  # characters kept in a tooltip (escaped, they stay well under that limit)
MAX_OUTPUT_LINES = 8  # a collapsed box lists this many outputs, or 7 and how many it hides
NOT_COMPUTED = "not computed"


def preview(x) -> str:
    """A number (4 decimals) or the first three entries of an array, never ``-0.0000``."""
    if x is None:
        return "None"
    if isinstance(x, np.ndarray) and x.size > 1:
        flat = " ".join(f"{v + 0.0:.3g}" for v in x.reshape(-1)[:3])
        return f"[{flat}{' ...' if x.size > 3 else ''}]"
    return f"{float(np.asarray(x).reshape(-1)[0]) + 0.0:.4f}"  # + 0.0: never "-0.0000"


def shown(text) -> str:
    """User text as drawn: escaped (``display.printable``) and at most ``MAX_SHOWN``
    characters (then with a count of the rest)."""
    return printable(text, MAX_SHOWN)


def tooltip_text(text) -> str | None:
    """The full text for a tooltip when ``shown`` changed it (escaped, at most
    ``MAX_TOOLTIP`` characters); None when it is drawn as it is."""
    text = str(text)
    if shown(text) == text:
        return None
    return printable(text, MAX_TOOLTIP)


def plain_label(text) -> str:
    """User text (op names, labels, scopes, titles) as a plain-text Graphviz label: shown as
    ``shown`` gives it, never read as an HTML-like label (``<<table href=...>>`` would become a
    live link in the SVG), its backslashes never read as Graphviz escapes."""
    import graphviz

    return graphviz.escape(shown(text))


def line_parts(kind: str, name: str = "") -> list:
    """A box line that shows numbers, as parts: strings and number slots ``{"value": "data"}``
    / ``{"value": "grad"}``. ``kind`` is "data" or "grad" (a node's own box) or "output" (a
    collapsed box's line for its output ``name``). The stepper's script fills the same parts."""
    data, grad = {"value": "data"}, {"value": "grad"}
    parts = {
        "data": ["data ", data],
        "grad": ["grad ", grad],
        "output": [f"{shown(name)} = ", data, ", grad ", grad],
    }
    return parts[kind]


def fill_line(parts: list, values: dict[str, str]) -> str:
    """The line's text with its number slots filled from ``values`` (``{"data": ..., ...}``)."""
    return "".join(p if isinstance(p, str) else values[p["value"]] for p in parts)


def data_line(data) -> str:
    return fill_line(line_parts("data"), {"data": preview(data)})


def grad_line(grad, known: bool = True) -> str:
    """``grad 0.1234``, or ``grad not computed`` before a backward pass (or for a node it has
    not reached)."""
    text = preview(grad) if known and grad is not None else NOT_COMPUTED
    return fill_line(line_parts("grad"), {"grad": text})


def record_fields(node: Node, name: str, grads_known: bool = True) -> list[str]:
    """The lines of a node's box: name, shape (tensors), data, grad (data and grad always the
    last two: the stepper rewrites them by position)."""
    fields = [shown(name)]
    if isinstance(node.data, np.ndarray) and node.data.ndim:
        fields.append(f"shape {node.data.shape}")
    fields.append(data_line(node.data))
    fields.append(grad_line(node.grad, grads_known))
    return fields


def output_line(name: str, data, grad, known: bool = True) -> str:
    """A collapsed box's line for one of its outputs."""
    text = preview(grad) if known and grad is not None else NOT_COMPUTED
    return fill_line(line_parts("output", name), {"data": preview(data), "grad": text})


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def scope_summary(inside: list[Node]) -> str:
    """What a collapsed box holds, by kind: ``4 ops, 12 parameters``, ``2 inputs``."""
    kinds = {"op": 0, "input": 0, "parameter": 0, "constant": 0}
    for n in inside:
        if n.parents:
            kinds["op"] += 1
        else:
            kinds[{"input": "input", "const": "constant"}.get(n.op, "parameter")] += 1
    return ", ".join(_count(n, kind) for kind, n in kinds.items() if n)


def scope_lines(pic: Layout, box: ScopeBox) -> tuple[list[str], list[Node]]:
    """A collapsed box's lines: its scope, what it holds, then every output with its data and
    grad (the k-th on line 2 + k); past ``MAX_OUTPUT_LINES`` outputs, the first ones and a
    last line saying how many more it holds and their names' range. Returns the lines and the
    outputs shown."""
    inside = pic.collapsed()[box]
    outputs = pic.box_outputs(box)
    listed = outputs if len(outputs) <= MAX_OUTPUT_LINES else outputs[: MAX_OUTPUT_LINES - 1]
    lines = [shown(box.scope), scope_summary(inside)]
    known = pic.grads_known
    lines += [output_line(pic.names[id(n)], n.data, n.grad, known) for n in listed]
    hidden = outputs[len(listed) :]
    if hidden:
        first, last = shown(pic.names[id(hidden[0])]), shown(pic.names[id(hidden[-1])])
        lines.append(f"and {len(hidden)} more outputs ({first} to {last})")
    return lines, listed


def edge_term(node: Node, i: int) -> str:
    """The chain-rule term on the edge from the node's ``i``-th parent, once the node's grad
    is known: ``local x upstream = contribution`` for a Value; for a Tensor, the size of the
    contribution (its arrays do not fit on an edge)."""
    g = node.grad
    if g is None:
        return ""
    local = getattr(node, "_local", None)
    if local is not None:
        return f"{format_number(local[i])} x {format_number(g)} = {format_number(local[i] * g)}"
    contribution = node.local_grads(g)[i]
    return f"|contribution| {np.linalg.norm(np.asarray(contribution)):.4g}"
