"""Take-home page: five conclusions, each with a live figure; σ changes the certified radii shown."""
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tiny MLPs: one intra-op thread avoids OpenMP contention on a busy 2-core machine (10× here)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


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
    success = float(_metric(at, "PGD success rate (toy)").rstrip("%"))
    assert 0 <= success <= 100

    sigma = at.select_slider(key="take_home_sigma").value
    radius = float(_metric(at, "Gaussian ℓ2 radius at p_A = 0.99"))
    median = float(_metric(at, "Median certified radius"))
    at.select_slider(key="take_home_sigma").set_value(0.2).run()
    assert not at.exception
    # Cohen et al.: R = σ Φ⁻¹(0.99) ≈ 2.326 σ, linear in σ.
    assert abs(float(_metric(at, "Gaussian ℓ2 radius at p_A = 0.99")) - 2.3263 * 0.2) <= 0.001
    assert abs(radius - 2.3263 * sigma) <= 0.001
    assert float(_metric(at, "Median certified radius")) != median
