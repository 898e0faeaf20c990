"""Noise injection: the Monte Carlo estimate of F_rob moves with the noise scale and the layer."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _values(at, prefix: str) -> list[str]:
    return [m.value for m in at.metric if m.label.startswith(prefix)]


def test_noise_injection_reacts_to_scale_and_layer():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/p07_noise_injection.py")
    at.run()
    assert not at.exception
    soft = _values(at, "E[softmax")
    interval = _values(at, "95 % interval")
    assert soft and len(soft) == len(interval)
    assert all(0.0 <= float(v) <= 1.0 for v in soft)
    assert len(at.get("plotly_chart")) >= 4

    # 2-D toy tab (always available): the last estimate on the page belongs to it.
    at.slider(key="p07_toy_scale").set_value(0.3).run()
    assert not at.exception
    assert _values(at, "95 % interval")[-1] != interval[-1]
    louder = _values(at, "95 % interval")[-1]
    at.slider(key="p07_toy_layer").set_value(2).run()
    assert not at.exception
    assert _values(at, "95 % interval")[-1] != louder

    # Image tab, when a zoo model is installed: the scale moves the estimate of F_rob(x).
    if any(s.key == "p07_scale" for s in at.slider):
        before = _values(at, "95 % interval")[0]
        at.slider(key="p07_scale").set_value(0.6).run()
        assert not at.exception
        assert _values(at, "95 % interval")[0] != before
    else:
        assert at.info, "without zoo models the image tab must say how to build them"
