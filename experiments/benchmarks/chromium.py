"""Debian's Chromium driven by Playwright, for the benchmarks that time a page in a browser."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["chromium_browser"]

ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]


@contextmanager
def chromium_browser() -> Iterator[object | None]:
    """A launched browser, or None when Playwright or Chromium is missing (the caller reports
    its browser rows as skipped)."""
    path = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        path = None
    if path is None:
        yield None
        return
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()
