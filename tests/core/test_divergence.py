"""core.divergence and core.smoothing.exponential_family_radius: the Rényi route from a divergence to a
radius (Li et al. 2019), checked against the closed forms it must reproduce, against quadrature and
Monte Carlo, and for soundness on product laws and half-spaces."""

import math

import numpy as np
import pytest
import scipy.integrate
import scipy.stats
import torch

from core import divergence, smoothing
from core import noise as noise_module
from core.device import make_generator
from tests.core import linear_reference

P_GRID = (0.5001, 0.51, 0.55, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999, 0.99999)
ORDERS = (1.001, 1.05, 1.5, 2.0, 5.0, 30.0, 300.0)
SHIFTS = (0.01, 0.1, 0.5, 1.0, 2.0, 5.0)


def gennorm(scale, beta):
    return noise_module.make("generalized_normal", scale, beta=beta)


# ---------------------------------------------------------------------------- the divergences


@pytest.mark.parametrize("order", ORDERS)
def test_generalized_normal_quadrature_meets_the_gaussian_and_laplace_closed_forms(order):
    """β = 2 with scale s is N(0, s²/2): α u²/s²; β = 1 is Laplace(s) (Mironov's closed form)."""
    for u in SHIFTS:
        gaussian = divergence.gaussian_renyi_divergence(u, 0.7 / math.sqrt(2), order=order)
        laplace = divergence.laplace_renyi_divergence(u, 0.7, order=order)
        assert gaussian == pytest.approx(order * u**2 / 0.7**2, rel=1e-12)
        assert divergence.generalized_normal_renyi_divergence(u, 0.7, 2.0, order=order) == pytest.approx(
            gaussian, rel=1e-6, abs=1e-7
        )
        assert divergence.generalized_normal_renyi_divergence(u, 0.7, 1.0, order=order) == pytest.approx(
            laplace, rel=1e-6, abs=1e-7
        )


@pytest.mark.parametrize("beta", [1.2, 1.5, 3.0])
def test_generalized_normal_divergence_is_the_integral_of_the_densities(beta):
    """Against an independent integral of scipy's gennorm densities (no shift of the exponent)."""
    law = scipy.stats.gennorm(beta, scale=0.5)
    for order in (1.5, 3.0):
        for u in (0.1, 0.6):
            integral, _ = scipy.integrate.quad(
                lambda t: math.exp(order * law.logpdf(t) + (1 - order) * law.logpdf(t - u)),
                -15,
                15,
                points=[-5.0, 0.0, u, 5.0],
                limit=200,
            )
            expected = math.log(integral) / (order - 1)
            assert divergence.generalized_normal_renyi_divergence(u, 0.5, beta, order=order) == pytest.approx(
                expected, rel=1e-6
            )


def test_laplace_divergence_matches_a_monte_carlo_estimate():
    """D_α = log E_P[(p/q)^{α−1}] / (α − 1), estimated from 400 000 Laplace draws."""
    generator = np.random.default_rng(0)
    draws = generator.laplace(scale=0.4, size=400_000)
    order, u = 2.0, 0.3
    log_ratio = (np.abs(draws - u) - np.abs(draws)) / 0.4
    estimate = math.log(np.mean(np.exp((order - 1) * log_ratio))) / (order - 1)
    assert divergence.laplace_renyi_divergence(u, 0.4, order=order) == pytest.approx(estimate, rel=0.01)


def test_infinite_order_limits():
    assert divergence.laplace_renyi_divergence(0.3, 0.5, order=math.inf) == pytest.approx(0.6)
    assert divergence.gaussian_renyi_divergence(0.3, 0.5, order=math.inf) == math.inf
    assert divergence.generalized_normal_renyi_divergence(0.3, 0.5, 1.5, order=math.inf) == math.inf
    assert divergence.generalized_normal_renyi_divergence(0.3, 0.5, 0.5, order=math.inf) == pytest.approx(
        math.sqrt(0.6)
    )
    # The finite orders approach the limit from below.
    assert divergence.laplace_renyi_divergence(0.3, 0.5, order=1e4) == pytest.approx(0.6, rel=1e-3)


# ---------------------------------------------------------------------------- Li et al.'s lemma


def test_li_bound_against_its_formula_and_its_limit():
    p_a, p_b = 0.8, 0.15
    for order in (1.5, 4.0):
        mean = ((p_a ** (1 - order) + p_b ** (1 - order)) / 2) ** (1 / (1 - order))
        assert divergence.li_renyi_bound(p_a, p_b, order=order) == pytest.approx(
            -math.log(1 - p_a - p_b + 2 * mean), rel=1e-12
        )
    assert divergence.li_renyi_bound(p_a, p_b, order=math.inf) == pytest.approx(-math.log(1 - p_a + p_b))
    assert divergence.li_renyi_bound(p_a, p_b, order=1e5) == pytest.approx(-math.log(1 - p_a + p_b), rel=1e-3)
    assert divergence.li_renyi_bound(0.4, 0.5, order=2.0) == 0.0


def test_li_bound_is_sound_on_two_class_output_laws():
    """Brute force over pairs of 2-class output laws: whenever the top class changes, D_α(Q‖P) exceeds the
    bound."""
    for p_a in np.linspace(0.55, 0.99, 12):
        for q_a in np.linspace(0.01, 0.5, 12):  # Q's top class is the other one (or a tie)
            for order in (1.5, 3.0, 20.0):
                div = math.log(
                    q_a**order * p_a ** (1 - order) + (1 - q_a) ** order * (1 - p_a) ** (1 - order)
                ) / (order - 1)
                assert div >= divergence.li_renyi_bound(p_a, order=order) - 1e-12


# ---------------------------------------------------------------------------- the radius


@pytest.mark.parametrize("p_a", P_GRID)
def test_the_divergence_route_reproduces_li_et_al_and_teng_et_al(p_a):
    assert smoothing.exponential_family_radius(noise_module.make("gaussian", 0.5), p_a) == pytest.approx(
        smoothing.renyi_radius(p_a, 0.5), abs=1e-4
    )
    assert smoothing.exponential_family_radius(noise_module.make("laplace", 0.3), p_a) == pytest.approx(
        smoothing.laplace_radius(p_a, 0.3), abs=1e-4
    )
    # Li et al. with p_B given: the same route.
    assert smoothing.exponential_family_radius(
        noise_module.make("gaussian", 0.5), p_a, (1 - p_a) / 2
    ) == pytest.approx(smoothing.renyi_radius(p_a, 0.5, (1 - p_a) / 2), abs=1e-4)


@pytest.mark.parametrize("p_a", (0.55, 0.9, 0.999))
def test_generalized_normal_radius_at_beta_one_and_two(p_a):
    """β = 1 is Laplace(s) (Teng et al.'s radius); β = 2 is N(0, s²/2), whose ℓ1 radius is its ℓ2 Rényi
    radius (the 1-D divergence is maximal on one axis, where ℓ1 = ℓ2)."""
    assert smoothing.exponential_family_radius(gennorm(0.4, 1.0), p_a) == pytest.approx(
        smoothing.laplace_radius(p_a, 0.4), abs=1e-4
    )
    assert smoothing.exponential_family_radius(gennorm(0.4, 2.0), p_a) == pytest.approx(
        smoothing.renyi_radius(p_a, 0.4 / math.sqrt(2)), abs=1e-4
    )


def test_radius_is_zero_without_a_majority_and_grows_with_p_a():
    noise = gennorm(0.4, 1.5)
    assert smoothing.exponential_family_radius(noise, 0.5) == 0.0
    assert smoothing.exponential_family_radius(noise, 0.45, 0.45) == 0.0
    assert smoothing.exponential_family_radius(noise, 0.4, 0.45) == 0.0
    radii = [smoothing.exponential_family_radius(noise, p) for p in (0.6, 0.8, 0.95, 0.999)]
    assert all(a < b for a, b in zip(radii, radii[1:]))
    # Doubling the scale doubles the radius (the divergence depends on ‖τ‖/s).
    assert smoothing.exponential_family_radius(gennorm(0.8, 1.5), 0.9) == pytest.approx(
        2 * smoothing.exponential_family_radius(noise, 0.9), rel=1e-6
    )


def test_the_divergence_route_never_beats_the_tight_radii():
    for p_a in P_GRID:
        assert (
            smoothing.exponential_family_radius(noise_module.make("gaussian", 0.5), p_a)
            <= smoothing.gaussian_radius(p_a, 0.5) + 1e-9
        )


# ---------------------------------------------------------------------------- soundness for product laws


@pytest.mark.parametrize("beta", [1.0, 1.3, 1.5, 2.0, 3.0])
def test_one_coordinate_is_the_worst_shift_on_the_l1_ball(beta):
    """Brute force: for random τ in 2–4 dimensions with ‖τ‖₁ = r, Σ_i f(|τ_i|) ≤ f(r), the bound used."""
    noise = gennorm(0.5, beta)
    generator = np.random.default_rng(int(beta * 10))
    for order in (1.2, 3.0, 30.0):
        for radius in (0.05, 0.4, 1.5):
            bound = divergence.ball_renyi_divergence(noise, radius, order=order)
            assert bound == pytest.approx(
                divergence.product_renyi_divergence(noise, [radius, 0, 0], order=order)
            )
            for dim in (2, 3, 4):
                for _ in range(8):
                    tau = generator.dirichlet(np.ones(dim)) * radius * generator.choice([-1, 1], dim)
                    assert (
                        divergence.product_renyi_divergence(noise, tau, order=order)
                        <= bound * (1 + 1e-7) + 1e-9
                    )


@pytest.mark.parametrize("beta", [1.0, 1.5, 2.5])
def test_one_coordinate_divergence_over_its_shift_is_nondecreasing(beta):
    """f(u)/u nondecreasing (the convexity the ℓ1 bound relies on), checked on a dense grid."""
    shifts = np.geomspace(1e-3, 4.0, 60)
    for order in (1.1, 4.0, 100.0):
        ratios = [
            divergence.generalized_normal_renyi_divergence(u, 1.0, beta, order=order) / u for u in shifts
        ]
        assert all(b >= a * (1 - 1e-6) - 1e-9 for a, b in zip(ratios, ratios[1:]))


def test_spread_shifts_break_beta_below_one():
    """β < 1: the convexity argument fails; at α = ∞ spreading the shift over coordinates increases the
    divergence (Σ (u_i/s)^β), so no ℓ1 certificate is given."""
    noise = gennorm(0.5, 0.6)
    one = divergence.product_renyi_divergence(noise, [0.4, 0, 0, 0], order=math.inf)
    spread = divergence.product_renyi_divergence(noise, [0.1] * 4, order=math.inf)
    assert spread == pytest.approx(4**0.4 * one) and spread > one
    assert noise.certified_norm is None
    with pytest.raises(ValueError, match="β < 1"):
        smoothing.exponential_family_radius(noise, 0.9)


@pytest.mark.parametrize("beta", [1.0, 1.5, 2.5])
def test_generalized_normal_radius_is_sound_on_a_half_space(beta):
    """F(x) = 1{x_1 > −m}: the smoothed classifier's boundary is at ℓ1 distance m from 0 (F_rob = F for an
    even noise), and p_A = P(ε_1 > −m) is exact; the certified radius never exceeds m."""
    noise = gennorm(0.5, beta)
    law = noise.distribution()
    for margin in (0.05, 0.3, 1.0, 2.0):
        p_a = float(law.cdf(margin))
        assert smoothing.exponential_family_radius(noise, p_a) <= margin + 1e-9


# ---------------------------------------------------------------------------- CERTIFY with generalized-normal
# noise


def test_certify_accepts_generalized_normal_noise():
    noise = gennorm(0.5, 1.5)
    model = linear_reference.linear_classifier(torch.tensor([1.0, 2.0]), -1.0)
    x = torch.tensor([1.5, 0.8])
    details = smoothing.certify_details(
        model, x, noise=noise, n0=50, n=2000, alpha=0.001, batch_size=500, generator=make_generator(0, "cpu")
    )
    assert details.prediction == 1 and details.norm == "l1"
    assert details.radius == pytest.approx(smoothing.exponential_family_radius(noise, details.p_a_lower))
    assert smoothing.certified_radius(noise, details.p_a_lower) == pytest.approx(details.radius)
    # Sound on this half-plane: the ℓ1 distance to w·x + c = 0 is |w·x + c|/‖w‖_∞.
    assert details.radius <= abs(1.5 + 1.6 - 1.0) / 2.0
    ceiling = smoothing.certify_ceiling(noise, 0.001, 2000)
    assert ceiling == pytest.approx(smoothing.exponential_family_radius(noise, 0.001 ** (1 / 2000)))
    assert details.radius <= ceiling


def test_certified_radius_maps_arrays_for_generalized_normal_noise():
    noise = gennorm(0.5, 1.5)
    values = smoothing.certified_radius(noise, np.array([0.4, 0.9]))
    assert values.shape == (2,) and values[0] == 0.0
    assert values[1] == pytest.approx(smoothing.exponential_family_radius(noise, 0.9))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: smoothing.exponential_family_radius(noise_module.make("uniform", 0.5), 0.9), "uniform"),
        (lambda: smoothing.exponential_family_radius(noise_module.make("gaussian", 0.5), 1.2), r"\[0, 1\]"),
        (lambda: smoothing.exponential_family_radius(noise_module.make("gaussian", 0.5), 0.8, 0.3), "exceed"),
        (lambda: divergence.li_renyi_bound(0.8, order=1.0), "order"),
        (lambda: divergence.laplace_renyi_divergence(-0.1, 0.5, order=2.0), "non-negative"),
        (lambda: smoothing.certified_radius(gennorm(0.5, 1.5), 0.9, norm="l2"), "l1"),
    ],
)
def test_bad_arguments_are_one_sentence(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("beta", [1.5, 2.0, 3.0])
def test_the_largest_orders_of_the_sup_are_integrated_where_the_peak_is(beta):
    """At α − 1 = 1e3 (the top of ORDERS) the integrand's peak lies at t* ~ −u·α and is far narrower than
    the stretch around it: quad stepped over it and β = 3 (one of p08's choices) failed with a math
    domain error. β = 2 meets the Gaussian closed form α u²/s² there; β = 3 is finite and grows with u."""
    top = float(divergence.ORDERS[-1])
    values = [
        divergence.generalized_normal_renyi_divergence(u, 0.7, beta, order=top) for u in (0.05, 0.3, 1.0)
    ]
    assert all(math.isfinite(value) and value > 0 for value in values) and values == sorted(values)
    if beta == 2.0:
        assert values == pytest.approx([top * u**2 / 0.7**2 for u in (0.05, 0.3, 1.0)], rel=1e-6)


def test_p08s_divergence_view_runs_at_every_beta_it_offers():
    """Every β p08 offers gives a finite certificate that never exceeds the 1-D Neyman–Pearson radius."""
    from core.scenes import decision_distribution as scene

    for beta in scene.DIVERGENCE_BETAS:
        view = scene.divergence_view(beta=beta)
        assert all(math.isfinite(radius) and radius >= 0 for radius in view.radii), beta
        assert all(radius <= shift + 1e-9 for radius, shift in zip(view.radii, view.shift_radii)), beta
