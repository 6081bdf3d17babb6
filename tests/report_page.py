"""The lab report as a reader sees it on GitHub: Markdown with its LaTeX as MathML (which
Chromium draws natively), so a test can check every formula parses and a screenshot shows the
derivation rendered."""

from __future__ import annotations

import re

MATH = re.compile(r"\$\$(.+?)\$\$|\$([^$\n]+?)\$", re.S)


def formulas(markdown_text: str) -> list[tuple[str, bool]]:
    """Every math span: (LaTeX, displayed)."""
    return [
        (m.group(1) or m.group(2), m.group(1) is not None) for m in MATH.finditer(markdown_text)
    ]


def to_html(markdown_text: str) -> str:
    """The report as one HTML page, formulas converted to MathML first (a bad formula raises)."""
    import latex2mathml.converter
    import markdown

    spans: list[str] = []

    def hold(m: re.Match) -> str:
        latex, display = (m.group(1), True) if m.group(1) is not None else (m.group(2), False)
        spans.append(
            latex2mathml.converter.convert(latex, display="block" if display else "inline")
        )
        return f"@@MATH{len(spans) - 1}@@"

    body = markdown.markdown(MATH.sub(hold, markdown_text), extensions=["tables"])
    body = re.sub(r"@@MATH(\d+)@@", lambda m: spans[int(m.group(1))], body)
    return (
        '<!doctype html><html><head><meta charset="utf-8"><style>'
        "body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;line-height:1.45}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}"
        "code{background:#f3f3f3}</style></head><body>" + body + "</body></html>"
    )
