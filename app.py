"""Randomized Defenses Lab — a thin router over the talk's three parts (st.navigation), built from
the one scene registry (core.scenes.registry)."""

# Imported before any page: plotly imports pandas lazily and, when several sessions draw at once,
# could otherwise pick up a half-initialised module from another thread.
import pandas  # noqa: F401
import streamlit as st

from core.scenes.registry import CONSOLE_PAGE, HOME_PAGE, REFERENCES_PAGE, by_part
from ui import layout, recorder, warmup

# Page icons are emoji: a Material icon as a page's icon becomes the browser tab's icon, which Streamlit
# fetches from the internet (a failed request at every page offline); emoji are drawn in place.
# Presenter mode (?presenter=1) opens with the sidebar collapsed: the projector gets the whole width, and
# the lecture controls (ui.lecture: Previous / step k of n / Next) sit at the top of every page.
st.set_page_config(
    page_title="Randomized Defenses Lab",
    page_icon="🎲",
    layout="wide",
    initial_sidebar_state="collapsed" if st.query_params.get("presenter") == "1" else "auto",
)

PAGES = {"Start": [st.Page(HOME_PAGE, title="The talk in three parts", icon="🏠", default=True)]}
for part, scenes in by_part().items():
    PAGES[part] = [
        st.Page(scene.page, title=scene.title, icon=scene.icon, url_path=scene.url_path) for scene in scenes
    ]
PAGES["More"] = [
    st.Page(REFERENCES_PAGE, title="References", icon="📚", url_path="references"),
    # The lecturer's laptop beside the projector: /console?room=NAME (ui.lecture.console).
    st.Page(CONSOLE_PAGE, title="Speaker console", icon="🎤", url_path="console"),
]

page = st.navigation(PAGES)
layout.presenter_mode()
recorder.begin_run()  # "Download this lecture" in the sidebar; scenes record what they draw
try:
    page.run()
except ValueError as error:
    # core's refusals (a broken manifest or result file, a missing data set, a bad value) are ValueErrors
    # whose message is one sentence saying what to do: shown as such, never as a traceback.
    st.error(str(error).strip().splitlines()[0] if str(error).strip() else "This page could not be drawn.")
warmup.start()  # after the first page is drawn, so it does not delay it
