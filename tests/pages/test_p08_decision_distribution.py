"""Noise → decision regions: the class probabilities under noise move with σ; x_adv flips F, not F_rob."""


def test_decision_distribution_reacts_to_sigma(open_page, metric, metrics):
    at = open_page("app_pages/p08_decision_distribution.py")
    assert not at.exception
    assert len(at.get("plotly_chart")) >= 4
    # The default scene is Cohen et al.'s picture: PGD flips the base decision, not the smoothed one.
    assert metric(at, "F(x) → F(x_adv)") == "0 → 1"
    assert metric(at, "F_rob(x) → F_rob(x_adv)") == "0 → 0"
    p_x = float(metric(at, "P(F(x + ε) = 1)"))
    p_adv = float(metric(at, "P(F(x_adv + ε) = 1)"))
    tv = float(metric(at, "TV distance"))
    assert abs(tv - abs(p_x - p_adv)) <= 2e-3       # two classes: TV = |p₁(x) − p₁(x_adv)|

    at.select_slider(key="p08_sigma").set_value(0.4).run()
    assert not at.exception
    assert float(metric(at, "P(F(x + ε) = 1)")) != p_x

    if any(w.key == "p08_image_scale" for w in at.select_slider):
        before = metrics(at, "TV distance")[-1]
        at.select_slider(key="p08_image_eps").set_value(3.0).run()
        assert not at.exception
        assert metrics(at, "TV distance")[-1] != before
    else:
        assert at.info, "without zoo models the image tab must say how to build them"
