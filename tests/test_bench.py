"""The benchmark at tiny size: it runs, checks agreement before timing, and reports every
section and target. No timing is asserted (the machine is shared and noisy)."""

from experiments import bench


def test_bench_quick_runs_every_section(capsys):
    sections = bench.run(quick=True)
    out = capsys.readouterr().out
    titles = [s.title.split(":")[0] for s in sections]
    assert titles[0].startswith("1. Value engine") and titles[-1].startswith("4. Memory")
    assert sum(t.startswith("2. One training epoch") for t in titles) == 2
    for section in sections:
        assert section.rows and all(r.seconds > 0 for r in section.rows)
    assert "same loss" in out or "micrograd is not installed" in out
    assert out.count("same gradients from NumpyMLP") == 2
    assert "targets met" in out.splitlines()[-1]


def test_interleaved_times_every_contender_and_restores_gc():
    import gc

    calls = []
    times = bench.interleaved(
        {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, rounds=3, gc_off={"b"}
    )
    assert calls == ["a", "b"] * 3 and set(times) == {"a", "b"}
    assert gc.isenabled()
