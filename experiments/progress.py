"""Progress over training runs, shared by ``gradstep lab1`` and ``gradstep sweep``.

On a terminal wide enough for a bar: a tqdm bar over runs (fractions of a run while a
population trains). Where no bar can show (output piped to a file or a CI log, a terminal that
reports no size): plain lines, one per tenth of the work and at least every half minute.
``show=False`` prints nothing."""

from __future__ import annotations

import shutil
import sys
import time
from typing import TextIO

__all__ = ["RunsProgress"]

MIN_BAR_COLUMNS = 40


class RunsProgress:
    """``with RunsProgress(total) as bar: ... bar(runs)``: runs done so far, shown as a bar,
    as plain lines, or not at all (``mode`` says which)."""

    def __init__(
        self,
        total: int,
        show: bool | None = None,
        label: str = "",
        stream: TextIO | None = None,
        every_seconds: float = 30.0,
    ) -> None:
        self.total = total
        self.label = label or "runs"
        self.stream = stream or sys.stderr
        self.every_seconds = every_seconds
        self.mode = "off" if show is False else self._choose_mode()
        self.bar = None
        self.done = 0.0

    def _choose_mode(self) -> str:
        is_terminal = getattr(self.stream, "isatty", lambda: False)()
        columns = shutil.get_terminal_size(fallback=(0, 0)).columns
        return "bar" if is_terminal and columns >= MIN_BAR_COLUMNS else "lines"

    def __enter__(self) -> RunsProgress:
        self.start = self.last_line = time.perf_counter()
        self.next_tenth = 1
        if self.mode == "bar":
            from tqdm import tqdm

            self.bar = tqdm(
                total=self.total,
                desc=self.label,
                file=self.stream,
                leave=False,
                bar_format="{l_bar}{bar}| {n:.0f}/{total} runs [{elapsed}<{remaining}]",
            )
        return self

    def __call__(self, runs: float) -> None:
        self.done = min(self.total, self.done + runs)
        if self.bar is not None:
            self.bar.update(runs)
        elif self.mode == "lines":
            self._maybe_line()

    def _maybe_line(self) -> None:
        now = time.perf_counter()
        tenth = int(10 * self.done / self.total) if self.total else 10
        if tenth >= self.next_tenth or now - self.last_line >= self.every_seconds:
            self.next_tenth = tenth + 1
            self.last_line = now
            print(
                f"{self.label}: {self.done:.0f}/{self.total} runs "
                f"({100 * self.done / max(self.total, 1):.0f}%) after {now - self.start:.0f} s",
                file=self.stream,
                flush=True,
            )

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()
