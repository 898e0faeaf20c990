"""Composition page: per-layer representations, width/depth sweep (quick, and the full one behind its
button), universal approximation MSEs."""
from core.scenes import composition


def _mse(at) -> dict[str, float]:
    return {m.label: float(m.value) for m in at.metric if m.label.startswith("MSE, N = ")}


def test_composition_layers_sweep_and_approximation_react(open_page, metric, monkeypatch):
    at = open_page("app_pages/p02_composition.py")
    assert not at.exception
    assert len(at.get("plotly_chart")) == 3
    mse = _mse(at)
    assert list(mse) == [f"MSE, N = {n}" for n in (1, 2, 4, 8, 16, 32)]
    # Cybenko: the widest fit approximates far better than a single sigmoid.
    assert mse["MSE, N = 32"] < mse["MSE, N = 1"] / 5
    captions = " ".join(c.value for c in at.caption)
    assert "The mean squared error falls from" in captions and "The widest network" in captions

    at.selectbox(key="comp_function").set_value("step").run()
    assert not at.exception
    step_mse = _mse(at)
    assert step_mse != mse

    at.select_slider(key="comp_max_width").set_value(64).run()
    assert not at.exception
    assert "MSE, N = 64" in _mse(at)

    # Width 2: every representation is drawn as is; width 8: hidden layers are projected by PCA.
    assert "PCA" not in at.get("plotly_chart")[0].proto.spec
    parameters = metric(at, "Parameters")
    at.select_slider(key="comp_width").set_value(8).run()
    assert not at.exception
    assert "PCA" in at.get("plotly_chart")[0].proto.spec
    assert metric(at, "Parameters") != parameters

    held_out = metric(at, "… and held-out accuracy")
    at.selectbox(key="comp_dataset").set_value("circles").run()
    assert not at.exception
    assert metric(at, "… and held-out accuracy") != held_out

    # The full sweep behind its button (shrunk here: the page reads the scene module's settings).
    monkeypatch.setattr(composition, "FULL_SWEEP", {"widths": (2, 5), "depths": (1,), "epochs": 3})
    at.button(key="comp_full_sweep").click().run()
    assert not at.exception
    assert any(m.label.startswith("Widest network (width 5, depth 1)") for m in at.metric)
