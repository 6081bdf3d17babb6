import pathlib
import sys

import pytest

# Make ``catalog`` importable from every test module.
sys.path.insert(0, str(pathlib.Path(__file__).parent))


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright, one per test module (skips without them)."""
    from browser import launch, require_browser

    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()
