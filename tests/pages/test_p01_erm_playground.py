"""ERM playground: trains at first paint; architecture/data changes retrain; Step and Train advance the
epochs; Reset goes back to θ₀."""


def test_erm_playground_reacts_to_width_dataset_and_step(open_page, metric):
    at = open_page("app_pages/p01_erm_playground.py")
    assert not at.exception
    assert int(metric(at, "Epoch")) > 0          # trained at first paint
    risk = metric(at, "Empirical risk R̂(θ)")
    assert f"= {risk}" in " ".join(l.value for l in at.latex)   # the objective shows the current number
    assert len(at.get("plotly_chart")) == 2

    at.select_slider(key="erm_width").set_value(64).run()
    assert not at.exception
    wider_risk = metric(at, "Empirical risk R̂(θ)")
    assert wider_risk != risk

    at.selectbox(key="erm_dataset").set_value("circles").run()
    assert not at.exception
    assert metric(at, "Empirical risk R̂(θ)") != wider_risk

    epoch = int(metric(at, "Epoch"))
    at.button(key="erm_step").click().run()
    assert not at.exception
    assert int(metric(at, "Epoch")) == epoch + 1

    at.number_input(key="erm_epochs").set_value(2)
    at.button(key="erm_train").click().run()
    assert not at.exception
    assert int(metric(at, "Epoch")) == epoch + 3

    at.button(key="erm_reset").click().run()
    assert int(metric(at, "Epoch")) == 0
