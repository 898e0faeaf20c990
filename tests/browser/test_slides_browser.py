"""Every step of the lecture is a slide: PageDown walks the talk in presenter mode (home → every scene →
references, as a clicker would). The walk itself must go through every scene in order, step by step, show
no exception, and end the talk at the references. On each screen, it checks what the room sees:

- no Plotly figure partly outside the viewport (below Streamlit's header, above the bottom edge), and
  every figure of the step's new content whole inside it;
- no cut text: buttons, widget labels, metric labels and values, tabs (nothing whose content is wider
  than its box: scrollWidth ≤ clientWidth);
- the step counter (the bar and the corner badge) says where the walk is;
- body text at least ``MIN_BODY_PX`` (readable from the back of a room at 1280×720).

The default suite walks 1280×720 (the smallest projector) once, and two tests read that walk's record:
one for the walk (order, counter, exceptions, the end), one for the slides. 1920×1080 is the slow test,
run with ``python -m pytest -m slow tests/browser/test_slides_browser.py``. Run as a script, the module
prints the walk's tally without asserting: ``python -m tests.browser.test_slides_browser 1280x720``.
Generous limits and waits on conditions: the machine may be slow and busy.
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from core.scenes import lecture as plan
from core.scenes.registry import SCENES
from tests.browser.test_browser import (
    _browser_page,
    _require_chromium,
    _streamlit_server,
    _wait_for_script_to_finish,
)
from tests.browser.test_browser_lecture import HOME_TITLE, _where

pytestmark = pytest.mark.browser

MIN_BODY_PX = 22.0
# One key press: a rerun, or a whole new page at first paint (p09 computes its hidden-layer panel live,
# minutes on a busy 2-core machine).
STEP_TIMEOUT_S = 900
SETTLE_S = 1.5  # the layout must stay unchanged this long (figures drawn, the step scrolled into view)
SETTLE_TIMEOUT_S = 60.0
PIXEL_SLACK = 1.5  # sub-pixel rounding of boxes

# One screen, measured in the page: what the room sees of the newest step. A figure is "new" when it is
# in one of this step's containers (ui.lecture: st-key-lecture_shown_<step>_<i>), or, at step 1, any
# figure shown (later steps are hidden). Text is measured where it is visible, in the main area.
MEASURE = """([step, minBody, slack]) => {
  const header = document.querySelector('[data-testid="stHeader"]');
  const top = header ? header.getBoundingClientRect().bottom : 0;
  const bottom = window.innerHeight, right = window.innerWidth;
  const main = document.querySelector('[data-testid="stMain"]');
  const shown = (el) => el.checkVisibility({visibilityProperty: true})
    && el.getBoundingClientRect().width > 0;
  const onScreen = (r) => r.bottom > top + slack && r.top < bottom - slack && r.right > 0 && r.left < right;
  const stepOf = (el) => {
    const box = el.closest("[class*='st-key-lecture_shown_']");
    if (!box) return 1;
    return Number([...box.classList].find((c) => c.startsWith('st-key-lecture_shown_')).split('_')[2]);
  };
  const describe = (el) => (el.innerText || el.getAttribute('aria-label') || el.className || '').trim()
    .replace(/\\s+/g, ' ').slice(0, 60);
  const figures = [...main.querySelectorAll('[data-testid="stPlotlyChart"]')].filter(shown);
  const cutFigures = [];
  for (const el of figures) {
    const r = el.getBoundingClientRect();
    const inside = r.top >= top - slack && r.bottom <= bottom + slack;
    const isNew = step === 1 ? true : stepOf(el) === step;
    if (!inside && (isNew || onScreen(r))) {
      const title = el.querySelector('.gtitle');
      cutFigures.push(`${title ? title.textContent.slice(0, 50) : 'figure'} (top ${r.top.toFixed(0)}, ` +
                      `bottom ${r.bottom.toFixed(0)}, ${isNew ? 'new' : 'earlier'})`);
    }
  }
  const TEXT = ['button', 'label', '[data-testid="stWidgetLabel"]', '[data-testid="stMetricLabel"]',
                '[data-testid="stMetricValue"]', '[data-testid="stMetricDelta"]', '[role="tab"]',
                '[data-testid="stExpander"] summary'].join(', ');
  const cutText = new Set();
  for (const box of main.querySelectorAll(TEXT)) {
    if (!shown(box) || !onScreen(box.getBoundingClientRect())) continue;
    for (const el of [box, ...box.querySelectorAll('*')]) {
      // (a radio's or checkbox's input is visually hidden in a 1-pixel box: not text)
      if (el.tagName === 'INPUT' || el.clientWidth < 4) continue;
      if (el.scrollWidth > el.clientWidth + slack && shown(el)) {
        cutText.add(`${describe(box)} (${el.scrollWidth} > ${el.clientWidth} px)`);
        break;
      }
    }
  }
  const small = new Set();
  for (const el of main.querySelectorAll('[data-testid="stMarkdownContainer"] :is(p, li)')) {
    if (el.closest('[data-testid="stCaption"], [data-testid="stExpanderDetails"]')) continue;
    if (!shown(el) || !onScreen(el.getBoundingClientRect()) || !el.innerText.trim()) continue;
    const px = parseFloat(getComputedStyle(el).fontSize);
    if (px < minBody) small.add(`${describe(el)} (${px.toFixed(1)} px)`);
  }
  const badge = document.querySelector('.lecture-badge');
  return {cutFigures, cutText: [...cutText], smallText: [...small],
          figures: figures.length, badge: badge ? badge.innerText.trim() : null};
}"""

# Unchanged for SETTLE_S: where every shown figure lies, drawn or not, and whether a lazily loaded
# element (a Plotly chart before its code arrives) still shows Streamlit's skeleton.
LAYOUT = """() => [
  [...document.querySelectorAll('[data-testid="stSkeleton"]')].some((el) => el.checkVisibility())
    ? 'loading' : '',
  ...[...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
    .filter((el) => el.checkVisibility())
    .map((el) => { const r = el.getBoundingClientRect();
                   return `${r.top.toFixed(0)}:${r.height.toFixed(0)}:${!!el.querySelector('.main-svg')}`; })
].join('|')"""


@dataclass
class Screen:
    where: tuple[str, int, int]
    figures: int
    cut_figures: list[str] = field(default_factory=list)
    cut_text: list[str] = field(default_factory=list)
    small_text: list[str] = field(default_factory=list)
    wrong_counter: str | None = None
    exceptions: int = 0  # Streamlit exception boxes shown
    url: str = ""
    ends_talk: bool = False  # the bar's "next" buttons are all disabled

    def problems(self) -> list[str]:
        found = [f"cut figure: {item}" for item in self.cut_figures]
        found += [f"cut text: {item}" for item in self.cut_text]
        found += [f"text under {MIN_BODY_PX:g} px: {item}" for item in self.small_text]
        if self.wrong_counter:
            found.append(self.wrong_counter)
        return found


def expected_walk() -> list[tuple[str, int, int]]:
    """(page title, step, step count) of every screen from the home page to the references."""
    expected = [(HOME_TITLE, 1, 1)]
    for scene in SCENES:
        count = len(plan.steps_of(scene.page))
        expected += [(scene.title, k, count) for k in range(1, count + 1)]
    return [*expected, ("References", 1, 1)]


def _settle(page) -> None:
    """Wait until every shown figure is drawn and nothing moves for SETTLE_S (the step's scroll into view
    and the presenter's figure fitting are animations and observers, not part of the script run)."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        now = page.evaluate(LAYOUT)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= SETTLE_S and ":false" not in now and not now.startswith("loading"):
            return
        time.sleep(0.25)


def _measure(page, expected: tuple[str, int, int]) -> Screen:
    _settle(page)
    where = _where(page)
    found = page.evaluate(MEASURE, [where[1], MIN_BODY_PX, PIXEL_SLACK])
    screen = Screen(where, found["figures"], found["cutFigures"], found["cutText"], found["smallText"])
    screen.exceptions = page.locator('[data-testid="stException"]').count()
    screen.url = page.url
    screen.ends_talk = page.locator(".st-key-lecture_next button").evaluate_all(
        "buttons => buttons.length > 0 && buttons.every(b => b.disabled)"
    )
    badge = f"step {expected[1]} / {expected[2]}"
    if where != expected or found["badge"] != badge:
        screen.wrong_counter = f"counter {where}, badge {found['badge']!r}; expected {expected}"
    return screen


def _page_down(page, shots: Path) -> None:
    """PageDown (after a click on the title, as a lecturer's last click), then wait until another step
    is shown and its script run is over; else a screenshot in ``shots`` and a failure."""
    before = _where(page)
    page.wait_for_function("window.__lectureClicker === true", timeout=STEP_TIMEOUT_S * 1000)
    page.locator("h1").first.click()
    page.keyboard.press("PageDown")
    deadline = time.monotonic() + STEP_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            moved = _where(page) != before
        except Exception:  # noqa: BLE001 — the page is being replaced by the next one
            moved = False
        if moved:
            _wait_for_script_to_finish(page, max(1.0, deadline - time.monotonic()))
            return
        time.sleep(0.3)
    page.screenshot(path=str(shots / "stuck.png"))
    raise AssertionError(
        f"PageDown did not change the step within {STEP_TIMEOUT_S} s (at {before}, {page.url})."
    )


def walk(width: int, height: int, shots: Path, screens: list[Screen] | None = None) -> list[Screen]:
    """PageDown from ``/?presenter=1`` to the references at ``width``×``height``, one Screen per step
    (appended to ``screens`` as the walk goes); it stops early where the counter leaves the expected
    order."""
    expected = expected_walk()
    screens = [] if screens is None else screens
    with _streamlit_server(shots / "server.log") as port, _browser_page() as page:
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"http://127.0.0.1:{port}/?presenter=1", wait_until="domcontentloaded")
        _wait_for_script_to_finish(page, STEP_TIMEOUT_S)
        while True:
            screens.append(_measure(page, expected[len(screens)]))
            page.screenshot(path=str(shots / f"{width}x{height}_{len(screens):02d}.png"))
            if len(screens) == len(expected) or screens[-1].where != expected[len(screens) - 1]:
                return screens
            _page_down(page, shots)


def tally(screens: list[Screen]) -> str:
    figures = sum(bool(s.cut_figures) for s in screens)
    text = sum(bool(s.cut_text) for s in screens)
    small = sum(bool(s.small_text) for s in screens)
    return (
        f"{figures} of {len(screens)} screens cut a figure, {text} cut text, "
        f"{small} show body text under {MIN_BODY_PX:g} px"
    )


def report(screens: list[Screen]) -> str:
    lines = [tally(screens)]
    for screen in screens:
        title, step, count = screen.where
        lines += [f"{title[:40]} · step {step}/{count}: {problem}" for problem in screen.problems()]
    return "\n".join(lines)


def check_order(screens: list[Screen], shots: Path) -> None:
    """The walk went from the home page through every scene's steps in order to the references, showed
    no exception, and the references end the talk (the bar's "next" disabled, the link still a
    presenter's step link)."""
    walked = [screen.where for screen in screens]
    assert walked == expected_walk(), f"walked {walked}\nscreenshots: {shots}"
    raised = [screen.where for screen in screens if screen.exceptions]
    assert not raised, f"an exception at {raised}\nscreenshots: {shots}"
    assert screens[-1].ends_talk, "the references end the talk"
    assert "step=1" in screens[-1].url and "presenter=1" in screens[-1].url, screens[-1].url


def check_slides(screens: list[Screen], shots: Path) -> None:
    """Every screen of the walk fits: no cut figure or text, the counter right, body text large enough."""
    where = report(screens) + f"\nscreenshots: {shots}"
    assert len(screens) == len(expected_walk()), where
    assert not [screen for screen in screens if screen.problems()], where


@pytest.fixture(scope="module")
def walk_at_1280x720(tmp_path_factory) -> tuple[list[Screen], Path]:
    """The default suite's one walk at 1280×720: (its screens, the screenshots' folder)."""
    _require_chromium()
    shots = tmp_path_factory.mktemp("slides")
    return walk(1280, 720, shots), shots


@pytest.mark.timeout(3600)  # the first test to use walk_at_1280x720 waits for the whole walk
def test_pagedown_from_the_home_page_walks_every_scene_in_order_to_the_references(walk_at_1280x720):
    check_order(*walk_at_1280x720)


@pytest.mark.timeout(3600)  # generous: a busy machine must not fail it; speed lives in bench/
def test_every_step_is_a_slide_at_1280x720(walk_at_1280x720):
    check_slides(*walk_at_1280x720)


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_every_step_is_a_slide_at_1920x1080(tmp_path, request):
    asked = request.config.getoption("markexpr") or ""
    if "slow" not in asked or "not slow" in asked:
        pytest.skip("the 1920×1080 walk runs with -m slow (README, Tests), to keep CI short")
    _require_chromium()
    screens = walk(1920, 1080, tmp_path)
    check_slides(screens, tmp_path)
    check_order(screens, tmp_path)


if __name__ == "__main__":  # the walk's tally, for a before/after comparison
    size = sys.argv[1] if len(sys.argv) > 1 else "1280x720"
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(tempfile.mkdtemp(prefix="slides_"))
    out.mkdir(parents=True, exist_ok=True)
    walked: list[Screen] = []
    try:
        walk(*map(int, size.split("x")), out, walked)
    finally:
        print(report(walked) + f"\n(walked {len(walked)} of {len(expected_walk())} screens)", flush=True)
        print(f"screenshots: {out}")
