"""Hand-off to PyTorch: ``to_torch`` and ``from_torch`` on the same weights, exported files
loaded by plain PyTorch, and PyTorch never imported by gradstep itself.

The checks that torch stays optional, which run everywhere; with torch:
test_pytorch_handoff_torch.py."""

import os
import subprocess
import sys
import textwrap

import pytest

import nets

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ACTIVATIONS = sorted(nets.ACTIVATIONS)


def run_python(code: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, cwd=cwd
    )


# -- torch stays optional (these run without torch too) -------------------------------------------
@pytest.mark.slow
def test_importing_gradstep_never_imports_torch():
    """autograd, nets and the command line load without pulling torch into the process."""
    result = run_python(
        """
        import sys
        import autograd, nets, experiments.cli, experiments.train
        print("torch" in sys.modules)
        """,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_without_torch_the_error_is_one_line_naming_the_extra():
    """With torch unimportable, to_torch and from_torch raise TorchMissingError naming the
    `torch` extra, and `gradstep export` prints that one line and exits 2."""
    result = run_python(
        """
        import sys
        sys.modules["torch"] = None  # makes `import torch` fail, as on a machine without it
        import nets
        for call in (lambda: nets.NumpyMLP().to_torch(), lambda: nets.from_torch(object())):
            try:
                call()
            except nets.TorchMissingError as e:
                print(e)
        from experiments.cli import main
        nets.NumpyMLP().save("m.npz")
        print(main(["export", "m.npz", "--torch", "m.pt"]))
        """,
        cwd=REPO,
    )
    lines = result.stdout.strip().splitlines()
    assert lines[:2] == [lines[0]] * 2 and "gradstep[torch]" in lines[0], result.stderr
    assert lines[2] == "2"
    assert result.stderr.strip().splitlines() == [f"gradstep: error: {lines[0]}"]
    assert not os.path.exists(os.path.join(REPO, "m.pt"))
    os.remove(os.path.join(REPO, "m.npz"))
