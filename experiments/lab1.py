"""``gradstep lab1``: the back-propagation lab reproduced from scratch, measured over seeds.

Every experiment is a list of variants (one training setting each) run on the same seeds; a run's
seed fixes the weight initialisation and, for the linear set, the data. The runs go to a process
pool; the results are written to a temporary folder beside the output and moved into place at
the end, so an interrupted run leaves no half-written report."""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from nets import NumpyMLP

from . import extra_c, labcode, plots
from .datasets import load_dataset
from .train import accuracy, mse, prediction_lines, summary_line, train

CONVERGED_MSE = 0.01  # a run "converges" once its MSE falls below this


@dataclass(frozen=True)
class Setting:
    """One training configuration. The defaults are the seed report's settings."""

    dataset: str = "xor"
    n: int = 100
    layer_sizes: tuple = (2, 4, 4, 1)
    activation: str = "sigmoid"
    output_activation: str = "sigmoid"
    bias: bool = False
    init: str = "lab"
    optimizer: str = "sgd"
    lr: float = 0.05
    epochs: int = 10_000
    loss: str = "bce"
    reduction: str = "sum"


REPORT_SETTING = Setting()


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
def data_for(setting: Setting, seed: int):
    return load_dataset(setting.dataset, n=setting.n, seed=seed)


def run_one(setting: Setting, seed: int) -> dict:
    """Train one seed of one setting with the numpy fast path; return its measured numbers."""
    X, y = data_for(setting, seed)
    model = NumpyMLP(
        setting.layer_sizes,
        activation=setting.activation,
        output_activation=setting.output_activation,
        bias=setting.bias,
        seed=seed,
        init=setting.init,
    )
    lines: list[str] = []
    history = train(
        model,
        X,
        y,
        optimizer=setting.optimizer,
        lr=setting.lr,
        epochs=setting.epochs,
        loss=setting.loss,
        reduction=setting.reduction,
        log_every=max(setting.epochs // 10, 1),
        progress=False,
        out=lines.append,
    )
    converged = next((e for e, v in zip(history.epoch, history.loss) if v < CONVERGED_MSE), None)
    return {
        "seed": seed,
        "initial_loss": history.loss[0],
        "final_loss": history.final_loss,
        "final_accuracy": history.final_accuracy,
        "epochs_to_converge": converged,
        "history": history.to_dict(),
        "log": lines,
        "state": {k: v.tolist() for k, v in model.state_dict().items()},
    }


def _run_job(job):
    setting, seed = job
    return run_one(setting, seed)


def run_all(exps: list[Experiment], seeds: list[int], jobs: int) -> dict:
    work = [
        (exp.key, label, setting, seed)
        for exp in exps
        for label, setting in exp.variants
        for seed in seeds
    ]
    args = [(setting, seed) for _, _, setting, seed in work]
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            runs = list(pool.map(_run_job, args, chunksize=1))
    else:
        runs = [_run_job(a) for a in args]
    results: dict = {}
    for (key, label, setting, _), run in zip(work, runs):
        variant = results.setdefault(key, {}).setdefault(
            label, {"settings": _settings_dict(setting), "runs": []}
        )
        variant["runs"].append(run)
    for variants in results.values():
        for variant in variants.values():
            variant["summary"] = summarize(variant["runs"])
    return results


def _settings_dict(setting: Setting) -> dict:
    d = asdict(setting)
    d["layer_sizes"] = list(d["layer_sizes"])
    return d


def summarize(runs: list[dict]) -> dict:
    final = np.array([r["final_loss"] for r in runs])
    acc = np.array([r["final_accuracy"] for r in runs])
    conv = [r["epochs_to_converge"] for r in runs if r["epochs_to_converge"] is not None]
    return {
        "seeds": len(runs),
        "initial_loss_mean": float(np.mean([r["initial_loss"] for r in runs])),
        "final_loss_mean": float(final.mean()),
        "final_loss_std": float(final.std()),
        "accuracy_mean": float(acc.mean()),
        "accuracy_std": float(acc.std()),
        "accuracy_min": float(acc.min()),
        "perfect_runs": int(np.sum(acc == 1.0)),
        "converged_runs": len(conv),
        "median_epochs_to_converge": float(np.median(conv)) if conv else None,
    }


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
                "relative_error": {"W1": rel[0], "W2": rel[1], "W3": rel[2]},
                "trained": trained,
            }
        )
    return {"rows": rows}


# -- the report --------------------------------------------------------------------------------
def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def _table(headers: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def _variant_rows(variants: dict) -> list[list]:
    rows = []
    for label, v in variants.items():
        s = v["summary"]
        med = s["median_epochs_to_converge"]
        rows.append(
            [
                label,
                f"{s['initial_loss_mean']:.4f}",
                f"{s['final_loss_mean']:.3g} ± {s['final_loss_std']:.2g}",
                f"{_pct(s['accuracy_mean'])} ± {_pct(s['accuracy_std'])}",
                f"{s['perfect_runs']}/{s['seeds']}",
                f"{s['converged_runs']}/{s['seeds']}",
                "-" if med is None else f"{med:.0f}",
            ]
        )
    return rows


VARIANT_HEADERS = [
    "variant",
    "initial MSE",
    "final MSE (mean ± sd)",
    "accuracy (mean ± sd)",
    "runs at 100%",
    f"runs below MSE {CONVERGED_MSE}",
    "median epochs to it",
]


def _curves(variants: dict):
    curves, bands = [], []
    for label, v in variants.items():
        losses = np.array([r["history"]["loss"] for r in v["runs"]])
        epochs = v["runs"][0]["history"]["epoch"]
        curves.append((label, epochs, np.median(losses, axis=0)))
        bands.append((losses.min(axis=0), losses.max(axis=0)))
    return curves, bands


def _model_from(run: dict, setting: dict) -> NumpyMLP:
    model = NumpyMLP(
        tuple(setting["layer_sizes"]),
        activation=setting["activation"],
        output_activation=setting["output_activation"],
        bias=setting["bias"],
        init=setting["init"],
    )
    model.load_state_dict({k: np.array(v) for k, v in run["state"].items()})
    return model


def write_figures(results: dict, out: Path) -> dict[str, str]:
    """Every figure of the report; returns {name: file name}."""
    figures = {}
    for key, data_name in (("part1", "linear"), ("part2", "xor")):
        variant = next(iter(results[key].values()))
        run = variant["runs"][0]
        setting = variant["settings"]
        X, y = load_dataset(data_name, n=setting["n"], seed=run["seed"])
        model = _model_from(run, setting)
        figures[f"{key}_comparison"] = plots.comparison(
            X,
            y,
            model.predict(X),
            out / f"{key}_comparison.png",
            title=f"{data_name}, seed {run['seed']}",
        ).name
        figures[f"{key}_boundary"] = plots.decision_boundary(
            model.predict,
            X,
            y,
            out / f"{key}_boundary.png",
            title=f"{data_name}: predicted probability, seed {run['seed']}",
        ).name
        curves = [
            (f"seed {r['seed']}", r["history"]["epoch"], r["history"]["loss"])
            for r in variant["runs"]
        ]
        figures[f"{key}_curve"] = plots.learning_curves(
            curves, out / f"{key}_curve.png", title=f"{data_name}: learning curves"
        ).name
    for key in ("learning_rate", "hidden_units", "no_activation", "optimizers", "activations"):
        curves, bands = _curves(results[key])
        figures[f"{key}_curve"] = plots.learning_curves(
            curves,
            out / f"{key}_curve.png",
            bands=bands,
            title="median over seeds (band: min to max)",
        ).name
    for label, variant in results["no_activation"].items():
        if not label.endswith("lr=0.005"):
            continue
        data_name = variant["settings"]["dataset"]
        run = variant["runs"][0]
        X, y = load_dataset(data_name, n=variant["settings"]["n"], seed=run["seed"])
        model = _model_from(run, variant["settings"])
        figures[f"no_activation_{data_name}"] = plots.comparison(
            X,
            y,
            model.predict(X),
            out / f"no_activation_{data_name}.png",
            title=f"{data_name} without hidden activations, seed {run['seed']}",
        ).name
    return figures


def _error_range(derivation: dict) -> str:
    errors = [r["relative_error"][k] for r in derivation["rows"] for k in ("W1", "W2")]
    return f"{100 * min(errors):.0f}% to {100 * max(errors):.0f}%"


def _late_range(variant: dict) -> tuple[float, float]:
    """The smallest and largest recorded MSE over the last fifth of every run."""
    late = []
    for run in variant["runs"]:
        losses = run["history"]["loss"]
        late += losses[len(losses) * 4 // 5 :]
    return min(late), max(late)


def _finding(results: dict, key: str, label: str) -> dict:
    return results[key][label]["summary"]


def write_report(results: dict, derivation: dict, figures: dict, meta: dict) -> str:
    seeds = meta["seeds"]
    s = REPORT_SETTING
    lines = [
        "# Lab 1: Back-propagation, reproduced with gradstep",
        "",
        f"Generated by `gradstep lab1{' --quick' if meta['quick'] else ''}` on "
        f"{meta['date']} in {meta['seconds']:.1f} s ({meta['machine']}). Every number below is "
        f"measured in this run over seeds {', '.join(map(str, seeds))}; `results.json` holds "
        "each run's settings, seed, final loss and accuracy and its loss history.",
        "",
        "## 1. Introduction",
        "",
        "A 2-4-4-1 network with a sigmoid after every layer learns to classify two small 2-D "
        "data sets by back-propagation and plain gradient descent. The training here uses "
        "gradstep's numpy fast path (`nets.NumpyMLP`), whose gradients the test suite checks "
        "against finite differences, against the graph engines (`ValueMLP`, `TensorMLP`) and "
        "against PyTorch.",
        "",
        "## 2. Experimental setup",
        "",
        f"- Network: {'-'.join(map(str, s.layer_sizes))}, sigmoid everywhere, no bias; "
        "`z1 = sigmoid(X W1)`, `z2 = sigmoid(z1 W2)`, `y = sigmoid(z2 W3)`, W stored "
        "(inputs, outputs).",
        f'- Weights: N(0, 1) (`init="lab"`), seeded per run; learning rate {s.lr}, '
        f"{s.epochs:,} epochs of full-batch gradient descent.",
        "- Update: the cross-entropy output delta `y_pred - y`, summed over the batch (binary "
        "cross-entropy, reduction `sum`), as the seed report; the printed loss is the mean "
        "squared error, as the seed report prints it.",
        "- Data: `generate_linear(n=100)` with the run's seed (numpy's `RandomState(seed)`) and "
        "the lab's 21-point `generate_XOR_easy()`; training and testing use the same points.",
        f"- A run counts as converged once its MSE falls below {CONVERGED_MSE}; accuracy rounds "
        "each prediction at 0.5.",
        "",
        "## 3. Results",
    ]
    for key, name in (("part1", "linear"), ("part2", "XOR")):
        variant = next(iter(results[key].values()))
        summary = variant["summary"]
        run = variant["runs"][0]
        X, y = load_dataset(
            variant["settings"]["dataset"], n=variant["settings"]["n"], seed=run["seed"]
        )
        model = _model_from(run, variant["settings"])
        preds = prediction_lines(model, X, y)
        lines += [
            "",
            f"### {'Part 1' if key == 'part1' else 'Part 2'}: {name} data",
            "",
            f"Accuracy over {summary['seeds']} seeds: {_pct(summary['accuracy_mean'])} on "
            f"average, {summary['perfect_runs']}/{summary['seeds']} runs at 100.00%; final MSE "
            f"{summary['final_loss_mean']:.3g} (± {summary['final_loss_std']:.2g}).",
            "",
            f"Training log of seed {run['seed']}:",
            "",
            "```",
            *run["log"],
            "```",
            "",
            f"<details><summary>Predictions of seed {run['seed']} ({len(preds)} points)</summary>",
            "",
            "```",
            *preds,
            "```",
            "</details>",
            "",
            "```",
            summary_line(model, X, y),
            "```",
            "",
            f"![comparison]({figures[f'{key}_comparison']})",
            "",
            f"![learning curves]({figures[f'{key}_curve']})",
            f"![decision boundary]({figures[f'{key}_boundary']})",
        ]

    lr = results["learning_rate"]
    tiny = _finding(results, "learning_rate", "lr=0.0001")
    big = _finding(results, "learning_rate", "lr=2")
    tiny_epochs = lr["lr=0.0001"]["settings"]["epochs"]
    hidden = results["hidden_units"]
    noact = results["no_activation"]
    lin_na = _finding(results, "no_activation", "linear, lr=0.005")
    xor_na = _finding(results, "no_activation", "xor, lr=0.005")
    lin_na_big = _finding(results, "no_activation", "linear, lr=0.05")
    lines += [
        "",
        "## 4. Discussion",
        "",
        "### A. Learning rates (XOR)",
        "",
        _table(VARIANT_HEADERS, _variant_rows(lr)),
        "",
        f'- The report\'s tiny rate (written "10e-5", i.e. 1e-4) moves the MSE from '
        f"{tiny['initial_loss_mean']:.4f} to {tiny['final_loss_mean']:.4f} in {tiny_epochs:,} "
        f"epochs: it stays near its initial loss, with accuracy {_pct(tiny['accuracy_mean'])}.",
        f"- At lr 2, {big['converged_runs']}/{big['seeds']} runs converge and the MSE ends at "
        f"{big['final_loss_mean']:.4f} on average; over the last fifth of training it still "
        f"ranges from {_late_range(lr['lr=2'])[0]:.4f} to {_late_range(lr['lr=2'])[1]:.4f} "
        "across runs: the steps overshoot and the loss jumps instead of settling (an MSE of "
        "10/21 = 0.476 or 11/21 = 0.524, as the seed report saw, means every point is predicted "
        "as one class with certainty).",
        "",
        f"![learning rates]({figures['learning_rate_curve']})",
        "",
        "### B. Hidden units (XOR, both hidden layers the same width)",
        "",
        _table(VARIANT_HEADERS, _variant_rows(hidden)),
        "",
        "- "
        + "; ".join(
            f"{label}: {v['summary']['perfect_runs']}/{v['summary']['seeds']} runs at 100%"
            for label, v in hidden.items()
        )
        + ".",
        "",
        f"![hidden units]({figures['hidden_units_curve']})",
        "",
        "### C. Without activation functions",
        "",
        "The hidden sigmoids are replaced by the identity; the output sigmoid stays so the "
        "outputs remain probabilities. The network is then a logistic regression on a linear "
        "map of the input: its decision boundary is a straight line.",
        "",
        _table(VARIANT_HEADERS, _variant_rows(noact)),
        "",
        f"- Linear data, lr 0.005: accuracy {_pct(lin_na['accuracy_mean'])} (min "
        f"{_pct(lin_na['accuracy_min'])}); XOR, lr 0.005: {_pct(xor_na['accuracy_mean'])} "
        f"(max {_pct(max(r['final_accuracy'] for r in noact['xor, lr=0.005']['runs']))}). A "
        "line separates the first set, never the second.",
        f"- At the report's lr 0.05 the linear network diverges on the linear set (accuracy "
        f"{_pct(lin_na_big['accuracy_mean'])}): without the sigmoids' small slopes the summed "
        "gradient of 100 points through three weight matrices is too large a step.",
        "",
        f"![without activation]({figures['no_activation_curve']})",
        "",
    ]
    for name in ("linear", "xor"):
        if f"no_activation_{name}" in figures:
            lines.append(f"![{name} without activation]({figures[f'no_activation_{name}']})")
    lines += [
        "",
        "### D. The seed report's derivation, checked",
        "",
        "The seed report's `backward` updates `w3` before it computes `sigma2` through `w3` (and "
        "`w2` before `sigma1`). Its deeper layers therefore step along a gradient taken through "
        "weights that have already moved. Measured on the XOR set at the initial weights "
        "(relative error of the applied step against the true gradient of the summed "
        "cross-entropy):",
        "",
        _table(
            [
                "seed",
                "W1",
                "W2",
                "W3",
                "engine vs lab gradient (max abs)",
                "trained correctly: MSE / accuracy",
                "trained as reported: MSE / accuracy",
            ],
            [
                [
                    r["seed"],
                    f"{r['relative_error']['W1']:.2e}",
                    f"{r['relative_error']['W2']:.2e}",
                    f"{r['relative_error']['W3']:.2e}",
                    f"{r['engine_vs_lab_max_abs_diff']:.1e}",
                    f"{r['trained']['correct']['mse']:.2e} / "
                    f"{_pct(r['trained']['correct']['accuracy'])}",
                    f"{r['trained']['as reported']['mse']:.2e} / "
                    f"{_pct(r['trained']['as reported']['accuracy'])}",
                ]
                for r in derivation["rows"]
            ],
        ),
        "",
        f"W3's step is exact; the steps of W1 and W2 are {_error_range(derivation)} away from "
        "the gradient, yet the reported training ends at the same loss and accuracy (last two "
        'columns): the "subtly wrong derivation that still converges" the report\'s author '
        "warns about, found by comparing with a checked gradient.",
        "",
        "## 5. Extras",
        "",
        "### A. Optimizers (XOR)",
        "",
        _table(VARIANT_HEADERS, _variant_rows(results["optimizers"])),
        "",
        f"![optimizers]({figures['optimizers_curve']})",
        "",
        "### B. Activation functions (XOR, hidden layers; output sigmoid)",
        "",
        _table(VARIANT_HEADERS, _variant_rows(results["activations"])),
        "",
        "Without bias, a network whose hidden activation is zero at zero (tanh, relu, leaky "
        "relu) maps the point (0, 0) to exactly sigmoid(0) = 0.5 whatever its weights: that "
        "point (label 0) rounds to 1 and such a run cannot pass 20/21 = 95.24% on XOR. A bias "
        "removes that limit; the sigmoid (0.5 at zero) does not have it.",
        "",
        f"![activations]({figures['activations_curve']})",
        "",
    ]
    return "\n".join(lines)


def check_output_dir(out: Path) -> None:
    """The output folder may be new, empty, or an earlier lab1 output (it is replaced whole);
    anything else is refused, so a mistyped ``--out`` never deletes unrelated files."""
    if out.exists():
        if not out.is_dir():
            raise ValueError(f"--out {out} exists and is not a directory")
        contents = {p.name for p in out.iterdir()}
        if contents and not {"report.md", "results.json"} <= contents:
            raise ValueError(
                f"--out {out} is a non-empty directory that is not an earlier "
                "lab1 output; choose a new or empty directory"
            )
    parent = out.resolve().parent
    while not parent.exists():
        parent = parent.parent
    try:  # a real probe: os.access says yes to root even where writing fails
        Path(tempfile.mkdtemp(prefix=".gradstep-probe-", dir=parent)).rmdir()
    except OSError as e:
        raise PermissionError(
            f"cannot write to {parent} (for --out {out}): {e.strerror or e}"
        ) from None


def run_lab(
    out: Path,
    seeds: int = 5,
    quick: bool = False,
    jobs: int | None = None,
    log: Callable[[str], None] = print,
) -> Path:
    """Run every experiment and write ``out/report.md``, ``out/results.json`` and the figures.
    Everything is written to a temporary folder beside ``out`` and moved into place at the end."""
    out = Path(out)
    check_output_dir(out)
    start = time.perf_counter()
    seed_list = list(range(seeds))
    jobs = jobs or min(os.cpu_count() or 1, 2)
    exps = experiments(quick)
    total = sum(len(e.variants) for e in exps) * seeds
    log(f"gradstep lab1: {total} training runs over seeds {seed_list} with {jobs} process(es)...")
    results = run_all(exps, seed_list, jobs)
    derivation = derivation_check(seed_list)
    log("gradstep lab1: the convolution extra (CNN on images)...")
    convolution = extra_c.run_convolution(seed_list, 100 if quick else 200, jobs)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        figures = write_figures(results, tmp)
        figures.update(extra_c.write_figures(convolution, tmp))
        meta = {
            "seeds": seed_list,
            "quick": quick,
            "jobs": jobs,
            "date": time.strftime("%Y-%m-%d %H:%M"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, numpy {np.__version__}",
        }
        meta["seconds"] = time.perf_counter() - start
        report = write_report(results, derivation, figures, meta)
        report += "\n".join(extra_c.section(convolution, figures))
        (tmp / "report.md").write_text(report)
        payload = {
            "meta": meta,
            "converged_mse": CONVERGED_MSE,
            "experiments": results,
            "derivation_check": derivation,
            "convolution": convolution,
            "figures": figures,
        }
        for variants in results.values():  # the final weights stay out of the JSON
            for v in variants.values():
                for r in v["runs"]:
                    r.pop("state", None)
        (tmp / "results.json").write_text(json.dumps(payload, indent=1))
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log(
        f"wrote {out / 'report.md'}, {out / 'results.json'} and {len(figures)} figures "
        f"in {time.perf_counter() - start:.1f} s"
    )
    return out / "report.md"


__all__ = [
    "Setting",
    "Experiment",
    "experiments",
    "run_one",
    "run_lab",
    "derivation_check",
]
