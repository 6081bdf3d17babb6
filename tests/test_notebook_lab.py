"""End to end: the walkthrough in JupyterLab, in Chromium, as a user runs it.

JupyterLab is started on 127.0.0.1 with a free port and a fresh token inside the test, the
walkthrough is opened, all cells are run from the Run menu, and the stepper widget's `Next`
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
TIMELINE_SCREENSHOT = SCREENSHOT.with_name("gradstep-jupyterlab-timeline.png")


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
                api(base, token, "status")
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


def api(base: str, token: str, path: str):
    """GET from the server's REST API; the decoded JSON answer."""
    with urllib.request.urlopen(f"{base}/api/{path}?token={token}", timeout=30) as response:
        return json.load(response)


def notebook_kernel(base: str, token: str) -> str | None:
    """The id of the kernel the server runs for the walkthrough's session (None before one)."""
    for session in api(base, token, "sessions"):
        if session["path"].endswith("walkthrough.ipynb") and session.get("kernel"):
            return session["kernel"]["id"]
    return None


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


def wait_for_settled_kernel(page, base, token, dialogs: list[str], quiet: float = 5.0) -> str:
    """Wait until the notebook's kernel has been the same one, idle, with no dialog open, for
    ``quiet`` seconds; return its id. A freshly opened JupyterLab may start and replace the
    notebook's kernel several times in its first seconds (seen here: five kernels within three
    seconds, each replacing the last). Cells run before it settles run in a kernel that is then
    shut down, and their widgets show "Error displaying widget: model not found"."""
    deadline = time.monotonic() + 120
    last, since = None, time.monotonic()
    while True:
        dialogs.extend(accept_dialogs(page))
        kernel = notebook_kernel(base, token)
        state = api(base, token, f"kernels/{kernel}")["execution_state"] if kernel else None
        now = time.monotonic()
        if kernel != last or state != "idle" or page.locator(".jp-Dialog").count():
            last, since = kernel, now
        elif now - since >= quiet:
            return kernel
        if now > deadline:
            raise AssertionError(f"the notebook's kernel did not settle: {kernel} {state}")
        page.wait_for_timeout(500)


def notebook_state(page) -> str:
    """What the notebook shows, for a failure message: each code cell's prompt and the start of
    its output ("Error displaying widget: ...", a traceback, a widget's text)."""
    cells = page.evaluate(
        """() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')].map(cell => [
            cell.querySelector('.jp-InputPrompt')?.textContent ?? '',
            (cell.querySelector('.jp-OutputArea')?.textContent ?? '').replace(/\\s+/g, ' ')])"""
    )  # textContent, not innerText: cells out of view are not rendered
    return "\n".join(f"{prompt.strip()} {output[:160]!r}" for prompt, output in cells)


@pytest.mark.slow
def test_walkthrough_stepper_widget_steps_in_jupyterlab(jupyter_lab, tmp_path):
    base, token = jupyter_lab
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            watch = watched(page)
            page.goto(f"{base}/lab/tree/walkthrough.ipynb?token={token}")
            page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=90_000)
            dialogs: list[str] = []
            kernel_id = wait_for_settled_kernel(page, base, token, dialogs)
            # JupyterLab's own complaints while it replaced kernels (the debugger's cancelled
            # requests) are reported; from here on any console error fails the test
            startup_errors, watch.errors[:] = list(watch.errors), []

            def click(locator) -> None:
                """Click, first accepting a dialog JupyterLab may have left open (reported)."""
                dialogs.extend(accept_dialogs(page))
                locator.click()

            # Run All; clicked again only if, 5 s on, no cell has run or is running (a safety net:
            # a busy machine may take a while for either)
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
            # the cells ran in that kernel: it was not replaced meanwhile
            assert notebook_kernel(base, token) == kernel_id, f"dialogs seen: {dialogs}"
            # the first stepper (the small expression): its Next step button and status line
            # Run All leaves the view at the last cell, and JupyterLab skips rendering cells out
            # of view (content-visibility), so the widget is found in the page, then scrolled to
            # as a user scrolls up to it
            stepper = page.locator(".gs-stepper").first
            try:
                stepper.wait_for(state="attached", timeout=180_000)
                stepper.evaluate("element => element.scrollIntoView({block: 'center'})")
                stepper.wait_for(state="visible", timeout=30_000)
            except Exception as error:
                page.screenshot(path=str(SCREENSHOT))
                server_log = (tmp_path / "jupyter.log").read_text()[-3000:]
                raise AssertionError(
                    f"no stepper widget; dialogs seen: {dialogs}; kernels: "
                    f"{api(base, token, 'kernels')}; console errors: {watch.errors[:5]}\n"
                    f"{notebook_state(page)}\nserver log:\n{server_log}"
                ) from error
            # where the live widget runs, the static fallback beside it is hidden (its styles)
            fallbacks = page.locator(".gradstep-fallback")
            assert fallbacks.count() >= 2 and not fallbacks.first.is_visible()
            status = stepper.get_by_role("status")
            expect(status).to_have_text(re.compile(r"^step 0: y = 0\.377541"))
            click(stepper.get_by_role("button", name="Next", exact=True))
            expect(status).to_have_text("dy/dz += dy/dy * dy/dz = 1 * 0.235004 = 0.235004")
            # the graph is drawn, not only the texts: the current node is in view (the widget
            # scrolled back into view first: cells rendering elsewhere may have moved the page)
            assert float(stepper.locator(".gs-view").get_attribute("data-scale")) > 0
            stepper.evaluate("element => element.scrollIntoView({block: 'center'})")
            expect(stepper.locator('g[data-state="current"]').first).to_be_in_viewport()
            stepper.press("ArrowRight")
            expect(status).to_have_text(re.compile(r"^dy/d\(x\*w\) \+= dy/dz \* 1"))
            # the network's stepper further down renders too, at step 0
            network = page.locator(".gs-stepper").nth(1)
            network.wait_for(state="attached", timeout=180_000)
            network.evaluate("element => element.scrollIntoView({block: 'center'})")
            expect(network.get_by_role("status")).to_have_text(re.compile(r"^step 0: "))
            expect(network.locator('g[data-state="pending"]').first).to_be_in_viewport()
            # the watched run at the end: the slider moves every run, and a click on a point
            # asks the kernel for that point's stepper at the epoch shown
            timeline = page.locator(".tl-timeline").first
            timeline.wait_for(state="attached", timeout=180_000)
            timeline.evaluate("element => element.scrollIntoView({block: 'center'})")
            timeline.get_by_role("slider", name="Epoch").fill("20")
            expect(timeline).to_have_attribute("data-epoch", "1000")
            expect(timeline.get_by_role("status").first).to_have_text(re.compile(r"^epoch 1000: "))
            dots = timeline.locator(".tl-points").nth(1)
            dots.evaluate("element => element.scrollIntoView({block: 'center'})")
            box = dots.bounding_box()
            page.mouse.click(box["x"] + 0.05 * box["width"], box["y"] + 0.95 * box["height"])
            opened = timeline.locator(".tl-stepper .gs-stepper")
            opened.wait_for(timeout=60_000)
            expect(opened.get_by_role("status")).to_have_text(re.compile(r"^step 0: L = "))
            expect(opened.get_by_role("heading")).to_contain_text("epoch 1000")
            page.set_viewport_size({"width": 1024, "height": 700})  # a laptop, for a look
            opened.evaluate("element => element.scrollIntoView({block: 'start'})")
            page.screenshot(path=str(TIMELINE_SCREENSHOT))
            timeline.evaluate("element => element.scrollIntoView({block: 'start'})")
            page.screenshot(
                path=str(TIMELINE_SCREENSHOT.with_name("gradstep-jupyterlab-timeline-top.png"))
            )
            stepper.evaluate("element => element.scrollIntoView({block: 'center'})")
            page.screenshot(path=str(SCREENSHOT))
            # the server, and blob: URLs of that page (anywidget loads the script from one)
            others = [u for u in watch.requests if not u.startswith((base, f"blob:{base}"))]
            assert others == [], f"requests outside the server: {others[:5]}"
            assert [e for e in watch.errors if "favicon" not in e] == []
            # shown with -s, and on failure
            print("dialogs accepted:", dialogs, "errors before the kernel settled:", startup_errors)
        finally:
            browser.close()
