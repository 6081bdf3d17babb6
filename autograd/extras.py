"""How to install an optional part of gradstep (an extra of setup.cfg), said one way everywhere:
the command that works in a clone of the repository and the one that works from a wheel."""

from __future__ import annotations

__all__ = ["extra_hint"]


def extra_hint(extra: str) -> str:
    """``pip install -e '.[extra]'`` in a clone, ``pip install 'gradstep[extra]'`` from a
    wheel (a clone has no ``gradstep`` on PyPI to resolve, a wheel no ``.`` to install)."""
    return (
        f"`pip install -e '.[{extra}]'` in a clone of gradstep, "
        f"or `pip install 'gradstep[{extra}]'` from a wheel"
    )
