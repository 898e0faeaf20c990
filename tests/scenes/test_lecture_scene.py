"""Lecture mode's data: every scene lists its steps, the clicker's walk visits the whole talk in order,
a link's step is parsed into one sentence when it cannot be used, and the predict-then-reveal verdicts
follow the computed results."""

import importlib
from types import SimpleNamespace

import numpy as np
import pytest

from core import evaluation
from core.scenes import adversarial_training, cat_to_dog, decision_distribution
from core.scenes import lecture as plan
from core.scenes.registry import HOME_PAGE, REFERENCES_PAGE, SCENES


@pytest.mark.parametrize("entry", SCENES, ids=lambda s: s.url_path)
def test_every_scene_module_lists_its_steps_starting_with_the_question(entry):
    steps = importlib.import_module(entry.module).STEPS
    assert plan.check_steps(steps, entry.module) == steps
    assert plan.steps_of(entry.page) == steps
    assert len(steps) >= 2, "a scene reveals at least a question and what answers it"


def test_bad_step_lists_are_refused_with_a_sentence():
    for bad in (
        (),
        ["a list"],
        ("",),
        ("same", "same"),
        ("x" * (plan.MAX_TITLE + 1),),
        ("s",) * (plan.MAX_STEPS + 1),
    ):
        with pytest.raises(ValueError, match="STEPS|step"):
            plan.check_steps(bad, "somewhere")
    with pytest.raises(ValueError, match="not a page of the talk"):
        plan.steps_of("app_pages/nothing.py")


def test_next_walks_every_step_of_the_talk_in_order_and_previous_walks_it_back():
    expected = [
        (page, k)
        for page in (HOME_PAGE, *(s.page for s in SCENES), REFERENCES_PAGE)
        for k in range(1, len(plan.steps_of(page)) + 1)
    ]
    walk, stop = [], (HOME_PAGE, 1)
    while stop is not None:
        walk.append(stop)
        stop = plan.next_stop(*stop)
    assert walk == expected
    assert plan.walk() == tuple(expected), "the console's step list is the clicker's walk"
    back, stop = [], walk[-1]
    while stop is not None:
        back.append(stop)
        stop = plan.previous_stop(*stop)
    assert back == expected[::-1]
    # From a scene's first step, previous is the last step of the page before it.
    assert plan.previous_stop(SCENES[1].page, 1) == (SCENES[0].page, len(plan.steps_of(SCENES[0].page)))


@pytest.mark.parametrize("page", [HOME_PAGE, *(s.page for s in SCENES), REFERENCES_PAGE])
def test_the_speakers_notes_name_the_step_and_carry_the_scenes_explanation(page):
    titles = plan.steps_of(page)
    for step, title in enumerate(titles, start=1):
        notes = plan.notes_of(page, step)
        assert notes.startswith(f"**Step {step} / {len(titles)}: {title}")
        assert len(notes.split("\n\n")) >= 2, "more than the title: what to say"
    entry = next((s for s in SCENES if s.page == page), None)
    if entry is not None:
        module = importlib.import_module(entry.module)
        assert module.EXPLANATION.strip() in plan.notes_of(page, 1)
        assert plan.title_of(page) == entry.title
        for step, note in getattr(module, "NOTES", {}).items():
            assert note in plan.notes_of(page, step)
            assert note not in plan.notes_of(page, 1 + step % len(titles)), "a step's note, on its step only"
    with pytest.raises(ValueError, match="not a page of the talk"):
        plan.title_of("app_pages/console.py")


@pytest.mark.parametrize(
    "raw, count, step, says",
    [
        (None, 4, 4, None),  # no step in the link: the whole scene
        ("2", 4, 2, None),
        (" 3 ", 4, 3, None),
        ("0", 4, 1, "outside"),
        ("-5", 4, 1, "outside"),
        ("99", 4, 4, "outside"),
        ("abc", 4, 4, "not a whole number"),
        ("2.5", 4, 4, "not a whole number"),
        ("", 3, 3, "not a whole number"),
    ],
)
def test_a_links_step_is_clamped_or_replaced_with_one_sentence(raw, count, step, says):
    shown, message = plan.parse_step(raw, count)
    assert shown == step
    if says is None:
        assert message is None
    else:
        assert says in message and message.endswith(".") and message.count(". ") == 0


@pytest.mark.parametrize("value, index", [(-3.0, 0), (0.99, 0), (1.0, 1), (4.9, 1), (5.0, 2), (30.0, 2)])
def test_verdict_by_range_marks_exactly_the_range_holding_the_value(value, index):
    verdict = plan.verdict_by_range(value, (1.0, 5.0), "because")
    assert verdict.correct == tuple(k == index for k in range(3))


def _cat(before: int, after: int, target: int = 5):
    p, p_adv = np.full(10, 0.01), np.full(10, 0.01)
    p[before], p_adv[after] = 0.91, 0.91
    names = tuple(f"class{k}" for k in range(10))
    return cat_to_dog.CatToDog(
        x=None,
        x_adv=None,
        unit=None,
        p=p,
        p_adv=p_adv,
        class_names=names,
        label=before,
        target=target,
        before=before,
        after=after,
        scale=1 / 255,
        l2=0.1,
        reached=after == target,
        uploaded=False,
    )


@pytest.mark.parametrize("after, right", [(3, 0), (5, 1), (7, 2)])
def test_cat_to_dog_verdict_follows_the_class_the_attack_ends_in(after, right):
    result = _cat(before=3, after=after)
    question = cat_to_dog.prediction(result)
    assert "class3" in question.question and question.choices[1].endswith("class5")
    verdict = cat_to_dog.verdict(result)
    assert verdict.correct == tuple(k == right for k in range(3))
    assert f"class{after}" in verdict.answer


@pytest.mark.parametrize("q, kept", [([0.9, 0.1], True), ([0.2, 0.8], False)])
def test_decision_distribution_verdict_is_whether_f_rob_keeps_its_answer(q, kept):
    outcome = decision_distribution.Outcome(
        label=0, adv_label=1, p=np.array([0.8, 0.2]), q=np.array(q), tv=abs(0.8 - q[0]), distance=0.1
    )
    verdict = decision_distribution.verdict(outcome, ("cat", "dog"))
    assert verdict.correct == (kept, not kept)
    assert ("F_rob: cat → cat" in verdict.answer) == kept


def _images(shipped=None, gallery=None):
    return SimpleNamespace(
        models={"standard": "d-standard", "adversarial": "d-adversarial"},
        title="D",
        shipped=shipped or {},
        gallery=gallery,
    )


@pytest.mark.parametrize(
    "standard, adversarial, right", [(0.9, 0.895, 0), (0.9, 0.87, 1), (0.907, 0.608, 2), (0.8, 0.85, 0)]
)
def test_adversarial_training_verdict_uses_the_shipped_test_set_cost(standard, adversarial, right):
    shipped = {
        "d-standard": {"table": {"natural": standard}},
        "d-adversarial": {"table": {"natural": adversarial}},
    }
    verdict = adversarial_training.verdict(_images(shipped=shipped))
    assert verdict.correct == tuple(k == right for k in range(3))
    assert f"{100 * (standard - adversarial):.1f} points" in verdict.answer and "shipped" in verdict.answer


def test_adversarial_training_verdict_falls_back_to_the_gallery_then_to_madry():
    gallery = {"standard": {"natural": 0.95}, "adversarial": {"natural": 0.94}}
    assert adversarial_training.verdict(_images(gallery=gallery)).correct == (False, True, False)
    madry = evaluation.MADRY_CIFAR10
    cost = 100 * (madry["natural_training"]["natural"] - madry["adversarial_training"]["natural"])
    verdict = adversarial_training.verdict(_images())
    assert verdict.correct == plan.verdict_by_range(cost, adversarial_training.COST_BOUNDS, "").correct
    assert "Madry" in verdict.answer


@pytest.mark.parametrize(
    "radius, distance, right",
    [(0.1, 0.5, 0), (0.45, 0.5, 1), (0.55, 0.5, 1), (0.9, 0.5, 2), (0.3, float("inf"), 0)],
)
def test_tradeoff_verdict_compares_the_median_radius_with_the_median_attack_distance(radius, distance, right):
    from core.scenes import tradeoff

    verdict = tradeoff.verdict(SimpleNamespace(facts={"median_radius": radius, "median_attack": distance}))
    assert verdict.correct == tuple(k == right for k in range(3))
    assert f"{radius:.3f}" in verdict.answer


def test_tradeoff_verdict_says_when_nothing_can_be_compared():
    from core.scenes import tradeoff

    verdict = tradeoff.verdict(SimpleNamespace(facts={"median_radius": None, "median_attack": 0.4}))
    assert verdict.correct == (False, False, False) and "no input is certified" in verdict.answer
