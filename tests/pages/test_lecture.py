"""Lecture mode through the whole app (AppTest): each scene's steps advance, go back and lead to the next
page; a page reveals only the steps its ``?step=`` allows; a bad step gives one sentence; the room's
guess is judged against the computed answer. And the rule that drops a tab's poll from a page its
session has left (the real server's case: tests/browser/test_room_browser.py)."""

import re
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from core.scenes import decision_distribution
from core.scenes import lecture as plan
from core.scenes.registry import HOME_PAGE, REFERENCES_PAGE, SCENES
from tests.pages.conftest import APP
from ui import lecture

STEP_BLOCK = re.compile(r"lecture_(shown|hidden)_(\d+)_\d+$")
# Scenes whose step 2 is the computed answer to the room's guess: drawn only from that step on.
REVEALED_AT_2 = {"p03_cat_to_dog", "p06_adversarial_training", "p08_decision_distribution"}


def _open(page: str, step: int | str | None) -> AppTest:
    """The app opened on ``page`` with ``?step=step`` (none: no step in the link)."""
    at = AppTest.from_file(APP, default_timeout=600)
    if step is not None:
        at.query_params["step"] = str(step)
    if page != HOME_PAGE:
        at.switch_page(page)  # a link opened on this page
    at.run()
    assert not at.exception
    return at


def _counter(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**step "))


def _steps(at: AppTest) -> dict[str, set[int]]:
    """The step numbers of the page's step containers, by state ("shown" / "hidden")."""
    found = {"shown": set(), "hidden": set()}

    def walk(node):
        match = STEP_BLOCK.search(getattr(getattr(node, "proto", None), "id", "") or "")
        if match and type(node).__name__ == "Block":
            found[match.group(1)].add(int(match.group(2)))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    return found


def _click(at: AppTest, key: str) -> None:
    at.button(key=key).click().run()
    assert not at.exception


def _at_step(at: AppTest, step: int, count: int) -> None:
    assert _counter(at).startswith(f"**step {step} / {count}**")
    steps = _steps(at)
    assert steps["hidden"] <= set(range(step + 1, count + 1)), "only later steps are hidden"
    assert all(n <= step for n in steps["shown"]), "no later step is shown"


@pytest.mark.parametrize("entry", SCENES, ids=lambda s: s.url_path)
def test_a_scenes_steps_advance_go_back_and_lead_to_the_next_page(entry):
    count = len(plan.steps_of(entry.page))
    at = _open(entry.page, 1)
    _at_step(at, 1, count)
    answered = entry.url_path in REVEALED_AT_2
    assert _steps(at)["hidden"] == set(range(2 + answered, count + 1)), "every later step reveals something"
    assert not _reveals(at)
    _click(at, "lecture_next")
    _at_step(at, 2, count)
    assert len(_reveals(at)) == answered
    _click(at, "lecture_previous")
    _at_step(at, 1, count)

    at.query_params["step"] = str(count)
    at.run()
    _at_step(at, count, count)
    _click(at, "lecture_next")  # after the last step: the next page, first step
    following = plan.pages()[plan.pages().index(entry.page) + 1]
    _at_step(at, 1, len(plan.steps_of(following)))
    assert at.query_params["step"] in ("1", ["1"])
    _click(at, "lecture_previous")  # and back to this scene's last step
    _at_step(at, count, count)
    assert at.title[0].value == entry.title


def test_home_leads_to_scene_one_and_the_references_back_to_the_last_scene():
    at = _open(HOME_PAGE, None)
    assert at.button(key="lecture_previous").disabled
    _click(at, "lecture_next")
    assert at.title[0].value == SCENES[0].title
    _at_step(at, 1, len(plan.steps_of(SCENES[0].page)))
    _click(at, "lecture_previous")
    assert _counter(at).startswith("**step 1 / 1**") and not at.button(key="lecture_next").disabled

    at = _open(REFERENCES_PAGE, None)
    assert at.button(key="lecture_next").disabled, "the references end the talk"
    _click(at, "lecture_previous")
    last = SCENES[-1]
    assert at.title[0].value == last.title
    _at_step(at, len(plan.steps_of(last.page)), len(plan.steps_of(last.page)))


@pytest.mark.parametrize("raw, says", [("abc", "not a whole number"), ("99", "outside"), ("0", "outside")])
def test_a_bad_step_in_the_link_gives_one_sentence_and_the_page_shows_the_step_it_used(raw, says):
    page = "app_pages/p05_geometry.py"
    count = len(plan.steps_of(page))
    at = _open(page, raw)
    warnings = [w.value for w in at.warning if "step" in w.value]
    assert len(warnings) == 1 and says in warnings[0] and warnings[0].endswith(".")
    shown = 1 if raw == "0" else count
    _at_step(at, shown, count)
    assert at.query_params["step"] in (str(shown), [str(shown)])  # the link now says what is shown


def test_without_a_step_the_whole_scene_is_shown():
    page = "app_pages/p05_geometry.py"
    count = len(plan.steps_of(page))
    _at_step(_open(page, None), count, count)


def _reveals(at: AppTest) -> list:
    return [a for a in (*at.success, *at.error, *at.info) if "The room guessed" in a.value]


@pytest.mark.parametrize("guess", [0, 1])
def test_the_rooms_guess_is_judged_against_the_computed_answer(guess):
    at = _open("app_pages/p08_decision_distribution.py", 1)
    assert not _reveals(at), "the question step does not give the answer away"
    at.radio(key="p08_guess").set_value(guess).run()
    assert not _reveals(at)
    _click(at, "lecture_next")
    shown = _reveals(at)
    assert len(shown) == 1
    # The same computation as the page's defaults, straight from core.
    verdict = decision_distribution.verdict(
        decision_distribution.toy_scene(seed=0), decision_distribution.TOY_CLASSES
    )
    assert (shown[0] in at.success) == verdict.correct[guess]
    assert (shown[0] in at.error) == (not verdict.correct[guess])
    assert decision_distribution.PREDICTION.choices[guess] in shown[0].value


def test_a_poll_from_a_page_the_session_has_left_is_dropped_and_other_requests_pass():
    passed = []
    guard = lecture._StalePolls(passed.append)
    run = SimpleNamespace(page_script_hash="home")
    guard.ctx = run

    def poll(page: str, fragment: str = "f") -> SimpleNamespace:
        return SimpleNamespace(fragment_id=fragment, page_script_hash=page)

    guard(poll("home"))
    assert len(passed) == 1, "a poll from the page shown runs"
    guard.leaving = "home"  # the run asked st.switch_page; the new page's run has not started
    guard(poll("home"))
    guard(poll("scene"))
    assert len(passed) == 1, "no poll runs while the switch is under way: each is from the page left"
    full = poll("home", fragment="")  # a click or a page switch by the tab: the whole app reruns
    guard(full)
    guard(None)
    assert passed[1:] == [full, None], "what is not a fragment's poll always passes"
    run.page_script_hash = "scene"  # the new page's run started
    guard(poll("home"))
    assert len(passed) == 3 and guard.leaving is None, "the old page's poll, sent late, is dropped"
    guard(poll("scene"))
    assert len(passed) == 4, "the new page's own poll runs"
