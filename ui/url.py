"""The URL is the demo: every main widget of a scene is bound to the address bar (Streamlit's
``bind="query-params"``), so a copied link opens the scene with the same values, draw for draw.

Use ``url.selectbox(...)``, ``url.slider(...)``, … exactly like ``st.selectbox(...)`` (same arguments,
plus ``where=`` for a container such as ``st.sidebar`` or a column), with the scene's declared parameter
(core.scenes.parameters) in place of the options or the range: ``url.select_slider("Budget ε",
scene.PARAMETERS["eps"])`` takes its choices, opening value and key from the declaration (``choices=``
gives the options when the page computes them; explicit keywords win). Each one:
- binds the widget to the URL parameter named by its ``key`` (keys stay page-prefixed, e.g.
  ``p09_n``: Streamlit carries a bound value across pages by key, so a key shared by two pages would
  hand one page a value that is not among the other's options);
- checks the link's value itself. Streamlit silently drops a value that is not an option, cannot be
  parsed or lies outside the range (the widget opens at its default) and never writes defaults into
  the URL; this module adds the one sentence: which parameter was refused and the value the page
  uses instead, shown under the widget until that value changes;
- remembers the value as it is written in a URL, so ``link(url_path)`` gives the settings link of
  the scene as drawn (with every bound value, defaults included, so it outlives a change of
  defaults), for the handout and the tests;
- reads a link written before its key took the ``pNN_`` form (``erm_lr`` is now ``p01_lr``): the value
  moves to the key's name now (``OLD_PREFIXES``), so an old link still replays.
"""

from __future__ import annotations

import math
from urllib.parse import urlencode

import streamlit as st

from core.scenes.parameters import Parameter

BIND = "query-params"
VALUES_KEY = "_url_values"  # {key: [url text, …]} of this page's bound widgets (reset by start_page)
NOTES_KEY = "_url_notes"  # {key: (sentence, url texts used)}: a refused link value, shown until it changes
CHECKED_KEY = "_url_checked"  # keys whose link value was checked: the first time the session draws them
PAGE_KEY = "_url_page"
DEFAULT_BASE = "http://localhost:8501/"
# Keys renamed to the pages' pNN_ form; the old names still come in from links written before.
OLD_PREFIXES = {"p01_": "erm_", "p02_": "comp_", "p11_": "take_home_"}
UPLOAD_NOT_IN_LINK = (
    "An uploaded photo cannot travel in a link: a copied link opens this scene on the gallery "
    "image chosen above."
)


def start_page(url_path: str) -> None:
    """Forget the previous page's values: called once per run by the page header."""
    st.session_state[PAGE_KEY] = url_path
    st.session_state[VALUES_KEY] = {}


def number_text(value) -> str:
    """A number as Streamlit writes it in a URL: 5.0 → "5", 0.25 → "0.25"."""
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return str(int(value))
    return str(value)


def remember(key: str, texts: list[str]) -> None:
    """Record a value of this page's link (also for a parameter this module does not bind, e.g. the seed)."""
    st.session_state.setdefault(VALUES_KEY, {})[key] = list(texts)


def carry(key: str, text: str) -> None:
    """Keep a value that no widget holds (p01's training history) in the address bar and the settings link."""
    if text:
        st.query_params[key] = text
        remember(key, [text])
    elif key in st.query_params:
        del st.query_params[key]


def old_key(key: str) -> str | None:
    """The name ``key`` had in links before the pNN_ keys (``p01_lr`` → ``erm_lr``), or None."""
    for prefix, old in OLD_PREFIXES.items():
        if key.startswith(prefix):
            return old + key[len(prefix) :]
    return None


def _seeding_params():
    """Streamlit's own copy of the link's parameters, which seeds bound widgets (no public way to edit it)."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    return get_script_run_ctx().session_state.query_params()


def renamed(key: str) -> None:
    """Move a link's value from ``key``'s old name (:func:`old_key`) to ``key``, before a widget reads it."""
    old = old_key(key)
    if old is None or old not in st.query_params:
        return
    texts = st.query_params.get_all(old)
    del st.query_params[old]
    if key in st.query_params:  # the link also names the key as it is now: that value wins
        return
    st.query_params[key] = texts
    try:
        with _seeding_params() as params:
            params._initial_query_params[key] = list(texts)
            params._initial_query_params.pop(old, None)
    except (AttributeError, ImportError, TypeError):
        pass


def carried(key: str) -> str:
    """The link's value of ``key`` that no widget holds (see :func:`carry`), under its old name too."""
    renamed(key)
    return st.query_params.get(key, "")


def values() -> dict[str, list[str]]:
    """The URL texts of every value remembered on this page run, in widget order."""
    return dict(st.session_state.get(VALUES_KEY, {}))


def link(url_path: str, *, base: str | None = None, extra: dict | None = None) -> str:
    """The settings link of the page as drawn: its path and every remembered value (and ``extra``
    parameters such as the step), on this server's address when Streamlit knows it."""
    if base is None:
        try:
            current = st.context.url or ""
        except Exception:  # no browser behind this run (AppTest, bare mode)
            current = ""
        base = current.split("?")[0].rsplit("/", 1)[0] + "/" if "://" in current else DEFAULT_BASE
    pairs = [(key, text) for key, texts in values().items() for text in texts]
    pairs += [(key, str(value)) for key, value in (extra or {}).items() if key not in values()]
    query = urlencode(pairs)
    return f"{base}{url_path}" + (f"?{query}" if query else "")


def _same_number(raw: str, value) -> bool:
    try:
        return math.isclose(float(raw), float(value), rel_tol=1e-9, abs_tol=1e-12)
    except (TypeError, ValueError):
        return False


def _finite_number(raw: list[str]) -> bool:
    try:
        return all(math.isfinite(float(text)) for text in raw)
    except ValueError:
        return False


def _forget_link_value(key: str) -> None:
    """Drop ``key`` from the URL and from the values Streamlit seeds widgets with. Streamlit catches a
    bad link value only as ValueError/TypeError, and int("inf") raises OverflowError: a number widget
    must never see a value that is not a finite number."""
    if key in st.query_params:
        del st.query_params[key]
    try:  # the seeding values are Streamlit's own state: no public way to drop one
        with _seeding_params() as params:
            params._initial_query_params.pop(key, None)
    except (AttributeError, ImportError, TypeError):
        pass


def _bound(kind: str, where, label: str, args: tuple, kwargs: dict, texts, matches, usable=None):
    """Draw widget ``kind`` bound to the URL, remember its URL texts, and say so when the link's
    value could not be used (``matches(raw, value)`` is False). A value that ``usable(raw)`` refuses is
    removed from the URL before the widget reads it (Streamlit raises on "inf" for an integer input)."""
    key = kwargs["key"]
    # Only the link a session opens with seeds a widget: check it then (read before Streamlit consumes
    # or drops it), not on later reruns, whose query string may lag behind a widget just moved.
    checked = st.session_state.setdefault(CHECKED_KEY, set())
    if key not in checked:
        renamed(key)
    raw = st.query_params.get_all(key) if key not in checked else []
    checked.add(key)
    if raw and usable is not None and not usable(raw):
        _forget_link_value(key)
    value = getattr(where if where is not None else st, kind)(label, *args, bind=BIND, **kwargs)
    used = texts(value)
    remember(key, used)
    notes = st.session_state.setdefault(NOTES_KEY, {})
    if raw and not matches(raw, value):
        shown = raw[-1] if len(raw) == 1 else ", ".join(raw)
        notes[key] = (
            f"The link's {key}={shown!r} is not a value of “{label}”; the page uses "
            f"{', '.join(used) or 'none'} instead.",
            used,
        )
    note = notes.get(key)
    if note is not None:
        if note[1] == used:
            (where if where is not None else st).warning(note[0])
        else:
            del notes[key]
    return value


def _declared_options(kind: str, parameter: Parameter, kwargs: dict) -> list:
    """The options, key and opening value of an option widget, from ``parameter`` (keywords given win)."""
    options = list(kwargs.pop("choices", None) or parameter.choices or ())
    kwargs.setdefault("key", parameter.key)
    default = parameter.default
    if default is not None:
        if kind == "select_slider":
            kwargs.setdefault("value", default)
        elif kind == "multiselect":
            kwargs.setdefault("default", list(default))
        elif "index" not in kwargs and default in options:
            kwargs["index"] = options.index(default)
    return options


def _declared_range(parameter: Parameter, kwargs: dict) -> None:
    """The range, opening value, step and key of a number widget, from ``parameter`` (keywords given win:
    ``min_value``/``max_value`` where the range depends on another value)."""
    declared = {"key": parameter.key, "min_value": parameter.low, "max_value": parameter.high}
    declared |= {"value": parameter.default, "step": parameter.step}
    for name, value in declared.items():
        if value is not None:
            kwargs.setdefault(name, value)


def _option_widget(kind: str):
    def widget(label: str, options, *args, where=None, **kwargs):
        if isinstance(options, Parameter):
            options = _declared_options(kind, options, kwargs)
        label_of = kwargs.get("format_func", str)

        def texts(value) -> list[str]:
            return [] if value is None else [str(label_of(value))]

        return _bound(
            kind, where, label, (options, *args), kwargs, texts, lambda raw, value: texts(value) == raw[-1:]
        )

    widget.__name__ = kind
    widget.__doc__ = f"``st.{kind}`` bound to the URL parameter ``key`` (its value is the option's label)."
    return widget


def _number_widget(kind: str):
    def widget(label: str, *args, where=None, **kwargs):
        if args and isinstance(args[0], Parameter):
            _declared_range(args[0], kwargs)
            args = args[1:]
        return _bound(
            kind,
            where,
            label,
            args,
            kwargs,
            lambda value: [number_text(value)],
            lambda raw, value: _same_number(raw[-1], value),
            usable=_finite_number,
        )

    widget.__name__ = kind
    widget.__doc__ = f"``st.{kind}`` bound to the URL parameter ``key`` (a single number)."
    return widget


selectbox = _option_widget("selectbox")
radio = _option_widget("radio")
select_slider = _option_widget("select_slider")
slider = _number_widget("slider")
number_input = _number_widget("number_input")


def multiselect(label: str, options, *args, where=None, **kwargs):
    """``st.multiselect`` bound to the URL parameter ``key``, one repeated parameter per choice
    (``?p10_noises=gaussian&p10_noises=laplace``)."""
    if isinstance(options, Parameter):
        options = _declared_options("multiselect", options, kwargs)
    label_of = kwargs.get("format_func", str)

    def texts(value) -> list[str]:
        return [str(label_of(v)) for v in value]

    return _bound(
        "multiselect",
        where,
        label,
        (options, *args),
        kwargs,
        texts,
        lambda raw, value: sorted(texts(value)) == sorted(raw),
    )
