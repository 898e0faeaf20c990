"""Lecture mode in the page: the step bar (Previous / step k of n / Next, PageUp / PageDown and ← / →),
the step sections a page reveals one by one, and predict-then-reveal.

The step is in the URL (``?step=k``; none: the whole scene). The talk's walk and the step titles are
plain data in core.scenes.lecture; this module only draws them. A page marks what belongs to a later
step with ``with lecture.step(k):`` (inside a ``with`` block, or ``lecture.step(k).columns(…)``) or
``lecture.section(k)`` (at top level: everything after it, up to the next section, belongs to step k).
Content of a later step is still drawn — its widgets keep their values and URL bindings — but hidden
until the step is reached.
"""

from __future__ import annotations

from contextvars import ContextVar

import streamlit as st

from core.scenes import lecture as plan

# This run's step, step count, section counter and open section. A context variable, not session
# state: it lives for one script run in the session's script thread and holds a container.
RUN: ContextVar[dict | None] = ContextVar("lecture_run", default=None)
GO = "lecture_go"  # (page, step) of another page, asked by a button: switched at the next run's start
ARRIVE = "lecture_arrive"  # (page, step) the switch goes to, read by that page's bar
CARRIED = ("presenter", "seed")  # what a page switch keeps in the URL

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


def _carried(step: int) -> dict[str, str]:
    kept = {name: st.query_params[name] for name in CARRIED if name in st.query_params}
    return {**kept, "step": str(step)}


def _go(page: str, stop: tuple[str, int]) -> None:
    """Button callback: another step of this page (the URL's step), or another page (next run)."""
    if stop[0] == page:
        st.query_params["step"] = str(stop[1])
    else:
        st.session_state[GO] = stop


def bar(page: str) -> int:
    """The step bar at the top of ``page`` (a file of core.scenes.lecture.pages()); returns the step
    shown. A bad ``?step=`` gives one sentence and the page shows the step it used."""
    stop = st.session_state.pop(GO, None)
    if stop is not None and stop[0] != page:
        st.session_state[ARRIVE] = stop
        st.switch_page(stop[0], query_params=_carried(stop[1]))
    arrival = st.session_state.pop(ARRIVE, None) or stop  # (a test harness may rerun the target page itself)
    if arrival is not None and arrival[0] == page:  # the step asked for, whatever the switch kept of the URL
        st.query_params["step"] = str(arrival[1])
    titles = plan.steps_of(page)
    step, message = plan.parse_step(st.query_params.get("step"), len(titles))
    if message is not None:
        st.query_params["step"] = str(step)  # the link now says what is shown
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
            args=(page, back),
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
            args=(page, ahead),
            width="stretch",
            type="primary",
            help="Next step; after the last one, the next scene (PageDown, or → on a clicker).",
        )
        counter.markdown(f"**step {step} / {len(titles)}** · {titles[step - 1]}")
    st.html(KEYS_SCRIPT, unsafe_allow_javascript=True)
    st.html(LECTURE_CSS)
    st.html(
        f'<div class="lecture-badge" style="position: fixed; right: 1.5rem; bottom: 1rem; z-index: 1000; '
        f"padding: 0.2rem 0.8rem; border-radius: 0.5rem; background: rgba(40, 40, 40, 0.75); color: white; "
        f'font-size: 1.2rem;">step {step} / {len(titles)}</div>'
    )
    if message is not None:
        st.warning(message)
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
    return st.container(key=f"lecture_{state}_{number}_{run['sections']}")


def section(number: int) -> None:
    """From here to the next section (or the end of the page), top-level content belongs to step
    ``number``. Call it at top level only, never inside a ``with`` block."""
    run = RUN.get()
    if run is not None and run["open"] is not None:
        run["open"].__exit__(None, None, None)
    container = step(number)
    container.__enter__()
    RUN.get()["open"] = container


def predict(prediction: plan.Prediction, *, key: str) -> int | None:
    """The question, and the room's guess among its choices (none until someone picks)."""
    st.markdown(f"**{prediction.question}**")
    return st.radio(
        "The room's guess",
        range(len(prediction.choices)),
        index=None,
        key=key,
        horizontal=True,
        format_func=prediction.choices.__getitem__,
    )


def reveal(prediction: plan.Prediction, verdict: plan.Verdict, *, key: str, at: int) -> None:
    """From step ``at`` on: the computed answer beside the room's guess (nothing is drawn before)."""
    if current() < at:
        return
    guess = st.session_state.get(key)
    confirmed = (
        " · ".join(c for c, right in zip(prediction.choices, verdict.correct) if right)
        or "none of the choices"
    )
    guessed = "no guess" if guess is None else prediction.choices[guess]
    text = f"**The room guessed:** {guessed} — **the computation says:** {confirmed}. {verdict.answer}"
    with step(at):  # a step container, so the reveal is what the step scrolls into view
        if guess is None:
            st.info(text)
        elif verdict.correct[guess]:
            st.success(text)
        else:
            st.error(text)
