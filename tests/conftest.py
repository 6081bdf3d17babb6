import pathlib
import sys

import pytest

# Make ``catalog`` importable from every test module.
sys.path.insert(0, str(pathlib.Path(__file__).parent))

# Fixtures that launch Chromium or JupyterLab, and those that take long to set up (the quick lab
# run, the Sphinx site): every test using one gets the marker, so `pytest -m "not slow and not
# browser"` (the quick loop) never starts them. Tests slow on their own say @pytest.mark.slow.
BROWSER_FIXTURES = {"browser", "jupyter_lab"}
SLOW_FIXTURES = {"jupyter_lab", "quick_lab", "site"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)
        if used & SLOW_FIXTURES:
            item.add_marker(pytest.mark.slow)


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
