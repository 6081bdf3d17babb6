"""The ``Module`` base: parameters by name, state dicts, and files.

A network's state is a dict of float64 arrays named ``W1, b1, W2, b2, ...`` with W stored
(inputs, outputs), identical across the three engines, so any engine's weights load into any other.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

from autograd.files import replacing_file

from .budget import check_memory

_MAGIC = "gradstep-parameters-v1"


Layout = tuple  # ((name, start, stop, shape), ...) in state_dict order


def as_float_array(x, name: str) -> np.ndarray:
    """``x`` as a float64 array of real numbers; strings, None, complex and object arrays are
    refused by name (never cast with a warning)."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}")
    try:
        array = np.asarray(x)
    except ValueError as e:
        raise ValueError(f"{name} must be a rectangular array of numbers: {e}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
    return array.astype(np.float64, copy=False)


def require_finite(X: np.ndarray, y: np.ndarray | None) -> None:
    """A batch holding nan or inf trains nothing but nan: refuse it, naming where."""
    for name, a in (("X", X), ("y", y)):
        if a is not None and not np.isfinite(a).all():
            bad = np.argwhere(~np.isfinite(a))[0]
            where = ", ".join(map(str, bad))
            raise ValueError(
                f"{name} holds nan or inf (first at {name}[{where}] = {a[tuple(bad)]}); "
                "clean the data first"
            )


def make_layout(shapes: dict[str, tuple]) -> Layout:
    """Where each named array lies in the flat vector: state_dict order, each raveled."""
    layout, start = [], 0
    for name, shape in shapes.items():
        size = int(np.prod(shape))
        layout.append((name, start, start + size, tuple(shape)))
        start += size
    return tuple(layout)


class Gradients(Mapping):
    """``{name: gradient array}`` keyed like ``state_dict()``, backed by ``flat``: all gradients
    in one 1-D array in state_dict order (what the optimizers use). The named arrays are views of
    ``flat``, made when asked for."""

    def __init__(self, flat: np.ndarray, layout: Layout) -> None:
        self.flat = flat
        self._layout = layout

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> Gradients:
        arrays = {k: np.asarray(v, dtype=np.float64) for k, v in arrays.items()}
        layout = make_layout({k: v.shape for k, v in arrays.items()})
        flat = np.concatenate([a.ravel() for a in arrays.values()]) if arrays else np.empty(0)
        return cls(flat, layout)

    def __getitem__(self, name: str) -> np.ndarray:
        for key, start, stop, shape in self._layout:
            if key == name:
                return self.flat[start:stop].reshape(shape)
        raise KeyError(name)

    def __iter__(self):
        return (entry[0] for entry in self._layout)

    def __len__(self) -> int:
        return len(self._layout)

    def __repr__(self) -> str:
        return "Gradients(" + ", ".join(f"{k}: {v.shape}" for k, v in self.items()) + ")"


class FlatBuffer:
    """Mixin for engines that keep every parameter in one 1-D buffer ``self._flat`` (in
    state_dict order): the optimizers update it in place, with nothing to write back."""

    _flat: np.ndarray

    def flat_parameters(self) -> np.ndarray:
        return self._flat

    def set_flat_parameters(self, flat: np.ndarray) -> None:
        if flat is not self._flat:
            self._flat[...] = flat


class Module:
    """Base of the networks. Subclasses set ``self.shapes`` ({name: shape}, in state_dict order)
    and implement ``named_parameters``, ``_read``, ``_write`` and ``zero_grad``."""

    shapes: dict[str, tuple]

    # -- parameters ------------------------------------------------------------------------------
    def named_parameters(self) -> Iterator[tuple[str, object]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def parameters(self) -> list:
        """The parameter objects this engine trains (Values, Tensors or numpy arrays)."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def num_parameters(self) -> int:
        return int(sum(np.prod(s) for s in self.shapes.values()))

    def _read(self, name: str) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _write(self, name: str, array: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- gradients for a training loop ------------------------------------------------------
    def loss_and_grads(self, X, y, loss: str = "mse", reduction: str = "mean"):  # pragma: no cover
        raise NotImplementedError

    def gradients(self, X, y, loss: str = "mse", reduction: str = "mean") -> Gradients:
        """The gradients alone (an engine that can skip the loss value overrides this)."""
        return self.loss_and_grads(X, y, loss=loss, reduction=reduction)[1]

    def trainer(self, X, y, loss: str = "mse", reduction: str = "mean"):
        """A function of no arguments giving the gradients on this batch: what a training loop
        calls every epoch (an engine that can check the batch once overrides this)."""
        return lambda: self.gradients(X, y, loss=loss, reduction=reduction)

    # -- the flat view the optimizers use ---------------------------------------------------
    def flat_parameters(self) -> np.ndarray:
        """All parameters in one 1-D array, in state_dict order. Engines that keep their
        parameters in one buffer return that buffer itself (updates in place need no write-back)."""
        return np.concatenate([self._read(n).ravel() for n in self.shapes])

    def set_flat_parameters(self, flat: np.ndarray) -> None:
        """Write back what ``flat_parameters`` returned after an update."""
        start = 0
        for name, shape in self.shapes.items():
            size = int(np.prod(shape))
            self._write(name, flat[start : start + size].reshape(shape))
            start += size

    # -- state dicts -----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter: ``{"W1": array (in, out), "b1": array (out,), ...}``."""
        return {name: np.array(self._read(name), dtype=np.float64) for name in self.shapes}

    def load_state_dict(self, state: dict) -> None:
        """Load parameters by name. Every problem is reported at once: missing and unexpected
        names, wrong shapes, non-numeric arrays. Nothing is loaded unless everything fits."""
        if not isinstance(state, dict):
            raise TypeError(f"load_state_dict needs a dict of arrays, got {type(state).__name__}")
        problems = []
        missing = [n for n in self.shapes if n not in state]
        unexpected = [n for n in state if n not in self.shapes]
        if missing:
            problems.append(f"missing {', '.join(missing)}")
        if unexpected:
            problems.append(f"unexpected {', '.join(map(str, unexpected))}")
        arrays = {}
        for name, shape in self.shapes.items():
            if name not in state:
                continue
            try:
                array = np.asarray(state[name])
            except Exception:  # noqa: BLE001 - anything numpy cannot read is reported below
                array = np.asarray(None)
            if array.dtype.kind not in "biuf":
                problems.append(f"{name} is not numeric ({type(state[name]).__name__})")
            elif array.shape != tuple(shape):
                problems.append(f"{name} has shape {array.shape}, expected {tuple(shape)}")
            else:
                arrays[name] = array.astype(np.float64)
        if problems:
            raise ValueError(f"cannot load state into {self.describe()}: " + "; ".join(problems))
        for name, array in arrays.items():
            self._write(name, array)

    # -- files -------------------------------------------------------------------------------------
    def config(self) -> dict:
        """The constructor arguments that shape this network (saved beside the weights)."""
        return {}

    def describe(self) -> str:
        return type(self).__name__

    def save(self, path: str | os.PathLike) -> Path:
        """Write the parameters to an ``.npz`` file. The file is written beside its target and
        renamed into place, so an interrupted save never leaves a half-written file."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_name(path.name + ".npz")
        if not path.parent.is_dir():
            raise FileNotFoundError(
                f"cannot save to {path}: directory {path.parent} does not exist"
            )
        meta = json.dumps({"format": _MAGIC, "config": self.config()})
        with replacing_file(path) as tmp, open(tmp, "wb") as f:
            np.savez(f, __gradstep__=np.array(meta), **self.state_dict())
        return path

    def load(self, path: str | os.PathLike) -> None:
        """Load parameters saved by ``save`` (from any engine of the same architecture)."""
        _, arrays = read_parameter_file(path)
        self.load_state_dict(arrays)

    def to_torch(self, dtype=None):
        """This network as a ``torch.nn.Sequential`` with the same weights (float64 unless
        ``dtype`` says otherwise); see ``nets.pytorch``. Needs the ``torch`` extra."""
        from .pytorch import to_torch

        return to_torch(self, dtype=dtype)


def read_parameter_file(path: str | os.PathLike) -> tuple[dict, dict[str, np.ndarray]]:
    """The network config and the named arrays of a file written by ``Module.save``. Every
    array's size is read from its ``.npy`` header and checked (``check_declared_arrays``)
    before any array is read."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no parameter file at {path}")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory, not a parameter file (.npz)")
    if not path.is_file():  # a fifo or a device: opening it could wait forever
        raise ValueError(f"{path} is not a regular file, so not a parameter file (.npz)")
    with open(path, "rb") as f:
        if f.read(4) != b"PK\x03\x04":  # every .npz is a zip archive
            raise ValueError(f"{path} is not a gradstep parameter file (.npz): not a zip archive")
    try:
        with np.load(path, allow_pickle=False) as data:
            if not hasattr(data, "zip"):
                raise ValueError("a single array, not an archive of named arrays")
            check_declared_arrays(data.zip, f"{path}'s arrays")
            arrays = {k: data[k] for k in data.files}
    # zipfile says NotImplementedError for an unknown compression, RuntimeError for encryption
    except (
        ValueError,
        OSError,
        zipfile.BadZipFile,
        EOFError,
        NotImplementedError,
        RuntimeError,
    ) as e:
        raise ValueError(f"{path} is not a gradstep parameter file (.npz): {e}") from None
    meta = arrays.pop("__gradstep__", None)
    try:
        header = json.loads(str(meta)) if meta is not None else {}
    except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
        header = {}
    if not isinstance(header, dict) or header.get("format") != _MAGIC:
        raise ValueError(
            f"{path} is an .npz file but not one written by gradstep's "
            "Module.save (no gradstep header)"
        )
    return header.get("config", {}), arrays


_NPY_HEADERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


def check_declared_arrays(archive: zipfile.ZipFile, what: str) -> int:
    """Refuse, from the ``.npy`` headers alone (nothing allocated), an archive whose arrays
    declare more than it holds or more than memory allows; return the bytes they will take.

    Each member's header states shape and dtype, so its array takes prod(shape) x itemsize
    bytes, computed with Python integers (no overflow). That must not exceed the bytes stored
    after the header (a 300-byte file declaring 10^6 x 10^6 float64 is refused here, not by
    numpy's 7 TiB allocation), and the total must pass ``check_memory``. Members that are not
    ``.npy`` arrays, pickled (object) dtypes and negative dimensions are refused by name."""
    total = 0
    for info in archive.infolist():
        with archive.open(info) as member:
            try:
                version = np.lib.format.read_magic(member)
            except ValueError:
                raise ValueError(f"member {info.filename!r} is not a .npy array") from None
            if version not in _NPY_HEADERS:
                raise ValueError(f"member {info.filename!r}: .npy version {version} not supported")
            shape, _, dtype = _NPY_HEADERS[version](member)
            stored = info.file_size - member.tell()
        if dtype.hasobject:
            raise ValueError(f"member {info.filename!r} holds Python objects (a pickle)")
        if any(n < 0 for n in shape):
            raise ValueError(f"member {info.filename!r} declares a negative shape {shape}")
        need = math.prod(shape) * dtype.itemsize
        if need > stored:
            raise ValueError(
                f"member {info.filename!r} declares shape {shape} of {dtype} ({need:,} bytes) "
                f"but holds {max(stored, 0):,} bytes"
            )
        total += need
    check_memory(total, what, "it is not a file gradstep wrote")
    return total
