"""micrograd's ``demo.ipynb`` on micrograd and on gradstep: the same numbers, and how much faster.

    python -m experiments.benchmarks.micrograd_demo [--samples 100] [--steps 100] [--rounds 1]

The demo (make_moons with noise 0.1 seeded 1337, ``MLP(2, [16, 16, 1])``, max-margin loss with
L2 regularization, full-batch SGD with lr 1.0 - 0.9 k/100) runs in a fresh process per contender
(the same process kind for each: a new interpreter, the collector on as the demo leaves it),
interleaved round by round; each process prints its losses, accuracies and seconds per step.
Before any figure is reported, every step's loss is checked against micrograd's to 1e-12
relative and every accuracy for equality. Contenders:

- ``micrograd``: micrograd 0.1.0's ``engine.Value`` and ``nn.MLP`` (the ``bench`` extra);
- ``gradstep``: the demo's own loop with its two imports swapped (``autograd.Value``,
  ``nets.micrograd.MLP``);
- ``gradstep-hinge``: the same network with ``nets.micrograd.hinge_loss`` (the loss built to be
  drawn: one node per sum).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time

import numpy as np

CONTENDERS = ("micrograd", "gradstep", "gradstep-hinge")
MODULE = "experiments.benchmarks.micrograd_demo"  # what the workers run (``__name__`` is __main__)
RTOL = 1e-12


def run_demo(Value, MLP, n_samples: int = 100, nouts=(16, 16, 1), steps: int = 100, hinge=None):
    """The demo's cells as its notebook writes them (``Value`` and ``MLP`` from either library;
    ``hinge``: a function ``(model, X, y) -> (loss, accuracy)`` in place of its ``loss()``).
    Returns each step's (loss, accuracy) and the seconds the steps took."""
    from experiments.datasets import make_moons

    np.random.seed(1337)
    random.seed(1337)
    X, y = make_moons(n_samples=n_samples, noise=0.1)
    y = y * 2 - 1
    model = MLP(2, list(nouts))

    def loss():
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    history = []
    start = time.perf_counter()
    for k in range(steps):
        total_loss, acc = loss() if hinge is None else hinge(model, X, y)
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        history.append((float(total_loss.data), float(acc)))
    return history, time.perf_counter() - start


def contender(name: str, n_samples: int, steps: int) -> dict:
    """One contender's run in this process: its history and seconds per step."""
    if name == "micrograd":
        from micrograd.engine import Value
        from micrograd.nn import MLP

        hinge = None
    else:
        from autograd import Value
        from nets.micrograd import MLP, hinge_loss

        hinge = hinge_loss if name == "gradstep-hinge" else None
    history, seconds = run_demo(Value, MLP, n_samples, (16, 16, 1), steps, hinge)
    return {"history": history, "seconds_per_step": seconds / steps}


def _in_fresh_process(name: str, n_samples: int, steps: int) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", MODULE, "--worker", name, "--samples", str(n_samples),
         "--steps", str(steps)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"demo worker {name!r} failed: {result.stderr.strip()[-500:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def disagreement(reference: list, other: list) -> str | None:
    """None when every step's loss agrees to ``RTOL`` relative and every accuracy is equal;
    else the first step that does not, said."""
    for k, ((l_ref, a_ref), (l_k, a)) in enumerate(zip(reference, other)):
        if abs(l_k - l_ref) > RTOL * abs(l_ref) or a != a_ref:
            return f"step {k}: loss {l_k!r} vs {l_ref!r}, accuracy {a} vs {a_ref}"
    if len(reference) != len(other):
        return f"{len(other)} steps vs {len(reference)}"
    return None


def compare(n_samples: int, steps: int, rounds: int) -> tuple[dict, list[str]]:
    """Median seconds per step of each contender, and the agreement checks made first."""
    try:
        import micrograd  # noqa: F401

        names = CONTENDERS
    except ImportError:
        names = CONTENDERS[1:]
    times: dict[str, list[float]] = {name: [] for name in names}
    histories: dict[str, list] = {}
    for _ in range(rounds):
        for name in names:
            out = _in_fresh_process(name, n_samples, steps)
            times[name].append(out["seconds_per_step"])
            histories.setdefault(name, out["history"])
    checks = []
    reference = "micrograd" if "micrograd" in names else "gradstep"
    for name in names:
        if name == reference:
            continue
        wrong = disagreement(histories[reference], histories[name])
        if wrong is not None:
            raise AssertionError(f"{name} and {reference} disagree at {wrong}; not timing")
        checks.append(
            f"{name}: all {steps} losses agree with {reference}'s to {RTOL:g} relative, "
            "accuracies equal"
        )
    last = histories[reference][-1]
    checks.append(f"final step: loss {last[0]:.6f}, accuracy {last[1] * 100:.0f}%")
    return {name: statistics.median(t) for name, t in times.items()}, checks


def report(median: dict, checks: list[str], n_samples: int, steps: int) -> list[str]:
    lines = [
        f"micrograd demo: MLP(2, [16, 16, 1]), {n_samples} moons, {steps} full-batch SGD steps; "
        "each contender in a fresh process"
    ]
    reference = median.get("micrograd")
    for name, seconds in median.items():
        ratio = f"{reference / seconds:8.2f}x" if reference else ""
        lines.append(f"  {name:<16} {seconds * 1e3:10.2f} ms/step  {ratio}")
    if reference:
        lines.append("  (ratio: micrograd / row; higher is faster)")
    else:
        lines.append("  micrograd is not installed (the bench extra): no ratio")
    lines += [f"  check: {c}" for c in checks]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.benchmarks.micrograd_demo")
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--worker", choices=CONTENDERS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.samples < 2 or args.steps < 1 or args.rounds < 1:
        parser.error("--samples must be at least 2, --steps and --rounds at least 1")
    if args.worker:
        print(json.dumps(contender(args.worker, args.samples, args.steps)))
        return 0
    median, checks = compare(args.samples, args.steps, args.rounds)
    for line in report(median, checks, args.samples, args.steps):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
