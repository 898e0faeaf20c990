"""The two downloads of a scene page — the sidebar's "Download this lecture" and "Open as a notebook" —
are built at the click from what the page drew, and the click does not rerun the app: a rerun would
start the scene's record afresh while the file is built from it on another thread (on a busy server
the handout then held the scene without its figures)."""

from streamlit.testing.v1 import AppTest

from tests.pages.conftest import APP


def test_a_download_is_built_at_the_click_and_does_not_rerun_the_app():
    at = AppTest.from_file(APP, default_timeout=300)
    at.switch_page("app_pages/p05_geometry.py")
    at.run()
    assert not at.exception
    buttons = {button.proto.label: button.proto for button in at.get("download_button")}
    for label in ("Download this lecture", "Open as a notebook"):
        assert label in buttons, sorted(buttons)
        assert buttons[label].ignore_rerun, label
