"""Scene 11 · Take-home: the talk's four take-home messages, each backed by a small live computation.

:func:`take_home` (ε of the toy attack, σ of the Gaussian noise, the demo's seed) returns everything
the page shows for the four messages (:data:`MESSAGES`, the talk's conclusion slide):

1. *Adversarial examples are a real threat* — PGD ℓ∞ (Madry et al. 2018) against a standard 2-D
   network, and against a shipped image classifier on foolbox's offline gallery.
2. *Randomization gives certificates* — the certified radius α* as a function of p_A for each noise
   (Cohen et al. 2019; Li et al. 2019; Lecuyer et al. 2019; Teng et al. 2020; Yang et al. 2020) and
   CERTIFY (Cohen et al. 2019, Algorithm 1) on held-out points of a noise-trained toy network.
3. *Best attacks remain hard to mitigate* — accuracy under PGD of the standard network, of PGD
   adversarial training and of the smoothed classifier F_rob attacked adaptively with EOT-PGD
   (Athalye et al. 2018) and scored by a majority vote of many noise draws.
4. *Room for improvement: bigger α*, more distributions, more sophisticated randomized settings* —
   certified accuracy against r for every σ with CERTIFY's ceiling σΦ⁻¹(α^{1/n}), the ceiling against
   the ℓ2 size of the usual CIFAR-10 ℓ∞ ball, and the zoo's shipped certificates.

The toy networks are ``core.toys`` specs (:data:`SHIPPED_TOYS` ships them for every seed of
core.toys.SHIPPED_SEEDS; :func:`opening_toys`). The seed-level results
(defenses' curves, CERTIFY rows and smoothed regions for every σ, the gallery attack) are shipped for
seed 0 in assets/scenes/take_home.json by :func:`build` and computed live for any other seed. Every
random draw comes from ``core.seeds.stream_generator(seed, name)`` (CERTIFY rows: stream seed + index).
Captions that state an outcome are computed here from the numbers they talk about.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch

from core import attacks, checks, evaluation, geometry, models, results, smoothing, toys, zoo
from core import noise as noises
from core.scenes import common, shipped, tradeoff
from core.scenes.parameters import Parameter, declare, defaults
from core.seeds import check_seed, stream_generator, stream_seed

# ---------------------------------------------------------------------------- the scene's choices

DATASET, POINTS = "spirals", 400
TRAIN_EPS, ADVERSARIAL_STEPS = 0.05, 7  # PGD-7 adversarial training at ε∞ = 0.05 (Madry et al.)
BUDGETS = (0.0, 0.02, 0.04, 0.06, 0.08, 0.1)  # ℓ∞ budgets of the robustness curves
EPS_OPTIONS = BUDGETS[1:]  # the ε slider
SIGMAS = (0.02, 0.05, 0.1, 0.2)
PARAMETERS = declare(
    Parameter("eps", "p11_eps", 0.08, choices=EPS_OPTIONS),
    Parameter("sigma", "p11_sigma", 0.05, choices=SIGMAS),
)
DEFAULTS = defaults(PARAMETERS)
PGD_STEPS = 10  # attack steps, step size ε/4
EOT_DRAWS, VOTES = 8, 100  # EOT-PGD: gradients averaged over draws; F_rob's vote
N0, N_CERTIFY, ALPHA, CERTIFY_POINTS = 100, 2000, 0.001, 60
REGION_RESOLUTION, SMOOTH_RESOLUTION, SMOOTH_DRAWS = 100, 60, 64
RADII = tuple(round(0.01 * k, 2) for k in range(61))  # radii of the certified-accuracy chart
TRADEOFF_RADIUS = 0.05  # the table's second radius
IMAGE_MODELS = {"cifar10-standard": 8 / 255, "mnist-standard": 0.3}  # the literature's ℓ∞ budgets
CIFAR_DIM = 3 * 32 * 32
LINF_BUDGETS = (2 / 255, 8 / 255)  # usual CIFAR-10 ℓ∞ budgets, drawn as ℓ2 sizes ε√d
ZOO_SIGMAS = (0.12, 0.25, 0.5)  # the zoo's Gaussian models (ceiling chart)
CEILING_N = tuple(int(v) for v in np.unique(np.logspace(2, 6, 25).astype(int)))
SHIPPED_CERTIFIED = (
    "cifar10-gaussian-0.25",
    "cifar10-laplace-0.1768",
    "cifar10-uniform-0.433",
    "cifar10-layer1-gaussian-0.25",
)
HEADLINE_MODEL = "cifar10-gaussian-0.25"
BUILD_COMMAND = "python -m core.scenes build --scene p11_take_home"


@dataclass(frozen=True)
class Message:
    number: int
    title: str
    text: str  # Markdown + KaTeX
    scene: str  # URL path of the supporting scene


MESSAGES = (
    Message(
        1,
        "Adversarial examples are a real threat",
        r"A perturbation $\tau$ far too small to matter to a human can change the decision of a "
        r"standard network $F$; PGD searches for one with a few gradient steps — on a 2-D toy and on real "
        r"images below.",
        "p04_crafting_attacks",
    ),
    Message(
        2,
        "Randomization gives certificates",
        r"Adding noise and voting, $F_{\mathrm{rob}}(x) = \arg\max_c \mathbb{P}_\varepsilon(F(x+\varepsilon) "
        r"= c)$, gives a radius $\alpha^*$ within which the decision provably cannot change — for Gaussian "
        r"noise $\alpha^* = \sigma\,\Phi^{-1}(\underline{p_A})$ in $\ell_2$ (Cohen et al. 2019), for Laplace "
        r"and uniform noise in $\ell_1$.",
        "p09_certificate",
    ),
    Message(
        3,
        "Best attacks remain hard to mitigate",
        r"What matters is the accuracy left under the strongest attacks we can run — PGD against the "
        r"deterministic networks, EOT-PGD against $F_{\mathrm{rob}}$ itself (Athalye et al. 2018) — and what "
        r"each defense costs in clean accuracy. The curves below measure both on the toy.",
        "p10_tradeoff",
    ),
    Message(
        4,
        "Room for improvement: bigger α*, more distributions, more sophisticated randomized settings",
        r"The talk's point: $\alpha^*$ is still small next to the budgets attacks use — measured below "
        r"against the $\ell_2$ size of the $\ell_\infty$ ball of CIFAR-10 attacks. Scene 10 also sets "
        r"$\alpha^*$ beside the distance the best attack on $F_{\mathrm{rob}}$ itself needs: that ratio says "
        r"how tight the certificate is, not how large $\alpha^*$ is. CERTIFY with $n$ draws "
        r"can never return more than $\sigma\,\Phi^{-1}(\alpha^{1/n})$, and a larger $\sigma$ buys radius at "
        r"the price of accuracy — the numbers below measure both. Other noise distributions (Laplace, "
        r"uniform, the exponential family of Pinot et al. 2019) and noise inside the network change the "
        r"trade-off.",
        "p09_certificate",
    ),
)

# Lecture mode (core.scenes.lecture): what the page reveals at each step, in order.
STEPS = (
    "Message 1: adversarial examples exist",
    "Message 2: randomization certifies",
    "Message 3: the best attacks and their cost",
    "Message 4: room for improvement",
)

EXPLANATION = r"""
The talk ends with four take-home messages; each is recomputed here. Classifier $F$, perturbation $\tau$,
smoothed classifier $F_{\mathrm{rob}}(x) = \arg\max_c \mathbb{P}_\varepsilon(F(x+\varepsilon)=c)$ and
certified radius $\alpha^*$ as in the talk. The toy is two spirals in $[0,1]^2$ with 2-64-64-2 networks.
"""
IMPROVEMENT = (
    r"**Room for improvement.** *Bigger α\*:* the ceiling $\sigma\Phi^{-1}(\alpha^{1/n})$ grows only like "
    r"$\sigma\sqrt{2\ln n}$, while $p_A$ tends to fall as $\sigma$ grows — the table shows what it does "
    r"here. *More distributions:* Laplace and uniform noise certify $\ell_1$ balls; Pinot et al. 2019 extend "
    r"the argument to the exponential family (scene 8 computes it: Rényi divergence → radius, the "
    r"generalized normal certified in $\ell_1$). *More sophisticated randomized settings:* noise after a "
    r"hidden layer (the layer-1 rows) is certified in that layer's space and must be pulled back through a "
    r"Lipschitz bound."
)
NOTES = {
    2: "Gaussian radii are ℓ2, Laplace and uniform radii ℓ1 (Teng et al. 2020; Yang et al. 2020): two "
    "panels, two norms. The balls are CERTIFY's ℓ2 radii around held-out points.",
    3: f"Standard and adversarially trained networks: PGD ℓ∞, {PGD_STEPS} steps of ε/4. F_rob: EOT-PGD "
    f"(gradient averaged over {EOT_DRAWS} noise draws per step) against the noisy network, then scored by "
    f"the majority vote of {VOTES} draws — an adaptive attack on F_rob itself (Athalye et al. 2018).",
}
USES = (
    f"{DATASET} ({POINTS} points, 30 % held out; core.toys) with 2-64-64-2 ReLU networks: ERM, PGD-"
    f"{ADVERSARIAL_STEPS} adversarial training (ε∞ = {TRAIN_EPS}) and Gaussian noise augmentation for each σ "
    "(shipped for seed 0); the shipped standard image model on foolbox's 20 gallery images; the zoo's "
    "shipped certificates (assets/results); defaults shipped in assets/scenes/take_home.json."
)


def toy_spec(kind: str, seed: int, sigma: float | None = None) -> toys.ToySpec:
    """The scene's toy network: "standard" (ERM), "adversarial" (PGD-7 at ε∞ = TRAIN_EPS) or "noise"
    (trained on x + ε, ε ~ N(0, σ²I))."""
    if kind == "standard":
        return toys.ToySpec(dataset=DATASET, points=POINTS, seed=seed)
    if kind == "adversarial":
        return toys.ToySpec(
            dataset=DATASET, points=POINTS, adversarial=(TRAIN_EPS, ADVERSARIAL_STEPS), seed=seed
        )
    if kind == "noise":
        return toys.ToySpec(dataset=DATASET, points=POINTS, noise=("gaussian", float(sigma)), seed=seed)
    raise ValueError(f"Unknown toy kind {kind!r}; use standard, adversarial or noise.")


def opening_toys(seed: int) -> list[toys.ToySpec]:
    """The toy networks the page opens with at ``seed``: the standard, the adversarially trained and every σ's
    noise-trained network (message 4's table certifies every σ)."""
    return [
        toy_spec("standard", seed),
        toy_spec("adversarial", seed),
        *(toy_spec("noise", seed, s) for s in SIGMAS),
    ]


SHIPPED_TOYS = [spec for seed in toys.SHIPPED_SEEDS for spec in opening_toys(seed)]


# ---------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Attack:
    """Message 1 on the toy: PGD ℓ∞ on the correctly classified held-out points of the standard network."""

    eps: float
    x_clean: np.ndarray  # M×2, correctly classified held-out points
    y_clean: np.ndarray
    x_adv: np.ndarray  # M×2, their PGD examples
    fooled: np.ndarray  # M bools: F(x + τ) ≠ y
    success_rate: float
    xs: np.ndarray  # decision regions of the standard network
    ys: np.ndarray
    labels: np.ndarray


@dataclass(frozen=True)
class Gallery:
    """Message 1 on images: PGD ℓ∞ (10 steps) on the correctly classified gallery images."""

    model: str | None  # None when no standard image model is shipped
    eps: float
    flipped: int
    attacked: int
    dimension: int
    note: str  # why it is missing, else ""


@dataclass(frozen=True)
class Certificates:
    """Message 2: the radius formulas and CERTIFY on held-out toy points at the chosen σ."""

    sigma: float
    p_a: np.ndarray
    l2_curves: dict  # name → radius(p_A), ℓ2 certificates (Gaussian)
    l1_curves: dict  # name → radius(p_A), ℓ1 certificates (Laplace, uniform)
    radius_at_099: float  # σ Φ⁻¹(0.99)
    x: np.ndarray  # CERTIFY_POINTS×2 held-out points
    y: np.ndarray
    predict: np.ndarray  # CERTIFY's class, −1 = abstain
    radius: np.ndarray
    correct: np.ndarray
    ceiling: float  # σ Φ⁻¹(α^{1/n})
    at_ceiling: int  # correct certificates whose radius is the ceiling
    certified: int  # correct, non-abstaining certificates
    median_radius: float  # median over points, 0 for abstentions and errors
    xs: np.ndarray  # hard F_rob on the grid (vote of SMOOTH_DRAWS draws)
    ys: np.ndarray
    labels: np.ndarray


@dataclass(frozen=True)
class Defenses:
    """Message 3: held-out accuracy against the ℓ∞ budget (BUDGETS) for each defense."""

    budgets: tuple
    standard: tuple
    adversarial: tuple
    smoothed: tuple  # F_rob at σ under EOT-PGD, scored by a vote of VOTES draws
    sigma: float
    eps: float
    at_eps: dict  # defense name → accuracy at ε
    best_at_max: tuple  # (name, accuracy) of the best defense at the largest budget
    clean_cost: float  # clean accuracy standard − adversarial


@dataclass(frozen=True)
class ShippedPoint:
    """One radius of one shipped certify file (assets/results) beside that file's CERTIFY ceiling."""

    model: str
    noise: str  # e.g. "gaussian 0.25 (layer 0)"
    norm: str  # the radius' norm
    n: int
    examples: int
    radius: float
    accuracy: float  # the file's certified accuracy at that radius
    ceiling: float | None  # certify_ceiling at (n, α), pulled back by the Lipschitz bound for hidden noise
    beyond_ceiling: bool  # radius > ceiling: the accuracy there is 0 by force of n, not a measurement


@dataclass(frozen=True)
class Limits:
    """Message 4: certified accuracy vs r per σ on the toy, the n-ceiling vs the ℓ∞ ball, shipped
    certificates."""

    radii: tuple
    curves: dict  # σ → certified accuracy at each radius
    toy_ceilings: dict  # σ → σ Φ⁻¹(α^{1/n}) at N_CERTIFY
    table: dict  # column → values, one row per σ (None: that radius lies beyond the σ's ceiling)
    n_values: tuple
    zoo_ceilings: dict  # σ → ceiling at each n
    linf_l2: dict  # "k/255" → ε √d
    ceiling_100k: float  # σ = 0.25, n = 100 000
    shipped: tuple  # ShippedPoint rows
    headline: dict | None  # HEADLINE_MODEL at the largest shipped radius ≤ min(ℓ2 size of 8/255, its ceiling)
    argument: tradeoff.AlphaStarLimits | None = None  # "α* is still too small", as numbers (scene 10)
    toy_counts: dict | None = None  # σ → points certified correctly at r = 0 (of CERTIFY_POINTS)
    toy_cost_p: float | None = None  # paired exact test: largest σ against smallest σ at r = 0
    small: tradeoff.WhatIsSmall | None = (
        None  # what a ratio α*/attack distance near 1 says (scene 10, shipped)
    )


@dataclass(frozen=True)
class TakeHome:
    messages: tuple
    attack: Attack
    gallery: Gallery
    certificates: Certificates
    defenses: Defenses
    limits: Limits
    captions: dict  # message number → computed sentence (Markdown)
    shipped: bool  # the seed-level results were read from assets/scenes/take_home.json


# ---------------------------------------------------------------------------- checks and models


def _model(kind: str, seed: int, sigma: float | None = None) -> models.Layered:
    return toys.model(toy_spec(kind, seed, sigma))


def _split(seed: int) -> toys.Split:
    return toys.split(toy_spec("standard", seed))


def _accuracy(model, x, y) -> float:
    with torch.inference_mode():
        return float((model(x).argmax(1) == y).float().mean())


@dataclass(frozen=True)
class Curves:
    """Held-out accuracy at every budget of BUDGETS of the standard and the adversarially trained networks."""

    standard: tuple
    adversarial: tuple


@dataclass(frozen=True)
class SmoothedCurve:
    """Held-out accuracy of F_rob under EOT-PGD at every budget of BUDGETS."""

    accuracy: tuple


@dataclass(frozen=True)
class CertifiedRows:
    """CERTIFY on the first CERTIFY_POINTS held-out points: class (−1 = abstain), radius, correctness."""

    predict: tuple
    radius: tuple
    correct: tuple


@dataclass(frozen=True)
class SmoothedRegions:
    """Hard F_rob on a SMOOTH_RESOLUTION² grid of [0, 1]²."""

    labels: np.ndarray


# ---------------------------------------------------------------------------- seed-level computations
# Each is shipped for seed 0 in assets/scenes/take_home.json (core.scenes.shipped) and kept per process:
# take_home() reads several of them at every ε and σ.


KINDS = ("standard", "adversarial")


def _noise_toy(sigma: float, seed: int) -> list[toys.ToySpec]:
    return [toy_spec("noise", seed, sigma)]


@functools.lru_cache(maxsize=16)
def gallery(*, seed: int = 0) -> Gallery:
    """:func:`gallery_live`, shipped for seed 0."""
    return shipped.or_live(gallery_live, locals(), depends=[n for n in IMAGE_MODELS if n in zoo.names()][:1])


def gallery_live(*, seed: int) -> Gallery:
    """PGD ℓ∞ (10 steps of ε/4, random start from the stream "gallery pgd") with the literature's budget
    (8/255 on CIFAR-10, 0.3 on MNIST) on the correctly classified offline gallery images."""
    names = set(zoo.names())
    name = next((n for n in IMAGE_MODELS if n in names), None)
    if name is None:
        return Gallery(
            None,
            0.0,
            0,
            0,
            0,
            "No standard image model is shipped yet: run python -m core.experiments "
            "train --name cifar10-standard --data-dir ../shared/data",
        )
    eps = IMAGE_MODELS[name]
    try:
        model = zoo.shared(name)
        x, y = common.gallery(zoo.entry(name)["dataset"])
    except ValueError as error:  # ModelUnavailable / DatasetUnavailable: one sentence
        return Gallery(None, eps, 0, 0, 0, str(error))
    with torch.inference_mode():
        correct = model(x).argmax(1) == y
    x, y = x[correct], y[correct]
    x_adv = attacks.pgd(
        model,
        x,
        y,
        eps=eps,
        step=eps / 4,
        steps=PGD_STEPS,
        norm="linf",
        generator=stream_generator(seed, "gallery pgd"),
    )
    with torch.inference_mode():
        flipped = int((model(x_adv).argmax(1) != y).sum())
    return Gallery(name, eps, flipped, int(correct.sum()), int(np.prod(x.shape[1:])), "")


def smoothed_pgd_accuracy(base, x, y, *, sigma: float, eps: float, seed: int) -> float:
    """Accuracy of F_rob (vote of VOTES draws of N(0, σ²I)) on EOT-PGD ℓ∞ examples: each PGD step follows
    the gradient of the cross-entropy averaged over EOT_DRAWS noise draws (Athalye et al. 2018)."""
    noise = noises.make("gaussian", sigma)
    if eps > 0:
        noisy = models.inject_noise(base, 0, noise, seed=stream_seed(seed, f"eot noise/{sigma}/{eps}"))
        x = attacks.pgd(
            noisy,
            x,
            y,
            eps=eps,
            step=eps / 4,
            steps=PGD_STEPS,
            norm="linf",
            eot=EOT_DRAWS,
            generator=stream_generator(seed, f"eot start/{sigma}/{eps}"),
        )
    counts = smoothing.sample_counts_many(
        base,
        x,
        noise=noise,
        num=VOTES,
        batch_size=len(x) * VOTES,
        chunk=len(x) * VOTES,
        generator=stream_generator(seed, f"vote/{sigma}/{eps}"),
    )
    return float((counts.argmax(1) == y).float().mean())


@functools.lru_cache(maxsize=16)
def curves(*, seed: int = 0) -> Curves:
    """:func:`curves_live`, shipped for seed 0."""
    return shipped.or_live(curves_live, locals(), depends=[toy_spec(k, seed) for k in KINDS])


def curves_live(*, seed: int) -> Curves:
    """Held-out accuracy at every budget of BUDGETS of the standard and the adversarially trained
    networks under PGD ℓ∞ (10 steps of ε/4, random start from the stream "pgd/<kind>/<ε>")."""
    parts = _split(seed)
    x, y = parts.x_test, parts.y_test
    curves = {}
    for kind in ("standard", "adversarial"):
        model, values = _model(kind, seed), []
        for eps in BUDGETS:
            x_eps = (
                x
                if eps == 0
                else attacks.pgd(
                    model,
                    x,
                    y,
                    eps=eps,
                    step=eps / 4,
                    steps=PGD_STEPS,
                    norm="linf",
                    generator=stream_generator(seed, f"pgd/{kind}/{eps}"),
                )
            )
            values.append(_accuracy(model, x_eps, y))
        curves[kind] = tuple(values)
    return Curves(**curves)


@functools.lru_cache(maxsize=32)
def smoothed_curve(*, sigma: float = DEFAULTS["sigma"], seed: int = 0) -> SmoothedCurve:
    """:func:`smoothed_curve_live`, shipped for seed 0."""
    return shipped.or_live(smoothed_curve_live, locals(), depends=_noise_toy(sigma, seed))


def smoothed_curve_live(*, sigma: float, seed: int) -> SmoothedCurve:
    """Held-out accuracy of F_rob (network trained with N(0, σ²I)) under EOT-PGD at every budget of
    BUDGETS."""
    parts = _split(seed)
    base = _model("noise", seed, sigma)
    return SmoothedCurve(
        tuple(
            smoothed_pgd_accuracy(base, parts.x_test, parts.y_test, sigma=sigma, eps=eps, seed=seed)
            for eps in BUDGETS
        )
    )


@functools.lru_cache(maxsize=32)
def certify_toy(*, sigma: float = DEFAULTS["sigma"], seed: int = 0) -> CertifiedRows:
    """:func:`certify_toy_live`, shipped for seed 0."""
    return shipped.or_live(certify_toy_live, locals(), depends=_noise_toy(sigma, seed))


def certify_toy_live(*, sigma: float, seed: int) -> CertifiedRows:
    """CERTIFY (Cohen et al. 2019, Algorithm 1: n0 = N0 draws to guess c_A, n = N_CERTIFY to bound p_A by
    Clopper–Pearson at level α, radius σΦ⁻¹(p_A)) on the first CERTIFY_POINTS held-out points, with the
    network trained on x + N(0, σ²I); row i draws from stream_seed(seed, "certify") + i."""
    parts = _split(seed)
    rows = evaluation.certify_dataset(
        _model("noise", seed, sigma),
        parts.x_test[:CERTIFY_POINTS],
        parts.y_test[:CERTIFY_POINTS],
        noise=noises.make("gaussian", sigma),
        n0=N0,
        n=N_CERTIFY,
        alpha=ALPHA,
        batch_size=N_CERTIFY,
        seed=stream_seed(seed, "certify"),
    )
    return CertifiedRows(*(tuple(row[key] for row in rows) for key in ("predict", "radius", "correct")))


@functools.lru_cache(maxsize=32)
def smoothed_regions(*, sigma: float = DEFAULTS["sigma"], seed: int = 0) -> SmoothedRegions:
    """:func:`smoothed_regions_live`, shipped for seed 0."""
    return shipped.or_live(smoothed_regions_live, locals(), depends=_noise_toy(sigma, seed))


def smoothed_regions_live(*, sigma: float, seed: int) -> SmoothedRegions:
    """Hard F_rob on a SMOOTH_RESOLUTION² grid of [0, 1]²: the majority vote of SMOOTH_DRAWS draws of
    N(0, σ²I) (stream "smoothed regions")."""
    regions = geometry.smoothed_decision_regions(
        _model("noise", seed, sigma),
        noise=noises.make("gaussian", sigma),
        num=SMOOTH_DRAWS,
        resolution=SMOOTH_RESOLUTION,
        seed=stream_seed(seed, "smoothed regions"),
        soft=False,
    )
    return SmoothedRegions(regions.labels.numpy())


def certified_points(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The first CERTIFY_POINTS held-out points of the toy split and their labels."""
    parts = _split(seed)
    return parts.x_test[:CERTIFY_POINTS].numpy(), parts.y_test[:CERTIFY_POINTS].numpy()


def build() -> None:
    """Ship the seed-0 robustness curves, CERTIFY rows and smoothed regions for every σ, the toy attack at
    every ε and the gallery attack in assets/scenes/take_home.json, and the parts the page opens with
    (default σ and ε) at every other seed of core.toys.SHIPPED_SEEDS."""
    parts = (smoothed_curve, certify_toy, smoothed_regions)
    calls = [(curves, {"seed": 0}), (gallery, {"seed": 0})]
    calls += [(f, {"sigma": s, "seed": 0}) for f in parts for s in SIGMAS]
    calls += [(toy_attack, {"eps": eps, "seed": 0}) for eps in EPS_OPTIONS]
    opening = [
        (curves, {"seed": 0}),
        (gallery, {"seed": 0}),
        (toy_attack, {"eps": DEFAULTS["eps"], "seed": 0}),
    ]
    opening += [(f, {"sigma": DEFAULTS["sigma"], "seed": 0}) for f in parts]
    calls += shipped.at_seeds(opening, toys.SHIPPED_SEEDS[1:])
    shipped.build(__name__, calls)


# ---------------------------------------------------------------------------- the four messages


@functools.lru_cache(maxsize=64)
def toy_attack(*, eps: float = DEFAULTS["eps"], seed: int = 0) -> Attack:
    """:func:`toy_attack_live`, shipped for seed 0."""
    return shipped.or_live(toy_attack_live, locals(), depends=[toy_spec("standard", seed)])


def toy_attack_live(*, eps: float, seed: int) -> Attack:
    """PGD ℓ∞ (Madry et al. 2018: x ← Π_{B∞(x,ε)∩[0,1]²}(x + ε/4 · sign ∇ₓ CE), 10 steps, random start from
    the stream "toy pgd") on the held-out points that the standard network classifies correctly."""
    model, parts = _model("standard", seed), _split(seed)
    with torch.inference_mode():
        correct = model(parts.x_test).argmax(1) == parts.y_test
    x, y = parts.x_test[correct], parts.y_test[correct]
    x_adv = attacks.pgd(
        model,
        x,
        y,
        eps=eps,
        step=eps / 4,
        steps=PGD_STEPS,
        norm="linf",
        generator=stream_generator(seed, "toy pgd"),
    )
    with torch.inference_mode():
        fooled = (model(x_adv).argmax(1) != y).numpy()
    regions = geometry.decision_regions(model, resolution=REGION_RESOLUTION)
    return Attack(
        eps,
        x.numpy(),
        y.numpy(),
        x_adv.numpy(),
        fooled,
        float(fooled.mean()) if len(fooled) else 0.0,
        regions.xs.numpy(),
        regions.ys.numpy(),
        regions.labels.numpy(),
    )


@functools.lru_cache(maxsize=16)
def _radius_curves(sigma: float) -> tuple[np.ndarray, dict]:
    p_a = np.linspace(0.5, 0.999, 200)
    return p_a, smoothing.matched_variance_radii(p_a, sigma)


def certificates(sigma: float, seed: int) -> Certificates:
    """The radius formulas at a common per-coordinate std σ (core.smoothing.matched_variance_radii) and
    CERTIFY on held-out toy points with hard F_rob on the grid."""
    p_a, curves = _radius_curves(sigma)
    rows = certify_toy(sigma=sigma, seed=seed)
    x, y = certified_points(seed)
    radius, correct = np.array(rows.radius, dtype=float), np.array(rows.correct, dtype=bool)
    ceiling = float(smoothing.radius_ceiling(sigma, ALPHA, N_CERTIFY))
    labels = smoothed_regions(sigma=sigma, seed=seed).labels
    axis = np.linspace(0.0, 1.0, SMOOTH_RESOLUTION)
    return Certificates(
        sigma,
        p_a,
        {k: v for k, v in curves.items() if "ℓ2" in k},
        {k: v for k, v in curves.items() if "ℓ1" in k},
        float(smoothing.gaussian_radius(0.99, sigma)),
        x,
        y,
        np.array(rows.predict),
        radius,
        correct,
        ceiling,
        int(np.sum(correct & (radius >= ceiling - 1e-9))),
        int(correct.sum()),
        float(np.median(np.where(correct, radius, 0.0))),
        axis,
        axis,
        labels,
    )


def defenses(eps: float, sigma: float, seed: int) -> Defenses:
    """Accuracy against the ℓ∞ budget of the three defenses (:func:`curves`, :func:`smoothed_curve`)."""
    deterministic = curves(seed=seed)
    smoothed = smoothed_curve(sigma=sigma, seed=seed).accuracy
    named = {
        "standard ERM": deterministic.standard,
        f"adversarial training (ε = {TRAIN_EPS})": deterministic.adversarial,
        f"F_rob, σ = {sigma} (EOT-PGD, vote)": smoothed,
    }
    k = BUDGETS.index(eps)
    best = max(named.items(), key=lambda item: item[1][-1])
    return Defenses(
        BUDGETS,
        named["standard ERM"],
        deterministic.adversarial,
        smoothed,
        sigma,
        eps,
        {name: values[k] for name, values in named.items()},
        (best[0], best[1][-1]),
        deterministic.standard[0] - deterministic.adversarial[0],
    )


def _read_certified(name: str) -> dict | None:
    try:
        return results.read("certify", name, results.RESULTS_DIR)
    except ValueError:  # ResultsUnavailable: the row is left out
        return None


def _file_ceiling(record: dict) -> float | None:
    """The largest radius a certify file can hold: certify_ceiling(noise, α, n) in the noise's norm, divided
    by the
    file's Lipschitz bound for noise inside the network (its radii are pulled back to the input)."""
    spec = record["noise"]
    try:
        noise = noises.make(
            spec["name"], float(spec["scale"]), **({"beta": spec["beta"]} if "beta" in spec else {})
        )
        top = smoothing.certify_ceiling(noise, float(record["alpha"]), int(record["n"]))
    except (ValueError, TypeError):
        return None
    return top / float(record.get("lipschitz_bound") or 1.0) if spec.get("layer", 0) else top


def _results_stamp() -> tuple:
    try:
        stat = results.RESULTS_DIR.stat()
        return (str(results.RESULTS_DIR), stat.st_mtime_ns, stat.st_size)
    except OSError:
        return (str(results.RESULTS_DIR), 0, 0)


def limits(seed: int) -> Limits:
    """Certified accuracy at r (Cohen et al. §4) per σ on the toy, CERTIFY's ceiling σΦ⁻¹(α^{1/n}) against
    n and the ℓ2 size ε√d of CIFAR-10's ℓ∞ balls, and the zoo's shipped certificates, each radius beside its
    file's ceiling (recomputed when a shipped result file changes)."""
    return _limits(seed, _results_stamp())


@functools.lru_cache(maxsize=16)
def _limits(seed: int, stamp: tuple) -> Limits:
    at = f"certified accuracy, r = {TRADEOFF_RADIUS}"
    curves, table = (
        {},
        {"σ": [], "certified accuracy, r = 0": [], at: [], "largest radius": [], "ceiling σΦ⁻¹(α^{1/n})": []},
    )
    toy_ceilings, toy_counts, correct_at_0 = {}, {}, {}
    for sigma in SIGMAS:
        rows = certify_toy(sigma=sigma, seed=seed)
        dicts = [
            {"predict": p, "radius": r, "correct": c}
            for p, r, c in zip(rows.predict, rows.radius, rows.correct)
        ]
        curves[sigma] = tuple(evaluation.certified_accuracy_curve(dicts, list(RADII)))
        toy_ceilings[sigma] = float(smoothing.radius_ceiling(sigma, ALPHA, N_CERTIFY))
        correct_at_0[sigma] = np.array(
            [bool(c) and p != smoothing.ABSTAIN for p, c in zip(rows.predict, rows.correct)]
        )
        toy_counts[sigma] = int(correct_at_0[sigma].sum())
        largest = max([r for r, c in zip(rows.radius, rows.correct) if c], default=0.0)
        second = (
            evaluation.certified_accuracy(dicts, TRADEOFF_RADIUS)
            if TRADEOFF_RADIUS <= toy_ceilings[sigma]
            else None
        )
        for column, value in zip(table, (sigma, curves[sigma][0], second, largest, toy_ceilings[sigma])):
            table[column].append(value)
    cost_p = tradeoff.paired_difference_p(correct_at_0[SIGMAS[0]], correct_at_0[SIGMAS[-1]])
    zoo_ceilings = {
        s: tuple(float(smoothing.radius_ceiling(s, ALPHA, n)) for n in CEILING_N) for s in ZOO_SIGMAS
    }
    linf_l2 = {f"{round(e * 255)}/255": e * math.sqrt(CIFAR_DIM) for e in LINF_BUDGETS}
    shipped_rows, headline = [], None
    for name in SHIPPED_CERTIFIED:
        record = _read_certified(name)
        if record is None:
            continue
        noise, ceiling = record["noise"], _file_ceiling(record)
        points = [
            ShippedPoint(
                name,
                f"{noise['name']} {noise['scale']} (layer {noise.get('layer', 0)})",
                record.get("norm", "l2"),
                int(record["n"]),
                int(record["examples"]),
                float(radius),
                float(accuracy),
                ceiling,
                ceiling is not None and float(radius) > ceiling,
            )
            for radius, accuracy in zip(record["radii"], record["certified_accuracy"])
        ]
        shipped_rows += points
        if name == HEADLINE_MODEL:
            inside = [p for p in points if p.radius <= linf_l2["8/255"] and not p.beyond_ceiling]
            if inside:
                h = inside[-1]
                headline = {
                    "model": name,
                    "radius": h.radius,
                    "accuracy": h.accuracy,
                    "n": h.n,
                    "examples": h.examples,
                    "ceiling": ceiling,
                    "command": record["command"],
                    "beyond": tuple(p.radius for p in points if p.beyond_ceiling),
                }
    try:
        argument = tradeoff.alpha_star_limits(dataset="cifar10")
    except ValueError:  # no shipped Gaussian certificates: the message keeps the toy and the ceilings
        argument = None
    small = tradeoff.what_is_small(seed=0, live=False)  # scene 10's shipped bounds (its moons toy, seed 0)
    return Limits(
        RADII,
        curves,
        toy_ceilings,
        table,
        CEILING_N,
        zoo_ceilings,
        linf_l2,
        float(smoothing.radius_ceiling(0.25, ALPHA, 100_000)),
        tuple(shipped_rows),
        headline,
        argument,
        toy_counts,
        cost_p,
        small,
    )


# ---------------------------------------------------------------------------- captions (computed)


def _percent(value: float) -> str:
    return f"{value:.0%}"


def attack_caption(attack: Attack, gallery: Gallery) -> str:
    """Message 1's sentence, from the counts of flipped points and images."""
    text = (
        f"A perturbation of at most **{attack.eps}** per coordinate ({attack.eps:.0%} of the data's range) "
        f"changes the decision on **{int(attack.fooled.sum())} of {len(attack.fooled)}** correctly "
        "classified points."
    )
    if gallery.model is not None:
        text += (
            f" On real images ({gallery.dimension} dimensions), PGD with the standard budget "
            f"**{gallery.eps:.3g}** per pixel flips **{gallery.flipped} of {gallery.attacked}** correctly "
            "classified ones."
        )
    return text


def certificates_caption(result: Certificates) -> str:
    """Message 2's sentence: how many points are certified, and whether n (the ceiling) capped radii."""
    text = (
        f"CERTIFY (n = {N_CERTIFY:,}, α = {ALPHA}) certifies **{result.certified} of {len(result.radius)}** "
        f"held-out points correctly; median radius {result.median_radius:.3f} (0 for abstentions and errors)."
    )
    if result.at_ceiling:
        verb = "reaches" if result.at_ceiling == 1 else "reach"
        text += (
            f" **{result.at_ceiling}** of them {verb} the ceiling σΦ⁻¹(α^(1/n)) = {result.ceiling:.3f}: all "
            "n draws agreed, so there the number of draws, not the network, limits α*."
        )
    else:
        text += (
            f" None reaches the ceiling σΦ⁻¹(α^(1/n)) = {result.ceiling:.3f}: every certified point had "
            "draws voting for another class, so its estimated p_A sets α*."
        )
    return text


def defenses_caption(result: Defenses) -> str:
    """Message 3's sentence: accuracies at ε and at the largest budget, and the clean-accuracy cost."""
    at = ", ".join(f"{name} **{_percent(value)}**" for name, value in result.at_eps.items())
    name, best = result.best_at_max
    text = (
        f"At ε = {result.eps}: {at}. At the largest budget ε = {result.budgets[-1]}, the best of the three, "
        f"{name}, keeps **{_percent(best)}**."
    )
    if result.clean_cost > 0:
        text += f" Adversarial training costs **{result.clean_cost:.0%}** of clean accuracy."
    else:
        text += " On this seed adversarial training costs no clean accuracy."
    return text


def toy_tradeoff_sentence(result: Limits) -> str:
    """The toy's trade-off over σ: larger radii at the largest σ, and its cost in certified accuracy at r = 0
    — stated
    as a trade-off only when that cost passes the paired exact test at tradeoff.VERDICT_LEVEL on the same
    points."""
    table = result.table
    low, high = 0, len(table["σ"]) - 1
    bigger = table["largest radius"][high] > table["largest radius"][low]
    costlier = table["certified accuracy, r = 0"][high] < table["certified accuracy, r = 0"][low]

    def reach(k: int) -> str:
        capped = table["largest radius"][k] >= table["ceiling σΦ⁻¹(α^{1/n})"][k] - 1e-9
        return f"{table['largest radius'][k]:.3f}" + (
            " (its ceiling: n, not p_A, stops it)" if capped else ""
        )

    counts = result.toy_counts or {}
    s_low, s_high = table["σ"][low], table["σ"][high]
    numbers = (
        f"σ = {s_high} certifies radii up to {reach(high)} at "
        f"{_percent(table['certified accuracy, r = 0'][high])} certified accuracy at r = 0; σ = {s_low} up "
        f"to {reach(low)} at {_percent(table['certified accuracy, r = 0'][low])}"
    )
    if counts and result.toy_cost_p is not None:
        numbers += (
            f" ({counts[s_high]} vs {counts[s_low]} of {CERTIFY_POINTS} points, paired exact test "
            f"p = {result.toy_cost_p:.2g})"
        )
    significant = result.toy_cost_p is not None and result.toy_cost_p < tradeoff.VERDICT_LEVEL
    if bigger and costlier and significant:
        return f"Trade-off on the toy: {numbers}."
    if bigger and costlier:
        return (
            f"On this seed the toy's accuracy cost is within sampling error of {CERTIFY_POINTS} points "
            f"(p ≥ {tradeoff.VERDICT_LEVEL:g}), so no verdict on the trade-off: {numbers}."
        )
    return f"On this seed the toy does not show the trade-off: {numbers}."


def headline_sentence(result: Limits) -> str:
    """The shipped headline model at the largest radius within both the ℓ∞ ball's ℓ2 size and its own ceiling,
    naming the file's radii that lie beyond that ceiling (0 % there by force of n)."""
    h = result.headline
    if h is None:
        return ""
    text = (
        f" Shipped {h['model']}: **{_percent(h['accuracy'])}** certified at r = {h['radius']:g} "
        f"({h['examples']} test images, n = {h['n']:,}"
    )
    if h["ceiling"] is not None:
        text += f", ceiling {h['ceiling']:.2f}"
    text += ")"
    if h.get("beyond"):
        many = len(h["beyond"]) > 1
        text += (
            "; its file's r = "
            + ", ".join(f"{r:g}" for r in h["beyond"])
            + f" {'lie' if many else 'lies'} beyond that ceiling, where its 0 % is forced by n, not measured"
        )
    return text + "."


def limits_caption(result: Limits) -> str:
    """Message 4's sentence: the toy's trade-off over σ, the ceiling against the ℓ∞ ball's ℓ2 size, what a
    ratio
    α*/attack distance near 1 says (scene 10), and the shipped headline — each clause from computed
    numbers."""
    text = toy_tradeoff_sentence(result)
    size = result.linf_l2["8/255"]
    below = result.ceiling_100k < size
    if result.argument is not None:
        text += " " + tradeoff.limits_caption(result.argument)
    text += (
        f" Even with n = 100,000 draws and σ = 0.25, CERTIFY returns at most **{result.ceiling_100k:.2f}**"
        f"{f' — below {size:.2f}' if below else f', which reaches {size:.2f}'}."
    )
    if result.small is not None and tradeoff.what_is_small_caption(result.small):
        text += " " + tradeoff.what_is_small_caption(result.small)
    return text + headline_sentence(result)


# ---------------------------------------------------------------------------- the scene


def take_home(*, eps: float = DEFAULTS["eps"], sigma: float = DEFAULTS["sigma"], seed: int = 0) -> TakeHome:
    """Everything the take-home scene shows for the attack budget ``eps`` (ℓ∞, message 1 and 3), the
    Gaussian noise ``sigma`` (messages 2 and 3) and the demo's ``seed``."""
    eps = checks.one_of(eps, EPS_OPTIONS, "The attack budget ε")
    sigma = checks.one_of(sigma, SIGMAS, "The noise σ")
    seed = check_seed(seed)
    attack, image_attack = toy_attack(eps=eps, seed=seed), gallery(seed=seed)
    certified, defended, bounds = certificates(sigma, seed), defenses(eps, sigma, seed), limits(seed)
    captions = {
        1: attack_caption(attack, image_attack),
        2: certificates_caption(certified),
        3: defenses_caption(defended),
        4: limits_caption(bounds),
    }
    return TakeHome(
        MESSAGES,
        attack,
        image_attack,
        certified,
        defended,
        bounds,
        captions,
        shipped=shipped.read(__name__, "curves", {"seed": seed}, [toy_spec(k, seed) for k in KINDS])
        is not None,
    )


def warm() -> None:
    """Preload what the scene opens with (ui.warmup calls it in the background): the shipped defaults."""
    take_home()
