"""Geometric interpretation: the PGD path stays in the ε-ball and reacts to ε and to the picked point."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _metric(at, prefix: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(prefix))


def test_geometry_reacts_to_eps_and_point():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/p05_geometry.py")
    at.run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 2
    # The default point sits near the boundary: the default budget crosses it.
    before, after = _metric(at, "F(x) → F(x_adv)").split(" → ")
    assert before != after
    assert _metric(at, "Crossing step") != "never"
    distance = float(_metric(at, "‖x_adv − x‖"))
    assert 0 < distance <= 0.1 + 1e-4                         # projected onto the default ball ε = 0.1

    at.select_slider(key="p05_eps").set_value(0.3).run()
    assert not at.exception
    assert float(_metric(at, "‖x_adv − x‖")) != distance

    median = _metric(at, "Median stretch at x")
    at.number_input(key="p05_x1").set_value(0.05).run()
    at.number_input(key="p05_x2").set_value(0.95).run()
    assert not at.exception
    assert _metric(at, "Median stretch at x") != median

    at.radio(key="p05_norm").set_value("linf").run()          # the ℓ∞ ball: distance measured in ℓ∞
    assert not at.exception
    assert float(_metric(at, "‖x_adv − x‖")) <= 0.3 + 1e-4
