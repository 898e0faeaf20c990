"""Page furniture shared by every scene: header, explanation, provenance, errors."""

from __future__ import annotations

import streamlit as st

from core.seeds import MAX_SEED
from ui import url

PRESENTER_CSS = """
<style>
html, body, [data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.35rem; }
h1 { font-size: 3rem !important; } h2 { font-size: 2.2rem !important; }
[data-testid="stMetricValue"] { font-size: 2.6rem; }
/* Lecture mode on a projector: little margin above the step bar, its counter large enough to read. */
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }
.st-key-lecture_bar [data-testid="stMarkdownContainer"] p { font-size: 1.45rem; }
</style>
"""


def presenter_mode() -> bool:
    """Sidebar toggle that enlarges text for a projector; kept in the URL (?presenter=1), which also opens
    the app with the sidebar collapsed (app.py): the toggle stays one click away, behind the sidebar's arrow."""
    default = st.query_params.get("presenter", "0") == "1"
    on = st.sidebar.toggle(
        "Presenter mode", value=default, key="presenter_mode", help="Larger text for a projector."
    )
    if on:
        st.query_params["presenter"] = "1"
        st.markdown(PRESENTER_CSS, unsafe_allow_html=True)
    elif "presenter" in st.query_params:
        del st.query_params["presenter"]
    return on


def seed_input(default: int = 0, *, key: str = "seed") -> int:
    """The demo's seed, in the sidebar and in the URL (?seed=…), so a link replays the demo."""
    raw = st.query_params.get("seed", str(default))
    try:
        initial = int(raw)
    except ValueError:
        initial = -1
    if not 0 <= initial <= MAX_SEED:
        st.sidebar.warning(
            f"The link's seed {raw!r} is not a whole number between 0 and {MAX_SEED}; "
            f"seed {default} is used instead."
        )
        initial = default
    seed = int(
        st.sidebar.number_input(
            "Seed",
            min_value=0,
            max_value=MAX_SEED,
            value=initial,
            step=1,
            key=key,
            help="Every random draw of this page comes from it.",
        )
    )
    st.query_params["seed"] = str(seed)
    url.remember("seed", [str(seed)])  # part of the scene's settings link (ui.url.link)
    return seed


def header(title: str, explanation: str, uses: str) -> None:
    """Title, the scene's explanation in the talk's notation (KaTeX), and what it computes on."""
    st.title(title)
    st.markdown(explanation)
    st.caption(f"**Model & data:** {uses}")


def fail(message: str) -> None:
    """One clear sentence instead of a traceback, then stop the page run."""
    st.error(message)
    st.stop()
