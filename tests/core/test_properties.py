"""Property-based tests (hypothesis, derandomized, no deadlines): core's argument checks, and the
soundness of CERTIFY's certificates on 2-D half-planes, where the smoothed classifier's exact
robust radius is known.

For a linear base classifier f(x) = [w·x + c > 0] and noise symmetric about 0, the smoothed
classifier g has the same boundary (w·ε is symmetric), so the largest ball around x on which g is
constant has radius |w·x + c| / ‖w‖_* in the certified norm (‖w‖₂ for ℓ2, ‖w‖∞ for ℓ1). A
certificate is violated when CERTIFY names another class than g(x) or a radius beyond that
distance. Cohen et al.'s guarantee bounds each violation's probability by α; the count over many
draws is held to α with a binomial tail bound at 10⁻⁶, so the test is deterministic (fixed seeds)
and fails only if CERTIFY is unsound.
"""

import math

import pytest
import scipy.stats
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from core import data, seeds, smoothing
from core import noise as noises
from core.device import make_generator
from tests.core.linear_reference import linear_classifier

ALPHA = 0.05  # large on purpose: violations are frequent enough to be counted
PROBLEMS = 120
DETERMINISTIC = settings(max_examples=PROBLEMS, deadline=None, derandomize=True, database=None)
DUAL_NORM = {"l2": 2, "l1": math.inf}


def numbers(low, high):
    """Floats in [low, high], plus the values a careless caller passes: NaN and ±∞."""
    return st.one_of(st.floats(low, high), st.sampled_from([math.nan, math.inf, -math.inf]))


@st.composite
def half_plane_problems(draw):
    angle = draw(st.floats(0, 2 * math.pi))
    scale = draw(st.floats(0.5, 4.0))
    w = torch.tensor([math.cos(angle), math.sin(angle)]) * scale
    point = torch.tensor([draw(st.floats(0, 1)), draw(st.floats(0, 1))])
    # Margins within a few σ of the boundary, where mistakes are possible.
    offset = draw(st.floats(-1.0, 1.0))
    c = float(-(w @ point)) + offset * scale * 0.5
    noise = draw(st.sampled_from([("gaussian", 0.25), ("gaussian", 0.5), ("laplace", 0.2), ("uniform", 0.4)]))
    seed = draw(st.integers(0, 2**31 - 1))
    return w, c, point, noise, seed


def _violation(problem) -> bool:
    w, c, point, (name, scale), seed = problem
    noise = noises.make(name, scale)
    label, radius = smoothing.certify(
        linear_classifier(w, c),
        point,
        noise=noise,
        n0=32,
        n=400,
        alpha=ALPHA,
        batch_size=400,
        generator=make_generator(seed, "cpu"),
    )
    margin = float(w @ point + c)
    if label == smoothing.ABSTAIN:
        return False
    true_label = int(margin > 0)
    if margin == 0:
        return radius > 0  # g's vote is a tie on the boundary: no radius is sound
    exact = abs(margin) / float(torch.linalg.vector_norm(w, ord=DUAL_NORM[noise.certified_norm]))
    return label != true_label or radius > exact + 1e-9


def test_certificates_on_half_planes_are_violated_at_most_alpha_of_the_time():
    outcomes = []

    @DETERMINISTIC
    @given(half_plane_problems())
    def run(problem):
        outcomes.append(_violation(problem))

    run()
    worst_allowed = int(scipy.stats.binom.isf(1e-6, len(outcomes), ALPHA))
    assert len(outcomes) == PROBLEMS
    assert sum(outcomes) <= worst_allowed, (
        f"{sum(outcomes)} violations in {len(outcomes)} (≤ {worst_allowed})"
    )


@DETERMINISTIC
@given(k=st.integers(-5, 60), n=st.integers(-5, 60), alpha=numbers(-1, 2))
def test_clopper_pearson_accepts_exactly_the_valid_arguments(k, n, alpha):
    valid = n >= 1 and 0 <= k <= n and 0 < alpha < 1
    if not valid:
        with pytest.raises(ValueError):
            smoothing.clopper_pearson_lower(k, n, alpha)
        return
    lower = smoothing.clopper_pearson_lower(k, n, alpha)
    assert 0 <= lower <= 1
    if alpha <= 0.5:  # a (1 − α) lower bound lies below the estimate when α ≤ ½
        assert lower <= k / n


@DETERMINISTIC
@given(seed=st.one_of(st.integers(-(2**40), 2**40), st.sampled_from([math.nan, 1.5, "3", True]), st.none()))
def test_seeds_outside_the_url_range_are_refused_with_one_sentence(seed):
    if isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed <= seeds.MAX_SEED:
        assert seeds.stream_seed(seed, "x") >= 0
        return
    with pytest.raises(ValueError, match="whole number between 0 and"):
        seeds.check_seed(seed)


@DETERMINISTIC
@given(
    name=st.sampled_from(["moons", "circles", "spirals", "blobs", "squares"]),
    n=st.integers(-3, 50),
    noise=numbers(-1, 1),
    label_noise=numbers(-0.5, 1.5),
)
def test_toy_sets_accept_exactly_the_valid_arguments(name, n, noise, label_noise):
    valid = (
        name != "squares"
        and n >= 2
        and math.isfinite(noise)
        and noise >= 0
        and math.isfinite(label_noise)
        and 0 <= label_noise < 1
    )
    if not valid:
        with pytest.raises(ValueError):
            data.toy_2d(name, n, noise=noise, label_noise=label_noise, seed=0)
        return
    x, y = data.toy_2d(name, n, noise=noise, label_noise=label_noise, seed=0)
    assert x.shape == (n, 2) and len(y) == n


@DETERMINISTIC
@given(name=st.sampled_from(list(noises.NOISES) + ["cauchy"]), scale=numbers(-1, 2))
def test_noises_accept_exactly_positive_finite_scales(name, scale):
    if name == "cauchy" or not (math.isfinite(scale) and scale > 0):
        with pytest.raises(ValueError):
            noises.make(name, scale)
        return
    sample = noises.make(name, scale).sample((64, 2), generator=make_generator(0), device="cpu")
    assert sample.shape == (64, 2) and bool(torch.isfinite(sample).all())
