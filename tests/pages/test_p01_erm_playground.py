"""ERM playground: trains at first paint; architecture/data changes retrain; Step advances the epoch."""
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tiny MLPs: one intra-op thread avoids OpenMP contention on a busy 2-core machine (10× here)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_erm_playground_reacts_to_width_dataset_and_step():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/p01_erm_playground.py")
    at.run()
    assert not at.exception
    assert int(_metric(at, "Epoch")) > 0          # trained at first paint
    risk = _metric(at, "Empirical risk R̂(θ)")
    assert f"= {risk}" in " ".join(l.value for l in at.latex)   # the objective shows the current number
    assert len(at.get("plotly_chart")) == 2

    at.select_slider(key="erm_width").set_value(64).run()
    assert not at.exception
    wider_risk = _metric(at, "Empirical risk R̂(θ)")
    assert wider_risk != risk

    at.selectbox(key="erm_dataset").set_value("circles").run()
    assert not at.exception
    assert _metric(at, "Empirical risk R̂(θ)") != wider_risk

    epoch = int(_metric(at, "Epoch"))
    at.button(key="erm_step").click().run()
    assert not at.exception
    assert int(_metric(at, "Epoch")) == epoch + 1

    at.button(key="erm_reset").click().run()
    assert int(_metric(at, "Epoch")) == 0
