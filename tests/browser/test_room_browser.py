"""The room in the real browser (Playwright, Debian chromium, the real server as in test_browser.py),
one browser context per person: the projector and the speaker console stay in step both ways, a
student follows from the link the projector shows, three students vote and the projector counts them.
And, on the real server's websocket without a browser: a follower's poll sent from the page it has
just been switched away from is not run on the new page (it used to blank the student's tab).

Generous limits and waits for conditions, never for a fixed time: the machine is slow and busy; the
speed of following is measured by bench/bench_pages.py, not here.
"""

from __future__ import annotations

import contextlib
import re
import time

import pytest

from core.scenes import decision_distribution
from core.scenes import lecture as plan
from core.scenes.registry import HOME_PAGE, SCENES
from tests.browser.test_browser import CHROMIUM, CHROMIUM_ARGS, _require_chromium, _streamlit_server
from ui import room as rooms

pytestmark = pytest.mark.browser

TIMEOUT_S = 300  # one change seen by another window: a poll, then a rerun or a whole new page
COUNTER = '.st-key-lecture_bar [data-testid="stMarkdownContainer"]'
CONSOLE_COUNTER = '.st-key-console_now [data-testid="stMarkdownContainer"]'
STEP = re.compile(r"step (\d+) / (\d+)")


@contextlib.contextmanager
def _people(count: int):
    """``count`` pages, each in a browser context of its own (a person with their own session)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            pages = []
            for _ in range(count):
                context = browser.new_context(viewport={"width": 1280, "height": 720})
                context.set_default_timeout(TIMEOUT_S * 1000)  # a first paint on a busy machine
                pages.append(context.new_page())
            yield pages
        finally:
            browser.close()


def _text(page, selector: str) -> str:
    try:
        found = page.locator(selector).filter(has_text=STEP)
        return found.first.inner_text(timeout=1000) if found.count() else ""
    except Exception:  # noqa: BLE001 — the page is being replaced by the next one
        return ""


def _where(page) -> tuple[str, int] | None:
    """(title, step) a talk page shows; None while it is being drawn."""
    match = STEP.search(_text(page, COUNTER))
    try:
        title = page.locator("h1").first.inner_text(timeout=1000).strip()
    except Exception:  # noqa: BLE001
        return None
    return (title, int(match.group(1))) if match else None


def _console_at(page) -> str:
    return _text(page, CONSOLE_COUNTER)


def _wait(what: str, condition, shots, page) -> None:
    """Wait until ``condition()`` holds; else a screenshot of ``page`` and a failure saying ``what``."""
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except Exception:  # noqa: BLE001 — a page in the middle of a rerun
            pass
        time.sleep(0.3)
    page.screenshot(path=str(shots / "stuck.png"))
    raise AssertionError(f"{what}: not within {TIMEOUT_S} s ({page.url}).")


def _press(page, key: str) -> None:
    """A key as the lecturer presses it: after a click on the page's title (not in a widget)."""
    page.locator("h1").first.click()
    page.keyboard.press(key)


@pytest.mark.timeout(1800)  # generous: several windows on a busy machine; speed lives in bench/
def test_the_projector_and_the_console_stay_in_step_both_ways_and_a_student_follows(tmp_path):
    _require_chromium()
    first = SCENES[0]
    count = len(plan.steps_of(first.page))
    with _streamlit_server(tmp_path / "server.log") as port, _people(3) as (projector, console, student):
        base = f"http://127.0.0.1:{port}"
        student.goto(f"{base}/?follow=no%20spaces", wait_until="domcontentloaded")
        _wait(
            "a bad room name gets its sentence",
            lambda: "is not 1 to 32 letters" in student.locator('[data-testid="stAlert"]').first.inner_text(),
            tmp_path,
            student,
        )

        projector.goto(f"{base}/?presenter=1&room=r1", wait_until="domcontentloaded")
        link = projector.locator(".lecture-follow")
        _wait("the projector shows the follow link", lambda: link.count() == 1, tmp_path, projector)
        assert link.locator("img[alt^='QR code of']").count() == 1, "with its QR code"
        address = re.search(r"http://\S+\?follow=r1", link.inner_text()).group(0)
        assert address == f"{base}/?follow=r1", "the address the server listens on"

        student.goto(address, wait_until="domcontentloaded")
        console.goto(f"{base}/console?room=r1", wait_until="domcontentloaded")
        _wait(
            "the console shows the home page", lambda: "step 1 / 1" in _console_at(console), tmp_path, console
        )
        _wait("the student is in the room", lambda: _where(student) is not None, tmp_path, student)
        home = _where(student)

        _press(console, "PageDown")  # the console drives the projector (and the room)
        _wait(
            "PageDown on the console moves the projector",
            lambda: _where(projector) == (first.title, 1),
            tmp_path,
            projector,
        )
        _wait("the student follows", lambda: _where(student) == (first.title, 1), tmp_path, student)
        assert "room=r1" in projector.url and "presenter=1" in projector.url, "the switch keeps the room"

        _press(projector, "PageDown")  # the projector's clicker drives the console
        _wait(
            "PageDown on the projector shows on the console",
            lambda: f"step 2 / {count}" in _console_at(console),
            tmp_path,
            console,
        )
        _wait("the student follows", lambda: _where(student) == (first.title, 2), tmp_path, student)
        _wait(
            "the console counts the student",
            lambda: console.locator('[data-testid="stMetricValue"]').nth(1).inner_text() == "1",
            tmp_path,
            console,
        )

        _press(student, "PageUp")  # the student explores on its own; the room does not move
        _wait("the student steps back alone", lambda: _where(student) == (first.title, 1), tmp_path, student)
        assert _where(projector) == (first.title, 2) and f"step 2 / {count}" in _console_at(console)

        _press(console, "PageUp")
        _press(console, "PageUp")  # back to the home page: both windows and the student with it
        _wait("PageUp on the console", lambda: _where(projector) == home, tmp_path, projector)
        _wait("the student is brought back", lambda: _where(student) == home, tmp_path, student)
        for page in (projector, console, student):
            assert page.locator('[data-testid="stException"]').count() == 0


@pytest.mark.timeout(1800)
def test_three_students_vote_and_the_projector_counts_them(tmp_path):
    _require_chromium()
    choices = decision_distribution.PREDICTION.choices
    with _streamlit_server(tmp_path / "server.log") as port, _people(4) as (projector, *students):
        base = f"http://127.0.0.1:{port}"
        projector.goto(
            f"{base}/p08_decision_distribution?presenter=1&room=r2&step=1", wait_until="domcontentloaded"
        )
        tally = projector.locator('[data-testid="stMarkdownContainer"]').filter(has_text="The room's votes")
        _wait(
            "the projector counts the votes",
            lambda: "votes: 0" in tally.first.inner_text(),
            tmp_path,
            projector,
        )
        for student, choice in zip(students, (0, 1, 1)):
            student.goto(f"{base}/?follow=r2", wait_until="domcontentloaded")
            ballot = student.locator('[data-testid="stRadio"]').filter(has_text="Your vote")
            _wait("the student reaches the question", lambda: ballot.count() == 1, tmp_path, student)
            ballot.get_by_text(choices[choice], exact=True).click()
            _wait(
                "the vote is in",
                lambda: student.get_by_text(f"Your vote is in: {choices[choice]}.").count() == 1,
                tmp_path,
                student,
            )
        _wait(
            "the projector shows three votes",
            lambda: "votes: 3" in tally.first.inner_text(),
            tmp_path,
            projector,
        )
        shown = tally.first.inner_text()
        assert f"{choices[0]}: 1 (33 %)" in shown and f"{choices[1]}: 2 (67 %)" in shown, shown

        _press(projector, "PageDown")  # the reveal: the room's distribution beside the computed answer
        reveal = projector.locator('[data-testid="stAlert"]').filter(has_text="The room voted")
        _wait(
            "the reveal shows the room's votes",
            lambda: "3 votes" in reveal.first.inner_text(),
            tmp_path,
            projector,
        )
        assert projector.locator('[data-testid="stException"]').count() == 0


class _Tab:
    """One browser tab's side of Streamlit's websocket, spoken directly: rerun requests out, the
    server's messages in, kept as (kind, page hash, fragment ids): "run" (a run starts), "page" (the
    page the tab shows now, the hash its requests name), "poll" (a run_every fragment to poll),
    "finished" (a run ended)."""

    def __init__(self, port: int):
        from websockets.sync.client import connect

        self.socket = connect(
            f"ws://127.0.0.1:{port}/_stcore/stream",
            subprotocols=["streamlit"],
            origin=f"http://127.0.0.1:{port}",
            max_size=None,
        )
        self.seen: list[tuple[str, str, tuple[str, ...]]] = []

    def rerun(self, query: str, page: str = "", fragment: str = "") -> int:
        """Send a rerun request (a fragment's: what its run_every timer sends); returns the number of
        messages seen before it."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        message = BackMsg()
        state = message.rerun_script
        state.query_string, state.page_script_hash = query, page
        if fragment:
            state.fragment_id, state.is_auto_rerun = fragment, True
        self.socket.send(message.SerializeToString())
        return len(self.seen)

    def until(self, start: int, *kinds: str) -> list:
        """Read the server's messages until each of ``kinds`` has come, in that order, after message
        ``start``; returns what came after ``start``."""
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        deadline = time.monotonic() + TIMEOUT_S
        while True:
            waited = list(kinds)
            for kind, _, _ in self.seen[start:]:
                if waited and kind == waited[0]:
                    waited.pop(0)
            if not waited:
                return self.seen[start:]
            message = ForwardMsg()
            message.ParseFromString(self.socket.recv(timeout=max(deadline - time.monotonic(), 0.1)))
            kind = message.WhichOneof("type")
            if kind == "new_session":
                run = message.metadata.run
                self.seen.append(("run", message.new_session.page_script_hash, tuple(run.fragment_ids)))
            elif kind == "navigation":
                self.seen.append(("page", message.navigation.page_script_hash, ()))
            elif kind == "auto_rerun":
                self.seen.append(("poll", "", (message.auto_rerun.fragment_id,)))
            elif kind == "script_finished":
                self.seen.append(("finished", "", ()))


@pytest.mark.timeout(900)
def test_a_followers_poll_from_the_page_it_left_is_not_run_on_the_new_page(tmp_path, monkeypatch):
    """The follower's tab polls its room every POLL_S seconds, each request naming the page it shows.
    When the room moves to another page, the server switches the follower's session there; a poll the
    tab sent before it heard of the switch still names the old page. Run on the new page, Streamlit
    announced a fragment run of the old page: the tab threw the new page away and went blank for good
    (the bench saw the follower miss every later step). Such a poll must be dropped, and the new page's
    own polls still run."""
    store_path = tmp_path / "rooms.sqlite"
    monkeypatch.setenv(rooms.ROOMS_ENV, str(store_path))  # the server and this test share the room
    store = rooms.SqliteRooms(store_path)
    store.move("t", HOME_PAGE, 1)
    with _streamlit_server(tmp_path / "server.log") as port:
        tab = _Tab(port)
        opened = tab.until(tab.rerun("follow=t"), "page", "poll", "finished")  # the follow link
        home = next(page for kind, page, _ in opened if kind == "page")
        poll = next(fragments[0] for kind, _, fragments in opened if kind == "poll")

        store.move("t", SCENES[0].page, 1)  # the lecturer's Next to the first scene
        start = tab.rerun("follow=t&step=1", home, poll)
        while not any(kind == "page" and page != home for kind, page, _ in tab.seen[start:]):
            tab.until(len(tab.seen), "page")  # the poll's run, the app's rerun on home, the switch
        scene = tab.seen[-1][1]
        switched = len(tab.seen)
        tab.rerun("follow=t&step=1", home, poll)  # sent before the tab heard of the switch
        arrived = tab.until(switched, "poll", "finished")
        scene_poll = next(fragments[0] for kind, _, fragments in arrived if kind == "poll")
        tab.until(tab.rerun("follow=t&step=1", scene, scene_poll), "run", "finished")  # the scene's poll

        fragment_runs = [(page, ids) for kind, page, ids in tab.seen[switched:] if kind == "run" and ids]
        assert (home, (poll,)) not in fragment_runs, f"the old page's poll ran on the scene: {fragment_runs}"
        assert fragment_runs == [(scene, (scene_poll,))], f"the scene's own poll runs: {fragment_runs}"
