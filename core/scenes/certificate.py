"""9 · The certificate α*: CERTIFY on a 2-D point and on an image, the radius formulas and their
ceiling, noise in a hidden layer, and the shipped certified-accuracy curves.

Cohen et al. 2019 (Theorem 1, Algorithm 1 CERTIFY); Li et al. 2019 (Rényi) and Lecuyer et al. 2019
(PixelDP) for looser Gaussian radii; Teng et al. 2020 (Laplace ℓ1) and Yang et al. 2020 (uniform ℓ1);
Pinot et al. 2019 for noise after a hidden layer pulled back by a Lipschitz bound.
Plain core code (no Streamlit); results hold NumPy arrays, floats and strings only.
"""

from __future__ import annotations

import functools
import math
import platform
import re
import threading
import time
from dataclasses import dataclass

import numpy as np
import torch

from core import (
    checks,
    data,
    evaluation,
    experiments,
    geometry,
    inference,
    lipschitz,
    results,
    smoothing,
    toys,
    zoo,
)
from core import (
    noise as noises,
)
from core.device import make_generator
from core.scenes import common, shipped
from core.scenes.parameters import Parameter, declare, defaults, zoo_image
from core.seeds import check_seed, stream_generator, stream_seed

# ---------------------------------------------------------------------------- the scene's choices
TOY_SIGMAS = (0.05, 0.1, 0.15, 0.2, 0.3)
N0_CHOICES = (10, 50, 100, 500)
N_CHOICES = (100, 200, 500, 1000, 2000, 5000, 10_000, 100_000)
ALPHA_CHOICES = (0.1, 0.05, 0.01, 0.001, 0.0001)
STD_CHOICES = (0.05, 0.12, 0.25, 0.5, 1.0)
IMAGE_N_CHOICES = (100, 200, 500, 1000, 2000, 10_000)
DEFAULT_MODEL = "cifar10-gaussian-0.25"
PARAMETERS = declare(
    Parameter("x1", "p09_x1", 0.25, low=0.0, high=1.0, step=0.01),
    Parameter("x2", "p09_x2", 0.70, low=0.0, high=1.0, step=0.01),
    Parameter("sigma", "p09_sigma", 0.1, choices=TOY_SIGMAS),
    Parameter("n0", "p09_n0", 100, choices=N0_CHOICES),
    Parameter("n", "p09_n", 1000, choices=N_CHOICES),
    Parameter("alpha", "p09_alpha", 0.001, choices=ALPHA_CHOICES),
    Parameter("std", "p09_std", 0.25, choices=STD_CHOICES),
    *zoo_image("p09"),
    Parameter("image_n", "p09_image_n", 200, choices=IMAGE_N_CHOICES),
)
DEFAULTS = defaults(PARAMETERS)
LARGE_N = 100_000  # the "Certify with n = 100 000" button of the 2-D scene
BALL_POINTS, BALL_VOTES = 40, 1000  # PREDICT at random points of the certified disc
REGION_DRAWS, REGION_RESOLUTION = 100, 50
TOY_BATCH, IMAGE_BATCH = 10_000, 100  # CERTIFY's counts do not depend on the batch size
CIFAR_DIM = 3 * 32 * 32
LINF_BUDGET = 8 / 255
P_A_GRID = np.linspace(0.5, 0.99999, 400)
SCENE_FILE = shipped.scene_file(__name__)
BUILD_COMMAND = "python -m core.scenes build --scene p09_certificate"
NORM_LABELS = checks.NORM_SYMBOLS
EXACT_RTOL = 1e-9  # like-for-like rows: the radius is a deterministic function of the counts
TF32_TEXT = "TF32 convolutions (not the IEEE fp32 classifier; being recertified)"


def toy_spec(sigma: float, seed: int) -> toys.ToySpec:
    """The 2-D toy base classifier F: two moons, a 2-64-64-2 ReLU network trained on x + ε, ε ~ N(0, σ²I)
    (noise-augmented ERM, as Cohen et al. train their base classifiers)."""
    return toys.ToySpec(noise=("gaussian", float(sigma)), seed=int(seed))


SHIPPED_TOYS = [toy_spec(sigma, 0) for sigma in TOY_SIGMAS]

# ---------------------------------------------------------------------------- texts (data)
# Lecture mode (core.scenes.lecture): what the page reveals at each step, in order.
STEPS = (
    "Question: how far can x move without changing F_rob?",
    "CERTIFY a point: α* and its ball",
    "The radius against p_A, and its ceiling",
    "CERTIFY an image",
    "Noise in a hidden layer",
    "Certified accuracy on the test set",
)

EXPLANATION = r"""
**Cohen et al. 2019, Theorem 1.** If
$p_A = \mathbb P_\varepsilon\big(F(x + \varepsilon) = c_A\big) > \tfrac12$ with
$\varepsilon \sim \mathcal N(0, \sigma^2 I)$, the smoothed classifier $F_{\mathrm{rob}}$ answers $c_A$ on the
whole ball $\|\tau\|_2 < \alpha^* = \sigma\,\Phi^{-1}(p_A)$. CERTIFY estimates a lower confidence bound
$\underline{p_A}$ from $n$ draws (after $n_0$ draws to guess $c_A$); with probability $\ge 1 - \alpha$ the
radius $\sigma\Phi^{-1}(\underline{p_A})$ is valid. Even when all $n$ votes agree,
$\underline{p_A} = \alpha^{1/n}$, so
$\alpha^* \le \min\big(\sigma\Phi^{-1}(p_A),\ \sigma\,\Phi^{-1}(\alpha^{1/n})\big)$: **the certificate is
capped by the number of samples and by $p_A$**, which falls as σ grows. Other noises and proofs give other
radii (Laplace → $\ell_1$, uniform → $\ell_1$; Li et al. and PixelDP are looser for the same Gaussian noise).
What is certified is the **hard** $F_{\mathrm{rob}}$, the majority vote of $F$ over the noise: the votes are a
binomial count, which is what Clopper–Pearson bounds; the soft $F_{\mathrm{rob}}$ (the mean softmax) has no
such interval here and is not certified.
"""
USES = (
    "a 2-D toy network trained on x + ε (two moons, core.toys); zoo models (default cifar10-gaussian-0.25) "
    "on foolbox's gallery; the radius formulas of core.smoothing; core.lipschitz for noise in a hidden "
    "layer; shipped certify results (assets/results) beside Cohen et al.'s published table."
)
HIDDEN_LAYERS_TEXT = (
    r"Noise added after layer $i$ certifies a ball of radius $R$ around "
    r"$z = \phi^{(i)}\circ\dots\circ\phi^{(1)}(x)$ in the layer's space. Every $x'$ with "
    r"$\|x' - x\|_2 < R / L_i$, where $L_i$ bounds the Lipschitz constant of "
    r"$\phi^{(i)}\circ\dots\circ\phi^{(1)}$ (product of the layers' operator norms, core.lipschitz), lands "
    r"inside that ball — so the input-space certificate is $R / L_i$, and $L_i$ grows with depth."
)
HELP = {
    "radius": "σ Φ⁻¹(p_A lower bound): core.smoothing.certify_details.",
    "p_a": "The Clopper–Pearson lower bound Beta⁻¹(α; n_A, n − n_A + 1) that CERTIFY used (n_A votes of n).",
    "ceiling": "The largest radius CERTIFY can return with these n and α (all n votes for c_A).",
    "ball": "PREDICT (n = {votes}, α = {alpha}) at {points} uniform points of the disc.",
}


# ---------------------------------------------------------------------------- checks
def _alpha(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < float(value) < 1.0:
        raise ValueError(f"α must be a failure probability strictly between 0 and 1, got {value!r}.")
    return float(value)


def _frozen(array) -> np.ndarray:
    array = np.array(array)
    array.setflags(write=False)
    return array


def _count(value: int) -> str:
    """10100 → "10 100" (the page's way of writing large counts)."""
    return f"{int(value):,}".replace(",", " ")


# ---------------------------------------------------------------------------- how a result was computed
@dataclass(frozen=True)
class Provenance:
    """How a certify file (or the scene file's image certificates) was computed, read off the file."""

    device: str  # the file's "device" label, e.g. "cuda (NVIDIA H200)"
    generator: str  # "cpu" | "cuda": whose stream drew the noise (they differ for one seed)
    fp32_kernels: str  # "ieee" | "tf32"
    sentence: str

    @property
    def tf32(self) -> bool:
        return self.fp32_kernels == "tf32"


def provenance(record: dict) -> Provenance:
    """Device, noise generator and classifier arithmetic of a certify record (core.experiments.drawn_with),
    as one phrase: TF32 files say they are not the IEEE fp32 classifier."""
    drawn = experiments.drawn_with(record)
    device = str(record.get("device") or f"an unrecorded {drawn['generator'].upper()} machine")
    kernels = TF32_TEXT if drawn["fp32_kernels"] == "tf32" else "the IEEE fp32 classifier"
    return Provenance(
        device,
        drawn["generator"],
        drawn["fp32_kernels"],
        f"computed on {device}: noise from the {drawn['generator'].upper()} generator, {kernels}",
    )


def passes_sentence(n0: int, n: int, seconds: float | None, where: str) -> str:
    """CERTIFY's cost: n₀ + n forward passes of the base classifier per input (and their measured time)."""
    took = "" if seconds is None else f" ({seconds:.2f} s {where})"
    return (
        f"Cost: CERTIFY ran the base classifier on n₀ + n = {_count(n0 + n)} noisy copies{took}, where an "
        f'undefended prediction runs it once: the slide\'s "computationally efficient" certificate costs '
        f"{_count(n0 + n)} forward passes per input."
    )


# ---------------------------------------------------------------------------- 2-D CERTIFY
@dataclass(frozen=True)
class PointCertificate:
    """CERTIFY at a point of the toy square, F_rob's regions, and PREDICT inside the certified disc."""

    x: tuple[float, float]
    sigma: float
    certificate: smoothing.Certificate
    ceiling: float
    xs: np.ndarray  # region grid (REGION_RESOLUTION), labels[i, j] at (xs[j], ys[i])
    ys: np.ndarray
    labels: np.ndarray
    train_x: np.ndarray
    train_y: np.ndarray
    inside: np.ndarray  # BALL_POINTS × 2 points of the disc (empty when not certified)
    verdicts: np.ndarray  # PREDICT at each: a class or ABSTAIN
    same: int
    abstain: int
    other: int
    caption: str
    seconds: float  # CERTIFY's own time here (the ball check excluded)
    cost: str  # its forward passes (passes_sentence), and the ball check's

    @property
    def certified(self) -> bool:
        return not self.certificate.abstained and self.certificate.radius > 0

    @property
    def adversarial_inside(self) -> bool:
        """Some sampled point of the disc got another class from PREDICT."""
        return self.other > 0


@dataclass(frozen=True)
class Regions:
    """Hard F_rob (Cohen's vote) on a grid of the toy square."""

    xs: np.ndarray
    ys: np.ndarray
    labels: np.ndarray


def toy_regions(*, sigma: float, seed: int) -> Regions:
    """:func:`toy_regions_live`, shipped for seed 0."""
    return shipped.or_live(toy_regions_live, locals(), depends=[toy_spec(sigma, seed)])


def toy_regions_live(*, sigma: float, seed: int) -> Regions:
    """Hard F_rob (Cohen's vote) on a grid of the square, REGION_DRAWS draws per point (stream "regions")."""
    model = toys.model(toy_spec(sigma, seed))
    with torch.inference_mode():
        regions = geometry.smoothed_decision_regions(
            model,
            noise=noises.make("gaussian", sigma),
            num=REGION_DRAWS,
            resolution=REGION_RESOLUTION,
            seed=stream_seed(seed, "regions"),
            soft=False,
        )
    return Regions(regions.xs.numpy(), regions.ys.numpy(), regions.labels.numpy())


@functools.lru_cache(maxsize=16)
def _toy_regions(sigma: float, seed: int):
    """:func:`toy_regions`, kept per process and read-only (every certify_point at this σ draws them)."""
    regions = toy_regions(sigma=sigma, seed=seed)
    return _frozen(regions.xs), _frozen(regions.ys), _frozen(regions.labels)


def ball_caption(
    certificate: smoothing.Certificate, same: int, abstain: int, other: int, ceiling: float
) -> str:
    """What the ball check shows, as a function of its outcome (never a fixed claim)."""
    if certificate.abstained or certificate.radius <= 0:
        return (
            f"CERTIFY abstains here: p_A's lower bound {certificate.p_a_lower:.4f} is not above ½ "
            f"({certificate.count_a} of {certificate.n} votes). Move x away from the boundary or raise n."
        )
    total = same + abstain + other
    head = (
        "**No adversarial point among the sampled ones** (random points, not an attack: only the certificate "
        "covers the whole disc):"
        if other == 0
        else f"**{other} sampled point{'s' if other > 1 else ''} got another class:** the certificate holds "
        "with probability ≥ 1 − α and PREDICT errs with probability ≤ α, so this is rare but possible;"
    )
    return (
        f"{head} {same} of {total} random points of the disc get c_A, {abstain} abstain (PREDICT cannot "
        f"separate the two top classes with {BALL_VOTES} votes there) and {other} get another class. "
        f"Black circle: α*; dotted: the ceiling σΦ⁻¹(α^{{1/n}}) = {ceiling:.3f} for n = {certificate.n}, "
        f"α = {certificate.alpha:g}."
    )


def certify_point(
    *, x1: float, x2: float, sigma: float, n0: int, n: int, alpha: float, seed: int
) -> PointCertificate:
    """CERTIFY (Cohen et al. 2019, Algorithm 1) of the toy's F_rob at x = (x1, x2) with ε ~ N(0, σ²I):
    c_A from n0 draws, p_A ≥ Beta⁻¹(α; n_A, n − n_A + 1) from n draws, α* = σΦ⁻¹(p_A lower bound);
    then PREDICT (n = BALL_VOTES) at BALL_POINTS points drawn uniformly in the disc ‖x' − x‖₂ < α*,
    which the theorem says keep c_A. Streams: "certify", "ball points", "ball votes", "regions"."""
    x = (checks.number(x1, 0, 1, "x₁"), checks.number(x2, 0, 1, "x₂"))
    sigma = float(checks.one_of(sigma, TOY_SIGMAS, "σ"))
    n0, n, alpha, seed = (
        checks.integer(n0, 1, None, "n₀"),
        checks.integer(n, 1, None, "n"),
        _alpha(alpha),
        check_seed(seed),
    )
    model, noise = toys.model(toy_spec(sigma, seed)), noises.make("gaussian", sigma)
    point = torch.tensor(x, dtype=torch.float32)
    with torch.inference_mode():
        started = time.perf_counter()
        certificate = smoothing.certify_details(
            model,
            point,
            noise=noise,
            n0=n0,
            n=n,
            alpha=alpha,
            batch_size=TOY_BATCH,
            generator=stream_generator(seed, "certify"),
        )
        seconds = time.perf_counter() - started
        inside, verdicts = np.zeros((0, 2)), np.zeros(0, dtype=int)
        if not certificate.abstained and certificate.radius > 0:
            draws = torch.rand(
                BALL_POINTS, 2, generator=stream_generator(seed, "ball points"), dtype=torch.float64
            )
            rho, angle = (
                certificate.radius * draws[:, 0].sqrt(),
                2 * math.pi * draws[:, 1],
            )  # uniform in the disc
            inside = torch.stack([x[0] + rho * angle.cos(), x[1] + rho * angle.sin()], dim=1).float()
            votes = stream_generator(seed, "ball votes")
            verdicts = np.array(
                [
                    smoothing.predict(
                        model,
                        p,
                        noise=noise,
                        n=BALL_VOTES,
                        alpha=alpha,
                        batch_size=BALL_VOTES,
                        generator=votes,
                    )
                    for p in inside
                ]
            )
            inside = inside.numpy()
    same = int(np.sum(verdicts == certificate.prediction))
    abstain = int(np.sum(verdicts == smoothing.ABSTAIN))
    other = len(verdicts) - same - abstain
    ceiling = smoothing.radius_ceiling(sigma, alpha, n)
    xs, ys, labels = _toy_regions(sigma, seed)
    parts = toys.split(toy_spec(sigma, seed))
    cost = passes_sentence(n0, n, seconds, "here, on the 2-D toy network")
    if len(verdicts):
        cost += (
            f" The ball check adds {BALL_POINTS} × {_count(BALL_VOTES)} = {_count(BALL_POINTS * BALL_VOTES)} "
            "passes (PREDICT at each point)."
        )
    return PointCertificate(
        x,
        sigma,
        certificate,
        ceiling,
        xs,
        ys,
        labels,
        _frozen(parts.x_train.numpy()),
        _frozen(parts.y_train.numpy()),
        _frozen(inside),
        _frozen(verdicts),
        same,
        abstain,
        other,
        ball_caption(certificate, same, abstain, other, ceiling),
        seconds,
        cost,
    )


# ---------------------------------------------------------------------------- radius vs p_A
@dataclass(frozen=True)
class RadiusCurves:
    """Certified radius as a function of p_A for each noise at one per-coordinate std, and ceilings."""

    std: float
    alpha: float
    n: int
    p_a: np.ndarray
    curves: dict  # bound name → radii over p_a
    norms: dict  # bound name → "l2" | "l1"
    ceilings: dict  # noise name → certify_ceiling at (n, α), in its norm
    best_p_a: float  # α^{1/n}
    gaussian_at_099: float
    ceiling_large: float  # Gaussian ceiling at n = 100 000, α = 0.001
    linf_ball_l2: float  # ℓ2 norm of an ℓ∞ perturbation 8/255 on CIFAR-10


def radius_curves(*, std: float, alpha: float, n: int) -> RadiusCurves:
    """The radius formulas of core.smoothing.matched_variance_radii at std (Cohen et al. 2019 σΦ⁻¹(p_A); Li et
    al. 2019; Lecuyer et al. 2019; Teng et al. 2020 −b ln(2(1 − p_A)); Yang et al. 2020 2λ(p_A − ½)) and each
    noise's
    ceiling certify_ceiling(noise, α, n) = radius at p_A = α^{1/n}."""
    std = float(checks.one_of(std, STD_CHOICES, "The noise standard deviation"))
    alpha, n = _alpha(alpha), checks.integer(n, 1, None, "n")
    curves = {
        name: _frozen(values) for name, values in smoothing.matched_variance_radii(P_A_GRID, std).items()
    }
    norms = {name: "l1" if "ℓ1" in name else "l2" for name in curves}
    ceilings = {
        name: smoothing.certify_ceiling(noises.make(name, noises.scale_for_std(name, std)), alpha, n)
        for name in ("gaussian", "laplace", "uniform")
    }
    return RadiusCurves(
        std,
        alpha,
        n,
        _frozen(P_A_GRID),
        curves,
        norms,
        ceilings,
        alpha ** (1 / n),
        float(smoothing.gaussian_radius(0.99, std)),
        smoothing.radius_ceiling(std, 0.001, LARGE_N),
        LINF_BUDGET * math.sqrt(CIFAR_DIM),
    )


# ---------------------------------------------------------------------------- zoo models
def _manifest_stamp() -> tuple:
    try:
        stat = (zoo.MODELS_DIR / zoo.MANIFEST_NAME).stat()
    except OSError:
        return (0, 0)
    return (stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _certifiable(stamp: tuple) -> tuple[str, ...]:
    names = [name for name in zoo.names() if zoo.noise_record(name) is not None]
    return tuple(common.ordered(names, [DEFAULT_MODEL, "mnist-gaussian-0.25"]))


def certifiable_models() -> list[str]:
    """Zoo models trained with noise (at the input or in a hidden layer), cifar10-gaussian-0.25 first
    (re-read when the zoo's manifest changes)."""
    return list(_certifiable(_manifest_stamp()))


def gallery_options(model: str) -> list[str]:
    """ "#k · class" for each gallery image of the model's dataset."""
    return common.gallery_options(common.dataset_of(model))


def _sha(model: str) -> str:
    return zoo.entry(model)["sha256"]


@dataclass(frozen=True)
class LayerBounds:
    """L_i ≥ Lip₂(φ(i)∘…∘φ(1)), i = 0…N, of a zoo model's base network."""

    bounds: tuple


def lipschitz_bounds(*, model: str) -> LayerBounds:
    """:func:`lipschitz_bounds_live`, shipped for the noise-trained zoo models (trusted only when computed
    from the same weights by the same core/lipschitz.py)."""
    return shipped.or_live(lipschitz_bounds_live, locals(), depends=[model, lipschitz])


def lipschitz_bounds_live(*, model: str) -> LayerBounds:
    """L_i ≥ Lip₂(φ(i)∘…∘φ(1)), i = 0…N, of the model's base network (core.lipschitz)."""
    base = zoo.shared_base(model)
    shape = tuple(common.gallery(common.dataset_of(model))[0].shape[1:])
    with torch.no_grad():  # not inference_mode: the conv bound runs autograd inside
        bounds = [lipschitz.lipschitz_upper_bound(base, i, shape) for i in range(len(base.layers) + 1)]
    return LayerBounds(tuple(bounds))


@functools.lru_cache(maxsize=32)
def layer_bounds(model: str) -> tuple[float, ...]:
    """:func:`lipschitz_bounds`, kept per process."""
    return lipschitz_bounds(model=model).bounds


@dataclass(frozen=True)
class RadiusGap:
    """Why a split vote keeps α* under the ceiling, in the radius's units (pixels for a hidden layer), with
    R(p) = the noise's certified radius at p (σΦ⁻¹(p) for Gaussian noise):
    ceiling − α* = statistical + rate, where
    statistical = min(R(n_A/n), ceiling) − R(p̲_A)   (Clopper–Pearson's slack: what a larger n could recover)
    and
    rate = ceiling − min(R(n_A/n), ceiling)        (what the vote rate itself leaves, up to the ceiling)."""

    radius: float  # α* = R(p̲_A)
    rate_radius: float  # R(n_A / n): the radius of the observed vote rate
    ceiling: float  # R(α^{1/n})
    statistical: float
    rate: float
    larger_n: int
    at_larger_n: float  # α* that the same vote rate gives with larger_n draws

    @property
    def dominant(self) -> str:
        """ "statistics" (the slack: n limits α*) or "rate" (p_A: the noise level and the model)."""
        return "statistics" if self.statistical > self.rate else "rate"


def radius_gap(certificate: smoothing.Certificate, noise, lipschitz_bound: float = 1.0) -> RadiusGap | None:
    """The split of ceiling − α* into its statistical part and the vote rate's part (RadiusGap), None when
    CERTIFY abstained or all n votes agreed (α* is then the ceiling itself)."""
    if certificate.abstained or certificate.unanimous:
        return None

    def radius(p: float) -> float:
        return float(smoothing.certified_radius(noise, p)) / lipschitz_bound

    rate = certificate.count_a / certificate.n
    ceiling = smoothing.certify_ceiling(noise, certificate.alpha, certificate.n) / lipschitz_bound
    alpha_star = certificate.radius / lipschitz_bound
    capped = min(radius(rate), ceiling)
    larger = 10_000 if certificate.n < 10_000 else 10 * certificate.n
    p_lower = smoothing.clopper_pearson_lower(min(larger, round(rate * larger)), larger, certificate.alpha)
    return RadiusGap(
        alpha_star,
        radius(rate),
        ceiling,
        max(0.0, capped - alpha_star),
        max(0.0, ceiling - capped),
        larger,
        radius(p_lower) if p_lower >= 0.5 else 0.0,
    )


@dataclass(frozen=True)
class ImageCertificate:
    """CERTIFY of a gallery image with a zoo model's own noise (pulled back to pixels for a hidden layer)."""

    model: str
    index: int
    class_names: tuple
    label: int
    certificate: smoothing.Certificate
    radius: float  # input space, in ``norm``
    radius_layer: float  # in the noisy layer's space
    layer: int
    lipschitz: float
    noise_label: str
    norm: str
    ceiling: float  # input space
    pixels: np.ndarray
    shipped: bool
    caption: str
    gap: RadiusGap | None  # the split of ceiling − α* (None: abstained, or on the ceiling)
    feature_rms: (
        tuple | None
    )  # (pixels, layer-i features) per-coordinate RMS of this image, hidden-layer noise only
    seconds: float | None  # CERTIFY's time here (None: read from the shipped file)
    source: str  # where the certificate comes from and how it was computed
    cost: str  # passes_sentence

    @property
    def prediction_name(self) -> str:
        return "abstain" if self.certificate.abstained else self.class_names[self.certificate.prediction]

    @property
    def limited_by(self) -> str:
        """ "abstain", "ceiling" (all votes agreed: only n limits α*), "statistics" (Clopper–Pearson's slack
        is
        most of the gap to the ceiling: n limits α*) or "rate" (the vote rate itself is: p_A limits α*)."""
        if self.certificate.abstained:
            return "abstain"
        return "ceiling" if self.gap is None else self.gap.dominant


def image_caption(
    certificate: smoothing.Certificate,
    names,
    *,
    radius: float,
    ceiling: float,
    gap: RadiusGap | None = None,
    layer: int = 0,
    lipschitz_bound: float = 1.0,
    radius_layer: float | None = None,
    scale: float | None = None,
    feature_rms: tuple | None = None,
) -> str:
    """What limits this image's α*, read off the computed votes: the ceiling (all votes agreed), or the larger
    of the two parts of the gap to it (radius_gap); for hidden-layer noise, the pull-back and its caveat."""
    guess = names[certificate.guess]
    best = certificate.alpha ** (1 / certificate.n)
    if certificate.abstained:
        text = (
            f"CERTIFY abstains: {certificate.count_a} of {certificate.n} votes for {guess} give p_A ≥ "
            f"{certificate.p_a_lower:.4f} only, not above ½."
        )
    elif gap is None:
        text = (
            f"All {certificate.n} votes went to {guess}: p_A's lower bound is α^(1/n) = {best:.4f} and the "
            f"radius sits on the ceiling {ceiling:.4f} — here n limits α*; more draws would raise it."
        )
    else:
        rate = certificate.count_a / certificate.n
        itself = (
            "reaches the ceiling"
            if gap.rate_radius >= gap.ceiling
            else f"would certify {gap.rate_radius:.4f}"
        )
        verdict = (
            "here n, more than p_A, limits α*"
            if gap.dominant == "statistics"
            else "here p_A (the noise level and the model), more than n, limits α*"
        )
        change = 100 * (gap.at_larger_n / gap.radius - 1) if gap.radius > 0 else math.inf
        text = (
            f"{certificate.count_a} of {certificate.n} votes went to {guess}: p_A's lower bound "
            f"{certificate.p_a_lower:.4f} gives α* = {gap.radius:.4f}, {gap.ceiling - gap.radius:.4f} under "
            f"the ceiling {gap.ceiling:.4f}. Of that gap, {gap.statistical:.4f} is Clopper–Pearson's slack "
            f"at n = {certificate.n} (the vote rate {rate:.3f} itself {itself}) and {gap.rate:.4f} is left "
            f"by the vote rate — {verdict}: the same vote rate with n = {_count(gap.larger_n)} would certify "
            f"{gap.at_larger_n:.4f} ({change:+.0f} %)."
        )
    if layer > 0 and not certificate.abstained:
        prefix = "φ(1)" if layer == 1 else f"φ({layer})∘…∘φ(1)"
        text += (
            f" Noise after layer {layer}: {radius_layer:.4f} in the layer's space, divided by the Lipschitz "
            f"bound L = {lipschitz_bound:.3g} of {prefix}, is {radius:.2e} in pixel space."
        )
        if feature_rms is not None:
            text += (
                f" Caveat: a noise of scale {scale:g} in layer {layer}'s space is not the same noise as "
                f"{scale:g} in pixels — this image's clean features there have a per-coordinate RMS of "
                f"{feature_rms[1]:.3g} against {feature_rms[0]:.3g} for its pixels — and L is an upper bound "
                "(a product of operator norms) that may be loose, so the pixel radius may sit far below "
                "the true one."
            )
    return text


def _image_arguments(model, index, n0, n, alpha, seed) -> tuple:
    if model not in certifiable_models():
        raise ValueError(
            f"{model} is not a noise-trained zoo model; pick one of {', '.join(certifiable_models())}."
        )
    index = int(index) if not isinstance(index, bool) and isinstance(index, int) else -1
    if not 0 <= index < len(common.gallery(common.dataset_of(model))[1]):
        raise ValueError("index must be the position of a gallery image (0–19).")
    return (
        model,
        index,
        checks.integer(n0, 1, None, "n₀"),
        checks.integer(n, 1, None, "n"),
        _alpha(alpha),
        check_seed(seed),
    )


Certificate = smoothing.Certificate  # the type of a shipped gallery certificate (core.scenes.shipped.decode)


def gallery_certificate(*, model: str, index: int, n0: int, n: int, alpha: float, seed: int) -> Certificate:
    """:func:`gallery_certificate_live`, shipped at the page's opening n₀, n, α and seed 0 for every
    noise-trained zoo model and gallery image (computed on the CPU: its generator, IEEE fp32)."""
    return shipped.or_live(gallery_certificate_live, locals(), depends=[model])


def gallery_certificate_live(
    *, model: str, index: int, n0: int, n: int, alpha: float, seed: int
) -> Certificate:
    """CERTIFY of gallery image ``index`` (:func:`_certify_gallery_image`)."""
    return _certify_gallery_image(model, index, n0, n, alpha, seed)[0]


def _shipped_image(model, index, n0, n, alpha, seed) -> Certificate | None:
    arguments = dict(model=model, index=index, n0=n0, n=n, alpha=alpha, seed=seed)
    return shipped.read(__name__, "gallery_certificate", arguments, [model])


def image_is_shipped(*, model: str, index: int, n0: int, n: int, alpha: float, seed: int) -> bool:
    """Whether certify_image's result for these arguments is read from the shipped file (instant)."""
    return _shipped_image(*_image_arguments(model, index, n0, n, alpha, seed)) is not None


def _this_cpu() -> str:
    """This machine as certify files name theirs: live image certificates run on the CPU."""
    return f"cpu ({torch.get_num_threads()} threads, {platform.processor() or platform.machine()})"


def _rms(tensor: torch.Tensor) -> float:
    return float(tensor.double().pow(2).mean().sqrt())


@functools.lru_cache(maxsize=64)
def _feature_rms(model: str, sha256: str, index: int, layer: int) -> tuple[float, float]:
    """Per-coordinate RMS of gallery image ``index`` and of its clean features z = φ(layer)∘…∘φ(1)(x)."""
    x = common.gallery(common.dataset_of(model))[0][index]
    with torch.inference_mode():
        z = zoo.shared_base(model).prefix(layer)(x.unsqueeze(0))[0]
    return _rms(x), _rms(z)


_heads: dict = {}
_heads_lock = threading.Lock()


def fast_head(model: str, layer: int, z: torch.Tensor, noise) -> torch.nn.Module:
    """The network CERTIFY queries, base.suffix(layer), run the fastest exact fp32 way this machine
    measured (core.inference.calibrate over memory format and batch-norm folding, eager only, batch
    IMAGE_BATCH, one round; once per model and process; bench/RESULTS.md has the timings). Calibration
    keeps only ways that give the plain model's argmax, and the noise never depends on the way, so the
    counts are the plain model's (tests/scenes/test_certificate.py compares them with a CERTIFY row
    of the plain model)."""
    key = (model, _sha(model), layer)
    with _heads_lock:  # one calibration per model even when two sessions click at once
        if key not in _heads:
            head = zoo.shared_base(model).suffix(layer)
            plan = inference.calibrate(
                head, z, noise=noise, batch_sizes=(IMAGE_BATCH,), rounds=1, graphs=("eager",)
            )
            _heads[key] = inference.prepare(head, plan)
        return _heads[key]


def _certify_gallery_image(
    model, index, n0, n, alpha, seed, progress=None
) -> tuple[smoothing.Certificate, float]:
    """CERTIFY of gallery image ``index`` with the generator make_generator(seed + index) — the rule of
    CERTIFY rows (core.evaluation.certify_example), so the result equals that row's — and its time in
    seconds (the n₀ + n draws and passes, not the head's one-time calibration)."""
    base = zoo.shared_base(model)
    noise, layer = common.zoo_noise(model)
    x = common.gallery(common.dataset_of(model))[0][index]
    with torch.inference_mode():
        z = base.prefix(layer)(x.unsqueeze(0))[0]
    head = fast_head(model, layer, z, noise)
    started = time.perf_counter()
    certificate = smoothing.certify_details(
        head,
        z,
        noise=noise,
        n0=n0,
        n=n,
        alpha=alpha,
        batch_size=IMAGE_BATCH,
        generator=make_generator(seed + index, "cpu"),
        progress=progress,
    )
    return certificate, time.perf_counter() - started


_image_cache: dict = {}
_image_lock = threading.Lock()


def certify_image(
    *, model: str, index: int, n0: int, n: int, alpha: float, seed: int, progress=None
) -> ImageCertificate:
    """CERTIFY (Cohen et al. 2019) of gallery image ``index`` with the zoo model's own noise, draws from
    make_generator(seed + index) (CERTIFY's row rule). Noise after layer i > 0: certify the head in layer-i
    space at z = φ(i)∘…∘φ(1)(x), then divide by the prefix's Lipschitz bound L_i (Pinot et al. 2019):
    R_input = R_layer / L_i. Read from assets/scenes/certificate.json when shipped; ``progress(done, n₀ + n)``
    follows a live computation. Cached per process."""
    key = _image_arguments(model, index, n0, n, alpha, seed)
    with _image_lock:
        if key in _image_cache:
            return _image_cache[key]
    model, index, n0, n, alpha, seed = key
    found = _shipped_image(*key)
    seconds = None
    if found is not None:
        certificate = found
        made = provenance({"device": "the CPU that built it", "generator": "cpu", "fp32_kernels": "ieee"})
        source = f"shipped in assets/scenes/certificate.json, {made.sentence}"
    else:
        certificate, seconds = _certify_gallery_image(model, index, n0, n, alpha, seed, progress)
        made = provenance({"device": _this_cpu(), "generator": "cpu", "fp32_kernels": "ieee"})
        source = made.sentence.replace("computed on", "computed here on", 1)
    noise, layer = common.zoo_noise(model)
    bound = layer_bounds(model)[layer] if layer > 0 else 1.0
    radius = float(smoothing.input_space_radius(certificate.radius, bound))
    ceiling = float(smoothing.input_space_radius(smoothing.certify_ceiling(noise, alpha, n), bound))
    gap = radius_gap(certificate, noise, bound)
    feature_rms = _feature_rms(model, _sha(model), index, layer) if layer > 0 else None
    images, labels = common.gallery(common.dataset_of(model))
    names = tuple(data.CLASS_NAMES[common.dataset_of(model)])
    caption = image_caption(
        certificate,
        names,
        radius=radius,
        ceiling=ceiling,
        gap=gap,
        layer=layer,
        lipschitz_bound=bound,
        radius_layer=certificate.radius,
        scale=noise.scale,
        feature_rms=feature_rms,
    )
    source = f"Noise: {noise.label}, injected after layer {layer} (0 = the input); α = {alpha:g}; {source}."
    result = ImageCertificate(
        model,
        index,
        names,
        int(labels[index]),
        certificate,
        radius,
        certificate.radius,
        layer,
        bound,
        noise.label,
        noise.certified_norm,
        ceiling,
        _frozen(common.image_array(images[index])),
        found is not None,
        caption,
        gap,
        feature_rms,
        seconds,
        source,
        passes_sentence(n0, n, seconds, "here, on this CPU"),
    )
    with _image_lock:
        _image_cache[key] = result
    return result


# ---------------------------------------------------------------------------- hidden layers
@dataclass(frozen=True)
class LayerRadii:
    """The layer-space radius R = σΦ⁻¹(α^{1/n}) pulled back to the input through L_i, per network."""

    sigma: float
    best_radius: float
    bounds: dict  # network name → (L_0 … L_{N−1}) (noise on the logits is not a hidden layer)
    radii: dict  # network name → R / L_i
    feature_rms: dict  # network name → per-coordinate RMS of its clean inputs' features at layers 0 … N−1
    caveat: str  # layer_caveat: σ in a layer's space is not σ in pixels; L_i may be loose


def layer_caveat(sigma: float, feature_rms: dict) -> str:
    """The caveat beside the pulled-back radii, with each network's feature scales (computed, not assumed)."""
    scales = "; ".join(
        f"{name}: {values[0]:.3g} at the input, {min(values[1:]):.3g}–{max(values[1:]):.3g} at "
        f"layers 1–{len(values) - 1}"
        for name, values in feature_rms.items()
        if len(values) > 1
    )
    return (
        f"Caveat: a noise of scale σ = {sigma:g} added in layer i's space is not comparable with σ = "
        f"{sigma:g} in pixels, because the features have their own scale (per-coordinate RMS on clean inputs "
        f"— {scales}): the same σ is a different share of the signal at each layer. And L_i multiplies the "
        "layers' operator norms, an upper bound that may be loose, so R / L_i is a guaranteed input radius "
        "that may sit far below the true one."
    )


def _layer_rms(model: torch.nn.Module, x: torch.Tensor, layers: int) -> tuple[float, ...]:
    with torch.inference_mode():
        return tuple(_rms(z) for z in model.representations(x)[:layers])


@functools.lru_cache(maxsize=8)
def _zoo_layer_rms(model: str, sha256: str, layers: int) -> tuple[float, ...]:
    """The zoo model's base network on its dataset's 20 gallery images."""
    return _layer_rms(zoo.shared_base(model), common.gallery(common.dataset_of(model))[0], layers)


def hidden_layers(*, model: str | None, sigma: float, n: int, alpha: float, seed: int) -> LayerRadii:
    """R / L_i for i = 0…N−1 (core.lipschitz.lipschitz_upper_bound, core.smoothing.input_space_radius), with
    the best layer-space radius R = σΦ⁻¹(α^{1/n}) CERTIFY can give, for the toy network and the zoo model, and
    each layer's feature scale (per-coordinate RMS of the clean features: the toy's held-out points, the
    model's gallery images)."""
    sigma = float(checks.one_of(sigma, TOY_SIGMAS, "σ"))
    best = smoothing.radius_ceiling(sigma, _alpha(alpha), checks.integer(n, 1, None, "n"))
    spec = toy_spec(sigma, check_seed(seed))
    toy = toys.model(spec)
    with torch.no_grad():
        rows = {
            "2-D toy network": tuple(
                lipschitz.lipschitz_upper_bound(toy, i, (2,)) for i in range(len(toy.layers) + 1)
            )
        }
    rms = {"2-D toy network": _layer_rms(toy, toys.split(spec).x_test, len(toy.layers))}
    if model is not None:
        rows[model] = layer_bounds(model)
        rms[model] = _zoo_layer_rms(model, _sha(model), len(rows[model]) - 1)
    bounds = {name: values[:-1] for name, values in rows.items()}
    radii = {
        name: _frozen([smoothing.input_space_radius(best, b) for b in values])
        for name, values in bounds.items()
    }
    return LayerRadii(sigma, best, bounds, radii, rms, layer_caveat(sigma, rms))


# ---------------------------------------------------------------------------- shipped curves
@dataclass(frozen=True)
class Curve:
    name: str
    norm: str
    radii: tuple
    accuracy: tuple
    examples: int
    n: int
    device: str
    command: str
    ceiling: float | None = (
        None  # certify_ceiling(noise, α, n) / Lipschitz bound: no radius beyond it (its norm)
    )
    provenance: Provenance | None = None
    caption: str = ""  # how it was computed, its forward passes, the hidden-layer caveat, its command


def _noise_of(record: dict):
    """The certify record's noise (core.noise.Noise), None when the file does not say it."""
    spec = record.get("noise")
    try:
        return noises.make(spec["name"], float(spec["scale"]), **dict(spec.get("params") or {}))
    except (TypeError, KeyError, ValueError, AttributeError):
        return None


def _curve_ceiling(record: dict) -> float | None:
    """The largest radius the shipped CERTIFY run could return (core.smoothing.certify_ceiling at its n and α,
    pulled back by its Lipschitz bound for hidden-layer noise), None when the file does not say its noise."""
    noise = _noise_of(record)
    try:
        ceiling = smoothing.certify_ceiling(noise, float(record["alpha"]), int(record["n"]))
        return float(smoothing.input_space_radius(ceiling, float(record.get("lipschitz_bound", 1.0))))
    except (TypeError, KeyError, ValueError):
        return None


def curve_caption(name: str, record: dict) -> str:
    """One certify file in words, from the file: how it was computed (device, generator, TF32 or IEEE fp32),
    its forward passes per image and their time there, the pull-back of hidden-layer noise, its command."""
    made = provenance(record)
    examples, passes = (
        int(record.get("examples") or len(record["rows"])),
        int(record.get("n0", 0)) + int(record["n"]),
    )
    seconds = record.get("seconds")
    took = (
        f", {seconds / examples:.2f} s per image there"
        if isinstance(seconds, (int, float)) and examples
        else ""
    )
    text = f"{name}: {made.sentence}; {_count(passes)} forward passes per image (n₀ + n){took}."
    spec, bound = record.get("noise") or {}, float(record.get("lipschitz_bound", 1.0))
    if int(spec.get("layer", 0) or 0) > 0:
        text += (
            f" Noise after layer {spec['layer']}: its layer-space radii are divided by the Lipschitz bound "
            f"L = {bound:.3g}, which may be loose, and a scale of {float(spec['scale']):g} in that layer's "
            f"space is not {float(spec['scale']):g} in pixels."
        )
    return f"{text} `{record.get('command', '')}`"


def curve_from(name: str, record: dict) -> Curve:
    """A certify record (core.results.read) as a Curve with its ceiling and caption."""
    return Curve(
        name,
        record.get("norm", "l2"),
        tuple(record["radii"]),
        tuple(record["certified_accuracy"]),
        int(record.get("examples", 0)),
        int(record.get("n", 0)),
        str(record.get("device", "?")),
        str(record.get("command", "")),
        _curve_ceiling(record),
        provenance(record),
        curve_caption(name, record),
    )


@dataclass(frozen=True)
class CertifiedCurves:
    """Shipped certified-accuracy curves (assets/results/certify_*.json) per dataset, and Cohen et al.'s
    table."""

    datasets: tuple
    curves: dict  # dataset → [Curve]
    published_radii: tuple
    published: dict  # σ → certified accuracy at published_radii (CIFAR-10, ResNet-110, n = 100 000)
    unreadable: tuple = ()  # one sentence per shipped file that could not be read (left out of the curves)


def certified_curves() -> CertifiedCurves:
    """Certified accuracy at r, (1/m) Σ 1{prediction correct and radius ≥ r} (Cohen et al. 2019 §4), as
    shipped by
    python -m core.experiments certify, beside Cohen et al.'s published CIFAR-10 numbers."""
    curves: dict = {}
    unreadable = []
    for name in results.available("certify"):
        try:
            record = results.read("certify", name)
        except results.ResultsUnavailable as error:
            unreadable.append(str(error))  # said on the page, never a curve silently missing
            continue
        curves.setdefault(record.get("dataset"), []).append(curve_from(name, record))
    datasets = tuple(d for d in ("cifar10", "mnist") if d in curves)
    return CertifiedCurves(
        datasets,
        curves,
        tuple(evaluation.COHEN_RADII),
        {sigma: tuple(values) for sigma, values in evaluation.COHEN_CIFAR10.items()},
        tuple(unreadable),
    )


# ---------------------------------------------------------------------------- a recomputation against a
# shipped file
EXACT_SETTINGS = ("n", "n0", "alpha", "seed", "noise_chunk", "precision")


def vote_count(radius: float, *, noise, n: int, alpha: float) -> int | None:
    """The estimation votes n_A behind a certified radius (layer space for hidden-layer noise): the k with
    certified_radius(noise, clopper_pearson_lower(k, n, α)) = radius within EXACT_RTOL, found by bisection
    (the
    radius grows with k). None for an abstention (radius 0) or when no k gives that radius."""
    if not radius > 0:
        return None

    def certified(k: int) -> float:
        return float(smoothing.certified_radius(noise, smoothing.clopper_pearson_lower(k, n, alpha)))

    low, high = 1, n
    if certified(high) < radius * (1 - EXACT_RTOL):
        return None
    while low < high:
        middle = (low + high) // 2
        low, high = (low, middle) if certified(middle) >= radius * (1 - EXACT_RTOL) else (middle + 1, high)
    return low if math.isclose(certified(low), radius, rel_tol=EXACT_RTOL) else None


def vote_interval(count: int, n: int, alpha: float) -> tuple[float, float]:
    """The two one-sided (1 − α) Clopper–Pearson bounds on the vote share n_A / n (CERTIFY's lower one, and
    1 − the lower one of the other votes)."""
    return (
        smoothing.clopper_pearson_lower(count, n, alpha),
        1.0 - smoothing.clopper_pearson_lower(n - count, n, alpha),
    )


@dataclass(frozen=True)
class RowsComparison:
    """A recomputed certify file's rows against the shipped rows of the same images."""

    exact: bool  # like for like: every row must repeat (vote count, prediction, radius within EXACT_RTOL)
    compared: int
    agreeing: int  # identical rows (exact) or rows agreeing within CERTIFY's statistics
    differing: tuple  # image indices of the other rows
    label: str  # the metric's label
    caption: str  # one sentence: why identity or statistics is the test, and the outcome


def _drawn(record: dict) -> dict:
    """The settings a row's draws depend on, read as core.experiments reads them for --resume: before
    noise_chunk the noise was drawn in the run's batches (batch_size, else the command's --batch-size, else
    1000), before --precision every run was fp32, before the seed was recorded it was 0."""
    settings = {key: record.get(key) for key in EXACT_SETTINGS}
    flag = re.search(r"--batch-size[ =](\d+)", str(record.get("command", "")))
    settings["noise_chunk"] = record.get(
        "noise_chunk", record.get("batch_size", int(flag.group(1)) if flag else 1000)
    )
    settings["precision"] = record.get("precision", "fp32")
    settings["seed"] = record.get("seed", 0)
    return settings


def _row_votes(row: dict, record: dict, noise) -> int | None:
    radius = float(row.get("radius_layer", row["radius"]))
    if noise is None or int(row["predict"]) == smoothing.ABSTAIN:
        return None
    return vote_count(radius, noise=noise, n=int(record["n"]), alpha=float(record["alpha"]))


def compare_certify_rows(recomputed: dict, shipped: dict) -> RowsComparison | None:
    """Compare like with like. When both files drew their noise from the same generator kind in IEEE fp32 with
    the same n, n₀, α, seed, noise chunk and precision, each row must repeat exactly: same label, prediction
    and vote count n_A (read back from the radius, vote_count), radius within EXACT_RTOL relative (a
    deterministic function of the counts). Otherwise (a CUDA file recomputed on a CPU, a TF32 file, another
    n…) the recomputation is another random experiment: a row agrees within CERTIFY's statistics when both
    certify the same class unless either abstains, and the two vote shares' Clopper–Pearson intervals
    (vote_interval, each at its file's α) overlap. None when the files are of other models or other images."""
    if any(recomputed.get(key) != shipped.get(key) for key in ("model_sha256", "every")):
        return None
    mine, theirs = experiments.drawn_with(recomputed), experiments.drawn_with(shipped)
    reasons = []
    if mine["generator"] != theirs["generator"]:
        reasons.append(
            f"the shipped noise was drawn by the {theirs['generator'].upper()} generator and this by the "
            f"{mine['generator'].upper()} one, another random experiment for the same seed"
        )
    tf32 = [
        who
        for who, drawn in (("the shipped file", theirs), ("this run", mine))
        if drawn["fp32_kernels"] == "tf32"
    ]
    if tf32:
        reasons.append(f"{' and '.join(tf32)} ran TF32 convolutions, not the IEEE fp32 classifier")
    a, b = _drawn(recomputed), _drawn(shipped)
    reasons += [f"{key} is {a[key]} here and {b[key]} shipped" for key in EXACT_SETTINGS if a[key] != b[key]]
    exact = not reasons
    noise = _noise_of(shipped)
    pairs = [
        (row, other)
        for row in recomputed["rows"]
        for other in shipped["rows"]
        if int(row["index"]) == int(other["index"])
    ]
    differing, by_rounding = [], 0
    for row, other in pairs:
        votes = _row_votes(row, recomputed, noise), _row_votes(other, shipped, noise)
        same_image = int(row["label"]) == int(other["label"])
        if exact:
            r, s = (
                float(row.get("radius_layer", row["radius"])),
                float(other.get("radius_layer", other["radius"])),
            )
            agree = (
                same_image
                and int(row["predict"]) == int(other["predict"])
                and votes[0] == votes[1]
                and math.isclose(r, s, rel_tol=EXACT_RTOL, abs_tol=0.0)
            )
        else:
            abstains = smoothing.ABSTAIN in (int(row["predict"]), int(other["predict"]))
            agree = same_image and (abstains or int(row["predict"]) == int(other["predict"]))
            if agree and None not in votes:
                (low, high), (low2, high2) = (
                    vote_interval(votes[0], int(recomputed["n"]), float(recomputed["alpha"])),
                    vote_interval(votes[1], int(shipped["n"]), float(shipped["alpha"])),
                )
                agree = low <= high2 and low2 <= high
        if not agree:
            differing.append(int(row["index"]))
            # The same draws through another CPU's vector kernels: a vote whose logit margin lies within
            # float32 rounding may flip (docs/ARCHITECTURE.md, Reproducibility) — a vote or two, no more.
            by_rounding += bool(
                exact
                and same_image
                and int(row["predict"]) == int(other["predict"])
                and None not in votes
                and abs(votes[0] - votes[1]) <= 2
            )
    agreeing = len(pairs) - len(differing)
    listed = f" Rows of images {', '.join(map(str, differing))} do not." if differing else ""
    if exact:
        caption = (
            f"Both files drew their noise from the {mine['generator'].upper()} generator with the IEEE fp32 "
            "classifier and the same n, n₀, α and seed, so each row must repeat exactly (same prediction "
            f"and vote count n_A, radius within {EXACT_RTOL:g} relative): {agreeing} of {len(pairs)} "
            f"do.{listed}"
            + (
                f" {by_rounding} of them differ by at most 2 votes with the same prediction: what float32 "
                "rounding on another CPU kind can flip, not another experiment."
                if by_rounding
                else ""
            )
        )
        label = "Rows identical to the shipped ones"
    else:
        caption = (
            f"Not like for like — {'; '.join(reasons)} — so rows are compared within CERTIFY's statistics, "
            f"not for identity: {agreeing} of {len(pairs)} agree (the same class unless either abstains, and "
            f"vote shares whose Clopper–Pearson intervals at α overlap).{listed}"
        )
        label = "Rows agreeing within CERTIFY's statistics"
    return RowsComparison(exact, len(pairs), agreeing, tuple(differing), label, caption)


# ---------------------------------------------------------------------------- shipped file
def build() -> None:
    """Ship the toy's F_rob regions for each σ at seed 0 (the toys must be shipped first: python -m core.toys
    build), each noise-trained zoo model's Lipschitz bounds and the certificates of its 20 gallery images at
    the default n₀, n, α and seed 0 (the page's opening values) in assets/scenes/certificate.json."""
    calls = [(toy_regions, {"sigma": sigma, "seed": 0}) for sigma in TOY_SIGMAS]
    opening = dict(n0=DEFAULTS["n0"], n=DEFAULTS["image_n"], alpha=DEFAULTS["alpha"], seed=0)
    for model in certifiable_models():
        calls.append((lipschitz_bounds, {"model": model}))
        images = range(len(common.gallery(common.dataset_of(model))[1]))
        calls += [(gallery_certificate, dict(model=model, index=index, **opening)) for index in images]
    shipped.build(__name__, calls)
