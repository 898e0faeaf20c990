"""core.scenes.crafting_attacks: accuracy-vs-budget curves (shipped or computed), one attacked image, captions."""
import numpy as np
import pytest
import torch

from core import attacks, zoo
from core.scenes import common
from core.scenes import crafting_attacks as scene

MODEL = "mnist-standard"


def test_default_curves_are_shipped_and_match_an_independent_fgsm():
    shipped = scene.curve(model_name=MODEL, attack="fgsm", steps=scene.DEFAULT_STEPS, seed=scene.SHIPPED_SEED)
    assert shipped.source == "shipped" and shipped.budgets == scene.BUDGETS[("linf", "mnist")]
    model = zoo.shared(MODEL)
    x, y = common.gallery("mnist")
    for budget, accuracy in zip(shipped.budgets, shipped.accuracy):
        x_adv = attacks.fgsm(model, x, y, eps=budget) if budget > 0 else x
        with torch.no_grad():
            assert accuracy == pytest.approx(float((model(x_adv).argmax(1) == y).float().mean()))
    assert all(a >= b for a, b in zip(shipped.accuracy, shipped.accuracy[1:]))   # FGSM on MNIST: monotone here
    pgd = scene.curve(model_name=MODEL, attack="pgd_linf", steps=scene.DEFAULT_STEPS, seed=scene.SHIPPED_SEED)
    assert pgd.source == "shipped" and pgd.matches(scene.DEFAULT_STEPS, scene.SHIPPED_SEED)


def test_other_settings_fall_back_or_compute():
    fallback = scene.curve(model_name=MODEL, attack="pgd_linf", steps=1, seed=0, compute=False)
    assert fallback.steps == scene.DEFAULT_STEPS and not fallback.matches(1, 0)
    live = scene.curve(model_name=MODEL, attack="pgd_linf", steps=1, seed=0, compute=True)
    assert live.source == "computed" and live.matches(1, 0) and live.steps == 1
    assert live.accuracy == scene.compute_curve(MODEL, "pgd_linf", live.budgets, 1, 0)    # deterministic
    assert live.accuracy[0] == fallback.accuracy[0]                                        # same clean accuracy
    fgsm = scene.curve(model_name=MODEL, attack="fgsm", steps=1, seed=5, compute=False)
    assert fgsm.matches(1, 5) and fgsm.source == "shipped"          # FGSM has no steps and no random start


def test_example_pgd_in_the_ball_deterministic_and_seeded():
    one = scene.example(model_name=MODEL, attack="pgd_linf", budget=0.1, steps=5, index=0, seed=0)
    assert one.linf <= 0.1 + 1e-6 and one.x.shape == (28, 28, 3) and one.x.dtype == np.uint8
    again = scene.example(model_name=MODEL, attack="pgd_linf", budget=0.1, steps=5, index=0, seed=0)
    assert again.l2 == one.l2 and np.array_equal(again.x_adv, one.x_adv)
    assert scene.example(model_name=MODEL, attack="pgd_linf", budget=0.1, steps=5, index=0, seed=1).l2 != one.l2
    assert one.after == int(np.argmax(one.p_adv)) and one.label == int(common.gallery("mnist")[1][0])
    assert one.fooled == (one.after != one.label) and one.broken == one.fooled


def test_example_carlini_wagner_counts_only_within_the_budget():
    one = scene.example(model_name=MODEL, attack="cw_l2", budget=0.25, steps=10, index=1, seed=0)
    assert one.fooled == (one.after != one.label)
    assert one.broken == (one.fooled and one.l2 <= 0.25)
    assert one.fooled and one.l2 > 0.25 and not one.broken     # C&W's minimum here exceeds 0.25


def _curve(attack, accuracy):
    budgets = tuple(np.linspace(0, 1, len(accuracy)))
    pgd = attack.startswith("pgd")
    return scene.Curve(attack, scene.LABELS[attack], scene.NORMS[attack], budgets, tuple(accuracy), 20,
                       10 if pgd else None, 0 if pgd else None, "computed")


def test_caption_and_strongest_follow_the_numbers():
    one_step = _curve("fgsm", [1.0, 0.8, 0.5])
    below = [one_step, _curve("pgd_linf", [1.0, 0.6, 0.2]), _curve("pgd_cw", [1.0, 0.7, 0.1])]
    above = [one_step, _curve("pgd_linf", [1.0, 0.9, 0.2]), _curve("pgd_cw", [1.0, 0.7, 0.1])]
    assert "at or below" in scene.curves_caption(below) and "1 of 3" not in scene.curves_caption(below)
    assert "above FGSM" in scene.curves_caption(above) and "1 of 3" in scene.curves_caption(above)
    assert scene.strongest(below, 0.5) == ("pgd_linf",) and scene.strongest(below, 1.0) == ("pgd_cw",)
    assert scene.strongest(below, 0.0) == ("fgsm", "pgd_linf", "pgd_cw")         # a tie names every attack


def test_test_set_reads_one_norm():
    shown = scene.test_set(model_name=MODEL, norm="l2")
    if shown.message is None:
        assert shown.curves and all(scene.NORMS[name] == "l2" for name in shown.curves)
    with pytest.raises(ValueError):
        scene.test_set(model_name=MODEL, norm="l1")


@pytest.mark.parametrize("changes", [dict(model_name="nope"), dict(model_name="mnist-gaussian-0.25"),
                                     dict(attack="deepfool"), dict(steps=3), dict(seed=-1), dict(index=20),
                                     dict(budget=-0.1)])
def test_bad_arguments_raise(changes):
    arguments = dict(model_name=MODEL, attack="fgsm", budget=0.1, steps=10, index=0, seed=0)
    with pytest.raises(ValueError):
        scene.example(**{**arguments, **changes})
