"""``gradstep check PATH...``: check learners' files, each in a process of its own.

A learner's file is code that gradstep did not write: it may loop forever, exhaust memory,
print megabytes of binary, call ``sys.exit`` or ``os._exit``, or crash the interpreter. Each file
therefore runs in its own subprocess (``worker.py``) with

- its own folder as working directory and first on ``sys.path`` (as running it as a script);
- a timeout, a memory limit (``RLIMIT_AS``) and an output limit (``RLIMIT_FSIZE``);
- nothing left behind: every process the file starts (double forks included) ends with the
  check, also when gradstep is killed, and the check's temporary folder goes (``sandbox``).

A file passes only when the worker ran to the end and wrote its verdict; anything else (a crash,
an early exit, a timeout) is an ``error`` with a one-line reason, and the other files are still
checked. This keeps one broken file from stopping a batch; it is not a sandbox.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

from autograd.checks.derivatives import GradientMeasurements, judge_gradients
from autograd.checks.stepcheck import StepCheckError, StepMeasurements, judge_step
from autograd.checks.tolerance import Tolerance
from autograd.files import write_file

from .sandbox import OUTPUT_LIMIT, run_contained, scratch_folder
from .text import csv_cell, readable, terminal_text
from .transport import BadReport, read_report

__all__ = [
    "FileVerdict",
    "check_file",
    "judge_record",
    "report_verdict",
]

WORKER = Path(__file__).with_name("worker.py")
SHOWN_OUTPUT = 2000  # characters of it shown
EXIT_STATUS = {"ok": 0, "wrong": 1, "no verdict": 2, "not recognised": 2, "error": 2}


@dataclass
class FileVerdict:
    """What ``gradstep check`` found in one submission: ``status`` is ``ok``, ``wrong``, ``not
    recognised`` or ``error``; ``parameters`` the per-parameter verdicts of a checked file.
    A program checked as it is also has ``submission`` (program, notebook, folder), ``loss``
    and ``lr`` (the standard loss its step descends, and the lr that implies), ``found`` (the
    arrays found, for a program not recognised) and ``adapter`` (a step file to edit)."""

    file: str
    status: str
    message: str
    kind: str | None = None
    parameters: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    output: str = ""
    report: dict = field(default_factory=dict)
    seconds: float = 0.0
    submission: str = "step file"
    loss: str = ""
    lr: float | None = None
    found: list = field(default_factory=list)
    adapter: str = ""

    @property
    def diagnosis(self) -> list[str]:
        """Why: the line of each parameter that is wrong (its diagnosis), then the notes."""
        shown = [p["verdict"] for p in self.parameters.values() if _flagged(p)]
        return shown + list(self.notes)

    def record(self) -> dict:
        """The row of ``--json``."""
        return {
            "file": self.file,
            "status": self.status,
            "kind": self.kind,
            "parameters": self.parameters,
            "notes": self.notes,
            "message": self.message,
            "diagnosis": self.diagnosis,
            "submission": self.submission,
            "loss": self.loss or None,
            "lr": self.lr,
            "found": self.found,
            "adapter": self.adapter or None,
        }


def _flagged(parameter: dict) -> bool:
    """Does a parameter's line belong among the diagnoses (wrong, or not judged)?"""
    return parameter.get("status", "wrong" if parameter.get("wrong") else "ok") != "ok"


def shown_output(raw: bytes) -> str:
    """A file's output as printable text: decoded with replacement, control characters
    (binary garbage, terminal escapes) shown escaped (``terminal_text``), truncated."""
    text = terminal_text(raw, lines=True)
    if len(text) > SHOWN_OUTPUT:
        text = text[:SHOWN_OUTPUT] + f"\n... ({len(raw)} bytes of output in all)"
    return text.rstrip()


def child_environment() -> dict:
    """The child's environment: gradstep's own packages importable however it was installed."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    env["PYTHONIOENCODING"] = "utf-8"
    env.pop("PYTHONSTARTUP", None)
    return env


def ended_early(code: int, memory_mb: int) -> str:
    if code < 0:
        name = signal.Signals(-code).name
        if -code == signal.SIGXFSZ:
            return f"stopped: it printed more than {OUTPUT_LIMIT // 2**20} MB"
        return f"the process was killed by {name} (a crash, or the {memory_mb} MB memory limit)"
    return f"the file ended the process (exit status {code}) before the check finished"


def check_file(
    path: Path,
    *,
    timeout: float = 60.0,
    memory_mb: int = 4096,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> FileVerdict:
    """Check one learner's file: measured in a contained process of its own
    (``sandbox.run_contained``: nothing it starts outlives the check), judged here from the
    numbers it reports (``transport``); never raises for the file's sake."""
    path = Path(path).resolve()
    with scratch_folder() as scratch:
        folder = scratch / "report"
        folder.mkdir()
        run = run_contained(
            [sys.executable, str(WORKER), str(folder), str(path), repr(eps), repr(atol)]
            + [repr(rtol)],
            cwd=path.parent,
            scratch=scratch,
            timeout=timeout,
            memory_mb=memory_mb,
            env=child_environment(),
        )
        shown = shown_output(run.output)
        if run.timed_out:
            message = f"timed out after {timeout:g} s"
            return FileVerdict(str(path), "error", message, output=shown, seconds=run.seconds)
        try:
            record = read_report(folder)
        except OSError:
            message = ended_early(run.code, memory_mb)
            return FileVerdict(str(path), "error", message, output=shown, seconds=run.seconds)
        except (BadReport, ValueError, TypeError, KeyError) as e:
            message = f"the file's process sent a report gradstep does not write ({e})"
            return FileVerdict(str(path), "error", message, output=shown, seconds=run.seconds)
    verdict = judge_record(str(path), record, Tolerance(eps, atol, rtol))
    verdict.output, verdict.seconds = shown, run.seconds
    return verdict


def judge_record(file: str, record: dict, tolerance: Tolerance) -> FileVerdict:
    """The verdict on a file from the record its process reported (``worker.measure``):
    judged here, by ``judge_step`` or ``judge_gradients``, from the numbers alone."""
    if "too_large" in record:
        size = record["too_large"] / 2**20
        return FileVerdict(
            file,
            "error",
            (
                f"gradstep's limit, not a fault of the file: the check's report ({size:.1f} MB) "
                f"could not be written within the {OUTPUT_LIMIT // 2**20} MB a check may write"
            ),
        )
    kind = record.get("kind")
    if "measurements" not in record:
        status, message = record.get("status"), str(record.get("message", ""))
        if status not in ("error", "wrong"):  # a verdict is never taken from the file's process
            status = "error"
            message = "the file's process reported a verdict of its own; gradstep judges numbers"
        return FileVerdict(file, status, message, kind=kind)
    try:
        measured = record["measurements"]
        if kind == "step" and isinstance(measured, StepMeasurements):
            report = judge_step(measured, tolerance)
        elif kind == "grads" and isinstance(measured, GradientMeasurements):
            report = judge_gradients(measured, tolerance)
        else:
            raise BadReport(f"measurements of kind {type(measured).__name__} for a {kind} file")
    except StepCheckError as e:
        return FileVerdict(file, "error", f"StepCheckError: {e}", kind=kind)
    except (BadReport, ValueError, TypeError, KeyError, AttributeError) as e:
        message = f"the file's process sent a report gradstep cannot judge ({type(e).__name__})"
        return FileVerdict(file, "error", message, kind=kind)
    return report_verdict(file, kind, report)


def _finite(x: float) -> float | None:
    """A number for JSON: nan and inf become null."""
    return x if math.isfinite(x) else None


def report_verdict(file: str, kind: str | None, report) -> FileVerdict:
    """A ``FileVerdict`` from a check's report (``StepCheckReport`` or ``GradientCheckReport``):
    its status, verdict line, per-parameter lines, notes, summary and tables."""
    wrong = set(report.wrong)
    parameters = {
        p.name: {
            "status": "wrong" if p.name in wrong else "ok" if p.judged else "not judged",
            "entries": p.entries,
            "wrong": p.wrong,
            "not_differentiable": p.kinked,
            "worst_abs_error": _finite(p.worst_abs_error),
            "worst_rel_error": _finite(p.worst_rel_error),
            "verdict": str(p),
        }
        for p in report.parameters
    }
    details = {
        "summary": report.summary(),
        "table": report.table(),
        "failures": report.table(report.failures()),
    }
    return FileVerdict(
        file,
        report.status,
        report.verdict(),
        kind=kind,
        parameters=parameters,
        notes=list(report.notes),
        report=details,
    )


def exit_status(verdicts: list[FileVerdict]) -> int:
    """0 when every file is right, 1 when some step or gradient is wrong, 2 when some file could
    not be checked: the worst of them."""
    return max((EXIT_STATUS[v.status] for v in verdicts), default=0)


def verdict_line(v: FileVerdict) -> str:
    """One line per file: status, file, and why (learner text escaped)."""
    return terminal_text(f"{v.status:<5}  {v.file}: {v.message}")


def wrong_parameters(v: FileVerdict) -> list[str]:
    """The lines of the parameters a file got wrong or that were not judged (their diagnoses),
    escaped."""
    return [terminal_text(p["verdict"]) for p in v.parameters.values() if _flagged(p)]


def batch_lines(v: FileVerdict) -> list[str]:
    """What a batch prints for one file: its verdict line, its diagnoses and notes, the first
    lines of its output; every piece of learner text escaped."""
    lines = [verdict_line(v)]
    notes = [terminal_text(n) for n in v.notes]
    lines += [f"       {line}" for line in wrong_parameters(v) + notes]
    if v.output:
        shown = v.output.splitlines()
        shown = shown[:5] + ([f"... ({len(shown) - 5} more lines)"] if len(shown) > 5 else [])
        lines.append("       output: " + "\n               ".join(shown))
    return lines


def one_file_lines(v: FileVerdict, failures_only: bool = False) -> tuple[list[str], list[str]]:
    """What ``gradstep check FILE`` prints: (stdout lines, stderr lines). The file's output,
    then its table and summary, or the one-line reason it could not be checked."""
    out = [f"--- output of {terminal_text(v.file)} ---", v.output, "---"] if v.output else []
    if v.status == "error":
        return out, [terminal_text(f"gradstep: error: {v.file}: {v.message}")]
    if v.status == "not recognised":
        found = [terminal_text(f"found {f}") for f in v.found] + [terminal_text(n) for n in v.notes]
        return out + found, [terminal_text(f"gradstep: not recognised: {v.file}: {v.message}")]
    table = v.report.get("failures" if failures_only else "table")
    if table and (not failures_only or v.status == "wrong"):
        out.append(terminal_text(table, lines=True))
    summary = v.report.get("summary") or f"gradstep check: {v.file}: {v.message}"
    out.append(terminal_text(summary, lines=True))
    if v.loss:  # a program checked as it is: which loss its step descends, and the lr
        out.append(terminal_text(f"gradstep check: {v.file}: {v.message}"))
    return out, []


def summary_table(verdicts: list[FileVerdict]) -> str:
    """The batch's closing table (one row per file) and its tally, learner text escaped."""
    from autograd.views.display import text_table

    rows = [
        tuple(terminal_text(c) for c in (v.file, v.status, v.kind or "-", _wrong_names(v)))
        + (terminal_text(v.message)[:70],)
        for v in verdicts
    ]
    counts = {s: sum(v.status == s for v in verdicts) for s in EXIT_STATUS}
    tally = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    return (
        text_table(("file", "status", "kind", "wrong", "message"), rows)
        + f"\n{len(verdicts)} files: {tally}"
    )


def _wrong_names(v: FileVerdict) -> str:
    names = [n for n, p in v.parameters.items() if _flagged(p) and p.get("status") != "not judged"]
    return ", ".join(names) or "-"


def _json_ready(value):
    """Every string in ``value`` (keys included) as valid Unicode (``readable``)."""
    if isinstance(value, str):
        return readable(value)
    if isinstance(value, dict):
        return {readable(str(k)): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    return value


def as_json(verdicts: list[FileVerdict]) -> str:
    """``--json``: one record per file (``FileVerdict.record``), strict JSON."""
    records = [_json_ready(v.record()) for v in verdicts]
    return json.dumps(records, indent=2, allow_nan=False) + "\n"


CSV_COLUMNS = ("file", "status", "kind", "wrong", "message", "diagnosis")


def as_csv(verdicts: list[FileVerdict]) -> str:
    """``--csv``: one row per file, its diagnosis lines in one cell (one line each); every cell
    of learner text through ``csv_cell``."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for v in verdicts:
        cells = (v.file, v.status, v.kind or "", _wrong_names(v), v.message, "\n".join(v.diagnosis))
        writer.writerow([csv_cell(c) if c != "-" else "" for c in cells])
    return out.getvalue()


def write_outputs(verdicts: list[FileVerdict], json_path: Path | None, csv_path: Path | None):
    if json_path is not None:
        write_file(json_path, as_json(verdicts))
    if csv_path is not None:
        write_file(csv_path, as_csv(verdicts))
