"""The browser front ends' one packaging: a pure model module and a view, made into the
anywidget module and into a self-contained page.

Each front end is two files in a ``static/`` folder (``autograd/static`` by default; another
package passes its own): ``<name>_model.mjs`` (pure functions of the JSON the Python side
records: testable with ``node`` alone) and ``<name>_view.js`` (the DOM, ending in
``export default { render };``, anywidget's contract), plus ``<name>.css``. ``widget_module``
joins them into the widget's ES module; ``page`` inlines them, the styles and the data into one
HTML file that needs no network, with ``static/page.js`` standing in for anywidget's model. A
front end that shows another inside it (the timeline opens the stepper) lists it in ``uses``:
that one is bundled in a scope of its own, as ``<name>View.render``.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..files import check_writable_file, write_file
from .display import printable

__all__ = [
    "FALLBACK_CLASS",
    "STATIC",
    "Front",
    "fallback_html",
    "page",
    "save_page",
    "script_json",
    "show_in_notebook",
    "styles",
    "widget_module",
]

STATIC = Path(__file__).parent / "static"
_DEFAULT_EXPORT = "export default { render };"

PAGE_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 1rem; }
"""


@dataclass(frozen=True)
class Front:
    """A front end: its name and the folder holding its files."""

    name: str
    folder: Path = STATIC

    def read(self, suffix: str) -> str:
        return (self.folder / f"{self.name}{suffix}").read_text(encoding="utf-8")


def _front(front: str | Front) -> Front:
    return front if isinstance(front, Front) else Front(front)


def _model(front: Front) -> str:
    """The model module as plain declarations: one module in the bundle, not an import."""
    return "\n".join(
        line[len("export ") :] if line.startswith("export ") else line
        for line in front.read("_model.mjs").splitlines()
    )


def _view(front: Front) -> str:
    source = front.read("_view.js")
    if _DEFAULT_EXPORT not in source:
        raise RuntimeError(f"{front.name}_view.js must end with {_DEFAULT_EXPORT!r}")
    return source.replace(_DEFAULT_EXPORT, "")


def _scoped(front: Front) -> str:
    """Another front end inside this one's bundle, its names in a scope of their own."""
    return (
        f"const {front.name}View = (() => {{\n{_model(front)}\n{_view(front)}\n"
        "return { render };\n})();\n"
    )


def _script(front: Front, uses: tuple) -> str:
    return "".join(_scoped(_front(u)) for u in uses) + f"{_model(front)}\n{_view(front)}\n"


def widget_module(front: str | Front, uses: tuple = ()) -> str:
    """The anywidget ``_esm`` of a front end: what it uses, its model, its view."""
    return _script(_front(front), uses) + _DEFAULT_EXPORT + "\n"


# -- notebooks: a live widget where one runs, the self-contained page everywhere else --------------
FALLBACK_CLASS = "gradstep-fallback"
# Every front end's styles carry this: where a live widget runs (its styles are in the notebook's
# document), the static fallbacks beside the widgets are hidden, with their output areas
# (JupyterLab, Notebook 7 and classic); where none runs (nbconvert's HTML, a course site, a
# notebook opened without a kernel) the styles are never loaded and the fallbacks show.
HIDE_FALLBACKS = f"""
.{FALLBACK_CLASS} {{ display: none !important; }}
.jp-OutputArea-child:has(.{FALLBACK_CLASS}), .output_area:has(.{FALLBACK_CLASS}) {{
  display: none !important;
}}
"""


def styles(front: str | Front, uses: tuple = ()) -> str:
    """The CSS of a front end (and of those it uses), with the rule that hides static fallbacks
    wherever a live widget's styles are loaded."""
    return "".join(_front(f).read(".css") for f in (*uses, front)) + HIDE_FALLBACKS


def fallback_html(page_html: str, title: str, height: int = 640) -> str:
    """What a notebook viewer without a live kernel shows for a widget: its self-contained
    page (``page``) in a sandboxed frame (scripts run, nothing else: no access to the notebook's
    page, no network), as wide as the cell and ``height`` px tall (the page scrolls inside),
    loaded once it nears the view (a hidden one, beside a live widget, never loads)."""
    return (
        f'<div class="{FALLBACK_CLASS}" style="max-width:100%">'
        f'<iframe title="{html.escape(printable(title))}" sandbox="allow-scripts" loading="lazy" '
        f'style="width:100%;height:{int(height)}px;border:1px solid #ddd;border-radius:4px" '
        f'srcdoc="{html.escape(page_html, quote=True)}"></iframe></div>'
    )


def show_in_notebook(
    page_html: str, title: str, make_widget: Callable | None, height: int = 640
) -> None:
    """Display a front end in IPython: first its page as the static fallback (``fallback_html``:
    what nbconvert's HTML, static viewers and kernel-less notebooks show), then its live widget
    (``make_widget()``, when anywidget is installed) with an empty ``text/html`` beside the
    widget view, so a viewer that cannot run the widget shows nothing for it. Two outputs because
    a viewer that finds the widget's saved state picks the widget view over any ``text/html`` of
    the same output (nbconvert does), and offline that view stays blank; the live widget's
    styles hide the fallback (``HIDE_FALLBACKS``) wherever the widget runs."""
    from IPython.display import display

    display({"text/html": fallback_html(page_html, title, height)}, raw=True)
    if make_widget is None:
        return
    try:
        widget = make_widget()
    except ImportError:
        return
    view = widget._repr_mimebundle_()
    if isinstance(view, tuple):  # ipywidgets may return (data, metadata)
        view = view[0]
    bundle = {k: v for k, v in view.items() if k != "text/plain"}
    display({**bundle, "text/plain": "", "text/html": ""}, raw=True)


# Inside a <script> element the HTML parser ends the script at "</script" and treats "<!--" and
# "<script" as the start of an escaped section; "&" is harmless there but not in other contexts
# the same text may reach; U+2028/U+2029 end a line in older JavaScript parsers. In JSON they can
# only occur inside strings, where their \u escapes mean the same characters.
_SCRIPT_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_SCRIPT_UNSAFE = str.maketrans(_SCRIPT_ESCAPES)


def script_json(data) -> str:
    """``data`` as JSON that can sit inside any HTML ``<script>`` element: ``<``, ``>``, ``&``,
    U+2028 and U+2029 written as ``\\u`` escapes (so no text in it ends the script or opens
    another), everything outside ASCII escaped too (lone surrogates included: the page is
    always valid UTF-8). ``JSON.parse`` gives back exactly ``data``. Every page uses this."""
    return json.dumps(data, ensure_ascii=True).translate(_SCRIPT_UNSAFE)


def page(front: str | Front, title: str, data: dict, uses: tuple = ()) -> str:
    """One HTML page: styles, script and ``data`` (the widget's traits) inline; no network."""
    front = _front(front)
    script = (
        f"{(STATIC / 'page.js').read_text(encoding='utf-8')}\n{_script(front, uses)}"
        'mountPage(render, document.getElementById("gradstep"), '
        'JSON.parse(document.getElementById("gradstep-data").textContent));\n'
    )
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(printable(title))}</title>\n"
        f"<style>\n{PAGE_CSS}{styles(front, uses)}</style>\n"
        "</head>\n<body>\n"
        '<main>\n<div id="gradstep"></div>\n</main>\n'
        f'<script type="application/json" id="gradstep-data">{script_json(data)}</script>\n'
        f'<script type="module">\n{script}</script>\n'
        "</body>\n</html>\n"
    )


def save_page(path: str | os.PathLike, make_html: Callable[[], str]) -> Path:
    """Write a page: the path checked first (an ``.html`` name, a folder that exists and can be
    written), then the page made and written beside it and renamed into place."""
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"the page is HTML: give a path ending in .html, got {path}")
    check_writable_file(path, "page")
    return write_file(path, make_html())
