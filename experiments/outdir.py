"""Output folders that are written whole or not at all (``gradstep lab1``, ``gradstep sweep``).

``check_output_dir`` refuses a folder that is neither new, empty, nor an earlier output of the
same command (so a mistyped ``--out`` never deletes unrelated files) and probes that the place
is writable; ``replacing(out)`` gives a temporary folder beside ``out`` that becomes ``out`` when
the block ends, or is removed when it fails."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["check_output_dir", "replacing"]


def check_output_dir(out: Path, markers: Iterable[str], what: str) -> None:
    """``out`` may be new, empty, or hold every file of ``markers`` (an earlier ``what``)."""
    if out.exists():
        if not out.is_dir():
            raise ValueError(f"--out {out} exists and is not a directory")
        contents = {p.name for p in out.iterdir()}
        if contents and not set(markers) <= contents:
            raise ValueError(
                f"--out {out} is a non-empty directory that is not an earlier {what}; "
                "choose a new or empty directory"
            )
    parent = out.resolve().parent
    while not parent.exists():
        parent = parent.parent
    try:  # a real probe: os.access says yes to root even where writing fails
        Path(tempfile.mkdtemp(prefix=".gradstep-probe-", dir=parent)).rmdir()
    except OSError as e:
        raise PermissionError(
            f"cannot write to {parent} (for --out {out}): {e.strerror or e}"
        ) from None


@contextmanager
def replacing(out: Path) -> Iterator[Path]:
    """A temporary folder beside ``out``; on success it replaces ``out`` whole."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        yield tmp
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
