"""End to end: the real server in headless Debian Chromium (Playwright, sync API), and the helpers the other
browser tests share (a fresh ``streamlit run app.py`` on a free port, a page, waiting for a script run).

Here: a shared link opened first on a fresh server goes through app.py's router. That every page draws
its charts without exception is checked on test_offline_browser.py's walk of every page.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Generous limits: a busy machine must not fail this test; speed budgets live in bench/bench_pages.py.
PAGE_TIMEOUT_S = 240
SERVER_START_TIMEOUT_S = 120
# A section title of app.py's st.navigation: present in the sidebar only when the router ran.
ROUTER_SECTION = "I. Supervised learning & neural networks"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_health(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {server.returncode} before serving.")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"streamlit did not answer /_stcore/health within {SERVER_START_TIMEOUT_S} s.")


def _wait_for_script_to_finish(page, timeout_s: float) -> None:
    """Wait until the app's script run is over and stays over (pages may rerun themselves)."""
    deadline = time.monotonic() + timeout_s
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_s * 1000)
    stable_since = None
    while time.monotonic() < deadline:
        state = page.get_attribute('[data-testid="stApp"]', "data-test-script-state")
        running = page.locator('[data-testid="stStatusWidget"]').filter(has_text="Running").count()
        if state == "notRunning" and running == 0:
            stable_since = stable_since or time.monotonic()
            if time.monotonic() - stable_since >= 1.0:
                page.wait_for_load_state("networkidle", timeout=max(1, deadline - time.monotonic()) * 1000)
                return
        else:
            stable_since = None
        time.sleep(0.2)
    raise AssertionError(f"the page was still running after {timeout_s:.0f} s.")


@contextlib.contextmanager
def _streamlit_server(log_path: Path):
    """A fresh ``streamlit run app.py`` on a free port; yields the port, terminated on exit."""
    port = _free_port()
    options = ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    # the log is a file, not a pipe: nobody reads a pipe while pages run
    with open(log_path, "w") as log, running_app(port, options, stdout=log):
        yield port


@contextlib.contextmanager
def running_app(port: int, options=(), *, stdout, stop_s: float = 10, env=None):
    """``streamlit run app.py`` headless on 127.0.0.1:``port`` with ``options``, output to ``stdout``; yields
    the process once /_stcore/health answers, and stops it (terminate, then kill after ``stop_s``) after."""
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"]
    command += ["--server.port", str(port), "--server.address", "127.0.0.1", *options]
    threads = {"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2")}
    server = subprocess.Popen(
        command, cwd=ROOT, stdout=stdout, stderr=subprocess.STDOUT, env=env or {**os.environ, **threads}
    )
    try:
        _wait_for_health(port, server)
        yield server
    finally:
        server.terminate()
        try:
            server.wait(timeout=stop_s)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@contextlib.contextmanager
def _browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 1000})
        finally:
            browser.close()


def _require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Debian chromium is not installed at {CHROMIUM} (apt-get install chromium).")


def test_shared_link_on_a_fresh_server_goes_through_the_router(tmp_path):
    """A link with ?seed=… opened first on a freshly started server must run app.py's
    st.navigation router (sections, presenter mode), not Streamlit's legacy pages/ folder mode,
    which runs the page file alone when no session has run app.py yet."""
    _require_chromium()
    with _streamlit_server(tmp_path / "server.log") as port, _browser_page() as page:
        page.goto(f"http://127.0.0.1:{port}/references?seed=1", wait_until="domcontentloaded")
        _wait_for_script_to_finish(page, PAGE_TIMEOUT_S)
        navigation = page.locator('[data-testid="stSidebarNav"]').inner_text()
        page.screenshot(path=str(tmp_path / "deep_link.png"))
    shown = " / ".join([line for line in navigation.splitlines() if line][:4])
    assert ROUTER_SECTION in navigation, (
        f"the page ran without app.py's router (legacy pages/ mode); sidebar: {shown}"
    )
