import math

import numpy as np
import pytest
import scipy.stats
import torch

from core import noise as noise_module
from core.device import make_generator

NOISE_CASES = [
    ("gaussian", 0.25, {}),
    ("laplace", 0.5, {}),
    ("uniform", 0.3, {}),
    ("generalized_normal", 0.4, {}),
    ("generalized_normal", 0.4, {"beta": 0.8}),
]
REFERENCE = {
    "gaussian": lambda scale, kw: scipy.stats.norm(scale=scale),
    "laplace": lambda scale, kw: scipy.stats.laplace(scale=scale),
    "uniform": lambda scale, kw: scipy.stats.uniform(loc=-scale, scale=2 * scale),
    "generalized_normal": lambda scale, kw: scipy.stats.gennorm(kw.get("beta", 1.5), scale=scale),
}


@pytest.mark.parametrize("name,scale,kw", NOISE_CASES)
def test_std_formula_matches_scipy(name, scale, kw):
    noise = noise_module.make(name, scale, **kw)
    assert noise.std == pytest.approx(REFERENCE[name](scale, kw).std(), rel=1e-12)


@pytest.mark.parametrize("name,scale,kw", NOISE_CASES)
def test_sample_moments_match_the_formula(name, scale, kw):
    noise = noise_module.make(name, scale, **kw)
    sample = noise.sample((200_000,), generator=make_generator(1, "cpu"), device="cpu").double()
    # Standard error of the sample std is about std / sqrt(2n) ≈ 0.2 % (more for heavy tails).
    assert float(sample.mean()) == pytest.approx(0.0, abs=5 * noise.std / math.sqrt(len(sample)))
    assert float(sample.std()) == pytest.approx(noise.std, rel=0.015)


@pytest.mark.parametrize("name,scale,kw", NOISE_CASES)
def test_samples_pass_kolmogorov_smirnov_against_scipy(name, scale, kw):
    noise = noise_module.make(name, scale, **kw)
    sample = noise.sample((20_000,), generator=make_generator(2, "cpu"), device="cpu").numpy()
    result = scipy.stats.kstest(sample, REFERENCE[name](scale, kw).cdf)
    assert result.pvalue > 0.01
    # A wrong scale must be detected by the same test (the test has power).
    wrong = scipy.stats.kstest(sample, REFERENCE[name](scale * 1.1, kw).cdf)
    assert wrong.pvalue < 1e-6


@pytest.mark.parametrize("name,scale,kw", NOISE_CASES)
def test_sample_is_float32_with_the_requested_shape(name, scale, kw):
    noise = noise_module.make(name, scale, **kw)
    sample = noise.sample(torch.Size([3, 1, 4, 5]), generator=make_generator(0, "cpu"), device="cpu")
    assert sample.shape == (3, 1, 4, 5) and sample.dtype == torch.float32 and sample.device.type == "cpu"
    if name == "uniform":
        assert float(sample.abs().max()) <= scale


@pytest.mark.parametrize("name,scale,kw", NOISE_CASES)
def test_same_seed_gives_identical_draws_and_other_seed_differs(name, scale, kw):
    noise = noise_module.make(name, scale, **kw)
    a = noise.sample((50, 3), generator=make_generator(7, "cpu"), device="cpu")
    b = noise.sample((50, 3), generator=make_generator(7, "cpu"), device="cpu")
    c = noise.sample((50, 3), generator=make_generator(8, "cpu"), device="cpu")
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_draws_come_only_from_the_generator():
    noise = noise_module.make("laplace", 1.0)
    generator = make_generator(3, "cpu")
    first = noise.sample((10,), generator=generator, device="cpu")
    torch.manual_seed(123)  # touching the global RNG must not change the sequence
    torch.rand(5)
    second = noise.sample((10,), generator=generator, device="cpu")
    replay = make_generator(3, "cpu")
    assert torch.equal(first, noise.sample((10,), generator=replay, device="cpu"))
    assert torch.equal(second, noise.sample((10,), generator=replay, device="cpu"))


@pytest.mark.parametrize("name", noise_module.NOISES)
def test_scale_for_std_inverts_std(name):
    scale = noise_module.scale_for_std(name, 0.2)
    assert noise_module.make(name, scale).std == pytest.approx(0.2, rel=1e-12)
    beta_scale = noise_module.scale_for_std("generalized_normal", 0.2, beta=3.0)
    assert noise_module.make("generalized_normal", beta_scale, beta=3.0).std == pytest.approx(0.2, rel=1e-12)


def test_generalized_normal_with_beta_two_is_gaussian_with_sigma_s_over_root_two():
    noise = noise_module.make("generalized_normal", 1.0, beta=2.0)
    assert noise.std == pytest.approx(1 / math.sqrt(2), rel=1e-12)


def test_certified_norms_labels_and_equality():
    assert noise_module.NOISES == ("gaussian", "laplace", "uniform", "generalized_normal")
    assert noise_module.make("gaussian", 0.25).certified_norm == "l2"
    assert noise_module.make("laplace", 0.25).certified_norm == "l1"
    assert noise_module.make("uniform", 0.25).certified_norm == "l1"
    assert noise_module.make("generalized_normal", 0.25).certified_norm == "l1"  # β = 1.5 ≥ 1
    assert noise_module.make("generalized_normal", 0.25, beta=0.8).certified_norm is None  # no ℓ1 certificate
    assert noise_module.make("gaussian", 0.25).label == "Gaussian σ=0.25"
    assert repr(noise_module.make("uniform", 0.5)) == "Uniform λ=0.5"
    assert noise_module.make("generalized_normal", 0.5).label == "Generalized normal s=0.5, β=1.5"
    assert noise_module.make("generalized_normal", 0.5).params == {"beta": 1.5}
    assert noise_module.make("gaussian", 0.25) == noise_module.make("gaussian", 0.25)
    assert noise_module.make("gaussian", 0.25) != noise_module.make("laplace", 0.25)
    assert len({noise_module.make("gaussian", 0.25), noise_module.make("gaussian", 0.25)}) == 1


def test_pdf_integrates_to_one():
    for name in noise_module.NOISES:
        noise = noise_module.make(name, 0.5)
        t = np.linspace(-10, 10, 200_001)
        assert np.trapezoid(noise.pdf(t), t) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: noise_module.make("cauchy", 1.0), "gaussian, laplace, uniform, generalized_normal"),
        (lambda: noise_module.make("gaussian", 0.0), "positive"),
        (lambda: noise_module.make("gaussian", -1.0), "positive"),
        (lambda: noise_module.make("laplace", float("nan")), "positive"),
        (lambda: noise_module.make("gaussian", 1.0, beta=2.0), "does not take beta"),
        (lambda: noise_module.make("generalized_normal", 1.0, beta=0.0), "beta"),
        (lambda: noise_module.scale_for_std("gaussian", 0.0), "std"),
        (lambda: noise_module.scale_for_std("pink", 1.0), "Unknown noise"),
        (lambda: noise_module.make("gaussian", 1.0).sample((2,), generator=None, device="cpu"), "Generator"),
    ],
)
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
@pytest.mark.parametrize("name", noise_module.NOISES)
def test_cuda_sampling_stays_on_device_and_is_reproducible(name):
    noise = noise_module.make(name, 0.5)
    a = noise.sample((4, 3), generator=make_generator(0, "cuda"), device="cuda")
    b = noise.sample((4, 3), generator=make_generator(0, "cuda"), device="cuda")
    assert a.device.type == "cuda" and a.dtype == torch.float32 and torch.equal(a, b)
    with pytest.raises(ValueError, match="same device"):
        noise.sample((4, 3), generator=make_generator(0, "cpu"), device="cuda")
