"""The back-propagation lab reproduced on gradstep: data sets, training, plots, the command line.

``from experiments import watch`` trains a network and records its timeline (``timeline``)."""

__all__ = ["watch"]


def __getattr__(name: str):
    # imported on first use: the command line starts without numpy's and the nets' import cost
    if name == "watch":
        from .timeline.record import watch

        return watch
    raise AttributeError(f"module 'experiments' has no attribute {name!r}")
