"""The timeline room: a training run recorded epoch by epoch and stepped through on one slider.

``record`` trains and records (``watch``, ``Timeline``); ``data`` turns a timeline into the JSON
its front end reads; ``widget`` is the notebook widget; ``static/`` holds the front end (the pure
model and the view) shared by the widget and the saved page.
"""

from .record import Timeline, watch

__all__ = ["Timeline", "watch"]
