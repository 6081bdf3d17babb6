"""Run a front end's model module under Node.js on JSON from Python: the same pure functions the
page runs, with no browser. Skips (one line) where Node is missing; `.ci/run` installs it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest


def run_model(module: Path, script: str, data) -> object:
    """``script`` (an ES module body; ``%s`` is where the model's URL goes in its import) reads
    ``data`` as JSON from stdin and writes its answer as JSON to stdout."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("the model's tests need Node.js (apt-get install -y nodejs)")
    done = subprocess.run(
        [node, "--input-type=module", "-e", script % module.as_uri()],
        input=json.dumps(data),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)
