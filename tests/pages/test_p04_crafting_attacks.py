"""Crafting an attack: the accuracy under attack falls with the budget, and depends on the attack."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _percent(at, prefix: str) -> float:
    return float(next(m.value for m in at.metric if m.label.startswith(prefix)).rstrip("%"))


def _budget(shown: str) -> float:
    """The budget behind a slider label such as "0.3" or "16/255"."""
    numerator, _, denominator = shown.partition("/")
    return float(numerator) / (float(denominator) if denominator else 1.0)


def test_accuracy_reacts_to_budget_and_attack():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/p04_crafting_attacks.py")
    at.run()
    assert not at.exception
    if not any(w.key == "p04_model" for w in at.selectbox):
        assert at.info, "without zoo models the page must say how to build them"
        return
    assert len(at.get("plotly_chart")) >= 4          # curves + the example's three images
    clean = _percent(at, "Clean accuracy")
    attacked = _percent(at, "Accuracy at ε")
    assert 0 <= attacked <= clean <= 100

    slider = at.select_slider(key="p04_budget_linf")
    slider.set_value(_budget(slider.options[-1])).run()      # the largest budget
    assert not at.exception
    strongest = _percent(at, "Accuracy at ε")
    assert strongest != attacked and strongest <= attacked   # a larger ball holds more adversarial examples
    assert _percent(at, "Clean accuracy") == clean

    label = next(m.label for m in at.metric if m.label.startswith("Accuracy at ε"))
    at.selectbox(key="p04_attack").set_value("gradient_step").run()   # an ℓ2 attack: ℓ2 budgets and curves
    assert not at.exception
    assert next(m.label for m in at.metric if m.label.startswith("Accuracy at ε")) != label
    assert 0 <= _percent(at, "Accuracy at ε") <= clean
    assert _percent(at, "Clean accuracy") == clean
