"""Geometric interpretation: the PGD path stays in the ε-ball and reacts to ε, the point, the ball and the
data."""

import re


def _help(at, label: str) -> str:
    return next(m.proto.help for m in at.metric if m.label == label)


def test_geometry_reacts_to_eps_and_point(open_page, metric):
    at = open_page("app_pages/p05_geometry.py")
    assert not at.exception
    assert len(at.get("plotly_chart")) == 2
    # The default point sits near the boundary: the default budget crosses it.
    before, after = metric(at, "F(x) → F(x_adv)").split(" → ")
    assert before != after
    assert metric(at, "Crossing step") != "never"
    distance = float(metric(at, "‖x_adv − x‖"))
    assert 0 < distance <= 0.1 + 1e-4  # projected onto the default ball ε = 0.1

    at.select_slider(key="p05_eps").set_value(0.3).run()
    assert not at.exception
    assert float(metric(at, "‖x_adv − x‖")) != distance

    median = metric(at, "Median stretch at x")
    at.number_input(key="p05_x1").set_value(0.05).run()
    at.number_input(key="p05_x2").set_value(0.95).run()
    assert not at.exception
    assert metric(at, "Median stretch at x") != median

    assert "identity map gives 1 on the same draws" in _help(at, "Median stretch at x")
    at.radio(key="p05_norm").set_value("linf").run()  # the ℓ∞ ball: distance measured in ℓ∞
    assert not at.exception
    assert float(metric(at, "‖x_adv − x‖")) <= 0.3 + 1e-4
    # On the ℓ∞ square the ratio mixes two norms: the identity's reference is computed, about 1.08, not 1.
    identity = float(re.search(r"identity map gives ([\d.]+)", _help(at, "Median stretch at x")).group(1))
    assert 1.03 < identity < 1.15
    spec = at.get("plotly_chart")[1].proto.spec
    line = float(re.search(r"identity map: ratio ([\d.]+) in the median", spec).group(1))  # the figure's line
    assert 1.03 < line < 1.15 and "isometry: ratio 1" not in spec

    at.selectbox(key="p05_dataset").set_value("circles").run()  # a new toy starts from its own default point
    assert not at.exception
    assert (at.number_input(key="p05_x1").value, at.number_input(key="p05_x2").value) != (0.05, 0.95)
