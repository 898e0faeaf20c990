"""Attacks on the smoothed classifier itself (SmoothAdv, Salman et al. 2019) and the n a ceiling needs.

The linear classifier of linear_reference has a closed-form smoothed classifier: its decision boundary is
the line w·x + c = 0 and its exact ℓ2 robustness radius is |w·x + c|/‖w‖. A certified radius (CERTIFY) is
a lower bound on it and an attack distance an upper bound, so certified ≤ attack (soundness) and the
attack should come close to the exact radius (strength).
"""

import math

import numpy as np
import pytest
import scipy.stats
import torch

from core import attacks, smoothing
from core import noise as noises
from core.seeds import stream_generator
from tests.core import linear_reference

W, C, SIGMA = torch.tensor([1.0, 0.5]), -0.8, 0.1
POINTS = torch.tensor([[0.3, 0.3], [0.4, 0.5], [0.2, 0.25], [0.62, 0.5], [0.75, 0.55]])


@pytest.fixture(scope="module")
def linear():
    return linear_reference.linear_classifier(W, C)


def _labels(x):
    return (x @ W + C > 0).long()


def test_smoothed_loss_is_minus_log_of_the_mean_softmax(linear):
    noise = noises.make("gaussian", SIGMA)
    x, y = POINTS[:2], _labels(POINTS[:2])
    got = attacks.smoothed_loss(linear, x, y, noise=noise, draws=7, generator=stream_generator(0, "loss"))
    draws = noise.sample((14, 2), generator=stream_generator(0, "loss"), device="cpu")
    with torch.no_grad():
        soft = linear(x.repeat_interleave(7, 0) + draws).softmax(1).view(2, 7, 2).mean(1)
    expected = -soft[torch.arange(2), y].log()
    torch.testing.assert_close(got, expected)


@pytest.mark.parametrize("eps", [0.05, [0.0, 0.02, 0.1, 0.3, 0.5]])
def test_smoothed_attack_stays_in_its_ball_and_the_unit_square(linear, eps):
    x, y = POINTS, _labels(POINTS)
    x_adv = attacks.smoothed_attack(
        linear,
        x,
        y,
        noise=noises.make("gaussian", SIGMA),
        eps=eps,
        steps=5,
        draws=4,
        restarts=2,
        generator=stream_generator(0, "ball"),
    )
    budgets = torch.as_tensor(eps, dtype=torch.float32).expand(len(x))
    assert ((x_adv - x).norm(dim=1) <= budgets + 1e-6).all()
    assert x_adv.min() >= 0 and x_adv.max() <= 1


def test_smoothed_attack_moves_against_the_smoothed_vote(linear):
    """On a linear model the smoothed classifier's worst direction is ∓w: the attack lowers the margin."""
    x, y = POINTS, _labels(POINTS)
    x_adv = attacks.smoothed_attack(
        linear,
        x,
        y,
        noise=noises.make("gaussian", SIGMA),
        eps=0.05,
        steps=10,
        draws=8,
        generator=stream_generator(0, "direction"),
    )
    sign = torch.where(y == 1, 1.0, -1.0)
    assert ((x_adv @ W + C) * sign < (x @ W + C) * sign).all()


def test_a_certified_radius_is_never_beaten_and_the_attack_nearly_reaches_the_exact_radius(linear):
    noise = noises.make("gaussian", SIGMA)
    x, y = POINTS, _labels(POINTS)
    exact = ((x @ W + C).abs() / W.norm()).numpy()
    certified = []
    for k in range(len(x)):
        prediction, radius = smoothing.certify(
            linear,
            x[k],
            noise=noise,
            n0=100,
            n=10_000,
            alpha=0.001,
            batch_size=10_000,
            generator=stream_generator(k, "certify"),
        )
        assert prediction == int(y[k])
        certified.append(radius)
    distance, x_adv = attacks.smoothed_attack_distance(
        linear, x, y, noise=noise, eps_max=0.8, votes=4000, generator=stream_generator(0, "distance")
    )
    distance = distance.numpy()
    assert np.all(np.isfinite(distance))
    assert np.all(distance >= np.array(certified))  # soundness: no attack inside a certified ball
    assert np.all(distance <= exact + 0.02)  # strength: close to the true boundary
    np.testing.assert_allclose((x_adv - x).norm(dim=1).numpy(), distance, rtol=1e-5)
    margin = ((x_adv @ W + C).abs() / W.norm()).numpy()
    assert np.all(margin <= 0.02)  # it stops at F_rob's boundary w·x + c = 0


def test_the_vote_with_alpha_is_predict_and_abstains_at_the_boundary(linear):
    noise = noises.make("gaussian", SIGMA)
    on_boundary = torch.tensor([[0.5, 0.6]])  # w·x + c = 0
    inside = POINTS[:2]
    assert (
        attacks.smoothed_vote(
            linear, on_boundary, noise=noise, votes=2000, alpha=0.001, generator=stream_generator(0, "vote")
        ).item()
        == -1
    )
    sure = attacks.smoothed_vote(
        linear, inside, noise=noise, votes=2000, alpha=0.001, generator=stream_generator(0, "v")
    )
    assert torch.equal(sure, _labels(inside))


def test_distance_is_zero_when_the_vote_is_already_wrong_and_inf_when_nothing_is_found(linear):
    noise = noises.make("gaussian", SIGMA)
    x = POINTS[:2]
    wrong = 1 - _labels(x)
    distance, x_adv = attacks.smoothed_attack_distance(
        linear, x, wrong, noise=noise, eps_max=0.5, votes=500, generator=stream_generator(0, "zero")
    )
    assert distance.tolist() == [0.0, 0.0] and torch.equal(x_adv, x)
    far = torch.tensor([[0.05, 0.05]])  # 0.66 from the boundary
    distance, x_adv = attacks.smoothed_attack_distance(
        linear, far, _labels(far), noise=noise, eps_max=0.2, votes=500, generator=stream_generator(0, "inf")
    )
    assert math.isinf(distance.item()) and torch.equal(x_adv, far)


def test_the_attack_is_seeded_by_its_generator(linear):
    noise, x, y = noises.make("gaussian", SIGMA), POINTS, _labels(POINTS)
    run = lambda name: attacks.smoothed_attack_distance(
        linear,
        x,
        y,
        noise=noise,
        eps_max=0.8,
        search_steps=3,
        steps=4,
        draws=4,
        votes=200,
        generator=stream_generator(0, name),
    )
    torch.testing.assert_close(run("a")[0], run("a")[0])


@pytest.mark.parametrize(
    "bad", [dict(eps=-0.1), dict(eps=[0.1, 0.2]), dict(steps=0), dict(draws=0), dict(generator=None)]
)
def test_bad_arguments_raise_one_sentence(linear, bad):
    arguments = {
        "noise": noises.make("gaussian", SIGMA),
        "eps": 0.1,
        "generator": stream_generator(0, "bad"),
        **bad,
    }
    with pytest.raises(ValueError):
        attacks.smoothed_attack(linear, POINTS, _labels(POINTS), **arguments)


@pytest.mark.parametrize(
    "name, scale, radius",
    [
        ("gaussian", 0.5, 8 / 255 * math.sqrt(3072)),
        ("gaussian", 0.25, 0.9),
        ("laplace", 0.5, 1.0),
        ("uniform", 0.5, 0.3),
    ],
)
def test_draws_for_ceiling_is_the_smallest_n_whose_ceiling_reaches_the_radius(name, scale, radius):
    noise = noises.make(name, scale)
    n = smoothing.draws_for_ceiling(noise, 0.001, radius)
    assert smoothing.certify_ceiling(noise, 0.001, n) >= radius * (1 - 1e-9)
    assert n == 1 or smoothing.certify_ceiling(noise, 0.001, n - 1) < radius
    if name == "gaussian":
        assert n == math.ceil(math.log(0.001) / scipy.stats.norm.logcdf(radius / scale))
