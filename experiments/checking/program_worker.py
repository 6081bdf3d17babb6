"""The child side of checking a submission as it is: run the learner's program, watch what it
trains, stop it after its first update(s), and write down what was seen.

    python program_worker.py SPEC.json REPORT_PREFIX

SPEC.json (written by ``experiments.checking.submissions``) names the program: its chunks of
source (one for a ``.py`` file, one per code cell of a notebook), the folder it runs in and the
files that are the learner's own. The program runs as ``__main__`` with ``sys.argv`` of the
script alone, ``input()`` answered with empty lines and matplotlib's non-interactive backend.

While it runs, a line tracer (``sys.settrace``, active only in the learner's own files) looks at
the arrays the program holds after each of its lines: module globals, the locals of the running
function, attributes of its objects, items of its lists, dicts and tuples (three levels deep),
lists of Python floats. Each place ("slot") keeps the values it took (the first few, with the
line count at which each appeared). A slot whose float array changes in place or is rebound to
a new array of the same shape has been *updated*. Once the updated slots hold a chain of weight
shapes, the program is let run until those slots change a second time (or a budget of lines
passes), then stopped.

This process judges nothing: it writes the slots' values (REPORT_PREFIX.npz) and what happened
(REPORT_PREFIX.json), and the parent recognises the network and judges the step in its own
process (``experiments.checking.recognise``), so nothing the program does to gradstep's code
in this process can change a verdict.
"""

from __future__ import annotations

import builtins
import io
import json
import linecache
import os
import sys
import traceback
import types

import numpy as np

MAX_ENTRIES = 200_000  # entries of one array watched (the lab's arrays are far smaller)
MAX_LIST = 4096  # numbers of a list of floats read as an array
MAX_LIST_ROWS = 64  # items of such a list: a longer one is data being built, read once made
KEEP = 4  # values kept per slot: the first ones tell W0, W1, W2 and the predictions apart
DEPTH = 3  # model.layers[0].W is three steps from the global `model`
MAX_ITEMS = 64  # items of one container looked at
GRACE_LINES = 20_000  # lines let run after the first complete update, waiting for the second
MAX_LINES_AFTER_CHANGE = 200_000  # after the first weight change, without a chain: give up


class Slot:
    """One place the program keeps an array: its label and the values it took."""

    __slots__ = ("key", "label", "values", "changes", "ref", "raw", "bytes", "first_change")

    def __init__(self, key, label: str) -> None:
        self.key, self.label = key, label
        self.values: list[tuple[int, np.ndarray]] = []
        self.changes = 0  # same-shape changes of a float array
        self.first_change = -1
        self.ref = None
        self.raw = None
        self.bytes = b""


def _as_array(value):
    """``value`` as an array to watch (a copy), or None: float or int ndarrays, Python numbers,
    lists (of lists) of Python numbers."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "fiu" and 0 < value.size <= MAX_ENTRIES:
            return value
        return None
    if isinstance(value, (float, int)) and not isinstance(value, bool):
        return np.array(value)
    if isinstance(value, np.generic) and value.dtype.kind in "fiu":
        return np.array(value)
    if isinstance(value, list) and value and len(value) <= MAX_LIST_ROWS:
        first = value[0]
        if isinstance(first, (float, int, list)) and not isinstance(first, bool):
            try:
                array = np.array(value)
            except (ValueError, TypeError):
                return None
            if array.dtype.kind in "fiu" and array.size <= MAX_LIST:
                return array
    return None


def _children(value):
    """The (label suffix, child) pairs of a container or user object, at most MAX_ITEMS."""
    if isinstance(value, dict):
        items = [(f"[{k!r}]", v) for k, v in list(value.items())[:MAX_ITEMS] if _plain_key(k)]
    elif isinstance(value, (list, tuple)):
        if len(value) > MAX_LIST_ROWS:
            return []  # data being built (one item per sample): read once it is an array
        items = [(f"[{i}]", v) for i, v in enumerate(value)]
    elif _is_user_object(value):
        items = [(f".{k}", v) for k, v in list(vars(value).items())[:MAX_ITEMS]]
    else:
        return []
    return items


def _plain_key(k) -> bool:
    return isinstance(k, (str, int)) and not isinstance(k, bool)


def _is_user_object(value) -> bool:
    if isinstance(value, (type, types.ModuleType, types.FunctionType, types.MethodType)):
        return False
    module = getattr(type(value), "__module__", "")
    return hasattr(value, "__dict__") and module in Watcher.user_modules


class Watcher:
    """The line tracer: looks at the learner's arrays after each of their lines."""

    user_modules: set[str] = {"__main__"}

    def __init__(self, files: set[str], namespace: dict, on_stop, entry_files=(), on_phase=None):
        self.files = files
        self.entry_files = set(entry_files)
        self.on_phase = on_phase or (lambda phase: None)
        self.namespace = namespace
        self.on_stop = on_stop
        self.slots: dict = {}
        self.lines = 0
        self.first_weight_change = -1
        self.chain_complete_at = -1
        self.phase = "running the program to its first update"
        self.stopped = False
        self.modules_seen = 0
        self.module_dicts: list[tuple[str, dict]] = [("", namespace)]

    # -- tracing --------------------------------------------------------------------------------
    def global_trace(self, frame, event, arg):
        if frame.f_code.co_filename in self.files:
            return self.local_trace
        return None

    def local_trace(self, frame, event, arg):
        if event in ("line", "return") and not self.stopped:
            self.lines += 1
            self._phase(frame)
            self.look(frame)
        return self.local_trace

    def _phase(self, frame) -> None:
        """The phase a timeout names: importing a helper module, running to the first
        update, finishing it."""
        code = frame.f_code
        if self.first_weight_change >= 0:
            phase = "finishing its first update"
        elif code.co_name == "<module>" and code.co_filename not in self.entry_files:
            phase = f"importing {os.path.basename(code.co_filename)}"
        else:
            phase = "running the program to its first update"
        if phase != self.phase:
            self.phase = phase
            self.on_phase(phase)

    # -- looking --------------------------------------------------------------------------------
    def _helper_modules(self) -> None:
        if len(sys.modules) == self.modules_seen:
            return
        self.modules_seen = len(sys.modules)
        for name, module in list(sys.modules.items()):
            path = getattr(module, "__file__", None)
            mine = path and os.path.abspath(path) in self.files and name != "__main__"
            if mine and all(d is not vars(module) for _, d in self.module_dicts):
                self.module_dicts.append((f"{name}.", vars(module)))
                Watcher.user_modules.add(name)

    def look(self, frame) -> None:
        """After one of the learner's lines: every slot read, changes recorded."""
        self._helper_modules()
        seen: set[int] = set()
        for prefix, names in self.module_dicts:
            self._walk_dict(("g", prefix), prefix, names, seen)
        if frame.f_code.co_name != "<module>":
            where = f" in {frame.f_code.co_name}()"
            self._walk_dict(("l", id(frame.f_code)), "", frame.f_locals, seen, where)
        for slot in self.slots.values():  # in-place writes to arrays held anywhere
            if slot.raw is not None and id(slot.raw) not in seen:
                self._compare(slot, slot.raw)
        self._maybe_stop()

    def _walk_dict(self, root, prefix, names: dict, seen, where: str = "") -> None:
        for name, value in list(names.items()):
            if not isinstance(name, str) or name.startswith("__"):
                continue
            self._visit((root, name), f"{prefix}{name}", value, seen, where, 0)

    def _visit(self, key, label, value, seen, where, depth) -> None:
        if isinstance(value, np.ndarray) and id(value) in seen:
            return  # an array already looked at through another name (a global passed on)
        array = _as_array(value)
        if array is not None:
            self._record(key, label + where, value, array, seen)
            return
        if depth >= DEPTH or id(value) in seen:
            return
        children = _children(value)
        if children:
            seen.add(id(value))
            # an object's attributes are named by the object, wherever it is held
            base = (("o", id(value)), label) if _is_user_object(value) else (key, label)
            for suffix, child in children:
                self._visit((base[0], suffix), base[1] + suffix, child, seen, where, depth + 1)

    def _record(self, key, label, value, array, seen) -> None:
        if isinstance(value, np.ndarray):
            seen.add(id(value))
        slot = self.slots.get(key)
        if slot is None:
            slot = self.slots[key] = Slot(key, label)
            self._store(slot, value, array)
            return
        self._compare(slot, value, array)

    def _compare(self, slot: Slot, value, array=None) -> None:
        if array is None:
            array = _as_array(value)
            if array is None:
                return
        if value is slot.ref and isinstance(value, np.ndarray):
            if array.tobytes() == slot.bytes:
                return
        elif array.shape == slot.values[-1][1].shape and array.tobytes() == slot.bytes:
            slot.ref = value
            slot.raw = value if isinstance(value, np.ndarray) else None
            return
        same_shape = array.shape == slot.values[-1][1].shape
        if same_shape and array.dtype.kind == "f" and array.ndim >= 1:
            slot.changes += 1
            if slot.first_change < 0:
                slot.first_change = self.lines
        self._store(slot, value, array)

    def _store(self, slot: Slot, value, array) -> None:
        slot.ref = value
        slot.raw = value if isinstance(value, np.ndarray) else None
        slot.bytes = array.tobytes()
        if len(slot.values) < KEEP:
            slot.values.append((self.lines, np.array(array, copy=True)))
        else:
            slot.values[-1] = (self.lines, np.array(array, copy=True))

    # -- stopping -------------------------------------------------------------------------------
    def _maybe_stop(self) -> None:
        """Stop once the updated weights chain to one output and each has changed twice (the
        second step seen whole), or a budget of lines after the chain was complete."""
        samples = self._samples()  # an array with a row per sample (activation, delta): no weight
        changed = [
            s
            for s in self.slots.values()
            if s.changes
            and s.values[0][1].ndim in (1, 2)
            and s.values[0][1].size > 1
            and not samples & set(s.values[0][1].shape)
        ]
        if not changed:
            return
        if self.first_weight_change < 0:
            self.first_weight_change = self.lines
        if self.chain_complete_at < 0:
            # a vector of weights is a last layer of one output (lists of floats, often)
            values = [s.values[0][1] for s in changed]
            shapes = [v.shape if v.ndim == 2 else (v.size, 1) for v in values]
            vectors = {i for i, v in enumerate(values) if v.ndim == 1}
            if has_chain(shapes, self._widths(), vectors):
                self.chain_complete_at = self.lines
            elif self.lines - self.first_weight_change > MAX_LINES_AFTER_CHANGE:
                self.stop("no chain of updated weights")
            return
        if all(s.changes >= 2 for s in changed):
            self.stop("second update seen")
        elif self.lines - self.chain_complete_at > GRACE_LINES:
            self.stop("first update seen")

    def _samples(self) -> set[int]:
        """Sample counts: the first dimension of 2-D arrays that never changed (a data set),
        when larger than a layer is likely to be."""
        return {
            s.values[0][1].shape[0]
            for s in self.slots.values()
            if s.changes == 0 and s.values[0][1].ndim == 2 and s.values[0][1].shape[0] > 8
        }

    def _widths(self) -> set[int]:
        """Input widths the data could have: the dimensions of every 2-D array seen, the
        length of 1-D ones (a chain through an updated weight's width only stops the run a
        little later: the first update is kept either way)."""
        widths = set()
        for s in self.slots.values():
            shape = s.values[0][1].shape
            if len(shape) in (1, 2):
                widths.update(shape)
        return widths

    def stop(self, why: str) -> None:
        """Stop watching and write the report (``on_stop`` ends the process)."""
        self.stopped = True
        sys.settrace(None)
        self.on_stop(why)


def has_chain(shapes: list[tuple], widths: set[int], vectors: set[int] = frozenset()) -> bool:
    """Whether some of the 2-D ``shapes`` chain, in either layout, from a data width (or one
    more, a folded bias) to a single output; ``vectors`` (indices) are 1-D weights, which may
    end a chain but not begin one."""
    starts = widths | {w + 1 for w in widths}

    def extend(width: int, used: frozenset, depth: int) -> bool:
        for i, shape in enumerate(shapes):
            if i in used or (depth == 0 and i in vectors):
                continue
            for a, b in (shape, shape[::-1]):
                if a in (width, width + 1) and (
                    b == 1 or (depth < 6 and extend(b, used | {i}, depth + 1))
                ):
                    return True
        return False

    return any(extend(w, frozenset(), 0) for w in starts if w > 0)


# -- running the program ------------------------------------------------------------------------
def _answer_input(prompt: str = "") -> str:
    """``input()`` answered with an empty line (the prompt shown, as a terminal would)."""
    sys.stdout.write(str(prompt))
    _answer_input.count += 1
    return ""


_answer_input.count = 0


def _display(*objects, **kwargs) -> None:
    """A notebook's ``display()``: printed."""
    print(*objects)


def _place(exc: BaseException, files: set[str]) -> dict:
    """Where in the learner's code ``exc`` happened: the innermost frame in their files."""
    if isinstance(exc, SyntaxError) and exc.filename in files:
        text = (exc.text or "").strip()
        return {"file": exc.filename, "line": exc.lineno, "code": text}
    place = {}
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename in files:
            place = {"file": frame.filename, "line": frame.lineno, "code": (frame.line or "")}
    return place


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return f"{type(exc).__name__}: {exc.msg}"  # its place is given apart
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        return f"ModuleNotFoundError: it imports {exc.name}, which is not installed here"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Run:
    """One run of the program under the watcher; ``report`` is what the parent reads."""

    def __init__(self, spec: dict, prefix: str) -> None:
        self.spec, self.prefix = spec, prefix
        self.files = {os.path.abspath(f) for f in spec["files"]}
        self.files |= {c["filename"] for c in spec["chunks"]}
        self.phase_path = prefix + ".phase"
        self.watcher: Watcher | None = None

    def set_phase(self, text: str) -> None:
        with open(self.phase_path, "w", encoding="utf-8") as f:
            f.write(text)

    def main(self) -> None:
        module = types.ModuleType("__main__")
        module.__file__ = self.spec["entry"]
        sys.modules["__main__"] = module
        namespace = module.__dict__
        if self.spec["entry"].endswith(".ipynb"):  # what a notebook's kernel provides
            namespace["display"] = _display
            namespace["get_ipython"] = lambda: None
        entry_files = {c["filename"] for c in self.spec["chunks"]}
        self.watcher = Watcher(self.files, namespace, self.finish, entry_files, self.set_phase)
        self.set_phase("importing")
        sys.argv = [self.spec["entry"]]
        sys.stdin = io.StringIO("")
        builtins.input = _answer_input
        codes = []
        for chunk in self.spec["chunks"]:
            source = chunk["source"]
            linecache.cache[chunk["filename"]] = (
                len(source),
                None,
                source.splitlines(True),
                chunk["filename"],
            )
            try:
                codes.append(compile(source, chunk["filename"], "exec", dont_inherit=True))
            except SyntaxError as e:
                self.finish("error", error=self._error(e, "compiling"))
        self.set_phase("running the program to its first update")
        sys.settrace(self.watcher.global_trace)
        try:
            for code in codes:
                exec(code, namespace)  # noqa: S102 - the learner's program, in its own process
        except SystemExit as e:
            sys.settrace(None)
            self.finish("exited", error={"message": f"{e.code!r}"})
        except BaseException as e:  # noqa: BLE001 - the learner's code: anything is reported
            sys.settrace(None)
            self.finish("error", error=self._error(e, self.watcher.phase))
        sys.settrace(None)
        self.finish("ended")

    def _error(self, exc: BaseException, phase: str) -> dict:
        return {"message": _describe(exc), "phase": phase, **_place(exc, self.files)}

    def finish(self, why: str, error: dict | None = None) -> None:
        """Write the report (arrays and what happened) and end the process at once."""
        sys.settrace(None)
        sys.stdout.flush()
        w = self.watcher
        arrays, slots = {}, []
        for i, slot in enumerate(w.slots.values() if w else []):
            entry = {"label": slot.label, "changes": slot.changes, "values": []}
            entry["first_change"] = slot.first_change
            for j, (line, value) in enumerate(slot.values):
                name = f"s{i}_{j}"
                arrays[name] = value
                entry["values"].append({"line": line, "array": name, "dtype": str(value.dtype)})
            slots.append(entry)
        report = {
            "why": why,
            "error": error,
            "lines": w.lines if w else 0,
            "first_weight_change": w.first_weight_change if w else -1,
            "inputs_answered": _answer_input.count,
            "slots": slots,
        }
        np.savez(self.prefix + ".tmp.npz", **_savable(arrays))
        os.replace(self.prefix + ".tmp.npz", self.prefix + ".npz")
        with open(self.prefix + ".tmp.json", "w", encoding="utf-8") as f:
            json.dump(report, f)
        os.replace(self.prefix + ".tmp.json", self.prefix + ".json")
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def _savable(arrays: dict) -> dict:
    """float128 is saved as float64 (the parent's model computes in float64); the dtype name
    the program used is kept in the JSON."""
    out = {}
    for name, a in arrays.items():
        if a.dtype.kind == "f" and a.dtype.itemsize > 8:
            a = a.astype(np.float64)
        out[name] = a
    return out


def main(argv: list[str]) -> int:
    spec_path, prefix = argv
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    os.environ["MPLBACKEND"] = "Agg"
    sys.path.insert(0, spec["root"])
    Run(spec, prefix).main()
    return 0


if __name__ == "__main__":
    del sys.path[0]  # this script's folder: its modules are not the learner's
    sys.exit(main(sys.argv[1:]))
