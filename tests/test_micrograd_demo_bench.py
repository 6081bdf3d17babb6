"""The micrograd-demo benchmark runs end to end at a tiny size (no timing asserted): every
contender in its own process, agreement checked before any figure."""

import pathlib
import subprocess
import sys

import pytest

from experiments.benchmarks import micrograd_demo

REPO = pathlib.Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_tiny_demo_bench_checks_agreement_and_reports_rows():
    result = subprocess.run(
        [sys.executable, "-m", micrograd_demo.MODULE, "--samples", "6", "--steps", "2"],
        capture_output=True, text=True, cwd=REPO, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "gradstep " in out and "gradstep-hinge" in out and "ms/step" in out
    assert "gradstep-hinge: all 2 losses agree with" in out
    try:
        import micrograd  # noqa: F401
    except ImportError:
        assert "micrograd is not installed" in out
    else:
        assert "gradstep: all 2 losses agree with micrograd's to 1e-12 relative" in out
        assert "(ratio: micrograd / row" in out


def test_disagreement_names_the_first_step_that_differs():
    ref = [(1.0, 0.5), (0.5, 0.75)]
    assert micrograd_demo.disagreement(ref, [(1.0, 0.5), (0.5 * (1 + 1e-13), 0.75)]) is None
    said = micrograd_demo.disagreement(ref, [(1.0, 0.5), (0.5 * (1 + 1e-9), 0.75)])
    assert said.startswith("step 1: loss")
    assert micrograd_demo.disagreement(ref, [(1.0, 0.5), (0.5, 0.5)]).endswith("0.5 vs 0.75")


def test_bad_arguments_exit_2():
    with pytest.raises(SystemExit) as info:
        micrograd_demo.main(["--samples", "1"])
    assert info.value.code == 2
