"""Render a drawn graph with Graphviz: find a renderer, write a file, or get SVG text.

A renderer is looked for in this order: a system Graphviz ``dot`` on PATH; the ``graphviz-pure``
wheel's binary (on PATH or in this interpreter's scripts folder, for an unactivated venv).
Without one, ``render`` writes the ``.gv`` source and says how to get one; ``render_svg``
raises ``RendererMissingError`` saying the same.
"""

from __future__ import annotations

import os
import shutil
import sys
import warnings
from pathlib import Path

from ..extras import extra_hint
from ..files import write_file

__all__ = ["find_renderer", "use_renderer", "render", "render_svg", "RendererMissingError"]

NO_RENDERER = (
    "no Graphviz renderer found: install one with `apt-get install graphviz`, or the "
    f"graphviz-pure wheel with {extra_hint('render')}"
)


class RendererMissingError(RuntimeError):
    """No Graphviz renderer is installed; the message says how to get one."""


def find_renderer() -> str | None:
    """Path of a Graphviz renderer: ``dot`` on PATH, else the ``graphviz-pure`` binary on PATH
    or beside this interpreter; None when there is none."""
    dot = shutil.which("dot")
    if dot:
        return dot
    pure = shutil.which("graphviz-pure")
    if pure:
        return pure
    beside = Path(sys.executable).parent / "graphviz-pure"
    if beside.exists() and os.access(beside, os.X_OK):
        return str(beside)
    return None


def use_renderer() -> str | None:
    """Point the graphviz package at the renderer ``find_renderer`` finds (also what notebook
    display uses). Returns its path, or None."""
    renderer = find_renderer()
    if renderer is not None:
        from graphviz.backend import dot_command

        dot_command.DOT_BINARY = renderer
    return renderer


def render_svg(graph) -> str:
    """The SVG text of a ``graphviz.Digraph`` (what the stepper lays out once)."""
    if use_renderer() is None:
        raise RendererMissingError(NO_RENDERER)
    return graph.pipe(format="svg", encoding="utf-8")


def render(root_or_graph, path: str | os.PathLike, format: str = "svg", **draw_options) -> Path:
    """Draw (if given a node) and render to ``path`` (``.svg``, ``.png`` or ``.pdf``). Without a
    renderer, write the DOT source to ``path`` with suffix ``.gv`` and warn how to get one.
    Returns the path written."""
    import graphviz

    from .drawing import draw

    if format not in ("svg", "png", "pdf"):
        raise ValueError(f"format must be svg, png or pdf, got {format!r}")
    graph = (
        root_or_graph
        if isinstance(root_or_graph, graphviz.Digraph)
        else draw(root_or_graph, **draw_options)
    )
    path = Path(path)
    if path.suffix != f".{format}":
        path = path.with_suffix(f".{format}")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot render to {path}: directory {path.parent} does not exist")
    if use_renderer() is None:
        source = write_file(path.with_suffix(".gv"), graph.source)
        warnings.warn(
            f"{NO_RENDERER}, then render the source with `dot -Tsvg {source} -o out.svg`",
            stacklevel=2,
        )
        return source
    return write_file(path, graph.pipe(format=format))
