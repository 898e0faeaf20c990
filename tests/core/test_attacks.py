"""Tests for core.attacks on a small MLP trained on sklearn's 8×8 digits (CPU, a few seconds).

References: foolbox 3.3.4 (FGSM, LinfPGD, L2PGD, L2CarliniWagnerAttack) on the same model, and
closed forms on a linear model.
"""

import copy
import math

import pytest
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from torch import nn

from core.attacks import (
    ATTACK_BUDGETS,
    ATTACK_LABELS,
    ATTACK_NORMS,
    ATTACKS,
    carlini_wagner_l2,
    cw_margin,
    fgsm,
    gradient_step,
    input_gradient,
    pgd,
    pgd_path,
    run_attack,
)
from core.device import make_generator


def _init_(layer: nn.Linear, generator: torch.Generator) -> nn.Linear:
    """PyTorch's default uniform(±1/√fan_in) initialisation, drawn from an explicit generator."""
    bound = 1.0 / math.sqrt(layer.in_features)
    with torch.no_grad():
        layer.weight.uniform_(-bound, bound, generator=generator)
        layer.bias.uniform_(-bound, bound, generator=generator)
    return layer


def _mlp(generator: torch.Generator) -> nn.Module:
    return nn.Sequential(
        nn.Flatten(), _init_(nn.Linear(64, 64), generator), nn.ReLU(), _init_(nn.Linear(64, 10), generator)
    )


class GaussianInputNoise(nn.Module):
    """A randomized model F̃(x) = F(x + σε): fresh noise from its own generator at every forward."""

    def __init__(self, model, sigma, seed):
        super().__init__()
        self.model, self.sigma = model, sigma
        self.generator = torch.Generator().manual_seed(seed)

    def forward(self, x):
        return self.model(x + self.sigma * torch.randn(x.shape, generator=self.generator))


@pytest.fixture(scope="module")
def digits():
    """(model in eval mode, x_test N×1×8×8 in [0, 1], y_test): ~97% test accuracy."""
    data = load_digits()
    x = torch.tensor(data.data / 16.0, dtype=torch.float32).view(-1, 1, 8, 8)
    y = torch.tensor(data.target, dtype=torch.long)
    generator = torch.Generator().manual_seed(0)
    order = torch.randperm(len(x), generator=generator)
    train, test = order[:1200], order[1200:]
    model = _mlp(generator)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(300):
        optimizer.zero_grad()
        F.cross_entropy(model(x[train]), y[train]).backward()
        optimizer.step()
    model.eval()
    for parameter in model.parameters():
        parameter.grad = None
    assert _accuracy(model, x[test], y[test]) > 0.93
    return model, x[test], y[test]


@pytest.fixture(scope="module")
def batch(digits):
    """200 correctly classified test digits."""
    model, x, y = digits
    with torch.no_grad():
        correct = model(x).argmax(1) == y
    return model, x[correct][:200], y[correct][:200]


def _accuracy(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def _linf(delta):
    return delta.flatten(1).abs().amax(dim=1)


def _l2(delta):
    return delta.flatten(1).norm(dim=1)


# --------------------------------------------------------------------------- closed forms


def test_gradient_step_is_the_normalized_gradient_on_a_linear_model():
    # Logits Z = W x: ∇ₓ CE(x, y) = Σ_j (p_j − 1[j=y]) W_j, for 2 classes ∝ W_other − W_y.
    linear = nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 2.0]]))
    x = torch.tensor([[0.4, 0.5], [0.6, 0.5]])
    y = torch.tensor([0, 1])
    x_adv = gradient_step(linear, x, y, gamma=0.1)
    direction = torch.stack(
        [linear.weight[1] - linear.weight[0], linear.weight[0] - linear.weight[1]]
    ).detach()
    expected = x + 0.1 * direction / direction.norm(dim=1, keepdim=True)
    torch.testing.assert_close(x_adv, expected)
    targeted = gradient_step(linear, x, 1 - y, gamma=0.1, targeted=True)
    torch.testing.assert_close(targeted, expected)


def test_pgd_l2_on_a_linear_model_reaches_the_ball_along_the_weight_difference():
    linear = nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 2.0]]))
    x = torch.tensor([[0.5, 0.5]])
    y = torch.tensor([0])
    x_adv = pgd(linear, x, y, eps=0.2, step=0.05, steps=10, norm="l2", random_start=False)
    direction = torch.tensor([-1.0, 2.0]) / math.sqrt(5.0)
    torch.testing.assert_close(x_adv, x + 0.2 * direction)


def test_cw_margin_is_best_other_logit_minus_true_logit():
    logits = torch.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, -1.0]])
    torch.testing.assert_close(cw_margin(logits, torch.tensor([0, 2])), torch.tensor([-1.0, 6.0]))


# --------------------------------------------------------------------------- constraints


@pytest.mark.parametrize("name", ["fgsm", "pgd_linf", "pgd_cw"])
def test_linf_attacks_stay_in_the_ball_and_in_the_box(batch, name):
    model, x, y = batch
    x_adv = (
        run_attack(name, model, x, y, eps=0.1, generator=make_generator(0))
        if name != "fgsm"
        else run_attack(name, model, x, y, eps=0.1)
    )
    assert x_adv.shape == x.shape and x_adv.dtype == x.dtype and not x_adv.requires_grad
    assert _linf(x_adv - x).max() <= 0.1 + 1e-6
    assert x_adv.min() >= 0 and x_adv.max() <= 1


@pytest.mark.parametrize("name, budget", [("gradient_step", 1.0), ("pgd_l2", 1.0)])
def test_l2_attacks_stay_in_the_ball_and_in_the_box(batch, name, budget):
    model, x, y = batch
    kwargs = {ATTACK_BUDGETS[name]: budget}
    x_adv = run_attack(name, model, x, y, **kwargs)
    assert _l2(x_adv - x).max() <= budget + 1e-5
    assert x_adv.min() >= 0 and x_adv.max() <= 1


def test_gradient_step_has_length_gamma_before_clipping(batch):
    model, x, y = batch
    x_mid = 0.25 + 0.5 * x  # in [0.25, 0.75]: a step of length 0.2 is never clipped
    x_adv = gradient_step(model, x_mid, y, gamma=0.2)
    torch.testing.assert_close(_l2(x_adv - x_mid), torch.full((len(x),), 0.2))


def test_l2_random_start_is_inside_the_ball(batch):
    model, x, y = batch
    start = pgd_path(model, x, y, eps=0.5, step=0.0, steps=1, norm="l2", generator=make_generator(1))[0]
    distances = _l2(start - x)
    assert distances.max() <= 0.5 + 1e-5 and distances.min() > 0


# --------------------------------------------------------------------------- strength


@pytest.mark.parametrize(
    "name, loss",
    [("gradient_step", "ce"), ("fgsm", "ce"), ("pgd_linf", "ce"), ("pgd_l2", "ce"), ("pgd_cw", "cw")],
)
def test_attacks_raise_the_loss(batch, name, loss):
    model, x, y = batch
    budget = 1.0 if ATTACK_NORMS[name] == "l2" else 0.05
    x_adv = run_attack(name, model, x, y, **{ATTACK_BUDGETS[name]: budget})
    with torch.no_grad():
        clean = F.cross_entropy(model(x), y, reduction="none") if loss == "ce" else cw_margin(model(x), y)
        attacked = (
            F.cross_entropy(model(x_adv), y, reduction="none") if loss == "ce" else cw_margin(model(x_adv), y)
        )
    assert (attacked > clean).float().mean() > 0.95
    assert attacked.mean() > clean.mean() + 0.5


@pytest.mark.parametrize(
    "name, budgets",
    [
        ("pgd_linf", [0.0, 0.05, 0.1, 0.15, 0.2]),
        ("pgd_l2", [0.0, 0.25, 0.5, 1.0, 1.5]),
        ("pgd_cw", [0.0, 0.05, 0.1, 0.15, 0.2]),
    ],
)
def test_accuracy_falls_as_the_budget_grows(batch, name, budgets):
    model, x, y = batch
    accuracies = [
        _accuracy(model, run_attack(name, model, x, y, eps=eps, generator=make_generator(0)), y)
        for eps in budgets
    ]
    assert accuracies[0] == 1.0
    assert all(later <= earlier + 0.01 for earlier, later in zip(accuracies, accuracies[1:]))
    assert accuracies[-1] <= 0.05


def test_pgd_is_at_least_as_strong_as_fgsm(batch):
    model, x, y = batch
    for eps in (0.1, 0.15):
        assert _accuracy(model, pgd(model, x, y, eps=eps, step=eps / 4, steps=20), y) <= _accuracy(
            model, fgsm(model, x, y, eps=eps), y
        )


def test_targeted_attacks_reach_the_target(batch):
    model, x, y = batch
    target = (y + 1) % 10
    x_pgd = pgd(model, x, target, eps=0.3, step=0.02, steps=40, targeted=True)
    assert (model(x_pgd).argmax(1) == target).float().mean() > 0.9
    # Targeted C&W needs bigger moves in tanh space than 100 Adam steps of 0.01 allow.
    x_cw = carlini_wagner_l2(model, x[:50], target[:50], targeted=True, lr=0.05)
    assert (model(x_cw).argmax(1) == target[:50]).float().mean() > 0.9
    with torch.no_grad():
        loss_to_target = F.cross_entropy(model(x), target)
        for x_adv in (
            gradient_step(model, x, target, gamma=0.5, targeted=True),
            fgsm(model, x, target, eps=0.05, targeted=True),
        ):
            assert F.cross_entropy(model(x_adv), target) < loss_to_target - 0.5


# --------------------------------------------------------------------------- foolbox


@pytest.fixture(scope="module")
def foolbox_model(batch):
    fb = pytest.importorskip("foolbox")
    return fb, fb.PyTorchModel(batch[0], bounds=(0, 1))


def _assert_near_identical(ours, theirs, model):
    assert (ours - theirs).abs().gt(1e-5).float().mean() <= 1e-3
    with torch.no_grad():
        agree = model(ours).argmax(1) == model(theirs).argmax(1)
    assert agree.float().mean() >= 0.99


@pytest.mark.parametrize("case", ["fgsm", "linf_pgd", "l2_pgd", "targeted_linf_pgd"])
def test_fgsm_and_pgd_match_foolbox(batch, foolbox_model, case):
    model, x, y = batch
    fb, fmodel = foolbox_model
    criterion, targeted, labels = y, False, y
    if case.startswith("targeted"):
        labels = (y + 3) % 10
        criterion, targeted = fb.criteria.TargetedMisclassification(labels), True
    if case == "fgsm":
        theirs, _, _ = fb.attacks.FGSM()(fmodel, x, criterion, epsilons=0.1)
        ours = fgsm(model, x, labels, eps=0.1)
    elif case == "l2_pgd":
        attack = fb.attacks.L2PGD(abs_stepsize=0.1, steps=20, random_start=False)
        theirs, _, _ = attack(fmodel, x, criterion, epsilons=1.0)
        ours = pgd(model, x, labels, eps=1.0, step=0.1, steps=20, norm="l2", random_start=False)
    else:
        attack = fb.attacks.LinfPGD(abs_stepsize=0.01, steps=20, random_start=False)
        theirs, _, _ = attack(fmodel, x, criterion, epsilons=0.15)
        ours = pgd(model, x, labels, eps=0.15, step=0.01, steps=20, targeted=targeted, random_start=False)
    _assert_near_identical(ours, theirs, model)


def test_carlini_wagner_matches_foolbox(batch, foolbox_model):
    model, x, y = batch
    x, y = x[:100], y[:100]
    fb, fmodel = foolbox_model
    attack = fb.attacks.L2CarliniWagnerAttack(
        binary_search_steps=5, steps=100, stepsize=0.01, initial_const=1.0, abort_early=False
    )
    theirs, _, their_success = attack(fmodel, x, y, epsilons=None)
    ours = carlini_wagner_l2(model, x, y)
    our_success = model(ours).argmax(1) != y
    assert our_success.float().mean() >= 0.95
    assert (our_success == their_success).float().mean() >= 0.99
    both = our_success & their_success
    torch.testing.assert_close(_l2(ours - x)[both], _l2(theirs - x)[both], atol=1e-3, rtol=1e-2)
    # Minimal distortion: far below the ℓ2 budget PGD needs to fool every digit.
    assert _l2(ours - x)[our_success].median() < 0.8


def test_carlini_wagner_moves_pixels_at_exactly_zero_and_one(batch):
    model, x, y = batch
    binary = (x[:40] > 0.5).float()
    with torch.no_grad():
        correct = model(binary).argmax(1) == y[:40]
    binary, labels = binary[correct], y[:40][correct]
    x_adv = carlini_wagner_l2(model, binary, labels, lr=0.1)
    assert torch.isfinite(x_adv).all() and x_adv.min() >= 0 and x_adv.max() <= 1
    assert (model(x_adv).argmax(1) != labels).float().mean() > 0.9
    assert (x_adv[binary == 0] > 0.05).any() and (x_adv[binary == 1] < 0.95).any()


def test_carlini_wagner_returns_the_input_when_it_never_succeeds(batch):
    model, x, y = batch
    x_adv = carlini_wagner_l2(model, x[:20], y[:20], c=1e-6, steps=5, binary_search_steps=2)
    assert torch.equal(x_adv, x[:20])


# --------------------------------------------------------------------------- model hygiene

_ALL_ATTACKS = [
    ("gradient_step", {"gamma": 0.5}),
    ("fgsm", {"eps": 0.1}),
    ("pgd_linf", {"eps": 0.1, "steps": 3}),
    ("pgd_l2", {"eps": 0.5, "steps": 3, "eot": 2}),
    ("pgd_cw", {"eps": 0.1, "steps": 3}),
    ("cw_l2", {"steps": 10, "lr": 0.1, "binary_search_steps": 2}),
]


@pytest.mark.parametrize("name, kwargs", _ALL_ATTACKS)
@pytest.mark.parametrize("training", [True, False])
def test_attacks_leave_the_model_untouched_even_inside_no_grad(batch, name, kwargs, training):
    model, x, y = batch
    model = copy.deepcopy(model).train(training)
    existing_grads = [torch.full_like(p, 7.0) if i % 2 else None for i, p in enumerate(model.parameters())]
    for parameter, grad in zip(model.parameters(), existing_grads):
        parameter.grad = None if grad is None else grad.clone()
    before = copy.deepcopy(model.state_dict())
    with torch.no_grad():
        x_adv = run_attack(name, model, x[:20], y[:20], **kwargs)
    assert model.training is training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    for parameter, grad in zip(model.parameters(), existing_grads):
        assert (parameter.grad is None) if grad is None else torch.equal(parameter.grad, grad)
    assert not x_adv.requires_grad and not torch.equal(x_adv, x[:20])


def test_float64_inputs_give_float64_outputs(batch):
    model, x, y = batch
    model64 = copy.deepcopy(model).double()
    for name, kwargs in _ALL_ATTACKS:
        x_adv = run_attack(name, model64, x[:5].double(), y[:5], **kwargs)
        assert x_adv.dtype == torch.float64 and x_adv.device == x.device


# --------------------------------------------------------------------------- randomness


def test_same_generator_seed_gives_identical_output(batch):
    model, x, y = batch
    for norm in ("linf", "l2"):
        eps = 0.1 if norm == "linf" else 0.5
        run = lambda generator: pgd(
            model,
            x,
            y,
            eps=eps,
            step=eps / 4,
            steps=3,
            norm=norm,  # noqa: E731
            generator=generator,
        )
        assert torch.equal(run(make_generator(3)), run(make_generator(3)))
        assert not torch.equal(run(make_generator(3)), run(make_generator(4)))
        assert torch.equal(run(None), run(make_generator(0)))


def test_eot_attacks_a_randomized_model_better_than_plain_pgd(digits):
    # Athalye et al. 2018: one noisy gradient per step misleads PGD; averaging 16 does not.
    model, x, y = digits
    settings = dict(eps=0.1, step=0.05, steps=3)
    plain = pgd(GaussianInputNoise(model, 0.3, seed=1), x, y, eot=1, generator=make_generator(0), **settings)
    eot = pgd(GaussianInputNoise(model, 0.3, seed=1), x, y, eot=16, generator=make_generator(0), **settings)

    def expected_accuracy(x_adv):  # of the randomized model, averaged over 16 fresh draws
        noisy = GaussianInputNoise(model, 0.3, seed=2)
        return sum(_accuracy(noisy, x_adv, y) for _ in range(16)) / 16

    assert expected_accuracy(eot) < expected_accuracy(plain) - 0.02


def test_eot_gradient_of_a_deterministic_model_is_the_plain_gradient(batch):
    model, x, y = batch
    torch.testing.assert_close(input_gradient(model, x, y, eot=4), input_gradient(model, x, y))


# --------------------------------------------------------------------------- paths and dispatch


def test_pgd_path_records_every_iterate(batch):
    model, x, y = batch
    x, y = x[:1], y[:1]
    kwargs = dict(eps=0.2, step=0.05, steps=6)
    path = pgd_path(model, x, y, generator=make_generator(0), **kwargs)
    assert len(path) == 7
    assert torch.equal(path[-1], pgd(model, x, y, generator=make_generator(0), **kwargs))
    for previous, current in zip(path, path[1:]):
        assert _linf(current - previous).max() <= 0.05 + 1e-6
        assert _linf(current - x).max() <= 0.2 + 1e-6


def test_run_attack_dispatches_to_the_named_attack(batch):
    model, x, y = batch
    assert set(ATTACK_LABELS) == set(ATTACKS) == set(ATTACK_NORMS) == set(ATTACK_BUDGETS)
    common = dict(eps=0.1, step=0.02, steps=5, random_start=False)
    assert torch.equal(run_attack("pgd_cw", model, x, y, **common), pgd(model, x, y, loss="cw", **common))
    assert torch.equal(run_attack("pgd_l2", model, x, y, **common), pgd(model, x, y, norm="l2", **common))
    assert torch.equal(run_attack("fgsm", model, x, y, eps=0.1), fgsm(model, x, y, eps=0.1))
    # eps alone: 20 steps of 2.5·eps/20 (Madry et al. 2018).
    assert torch.equal(
        run_attack("pgd_linf", model, x, y, eps=0.1), pgd(model, x, y, eps=0.1, step=0.0125, steps=20)
    )


_BAD_CALLS = [
    lambda m, x, y: gradient_step(m, x, y, gamma=-0.1),
    lambda m, x, y: fgsm(m, x, y, eps=-0.1),
    lambda m, x, y: fgsm(m, x * 2, y, eps=0.1),
    lambda m, x, y: fgsm(m, x - 0.5, y, eps=0.1),
    lambda m, x, y: fgsm(m, x, y[:-1], eps=0.1),
    lambda m, x, y: fgsm(m, x, y.float(), eps=0.1),
    lambda m, x, y: fgsm(m, x, y + 10, eps=0.1),
    lambda m, x, y: pgd(m, x, y, eps=0.1, step=-0.01, steps=5),
    lambda m, x, y: pgd(m, x, y, eps=0.1, step=0.01, steps=0),
    lambda m, x, y: pgd(m, x, y, eps=0.1, step=0.01, steps=5, eot=0),
    lambda m, x, y: pgd(m, x, y, eps=0.1, step=0.01, steps=5, norm="l1"),
    lambda m, x, y: pgd(m, x, y, eps=0.1, step=0.01, steps=5, loss="hinge"),
    lambda m, x, y: pgd(m, x, y, eps=float("nan"), step=0.01, steps=5),
    lambda m, x, y: carlini_wagner_l2(m, x, y, steps=0),
    lambda m, x, y: carlini_wagner_l2(m, x, y, c=-1.0),
    lambda m, x, y: run_attack("deepfool", m, x, y),
    lambda m, x, y: run_attack("fgsm", m, x, y, eps=0.1, steps=3),
    lambda m, x, y: run_attack("fgsm", m, x, y),
    lambda m, x, y: run_attack("pgd_cw", m, x, y, eps=0.1, loss="ce"),
]


@pytest.mark.parametrize("call", _BAD_CALLS)
def test_bad_arguments_raise_value_error(batch, call):
    model, x, y = batch
    with pytest.raises(ValueError):
        call(model, x[:4], y[:4])
