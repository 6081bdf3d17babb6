"""``gradstep check --html``: the class's page, in Chromium, by role and accessible name."""

from __future__ import annotations

import pytest
from browser import watched

from experiments.checking.class_page import class_page
from experiments.checking.files import FileVerdict
from experiments.checking.submissions import write_class_page

HOSTILE = "</script><img src=x onerror=\"document.title='owned'\">&amp;\u2028\u2029"


def _rows() -> list[FileVerdict]:
    wrong = FileVerdict(
        "bob.py", "wrong", "step WRONG for w2: the others descend BCE (sum) with lr 0.05",
        kind="step", submission="program", loss="BCE (sum)", lr=0.05,
        parameters={"w2": {"entries": 16, "wrong": 16, "verdict": "w2: wrong: order bug"}},
        report={"table": "entry  step / -lr\nw2[0,0]  0.1"},
    )  # fmt: skip
    right = FileVerdict(
        "alice.py", "ok", "step right: descends MSE with lr 0.5", kind="step",
        submission="program", loss="MSE", lr=0.5, output="epoch 0 loss 0.25",
    )  # fmt: skip
    odd = FileVerdict(
        f"carol{HOSTILE}.py", "not recognised", f"found nothing {HOSTILE}",
        submission="program", found=[f"updated: w {HOSTILE}"], adapter="def step(params):\n",
    )  # fmt: skip
    broken = FileVerdict("dave.ipynb", "error", "running it raised ValueError (cell 3, line 2)")
    return [wrong, right, odd, broken]


def test_the_page_carries_learner_text_as_escaped_data():
    html = class_page(_rows())
    assert HOSTILE not in html and "<img" not in html  # never markup
    assert "\\u003c/script\\u003e" in html and "\\u2028" in html
    assert "http://" not in html and "https://" not in html  # nothing to fetch


def _open(browser, tmp_path, width=1024, height=700):
    path = write_class_page(_rows(), tmp_path / "class.html")
    page = browser.new_page(viewport={"width": width, "height": height})
    seen = watched(page)
    page.goto(path.as_uri())
    return page, seen, path


@pytest.mark.browser
def test_the_class_page_sorts_and_opens_rows(browser, tmp_path):
    """Column headers are buttons that sort (aria-sort says how); a row's file is a button that
    opens its details (diagnoses, table, adapter, output) as a named region; hostile text is
    shown as text; no console error, no request but the file."""
    page, seen, path = _open(browser, tmp_path)
    table = page.get_by_role("table")
    assert page.get_by_text("4 submissions: 1 error, 1 not recognised, 1 wrong, 1 ok").is_visible()

    def files():
        return [b.inner_text() for b in table.locator("tbody").get_by_role("button").all()]

    assert files()[:2] == ["bob.py", "alice.py"]  # the batch's order first
    status = page.get_by_role("button", name="Status")
    status.click()
    header = page.get_by_role("columnheader", name="Status")
    assert header.get_attribute("aria-sort") == "ascending"
    assert files()[0] == "dave.ipynb" and files()[-1] == "alice.py"  # worst first
    status.click()
    assert header.get_attribute("aria-sort") == "descending" and files()[0] == "alice.py"
    page.get_by_role("button", name="lr").click()
    assert files()[:2] == ["bob.py", "alice.py"]  # 0.05 before 0.5, none last
    bob = page.get_by_role("button", name="bob.py")
    assert bob.get_attribute("aria-expanded") == "false"
    region = page.get_by_role("region", name="Details of bob.py")
    assert not region.is_visible()
    bob.click()
    assert bob.get_attribute("aria-expanded") == "true" and region.is_visible()
    assert "w2: wrong: order bug" in region.inner_text()
    assert "w2[0,0]  0.1" in region.inner_text()
    odd = page.get_by_role("button", name=f"carol{HOSTILE}.py")
    odd.click()
    details = page.get_by_role("region", name=f"Details of carol{HOSTILE}.py")
    assert HOSTILE in details.inner_text() and "def step(params):" in details.inner_text()
    assert page.locator("img").count() == 0 and page.title() == "gradstep check"
    box = table.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 1024  # no sideways scroll at 1024
    page.screenshot(path=str(tmp_path / "class-1024.png"), full_page=True)
    bob.click()
    assert not region.is_visible()
    assert seen.errors == []
    assert seen.requests == [path.as_uri()]
    page.close()
