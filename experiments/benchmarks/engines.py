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
import json
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from autograd import Value, backward, sum_values
from autograd.extras import extra_hint
from nets import SGD, NumpyMLP, Population, TensorMLP, ValueMLP

from ..datasets import generate_linear, generate_xor_easy
from ..lab import labcode
from . import worker as bench_worker

LAYERS = (2, 4, 4, 1)
LR = 0.05


@dataclass
class Row:
    name: str
    seconds: float  # median per call
    note: str = ""


@dataclass(frozen=True)
class Target:
    """A ratio the benchmark aims for: at least ``bound`` (or at most, with ``at_most``). The
    verdict is taken on the ratio as printed (two decimals), so the line never reads
    "1.00 (bound 1): MISSED"."""

    text: str
    ratio: float
    bound: float
    at_most: bool = False

    @property
    def shown(self) -> str:
        return f"{self.ratio:.2f}"

    @property
    def met(self) -> bool:
        value = float(self.shown)
        return value <= self.bound if self.at_most else value >= self.bound

    def line(self) -> str:
        verdict = "met" if self.met else "MISSED"
        return f"  target {verdict}: {self.text}: {self.shown} (bound {self.bound:g})"


@dataclass
class Section:
    title: str
    reference: str
    rows: list[Row] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)

    def row(self, name: str) -> Row:
        return next(r for r in self.rows if r.name == name)

    def ratio(self, slow: str, fast: str) -> float:
        return self.row(slow).seconds / self.row(fast).seconds

    def target(self, text: str, slow: str, fast: str, at_least: float) -> None:
        self.targets.append(Target(text, self.ratio(slow, fast), at_least))


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


# -- 1. the Value engine against micrograd, each in a process of its own --------------------------
VALUE_ROWS = {
    "micrograd": "micrograd (GC on)",
    "micrograd-gc-off": "micrograd (GC off)",
    "gradstep": "gradstep ValueMLP.loss_and_grads",
    "gradstep-idiomatic": "gradstep ValueMLP, loop as micrograd's",
}


def _in_fresh_process(name: str, given: str, loops: int, steps: int) -> float:
    """Mean seconds per step of one contender, measured in a new interpreter (bench_worker),
    which gets the weights and data (``given``, JSON) on its standard input."""
    result = subprocess.run(
        [sys.executable, "-m", "experiments.benchmarks.worker", name, str(loops), str(steps)],
        input=given,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"benchmark worker {name!r} failed: {result.stderr.strip()[-500:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])["seconds_per_step"]


def _value_agreement(
    state: dict, X: np.ndarray, y: np.ndarray, with_micrograd: bool
) -> tuple[str, int, int | None]:
    """Every contender's loss and gradients on the same weights and data, before timing."""
    from autograd import topological_order

    ours = ValueMLP(LAYERS, seed=0)
    ours.load_state_dict(state)
    loss, grads = ours.loss_and_grads(X, y, loss="mse", reduction="mean")
    net, idiomatic_loss, _ = bench_worker.gradstep_idiomatic(state)
    out = idiomatic_loss(X, y)
    out.backward()
    refs = {"idiomatic loop": (out.data, net.named_grads())}
    m_nodes = None
    if with_micrograd:
        m_loss, _, m_grads = bench_worker.micrograd_net(state)
        ref = m_loss(X, y)
        ref.backward()
        refs["micrograd"] = (ref.data, m_grads())
        m_nodes = _count_micrograd(ref)
    worst = max(float(np.max(np.abs(grads[k] - g[k]))) for _, g in refs.values() for k in grads)
    worst_loss = max(abs(loss - v) for v, _ in refs.values())
    if worst_loss > 1e-10 * abs(loss) or worst > 1e-10:
        raise AssertionError(f"{', '.join(refs)} and gradstep disagree; not timing")
    check = (
        f"same loss ({loss:.12f}) and gradients from loss_and_grads, {', '.join(refs)} "
        f"(largest difference {worst:.1e}) before timing"
    )
    return check, len(topological_order(ours.loss(X, y))), m_nodes


def _count_micrograd(root) -> int:
    seen, stack = {id(root)}, [root]
    while stack:
        node = stack.pop()
        for child in node._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


def bench_value_engine(n: int, rounds: int, loops: int = 2, steps: int = 20) -> Section:
    """Each contender in a fresh process, ``rounds`` times in turn (interleaved); a process
    reports its mean per step over ``loops`` loops of ``steps`` steps; the row is the median of
    those means."""
    section = Section(
        f"1. Value engine: one full-batch training step, 2-4-4-1 sigmoid, linear set n={n} "
        f"(MSE, mean, SGD); each contender in a fresh process, mean over {loops} x {steps} steps",
        "micrograd (GC on)",
    )
    try:
        import micrograd  # noqa: F401

        names = list(VALUE_ROWS)
    except ImportError:
        section.checks.append(
            f"micrograd is not installed ({extra_hint('bench')}): its rows are skipped"
        )
        names = ["gradstep", "gradstep-idiomatic"]
        section.reference = VALUE_ROWS["gradstep-idiomatic"]
    state = ValueMLP(LAYERS, seed=0).state_dict()
    X, y = generate_linear(n, seed=0)
    y = y.astype(np.float64)
    check, our_nodes, m_nodes = _value_agreement(state, X, y, "micrograd" in names)
    section.checks.append(check)
    given = json.dumps(
        {"state": {k: v.tolist() for k, v in state.items()}, "X": X.tolist(), "y": y.tolist()}
    )
    times: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(rounds):
        for name in names:
            times[name].append(_in_fresh_process(name, given, loops, steps))
    for name in names:
        sec = statistics.median(times[name])
        nodes = m_nodes if name.startswith("micrograd") else our_nodes
        note = f"{nodes / n:.0f} nodes/sample" if nodes else ""
        section.rows.append(Row(VALUE_ROWS[name], sec, note))
    if "micrograd" in names:
        section.target(
            "ValueMLP.loss_and_grads step vs micrograd, default GC",
            VALUE_ROWS["micrograd"],
            VALUE_ROWS["gradstep"],
            8.0,
        )
        section.target(
            "ValueMLP in micrograd's own loop vs micrograd, default GC (moonshot)",
            VALUE_ROWS["micrograd"],
            VALUE_ROWS["gradstep-idiomatic"],
            15.0,
        )
        section.target(
            "ValueMLP.loss_and_grads step vs micrograd with its GC off",
            VALUE_ROWS["micrograd-gc-off"],
            VALUE_ROWS["gradstep"],
            2.0,
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

    train_net = NumpyMLP(LAYERS, bias=False, init="lab", seed=0)
    train_opt = SGD(train_net, lr=LR)
    gradients = train_net.trainer(X, y, loss="bce", reduction="sum")

    def numpy_training_block():  # what experiments.train does: checked once, no loss value
        with np.errstate(over="ignore"):
            for _ in range(calls):
                train_opt.step(gradients())

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
        "NumpyMLP, training loop": numpy_training_block,
        "NumpyMLP.loss_and_grads": repeat(numpy_epoch, calls),
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
            f"torch is not installed ({extra_hint('torch')}): its rows are skipped"
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
        "NumpyMLP training epoch vs the lab's hand-written epoch (>= 1 means no slower)",
        "lab's hand-written numpy",
        "NumpyMLP, training loop",
        1.0,
    )
    if "PyTorch 2.13 CPU, 1 thread" in t:
        section.target(
            "NumpyMLP training epoch vs PyTorch",
            "PyTorch 2.13 CPU, 1 thread",
            "NumpyMLP, training loop",
            10.0,
        )
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
                Target(
                    f"{kind}: backward time x{factor} nodes grows at most x{1.2 * factor:.0f}",
                    growth,
                    1.2 * factor,
                    at_most=True,
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
            Target("memory per Value node at most a third of micrograd's (ratio >= 3)", ratio, 3.0)
        )
    except ImportError:
        section.checks.append("micrograd is not installed: no comparison")
    return section


# -- the report ------------------------------------------------------------------------------------
# -- 5. many networks at once ---------------------------------------------------------------------
def bench_populations(networks: int, rounds: int, calls: int) -> list[Section]:
    """A population's epoch per network against one network's epoch of the lab's hand-written
    numpy: XOR (all networks on the 21 points) and linear (each its own 100 points)."""
    sections = []
    for name, bound, shared in (("XOR n=21", 10.0, True), ("linear n=100", 3.0, False)):
        seeds = list(range(networks))
        if shared:
            X, y = generate_xor_easy()
            Xs, ys = X, y.astype(np.float64)
        else:
            data = [generate_linear(100, seed=s) for s in seeds]
            Xs = np.stack([d[0] for d in data])
            ys = np.stack([d[1] for d in data]).astype(np.float64)
            X, y = data[0][0], data[0][1].astype(np.float64)
        y = y.astype(np.float64)
        section = Section(
            f"5. Many networks at once, {name}: {networks} networks of 2-4-4-1 sigmoid, no bias, "
            "summed cross-entropy, SGD, one epoch per network",
            "lab's hand-written numpy",
        )
        pop = Population(LAYERS, seeds=seeds, bias=False, init="lab")
        opt = SGD(pop, lr=np.full(networks, LR))
        gradients = pop.trainer(Xs, ys, loss="bce", reduction="sum")
        lab_w = [pop.state_dict(0)[k].copy() for k in ("W1", "W2", "W3")]
        true = labcode.lab_gradients(X, y, *lab_w)
        worst = max(
            float(np.max(np.abs(gradients()[k][0] - t))) for k, t in zip(("W1", "W2", "W3"), true)
        )
        section.checks.append(
            f"network 0 of the population has the lab's gradients (largest difference "
            f"{worst:.1e}) before timing"
        )
        if worst > 1e-10:
            raise AssertionError("the population and the lab's code disagree; not timing")

        def population_epoch(opt=opt, gradients=gradients):
            opt.step(gradients())

        def lab_epoch(X=X, y=y, lab_w=lab_w):
            labcode.lab_epoch(X, y, *lab_w, LR)

        t = interleaved(
            {"population": repeat(population_epoch, calls), "lab": repeat(lab_epoch, calls)},
            rounds,
        )
        per_network = t["population"] / calls / networks
        section.rows.append(
            Row("Population, per network-epoch", per_network, f"{1e6 * per_network:.2f} us")
        )
        section.rows.append(
            Row("lab's hand-written numpy", t["lab"] / calls, f"{1e6 * t['lab'] / calls:.1f} us")
        )
        section.target(
            f"population per network-epoch vs the lab's single-network epoch ({name})",
            "lab's hand-written numpy",
            "Population, per network-epoch",
            bound,
        )
        sections.append(section)
    return sections


def machine() -> str:
    import os

    return (
        f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}, Python "
        f"{platform.python_version()}, numpy {np.__version__}"
    )


def format_section(section: Section, judge: bool = True) -> str:
    """The section's rows, checks and (when ``judge``) its targets' verdicts."""
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
    if judge:
        lines += [target.line() for target in section.targets]
    return "\n".join(lines)


def targets_table(sections: list[Section], judged: bool = True) -> str:
    """The run's targets as a Markdown table (the README's "Measured" table is one of these,
    from a full run): section, measurement, ratio, bound, verdict."""
    lines = ["| section | measurement | ratio | target | verdict |", "|---|---|---|---|---|"]
    for section in sections:
        where = section.title.split(":")[0]
        for target in section.targets:
            bound = f"{'<=' if target.at_most else '>='} {target.bound:g}"
            verdict = ("met" if target.met else "missed") if judged else "not judged (--quick)"
            lines.append(f"| {where} | {target.text} | {target.shown} | {bound} | {verdict} |")
    return "\n".join(lines) + "\n"


def _fmt_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} us"


# sizes and repeats: --quick runs each contender once at tiny sizes (a smoke test)
QUICK_PLAN = dict(
    n=10,
    value_rounds=1,
    epoch_rounds=3,
    calls=5,
    sizes=[1_000, 2_000],
    scale_rounds=1,
    memory=2_000,
    networks=4,
    pop_rounds=2,
    pop_calls=5,
    loops=1,
    steps=2,
)

FULL_PLAN = dict(
    n=100,
    value_rounds=3,
    epoch_rounds=25,
    calls=200,
    sizes=[10_000, 100_000, 1_000_000],
    scale_rounds=5,
    memory=100_000,
    networks=100,
    pop_rounds=9,
    pop_calls=100,
    loops=2,
    steps=20,
)


def run(quick: bool = False, out=print) -> list[Section]:
    """Run every benchmark; ``quick`` uses tiny sizes (a smoke test, not a measurement: it
    prints no target verdicts)."""
    plan = QUICK_PLAN if quick else FULL_PLAN
    out(f"gradstep bench{' --quick' if quick else ''}: {machine()}")
    out("medians of interleaved rounds; ratios against a reference measured in the same run\n")
    if quick:
        out("--quick: tiny sizes, a smoke test that every contender runs and agrees; no target is")
        out("judged (the full `gradstep bench` measures them)\n")
    sections = []

    def report(new: list[Section]) -> None:
        for section in new:
            sections.append(section)
            out(format_section(section, judge=not quick) + "\n")

    report([bench_value_engine(plan["n"], plan["value_rounds"], plan["loops"], plan["steps"])])
    report(bench_epochs(plan["epoch_rounds"], plan["calls"]))
    report([bench_scale(plan["sizes"], plan["scale_rounds"])])
    report([bench_memory(plan["memory"])])
    report(bench_populations(plan["networks"], plan["pop_rounds"], plan["pop_calls"]))
    targets = [t for s in sections for t in s.targets]
    if quick:
        out(
            f"\nsmoke test passed: {len(sections)} sections ran ({len(targets)} targets not judged)"
        )
    else:
        out(f"\n{sum(t.met for t in targets)} of {len(targets)} targets met")
    return sections


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
