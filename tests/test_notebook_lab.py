"""End to end: the walkthrough in JupyterLab, in Chromium, as a user runs it.

JupyterLab is started on 127.0.0.1 with a free port and a fresh token inside the test, the
walkthrough is opened, all cells are run from the Run menu, and the stepper widget's `Next step`
is clicked: its status line must change to the first backward step. The server is stopped at
the end, also on failure. Nothing may be requested from anywhere but that server."""

import json
import os
import pathlib
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest
from browser import launch, require_browser, watched

NOTEBOOK = pathlib.Path(__file__).resolve().parents[1] / "experiments" / "walkthrough.ipynb"
SCREENSHOT = pathlib.Path(tempfile.gettempdir()) / "gradstep-jupyterlab.png"  # to look at


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def jupyter_lab(tmp_path):
    """A JupyterLab server on 127.0.0.1 serving a copy of the walkthrough; stopped at the end."""
    require_browser()
    pytest.importorskip("jupyterlab", reason="the end-to-end test needs JupyterLab (dev extra)")
    pytest.importorskip("anywidget", reason="the stepper widget needs anywidget (dev extra)")
    shutil.copy(NOTEBOOK, tmp_path / "walkthrough.ipynb")
    # Start the notebook's own kernel without asking: with nothing remembered (and the machine
    # busy) JupyterLab otherwise opens its "Select Kernel" dialog, and each answer to it starts a
    # new kernel, shutting down the one running the cells.
    settings = tmp_path / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text('{"autoStartDefaultKernel": true}')
    port, token = free_port(), secrets.token_hex(16)
    log = open(tmp_path / "jupyter.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={tmp_path}",
            "--ServerApp.port_retries=0",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--ServerApp.allow_root=True",
            # a fresh workspace and settings, as on a new machine: nothing remembered between runs
            f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
            f"--LabApp.user_settings_dir={tmp_path / 'settings'}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
        env={
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
            "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        },  # fmt: skip
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                    json.load(r)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail(
                        "JupyterLab did not start: "
                        + (tmp_path / "jupyter.log").read_text()[-2000:]
                    )
                time.sleep(0.5)
        yield base, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def accept_dialogs(page) -> list[str]:
    """Accept any modal dialog JupyterLab opened (on a fresh environment it may ask which kernel
    to start while the first one is slow to come up); return their texts, for the record."""
    seen = []
    for _ in range(5):
        dialog = page.locator(".jp-Dialog")
        if not dialog.count():
            break
        seen.append(" ".join(dialog.first.inner_text().split()))
        accept = dialog.first.locator(".jp-Dialog-button.jp-mod-accept")
        if accept.count():
            accept.first.click()
        else:
            page.keyboard.press("Escape")
        page.wait_for_timeout(500)
    return seen


def test_walkthrough_stepper_widget_steps_in_jupyterlab(jupyter_lab):
    base, token = jupyter_lab
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            watch = watched(page)
            page.goto(f"{base}/lab/tree/walkthrough.ipynb?token={token}")
            page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=90_000)
            idle = page.get_by_text("Kernel status: Idle").first
            idle.wait_for(state="attached", timeout=90_000)  # the kernel is up
            dialogs: list[str] = []

            def click(locator) -> None:
                """Click, first accepting a dialog JupyterLab may have left open (reported)."""
                dialogs.extend(accept_dialogs(page))
                locator.click()

            # "Run All" before the kernel's socket is up does nothing: click again while no cell
            # has run or is running (a busy machine may take a while for either)
            first_prompt = page.locator(".jp-InputPrompt", has_text="[1]:")
            running = page.locator(".jp-InputPrompt", has_text="[*]:")
            deadline = time.monotonic() + 180
            while not first_prompt.count():
                if time.monotonic() > deadline:
                    raise AssertionError(f"the cells did not run; dialogs seen: {dialogs}")
                if not running.count():
                    click(page.get_by_role("menuitem", name="Run", exact=True))
                    click(page.get_by_role("menuitem", name="Run All Cells", exact=True))
                page.wait_for_timeout(5_000)
            # the first stepper (the small expression): its Next step button and status line
            stepper = page.locator(".gs-stepper").first
            stepper.wait_for(timeout=180_000)
            status = stepper.get_by_role("status")
            expect(status).to_have_text(re.compile(r"^step 0: y = 0\.377541"))
            click(stepper.get_by_role("button", name="Next step"))
            expect(status).to_have_text("dy/dz += dy/dy * dy/dz = 1 * 0.235004 = 0.235004")
            stepper.press("ArrowRight")
            expect(status).to_have_text(re.compile(r"^dy/d\(x\*w\) \+= dy/dz \* 1"))
            # the network's stepper further down renders too
            page.locator(".gs-stepper").nth(1).wait_for(timeout=180_000)
            stepper.scroll_into_view_if_needed()
            page.screenshot(path=str(SCREENSHOT))
            # the server, and blob: URLs of that page (anywidget loads the script from one)
            others = [u for u in watch.requests if not u.startswith((base, f"blob:{base}"))]
            assert others == [], f"requests outside the server: {others[:5]}"
            assert [e for e in watch.errors if "favicon" not in e] == []
            print("dialogs accepted:", dialogs)  # shown with -s, and on failure
        finally:
            browser.close()
