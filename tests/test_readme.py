"""The README's Python examples print what the README says they print.

Every ```python block that is followed (directly, or after one short line such as "prints") by a
plain ``` block is run in a fresh namespace, in a temporary folder, and its standard output must
equal that block line for line: the front door cannot drift from the code. Two allowances: a
shown line starting with ``...`` stands for any lines (an abbreviated output), and numbers compare
to 1e-12 absolute (rounding noise such as a 1e-18 difference between engines depends on the
machine's numpy), every other character exactly."""

import contextlib
import io
import os
import pathlib
import re

import pytest

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"
FENCE = re.compile(r"```(\w*)\n(.*?)```", re.S)


def examples() -> list[tuple[int, str, str]]:
    text = README.read_text()
    found = []
    matches = list(FENCE.finditer(text))
    for this, after in zip(matches, matches[1:]):
        between = text[this.end() : after.start()].strip()
        if this.group(1) == "python" and after.group(1) == "" and len(between) <= 12:
            line = text[: this.start()].count("\n") + 1
            found.append((line, this.group(2), after.group(2)))
    return found


def test_the_readme_has_examples_with_their_outputs():
    assert len(examples()) >= 5


@pytest.mark.parametrize("line, code, expected", examples(), ids=lambda v: str(v)[:20])
def test_readme_example_prints_what_the_readme_shows(line, code, expected, tmp_path):
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"README.md:{line}", "exec"), {"__name__": "__readme__"})
    finally:
        os.chdir(cwd)
    got = [g.rstrip() for g in out.getvalue().rstrip("\n").splitlines()]
    want = [w.rstrip() for w in expected.rstrip("\n").splitlines()]
    assert matches(got, want), f"README.md line {line}:\n" + "\n".join(got)


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
