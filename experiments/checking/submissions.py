"""Submissions as learners hand them in, checked as they are, a whole class at once.

A **submission** is one of

- a ``.py`` file: a *step file* (it defines ``params`` and ``loss``, ``step`` or ``grads``: checked
  as today, ``experiments.checking.worker``) or a *program* (anything else: run as it is);
- a ``.ipynb`` notebook: its code cells in order, IPython magics (``%``, ``%%``) and shell lines
  (``!``) skipped, and said so;
- a folder holding one multi-file program: its entry is the file no other file of the folder
  imports (or ``--entry NAME``); the modules it imports are the learner's too, not rows.

A **class folder** holds one submission per learner (files, notebooks, folders) and gives a row
for each. A folder whose files import one another is one program, not a class.

A program runs in the sandbox of ``files.run_sandboxed`` under ``program_worker``, which stops it
after its first update(s) and reports what it saw; ``recognise`` judges that in this process.
"""

from __future__ import annotations

import ast
import contextlib
import json
import math
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from autograd.checks.tolerance import Tolerance

from .files import FileVerdict, check_file, child_environment, ended_early, shown_output
from .sandbox import run_contained, scratch_folder
from .text import terminal_text

__all__ = ["Submission", "find_submissions", "check_submission", "check_submissions"]

PROGRAM_WORKER = Path(__file__).with_name("program_worker.py")
REPORT_LIMIT = 256 * 2**20  # bytes of arrays a program's run may report
STEP_NAMES = {"loss", "step", "grads"}
ENTRY_NAMES = ("main.py", "train.py", "run.py", "lab.py", "lab1.py")


@dataclass
class Submission:
    """One learner's work: ``path`` as handed in, ``entry`` the file that runs, ``files`` the
    learner's own Python files, ``kind`` step file / program / notebook / folder."""

    path: Path
    kind: str
    entry: Path
    files: list[Path] = field(default_factory=list)
    problem: str = ""  # why it cannot be run at all (named in its row)


# -- finding submissions ------------------------------------------------------------------------
def _parse(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except (SyntaxError, ValueError, OSError):
        return None


def top_level_names(tree: ast.Module) -> set[str]:
    """Names a module binds at its top level (assignments, defs, classes, imports)."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def is_step_file(path: Path) -> bool:
    """A step or gradient file: it defines ``params`` and one of ``loss``, ``step``, ``grads``."""
    tree = _parse(path)
    names = top_level_names(tree) if tree else set()
    return "params" in names and bool(names & STEP_NAMES)


def _imports(path: Path) -> set[str]:
    tree = _parse(path)
    found: set[str] = set()
    for node in ast.walk(tree) if tree else ():
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.module:
                found.add(node.module.split(".")[0])
            if node.level:  # from . import helpers
                found |= {a.name for a in node.names}
    return found


def _python_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.rglob("*.py")
        if p.is_file()
        and not any(
            part.startswith(".") or part == "__pycache__" for part in p.relative_to(folder).parts
        )
    )


def _folder_program(folder: Path, entry: str | None) -> Submission:
    """A folder as one program: its entry (``entry``, else the one file nobody imports, a
    notebook, or a conventional name) and its files."""
    files = _python_files(folder)
    notebooks = sorted(folder.glob("*.ipynb"))
    if entry:
        chosen = folder / entry
        if not chosen.is_file():
            return Submission(folder, "folder", folder, files, f"--entry {entry}: no such file")
    else:
        modules = {p.stem for p in files} | {p.parent.name for p in files if p.parent != folder}
        imported = set().union(*(_imports(p) for p in files + [])) & modules if files else set()
        roots = [p for p in files if p.parent == folder and p.stem not in imported]
        candidates = notebooks if notebooks and not roots else roots
        if len(candidates) > 1:
            named = [p for p in candidates if p.name in ENTRY_NAMES]
            candidates = named[:1] if named else candidates
        if len(candidates) != 1:
            names = ", ".join(p.name for p in candidates) or "none"
            return Submission(
                folder, "folder", folder, files,
                f"cannot tell which file is the program (candidates: {names}); name it with "
                "--entry NAME",
            )  # fmt: skip
        chosen = candidates[0]
    kind = "notebook" if chosen.suffix == ".ipynb" else "folder"
    if kind == "folder" and is_step_file(chosen):
        kind = "step file"
    return Submission(folder, kind, chosen, files)


def _single(path: Path) -> Submission:
    if path.suffix == ".ipynb":
        return Submission(path, "notebook", path, [])
    return Submission(path, "step file" if is_step_file(path) else "program", path, [path])


def _is_one_program(folder: Path, entry: str | None) -> bool:
    """A folder is one program (not a class) when ``--entry`` names a file in it or its
    top-level files import one another."""
    if entry and (folder / entry).is_file():
        return True
    top = [p for p in folder.glob("*.py") if p.is_file()]
    stems = {p.stem for p in top}
    return any(_imports(p) & (stems - {p.stem}) for p in top)


def find_submissions(paths: list[Path], entry: str | None = None) -> list[Submission]:
    """The submissions in ``paths``: files, notebooks, program folders, and the submissions of
    class folders (each top-level file or notebook, each subfolder), in sorted order."""
    found: list[Submission] = []
    for path in paths:
        if path.is_dir():
            if _is_one_program(path, entry):
                found.append(_folder_program(path, entry))
                continue
            inside = []
            for child in sorted(path.iterdir()):
                if child.name.startswith(".") or child.name == "__pycache__":
                    continue
                if child.is_file() and child.suffix in (".py", ".ipynb"):
                    inside.append(_single(child))
                elif child.is_dir() and (_python_files(child) or list(child.glob("*.ipynb"))):
                    inside.append(_folder_program(child, entry))
            if not inside:
                raise ValueError(f"{terminal_text(path)}: a directory with no .py files to check")
            found += inside
        elif path.is_file():
            if path.suffix not in (".py", ".ipynb"):
                raise ValueError(
                    f"{terminal_text(path)}: not a Python file or notebook (gradstep check reads "
                    ".py and .ipynb)"
                )
            found.append(_single(path))
        elif path.exists():
            raise ValueError(f"{terminal_text(path)}: neither a file nor a directory")
        else:
            raise FileNotFoundError(f"{terminal_text(path)}: no such file or directory")
    return found


# -- the program's source -----------------------------------------------------------------------
def notebook_chunks(path: Path) -> tuple[list[dict], list[str]]:
    """A notebook's code cells as chunks of source (cell numbers counted as shown, from 1),
    with IPython magics and shell lines blanked; and the lines skipped, said as
    ``cell 3, line 1: %matplotlib inline``. Raises ValueError for a file that is not one."""
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ValueError(f"not a readable notebook ({type(e).__name__}: {e})") from None
    chunks, skipped = [], []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        lines = source.splitlines()
        if lines and lines[0].lstrip().startswith("%%"):
            skipped.append(f"cell {number}: the whole cell ({lines[0].strip()})")
            continue
        kept = []
        for i, line in enumerate(lines, start=1):
            if line.lstrip().startswith(("%", "!")):
                skipped.append(f"cell {number}, line {i}: {line.strip()}")
                indent = line[: len(line) - len(line.lstrip())]
                kept.append(f"{indent}pass")
            else:
                kept.append(line)
        chunks.append({"filename": f"{path}#cell{number}", "source": "\n".join(kept) + "\n"})
    return chunks, skipped


def program_spec(sub: Submission) -> tuple[dict, list[str]]:
    """The worker's spec for a program submission, and the notebook lines skipped."""
    entry = sub.entry.resolve()
    skipped: list[str] = []
    if entry.suffix == ".ipynb":
        chunks, skipped = notebook_chunks(entry)
    else:
        source = entry.read_text(encoding="utf-8", errors="replace")
        chunks = [{"filename": str(entry), "source": source}]
    files = [str(p.resolve()) for p in sub.files] or [str(entry)]
    spec = {"entry": str(entry), "root": str(entry.parent), "files": files, "chunks": chunks}
    return spec, skipped


def shown_place(file: str, root: Path) -> str:
    """``alice.py, line 3`` or ``lab.ipynb, cell 4`` for a worker's file name."""
    name, _, cell = file.partition("#cell")
    try:
        shown = str(Path(name).relative_to(root))
    except ValueError:
        shown = Path(name).name
    return f"{shown}, cell {cell}" if cell else shown


def program_trees(spec: dict) -> list[ast.AST]:
    """The parsed source of every part of the program: the entry's chunks (a notebook's cells)
    and its other files; a part that does not parse is left out."""
    sources = [c["source"] for c in spec["chunks"]]
    for f in spec["files"]:
        if f != spec["entry"]:
            with contextlib.suppress(OSError):
                sources.append(Path(f).read_text(encoding="utf-8", errors="replace"))
    trees = []
    for source in sources:
        with contextlib.suppress(SyntaxError, ValueError):
            trees.append(ast.parse(source))
    return trees


def literals(spec: dict) -> set[float]:
    """Every positive number written in the program's source (an lr is one of them)."""
    out: set[float] = set()
    for tree in program_trees(spec):
        for node in ast.walk(tree):
            number = isinstance(node, ast.Constant) and type(node.value) in (int, float)
            if number and node.value > 0 and math.isfinite(node.value):
                out.add(float(node.value))
    return out


# -- the child's report -------------------------------------------------------------------------
def load_report(prefix: Path) -> tuple[dict, list] | None:
    """The run's JSON and its slots with their arrays; None when it wrote none. Arrays are read
    only from an uncompressed archive within ``REPORT_LIMIT`` (no pickles)."""
    from .recognise import Slot

    try:
        report = json.loads(Path(f"{prefix}.json").read_text(encoding="utf-8"))
        archive = Path(f"{prefix}.npz")
        if archive.stat().st_size > REPORT_LIMIT:
            return None
        with zipfile.ZipFile(archive) as z:
            if any(
                i.compress_type != zipfile.ZIP_STORED or i.file_size > REPORT_LIMIT
                for i in z.infolist()
            ):
                return None
        arrays = np.load(archive, allow_pickle=False)
        slots = []
        for entry in report["slots"]:
            values = [(int(v["line"]), arrays[v["array"]]) for v in entry["values"]]
            dtype = entry["values"][0]["dtype"] if entry["values"] else "float64"
            complete = entry["changes"] < len(values) or len(values) < 4
            slots.append(Slot(str(entry["label"]), values, int(entry["changes"]), dtype, complete))
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile):
        return None
    return report, slots


# -- checking -----------------------------------------------------------------------------------
def check_program(
    sub: Submission, *, timeout: float, memory_mb: int, tolerance: Tolerance
) -> FileVerdict:
    """Run a program submission to its first update and judge it; one row, never raises for
    the learner's sake."""
    start = time.perf_counter()
    try:
        spec, skipped = program_spec(sub)
    except (OSError, ValueError) as e:
        return FileVerdict(str(sub.path), "error", str(e), submission=sub.kind)
    notes = [f"skipped IPython lines: {'; '.join(skipped)}"] if skipped else []
    with scratch_folder() as scratch:
        spec_path = scratch / "spec.json"
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        prefix = scratch / "run"
        run = run_contained(
            [sys.executable, str(PROGRAM_WORKER), str(spec_path), str(prefix)],
            cwd=Path(spec["root"]),
            scratch=scratch,
            timeout=timeout,
            memory_mb=memory_mb,
            env=child_environment(),
        )
        code, shown = run.code, shown_output(run.output)
        phase = _read(Path(f"{prefix}.phase")) or "starting"
        loaded = load_report(prefix) if code is not None else None
    row = FileVerdict(
        str(sub.path), "error", "", kind="step", output=shown, submission=sub.kind, notes=notes
    )
    row.seconds = time.perf_counter() - start
    if code is None:
        row.message = f"timed out after {timeout:g} s ({phase})"
        return row
    if loaded is None:
        row.message = ended_early(code, memory_mb) + f" ({phase})"
        return row
    report, slots = loaded
    return _judged(row, report, slots, spec, tolerance)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


def _error_text(error: dict, root: Path) -> str:
    where = ""
    if error.get("file"):
        where = f" ({shown_place(error['file'], root)}, line {error.get('line')}"
        code = str(error.get("code") or "").strip()
        where += f": `{code}`)" if code else ")"
    return f"running it raised {error['message']}{where}"


def _judged(row: FileVerdict, report: dict, slots: list, spec: dict, tolerance) -> FileVerdict:
    from .recognise import recognise

    root = Path(spec["root"])
    if report.get("inputs_answered"):
        row.notes.append(f"input() was answered with an empty line {report['inputs_answered']}x")
    error = report.get("error")
    updated = any(s.updated for s in slots)
    if error and not updated:
        row.message = _error_text(error, root)
        if report["why"] == "exited":
            row.message = (
                f"running it raised SystemExit: {error['message']} before its first update"
            )
        return row
    result = recognise(slots, tolerance, literals(spec), row.output)
    row.status, row.message = result.status, result.message
    row.found, row.loss, row.lr = result.found, result.loss, result.lr
    row.notes += result.notes
    if error:
        row.notes.append("after its first update, " + _error_text(error, root))
    if result.report is not None:
        row.notes += result.report.notes  # check_step's and the kinks'
        row.parameters = _parameters(result.report)
        row.report = {
            "summary": result.report.summary(),
            "table": result.report.table(),
            "failures": result.report.table(result.report.failures()),
        }
    if result.status == "not recognised":
        if report["why"] == "ended" and not updated:
            row.message = "the program ran to its end without updating any array"
        from .adapter import adapter_text

        row.adapter = adapter_text(spec, slots, result)
    return row


def _parameters(report) -> dict:
    def finite(x):
        return x if math.isfinite(x) else None

    return {
        p.name: {
            "entries": p.entries,
            "wrong": p.wrong,
            "worst_abs_error": finite(p.worst_abs_error),
            "worst_rel_error": finite(p.worst_rel_error),
            "verdict": str(p),
        }
        for p in report.parameters
    }


def check_submission(
    sub: Submission,
    *,
    timeout: float = 60.0,
    memory_mb: int = 4096,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> FileVerdict:
    """One submission's row: a step file checked as today, a program run and judged."""
    if sub.problem:
        return FileVerdict(str(sub.path), "error", sub.problem, submission=sub.kind)
    if sub.kind == "step file":
        row = check_file(sub.entry, timeout=timeout, memory_mb=memory_mb, eps=eps, atol=atol,
                         rtol=rtol)  # fmt: skip
        row.file = str(sub.path)
        return row
    tolerance = Tolerance(eps, atol, rtol)
    row = check_program(sub, timeout=timeout, memory_mb=memory_mb, tolerance=tolerance)
    row.file = str(sub.path)
    return row


def check_submissions(
    subs: list[Submission], progress=None, jobs: int = 2, **options
) -> list[FileVerdict]:
    """Every submission's row, ``jobs`` at a time (each in its own process); ``progress(row)``
    for each in the submissions' order, as soon as it and those before it are done."""
    rows: list[FileVerdict | None] = [None] * len(subs)
    shown = 0
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(check_submission, s, **options): i for i, s in enumerate(subs)}
        for future in as_completed(futures):
            rows[futures[future]] = future.result()
            while shown < len(rows) and rows[shown] is not None:
                if progress is not None:
                    progress(rows[shown])
                shown += 1
    return rows


# -- files for the teacher ----------------------------------------------------------------------
def write_adapters(rows: list[FileVerdict], folder: Path) -> list[Path]:
    """Each not-recognised submission's adapter as ``folder/NAME.adapter.py``; the paths."""
    from autograd.files import write_file

    from .text import readable

    written, taken = [], set()
    for row in rows:
        if not row.adapter:
            continue
        stem = "".join(
            c if c.isalnum() or c in "-_" else "_" for c in readable(Path(row.file).stem)
        )
        name = stem or "submission"
        k = 2
        while name in taken:
            name, k = f"{stem}_{k}", k + 1
        taken.add(name)
        folder.mkdir(parents=True, exist_ok=True)
        written.append(write_file(folder / f"{name}.adapter.py", row.adapter))
    return written


def write_class_page(rows: list[FileVerdict], path: Path) -> Path:
    """``--html``: the class's page (``class_page``), saved the one way pages are."""
    from autograd.views.frontend import save_page

    from .class_page import class_page

    return save_page(path, lambda: class_page(rows))
