"""The timeline as a live Jupyter widget: the same model and view as the saved page, and a
click on a data point opens that point's backward stepper at the current epoch below it
(Python builds it: ``Timeline.stepper(epoch, sample, run)``)."""

from __future__ import annotations

from autograd.extras import extra_hint

try:
    import anywidget
    import traitlets
except ImportError as e:  # pragma: no cover - anywidget is in the notebook and dev extras
    raise ImportError(f"the live timeline widget needs anywidget: {extra_hint('notebook')}") from e

from autograd.views.frontend import styles, widget_module

from .record import TIMELINE

__all__ = ["TimelineWidget"]


class TimelineWidget(anywidget.AnyWidget):
    _esm = widget_module(TIMELINE, uses=("stepper",))
    _css = styles(TIMELINE, uses=("stepper",))
    timeline = traitlets.Dict().tag(sync=True)
    epoch = traitlets.Int(0).tag(sync=True)
    # the point clicked ({"sample", "run", "epoch"}); Python answers with its stepper
    request = traitlets.Dict().tag(sync=True)
    stepper = traitlets.Dict().tag(sync=True)

    def __init__(self, tl, **kwargs) -> None:
        super().__init__(timeline=tl.to_json(), **kwargs)
        self._tl = tl
        self.observe(self._open_stepper, names="request")

    def _open_stepper(self, change) -> None:
        ask = change["new"]
        if not ask:
            return
        s = self._tl.stepper(int(ask["epoch"]), int(ask["sample"]), int(ask.get("run", 0)))
        self.stepper = {**ask, "svg": s.svg, "trace": s.trace.to_json()}
