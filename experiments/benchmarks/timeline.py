"""What watching training costs: ``python -m experiments.benchmarks.timeline [--quick]``.

- recording: ``watch`` against ``train`` without recording, the lab's 2-4-4-1 on XOR for
  10,000 epochs recorded every 50 (the mean of alternating repeats of each; the ratio is what
  counts, the machine being shared and noisy);
- the page for three runs (lr 1e-4, 0.05, 2) of 10,000 epochs every 50: its size and the time
  to build it;
- one slider move in Chromium: the mean, over every recorded epoch, of setting the slider and
  the redraw and layout it forces (measured inside the page with ``performance.now()``).

The issue's bounds: recording at most 1.5x, the page under 3 MB and built in under 3 s, a
slider move under 50 ms. Without Playwright or Chromium the browser row is reported as skipped.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from nets import NumpyMLP

from ..datasets import load_dataset
from ..timeline.record import watch
from ..train import train
from .chromium import chromium_browser

SLIDE_JS = """() => {
  const slider = document.querySelector('input[type=range]');
  const times = [];
  for (let i = 0; i <= Number(slider.max); i++) {
    const t = performance.now();
    slider.value = String(i);
    slider.dispatchEvent(new Event('input'));
    document.body.offsetHeight;  // force the style and layout work the move caused
    times.push(performance.now() - t);
  }
  return times;
}"""

SETTINGS = dict(loss="bce", reduction="sum", quiet=True)


def lab_net() -> NumpyMLP:
    return NumpyMLP((2, 4, 4, 1), bias=False, init="lab", seed=0)


def recording_ratio(epochs: int, every: int, repeats: int) -> tuple[float, float, float]:
    """Mean seconds of train and of watch (alternating), and their ratio."""
    X, y = load_dataset("xor")
    plain, watched = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        train(lab_net(), X, y, lr=0.05, epochs=epochs, **SETTINGS)
        plain.append(time.perf_counter() - t)
        t = time.perf_counter()
        watch(lab_net(), X, y, every=every, lr=0.05, epochs=epochs, **SETTINGS)
        watched.append(time.perf_counter() - t)
    a, b = statistics.mean(plain), statistics.mean(watched)
    return a, b, b / a


def page_figures(epochs: int, every: int, folder: Path) -> tuple[float, int, Path]:
    """Seconds to build the three runs' page (training excluded) and its size in bytes."""
    X, y = load_dataset("xor")
    tl = watch(lab_net(), X, y, every=every, lr=[0.0001, 0.05, 2.0], epochs=epochs, **SETTINGS)
    t = time.perf_counter()
    path = tl.save(folder / "training.html")
    return time.perf_counter() - t, path.stat().st_size, path


def slider_ms(path: Path) -> list[float] | None:
    with chromium_browser() as browser:
        if browser is None:
            return None
        page = browser.new_page(viewport={"width": 1366, "height": 850})
        page.goto(path.as_uri())
        return page.evaluate(SLIDE_JS)


def run(quick: bool = False) -> None:
    epochs, every, repeats = (2000, 50, 2) if quick else (10_000, 50, 5)
    plain, watched, ratio = recording_ratio(epochs, every, repeats)
    print(f"timeline bench{' (quick)' if quick else ''}: 2-4-4-1 on XOR, {epochs:,} epochs")
    print(
        f"  recording every {every}: train {plain:.3f} s, watch {watched:.3f} s, "
        f"{ratio:.2f}x (target: at most 1.5x)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        build, size, path = page_figures(epochs, every, Path(tmp))
        print(
            f"  page of 3 runs: {size / 1e6:.2f} MB (target: under 3 MB), built in {build:.2f} s "
            "(target: under 3 s)"
        )
        times = slider_ms(path)
        if times is None:
            print("  slider move in Chromium: skipped (no Playwright or Chromium)")
        else:
            print(
                f"  slider move in Chromium: mean {statistics.mean(times):.1f} ms, slowest "
                f"{max(times):.1f} ms over {len(times)} epochs (target: under 50 ms)"
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 epochs, fewer repeats")
    run(parser.parse_args(argv).quick)


if __name__ == "__main__":
    main()
