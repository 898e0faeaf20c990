"""Tests for core.geometry (CPU, tiny models, a few seconds).

References: exact probabilities Φ(margin / (σ‖w‖)) of a linear classifier under Gaussian noise
(scipy), orthogonal maps (isometries), and a model trained on two 2-D blobs.
"""

import math

import pytest
import torch
from torch import nn

from core import geometry, models, training
from core.device import make_generator
from core.noise import make as make_noise
from tests.core import linear_reference

W = torch.tensor([1.0, 2.0])  # class 1 iff w·x + c > 0
C = -1.5


def linear_classifier() -> nn.Linear:
    return linear_reference.linear_classifier(W, C)


def exact_probability_of_class_1(points: torch.Tensor, sigma: float):
    return linear_reference.gaussian_probability_of_class_1(points, W, C, sigma)


def blobs(n=240, seed=0):
    generator = make_generator(seed)
    y = torch.arange(n) % 2
    centres = torch.tensor([[0.3, 0.3], [0.7, 0.7]])[y]
    return (centres + 0.08 * torch.randn(n, 2, generator=generator)).clamp(0, 1), y


@pytest.fixture(scope="module")
def trained():
    x, y = blobs()
    model = models.feed_forward(2, [32, 32], 2, seed=0)
    training.train(model, x, y, epochs=40, lr=1e-2, batch_size=64, seed=0)
    return model.eval(), x, y


# --------------------------------------------------------------------------- grids and regions


def test_grid_is_row_major_with_xy_indexing():
    xx, yy, points = geometry.grid((0.0, 2.0, -1.0, 1.0), resolution=5)
    assert xx.shape == yy.shape == (5, 5) and points.shape == (25, 2)
    assert torch.allclose(xx[0], torch.linspace(0, 2, 5)) and torch.allclose(
        yy[:, 0], torch.linspace(-1, 1, 5)
    )
    assert torch.equal(points[7], torch.stack([xx[1, 2], yy[1, 2]]))
    assert all(torch.equal(a, b) for a, b in zip(geometry.grid((0, 1), 4), geometry.grid((0, 1, 0, 1), 4)))


def test_decision_regions_are_softmax_probabilities_on_the_grid():
    model = linear_classifier()
    regions = geometry.decision_regions(model, bounds=(0, 1, 0, 1), resolution=30)
    xx, yy, probs = regions
    assert probs.shape == (30, 30, 2)
    assert torch.allclose(probs.sum(-1), torch.ones(30, 30))
    expected = torch.sigmoid(W[0] * xx + W[1] * yy + C)  # softmax of (0, z) gives P(1) = sigmoid(z)
    assert torch.allclose(probs[..., 1], expected, atol=1e-6)
    # Dictionary-style access for plotting: axes and the arg-max class.
    assert torch.equal(regions["xs"], xx[0]) and torch.equal(regions["ys"], yy[:, 0])
    assert torch.equal(regions["labels"], (W[0] * xx + W[1] * yy + C > 0).long())


def test_smoothed_regions_match_the_exact_gaussian_vote_probabilities():
    model, sigma, num = linear_classifier(), 0.3, 2000
    regions = geometry.smoothed_decision_regions(
        model, noise=make_noise("gaussian", sigma), num=num, resolution=7, seed=1, soft=False
    )
    points = torch.stack([regions.xx.reshape(-1), regions.yy.reshape(-1)], dim=1)
    exact = exact_probability_of_class_1(points, sigma)
    estimate = regions.probs[..., 1].reshape(-1).double().numpy()
    tolerance = 4.5 * (exact * (1 - exact) / num) ** 0.5 + 1e-3  # binomial standard errors
    assert (abs(estimate - exact) <= tolerance).all()
    assert torch.allclose(regions.probs.sum(-1), torch.ones(7, 7))


def test_soft_smoothed_regions_are_deterministic_and_cost_is_bounded():
    model, noise = linear_classifier(), make_noise("gaussian", 0.2)
    first = geometry.smoothed_decision_regions(model, noise=noise, num=50, resolution=10, seed=3)
    again = geometry.smoothed_decision_regions(model, noise=noise, num=50, resolution=10, seed=3)
    other = geometry.smoothed_decision_regions(model, noise=noise, num=50, resolution=10, seed=4)
    assert torch.equal(first.probs, again.probs) and not torch.equal(first.probs, other.probs)
    assert torch.allclose(first.probs.sum(-1), torch.ones(10, 10))
    with pytest.raises(ValueError):
        geometry.smoothed_decision_regions(model, noise=noise, num=10_000, resolution=200)


# --------------------------------------------------------------------------- attack paths


@pytest.mark.parametrize("norm", ["l2", "linf"])
def test_attack_path_stays_in_the_ball_and_crosses_the_boundary(trained, norm):
    model, x, y = trained
    point, label = x[0], int(y[0])
    assert int(model(point[None]).argmax()) == label
    eps, steps = 0.6, 25
    path = geometry.attack_path(model, point, label, eps=eps, steps=steps, norm=norm)
    assert path.shape == (steps + 1, 2)
    assert torch.equal(path[0], point)  # no random start: x⁰ = x
    distance = (path - point).norm(dim=1) if norm == "l2" else (path - point).abs().amax(dim=1)
    assert (distance <= eps + 1e-6).all()
    assert ((path >= 0) & (path <= 1)).all()
    with torch.no_grad():
        assert int(model(path[-1:]).argmax()) != label
    small = geometry.attack_path(model, point, label, eps=0.02, steps=5, norm=norm)
    with torch.no_grad():
        assert int(model(small[-1:]).argmax()) == label  # a tiny ball stays on the right side


def test_attack_path_random_start_depends_only_on_the_seed(trained):
    model, x, y = trained
    a = geometry.attack_path(model, x[1], int(y[1]), eps=0.1, steps=3, random_start=True, seed=2)
    b = geometry.attack_path(model, x[1], int(y[1]), eps=0.1, steps=3, random_start=True, seed=2)
    c = geometry.attack_path(model, x[1], int(y[1]), eps=0.1, steps=3, random_start=True, seed=3)
    assert torch.equal(a, b) and not torch.equal(a[0], c[0])
    assert (a[0] - x[1]).norm() <= 0.1 + 1e-6


# --------------------------------------------------------------------------- stretching distances


def test_an_orthogonal_map_preserves_every_distance():
    q, _ = torch.linalg.qr(torch.randn(6, 6, generator=make_generator(0)))
    isometry = nn.Linear(6, 6)
    with torch.no_grad():
        isometry.weight.copy_(q)
    x = torch.rand(4, 6, generator=make_generator(1))
    ratios = geometry.stretch_ratios(isometry, x, radius=0.1, num=50)
    assert ratios.shape == (4, 50)
    assert torch.allclose(ratios, torch.ones(4, 50), atol=1e-5)
    # A callable works too: 3·Q stretches every distance by exactly 3.
    assert torch.allclose(
        geometry.stretch_ratios(lambda z: 3 * isometry(z), x, radius=0.1, num=20),
        torch.full((4, 20), 3.0),
        atol=1e-4,
    )


def test_linf_perturbations_are_measured_in_linf():
    x = torch.rand(3, 5, generator=make_generator(2))
    ratios = geometry.stretch_ratios(nn.Identity(), x, radius=0.05, num=40, norm="linf")
    # ‖τ‖₂ / ‖τ‖∞ lies in [1, √d], with values strictly inside for random directions.
    assert (ratios >= 1 - 1e-5).all() and (ratios <= math.sqrt(5) + 1e-5).all()
    assert ratios.std() > 0.05


def test_the_identity_on_the_linf_square_is_not_ratio_one_in_2d():
    """On the ℓ∞ sphere of R² the ratio is ‖τ‖₂/‖τ‖∞ = √(1 + t²), t = min/max of two |Gaussians|; t has the
    law P(t ≤ u) = (4/π) arctan u, so the median ratio is √(1 + tan²(π/8)) = 1/cos(π/8) ≈ 1.082 and the
    maximum √2 — the reference the scene draws, not 1."""
    ratios = geometry.stretch_ratios(
        nn.Identity(), torch.full((1, 2), 0.5), radius=0.1, num=20_000, norm="linf"
    )
    assert float(ratios.median()) == pytest.approx(1 / math.cos(math.pi / 8), abs=0.01)
    assert float(ratios.max()) == pytest.approx(math.sqrt(2), abs=0.005) and float(ratios.min()) >= 1 - 1e-5
    l2 = geometry.stretch_ratios(nn.Identity(), torch.full((1, 2), 0.5), radius=0.1, num=1000, norm="l2")
    assert torch.allclose(l2, torch.ones_like(l2), atol=1e-5)


def test_a_trained_network_does_not_preserve_distances(trained):
    model, x, _ = trained
    ratios = geometry.stretch_ratios(model, x[:10], radius=0.05, num=64, seed=0)
    assert ratios.shape == (10, 64)
    assert ratios.max() > 1.5 * ratios.min()
    assert ratios.std() > 0.05 * ratios.mean()
    assert torch.equal(ratios, geometry.stretch_ratios(model, x[:10], radius=0.05, num=64, seed=0))
    # Hidden representations work too (any layer output): φ(1).
    assert geometry.stretch_ratios(model.prefix(1), x[:2], radius=0.05, num=8).shape == (2, 8)


class AlternatingLogits(nn.Module):
    """A stand-in for a network with noise inside: pass k answers logits (0, t_k) at every point,
    t_k cycling through ``ts``, so each pass's softmax is known by hand."""

    def __init__(self, ts):
        super().__init__()
        self.ts, self.calls = list(ts), 0

    def forward(self, points):
        t = self.ts[self.calls % len(self.ts)]
        self.calls += 1
        return torch.stack([torch.zeros(len(points)), torch.full((len(points),), t)], dim=1)


def test_noisy_regions_average_the_passes_softmax_by_hand():
    # softmax(0, 0)₁ = 1/2 and softmax(0, ln 3)₁ = 3/4: the mean of the two passes is 5/8 everywhere.
    regions = geometry.noisy_decision_regions(AlternatingLogits([0.0, math.log(3.0)]), num=2, resolution=5)
    assert regions.probs.shape == (5, 5, 2)
    assert torch.allclose(regions.probs[..., 1], torch.full((5, 5), 5 / 8))
    assert torch.allclose(regions.probs.sum(-1), torch.ones(5, 5))
    assert torch.equal(regions.xx, geometry.grid(resolution=5)[0])


def test_noisy_regions_of_a_hidden_noise_layer_are_the_mean_of_its_passes():
    base = models.feed_forward(2, [8], 2, seed=0).eval()
    noise = make_noise("gaussian", 0.5)
    regions = geometry.noisy_decision_regions(
        models.inject_noise(base, 1, noise, seed=3), num=4, resolution=6
    )
    again = models.inject_noise(base, 1, noise, seed=3)
    passes = [geometry.decision_regions(again, resolution=6).probs for _ in range(4)]
    assert torch.allclose(regions.probs, torch.stack(passes).mean(0))
    assert not torch.allclose(regions.probs, geometry.decision_regions(base, resolution=6).probs)
    with pytest.raises(ValueError):
        geometry.noisy_decision_regions(base, num=10_000, resolution=100)


# --------------------------------------------------------------------------- noise


def test_noise_cloud_is_deterministic_given_the_seed():
    x, noise = torch.tensor([0.4, 0.6]), make_noise("gaussian", 0.1)
    cloud = geometry.noise_cloud(x, noise=noise, num=4000, seed=7)
    assert cloud.shape == (4000, 2)
    assert torch.equal(cloud, geometry.noise_cloud(x, noise=noise, num=4000, seed=7))
    assert not torch.equal(cloud, geometry.noise_cloud(x, noise=noise, num=4000, seed=8))
    assert torch.allclose(cloud.mean(0), x, atol=0.01)
    assert torch.allclose(cloud.std(0), torch.full((2,), 0.1), rtol=0.05)


def test_class_distribution_estimates_the_vote_probabilities():
    model, sigma, num = linear_classifier(), 0.25, 4000
    point = torch.tensor([0.6, 0.5])
    frequencies = geometry.class_distribution(
        model, point, noise=make_noise("gaussian", sigma), num=num, batch_size=1000, seed=0
    )
    exact = float(exact_probability_of_class_1(point[None], sigma)[0])
    assert frequencies.sum().item() == pytest.approx(1.0)
    assert frequencies[1].item() == pytest.approx(exact, abs=4.5 * math.sqrt(exact * (1 - exact) / num))


def test_total_variation_by_hand_and_as_the_largest_set_difference():
    p, q = torch.tensor([0.5, 0.3, 0.2]), torch.tensor([0.2, 0.3, 0.5])
    assert geometry.total_variation(p, q) == pytest.approx(0.5 * (0.3 + 0.0 + 0.3))
    subsets = [[c for c in range(3) if mask >> c & 1] for mask in range(8)]
    largest = max(abs(float(p[a].sum() - q[a].sum())) for a in subsets)
    assert geometry.total_variation(p, q) == pytest.approx(largest)
    assert geometry.total_variation(p, p) == 0.0
    assert geometry.total_variation(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        geometry.total_variation(p, q[:2])


# --------------------------------------------------------------------------- approximation and sweeps


@pytest.mark.parametrize("name", ["sine", "bump"])
def test_universal_approximation_error_falls_with_width(name):
    result = geometry.universal_approximation(name, widths=[1, 4, 16, 64], steps=500, seed=0)
    assert result["xs"].shape == result["target"].shape == (200,)
    assert [fit.shape for fit in result["fits"]] == [(200,)] * 4
    errors = result["mse"]
    assert errors == sorted(errors, reverse=True)
    assert errors[-1] < 0.01 * errors[0]
    assert errors[-1] == pytest.approx(float((result["fits"][-1] - result["target"]).pow(2).mean()))
    with pytest.raises(ValueError):
        geometry.universal_approximation("cosine", widths=[4])


def test_width_depth_sweep_a_hidden_layer_fits_xor_where_a_linear_model_cannot():
    generator = make_generator(0)
    x = torch.rand(300, 2, generator=generator)
    y = ((x[:, 0] > 0.5) ^ (x[:, 1] > 0.5)).long()  # XOR of the quadrants: not linearly separable
    rows = geometry.width_depth_sweep(
        x[:200], y[:200], x[200:], y[200:], widths=[32], depths=[0, 1], epochs=40, seed=0
    )
    linear, hidden = rows
    assert (linear["depth"], hidden["depth"]) == (0, 1)
    assert linear["parameters"] == 2 * 2 + 2 and hidden["parameters"] == (2 * 32 + 32) + (32 * 2 + 2)
    assert linear["train_acc"] < 0.8 < hidden["train_acc"]
    assert hidden["test_acc"] > 0.8


@pytest.mark.parametrize(
    "call",
    [
        lambda: geometry.grid((1, 0, 0, 1)),
        lambda: geometry.decision_regions(linear_classifier(), resolution=0),
        lambda: geometry.stretch_ratios(nn.Identity(), torch.zeros(2, 2), radius=0.0, num=3),
        lambda: geometry.stretch_ratios(nn.Identity(), torch.zeros(2, 2), radius=0.1, num=3, norm="l1"),
        lambda: geometry.attack_path(linear_classifier(), torch.zeros(2), 0, eps=-1.0),
        lambda: geometry.width_depth_sweep(
            torch.zeros(2, 2),
            torch.zeros(2, dtype=torch.long),
            torch.zeros(2, 2),
            torch.zeros(2, dtype=torch.long),
            widths=[],
            depths=[1],
            epochs=1,
        ),
    ],
)
def test_bad_arguments_raise_value_error(call):
    with pytest.raises(ValueError):
        call()
