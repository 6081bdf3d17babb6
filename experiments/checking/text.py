"""Learner text is data: what a checked file says (its name, its parameters' names, its messages,
its output) reaches the teacher's terminal and spreadsheet only through these functions.

- ``readable(text)``: valid Unicode from anything a file can produce: bytes are decoded as UTF-8
  with replacement, a file name that is not UTF-8 (``os.fsdecode`` keeps its bytes as lone
  surrogates, U+DC80..U+DCFF) and any other lone surrogate become U+FFFD. Used for JSON.
- ``terminal_text(text)``: ``readable`` with every character a terminal would act on shown
  escaped, as Python writes it: ESC as ``\\x1b``, a carriage return as ``\\r``, bidirectional
  overrides as ``\\u202e`` (newlines and tabs too, unless ``lines=True`` keeps them).
- ``csv_cell(text)``: ``terminal_text(..., lines=True)``, then a cell that a spreadsheet would
  read as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a
  leading ``'``, the spreadsheet convention (OWASP's "CSV injection").
- ``safe_streams()``: stdout and stderr write what their encoding cannot hold as backslash
  escapes instead of raising (``PYTHONIOENCODING=ascii:strict``, ``LC_ALL=C``), so one odd name
  never stops a batch.
"""

from __future__ import annotations

import os
import sys
from contextlib import suppress

__all__ = ["csv_cell", "readable", "safe_streams", "terminal_text"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_KEPT_IN_LINES = "\n\t"


def readable(text) -> str:
    """``text`` (str, bytes, a path or anything with a ``str``) as valid Unicode: undecodable
    bytes and lone surrogates become U+FFFD."""
    if isinstance(text, bytes):
        return text.decode("utf-8", errors="replace")
    if isinstance(text, os.PathLike):
        text = os.fspath(text)
        if isinstance(text, bytes):
            return text.decode("utf-8", errors="replace")
    text = text if isinstance(text, str) else str(text)
    try:  # surrogates back to the bytes they stand for (surrogateescape), then replaced
        return text.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")
    except UnicodeEncodeError:  # a surrogate outside U+DC80..U+DCFF: not from a file name
        return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)


def _escaped(c: str) -> str:
    code = ord(c)
    if c == "\n":
        return "\\n"
    if c == "\r":
        return "\\r"
    if c == "\t":
        return "\\t"
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def terminal_text(text, *, lines: bool = False) -> str:
    """``text`` safe to print: every non-printable character (control characters, escape
    sequences' ESC, DEL, C1 controls, format characters such as bidirectional overrides,
    unassigned code points) shown as its Python escape; newlines and tabs kept when ``lines``.
    A backslash stays a backslash: the text is shown, not decoded."""
    text = readable(text)
    return "".join(
        c if c.isprintable() or (lines and c in _KEPT_IN_LINES) else _escaped(c) for c in text
    )


def csv_cell(text) -> str:
    """``text`` as a CSV cell no spreadsheet runs: escaped as ``terminal_text`` (newlines kept:
    the CSV quoting holds them), and prefixed with ``'`` when it would start a formula."""
    text = readable(text)
    cell = terminal_text(text, lines=True)
    return "'" + cell if text.startswith(FORMULA_STARTS) else cell


def safe_streams() -> None:
    """Make stdout and stderr write unencodable characters as backslash escapes, never raise."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with suppress(ValueError, OSError):  # a stream that cannot change (closed, detached)
                reconfigure(errors="backslashreplace")
