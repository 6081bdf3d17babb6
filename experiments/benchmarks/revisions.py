"""First-order speed of this working tree against an earlier revision, measured in one run.

    python -m experiments.benchmarks.revisions REV [--rounds 5]

Checks REV out into a temporary ``git worktree`` and times, in fresh processes and interleaved
round by round (the machine is shared and noisy: only figures from the same run compare):

- the Value engine's training step (``bench_worker`` contenders ``gradstep`` and
  ``gradstep-idiomatic``, each tree's own code) against micrograd in the same rounds;
- the numpy fast path: ``NumpyMLP``'s training-loop epoch and ``loss_and_grads`` against the
  lab's hand-written epoch, each tree's own code.

Prints the medians, each tree's ratio to its reference, and after/before. With
``--instructions`` it also counts, under valgrind's callgrind, the CPU instructions one Value
training step takes in each tree: a figure that does not depend on what else the machine is
doing. Used to show that a change (such as the op registry) leaves the first-order path as fast
as it was.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]

NUMPY_TIMER = textwrap.dedent(
    """
    import json, time
    import numpy as np
    try:  # the lab's code moved into experiments/lab; older revisions have it at the top
        from experiments.lab import labcode
    except ImportError:
        from experiments import labcode
    from experiments.datasets import generate_xor_easy
    from nets import SGD, NumpyMLP
    X, y = generate_xor_easy()
    y = y.astype(float)
    net = NumpyMLP((2, 4, 4, 1), bias=False, init="lab", seed=0)
    opt = SGD(net, lr=0.05)
    gradients = net.trainer(X, y, loss="bce", reduction="sum")
    lab_w = [v.copy() for v in net.state_dict().values()]
    def loop(n):
        with np.errstate(over="ignore"):
            for _ in range(n):
                opt.step(gradients())
    def calls(n):
        for _ in range(n):
            opt.step(net.loss_and_grads(X, y, loss="bce", reduction="sum")[1])
    def lab(n):
        for _ in range(n):
            labcode.lab_epoch(X, y, *lab_w, 0.05)
    out = {}
    for name, fn in (("loop", loop), ("calls", calls), ("lab", lab)):
        fn(200)
        t = time.perf_counter(); fn(4000); out[name] = (time.perf_counter() - t) / 4000
    print(json.dumps(out))
    """
)


def _given() -> str:
    from nets import ValueMLP

    from ..datasets import generate_linear
    from .engines import LAYERS

    state = ValueMLP(LAYERS, seed=0).state_dict()
    X, y = generate_linear(100, seed=0)
    return json.dumps(
        {"state": {k: v.tolist() for k, v in state.items()}, "X": X.tolist(), "y": y.tolist()}
    )


def _worker_module(tree: Path) -> str:
    """The timing worker's module in ``tree`` (older revisions kept it in experiments/)."""
    if (tree / "experiments" / "benchmarks" / "worker.py").exists():
        return "experiments.benchmarks.worker"
    return "experiments.bench_worker"


def _worker(tree: Path, name: str, given: str) -> float:
    result = subprocess.run(
        [sys.executable, "-m", _worker_module(tree), name, "2", "20"],
        input=given, capture_output=True, text=True, cwd=tree, check=True,
    )  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])["seconds_per_step"]


def _numpy(tree: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", NUMPY_TIMER], capture_output=True, text=True, cwd=tree, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@contextmanager
def checked_out(rev: str) -> Iterator[Path]:
    """``rev`` checked out in a temporary git worktree, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="gradstep-rev-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), rev], cwd=REPO,
                       check=True, capture_output=True)  # fmt: skip
        try:
            yield tree
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=REPO,
                           capture_output=True)  # fmt: skip


def _instructions(tree: Path, name: str, given: str, steps: int) -> int:
    """Instructions of ``steps`` training steps under callgrind (whole process)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable,
             "-m", _worker_module(tree), name, "1", str(steps)],
            input=given, capture_output=True, text=True, cwd=tree, check=True,
        )  # fmt: skip
        for line in out.read_text().splitlines():
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError("callgrind wrote no totals")


def instructions_per_step(rev: str) -> dict:
    """Per Value training step, in each tree: (instructions of 11 steps - of 1 step) / 10, which
    leaves out the interpreter's start and the imports (and averages the allocator's periodic
    costs)."""
    given = _given()
    counts = {}
    with checked_out(rev) as old:
        for label, tree in ((rev, old), ("working tree", REPO)):
            for name in ("gradstep", "gradstep-idiomatic"):
                one = _instructions(tree, name, given, 1)
                eleven = _instructions(tree, name, given, 11)
                counts[f"{name} @ {label}"] = (eleven - one) // 10
    return counts


def compare(rev: str, rounds: int) -> dict:
    given = _given()
    with checked_out(rev) as old:
        trees = {f"{rev}": old, "working tree": REPO}
        times: dict[str, list[float]] = {}
        for _ in range(rounds):
            times.setdefault("micrograd", []).append(_worker(REPO, "micrograd", given))
            for label, tree in trees.items():
                for name in ("gradstep", "gradstep-idiomatic"):
                    times.setdefault(f"{name} @ {label}", []).append(_worker(tree, name, given))
                for k, v in _numpy(tree).items():
                    times.setdefault(f"numpy {k} @ {label}", []).append(v)
    return {k: statistics.median(v) for k, v in times.items()}


def report(rev: str, med: dict) -> list[str]:
    lines = [f"{name:<40} {sec * 1e6:12.1f} us" for name, sec in med.items()]
    lines.append("")
    for label in (rev, "working tree"):

        def ratio(reference: str, name: str, label=label) -> str:
            return f"{med[reference] / med[f'{name} @ {label}']:.2f}x"

        lines.append(
            f"{label}: micrograd / ValueMLP step {ratio('micrograd', 'gradstep')}, micrograd / "
            f"idiomatic {ratio('micrograd', 'gradstep-idiomatic')}, lab / NumpyMLP loop "
            f"{ratio(f'numpy lab @ {label}', 'numpy loop')}, lab / NumpyMLP.loss_and_grads "
            f"{ratio(f'numpy lab @ {label}', 'numpy calls')}"
        )
    for name in ("gradstep", "gradstep-idiomatic", "numpy loop", "numpy calls"):
        ratio = med[f"{name} @ working tree"] / med[f"{name} @ {rev}"]
        lines.append(f"{name}: working tree / {rev} = {ratio:.3f} (below 1: faster now)")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.benchmarks.revisions")
    parser.add_argument("rev", help="the revision to compare with (e.g. HEAD~5)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--instructions", action="store_true", help="also count instructions (needs valgrind)"
    )
    args = parser.parse_args(argv)
    np.seterr(over="ignore")
    for line in report(args.rev, compare(args.rev, args.rounds)):
        print(line)
    if args.instructions:
        counts = instructions_per_step(args.rev)
        for name, n in counts.items():
            print(f"{name:<40} {n / 1e6:10.2f} M instructions per step")
        for name in ("gradstep", "gradstep-idiomatic"):
            ratio = counts[f"{name} @ working tree"] / counts[f"{name} @ {args.rev}"]
            print(f"{name}: instructions, working tree / {args.rev} = {ratio:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
