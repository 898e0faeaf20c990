"""Noise → decision regions: the class probabilities under noise move with σ; x_adv flips F, not F_rob."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_decision_distribution_reacts_to_sigma():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/p08_decision_distribution.py")
    at.run()
    assert not at.exception
    assert len(at.get("plotly_chart")) >= 4
    # The default scene is Cohen et al.'s picture: PGD flips the base decision, not the smoothed one.
    assert _metric(at, "F(x) → F(x_adv)") == "0 → 1"
    assert _metric(at, "F_rob(x) → F_rob(x_adv)") == "0 → 0"
    p_x = float(_metric(at, "P(F(x + ε) = 1)"))
    p_adv = float(_metric(at, "P(F(x_adv + ε) = 1)"))
    tv = float(next(m.value for m in at.metric if m.label == "TV distance"))
    assert abs(tv - abs(p_x - p_adv)) <= 2e-3       # two classes: TV = |p₁(x) − p₁(x_adv)|

    at.select_slider(key="p08_sigma").set_value(0.4).run()
    assert not at.exception
    assert float(_metric(at, "P(F(x + ε) = 1)")) != p_x

    if any(w.key == "p08_image_scale" for w in at.select_slider):
        before = [m.value for m in at.metric if m.label == "TV distance"][-1]
        at.select_slider(key="p08_image_eps").set_value(3.0).run()
        assert not at.exception
        assert [m.value for m in at.metric if m.label == "TV distance"][-1] != before
    else:
        assert at.info, "without zoo models the image tab must say how to build them"
