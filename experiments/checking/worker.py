"""The child side of ``gradstep check``: runs one learner's file and checks it.

    python check_worker.py FILE RESULT.json EPS ATOL RTOL

Started by ``experiments.checking.files`` in a process of its own, in the file's folder, with that
folder first on ``sys.path`` (as running the file as a script would). The file is run with
``runpy`` under the name ``__gradstep_check__`` (so its ``if __name__ == "__main__":`` block,
often a whole training run, does not run), then checked with ``autograd.check_step`` (a file
with ``step``) or ``autograd.check_gradients`` (a file with ``grads``). The verdict is written to
RESULT.json only at the very end: a file that ends the process early leaves no verdict, which the
parent reports as an error, never as a pass. The file's own prints go to this process's stdout,
which the parent captures apart from the verdict.
"""

from __future__ import annotations

import json
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


def _finite(x: float) -> float | None:
    """A number for JSON: nan and inf become null."""
    return x if math.isfinite(x) else None


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


def check(path: Path, eps: float, atol: float, rtol: float) -> dict:
    """The verdict on one file, as the JSON the parent reads."""
    from autograd import check_gradients, check_step
    from autograd.checks.derivatives import BadLossError, GradientMismatchError
    from autograd.checks.stepcheck import StepCheckError

    kind = None
    try:
        kind, params, loss, fn, lr = _parts(_load(path))
        if kind == "step":
            if lr is not None and (
                isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr < math.inf
            ):
                raise Unusable(f"lr must be a positive number, got {lr!r:.40}")
            report = check_step(fn, params, loss, lr, eps=eps, atol=atol, rtol=rtol)
        else:
            report = check_gradients(loss, fn, params, eps=eps, atol=atol, rtol=rtol)
    except Unusable as e:
        return {"status": "error", "kind": kind, "message": str(e)}
    except GradientMismatchError as e:  # a gradient of the wrong shape or name: a wrong answer
        return {"status": "wrong", "kind": kind, "message": str(e), "parameters": {}}
    except (BadLossError, StepCheckError, TypeError, ValueError) as e:
        return {"status": "error", "kind": kind, "message": f"{type(e).__name__}: {e}"}
    except BaseException as e:  # noqa: BLE001 - the learner's loss, step or grads raised
        return {"status": "error", "kind": kind, "message": f"{type(e).__name__}: {e}"}
    return {
        "status": "ok" if report.ok else "wrong",
        "kind": kind,
        "message": report.verdict(),
        "parameters": {
            p.name: {
                "entries": p.entries,
                "wrong": p.wrong,
                "worst_abs_error": _finite(p.worst_abs_error),
                "worst_rel_error": _finite(p.worst_rel_error),
                "verdict": str(p),
            }
            for p in report.parameters
        },
        "notes": report.notes,
        "summary": report.summary(),
        "table": report.table(),
        "failures": report.table(report.failures()),
    }


def main(argv: list[str]) -> int:
    file, result, eps, atol, rtol = argv
    from autograd.files import write_file  # ours, before the file's folder can shadow it

    verdict = check(Path(file), float(eps), float(atol), float(rtol))
    sys.stdout.flush()
    # written last, whole: a file that ended the process early leaves no verdict at all
    write_file(result, json.dumps(verdict))
    return 0


if __name__ == "__main__":
    del sys.path[0]  # this script's folder: its modules are not the learner's
    sys.exit(main(sys.argv[1:]))
