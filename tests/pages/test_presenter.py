"""Presenter mode (ui.layout): the scene's explanation becomes speaker notes behind a collapsed expander,
and so does a step's long text (layout.aside); the page gets the slide styles and the figure-fitting
script; the self-study view keeps the whole text.
(That every step then fits the screen is measured in the browser: tests/browser/test_slides_browser.py.)"""

from streamlit.testing.v1 import AppTest

from core.scenes import geometry, take_home
from tests.pages.conftest import APP
from ui import layout

P05 = "app_pages/p05_geometry.py"
P11 = "app_pages/p11_take_home.py"


def _open(presenter: bool, page: str = P05) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    if presenter:
        at.query_params["presenter"] = "1"
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _notes(at: AppTest):
    return [e for e in at.expander if e.label == "Speaker notes"]


def _is_explanation(markdown) -> bool:
    return markdown.value.strip() == geometry.EXPLANATION.strip()


def test_presenter_mode_puts_the_explanation_in_collapsed_speaker_notes():
    at = _open(presenter=True)
    notes = _notes(at)
    assert len(notes) == 1 and not notes[0].proto.expanded
    assert any(_is_explanation(m) for m in notes[0].markdown)
    assert any(c.value.startswith("**Model & data:**") for c in notes[0].caption)
    outside = [m for m in at.main.markdown if _is_explanation(m)]
    assert len(outside) == 1, "drawn once: inside the notes"
    html = " ".join(h.proto.body for h in at.get("html"))
    assert '<span class="presenter-fit-on"' in html and "font-size: 1.4rem" in html
    assert "window.__presenterFit" in html


def test_the_self_study_view_keeps_the_whole_text_and_no_slide_styles():
    at = _open(presenter=False)
    assert not _notes(at)
    assert any(_is_explanation(m) for m in at.main.markdown)
    html = " ".join(h.proto.body for h in at.get("html"))
    # the fitting script is installed but finds no marker: it scales nothing
    assert '<span class="presenter-fit-on"' not in html and layout.PRESENTER_CSS.strip() not in html


def _messages(markdowns) -> list[str]:
    texts = {message.text for message in take_home.MESSAGES}
    return [m.value for m in markdowns if m.value in texts]


def test_on_a_slide_each_step_s_long_text_goes_aside_and_self_study_keeps_it_in_the_page():
    at = _open(presenter=True, page=P11)
    details = [e for e in at.expander if e.label == layout.ASIDE]
    assert len(details) == len(take_home.MESSAGES) and not any(e.proto.expanded for e in details)
    assert [_messages(e.markdown) for e in details] == [[m.text] for m in take_home.MESSAGES]
    assert len(_messages(at.main.markdown)) == len(take_home.MESSAGES), "drawn once each: inside"
    at = _open(presenter=False, page=P11)
    assert not [e for e in at.expander if e.label == layout.ASIDE]
    assert _messages(at.main.markdown) == [m.text for m in take_home.MESSAGES]
