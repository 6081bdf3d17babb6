"""``gradstep lab1``: the back-propagation lab reproduced from scratch, measured over seeds.

Every experiment is a list of variants (one training setting each) run on the same seeds; a run's
seed fixes the weight initialisation and, for the linear set, the data. The runs are trained as
populations (``runs.train_runs``: networks that differ only in seed and learning rate train
together), the convolution extra in a worker process beside them; ``lab1_report`` writes it up.
Everything is written to a temporary folder beside the output and moved into place at the end,
so an interrupted run leaves no half-written report."""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from autograd import topological_order
from autograd.extras import extra_hint
from autograd.files import write_file
from nets import NumpyMLP, ValueMLP

from ..datasets import load_dataset, telling_sample
from ..jsondata import dumps
from ..outdir import check_output_dir as check_dir
from ..outdir import replacing
from ..progress import RunsProgress
from ..runs import CONVERGED_MSE, REPORT_SETTING, Setting, settings_dict, summarize, train_runs
from ..sweep import SweepGrid, heatmap_figure, run_sweep
from ..train import accuracy, mse
from ..workers import worker_pool
from . import extra_c, labcode
from .curvature import lab_curvature
from .labcode import sigmoid
from .page import write_report_html
from .report import write_figures, write_report


@dataclass
class Experiment:
    key: str
    title: str
    variants: list[tuple[str, Setting]]


def experiments(quick: bool) -> list[Experiment]:
    """The lab's parts, discussion and extras. ``quick`` shortens the discussion runs (Parts 1 and
    2 keep the report's 10,000 epochs)."""
    base = REPORT_SETTING
    short = 4000 if quick else 10_000
    xor = replace(base, dataset="xor", epochs=short)
    tiny_epochs = 4000 if quick else 100_000
    return [
        Experiment(
            "part1",
            "Part 1: linear data (n=100)",
            [("report settings", replace(base, dataset="linear"))],
        ),
        Experiment("part2", "Part 2: XOR data (n=21)", [("report settings", base)]),
        Experiment(
            "learning_rate",
            "Discussion A: learning rates (XOR)",
            [("lr=0.0001", replace(xor, lr=1e-4, epochs=tiny_epochs))]
            + [(f"lr={lr:g}", replace(xor, lr=lr)) for lr in (0.005, 0.05, 0.5, 2.0)],
        ),
        Experiment(
            "hidden_units",
            "Discussion B: hidden units per layer (XOR)",
            [(f"{w} units", replace(xor, layer_sizes=(2, w, w, 1))) for w in (2, 4, 10, 32)],
        ),
        Experiment(
            "no_activation",
            "Discussion C: without activation functions",
            [
                (
                    f"{name}, lr={lr:g}",
                    replace(base, dataset=name, activation="none", lr=lr, epochs=short),
                )
                for name in ("linear", "xor")
                for lr in (0.05, 0.005)
            ]
            + [
                (f"{name}, sigmoid, lr=0.05", replace(base, dataset=name, epochs=short))
                for name in ("linear", "xor")
            ],
        ),
        Experiment(
            "optimizers",
            "Extra A: optimizers (XOR)",
            [
                (f"{name}, lr={lr:g}", replace(xor, optimizer=name, lr=lr, epochs=min(short, 5000)))
                for name, lr in (
                    ("sgd", 0.05),
                    ("momentum", 0.05),
                    ("adagrad", 0.05),
                    ("rmsprop", 0.01),
                    ("adam", 0.01),
                )
            ],
        ),
        Experiment(
            "activations",
            "Extra B: hidden activations (XOR, output sigmoid)",
            [
                (f"{act}, bias={bias}", replace(xor, activation=act, bias=bias))
                for act in ("sigmoid", "tanh", "relu", "leaky_relu")
                for bias in (False, True)
            ],
        ),
    ]


# -- running ------------------------------------------------------------------------------------
def run_all(
    exps: list[Experiment],
    seeds: list[int],
    on_progress: Callable[[float], None] | None = None,
    pool: ProcessPoolExecutor | None = None,
) -> dict:
    """Every variant of every experiment over ``seeds``, trained as populations (in ``pool``'s
    workers when given)."""
    work = [
        (exp.key, label, setting, seed)
        for exp in exps
        for label, setting in exp.variants
        for seed in seeds
    ]
    runs = train_runs([(setting, seed) for _, _, setting, seed in work], on_progress, pool=pool)
    results: dict = {}
    for (key, label, setting, _), run in zip(work, runs):
        variant = results.setdefault(key, {}).setdefault(
            label, {"settings": settings_dict(setting), "runs": []}
        )
        variant["runs"].append(run)
    for variants in results.values():
        for variant in variants.values():
            variant["summary"] = summarize(variant["runs"])
    return results


def lab_sweep_grid(quick: bool) -> SweepGrid:
    """Discussions A and B as one grid: learning rates x hidden widths over 10 seeds (smaller
    and shorter with ``quick``)."""
    if quick:
        return SweepGrid(data="xor", lrs=[0.01, 0.1, 1.0], hidden=[2, 4, 8], seeds=3, epochs=2000)
    return SweepGrid(
        data="xor",
        lrs=[0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 2.0],
        hidden=[2, 3, 4, 6, 8, 16],
        seeds=10,
        epochs=10_000,
    )


def network_epochs(exps: list[Experiment], seeds: list[int]) -> dict[str, int]:
    """How many network-epochs each data set's runs take (for the serial-equivalent time)."""
    out: dict[str, int] = {}
    for exp in exps:
        for _, setting in exp.variants:
            out[setting.dataset] = out.get(setting.dataset, 0) + setting.epochs * len(seeds)
    return out


def lab_epoch_seconds(dataset: str, epochs: int = 400, blocks: int = 7) -> float:
    """One epoch of the lab's hand-written numpy (the seed report's 2-4-4-1), measured now: the
    median of ``blocks`` means over ``epochs`` epochs (the machine is shared and noisy)."""
    X, y = load_dataset(dataset, n=100, seed=0)
    y = y.astype(np.float64)  # as the benchmark times it: no int-to-float cast every epoch
    rng = np.random.default_rng(0)
    w = [rng.standard_normal(s) for s in ((2, 4), (4, 4), (4, 1))]
    labcode.lab_epoch(X, y, *w, 0.05)
    times = []
    for _ in range(blocks):
        start = time.perf_counter()
        for _ in range(epochs):
            labcode.lab_epoch(X, y, *w, 0.05)
        times.append((time.perf_counter() - start) / epochs)
    return float(np.median(times))


# -- the seed report's derivation, checked ----------------------------------------------------
def derivation_check(seeds: list[int]) -> dict:
    """Compare the seed report's update (deltas through already-updated weights) with the true
    gradient on the XOR set at the initial weights, and train with both."""
    X, y = load_dataset("xor")
    rows = []
    for seed in seeds:
        model = NumpyMLP((2, 4, 4, 1), bias=False, seed=seed, init="lab")
        state = model.state_dict()
        _, grads = model.loss_and_grads(X, y, loss="bce", reduction="sum")
        true = labcode.lab_gradients(X, y, state["W1"], state["W2"], state["W3"])
        w = [state[k].copy() for k in ("W1", "W2", "W3")]
        lr = REPORT_SETTING.lr
        labcode.lab_epoch_as_reported(X, y, *w, lr)
        reported = [(state[k] - wk) / lr for k, wk in zip(("W1", "W2", "W3"), w)]
        engine_vs_lab = max(
            float(np.max(np.abs(grads[k] - t))) for k, t in zip(("W1", "W2", "W3"), true)
        )
        rel = [float(np.linalg.norm(r - t) / np.linalg.norm(t)) for r, t in zip(reported, true)]
        trained = {}
        for name, epoch in (
            ("correct", labcode.lab_epoch),
            ("as reported", labcode.lab_epoch_as_reported),
        ):
            w = [state[k].copy() for k in ("W1", "W2", "W3")]
            for _ in range(REPORT_SETTING.epochs):
                epoch(X, y, *w, lr)
            pred = labcode.forward(X, *w)[-1]
            trained[name] = {"mse": mse(pred, y), "accuracy": accuracy(pred, y)}
        rows.append(
            {
                "seed": seed,
                "engine_vs_lab_max_abs_diff": engine_vs_lab,
                "gradient_scale": max(float(np.max(np.abs(t))) for t in true),
                "relative_error": {"W1": rel[0], "W2": rel[1], "W3": rel[2]},
                "trained": trained,
            }
        )
    return {"rows": rows}


def derivation_example(seed: int = 0) -> dict:
    """The derivation's formulas evaluated by hand (numpy, one line each) on the point and
    network ``gradstep step --data xor`` shows, beside what the graph engine back-propagates
    there and what ``NumpyMLP`` computes: the report's derivation tied to numbers a reader can
    step through."""
    X, y = load_dataset("xor")
    net = ValueMLP((2, 4, 4, 1), seed=seed)  # gradstep step's network: sigmoid, bias, seed 0
    k = telling_sample(net, X, y, "bce")
    x, t = X[k : k + 1], y[k : k + 1]
    net.zero_grad()  # telling_sample's backward passes left their grads on the parameters
    loss = net.loss(x, t, loss="bce")
    loss.backward()
    graph = {n.label: n.grad for n in topological_order(loss) if n.label}
    state = net.state_dict()
    W1, b1, W2, b2, W3, b3 = (state[n] for n in ("W1", "b1", "W2", "b2", "W3", "b3"))
    # the derivation, line by line
    a1 = sigmoid(x @ W1 + b1)
    a2 = sigmoid(a1 @ W2 + b2)
    y_hat = sigmoid(a2 @ W3 + b3)
    delta3 = y_hat - t
    delta2 = (delta3 @ W3.T) * a2 * (1 - a2)
    delta1 = (delta2 @ W2.T) * a1 * (1 - a1)
    by_hand = {"W3": a2.T @ delta3, "W2": a1.T @ delta2, "W1": x.T @ delta1}
    fast = NumpyMLP((2, 4, 4, 1), seed=seed)
    fast.load_state_dict(state)
    _, fast_grads = fast.loss_and_grads(x, t, loss="bce", reduction="sum")

    def from_graph(name: str, shape) -> np.ndarray:
        rows, cols = shape
        return np.array([[graph[f"{name}[{i},{j}]"] for j in range(cols)] for i in range(rows)])

    return {
        "sample": k,
        "point": x[0].tolist(),
        "label": float(t[0, 0]),
        "y_hat": float(y_hat[0, 0]),
        "delta3": float(delta3[0, 0]),
        "delta3_graph": float(graph["z3[0]"]),
        "delta2": delta2[0].tolist(),
        "delta2_graph": [float(graph[f"z2[{j}]"]) for j in range(4)],
        "dW3": by_hand["W3"][:, 0].tolist(),
        "dW3_graph": from_graph("W3", W3.shape)[:, 0].tolist(),
        "gradient_scale": max(float(np.max(np.abs(g))) for g in by_hand.values()),
        "max_abs_difference": {
            name: {
                "graph": float(np.max(np.abs(by_hand[name] - from_graph(name, g.shape)))),
                "NumpyMLP": float(np.max(np.abs(by_hand[name] - fast_grads[name]))),
            }
            for name, g in by_hand.items()
        },
    }


def example_stepper(example: dict, folder: Path) -> Path:
    """The page ``gradstep step --data xor`` writes: section 2's network (2-4-4-1, sigmoid,
    bias, seed 0) on its XOR point, the cross-entropy's backward pass to step through."""
    from autograd.views.stepper import stepper

    X, y = load_dataset("xor")
    k = example["sample"]
    net = ValueMLP((2, 4, 4, 1), seed=0)
    loss = net.loss(X[k : k + 1], y[k : k + 1], loss="bce")
    x0, x1 = example["point"]
    title = f"bce loss of a 2-4-4-1 sigmoid net on xor point {k} ({x0:g}, {x1:g}), seed 0"
    return stepper(loss, title=title).save(folder / f"stepper_xor_point{k}.html")


def lab_timelines(quick: bool) -> dict[str, object]:
    """The runs behind discussions A and B, watched (seed 0, XOR, the report's settings): the
    learning rates 1e-4, 0.05 and 2 side by side, and 2, 4, 10 and 32 hidden units."""
    from ..timeline.record import watch

    X, y = load_dataset("xor")
    s = REPORT_SETTING
    epochs = 2000 if quick else s.epochs
    common = dict(epochs=epochs, loss=s.loss, reduction=s.reduction, quiet=True, every=50)

    def net(width: int = 4) -> NumpyMLP:
        return NumpyMLP((2, width, width, 1), bias=s.bias, init=s.init, seed=0)

    return {
        "learning_rates": watch(net(), X, y, lr=[0.0001, 0.05, 2.0], **common),
        "hidden_units": watch([net(w) for w in (2, 4, 10, 32)], X, y, lr=s.lr, **common),
    }


def check_output_dir(out: Path) -> None:
    """New, empty, or an earlier lab1 output (replaced whole); anything else is refused."""
    check_dir(out, ("report.md", "results.json"), "lab1 output")


# What the outputs need beyond the runtime dependencies: (module, what it is for). All of it is
# in the ``lab`` extra (what ``make demo`` installs).
NEEDED_MODULES = (
    ("matplotlib", "the report's figures"),
    ("markdown", "report.html"),
    ("latex2mathml", "report.html's formulas"),
)


def preflight(out: Path) -> None:
    """Refuse, before minutes of training, a run whose outputs could not be written: an output
    folder that is not new, empty or an earlier lab1 output, or not writable; a missing
    Graphviz renderer (the steppers of the timeline pages and of section 2 are laid out with
    it); a missing module the figures or report.html need. Each is named with how to get it."""
    import importlib.util

    from autograd.views.rendering import RendererMissingError, find_renderer

    check_output_dir(out)
    missing = [
        f"{module} (for {what})"
        for module, what in NEEDED_MODULES
        if importlib.util.find_spec(module) is None
    ]
    renderer = find_renderer() is None
    if renderer:
        missing.append("a Graphviz renderer (for the steppers: graphviz-pure or a system `dot`)")
    if not missing:
        return
    message = (
        f"gradstep lab1 needs {', '.join(missing)}, and checks before it trains: install the "
        f"lab extra with {extra_hint('lab')}"
        + ("; or `apt-get install graphviz` for the renderer" if renderer else "")
    )
    raise (RendererMissingError if renderer and len(missing) == 1 else ImportError)(message)


def say(text: str) -> None:
    """A progress line on standard output, flushed at once (a pipe or a CI log would
    otherwise hold it back until the buffer fills)."""
    print(text, flush=True)


class Phases(dict):
    """Seconds per phase of the run, timed with ``with phases.timing("name"):``."""

    @contextmanager
    def timing(self, name: str) -> Iterator[None]:
        t = time.perf_counter()
        yield
        self[name] = time.perf_counter() - t


def run_lab(
    out: Path,
    seeds: int = 5,
    quick: bool = False,
    jobs: int | None = None,
    log: Callable[[str], None] = say,
    progress: bool | None = None,
) -> Path:
    """Run every experiment and write ``out/report.md``, ``out/report.html``,
    ``out/results.json``, the figures and the pages. Everything it needs is checked first
    (``preflight``). The MLP runs train as populations; with ``jobs`` >= 2 they and the
    convolution extra share ``jobs`` worker processes. Each phase's seconds go to
    ``results.json`` and the report. Everything is written to a temporary folder beside
    ``out`` and moved into place at the end."""
    out = Path(out)
    preflight(out)
    start = time.perf_counter()
    seed_list = list(range(seeds))
    jobs = jobs or min(os.cpu_count() or 1, 2)
    exps = experiments(quick)
    log(
        f"gradstep lab1: {sum(len(e.variants) for e in exps) * seeds} training runs over seeds "
        f"{seed_list}, as populations; {jobs} process(es)..."
    )
    phases = Phases()
    with worker_pool(jobs) as pool:
        measured = measure(exps, seed_list, quick, pool, phases, log, progress)
        with replacing(out) as tmp:
            log("lab1: drawing the figures, the timeline pages and the stepper...")
            with phases.timing("figures"):
                figures, pages = write_pictures(measured, tmp, pool)
            meta = run_meta(seed_list, quick, jobs, phases, measured["serial"])
            meta["seconds"] = time.perf_counter() - start
            write_texts(tmp, measured, figures, pages, meta)
    log(f"gradstep lab1: done in {time.perf_counter() - start:.0f} s; in {out}:")
    for line in files_to_open(out, pages, figures):
        log(line)
    return out / "report.md"


def measure(
    exps: list[Experiment],
    seeds: list[int],
    quick: bool,
    pool: ProcessPoolExecutor | None,
    phases: Phases,
    log: Callable[[str], None],
    progress: bool | None,
) -> dict:
    """Every measurement of the run (nothing written yet). With a pool, the convolution extra
    and the derivation check run in a worker while the MLP populations train."""
    if pool is not None:
        conv_future = pool.submit(extra_c.run_convolution, seeds, 100 if quick else 200, 1)
        derivation_future = pool.submit(derivation_check, seeds)
    total = sum(len(e.variants) for e in exps) * len(seeds)
    measured: dict = {}
    with phases.timing("mlp_runs"), RunsProgress(total, progress, label="lab1") as bar:
        measured["results"] = run_all(exps, seeds, bar, pool)
    grid = lab_sweep_grid(quick)
    with phases.timing("lr_hidden_sweep"):
        measured["sweep"] = run_sweep(grid, None, progress=progress, log=log, pool=pool)
    if pool is not None:
        with phases.timing("convolution_and_derivation_wait"):
            measured["convolution"] = conv_future.result()
            measured["derivation"] = derivation_future.result()
    else:
        with phases.timing("derivation_check"):
            measured["derivation"] = derivation_check(seeds)
        with phases.timing("convolution"):
            measured["convolution"] = extra_c.run_convolution(seeds, 100 if quick else 200, 1)
    log("lab1: the curvature, section 2's example and the watched runs...")
    with phases.timing("serial_reference"):
        measured["serial"] = _serial_equivalent(exps, seeds, grid)
    with phases.timing("curvature"):
        measured["curvature"] = lab_curvature(quick)
        measured["example"] = derivation_example()
    with phases.timing("timelines"):
        measured["timelines"] = lab_timelines(quick)
    return measured


def write_pictures(
    measured: dict, tmp: Path, pool: ProcessPoolExecutor | None
) -> tuple[dict[str, str], dict[str, str]]:
    """The figures ({name: file}) and the pages ({"learning_rates", "hidden_units",
    "stepper"}: file), written into ``tmp``."""
    figures = write_figures(measured["results"], tmp, pool)
    figures["lr_hidden_heatmap"] = heatmap_figure(
        measured["sweep"], "sigmoid", "sgd", tmp / "lr_hidden_heatmap.png"
    ).name
    figures.update(extra_c.write_figures(measured["convolution"], tmp))
    pages = {}
    for name, tl in measured["timelines"].items():
        # point 2, (0.1, 0.1), at the last epoch: its backward pass, run by run
        last = [(tl.epochs[-1], 2, r) for r in range(len(tl.runs))]
        pages[name] = tl.save(tmp / f"timeline_{name}.html", steppers=last).name
    pages["stepper"] = example_stepper(measured["example"], tmp).name
    return figures, pages


def run_meta(seeds: list[int], quick: bool, jobs: int, phases: Phases, serial: dict) -> dict:
    """What the run was: its seeds, options, date, machine, phase times."""
    return {
        "seeds": seeds,
        "quick": quick,
        "jobs": jobs,
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, numpy {np.__version__}",
        "phases_seconds": dict(phases),
        "serial_equivalent": serial,
    }


def write_texts(tmp: Path, measured: dict, figures: dict, pages: dict, meta: dict) -> None:
    """``report.md``, ``report.html`` and ``results.json`` (the final weights stay out)."""
    results = measured["results"]
    timelines = {k: v for k, v in pages.items() if k != "stepper"}
    report = write_report(
        results,
        measured["derivation"],
        figures,
        meta,
        measured["sweep"],
        measured["curvature"],
        measured["example"],
        pages,
    )
    report += "\n".join(extra_c.section(measured["convolution"], figures))
    write_file(tmp / "report.md", report)
    write_report_html(report, tmp / "report.html")
    payload = {
        "meta": meta,
        "converged_mse": CONVERGED_MSE,
        "experiments": results,
        "derivation_check": measured["derivation"],
        "lr_hidden_sweep": measured["sweep"],
        "curvature": measured["curvature"],
        "derivation_example": measured["example"],
        "convolution": measured["convolution"],
        "figures": figures,
        "timelines": timelines,
        "stepper": pages["stepper"],
    }
    for variants in results.values():
        for v in variants.values():
            for r in v["runs"]:
                r.pop("state", None)
    write_file(tmp / "results.json", dumps(payload, indent=1))  # strict JSON


def files_to_open(out: Path, pages: dict[str, str], figures: dict[str, str]) -> list[str]:
    """The closing lines: every file the run wrote that a reader opens, with what it is."""
    rows = [("report.md", "the report (Markdown: GitHub, an editor)")]
    if (out / "report.html").exists():
        rows.append(("report.html", "the report as a page, formulas and figures in it (browser)"))
    about = {
        "learning_rates": "discussion A's learning rates, epoch by epoch (browser)",
        "hidden_units": "discussion B's hidden units, epoch by epoch (browser)",
        "stepper": "section 2's backward pass, step by step (browser)",
    }
    rows += [(name, about.get(key, key)) for key, name in pages.items()]
    rows.append(("results.json", "every run's numbers"))
    width = max(len(str(out / name)) for name, _ in rows)
    lines = [f"  {str(out / name):<{width}}  {what}" for name, what in rows]
    return lines + [f"  and {len(figures)} figures (PNG, shown in the report)"]


def _serial_equivalent(exps: list[Experiment], seeds: list[int], grid: SweepGrid) -> dict:
    """What the run's MLP training (the experiments and the learning rate x hidden units grid)
    would take one network at a time with the lab's hand-written numpy: its network-epochs per
    data set times that epoch's time, measured in this run."""
    counts = network_epochs(exps, seeds)
    counts[grid.data] = counts.get(grid.data, 0) + grid.runs() * grid.epochs
    per_epoch = {name: lab_epoch_seconds(name) for name in counts}
    return {
        "network_epochs": counts,
        "lab_epoch_us": {k: v * 1e6 for k, v in per_epoch.items()},
        "seconds": sum(counts[k] * per_epoch[k] for k in counts),
    }


__all__ = [
    "Setting",
    "Experiment",
    "experiments",
    "run_lab",
    "derivation_check",
]
