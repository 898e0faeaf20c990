"""Adversarial training: on the 2-D toy, Madry-trained boundaries resist PGD better and react to ε."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _percent(at, label: str) -> float:
    return float(next(m.value for m in at.metric if m.label == label).rstrip("%"))


def test_adversarial_training_reacts_to_eps():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/p06_adversarial_training.py")
    at.run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 2
    standard_pgd = _percent(at, "Standard · PGD-20")
    robust_pgd = _percent(at, "Adversarial · PGD-20")
    assert robust_pgd > standard_pgd                       # the point of adversarial training
    assert standard_pgd <= _percent(at, "Standard · natural")

    at.select_slider(key="p06_eps").set_value(0.15).run()
    assert not at.exception
    assert _percent(at, "Standard · PGD-20") < standard_pgd  # a larger ball breaks more points

    # The image table: a row per zoo model present (plus Madry et al.'s), one sentence per missing model.
    zoo_metrics = [m for m in at.metric if m.label.endswith("-standard · PGD-20") or m.label.endswith("-adversarial · PGD-20")]
    if zoo_metrics:
        assert at.dataframe
    if len(zoo_metrics) < 2:
        assert at.info
