"""The browser front ends' one packaging: a pure model module and a view, made into the
anywidget module and into a self-contained page.

Each front end is two files in ``static/``: ``<name>_model.mjs`` (pure functions of the JSON the
Python side records: testable with ``node`` alone) and ``<name>_view.js`` (the DOM, ending in
``export default { render };``, anywidget's contract). ``widget_module`` joins them into the
widget's ES module; ``page`` inlines them, the shared styles and the data into one HTML file
that needs no network, with ``static/page.js`` standing in for anywidget's model.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

__all__ = ["STATIC", "widget_module", "styles", "page"]

STATIC = Path(__file__).parent / "static"
_DEFAULT_EXPORT = "export default { render };"

PAGE_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 1rem; }
"""


def _model(name: str) -> str:
    """The model module as plain declarations: one module in the bundle, not an import."""
    source = (STATIC / f"{name}_model.mjs").read_text(encoding="utf-8")
    return "\n".join(
        line[len("export ") :] if line.startswith("export ") else line
        for line in source.splitlines()
    )


def _view(name: str) -> str:
    source = (STATIC / f"{name}_view.js").read_text(encoding="utf-8")
    if _DEFAULT_EXPORT not in source:
        raise RuntimeError(f"static/{name}_view.js must end with {_DEFAULT_EXPORT!r}")
    return source


def widget_module(name: str) -> str:
    """The anywidget ``_esm`` of a front end: model, then view."""
    return f"{_model(name)}\n{_view(name)}"


def styles(name: str) -> str:
    return (STATIC / f"{name}.css").read_text(encoding="utf-8")


def page(name: str, title: str, data: dict) -> str:
    """One HTML page: styles, script and ``data`` (the widget's traits) inline; no network."""
    script = (
        f"{_model(name)}\n{(STATIC / 'page.js').read_text(encoding='utf-8')}\n"
        f"{_view(name).replace(_DEFAULT_EXPORT, '')}\n"
        'mountPage(render, document.getElementById("gradstep"), '
        'JSON.parse(document.getElementById("gradstep-data").textContent));\n'
    )
    payload = json.dumps(data).replace("</", "<\\/")  # no "</script>" inside the data block
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>\n{PAGE_CSS}{styles(name)}</style>\n"
        "</head>\n<body>\n"
        '<main>\n<div id="gradstep"></div>\n</main>\n'
        f'<script type="application/json" id="gradstep-data">{payload}</script>\n'
        f'<script type="module">\n{script}</script>\n'
        "</body>\n</html>\n"
    )
