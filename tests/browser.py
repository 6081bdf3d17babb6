"""A real browser for the tests: Debian's Chromium driven by Playwright for Python.

``playwright install`` cannot download browsers here, so Playwright launches the system
Chromium by path (``GRADSTEP_CHROMIUM`` or ``chromium`` on PATH). Without Playwright or a
Chromium the browser tests skip with a one-line reason; `.ci/run` installs both.

``watched(page, allowed)`` records console errors, page errors and every request, so a test
can fail on any of them."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-background-networking",  # no calls home: the machine has no network anyway
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    return os.environ.get("GRADSTEP_CHROMIUM") or shutil.which("chromium")


def launch(playwright):
    path = chromium_path()
    return playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)


def require_browser():
    """Skip the calling test (one line) when no browser can be driven."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        from autograd.extras import extra_hint

        pytest.skip(f"browser tests need Playwright for Python ({extra_hint('dev')})")
    if chromium_path() is None:
        pytest.skip("browser tests need Chromium (apt-get install -y chromium)")


class Watch:
    """What a page did that a test may forbid: console errors, uncaught errors, requests."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        page.on("request", lambda r: self.requests.append(r.url))


def watched(page) -> Watch:
    return Watch(page)
