"""The handout opens offline: a lecture recorded by real page runs (AppTest: two scenes visited), written
by ui.recorder/ui.handout to one HTML file, opened from disk in headless Debian Chromium with every
network request refused; every figure must be drawn (Plotly's .main-svg) and nothing fetched."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.browser.test_browser import CHROMIUM, CHROMIUM_ARGS, _require_chromium
from tests.pages.conftest import APP
from ui import recorder

pytestmark = pytest.mark.browser

VISITED = ("app_pages/p05_geometry.py", "app_pages/p09_certificate.py")
# Generous: plotly.js (4.8 MB inline) is parsed on a slow, busy machine.
LOAD_TIMEOUT_MS = 240_000


def recorded_lecture() -> dict:
    at = AppTest.from_file(APP, default_timeout=900)
    at.run()
    for page in VISITED:
        at.switch_page(page)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    return at.session_state[recorder.RECORDS_KEY]


def test_the_handout_draws_every_figure_with_no_network(tmp_path):
    _require_chromium()
    from playwright.sync_api import sync_playwright

    records = recorded_lecture()
    assert list(records) == ["p05_geometry", "p09_certificate"]  # visited order
    figures = sum(len(record.figures) for record in records.values())
    assert figures >= 4
    path = Path(tmp_path) / "lecture.html"
    path.write_text(recorder.handout_html(records), encoding="utf-8")

    fetched: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(offline=True)
            context.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if route.request.url.startswith(("file:", "data:"))
                    else (fetched.append(route.request.url), route.abort())
                ),
            )
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(path.as_uri(), wait_until="load", timeout=LOAD_TIMEOUT_MS)
            page.wait_for_function(
                f"document.querySelectorAll('div.figure .main-svg').length >= {figures}",
                timeout=LOAD_TIMEOUT_MS,
            )
            drawn = page.eval_on_selector_all(
                "div.figure", "divs => divs.map(d => !!d.querySelector('.main-svg'))"
            )
            images = page.eval_on_selector_all(
                "div.figure svg image", "els => els.map(e => e.getAttribute('href') || '')"
            )
            page.screenshot(path=str(Path(tmp_path) / "lecture.png"), full_page=False)
        finally:
            browser.close()
    assert len(drawn) == figures and all(drawn)
    assert not errors, errors
    assert not fetched, fetched  # nothing to load: plotly.js and images are inside
    assert images and all(href.startswith("data:image/png;base64,") for href in images)
