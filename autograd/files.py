"""The one way gradstep writes a file: whole or not at all, never through a planted link.

``replacing_file(path)`` creates a new temporary file beside ``path`` exclusively (``mkstemp``:
a name nobody chose in advance, ``O_EXCL``, so a symlink planted there is never followed), gives
it the permissions a newly created file gets under the current umask (mkstemp's own are 0600),
lets the caller fill it, then renames it onto ``path``; on any error the temporary file is
removed and ``path`` is untouched. ``write_file`` does that for bytes or text. Every output of
gradstep (pictures, pages, saved networks, exports, reports, tables) goes through here.

What the machine refuses (a full disk, a quota, a file-size limit, a name longer than the file
system allows) comes out as one ``OutputError`` naming the caller's ``path``, never the
temporary file: the temporary name is shortened to fit beside any name the file system takes
(``temporary_prefix``), and a name that cannot fit is refused before anything is written.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "replacing_file",
    "write_file",
    "check_writable_file",
    "check_name_length",
    "probe_writable",
    "umask",
    "OutputError",
    "output_error",
    "temporary_prefix",
]

# what the machine says when an output cannot be written for want of room or of a shorter name
_REFUSALS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EFBIG: "the file would exceed the largest file allowed here",
    errno.ENAMETOOLONG: "the file name is longer than this file system allows",
    errno.EROFS: "the file system is read-only",
}


class OutputError(OSError):
    """An output the machine refused to hold (disk full, quota, file-size limit, name too
    long): ``str()`` is one line naming the path the caller asked for."""

    def __init__(self, path: str | os.PathLike, reason: str, code: int = 0) -> None:
        super().__init__(code, reason)
        self.path, self.reason = Path(path), reason

    def __str__(self) -> str:
        return f"cannot write {self.path}: {self.reason}"

    def __reduce__(self):
        return type(self), (self.path, self.reason, self.errno)


def output_error(error: BaseException, path: str | os.PathLike) -> OutputError | None:
    """``error`` (or an error it was raised while handling: a failed write then a failed
    close) as an ``OutputError`` naming ``path``, when it is one the machine gives for want
    of room or of a shorter name; else None."""
    seen = error
    while seen is not None:
        if isinstance(seen, OutputError):
            return OutputError(path, seen.reason, seen.errno)
        if isinstance(seen, OSError) and seen.errno in _REFUSALS:
            return OutputError(path, _REFUSALS[seen.errno], seen.errno)
        seen = seen.__cause__ or seen.__context__
    return None


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def check_name_length(path: str | os.PathLike, what: str = "") -> None:
    """Refuse a path one of whose names is longer (in bytes, as the file system counts) than
    the file system allows, before anything is written."""
    path = Path(path)
    limit = _name_max(_existing_folder(path))
    for name in path.parts:
        size = len(os.fsencode(name))
        if size > limit:
            raise OutputError(
                f"{what} {path}".strip() if what else path,
                f"the name {name[:20]}... is {size} bytes, longer than the {limit} this file "
                "system allows",
                errno.ENAMETOOLONG,
            )


def _existing_folder(path: Path) -> Path:
    folder = path.parent
    while True:
        try:
            if folder.is_dir():
                return folder
        except OSError:
            pass
        if folder == folder.parent:
            return Path(".")
        folder = folder.parent


def temporary_prefix(name: str, reserve: int, folder: str | os.PathLike = ".") -> str:
    """``"." + name + "."`` shortened so that with ``reserve`` more bytes (the random part
    and the suffix) it still fits the file system's longest name: a temporary file beside a
    250-byte name must not fail where the name itself would not."""
    room = _name_max(Path(folder)) - reserve - 2
    encoded = os.fsencode(name)
    if len(encoded) > room:
        name = encoded[: max(room, 1)].decode("utf-8", "ignore")  # never half a character
    return f".{name}."


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
    check_name_length(path, what)
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
    check_name_length(path)
    folder = path.parent or Path(".")
    prefix = temporary_prefix(path.name, 8 + len(os.fsencode(suffix)), folder)  # mkstemp: 8
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=suffix)
    except OSError as e:
        raise (output_error(e, path) or e) from None
    os.close(fd)
    try:
        os.chmod(tmp, 0o666 & ~umask())
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        refused = output_error(e, path)
        if refused is None:
            raise
        raise refused from None


def write_file(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` whole, through ``replacing_file``."""
    path = Path(path)
    with replacing_file(path) as tmp:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path
