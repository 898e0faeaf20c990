"""Noise → decision regions: the class probabilities under noise move with σ; the outcome caption
says what the metrics show (F flipped or not, F_rob kept its answer or not); the TV bound follows σ; the
divergence view's generalized-normal radius follows β."""


def outcome_texts(at) -> list[str]:
    """Every markdown or caption on the page that states the attack's outcome."""
    return [element.value for element in list(at.markdown) + list(at.caption) if "flip F" in element.value
            or "flips F" in element.value]


def agrees(text: str, f_metric: str, rob_metric: str) -> bool:
    before, after = (side.strip() for side in f_metric.split("→"))
    rob_before, rob_after = (side.strip() for side in rob_metric.split("→"))
    return (("flips F" in text) == (before != after)) and (("keeps its answer" in text) == (rob_before == rob_after))


def test_decision_distribution_reacts_to_sigma(open_page, metric, metrics):
    at = open_page("app_pages/p08_decision_distribution.py")
    assert not at.exception
    assert len(at.get("plotly_chart")) >= 4
    # The default scene is Cohen et al.'s picture: PGD flips the base decision, not the smoothed one.
    assert metric(at, "F(x) → F(x_adv)") == "0 → 1"
    assert metric(at, "F_rob(x) → F_rob(x_adv)") == "0 → 0"
    texts = outcome_texts(at)
    assert texts and all(agrees(text, f, rob) for text, f, rob in
                         zip(texts, metrics(at, "F(x) → F(x_adv)"), metrics(at, "F_rob(x) → F_rob(x_adv)")))
    p_x = float(metric(at, "P(F(x + ε) = 1)"))
    p_adv = float(metric(at, "P(F(x_adv + ε) = 1)"))
    tv = float(metric(at, "TV distance"))
    assert abs(tv - abs(p_x - p_adv)) <= 2e-3       # two classes: TV = |p₁(x) − p₁(x_adv)|

    bound = float(metric(at, "TV bound 2Φ(‖τ‖₂/2σ) − 1"))
    assert 0 < bound < 1 and tv <= bound + 0.05     # the measured TV, up to Monte Carlo error

    at.select_slider(key="p08_sigma").set_value(0.4).run()
    assert not at.exception
    assert float(metric(at, "P(F(x + ε) = 1)")) != p_x
    assert float(metric(at, "TV bound 2Φ(‖τ‖₂/2σ) − 1")) < bound     # more noise, closer laws

    # Pinot et al.'s divergence view: β moves the generalized normal's radius only.
    table = at.dataframe[-1].value
    at.select_slider(key="p08_div_beta").set_value(2.0).run()
    assert not at.exception
    changed = at.dataframe[-1].value
    radius = "sup_α r_α (divergence route)"
    assert list(changed[radius][:2]) == list(table[radius][:2]) and changed[radius][2] != table[radius][2]

    # A larger budget on the toy: the caption still follows the metrics, whatever the attack achieved.
    at.select_slider(key="p08_eps").set_value(0.3).run()
    assert not at.exception
    assert agrees(outcome_texts(at)[0], metric(at, "F(x) → F(x_adv)"), metric(at, "F_rob(x) → F_rob(x_adv)"))

    if any(w.key == "p08_image_scale" for w in at.select_slider):
        before = metrics(at, "TV distance")[-1]
        at.select_slider(key="p08_image_eps").set_value(3.0).run()
        assert not at.exception
        assert metrics(at, "TV distance")[-1] != before
        assert agrees(outcome_texts(at)[-1], metrics(at, "F(x) → F(x_adv)")[-1],
                      metrics(at, "F_rob(x) → F_rob(x_adv)")[-1])
    else:
        assert at.info, "without zoo models the image tab must say how to build them"
