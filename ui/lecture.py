"""Lecture mode in the page: the step bar (Previous / step k of n / Next, PageUp / PageDown and ← / →),
the step sections a page reveals one by one, predict-then-reveal, and the room (ui.room): the
projector and the speaker console driving each other, the students who follow, and their votes.

The step is in the URL (``?step=k``; none: the whole scene). The talk's walk and the step titles are
plain data in core.scenes.lecture; this module only draws them. A page marks what belongs to a later
step with ``with lecture.step(k):`` (inside a ``with`` block, or ``lecture.step(k).columns(…)``) or
``lecture.section(k)`` (at top level: everything after it, up to the next section, belongs to step k).
Content of a later step is still drawn — its widgets keep their values and URL bindings — but hidden
until the step is reached.

A room joins sessions: ``?room=NAME`` (the projector, and the console ``/console?room=NAME``) leads it,
every move is written to the room; ``?follow=NAME`` follows it. Each polls the room with a fragment
(``st.fragment(run_every=POLL_S)``) and, when the room moved since it last looked, reruns the app and
goes to the room's page and step (a poll the tab sent from the page it was just switched away from is
dropped: :class:`_StalePolls`). A follower may move a widget or a step on its own; the lecturer's
next step brings it back. Followers vote at the predict-then-reveal moments, one vote per session and
question; nothing they send moves the room or changes what the lecturer's pages compute.
"""

from __future__ import annotations

import time
import uuid
from contextvars import ContextVar

from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.scenes import lecture as plan
from ui import recorder
from ui import room as rooms
from ui.recorder import streamlit_recorded as st

# This run's step, step count, section counter and open section. A context variable, not session
# state: it lives for one script run in the session's script thread and holds a container.
RUN: ContextVar[dict | None] = ContextVar("lecture_run", default=None)
GO = "lecture_go"  # (page, step) of another page, asked by a button: switched at the next run's start
ARRIVE = "lecture_arrive"  # (page, step) the switch goes to, read by that page's bar
CARRIED = ("presenter", "seed", "room", "follow")  # what a page switch keeps in the URL
ROOM = "lecture_room"  # (kind, name) of the room this session leads ("lead") or follows ("follow")
SEEN = "lecture_room_seen"  # {room: the room's version this session last went to or wrote}
SESSION = "lecture_room_session"  # this session's id in the room (one vote per session and question)
HERE_AT = "lecture_room_here_at"  # when this follower last told the room it is there
POLL_S = 0.5  # how often a session asks its room whether the lecturer moved (a step shows within ~1 s)
HERE_EVERY_S = 5.0  # a follower reports itself at most this often (the room counts it for FOLLOWER_S)

# The clicker. Streamlit's shortcuts (PageDown on Next, PageUp on Previous) are ignored while the focus is
# in an input (a slider, a radio, a text box); this listener, first in the capture phase, takes those
# keys there instead: the widget loses the focus and never sees the key (a focused slider does not move),
# and the button is clicked. ← / → (clickers that send arrows) go the same way, except in text boxes,
# where they move the caret. Installed once per browser tab; it finds the buttons at each key press.
KEYS_SCRIPT = """<script>
(() => {
  if (window.__lectureClicker) return;
  window.__lectureClicker = true;
  const BUTTONS = {PageDown: "lecture_next", ArrowRight: "lecture_next",
                   PageUp: "lecture_previous", ArrowLeft: "lecture_previous"};
  const FIELDS = new Set(["INPUT", "TEXTAREA", "SELECT"]);
  const NOT_TEXT = new Set(["range", "radio", "checkbox", "button", "submit", "reset", "file", "color"]);
  const fieldOf = (event) => event.composedPath().find(
    (node) => node.tagName && (FIELDS.has(node.tagName) || node.isContentEditable));
  const editsText = (field) => field.tagName !== "INPUT" || !NOT_TEXT.has(field.type);
  window.addEventListener("keydown", (event) => {
    const name = BUTTONS[event.key];
    if (!name || event.ctrlKey || event.metaKey || event.altKey || event.shiftKey) return;
    const field = fieldOf(event), arrow = event.key.startsWith("Arrow");
    if (!field && !arrow) return;                     // Streamlit's own shortcut takes it
    if (field && arrow && editsText(field)) return;   // the caret moves
    const button = document.querySelector(`.st-key-${name} button`);
    if (!button || button.disabled) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    if (field) field.blur();
    button.click();
  }, true);
})();
</script>"""

# Later steps hidden; a step scrolled into view stops below Streamlit's header. The badge keeps the step
# counter in a corner of the screen once the bar at the top has scrolled away.
LECTURE_CSS = """<style>
[class*='st-key-lecture_hidden_'] { display: none !important; }
[class*='st-key-lecture_shown_'] { scroll-margin-top: 4.5rem; }
</style>"""


class _StalePolls:
    """Drops the poll a tab sent from a page its session has left (a session's ``request_rerun``).

    A ``run_every`` fragment's timer runs in the browser tab and each request names the page the tab
    shows. When the server switches the session to another page (``st.switch_page`` in a run: a
    follower going to the room's page, a lecturer's Next across pages), the tab goes on polling from
    the old page until it hears of the switch; on a busy server such a request arrives after the new
    page's run has started. Streamlit (1.67) then runs the fragment of that id, which the new page
    registered too (same function, same place in the bar), as a run of the old page: the tab clears the
    new page for it, the fragment's first element has nowhere to go and the tab stops with "Cannot set
    a node at a delta path" — blank, and deaf to every later step. Those requests are dropped here:
    the fragment they were sent for is no longer on the page shown, and the new page's fragment polls
    on its own."""

    def __init__(self, request_rerun):
        self.request_rerun = request_rerun  # the session's own method
        self.ctx = None  # the script run context of the session's latest run with a step bar or console
        self.leaving = None  # the page hash a switch is leaving, until the new page's run starts

    def stale(self, page_hash: str) -> bool:
        ctx = self.ctx
        if ctx is None or not page_hash:
            return False
        shown = ctx.page_script_hash  # set as a run starts, before the tab hears of it
        if self.leaving is not None:
            if shown == self.leaving:  # switch asked, its run not started: every poll is from the old page
                return True
            self.leaving = None
        return page_hash != shown

    def __call__(self, client_state=None) -> None:
        if (
            client_state is not None
            and client_state.fragment_id
            and self.stale(client_state.page_script_hash)
        ):
            return
        self.request_rerun(client_state)


def _stale_polls() -> _StalePolls | None:
    """This session's :class:`_StalePolls`, installed on its first run with a bar or the console (None
    without a server session, e.g. under AppTest)."""
    ctx = get_script_run_ctx()
    try:
        session = Runtime.instance().get_app_session(ctx.session_id) if ctx and Runtime.exists() else None
    except (AttributeError, RuntimeError):  # a Streamlit without these: polls as before
        return None
    if session is None:
        return None
    guard = session.request_rerun
    if not isinstance(guard, _StalePolls):
        guard = session.request_rerun = _StalePolls(guard)
    guard.ctx, guard.leaving = ctx, None
    return guard


def _switch(page: str, step: int) -> None:
    """Another page, at ``step``, asked in this run: polls from the page left are dropped from now on."""
    ctx = get_script_run_ctx()
    guard = _stale_polls()
    if guard is not None:
        guard.leaving = ctx.page_script_hash
    st.switch_page(page, query_params=_carried(step))


def _carried(step: int) -> dict[str, str]:
    kept = {name: st.query_params[name] for name in CARRIED if name in st.query_params}
    return {**kept, "step": str(step)}


def room() -> tuple[str | None, str | None, str | None]:
    """(kind, name, sentence) of this session's room: ("lead", name, …) for ``?room=NAME``, ("follow",
    name, …) for ``?follow=NAME``, (None, None, None) without either. A bad name gives the default
    room and one sentence; the URL then names the room used. A page switch that lost the parameter (the
    sidebar's navigation) gets it back from the session."""
    for kind, parameter in (("follow", "follow"), ("lead", "room")):
        if parameter in st.query_params:
            name, message = rooms.parse_room(st.query_params[parameter])
            if message is not None:
                st.query_params[parameter] = name
            st.session_state[ROOM] = (kind, name)
            return kind, name, message
    kind, name = st.session_state.get(ROOM, (None, None))
    if kind is not None:
        st.query_params["follow" if kind == "follow" else "room"] = name
    return kind, name, None


def _session() -> str:
    return st.session_state.setdefault(SESSION, uuid.uuid4().hex)


def _seen(name: str, version: int | None = None) -> int:
    """The room's version this session last went to (and, given ``version``, remember it)."""
    seen = st.session_state.setdefault(SEEN, {})
    if version is not None:
        seen[name] = max(version, seen.get(name, 0))
    return seen.get(name, 0)


def _here(name: str) -> None:
    """A follower tells the room it is there, at most every HERE_EVERY_S seconds."""
    now = time.monotonic()
    if now - st.session_state.get(HERE_AT, -HERE_EVERY_S) >= HERE_EVERY_S:
        st.session_state[HERE_AT] = now
        rooms.store().here(name, _session())


def _move(name: str, stop: tuple[str, int] | None) -> None:
    """The lecturer (projector or console) moves the room to ``stop``."""
    if stop is not None and stop[0] in plan.pages():
        _seen(name, rooms.store().move(name, stop[0], stop[1]).version)


def _go_to_room(page: str, name: str) -> rooms.Position | None:
    """The room's position; when it moved since this session last looked, go there (another page:
    switch to it; this page: its step in the URL)."""
    position = rooms.store().position(name)
    if position is None or position.version <= _seen(name):
        return position
    _seen(name, position.version)
    if position.page not in plan.pages():  # not a page of this app's walk: a store shared by another app
        return None
    if position.page != page:
        st.session_state[ARRIVE] = (position.page, position.step)
        _switch(position.page, position.step)
    st.query_params["step"] = str(position.step)
    return position


@st.fragment(run_every=POLL_S)
def _watch(kind: str, name: str) -> None:
    """Polls the room: the whole app reruns (and goes to the room's step) once the lecturer moved."""
    if kind == "follow":
        _here(name)
    position = rooms.store().position(name)
    if position is not None and position.version > _seen(name):
        st.rerun(scope="app")


def follow_link(name: str) -> str:
    """The link students open to follow room ``name``, on the address they can reach (ui.room)."""
    return rooms.follow_link(
        name,
        st.get_option("server.address"),
        int(st.get_option("server.port")),
        st.get_option("server.baseUrlPath") or "",
    )


def follow_box(name: str) -> None:
    """The follow link and its QR code, in the projector's lower right corner (the home page)."""
    link = follow_link(name)
    st.html(
        '<div class="lecture-follow" style="position: fixed; right: 1.5rem; bottom: 3.5rem; z-index: 1000; '
        "padding: 0.6rem; border-radius: 0.5rem; background: white; color: black; text-align: center; "
        f'box-shadow: 0 0 0.4rem rgba(0, 0, 0, 0.4); font-size: 1rem;">{rooms.qr_html(link)}'
        f'<div>Follow and vote:</div><div style="font-weight: bold;">{link}</div></div>'
    )


def _go(page: str, stop: tuple[str, int], name: str | None = None) -> None:
    """Button callback: another step of this page (the URL's step), or another page (next run); a
    lecturer's room (``name``) moves with it."""
    if name is not None:
        _move(name, stop)
    if stop[0] == page:
        st.query_params["step"] = str(stop[1])
    else:
        st.session_state[GO] = stop


def bar(page: str) -> int:
    """The step bar at the top of ``page`` (a file of core.scenes.lecture.pages()); returns the step
    shown. A bad ``?step=`` gives one sentence and the page shows the step it used."""
    _stale_polls()
    stop = st.session_state.pop(GO, None)
    if stop is not None and stop[0] != page:
        st.session_state[ARRIVE] = stop
        _switch(stop[0], stop[1])
    arrival = st.session_state.pop(ARRIVE, None) or stop  # (a test harness may rerun the target page itself)
    if arrival is not None and arrival[0] == page:  # the step asked for, whatever the switch kept of the URL
        st.query_params["step"] = str(arrival[1])
    kind, name, room_message = room()
    position = _go_to_room(page, name) if kind is not None else None
    titles = plan.steps_of(page)
    step, message = plan.parse_step(st.query_params.get("step"), len(titles))
    if message is not None:
        st.query_params["step"] = str(step)  # the link now says what is shown
    if kind == "lead" and (position is None or (position.page, position.step) != (page, step)):
        _move(name, (page, step))  # the projector opened here, or the sidebar brought it: the room follows
    lead = name if kind == "lead" else None
    RUN.set({"step": step, "count": len(titles), "sections": 0, "open": None})
    back, ahead = plan.previous_stop(page, step), plan.next_stop(page, step)
    with st.container(key="lecture_bar"):
        previous, counter, following = st.columns([2, 5, 2], vertical_alignment="center")
        previous.button(
            "Previous",
            key="lecture_previous",
            shortcut="PageUp",
            icon=":material/arrow_back:",
            disabled=back is None,
            on_click=_go,
            args=(page, back, lead),
            width="stretch",
            help="Previous step (PageUp, or ← on a clicker).",
        )
        following.button(
            "Next",
            key="lecture_next",
            shortcut="PageDown",
            icon=":material/arrow_forward:",
            disabled=ahead is None,
            on_click=_go,
            args=(page, ahead, lead),
            width="stretch",
            type="primary",
            help="Next step; after the last one, the next scene (PageDown, or → on a clicker).",
        )
        counter.markdown(f"**step {step} / {len(titles)}** · {titles[step - 1]}")
        if kind is not None:
            _watch(kind, name)
    st.html(KEYS_SCRIPT, unsafe_allow_javascript=True)
    st.html(LECTURE_CSS)
    st.html(
        f'<div class="lecture-badge" style="position: fixed; right: 1.5rem; bottom: 1rem; z-index: 1000; '
        f"padding: 0.2rem 0.8rem; border-radius: 0.5rem; background: rgba(40, 40, 40, 0.75); color: white; "
        f'font-size: 1.2rem;">step {step} / {len(titles)}</div>'
    )
    if message is not None:
        st.warning(message)
    if room_message is not None:
        st.warning(room_message)
    if kind == "follow":
        _here(name)
        if position is None:
            st.info(f"Room {name!r} has not started yet: this page goes to the lecturer's step once it does.")
        else:
            st.caption(
                f"Following room {name!r}: explore freely, the lecturer's next step brings you back "
                f"({follow_link(name)})."
            )
    if kind == "lead" and page == plan.pages()[0]:
        follow_box(name)
    if "step" in st.query_params and step > 1:  # one step per screen: bring the new step into view
        st.html(
            f"""<script>/* {page} step {step} */ setTimeout(() => {{
  const shown = document.querySelector("[class*='st-key-lecture_shown_{step}_']");
  if (shown) shown.scrollIntoView({{block: "start", behavior: "smooth"}});
}}, 400);</script>""",
            unsafe_allow_javascript=True,
        )
    return step


def current() -> int:
    """The step this run shows (every step when the page drew no bar)."""
    run = RUN.get()
    return run["step"] if run else plan.MAX_STEPS


def step(number: int):
    """A container for what step ``number`` reveals: shown from that step on, hidden (but drawn) before."""
    run = RUN.get()
    if run is None:
        run = {"step": plan.MAX_STEPS, "count": plan.MAX_STEPS, "sections": 0, "open": None}
        RUN.set(run)
    run["sections"] += 1
    state = "shown" if run["step"] >= number else "hidden"
    container = st.container(key=f"lecture_{state}_{number}_{run['sections']}")
    recorder.step_opened(container, number)
    return container


def section(number: int) -> None:
    """From here to the next section (or the end of the page), top-level content belongs to step
    ``number``. Call it at top level only, never inside a ``with`` block."""
    run = RUN.get()
    if run is not None and run["open"] is not None:
        run["open"].__exit__(None, None, None)
    container = step(number)
    container.__enter__()
    RUN.get()["open"] = container


def _share(counts: tuple[int, ...], k: int) -> str:
    total = sum(counts)
    return f"{counts[k]} ({100 * counts[k] / total:.0f} %)" if total else "0"


def distribution(prediction: plan.Prediction, counts: tuple[int, ...]) -> str:
    """The room's votes as Markdown: one line per choice with its count, share and a bar."""
    total = sum(counts)
    lines = [f"**The room's votes: {total}**"]
    for k, choice in enumerate(prediction.choices):
        bar = "█" * round(20 * counts[k] / total) if total else ""
        lines.append(f"- {choice}: **{_share(counts, k)}** {bar}")
    return "\n".join(lines)


@st.fragment(run_every=POLL_S)
def _tally(name: str, key: str, prediction: plan.Prediction) -> None:
    """The live count of the room's votes on the projector."""
    counts = rooms.store().votes(name, key, len(prediction.choices))
    st.markdown(distribution(prediction, counts))
    st.caption(f"Vote at {follow_link(name)}")


def _voted(key: str) -> str:
    return f"{key}_room_vote"


def _cast(name: str, key: str, choices: int) -> None:
    """A follower's radio callback: the first choice is the session's vote."""
    choice = st.session_state.get(key)
    if choice is not None and rooms.store().vote(name, key, _session(), choice, choices):
        st.session_state[_voted(key)] = choice


def predict(prediction: plan.Prediction, *, key: str) -> int | None:
    """The question, and the room's answer. Alone (no room): the room's guess among its choices, picked
    by the lecturer (none until someone picks). A lecturer's room: the live count of the followers'
    votes. A follower: a vote, one per session (returned; None before it)."""
    st.markdown(f"**{prediction.question}**")
    kind, name, _ = room()
    if kind == "lead":
        _tally(name, key, prediction)
        return None
    if kind == "follow":
        voted = st.session_state.get(_voted(key))
        choice = st.radio(
            "Your vote (one per person)",
            range(len(prediction.choices)),
            index=voted,
            key=key,
            horizontal=True,
            format_func=prediction.choices.__getitem__,
            disabled=voted is not None,
            on_change=_cast,
            args=(name, key, len(prediction.choices)),
        )
        if voted is not None:
            st.caption(f"Your vote is in: {prediction.choices[voted]}.")
        return choice
    return st.radio(
        "The room's guess",
        range(len(prediction.choices)),
        index=None,
        key=key,
        horizontal=True,
        format_func=prediction.choices.__getitem__,
    )


def _confirmed(prediction: plan.Prediction, verdict: plan.Verdict) -> str:
    return (
        " · ".join(c for c, right in zip(prediction.choices, verdict.correct) if right)
        or "none of the choices"
    )


def reveal(prediction: plan.Prediction, verdict: plan.Verdict, *, key: str, at: int) -> None:
    """From step ``at`` on: the computed answer beside the room's answer (nothing is drawn before):
    alone, the lecturer's pick; with a room, the distribution of the followers' votes (judged by its
    most voted choice)."""
    if current() < at:
        return
    kind, name, _ = room()
    if kind is None:
        guess = st.session_state.get(key)
        guessed = "no guess" if guess is None else prediction.choices[guess]
        text = (
            f"**The room guessed:** {guessed} — **the computation says:** {_confirmed(prediction, verdict)}. "
            f"{verdict.answer}"
        )
        with step(at):  # a step container, so the reveal is what the step scrolls into view
            _judged(text, None if guess is None else verdict.correct[guess])
        return
    counts = rooms.store().votes(name, key, len(prediction.choices))
    top = [k for k, count in enumerate(counts) if count == max(counts) and count > 0]
    shares = " · ".join(f"{choice} {_share(counts, k)}" for k, choice in enumerate(prediction.choices))
    text = (
        f"**The room voted** ({sum(counts)} votes: {shares}) — **the computation says:** "
        f"{_confirmed(prediction, verdict)}. {verdict.answer}"
    )
    voted = st.session_state.get(_voted(key))
    if kind == "follow" and voted is not None:
        text += f" Your vote: {prediction.choices[voted]}."
    with step(at):
        votes, answer = st.columns([2, 3])
        votes.markdown(distribution(prediction, counts))
        with answer:
            _judged(text, verdict.correct[top[0]] if len(top) == 1 else None)


def _judged(text: str, right: bool | None) -> None:
    """``text`` green when the answer judged was right, red when wrong, neutral when there was none."""
    if right is None:
        st.info(text)
    elif right:
        st.success(text)
    else:
        st.error(text)


def _elapsed(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


def _step(name: str, forward: bool) -> None:
    """The console's Previous / Next: from wherever the room is when the key is pressed (the home
    page's first step when it has not started)."""
    position = rooms.store().position(name)
    if position is None or position.page not in plan.pages():
        _move(name, (plan.pages()[0], 1))
        return
    page = position.page
    at = min(max(position.step, 1), len(plan.steps_of(page)))
    _move(name, plan.next_stop(page, at) if forward else plan.previous_stop(page, at))


@st.fragment(run_every=POLL_S)
def _console_panel(name: str) -> None:
    """The console's live part, redrawn every POLL_S seconds, so the projector's keys show here: the
    step, the elapsed time, the followers, the next step, the notes and the scene's steps."""
    store = rooms.store()
    position = store.position(name)
    if position is None or position.page not in plan.pages():
        st.markdown("**not started**")
        st.info(
            f"The projector has not opened room {name!r} yet: open /?presenter=1&room={name} there, "
            "or press Next here to start at the home page."
        )
        return
    page = position.page
    titles = plan.steps_of(page)
    at = min(max(position.step, 1), len(titles))
    ahead = plan.next_stop(page, at)
    with st.container(key="console_now"):
        st.markdown(f"**{plan.title_of(page)} · step {at} / {len(titles)}** · {titles[at - 1]}")
    clock, followers, upcoming = st.columns([1, 1, 3])
    clock.metric("Elapsed", _elapsed(time.time() - position.started))
    followers.metric("Following", store.followers(name))
    if ahead is None:
        upcoming.markdown("**Next:** the end of the talk")
    else:
        crossing = "" if ahead[0] == page else f"{plan.title_of(ahead[0])} — "
        upcoming.markdown(f"**Next:** {crossing}{plan.steps_of(ahead[0])[ahead[1] - 1]}")
    notes, steps = st.columns([3, 2])
    with notes.container(key="console_notes"):
        st.markdown(plan.notes_of(page, at))
    with steps.container(key="console_steps"):
        st.markdown("**Jump to a step**")
        for k, title in enumerate(titles, start=1):
            st.button(
                f"{k}. {title}",
                key=f"console_step_{k}",
                on_click=_move,
                args=(name, (page, k)),
                type="primary" if k == at else "secondary",
                width="stretch",
            )


def console() -> None:
    """The speaker console of ``?room=NAME`` (the default room without one): the current step's notes,
    the next step, the elapsed time, how many follow, the step list; Previous / Next (PageUp /
    PageDown) move the projector, and the projector's keys show here within about a second. The keys
    and the page list sit outside the polled part, so a press is never lost to a poll's redraw."""
    _stale_polls()
    if "room" not in st.query_params and "follow" not in st.query_params:
        st.query_params["room"] = rooms.DEFAULT_ROOM
    if "follow" in st.query_params:  # the console leads its room
        st.query_params["room"] = st.query_params["follow"]
        del st.query_params["follow"]
    kind, name, message = room()
    st.title(f"Speaker console · room {name}")
    if message is not None:
        st.warning(message)
    st.caption(
        f"The projector shows /?presenter=1&room={name}; the room follows at {follow_link(name)}. "
        "PageDown / PageUp here move the projector."
    )
    with st.container(key="console_bar"):
        previous, following = st.columns(2)
        previous.button(
            "Previous",
            key="console_previous",
            shortcut="PageUp",
            icon=":material/arrow_back:",
            on_click=_step,
            args=(name, False),
            width="stretch",
            help="The projector's previous step (PageUp).",
        )
        following.button(
            "Next",
            key="console_next",
            shortcut="PageDown",
            icon=":material/arrow_forward:",
            on_click=_step,
            args=(name, True),
            width="stretch",
            type="primary",
            help="The projector's next step (PageDown).",
        )
    _console_panel(name)
    with st.expander("Jump to another page"):
        for number, other in enumerate(plan.pages()):
            st.button(
                plan.title_of(other),
                key=f"console_page_{number}",
                on_click=_move,
                args=(name, (other, 1)),
                width="stretch",
            )
    if st.button("Restart the clock", key="console_clock"):
        rooms.store().restart_clock(name)
    with st.expander("The follow link and its QR code"):
        st.html(rooms.qr_html(follow_link(name)))
        st.code(follow_link(name), language=None)
