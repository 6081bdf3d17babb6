"""How big and how fast the stepper page is: ``python -m experiments.benchmarks.stepper [--quick]``.

Measures what a user waits for: building the page for the full 2-4-4-1 graph of one sample (a
mean over repeated builds, Graphviz layout included), the page's size, and one step in Chromium
(the mean over every step of a click on `Next step` plus the layout it forces, measured inside
the page with ``performance.now()``), for the 2-4-4-1 graph and a graph of about 1,000 nodes.
The issue's bounds: page under 1 MB, build under 2 s, a step under 50 ms. Chromium is Debian's,
driven by Playwright; without either, the in-browser rows are reported as skipped."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from autograd import find_renderer, stepper, topological_order
from nets import ValueMLP

from .chromium import chromium_browser

STEP_JS = """() => {
  const next = [...document.querySelectorAll('button')].find(
    b => b.textContent.trim() === 'Next ›');
  const times = [];
  while (!next.disabled) {
    const t = performance.now();
    next.click();
    document.body.offsetHeight;  // force the style and layout work the click caused
    times.push(performance.now() - t);
  }
  return times;
}"""


def network_loss(sizes):
    net = ValueMLP(sizes, seed=0)
    return net.loss([[0.1, 0.9]], [[1.0]], loss="bce")


def build_seconds(sizes, repeats: int, collapse=None) -> tuple[float, object]:
    times, s = [], None
    for _ in range(repeats):
        root = network_loss(sizes)
        t = time.perf_counter()
        s = stepper(root, collapse=collapse)
        s.html()
        times.append(time.perf_counter() - t)
    return statistics.mean(times), s


def step_times_ms(pages: list[Path]) -> list[list[float]] | None:
    with chromium_browser() as browser:
        if browser is None:
            return None
        out = []
        for path in pages:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(path.as_uri())
            out.append(page.evaluate(STEP_JS))
            page.close()
        return out


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def run(quick: bool = False) -> None:
    repeats = 1 if quick else 5
    cases = [
        ("2-4-4-1, every node", (2, 4, 4, 1), None),
        ("2-4-4-1, by neuron", (2, 4, 4, 1), "neuron"),
        ("2-8-8-1 (quick)" if quick else "2-28-28-1, every node", (2, 8, 8, 1) if quick
         else (2, 28, 28, 1), None),
    ]  # fmt: skip
    renderer = find_renderer() or "none"
    print(f"stepper bench: renderer {renderer}; means over {repeats} builds and over every step")
    rows, pages = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, sizes, collapse) in enumerate(cases):
            seconds, s = build_seconds(sizes, repeats, collapse)
            path = s.save(Path(tmp) / f"page{i}.html")
            nodes = len(topological_order(network_loss(sizes)))
            rows.append((name, nodes, len(s), seconds, path.stat().st_size))
            pages.append(path)
        steps = step_times_ms(pages)
    print(f"  {'graph':24s} {'nodes':>6s} {'steps':>6s} {'build':>9s} {'page':>10s} {'step':>10s}")
    for i, (name, nodes, n_steps, seconds, size) in enumerate(rows):
        step = "skipped" if steps is None else f"{statistics.mean(steps[i]):.2f} ms"
        print(
            f"  {name:24s} {nodes:6d} {n_steps:6d} {seconds * 1000:7.0f} ms "
            f"{size / 1e6:7.3f} MB {step:>10s}"
        )
    if quick:
        print("  --quick: a smoke test at small sizes; no target is judged")
        return
    name, nodes, n_steps, seconds, size = rows[0]
    print(f"  target {verdict(size < 1e6)}: page for the full 2-4-4-1 graph under 1 MB")
    print(f"  target {verdict(seconds < 2.0)}: that page builds in under 2 s")
    if steps is None:
        print("  one step in Chromium: skipped (needs Playwright and Debian's chromium)")
    else:
        worst = max(statistics.mean(t) for t in steps)
        slowest = max(max(t) for t in steps)
        print(f"  target {verdict(worst < 50)}: one step under 50 ms (slowest mean "
              f"{worst:.2f} ms, slowest single step {slowest:.2f} ms)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    run(parser.parse_args().quick)


if __name__ == "__main__":
    main()
