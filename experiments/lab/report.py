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
from .prose import fill

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
    fastest = (
        ""
        if best is None
        else f"- Fastest such cell: lr {best['lr']:g} with {best['hidden']} units, median "
        f"{best['median_epochs_to_converge']:.0f} epochs.\n"
    )
    text = fill(
        "sweep",
        lrs=len(sweep["lrs"]),
        widths=len(sweep["hidden"]),
        seeds=sweep["seeds"],
        epochs=f"{sweep['epochs']:,}",
        figure=figures["lr_hidden_heatmap"],
        converged=f"{sweep['converged_mse']:g}",
        full=len(full),
        cells=len(sweep["cells"]),
        all_with=f", all with {widths[0]} or more hidden units" if widths else "",
        fastest=fastest,
    )
    return text.splitlines()


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
    table = _table(["run", "epoch", "loss", "λ_max", "2/λ_max", "lr·λ_max/2"], rows)
    text = fill("curvature", table=table)
    slow, fast = curvature.get("lr=0.05", []), curvature.get("lr=2", [])
    if slow and fast:
        start, after = fast[0], fast[1] if len(fast) > 1 else fast[0]
        over = [str(r["epoch"]) for r in slow if r["lr_over_stable"] >= 1]
        falls = all(b["loss"] < a["loss"] for a, b in zip(slow, slow[1:]))
        text += fill(
            "curvature_findings",
            start_lambda=f"{start['lambda_max']:.3g}",
            start_stable=f"{start['stable_lr']:.3g}",
            start_over=f"{start['lr_over_stable']:.1f}",
            after_epoch=after["epoch"],
            after_lambda=f"{after['lambda_max']:.2g}",
            fast_loss=f"{fast[-1]['loss']:.3g}",
            fast_lambda=f"{fast[-1]['lambda_max']:.1g}",
            slow_max=f"{max(r['lr_over_stable'] for r in slow):.2f}",
            slow_except=f", except at epochs {', '.join(over)}" if over else "",
            slow_falls=": its loss falls from checkpoint to checkpoint" if falls else "",
            slow_loss=f"{slow[-1]['loss']:.3g}",
        )
    return text.splitlines()


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
    lines = fill("derivation").splitlines() + [""]
    if not example:
        return lines
    diff = example["max_abs_difference"]
    scale = example["gradient_scale"]
    x0, x1 = example["point"]
    link = ""
    if pages and "stepper" in pages:
        link = (
            f"Step through it: [{pages['stepper']}]({pages['stepper']}) (open it in a browser "
            "and step through the backward pass node by node).\n\n"
        )
    table = _table(
        ["quantity", "formula", "by hand", "graph engine (stepper)"],
        [
            ["$\\hat y$", "$\\sigma(z_3)$", f"{example['y_hat']:.6f}", "-"],
            ["$\\delta_3$", "$\\hat y - y$", f"{example['delta3']:.6f}",
             f"`dL/dz3[0]` {example['delta3_graph']:.6f}"],
            ["$\\delta_2$", "$(\\delta_3 W_3^\\top) \\odot a_2 \\odot (1 - a_2)$",
             _vector(example["delta2"]), f"`dL/dz2[j]` {_vector(example['delta2_graph'])}"],
            ["$\\partial L / \\partial W_3$", "$a_2^\\top \\delta_3$", _vector(example["dW3"]),
             f"`dL/dW3[i,0]` {_vector(example['dW3_graph'])}"],
        ],
    )  # fmt: skip
    text = fill(
        "derivation_example",
        sample=example["sample"],
        x0=f"{x0:g}",
        x1=f"{x1:g}",
        label=f"{example['label']:g}",
        stepper_link=link,
        table=table,
        graph_agreement=agreement(max(d["graph"] for d in diff.values()), scale),
        fast_agreement=agreement(max(d["NumpyMLP"] for d in diff.values()), scale),
        tolerance=f"{ROUNDING_RTOL:g}",
        scale=f"{scale:.3g}",
    )
    return lines + text.splitlines() + [""]


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
    """``report.md``'s text (without the convolution extra, which ``extra_c.section`` adds):
    each section's template filled with this run's numbers."""
    lines = [
        *_header(meta),
        *_derivation_lines(example, timelines),
        *_setup(),
        *_part(results, "part1", "linear", figures),
        *_part(results, "part2", "XOR", figures),
        *_discussion_a(results, figures, timelines, curvature),
        *_discussion_b(results, figures, timelines, sweep),
        *_discussion_c(results, figures),
        *_discussion_d(derivation),
        *_extras(results, figures),
    ]
    return "\n".join(lines)


def _header(meta: dict) -> list[str]:
    timing = _timing_lines(meta)
    return fill(
        "header",
        command=f"gradstep lab1{' --quick' if meta['quick'] else ''}",
        date=meta["date"],
        seconds=f"{meta['seconds']:.1f}",
        machine=meta["machine"],
        seeds=", ".join(map(str, meta["seeds"])),
        timing=timing[0] if timing else "",
    ).splitlines()


def _setup() -> list[str]:
    s = REPORT_SETTING
    return fill(
        "setup",
        sizes="-".join(map(str, s.layer_sizes)),
        lr=s.lr,
        epochs=f"{s.epochs:,}",
        converged=CONVERGED_MSE,
    ).splitlines()


def _part(results: dict, key: str, name: str, figures: dict) -> list[str]:
    """Part 1 or 2: accuracy over seeds, seed 0's log and predictions, the figures."""
    variant = next(iter(results[key].values()))
    summary, run, setting = variant["summary"], variant["runs"][0], variant["settings"]
    X, y = load_dataset(setting["dataset"], n=setting["n"], seed=run["seed"])
    model = _model_from(run, setting)
    preds = prediction_lines(model, X, y)
    return fill(
        "part",
        part="Part 1" if key == "part1" else "Part 2",
        name=name,
        seeds=summary["seeds"],
        accuracy=_pct(summary["accuracy_mean"]),
        perfect=summary["perfect_runs"],
        final_mse=f"{summary['final_loss_mean']:.3g}",
        spread=_spread(summary["final_loss_std"], summary["final_loss_mean"]),
        seed=run["seed"],
        log="\n".join(run["log"]),
        count=len(preds),
        predictions="\n".join(preds),
        summary=summary_line(model, X, y),
        comparison=figures[f"{key}_comparison"],
        curve=figures[f"{key}_curve"],
        boundary=figures[f"{key}_boundary"],
    ).splitlines()


def _discussion_a(results: dict, figures: dict, timelines, curvature) -> list[str]:
    lr = results["learning_rate"]
    tiny, big = lr["lr=0.0001"]["summary"], lr["lr=2"]["summary"]
    low, high = _late_range(lr["lr=2"])
    text = fill(
        "discussion_a",
        table=_table(VARIANT_HEADERS, _variant_rows(lr)),
        tiny_initial=f"{tiny['initial_loss_mean']:.4f}",
        tiny_final=f"{tiny['final_loss_mean']:.4f}",
        tiny_epochs=f"{lr['lr=0.0001']['settings']['epochs']:,}",
        tiny_accuracy=_pct(tiny["accuracy_mean"]),
        big_converged=big["converged_runs"],
        seeds=big["seeds"],
        big_final=f"{big['final_loss_mean']:.4f}",
        big_low=f"{low:.4f}",
        big_high=f"{high:.4f}",
        figure=figures["learning_rate_curve"],
    )
    link = _timeline_link(
        timelines,
        "learning_rates",
        "the three learning rates, seed 0, side by side: why 1e-4 never moves and 2 jumps, "
        "epoch by epoch",
    )
    return [*text.splitlines(), *link, *_curvature_lines(curvature)]


def _discussion_b(results: dict, figures: dict, timelines, sweep) -> list[str]:
    hidden = results["hidden_units"]
    text = fill(
        "discussion_b",
        table=_table(VARIANT_HEADERS, _variant_rows(hidden)),
        findings="\n".join(_hidden_lines(hidden, sweep)),
        figure=figures["hidden_units_curve"],
    )
    link = _timeline_link(
        timelines,
        "hidden_units",
        "2, 4, 10 and 32 hidden units, seed 0: what the two units of the narrow network end up "
        "drawing",
    )
    return [*text.splitlines(), *link, *_sweep_lines(sweep, figures)]


def _discussion_c(results: dict, figures: dict) -> list[str]:
    noact = results["no_activation"]
    lin, xor = noact["linear, lr=0.005"], noact["xor, lr=0.005"]
    pictures = [
        f"![{name} without activation]({figures[f'no_activation_{name}']})"
        for name in ("linear", "xor")
        if f"no_activation_{name}" in figures
    ]
    return fill(
        "discussion_c",
        table=_table(VARIANT_HEADERS, _variant_rows(noact)),
        linear_accuracy=_pct(lin["summary"]["accuracy_mean"]),
        linear_min=_pct(lin["summary"]["accuracy_min"]),
        xor_accuracy=_pct(xor["summary"]["accuracy_mean"]),
        xor_max=_pct(max(r["final_accuracy"] for r in xor["runs"])),
        linear_big_accuracy=_pct(noact["linear, lr=0.05"]["summary"]["accuracy_mean"]),
        figure=figures["no_activation_curve"],
        pictures="\n".join(pictures),
    ).splitlines()


def _discussion_d(derivation: dict) -> list[str]:
    headers = ["seed", "W1", "W2", "W3", "gradstep vs lab code in order (max abs)"] + [
        f"trained {how}: MSE / accuracy" for how in ("correctly", "as reported")
    ]
    rows = [
        [
            r["seed"],
            *(_step_error(r["relative_error"][k]) for k in ("W1", "W2", "W3")),
            agreement(r["engine_vs_lab_max_abs_diff"], r["gradient_scale"]),
            *(
                f"{r['trained'][how]['mse']:.2e} / {_pct(r['trained'][how]['accuracy'])}"
                for how in ("correct", "as reported")
            ),
        ]
        for r in derivation["rows"]
    ]
    return fill(
        "discussion_d", table=_table(headers, rows), error_range=_error_range(derivation)
    ).splitlines()


def _extras(results: dict, figures: dict) -> list[str]:
    note = epochs_note(results["optimizers"])
    return fill(
        "extras",
        epochs_note=f"Each run here trains for {note}.\n\n" if note else "",
        optimizers_table=_table(VARIANT_HEADERS, _variant_rows(results["optimizers"])),
        optimizers_figure=figures["optimizers_curve"],
        activations_table=_table(VARIANT_HEADERS, _variant_rows(results["activations"])),
        activations_figure=figures["activations_curve"],
    ).splitlines()
