"""Take-home page: five conclusions, each with a live figure; σ changes the certified radii shown."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _metric(at, prefix: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(prefix))


def test_take_home_conclusions_are_live_and_sigma_moves_the_radius():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/p11_take_home.py")
    at.run()
    assert not at.exception
    titles = " ".join(s.value for s in at.subheader)
    for words in ("Adversarial examples are everywhere", "Adversarial training", "certificates",
                  "attack budgets", "trade-off"):
        assert words in titles
    assert len(at.get("plotly_chart")) >= 5
    success = float(_metric(at, "PGD success rate").rstrip("%"))
    assert 0 <= success <= 100

    radius = float(_metric(at, "Gaussian ℓ2 radius at p_A = 0.99"))
    median = float(_metric(at, "Median certified radius"))
    at.select_slider(key="take_home_sigma").set_value(0.2).run()
    assert not at.exception
    # Cohen et al.: R = σ Φ⁻¹(0.99) is linear in σ (0.1 → 0.2 doubles it).
    assert abs(float(_metric(at, "Gaussian ℓ2 radius at p_A = 0.99")) - 2 * radius) <= 0.002
    assert float(_metric(at, "Median certified radius")) != median
