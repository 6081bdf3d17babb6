"""A progress bar over training runs, shared by ``gradstep lab1`` and ``gradstep sweep``."""

from __future__ import annotations

import sys

__all__ = ["RunsProgress"]


class RunsProgress:
    """``with RunsProgress(total) as bar: ... bar(runs)``: a tqdm bar over runs on a terminal
    (fractions of a run while a population trains); a no-op callable otherwise."""

    def __init__(self, total: int, show: bool | None = None, label: str = "") -> None:
        self.total = total
        self.show = sys.stderr.isatty() if show is None else show
        self.label = label
        self.bar = None

    def __enter__(self) -> RunsProgress:
        if self.show:
            from tqdm import tqdm

            self.bar = tqdm(
                total=self.total,
                desc=self.label or None,
                file=sys.stderr,
                leave=False,
                bar_format="{l_bar}{bar}| {n:.0f}/{total} runs [{elapsed}<{remaining}]",
            )
        return self

    def __call__(self, runs: float) -> None:
        if self.bar is not None:
            self.bar.update(runs)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()
