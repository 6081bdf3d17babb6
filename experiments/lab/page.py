"""``report.html``: the lab report as one page a browser opens offline.

The page is made from ``report.md`` itself (one text, two forms): its LaTeX becomes MathML
(``latex2mathml``; Chromium and Firefox draw MathML natively), its Markdown HTML (``markdown``),
its figures are embedded as ``data:`` URIs so the file stands alone, and its links to the
timeline pages and the stepper stay relative (they are written beside it). No script, no font,
nothing fetched."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

from autograd.files import write_file

__all__ = ["formulas", "report_html", "write_report_html"]

# $$display$$ or $inline$ (an inline span stays on one line)
MATH = re.compile(r"\$\$(.+?)\$\$|\$([^$\n]+?)\$", re.S)
IMAGE = re.compile(r'<img alt="([^"]*)" src="([^":/]+\.png)"\s*/?>')

STYLE = """
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d1d1f;
  max-width:58rem;margin:0 auto;padding:1rem 1.25rem 4rem}
h1{font-size:1.8rem;line-height:1.2}h2{margin-top:2.2rem;border-bottom:1px solid #ddd}
img{display:block;max-width:100%;height:auto;margin:.75rem 0}
.table{overflow-x:auto}table{border-collapse:collapse;font-size:.9rem;margin:.5rem 0}
td,th{border:1px solid #ccc;padding:3px 7px;text-align:left;vertical-align:top}
td{white-space:nowrap}
code{background:#f3f3f3;padding:0 .2em;border-radius:3px;font-size:.9em}
pre{background:#f6f6f6;padding:.6rem .8rem;overflow-x:auto;font-size:.85rem;line-height:1.35}
pre code{background:none;padding:0}
math[display=block]{margin:.8rem 0;overflow-x:auto;overflow-y:hidden}
a{color:#0b5cad}
"""


def formulas(markdown_text: str) -> list[tuple[str, bool]]:
    """Every math span of ``markdown_text``: (LaTeX, displayed)."""
    return [
        (m.group(1) or m.group(2), m.group(1) is not None) for m in MATH.finditer(markdown_text)
    ]


def _mathml(markdown_text: str) -> tuple[str, list[str]]:
    """The text with each formula replaced by a placeholder, and the formulas as MathML (a
    formula latex2mathml cannot parse raises: the report's LaTeX is checked by making it)."""
    import latex2mathml.converter

    spans: list[str] = []

    def hold(m: re.Match) -> str:
        latex, display = (m.group(1), True) if m.group(1) is not None else (m.group(2), False)
        spans.append(
            latex2mathml.converter.convert(latex, display="block" if display else "inline")
        )
        return f"@@MATH{len(spans) - 1}@@"

    return MATH.sub(hold, markdown_text), spans


def _embed_images(body: str, folder: Path) -> str:
    """Each ``<img src="figure.png">`` beside the report as a data: URI, so the page stands
    alone; the alt text stays."""

    def embed(m: re.Match) -> str:
        data = base64.b64encode((folder / html.unescape(m.group(2))).read_bytes()).decode()
        return f'<img alt="{m.group(1)}" src="data:image/png;base64,{data}">'

    return IMAGE.sub(embed, body)


def report_html(markdown_text: str, folder: Path | None = None) -> str:
    """The report as one HTML page: formulas as MathML, tables in horizontally scrolling
    boxes, figures from ``folder`` embedded (left as relative links without one)."""
    import markdown

    text, spans = _mathml(markdown_text)
    body = markdown.markdown(text, extensions=["tables", "fenced_code"])
    body = re.sub(r"@@MATH(\d+)@@", lambda m: spans[int(m.group(1))], body)
    body = body.replace("<table>", '<div class="table"><table>').replace(
        "</table>", "</table></div>"
    )
    if folder is not None:
        body = _embed_images(body, folder)
    title = html.escape(markdown_text.splitlines()[0].lstrip("# ").strip() or "Lab 1")
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
        f"{body}\n</main>\n</body>\n</html>\n"
    )


def write_report_html(markdown_text: str, path: Path) -> Path:
    """Write ``report_html`` of ``markdown_text`` to ``path``, figures taken from its folder."""
    path = Path(path)
    return write_file(path, report_html(markdown_text, path.parent))
