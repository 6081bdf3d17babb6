"""gradstep never replaces what it did not write: an output folder is gradstep's only when its
manifest (``.gradstep-files``) says so. A folder of the user's own files (``report.md``,
``results.json``, ``notes.txt``: the names gradstep writes, without the manifest) is refused by
name with exit status 2 by every command with ``--out``, and nothing in it is touched."""

import json
import subprocess
import sys

import pytest

from experiments.outdir import MANIFEST, check_output_dir, replacing

MINE = {"report.md": "my own report\n", "results.json": '{"mine": 1}\n', "notes.txt": "notes\n"}


@pytest.fixture
def users_folder(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    for name, text in MINE.items():
        (folder / name).write_text(text)
    return folder


def untouched(folder) -> bool:
    return {p.name: p.read_text() for p in folder.iterdir()} == MINE


def gradstep(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "experiments", *args], capture_output=True, text=True, cwd=cwd
    )


@pytest.mark.parametrize(
    "args",
    [
        ["lab1", "--quick"],
        ["sweep", "--lr", "0.1", "--hidden", "2", "--seeds", "1", "--epochs", "10", "--quiet"],
        ["watch", "--epochs", "10", "--quiet"],
        ["step"],
        ["graph"],
    ],
    ids=lambda a: a[0],
)
def test_a_folder_of_the_users_files_is_refused_by_name(users_folder, args):
    """lab1 and sweep (folders) and watch, step and graph (pages given a folder): exit 2, one
    line naming the folder, the user's three files as they were, nothing added."""
    done = gradstep(*args, "--out", str(users_folder), cwd=users_folder.parent)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gradstep: error: ")
    assert str(users_folder) in lines[0]
    assert untouched(users_folder)
    assert sorted(p.name for p in users_folder.parent.iterdir()) == ["mine"]  # no temp folder


def test_only_a_manifest_that_lists_the_markers_makes_a_folder_gradsteps(users_folder):
    """The two file names alone, a manifest that is not a list, or one without the markers:
    refused. A manifest listing them: accepted (an earlier output)."""
    markers = ("report.md", "results.json")
    with pytest.raises(ValueError, match="not an earlier lab1 output.*does not list report.md"):
        check_output_dir(users_folder, markers, "lab1 output")
    for manifest in ('{"report.md": 1}', '["notes.txt"]', "not json"):
        (users_folder / MANIFEST).write_text(manifest)
        with pytest.raises(ValueError, match="not an earlier lab1 output"):
            check_output_dir(users_folder, markers, "lab1 output")
    (users_folder / MANIFEST).write_text(json.dumps(["report.md", "results.json"]))
    check_output_dir(users_folder, markers, "lab1 output")


def test_a_file_gradstep_did_not_write_is_never_replaced(users_folder):
    """An earlier output whose manifest lists report.md only: a new run that also writes
    results.json and notes.txt finds the user's own files of those names and replaces nothing
    (its temporary folder removed); the files it did write before are replaced."""
    (users_folder / MANIFEST).write_text(json.dumps(["report.md"]))
    refused = pytest.raises(ValueError, match=r"holds notes.txt, results.json, which gradstep")
    with refused, replacing(users_folder) as tmp:
        for name in MINE:
            (tmp / name).write_text("gradstep's\n")
    assert all((users_folder / n).read_text() == t for n, t in MINE.items())
    assert sorted(p.name for p in users_folder.parent.iterdir()) == ["mine"]
    with replacing(users_folder) as tmp:
        (tmp / "report.md").write_text("gradstep's\n")
    assert (users_folder / "report.md").read_text() == "gradstep's\n"
    assert (users_folder / "notes.txt").read_text() == MINE["notes.txt"]
