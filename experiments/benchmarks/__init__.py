"""The benchmarks room: speed measured as ratios against references timed in the same run.

``engines`` (``gradstep bench``): the 2-4-4-1 step on every engine against the lab's numpy,
PyTorch and micrograd; ``revisions``: this tree against an earlier revision; ``stepper`` and
``timeline``: the pages' build time, size and per-step time in Chromium; ``worker``: one engine
timed in a process of its own.
"""
