"""Learner text is data: escape sequences, formula cells, names that are not UTF-8 and lone
surrogates reach the terminal, the CSV and the JSON of ``gradstep check`` as text, and one odd
name never stops a batch (also under a strict ASCII stdout)."""

import csv
import io
import json
import os
import subprocess
import sys

import pytest

from experiments.checking.text import csv_cell, readable, terminal_text

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

HOSTILE = "\x1b]0;pwned\x07\x1b[2J\rok fake.py: step right"


def test_terminal_text_shows_control_characters_escaped():
    assert terminal_text(HOSTILE) == "\\x1b]0;pwned\\x07\\x1b[2J\\rok fake.py: step right"
    assert terminal_text("a\nb\tc") == "a\\nb\\tc"
    assert terminal_text("a\nb\tc", lines=True) == "a\nb\tc"
    assert terminal_text("\u202eevil\x7f\x9b") == "\\u202eevil\\x7f\\x9b"  # bidi, DEL, C1 CSI
    assert terminal_text("W\u00e9 \u4e2d \\x1b") == "W\u00e9 \u4e2d \\x1b"  # text stays text


def test_names_that_are_not_utf8_and_lone_surrogates_become_replacement_characters():
    name = os.fsdecode(b"bad\xff.py")  # what os.listdir gives for a name that is not UTF-8
    assert name == "bad\udcff.py"
    assert readable(name) == terminal_text(name) == "bad\ufffd.py"
    assert readable(b"bad\xff.py") == "bad\ufffd.py"
    assert readable("lone \ud800 high") == "lone \ufffd high"
    assert terminal_text("lone \ud800 high") == "lone \ufffd high"
    assert readable(name).encode("utf-8")  # encodable: never a UnicodeEncodeError later


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_that_start_a_formula_are_neutralised(start):
    cell = csv_cell(start + 'HYPERLINK("http://x")')
    assert cell.startswith("'") and "HYPERLINK" in cell


def test_csv_cells_of_plain_text_are_unchanged_and_escaped():
    assert csv_cell("W1: wrong in 2 of 4 entries") == "W1: wrong in 2 of 4 entries"
    assert csv_cell("line one\nline two") == "line one\nline two"
    assert csv_cell("ok\x1b[2J") == "ok\\x1b[2J"


RIGHT = (
    "import numpy as np\nlr = 0.1\nparams = {NAME: np.array([1.0, -2.0])}\n"
    "def loss(p): return float(np.sum(p[NAME] ** 2))\n"
    "def step(p): p[NAME] -= lr * 2 * p[NAME]{BUG}\n"
)


def batch_folder(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    files = {
        "=cmd|' -C calc'!A0.py": RIGHT.replace("NAME", "'W'").replace("{BUG}", ""),
        "escapes.py": f"raise ValueError({HOSTILE!r})\n",
        "formula_param.py": RIGHT.replace("NAME", '\'=HYPERLINK("http://x","y")\'').replace(
            "{BUG}", " / 4"
        ),
        "surrogate.py": "raise ValueError('lone \\ud800 surrogate')\n",
        "z_last.py": RIGHT.replace("NAME", "'W'").replace("{BUG}", ""),
    }
    for name, source in files.items():
        (folder / name).write_text(source)
    with open(os.path.join(os.fsencode(folder), b"bad\xff.py"), "w") as f:
        f.write(RIGHT.replace("NAME", "'W'").replace("{BUG}", ""))
    return folder


def check_folder(folder, tmp_path, env):
    return subprocess.run(
        [sys.executable, "-m", "experiments", "check", ".", "--json", str(tmp_path / "g.json"),
         "--csv", str(tmp_path / "g.csv"), "--timeout", "30"],
        cwd=folder, env=env, capture_output=True,
    )  # fmt: skip


@pytest.mark.slow
def test_a_batch_of_odd_names_is_checked_whole_and_shown_as_text(tmp_path):
    """Under a strict ASCII stdout every file is checked and gets its row in the JSON and the
    CSV; nothing a file says reaches the terminal raw; formula cells are neutralised; the run
    ends normally (exit 2: two files raise)."""
    folder = batch_folder(tmp_path)
    result = check_folder(folder, tmp_path, dict(os.environ, PYTHONIOENCODING="ascii:strict"))
    out = result.stdout.decode("ascii")  # strict: the stream held only ASCII
    assert result.returncode == 2, out + result.stderr.decode(errors="replace")
    assert b"\x1b" not in result.stdout and b"\x07" not in result.stdout
    assert "\\x1b]0;pwned\\x07\\x1b[2J\\rok fake.py: step right" in out
    assert "6 files: 3 ok, 1 wrong, 2 error" in out
    records = json.loads((tmp_path / "g.json").read_text(encoding="utf-8"))
    names = [r["file"] for r in records]
    assert names == sorted(names) and len(names) == 6
    assert "bad\ufffd.py" in names
    by_name = {r["file"]: r for r in records}
    assert by_name["bad\ufffd.py"]["status"] == "ok"
    assert by_name["z_last.py"]["status"] == "ok"
    assert "lone \ufffd surrogate" in by_name["surrogate.py"]["message"]
    rows = list(csv.reader(io.StringIO((tmp_path / "g.csv").read_text(encoding="utf-8"))))
    assert rows[0] == ["file", "status", "kind", "wrong", "message", "diagnosis"]
    cells = {row[0]: row for row in rows[1:]}
    assert len(cells) == 6
    assert "'=cmd|' -C calc'!A0.py" in cells  # the file name is no formula
    param = cells["formula_param.py"]
    assert param[1] == "wrong" and param[3].startswith("'=HYPERLINK")
    assert param[5].startswith("'=HYPERLINK") and "scaled by 1/4" in param[5]
    assert all(not c.startswith(("=", "+", "-", "@")) for row in rows for c in row)


@pytest.mark.slow
def test_the_c_locale_prints_a_name_that_is_not_utf8(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    with open(os.path.join(os.fsencode(folder), b"bad\xff.py"), "w") as f:
        f.write(RIGHT.replace("NAME", "'W'").replace("{BUG}", ""))
    (folder / "escapes.py").write_text(f"raise ValueError({HOSTILE!r})\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "PYTHONIO"))}
    result = check_folder(folder, tmp_path, dict(env, LC_ALL="C", LANG="C"))
    assert result.returncode == 2, result.stderr
    assert b"\x1b" not in result.stdout and b"2 files: 1 ok, 1 error" in result.stdout
    records = json.loads((tmp_path / "g.json").read_text(encoding="utf-8"))
    assert [r["file"] for r in records] == ["bad\ufffd.py", "escapes.py"]
