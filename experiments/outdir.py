"""Output folders written whole or not at all (``gradstep lab1``, ``gradstep sweep``), without
ever deleting what gradstep did not write.

``check_output_dir`` refuses a folder that is neither new, empty, nor an earlier output of the
same command (so a mistyped ``--out`` is never written into) and probes that the place is
writable. ``replacing(out)`` gives a temporary folder beside ``out`` (``out`` may be a symlink
to a folder: its target is used); when the block ends the new files move into ``out``, replacing
the files an earlier run wrote (listed in ``out/.gradstep-files``) and leaving every other file
there alone; when the block fails (an error, Ctrl-C, SIGTERM) the temporary folder is removed.
A temporary folder left by a run that was killed outright is removed by the next run. A full
disk (or a name too long) is one ``OutputError`` naming the file under ``out``, never the
temporary folder.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from autograd.files import (
    OutputError,
    check_name_length,
    output_error,
    probe_writable,
    temporary_prefix,
    umask,
    write_file,
)

__all__ = ["check_output_dir", "replacing", "written_before", "MANIFEST"]

MANIFEST = ".gradstep-files"  # the files gradstep wrote into an output folder


def check_output_dir(out: Path, markers: Iterable[str], what: str) -> None:
    """``out`` may be new, empty, or an earlier ``what``: a folder whose manifest
    (``.gradstep-files``) lists every file of ``markers``. File names alone prove nothing (a
    user's own ``report.md`` is not gradstep's), so a folder without that manifest is refused
    by name, and nothing in it is touched."""
    out = Path(out)
    check_name_length(out, "--out")
    if out.exists():
        if not out.is_dir():
            raise ValueError(f"--out {out} exists and is not a directory")
        contents = sorted(p.name for p in out.iterdir())
        if contents and not set(markers) <= written_before(out):
            shown = ", ".join(contents[:5]) + (
                f" and {len(contents) - 5} more" if len(contents) > 5 else ""
            )
            raise ValueError(
                f"--out {out} is a non-empty directory that is not an earlier {what} (its "
                f"{MANIFEST} does not list {', '.join(markers)}; it holds {shown}); gradstep "
                "replaces only files it wrote: choose a new or empty directory"
            )
    parent = out.resolve().parent
    while not parent.exists():
        parent = parent.parent
    try:
        probe_writable(parent)
    except OSError as e:
        raise PermissionError(
            f"cannot write to {parent} (for --out {out}): {e.strerror or e}"
        ) from None


def _stale_prefix(out: Path) -> str:
    # room for "gradstep-", a pid, "-" and mkdtemp's 8 random characters
    return temporary_prefix(out.name, 25, out.parent) + "gradstep-"


def _remove_stale(out: Path) -> None:
    """Temporary folders of earlier runs that were killed before they could clean up (their
    process is gone)."""
    for tmp in out.parent.glob(glob.escape(_stale_prefix(out)) + "*"):
        pid = tmp.name.rsplit("-", 2)[-2] if tmp.name.count("-") >= 2 else ""
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(tmp, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def written_before(out: Path) -> set[str]:
    """The names ``out``'s manifest lists (the files an earlier run wrote there), or none."""
    try:
        names = json.loads((out / MANIFEST).read_text())
    except (OSError, ValueError):
        return set()
    if not isinstance(names, list):
        return set()
    return {n for n in names if isinstance(n, str) and "/" not in n and n not in ("", ".", "..")}


def _move_in(tmp: Path, out: Path) -> None:
    """Move every file of ``tmp`` into the existing ``out``, replacing what gradstep wrote there
    before and only that; other files in ``out`` are left as they are."""
    new = {p.name for p in tmp.iterdir()}
    ours = written_before(out)
    theirs = sorted(n for n in new - ours if os.path.lexists(out / n))
    if theirs:  # a file of the same name that gradstep did not write: never replaced
        raise ValueError(
            f"--out {out} holds {', '.join(theirs)}, which gradstep did not write (its "
            f"{MANIFEST} does not list them): nothing was replaced; move them or choose "
            "another directory"
        )
    for name in ours - new:  # an earlier run's file this run does not write
        old = out / name
        if old.is_file() and not old.is_symlink():
            old.unlink()
    for name in sorted(new):
        target = out / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        os.replace(tmp / name, target)
    write_file(out / MANIFEST, json.dumps(sorted(new)))
    tmp.rmdir()


@contextmanager
def replacing(out: Path) -> Iterator[Path]:
    """A temporary folder beside ``out`` whose files move into ``out`` on success."""
    out = Path(out)
    if out.is_symlink() and out.is_dir():
        out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(out)
    prefix = f"{_stale_prefix(out)}{os.getpid()}-"
    try:
        tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=out.parent))
    except OSError as e:
        raise (output_error(e, out) or e) from None
    try:
        os.chmod(tmp, 0o777 & ~umask())  # mkdtemp's own 0700 would become out's
        yield tmp
        if out.exists():
            _move_in(tmp, out)
        else:
            write_file(tmp / MANIFEST, json.dumps(sorted(p.name for p in tmp.iterdir())))
            os.replace(tmp, out)
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        refused = output_error(e, _under_out(e, tmp, out))
        if refused is None:
            raise
        raise refused from None


def _under_out(error: BaseException, tmp: Path, out: Path) -> Path:
    """Where the file ``error`` names would have gone in ``out`` (else ``out`` itself)."""
    try:
        return out / Path(error.path).relative_to(tmp) if isinstance(error, OutputError) else out
    except ValueError:
        return out
