"""Presenter mode (ui.layout): the scene's explanation becomes speaker notes behind a collapsed expander,
the page gets the slide styles and the figure-fitting script; the self-study view keeps the whole text.
(That every step then fits the screen is measured in the browser: tests/browser/test_slides_browser.py.)"""

from streamlit.testing.v1 import AppTest

from core.scenes import geometry
from tests.pages.conftest import APP
from ui import layout

P05 = "app_pages/p05_geometry.py"


def _open(presenter: bool) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    if presenter:
        at.query_params["presenter"] = "1"
    at.run()
    at.switch_page(P05)
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
