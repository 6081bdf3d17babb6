"""What a checked file's process reports to gradstep: numbers, never a verdict.

The worker measures (``measure_step`` / ``measure_gradients``: losses around the point, the
steps the learner's code took, the trace) and writes the measurements with ``write_report``:
an index ``report.json`` (names, shapes, small values) and the numbers themselves as raw
float64 in files of at most ``CHUNK`` bytes (``numbers.000``, ...), so no single file reaches
the check's 8 MB file limit however many entries a file has. ``read_report`` reads them back in
gradstep's own process, which then judges: a file that patches gradstep's comparison inside its
own process, or writes a verdict of its own, changes nothing there.

Only the kinds of ``KINDS`` are rebuilt; anything else in the index is refused (``BadReport``).
"""

from __future__ import annotations

import json
import math
import os
import signal
from pathlib import Path

import numpy as np

from autograd.checks.derivatives import GradientMeasurements, LossProbe
from autograd.checks.stepcheck import StepMeasurements

__all__ = ["BadReport", "CHUNK", "INDEX", "KINDS", "read_report", "write_report"]

CHUNK = 4 * 2**20  # bytes of numbers per file
INDEX = "report.json"
READ_BUDGET = 1 << 30  # bytes of numbers gradstep reads back at most
KINDS = {k.__name__: k for k in (LossProbe, StepMeasurements, GradientMeasurements)}


class BadReport(ValueError):
    """The report is not one the worker writes (the file interfered with the check)."""


class _Numbers(list):
    """The arrays of a report in order, and how many numbers they hold so far."""

    size = 0

    def add(self, array: np.ndarray) -> int:
        start = self.size
        self.append(array.reshape(-1))
        self.size += array.size
        return start


def _pack(value, numbers: _Numbers):
    if isinstance(value, (np.ndarray, np.floating)):
        array = np.asarray(value, dtype=np.float64)
        return {"array": [numbers.add(array), list(array.shape)]}
    if isinstance(value, tuple) and type(value).__name__ in KINDS:
        fields = {f: _pack(getattr(value, f), numbers) for f in value._fields}
        return {"kind": type(value).__name__, "fields": fields}
    if isinstance(value, float):
        return _pack(np.float64(value), numbers)
    if isinstance(value, dict):
        return {"dict": [[str(k), _pack(v, numbers)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        return {"list": [_pack(v, numbers) for v in value]}
    if value is None or isinstance(value, (bool, int, str)):
        return {"value": value}
    raise TypeError(f"cannot report a {type(value).__name__}")


def write_report(folder: Path, record: dict) -> None:
    """Write ``record`` (small JSON values, float arrays and the ``KINDS``) into ``folder``: the
    numbers first, the index last (a process that ends in between leaves no index). When the
    files cannot be written within the file-size limit, a short index says so instead."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the limit a write fails, not the process
    numbers = _Numbers()
    index = json.dumps({"record": _pack(record, numbers)})
    flat = np.concatenate(numbers) if numbers else np.zeros(0)
    data = flat.astype("<f8").tobytes()
    try:
        for k in range(0, max(len(data), 1), CHUNK):
            _write(folder / f"numbers.{k // CHUNK:03d}", data[k : k + CHUNK])
        _write(folder / INDEX, json.dumps({"count": int(flat.size), "index": index}).encode())
    except OSError as e:
        size = len(data) + len(index)
        _write(folder / INDEX, json.dumps({"too_large": size, "error": str(e)}).encode())


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def read_report(folder: Path) -> dict:
    """The record ``write_report`` wrote, rebuilt; ``{"too_large": bytes}`` when it could not be
    written; ``BadReport`` for anything else; ``OSError`` when there is no index."""
    head = json.loads((folder / INDEX).read_text(encoding="utf-8"))
    if not isinstance(head, dict):
        raise BadReport("the report is not a JSON object")
    if "too_large" in head:
        return {"too_large": int(head["too_large"])}
    count = head.get("count")
    if not isinstance(count, int) or not 0 <= count <= READ_BUDGET // 8:
        raise BadReport("the report's count of numbers is out of range")
    chunks = sorted(folder.glob("numbers.[0-9][0-9][0-9]"))
    data = b"".join(p.read_bytes() for p in chunks)
    if len(data) != 8 * count:
        raise BadReport(f"the report promises {count} numbers, its files hold {len(data) // 8}")
    flat = np.frombuffer(data, dtype="<f8").astype(np.float64)
    return _unpack(json.loads(head["index"])["record"], flat)


def _unpack(node, flat: np.ndarray):
    if not isinstance(node, dict) or len(node) not in (1, 2):
        raise BadReport("a malformed entry in the report")
    if "array" in node:
        start, shape = node["array"]
        size = math.prod(shape)
        if not (isinstance(start, int) and start >= 0 and start + size <= flat.size):
            raise BadReport("an array outside the report's numbers")
        array = flat[start : start + size].reshape(shape)
        return float(array) if array.shape == () else array.copy()
    if "kind" in node:
        kind = KINDS.get(node["kind"])
        fields = node.get("fields")
        if kind is None or not isinstance(fields, dict) or set(fields) != set(kind._fields):
            raise BadReport(f"an unknown kind in the report: {str(node['kind'])[:40]}")
        return kind(**{f: _unpack(v, flat) for f, v in fields.items()})
    if "dict" in node:
        return {str(k): _unpack(v, flat) for k, v in node["dict"]}
    if "list" in node:
        return [_unpack(v, flat) for v in node["list"]]
    if "value" in node:
        return node["value"]
    raise BadReport("a malformed entry in the report")
