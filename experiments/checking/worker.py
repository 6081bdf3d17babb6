"""The child side of ``gradstep check``: runs one learner's file and measures it.

    python worker.py REPORT_FOLDER FILE EPS ATOL RTOL

Started by ``experiments.checking.files`` in a process of its own, in the file's folder, with that
folder first on ``sys.path`` (as running the file as a script would). The file is run with
``runpy`` under the name ``__gradstep_check__`` (so its ``if __name__ == "__main__":`` block,
often a whole training run, does not run), then measured with ``measure_step`` (a file with
``step``) or ``measure_gradients`` (a file with ``grads``): the losses around the point, the steps
its code takes, the trace. Those numbers are written to REPORT_FOLDER (``transport``) only at the
very end; gradstep judges them in its own process (``judge_step``, ``judge_gradients``), so this
process never decides a verdict: a file that patches gradstep's comparison here, or writes a
verdict of its own, cannot make a wrong step "ok". A file that ends the process early leaves no
report, which the parent reports as an error. The file's own prints go to this process's
stdout, which the parent captures apart from the report.
"""

from __future__ import annotations

import math
import runpy
import sys
from pathlib import Path

CONVENTION = (
    "a step file defines `params` (a dict of float arrays, or a function returning one), "
    "`loss(params)` and `step(params)` (and optionally `lr`); a gradient file defines `params`, "
    "`loss(params)` and `grads(params)`"
)


class Unusable(Exception):
    """The file cannot be checked; the message says why in one line."""


def _load(path: Path) -> dict:
    sys.path.insert(0, str(path.parent))
    sys.argv = [str(path)]
    try:
        return runpy.run_path(str(path), run_name="__gradstep_check__")
    except BaseException as e:  # noqa: BLE001 - the learner's code: anything it raises is reported
        raise Unusable(f"running it raised {type(e).__name__}: {e}") from None


def _parts(names: dict):
    kind = "step" if "step" in names else "grads" if "grads" in names else None
    missing = [n for n in ("params", "loss") if n not in names]
    if kind is None:
        missing.append("step (or grads)")
    if missing:
        raise Unusable(f"defines no {', '.join(missing)}: {CONVENTION}")
    for name in ("loss", kind):
        if not callable(names[name]):
            raise Unusable(f"`{name}` is not a function: {CONVENTION}")
    params = names["params"]
    if callable(params):
        try:
            params = params()
        except BaseException as e:  # noqa: BLE001
            raise Unusable(f"params() raised {type(e).__name__}: {e}") from None
    return kind, params, names["loss"], names[kind], names.get("lr")


def measure(path: Path, eps: float, atol: float, rtol: float) -> dict:
    """What gradstep needs to judge the file, as the record ``transport.write_report`` writes:
    ``{"kind", "measurements"}``, or ``{"status": "error" | "wrong", "kind", "message"}`` when
    the file cannot be measured (a wrong status here only ever makes a file worse)."""
    from autograd.checks.derivatives import BadLossError, GradientMismatchError, measure_gradients
    from autograd.checks.stepcheck import StepCheckError, measure_step
    from autograd.checks.tolerance import Tolerance

    kind = None
    tolerance = Tolerance(eps, atol, rtol)
    try:
        kind, params, loss, fn, lr = _parts(_load(path))
        if kind == "step":
            if lr is not None and (
                isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr < math.inf
            ):
                raise Unusable(f"lr must be a positive number, got {lr!r:.40}")
            measured = measure_step(fn, params, loss, None if lr is None else float(lr), tolerance)
        else:
            measured = measure_gradients(loss, fn, params, tolerance)
    except Unusable as e:
        return {"status": "error", "kind": kind, "message": str(e)}
    except GradientMismatchError as e:  # a gradient of the wrong shape or name: a wrong answer
        return {"status": "wrong", "kind": kind, "message": str(e)}
    except (BadLossError, StepCheckError, TypeError, ValueError) as e:
        return {"status": "error", "kind": kind, "message": f"{type(e).__name__}: {e}"}
    except BaseException as e:  # noqa: BLE001 - the learner's loss, step or grads raised
        return {"status": "error", "kind": kind, "message": f"{type(e).__name__}: {e}"}
    return {"kind": kind, "measurements": measured}


def main(argv: list[str]) -> int:
    folder, file, eps, atol, rtol = argv
    # ours, before the file's folder can shadow them
    from experiments.checking.transport import write_report

    record = measure(Path(file), float(eps), float(atol), float(rtol))
    sys.stdout.flush()
    # written last, whole: a file that ended the process early leaves no report at all
    write_report(Path(folder), record)
    return 0


if __name__ == "__main__":
    del sys.path[0]  # this script's folder: its modules are not the learner's
    sys.exit(main(sys.argv[1:]))
