"""The README's and the documentation's Python examples print what they say they print.

In README.md and every page of docs/, every ```python block that is followed (directly, or after
one short line such as "prints") by a plain ``` block is run in a fresh namespace, in a temporary
folder, and its standard output must equal that block line for line: the front door cannot drift
from the code. Two allowances: a shown line starting with ``...`` stands for any lines (an
abbreviated output), and numbers compare to 1e-12 absolute (rounding noise such as a 1e-18
difference between engines depends on the machine's numpy), every other character exactly."""

import contextlib
import io
import os
import pathlib
import re

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
README = REPO / "README.md"
DOCUMENTS = [README, *sorted((REPO / "docs").glob("**/*.md"))]
FENCE = re.compile(r"```(\w*)\n(.*?)```", re.S)


def examples(document: pathlib.Path = README) -> list[tuple[int, str, str]]:
    text = document.read_text()
    found = []
    matches = list(FENCE.finditer(text))
    for this, after in zip(matches, matches[1:]):
        between = text[this.end() : after.start()].strip()
        if this.group(1) == "python" and after.group(1) == "" and len(between) <= 12:
            line = text[: this.start()].count("\n") + 1
            found.append((line, this.group(2), after.group(2)))
    return found


def every_example() -> list[tuple[str, int, str, str]]:
    return [
        (str(doc.relative_to(REPO)), line, code, expected)
        for doc in DOCUMENTS
        for line, code, expected in examples(doc)
    ]


def test_the_readme_and_the_docs_have_examples_with_their_outputs():
    assert len(examples()) >= 2  # the front door keeps two; the pages hold the rest
    assert len(every_example()) >= 8


@pytest.mark.slow
@pytest.mark.parametrize(
    "document, line, code, expected",
    every_example(),
    ids=[f"{doc}:{line}" for doc, line, _, _ in every_example()],
)
def test_example_prints_what_its_page_shows(document, line, code, expected, tmp_path):
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"{document}:{line}", "exec"), {"__name__": "__readme__"})
    finally:
        os.chdir(cwd)
    got = [g.rstrip() for g in out.getvalue().rstrip("\n").splitlines()]
    want = [w.rstrip() for w in expected.rstrip("\n").splitlines()]
    assert matches(got, want), f"{document} line {line}:\n" + "\n".join(got)


NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?")


def same_line(got: str, want: str) -> bool:
    """Equal but for numbers within 1e-12 and the widths of the spaces between table columns."""
    if re.sub(r"\s+", " ", NUMBER.sub("#", got)) != re.sub(r"\s+", " ", NUMBER.sub("#", want)):
        return False
    for a, b in zip(NUMBER.findall(got), NUMBER.findall(want)):
        if abs(float(a) - float(b)) > 1e-12 + 1e-9 * abs(float(b)):
            return False
    return True


def matches(got: list[str], want: list[str]) -> bool:
    """Line by line; a wanted line starting with ``...`` matches any run of lines."""
    if not want:
        return not got
    if want[0].startswith("..."):
        return any(matches(got[k:], want[1:]) for k in range(len(got) + 1))
    return bool(got) and same_line(got[0], want[0]) and matches(got[1:], want[1:])


def test_the_matcher_catches_drift_and_allows_noise():
    assert matches(["a = 1.30104e-18", "x", "y", "end 2"], ["a = 8.7e-19", "...", "end 2"])
    assert not matches(["a2[2] = 0.367489"], ["a2[2] = -0.47023"])
    assert not matches(["one", "two"], ["one"])
