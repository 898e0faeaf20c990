"""The lecture recorder: what each visited scene showed, kept in the session for the handout
("Download this lecture" in the sidebar, built by ui.handout).

Per session, ``st.session_state[RECORDS_KEY]`` maps each visited scene to its latest run (in the order
of first visit): the metrics, Plotly figures and captions drawn, the settings link (ui.url) and the
core calls that computed them (ui.frame.compute). Pages need no change to be recorded: ``install``
wraps ``metric``, ``plotly_chart``, ``caption``, ``markdown``, ``info`` and ``warning`` of Streamlit's
DeltaGenerator once per process, and the wrappers record only while a scene's run is being recorded
(``begin_run`` in app.py stops it, ``start`` in ui.frame.header starts it).

For the notebook (ui.notebook) the record also keeps, as data: each core call (module, qualname,
keyword arguments) with the object the page got back (``install`` wraps ui.frame's runners,
``RUNNERS``), every figure a builder of ``ui.figures`` returned with the builder and the
arguments it was given (the builders are wrapped once, generically), and the lecture step (ui.lecture)
each call, metric and figure was drawn under.
"""

from __future__ import annotations

import functools
import inspect
import sys
import threading
import time
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
class CoreCall:
    """One core call of the page: ``module.qualname(**arguments)`` and the object the page got back."""

    module: str
    qualname: str
    arguments: dict
    result: object = None
    step: int | None = None  # the lecture step whose container was open when the page called it
    seconds: float = 0.0  # how long the call took here (a cached call: almost nothing)


@dataclass
class FigureBuild:
    """A figure returned by ``module.name(*args, **kwargs)`` of ui.figures (``part``: its index when the
    builder returns several)."""

    module: str
    name: str
    args: tuple
    kwargs: dict
    part: int | None = None


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
    builds: dict = field(default_factory=dict)  # id(figure) → (figure, FigureBuild): kept alive, so ids stay
    figure_steps: list = field(default_factory=list)  # the step of each of ``figures``
    metric_steps: list = field(default_factory=list)  # the step of each of ``metrics``
    caption_steps: list = field(default_factory=list)  # the step of each of ``captions``
    events: list = field(
        default_factory=list
    )  # ("call" | "metric" | "caption" | "figure", index), in page order

    def build_of(self, figure) -> FigureBuild | None:
        """How ``figure`` (one of ``figures``) was built, when a ui.figures builder returned it."""
        kept = self.builds.get(id(figure))
        return kept[1] if kept is not None and kept[0] is figure else None

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


def _wrapped(name: str, method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        shown = method(self, *args, **kwargs)
        record = _current()
        if record is not None:
            _record(name, record, args, kwargs, _step_of(self))
        return shown

    wrapper._lecture_wrapped = True
    return wrapper


_STEP_CONTAINERS = "_lecture_step_containers"  # id(step container) → (container, step), this run
_BUILDING = threading.local()  # depth of nested builder calls: only the page's own call is kept


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


def _step_wrapped(step):
    @functools.wraps(step)
    def wrapper(number: int, *args, **kwargs):
        container = step(number, *args, **kwargs)
        if _current() is not None:
            st.session_state.setdefault(_STEP_CONTAINERS, {})[id(container)] = (container, number)
        return container

    wrapper._lecture_wrapped = True
    return wrapper


# ui.frame's runners of a core call: where the function is among the positional arguments, and the keywords
# that belong to the runner (a spinner, a progress bar, a button), not to the call.
RUNNERS = {
    "compute": (0, ("spinner",)),
    "slow_run": (2, ("title", "unit", "request", "note", "where", "button")),
}


def _runner_wrapped(run, position: int, own: tuple):
    """A runner of ui.frame, keeping the core call it makes and the object the page gets back."""

    @functools.wraps(run)
    def wrapper(*args, **arguments):
        started = time.perf_counter()
        result = run(*args, **arguments)
        seconds = time.perf_counter() - started
        record = _current()
        function = args[position] if len(args) > position else None
        if (
            record is not None
            and result is not None
            and function is not None
            and function.__module__.split(".")[0] == "core"  # a page's own helper is not a core call
        ):
            kept = {k: v for k, v in arguments.items() if k not in own}
            record.events.append(("call", len(record.core_calls)))
            record.core_calls.append(
                CoreCall(
                    function.__module__, function.__qualname__, kept, result, _step_of(st._main), seconds
                )
            )
        return result

    wrapper._lecture_wrapped = True
    return wrapper


def _builder_wrapped(module: str, name: str, builder):
    """A ui.figures builder that remembers, for each figure it returns, its own name and arguments."""

    @functools.wraps(builder)
    def wrapper(*args, **kwargs):
        depth = getattr(_BUILDING, "depth", 0)
        _BUILDING.depth = depth + 1
        try:
            built = builder(*args, **kwargs)
        finally:
            _BUILDING.depth = depth
        record = _current() if depth == 0 else None
        if record is not None:
            figures = list(built) if isinstance(built, (tuple, list)) else [built]
            for part, figure in enumerate(figures):
                if hasattr(figure, "to_json"):
                    where = None if figure is built else part
                    record.builds[id(figure)] = (figure, FigureBuild(module, name, args, kwargs, where))
        return built

    wrapper._lecture_wrapped = True
    return wrapper


def _wrap_builders() -> None:
    """Wrap the builders of ui.figures and of its modules imported by now: a scene page imports its own
    before its header (``start``) runs, so this process-wide pass imports nothing itself."""
    import ui.figures

    # dict.copy() is atomic: the warm-up thread may be importing modules meanwhile.
    modules = [ui.figures] + [
        module for name, module in sys.modules.copy().items() if name.startswith("ui.figures.") and module
    ]
    with _INSTALL_LOCK:
        for module in modules:
            for name, builder in vars(module).copy().items():
                if (
                    inspect.isfunction(builder)
                    and builder.__module__ == module.__name__
                    and not name.startswith("_")
                    and not getattr(builder, "_lecture_wrapped", False)
                ):
                    setattr(module, name, _builder_wrapped(module.__name__, name, builder))


def install() -> None:
    """Wrap the recorded DeltaGenerator methods (and the ``st.<name>`` shortcuts bound to the main
    container at import) once per process; for the notebook, also ui.frame's ``RUNNERS`` (once a scene
    page has imported ui.frame: importing it here would load torch before the home page is drawn),
    ``ui.lecture.step`` and the builders of ui.figures (pages look them up as
    module attributes at each run, so they call the wrapped ones)."""
    from ui import lecture

    frame = sys.modules.get("ui.frame")
    with _INSTALL_LOCK:
        for name in RECORDED:
            method = getattr(DeltaGenerator, name)
            if getattr(method, "_lecture_wrapped", False):
                continue
            setattr(DeltaGenerator, name, _wrapped(name, method))
            setattr(st, name, getattr(st._main, name))
        for name, (position, own) in RUNNERS.items():
            run = getattr(frame, name, None) if frame is not None else None
            if run is not None and not getattr(run, "_lecture_wrapped", False):
                setattr(frame, name, _runner_wrapped(run, position, own))
        if not getattr(lecture.step, "_lecture_wrapped", False):
            lecture.step = _step_wrapped(lecture.step)
    _wrap_builders()


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
    install()  # ui.frame's runners and the page's own figure module, imported just before its header
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
