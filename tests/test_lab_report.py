"""gradstep lab1 and its report: one --quick run (seeds 0 and 1) read as a reader reads it (its
sections, findings as measured numbers, figures, pages), and what lab1 checks before it trains."""

import json
import re
import subprocess
import sys

import pytest


def gradstep(*args, cwd=None, env=None):
    return subprocess.run(
        [sys.executable, "-m", "experiments", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
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


@pytest.mark.slow
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


def test_lab1_report_derives_back_propagation_and_ties_it_to_the_code(quick_lab):
    """Section 2 derives the deltas and weight gradients in the report's one notation, every
    formula in the report parses as LaTeX, and its numbers on the stepper's point are results:
    the formulas by hand, the graph engine and NumpyMLP agree to rounding."""
    from experiments.lab.page import formulas, report_html

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
    assert "<math" in report_html(report)  # every formula converts (a bad one raises)
    example = results["derivation_example"]
    # numpy's `@` by hand against the graph engine's sums: equal to rounding (1e-12 relative),
    # not bit for bit (how many ulps apart depends on the CPU)
    assert example["sample"] == 2
    assert example["delta3_graph"] == pytest.approx(example["delta3"], rel=1e-12)
    scale = example["gradient_scale"]
    for name, diffs in example["max_abs_difference"].items():
        assert diffs["graph"] <= 1e-12 * scale and diffs["NumpyMLP"] <= 1e-12 * scale, name
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

    out, results, _ = quick_lab
    report = (out / "report.md").read_text()
    assert "network-epochs" not in report and "x less" not in report
    assert [_spread(3.9e-17, 1.6e-5), _spread(8e-6, 1.6e-5)] == ["0", "8e-06"]
    # a difference at rounding level appears only as agreement, with its size: whatever this
    # CPU's rounding gives (0, 2.8e-17, 5.6e-17), the sentence reads the same
    tiny = re.compile(r"\d(?:\.\d+)?e-(?:1[3-9]|[2-9]\d)")
    agreed = re.compile(r"agree to rounding \(largest difference (?:0|\d\.\de-\d\d)\)")
    section2 = report[report.index("## 2. Back-propagation") : report.index("## 3. ")]
    assert len(agreed.findall(section2)) == 2  # the graph engine and NumpyMLP, both agree
    assert "exactly" not in section2
    seeds = len(results["derivation_check"]["rows"])
    table_d = report[report.index("### D. The seed report") : report.index("## 6. Extras")]
    assert len(agreed.findall(table_d)) == 2 * seeds  # W3's step and the control, each seed
    for comparisons in (section2, table_d):  # (a final MSE of 2e-15 elsewhere is a result)
        assert not tiny.search(agreed.sub("", comparisons)), tiny.search(agreed.sub("", report))
    assert "the relative error of the step it applies" in report
    assert "The fifth column is a control" in report
    assert "On the linear images the CNN is" in report
    widths = results_hidden_lines(out)
    assert widths[0].startswith("- The table's point is the smallest width that learns XOR")
    assert widths[1].startswith("- Wider layers get there sooner: median ")


@pytest.mark.slow
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


def test_agreement_is_stated_the_same_way_below_the_tolerance():
    """Below 1e-12 of the quantities' size two computations agree (with the difference's size),
    above it the difference is a finding; 0 prints as 0."""
    from experiments.lab.report import agreement

    assert agreement(0.0, 0.3) == "agree to rounding (largest difference 0)"
    assert agreement(5.6e-17, 0.42) == "agree to rounding (largest difference 5.6e-17)"
    assert agreement(2.8e-17, 0.42) == "agree to rounding (largest difference 2.8e-17)"
    assert agreement(1e-9, 0.42) == "differ by up to 1.0e-09"


def test_lab1_ends_by_naming_every_file_to_open(quick_lab):
    """The last lines name the report, the timeline pages, the stepper and results.json, each
    a file that exists, and count the figures."""
    out, results, stdout = quick_lab
    lines = stdout.splitlines()
    tail = lines[lines.index(next(x for x in lines if x.startswith("gradstep lab1: done"))) :]
    named = [line.split()[0] for line in tail if line.startswith(f"  {out}")]
    pages = [*results["timelines"].values(), results["stepper"]]
    expected = ["report.md", "report.html", *pages, "results.json"]
    assert named == [str(out / name) for name in expected]
    assert all((out / name).exists() for name in expected)
    assert f"  and {len(results['figures'])} figures (PNG, shown in the report)" in tail


def test_lab1_writes_section_2s_stepper(quick_lab):
    """The stepper of section 2's point (`gradstep step --data xor`'s page) is written beside
    the report, named by its point, and its data holds the loss's backward steps."""
    out, results, _ = quick_lab
    page = results["stepper"]
    assert page == f"stepper_xor_point{results['derivation_example']['sample']}.html"
    text = (out / page).read_text()
    data = json.loads(text.split('id="gradstep-data">', 1)[1].split("</script>", 1)[0])
    assert data["svg"].startswith("<svg") and len(data["trace"]["steps"]) > 10
    assert data["trace"]["title"].startswith("bce loss of a 2-4-4-1 sigmoid net on xor point 2")


def test_lab1_refuses_before_training_without_a_renderer(tmp_path, monkeypatch, capsys):
    """No Graphviz renderer (none on PATH, none beside the interpreter): lab1 refuses at once,
    naming the renderer and the install command of a clone and of a wheel, writes nothing."""
    from autograd.views import rendering
    from experiments.cli import main

    monkeypatch.setattr(rendering, "find_renderer", lambda: None)
    out = tmp_path / "lab1"
    assert main(["lab1", "--quick", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gradstep: error: gradstep lab1 needs a Graphviz renderer")
    assert "pip install -e '.[lab]'" in err and "pip install 'gradstep[lab]'" in err
    assert "apt-get install graphviz" in err and len(err.strip().splitlines()) == 1
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_lab1_refuses_before_training_without_matplotlib(tmp_path, monkeypatch, capsys):
    """A missing module the figures or report.html need is named, with what it is for."""
    import importlib.util

    from experiments.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name)
    )
    assert main(["lab1", "--quick", "--out", str(tmp_path / "lab1")]) == 2
    err = capsys.readouterr().err
    assert "needs matplotlib (for the report's figures)" in err
    assert list(tmp_path.iterdir()) == []


def test_lab1_refuses_an_unwritable_output_before_training(tmp_path):
    """A read-only place for --out is refused before any work (as root too: probed)."""
    result = gradstep("lab1", "--quick", "--out", "/proc/gradstep-lab", cwd=tmp_path)
    assert result.returncode == 2 and "cannot write to /proc" in result.stderr
    assert "training runs" not in result.stdout


def png_size(path) -> tuple[int, int]:
    """(width, height) from a PNG's header."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def test_every_figure_fits_the_report_page_at_its_own_size(quick_lab):
    """No figure is wider than the page (928 px), so none is shrunk and its text keeps the
    size it was drawn at (tests/test_figures.py: at least 10 px)."""
    from experiments.plots import PAGE_WIDTH_PX

    out, results, _ = quick_lab
    widths = {name: png_size(out / name)[0] for name in results["figures"].values()}
    assert len(widths) == 17 and max(widths.values()) <= PAGE_WIDTH_PX, widths


def test_report_html_is_the_report_as_one_offline_page(quick_lab):
    """report.html beside report.md: formulas as MathML, every figure embedded, the pages
    linked relative, no script, nothing from anywhere else."""
    out, results, _ = quick_lab
    page = (out / "report.html").read_text()
    report = (out / "report.md").read_text()
    from experiments.lab.page import formulas

    assert page.count("<math") == len(formulas(report)) > 20
    assert "$$" not in page and "<script" not in page and "@import" not in page
    images = re.findall(r'<img alt="[^"]*" src="([^"]+)"', page)
    assert len(images) == report.count("![") and all(
        src.startswith("data:image/png;base64,") for src in images
    )
    for name in [*results["timelines"].values(), results["stepper"]]:
        assert f'href="{name}"' in page and (out / name).exists()
    assert not re.search(r'(src|href)="(https?:)?//', page)


@pytest.mark.browser
def test_report_html_reads_in_chromium(quick_lab, browser, tmp_path):
    """In Chromium at 1024x700 and 1600x1000: the headings by role, every figure loaded and
    shown at its own size (not shrunk), the formulas drawn, the links to the pages, no console
    error, no request but the page itself. Screenshots go to the test's folder."""
    from browser import watched

    out, results, _ = quick_lab
    uri = (out / "report.html").as_uri()
    for width, height in ((1024, 700), (1600, 1000)):
        page = browser.new_page(viewport={"width": width, "height": height})
        seen = watched(page)
        page.goto(uri)
        assert page.get_by_role("heading", level=1).inner_text().startswith("Lab 1:")
        for name in ("2. Back-propagation, derived", "4. Results", "5. Discussion"):
            assert page.get_by_role("heading", name=name, exact=True).count() == 1
        shown = page.evaluate(
            "() => [...document.images].map(i => [i.complete, i.naturalWidth,"
            " i.getBoundingClientRect().width])"
        )
        assert len(shown) == len(results["figures"])
        assert all(ok and natural > 0 and abs(w - natural) < 1 for ok, natural, w in shown)
        maths = page.locator("math").evaluate_all(
            "ms => ms.map(m => m.getBoundingClientRect().height)"
        )
        assert maths and min(maths) > 8  # laid out as formulas, not collapsed
        for name in results["timelines"].values():
            assert page.get_by_role("link", name=name).count() >= 1
        overflow = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
        assert overflow <= 0  # wide tables scroll in their own box, the page does not
        page.screenshot(path=str(tmp_path / f"report_{width}.png"))
        assert seen.errors == [] and seen.requests == [uri]
        page.close()


def test_the_report_is_its_section_templates_filled(quick_lab):
    """Every section's prose comes from its template: each template is used, every field is
    filled (no "@{" left), and a template missing a field refuses by name."""
    from experiments.lab.prose import fill, template_names

    out, _, _ = quick_lab
    report = (out / "report.md").read_text()
    assert "@{" not in report
    names = template_names()
    assert {"header", "derivation", "setup", "part", "discussion_a", "discussion_d"} <= set(names)
    for name in names:  # the longest fixed words of each template's first line are there
        first = next(line for line in template_text(name).splitlines() if line.strip())
        words = max(re.split(r"@\{\w+\}", first), key=len).strip()
        assert len(words) >= 3 and words in report, name
    with pytest.raises(KeyError, match="sample"):
        fill("derivation_example", x0=0)


def template_text(name: str) -> str:
    from importlib.resources import files

    return (files("experiments.lab") / "templates" / f"{name}.md").read_text()
