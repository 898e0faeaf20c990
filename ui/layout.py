"""Page furniture shared by every scene: header, explanation, provenance, errors."""

from __future__ import annotations

from core.seeds import MAX_SEED
from ui import url
from ui.recorder import streamlit_recorded as st

# Presenter mode on a projector: every step is a slide that fits the screen (1280×720 and up). The root
# font stays Streamlit's (its spacing is in rem): only the text the room reads grows, body text to 22 px.
# Text that Streamlit truncates with an ellipsis (metric labels and values, widget labels, tabs, buttons)
# wraps instead; the bar's shortcut hints (PageUp / PageDown) are for the lecturer, not the room.
PRESENTER_CSS = """
<style>
[data-testid="stMain"] [data-testid="stMarkdownContainer"] :is(p, li) { font-size: 1.4rem; line-height: 1.4; }
[data-testid="stMain"] [data-testid="stCaption"] :is(p, li) { font-size: 1.15rem; }
[data-testid="stMain"] h1 { font-size: 2.4rem !important; padding-top: 0.2rem; }
[data-testid="stMain"] h2 { font-size: 1.9rem !important; }
[data-testid="stMain"] h3 { font-size: 1.6rem !important; }
[data-testid="stMetricValue"] { font-size: 2rem; }
[data-testid="stMain"] :is([data-testid="stMetricLabel"], [data-testid="stMetricValue"],
  [data-testid="stWidgetLabel"], [role="tab"], button, [data-testid="stExpander"] summary) :is(div, p, span) {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
  overflow-wrap: anywhere;
}
[data-testid="stMain"] .stMarkdownEllipsis { overflow: visible !important; }
/* A screen of room below the page: the last steps, too, scroll up to just below the header. */
[data-testid="stMainBlockContainer"] { padding: 1.5rem 2rem 85vh; max-width: none; }
.st-key-lecture_bar [data-testid="stMarkdownContainer"] p { font-size: 1.4rem; }
.st-key-lecture_bar kbd { display: none; }
</style>
"""

# Every view, presenter or not: text the project draws meets WCAG AA contrast (4.5:1) where Streamlit's
# default grey does not (captions: 3.9:1, their links 3.0:1, buttons' shortcut hints 2.8:1).
ACCESSIBLE_CSS = """
<style>
[data-testid="stCaptionContainer"] { color: #5c5b59; opacity: 1; }
[data-testid="stCaptionContainer"] a { color: #1d5fa8; }
[data-testid="stMain"] button kbd { color: inherit; opacity: 1; }
</style>
"""

# The figures of each step scaled to the screen: a step's content starts where the step is scrolled to
# (ui.lecture: below Streamlit's header) and must end above the bottom edge, so its Plotly charts are
# scaled down (CSS transform, which Plotly's hover and click take into account; never below MIN_SCALE)
# until it does; when the whole step cannot fit, its figures still do. Step 1 is the top of the page.
# Recomputed whenever the page changes (a rerun, a chart drawn) or the window is resized; when a scale
# changed, the step is scrolled into view again. Installed once per tab; it fits nothing when presenter
# mode is off (no ``presenter-fit-on`` marker on the page), but still makes wide equations and code
# blocks, which scroll sideways, reachable by the keyboard (tabindex).
FIT_SCRIPT = """<script>
(() => {
  if (window.__presenterFit) return;
  window.__presenterFit = true;
  const MIN_SCALE = 0.45, PAD = 8;
  const CHART = '[data-testid="stPlotlyChart"]', SHOWN = "st-key-lecture_shown_";
  const stepOf = (el) => {
    const box = el.closest(`[class*='${SHOWN}']`);
    return box ? Number([...box.classList].find((c) => c.startsWith(SHOWN)).split("_")[2]) : 1;
  };
  // The chart's element container is scaled: its negative bottom margin gives the freed height back to
  // the column (a transform alone leaves the layout box as it was).
  const boxOf = (chart) => chart.closest('[data-testid="stElementContainer"]') || chart;
  const setScale = (chart, s) => {
    const box = boxOf(chart);
    if (s >= 0.999) {
      box.style.transform = box.style.marginBottom = box.style.transformOrigin = "";
      return;
    }
    box.style.transformOrigin = "top center";
    box.style.transform = `scale(${s})`;
    box.style.marginBottom = `${-(1 - s) * box.offsetHeight}px`;
  };
  const scaleOf = (chart) => {
    const scaled = boxOf(chart).style.transform.match(/scale\\(([\\d.]+)\\)/);
    return scaled ? Number(scaled[1]) : 1;
  };
  const fitGroup = (step, charts, scroller) => {
    // where the step's content must end, in the coordinates of its own top (step 1: the page's top)
    const boxes = step === 1 ? [] : [...document.querySelectorAll(`[class*='${SHOWN}${step}_']`)]
      .filter((el) => el.checkVisibility());
    const origin = step === 1 ? -scroller.scrollTop + scroller.getBoundingClientRect().top
      : Math.min(...boxes.map((el) => el.getBoundingClientRect().top));
    const margin = Math.max(0, scroller.getBoundingClientRect().top)
      + (step === 1 ? 0 : parseFloat(getComputedStyle(boxes[0]).scrollMarginTop) || 0);
    const room = window.innerHeight - margin - PAD;
    const bottom = (targets) => Math.max(...targets.map((el) => el.getBoundingClientRect().bottom));
    const overflow = (targets) => bottom(targets) - origin - room;
    const needed = (targets) => {
      charts.forEach((c) => setScale(c, 1));
      const full = overflow(targets);
      if (full <= 0) return 1;
      charts.forEach((c) => setScale(c, 0.5));
      const half = overflow(targets);
      const slope = (full - half) / 0.5;
      if (slope <= 0) return 1;
      let s = Math.max(MIN_SCALE, 1 - full / slope);
      charts.forEach((c) => setScale(c, s));
      const left = overflow(targets);
      if (left > 0) s = Math.max(MIN_SCALE, s - left / slope - 0.01);
      return s;
    };
    let s = boxes.length ? needed(boxes) : 0;  // step 1: its charts alone fit below the top
    if (s < 0.6 || !boxes.length) s = Math.max(s, needed(charts));
    const before = charts.map(scaleOf);
    charts.forEach((c) => setScale(c, s));
    return charts.some((c, i) => Math.abs(before[i] - s) > 0.005);
  };
  const fit = () => {
    const main = document.querySelector('[data-testid="stMain"]');
    if (!main) return;
    // In every view: a wide equation or code block scrolls sideways; the keyboard must reach it too.
    for (const wide of main.querySelectorAll(".katex-display, pre")) {
      if (wide.scrollWidth > wide.clientWidth && !wide.hasAttribute("tabindex")) wide.tabIndex = 0;
    }
    const on = !!document.querySelector(".presenter-fit-on");
    const charts = [...main.querySelectorAll(CHART)];
    if (!on) { charts.forEach((c) => setScale(c, 1)); return; }
    const scroller = getComputedStyle(main).overflowY === "visible" ? document.scrollingElement : main;
    const saved = scroller.scrollTop;
    const groups = new Map();
    for (const chart of charts.filter((c) => c.checkVisibility())) {
      const step = stepOf(chart);
      groups.set(step, [...(groups.get(step) || []), chart]);
    }
    let changed = false;
    for (const [step, members] of [...groups].sort((a, b) => a[0] - b[0])) {
      changed = fitGroup(step, members, scroller) || changed;
    }
    if (scroller.scrollTop !== saved) scroller.scrollTop = saved;
    align(scroller, changed);
  };
  // The newest step stays where the clicker put it (its top below the header) while its figures are
  // drawn and scaled, until the lecturer scrolls by hand. The step bar's own scroll (ui.lecture) is
  // smooth and starts 400 ms after the rerun: it is left alone while it runs, then corrected.
  let handScrolled = null, arrived = {url: null, at: 0}, recheck = null;
  const align = (scroller, changed) => {
    if (arrived.url !== location.href) arrived = {url: location.href, at: Date.now()};
    const step = Number(new URLSearchParams(location.search).get("step"));
    // the step's topmost box: a step may have one in each column, the first drawn not always the highest
    const current = step > 1 && [...document.querySelectorAll(`[class*='${SHOWN}${step}_']`)]
      .filter((el) => el.checkVisibility() && el.getBoundingClientRect().height > 0)
      .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)[0];
    if (!current || handScrolled === location.href) return;
    const margin = parseFloat(getComputedStyle(current).scrollMarginTop) || 0;
    const off = current.getBoundingClientRect().top - scroller.getBoundingClientRect().top - margin;
    if (Math.abs(off) <= 2) return;
    if (changed || Date.now() - arrived.at > 1500) {
      current.scrollIntoView({block: "start"});
    } else {
      clearTimeout(recheck);
      recheck = setTimeout(() => align(scroller, false), 1600);
    }
  };
  const byHand = () => { handScrolled = location.href; };
  window.addEventListener("wheel", byHand, {passive: true, capture: true});
  window.addEventListener("touchmove", byHand, {passive: true, capture: true});
  window.addEventListener("keydown", (event) => {
    if (["ArrowUp", "ArrowDown", "Home", "End", " "].includes(event.key)) byHand();
  }, true);
  let timer = null;
  const later = () => { clearTimeout(timer); timer = setTimeout(fit, 150); };
  new MutationObserver(later).observe(document.body, {childList: true, subtree: true});
  window.addEventListener("resize", later);
  later();
})();
</script>"""


def presenting() -> bool:
    """Whether this run is in presenter mode (the sidebar toggle, set by :func:`presenter_mode` before the
    page runs; the URL's ``presenter=1`` where no toggle was drawn yet)."""
    if "presenter_mode" in st.session_state:
        return bool(st.session_state["presenter_mode"])
    return st.query_params.get("presenter", "0") == "1"


def presenter_mode() -> bool:
    """Sidebar toggle that turns the page into slides for a projector (see PRESENTER_CSS, FIT_SCRIPT and
    :func:`header`); kept in the URL (?presenter=1), which also opens the app with the sidebar collapsed
    (app.py): the toggle stays one click away, behind the sidebar's arrow."""
    default = st.query_params.get("presenter", "0") == "1"
    on = st.sidebar.toggle(
        "Presenter mode",
        value=default,
        key="presenter_mode",
        help="Slides for a projector: larger text, each step fits the screen, the explanation becomes "
        "speaker notes.",
    )
    if on:
        st.query_params["presenter"] = "1"
        st.html(PRESENTER_CSS + '<span class="presenter-fit-on" hidden></span>')
    elif "presenter" in st.query_params:
        del st.query_params["presenter"]
    st.html(ACCESSIBLE_CSS)
    st.html(FIT_SCRIPT, unsafe_allow_javascript=True)  # fits nothing without the marker above
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


def notes(explanation: str, uses: str) -> None:
    """The scene's explanation in the talk's notation (KaTeX) and what it computes on: the page's text in
    the self-study view, the speaker's notes in presenter mode (and on the speaker console)."""
    st.markdown(explanation)
    st.caption(f"**Model & data:** {uses}")


def header(title: str, explanation: str, uses: str) -> None:
    """The title, then :func:`notes`: in the page, or, in presenter mode, behind a collapsed "Speaker
    notes" expander, so that the room sees the title, the step's question (the lecture bar) and its
    figure."""
    st.title(title)
    if presenting():
        with st.expander("Speaker notes", expanded=False, icon=":material/speaker_notes:"):
            notes(explanation, uses)
    else:
        notes(explanation, uses)


ASIDE = "Speaker notes: the details"  # the label of :func:`aside`'s expander on a slide


def aside(where=None, label: str = ASIDE):
    """Where a step's long text goes (captions, computed sentences, secondary images): in the page
    (``where``, default the main area) in the self-study view; in presenter mode, behind a collapsed
    expander, so that the step's figure fits the screen and the lecturer can still open it. Use it as
    ``with layout.aside(column): …``."""
    where = where if where is not None else st
    if presenting():
        return where.expander(label, expanded=False, icon=":material/speaker_notes:")
    return where.container()


def headline(details, text: str) -> None:
    """A paragraph that opens with its bold title (``**Title.** …``): in the page; on a slide only its
    title, the paragraph going to ``details`` (an :func:`aside`)."""
    if presenting():
        st.markdown(text[: text.index("**", 2) + 2])
    (details if presenting() else st).markdown(text)


def fail(message: str) -> None:
    """One clear sentence instead of a traceback, then stop the page run."""
    st.error(message)
    st.stop()
