"""The frame of every scene page: its header from the registry, one cached scene call, the code.

A page is: widgets → ``compute(scene_function, **values)`` → figures (ui.figures) → layout →
``code(scene_function)``; a run too long for a first paint goes behind a button (:func:`clicked`, or
:func:`slow_run` with a progress bar and Cancel). Nothing here computes; the scene functions live in
core.scenes. A page draws with :data:`st` (``from ui.frame import st``): Streamlit, whose metrics,
figures and captions also go to the lecture's handout (ui.recorder).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import time

from core.scenes.common import assets_stamp
from core.scenes.registry import module_of
from core.scenes.registry import scene as registered
from ui import layout, lecture, recorder

st = recorder.streamlit_recorded


def header(url_path: str) -> None:
    """The lecture's step bar (ui.lecture), the scene's title (from the registry), its explanation
    (KaTeX) and what it computes on (the scene module's ``EXPLANATION`` and ``USES``)."""
    recorder.start(url_path, registered(url_path).title)  # what this run draws goes to the handout
    lecture.bar(registered(url_path).page)
    module = module_of(url_path)
    layout.header(registered(url_path).title, module.EXPLANATION, module.USES)


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
    started = time.perf_counter()
    try:
        if spinner:
            with st.spinner(spinner):
                result = _compute(*key)
        else:
            result = _compute(*key)
    except ValueError as error:
        layout.fail(str(error))
    recorder.core_call(function, arguments, result, time.perf_counter() - started)
    return result


def metrics(row: list, *, where=None, spec=None) -> list:
    """A row of metrics, one per column (``spec``: st.columns' widths, default equal): each item is
    ``(label, value)``, ``(label, value, help)``, a dict of st.metric's arguments, or None (an empty
    column). Returns the columns."""
    columns = (where if where is not None else st).columns(spec or len(row))
    for column, item in zip(columns, row):
        if isinstance(item, dict):
            column.metric(**item)
        elif item is not None:
            column.metric(item[0], item[1], help=item[2] if len(item) > 2 else None)
    return columns


def clicked(key: str, label: str, request, *, note: str = "", where=None, **button) -> bool:
    """A button whose click is kept for this session per ``request`` (the settings it runs with): True
    from the click on, whenever the page asks again with that request (the button is then not drawn,
    nor ``note``, shown above it until then), so other widgets can move without losing what it started."""
    where = where if where is not None else st
    asked = st.session_state.setdefault(f"{key}_asked", set())
    if request in asked:
        return True
    offer = where.empty()  # the note and the button, gone once clicked
    with offer.container():
        if note:
            st.info(note)
        pressed = st.button(label, key=key, **button)
    if pressed:
        asked.add(request)
        offer.empty()
    return pressed


def progress_bar(title: str, unit: str, *, where=None):
    """A progress bar and its ``progress(done, total)`` callback ("title: done of total unit")."""
    bar = (where if where is not None else st).progress(0.0, text=f"{title}…")

    def progress(done: int, total: int) -> None:
        bar.progress(min(done / max(total, 1), 1.0), text=f"{title}: {done} of {total} {unit}")

    return bar, progress


def each(function, calls: list[dict], progress) -> list:
    """``[compute(function, **arguments) for arguments in calls]`` (each cached for every session),
    calling ``progress(done, len(calls))`` before the first and after each."""
    results = []
    for arguments in calls:
        progress(len(results), len(calls))
        results.append(compute(function, spinner=None, **arguments))
    progress(len(results), len(calls))
    return results


def slow_run(
    key: str,
    label: str,
    function,
    /,
    *,
    title: str,
    unit: str,
    request=None,
    note: str = "",
    where=None,
    button: dict | None = None,
    **arguments,
):
    """A long run behind a button: button ``key`` → a progress bar with Cancel → the result, kept for this
    session per ``request`` (default: the arguments). ``function(**arguments, progress=progress)`` calls
    ``progress(done, total)`` (done of total ``unit``) as it goes; each call is where Cancel (a click
    reruns the page) stops it, and the rerun says how far it got and keeps nothing. None until the button
    is pressed (``note`` above it). A core function's call goes to the handout; a ValueError becomes one
    sentence, as in :func:`compute`. Kept in st.session_state, not st.cache_data: a cache hit replays a
    progress bar's updates, and fails on a bar made outside the cached function (CacheReplayClosureError)."""
    where = where if where is not None else st
    request = tuple(sorted(arguments.items())) if request is None else request
    results = st.session_state.setdefault(f"{key}_results", {})
    reached = st.session_state.pop(f"{key}_progress", None)  # a run this rerun interrupted
    if st.session_state.get(f"{key}_cancel"):
        st.session_state.get(f"{key}_asked", set()).discard(request)
        if reached is not None:
            where.warning(
                f"{title} cancelled after {reached[0]} of {reached[1]} {unit}: nothing was kept. "
                "Press the button to run it again."
            )
    started = time.perf_counter()
    if request not in results:
        if not clicked(key, label, request, note=note, where=where, **(button or {})):
            return None
        results[request] = _followed(key, function, arguments, title, unit, where)
    if function.__module__.split(".")[0] == "core":  # what the page shows came from this call
        recorder.call(function, arguments)
    recorder.core_call(function, arguments, results[request], time.perf_counter() - started)
    return results[request]


def _followed(key: str, function, arguments: dict, title: str, unit: str, where):
    """``function(**arguments, progress=…)`` under a progress bar and a Cancel button (:func:`slow_run`)."""
    cancel = where.empty()
    cancel.button("Cancel", key=f"{key}_cancel")
    bar, show = progress_bar(title, unit, where=where)

    def progress(done: int, total: int) -> None:
        st.session_state[f"{key}_progress"] = (done, total)
        show(done, total)

    try:
        result = function(**arguments, progress=progress)
    except ValueError as error:
        layout.fail(str(error))
    st.session_state.pop(f"{key}_progress", None)
    cancel.empty()
    bar.empty()
    return result


def code(*functions) -> None:
    """The page's last element: the scene function (and what it calls) shown beside the demo, and "Open as
    a notebook": the scene as drawn, written by ui.notebook from this run's record when it is pressed."""
    recorder.refresh_link()
    shown, download = st.columns([5, 1], vertical_alignment="top")
    with shown.expander("The code behind this scene"):
        for function in functions:
            st.code(inspect.getsource(function), language="python")
    record = recorder.current_record()
    if record is not None:

        def notebook_bytes(record) -> bytes:
            from ui import notebook  # nbformat is imported when a notebook is asked for, not at every run

            return notebook.notebook_bytes(record)

        download.download_button(
            "Open as a notebook",
            data=functools.partial(notebook_bytes, record),
            file_name=f"{record.url_path}.ipynb",
            mime="application/x-ipynb+json",
            key="scene_notebook_download",
            on_click="ignore",
            icon=":material/download:",
            help="A Jupyter notebook of this scene as drawn (same settings, seed and step): its explanation, "
            "the core calls with these arguments, the numbers shown, the same figures and a few changes to "
            "try. Runs from any folder once the project is installed (pip install -r requirements.txt, "
            "pip install jupyterlab).",
        )
