"""Numbers as strict JSON: the one rule for every JSON document gradstep writes (``results.json``
of ``lab1`` and ``sweep``, the timeline's data).

JSON has no NaN or infinity (Python's ``json`` writes ``NaN``/``Infinity``, which strict parsers
reject), so a number that is not finite travels as the string ``"nan"``, ``"inf"`` or ``"-inf"``;
``dumps`` writes with ``allow_nan=False``, so nothing else can slip through."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

__all__ = ["json_number", "json_safe", "dumps"]


def json_number(v: float) -> float | str:
    """``v`` itself when finite, else "nan", "inf" or "-inf"."""
    if math.isfinite(v):
        return v
    return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")


def json_safe(obj: Any) -> Any:
    """``obj`` with every float that is not finite named (``json_number``), numpy scalars and
    arrays as Python numbers and lists, tuples as lists; other values unchanged."""
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return json_safe(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float):
        return json_number(obj)
    return obj


def dumps(obj: Any, **kwargs) -> str:
    """``json.dumps`` of ``json_safe(obj)``, strict (``allow_nan=False``)."""
    return json.dumps(json_safe(obj), allow_nan=False, **kwargs)
