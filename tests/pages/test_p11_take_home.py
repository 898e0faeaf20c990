"""Take-home page: the talk's four messages, each with a live figure; ε and σ move the numbers shown."""

from core.scenes import take_home


def test_take_home_shows_four_messages_and_the_sliders_move_its_numbers(open_page, metric, percent):
    at = open_page("app_pages/p11_take_home.py")
    assert not at.exception
    titles = [s.value for s in at.subheader]
    assert titles == [f"{m.number}. {m.title}" for m in take_home.MESSAGES]
    assert "Room for improvement" in titles[3] and "more distributions" in titles[3]
    assert len(at.get("plotly_chart")) >= 4
    limits = take_home.limits(0)
    argument, headline = limits.argument, limits.headline
    shown = metric(at, f"Certified at {argument.needed:.2f} (shipped)")
    assert shown.startswith(
        "not measured" if argument.measured is None else f"{argument.measured.certified_at_needed:.0%}"
    )
    label = f"Shipped: certified accuracy of {headline['model']} at r = {headline['radius']:g}"
    assert metric(at, label) == f"{headline['accuracy']:.0%}" and headline["radius"] <= headline["ceiling"]
    success = percent(at, "PGD success rate (toy)")
    assert 0 <= success <= 100

    at.select_slider(key="p11_eps").set_value(0.02).run()
    assert not at.exception
    assert percent(at, "PGD success rate (toy)") < success  # a smaller budget flips fewer points here

    median = float(metric(at, "Median certified radius"))
    at.select_slider(key="p11_sigma").set_value(0.2).run()
    assert not at.exception
    # Cohen et al.: R = σ Φ⁻¹(0.99) ≈ 2.326 σ, linear in σ.
    assert abs(float(metric(at, "Gaussian ℓ2 radius at p_A = 0.99")) - 2.3263 * 0.2) <= 0.001
    assert float(metric(at, "Median certified radius")) != median
