"""The stepper as a live Jupyter widget (anywidget: JupyterLab, Notebook 7, VS Code, Colab).

The widget loads the same script and styles as the saved page (``static/``); Python sends the
laid-out SVG and the recorded trace once, and ``step`` stays in sync both ways: set
``widget.step = 5`` from Python, or read where the user clicked to."""

from __future__ import annotations

from pathlib import Path

try:
    import anywidget
    import traitlets
except ImportError as e:  # pragma: no cover - anywidget is in the notebook and dev extras
    raise ImportError(
        "the live stepper widget needs anywidget: pip install 'gradstep[notebook]'"
    ) from e

__all__ = ["StepperWidget"]

_STATIC = Path(__file__).parent / "static"


class StepperWidget(anywidget.AnyWidget):
    _esm = _STATIC / "stepper.js"
    _css = _STATIC / "stepper.css"
    svg = traitlets.Unicode("").tag(sync=True)
    trace = traitlets.Dict().tag(sync=True)
    step = traitlets.Int(0).tag(sync=True)
