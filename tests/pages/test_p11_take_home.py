"""Take-home page: five conclusions, each with a live figure; σ changes the certified radii shown."""


def test_take_home_conclusions_are_live_and_sigma_moves_the_radius(open_page, metric, percent):
    at = open_page("app_pages/p11_take_home.py")
    assert not at.exception
    titles = " ".join(s.value for s in at.subheader)
    for words in ("Adversarial examples are everywhere", "Adversarial training", "certificates",
                  "attack budgets", "trade-off"):
        assert words in titles
    assert len(at.get("plotly_chart")) >= 5
    success = percent(at, "PGD success rate (toy)")
    assert 0 <= success <= 100

    sigma = at.select_slider(key="take_home_sigma").value
    radius = float(metric(at, "Gaussian ℓ2 radius at p_A = 0.99"))
    median = float(metric(at, "Median certified radius"))
    at.select_slider(key="take_home_sigma").set_value(0.2).run()
    assert not at.exception
    # Cohen et al.: R = σ Φ⁻¹(0.99) ≈ 2.326 σ, linear in σ.
    assert abs(float(metric(at, "Gaussian ℓ2 radius at p_A = 0.99")) - 2.3263 * 0.2) <= 0.001
    assert abs(radius - 2.3263 * sigma) <= 0.001
    assert float(metric(at, "Median certified radius")) != median
