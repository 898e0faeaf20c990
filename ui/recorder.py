"""The lecture recorder: what each visited scene showed, kept in the session for the handout
("Download this lecture" in the sidebar, built by ui.handout).

Per session, ``st.session_state[RECORDS_KEY]`` maps each visited scene to its latest run (in the order
of first visit): the metrics, Plotly figures and captions drawn, the settings link (ui.url) and the
core calls that computed them (ui.frame.compute). Pages need no change to be recorded: ``install``
wraps ``metric``, ``plotly_chart``, ``caption``, ``markdown``, ``info`` and ``warning`` of Streamlit's
DeltaGenerator once per process, and the wrappers record only while a scene's run is being recorded
(``begin_run`` in app.py stops it, ``start`` in ui.frame.header starts it).
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ui import handout, url

RECORDS_KEY = "_lecture_records"
CURRENT_KEY = "_lecture_current"
RECORDED = ("metric", "plotly_chart", "caption", "markdown", "info", "warning")
_INSTALL_LOCK = threading.Lock()  # sessions run in their own threads: wrap once, not once per thread
LARGE_ARGUMENT = 200  # characters: longer arguments (an uploaded photo) are named, not printed


@dataclass
class LiveRecord:
    """One scene's latest run, as drawn: figures are kept as objects and serialised at download."""

    url_path: str
    title: str
    link: str = ""
    calls: list[str] = field(default_factory=list)
    metrics: list[tuple[str, str, str]] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    figures: list = field(default_factory=list)

    def frozen(self) -> handout.SceneRecord:
        return handout.SceneRecord(
            url_path=self.url_path,
            title=self.title,
            link=self.link,
            commands=list(self.calls),
            metrics=list(self.metrics),
            captions=list(self.captions),
            figures=[figure.to_json() for figure in list(self.figures)],
        )


def _current() -> LiveRecord | None:
    try:
        path = st.session_state.get(CURRENT_KEY)
        return st.session_state.get(RECORDS_KEY, {}).get(path) if path else None
    except Exception:  # no session (bare mode, a thread without a script run context)
        return None


def _record(name: str, record: LiveRecord, args: tuple, kwargs: dict) -> None:
    if name == "metric":
        label = args[0] if args else kwargs.get("label", "")
        value = args[1] if len(args) > 1 else kwargs.get("value", "")
        delta = args[2] if len(args) > 2 else kwargs.get("delta")
        record.metrics.append((str(label), str(value), "" if delta is None else str(delta)))
    elif name == "plotly_chart":
        figure = args[0] if args else kwargs.get("figure_or_data")
        if hasattr(figure, "to_json"):
            record.figures.append(figure)
    else:
        body = args[0] if args else kwargs.get("body", "")
        if not kwargs.get("unsafe_allow_html"):  # raw HTML (styles, layout glyphs) is not text to keep
            record.captions.append(str(body))


def _wrapped(name: str, method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        shown = method(self, *args, **kwargs)
        record = _current()
        if record is not None:
            _record(name, record, args, kwargs)
        return shown

    wrapper._lecture_wrapped = True
    return wrapper


def install() -> None:
    """Wrap the recorded DeltaGenerator methods (and the ``st.<name>`` shortcuts bound to the main
    container at import) once per process."""
    with _INSTALL_LOCK:
        for name in RECORDED:
            method = getattr(DeltaGenerator, name)
            if getattr(method, "_lecture_wrapped", False):
                continue
            setattr(DeltaGenerator, name, _wrapped(name, method))
            setattr(st, name, getattr(st._main, name))


def begin_run() -> None:
    """Start of every app run (app.py): nothing is recorded until a scene's header says which scene;
    the sidebar offers the handout."""
    install()
    st.session_state[CURRENT_KEY] = None
    url.start_page("")
    download_button()


def start(url_path: str, title: str) -> None:
    """A scene's run begins: its record is replaced by this run's (keeping its place in the order)."""
    records = st.session_state.setdefault(RECORDS_KEY, {})
    records[url_path] = LiveRecord(url_path=url_path, title=title)
    st.session_state[CURRENT_KEY] = url_path
    url.start_page(url_path)


def _argument(value) -> str:
    if isinstance(value, (bytes, bytearray)):
        return f"<your uploaded file, {len(value)} bytes: not in the link>"
    text = repr(value)
    return text if len(text) <= LARGE_ARGUMENT else f"<{type(value).__name__}, {len(text)} characters>"


def call(function, arguments: dict) -> None:
    """A core call that computed part of the scene (ui.frame.compute): kept as the Python line that
    repeats it, and the settings link refreshed (the widgets above it are drawn by now)."""
    record = _current()
    if record is None:
        return
    line = (
        f"from {function.__module__} import {function.__qualname__.split('.')[0]}; "
        f"{function.__qualname__}(" + ", ".join(f"{k}={_argument(v)}" for k, v in arguments.items()) + ")"
    )
    if line not in record.calls:
        record.calls.append(line)
    refresh_link()


def refresh_link() -> None:
    """The current scene's settings link, from the values its widgets hold now."""
    record = _current()
    if record is not None:
        extra = {key: st.query_params[key] for key in ("step",) if key in st.query_params}
        record.link = url.link(record.url_path, extra=extra)


def handout_html(records: dict) -> str:
    """The handout of the recorded scenes, in the order of first visit."""
    return handout.build([record.frozen() for record in list(records.values())])


def download_button() -> None:
    """ "Download this lecture" in the sidebar: the HTML is built when the button is pressed."""
    records = st.session_state.setdefault(RECORDS_KEY, {})
    st.sidebar.download_button(
        "Download this lecture",
        data=functools.partial(handout_html, records),
        file_name="lecture.html",
        mime="text/html",
        key="lecture_download",
        icon=":material/download:",
        help="One HTML file for offline reading: every scene visited in this session, in order, with its "
        "interactive figures, its numbers, its settings link and the code that recomputes it.",
    )
