"""The talk's bibliography, with links and the scenes that use each paper."""

import streamlit as st

from core.scenes.references import REFERENCES
from core.scenes.registry import REFERENCES_PAGE, SCENES
from ui import layout, lecture

TITLES = {scene.url_path: scene.title for scene in SCENES}
PAGES = {scene.url_path: scene.page for scene in SCENES}


def link_label(link: str) -> str:
    """arXiv:<id> for arXiv links, else the site's name."""
    if "arxiv.org/abs/" in link:
        return "arXiv:" + link.rsplit("/", 1)[1]
    return "doi" if "doi.org" in link else "OpenReview"


lecture.bar(REFERENCES_PAGE)
layout.header(
    "References",
    "The papers behind the talk, oldest first. Each entry links to the paper (arXiv where there is "
    "one) and to the scenes of this dashboard that compute something from it.",
    uses="nothing: a bibliography.",
)

chosen = st.selectbox("Show the papers used by", ["every scene", *TITLES.values()], key="references_scene")
shown = [
    ref for ref in REFERENCES if chosen == "every scene" or any(TITLES[path] == chosen for path in ref[3])
]
st.caption(f"{len(shown)} of {len(REFERENCES)} papers.")

widest = max(len(ref[3]) for ref in REFERENCES)
for number, (citation, link, contribution, paths) in enumerate(shown, start=1):
    with st.container(border=True):
        st.markdown(f"**[{number}]** {citation} [{link_label(link)}]({link})")
        st.markdown(f"*In the talk:* {contribution}")
        columns = st.columns([1] + [2] * widest, vertical_alignment="center")
        columns[0].markdown("Used in:")
        for column, path in zip(columns[1:], paths):
            with column:
                st.page_link(PAGES[path], label=TITLES[path])
