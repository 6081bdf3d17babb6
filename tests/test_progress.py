"""Progress of lab1 and sweep: a first line at once (also without a terminal), one line per
tenth of the runs after that, and a time left that does not swing (none until a tenth of the
work is done, then the mean cost per run so far times the runs left)."""

import io

from experiments.progress import RunsProgress, duration


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_plain_lines_start_at_once_and_come_every_tenth():
    """Piped output (no terminal): a line before any run is done, then one per tenth of the
    runs, with the count and time; show=False prints nothing."""
    out = io.StringIO()
    with RunsProgress(20, label="lab1", stream=out) as progress:
        assert progress.mode == "lines"
        assert out.getvalue().splitlines() == ["lab1: 0/20 runs (0%) after 0 s"]
        for _ in range(20):
            progress(1)
    lines = out.getvalue().splitlines()
    assert len(lines) == 11
    assert lines[1].startswith("lab1: 2/20 runs (10%) after ")
    assert lines[-1].startswith("lab1: 20/20 runs (100%)")
    quiet = io.StringIO()
    with RunsProgress(20, show=False, stream=quiet) as progress:
        progress(20)
    assert quiet.getvalue() == ""


def test_a_line_comes_at_least_every_few_seconds_while_a_tenth_takes_long():
    clock, out = Clock(), io.StringIO()
    with RunsProgress(100, label="sweep", stream=out, every_seconds=10, clock=clock) as progress:
        clock.now += 11
        progress(0.5)  # far from a tenth, but 11 s have passed
    assert out.getvalue().splitlines()[-1] == "sweep: 0/100 runs (0%) after 11 s"


def test_no_estimate_before_a_tenth_of_the_work_then_a_steady_one():
    """A population's first epochs report a sliver of a run after a fraction of a second: no
    time left is shown from that; from a tenth on, elapsed / done x runs left, which moves
    smoothly as the work goes at a steady pace."""
    clock, out = Clock(), io.StringIO()
    with RunsProgress(150, label="lab1", stream=out, clock=clock) as progress:
        clock.now += 0.3
        progress(0.01)  # a sliver: the rate it implies would say hours
        assert progress.estimate() == ""
        clock.now += 20
        progress(9.99)  # 10 of 150 after 20.3 s: still under a tenth
        assert progress.estimate() == ""
        estimates = []
        for _ in range(13):  # then 10 runs every 20 s
            clock.now += 20
            progress(10)
            estimates.append(progress.seconds_left())
        assert progress.estimate() == "about 20 s left"
    assert all(abs(e - 20 * (150 - 10 * (i + 2)) / 10) < 5 for i, e in enumerate(estimates))
    assert "left" not in out.getvalue().splitlines()[0]
    assert any(line.endswith("min left") for line in out.getvalue().splitlines())


def test_durations_read_at_a_glance():
    assert [duration(s) for s in (42, 210, 3 * 3600)] == ["42 s", "3.5 min", "3.0 h"]
