"""The benchmark at tiny size: it runs, checks agreement before timing, and reports every
section and target. No timing is asserted (the machine is shared and noisy)."""

import pytest

from experiments.benchmarks import engines as bench


@pytest.mark.slow
@pytest.mark.bench
def test_bench_quick_runs_every_section(capsys):
    sections = bench.run(quick=True)
    out = capsys.readouterr().out
    titles = [s.title.split(":")[0] for s in sections]
    assert titles[0].startswith("1. Value engine") and titles[3].startswith("3. Backward")
    assert titles[4].startswith("4. Memory")
    assert sum(t.startswith("2. One training epoch") for t in titles) == 2
    assert sum(t.startswith("5. Many networks at once") for t in titles) == 2
    value = sections[0]
    rows = [r.name for r in value.rows]
    assert "gradstep ValueMLP, loop as micrograd's" in rows  # the idiomatic row
    assert "each contender in a fresh process" in value.title
    for section in sections:
        assert section.rows and all(r.seconds > 0 for r in section.rows)
    assert "same loss" in out or "micrograd is not installed" in out
    assert out.count("same gradients from NumpyMLP") == 2
    assert out.count("network 0 of the population has the lab's gradients") == 2
    assert "same loss" in out and "idiomatic loop" in out
    # a smoke test judges no target: no "met", no "MISSED", and it says so
    assert "target met" not in out and "MISSED" not in out
    assert out.splitlines()[-1].startswith("smoke test passed: 7 sections ran (")
    assert "not judged" in out.splitlines()[-1]


def test_a_target_is_judged_on_the_ratio_it_prints():
    """ "1.00 (bound 1)" is met: the verdict is taken on the printed ratio (0.996 shows as 1.00),
    for an at-least bound and an at-most bound; below (above) it by a printed digit, missed."""
    Target = bench.Target
    assert Target("t", 0.996, 1.0).line() == "  target met: t: 1.00 (bound 1)"
    assert Target("t", 0.994, 1.0).line() == "  target MISSED: t: 0.99 (bound 1)"
    assert Target("t", 12.004, 12.0, at_most=True).met
    assert not Target("t", 12.01, 12.0, at_most=True).met


def test_a_full_run_prints_every_verdict_and_the_count(monkeypatch):
    """Without --quick each target prints its verdict and the last line counts those met
    (sections made up, no timing: the count is what is checked)."""
    made_up = [
        bench.Section("1. a", "ref", [bench.Row("ref", 1.0)], [], [bench.Target("fast", 2.0, 1)]),
        bench.Section("2. b", "ref", [bench.Row("ref", 1.0)], [], [bench.Target("slow", 0.5, 1)]),
    ]
    for name in ("bench_value_engine", "bench_scale", "bench_memory"):
        monkeypatch.setattr(bench, name, lambda *a: made_up[0])
    for name in ("bench_epochs", "bench_populations"):
        monkeypatch.setattr(bench, name, lambda *a: [made_up[1]])
    lines = []
    bench.run(quick=False, out=lines.append)
    text = "\n".join(lines)
    assert "target met: fast: 2.00 (bound 1)" in text and "target MISSED: slow: 0.50" in text
    assert lines[-1] == "\n3 of 5 targets met"


@pytest.mark.slow
def test_interleaved_times_every_contender_and_restores_gc():
    import gc

    calls = []
    times = bench.interleaved(
        {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, rounds=3, gc_off={"b"}
    )
    assert calls == ["a", "b"] * 3 and set(times) == {"a", "b"}
    assert gc.isenabled()


@pytest.mark.slow
@pytest.mark.browser  # times the page in Chromium
def test_stepper_bench_quick_reports_size_build_and_step(capsys):
    """The stepper bench at small size: every graph row is reported, and no target verdict
    (--quick is a smoke test, not a measurement)."""
    from experiments.benchmarks import stepper as stepper_bench

    stepper_bench.run(quick=True)
    lines = capsys.readouterr().out.splitlines()
    rows = [line.split() for line in lines if line.strip().startswith("2-")]
    assert [r[0] for r in rows] == ["2-4-4-1,", "2-4-4-1,", "2-8-8-1"]
    assert rows[0][3:5] == ["58", "19"]  # nodes and steps of the full 2-4-4-1 graph
    assert not any("target met" in line or "MISSED" in line for line in lines)
    assert lines[-1] == "  --quick: a smoke test at small sizes; no target is judged"


def test_bench_revisions_checks_out_a_revision_and_reports_ratios():
    """The revision comparison: REV checked out in a temporary worktree (removed afterwards),
    and the report's ratios computed from the medians (made-up figures: no timing asserted)."""
    from experiments.benchmarks.revisions import checked_out, report

    with checked_out("HEAD") as tree:
        assert (tree / "autograd" / "ops.py").is_file()
        kept = tree
    assert not kept.exists()
    med = {"micrograd": 100.0}
    for label, scale in (("OLD", 1.0), ("working tree", 0.5)):
        med.update({f"gradstep @ {label}": 10 * scale, f"gradstep-idiomatic @ {label}": 20 * scale,
                    f"numpy loop @ {label}": 4 * scale, f"numpy calls @ {label}": 8 * scale,
                    f"numpy lab @ {label}": 4.0})  # fmt: skip
    lines = report("OLD", med)
    assert "OLD: micrograd / ValueMLP step 10.00x, micrograd / idiomatic 5.00x" in lines[-6]
    assert "working tree: micrograd / ValueMLP step 20.00x" in lines[-5]
    assert lines[-4] == "gradstep: working tree / OLD = 0.500 (below 1: faster now)"


@pytest.mark.slow
@pytest.mark.browser  # times the page in Chromium
def test_timeline_bench_quick_reports_recording_page_and_slider(capsys):
    """The timeline bench at small size: the recording ratio, the page's size and build time,
    and the slider row (their verdicts are not asserted: they are timings)."""
    from experiments.benchmarks import timeline as timeline_bench

    timeline_bench.run(quick=True)
    out = capsys.readouterr().out
    assert "recording every 50: train " in out and "x (target: at most 1.5x)" in out
    assert "page of 3 runs: " in out and "MB (target: under 3 MB)" in out
    assert "slider move in Chromium: " in out


@pytest.mark.slow  # over a second: a subprocess or a notebook run
def test_checking_bench_quick_checks_a_small_class(capsys):
    """The checking bench on a class of 4 made from the corpus: every submission gets a row and
    the time is reported (not asserted: it is a timing)."""
    from experiments.benchmarks import checking as checking_bench

    figures = checking_bench.run(quick=True)
    assert figures["size"] == 4 and sum(figures["tally"].values()) == 4
    out = capsys.readouterr().out
    assert "a class of 4 submissions" in out and "checked in " in out and "target for 30" in out


def test_the_targets_table_gives_each_target_its_ratio_bound_and_verdict():
    made_up = [
        bench.Section("1. a", "ref", [], [], [bench.Target("fast", 2.004, 1)]),
        bench.Section("2. b", "ref", [], [], [bench.Target("scale", 12.5, 12, at_most=True)]),
    ]
    assert bench.targets_table(made_up).splitlines() == [
        "| section | measurement | ratio | target | verdict |",
        "|---|---|---|---|---|",
        "| 1. a | fast | 2.00 | >= 1 | met |",
        "| 2. b | scale | 12.50 | <= 12 | missed |",
    ]
    assert (
        bench.targets_table(made_up, judged=False)
        .splitlines()[2]
        .endswith("| not judged (--quick) |")
    )


def readme_measured_rows() -> list[str]:
    import pathlib

    text = (pathlib.Path(__file__).resolve().parents[1] / "README.md").read_text()
    header = "| section | measurement | ratio | target | verdict |"
    assert header in text, "the README's Measured table is gradstep bench --table's"
    block = text[text.index(header) :].split("\n\n")[0]
    return block.splitlines()


def test_the_readme_measured_table_is_what_bench_table_writes():
    """Every row of the README's table parses back into a target whose verdict is the one its
    ratio and bound give: the table was written by ``gradstep bench --table``, not by hand."""
    rows = readme_measured_rows()
    sections: dict[str, bench.Section] = {}
    for row in rows[2:]:
        where, text, ratio, bound, _verdict = (c.strip() for c in row.strip("|").split("|"))
        op, value = bound.split()
        section = sections.setdefault(where, bench.Section(where, "ref"))
        section.targets.append(bench.Target(text, float(ratio), float(value), at_most=op == "<="))
    assert sum(len(s.targets) for s in sections.values()) >= 8
    assert bench.targets_table(list(sections.values())).splitlines() == rows


def test_bench_table_refuses_a_bad_path_before_measuring(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "experiments", "bench", "--table", str(tmp_path / "no" / "t.md")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2 and "does not exist" in result.stderr
    assert "Traceback" not in result.stderr and "gradstep bench" not in result.stdout
