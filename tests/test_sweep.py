"""`gradstep sweep`: a small grid end to end (files, numbers equal to single-network training),
and its one-line errors that write nothing."""

import csv
import json
import subprocess
import sys
from dataclasses import replace

import pytest

from experiments.runs import REPORT_SETTING, run_one, train_runs
from experiments.sweep import SweepGrid, run_sweep

SMALL = ["--lr", "0.05,0.5", "--hidden", "2,4", "--seeds", "2", "--epochs", "300", "--quiet"]


def gradstep(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "experiments", *args], capture_output=True, text=True, cwd=cwd
    )


@pytest.mark.slow
def test_sweep_writes_heatmaps_results_and_csv(tmp_path):
    out = tmp_path / "sweep"
    result = gradstep("sweep", "--data", "xor", *SMALL, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "gradstep sweep: 8 runs (4 settings x 2 seeds, 300 epochs each) on xor" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        ".gradstep-files",  # what gradstep wrote: a rerun replaces only these
        "heatmap_sigmoid_sgd.png",
        "results.json",
        "sweep.csv",
    ]
    assert (out / "heatmap_sigmoid_sgd.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    results = json.loads((out / "results.json").read_text())
    assert results["lrs"] == [0.05, 0.5] and results["hidden"] == [2, 4]
    assert len(results["cells"]) == 4
    with open(out / "sweep.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 8 and {r["hidden"] for r in rows} == {"2", "4"}
    # every cell's numbers summarise its runs
    for cell in results["cells"]:
        accs = [r["final_accuracy"] for r in cell["runs"]]
        assert cell["mean_final_accuracy"] == pytest.approx(sum(accs) / len(accs))
        reached = [r for r in cell["runs"] if r["epochs_to_converge"] is not None]
        assert cell["converged_fraction"] == len(reached) / len(cell["runs"])
    # a second sweep may replace the first; a folder of other files is refused
    again = gradstep("sweep", *SMALL, "--out", str(out))
    assert again.returncode == 0, again.stderr


def test_sweep_cells_equal_single_network_training():
    """Each run of a sweep (trained in populations) gives what run_one gives for it alone."""
    grid = SweepGrid(data="xor", lrs=[0.1, 1.0], hidden=[3], seeds=2, epochs=500)
    results = run_sweep(grid, None, progress=False, log=lambda _: None)
    for cell in results["cells"]:
        setting = grid.setting(cell["lr"], cell["hidden"], "sigmoid", "sgd")
        for run in cell["runs"]:
            alone = run_one(setting, run["seed"])
            assert run["final_loss"] == pytest.approx(alone["final_loss"], rel=1e-9, abs=1e-15)
            assert run["final_accuracy"] == alone["final_accuracy"]
            assert run["epochs_to_converge"] == alone["epochs_to_converge"]


def test_train_runs_keeps_order_and_data_per_seed():
    """Mixed settings (two data sets, two widths, lrs) come back in the order given, each equal
    to its single-network run (the linear set is drawn from each run's seed)."""
    base = replace(REPORT_SETTING, epochs=200)
    jobs = [
        (replace(base, dataset="linear", lr=0.1), 3),
        (replace(base, layer_sizes=(2, 3, 3, 1)), 1),
        (replace(base, dataset="linear", lr=0.2), 4),
        (base, 0),
    ]
    for (setting, seed), record in zip(jobs, train_runs(jobs)):
        alone = run_one(setting, seed)
        assert record["seed"] == seed
        assert record["history"]["loss"] == pytest.approx(alone["history"]["loss"], rel=1e-9)
        assert record["log"] == alone["log"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "args, message",
    [
        (["--lr", "0.1,-1"], "argument --lr: expected positive numbers, got -1"),
        (["--lr", ","], "argument --lr: expected a comma-separated list of positive numbers"),
        (["--hidden", "2,x"], "argument --hidden: expected positive integers, got 'x'"),
        (["--hidden", "0"], "argument --hidden: expected positive integers, got 0"),
        (["--activation", "gelu"], "argument --activation: expected names from"),
        (["--seeds", "0"], "argument --seeds: expected a positive integer, got 0"),
        (["--seeds", "100000000"], "sweep (its largest population) would hold about"),
    ],
)
def test_sweep_errors_are_one_line_exit_2_and_write_nothing(tmp_path, args, message):
    result = gradstep("sweep", *args, "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("gradstep: error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_sweep_refuses_a_folder_that_is_not_a_sweep(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    result = gradstep("sweep", *SMALL, "--out", str(tmp_path))
    assert result.returncode == 2 and "not an earlier sweep output" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_a_diverged_cell_is_strict_json(tmp_path):
    """lr 10 on relu with an unsquashed output overflows: results.json names the numbers that
    are not finite ("inf"/"nan") and is strict JSON (no NaN or Infinity tokens)."""
    import numpy as np

    base = replace(REPORT_SETTING, loss="mse", bias=True, output_activation="none")
    grid = SweepGrid(
        data="xor", lrs=[10.0, 0.05], hidden=[4], seeds=1, epochs=100, activations=["relu"],
        base=base,
    )  # fmt: skip
    with np.errstate(all="ignore"):
        run_sweep(grid, tmp_path / "s", progress=False, log=lambda _: None)
    text = (tmp_path / "s" / "results.json").read_text()
    results = json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in results.json"))
    diverged, calm = sorted(results["cells"], key=lambda c: -c["lr"])
    assert diverged["mean_final_mse"] in ("inf", "nan")
    assert isinstance(calm["mean_final_mse"], float)


def test_strict_json_names_every_number_that_is_not_finite():
    import numpy as np

    from experiments.jsondata import dumps

    data = {"a": float("nan"), "b": [np.float64("inf"), -np.inf, 1.5], "c": np.array([np.nan, 2])}
    assert json.loads(dumps(data)) == {"a": "nan", "b": ["inf", "-inf", 1.5], "c": ["nan", 2.0]}
    with pytest.raises(ValueError):
        json.dumps(data, allow_nan=False)  # what dumps avoids
