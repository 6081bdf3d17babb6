"""Formulas as MathML, rendered when the documentation is built.

Sphinx's default math renderer loads MathJax from a CDN, and these pages must work offline. Every
browser gradstep's pages are tested in (Chromium) renders MathML Core, so each ``$...$`` and
``$$...$$`` becomes a ``<math>`` element here, converted from LaTeX by ``latex2mathml`` (the same
converter the lab's ``report.html`` uses).
"""

from __future__ import annotations

from docutils import nodes
from latex2mathml.converter import convert
from sphinx.application import Sphinx


def _mathml(latex: str, display: str) -> str:
    return convert(latex.strip(), display=display)


def visit_math_html(self, node: nodes.math) -> None:
    self.body.append(_mathml(node.astext(), "inline"))
    raise nodes.SkipNode


def visit_displaymath_html(self, node: nodes.math_block) -> None:
    if node.get("nowrap"):
        latex = node.astext()
    else:
        latex = "\n".join(part for part in node.astext().split("\n\n") if part.strip())
    self.body.append(f'<div class="math-wrapper">{_mathml(latex, "block")}</div>')
    raise nodes.SkipNode


def setup(app: Sphinx) -> dict:
    app.add_html_math_renderer(
        "mathml",
        inline_renderers=(visit_math_html, None),
        block_renderers=(visit_displaymath_html, None),
    )
    return {"parallel_read_safe": True, "parallel_write_safe": True}
