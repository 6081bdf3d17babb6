"""Hostile and careless files, round two: arrays whose headers declare more than memory (or the
file) holds, configs of every wrong shape, a full disk and names too long for the file system.
Each ends in one named line and exit 2 from the command line, nothing half-written."""

import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograd.files import replacing_file
from nets import load_network, make_mlp
from nets.cnn import CNN
from nets.layers import ActivationLayer, Linear, Sequential
from nets.module import _MAGIC, check_declared_arrays

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def gradstep(*args, cwd=REPO):
    return subprocess.run(
        [sys.executable, "-m", "experiments", *args], capture_output=True, text=True, cwd=cwd
    )


def one_named_line(result, *words) -> None:
    """Exit 2, stderr one ``gradstep: error:`` line holding each of ``words``, no traceback."""
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("gradstep: error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr, (word, result.stderr)


def npy_bytes(array=None, header=None, data=b"") -> bytes:
    """One ``.npy`` member: an array saved by numpy, or a bare ``header`` followed by ``data``."""
    buf = io.BytesIO()
    if header is None:
        np.save(buf, array)
    else:
        np.lib.format.write_array_header_1_0(buf, header)
        buf.write(data)
    return buf.getvalue()


MLP = make_mlp("numpy", layer_sizes=(2, 3, 1), seed=0)


def saved_file(path, config, members=None, compress=zipfile.ZIP_STORED):
    """A ``Module.save``-shaped archive: gradstep's header with ``config``, then ``members``
    ({name: .npy bytes}; default the weights of a 2-3-1 MLP)."""
    meta = npy_bytes(np.array(json.dumps({"format": _MAGIC, "config": config})))
    if members is None:
        members = {f"{k}.npy": npy_bytes(v) for k, v in MLP.state_dict().items()}
    with zipfile.ZipFile(path, "w", compression=compress) as z:
        z.writestr("__gradstep__.npy", meta)
        for name, data in members.items():
            z.writestr(name, data)
    return path


# -- sizes declared in .npy headers -----------------------------------------------------------
@pytest.mark.slow
def test_a_header_declaring_seven_tebibytes_is_refused_before_any_allocation(tmp_path):
    """The review's ~300-byte file whose W1.npy header declares (10^6, 10^6) float64: refused
    from the header, naming the member, its shape and what it holds (numpy would try to
    allocate 7.28 TiB), by load_network and by `gradstep export`, which writes nothing."""
    header = {"shape": (10**6, 10**6), "fortran_order": False, "descr": "<f8"}
    path = saved_file(
        tmp_path / "huge.npz", MLP.config(), {"W1.npy": npy_bytes(header=header, data=b"\0" * 64)}
    )
    assert path.stat().st_size < 2048  # the header's JSON takes most of it
    declared = "member 'W1.npy' declares shape (1000000, 1000000) of float64"
    with pytest.raises(ValueError, match=r"declares shape \(1000000, 1000000\) of float64 "
                       r"\(8,000,000,000,000 bytes\) but holds 64 bytes"):  # fmt: skip
        load_network(path)
    with pytest.raises(ValueError, match="W1.npy"):
        MLP.load(path)
    result = gradstep("export", str(path), "--torch", str(tmp_path / "m.pt"))
    one_named_line(result, str(path), declared)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["huge.npz"]


def test_declared_sizes_that_the_file_holds_are_checked_against_the_memory_budget(tmp_path):
    """A member whose data really is there (stored, 800 KB) passes the holds-check; on a
    machine whose budget is 100 KB the total declared is refused by name."""
    path = saved_file(tmp_path / "big.npz", {}, {"W1.npy": npy_bytes(np.zeros(100_000))})
    meta = np.array(json.dumps({"format": _MAGIC, "config": {}}))
    with zipfile.ZipFile(path) as archive:
        assert check_declared_arrays(archive, "x") == 800_000 + meta.nbytes
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("nets.budget.memory_limit_bytes", lambda: 100_000)
        with pytest.raises(ValueError, match=r"big.npz's arrays would hold about 0.0 GiB"):
            load_network(path)


@pytest.mark.parametrize(
    "member, message",
    [
        (npy_bytes(header={"shape": (2, -3), "fortran_order": False, "descr": "<f8"}),
         r"declares a negative shape \(2, -3\)"),
        (npy_bytes(header={"shape": (3,), "fortran_order": False, "descr": "|O"},
                   data=b"\0" * 24), "holds Python objects"),
        (b"just some text, not an array", "'W1.npy' is not a .npy array"),
        (npy_bytes(header={"shape": (10, 10), "fortran_order": False,
                           "descr": [("a", "<f8", (10**6,))]}), "but holds 0 bytes"),
    ],
)  # fmt: skip
def test_members_that_are_not_plain_arrays_are_named(tmp_path, member, message):
    path = saved_file(tmp_path / "odd.npz", MLP.config(), {"W1.npy": member})
    with pytest.raises(ValueError, match=message):
        load_network(path)


def test_a_compressed_member_is_checked_from_its_header_too(tmp_path):
    """A deflated member declaring (10^5, 10^5) over a few bytes of zeros: refused by its
    header, without inflating anything but the header."""
    header = {"shape": (10**5, 10**5), "fortran_order": False, "descr": "<f8"}
    members = {"W1.npy": npy_bytes(header=header, data=b"\0" * 10_000)}
    path = saved_file(tmp_path / "z.npz", MLP.config(), members, zipfile.ZIP_DEFLATED)
    with pytest.raises(ValueError, match=r"\(80,000,000,000 bytes\) but holds 10,000 bytes"):
        load_network(path)


def test_files_gradstep_writes_still_load_exactly(tmp_path):
    seq = Sequential([Linear(2, 3), ActivationLayer("tanh"), Linear(3, 1)], (2,), seed=4)
    for name, net in (("m.npz", MLP), ("c.npz", CNN(channels=(2,))), ("s.npz", seq)):
        loaded = load_network(net.save(tmp_path / name))
        assert loaded.config() == net.config()
        for k, v in net.state_dict().items():
            assert np.array_equal(loaded.state_dict()[k], v)  # the same bytes read back


# -- configs of every wrong shape -------------------------------------------------------------
GOOD = {
    "mlp": MLP.config(),
    "cnn": CNN(channels=(2,)).config(),
    "seq": Sequential([Linear(2, 3), ActivationLayer("tanh"), Linear(3, 1)], (2,)).config(),
}
WEIGHTS = {
    "mlp": MLP.state_dict(),
    "cnn": CNN(channels=(2,)).state_dict(),
    "seq": Sequential([Linear(2, 3), ActivationLayer("tanh"), Linear(3, 1)], (2,)).state_dict(),
}


def config_file(path, kind, config):
    members = {f"{k}.npy": npy_bytes(v) for k, v in WEIGHTS[kind].items()}
    return saved_file(path, config, members)


def _with(config, **changes):
    out = {**config, **changes}
    return {k: v for k, v in out.items() if v is not _GONE}


_GONE = object()
NAN = float("nan")
MALFORMED = [
    ("mlp", [1, 2], r"config must be an object naming its class \(ValueMLP, .*\), got \[1, 2\]"),
    ("mlp", "a string", "the config must be an object"),
    ("mlp", None, "the config must be an object"),
    ("mlp", _with(GOOD["mlp"], seed="abc"), "seed must be an integer or null, got 'abc'"),
    ("mlp", _with(GOOD["mlp"], seed=1.5), "seed must be an integer or null, got 1.5"),
    ("mlp", _with(GOOD["mlp"], seed=-1), "negative"),
    ("mlp", _with(GOOD["mlp"], bias="no"), "bias must be true or false, got 'no'"),
    ("mlp", _with(GOOD["mlp"], bias=1), "bias must be true or false, got 1"),
    ("mlp", _with(GOOD["mlp"], layer_sizes=[2, NAN, 1]), r"layer_sizes must be .*\[2, nan, 1\]"),
    ("mlp", _with(GOOD["mlp"], layer_sizes=[2, 3.0, 1]), "layer_sizes must be a list of int"),
    ("mlp", _with(GOOD["mlp"], layer_sizes=[2, True, 1]), "layer_sizes must be a list of int"),
    ("mlp", _with(GOOD["mlp"], layer_sizes=[2, 0, 1]), r"layer_sizes \[2, 0, 1\]"),
    ("mlp", _with(GOOD["mlp"], layer_sizes="2-3-1"), "layer_sizes must be a list of integers"),
    ("mlp", _with(GOOD["mlp"], activation=3), "activation must be a name"),
    ("mlp", _with(GOOD["mlp"], activation="swish"), "unknown activation 'swish'"),
    ("mlp", _with(GOOD["mlp"], init="orthogonal"), "orthogonal"),
    ("mlp", _with(GOOD["mlp"], layer_sizes=_GONE, init=_GONE), "layer_sizes is missing; init is"),
    ("mlp", _with(GOOD["mlp"], **{"class": _GONE, "layer_sizes": _GONE}), "does not say which"),
    ("mlp", _with(GOOD["mlp"], seed=_GONE, init=_GONE), "seed is missing; init is missing"),
    ("mlp", _with(GOOD["mlp"], **{"class": "Resnet"}), "class 'Resnet'"),
    ("mlp", _with(GOOD["mlp"], **{"class": ["NumpyMLP"]}), r"class \['NumpyMLP'\]"),
    ("cnn", _with(GOOD["cnn"], image_shape=[1, "x", 12]), "image_shape must be a list of int"),
    ("cnn", _with(GOOD["cnn"], channels=4), "channels must be a list of integers, got 4"),
    ("cnn", _with(GOOD["cnn"], kernel=NAN), "kernel must be an integer, got nan"),
    ("cnn", _with(GOOD["cnn"], pool="median"), "unknown pool 'median'"),
    ("cnn", _with(GOOD["cnn"], image_shape=[1, 12]), "image_shape must be"),
    ("seq", _with(GOOD["seq"], layers="Linear(2, 3)"), "layers must be a list of layer objects"),
    ("seq", _with(GOOD["seq"], input_shape=_GONE), "input_shape is missing"),
    ("seq", _with(GOOD["seq"], layers=[1, 2]), r"layers\[0\] must be an object with a type"),
    ("seq", _with(GOOD["seq"], layers=[{"type": "LSTM"}]), r"layers\[0\].type must be one of"),
    ("seq", _with(GOOD["seq"], layers=[{"type": "Linear", "inputs": "2", "outputs": 3}]),
     r"layers\[0\].inputs must be an integer, got '2'"),
    ("seq", _with(GOOD["seq"], layers=[{"type": "Linear", "outputs": 3}]),
     r"layers\[0\].inputs is missing"),
    ("seq", _with(GOOD["seq"], layers=[{"type": "Linear", "inputs": 2, "outputs": 3,
                                        "bias": [True]}]), r"layers\[0\].bias must be true"),
    ("seq", _with(GOOD["seq"], layers=[{"type": "ActivationLayer", "name": {"a": 1}}]),
     r"layers\[0\].name must be a name"),
]  # fmt: skip


@pytest.mark.parametrize("kind, config, message", MALFORMED)
def test_malformed_configs_are_named(tmp_path, kind, config, message):
    path = config_file(tmp_path / "bad.npz", kind, config)
    with pytest.raises(ValueError, match=message) as info:
        load_network(path)
    assert str(info.value).startswith(str(path))


@pytest.mark.slow
def test_malformed_configs_give_one_line_and_exit_2_from_export(tmp_path):
    """The review's cases through a real process: a list, "seed": "abc", a nested wrong type."""
    cases = [
        ("mlp", [1, 2], "the config must be an object"),
        ("mlp", _with(GOOD["mlp"], seed="abc"), "seed must be an integer or null, got 'abc'"),
        (
            "seq",
            _with(GOOD["seq"], layers=[{"type": "Linear", "inputs": "2", "outputs": 3}]),
            "layers[0].inputs must be an integer, got '2'",
        ),
    ]
    for i, (kind, config, message) in enumerate(cases):
        path = config_file(tmp_path / f"bad{i}.npz", kind, config)
        result = gradstep("export", str(path), "--torch", str(tmp_path / "m.pt"))
        one_named_line(result, str(path), message)
    assert not (tmp_path / "m.pt").exists()


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**20) | st.floats() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=12,
)  # fmt: skip


def _mutated(draw, config):
    """``config`` with one value somewhere in it (a top-level key, or a key of one layer)
    replaced by arbitrary JSON, or deleted."""
    config = json.loads(json.dumps(config))
    target = config
    if "layers" in config and draw(st.booleans()):
        target = draw(st.sampled_from(config["layers"]))
    key = draw(st.sampled_from(sorted(target)))
    if draw(st.booleans()):
        del target[key]
    else:
        target[key] = draw(JSON)
    return config


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_config_loads_or_is_refused_naming_the_file(data):
    """Hypothesis: a valid config with one value anywhere replaced by arbitrary JSON (NaN,
    huge integers, nested lists and objects) or deleted, or a config that is arbitrary JSON
    altogether: load_network either builds the network or raises a ValueError starting with
    the file's path; no other exception escapes."""
    kind = data.draw(st.sampled_from(sorted(GOOD)))
    config = data.draw(JSON)
    if data.draw(st.booleans()):
        config = _mutated(data.draw, GOOD[kind])
    with tempfile.TemporaryDirectory() as folder:
        path = config_file(os.path.join(folder, "any.npz"), kind, config)
        try:
            net = load_network(path)
        except ValueError as e:
            assert str(e).startswith(path), e
        else:
            assert net.state_dict().keys() == WEIGHTS[kind].keys()


# -- a full disk and names too long: one line naming the user's path, nothing half-written ------
@pytest.fixture
def full_disk(tmp_path):
    """A 64 KB tmpfs mounted at ``tmp_path/disk`` (root only), holding ``old.npz`` (a saved
    network) and then filled to the last byte: files can still be created there, not written."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mount = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)],
        capture_output=True, text=True,
    )  # fmt: skip
    if mount.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {mount.stderr.strip()}")
    try:
        MLP.save(disk / "old.npz")
        with open(disk / "filler", "wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 4096)
            except OSError as e:
                assert e.errno == 28  # ENOSPC: the disk is full
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def _only_what_was_there(disk) -> None:
    assert sorted(p.name for p in disk.iterdir()) == ["filler", "old.npz"]  # no temporary file
    assert np.array_equal(load_network(disk / "old.npz").state_dict()["W1"], MLP.state_dict()["W1"])


def test_a_full_disk_is_one_line_naming_the_saved_file(full_disk):
    """`train --save` onto a full disk: exit 2, one line naming the user's path (the review saw
    three chained tracebacks), the earlier file at that path intact, no temporary file."""
    for target in ("new.npz", "old.npz"):
        path = full_disk / target
        result = gradstep("train", "--epochs", "10", "--quiet", "--save", str(path))
        one_named_line(result, f"cannot write {path}: no space left on the device")
        assert ".tmp" not in result.stderr
        _only_what_was_there(full_disk)


def test_save_and_write_file_on_a_full_disk_raise_one_output_error(full_disk):
    from autograd.files import OutputError, write_file

    with pytest.raises(OutputError, match=f"cannot write {full_disk}/old.npz: no space left"):
        MLP.save(full_disk / "old.npz")
    with pytest.raises(OSError) as info:
        write_file(full_disk / "page.html", "x" * 10_000)
    assert str(info.value) == f"cannot write {full_disk}/page.html: no space left on the device"
    assert info.value.__cause__ is None and info.value.__suppress_context__
    _only_what_was_there(full_disk)


def test_a_sweep_onto_a_full_disk_names_its_output_not_the_temporary_folder(full_disk):
    out = full_disk / "sweep"
    result = gradstep("sweep", "--lr", "0.1", "--hidden", "2", "--seeds", "1", "--epochs",
                      "10", "--quiet", "--jobs", "1", "--out", str(out))  # fmt: skip
    one_named_line(result, f"cannot write {out}/", "no space left on the device")
    assert ".gradstep-" not in result.stderr
    _only_what_was_there(full_disk)


@pytest.mark.slow
def test_lab1_onto_a_full_disk_names_its_output(full_disk):
    out = full_disk / "lab"
    result = gradstep("lab1", "--quick", "--seeds", "1", "--jobs", "1", "--out", str(out))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    last = result.stderr.splitlines()[-1]  # after the progress lines
    assert last.startswith(f"gradstep: error: cannot write {out}/")
    assert last.endswith(": no space left on the device")
    assert ".gradstep-" not in result.stderr
    _only_what_was_there(full_disk)


@pytest.mark.slow  # torch.export of a program takes seconds
def test_every_other_output_on_a_full_disk_is_one_line_too(full_disk, tmp_path):
    """Pages, pictures, check's records and both PyTorch exports (torch's own writers
    said `RuntimeError: basic_ios::clear: iostream error`, with a C++ stack, no path)."""
    pytest.importorskip("torch")
    model = MLP.save(tmp_path / "m.npz")
    disk = str(full_disk)
    cases = [
        (["step", "--out", f"{disk}/s.html"], "s.html"),
        (["graph", "--out", f"{disk}/g.svg"], "g.svg"),
        (
            [
                "check",
                os.path.join(REPO, "experiments/examples/lab_step.py"),
                "--json",
                f"{disk}/c.json",
            ],
            "c.json",
        ),
        (["export", str(model), "--torch", f"{disk}/m.pt"], "m.pt"),
        (["export", str(model), "--torch", f"{disk}/m.pt2"], "m.pt2"),
    ]
    for args, name in cases:
        result = gradstep(*args) if name == "m.pt2" else _in_process(args)
        one_named_line(result, f"cannot write {disk}/{name}: no space left on the device")
    _only_what_was_there(full_disk)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_FSIZE, SIGXFSZ")
def test_a_file_size_limit_is_one_line_too(tmp_path):
    """Where no tmpfs can be mounted: a process whose files may not exceed 1000 bytes
    (RLIMIT_FSIZE, SIGXFSZ ignored, so the write fails with EFBIG) saving a 2-8-8-1 network."""
    import resource
    import signal

    def limited():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))

    path = tmp_path / "m.npz"
    result = subprocess.run(
        [sys.executable, "-m", "experiments", "train", "--sizes", "2-8-8-1", "--epochs", "10",
         "--quiet", "--save", str(path)],
        capture_output=True, text=True, cwd=REPO, preexec_fn=limited,
    )  # fmt: skip
    one_named_line(result, f"cannot write {path}: the file would exceed the largest file")
    assert list(tmp_path.iterdir()) == []


def _in_process(args):
    """``gradstep args`` run by ``experiments.cli.main`` in this process: (returncode, stderr)."""
    from contextlib import redirect_stderr, redirect_stdout
    from types import SimpleNamespace

    from experiments.cli import main

    err = io.StringIO()
    with redirect_stderr(err), redirect_stdout(io.StringIO()):
        code = main(args)
    return SimpleNamespace(returncode=code, stderr=err.getvalue())


def test_names_too_long_are_refused_before_the_work(tmp_path):
    """A 256-byte name: one line naming it, before any training, for every command with an
    output (the review saw `File name too long` naming the temporary file, after the work)."""
    long = "n" * 252
    cases = [
        (["train", "--epochs", "100000000", "--quiet", "--save", f"{long}.npz"], ".npz"),
        (["train", "--epochs", "100000000", "--quiet", "--plots", long], "_comparison.png"),
        (["step", "--out", f"{long}.html"], ".html"),
        (["graph", "--out", f"{long}.svg"], ".svg"),
        (["watch", "--epochs", "100000000", "--out", f"{long}.html"], ".html"),
        (["sweep", "--epochs", "100000000", "--out", long + "abcd"], ""),
        (["lab1", "--out", f"{long}abcd/lab"], "/lab"),
        (["check", "experiments/examples", "--json", f"{long}.json"], ".json"),
    ]
    for i, (args, suffix) in enumerate(cases):
        args = [a.replace(long, str(tmp_path / long)) for a in args]
        # the first two in real processes, the others through the same main(), quicker
        result = gradstep(*args) if i < 2 else _in_process(args)
        one_named_line(result, str(tmp_path / long), "bytes, longer than the 255 this file system")
        assert suffix in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_longest_name_the_file_system_takes_is_written(tmp_path):
    """A 255-byte name (the most ext4 or tmpfs take) is written, although its temporary
    file's name, longer by the old rule, would not have fitted; .pt2 keeps its suffix."""
    fits = tmp_path / ("f" * 251 + ".npz")
    result = gradstep("train", "--epochs", "10", "--quiet", "--save", str(fits))
    assert result.returncode == 0, result.stderr
    assert load_network(fits).describe() == "NumpyMLP(2-4-4-1, sigmoid/sigmoid, bias=False)"
    program = tmp_path / ("é" * 125 + "f.pt2")  # 255 bytes of UTF-8, 126 characters
    with replacing_file(program, suffix=".pt2") as tmp:
        assert tmp.name.endswith(".pt2") and len(os.fsencode(tmp.name)) <= 255
        tmp.write_bytes(b"program")
    assert program.read_bytes() == b"program"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([fits.name, program.name])


@pytest.mark.slow  # over a second: a subprocess or a notebook run
def test_long_input_names_and_sweep_folders_are_one_line(tmp_path):
    """Input paths too long to exist (export, check) are the machine's one line, and a sweep
    into a 255-byte folder name works and leaves no temporary folder."""
    long = str(tmp_path / ("x" * 300))
    for args in (["export", long + ".npz", "--torch", str(tmp_path / "m.pt")], ["check", long]):
        one_named_line(gradstep(*args), long, "File name too long")
    out = tmp_path / ("s" * 255)
    result = gradstep("sweep", "--lr", "0.1", "--hidden", "2", "--seeds", "1", "--epochs",
                      "5", "--quiet", "--jobs", "1", "--out", str(out))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert [p.name for p in tmp_path.iterdir()] == [out.name] and (out / "results.json").exists()


# -- archives that are odd in other ways ------------------------------------------------------
def _patched(path, edit):
    data = bytearray(path.read_bytes())
    edit(data)
    path.write_bytes(bytes(data))
    return path


def _method_99(data):  # a compression method zipfile does not know (AES is 99)
    data[8:10] = (99).to_bytes(2, "little")
    central = data.find(b"PK\x01\x02")
    data[central + 10 : central + 12] = (99).to_bytes(2, "little")


def _encrypted(data):  # the "encrypted" flag, local header and central directory
    data[6] |= 1
    data[data.find(b"PK\x01\x02") + 8] |= 1


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: _patched(MLP.save(p), _method_99), "compression method is not supported"),
        (lambda p: _patched(MLP.save(p), _encrypted), "is encrypted"),
        (lambda p: _patched(MLP.save(p), lambda d: d.__delitem__(slice(len(d) // 2, None))),
         "File is not a zip file"),
        (lambda p: np.savez(p, __gradstep__=np.array("[" * 10**5), **MLP.state_dict()),
         "not one written by gradstep's Module.save"),
        (lambda p: os.mkfifo(p), "is not a regular file"),
    ],
    ids=["unknown-compression", "encrypted", "truncated", "json-nested-deep", "fifo"],
)  # fmt: skip
def test_odd_archives_are_named_not_raised_from_deep_inside(tmp_path, make, message):
    """Each was a traceback (NotImplementedError, RuntimeError, RecursionError) or, for a
    fifo, a wait for a writer that never comes."""
    path = tmp_path / "odd.npz"
    make(path)
    with pytest.raises(ValueError, match=message):
        load_network(path)


def test_export_of_a_fifo_returns_at_once(tmp_path):
    os.mkfifo(tmp_path / "m.npz")
    result = subprocess.run(
        [sys.executable, "-m", "experiments", "export", str(tmp_path / "m.npz"), "--torch",
         str(tmp_path / "m.pt")], capture_output=True, text=True, cwd=REPO, timeout=60,
    )  # fmt: skip
    one_named_line(result, "m.npz is not a regular file")
