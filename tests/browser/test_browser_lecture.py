"""Lecture mode in the real browser (Playwright, Debian chromium, the real server as in test_browser.py):
a focused slider or text box hands the clicker's keys to the step without moving. (The clicker's PageDown
walk of the whole talk, home → every scene → references, is checked on the slide walk of
test_slides_browser.py, which presses the same keys through the same screens.)

Generous limits: the machine is slow and busy; speed is not what these tests measure.
"""

from __future__ import annotations

import re
import time

import pytest

from core.scenes import lecture as plan
from tests.browser.test_browser import (
    _browser_page,
    _require_chromium,
    _streamlit_server,
    _wait_for_script_to_finish,
)

pytestmark = pytest.mark.browser

STEP_TIMEOUT_S = 400  # one key press: a rerun, or a whole new page at first paint
COUNTER = '.st-key-lecture_bar [data-testid="stMarkdownContainer"]'
STEP = re.compile(r"step (\d+) / (\d+)")
HOME_TITLE = "Toward certified defenses to adversarial example attacks through randomization"


def _where(page) -> tuple[str, int, int]:
    """(page title, step, step count) as the page shows them."""
    counter = page.locator(COUNTER).filter(has_text=STEP).first.inner_text()
    match = STEP.search(counter)
    assert match, f"no step counter in {counter!r}"
    return page.locator("h1").first.inner_text().strip(), int(match.group(1)), int(match.group(2))


def _press(page, key: str, shots, *, click_page: bool = True) -> tuple[str, int, int]:
    """Press ``key`` (after a click on the page's title when ``click_page``, as a lecturer's last click)
    and wait until the page shows another step; else a screenshot in ``shots`` and a failure."""
    before = _where(page)
    page.wait_for_function("window.__lectureClicker === true", timeout=STEP_TIMEOUT_S * 1000)
    if click_page:
        page.locator("h1").first.click()
    page.keyboard.press(key)
    deadline = time.monotonic() + STEP_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            now = _where(page)
        except Exception:  # noqa: BLE001 — the page is being replaced by the next one
            now = before
        if now != before:
            _wait_for_script_to_finish(page, max(1.0, deadline - time.monotonic()))
            return _where(page)
        time.sleep(0.3)
    page.screenshot(path=str(shots / "stuck.png"))
    raise AssertionError(
        f"{key} did not change the step within {STEP_TIMEOUT_S} s (still at {before}, {page.url})."
    )


def _slider(page, label: str):
    return page.locator(f'[data-testid="stSlider"] input[type="range"][aria-label="{label}"]')


def test_the_clicker_takes_its_keys_from_a_focused_slider_or_text_box_without_moving_it(tmp_path):
    _require_chromium()
    with _streamlit_server(tmp_path / "server.log") as port, _browser_page() as page:
        page.set_viewport_size({"width": 1280, "height": 720})
        page.goto(f"http://127.0.0.1:{port}/p05_geometry?step=1", wait_until="domcontentloaded")
        _wait_for_script_to_finish(page, STEP_TIMEOUT_S)
        title, step, count = _where(page)
        assert step == 1 and count == len(plan.steps_of("app_pages/p05_geometry.py"))
        slider = _slider(page, "Budget ε")
        value = slider.get_attribute("aria-valuetext")

        for key, expected_step in (("PageDown", 2), ("ArrowRight", 3), ("PageUp", 2), ("ArrowLeft", 1)):
            _slider(page, "Budget ε").focus()
            assert page.evaluate("document.activeElement.type") == "range"
            assert _press(page, key, tmp_path, click_page=False) == (title, expected_step, count)
            assert _slider(page, "Budget ε").get_attribute("aria-valuetext") == value, (
                f"{key} moved the slider"
            )
            page.screenshot(path=str(tmp_path / f"slider_{key}.png"))

        # A text box keeps its arrows (the caret moves) but hands PageDown to the step.
        box = page.locator('[data-testid="stNumberInput"] input').first
        box.focus()
        page.keyboard.press("ArrowRight")
        time.sleep(2)
        assert _where(page) == (title, 1, count)
        box.focus()
        assert _press(page, "PageDown", tmp_path, click_page=False) == (title, 2, count)
