"""Hostile and careless input: files that ask for more than they hold, writes that must not follow
links or leave debris, outputs that cannot be written, found before the work starts."""

import json
import os
import stat
import subprocess
import sys

import numpy as np
import pytest

from autograd.files import check_writable_file, replacing_file, write_file
from nets import load_network, make_mlp
from nets.cnn import CNN
from nets.module import _MAGIC

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def gradstep(*args, cwd=REPO):
    return subprocess.run(
        [sys.executable, "-m", "experiments", *args], capture_output=True, text=True, cwd=cwd
    )


def hostile_file(path, config, **arrays):
    meta = json.dumps({"format": _MAGIC, "config": config})
    np.savez(path, __gradstep__=np.array(meta), **arrays)
    return path


# -- a small file must not allocate a large network ---------------------------------------------
def test_a_config_asking_for_more_than_the_file_holds_is_refused_before_building(tmp_path):
    """A 1 KB file declaring layers of 30,000 units: refused, naming the mismatch, without
    building the network (which would allocate about 7 GB)."""
    config = {
        "class": "NumpyMLP",
        "layer_sizes": [2, 30000, 30000, 1],
        "activation": "sigmoid",
        "output_activation": "sigmoid",
        "bias": True,
        "seed": 0,
        "init": "lab",
    }
    path = hostile_file(tmp_path / "evil.npz", config, W1=np.zeros((2, 4)))
    assert path.stat().st_size < 2048
    with pytest.raises(ValueError, match=r"W1: config \(2, 30000\), stored \(2, 4\)"):
        load_network(path)
    cnn = {"class": "CNN", "image_shape": [1, 12, 12], "channels": [30000, 30000], "seed": 0}
    with pytest.raises(ValueError, match="does not match the arrays it holds"):
        load_network(hostile_file(tmp_path / "cnn.npz", cnn))
    layers = [{"type": "Linear", "inputs": 2, "outputs": 10**6, "bias": True}]
    seq = {"class": "Sequential", "layers": layers, "input_shape": [2], "seed": 0}
    with pytest.raises(ValueError, match=r"dense1.W: config \(2, 1000000\), stored none"):
        load_network(hostile_file(tmp_path / "seq.npz", seq))
    result = gradstep("export", str(path), "--torch", str(tmp_path / "m.pt"))
    assert result.returncode == 2 and "refusing to build it" in result.stderr
    assert not (tmp_path / "m.pt").exists()


def test_saved_networks_of_every_kind_still_load(tmp_path):
    net = make_mlp("numpy", layer_sizes=(2, 3, 1), bias=False, seed=1)
    cnn = CNN(channels=(2,), hidden=(3,))
    for name, model in (("mlp.npz", net), ("cnn.npz", cnn)):
        loaded = load_network(model.save(tmp_path / name))
        assert loaded.describe() == model.describe()
        for k, v in model.state_dict().items():
            assert np.array_equal(loaded.state_dict()[k], v)


def test_a_compressed_archive_that_unpacks_past_memory_is_refused(tmp_path):
    """Zeros compress about 1000:1: the members' unpacked sizes are read from the archive's
    directory and checked before any array is read."""
    path = tmp_path / "bomb.npz"
    np.savez_compressed(path, __gradstep__=np.array("{}"), W1=np.zeros(100_000))
    assert path.stat().st_size < 5_000  # 800 KB of zeros in a few KB
    with pytest.MonkeyPatch.context() as mp:  # a machine whose budget is 100 KB
        mp.setattr("nets.budget.memory_limit_bytes", lambda: 100_000)
        with pytest.raises(ValueError, match="arrays would hold about .*not a file gradstep wrote"):
            load_network(path)


def test_files_that_are_not_archives_are_named_plainly(tmp_path):
    text = tmp_path / "notes.npz"
    text.write_text("these are my notes\n")
    with pytest.raises(ValueError, match=r"not a gradstep parameter file \(.npz\): not a zip"):
        load_network(text)
    result = gradstep("export", str(text), "--torch", str(tmp_path / "m.pt"))
    assert result.returncode == 2 and "pickle" not in result.stderr
    with pytest.raises(IsADirectoryError, match="is a directory"):
        load_network(tmp_path)


@pytest.mark.slow
def test_train_refuses_sizes_and_points_that_cannot_fit():
    big = gradstep("train", "--sizes", "2-300000-300000-1", "--epochs", "1", "--quiet")
    assert big.returncode == 2 and "use smaller --sizes or --n" in big.stderr
    assert "MemoryError" not in big.stderr and big.stderr.count("\n") == 1
    many = gradstep("train", "--data", "linear", "--n", "4000000000", "--epochs", "1")
    assert many.returncode == 2 and "on 4000000000 points would hold about" in many.stderr


# -- one write helper ---------------------------------------------------------------------------
def test_writes_never_follow_a_planted_symlink(tmp_path):
    """Someone plants links at every name the old code used for its temporary file: the target
    they point to is never written, the output is, and no temporary file is left."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "graph.svg"
    for name in (".graph.svg.tmp", ".graph.svg.0.tmp"):
        (tmp_path / name).symlink_to(victim)
    write_file(out, "<svg/>")
    assert victim.read_text() == "precious" and out.read_text() == "<svg/>"
    leftovers = {p.name for p in tmp_path.iterdir()} - {"victim.txt", "graph.svg"}
    assert leftovers == {".graph.svg.tmp", ".graph.svg.0.tmp"}  # only the planted links


def test_written_files_get_the_umasks_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        mode = stat.S_IMODE(write_file(tmp_path / "a.html", "x").stat().st_mode)
        os.umask(0o077)
        private = stat.S_IMODE(write_file(tmp_path / "b.html", "x").stat().st_mode)
    finally:
        os.umask(old)
    assert (mode, private) == (0o644, 0o600)
    net = make_mlp("numpy", layer_sizes=(2, 2, 1), seed=0)
    os.umask(0o022)
    try:
        saved = net.save(tmp_path / "m.npz")
    finally:
        os.umask(old)
    assert stat.S_IMODE(saved.stat().st_mode) == 0o644


def test_a_failed_write_leaves_the_old_file_and_no_debris(tmp_path):
    out = tmp_path / "page.html"
    out.write_text("old")
    with pytest.raises(RuntimeError), replacing_file(out) as tmp:
        tmp.write_text("half")
        raise RuntimeError("disk full")
    assert out.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["page.html"]


def test_check_writable_file_names_what_is_in_the_way(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(FileNotFoundError, match="directory .*afile does not exist"):
        check_writable_file(tmp_path / "afile" / "x.svg", "--out")
    with pytest.raises(IsADirectoryError, match="is a directory; give a file name"):
        check_writable_file(tmp_path, "--out")
    assert check_writable_file(tmp_path / "x.svg") == tmp_path / "x.svg"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]  # the probe is gone


@pytest.mark.slow
def test_outputs_that_cannot_be_written_are_refused_before_the_work(tmp_path):
    """A directory where a file should go, or a missing folder: one line, exit 2, before any
    training or rendering, and nothing left behind."""
    (tmp_path / "d.npz").mkdir()
    (tmp_path / "s.html").mkdir()
    (tmp_path / "g.svg").mkdir()
    cases = [
        (["train", "--epochs", "100000000", "--quiet", "--save", str(tmp_path / "d.npz")], "d.npz"),
        (["step", "--out", str(tmp_path / "s.html")], "s.html"),
        (["graph", "--out", str(tmp_path / "g.svg")], "g.svg"),
        (["step", "--out", str(tmp_path / "none" / "s.html")], "does not exist"),
    ]
    for args, message in cases:
        result = gradstep(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr and result.stderr.count("\n") == 1
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["d.npz", "g.svg", "s.html"]


# -- user text is data, never markup ------------------------------------------------------------
LINK = '<<table><tr><td href="javascript:alert(1)">click</td></tr></table>>'


def test_op_names_that_are_not_identifiers_are_refused():
    from autograd import define_op, define_tensor_op

    for name in (LINK, "<b>", "my op", "a-b"):
        with pytest.raises(ValueError, match="must be a plain identifier"):
            define_op(name, lambda x: x, lambda x, out: (1.0,))
        with pytest.raises(ValueError, match="must be a plain identifier"):
            define_tensor_op(name, lambda x: x, lambda g, x, out: (g,))


def test_labels_scopes_and_titles_shaped_like_markup_stay_text(tmp_path):
    """A label, a scope and a title of the form <<table href=...>>: drawn as plain text, no
    link in the SVG or the stepper page, and no crash from Graphviz."""
    from autograd import Value, draw, render, scope, stepper

    with scope("<b>scope</b>"):
        x = Value(2.0, label=LINK)
        y = (x * x).tanh()
    y.backward()
    for collapse in (None, 1):
        dot = draw(y, title=LINK, collapse=collapse)
        svg = render(dot, tmp_path / f"g{collapse}.svg").read_text()
        assert "xlink:href" not in svg and "<a " not in svg
        assert "javascript:alert(1)" in svg  # shown, as text
    page = stepper(y, title=LINK).save(tmp_path / "steps.html").read_text()
    assert 'href="javascript' not in page and "xlink:href" not in page


def test_scopes_that_differ_only_in_punctuation_stay_apart():
    from autograd import Value, draw, scope

    with scope("layer-1"):
        a = Value(1.0, label="a") * 2
    with scope("layer_1"):
        b = Value(2.0, label="b") * 3
    src = draw(a + b, collapse=1).source
    assert "scope_layer_x2d_1 [" in src and "scope_layer_x5f_1 [" in src
    assert src.count("1 op, 1 parameter, 1 constant") == 2


# -- output folders: never delete what gradstep did not write; no orphans ------------------------
def test_an_output_folder_keeps_files_gradstep_did_not_write(tmp_path):
    from experiments.outdir import MANIFEST, replacing

    out = tmp_path / "out"
    with replacing(out) as tmp:
        (tmp / "report.md").write_text("first")
        (tmp / "old_figure.png").write_text("png")
    (out / "my_notes.txt").write_text("mine")
    with replacing(out) as tmp:
        (tmp / "report.md").write_text("second")
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([MANIFEST, "my_notes.txt", "report.md"])  # old_figure: ours, gone
    assert (out / "report.md").read_text() == "second"
    assert (out / "my_notes.txt").read_text() == "mine"
    with pytest.raises(RuntimeError), replacing(out) as tmp:
        (tmp / "report.md").write_text("half")
        raise RuntimeError("interrupted")
    assert (out / "report.md").read_text() == "second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary folder left


def test_an_output_folder_reached_through_a_symlink_gets_the_results(tmp_path):
    from experiments.outdir import replacing

    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    with replacing(link) as tmp:
        (tmp / "results.json").write_text("{}")
    assert (real / "results.json").read_text() == "{}" and link.is_symlink()


def test_output_folders_get_the_umasks_permissions_and_stale_temps_go(tmp_path):
    from experiments.outdir import replacing

    stale = tmp_path / ".out.gradstep-999999999-abc"  # a run killed outright: its pid is gone
    stale.mkdir()
    (stale / "half.png").write_text("x")
    old = os.umask(0o022)
    try:
        with replacing(tmp_path / "out") as tmp:
            (tmp / "a.txt").write_text("x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o755
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


SLOW_SWEEP = ["sweep", "--data", "linear", "--n", "100", "--lr", "0.1,0.2", "--hidden", "2,3",
              "--seeds", "2", "--epochs", "2000000", "--jobs", "2", "--quiet"]  # fmt: skip


def _children(pid: int) -> set[int]:
    found = set()
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:  # the process is gone (or a zombie's tasks are)
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found |= {int(c) for c in f.read().split()}
        except (FileNotFoundError, ProcessLookupError):  # a thread that ended meanwhile
            pass
    return found


def _wait_for_workers(process, count=2, timeout=30.0):
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        kids = _children(process.pid)
        if len(kids) >= count:
            return kids
        time.sleep(0.1)
    raise AssertionError(f"the sweep did not start {count} workers")


def _gone(pids, timeout=10.0) -> bool:
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        alive = []
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    if f.read().split(") ")[1].split()[0] != "Z":
                        alive.append(pid)
            except FileNotFoundError:
                pass
        if not alive:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", ["SIGTERM", "SIGKILL"])
def test_a_killed_sweep_leaves_no_workers_and_no_temporary_folder(tmp_path, sig):
    """SIGTERM cleans up as Ctrl-C does (workers killed, exit 143); after SIGKILL the workers
    die with their parent (PR_SET_PDEATHSIG) and the next run removes the temporary folder."""
    import signal

    out = tmp_path / "sweep"
    process = subprocess.Popen(
        [sys.executable, "-m", "experiments", *SLOW_SWEEP, "--out", str(out)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    workers = _wait_for_workers(process)
    process.send_signal(getattr(signal, sig))
    _, err = process.communicate(timeout=30)
    assert _gone(workers), f"workers {workers} outlived gradstep after {sig}"
    assert not out.exists()
    if sig == "SIGTERM":
        assert process.returncode == 143 and err.strip().endswith("gradstep: terminated")
        assert list(tmp_path.iterdir()) == []
    quick = gradstep("sweep", "--lr", "0.1", "--hidden", "2", "--seeds", "1", "--epochs", "10",
                     "--quiet", "--jobs", "1", "--out", str(out))  # fmt: skip
    assert quick.returncode == 0, quick.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep"]


def _first_worker(process, timeout=30.0) -> set[int]:
    """Poll without sleeping until the process has a child: the moment its pool forks its
    first worker, before the pool's manager thread runs (the window of the start-up race)."""
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        kids = _children(process.pid)
        if kids:
            return kids
    raise AssertionError("the sweep started no worker")


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_sigterm_while_the_sweep_starts_its_pool_still_cleans_up(tmp_path):
    """SIGTERM sent the instant the first worker exists (three times), and at fixed delays
    from the launch: never a traceback ('cannot join thread before it is started') or a hang;
    no worker, output or temporary folder left. Sent at 0 s it may arrive before gradstep has
    installed its handler: then the default action kills it (-15), equally clean."""
    import signal
    import time

    for when in ("first worker", "first worker", "first worker", 0.0, 0.5):
        out = tmp_path / "sweep"
        process = subprocess.Popen(
            [sys.executable, "-m", "experiments", *SLOW_SWEEP, "--out", str(out)],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        if when == "first worker":
            workers = _first_worker(process)
        else:
            time.sleep(when)
            workers = _children(process.pid)
        process.send_signal(signal.SIGTERM)
        try:
            _, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()  # its workers die with it
            process.communicate()
            pytest.fail(f"gradstep hung after a SIGTERM at {when}")
        assert "Traceback" not in err, f"SIGTERM at {when}: {err}"
        assert _gone(workers), f"SIGTERM at {when}: workers {workers} outlived gradstep"
        allowed = (143,) if when == "first worker" else (143, -signal.SIGTERM)
        assert process.returncode in allowed, f"SIGTERM at {when}: exit {process.returncode}"
        if process.returncode == 143:
            assert err.strip().endswith("gradstep: terminated"), err
        assert list(tmp_path.iterdir()) == [], f"SIGTERM at {when} left {list(tmp_path.iterdir())}"


# -- smaller ones -------------------------------------------------------------------------------
def test_bce_refuses_targets_outside_zero_one_in_every_engine():
    from autograd import Tensor, Value

    X = np.array([[0.0, 1.0], [1.0, 0.0]])
    y = np.array([[1.0], [2.0]])
    for engine in ("value", "tensor", "numpy"):
        net = make_mlp(engine, layer_sizes=(2, 2, 1), seed=0)
        with pytest.raises(ValueError, match=r"bce needs targets in \[0, 1\]; y\[1, 0\] is 2"):
            net.loss_and_grads(X, y, loss="bce")
        net.loss_and_grads(X, y, loss="mse")  # any real target is fine for mse
    pop = nets_population((2, 2, 1))
    with pytest.raises(ValueError, match="bce needs targets in"):
        pop.loss_and_grads(X, -y, loss="bce")
    with pytest.raises(ValueError, match=r"bce target must be in \[0, 1\], got 1.5"):
        Value(0.5).bce(1.5)
    with pytest.raises(ValueError, match=r"bce targets must lie in \[0, 1\]"):
        Tensor(np.array([0.5])).bce(np.array([np.nan]))


def nets_population(sizes):
    from nets import Population

    return Population(sizes, seeds=(0, 1))


def test_complex_input_is_refused_by_every_network_not_cast():
    from nets import Sequential
    from nets.layers import ActivationLayer, Linear

    X = np.array([[1 + 1j, 0.0]])
    y = np.array([[1.0]])
    seq = Sequential([Linear(2, 1), ActivationLayer("sigmoid")], (2,))
    for net in (seq, nets_population((2, 1)), make_mlp("numpy", layer_sizes=(2, 1))):
        with pytest.raises(TypeError, match="X must hold numbers, got dtype complex128"):
            net.loss_and_grads(X, y)


@pytest.mark.slow
def test_too_many_nodes_advice_fits_the_caller_and_the_limit(tmp_path):
    from autograd import TooManyNodesError, draw, stepper
    from nets import ValueMLP

    out = ValueMLP((2, 4, 4, 1), seed=0)([0.1, 0.9])
    with pytest.raises(TooManyNodesError) as info:
        draw(out, max_nodes=5)
    message = str(info.value)
    assert "collapse='layer' gives 4" in message and "neuron" not in message  # 11 > 5
    assert "only_from=" in message
    with pytest.raises(TooManyNodesError) as info:
        stepper(out, max_nodes=12)
    assert "collapse='neuron' gives 11" in str(info.value) and "only_from" not in str(info.value)
    result = gradstep(
        "graph", "--collapse", "none", "--max-nodes", "12", "--out", str(tmp_path / "g.svg")
    )
    assert result.returncode == 2
    assert "--collapse neuron gives 11; --collapse layer gives 4; or raise --max-nodes" in (
        result.stderr
    )
    assert "only_from" not in result.stderr


def test_check_writable_file_refuses_a_folder_nobody_can_write():
    """/proc takes no new files, not even from root (CI runs as root, where a chmod'ed folder
    would still be writable): the probe finds it before any work."""
    with pytest.raises(PermissionError, match="--out /proc/graph.svg: cannot write to /proc"):
        check_writable_file("/proc/graph.svg", "--out")


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_killed_gradstep_check_takes_its_file_process_down(tmp_path):
    """The checked file runs in a child of its own; SIGKILL of gradstep (no clean-up can run)
    still ends it: the child asked the kernel for SIGKILL when its parent dies."""
    import signal

    (tmp_path / "forever.py").write_text("while True:\n    pass\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "experiments", "check", str(tmp_path / "forever.py")],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    workers = _wait_for_workers(process, count=1)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert _gone(workers), f"the checked file's process {workers} outlived gradstep"
