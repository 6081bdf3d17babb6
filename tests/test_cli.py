"""The gradstep command line: train, graph, help, the console script, and errors (lab1 and its
report: test_lab_report.py)."""

import os
import subprocess
import sys

import pytest

from experiments.cli import main


def gradstep(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "experiments", *args], capture_output=True, text=True, cwd=cwd
    )


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_help_lists_the_commands():
    result = gradstep("--help")
    assert result.returncode == 0
    for command in ("lab1", "train", "demo"):
        assert command in result.stdout


@pytest.mark.slow
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


@pytest.mark.slow
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


def subcommand_parsers():
    import argparse

    from experiments.cli import build_parser

    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sub.choices


def help_entries(text: str) -> dict[str, str]:
    """An option's entry in --help (its first flag: the text up to the next option)."""
    import re

    options = text.split("\noptions:\n", 1)[1]
    parts = re.split(r"\n  (?=-)", "\n" + options)
    return {part.split()[0].rstrip(","): " ".join(part.split()) for part in parts if part.strip()}


@pytest.mark.parametrize("command", sorted(subcommand_parsers()))
def test_every_options_help_shows_its_default(command):
    """Each option of `gradstep COMMAND --help` says its default: the value as one would type
    it (2-4-4-1, 0.05, --no-bias), or in words where there is none."""
    from experiments.cli import shown_default

    parser = subcommand_parsers()[command]
    entries = help_entries(parser.format_help())
    for action in parser._actions:
        if not action.option_strings or action.dest == "help" or action.required:
            continue
        entry = entries[action.option_strings[0]]
        assert "default" in entry, (command, entry)
        if action.default not in (None, False, []) and "(default: " in entry:
            typed = shown_default(action.default)
            if isinstance(action.default, bool):
                typed = "--bias" if action.default else "--no-bias"
            assert f"(default: {typed})" in entry, (command, entry)


def test_the_networks_step_graph_and_train_build_are_named_in_their_help():
    """train builds the lab's network (no biases), step and graph one with biases: each --help
    says which, and the parsers' defaults are what they say."""
    parsers = subcommand_parsers()
    for command, bias in (("train", False), ("watch", False), ("step", True), ("graph", True)):
        parser = parsers[command]
        assert parser.parse_args([]).bias is bias
        text = " ".join(parser.format_help().split())
        assert f"(default: {'--bias' if bias else '--no-bias'})" in text
        if command != "watch":
            assert ("no biases" in text) and ("step" in text or "train" in text), command
    assert "The network has biases by default" in " ".join(parsers["step"].format_help().split())
    assert "no biases, the lab's initialisation" in " ".join(parsers["train"].format_help().split())
