"""Which weights a training step had already updated when it computed each update.

``trace_updates(step, params)`` runs ``step`` on copies of ``params`` that are ``Traced`` arrays:
an ndarray subclass that carries, through every numpy operation, the set of parameters that had
already been updated (written in place, or replaced in the dict) when data flowing into it was
read. When the step then writes a parameter, the set on the value it writes says which other
parameters its update was computed through: the lab report's bug (``w3`` updated, then
``sigma2 = (sigma3 @ w3.T) * ...``, then ``w2 -= lr * z1.T @ sigma2``) reads as "W2 through W3".

Only numpy's own operations are followed (ufuncs, ``@``, ``np.dot`` and other array functions,
views, item assignment); a number taken out with ``float()`` forgets where it came from. The
trace is evidence for a diagnosis that ``check_step`` confirms numerically, never a verdict alone.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["trace_updates", "Traced"]


class _Tracer:
    """The step's bookkeeping: each parameter's current buffer, the parameters updated so far,
    and for each updated parameter the others its update was computed through."""

    def __init__(self) -> None:
        self.buffers: dict[str, list[np.ndarray]] = {}
        self.updated: set[str] = set()
        self.through: dict[str, set[str]] = {}

    def stale(self, x) -> frozenset:
        """What reading ``x`` brings along: its own set, plus every updated parameter whose
        buffer it shares memory with (a view such as ``w3.T`` of an updated ``w3``)."""
        found = set(getattr(x, "_after", ()))
        if isinstance(x, np.ndarray):
            x = _plain(x)
            for name in self.updated:
                if any(np.may_share_memory(x, b) for b in self.buffers[name]):
                    found.add(name)
        return frozenset(found)

    def stale_all(self, values) -> frozenset:
        found: set[str] = set()
        for v in values:
            found |= self.stale(v)
        return frozenset(found)

    def wrote(self, target, after: frozenset) -> None:
        """``target`` was written with data computed after ``after`` were updated."""
        target = _plain(target)
        for name, buffers in self.buffers.items():
            if any(np.may_share_memory(target, b) for b in buffers):
                self.replaced(name, after)

    def replaced(self, name: str, after: frozenset, buffer: np.ndarray | None = None) -> None:
        self.through.setdefault(name, set()).update(after - {name})
        self.updated.add(name)
        if buffer is not None:
            self.buffers[name].append(_plain(buffer))


def _plain(x):
    """``x`` with every Traced array (also inside lists and tuples) as a plain ndarray view."""
    if isinstance(x, Traced):
        return x.view(np.ndarray)
    if isinstance(x, (list, tuple)):
        return type(x)(_plain(v) for v in x)
    return x


def _leaves(x):
    if isinstance(x, (list, tuple)):
        for v in x:
            yield from _leaves(v)
    elif isinstance(x, dict):
        for v in x.values():
            yield from _leaves(v)
    else:
        yield x


class Traced(np.ndarray):
    """An ndarray that remembers which parameters were already updated when it was computed
    (``_after``) and reports in-place writes to its tracer."""

    _after: frozenset = frozenset()
    _tracer: _Tracer | None = None

    def __array_finalize__(self, obj) -> None:
        # views and copies inherit the set; a view of an updated parameter is also caught by
        # memory sharing in _Tracer.stale
        self._after = getattr(obj, "_after", frozenset())
        self._tracer = getattr(obj, "_tracer", None)

    def _wrap(self, result, after: frozenset):
        if isinstance(result, tuple):
            return tuple(self._wrap(r, after) for r in result)
        if type(result) is np.ndarray:
            result = result.view(Traced)
            result._after, result._tracer = after, self._tracer
        return result

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        tracer = self._tracer
        after = tracer.stale_all(inputs) if tracer else frozenset()
        if out is not None:
            kwargs["out"] = tuple(_plain(o) for o in out)
        result = getattr(ufunc, method)(*(_plain(x) for x in inputs), **kwargs)
        if out is None:
            return self._wrap(result, after)
        if tracer:
            for o in out:
                tracer.wrote(o, after)
        return out[0] if len(out) == 1 else out

    def __array_function__(self, func, types, args, kwargs):
        tracer = self._tracer
        after = tracer.stale_all(_leaves((args, kwargs))) if tracer else frozenset()
        plain_kwargs = {k: _plain(v) for k, v in kwargs.items()}
        result = func(*_plain(args), **plain_kwargs)
        if "out" in kwargs and tracer:
            tracer.wrote(kwargs["out"], after)
        return self._wrap(result, after)

    def __setitem__(self, key, value) -> None:
        tracer = self._tracer
        after = tracer.stale_all([value]) if tracer else frozenset()
        self.view(np.ndarray)[key] = _plain(value)
        if tracer:
            tracer.wrote(self, after)


class _TracedDict(dict):
    """The params dict: replacing an entry (``params["W3"] = w3 - ...``) counts as updating it."""

    def __init__(self, arrays: dict, tracer: _Tracer) -> None:
        super().__init__(arrays)
        self._tracer = tracer

    def __setitem__(self, name, value) -> None:
        tracer = self._tracer
        if name in tracer.buffers and isinstance(value, np.ndarray):
            tracer.replaced(name, tracer.stale(value), value)
        super().__setitem__(name, value)


def trace_updates(
    step: Callable, params: dict[str, np.ndarray], call: Callable | None = None
) -> dict[str, set[str]]:
    """Run ``step`` on traced copies of ``params``; return, per parameter the step updated, the
    other parameters that had already been updated when its update was computed. ``call(step,
    params)`` runs the step (default ``step(params)``). Raises what the step raises."""
    tracer = _Tracer()
    arrays = {}
    for name, value in params.items():
        traced = np.array(value, dtype=np.float64).view(Traced)
        traced._tracer = tracer
        arrays[name] = traced
        tracer.buffers[name] = [traced.view(np.ndarray)]
    traced_params = _TracedDict(arrays, tracer)
    (call or (lambda s, p: s(p)))(step, traced_params)
    return {name: set(after) for name, after in tracer.through.items()}
