"""The frame of every scene page: its header from the registry, one cached scene call, the code.

A page is: widgets → ``compute(scene_function, **values)`` → figures (ui.figures) → layout →
``code(scene_function)``. Nothing here computes; the scene functions live in core.scenes.
"""

from __future__ import annotations

import importlib
import inspect

import streamlit as st

from core.scenes.common import assets_stamp
from core.scenes.registry import scene as registered
from ui import layout, lecture, recorder


def header(url_path: str, explanation: str, uses: str) -> None:
    """The lecture's step bar (ui.lecture), the scene's title (from the registry), its explanation
    (KaTeX) and what it computes on."""
    recorder.start(url_path, registered(url_path).title)  # what this run draws goes to the handout
    lecture.bar(registered(url_path).page)
    layout.header(registered(url_path).title, explanation, uses)


@st.cache_data(show_spinner=False, max_entries=512)
def _compute(target: str, arguments: tuple, assets: tuple):
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)(**dict(arguments))


def compute(function, /, *, spinner: str | None = "Computing…", **arguments):
    """``function(**arguments)``, cached for every session of the server (its result is pickled, so
    each caller gets its own copy) and recomputed when a shipped model or result changes
    (``assets_stamp``). Arguments must be plain hashable values (widget values, seeds).
    A ValueError (bad input) becomes one sentence on the page, which then stops."""
    target = f"{function.__module__}:{function.__qualname__}"
    key = (target, tuple(sorted(arguments.items())), assets_stamp())
    recorder.call(function, arguments)
    try:
        if spinner:
            with st.spinner(spinner):
                return _compute(*key)
        return _compute(*key)
    except ValueError as error:
        layout.fail(str(error))


def compute_followed(function, /, *, progress, **arguments):
    """``function(**arguments, progress=progress)`` for a long run that shows its progress: kept for this session
    (st.session_state), not in st.cache_data, which replays a hit's element updates and fails on a bar made
    outside the cached function (CacheReplayClosureError). A run stopped half-way (Cancel, a rerun) keeps nothing.
    A ValueError becomes one sentence on the page, as in :func:`compute`."""
    target = f"{function.__module__}:{function.__qualname__}"
    key = (target, tuple(sorted(arguments.items())), assets_stamp())
    recorder.call(function, arguments)
    done = st.session_state.setdefault("scene_followed_results", {})
    if key not in done:
        try:
            done[key] = function(**arguments, progress=progress)
        except ValueError as error:
            layout.fail(str(error))
    return done[key]


def code(*functions) -> None:
    """The page's last element: the scene function (and what it calls) shown beside the demo."""
    recorder.refresh_link()
    with st.expander("The code behind this scene"):
        for function in functions:
            st.code(inspect.getsource(function), language="python")
