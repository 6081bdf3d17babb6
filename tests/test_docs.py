"""The documentation site: complete, built offline as a user builds it, and readable in a browser.

- every public name of ``autograd`` and ``nets`` has an entry in the API reference;
- ``sphinx-build -W`` (what ``make docs`` runs) builds the site with no warning, the walkthrough
  notebook executed into it;
- every internal link of every page points at a page and an anchor that exist;
- every page opens in Chromium with no console error and no request off the machine.
The examples in the pages are run by ``tests/test_readme.py``.
"""

from __future__ import annotations

import functools
import html.parser
import importlib.util
import os
import pathlib
import re
import subprocess
import sys
import urllib.parse

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"


def documented_names(page: str) -> set[str]:
    text = (DOCS / "api" / page).read_text()
    return set(re.findall(r"\.\. (?:auto\w+|py:data):: \w+\.(\w+)", text))


@pytest.mark.parametrize("package", ["autograd", "nets"])
def test_the_api_reference_covers_every_public_name(package):
    module = __import__(package)
    documented = documented_names(f"{package}.md")
    assert set(module.__all__) - documented == set(), "public names without an API entry"
    assert documented - set(module.__all__) == set(), "API entries for names not exported"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> pathlib.Path:
    """The built site. ``GRADSTEP_DOCS_SITE`` names one that ``make docs`` (``sphinx-build -W``,
    the same command) built in this checkout, as ``.ci/run`` does just before the tests; else
    the site is built here."""
    built = os.environ.get("GRADSTEP_DOCS_SITE")
    if built:
        path = pathlib.Path(built).resolve()
        assert (path / "index.html").exists(), f"GRADSTEP_DOCS_SITE={built} holds no built site"
        return path
    for tool in ("sphinx", "myst_nb", "furo"):
        if importlib.util.find_spec(tool) is None:
            pytest.skip(f"the documentation needs {tool} (pip install -e '.[docs]')")
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-E", "-b", "html",
         str(DOCS), str(out), "-d", str(out / ".doctrees")],
        capture_output=True, text=True, cwd=REPO, timeout=900,
    )  # fmt: skip
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line or "ERROR" in line]
    warnings = [w for w in warnings if "IPKernelApp" not in w]  # the kernel's own stderr
    assert result.returncode == 0 and not warnings, result.stderr[-3000:]
    return out


class Links(html.parser.HTMLParser):
    """The hrefs and srcs of a page, and the ids it defines."""

    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        for key in ("href", "src"):
            if attrs.get(key):
                self.targets.append(attrs[key])


@functools.cache
def parse(path: pathlib.Path) -> Links:
    links = Links()
    links.feed(path.read_text(encoding="utf-8"))
    return links


def pages(site: pathlib.Path) -> list[pathlib.Path]:
    return sorted(p for p in site.rglob("*.html") if "_static" not in p.parts)


@pytest.mark.slow
def test_the_site_builds_with_every_page_and_the_notebook(site):
    names = {p.relative_to(site).as_posix() for p in pages(site)}
    expected = {
        "index.html", "getting-started.html", "engine.html", "networks.html", "seeing.html",
        "checking.html", "timeline.html", "lab.html", "higher-order.html", "performance.html",
        "safety.html", "cli.html", "api/autograd.html", "api/nets.html",
        "notebooks/walkthrough.html", "notebooks/from_micrograd.html", "from_micrograd.html",
    }  # fmt: skip
    assert expected <= names
    api = (site / "api" / "autograd.html").read_text()
    assert 'id="autograd.gradcheck"' in api and 'id="autograd.Value"' in api


@pytest.mark.slow
def test_every_internal_link_points_at_a_page_and_anchor_that_exist(site):
    broken = []
    for page in pages(site):
        for target in parse(page).targets:
            url = urllib.parse.urlparse(target)
            if url.scheme in ("http", "https", "mailto", "data", "javascript"):
                continue
            path = (page.parent / urllib.parse.unquote(url.path)).resolve() if url.path else page
            if not path.exists():
                broken.append(f"{page.relative_to(site)} -> {target}")
                continue
            if url.fragment and path.suffix == ".html" and url.fragment not in parse(path).ids:
                broken.append(f"{page.relative_to(site)} -> {target} (no such anchor)")
    assert broken == []


@pytest.mark.slow
@pytest.mark.browser
def test_every_page_opens_offline_with_no_console_error(site, browser):
    from browser import watched

    page = browser.new_page(viewport={"width": 1024, "height": 700})
    watch = watched(page)
    for path in pages(site):
        page.goto(path.as_uri(), wait_until="load")
        assert page.title().endswith("gradstep"), path
        if path.name not in ("search.html", "genindex.html"):  # Sphinx's own, with no heading
            assert page.get_by_role("heading", level=1).first.is_visible(), path
    off_machine = [u for u in watch.requests if not u.startswith("file://")]
    assert watch.errors == [] and off_machine == [], (watch.errors, off_machine)
    page.close()


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("notebook", ["walkthrough", "from_micrograd"])
def test_the_notebooks_steppers_step_in_the_static_site(site, browser, notebook):
    """The executed notebook's steppers and timelines show as their self-contained pages (no
    widget manager, no kernel): a stepper's frame holds the graph and a working Next button, a
    timeline's its Epoch slider."""
    page = browser.new_page(viewport={"width": 1024, "height": 700})
    watch = watched_page(page)
    page.goto((site / "notebooks" / f"{notebook}.html").as_uri(), wait_until="load")
    frames = page.locator("iframe")
    assert frames.count() >= 1
    for k in range(frames.count()):
        frames.nth(k).scroll_into_view_if_needed()
        inner = page.frame_locator("iframe").nth(k)
        if "training of" in frames.nth(k).get_attribute("title"):
            assert inner.get_by_role("slider", name=re.compile("Epoch")).is_visible()
            continue
        status = inner.get_by_text(re.compile(r"^step 0 / \d+"))
        assert status.is_visible()
        inner.get_by_role("button", name=re.compile("Next")).click()
        assert inner.get_by_text(re.compile(r"^step 1 / \d+")).is_visible()
        assert inner.locator("svg").first.is_visible()
    assert watch.errors == [] and [u for u in watch.requests if not u.startswith("file:")] == []
    page.close()


def watched_page(page):
    from browser import watched

    return watched(page)
