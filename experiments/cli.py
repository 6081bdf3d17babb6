"""The ``gradstep`` command line.

    gradstep lab1 [--out DIR] [--seeds N] [--quick]      the whole lab, report in DIR/report.md
    gradstep train [--data xor] [--engine numpy] ...      one configuration, every knob
    gradstep graph [--collapse neuron] [--out graph.svg]  draw the network for one sample
    gradstep step [--data xor] [--out steps.html]         a page to click through backward
    gradstep export model.npz --torch model.pt            a saved network out to PyTorch
    gradstep check PATH... [--json grades.json]           check training steps and gradients
    gradstep sweep --lr 0.01,0.1 --hidden 2,4 --seeds 10  heatmaps over settings and seeds
    gradstep bench [--quick]                              speed, as ratios measured in one run
    gradstep demo                                         a short engine demonstration

Command-line errors print one line (``gradstep: error: ...``) and exit with status 2, before
anything is written.
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage block) and status 2, and every option's default
    in ``--help``."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _DefaultsShown)
        super().__init__(*args, **kwargs)

    def error(self, message: str):  # noqa: D401 - argparse's name
        self.exit(2, f"gradstep: error: {message}\n")


def shown_default(value) -> str:
    """A default as one would type it: 2-4-4-1, 0.1,0.5, out/lab1, --bias."""
    if isinstance(value, tuple):
        return "-".join(map(str, value))
    if isinstance(value, list):
        if not value:
            return "none"
        return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class _DefaultsShown(argparse.HelpFormatter):
    """Each option's help ends with "(default: ...)", unless it says its default itself (a
    default of None is always explained in words)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        help = action.help or ""
        if not action.option_strings or action.required or "default" in help:
            return help
        if action.default is argparse.SUPPRESS:
            return help
        if action.default is None:
            return f"{help} (default: none)"
        if isinstance(action, argparse.BooleanOptionalAction):
            flag = action.option_strings[0 if action.default else 1]
            return f"{help} (default: {flag})"
        if action.nargs == 0:  # store_true: off unless given
            return f"{help} (default: off)"
        return f"{help} (default: {shown_default(action.default)})".replace("%", "%%")


def _number(convert, accept, expected: str):
    """An argparse type: ``convert`` the text, then ``accept`` it or name what was expected."""

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not accept(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text}")
        return value

    return parse


_positive_int = _number(int, lambda v: v >= 1, "a positive integer")
_non_negative_int = _number(int, lambda v: v >= 0, "an integer >= 0")
_positive_float = _number(float, lambda v: 0 < v < float("inf"), "a positive number")
_non_negative_float = _number(float, lambda v: 0 <= v < float("inf"), "a number >= 0")


def _list_of(convert, accept, expected: str):
    """An argparse type for comma-separated values, each converted and accepted."""

    def parse(text: str):
        parts = [p.strip() for p in text.split(",") if p.strip()]
        if not parts:
            raise argparse.ArgumentTypeError(f"expected a comma-separated list of {expected}")
        values = []
        for part in parts:
            try:
                value = convert(part)
            except ValueError:
                raise argparse.ArgumentTypeError(f"expected {expected}, got {part!r}") from None
            if not accept(value):
                raise argparse.ArgumentTypeError(f"expected {expected}, got {part}")
            values.append(value)
        return values

    return parse


def _choices_list(choices):
    return _list_of(str, lambda v: v in choices, f"names from {', '.join(sorted(choices))}")


def _layer_sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.replace(",", "-").split("-"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 2-4-4-1, got {text!r}") from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"expected at least two positive sizes, got {text!r}")
    return sizes


@functools.cache
def _shared_options() -> dict[str, dict]:
    """Every option that several commands take, defined once: its name and argparse keywords
    (a command changes a keyword, e.g. a default, where it differs)."""
    from nets import ACTIVATIONS, INITS, LOSSES, REDUCTIONS

    from .datasets import DATASETS

    return {
        "--data": dict(choices=sorted(DATASETS), default="xor", help="the data set"),
        "--n": dict(type=_positive_int, default=100, help="number of points (ignored by xor)"),
        "--sizes": dict(type=_layer_sizes, default=(2, 4, 4, 1), help="layer sizes, e.g. 2-4-4-1"),
        "--activation": dict(
            choices=sorted(ACTIVATIONS), default="sigmoid", help="the hidden layers' activation"
        ),
        "--bias": dict(
            action=argparse.BooleanOptionalAction,
            default=False,
            help="give every neuron a bias (the lab's network, which lab1 trains, has none; "
            "step and graph draw one with biases)",
        ),
        "--init": dict(choices=INITS, default="lab", help="how the weights start"),
        "--loss": dict(choices=LOSSES, default="bce", help="the loss minimised"),
        "--reduction": dict(
            choices=REDUCTIONS, default="sum", help="the loss over the points: sum or mean"
        ),
        "--seed": dict(type=_non_negative_int, default=0, help="initialisation seed"),
        "--quiet": dict(action="store_true", help="no progress bar and no epoch lines"),
        "--jobs": dict(type=_positive_int, default=None, help="worker processes (default: 2)"),
    }


def _option(parser: argparse.ArgumentParser, name: str, **changes) -> None:
    """Add the shared option ``name`` to ``parser``, with ``changes`` to its keywords."""
    parser.add_argument(name, **{**_shared_options()[name], **changes})


def _out_option(parser: argparse.ArgumentParser, default: str, help: str) -> None:
    parser.add_argument("--out", type=Path, default=Path(default), help=help)


def _training_options(parser, lr_type, seed_type, many: bool = False) -> None:
    """The options of one training run (``train``; ``watch`` takes lists for ``--lr`` and
    ``--seed``: one run per value)."""
    from nets import ACTIVATIONS, ENGINES, OPTIMIZERS

    listed = " (comma-separated: one run each)" if many else ""
    for name in ("--data", "--n"):
        _option(parser, name)
    parser.add_argument(
        "--data-seed", type=_non_negative_int, default=0, help="seed of the data (not xor)"
    )
    for name in ("--sizes", "--activation"):
        _option(parser, name)
    parser.add_argument(
        "--output-activation",
        choices=sorted(ACTIVATIONS),
        default="sigmoid",
        help="the output layer's activation",
    )
    for name in ("--bias", "--init", "--loss", "--reduction"):
        _option(parser, name)
    parser.add_argument(
        "--optimizer", choices=sorted(OPTIMIZERS), default="sgd", help="the update rule"
    )
    parser.add_argument(
        "--lr", type=lr_type, default=[0.05] if many else 0.05, help=f"learning rate{listed}"
    )
    parser.add_argument(
        "--epochs", type=_non_negative_int, default=10_000, help="full-batch updates"
    )
    _option(
        parser,
        "--seed",
        type=seed_type,
        default=[0] if many else 0,
        help=f"initialisation seed{listed}",
    )
    parser.add_argument(
        "--engine", choices=sorted(ENGINES), default="numpy", help="the engine that trains"
    )


def _network_point_arguments(parser: argparse.ArgumentParser) -> None:
    """The network and the point that ``graph`` and ``step`` build their graph from (read by
    ``_network_on_one_point``)."""
    _option(parser, "--data")
    parser.add_argument(
        "--sample",
        type=_non_negative_int,
        default=None,
        help="index of the point in the data set (default: the first point where every "
        "weight's gradient is non-zero)",
    )
    _option(parser, "--sizes")
    _option(parser, "--activation")
    _option(
        parser,
        "--bias",
        default=True,
        help="give every neuron a bias: unlike the lab's network (train, lab1), so that the "
        "drawing shows how a gradient reaches a neuron's offset; --no-bias draws the lab's",
    )
    _option(parser, "--seed")


def _add_lab1(sub) -> None:
    lab = sub.add_parser("lab1", help="reproduce the whole lab: report, figures, results.json")
    _out_option(
        lab,
        "out/lab1",
        "output directory; replaced if it holds an earlier lab1 output (its .gradstep-files "
        "lists what it wrote), refused if it holds other files",
    )
    lab.add_argument(
        "--seeds",
        type=_positive_int,
        default=None,
        help="seeds per experiment (default: 5, or 2 with --quick)",
    )
    lab.add_argument(
        "--quick",
        action="store_true",
        help="shorter discussion runs (Parts 1 and 2 keep 10,000 epochs)",
    )
    _option(lab, "--jobs", help="worker processes (default: up to 2)")
    lab.set_defaults(run=cmd_lab1)


def _add_train(sub) -> None:
    tr = sub.add_parser(
        "train",
        help="train one configuration and print the lab's lines",
        description="Train one configuration and print the lab's lines. The network is the "
        "lab's by default (2-4-4-1, sigmoid, no biases, the lab's initialisation), as lab1 "
        "trains it; `gradstep step` and `graph` draw one with biases (--bias here gives it).",
    )
    _training_options(tr, _positive_float, _non_negative_int)
    tr.add_argument(
        "--log-every", type=_positive_int, default=1000, help="print the loss every N epochs"
    )
    tr.add_argument(
        "--plots",
        type=Path,
        default=None,
        metavar="PREFIX",
        help="write PREFIX_curve.png, PREFIX_comparison.png, PREFIX_boundary.png",
    )
    _option(tr, "--quiet")
    tr.add_argument(
        "--save",
        type=Path,
        default=None,
        metavar="FILE.npz",
        help="save the trained weights (load with nets.load_network, or `gradstep export`)",
    )
    tr.set_defaults(run=cmd_train)


def _add_watch(sub) -> None:
    wa = sub.add_parser(
        "watch",
        help="train and record a timeline to step through epoch by epoch (an HTML page)",
    )
    _training_options(
        wa,
        _list_of(float, lambda v: 0 < v < float("inf"), "positive numbers"),
        _list_of(int, lambda v: v >= 0, "integers >= 0"),
        many=True,
    )
    wa.add_argument(
        "--every", type=_positive_int, default=50, help="record every N epochs (and the last)"
    )
    _out_option(wa, "training.html", "the page (.html)")
    _option(wa, "--quiet")
    wa.set_defaults(run=cmd_watch)


def _add_export(sub) -> None:
    ex = sub.add_parser(
        "export", help="write a network saved by `gradstep train --save` as a PyTorch file"
    )
    ex.add_argument("model", type=Path, help="a .npz file written by gradstep (Module.save)")
    ex.add_argument(
        "--torch",
        type=Path,
        required=True,
        metavar="FILE",
        help="FILE.pt: a state dict (torch.load, then load_state_dict into the printed "
        "nn.Sequential); FILE.pt2: a whole program (torch.export.load(FILE).module())",
    )
    ex.set_defaults(run=cmd_export)


_WITH_BIASES = (
    "The network has biases by default (--bias), unlike the lab's network that `gradstep train` "
    "and `gradstep lab1` train (no biases): a bias shows how a gradient reaches a neuron's "
    "offset. --no-bias draws the lab's network."
)


def _add_graph(sub) -> None:
    gr = sub.add_parser(
        "graph",
        help="draw the 2-4-4-1 network's computation graph for one sample",
        description=f"Draw a network's computation graph for one point. {_WITH_BIASES}",
    )
    _network_point_arguments(gr)
    gr.add_argument(
        "--collapse",
        choices=["neuron", "layer", "none"],
        default="neuron",
        help="draw a box per neuron, per layer, or every node",
    )
    gr.add_argument(
        "--expand",
        action="append",
        default=[],
        metavar="SCOPE",
        help="draw this scope in full (e.g. layer1/neuron0); repeatable",
    )
    gr.add_argument(
        "--after-backward",
        action="store_true",
        help="run backward first: gradients and chain-rule edge labels",
    )
    gr.add_argument(
        "--max-nodes", type=_positive_int, default=400, help="refuse drawings larger than this"
    )
    _out_option(gr, "graph.svg", "output file: .svg, .png or .pdf (.gv without a renderer)")
    gr.set_defaults(run=cmd_graph)


_CHECK_DESCRIPTION = (
    "Check training steps and hand-written gradients against central differences of the loss. "
    "A program (a .py file, a .ipynb notebook, or a folder holding one program) is run as it "
    "is, stopped after its first update and its network recognised from the arrays it updated; "
    "its step is judged only when gradstep's model of that network reproduces the program's own "
    "predictions (else: not recognised, with an adapter to edit, --adapters DIR). A class "
    "folder gives one row per submission. "
    "A step file defines `params` (a dict of float arrays, or a function returning one), "
    "`loss(params) -> float` and `step(params)` (one training step that updates the arrays in "
    "place or returns the updated dict; an optional `lr` is its step size); a gradient file "
    "defines `params`, `loss` and `grads(params) -> {name: array}`. Each file runs in a process "
    "of its own, in its own folder, with a timeout and a memory limit: this keeps one broken "
    "file from stopping the others, but is not a sandbox, so check only files you would run "
    "yourself. Exit status: 0 when every file is right, 1 when some step or gradient is wrong, "
    "2 when some file could not be checked or was not recognised."
)


def _add_check(sub) -> None:
    ck = sub.add_parser(
        "check",
        help="check learners' training steps: programs, notebooks, folders, a class of them",
        description=_CHECK_DESCRIPTION,
    )
    ck.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="a program (.py, .ipynb, a folder), a step file, or a class folder of them",
    )
    ck.add_argument("--eps", type=_positive_float, default=1e-6, help="central differences' step")
    ck.add_argument("--atol", type=_non_negative_float, default=1e-5, help="absolute tolerance")
    ck.add_argument("--rtol", type=_non_negative_float, default=1e-3, help="relative tolerance")
    ck.add_argument("--timeout", type=_positive_float, default=60.0, help="seconds per file")
    ck.add_argument("--memory", type=_positive_int, default=4096, help="MB of memory per file")
    ck.add_argument("--failures-only", action="store_true", help="list only the wrong entries")
    ck.add_argument("--json", type=Path, metavar="OUT", help="write one record per file")
    ck.add_argument("--csv", type=Path, metavar="OUT", help="write one row per file")
    ck.add_argument("--html", type=Path, metavar="OUT", help="write the class's page (.html)")
    ck.add_argument("--entry", metavar="NAME", help="the file that runs, in a program's folder")
    ck.add_argument(
        "--adapters", type=Path, metavar="DIR", help="write an adapter for each not recognised"
    )
    ck.add_argument(
        "--jobs", type=_positive_int, default=2, help="submissions checked at once (default: 2)"
    )
    ck.set_defaults(run=cmd_check)


def _add_step(sub) -> None:
    sp = sub.add_parser(
        "step",
        help="write a page that steps through the 2-4-4-1 net's backward pass on one point",
        description=f"Write a page that steps through a network's backward pass on one point. "
        f"{_WITH_BIASES}",
    )
    _network_point_arguments(sp)
    _option(sp, "--loss")
    sp.add_argument(
        "--collapse",
        choices=["none", "neuron", "layer"],
        default="none",
        help="step through every node, or a box per neuron or per layer",
    )
    sp.add_argument("--forward", action="store_true", help="walk the forward pass first")
    _out_option(sp, "steps.html", "the page to write (one self-contained .html file)")
    sp.set_defaults(run=cmd_step)


def _add_sweep(sub) -> None:
    from nets import ACTIVATIONS, OPTIMIZERS

    sw = sub.add_parser(
        "sweep",
        help="train a grid of learning rates x hidden widths x seeds; heatmaps, JSON and CSV",
    )
    _option(sw, "--data")
    _option(sw, "--n", help="points (ignored by xor)")
    sw.add_argument(
        "--lr",
        type=_list_of(float, lambda v: 0 < v < float("inf"), "positive numbers"),
        default=[0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 2.0],
        help="learning rates, comma-separated",
    )
    sw.add_argument(
        "--hidden",
        type=_list_of(int, lambda v: v >= 1, "positive integers"),
        default=[2, 3, 4, 6, 8, 16],
        help="widths of both hidden layers, comma-separated",
    )
    sw.add_argument(
        "--activation",
        type=_choices_list(ACTIVATIONS),
        default=["sigmoid"],
        help="activations, comma-separated",
    )
    sw.add_argument(
        "--optimizer",
        type=_choices_list(OPTIMIZERS),
        default=["sgd"],
        help="optimizers, comma-separated",
    )
    sw.add_argument("--seeds", type=_positive_int, default=10, help="seeds per cell")
    sw.add_argument("--epochs", type=_positive_int, default=10_000, help="epochs per run")
    for name in ("--loss", "--reduction", "--bias", "--init"):
        _option(sw, name)
    _out_option(
        sw,
        "runs/sweep",
        "output folder; replaced if it holds an earlier sweep (its .gradstep-files lists "
        "what it wrote), refused if it holds other files",
    )
    _option(sw, "--quiet", help="no progress bar")
    _option(sw, "--jobs")
    sw.set_defaults(run=cmd_sweep)


def _add_bench(sub) -> None:
    be = sub.add_parser(
        "bench",
        help="measure the engines against micrograd, PyTorch and the lab's numpy (ratios)",
    )
    be.add_argument(
        "--quick", action="store_true", help="tiny sizes: a smoke test, not a measurement"
    )
    be.add_argument(
        "--table",
        metavar="FILE.md",
        help="also write the targets as a Markdown table (the README's 'Measured' table)",
    )
    be.set_defaults(run=cmd_bench)


def _add_demo(sub) -> None:
    de = sub.add_parser(
        "demo",
        help="a short engine demonstration: an expression, its gradients and a gradient check",
    )
    de.set_defaults(run=cmd_demo)


# the subcommands, in the order ``gradstep --help`` lists them
_SUBCOMMANDS = (
    _add_lab1,
    _add_train,
    _add_watch,
    _add_export,
    _add_graph,
    _add_check,
    _add_step,
    _add_sweep,
    _add_bench,
    _add_demo,
)


def build_parser() -> argparse.ArgumentParser:
    """The ``gradstep`` parser: one small function per subcommand (``_SUBCOMMANDS``), each
    setting ``run``, the handler its arguments go to."""
    parser = _Parser(
        prog="gradstep",
        description="An autograd engine whose every gradient can be seen, and the "
        "back-propagation lab built on it.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for add in _SUBCOMMANDS:
        add(sub)
    return parser


def _point_options(args) -> dict:
    """The network and point options of ``graph`` and ``step`` (``one_point``'s arguments)."""
    return dict(
        data=args.data,
        sample=args.sample,
        sizes=args.sizes,
        activation=args.activation,
        bias=args.bias,
        seed=args.seed,
        loss=getattr(args, "loss", "bce"),
    )


def _collapse(args) -> str | None:
    return None if args.collapse == "none" else args.collapse


def cmd_graph(args) -> int:
    from .one_point import graph_file

    _check_output_file("--out", args.out, (".svg", ".png", ".pdf"))
    path = graph_file(
        args.out,
        collapse=_collapse(args),
        expand=args.expand,
        after_backward=args.after_backward,
        max_nodes=args.max_nodes,
        **_point_options(args),
    )
    print(f"graph: {path}")
    return 0


def cmd_step(args) -> int:
    from .one_point import step_page

    _check_output_file("--out", args.out, (".html",))
    path, count = step_page(
        args.out, collapse=_collapse(args), forward=args.forward, **_point_options(args)
    )
    print(f"steps: {path} ({count} steps; open it in a browser)")
    return 0


def _network_on_data(args):
    """The network and data options of ``train`` and ``watch``."""
    from .train import NetworkOnData

    return NetworkOnData(
        data=args.data,
        n=args.n,
        data_seed=args.data_seed,
        engine=args.engine,
        sizes=args.sizes,
        activation=args.activation,
        output_activation=args.output_activation,
        bias=args.bias,
        init=args.init,
    )


def _training(args) -> dict:
    """The training options ``train`` and ``watch`` share (``train.train``'s arguments)."""
    return dict(
        optimizer=args.optimizer,
        loss=args.loss,
        reduction=args.reduction,
        quiet=args.quiet,
    )


def cmd_watch(args) -> int:
    from .timeline.record import watch_and_save

    _check_output_file("--out", args.out, (".html",))
    lrs, seeds = args.lr, args.seed
    if len(lrs) > 1 and len(seeds) > 1 and len(lrs) != len(seeds):
        raise ValueError(
            f"--lr has {len(lrs)} values and --seed {len(seeds)}: give one of them a single "
            "value, or both the same number"
        )
    line = watch_and_save(
        _network_on_data(args),
        args.out,
        lrs=lrs,
        seeds=seeds,
        every=args.every,
        epochs=args.epochs,
        **_training(args),
    )
    print(line)
    return 0


def _check_writable_prefix(prefix: Path) -> None:
    from autograd.files import check_name_length, probe_writable

    check_name_length(Path(f"{prefix}_comparison.png"), "--plots")  # the longest of the three
    folder = prefix.parent if str(prefix.parent) else Path(".")
    if not folder.is_dir():
        raise ValueError(f"--plots {prefix}: directory {folder} does not exist")
    try:
        probe_writable(folder)
    except OSError as e:
        raise ValueError(f"--plots {prefix}: cannot write to {folder}: {e.strerror or e}") from None


def _check_output_file(option: str, path: Path, suffixes: tuple[str, ...]) -> None:
    """Before any work: the suffix, the folder, a directory in the way, a folder we cannot
    write to."""
    from autograd.files import check_writable_file

    if path.suffix not in suffixes:
        raise ValueError(f"{option} {path}: expected a file ending in {' or '.join(suffixes)}")
    try:
        check_writable_file(path, option)
    except (FileNotFoundError, IsADirectoryError) as e:
        raise ValueError(str(e)) from None


def cmd_train(args) -> int:
    from .train import train_and_report

    if args.plots is not None:
        _check_writable_prefix(args.plots)
    if args.save is not None:
        _check_output_file("--save", args.save, (".npz",))
    lines = train_and_report(
        _network_on_data(args),
        args.seed,
        plots=args.plots,
        save=args.save,
        lr=args.lr,
        epochs=args.epochs,
        log_every=args.log_every,
        **_training(args),
    )
    for line in lines:
        print(line)
    return 0


def cmd_export(args) -> int:
    from nets import load_network
    from nets.pytorch import export_torch, torch_code

    _check_output_file("--torch", args.torch, (".pt", ".pt2"))
    net = load_network(args.model)
    path = export_torch(net, args.torch)
    print(f"exported {net.describe()} to {path}")
    if path.suffix == ".pt2":
        print("load it with plain PyTorch:")
        print("    import torch")
        print(f"    model = torch.export.load({str(path)!r}).module()")
    else:
        print("load it with plain PyTorch:")
        print("    import torch")
        print("    from torch import nn")
        code = torch_code(net).replace("\n", "\n    ")
        print(f"    model = {code}")
        print(f"    model.load_state_dict(torch.load({str(path)!r}))")
    return 0


def cmd_lab1(args) -> int:
    from .lab.lab1 import check_output_dir, run_lab

    check_output_dir(args.out)
    seeds = args.seeds or (2 if args.quick else 5)
    report = run_lab(args.out, seeds=seeds, quick=args.quick, jobs=args.jobs)
    print(f"report: {report}")
    return 0


def cmd_check(args) -> int:
    from .checking.files import exit_status
    from .checking.submissions import check_submission, check_submissions, find_submissions
    from .checking.text import safe_streams

    safe_streams()  # a learner's odd name never stops the batch, whatever the terminal's encoding

    outputs = (("--json", args.json, ".json"), ("--csv", args.csv, ".csv"))
    for option, path, suffix in outputs + (("--html", args.html, ".html"),):
        if path is not None:
            _check_output_file(option, path, (suffix,))
    subs = find_submissions(args.paths, args.entry)
    options = dict(
        timeout=args.timeout, memory_mb=args.memory, eps=args.eps, atol=args.atol, rtol=args.rtol
    )
    if len(subs) == 1 and args.paths[0].is_file():
        verdicts = [check_submission(subs[0], **options)]
        _print_one(verdicts[0], args.failures_only)
    else:
        verdicts = check_submissions(subs, _print_batch_line, args.jobs, **options)
        _print_batch_summary(verdicts)
    _write_check_outputs(verdicts, args)
    return exit_status(verdicts)


def _print_one(verdict, failures_only: bool) -> None:
    """One file: its output, then its table and summary (or the one-line reason it failed)."""
    from .checking.files import one_file_lines

    out, err = one_file_lines(verdict, failures_only)
    for line in out:
        print(line)
    for line in err:
        print(line, file=sys.stderr)


def _print_batch_line(verdict) -> None:
    from .checking.files import batch_lines

    print("\n".join(batch_lines(verdict)), flush=True)


def _print_batch_summary(verdicts) -> None:
    from .checking.files import summary_table

    print()
    print(summary_table(verdicts))


def _write_check_outputs(verdicts, args) -> None:
    from .checking.files import write_outputs
    from .checking.submissions import write_adapters, write_class_page

    write_outputs(verdicts, args.json, args.csv)
    written = write_adapters(verdicts, args.adapters) if args.adapters else []
    if args.html is not None:
        write_class_page(verdicts, args.html)
    for path in (args.json, args.csv, args.html, *written):
        if path is not None:
            print(f"wrote {path}")


def cmd_sweep(args) -> int:
    from dataclasses import replace

    from .runs import REPORT_SETTING
    from .sweep import SweepGrid, check_sweep_dir, run_sweep

    check_sweep_dir(args.out)
    base = replace(
        REPORT_SETTING, loss=args.loss, reduction=args.reduction, bias=args.bias, init=args.init
    )
    grid = SweepGrid(
        data=args.data,
        lrs=args.lr,
        hidden=args.hidden,
        seeds=args.seeds,
        epochs=args.epochs,
        activations=args.activation,
        optimizers=args.optimizer,
        n=args.n,
        base=base,
    )
    run_sweep(grid, args.out, progress=False if args.quiet else None, jobs=args.jobs or 2)
    return 0


def cmd_bench(args) -> int:
    from autograd.files import write_file

    from .benchmarks.engines import run, targets_table

    if args.table:
        _check_output_file("--table", Path(args.table), (".md",))  # before minutes of measuring
    sections = run(quick=args.quick)
    if args.table:
        write_file(args.table, targets_table(sections, judged=not args.quick))
        print(f"targets table: {args.table}")
    return 0


def cmd_demo(args) -> int:
    return demo()


def demo() -> int:
    from autograd import Value, gradcheck

    x = Value(0.5, label="x")
    w = Value(-1.5, label="w")
    b = Value(0.25, label="b")
    y = (x * w + b).sigmoid()
    y.label = "y"
    y.backward()
    print("y = sigmoid(x * w + b)")
    for node in (x, w, b, y):
        print(" ", node)
    print()
    print(gradcheck(lambda x, w, b: (x * w + b).sigmoid(), [x, w, b]))
    return 0


def _error_line(e: BaseException) -> str:
    """The one line an error is shown as: the machine's own errors as ``path: reason``."""
    if isinstance(e, OSError) and e.filename is not None and e.strerror:
        return f"{e.filename}: {e.strerror}"
    return str(e)


def main(argv: list[str] | None = None) -> int:
    from autograd import RendererMissingError as RendererMissing

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    from .workers import Terminated, terminate_as_interrupt

    terminate_as_interrupt()  # SIGTERM cleans up as Ctrl-C does
    named = (ValueError, OSError, ImportError)  # OSError: a full disk, a name too long, ...
    try:
        return args.run(args)
    except (*named, RendererMissing) as e:
        print(f"gradstep: error: {_error_line(e)}", file=sys.stderr)
        return 2
    except Terminated:
        print("gradstep: terminated", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print("gradstep: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
