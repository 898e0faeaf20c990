"""ERM playground: trains at first paint; architecture/data changes retrain; Step and Train advance the
epochs; Reset goes back to θ₀."""


def test_erm_playground_reacts_to_width_dataset_and_step(open_page, metric):
    at = open_page("app_pages/p01_erm_playground.py")
    assert not at.exception
    assert int(metric(at, "Epoch")) > 0  # trained at first paint
    risk = metric(at, "Empirical risk R̂(θ)")
    # the objective shows the current number
    assert f"= {risk}" in " ".join(shown.value for shown in at.latex)
    assert len(at.get("plotly_chart")) == 2

    at.select_slider(key="p01_width").set_value(64).run()
    assert not at.exception
    wider_risk = metric(at, "Empirical risk R̂(θ)")
    assert wider_risk != risk

    at.selectbox(key="p01_dataset").set_value("circles").run()
    assert not at.exception
    assert metric(at, "Empirical risk R̂(θ)") != wider_risk

    epoch = int(metric(at, "Epoch"))
    at.button(key="p01_step").click().run()
    assert not at.exception
    assert int(metric(at, "Epoch")) == epoch + 1

    at.number_input(key="p01_epochs").set_value(2)
    at.button(key="p01_train").click().run()
    assert not at.exception
    assert int(metric(at, "Epoch")) == epoch + 3

    at.button(key="p01_reset").click().run()
    assert int(metric(at, "Epoch")) == 0


def test_a_link_replays_the_training_clicks_and_a_bad_history_gives_a_sentence(open_page, metric):
    from streamlit.testing.v1 import AppTest

    from tests.pages.conftest import APP

    def opened_with(history):
        fresh = AppTest.from_file(APP, default_timeout=600)
        fresh.query_params["p01_run"] = history
        fresh.switch_page("app_pages/p01_erm_playground.py")
        fresh.run()
        assert not fresh.exception
        return fresh

    at = open_page("app_pages/p01_erm_playground.py")
    at.number_input(key="p01_epochs").set_value(3)
    at.button(key="p01_train").click().run()
    at.radio(key="p01_step_unit").set_value("one mini-batch").run()
    at.button(key="p01_step").click().run()
    assert not at.exception
    assert at.query_params["p01_run"] in ("e3.b1", ["e3.b1"])  # the address bar carries the clicks
    shown = {label: metric(at, label) for label in ("Epoch", "Empirical risk R̂(θ)", "Held-out risk")}

    fresh = opened_with("e3.b1")
    assert {label: metric(fresh, label) for label in shown} == shown  # same weights, same numbers
    assert not [button for button in fresh.button if button.key == "p01_replay"]  # cheap: replayed at once

    bad = opened_with("e3.zz")
    assert any("not one this page wrote" in w.value for w in bad.warning)
    assert metric(bad, "Epoch") == metric(
        open_page("app_pages/p01_erm_playground.py"), "Epoch"
    )  # the opening


def opened_with(**params):
    """A fresh session of the app opened on p01 with a link's ``params`` (p01_run, widget values)."""
    from streamlit.testing.v1 import AppTest

    from tests.pages.conftest import APP

    fresh = AppTest.from_file(APP, default_timeout=600)
    for key, value in params.items():
        fresh.query_params[key] = value
    fresh.switch_page("app_pages/p01_erm_playground.py")
    fresh.run()
    assert not fresh.exception
    return fresh


def replay_buttons(at):
    return [button for button in at.button if button.key == "p01_replay"]


def test_an_expensive_link_opens_at_the_trained_opening_with_a_replay_button(metric):
    from core.scenes import erm_playground as erm

    # A link written before the keys took the p01_ form: its erm_ values still open the scene.
    at = opened_with(erm_depth="5", erm_width="128", erm_run="e2000")  # within every limit, beyond the budget
    assert "erm_run" not in at.query_params and "erm_depth" not in at.query_params
    assert at.slider(key="p01_depth").value == 5 and at.select_slider(key="p01_width").value == 128
    assert int(metric(at, "Epoch")) == erm.AUTO_EPOCHS  # the trained opening, not trained on
    assert any("more than a link starts by itself" in info.value for info in at.info)
    [button] = replay_buttons(at)
    assert button.label.startswith("Replay this link's training: 2000 epochs, about ")
    assert at.query_params["p01_run"] in ("e2000", ["e2000"])  # the link stays the link


def test_the_replay_button_trains_the_link_and_a_cheap_link_needs_none(metric, monkeypatch):
    from core.scenes import erm_playground as erm

    cheap = opened_with(p01_run="e3")
    assert int(metric(cheap, "Epoch")) == erm.AUTO_EPOCHS + 3 and not replay_buttons(
        cheap
    )  # replayed at once

    monkeypatch.setattr(erm, "REPLAY_BUDGET", 0)  # every link is now beyond it
    at = opened_with(p01_run="e3")
    assert int(metric(at, "Epoch")) == erm.AUTO_EPOCHS
    replay_buttons(at)[0].click().run()
    assert not at.exception
    assert int(metric(at, "Epoch")) == erm.AUTO_EPOCHS + 3 and not replay_buttons(at) and not at.info
    assert at.query_params["p01_run"] in ("e3", ["e3"])
    assert metric(at, "Empirical risk R̂(θ)") == metric(cheap, "Empirical risk R̂(θ)")  # the same training
