"""Home page: renders the talk's outline and links every scene."""

import subprocess
import sys
from pathlib import Path

SCENES = {
    "p01_erm_playground",
    "p02_composition",
    "p03_cat_to_dog",
    "p04_crafting_attacks",
    "p05_geometry",
    "p06_adversarial_training",
    "p07_noise_injection",
    "p08_decision_distribution",
    "p09_certificate",
    "p10_tradeoff",
    "p11_take_home",
}


def test_home_outlines_the_talk_and_links_every_scene(open_page):
    at = open_page()
    assert not at.exception
    subheaders = [s.value for s in at.subheader]
    for part in (
        "I. Supervised learning & neural networks",
        "II. Adversarial examples",
        "III. Defenses & randomization",
    ):
        assert part in subheaders
    linked = {link.proto.page for link in at.get("page_link")}
    assert SCENES | {"references"} <= linked
    text = " ".join(m.value for m in at.markdown)
    assert "?seed=" in text and "?presenter=1" in text


def test_home_says_what_is_live_what_is_shipped_and_what_is_published(open_page):
    """Not every number is computed live: shipped results name their command, published constants their
    paper."""
    at = open_page()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "computed live by" not in text
    assert "live, or shipped" in text and "python -m core.scenes build" in text
    assert "Published constants" in text and "Madry" in text and "Cohen" in text


def test_the_home_page_is_drawn_without_importing_torch():
    """A fresh server draws the home page first: that run imports no torch, scipy or scene computation
    (seconds on 2 cores), which the warm-up thread loads once the page is drawn (ui.warmup)."""
    probe = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        "import ui.warmup\n"
        "ui.warmup.start = lambda: None\n"
        "at = AppTest.from_file('app.py', default_timeout=120)\n"
        "at.run()\n"
        "assert not at.exception, at.exception\n"
        "print(sorted(m for m in ('torch', 'scipy.stats', 'ui.frame') if m in sys.modules))\n"
    )
    root = Path(__file__).resolve().parents[2]
    run = subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().splitlines()[-1] == "[]", run.stdout
