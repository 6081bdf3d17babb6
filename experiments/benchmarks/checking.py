"""What checking a class costs: ``python -m experiments.benchmarks.checking [--quick] [--size N]``.

A class of N submissions (30 by default) is made from the test corpus (``tests/submissions``:
programs right and wrong, a notebook, a three-file folder, a crash, a syntax error, a missing
module, one not recognised), copied round-robin, and checked as ``gradstep check CLASS`` does:
each submission in a process of its own, ``--jobs`` (2) at a time, every program run to its
first update and judged in this process. Reported: the wall time (the issue's bound: under 60 s
for 30 on this 2-core machine), the CPU seconds the submissions' processes and this one used,
and the rows' tally.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

from ..checking.submissions import check_submissions, find_submissions

CORPUS = Path(__file__).resolve().parents[2] / "tests" / "submissions"
TARGET_SECONDS = 60.0


def make_class(folder: Path, size: int) -> Path:
    """``folder/class``: ``size`` submissions copied round-robin from the corpus."""
    sources = sorted(p for p in CORPUS.iterdir() if p.suffix in (".py", ".ipynb") or p.is_dir())
    target = folder / "class"
    target.mkdir()
    for k in range(size):
        source = sources[k % len(sources)]
        name = f"student{k + 1:02d}_{source.name}"
        if source.is_dir():
            shutil.copytree(source, target / name)
        else:
            shutil.copy(source, target / name)
    return target


def _cpu() -> float:
    usage = [resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)


def run(quick: bool = False, size: int | None = None, jobs: int = 2) -> dict:
    """Check a made class; print and return the figures."""
    size = size or (4 if quick else 30)
    with tempfile.TemporaryDirectory(prefix="gradstep-bench-") as tmp:
        subs = find_submissions([make_class(Path(tmp), size)])
        cpu, start = _cpu(), time.perf_counter()
        rows = check_submissions(subs, jobs=jobs, timeout=60.0)
        seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    tally = Counter(r.status for r in rows)
    print(f"checking bench{' (quick)' if quick else ''}: a class of {size} submissions")
    print(
        f"  checked in {seconds:.1f} s with --jobs {jobs} ({cpu:.1f} CPU s in all; target for 30:"
        f" under {TARGET_SECONDS:g} s)"
    )
    print("  rows: " + ", ".join(f"{n} {s}" for s, n in sorted(tally.items())))
    return {"size": size, "seconds": seconds, "cpu_seconds": cpu, "tally": dict(tally)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a class of 4")
    parser.add_argument("--size", type=int, help="submissions in the class (default 30)")
    parser.add_argument("--jobs", type=int, default=2, help="checked at once (default 2)")
    args = parser.parse_args(argv)
    run(quick=args.quick, size=args.size, jobs=args.jobs)


if __name__ == "__main__":
    main()
