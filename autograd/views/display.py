"""Plain-text and HTML tables shared by every report (gradcheck, crosscheck, steps, parameters)."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

import numpy as np

from ..graph import format_number  # one short form of a number, the engine's too

# What no renderer, terminal or UTF-8 file takes as text: C0 controls but tab and newline, DEL,
# the non-characters U+FFFE and U+FFFF, and lone surrogates (what a file name that is not UTF-8
# decodes to).
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff\ud800-\udfff]")


def _escaped(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text, limit: int | None = None) -> str:
    """User text as something any renderer can show: each control character (but tab and
    newline), non-character and lone surrogate written as its escape (``\\x1b``, ``\\ufffe``,
    ``\\udc80``); with ``limit``, text longer than that many characters shortened to its
    first ``limit`` and a count of the rest."""
    text = _UNPRINTABLE.sub(_escaped, str(text))
    if limit is not None and len(text) > limit:
        return f"{text[:limit]}... ({len(text) - limit} more characters)"
    return text


def text_table(headers: Sequence[str], rows: Sequence[Sequence]) -> str:
    """An aligned plain-text table: text left-aligned, numbers right-aligned."""
    cells = [[format_number(c) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]
    numeric = [
        all(
            isinstance(row[i], (float, int, np.floating)) and not isinstance(row[i], bool)
            for row in rows
        )
        if rows
        else False
        for i in range(len(headers))
    ]

    def line(values):
        return "  ".join(
            v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)
        ).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(row) for row in cells]
    return "\n".join(out)


def html_table(
    headers: Sequence[str],
    rows: Sequence[Sequence],
    caption: str = "",
    bad_rows: Sequence[bool] = (),
) -> str:
    """The same table as HTML for notebooks; rows flagged in ``bad_rows`` are tinted red."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        style = ' style="background:#fdd"' if i < len(bad_rows) and bad_rows[i] else ""
        tds = "".join(f"<td>{html.escape(format_number(c))}</td>" for c in row)
        body.append(f"<tr{style}>{tds}</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


class Report:
    """Rows of checks (named tuples ending in a bool ``ok``) under ``headers``: truthy when every
    row passes, printed as an aligned table with ``summary()`` below it, HTML in notebooks with
    failing rows tinted. The gradcheck and crosscheck reports are Reports."""

    headers: tuple[str, ...] = ()

    def __init__(self, rows: list) -> None:
        self.rows = rows

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    def __bool__(self) -> bool:
        return self.ok

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def failures(self) -> list:
        return [r for r in self.rows if not r.ok]

    def cells(self, rows) -> list[tuple]:
        """The table's cells of ``rows``, one per header (a report whose rows carry more fields
        than it shows, or shows them in another order, says so here)."""
        n = len(self.headers)
        return [tuple(r)[:n] for r in rows]

    def table(self, rows=None) -> str:
        """``rows`` (default: all) as an aligned plain-text table under ``headers``."""
        return text_table(self.headers, self.cells(self.rows if rows is None else rows))

    def summary(self) -> str:  # pragma: no cover - each report says its own
        raise NotImplementedError

    def __str__(self) -> str:
        return self.table() + "\n" + self.summary()

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return html_table(
            self.headers,
            self.cells(self.rows),
            caption=self.summary(),
            bad_rows=[not r.ok for r in self.rows],
        )


class ParameterTable:
    """A network's parameters: name, shape, value and gradient (HTML in notebooks)."""

    headers = ("name", "value", "grad")

    def __init__(self, rows) -> None:
        self.rows = [
            (name, np.asarray(value), None if grad is None else np.asarray(grad))
            for name, value, grad in rows
        ]

    def _cells(self):
        return [
            (
                n,
                v if v.size > 1 else float(v),
                "-" if g is None else (g if g.size > 1 else float(g)),
            )
            for n, v, g in self.rows
        ]

    def __str__(self) -> str:
        return text_table(self.headers, self._cells())

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return html_table(self.headers, self._cells())
