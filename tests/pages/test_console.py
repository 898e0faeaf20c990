"""The room through the whole app (AppTest, sessions of one process share the in-process room store):
the speaker console and the projector drive each other; a follower follows, explores and is brought
back; followers vote once each and the projector counts them; a bad room name is one sentence."""

import itertools

from streamlit.testing.v1 import AppTest

from core.scenes import decision_distribution
from core.scenes import lecture as plan
from core.scenes.registry import CONSOLE_PAGE, HOME_PAGE, SCENES
from tests.pages.conftest import APP
from ui import room as rooms
from ui.lecture import SESSION

P08 = "app_pages/p08_decision_distribution.py"
_names = itertools.count()


def _room() -> str:
    """A room of its own for each test (the store lives as long as the test process)."""
    return f"test-{next(_names)}"


def _at(name: str) -> tuple[str, int] | None:
    """The room's (page, step)."""
    position = rooms.store().position(name)
    return None if position is None else (position.page, position.step)


def _session(page: str = HOME_PAGE, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=600)
    for name, value in params.items():
        at.query_params[name] = value
    if page != HOME_PAGE:
        at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def _rerun(at: AppTest) -> AppTest:
    """The session's next run: what its poll does once the room moved."""
    at.run()
    assert not at.exception, at.exception
    return at


def _where(at: AppTest) -> tuple[str, int]:
    """(title, step) a talk page shows."""
    counter = next(m.value for m in at.markdown if m.value.startswith("**step "))
    return at.title[0].value, int(counter.split()[1])


def _console_counter(at: AppTest) -> str:
    return next(m.value for m in at.markdown if " · step " in m.value and m.value.startswith("**"))


def _click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


def test_the_console_and_the_projector_drive_each_other():
    name = _room()
    projector = _session(presenter="1", room=name)
    assert _at(name) == (HOME_PAGE, 1), "the projector opens the room where it is"
    console = _session(CONSOLE_PAGE, room=name)
    assert console.title[0].value == f"Speaker console · room {name}"
    assert _console_counter(console).startswith(f"**{plan.HOME_STEPS[0]} · step 1 / 1**")

    _click(console, "console_next")  # the console's PageDown: the projector goes to scene 1, step 1
    first = SCENES[0]
    assert _where(_rerun(projector)) == (first.title, 1)
    assert projector.query_params["room"] in (name, [name]), "a page switch keeps the room in the URL"
    assert projector.query_params["presenter"] in ("1", ["1"])

    _click(projector, "lecture_next")  # the projector's PageDown: the console shows step 2 with its notes
    _rerun(console)
    titles = plan.steps_of(first.page)
    assert _console_counter(console).startswith(f"**{first.title} · step 2 / {len(titles)}**")
    assert any(m.value.startswith(f"**Step 2 / {len(titles)}: {titles[1]}") for m in console.markdown)
    assert any(m.value == f"**Next:** {titles[2]}" for m in console.markdown)
    assert [m.label for m in console.metric] == ["Elapsed", "Following"]

    _click(console, "console_step_1")  # the step list: a jump back
    assert _where(_rerun(projector)) == (first.title, 1)
    _click(console, "console_previous")  # back across the page boundary, to the home page
    _rerun(projector)
    assert projector.title[0].value != first.title and _where(projector)[1] == 1
    assert _at(name) == (HOME_PAGE, 1)


def test_a_follower_follows_explores_and_the_next_step_brings_it_back():
    name = _room()
    follower = _session(follow=name)
    assert any("has not started yet" in i.value for i in follower.info)
    projector = _session(presenter="1", room=name)
    _click(projector, "lecture_next")
    first = SCENES[0]
    assert _where(_rerun(follower)) == (first.title, 1)
    assert follower.query_params["follow"] in (name, [name])
    assert any(f"Following room {name!r}" in c.value for c in follower.caption)

    before = rooms.store().position(name)
    _click(follower, "lecture_next")  # the follower explores on its own…
    assert _where(follower) == (first.title, 2)
    assert rooms.store().position(name) == before, "…and the room does not move"
    assert _where(_rerun(projector)) == (first.title, 1), "nor does the lecturer's screen"

    _click(projector, "lecture_next")  # the lecturer's next step brings it back, in step
    _click(projector, "lecture_next")
    assert _where(_rerun(follower)) == _where(projector) == (first.title, 3)

    console = _session(CONSOLE_PAGE, room=name)
    assert next(m.value for m in console.metric if m.label == "Following") == "1"


def _tally(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**The room's votes:"))


def test_followers_vote_once_each_the_projector_counts_and_the_reveal_shows_the_room():
    name = _room()
    projector = _session(P08, presenter="1", room=name, step="1")
    assert not [r for r in projector.radio if r.key == "p08_guess"], "the lecturer no longer types a guess"
    assert _tally(projector).startswith("**The room's votes: 0**")
    choices = decision_distribution.PREDICTION.choices
    followers = [_rerun(_session(follow=name)) for _ in range(3)]
    for follower, choice in zip(followers, (0, 1, 1)):
        assert _where(follower)[1] == 1
        ballot = follower.radio(key="p08_guess")
        assert ballot.label == "Your vote (one per person)" and not ballot.disabled
        ballot.set_value(choice).run()
        assert not follower.exception
        assert follower.radio(key="p08_guess").disabled, "one vote per session"
        assert any(c.value == f"Your vote is in: {choices[choice]}." for c in follower.caption)
    assert not rooms.store().vote(name, "p08_guess", followers[0].session_state[SESSION], 1, 2)
    assert rooms.store().votes(name, "p08_guess", 2) == (1, 2)

    _rerun(projector)
    assert _tally(projector).startswith("**The room's votes: 3**")
    assert f"- {choices[1]}: **2 (67 %)**" in _tally(projector)
    assert _at(name) == (P08, 1), "votes do not move the room"

    _click(projector, "lecture_next")  # the reveal: the room's distribution beside the computed answer
    verdict = decision_distribution.verdict(
        decision_distribution.toy_scene(seed=0), decision_distribution.TOY_CLASSES
    )
    shown = [a for a in (*projector.success, *projector.error) if "The room voted" in a.value]
    assert len(shown) == 1 and "3 votes" in shown[0].value
    assert (shown[0] in projector.success) == verdict.correct[1], "judged by the most voted choice"
    assert verdict.answer in shown[0].value, "the computed answer is the lecturer's own"
    follower = _rerun(followers[0])
    assert any(f"Your vote: {choices[0]}." in a.value for a in (*follower.success, *follower.error))


def test_a_bad_room_name_is_one_sentence_and_the_default_room():
    for page, parameter in ((HOME_PAGE, "room"), (HOME_PAGE, "follow"), (CONSOLE_PAGE, "room")):
        at = _session(page, **{parameter: "no spaces please"})
        said = [w.value for w in at.warning if "room name" in w.value]
        assert len(said) == 1 and said[0].endswith(f"the default room {rooms.DEFAULT_ROOM!r} is used.")
        assert at.query_params[parameter] in (rooms.DEFAULT_ROOM, [rooms.DEFAULT_ROOM])


def test_the_console_of_a_room_not_started_waits_and_its_next_starts_the_talk():
    name = _room()
    console = _session(CONSOLE_PAGE, room=name)
    assert any("has not opened room" in i.value for i in console.info)
    _click(console, "console_next")
    assert _at(name) == (HOME_PAGE, 1)
    assert _console_counter(console).startswith(f"**{plan.HOME_STEPS[0]} · step 1 / 1**")


def test_the_projector_shows_the_follow_link_and_its_qr_code_on_the_home_page():
    name = _room()
    projector = _session(presenter="1", room=name)
    box = [h for h in projector.get("html") if "lecture-follow" in h.proto.body]
    assert len(box) == 1
    assert f"?follow={name}" in box[0].proto.body and "data:image/svg+xml" in box[0].proto.body
    assert not [h for h in _session().get("html") if "lecture-follow" in h.proto.body], "alone: no room"
