"""Crafting an attack: the accuracy under attack falls with the budget, and depends on the attack."""


def _budget(shown: str) -> float:
    """The budget behind a slider label such as "0.3" or "16/255"."""
    numerator, _, denominator = shown.partition("/")
    return float(numerator) / (float(denominator) if denominator else 1.0)


def test_accuracy_reacts_to_budget_and_attack(open_page, percent):
    at = open_page("app_pages/p04_crafting_attacks.py")
    assert not at.exception
    if not any(w.key == "p04_model" for w in at.selectbox):
        assert at.info, "without zoo models the page must say how to build them"
        return
    assert len(at.get("plotly_chart")) >= 4  # curves + the example's three images
    clean = percent(at, "Clean accuracy")
    attacked = percent(at, "Accuracy at ε")
    assert 0 <= attacked <= clean <= 100

    slider = at.select_slider(key="p04_budget_linf")
    slider.set_value(_budget(slider.options[-1])).run()  # the largest budget
    assert not at.exception
    strongest = percent(at, "Accuracy at ε")
    assert strongest != attacked and strongest <= attacked  # a larger ball holds more adversarial examples
    assert percent(at, "Clean accuracy") == clean

    label = next(m.label for m in at.metric if m.label.startswith("Accuracy at ε"))
    at.selectbox(key="p04_attack").set_value("gradient_step").run()  # an ℓ2 attack: ℓ2 budgets and curves
    assert not at.exception
    assert next(m.label for m in at.metric if m.label.startswith("Accuracy at ε")) != label
    assert 0 <= percent(at, "Accuracy at ε") <= clean
    assert percent(at, "Clean accuracy") == clean


def test_other_pgd_steps_are_computed_behind_a_button(open_page):
    at = open_page("app_pages/p04_crafting_attacks.py")
    if not any(w.key == "p04_model" for w in at.selectbox):
        return
    assert not any("shipped ones" in info.value for info in at.info)  # the defaults are shipped
    at.select_slider(key="p04_steps").set_value(1).run()
    assert not at.exception
    assert any("shipped ones" in info.value for info in at.info)  # says what it shows instead
    at.button(key="p04_compute").click().run()
    assert not at.exception
    assert not any("shipped ones" in info.value for info in at.info)  # now computed at 1 step
    assert [b.key for b in at.button if b.key.startswith("p04_")] == [
        "p04_relax_run"
    ]  # only the relaxation left


def test_relaxation_runs_on_a_button_and_c_moves_it(open_page):
    at = open_page("app_pages/p04_crafting_attacks.py")
    if not any(w.key == "p04_model" for w in at.selectbox):
        return
    assert not any(m.label == "F flipped" for m in at.metric)  # waits for the button
    at.button(key="p04_relax_run").click().run()
    assert not at.exception
    before = next(m.value for m in at.metric if m.label == "‖τ‖₂ of the minimiser")
    at.select_slider(key="p04_c").set_value(30.0).run()  # the largest c: the penalty wins
    assert not at.exception
    after = next(m.value for m in at.metric if m.label == "‖τ‖₂ of the minimiser")
    assert float(after) < float(before)


def test_carlini_wagner_example_runs_on_a_button(open_page):
    at = open_page("app_pages/p04_crafting_attacks.py")
    if not any(w.key == "p04_model" for w in at.selectbox):
        return
    at.selectbox(key="p04_attack").set_value("cw_l2").run()
    assert not at.exception
    assert not any(m.label == "‖τ‖₂" for m in at.metric)  # the example waits for the button
    assert any(m.label.startswith("Accuracy at ε") for m in at.metric)  # the shipped curves do not
    at.button(key="p04_run").click().run()
    assert not at.exception
    assert any(m.label == "‖τ‖₂" for m in at.metric)
    assert any("Carlini–Wagner returns its smallest" in c.value for c in at.caption)
