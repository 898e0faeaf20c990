"""Composition page: per-layer representations, width/depth sweep (quick, and the full one behind its
button), universal approximation MSEs."""

import pytest
import torch

from core import geometry
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

    markdown = " ".join(m.value for m in at.markdown)
    assert "Cybenko's theorem applies" in markdown and "not continuous" not in markdown

    at.selectbox(key="p02_function").set_value("step").run()
    assert not at.exception
    step_mse = _mse(at)
    assert step_mse != mse
    # A discontinuous target: the page says the theorem does not cover it and the sup-norm error stays.
    markdown = " ".join(m.value for m in at.markdown)
    assert "not continuous" in markdown and "cannot go to 0" in markdown and "theorem applies" not in markdown

    at.select_slider(key="p02_max_width").set_value(64).run()
    assert not at.exception
    assert "MSE, N = 64" in _mse(at)

    # Width 2: every representation is drawn as is; width 8: hidden layers are projected by PCA.
    assert "PCA" not in at.get("plotly_chart")[0].proto.spec
    parameters = metric(at, "Parameters")
    at.select_slider(key="p02_width").set_value(8).run()
    assert not at.exception
    assert "PCA" in at.get("plotly_chart")[0].proto.spec
    assert metric(at, "Parameters") != parameters

    held_out = metric(at, "… and held-out accuracy")
    at.selectbox(key="p02_dataset").set_value("circles").run()
    assert not at.exception
    assert metric(at, "… and held-out accuracy") != held_out

    # The full sweep behind its button (shrunk here: the page reads the scene module's settings).
    monkeypatch.setattr(composition, "FULL_SWEEP", {"widths": (2, 5), "depths": (1,), "epochs": 3})
    at.button(key="p02_full_sweep").click().run()
    assert not at.exception
    assert any(m.label.startswith("Widest network (width 5, depth 1)") for m in at.metric)


@pytest.mark.parametrize("function", composition.FUNCTIONS)
def test_the_theorem_sentence_follows_each_targets_measured_continuity(function):
    """Cybenko covers continuous f: for a target with a jump the sentence gives the jump and the floor J/2 of
    the
    sup-norm error of every continuous g; the jumps are measured on a grid, not declared."""
    fact = composition.continuity(function)
    xs = torch.linspace(0.0, 1.0, 1_000_001, dtype=torch.float64)
    largest_step = float(geometry.TARGET_FUNCTIONS[function](xs).double().diff().abs().max())
    assert fact.continuous == (largest_step < 1e-3)  # sine, bump: Lipschitz; step, sawtooth: jumps of 1
    assert fact.continuous == (function in ("sine", "bump"))
    text = composition.theorem_text(fact)
    if fact.continuous:
        assert fact.jump == fact.sup_floor == 0 and not fact.jumps_at
        assert "theorem applies" in text and "not continuous" not in text
    else:
        assert fact.jump == pytest.approx(1.0, abs=1e-3) and fact.sup_floor == pytest.approx(fact.jump / 2)
        assert fact.jumps_at == {"step": (0.5,), "sawtooth": (0.333, 0.667, 1.0)}[function]
        assert "not continuous" in text and "cannot go to 0" in text and f"{fact.sup_floor:.3g}" in text
        # A steep continuous sigmoid through the jump at ½ is still ½ away from f right at the jump.
        if function == "step":
            g = torch.sigmoid((xs - 0.5) * 1e6)
            assert float((g - geometry.TARGET_FUNCTIONS[function](xs)).abs().max()) >= fact.sup_floor - 1e-6
