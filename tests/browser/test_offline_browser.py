"""Every page works offline, draws its charts without exception and passes an accessibility scan, in the
real browser (Playwright, Debian chromium, the real server as in test_browser.py).

One walk on a freshly started server opens every page of the app by its URL path with every request to
another machine blocked (a Playwright route that refuses any host but the local server's) and records, per
page, the blocked requests (there must be none), the Plotly charts it draws (at least ``LEAST_CHARTS``)
and any exception it shows (none); a screenshot of each page is kept. On each page, once drawn, axe-core
(the ``axe.min.js`` that the ``axe-playwright-python`` wheel ships) scans the page: no serious or critical
violation may come from what the project draws. Violations inside Streamlit's own widgets and furniture
are listed in ``STREAMLIT_OWN`` (rule → where), each with its reason in docs/ACCESSIBILITY.md, and are not
counted; any other node fails the test. Each property has its own test, reading the walk's record.

The server runs with the shipped ``.streamlit/config.toml`` (no ``--browser.gatherUsageStats`` on the
command line): the file, not the test, must keep usage statistics off.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import tomllib

from core.scenes import registry
from tests.browser.test_browser import (
    ROOT,
    _browser_page,
    _free_port,
    _require_chromium,
    _wait_for_script_to_finish,
    running_app,
)

pytestmark = pytest.mark.browser

# Generous: a page's first paint may train a toy or run CERTIFY live, minutes on a busy 2-core machine.
PAGE_TIMEOUT_S = 900
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
# URL path of every page of app.py's navigation (the console too, once the registry has it).
PAGES = [
    "",
    *(scene.url_path for scene in registry.SCENES),
    "references",
    *(["console"] if hasattr(registry, "CONSOLE_PAGE") else []),
]
# URL path → least number of Plotly charts the page draws at first paint (a scene: 1 unless named).
LEAST_CHARTS = {"": 0, "references": 0, "p01_erm_playground": 2, "p02_composition": 3, "p11_take_home": 4}
# Plotly draws after the script run ends: a page's charts get PAGE_TIMEOUT_S to be drawn; once a page's
# did not, the later pages get AFTER_A_MISS_S, so that a broken app fails in one page timeout, not in each.
AFTER_A_MISS_S = 15
# A page that polls its room (st.fragment(run_every=…)) never stays idle: wait for its title instead.
POLLING_TITLES = {"console": "Speaker console"}
SERIOUS = {"serious", "critical"}
LATE_REQUESTS_S = 3.0  # after the page is drawn: a late fetch (icons, fonts) still gets recorded

# Serious or critical violations inside Streamlit's own widgets and furniture, which a page cannot
# change: rule id → CSS selector of the Streamlit element the violating node must lie in. Reasons in
# docs/ACCESSIBILITY.md; a violation of the same rule anywhere else still fails.
STREAMLIT_OWN = {
    # the sidebar's page navigation: a <ul> whose <li> sit inside <div> wrappers
    "list": '[data-testid="stSidebarNav"]',
    "listitem": '[data-testid="stSidebarNav"]',
}
# axe-core on the page, each violating node marked when it lies inside a STREAMLIT_OWN element.
SCAN = """async (own) => {
  const results = await axe.run(document, {resultTypes: ['violations']});
  for (const violation of results.violations) {
    for (const node of violation.nodes) {
      const element = typeof node.target[0] === 'string' ? document.querySelector(node.target[0]) : null;
      node.streamlitOwn = !!(own[violation.id] && element && element.closest(own[violation.id]));
    }
  }
  return results;
}"""


@dataclass
class Visit:
    """What the walk recorded on one page."""

    blocked: list[str]  # requests (and web sockets) to other machines, refused
    violations: list[dict]  # axe-core's
    least_charts: int
    charts: int  # Plotly charts on the page
    drawn: bool  # at least least_charts of them drawn (an SVG) in the time given
    exception: bool  # a Streamlit exception box or a traceback shown
    alerts: list[str]
    screenshot: Path


def least_charts(url_path: str) -> int:
    return LEAST_CHARTS.get(url_path, 1 if url_path in {s.url_path for s in registry.SCENES} else 0)


@contextlib.contextmanager
def shipped_server(log_path: Path):
    """``streamlit run app.py`` as shipped: only the options a test harness needs (port, headless, no file
    watcher), the rest from .streamlit/config.toml."""
    port = _free_port()
    with open(log_path, "w") as log, running_app(port, ["--server.fileWatcherType", "none"], stdout=log):
        yield port


def axe_script() -> str:
    axe = pytest.importorskip("axe_playwright_python", reason="pip install -r requirements-dev.txt")
    return Path(axe.__file__).with_name("axe.min.js").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def offline_walk(tmp_path_factory):
    """Every page opened with other machines unreachable: {url path: Visit}."""
    _require_chromium()
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    script = axe_script()
    shots = tmp_path_factory.mktemp("offline")
    walked = {}
    chart_timeout_s = PAGE_TIMEOUT_S
    with shipped_server(shots / "server.log") as port, _browser_page() as page:
        blocked: list[str] = []

        def refuse_other_hosts(route):
            if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort()

        def record_other_sockets(socket):  # a route does not see web sockets
            if urlsplit(socket.url).hostname not in LOCAL_HOSTS:
                blocked.append(socket.url)

        page.context.route("**/*", refuse_other_hosts)
        page.on("websocket", record_other_sockets)
        for url_path in PAGES:
            blocked.clear()
            page.goto(f"http://127.0.0.1:{port}/{url_path}", wait_until="domcontentloaded")
            if url_path in POLLING_TITLES:
                page.locator("h1", has_text=POLLING_TITLES[url_path]).wait_for(timeout=PAGE_TIMEOUT_S * 1000)
            else:
                _wait_for_script_to_finish(page, PAGE_TIMEOUT_S)
            least = least_charts(url_path)
            drawn = True
            if least:
                try:
                    page.wait_for_function(
                        f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {least}",
                        timeout=chart_timeout_s * 1000,
                    )
                except PlaywrightTimeoutError:  # recorded; test_every_page_renders_its_charts… fails
                    drawn, chart_timeout_s = False, AFTER_A_MISS_S
            page.wait_for_timeout(LATE_REQUESTS_S * 1000)
            screenshot = shots / f"{url_path or 'home'}.png"
            page.screenshot(path=str(screenshot), full_page=True)
            charts = page.locator(".js-plotly-plot").count()
            exception = bool(page.locator('[data-testid="stException"]').count()) or (
                "Traceback" in page.locator('[data-testid="stApp"]').inner_text()
            )
            alerts = page.locator('[data-testid="stAlert"]').all_inner_texts()
            page.evaluate(script)
            result = page.evaluate(SCAN, STREAMLIT_OWN)
            walked[url_path] = Visit(
                list(blocked), result["violations"], least, charts, drawn, exception, alerts, screenshot
            )
    return walked


def test_the_shipped_config_keeps_usage_statistics_off():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["browser"]["gatherUsageStats"] is False


@pytest.mark.timeout(3600)  # the first test to use offline_walk waits for the whole walk
def test_no_page_sends_a_request_to_another_machine(offline_walk):
    leaks = {path or "home": visit.blocked for path, visit in offline_walk.items() if visit.blocked}
    assert list(offline_walk) == PAGES
    assert not leaks, f"requests to other machines (blocked): {leaks}"


def serious_violations(violations: list[dict]) -> list[str]:
    """'rule (impact): node' for each serious or critical violation outside Streamlit's own widgets."""
    found = []
    for violation in violations:
        if violation["impact"] not in SERIOUS:
            continue
        for node in violation["nodes"]:
            if not node["streamlitOwn"]:
                target = " ".join(str(part) for part in node["target"])
                found.append(f"{violation['id']} ({violation['impact']}): {target} — {node['html'][:120]}")
    return found


@pytest.mark.timeout(3600)
def test_every_page_passes_axe_in_what_the_project_draws(offline_walk):
    found = {
        path or "home": serious_violations(visit.violations)
        for path, visit in offline_walk.items()
        if serious_violations(visit.violations)
    }
    assert not found, "\n".join(f"{page}: {line}" for page, lines in found.items() for line in lines)


@pytest.mark.timeout(3600)
def test_every_page_renders_its_charts_without_exception(offline_walk):
    failures = []
    for path, visit in offline_walk.items():
        if visit.exception:
            failures.append(f"{path or 'home'}: shows an exception (screenshot {visit.screenshot})")
        if visit.charts < visit.least_charts or not visit.drawn:
            failures.append(
                f"{path or 'home'}: {visit.charts} Plotly chart(s), "
                + ("" if visit.drawn else "not all drawn, ")
                + f"expected ≥ {visit.least_charts}"
                + (f" (alerts: {visit.alerts})" if visit.alerts else "")
                + f" (screenshot {visit.screenshot})"
            )
    assert list(offline_walk) == PAGES
    assert not failures, "\n".join(failures)
