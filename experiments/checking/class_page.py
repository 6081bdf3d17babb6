"""``gradstep check --html class.html``: the class's page (one row per submission)."""

from __future__ import annotations

import html

__all__ = ["class_page"]


def class_page(rows) -> str:
    """A self-contained page: one table row per submission, its text escaped."""
    cells = "".join(
        "<tr>"
        + "".join(f"<td>{html.escape(str(c))}</td>" for c in (r.file, r.status, r.message))
        + "</tr>"
        for r in rows
    )
    return (
        "<!doctype html><html lang=en><meta charset=utf-8><title>gradstep check</title>"
        f"<table><tr><th>submission<th>status<th>message</tr>{cells}</table></html>\n"
    )
