"""The lecture recorder: what each visited scene showed, kept in the session for the handout
("Download this lecture" in the sidebar, built by ui.handout).

Per session, ``st.session_state[RECORDS_KEY]`` maps each visited scene to its latest run (in the order
of first visit): the metrics, Plotly figures and captions drawn, the settings link (ui.url) and the
core calls that computed them (ui.frame.compute). Scene pages draw with ``ui.frame.st``
(:data:`streamlit_recorded`): Streamlit itself, through a :class:`Drawing` that also keeps what ``metric``,
``plotly_chart``, ``caption``, ``markdown``, ``info`` and ``warning`` draw, in the containers it hands out
too (columns, tabs, expanders…), while a scene's run is being recorded (``begin_run`` in app.py stops
it, ``start`` in ui.frame.header starts it). No Streamlit class is patched.

For the notebook (ui.notebook) the record also keeps, as data: each core call (module, qualname,
keyword arguments) with the object the page got back (:func:`core_call`, from ui.frame's runners), every
figure drawn with how a builder of ``ui.figures`` made it (``ui.figures.build_of``), and the lecture step
(ui.lecture) each call, metric and figure was drawn under (:func:`step_opened`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ui import handout, url

RECORDS_KEY = "_lecture_records"
CURRENT_KEY = "_lecture_current"
RECORDED = ("metric", "plotly_chart", "caption", "markdown", "info", "warning")
NESTED = ("columns", "tabs", "container", "expander", "popover", "empty", "form")  # calls giving containers
LARGE_ARGUMENT = 200  # characters: longer arguments (an uploaded photo) are named, not printed


@dataclass
class CoreCall:
    """One core call of the page: ``module.qualname(**arguments)`` and the object the page got back."""

    module: str
    qualname: str
    arguments: dict
    result: object = None
    step: int | None = None  # the lecture step whose container was open when the page called it
    seconds: float = 0.0  # how long the call took here (a cached call: almost nothing)


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
    core_calls: list[CoreCall] = field(default_factory=list)
    figure_steps: list = field(default_factory=list)  # the step of each of ``figures``
    metric_steps: list = field(default_factory=list)  # the step of each of ``metrics``
    caption_steps: list = field(default_factory=list)  # the step of each of ``captions``
    events: list = field(
        default_factory=list
    )  # ("call" | "metric" | "caption" | "figure", index), in page order

    def build_of(self, figure):
        """How ``figure`` (one of ``figures``) was built (ui.figures.FigureBuild), when a builder made it."""
        from ui.figures import build_of

        return build_of(figure)

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


def current_record() -> LiveRecord | None:
    """The record of the scene this run draws (None outside a scene's run)."""
    return _current()


def _record(name: str, record: LiveRecord, args: tuple, kwargs: dict, step: int | None = None) -> None:
    if name == "metric":
        label = args[0] if args else kwargs.get("label", "")
        value = args[1] if len(args) > 1 else kwargs.get("value", "")
        delta = args[2] if len(args) > 2 else kwargs.get("delta")
        record.events.append(("metric", len(record.metrics)))
        record.metrics.append((str(label), str(value), "" if delta is None else str(delta)))
        record.metric_steps.append(step)
    elif name == "plotly_chart":
        figure = args[0] if args else kwargs.get("figure_or_data")
        if hasattr(figure, "to_json"):
            record.events.append(("figure", len(record.figures)))
            record.figures.append(figure)
            record.figure_steps.append(step)
    else:
        body = args[0] if args else kwargs.get("body", "")
        if not kwargs.get("unsafe_allow_html"):  # raw HTML (styles, layout glyphs) is not text to keep
            record.events.append(("caption", len(record.captions)))
            record.captions.append(str(body))
            record.caption_steps.append(step)


_STEP_CONTAINERS = "_lecture_step_containers"  # id(step container) → (container, step), this run


def _step_of(container) -> int | None:
    """The lecture step whose container holds ``container`` (a DeltaGenerator), or None outside one."""
    try:
        steps = st.session_state.get(_STEP_CONTAINERS, {})
        dg = container._active_dg
    except Exception:  # no session, or Streamlit's internals changed: the step is not known
        return None
    while dg is not None:
        kept = steps.get(id(dg))
        if kept is not None and kept[0] is dg:
            return kept[1]
        dg = getattr(dg, "_parent", None)
    return None


def step_opened(container, number: int) -> None:
    """ui.lecture made ``container`` for step ``number``: what is drawn in it belongs to that step."""
    container = container._target if isinstance(container, Drawing) else container
    if _current() is not None:
        st.session_state.setdefault(_STEP_CONTAINERS, {})[id(container)] = (container, number)


class Drawing:
    """Streamlit (the module) or one of its containers, as a scene page draws with it: every attribute is
    Streamlit's; the RECORDED calls also go to the scene's record, and the NESTED ones hand out
    Drawings, so that ``st.columns(3)[0].metric(…)`` is kept like ``st.metric(…)``."""

    def __init__(self, target):
        self._target = target

    def __getattr__(self, name: str):
        found = getattr(self._target, name)
        if name in RECORDED:
            return functools.partial(self._drawn, name, found)
        if name in NESTED:
            return functools.partial(self._nested, found)
        if name == "sidebar":
            return Drawing(found)
        return found

    def _container(self) -> DeltaGenerator:
        return self._target if isinstance(self._target, DeltaGenerator) else st._main

    def _drawn(self, name: str, method, *args, **kwargs):
        shown = method(*args, **kwargs)
        record = _current()
        if record is not None:
            _record(name, record, args, kwargs, _step_of(self._container()))
        return shown

    @staticmethod
    def _nested(method, *args, **kwargs):
        made = method(*args, **kwargs)
        return [Drawing(part) for part in made] if isinstance(made, (list, tuple)) else Drawing(made)

    def __enter__(self):
        self._target.__enter__()
        return self

    def __exit__(self, *exception):
        return self._target.__exit__(*exception)


streamlit_recorded = Drawing(st)  # what scene pages (ui.frame.st), ui.layout and ui.lecture draw with


def core_call(function, arguments: dict, result, seconds: float) -> None:
    """A core function's result that the page shows (ui.frame's runners): kept with its arguments, for the
    notebook. A page's own helper (not in core) and a missing result are not kept."""
    record = _current()
    if record is None or result is None or function.__module__.split(".")[0] != "core":
        return
    record.events.append(("call", len(record.core_calls)))
    record.core_calls.append(
        CoreCall(
            function.__module__, function.__qualname__, dict(arguments), result, _step_of(st._main), seconds
        )
    )


def begin_run() -> None:
    """Start of every app run (app.py): nothing is recorded until a scene's header says which scene;
    the sidebar offers the handout."""
    st.session_state[CURRENT_KEY] = None
    url.start_page("")
    download_button()


def start(url_path: str, title: str) -> None:
    """A scene's run begins: its record is replaced by this run's (keeping its place in the order)."""
    records = st.session_state.setdefault(RECORDS_KEY, {})
    records[url_path] = LiveRecord(url_path=url_path, title=title)
    st.session_state[CURRENT_KEY] = url_path
    st.session_state[_STEP_CONTAINERS] = {}
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
        # No rerun at the click: a rerun would start the scene's record afresh while the handout is built
        # from it on another thread (a busy server then saved the scene without its figures).
        on_click="ignore",
        file_name="lecture.html",
        mime="text/html",
        key="lecture_download",
        icon=":material/download:",
        help="One HTML file for offline reading: every scene visited in this session, in order, with its "
        "interactive figures, its numbers, its settings link and the code that recomputes it.",
    )
