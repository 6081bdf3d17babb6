"""The lab report: figures and ``report.md`` from the measured results of ``gradstep lab1``.

``lab1`` runs the experiments; this module only reads what they measured (``results``, the
derivation check, the convolution extra, the timings) and writes it up."""

from __future__ import annotations

from concurrent.futures import Executor
from functools import partial
from pathlib import Path

import numpy as np

from nets import NumpyMLP

from .. import plots
from ..datasets import load_dataset
from ..runs import CONVERGED_MSE, REPORT_SETTING
from ..train import prediction_lines, summary_line

__all__ = ["write_figures", "write_report", "VARIANT_HEADERS", "agreement", "ROUNDING_RTOL"]


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def _spread(sd: float, mean: float) -> str:
    """A standard deviation as a result: one that is rounding noise next to its mean (runs
    that all ended at the same loss give 3.9e-17) prints as 0."""
    return "0" if sd <= 1e-9 * abs(mean) else f"{sd:.2g}"


# Two different float64 computations of one quantity (numpy's `@` against the graph engine's
# sums, the lab's code against gradstep's) differ by a few units in the last place, and how many
# depends on the CPU (its vector width decides numpy's summation order). Below this relative
# difference the report states agreement, with the difference's size, never a result.
ROUNDING_RTOL = 1e-12


def agreement(difference: float, scale: float) -> str:
    """``difference`` (the largest absolute difference between two computations of quantities
    of size up to ``scale``) as the report states it: "agree to rounding (largest difference
    d)" when ``d <= ROUNDING_RTOL * scale``, else "differ by up to d" (a finding)."""
    size = "0" if difference == 0 else f"{difference:.1e}"
    if difference <= ROUNDING_RTOL * scale:
        return f"agree to rounding (largest difference {size})"
    return f"differ by up to {size}"


def _step_error(relative: float) -> str:
    """A relative error of a step as a table cell: a finding, or agreement to rounding."""
    return agreement(relative, 1.0) if relative <= ROUNDING_RTOL else f"{relative:.2e}"


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
                f"{s['final_loss_mean']:.3g} ± "
                f"{_spread(s['final_loss_std'], s['final_loss_mean'])}",
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


def write_figures(results: dict, out: Path, pool: Executor | None = None) -> dict[str, str]:
    """Every figure of the report (drawn in ``pool``'s workers when given: matplotlib takes
    about half a second a figure); returns {name: file name}."""
    tasks = _figure_tasks(results, out)
    if pool is None:
        return {key: fn(*args, **kwargs).name for key, fn, args, kwargs in tasks}
    futures = {key: pool.submit(fn, *args, **kwargs) for key, fn, args, kwargs in tasks}
    return {key: future.result().name for key, future in futures.items()}


def _predict(run: dict, setting: dict, X: np.ndarray) -> np.ndarray:
    """A run's predictions, from its saved weights (picklable, for the figure workers)."""
    return _model_from(run, setting).predict(X)


def _figure_tasks(results: dict, out: Path) -> list[tuple]:
    """(name, plotting function, args, kwargs) for every figure."""
    tasks = []
    for key, data_name in (("part1", "linear"), ("part2", "xor")):
        variant = next(iter(results[key].values()))
        run = variant["runs"][0]
        setting = variant["settings"]
        X, y = load_dataset(data_name, n=setting["n"], seed=run["seed"])
        model = _model_from(run, setting)
        tasks.append(
            (
                f"{key}_comparison",
                plots.comparison,
                (X, y, model.predict(X), out / f"{key}_comparison.png"),
                {"title": f"{data_name}, seed {run['seed']}"},
            )
        )
        tasks.append(
            (
                f"{key}_boundary",
                plots.decision_boundary,
                (partial(_predict, run, setting), X, y, out / f"{key}_boundary.png"),
                {"title": f"{data_name}: predicted probability, seed {run['seed']}"},
            )
        )
        curves = [
            (f"seed {r['seed']}", r["history"]["epoch"], r["history"]["loss"])
            for r in variant["runs"]
        ]
        tasks.append(
            (
                f"{key}_curve",
                plots.learning_curves,
                (curves, out / f"{key}_curve.png"),
                {"title": f"{data_name}: learning curves"},
            )
        )
    for key in ("learning_rate", "hidden_units", "no_activation", "optimizers", "activations"):
        curves, bands = _curves(results[key])
        title = "median over seeds (band: min to max)"
        note = epochs_note(results[key])
        tasks.append(
            (
                f"{key}_curve",
                plots.learning_curves,
                (curves, out / f"{key}_curve.png"),
                {"bands": bands, "title": f"{title}; {note}" if note else title},
            )
        )
    for label, variant in results["no_activation"].items():
        if not label.endswith("lr=0.005"):
            continue
        data_name = variant["settings"]["dataset"]
        run = variant["runs"][0]
        X, y = load_dataset(data_name, n=variant["settings"]["n"], seed=run["seed"])
        model = _model_from(run, variant["settings"])
        tasks.append(
            (
                f"no_activation_{data_name}",
                plots.comparison,
                (X, y, model.predict(X), out / f"no_activation_{data_name}.png"),
                {"title": f"{data_name} without hidden activations, seed {run['seed']}"},
            )
        )
    return tasks


def epochs_note(variants: dict) -> str:
    """ "5,000 epochs (the setup's 10,000)" when every variant trains for one number of epochs
    other than the setup's; empty otherwise (runs of several lengths get a panel each)."""
    epochs = {v["settings"]["epochs"] for v in variants.values()}
    if len(epochs) != 1 or epochs == {REPORT_SETTING.epochs}:
        return ""
    return f"{epochs.pop():,} epochs (the setup's {REPORT_SETTING.epochs:,})"


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


def _timing_lines(meta: dict) -> list[str]:
    """How long each phase of the run took. (What the same training would take one network at
    a time with the lab's own numpy is in ``results.json`` and measured properly by
    ``gradstep bench``: timed here for a fraction of a second, it is too noisy to quote.)"""
    phases = meta.get("phases_seconds")
    if not phases:
        return []
    names = {
        "mlp_runs": "MLP runs (as populations)",
        "derivation_check": "derivation check",
        "lr_hidden_sweep": "the learning rate x hidden units grid",
        "convolution_and_derivation_wait": "waiting for the convolution extra and the derivation "
        "check (run in the workers meanwhile)",
        "convolution": "convolution extra",
        "serial_reference": "timing the lab's own epoch",
        "curvature": "curvature",
        "figures": "figures",
    }
    parts = "; ".join(f"{names.get(k, k)} {v:.1f} s" for k, v in phases.items())
    return [f"Time by phase: {parts}."]


def _finding(results: dict, key: str, label: str) -> dict:
    return results[key][label]["summary"]


def _sweep_lines(sweep: dict | None, figures: dict) -> list[str]:
    """Discussions A and B together: the learning rate x hidden units heatmap."""
    if not sweep or "lr_hidden_heatmap" not in figures:
        return []
    full = [c for c in sweep["cells"] if c["converged_fraction"] == 1.0]
    best = min(
        (c for c in full if c["median_epochs_to_converge"] is not None),
        key=lambda c: c["median_epochs_to_converge"],
        default=None,
    )
    widths = sorted({c["hidden"] for c in full})
    lines = [
        "### A and B together: learning rate x hidden units (XOR)",
        "",
        f"The same question as a grid: {len(sweep['lrs'])} learning rates x "
        f"{len(sweep['hidden'])} widths of both hidden layers, {sweep['seeds']} seeds per cell, "
        f"{sweep['epochs']:,} epochs, the report's settings otherwise (`gradstep sweep` draws "
        "the same figure for any grid).",
        "",
        f"![learning rate x hidden units]({figures['lr_hidden_heatmap']})",
        "",
        f"- Every seed reached MSE < {sweep['converged_mse']:g} in {len(full)} of "
        f"{len(sweep['cells'])} cells"
        + (f", all with {widths[0]} or more hidden units" if widths else "")
        + ".",
    ]
    if best is not None:
        lines.append(
            f"- Fastest such cell: lr {best['lr']:g} with {best['hidden']} units, median "
            f"{best['median_epochs_to_converge']:.0f} epochs."
        )
    return lines + [""]


def _curvature_lines(curvature: dict | None) -> list[str]:
    """Discussion A's learning rates against the loss's curvature, measured with the Hessian."""
    if not curvature:
        return []
    rows = [
        [label, r["epoch"], f"{r['loss']:.3f}", f"{r['lambda_max']:.3g}", f"{r['stable_lr']:.3g}",
         f"{r['lr_over_stable']:.2f}"]
        for label, runs in curvature.items()
        for r in runs
    ]  # fmt: skip
    slow, fast = curvature.get("lr=0.05", []), curvature.get("lr=2", [])
    lines = [
        "#### Why lr 2 jumps: the curvature of the loss",
        "",
        "Gradient descent with step lr is stable along a direction of curvature λ (an eigenvalue "
        "of the loss's Hessian) only while lr < 2/λ; past it each step overshoots the valley "
        "floor. `autograd.hessian` gives the Hessian of the summed cross-entropy over all 28 "
        "weights (seed 0, XOR) at checkpoints of the runs above; λ_max is its largest "
        "eigenvalue, 2/λ_max the largest stable learning rate there, and lr·λ_max/2 above 1 "
        "means the step overshoots along the sharpest direction:",
        "",
        _table(["run", "epoch", "loss", "λ_max", "2/λ_max", "lr·λ_max/2"], rows),
        "",
    ]
    if slow and fast:
        start = fast[0]
        over = [r for r in slow if r["lr_over_stable"] >= 1]
        after = fast[1] if len(fast) > 1 else fast[0]
        lines.append(
            f"- At the initial weights λ_max = {start['lambda_max']:.3g}, so steps up to "
            f"{start['stable_lr']:.3g} are stable. lr 2 is {start['lr_over_stable']:.1f} times "
            f"past that limit; after {after['epoch']} epochs its weights sit where λ_max = "
            f"{after['lambda_max']:.2g}: the overshooting steps threw them into a nearly flat "
            f"region, where gradients are small, and it ends at loss {fast[-1]['loss']:.3g} with "
            f"λ_max {fast[-1]['lambda_max']:.1g}."
        )
        lines.append(
            "- lr 0.05 stays below the limit at every checkpoint (lr·λ_max/2 at most "
            f"{max(r['lr_over_stable'] for r in slow):.2f})"
            + ("" if not over else f", except at epochs {', '.join(str(r['epoch']) for r in over)}")
            + (
                ": its loss falls from checkpoint to checkpoint"
                if all(b["loss"] < a["loss"] for a, b in zip(slow, slow[1:]))
                else ""
            )
            + f" and ends at loss {slow[-1]['loss']:.3g}."
        )
        lines.append("")
    return lines


def _timeline_link(timelines: dict | None, name: str, what: str) -> list[str]:
    """A link to a watched run's page (open it in a browser: slider, boundary, neurons)."""
    if not timelines or name not in timelines:
        return []
    return [
        f"Step through training: [{timelines[name]}]({timelines[name]}) ({what}; open it in a "
        "browser and drag the Epoch slider; at the last epoch, click point 2, (0.1, 0.1), for "
        "its backward pass).",
        "",
    ]


def _vector(values) -> str:
    return "[" + ", ".join(f"{v:.6f}" for v in values) + "]"


def _hidden_lines(hidden: dict, sweep: dict | None) -> list[str]:
    """What Discussion B's table shows, and how the grid's 10 seeds at the report's learning
    rate bear on it."""
    by_width = {v["settings"]["layer_sizes"][1]: v["summary"] for v in hidden.values()}
    seeds = next(iter(by_width.values()))["seeds"]
    failing = [w for w, s in by_width.items() if s["perfect_runs"] < s["seeds"]]
    always = [w for w, s in by_width.items() if s["perfect_runs"] == s["seeds"]]
    medians = [
        (w, s["median_epochs_to_converge"])
        for w, s in by_width.items()
        if s["median_epochs_to_converge"] is not None
    ]
    lines = []
    if failing and always:
        narrow = max(failing)
        lines.append(
            f"- The table's point is the smallest width that learns XOR every time: with "
            f"{narrow} units {by_width[narrow]['perfect_runs']}/{seeds} runs reach 100%, from "
            f"{min(w for w in always if w > narrow)} units on all {seeds} do."
        )
    elif always:
        lines.append(f"- Every width here reaches 100% in all {seeds} runs.")
    if len(medians) > 1:
        (w0, m0), (w1, m1) = medians[0], medians[-1]
        lines.append(
            f"- Wider layers get there sooner: median {m0:.0f} epochs to MSE {CONVERGED_MSE} "
            f"with {w0} units, {m1:.0f} with {w1}."
        )
    lr = REPORT_SETTING.lr
    cells = {c["hidden"]: c for c in (sweep or {}).get("cells", []) if c["lr"] == lr}
    shared = [w for w in by_width if w in cells]
    if shared:
        parts = ", ".join(
            f"{w} units {round(cells[w]['converged_fraction'] * cells[w]['seeds'])}/"
            f"{cells[w]['seeds']}"
            for w in shared
        )
        lines.append(
            f"- The grid below asks the same at lr {lr:g} with {cells[shared[0]]['seeds']} seeds "
            f"and its own test (MSE below {sweep['converged_mse']:g} within "
            f"{sweep['epochs']:,} epochs): {parts}. Where the two disagree, {seeds} seeds are "
            "too few to tell every initialisation from most of them."
        )
    return [*lines, ""]


def _derivation_lines(example: dict | None, pages: dict | None = None) -> list[str]:
    """Section 2: back-propagation for this network derived in gradstep's notation, each line
    tied to the code that computes it and, on one point, to the numbers the stepper shows."""
    lines = [
        "## 2. Back-propagation, derived",
        "",
        "Notation (gradstep's: the code, the stepper's labels and this report use it): for layer "
        "k = 1, 2, 3, one row per sample,",
        "",
        "$$z_k = a_{k-1} W_k + b_k, \\qquad a_k = \\sigma(z_k), \\qquad a_0 = x, \\qquad "
        "\\hat y = a_3 .$$",
        "",
        "The seed report calls the layers' outputs `z1`, `z2` and its deltas `sigma3`, `sigma2`, "
        "`sigma1`: its `z_k` is $a_k$ here, its `sigma_k` is $\\delta_k$, and it has no bias "
        "($b_k = 0$).",
        "",
        "**The sigmoid's derivative.** With $\\sigma(z) = 1 / (1 + e^{-z})$,",
        "",
        "$$\\sigma'(z) = \\frac{e^{-z}}{(1 + e^{-z})^2} = \\sigma(z)\\,(1 - \\sigma(z)) "
        "= a\\,(1 - a),$$",
        "",
        "computed from the layer's output alone (`through_activation` in `nets/backprop.py`: "
        "`delta *= a; delta *= 1 - a`).",
        "",
        "**The output delta** $\\delta_3 = \\partial L / \\partial z_3$. For the cross-entropy "
        "summed over the samples, $L = -\\sum [y \\ln \\hat y + (1 - y) \\ln (1 - \\hat y)]$,",
        "",
        "$$\\frac{\\partial L}{\\partial \\hat y} = \\frac{\\hat y - y}{\\hat y\\,(1 - \\hat y)}, "
        "\\qquad \\delta_3 = \\frac{\\partial L}{\\partial \\hat y}\\,\\sigma'(z_3) "
        "= \\hat y - y,$$",
        "",
        "the seed's `sigma3 = y_pred - y` (`np.subtract(p, y, delta)` in `Backprop`). For the "
        "squared error $L = \\sum (\\hat y - y)^2$ the sigmoid's slope stays in "
        "(`output_delta`):",
        "",
        "$$\\delta_3 = 2\\,(\\hat y - y)\\,\\hat y\\,(1 - \\hat y).$$",
        "",
        "A mean instead of a sum divides either by the number of samples.",
        "",
        "**The hidden layers' deltas.** The chain rule through $z_{k+1} = a_k W_{k+1} + b_{k+1}$ "
        "and then through $a_k = \\sigma(z_k)$ gives",
        "",
        "$$\\delta_2 = (\\delta_3 W_3^\\top) \\odot a_2 \\odot (1 - a_2), \\qquad "
        "\\delta_1 = (\\delta_2 W_2^\\top) \\odot a_1 \\odot (1 - a_1)$$",
        "",
        "(`product(delta, WT[k - 1], nxt)`, then `through_activation`).",
        "",
        "**The weight gradients**, each sample's contribution summed by the matrix product:",
        "",
        "$$\\frac{\\partial L}{\\partial W_k} = a_{k-1}^\\top \\delta_k, \\qquad "
        "\\frac{\\partial L}{\\partial b_k} = \\sum_{\\text{rows}} \\delta_k$$",
        "",
        "(`product(AT[k - 1], delta, grads[k - 1])`; the bias rides along as a column of ones). "
        "Gradient "
        "descent then sets $W_k \\leftarrow W_k - \\eta\\, \\partial L / \\partial W_k$ for every "
        "k *after* all the gradients are computed: every $\\delta$ above uses the weights of the "
        "forward pass (section 5.D measures what the seed's order of updates does instead).",
        "",
    ]
    if not example:
        return lines
    diff = example["max_abs_difference"]
    worst_graph = max(d["graph"] for d in diff.values())
    worst_fast = max(d["NumpyMLP"] for d in diff.values())
    scale = example["gradient_scale"]
    x0, x1 = example["point"]
    return lines + [
        "**On one point, in numbers.** `gradstep step --data xor` draws this network (2-4-4-1, "
        "sigmoid, with bias, the weights of seed 0) on XOR point "
        f"{example['sample']}, ({x0:g}, {x1:g}), label {example['label']:g}, and steps through "
        "the same computation node by node: its step `dL/dW3[i,0] += dL/dz3[0] * a2[i]` is one "
        "entry of $a_2^\\top \\delta_3$, `dL/da2[i] += dL/dz3[0] * W3[i,0]` one of "
        "$\\delta_3 W_3^\\top$, and the sigmoid's step multiplies by $a_2 (1 - a_2)$. The "
        "formulas above evaluated by hand (numpy, one line each) against what the graph engine "
        "back-propagates there (the stepper's numbers):",
        "",
        *(
            [
                f"Step through it: [{pages['stepper']}]({pages['stepper']}) (open it in a "
                "browser and step through the backward pass node by node).",
                "",
            ]
            if pages and "stepper" in pages
            else []
        ),
        _table(
            ["quantity", "formula", "by hand", "graph engine (stepper)"],
            [
                ["$\\hat y$", "$\\sigma(z_3)$", f"{example['y_hat']:.6f}", "-"],
                [
                    "$\\delta_3$",
                    "$\\hat y - y$",
                    f"{example['delta3']:.6f}",
                    f"`dL/dz3[0]` {example['delta3_graph']:.6f}",
                ],
                [
                    "$\\delta_2$",
                    "$(\\delta_3 W_3^\\top) \\odot a_2 \\odot (1 - a_2)$",
                    _vector(example["delta2"]),
                    f"`dL/dz2[j]` {_vector(example['delta2_graph'])}",
                ],
                [
                    "$\\partial L / \\partial W_3$",
                    "$a_2^\\top \\delta_3$",
                    _vector(example["dW3"]),
                    f"`dL/dW3[i,0]` {_vector(example['dW3_graph'])}",
                ],
            ],
        ),  # fmt: skip
        "",
        "Over every entry of $\\partial L / \\partial W_1$, $W_2$ and $W_3$ the formulas and "
        f"the graph engine {agreement(worst_graph, scale)}; the formulas and `NumpyMLP`, which "
        f"trains every run below, {agreement(worst_fast, scale)} (tolerance: "
        f"{ROUNDING_RTOL:g} of the largest gradient entry, {scale:.3g}).",
        "",
    ]


def write_report(
    results: dict,
    derivation: dict,
    figures: dict,
    meta: dict,
    sweep: dict | None = None,
    curvature: dict | None = None,
    example: dict | None = None,
    timelines: dict | None = None,
) -> str:
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
        *_timing_lines(meta),
        "",
        "## 1. Introduction",
        "",
        "A 2-4-4-1 network with a sigmoid after every layer learns to classify two small 2-D "
        "data sets by back-propagation and plain gradient descent. The training here uses "
        "gradstep's numpy fast path (`nets.NumpyMLP`), whose gradients the test suite checks "
        "against finite differences, against the graph engines (`ValueMLP`, `TensorMLP`) and "
        "against PyTorch.",
        "",
        *_derivation_lines(example, timelines),
        "## 3. Experimental setup",
        "",
        f"- Network: {'-'.join(map(str, s.layer_sizes))}, sigmoid everywhere, no bias: "
        "$a_1 = \\sigma(x W_1)$, $a_2 = \\sigma(a_1 W_2)$, $\\hat y = \\sigma(a_2 W_3)$, each W "
        "stored (inputs, outputs).",
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
        "## 4. Results",
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
            f"{summary['final_loss_mean']:.3g} "
            f"(± {_spread(summary['final_loss_std'], summary['final_loss_mean'])}).",
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
        "## 5. Discussion",
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
        *_timeline_link(
            timelines,
            "learning_rates",
            "the three learning rates, seed 0, side by "
            "side: why 1e-4 never moves and 2 jumps, epoch by epoch",
        ),
        *_curvature_lines(curvature),
        "### B. Hidden units (XOR, both hidden layers the same width)",
        "",
        _table(VARIANT_HEADERS, _variant_rows(hidden)),
        "",
        *_hidden_lines(hidden, sweep),
        f"![hidden units]({figures['hidden_units_curve']})",
        "",
        *_timeline_link(
            timelines,
            "hidden_units",
            "2, 4, 10 and 32 hidden units, seed 0: "
            "what the two units of the narrow network end up drawing",
        ),
        *_sweep_lines(sweep, figures),
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
        "weights that have already moved. Measured on the XOR set at the initial weights: for "
        "each weight matrix, the relative error of the step it applies, "
        "$\\lVert \\Delta W / (-\\eta) - \\nabla_W L \\rVert / "
        "\\lVert \\nabla_W L \\rVert$, against "
        "the true gradient of the summed cross-entropy (the one measure the README quotes too). "
        "The fifth column is a control: the largest absolute difference between gradstep's "
        "gradient and the lab code written in the right order (`labcode.lab_gradients`) on the "
        "same weights: where the two agree to rounding, the reference itself is right.",
        "",
        _table(
            [
                "seed",
                "W1",
                "W2",
                "W3",
                "gradstep vs lab code in order (max abs)",
                "trained correctly: MSE / accuracy",
                "trained as reported: MSE / accuracy",
            ],
            [
                [
                    r["seed"],
                    *(_step_error(r["relative_error"][k]) for k in ("W1", "W2", "W3")),
                    agreement(r["engine_vs_lab_max_abs_diff"], r["gradient_scale"]),
                    f"{r['trained']['correct']['mse']:.2e} / "
                    f"{_pct(r['trained']['correct']['accuracy'])}",
                    f"{r['trained']['as reported']['mse']:.2e} / "
                    f"{_pct(r['trained']['as reported']['accuracy'])}",
                ]
                for r in derivation["rows"]
            ],
        ),
        "",
        "W3's step is the gradient (to rounding); the steps of W1 and W2 are "
        f"{_error_range(derivation)} away from the gradient, yet the reported training ends at "
        'the same loss and accuracy (last two columns): the "subtly wrong derivation that '
        "still converges\" the report's author warns about, found by comparing with a checked "
        "gradient.",
        "",
        "## 6. Extras",
        "",
        "### A. Optimizers (XOR)",
        "",
        *(
            [f"Each run here trains for {epochs_note(results['optimizers'])}.", ""]
            if epochs_note(results["optimizers"])
            else []
        ),
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
