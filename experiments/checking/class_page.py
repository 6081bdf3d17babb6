"""``gradstep check --html class.html``: one self-contained page for the class.

A row per submission (its file, status, the loss its step descends and the lr that implies,
its message), sortable by each column, each row opening to its diagnoses, what was found, its
entries' table, its adapter and its output. The rows travel as JSON inside the page
(``frontend.script_json``: ``<``, ``>``, ``&``, U+2028/9 escaped) and are set as text by the
page's script (``static/class_page_view.js``): learner text is data, never markup. No network.
"""

from __future__ import annotations

from pathlib import Path

from autograd.views.frontend import Front, page

from .files import FileVerdict
from .text import readable

__all__ = ["class_page", "page_rows"]

FRONT = Front("class_page", Path(__file__).parent / "static")


def page_rows(rows: list[FileVerdict]) -> list[dict]:
    """What the page shows of each row (``FileVerdict``), as JSON-ready data."""
    out = []
    for r in rows:
        report = r.report or {}
        out.append(
            {
                "file": readable(r.file),
                "status": r.status,
                "submission": r.submission,
                "loss": r.loss or None,
                "lr": r.lr,
                "message": readable(r.message),
                "diagnosis": [readable(d) for d in r.diagnosis],
                # what was found matters where nothing was recognised
                "found": [readable(f) for f in r.found] if r.status == "not recognised" else [],
                "table": readable(report.get("table") or ""),
                "adapter": readable(r.adapter or ""),
                "output": readable(r.output or ""),
            }
        )
    return out


def class_page(rows: list[FileVerdict], title: str = "gradstep check") -> str:
    """The page's HTML."""
    return page(FRONT, title, {"rows": page_rows(rows), "title": title})
