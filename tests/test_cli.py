"""The gradstep command line: train, lab1 --quick (its report and findings), and errors."""

import json
import os
import subprocess
import sys

import pytest

from experiments.cli import main


def gradstep(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "experiments", *args], capture_output=True, text=True, cwd=cwd
    )


@pytest.fixture(scope="module")
def quick_lab(tmp_path_factory):
    """One `gradstep lab1 --quick` run (seeds 0 and 1) shared by the tests below."""
    out = tmp_path_factory.mktemp("lab") / "lab1"
    result = gradstep("lab1", "--quick", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out, json.loads((out / "results.json").read_text()), result.stdout


def summary(results, key, label):
    return results["experiments"][key][label]["summary"]


def test_lab1_quick_writes_report_results_and_figures(quick_lab):
    out, results, stdout = quick_lab
    assert f"report: {out / 'report.md'}" in stdout
    report = (out / "report.md").read_text()
    for heading in (
        "## 2. Back-propagation, derived",
        "## 4. Results",
        "### Part 1: linear data",
        "### Part 2: XOR data",
        "### A. Learning rates",
        "### B. Hidden units",
        "### C. Without activation functions",
        "### D. The seed report's derivation",
        "### A. Optimizers",
        "### B. Activation functions",
    ):
        assert heading in report
    for name in results["figures"].values():
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({name})" in report
    assert results["meta"]["seeds"] == [0, 1] and results["meta"]["quick"] is True
    assert not any(p.name.startswith(".") for p in out.parent.iterdir())  # no temp folder left


def test_parts_1_and_2_reach_100_percent_with_the_report_settings(quick_lab):
    """Report settings (2-4-4-1, sigmoid, no bias, lr 0.05, 10,000 epochs, summed cross-entropy
    delta), seeds 0 and 1: every run classifies every point."""
    _, results, _ = quick_lab
    for key in ("part1", "part2"):
        variant = results["experiments"][key]["report settings"]
        settings = variant["settings"]
        assert (
            settings["lr"],
            settings["epochs"],
            settings["bias"],
            settings["loss"],
            settings["reduction"],
        ) == (0.05, 10_000, False, "bce", "sum")
        assert [r["final_accuracy"] for r in variant["runs"]] == [1.0, 1.0]
        assert all(len(r["history"]["loss"]) == len(r["history"]["epoch"]) for r in variant["runs"])


def test_report_findings_appear_as_measured_numbers(quick_lab):
    out, results, _ = quick_lab
    tiny = summary(results, "learning_rate", "lr=0.0001")
    assert tiny["converged_runs"] == 0 and tiny["final_loss_mean"] > 0.2  # stays near start
    big = summary(results, "learning_rate", "lr=2")
    assert big["converged_runs"] == 0 and big["final_loss_mean"] > 0.1  # never converges
    good = summary(results, "learning_rate", "lr=0.05")
    assert good["perfect_runs"] == good["seeds"]
    two = summary(results, "hidden_units", "2 units")
    assert two["perfect_runs"] < summary(results, "hidden_units", "4 units")["perfect_runs"]
    assert two["perfect_runs"] < summary(results, "hidden_units", "10 units")["perfect_runs"]
    assert summary(results, "no_activation", "xor, lr=0.005")["accuracy_mean"] < 0.6
    assert summary(results, "no_activation", "linear, lr=0.005")["accuracy_mean"] >= 0.95
    report = (out / "report.md").read_text()
    assert f"moves the MSE from {tiny['initial_loss_mean']:.4f}" in report


def test_derivation_check_finds_the_seed_reports_update_order(quick_lab):
    _, results, _ = quick_lab
    for row in results["derivation_check"]["rows"]:
        assert row["relative_error"]["W3"] < 1e-12  # the first step is exact
        assert row["relative_error"]["W2"] > 1e-3  # the next ones go through updated weights
        assert row["engine_vs_lab_max_abs_diff"] < 1e-12


def test_train_command_prints_lab_lines_and_writes_plots(tmp_path, capsys):
    prefix = tmp_path / "run"
    code = main(
        [
            "train",
            "--data",
            "xor",
            "--epochs",
            "2000",
            "--log-every",
            "1000",
            "--engine",
            "tensor",
            "--optimizer",
            "adam",
            "--lr",
            "0.02",
            "--bias",
            "--plots",
            str(prefix),
        ]
    )
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0].startswith("epoch 0 loss : ") and out[2].startswith("epoch 2000 loss : ")
    assert (
        out[3].startswith("Prediction 0: ")
        and len([x for x in out if x.startswith("Prediction")]) == 21
    )
    assert any(line.startswith("loss=") and line.endswith("%") for line in out)
    for suffix in ("curve", "comparison", "boundary"):
        assert (tmp_path / f"run_{suffix}.png").stat().st_size > 1000


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "--data", "mnist"], "argument --data: invalid choice: 'mnist'"),
        (["train", "--lr", "-0.1"], "argument --lr: expected a positive number, got -0.1"),
        (["train", "--epochs", "ten"], "argument --epochs: expected an integer >= 0, got 'ten'"),
        (["train", "--sizes", "2-x-1"], "expected sizes like 2-4-4-1"),
        (["train", "--sizes", "3-4-1"], "--sizes must start with 2"),
        (["train", "--plots", "/nonexistent/dir/p"], "directory /nonexistent/dir does not exist"),
        (["lab1", "--seeds", "0"], "argument --seeds: expected a positive integer, got 0"),
        (["lab1", "--out", "/proc/gradstep-test"], "cannot write to /proc"),
    ],
)
def test_command_line_errors_are_one_line_and_status_2(args, message, tmp_path):
    result = gradstep(*args, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gradstep: error: ") and message in lines[0]
    assert result.stdout == "" and list(tmp_path.iterdir()) == []


def test_lab1_refuses_a_non_empty_unrelated_directory(tmp_path):
    keep = tmp_path / "notes.txt"
    keep.write_text("mine")
    result = gradstep("lab1", "--quick", "--out", str(tmp_path))
    assert result.returncode == 2 and "not an earlier lab1 output" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_help_lists_the_commands():
    result = gradstep("--help")
    assert result.returncode == 0
    for command in ("lab1", "train", "demo"):
        assert command in result.stdout


def test_console_script_is_installed():
    script = os.path.join(os.path.dirname(sys.executable), "gradstep")
    assert os.path.exists(script)
    result = subprocess.run([script, "demo"], capture_output=True, text=True)
    assert result.returncode == 0 and "gradcheck passed: 3 derivatives" in result.stdout


def test_graph_command_draws_the_network(tmp_path, capsys):
    import xml.etree.ElementTree as ET

    from autograd import find_renderer

    out = tmp_path / "net.svg"
    code = main(
        [
            "graph",
            "--data",
            "xor",
            "--sample",
            "3",
            "--collapse",
            "neuron",
            "--after-backward",
            "--out",
            str(out),
        ]
    )
    printed = capsys.readouterr().out.strip()
    assert code == 0
    if find_renderer() is None:
        assert printed == f"graph: {out.with_suffix('.gv')}"
        return
    assert printed == f"graph: {out}"
    text = "".join(ET.parse(out).getroot().itertext())
    assert "layer1/neuron3" in text and "layer3/neuron0" in text and "x[0]" in text
    assert "label 1" in text  # the title names the point's label


def test_graph_command_errors(tmp_path):
    result = gradstep("graph", "--sample", "99", "--out", str(tmp_path / "g.svg"))
    assert (
        result.returncode == 2 and "--sample 99 is out of range: xor has 21 points" in result.stderr
    )
    result = gradstep(
        "graph", "--collapse", "none", "--max-nodes", "10", "--out", str(tmp_path / "g.svg")
    )
    assert (
        result.returncode == 2 and "--collapse layer gives 4; or raise --max-nodes" in result.stderr
    )
    assert list(tmp_path.iterdir()) == []


def test_lab1_convolution_extra(quick_lab):
    """Extra C: the CNN on the image sets over seeds 0 and 1, tested on fresh data."""
    out, results, _ = quick_lab
    from experiments.lab.extra_c import summary

    sets = results["convolution"]["sets"]
    assert set(sets) == {"linear-images", "xor-images", "bars"}
    bars_cnn, bars_mlp = summary(sets["bars"], "cnn"), summary(sets["bars"], "mlp_pixels")
    assert bars_cnn["seeds"] == 2 and bars_cnn["test_mean"] >= 0.95
    assert bars_cnn["test_mean"] > bars_mlp["test_mean"]  # orientation is what a filter sees
    assert summary(sets["xor-images"], "cnn")["test_mean"] == 1.0
    report = (out / "report.md").read_text()
    assert "### C. Convolutional layers" in report
    assert f"reaches {100 * bars_cnn['test_mean']:.2f}% on fresh bars" in report
    assert np_shape(sets["bars"][0]["filters"]) == (4, 1, 3, 3)


def np_shape(nested):
    import numpy as np

    return np.array(nested).shape


def test_lab1_records_phase_times_and_the_lr_hidden_grid(quick_lab):
    """results.json holds each phase's seconds and the serial-equivalent reference; the report
    gains the learning rate x hidden units heatmap (quick: 3 x 3 cells, 3 seeds)."""
    out, results, _ = quick_lab
    meta = results["meta"]
    assert {"mlp_runs", "lr_hidden_sweep", "figures"} <= set(meta["phases_seconds"])
    assert all(v >= 0 for v in meta["phases_seconds"].values())
    serial = meta["serial_equivalent"]
    assert serial["network_epochs"]["xor"] > 0 and serial["seconds"] > 0
    sweep = results["lr_hidden_sweep"]
    assert sweep["lrs"] == [0.01, 0.1, 1.0] and sweep["hidden"] == [2, 4, 8]
    assert len(sweep["cells"]) == 9 and all(c["seeds"] == 3 for c in sweep["cells"])
    report = (out / "report.md").read_text()
    assert "### A and B together: learning rate x hidden units (XOR)" in report
    assert "](lr_hidden_heatmap.png)" in report and (out / "lr_hidden_heatmap.png").exists()
    assert "Time by phase: MLP runs (as populations)" in report


def test_lab1_measures_the_curvature_behind_the_learning_rate_discussion(quick_lab):
    """results.json holds lambda_max and 2/lambda_max at checkpoints of the lr 0.05 and lr 2
    runs (seed 0); the report's table and sentences are made from those numbers."""
    out, results, _ = quick_lab
    curvature = results["curvature"]
    assert set(curvature) == {"lr=0.05", "lr=2"}
    for label, rows in curvature.items():
        lr = float(label[3:])
        assert rows[0]["epoch"] == 0 and rows[-1]["epoch"] == 2000
        for r in rows:
            assert r["stable_lr"] == pytest.approx(2 / r["lambda_max"])
            assert r["lr_over_stable"] == pytest.approx(lr * r["lambda_max"] / 2)
    assert curvature["lr=2"][0]["lr_over_stable"] > 1 > curvature["lr=0.05"][0]["lr_over_stable"]
    report = (out / "report.md").read_text()
    assert "#### Why lr 2 jumps: the curvature of the loss" in report
    start = curvature["lr=2"][0]
    assert f"lr 2 is {start['lr_over_stable']:.1f} times past that limit" in report
    slow = curvature["lr=0.05"]
    falls = all(b["loss"] < a["loss"] for a, b in zip(slow, slow[1:]))
    assert ("its loss falls from checkpoint to checkpoint" in report) == falls


def test_sharpness_is_the_largest_hessian_eigenvalue_of_the_training_loss():
    """At the lab's initial weights the Hessian from autograd equals a central difference of
    the numpy fast path's gradient, and lambda_max is its largest eigenvalue."""
    import numpy as np

    from experiments.lab.curvature import loss_hessian, sharpness_along
    from experiments.runs import REPORT_SETTING, data_for
    from nets import NumpyMLP

    X, y = data_for(REPORT_SETTING, 0)
    net = NumpyMLP((2, 4, 4, 1), bias=False, init="lab", seed=0)
    state = net.state_dict()
    H = loss_hessian(state, REPORT_SETTING, X, y)
    flat = np.concatenate([v.reshape(-1) for v in state.values()])
    eps, numeric = 1e-6, np.empty_like(H)

    def grad_at(w):
        offset, moved = 0, {}
        for k, v in state.items():
            moved[k] = w[offset : offset + v.size].reshape(v.shape)
            offset += v.size
        net.load_state_dict(moved)
        g = net.loss_and_grads(X, y, loss="bce", reduction="sum")[1]
        return np.concatenate([np.asarray(g[k]).reshape(-1) for k in state])

    for j in range(len(flat)):
        e = np.zeros_like(flat)
        e[j] = eps
        numeric[:, j] = (grad_at(flat + e) - grad_at(flat - e)) / (2 * eps)
    np.testing.assert_allclose(H, numeric, rtol=1e-5, atol=1e-6)
    (row,) = sharpness_along(REPORT_SETTING, 0, [0])
    assert row["lambda_max"] == pytest.approx(np.linalg.eigvalsh(H)[-1], rel=1e-12)


def test_newton_against_gradient_descent_as_the_walkthrough_reads_it():
    """What the walkthrough says of its numbers (seed 0, XOR): Newton's first step lowers the
    loss more than a gradient step, a later Newton step climbs (the Hessian has a negative
    eigenvalue there), gradient descent with lr 0.05 never climbs."""
    import numpy as np

    from experiments.lab.curvature import loss_hessian, newton_and_gradient_descent
    from experiments.runs import REPORT_SETTING, data_for, model_for

    curves = newton_and_gradient_descent(REPORT_SETTING, 0, steps=8, lr=0.05)
    newton, descent = curves["newton"], curves["gradient descent"]
    assert newton[0] == descent[0] and len(newton) == len(descent) == 9
    assert newton[1] < descent[1]
    assert any(b > a for a, b in zip(newton, newton[1:]))
    assert all(b < a for a, b in zip(descent, descent[1:]))
    X, y = data_for(REPORT_SETTING, 0)
    H = loss_hessian(model_for(REPORT_SETTING, 0).state_dict(), REPORT_SETTING, X, y)
    assert np.linalg.eigvalsh(H)[0] < 0


def test_lab1_report_derives_back_propagation_and_ties_it_to_the_code(quick_lab):
    """Section 2 derives the deltas and weight gradients in the report's one notation, every
    formula in the report parses as LaTeX, and its numbers on the stepper's point are results:
    the formulas by hand, the graph engine and NumpyMLP agree to rounding."""
    from report_page import formulas, to_html

    out, results, _ = quick_lab
    report = (out / "report.md").read_text()
    derivation = report[report.index("## 2. Back-propagation") : report.index("## 3. ")]
    phrases = [
        "\\delta_3 = ",
        "\\hat y - y",
        "(\\delta_3 W_3^\\top) \\odot a_2 \\odot (1 - a_2)",
        "a_{k-1}^\\top \\delta_k",
        "sigma'(z)",
        "`NumpyMLP`",
        "`gradstep step --data xor`",
        "its `z_k` is $a_k$ here",
    ]
    for needed in phrases:
        assert needed in derivation, needed
    assert "z1 = sigmoid" not in report  # the seed's names appear once, as a mapping
    assert len(formulas(report)) > 20
    assert "<math" in to_html(report)  # every formula converts (a bad one raises)
    example = results["derivation_example"]
    assert example["sample"] == 2 and example["delta3"] == example["delta3_graph"]
    for name, diffs in example["max_abs_difference"].items():
        assert diffs["graph"] < 1e-12 and diffs["NumpyMLP"] < 1e-12, name
    assert f"`dL/dz3[0]` {example['delta3_graph']:.6f}" in derivation


def results_hidden_lines(out) -> list[str]:
    """Discussion B's bullets, as the report prints them."""
    report = (out / "report.md").read_text()
    section = report.split("### B. Hidden units", 1)[1].split("![hidden units]", 1)[0]
    return [line for line in section.splitlines() if line.startswith("- ")]


def test_lab1_report_prints_results_not_noise(quick_lab):
    """No noisy speed claim (phase times only), no rounding noise as a spread, section D says
    what its measure and its control column are, section B says what its table shows, the CNN's
    place on the linear images is said."""
    from experiments.lab.report import _spread

    out, _, _ = quick_lab
    report = (out / "report.md").read_text()
    assert "network-epochs" not in report and "x less" not in report
    assert [_spread(3.9e-17, 1.6e-5), _spread(8e-6, 1.6e-5)] == ["0", "8e-06"]
    assert "e-17" not in report and "e-18 ±" not in report
    assert "the relative error of the step it applies" in report
    assert "The fifth column is a control" in report
    assert "On the linear images the CNN is" in report
    widths = results_hidden_lines(out)
    assert widths[0].startswith("- The table's point is the smallest width that learns XOR")
    assert widths[1].startswith("- Wider layers get there sooner: median ")


def test_lab1_writes_the_discussions_timelines_and_links_them(quick_lab):
    """Discussions A and B link the watched runs behind them (learning rates; hidden units),
    pages written next to the report, each a timeline of its runs."""
    out, results, _ = quick_lab
    report = (out / "report.md").read_text()
    for name, runs in (("learning_rates", 3), ("hidden_units", 4)):
        page = results["timelines"][name]
        assert page == f"timeline_{name}.html" and f"]({page})" in report
        text = (out / page).read_text()
        data = text.split('id="gradstep-data">', 1)[1].split("</script>", 1)[0]
        assert len(json.loads(data.replace("<\\/", "</"))["timeline"]["runs"]) == runs
