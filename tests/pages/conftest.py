"""Shared set-up of the page tests: the app's path, one torch thread, opening a page, reading metrics.

Every page test runs the whole app (app.py routes the pages with st.navigation) through Streamlit's
AppTest, switches to its page and reads what the page shows.
"""

from pathlib import Path

import pandas  # noqa: F401 — imported here once: plotly imports it lazily inside AppTest script threads
import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _open_page(path: str | None = None) -> AppTest:
    """The app run once, then switched to ``path`` (e.g. "app_pages/p01_erm_playground.py") and run
    again; ``path`` None leaves it on the default page (home)."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    if path is not None:
        at.switch_page(path)
        at.run()
    return at


def _metrics(at: AppTest, prefix: str) -> list[str]:
    """The values of every metric whose label starts with ``prefix``, in page order."""
    return [m.value for m in at.metric if m.label.startswith(prefix)]


def _metric(at: AppTest, label: str) -> str:
    """The value of the metric labelled exactly ``label``, else of the first whose label starts with it."""
    exact = [m.value for m in at.metric if m.label == label]
    shown = exact or _metrics(at, label)
    assert shown, f"no metric labelled {label!r}; the page shows {[m.label for m in at.metric]}"
    return shown[0]


@pytest.fixture
def open_page():
    """``open_page(path)``: an AppTest already run and switched to the page at ``path``."""
    return _open_page


@pytest.fixture
def metric():
    """``metric(at, label_or_prefix)``: the shown value of a metric (exact label first, else prefix)."""
    return _metric


@pytest.fixture
def metrics():
    """``metrics(at, prefix)``: the shown values of every metric whose label starts with ``prefix``."""
    return _metrics


def _percent(at: AppTest, label: str) -> float:
    """A metric shown as a percentage ("84%", "12.5%") as the number before the sign."""
    return float(_metric(at, label).rstrip("%"))


@pytest.fixture
def percent():
    """``percent(at, label_or_prefix)``: a metric shown as "84%" as the float 84.0."""
    return _percent
