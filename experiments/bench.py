"""``gradstep bench``: speed measured against micrograd, PyTorch and the lab's hand-written numpy.

Everything at this size is overhead-bound, and the machine is shared and noisy, so the benchmark
reports ratios against references measured in the same run: contenders are interleaved (one
timing of each per round), each timing is the median of its rounds. Before timing, every
contender's loss and gradients are checked against ours.

micrograd 0.1.0 (the ``bench`` extra) and torch 2.13.0 (the ``torch`` extra) are optional: a
missing one is reported and its rows skipped.
"""

from __future__ import annotations

import gc
import math
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from autograd import Value, backward, sum_values
from nets import SGD, NumpyMLP, TensorMLP, ValueMLP

from . import labcode
from .datasets import generate_linear, generate_xor_easy

LAYERS = (2, 4, 4, 1)
LR = 0.05


@dataclass
class Row:
    name: str
    seconds: float  # median per call
    note: str = ""


@dataclass
class Section:
    title: str
    reference: str
    rows: list[Row] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    targets: list[tuple[str, float, float, bool]] = field(default_factory=list)

    def row(self, name: str) -> Row:
        return next(r for r in self.rows if r.name == name)

    def ratio(self, slow: str, fast: str) -> float:
        return self.row(slow).seconds / self.row(fast).seconds

    def target(self, text: str, slow: str, fast: str, at_least: float) -> None:
        ratio = self.ratio(slow, fast)
        self.targets.append((text, ratio, at_least, ratio >= at_least))


def interleaved(contenders: dict, rounds: int, gc_off: set[str] = frozenset()) -> dict[str, float]:
    """Median seconds per call of each contender, timed in turn, ``rounds`` times."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            gc.collect()  # start clean: no one pays for the garbage the previous contender left
            enabled = gc.isenabled()
            if name in gc_off:
                gc.disable()
            try:
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
            finally:
                if enabled:
                    gc.enable()
    return {name: statistics.median(t) for name, t in times.items()}


def repeat(fn: Callable[[], object], n: int) -> Callable[[], None]:
    def run():
        for _ in range(n):
            fn()

    return run


# -- 1. the Value engine against micrograd ---------------------------------------------------------
def _micrograd_net(state: dict):
    """A 2-4-4-1 sigmoid MLP on micrograd's public Value class (it has no sigmoid: one is made
    here the way its own ops are made: output Value, then its _backward)."""
    from micrograd.engine import Value as MValue

    def sigmoid(v):
        s = 1.0 / (1.0 + math.exp(-v.data))
        out = MValue(s, (v,), "sigmoid")

        def _backward():
            v.grad += s * (1.0 - s) * out.grad

        out._backward = _backward
        return out

    depth = sum(1 for k in state if k[0] == "W")
    W = [[[MValue(float(v)) for v in row] for row in state[f"W{k}"]] for k in range(1, depth + 1)]
    b = [[MValue(float(v)) for v in state[f"b{k}"]] for k in range(1, depth + 1)]
    params = [p for k in range(depth) for row in W[k] for p in row] + [p for bk in b for p in bk]

    def forward(x):
        h = [MValue(float(v)) for v in x]
        for k in range(depth):
            h = [
                sigmoid(sum((W[k][i][j] * h[i] for i in range(len(h))), b[k][j]))
                for j in range(len(b[k]))
            ]
        return h[0]

    def loss(X, y):
        total = sum(((forward(x) - float(t[0])) ** 2 for x, t in zip(X, y)), MValue(0.0))
        return total * (1.0 / len(X))

    def step(X, y):
        out = loss(X, y)
        for p in params:
            p.grad = 0.0
        out.backward()
        for p in params:
            p.data -= LR * p.grad
        return out

    def grads():
        return {
            f"W{k + 1}": np.array([[w.grad for w in row] for row in W[k]]) for k in range(depth)
        } | {f"b{k + 1}": np.array([v.grad for v in b[k]]) for k in range(depth)}

    return loss, step, grads


def _count_micrograd(root) -> int:
    seen, stack = {id(root)}, [root]
    while stack:
        node = stack.pop()
        for child in node._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


def bench_value_engine(n: int, rounds: int) -> Section:
    section = Section(
        f"1. Value engine: one full-batch training step, 2-4-4-1 sigmoid, "
        f"linear set n={n} (MSE, mean, SGD)",
        "micrograd (GC on)",
    )
    X, y = generate_linear(n, seed=0)
    ours = ValueMLP(LAYERS, seed=0)
    state = ours.state_dict()
    opt = SGD(ours, lr=LR)

    def our_step():
        _, grads = ours.loss_and_grads(X, y, loss="mse", reduction="mean")
        opt.step(grads)

    from autograd import topological_order

    our_nodes = len(topological_order(ours.loss(X, y)))
    try:
        import micrograd  # noqa: F401
    except ImportError:
        section.checks.append(
            "micrograd is not installed (pip install micrograd==0.1.0, or "
            "the bench extra): its rows are skipped"
        )
        t = interleaved({"gradstep ValueMLP": our_step}, rounds)
        section.reference = "gradstep ValueMLP"
        section.rows.append(
            Row("gradstep ValueMLP", t["gradstep ValueMLP"], f"{our_nodes / n:.0f} nodes/sample")
        )
        return section
    m_loss, m_step, m_grads = _micrograd_net(state)
    # Same loss and gradients before timing.
    ref = m_loss(X, y)
    ref.backward()
    loss, grads = ours.loss_and_grads(X, y, loss="mse", reduction="mean")
    worst = max(float(np.max(np.abs(grads[k] - v))) for k, v in m_grads().items())
    section.checks.append(
        f"same loss ({loss:.12f} vs micrograd {ref.data:.12f}) and gradients "
        f"(largest difference {worst:.1e}) before timing"
    )
    if abs(loss - ref.data) > 1e-10 * abs(ref.data) or worst > 1e-10:
        raise AssertionError("micrograd and gradstep disagree; not timing")
    m_nodes = _count_micrograd(ref)
    # Each timing is a block of consecutive steps, as in a training loop, so the collector sees
    # the garbage pile up as it would there.
    steps = 5
    contenders = {
        "micrograd (GC on)": repeat(lambda: m_step(X, y), steps),
        "micrograd (GC off)": repeat(lambda: m_step(X, y), steps),
        "gradstep ValueMLP (GC on)": repeat(our_step, steps),
        "gradstep ValueMLP (GC off)": repeat(our_step, steps),
    }
    gc_off = {"micrograd (GC off)", "gradstep ValueMLP (GC off)"}
    t = {name: sec / steps for name, sec in interleaved(contenders, rounds, gc_off).items()}
    for name, sec in t.items():
        nodes = m_nodes if name.startswith("micrograd") else our_nodes
        section.rows.append(
            Row(name, sec, f"{nodes / n:.0f} nodes/sample, {nodes / sec / 1e6:.2f} M nodes/s")
        )
    section.target(
        "ValueMLP step vs micrograd, default GC",
        "micrograd (GC on)",
        "gradstep ValueMLP (GC on)",
        8.0,
    )
    section.target(
        "ValueMLP step vs micrograd, GC off", "micrograd (GC off)", "gradstep ValueMLP (GC on)", 2.0
    )
    return section


# -- 2. epochs of the fast paths -------------------------------------------------------------------
def _torch_epoch(state: dict, X: np.ndarray, y: np.ndarray):
    import torch

    torch.set_num_threads(1)
    W = [torch.tensor(state[f"W{k}"], requires_grad=True) for k in (1, 2, 3)]
    Xt, yt = torch.tensor(X), torch.tensor(y)

    def epoch():
        h = Xt
        for w in W:
            h = torch.sigmoid(h @ w)
        loss = torch.nn.functional.binary_cross_entropy(h, yt, reduction="sum")
        for w in W:
            w.grad = None
        loss.backward()
        with torch.no_grad():
            for w in W:
                w -= LR * w.grad
        return loss

    def grads():
        return {f"W{k + 1}": W[k].grad.numpy() for k in range(3)}

    return epoch, grads


def bench_epochs(rounds: int, calls: int) -> list[Section]:
    return [
        _bench_epoch(name, X, y.astype(np.float64), rounds, calls)
        for name, (X, y) in (
            ("linear n=100", generate_linear(100, seed=0)),
            ("XOR n=21", generate_xor_easy()),
        )
    ]


def _bench_epoch(name: str, X: np.ndarray, y: np.ndarray, rounds: int, calls: int) -> Section:
    section = Section(
        f"2. One training epoch, {name}: 2-4-4-1 sigmoid, no bias, summed cross-entropy, SGD",
        "PyTorch 2.13 CPU, 1 thread",
    )
    numpy_net = NumpyMLP(LAYERS, bias=False, init="lab", seed=0)
    tensor_net = TensorMLP(LAYERS, bias=False, init="lab", seed=0)
    state = numpy_net.state_dict()
    lab_w = [state[k].copy() for k in ("W1", "W2", "W3")]
    numpy_opt, tensor_opt = SGD(numpy_net, lr=LR), SGD(tensor_net, lr=LR)

    def numpy_epoch():
        _, grads = numpy_net.loss_and_grads(X, y, loss="bce", reduction="sum")
        numpy_opt.step(grads)

    def tensor_epoch():
        _, grads = tensor_net.loss_and_grads(X, y, loss="bce", reduction="sum")
        tensor_opt.step(grads)

    def lab_epoch():
        labcode.lab_epoch(X, y, *lab_w, LR)

    # Same gradients before timing.
    _, g_numpy = numpy_net.loss_and_grads(X, y, loss="bce", reduction="sum")
    _, g_tensor = tensor_net.loss_and_grads(X, y, loss="bce", reduction="sum")
    g_lab = dict(zip(("W1", "W2", "W3"), labcode.lab_gradients(X, y, *lab_w)))
    refs = {"tensor": g_tensor, "lab": g_lab}
    contenders = {
        "NumpyMLP": repeat(numpy_epoch, calls),
        "TensorMLP": repeat(tensor_epoch, calls),
        "lab's hand-written numpy": repeat(lab_epoch, calls),
    }
    try:
        import torch  # noqa: F401

        torch_epoch, torch_grads = _torch_epoch(state, X, y)
        torch_epoch()
        refs["torch"] = torch_grads()
        contenders["PyTorch 2.13 CPU, 1 thread"] = repeat(torch_epoch, calls)
    except ImportError:
        section.checks.append(
            "torch is not installed (pip install torch==2.13.0, or the "
            "torch extra): its rows are skipped"
        )
        section.reference = "lab's hand-written numpy"
    worst = max(
        float(np.max(np.abs(g_numpy[k] - ref[k])))
        for ref in refs.values()
        for k in ("W1", "W2", "W3")
    )
    section.checks.append(
        f"same gradients from NumpyMLP, {', '.join(refs)} "
        f"(largest difference {worst:.1e}) before timing"
    )
    if worst > 1e-10:
        raise AssertionError("the epoch contenders disagree; not timing")
    t = interleaved(contenders, rounds)
    for cname, sec in t.items():
        section.rows.append(Row(cname, sec / calls, f"{1e6 * sec / calls:.1f} us/epoch"))
    section.target(
        "NumpyMLP epoch vs the lab's hand-written epoch (>= 1 means no slower)",
        "lab's hand-written numpy",
        "NumpyMLP",
        1.0,
    )
    if "PyTorch 2.13 CPU, 1 thread" in t:
        section.target("NumpyMLP epoch vs PyTorch", "PyTorch 2.13 CPU, 1 thread", "NumpyMLP", 10.0)
        section.target("TensorMLP epoch vs PyTorch", "PyTorch 2.13 CPU, 1 thread", "TensorMLP", 3.0)
    return section


# -- 3. scale and memory ---------------------------------------------------------------------------
def _chain(n: int) -> Value:
    x = Value(0.5)
    y = x
    for _ in range(n):
        y = y.tanh()
    return y


def _wide(n: int) -> Value:
    return sum_values([Value(float(i % 7)) for i in range(n)])


def bench_scale(sizes: list[int], rounds: int) -> Section:
    """Backward over graphs of each size, built first and then timed in interleaved rounds, so
    a slow moment of the machine hits every size alike."""
    section = Section(
        "3. Backward time as graphs grow (chain of tanh; one sum of n leaves)", f"n = {sizes[0]:,}"
    )
    for kind, build in (("chain", _chain), ("wide sum", _wide)):
        roots = {n: build(n) for n in sizes}
        times = interleaved(
            {n: (lambda root=root: backward(root)) for n, root in roots.items()}, rounds
        )
        del roots
        previous = None
        for n in sizes:
            t = times[n]
            note = f"{n / t / 1e6:.2f} M nodes/s"
            if previous is not None:
                note += f", x{t / times[previous]:.1f} for x{n // previous} nodes"
            section.rows.append(Row(f"{kind}, n={n:,}", t, note))
            previous = n
        if len(sizes) > 1:
            growth = times[sizes[-1]] / times[sizes[-2]]
            factor = sizes[-1] // sizes[-2]
            section.targets.append(
                (
                    f"{kind}: backward time x{factor} nodes grows at most x{1.2 * factor:.0f}",
                    growth,
                    1.2 * factor,
                    growth <= 1.2 * factor,
                )
            )
    return section


def _memory_per_node(build: Callable[[int], object], n: int) -> float:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    keep = build(n)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del keep
    return (after - before) / n


def _add_chain(value_class, n: int):
    """n addition nodes in a chain, built with any Value class (ours or micrograd's)."""
    x = value_class(1.0)
    y = x
    for _ in range(n):
        y = y + x
    return y


def bench_memory(n: int) -> Section:
    section = Section(f"4. Memory per op node (a chain of {n:,} additions)", "micrograd")
    per_ours = _memory_per_node(lambda n: _add_chain(Value, n), n)
    section.rows.append(Row("gradstep Value", per_ours, f"{per_ours:.0f} bytes/node"))
    try:
        from micrograd.engine import Value as MValue

        per_theirs = _memory_per_node(lambda n: _add_chain(MValue, n), n)
        section.rows.insert(0, Row("micrograd", per_theirs, f"{per_theirs:.0f} bytes/node"))
        ratio = per_theirs / per_ours
        section.targets.append(
            (
                "memory per Value node at most a third of micrograd's (ratio >= 3)",
                ratio,
                3.0,
                ratio >= 3.0,
            )
        )
    except ImportError:
        section.checks.append("micrograd is not installed: no comparison")
    return section


# -- the report ------------------------------------------------------------------------------------
def machine() -> str:
    import os

    return (
        f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}, Python "
        f"{platform.python_version()}, numpy {np.__version__}"
    )


def format_section(section: Section) -> str:
    lines = [section.title]
    ref = next((r for r in section.rows if r.name == section.reference), None)
    width = max(len(r.name) for r in section.rows)
    is_memory = section.title.startswith("4.")
    for r in section.rows:
        ratio = ""
        if ref is not None:
            ratio = (
                f"{ref.seconds / r.seconds:8.2f}x"
                if not is_memory
                else f"{ref.seconds / r.seconds:8.2f}x smaller"
            )
        value = f"{r.seconds:10.0f} B " if is_memory else f"{_fmt_time(r.seconds):>11}"
        lines.append(f"  {r.name:<{width}}  {value}  {ratio}  {r.note}")
    if ref is not None:
        lines.append(f"  (ratio: {section.reference} / row; higher is better)")
    for check in section.checks:
        lines.append(f"  check: {check}")
    for text, ratio, bound, ok in section.targets:
        verdict = "met" if ok else "MISSED"
        lines.append(f"  target {verdict}: {text}: {ratio:.2f} (bound {bound:g})")
    return "\n".join(lines)


def _fmt_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} us"


def run(quick: bool = False, out=print) -> list[Section]:
    """Run every benchmark; ``quick`` uses tiny sizes (a smoke test, not a measurement)."""
    if quick:
        plan = dict(
            n=10,
            value_rounds=3,
            epoch_rounds=3,
            calls=5,
            sizes=[1_000, 2_000],
            scale_rounds=1,
            memory=2_000,
        )
    else:
        plan = dict(
            n=100,
            value_rounds=15,
            epoch_rounds=25,
            calls=200,
            sizes=[10_000, 100_000, 1_000_000],
            scale_rounds=5,
            memory=100_000,
        )
    out(f"gradstep bench{' --quick' if quick else ''}: {machine()}")
    out("medians of interleaved rounds; ratios against a reference measured in the same run\n")
    sections = [bench_value_engine(plan["n"], plan["value_rounds"])]
    out(format_section(sections[-1]) + "\n")
    for section in bench_epochs(plan["epoch_rounds"], plan["calls"]):
        sections.append(section)
        out(format_section(section) + "\n")
    sections.append(bench_scale(plan["sizes"], plan["scale_rounds"]))
    out(format_section(sections[-1]) + "\n")
    sections.append(bench_memory(plan["memory"]))
    out(format_section(sections[-1]))
    missed = [t for s in sections for t in s.targets if not t[3]]
    out(
        f"\n{sum(len(s.targets) for s in sections) - len(missed)} of "
        f"{sum(len(s.targets) for s in sections)} targets met"
    )
    return sections


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
