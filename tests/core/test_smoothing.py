import math

import numpy as np
import pytest
import scipy.stats
import torch
from torch import nn

from core import noise as noise_module
from core import smoothing
from core.device import make_generator
from tests.core import linear_reference

W = torch.tensor([1.0, 2.0])  # class 1 iff w·x + c > 0
C = -1.0


def linear_classifier() -> nn.Linear:
    return linear_reference.linear_classifier(W, C)


def exact_gaussian_probability_of_class_1(x, sigma):
    return float(linear_reference.gaussian_probability_of_class_1(x, W, C, sigma))


class ConstantClassifier(nn.Module):
    """Always votes for ``label`` (no parameters: sampling runs on the input's device)."""

    def __init__(self, label: int, classes: int = 3):
        super().__init__()
        self.label, self.classes = label, classes

    def forward(self, x):
        logits = torch.zeros(x.shape[0], self.classes, device=x.device)
        logits[:, self.label] = 1.0
        return logits


class DiscClassifier(nn.Module):
    """Class 1 inside the disc ‖x‖ < 1, class 0 outside: a non-linear decision boundary."""

    def forward(self, x):
        inside = 1.0 - (x**2).sum(dim=1)
        return torch.stack([torch.zeros_like(inside), inside], dim=1)


class RecordingClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = linear_classifier()
        self.batch_sizes = []

    def forward(self, x):
        self.batch_sizes.append(x.shape[0])
        return self.inner(x)


def point_at_margin(distance):
    """A point at signed distance ``distance`` from the linear boundary (positive: class 1)."""
    unit = W / W.norm()
    on_boundary = -C * W / (W @ W)
    return on_boundary + distance * unit


# ---------------------------------------------------------------------------- sampling


def test_sample_counts_are_batched_sum_to_num_and_match_the_exact_probability():
    model, sigma = RecordingClassifier(), 0.5
    x = point_at_margin(0.2)
    counts = smoothing.sample_counts(
        model,
        x,
        noise=noise_module.make("gaussian", sigma),
        num=5000,
        batch_size=1024,
        generator=make_generator(0, "cpu"),
    )
    assert counts.dtype == torch.long and counts.shape == (2,) and int(counts.sum()) == 5000
    assert model.batch_sizes == [1024, 1024, 1024, 1024, 904]  # memory bounded by batch_size
    p = exact_gaussian_probability_of_class_1(x, sigma)
    assert abs(int(counts[1]) / 5000 - p) < 4 * math.sqrt(p * (1 - p) / 5000)


def test_sample_counts_many_matches_one_point_at_a_time_statistics():
    model, sigma = linear_classifier(), 0.3
    points = torch.stack([point_at_margin(d) for d in (-0.3, 0.0, 0.1, 0.4)])
    counts = smoothing.sample_counts_many(
        model,
        points,
        noise=noise_module.make("gaussian", sigma),
        num=4000,
        batch_size=1500,
        generator=make_generator(1, "cpu"),
    )
    assert counts.shape == (4, 2) and torch.equal(counts.sum(1), torch.full((4,), 4000))
    for point, row in zip(points, counts):
        p = exact_gaussian_probability_of_class_1(point, sigma)
        assert abs(int(row[1]) / 4000 - p) < 4.5 * math.sqrt(max(p * (1 - p), 1e-4) / 4000)


def test_sample_counts_pads_to_num_classes_and_rejects_too_few():
    counts = smoothing.sample_counts(
        ConstantClassifier(1, classes=2),
        torch.zeros(2),
        noise=noise_module.make("laplace", 0.1),
        num=7,
        batch_size=3,
        generator=make_generator(0, "cpu"),
        num_classes=5,
    )
    assert counts.tolist() == [0, 7, 0, 0, 0]
    with pytest.raises(ValueError, match="num_classes"):
        smoothing.sample_counts(
            ConstantClassifier(1, classes=3),
            torch.zeros(2),
            noise=noise_module.make("laplace", 0.1),
            num=7,
            batch_size=3,
            generator=make_generator(0, "cpu"),
            num_classes=2,
        )


def test_smoothed_probabilities_is_a_distribution_and_equals_votes_for_hard_logits():
    sigma, x = 0.4, point_at_margin(0.1)
    soft = smoothing.smoothed_probabilities(
        linear_classifier(),
        x,
        noise=noise_module.make("gaussian", sigma),
        num=3000,
        batch_size=512,
        generator=make_generator(2, "cpu"),
    )
    assert soft.shape == (2,) and float(soft.sum()) == pytest.approx(1.0, abs=1e-9)
    hard_model = nn.Sequential(linear_classifier(), nn.Identity())
    with torch.no_grad():
        hard_model[0].weight.mul_(1e4)
        hard_model[0].bias.mul_(1e4)
    hard = smoothing.smoothed_probabilities(
        hard_model,
        x,
        noise=noise_module.make("gaussian", sigma),
        num=3000,
        batch_size=512,
        generator=make_generator(2, "cpu"),
    )
    votes = smoothing.sample_counts(
        hard_model,
        x,
        noise=noise_module.make("gaussian", sigma),
        num=3000,
        batch_size=512,
        generator=make_generator(2, "cpu"),
    )
    assert torch.allclose(hard, votes.double() / 3000, atol=2e-3)


def test_sampling_restores_training_mode_and_leaves_parameters_alone():
    model = nn.Sequential(nn.Linear(2, 4), nn.Dropout(0.5), nn.Linear(4, 2)).train()
    model[1].eval()  # a mixed mode must be restored exactly
    before = [p.detach().clone() for p in model.parameters()]
    smoothing.predict(
        model,
        torch.zeros(2),
        noise=noise_module.make("gaussian", 0.1),
        n=50,
        alpha=0.01,
        batch_size=16,
        generator=make_generator(0, "cpu"),
    )
    assert model.training and model[0].training and not model[1].training
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert all(p.grad is None for p in model.parameters())


# ---------------------------------------------------------------------------- PREDICT and CERTIFY


@pytest.mark.parametrize("name,scale", [("gaussian", 0.5), ("laplace", 0.3), ("uniform", 0.8)])
def test_certify_returns_the_radius_of_the_clopper_pearson_lower_bound(name, scale):
    model, noise = linear_classifier(), noise_module.make(name, scale)
    x, n0, n, alpha = point_at_margin(0.25), 64, 2000, 0.001
    label, radius = smoothing.certify(
        model, x, noise=noise, n0=n0, n=n, alpha=alpha, batch_size=300, generator=make_generator(11, "cpu")
    )
    replay = make_generator(11, "cpu")
    selection = smoothing.sample_counts(model, x, noise=noise, num=n0, batch_size=300, generator=replay)
    estimation = smoothing.sample_counts(model, x, noise=noise, num=n, batch_size=300, generator=replay)
    expected_label = int(selection.argmax())
    p_lower = smoothing.clopper_pearson_lower(int(estimation[expected_label]), n, alpha)
    assert label == expected_label == 1
    assert radius == smoothing.certified_radius(noise, p_lower, dim=2) > 0


@pytest.mark.parametrize(
    "name,scale,distance",
    [("gaussian", 0.5, 0.25), ("laplace", 0.3, 0.25), ("uniform", 0.8, 0.25), ("gaussian", 0.5, 0.0)],
)
def test_certify_details_agrees_with_certify_and_with_scipy_clopper_pearson(name, scale, distance):
    model, noise = linear_classifier(), noise_module.make(name, scale)
    x, n0, n, alpha = point_at_margin(distance), 64, 2000, 0.001
    kwargs = dict(noise=noise, n0=n0, n=n, alpha=alpha, batch_size=300)
    details = smoothing.certify_details(model, x, generator=make_generator(11, "cpu"), **kwargs)
    assert (details.prediction, details.radius) == smoothing.certify(
        model, x, generator=make_generator(11, "cpu"), **kwargs
    )
    assert sum(details.counts) == n and sum(details.selection_counts) == n0
    assert (details.n0, details.n, details.alpha, details.norm) == (n0, n, alpha, noise.certified_norm)
    assert details.guess == int(np.argmax(details.selection_counts))
    assert details.count_a == details.counts[details.guess]
    # One-sided (1 − α) Clopper–Pearson = lower end of scipy's exact two-sided (1 − 2α) interval.
    expected = (
        scipy.stats.binomtest(details.count_a, n)
        .proportion_ci(confidence_level=1 - 2 * alpha, method="exact")
        .low
    )
    assert details.p_a_lower == pytest.approx(expected, rel=1e-9, abs=1e-12)
    if details.p_a_lower < 0.5:
        assert details.abstained and details.radius == 0.0
    else:
        assert details.radius == pytest.approx(smoothing.certified_radius(noise, expected, dim=2), rel=1e-9)
    if distance == 0.0:
        assert details.abstained and details.guess in (0, 1)  # on the boundary: p_A ≈ ½


def test_certify_details_reports_progress_without_changing_the_draws():
    model, noise, x = linear_classifier(), noise_module.make("gaussian", 0.5), point_at_margin(0.3)
    seen = []
    kwargs = dict(noise=noise, n0=100, n=1000, alpha=0.01, batch_size=256)
    with_bar = smoothing.certify_details(
        model,
        x,
        generator=make_generator(2, "cpu"),
        progress=lambda done, total: seen.append((done, total)),
        **kwargs,
    )
    assert with_bar == smoothing.certify_details(model, x, generator=make_generator(2, "cpu"), **kwargs)
    assert seen[-1] == (1100, 1100) and all(total == 1100 for _, total in seen)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_a_unanimous_certificate_sits_on_the_ceiling_of_its_noise():
    for noise in (
        noise_module.make("gaussian", 0.25),
        noise_module.make("laplace", 0.2),
        noise_module.make("uniform", 0.4),
    ):
        details = smoothing.certify_details(
            ConstantClassifier(1),
            torch.zeros(2),
            noise=noise,
            n0=10,
            n=500,
            alpha=0.001,
            batch_size=128,
            generator=make_generator(0, "cpu"),
        )
        assert details.unanimous and details.p_a_lower == pytest.approx(0.001 ** (1 / 500), rel=1e-12)
        assert details.radius == pytest.approx(smoothing.certify_ceiling(noise, 0.001, 500), rel=1e-12)
    assert smoothing.certify_ceiling(noise_module.make("gaussian", 0.25), 0.01, 2000) == pytest.approx(
        smoothing.radius_ceiling(0.25, 0.01, 2000), rel=1e-12
    )


def test_certify_reaches_the_radius_ceiling_when_every_vote_agrees():
    sigma, alpha, n = 0.25, 0.001, 1000
    label, radius = smoothing.certify(
        ConstantClassifier(2),
        torch.rand(3, 4, 4),
        noise=noise_module.make("gaussian", sigma),
        n0=10,
        n=n,
        alpha=alpha,
        batch_size=256,
        generator=make_generator(0, "cpu"),
    )
    assert label == 2
    assert radius == pytest.approx(smoothing.radius_ceiling(sigma, alpha, n), rel=1e-12)
    assert radius == pytest.approx(sigma * scipy.stats.norm.ppf(alpha ** (1 / n)), rel=1e-12)


def test_certify_abstains_on_the_decision_boundary():
    result = smoothing.certify(
        linear_classifier(),
        point_at_margin(0.0),
        noise=noise_module.make("gaussian", 0.5),
        n0=100,
        n=2000,
        alpha=0.001,
        batch_size=500,
        generator=make_generator(3, "cpu"),
    )
    assert result == (smoothing.ABSTAIN, 0.0)


def test_predict_abstains_on_the_boundary_and_returns_the_class_far_from_it():
    model, noise = linear_classifier(), noise_module.make("gaussian", 0.5)
    boundary = point_at_margin(0.0)
    # With 10 votes the smallest two-sided p-value is 2·2⁻¹⁰ ≈ 0.002 > 0.001: PREDICT must abstain.
    assert (
        smoothing.predict(
            model, boundary, noise=noise, n=10, alpha=0.001, batch_size=4, generator=make_generator(0, "cpu")
        )
        == smoothing.ABSTAIN
    )
    assert (
        smoothing.predict(
            model,
            boundary,
            noise=noise,
            n=2000,
            alpha=0.001,
            batch_size=512,
            generator=make_generator(0, "cpu"),
        )
        == smoothing.ABSTAIN
    )
    for distance, label in ((1.5, 1), (-1.5, 0)):
        assert (
            smoothing.predict(
                model,
                point_at_margin(distance),
                noise=noise,
                n=100,
                alpha=0.001,
                batch_size=64,
                generator=make_generator(0, "cpu"),
            )
            == label
        )


def test_equal_seeds_give_identical_results_and_the_smooth_wrapper_agrees():
    model, noise, x = linear_classifier(), noise_module.make("laplace", 0.4), point_at_margin(0.3)
    kwargs = dict(noise=noise, n0=50, n=500, alpha=0.01, batch_size=128)
    first = smoothing.certify(model, x, generator=make_generator(5, "cpu"), **kwargs)
    assert first == smoothing.certify(model, x, generator=make_generator(5, "cpu"), **kwargs)
    assert first != smoothing.certify(model, x, generator=make_generator(6, "cpu"), **kwargs)
    smooth = smoothing.Smooth(model, noise, num_classes=2)
    assert (
        smooth.certify(x, n0=50, n=500, alpha=0.01, batch_size=128, generator=make_generator(5, "cpu"))
        == first
    )
    assert smooth.predict(
        x, n=500, alpha=0.01, batch_size=128, generator=make_generator(5, "cpu")
    ) == smoothing.predict(
        model, x, noise=noise, n=500, alpha=0.01, batch_size=128, generator=make_generator(5, "cpu")
    )


def test_points_on_the_certified_circle_keep_the_smoothed_prediction_linear_model():
    sigma, noise, model = 0.4, noise_module.make("gaussian", 0.4), linear_classifier()
    x = point_at_margin(0.3)
    label, radius = smoothing.certify(
        model,
        x,
        noise=noise,
        n0=100,
        n=5000,
        alpha=0.001,
        batch_size=1000,
        generator=make_generator(0, "cpu"),
    )
    assert label == 1 and radius > 0.15
    angles = torch.linspace(0, 2 * math.pi, 17)[:-1]
    circle = x + radius * torch.stack([angles.cos(), angles.sin()], dim=1)
    for point in circle:  # exact smoothed probability: the certificate is a theorem, never violated
        assert exact_gaussian_probability_of_class_1(point, sigma) > 0.5
    counts = smoothing.sample_counts_many(
        model, circle, noise=noise, num=20_000, batch_size=20_000, generator=make_generator(1, "cpu")
    )
    assert torch.all(counts.argmax(dim=1) == label)


def test_points_on_the_certified_circle_keep_the_smoothed_prediction_disc_model():
    sigma, noise, model = 0.5, noise_module.make("gaussian", 0.5), DiscClassifier()
    x = torch.tensor([0.1, -0.05])
    label, radius = smoothing.certify(
        model,
        x,
        noise=noise,
        n0=100,
        n=5000,
        alpha=0.001,
        batch_size=1000,
        generator=make_generator(0, "cpu"),
    )
    assert label == 1 and radius > 0.3
    angles = torch.linspace(0, 2 * math.pi, 17)[:-1]
    circle = x + radius * torch.stack([angles.cos(), angles.sin()], dim=1)
    # P(‖x' + ε‖ < 1) = noncentral χ²₂ CDF at 1/σ² with non-centrality ‖x'‖²/σ².
    exact = scipy.stats.ncx2.cdf(1 / sigma**2, 2, (circle**2).sum(1).numpy() / sigma**2)
    assert np.all(exact > 0.5)
    counts = smoothing.sample_counts_many(
        model, circle, noise=noise, num=20_000, batch_size=20_000, generator=make_generator(1, "cpu")
    )
    assert torch.all(counts.argmax(dim=1) == label)


def test_certify_refuses_noise_without_a_certificate():
    with pytest.raises(ValueError, match="no certified radius"):
        smoothing.certify(
            linear_classifier(),
            torch.zeros(2),
            noise=noise_module.make("generalized_normal", 0.5, beta=0.8),
            n0=10,
            n=10,
            alpha=0.01,
            batch_size=10,
            generator=make_generator(0, "cpu"),
        )


# ---------------------------------------------------------------------------- PREDICT / CERTIFY on counts


def _scipy_predict(row, alpha):
    """Cohen et al.'s reference PREDICT on one count row: scipy's binomial test of the top two counts."""
    a, b = sorted(row, reverse=True)[:2] if len(row) > 1 else (row[0], 0)
    rejects = scipy.stats.binomtest(int(a), int(a + b), 0.5).pvalue <= alpha
    return int(np.argmax(row)) if rejects else smoothing.ABSTAIN


def test_predict_counts_is_scipys_binomial_test_row_by_row():
    rng = np.random.default_rng(0)
    counts = np.vstack([rng.integers(0, 60, size=(300, 3)), [[10, 10, 0], [7, 0, 0], [50, 49, 1], [0, 9, 0]]])
    counts[counts.sum(axis=1) == 0, 0] = 1  # every row is at least one draw
    for alpha in (0.01, 0.001):
        got = smoothing.predict_counts(counts, alpha)
        assert got.tolist() == [_scipy_predict(row, alpha) for row in counts]  # exact: same decisions
    assert smoothing.predict_counts(torch.tensor([[0, 30, 0]]), 0.001).tolist() == [1]
    assert smoothing.predict_counts(np.array([[12]]), 0.001).tolist() == [0]  # one class: n_B = 0


def test_binomial_half_p_value_is_scipys_bit_for_bit():
    rng = np.random.default_rng(1)
    pairs = [tuple(sorted(rng.integers(0, 3000, 2), reverse=True)) for _ in range(400)] + [(5, 5), (1, 0)]
    got = smoothing.binomial_half_p_value([a for a, _ in pairs], [b for _, b in pairs])
    expected = [scipy.stats.binomtest(int(a), int(a + b), 0.5).pvalue for a, b in pairs]
    assert got.tolist() == expected  # exact: the same formula as scipy.stats.binomtest


def test_predict_counts_decides_as_the_scalar_predict():
    model, noise = linear_classifier(), noise_module.make("gaussian", 0.5)
    for k, distance in enumerate((-0.8, -0.05, 0.0, 0.03, 0.6)):
        x = point_at_margin(distance)
        options = dict(noise=noise, batch_size=64, generator=make_generator(40 + k))
        counts = smoothing.sample_counts(model, x, num=200, **options)
        options["generator"] = make_generator(40 + k)
        decided = smoothing.predict(model, x, n=200, alpha=0.01, **options)
        assert smoothing.predict_counts(counts[None], 0.01).tolist() == [decided]
        assert decided == _scipy_predict(counts.numpy(), 0.01)


@pytest.mark.parametrize(
    "noise",
    [
        noise_module.make("gaussian", 0.3),
        noise_module.make("laplace", 0.3),
        noise_module.make("uniform", 0.3),
        noise_module.make("generalized_normal", 0.3, beta=1.5),
    ],
    ids=lambda noise: noise.name,
)
def test_certify_counts_is_clopper_pearson_then_the_noises_radius(noise):
    n = 120
    estimation = np.array([[n, 0]] + [[k, n - k] for k in range(0, n, 7)] + [[70, 50]])
    selection = np.array([[5, 0]] + [[3, 2]] * (len(estimation) - 2) + [[1, 4]])  # the last guesses class 1
    decided = smoothing.certify_counts(selection, estimation, noise, 0.001, dim=2)
    for k in range(len(estimation)):
        guess = int(np.argmax(selection[k]))
        p_lower = smoothing.clopper_pearson_lower(int(estimation[k, guess]), n, 0.001)
        assert decided.guess[k] == guess and decided.p_a_lower[k] == p_lower  # exact
        if p_lower < 0.5:
            assert decided.prediction[k] == smoothing.ABSTAIN and decided.radius[k] == 0.0
        else:
            assert decided.prediction[k] == guess
            assert decided.radius[k] == smoothing.certified_radius(noise, p_lower, dim=2)  # exact
    assert decided.prediction[-1] == smoothing.ABSTAIN  # p_A_lower of class 1 from 50/120 < ½
    assert decided.radius[0] == pytest.approx(smoothing.certify_ceiling(noise, 0.001, n), rel=1e-12)


def test_certify_counts_decides_as_cohens_reference_on_many_rows():
    """Cohen et al.'s certify (locuslab/smoothing, core.py): cAHat = argmax of the selection counts,
    pABar = proportion_confint(nA, n, alpha=2α, method="beta")[0] = Beta⁻¹(α; nA, n − nA + 1) (0 when nA = 0),
    abstain when pABar < ½, else σΦ⁻¹(pABar) — written out with scipy, row by row."""
    rng = np.random.default_rng(2)
    n, sigma, alpha = 1000, 0.25, 0.001
    top = rng.integers(0, n + 1, size=500)
    estimation = np.stack([top, n - top], axis=1)
    selection = rng.integers(0, 20, size=(500, 2))
    decided = smoothing.certify_counts(selection, estimation, noise_module.make("gaussian", sigma), alpha)
    for k in range(500):
        guess = int(np.argmax(selection[k]))
        n_a = int(estimation[k, guess])
        p_bar = scipy.stats.beta.ppf(alpha, n_a, n - n_a + 1) if n_a else 0.0
        if p_bar < 0.5:
            assert (decided.prediction[k], decided.radius[k]) == (smoothing.ABSTAIN, 0.0)
        else:
            assert decided.prediction[k] == guess
            assert decided.radius[k] == pytest.approx(sigma * scipy.stats.norm.ppf(p_bar), rel=1e-12, abs=0)


def test_certify_counts_refuses_counts_it_cannot_read():
    gaussian = noise_module.make("gaussian", 0.5)
    with pytest.raises(ValueError, match="one shape"):
        smoothing.certify_counts(np.ones((2, 3), dtype=int), np.ones((2, 2), dtype=int), gaussian, 0.01)
    with pytest.raises(ValueError, match="integer vote counts"):
        smoothing.certify_counts(np.ones((2, 2)), np.ones((2, 2), dtype=int), gaussian, 0.01)
    with pytest.raises(ValueError, match="at least one draw"):
        smoothing.certify_counts(np.ones((1, 2), dtype=int), np.zeros((1, 2), dtype=int), gaussian, 0.01)
    with pytest.raises(ValueError, match="integer vote counts"):
        smoothing.predict_counts(np.array([[-1, 3]]), 0.01)
    with pytest.raises(ValueError, match="alpha"):
        smoothing.predict_counts(np.array([[1, 3]]), 1.5)


# ---------------------------------------------------------------------------- radius formulas


def test_clopper_pearson_lower_matches_scipy():
    n, alpha = 200, 0.001
    for k in (1, 37, 100, 199, 200):
        expected = scipy.stats.beta.ppf(alpha, k, n - k + 1)
        assert smoothing.clopper_pearson_lower(k, n, alpha) == pytest.approx(expected, rel=1e-12)
        # Independent reference: the exact two-sided (1 − 2α) interval's lower end.
        exact = scipy.stats.binomtest(k, n).proportion_ci(confidence_level=1 - 2 * alpha, method="exact").low
        assert smoothing.clopper_pearson_lower(k, n, alpha) == pytest.approx(exact, rel=1e-9)
    assert smoothing.clopper_pearson_lower(0, n, alpha) == 0.0
    assert smoothing.clopper_pearson_lower(n, n, alpha) == pytest.approx(alpha ** (1 / n), rel=1e-12)


def test_gaussian_radius_formula_and_two_sided_version():
    p = np.array([0.3, 0.5, 0.6, 0.9, 0.999])
    expected = np.where(p > 0.5, 0.25 * scipy.stats.norm.ppf(p), 0.0)
    np.testing.assert_allclose(smoothing.gaussian_radius(p, 0.25), expected, rtol=1e-12)
    assert isinstance(smoothing.gaussian_radius(0.9, 0.25), float)
    assert smoothing.gaussian_radius(0.9, 0.25, p_b=0.1) == pytest.approx(
        smoothing.gaussian_radius(0.9, 0.25)
    )
    two_sided = smoothing.gaussian_radius(0.7, 0.5, p_b=0.2)
    assert two_sided == pytest.approx(
        0.25 * (scipy.stats.norm.ppf(0.7) - scipy.stats.norm.ppf(0.2)), rel=1e-12
    )
    assert two_sided > smoothing.gaussian_radius(0.7, 0.5)  # a tighter p_B certifies more
    assert smoothing.gaussian_radius(0.4, 0.5, p_b=0.45) == 0.0


def test_laplace_and_uniform_formulas():
    assert smoothing.laplace_radius(0.9, 0.5) == pytest.approx(-0.5 * math.log(0.2), rel=1e-12)
    assert smoothing.laplace_radius(0.5, 0.5) == 0.0
    assert smoothing.uniform_radius(0.8, 0.5) == pytest.approx(2 * 0.5 * 0.3, rel=1e-12)
    assert smoothing.uniform_radius(0.8, 0.5, norm="linf", dim=10) == pytest.approx(
        2 * 0.5 * (1 - 0.7**0.1), rel=1e-12
    )
    assert smoothing.uniform_radius(0.8, 0.5, norm="linf", dim=1) == pytest.approx(
        smoothing.uniform_radius(0.8, 0.5)
    )
    np.testing.assert_array_equal(smoothing.uniform_radius(np.array([0.2, 0.5]), 1.0), [0.0, 0.0])


@pytest.mark.parametrize("name,scale", [("gaussian", 0.3), ("laplace", 0.3), ("uniform", 0.3)])
def test_radius_is_tight_for_a_half_plane_classifier(name, scale):
    # F(x) = 1{x₀ > 0} at x = (d, 0): p_A = P(ε₀ > −d) = CDF(d); the worst ℓ1/ℓ2 move is along e₀.
    noise, distance = noise_module.make(name, scale), 0.2
    p_a = noise.distribution().cdf(distance)
    assert smoothing.certified_radius(noise, p_a, dim=2) == pytest.approx(distance, rel=1e-9)


def test_renyi_and_pixeldp_never_exceed_cohen():
    p = np.linspace(0.501, 0.9999, 400)
    cohen = smoothing.gaussian_radius(p, 0.5)
    renyi = smoothing.renyi_radius(p, 0.5)
    pixeldp = smoothing.pixeldp_radius(p, 0.5)
    assert np.all(renyi <= cohen + 1e-12) and np.all(renyi > 0)
    assert np.all(pixeldp <= cohen + 1e-12) and np.all(pixeldp > 0)
    assert smoothing.renyi_radius(0.5, 0.5) == 0.0 and smoothing.pixeldp_radius(0.45, 0.5) == 0.0
    # Li et al.'s bound at the single order α = 2 (power mean of exponent −1 = harmonic mean),
    # evaluated by hand, is a lower bound of the sup over orders.
    p_a, p_b = 0.9, 0.05
    order_two = 0.5 * math.sqrt(-(2 / 2) * math.log(1 - p_a - p_b + 2 * 2 / (1 / p_a + 1 / p_b)))
    assert order_two <= smoothing.renyi_radius(p_a, 0.5, p_b) <= smoothing.gaussian_radius(p_a, 0.5, p_b)


def test_pixeldp_radius_satisfies_the_robustness_condition_at_its_epsilon():
    sigma, p_a = 1.0, 0.95
    radius = smoothing.pixeldp_radius(p_a, sigma)
    # Recover (ε, δ) from the grid optimum and check the PixelDP condition p_A > e^{2ε} p_B + (1+e^ε)δ.
    eps = np.linspace(1e-3, 1.0, 1000)
    delta = 1.25 * np.exp(-((sigma * eps / radius) ** 2) / 2)
    assert np.any(p_a >= np.exp(2 * eps) * (1 - p_a) + (1 + np.exp(eps)) * delta - 1e-9)
    assert not np.any(
        p_a
        > np.exp(2 * eps) * (1 - p_a)
        + (1 + np.exp(eps)) * 1.25 * np.exp(-((sigma * eps / (radius * 1.01)) ** 2) / 2)
    )


def test_radius_ceiling_and_input_space_radius():
    assert smoothing.radius_ceiling(0.25, 0.001, 100_000) == pytest.approx(
        0.25 * scipy.stats.norm.ppf(0.001**1e-5)
    )
    assert smoothing.input_space_radius(0.6, 3.0) == pytest.approx(0.2)
    np.testing.assert_allclose(smoothing.input_space_radius(np.array([0.0, 1.5]), 3.0), [0.0, 0.5])


def test_certified_radius_dispatches_on_the_noise():
    assert smoothing.certified_radius(noise_module.make("gaussian", 0.5), 0.8) == smoothing.gaussian_radius(
        0.8, 0.5
    )
    assert smoothing.certified_radius(noise_module.make("laplace", 0.5), 0.8) == smoothing.laplace_radius(
        0.8, 0.5
    )
    assert smoothing.certified_radius(noise_module.make("uniform", 0.5), 0.8) == smoothing.uniform_radius(
        0.8, 0.5
    )
    assert smoothing.certified_radius(
        noise_module.make("uniform", 0.5), 0.8, norm="linf", dim=4
    ) == smoothing.uniform_radius(0.8, 0.5, norm="linf", dim=4)


@pytest.mark.parametrize(
    "call,match",
    [
        (
            lambda: smoothing.predict(
                linear_classifier(),
                torch.zeros(2),
                noise=noise_module.make("gaussian", 1.0),
                n=0,
                alpha=0.01,
                batch_size=1,
                generator=make_generator(0),
            ),
            "n must",
        ),
        (
            lambda: smoothing.certify(
                linear_classifier(),
                torch.zeros(2),
                noise=noise_module.make("gaussian", 1.0),
                n0=0,
                n=10,
                alpha=0.01,
                batch_size=1,
                generator=make_generator(0),
            ),
            "n0",
        ),
        (
            lambda: smoothing.certify(
                linear_classifier(),
                torch.zeros(2),
                noise=noise_module.make("gaussian", 1.0),
                n0=1,
                n=10,
                alpha=1.0,
                batch_size=1,
                generator=make_generator(0),
            ),
            "alpha",
        ),
        (
            lambda: smoothing.predict(
                linear_classifier(),
                torch.zeros(2),
                noise=noise_module.make("gaussian", 1.0),
                n=5,
                alpha=0.0,
                batch_size=1,
                generator=make_generator(0),
            ),
            "alpha",
        ),
        (
            lambda: smoothing.sample_counts(
                linear_classifier(),
                torch.zeros(2),
                noise=noise_module.make("gaussian", 1.0),
                num=5,
                batch_size=0,
                generator=make_generator(0),
            ),
            "batch_size",
        ),
        (
            lambda: smoothing.sample_counts(
                linear_classifier(),
                torch.zeros(2),
                noise=noise_module.make("gaussian", 1.0),
                num=5,
                batch_size=2,
                generator=None,
            ),
            "Generator",
        ),
        (lambda: smoothing.gaussian_radius(1.2, 0.5), r"\[0, 1\]"),
        (lambda: smoothing.gaussian_radius(np.array([0.5, -0.1]), 0.5), r"\[0, 1\]"),
        (lambda: smoothing.gaussian_radius(0.9, 0.0), "sigma"),
        (lambda: smoothing.gaussian_radius(0.9, 0.5, p_b=0.2), "exceed"),
        (lambda: smoothing.renyi_radius(0.9, -1.0), "sigma"),
        (lambda: smoothing.pixeldp_radius(float("nan"), 1.0), r"\[0, 1\]"),
        (lambda: smoothing.radius_ceiling(0.25, 0.001, 0), "n must"),
        (lambda: smoothing.certify_ceiling(noise_module.make("laplace", 0.5), 0.0, 100), "alpha"),
        (
            lambda: smoothing.certify_ceiling(
                noise_module.make("generalized_normal", 0.5, beta=0.8), 0.01, 100
            ),
            "No certified radius",
        ),
        (lambda: smoothing.clopper_pearson_lower(11, 10, 0.01), "k must"),
        (lambda: smoothing.uniform_radius(0.9, 0.5, norm="linf"), "dim"),
        (lambda: smoothing.uniform_radius(0.9, 0.5, norm="l2"), "norm"),
        (
            lambda: smoothing.certified_radius(noise_module.make("generalized_normal", 0.5, beta=0.8), 0.9),
            "No certified radius",
        ),
        (lambda: smoothing.certified_radius("gaussian", 0.9), "No certified radius"),
        (lambda: smoothing.input_space_radius(0.5, 0.0), "lipschitz_bound"),
    ],
)
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_certify_on_cuda_matches_the_ceiling_and_rejects_a_cpu_generator():
    model = linear_classifier().cuda()
    noise = noise_module.make("gaussian", 0.25)
    label, radius = smoothing.certify(
        ConstantClassifier(1),
        torch.zeros(2, device="cuda"),
        noise=noise,
        n0=10,
        n=500,
        alpha=0.001,
        batch_size=128,
        generator=make_generator(0, "cuda"),
    )
    assert (label, radius) == (1, pytest.approx(smoothing.radius_ceiling(0.25, 0.001, 500)))
    first = smoothing.certify(
        model,
        point_at_margin(0.3),
        noise=noise,
        n0=10,
        n=500,
        alpha=0.001,
        batch_size=128,
        generator=make_generator(0, "cuda"),
    )
    assert first == smoothing.certify(
        model,
        point_at_margin(0.3),
        noise=noise,
        n0=10,
        n=500,
        alpha=0.001,
        batch_size=128,
        generator=make_generator(0, "cuda"),
    )
    with pytest.raises(ValueError, match="model's device"):
        smoothing.predict(
            model,
            point_at_margin(0.3),
            noise=noise,
            n=10,
            alpha=0.01,
            batch_size=4,
            generator=make_generator(0, "cpu"),
        )


def test_matched_variance_radii_use_the_scale_of_each_noise():
    p_a = np.array([0.6, 0.9, 0.99])
    curves = smoothing.matched_variance_radii(p_a, 0.25)
    assert len(curves) == 5
    np.testing.assert_allclose(curves["Gaussian ℓ2 — Cohen et al. 2019"], 0.25 * scipy.stats.norm.ppf(p_a))
    b, lam = 0.25 / np.sqrt(2), 0.25 * np.sqrt(3)  # same standard deviation as σ = 0.25
    np.testing.assert_allclose(curves["Laplace ℓ1 — Teng et al. 2020"], -b * np.log(2 * (1 - p_a)))
    np.testing.assert_allclose(curves["Uniform ℓ1 — Yang et al. 2020"], 2 * lam * (p_a - 0.5))
    for loose in ("Gaussian ℓ2 — Li et al. 2019 (Rényi)", "Gaussian ℓ2 — Lecuyer et al. 2019 (PixelDP)"):
        assert np.all(curves[loose] <= curves["Gaussian ℓ2 — Cohen et al. 2019"] + 1e-9)
