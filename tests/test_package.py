"""The imported packages are this repository's (HIPS autograd shares the name ``autograd``), and
the wheel built from it holds, and imports from itself, every module and data file."""

import json
import pathlib

import pytest

import autograd
import experiments
import nets

REPO = pathlib.Path(__file__).resolve().parents[1]


def test_imported_autograd_is_this_repository():
    for package in (autograd, nets, experiments):
        path = pathlib.Path(package.__file__).resolve()
        assert REPO in path.parents, f"{package.__name__} imported from {path}, not {REPO}"
    assert hasattr(autograd, "Value") and hasattr(autograd, "topological_order")


# -- the wheel holds every module and every file the code reads ---------------------------------
PACKAGES = ("autograd", "nets", "experiments")
DATA = ("*.js", "*.mjs", "*.css", "*.ipynb", "*.md")  # front ends, notebooks, report templates


def _source_files(pattern: str) -> list[pathlib.Path]:
    return sorted(
        p.relative_to(REPO)
        for package in PACKAGES
        for p in (REPO / package).rglob(pattern)
        if "__pycache__" not in p.parts
    )


def _modules() -> list[str]:
    """Every module of the three packages by its dotted name (``__main__`` left out: importing it
    runs the command line; ``experiments/examples`` holds learners' scripts, not modules)."""
    names = []
    for path in _source_files("*.py"):
        if path.parts[:2] == ("experiments", "examples") or path.stem == "__main__":
            continue
        parts = path.with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _build_wheel(tmp_path: pathlib.Path) -> pathlib.Path:
    """``pip wheel --no-deps`` of a copy of the project (a build writes build/ and egg-info next
    to its sources), offline when setuptools and wheel are installed already."""
    import importlib.util
    import shutil
    import subprocess
    import sys

    source = tmp_path / "source"
    source.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    for package in PACKAGES:
        shutil.copytree(
            REPO / package, source / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    offline = all(importlib.util.find_spec(m) for m in ("setuptools", "wheel"))
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path)]
    command += ["--no-build-isolation"] if offline else []
    subprocess.run([*command, str(source)], check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("gradstep-*.whl")
    return wheel


@pytest.mark.slow
def test_the_wheel_holds_every_module_and_data_file_and_imports_from_itself(tmp_path):
    import subprocess
    import sys
    import zipfile

    wheel = _build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = _source_files("*.py") + [p for pattern in DATA for p in _source_files(pattern)]
    missing = [str(p) for p in wanted if p.as_posix() not in names]
    assert missing == [], f"the wheel lacks {missing}"
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import importlib, json, sys\n"
        f"sys.path.insert(0, {str(site)!r})\n"
        f"modules = {_modules()!r}\n"
        "files = {m: importlib.import_module(m).__file__ for m in modules}\n"
        "print(json.dumps(files))\n"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    files = json.loads(result.stdout)
    assert len(files) == len(_modules()) > 50
    strays = {m: f for m, f in files.items() if not pathlib.Path(f).is_relative_to(site)}
    assert strays == {}, "modules imported from outside the wheel"
