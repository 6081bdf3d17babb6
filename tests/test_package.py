"""The imported packages are this repository's (HIPS autograd shares the name ``autograd``)."""

import pathlib

import autograd
import experiments
import nets

REPO = pathlib.Path(__file__).resolve().parents[1]


def test_imported_autograd_is_this_repository():
    for package in (autograd, nets, experiments):
        path = pathlib.Path(package.__file__).resolve()
        assert REPO in path.parents, f"{package.__name__} imported from {path}, not {REPO}"
    assert hasattr(autograd, "Value") and hasattr(autograd, "topological_order")
