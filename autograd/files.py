"""The one way gradstep writes a file: whole or not at all, never through a planted link.

``replacing_file(path)`` creates a new temporary file beside ``path`` exclusively (``mkstemp``:
a name nobody chose in advance, ``O_EXCL``, so a symlink planted there is never followed), gives
it the permissions a newly created file gets under the current umask (mkstemp's own are 0600),
lets the caller fill it, then renames it onto ``path``; on any error the temporary file is
removed and ``path`` is untouched. ``write_file`` does that for bytes or text. Every output of
gradstep (pictures, pages, saved networks, exports, reports, tables) goes through here.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["replacing_file", "write_file", "check_writable_file", "probe_writable", "umask"]


def umask() -> int:
    """The process's umask (what a newly created file's permissions are masked with)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def probe_writable(folder: str | os.PathLike) -> None:
    """Raise ``OSError`` unless a file can be created in ``folder``: a real probe, since
    ``os.access`` says yes to root where writing fails (a read-only mount)."""
    fd, probe = tempfile.mkstemp(dir=folder, prefix=".gradstep-probe-")
    os.close(fd)
    os.unlink(probe)


def check_writable_file(path: str | os.PathLike, what: str = "output") -> Path:
    """Refuse, before any work, an output path that cannot become a file: its folder missing,
    the path an existing directory, or the folder not writable (probed for real: ``os.access``
    says yes to root where writing fails)."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise IsADirectoryError(f"{what} {path} is a directory; give a file name")
    if not folder.is_dir():
        raise FileNotFoundError(f"{what} {path}: directory {folder} does not exist")
    try:
        probe_writable(folder)
    except OSError as e:
        raise PermissionError(
            f"{what} {path}: cannot write to {folder}: {e.strerror or e}"
        ) from None
    return path


@contextmanager
def replacing_file(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[Path]:
    """A fresh temporary file beside ``path`` (its name ends in ``suffix``, for writers that
    insist on one) that replaces ``path`` when the block ends, or is removed if it fails."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    try:
        os.chmod(tmp, 0o666 & ~umask())
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_file(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` whole, through ``replacing_file``."""
    path = Path(path)
    with replacing_file(path) as tmp:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path
