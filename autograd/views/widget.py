"""The stepper as a live Jupyter widget (anywidget: JupyterLab, Notebook 7, VS Code, Colab).

The widget runs the same model and view as the saved page (``static/stepper_model.mjs`` and
``static/stepper_view.js``, joined by ``frontend.widget_module``); Python sends the laid-out
SVG and the recorded trace once, and ``step`` stays in sync both ways: set ``widget.step = 5``
from Python, or read where the user clicked to."""

from __future__ import annotations

from ..extras import extra_hint

try:
    import anywidget
    import traitlets
except ImportError as e:  # pragma: no cover - anywidget is in the notebook and dev extras
    raise ImportError(f"the live stepper widget needs anywidget: {extra_hint('notebook')}") from e

from .frontend import styles, widget_module

__all__ = ["StepperWidget"]


class StepperWidget(anywidget.AnyWidget):
    _esm = widget_module("stepper")
    _css = styles("stepper")
    svg = traitlets.Unicode("").tag(sync=True)
    trace = traitlets.Dict().tag(sync=True)
    step = traitlets.Int(0).tag(sync=True)
