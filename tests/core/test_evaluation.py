"""Tests for core.evaluation on a small MLP trained on two 2-D blobs (CPU, a few seconds).

References: foolbox 3.3.4's robust accuracy for LinfPGD (same budgets and relative step), the
attacks themselves called directly, hand-made certify rows, and the CERTIFY radius ceiling.
"""

import pytest
import torch

from core import attacks, evaluation, models, smoothing, training
from core.device import make_generator
from core.noise import make as make_noise


def blobs(n=240, seed=0):
    """Two Gaussian blobs around (0.3, 0.3) (class 0) and (0.7, 0.7) (class 1), clipped to [0, 1]²."""
    generator = make_generator(seed)
    y = torch.arange(n) % 2
    centres = torch.tensor([[0.3, 0.3], [0.7, 0.7]])[y]
    x = (centres + 0.08 * torch.randn(n, 2, generator=generator)).clamp(0, 1)
    return x, y


@pytest.fixture(scope="module")
def trained():
    """(model in eval mode, x, y): an MLP separating the blobs (accuracy > 95 %)."""
    x, y = blobs()
    model = models.feed_forward(2, [32, 32], 2, seed=0)
    training.train(model, x, y, epochs=40, lr=1e-2, batch_size=64, seed=0)
    model.eval()
    assert evaluation.accuracy(model, x, y) > 0.95
    return model, x[:120], y[:120]


def _accuracy(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


# --------------------------------------------------------------------------- empirical accuracy


def test_accuracy_is_the_fraction_of_correct_predictions(trained):
    model, x, y = trained
    y_wrong = y.clone()
    y_wrong[:30] = 1 - y_wrong[:30]
    assert evaluation.accuracy(model, x, y_wrong, batch_size=7) == pytest.approx(_accuracy(model, x, y_wrong))


def test_accuracy_under_attack_starts_at_clean_accuracy_and_falls_to_zero(trained):
    model, x, y = trained
    curve = evaluation.accuracy_under_attack(
        model, x, y, attack="pgd_linf", budgets=[0, 0.05, 0.1, 0.2, 0.3, 0.5], steps=10
    )
    assert curve[0] == evaluation.accuracy(model, x, y)
    assert all(later <= earlier + 0.02 for earlier, later in zip(curve, curve[1:]))
    assert curve[2] < curve[0]
    assert curve[-1] <= 0.02  # ε = 0.5 in ℓ∞ reaches the other blob


def test_accuracy_under_linf_pgd_matches_foolbox(trained):
    fb = pytest.importorskip("foolbox")
    model, x, y = trained
    budgets, steps = [0.0, 0.05, 0.1, 0.15, 0.2], 10
    ours = evaluation.accuracy_under_attack(
        model, x, y, attack="pgd_linf", budgets=budgets, steps=steps, random_start=False
    )
    # Madry's rule α = 2.5 ε / steps is foolbox's relative step size 2.5 / steps.
    attack = fb.attacks.LinfPGD(rel_stepsize=2.5 / steps, steps=steps, random_start=False)
    _, _, success = attack(fb.PyTorchModel(model, bounds=(0, 1)), x, y, epsilons=budgets)
    theirs = (1 - success.float().mean(dim=1)).tolist()
    assert ours == pytest.approx(theirs, abs=1.5 / len(x))


def test_budget_is_gamma_for_the_gradient_step_and_eps_for_pgd(trained):
    model, x, y = trained
    curve = evaluation.accuracy_under_attack(
        model, x, y, attack="gradient_step", budgets=[0.15, 0.3], batch_size=50
    )
    assert curve == pytest.approx(
        [_accuracy(model, attacks.gradient_step(model, x, y, gamma=g), y) for g in (0.15, 0.3)]
    )
    [pgd_accuracy] = evaluation.accuracy_under_attack(
        model, x, y, attack="pgd_l2", budgets=[0.2], steps=8, seed=3
    )
    direct = attacks.pgd(
        model, x, y, eps=0.2, step=2.5 * 0.2 / 8, steps=8, norm="l2", generator=make_generator(3)
    )
    assert pgd_accuracy == pytest.approx(_accuracy(model, direct, y))


def test_carlini_wagner_curve_counts_examples_fooled_within_the_budget(trained):
    model, x, y = trained
    budgets = [0.0, 0.1, 0.2, 0.3, 10.0]
    curve = evaluation.accuracy_under_attack(
        model, x, y, attack="cw_l2", budgets=budgets, steps=50, binary_search_steps=3, lr=0.05
    )
    x_adv = attacks.carlini_wagner_l2(model, x, y, steps=50, binary_search_steps=3, lr=0.05)
    with torch.no_grad():
        correct = model(x).argmax(1) == y
        fooled = model(x_adv).argmax(1) != y
    distance = (x_adv - x).norm(dim=1)
    expected = [(correct & ~(fooled & (distance <= b))).float().mean().item() for b in budgets]
    assert curve == pytest.approx(expected)
    assert curve[0] == evaluation.accuracy(model, x, y)
    assert curve[-1] == pytest.approx(_accuracy(model, x_adv, y))
    assert curve == sorted(curve, reverse=True)


def test_progress_callback_counts_up_to_the_total(trained):
    model, x, y = trained
    calls = []
    evaluation.accuracy_under_attack(
        model,
        x,
        y,
        attack="fgsm",
        budgets=[0, 0.1, 0.2],
        batch_size=50,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert calls[-1] == (9, 9)  # 3 budgets × 3 batches


def test_attacks_do_not_modify_the_model(trained):
    model, x, y = trained
    before = [p.detach().clone() for p in model.parameters()]
    grads = [None if p.grad is None else p.grad.clone() for p in model.parameters()]
    evaluation.robustness_table(model, x[:20], y[:20], eps=0.1, pgd_steps=3, cw_steps=3)
    evaluation.accuracy_under_attack(model, x[:20], y[:20], attack="cw_l2", budgets=[0.1], steps=3)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert all(
        (g is None and p.grad is None) or torch.equal(g, p.grad) for g, p in zip(grads, model.parameters())
    )
    assert not model.training


def test_robustness_table_is_madry_et_al_natural_pgd20_cw30(trained):
    model, x, y = trained
    table = evaluation.robustness_table(model, x, y, eps=0.15, seed=1)
    assert {"natural", "pgd", "cw", "eps", "norm", "pgd_steps", "cw_steps", "eot"} <= set(table)
    assert (table["pgd_steps"], table["cw_steps"], table["norm"]) == (20, 30, "linf")
    assert table["natural"] >= table["pgd"] and table["natural"] >= table["cw"]
    assert table["pgd"] < table["natural"]
    # The same numbers as the named attacks run through accuracy_under_attack.
    assert (
        table["pgd"]
        == evaluation.accuracy_under_attack(model, x, y, attack="pgd_linf", budgets=[0.15], steps=20, seed=1)[
            0
        ]
    )
    assert (
        table["cw"]
        == evaluation.accuracy_under_attack(model, x, y, attack="pgd_cw", budgets=[0.15], steps=30, seed=1)[0]
    )


def test_robustness_table_keeps_one_row_per_example(trained):
    model, x, y = trained
    x, y = x[:40], y[:40]
    table = evaluation.robustness_table(model, x, y, eps=0.15, pgd_steps=5, cw_steps=5, seed=2, batch_size=16)
    rows = table["rows"]
    assert [row["index"] for row in rows] == list(range(40))
    assert [row["label"] for row in rows] == y.tolist()
    assert [row["natural_predict"] for row in rows] == evaluation.predictions(model, x).tolist()
    # The PGD column is the attack itself, run directly on all 40 at once with each example's own
    # random-start generator (seed + index): the table's batches of 16 do not change it.
    starts = evaluation.example_generators(2, evaluation.START_STREAM, range(40))
    direct = [
        model(attacks.pgd(model, x, y, eps=0.15, step=2.5 * 0.15 / 5, steps=5, generator=starts)).argmax(1)
    ]
    assert [row["pgd_predict"] for row in rows] == torch.cat(direct).tolist()
    totals = evaluation.table_from_rows(rows)
    assert totals == {"natural": table["natural"], "pgd": table["pgd"], "cw": table["cw"]}
    assert 0 < sum(row["pgd_predict"] != row["label"] for row in rows) < 40  # some, not all, broken
    with pytest.raises(ValueError):
        evaluation.table_from_rows([])


def test_published_tables_are_consistent():
    for accuracies in evaluation.COHEN_CIFAR10.values():
        assert len(accuracies) == len(evaluation.COHEN_RADII)
        assert accuracies == sorted(accuracies, reverse=True)  # certified accuracy falls with r
    adversarial = evaluation.MADRY_CIFAR10["adversarial_training"]
    assert adversarial["natural"] > adversarial["cw"] > adversarial["pgd"] > 0
    assert evaluation.MADRY_CIFAR10["natural_training"]["natural"] > adversarial["natural"]


# --------------------------------------------------------------------------- certified accuracy


def _row(label, predict, radius):
    return {
        "index": 0,
        "label": label,
        "predict": predict,
        "radius": radius,
        "correct": int(predict == label),
        "seconds": 0.0,
    }


def test_certified_accuracy_counts_abstentions_as_wrong_and_needs_radius_at_least_r():
    rows = [
        _row(0, 0, 0.5),
        _row(1, 1, 0.25),
        _row(1, 0, 0.9),  # correct, correct, wrong
        _row(0, smoothing.ABSTAIN, 0.0),
        _row(2, 2, 0.1),
    ]  # abstain, correct
    assert evaluation.certified_accuracy(rows, 0.0) == pytest.approx(3 / 5)
    assert evaluation.certified_accuracy(rows, 0.25) == pytest.approx(2 / 5)  # radius ≥ r counts
    assert evaluation.certified_accuracy(rows, 0.2500001) == pytest.approx(1 / 5)
    assert evaluation.certified_accuracy(rows, 0.6) == 0.0
    assert evaluation.certified_accuracy_curve(rows, [0, 0.1, 0.5, 1]) == pytest.approx([0.6, 0.6, 0.2, 0.0])
    # An abstention never counts, even if a caller marked it correct.
    assert evaluation.certified_accuracy([{**_row(0, smoothing.ABSTAIN, 0.0), "correct": 1}], 0.0) == 0.0


@pytest.mark.parametrize(
    "call",
    [
        lambda: evaluation.certified_accuracy([], 0.0),
        lambda: evaluation.certified_accuracy([_row(0, 0, 1.0)], -0.1),
        lambda: evaluation.accuracy_under_attack(
            torch.nn.Identity(),
            torch.zeros(2, 2),
            torch.zeros(2, dtype=torch.long),
            attack="bogus",
            budgets=[0.1],
        ),
        lambda: evaluation.accuracy_under_attack(
            torch.nn.Identity(),
            torch.zeros(2, 2),
            torch.zeros(2, dtype=torch.long),
            attack="fgsm",
            budgets=[-0.1],
        ),
        lambda: evaluation.robustness_table(
            torch.nn.Identity(), torch.zeros(2, 2), torch.zeros(2, dtype=torch.long), eps=0.1, norm="l1"
        ),
        lambda: evaluation.accuracy(torch.nn.Identity(), torch.zeros(3, 2), torch.zeros(2, dtype=torch.long)),
    ],
)
def test_bad_arguments_raise_value_error(call):
    with pytest.raises(ValueError):
        call()


CERTIFY = dict(n0=20, n=200, alpha=0.01, batch_size=200)


def test_certify_dataset_rows_are_reproducible_and_one_image_can_be_recomputed_alone(trained):
    model, x, y = trained
    noise = make_noise("gaussian", 0.2)
    x, y = x[:6], y[:6]

    def strip(rows):
        return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]

    rows = evaluation.certify_dataset(model, x, y, noise=noise, seed=5, **CERTIFY)
    assert [row["index"] for row in rows] == list(range(6))
    assert strip(rows) == strip(evaluation.certify_dataset(model, x, y, noise=noise, seed=5, **CERTIFY))
    alone = evaluation.certify_dataset(model, x[3:4], y[3:4], noise=noise, seed=5, indices=[3], **CERTIFY)
    assert strip(alone) == strip(rows[3:4])
    reversed_rows = evaluation.certify_dataset(
        model, x.flip(0), y.flip(0), noise=noise, seed=5, indices=list(range(5, -1, -1)), **CERTIFY
    )
    assert strip(reversed_rows)[::-1] == strip(rows)
    # Each row is Cohen et al.'s CERTIFY with the generator seeded by seed + index.
    label, radius = smoothing.certify(model, x[4], noise=noise, generator=make_generator(5 + 4), **CERTIFY)
    assert (rows[4]["predict"], rows[4]["radius"]) == (label, radius)
    assert all(row["correct"] == int(row["predict"] == row["label"]) for row in rows)
    assert strip(rows) != strip(evaluation.certify_dataset(model, x, y, noise=noise, seed=6, **CERTIFY))


def test_tradeoff_small_noise_cannot_certify_beyond_its_radius_ceiling(trained):
    model, x, y = trained
    x, y = x[:24], y[:24]
    asked = []

    def model_fn(scale):
        asked.append(scale)
        return model

    rows = evaluation.tradeoff(
        model_fn, x, y, noise_name="gaussian", scales=[0.03, 0.2], radius=0.15, seed=0, **CERTIFY
    )
    assert asked == [0.03, 0.2]
    small, large = rows
    # CERTIFY never returns more than σ Φ⁻¹(α^{1/n}) (Cohen et al. 2019, §3.2.2).
    assert smoothing.radius_ceiling(0.03, CERTIFY["alpha"], CERTIFY["n"]) < 0.15
    assert small["certified_accuracy"] == 0.0
    assert large["certified_accuracy"] > 0.3
    assert small["clean_accuracy"] >= large["clean_accuracy"] >= large["certified_accuracy"] - 0.1
    for row in rows:
        assert row["certified_accuracy"] <= row["certified_accuracy_at_0"] <= 1 - row["abstain_rate"]


def test_certified_accuracy_is_below_empirical_accuracy_under_eot_pgd(trained):
    model, x, y = trained
    x, y = x[:20], y[:20]
    result = evaluation.empirical_vs_certified(
        model,
        x,
        y,
        noise=make_noise("gaussian", 0.2),
        eps_list=[0.0, 0.1, 0.3],
        eot=4,
        steps=8,
        seed=0,
        **CERTIFY,
    )
    assert result["certified"] == evaluation.certified_accuracy_curve(result["rows"], [0.0, 0.1, 0.3])
    assert result["empirical"][0] == evaluation.smoothed_vote_accuracy(
        model,
        x,
        y,
        noise=make_noise("gaussian", 0.2),
        n=CERTIFY["n"],
        batch_size=CERTIFY["batch_size"],
        seed=0,
    )
    # Lower bound ≤ upper bound (up to one example of Monte Carlo error out of 20).
    assert all(c <= e + 0.05 for c, e in zip(result["certified"], result["empirical"]))
    assert result["empirical"][2] < result["empirical"][0]
    with pytest.raises(ValueError):
        evaluation.empirical_vs_certified(
            model, x, y, noise=make_noise("laplace", 0.2), eps_list=[0.1], eot=1, steps=1, seed=0, **CERTIFY
        )
