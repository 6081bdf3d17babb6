"""How much memory one job may take, checked before anything is allocated.

``memory_limit_bytes()`` is half of the machine's physical memory; ``check_memory(need, what,
hint)`` refuses a job (a sweep's population, a training run, a saved file's arrays) whose estimate
exceeds it, with a named error instead of a ``MemoryError`` (or the machine swapping) later."""

from __future__ import annotations

import os

__all__ = ["memory_limit_bytes", "check_memory"]


def memory_limit_bytes() -> int:
    """Half of the machine's physical memory: what one job may take at once."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return 4 << 30


def check_memory(need: int, what: str, hint: str) -> None:
    """Refuse, before allocating, a job that would hold more than ``memory_limit_bytes``."""
    limit = memory_limit_bytes()
    if need > limit:
        raise ValueError(
            f"{what} would hold about {need / 2**30:.1f} GiB at once, more than the "
            f"{limit / 2**30:.1f} GiB allowed (half of this machine's memory); {hint}"
        )
