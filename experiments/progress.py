"""Progress over training runs, shared by ``gradstep lab1`` and ``gradstep sweep``.

On a terminal wide enough for a bar: a tqdm bar over runs (fractions of a run while a
population trains). Where no bar can show (output piped to a file or a CI log, a terminal that
reports no size): plain lines, the first at once, then one per tenth of the work and at least
every ``every_seconds``. ``show=False`` prints nothing.

The time left is the measured mean cost of a run so far times the runs left, and it is shown
only once a tenth of the work and a few seconds have passed: before that one population's first
epochs are all there is to go on, and an estimate from them swings from hours to minutes."""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["RunsProgress", "duration"]

MIN_BAR_COLUMNS = 40
ESTIMATE_AFTER_FRACTION = 0.1  # of the runs done ...
ESTIMATE_AFTER_SECONDS = 5.0  # ... and of time passed, before any time left is shown


def duration(seconds: float) -> str:
    """``42 s``, ``3.5 min``, ``1.2 h``: a time a reader takes in at a glance."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


class RunsProgress:
    """``with RunsProgress(total) as bar: ... bar(runs)``: runs done so far, shown as a bar,
    as plain lines, or not at all (``mode`` says which)."""

    def __init__(
        self,
        total: int,
        show: bool | None = None,
        label: str = "",
        stream: TextIO | None = None,
        every_seconds: float = 10.0,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.total = total
        self.label = label or "runs"
        self.stream = stream or sys.stderr
        self.every_seconds = every_seconds
        self.clock = clock
        self.mode = "off" if show is False else self._choose_mode()
        self.bar = None
        self.done = 0.0

    def _choose_mode(self) -> str:
        is_terminal = getattr(self.stream, "isatty", lambda: False)()
        columns = shutil.get_terminal_size(fallback=(0, 0)).columns
        return "bar" if is_terminal and columns >= MIN_BAR_COLUMNS else "lines"

    def __enter__(self) -> RunsProgress:
        self.start = self.last_line = self.clock()
        self.next_tenth = 1
        if self.mode == "bar":
            from tqdm import tqdm

            self.bar = tqdm(
                total=self.total,
                desc=self.label,
                file=self.stream,
                leave=False,
                bar_format="{l_bar}{bar}| {n:.0f}/{total} runs [{elapsed}{postfix}]",
            )
        elif self.mode == "lines":
            self._line(self.start)  # at once: the reader sees the work has started
        return self

    def seconds_left(self, now: float | None = None) -> float | None:
        """The mean time per run so far times the runs left; None until a tenth of the runs
        and ``ESTIMATE_AFTER_SECONDS`` have passed, and once all is done."""
        now = self.clock() if now is None else now
        elapsed = now - self.start
        if (
            self.done >= self.total
            or self.done < ESTIMATE_AFTER_FRACTION * self.total
            or elapsed < ESTIMATE_AFTER_SECONDS
        ):
            return None
        return elapsed / self.done * (self.total - self.done)

    def estimate(self, now: float | None = None) -> str:
        """``about 3.5 min left``, or empty while ``seconds_left`` is None."""
        left = self.seconds_left(now)
        return "" if left is None else f"about {duration(left)} left"

    def __call__(self, runs: float) -> None:
        self.done = min(self.total, self.done + runs)
        if self.bar is not None:
            self.bar.set_postfix_str(self.estimate(), refresh=False)
            self.bar.update(runs)
        elif self.mode == "lines":
            self._maybe_line()

    def _maybe_line(self) -> None:
        now = self.clock()
        tenth = int(10 * self.done / self.total) if self.total else 10
        if tenth >= self.next_tenth or now - self.last_line >= self.every_seconds:
            self.next_tenth = tenth + 1
            self._line(now)

    def _line(self, now: float) -> None:
        self.last_line = now
        left = self.estimate(now)
        print(
            f"{self.label}: {self.done:.0f}/{self.total} runs "
            f"({100 * self.done / max(self.total, 1):.0f}%) after {now - self.start:.0f} s"
            + (f", {left}" if left else ""),
            file=self.stream,
            flush=True,
        )

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()
