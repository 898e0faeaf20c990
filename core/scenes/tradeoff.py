"""Scene 10 · The robustness–accuracy trade-off, and the best attacks against randomized defenses.

Three computations, each a plain function of widget values and the demo's seed:

- :func:`toy_tradeoff` — on the two moons, for each noise (Gaussian ℓ2, Laplace ℓ1, uniform ℓ1) and
  per-coordinate std, a toy network trained on x + ε, its smoothed classifier's clean accuracy
  (PREDICT) and certified accuracy at radius r (CERTIFY, Cohen et al. 2019);
- :func:`shipped_tradeoff` — the shipped trade-off tables of the zoo's models (assets/results,
  ``python -m core.experiments tradeoff``) beside Cohen et al.'s published CIFAR-10 numbers;
- :func:`toy_bounds` / :func:`image_bounds` / :func:`cifar_bounds` — one smoothed classifier F_rob, point by
  point: its certified radius α* (CERTIFY with n large enough that the ceiling σΦ⁻¹(α^{1/n}) lies above the
  radii compared) and the smallest ℓ2 perturbation that changes its vote found by SmoothAdv-PGD on F_rob
  itself (Salman et al. 2019; core.attacks.smoothed_attack_distance). Certified accuracy at ε is a lower
  bound on robust accuracy, the share of points the attack cannot flip within ε an upper bound. The toy
  defaults (seed 0 at every σ, the opening σ at every shipped seed; :func:`toy_bounds_parts`, through the
  scene kit core.scenes.shipped) and the CIFAR-10 distances (its "cifar" record) are shipped in
  assets/scenes/tradeoff.json by :func:`build`;
- :func:`alpha_star_limits` — "α* is still too small" as numbers from the shipped CIFAR-10 certificates: the
  ℓ2 size 8/255·√3072 of the ℓ∞ ball, certified accuracy there, the n its ceiling needs, p_A against σ.

Every random draw comes from ``core.seeds.stream_generator(seed, name)``. Results hold NumPy arrays
and floats only; every outcome a caption states is a field computed here.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
from dataclasses import dataclass, field

import numpy as np
import scipy.stats
import torch

from core import attacks, checks, data, evaluation, results, smoothing, toys, zoo
from core import noise as noises
from core.files import write_atomic
from core.scenes import common, shipped
from core.scenes.lecture import Prediction, Verdict, verdict_by_range
from core.scenes.parameters import Parameter, declare, defaults
from core.seeds import check_seed, stream_generator

# ---------------------------------------------------------------------------- the scene's choices

NOISES = ("gaussian", "laplace", "uniform")
TOY_STDS = (0.05, 0.1, 0.25)  # per-coordinate std, the same for every distribution
TOY_POINTS = 60  # held-out moons points
TOY_N0, TOY_N, TOY_ALPHA = 50, 2_000, 0.001  # CERTIFY / PREDICT on the toy (ceiling 2.9σ)
VERDICT_LEVEL = 0.05  # a toy verdict needs its gaps significant at this level (paired test)
TOY_EPS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3)  # ℓ2 budgets of the bounds chart
# Bounds: CERTIFY with n large enough that the ceiling σΦ⁻¹(α^{1/n}) (3.8σ) lies above the radii and attack
# distances compared; SmoothAdv with restarts and a bisection over ε, each point judged by F_rob's vote.
TOY_BOUNDS_N0, TOY_BOUNDS_N, TOY_VOTES = 100, 100_000, 1000
TOY_ATTACK = {"eps_max": 0.5, "search_steps": 8, "steps": 20, "draws": 32, "restarts": 2, "vote_alpha": 0.001}
IMAGE_EPS = (0.0, 0.25, 0.5, 1.0, 1.5, 2.0)
IMAGE_N0, IMAGE_N, IMAGE_VOTES = 100, 10_000, 500
IMAGE_ATTACK = {
    "eps_max": 2.0,
    "search_steps": 6,
    "steps": 10,
    "draws": 16,
    "restarts": 1,
    "vote_alpha": 0.001,
}
GALLERY_IMAGES, IMAGE_CHUNK = 20, 5  # foolbox's gallery, attacked 5 images per progress step
CIFAR_MODEL, CIFAR_IMAGES, CIFAR_VOTES = "cifar10-gaussian-0.25", 12, 500
RECERTIFY_N = 100_000  # for shipped rows at the n = 10,000 ceiling
LINF_BUDGETS = {"cifar10": 8 / 255, "mnist": 0.3, "fashion_mnist": 0.1}  # the usual ℓ∞ budgets
SHIPPED_RADIUS_DEFAULT = 0.5  # a shipped table opens at its radius nearest this one
PARAMETERS = declare(
    Parameter("radius", "p10_radius", 0.1, low=0.0, high=0.3, step=0.01),
    Parameter("noises", "p10_noises", ("gaussian",), choices=NOISES),
    Parameter("shipped_dataset", "p10_shipped_dataset", note="the first of shipped_datasets()"),
    Parameter(
        "shipped_radius", "p10_shipped_radius", note="the table's radius nearest SHIPPED_RADIUS_DEFAULT"
    ),
    Parameter("bounds_std", "p10_bounds_std", 0.1, choices=TOY_STDS),
    Parameter("model", "p10_model", note="the first of image_models()"),
)
DEFAULTS = defaults(PARAMETERS)
# The run that can certify 8/255·√3072 ≈ 1.74 on CIFAR-10: σ = 0.5 at Cohen et al.'s n = 100,000 (ceiling ≈
# 1.91; n = 10,000 stops at 1.60), on every 100th test image, written beside the main file as
# certify_<model>@<tag>.json.
MEASURE_MODEL, MEASURE_TAG = "cifar10-gaussian-0.50", "n100000"
MEASURE_N, MEASURE_EVERY, MEASURE_LIMIT = 100_000, 100, 100
MEASURE_COMMAND = (
    f"python -m core.experiments certify --name {MEASURE_MODEL} --n {MEASURE_N} --every {MEASURE_EVERY} "
    f"--limit {MEASURE_LIMIT} --tag {MEASURE_TAG} --resume --data-dir ../shared/data"
)
# Where Cohen et al.'s published CIFAR-10 constants (evaluation.COHEN_CIFAR10) come from, as the paper states
# it: the revised arXiv version (1902.02918, which already cites Salman et al. 2019) prints them in Appendix
# E, Table 3, and says the CIFAR-10 models were certified on the full test set. The first version's table (and
# locuslab/smoothing's analysis/latex/vary_noise_cifar10) certified 500 test images and reads 0.60 / 0.43 /
# 0.27 at r = 0.25 / 0.5 / 0.75 for σ = 0.25 — not these numbers.
COHEN_SOURCE = (
    "Cohen et al. 2019 (revised arXiv version), Appendix E, Table 3 — the curves of its Figure 6: "
    "ResNet-110, CERTIFY with n₀ = 100, n = 100,000, α = 0.001 on the full CIFAR-10 test set "
    "(10,000 images)"
)
COHEN_N, COHEN_ALPHA = 100_000, 0.001
BATCH = 20_000

SCENE_FILE = shipped.scene_file(__name__)  # the toy bounds (the scene kit) and the "cifar" record
BUILD_COMMAND = "python -m core.scenes build --scene p10_tradeoff"

# Lecture mode (core.scenes.lecture): what the page reveals at each step, in order.
STEPS = (
    "Question: is α* larger than what the best attack on F_rob needs?",
    "Clean vs certified accuracy across noises",
    "The shipped trade-off tables",
    "Certified vs empirical: the bounds",
    "The answer, computed",
)

EXPLANATION = r"""
**More noise, larger certificates, lower accuracy.** With $\varepsilon\sim\mathcal N(0,\sigma^2 I)$ the
certificate $\alpha^* = \sigma\,\Phi^{-1}(\underline{p_A})$ grows with $\sigma$, but the base classifier sees
noisier inputs, so the smoothed classifier's clean accuracy drops. *Certified accuracy at radius $r$* is the
share of test points that $F_{\mathrm{rob}}$ classifies correctly **with** $\alpha^* \ge r$ — a lower bound on
robust accuracy; the accuracy under the strongest attack we run on $F_{\mathrm{rob}}$ itself (SmoothAdv,
Salman et al. 2019) is an upper bound. CERTIFY with $n$ samples can never return more than
$\sigma\Phi^{-1}(\alpha^{1/n})$ (the *ceiling*, drawn on the charts), so
$\alpha^* = \min(\sigma\Phi^{-1}(\underline{p_A}), \sigma\Phi^{-1}(\alpha^{1/n}))$. Below, α* is compared with
two things that answer different questions: the distance that attack needs (how *tight* the certificate is — a
sound α* never exceeds it) and the ℓ2 size of the ℓ∞ ball attacks use (how *large* a certificate would have to
be).
"""
USES = (
    "two moons (core.toys: 400 points, 30 % held out) with 2-64-64-2 networks trained on x + ε for each "
    "noise "
    "and std (shipped for seed 0); the zoo's noise-trained models on foolbox's gallery images (on demand); "
    "shipped trade-off tables and CERTIFY rows (assets/results); SmoothAdv distances on "
    f"{CIFAR_IMAGES} of those CIFAR-10 test images (assets/scenes/tradeoff.json, python -m core.scenes build "
    "--scene p10_tradeoff)."
)
TOY_NOTE = (
    "Gaussian radii are ℓ2; Laplace and uniform radii are ℓ1 (an ℓ1 ball of radius r sits inside the ℓ2 "
    "ball of radius r, so their certificates are weaker at the same r)."
)
BOUNDS_NOTE = (
    "The true robust accuracy of F_rob lies between the two curves (up to α and Monte Carlo error). Both "
    "concern F_rob: the attack is SmoothAdv-PGD ℓ2 on −log E_ε[softmax F(x + ε)] (Salman et al. 2019) with "
    "restarts and a bisection on the smallest ε at which F_rob's vote changes; its step 2.5·ε/steps is a "
    "later heuristic, not Madry et al.'s."
)


def toy_spec(noise: str, std: float, seed: int) -> toys.ToySpec:
    """The toy base network of the scene: ToySpec defaults, trained on x + ε with ε of ``noise`` at
    ``std``."""
    return toys.ToySpec(noise=(noise, float(std)), seed=seed)


def opening_toys(seed: int) -> list[toys.ToySpec]:
    """The toy networks the page opens with at ``seed``: Gaussian noise at every std (the default noise of the
    trade-off; the bounds' σ is one of them)."""
    return [toy_spec("gaussian", std, seed) for std in TOY_STDS]


# Seed 0: every noise and std; the other shipped seeds: the opening ones.
SHIPPED_TOYS = [toy_spec(name, std, 0) for name in NOISES for std in TOY_STDS] + [
    spec for seed in toys.SHIPPED_SEEDS if seed != 0 for spec in opening_toys(seed)
]


# ---------------------------------------------------------------------------- checks


def _check_noises(chosen) -> tuple[str, ...]:
    if isinstance(chosen, str):
        chosen = (chosen,)
    chosen = tuple(chosen)
    if not chosen:
        raise ValueError("Pick at least one noise distribution.")
    unknown = [name for name in chosen if name not in NOISES]
    if unknown or len(set(chosen)) != len(chosen):
        raise ValueError(f"Noises must be distinct names among {', '.join(NOISES)}; got {chosen!r}.")
    return chosen


def _check_std(std) -> float:
    return checks.one_of(std, TOY_STDS, "The noise std")


def _check_radius(radius) -> float:
    if isinstance(radius, bool) or not isinstance(radius, (int, float)) or not 0 <= radius < math.inf:
        raise ValueError(f"The radius r must be a finite number ≥ 0; got {radius!r}.")
    return float(radius)


# ---------------------------------------------------------------------------- vote counts


def _counts(model, x, noise, num, generator) -> np.ndarray:
    return smoothing.sample_counts_many(
        model, x, noise=noise, num=num, batch_size=BATCH, chunk=BATCH, generator=generator
    ).numpy()


# ---------------------------------------------------------------------------- live toy trade-off


@dataclass(frozen=True)
class TradeoffRow:
    noise: str
    std: float
    scale: float
    norm: str  # "l2" (Gaussian) or "l1" (Laplace, uniform)
    clean_accuracy: float  # PREDICT correct (abstentions wrong)
    certified_accuracy: float  # at the chosen radius
    certified_accuracy_at_0: float
    abstain_rate: float  # CERTIFY abstentions
    ceiling: float  # largest radius CERTIFY can return at (n, α)
    beyond_ceiling: bool  # r > ceiling: no point can be certified at r


@dataclass(frozen=True)
class NoiseFacts:
    """Which std leads clean accuracy and which leads certified accuracy at r, and whether the gaps between
    them exceed the sampling error of the held-out points (a paired exact test,
    :func:`paired_difference_p`)."""

    noise: str
    most_accurate: tuple[float, ...]  # the std(s) with the best clean accuracy
    most_certified: tuple[float, ...]  # the std(s) with the best certified accuracy at r
    points: int = TOY_POINTS
    compared: tuple[float, float] | None = None  # (most accurate std, most certified std) when they differ
    clean_counts: tuple[int, int] = (0, 0)  # clean-correct points of the two compared stds
    certified_counts: tuple[int, int] = (0, 0)  # points certified at r of the two compared stds
    clean_p: float | None = None  # paired exact test of the clean-accuracy gap (None: one std leads both)
    certified_p: float | None = None  # paired exact test of the certified-accuracy gap
    verdict: str = (
        "none"  # "tradeoff": both gaps significant; "undecided": one is not; "none": one std leads both
    )

    @property
    def tradeoff(self) -> bool:
        """No std is best at both, beyond sampling error: accuracy is paid for robustness."""
        return self.verdict == "tradeoff"


@dataclass(frozen=True)
class Tradeoff:
    radius: float
    noises: tuple[str, ...]
    rows: tuple[TradeoffRow, ...]
    facts: tuple[NoiseFacts, ...]
    points: int
    n0: int
    n: int
    alpha: float

    def of(self, noise: str) -> list[TradeoffRow]:
        return [row for row in self.rows if row.noise == noise]


@functools.lru_cache(maxsize=64)
def _toy_certificates(
    seed: int, noise_name: str, std: float, points: int, n0: int, n: int, alpha: float
) -> dict:
    """PREDICT and CERTIFY of the smoothed toy network (trained with that noise) on held-out points."""
    spec = toy_spec(noise_name, std, seed)
    model = toys.model(spec)
    split = toys.split(spec)
    x, y = split.x_test[:points], split.y_test[:points].numpy()
    noise = noises.make(noise_name, noises.scale_for_std(noise_name, std))
    stream = f"toy {noise_name} {std:g}"
    with torch.inference_mode():
        certify_draws = stream_generator(seed, f"{stream} certify")
        selection = _counts(model, x, noise, n0, certify_draws)
        estimation = _counts(model, x, noise, n, certify_draws)
        votes = _counts(model, x, noise, n, stream_generator(seed, f"{stream} predict"))
    certified = smoothing.certify_counts(selection, estimation, noise, alpha, dim=2)
    return {
        "labels": y,
        "predict": smoothing.predict_counts(votes, alpha),
        "certify": certified.prediction,
        "radius": certified.radius,
        "noise": noise,
    }


def toy_tradeoff(
    *, seed: int = 0, noises_chosen: tuple[str, ...] = ("gaussian",), radius: float = DEFAULTS["radius"]
) -> Tradeoff:
    """Clean vs certified accuracy of the smoothed toy classifiers across noise stds.

    For each noise and std s in TOY_STDS, F is trained on x + ε (ε of per-coordinate std s) and
    F_rob(x) = argmax_c P(F(x + ε) = c). Clean accuracy: PREDICT (n, α); certified accuracy at r:
    (1/m) Σ 1{CERTIFY correct and α* ≥ r} (Cohen et al. 2019, §4), α* = σΦ⁻¹(p_A_lower) (ℓ2, Gaussian)
    or the ℓ1 radii of Teng et al. 2020 (Laplace) and Yang et al. 2020 (uniform). Changing r only
    changes which certificates count (the certificates are cached per seed, noise and std).
    """
    check_seed(seed)
    chosen = _check_noises(noises_chosen)
    radius = _check_radius(radius)
    rows, facts = [], []
    for name in chosen:
        part, hits = [], {}
        for std in TOY_STDS:
            c = _toy_certificates(seed, name, std, TOY_POINTS, TOY_N0, TOY_N, TOY_ALPHA)
            correct = (c["certify"] == c["labels"]) & (c["certify"] != smoothing.ABSTAIN)
            top = smoothing.certify_ceiling(c["noise"], TOY_ALPHA, TOY_N)
            hits[std] = (c["predict"] == c["labels"], correct & (c["radius"] >= radius))
            part.append(
                TradeoffRow(
                    noise=name,
                    std=std,
                    scale=c["noise"].scale,
                    norm=c["noise"].certified_norm,
                    clean_accuracy=float(np.mean(hits[std][0])),
                    certified_accuracy=float(np.mean(hits[std][1])),
                    certified_accuracy_at_0=float(np.mean(correct)),
                    abstain_rate=float(np.mean(c["certify"] == smoothing.ABSTAIN)),
                    ceiling=top,
                    beyond_ceiling=radius > top,
                )
            )
        rows += part
        facts.append(noise_facts(name, hits))
    return Tradeoff(radius, chosen, tuple(rows), tuple(facts), TOY_POINTS, TOY_N0, TOY_N, TOY_ALPHA)


def paired_difference_p(a, b) -> float:
    """McNemar's exact test (McNemar 1947) that two classifiers scored on the SAME points succeed equally
    often: with n₁₀ points right for ``a`` only and n₀₁ for ``b`` only, p = min(1, 2·P(X ≤ min(n₁₀, n₀₁))),
    X ~ Bin(n₁₀ + n₀₁, ½) (smoothing.binomial_half_p_value); 1 when no point differs. ``a`` and ``b`` are
    boolean arrays, one entry per point."""
    a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(
            f"Paired outcomes must be two 1-D arrays of the same length; got {a.shape} and {b.shape}."
        )
    only_a, only_b = int(np.sum(a & ~b)), int(np.sum(b & ~a))
    return float(smoothing.binomial_half_p_value(max(only_a, only_b), min(only_a, only_b)))


def standard_error(successes: int, points: int) -> float:
    """The binomial standard error √(p(1 − p)/m) of a share p = successes/m measured on m points."""
    p = successes / points
    return math.sqrt(p * (1 - p) / points)


def noise_facts(noise: str, hits: dict) -> NoiseFacts:
    """The verdict on one noise from each std's per-point outcomes ``hits[std] = (clean correct, certified at
    r)``: "none" when one std leads both (ties included); else "tradeoff" only when the most accurate std's
    clean lead and the most certified std's certified lead both pass the paired exact test at VERDICT_LEVEL
    (the closest pair of leaders is the one compared), "undecided" otherwise — a gap of a point or two is
    within sampling error."""
    clean = {std: int(h[0].sum()) for std, h in hits.items()}
    certified = {std: int(h[1].sum()) for std, h in hits.items()}
    accurate = tuple(std for std in hits if clean[std] == max(clean.values()))
    best = tuple(std for std in hits if certified[std] == max(certified.values()))
    points = len(next(iter(hits.values()))[0])
    if set(accurate) & set(best):
        return NoiseFacts(noise, accurate, best, points)
    pairs = [
        (a, c, paired_difference_p(hits[a][0], hits[c][0]), paired_difference_p(hits[c][1], hits[a][1]))
        for a in accurate
        for c in best
    ]
    a, c, clean_p, certified_p = max(pairs, key=lambda pair: max(pair[2], pair[3]))
    verdict = "tradeoff" if max(clean_p, certified_p) < VERDICT_LEVEL else "undecided"
    return NoiseFacts(
        noise,
        accurate,
        best,
        points,
        (a, c),
        (clean[a], clean[c]),
        (certified[c], certified[a]),
        clean_p,
        certified_p,
        verdict,
    )


# ---------------------------------------------------------------------------- shipped tables


@dataclass(frozen=True)
class ShippedRow:
    model: str
    noise: str
    norm: str
    n: int
    examples: int
    radii: tuple[float, ...]
    curve: tuple[float, ...]  # certified accuracy at each radius
    ceiling: float | None = (
        None  # CERTIFY's ceiling at (n, α) in pixel space; None for noise inside the network
    )

    def at(self, radius: float) -> float | None:
        return self.curve[self.radii.index(radius)] if radius in self.radii else None


@dataclass(frozen=True)
class ShippedTable:
    dataset: str
    rows: tuple[ShippedRow, ...]
    radii: tuple[float, ...]  # every radius of the table
    default_radius: float
    command: str
    computed_on: str
    cohen: tuple[tuple[float, tuple[float, ...]], ...]  # (σ, curve at COHEN_RADII): published, CIFAR-10 only
    cohen_radii: tuple[float, ...]
    cohen_ceilings: tuple[
        float, ...
    ] = ()  # per σ of ``cohen``: σΦ⁻¹(α^{1/n}) at their n = 100,000, α = 0.001
    cohen_source: str = COHEN_SOURCE

    def cohen_beyond(self, radius: float) -> tuple[float, ...]:
        """The σ of Cohen et al.'s curves whose ceiling lies below ``radius``: their 0 there is forced by
        n."""
        return tuple(s for (s, _), top in zip(self.cohen, self.cohen_ceilings) if radius > top)


def shipped_datasets() -> list[str]:
    """Datasets with a shipped trade-off table (assets/results/tradeoff_<dataset>.json)."""
    return common.ordered(results.available("tradeoff"), ["cifar10", "mnist"])


def _shipped_ceiling(row: dict) -> float | None:
    """certify_ceiling of a shipped row's noise at its n (α of the certify results), for noise at the
    input."""
    if row["noise"].get("layer", 0):
        return None
    try:
        alpha = float(results.read("certify", row["model"])["alpha"])
    except ValueError:
        alpha = TOY_ALPHA
    return smoothing.certify_ceiling(
        noises.make(row["noise"]["name"], float(row["noise"]["scale"])), alpha, int(row["n"])
    )


def shipped_tradeoff(*, dataset: str = "cifar10") -> ShippedTable:
    """The shipped trade-off table of ``dataset``: certified accuracy of each noise-trained zoo
    model at each radius (CERTIFY on the test set, ``python -m core.experiments tradeoff``), and for
    CIFAR-10 Cohen et al.'s published ResNet-110 curves (evaluation.COHEN_CIFAR10: :data:`COHEN_SOURCE`)
    with the ceiling σΦ⁻¹(α^{1/n}) of their n = 100,000, α = 0.001 (their 0.00 above it is forced by n)."""
    if dataset not in shipped_datasets():
        raise ValueError(
            f"No shipped trade-off table for {dataset!r}: run python -m core.experiments tradeoff "
            f"--dataset {dataset}, or pick one of {', '.join(shipped_datasets()) or 'none'}."
        )
    table = results.read("tradeoff", dataset)
    rows = tuple(
        ShippedRow(
            row["model"],
            row["noise"]["name"],
            row["norm"],
            int(row["n"]),
            int(row["examples"]),
            tuple(map(float, row["radii"])),
            tuple(map(float, row["certified_accuracy"])),
            _shipped_ceiling(row),
        )
        for row in table["rows"]
    )
    radii = tuple(sorted({r for row in rows for r in row.radii}))
    cohen = tuple((s, tuple(c)) for s, c in evaluation.COHEN_CIFAR10.items()) if dataset == "cifar10" else ()
    return ShippedTable(
        dataset,
        rows,
        radii,
        min(radii, key=lambda r: abs(r - SHIPPED_RADIUS_DEFAULT)),
        table.get("command", ""),
        table.get("computed_on", ""),
        cohen,
        tuple(evaluation.COHEN_RADII),
        tuple(float(smoothing.radius_ceiling(s, COHEN_ALPHA, COHEN_N)) for s, _ in cohen),
    )


# ---------------------------------------------------------------------------- bounds: certified vs attacked


@dataclass(frozen=True)
class Bounds:
    """One smoothed classifier F_rob on m inputs: its certificates (a lower bound on robust accuracy) and
    the smallest perturbation an attack on F_rob itself finds (an upper bound), point by point."""

    title: str
    noise: str  # label of the Gaussian noise, e.g. "Gaussian σ=0.1"
    sigma: float
    eps: np.ndarray  # ℓ2 budgets of the chart
    empirical: np.ndarray  # share of inputs whose F_rob vote is right and no attack within ε flips it
    certified: np.ndarray  # certified accuracy at radius ε (CERTIFY)
    radius: np.ndarray  # per input: certified α* (0 when CERTIFY abstains or is wrong)
    certified_correct: np.ndarray  # per input: CERTIFY returned the label (not abstained)
    attack_distance: np.ndarray  # per input: ℓ2 distance of the closest vote-changing x' found on F_rob
    # (0: the vote at x is already wrong; inf: none within attack["eps_max"])
    ceiling: float  # largest radius CERTIFY can return at (n, α)
    examples: int
    n0: int
    n: int
    alpha: float
    votes: int  # draws of F_rob's vote that judges each attacked point
    attack: dict  # smoothed_attack_distance settings (eps_max, search_steps, steps, draws, restarts)
    linf: float | None = None  # the dataset's usual ℓ∞ budget (images)
    linf_l2: float | None = None  # its ℓ2 size linf·√d
    shipped: bool = False  # read from assets/scenes/tradeoff.json
    note: str = ""  # how the certificates were obtained, when not one CERTIFY run
    facts: dict = field(default_factory=dict)

    @property
    def radii(self) -> np.ndarray:
        """α* of the inputs CERTIFY gets right."""
        return self.radius[self.certified_correct]

    @property
    def distances(self) -> np.ndarray:
        """The attack distance of the same inputs (paired with :attr:`radii`)."""
        return self.attack_distance[self.certified_correct]


def _facts(b: Bounds) -> dict:
    """The outcomes the captions state, computed from the numbers."""
    above = [float(e) for e, c, m in zip(b.eps, b.certified, b.empirical) if c > m]
    radii, distances = b.radii, b.distances
    finite = np.isfinite(distances) & (distances > 0)
    beaten = radii > distances + 1e-6  # an attack inside a certified ball
    return {
        "median_radius": float(np.median(radii)) if radii.size else None,
        "median_attack": float(np.median(distances)) if radii.size else None,  # may be inf
        "median_ratio": float(np.median(radii[finite] / distances[finite])) if finite.any() else None,
        "paired": int(finite.sum()),
        "beaten": int(beaten.sum()),  # 0 for sound certificates (up to α and the vote's error)
        "not_found": int(np.isinf(distances).sum()),
        "ordered": not above,  # certified ≤ empirical at every ε
        "certified_above_empirical_at": above,
        "at_ceiling": int(np.sum(radii >= b.ceiling - 1e-9)),
        "linf_beyond_all": None if b.linf_l2 is None or not radii.size else bool(b.linf_l2 > radii.max()),
        "largest_radius": float(radii.max()) if radii.size else None,
    }


def _certify_part(model, x, y, *, noise, n0, n, alpha, seed, stream) -> dict:
    """CERTIFY (Cohen et al. 2019) on every input: α* per input (0 unless certified and correct)."""
    with torch.inference_mode():
        draws = stream_generator(seed, f"{stream} certify")
        selection, estimation = _counts(model, x, noise, n0, draws), _counts(model, x, noise, n, draws)
    certified = smoothing.certify_counts(selection, estimation, noise, alpha, dim=int(x[0].numel()))
    correct = (certified.prediction == y.numpy()) & (certified.prediction != smoothing.ABSTAIN)
    return {"radius": np.where(correct, certified.radius, 0.0), "correct": correct}


def _attack_part(model, x, y, *, noise, votes, attack, seed, stream) -> dict:
    """The SmoothAdv distance of every input (core.attacks.smoothed_attack_distance) on F_rob itself."""
    draws = stream_generator(seed, f"{stream} smoothadv")
    distance, _ = attacks.smoothed_attack_distance(
        model, x, y, noise=noise, votes=votes, generator=draws, **attack
    )
    return {"attack_distance": distance.numpy().astype(float)}


def _assemble(parts: dict, *, noise, eps_list, n0, n, alpha, votes, attack, title, **extra) -> Bounds:
    """A Bounds from its per-input parts; ``extra``: Bounds' linf, linf_l2, shipped, note."""
    radius, correct = np.asarray(parts["radius"], dtype=float), np.asarray(parts["correct"], dtype=bool)
    distance = np.array([math.inf if d is None else d for d in parts["attack_distance"]], dtype=float)
    eps = np.asarray(eps_list, dtype=float)
    b = Bounds(
        title=title,
        noise=noise.label,
        sigma=float(noise.scale),
        eps=eps,
        empirical=np.array([np.mean(distance > e) for e in eps]),
        certified=np.array([np.mean(correct & (radius >= e)) for e in eps]),
        radius=radius,
        certified_correct=correct,
        attack_distance=distance,
        ceiling=smoothing.certify_ceiling(noise, alpha, n),
        examples=len(radius),
        n0=n0,
        n=n,
        alpha=alpha,
        votes=votes,
        attack=dict(attack),
        **extra,
    )
    return dataclasses.replace(b, facts=_facts(b))


@dataclass(frozen=True)
class ToyBoundsParts:
    """The per-point parts of :func:`toy_bounds` (what is shipped): CERTIFY's α* and correctness, and the
    distance at which SmoothAdv changes F_rob's vote."""

    radius: np.ndarray  # float64: certified α* (0 unless CERTIFY returns the label)
    correct: np.ndarray  # bool: CERTIFY returned the label
    attack_distance: np.ndarray  # float64: SmoothAdv's distance (inf: none within attack["eps_max"])


def _toy_bounds_call(seed: int, std: float) -> dict:
    """The arguments of :func:`toy_bounds_parts` at (seed, std): the bounds' settings are part of the shipped
    key, so parts with other settings are computed, never read."""
    return dict(
        seed=seed,
        std=std,
        points=TOY_POINTS,
        n0=TOY_BOUNDS_N0,
        n=TOY_BOUNDS_N,
        alpha=TOY_ALPHA,
        votes=TOY_VOTES,
        attack=tuple(TOY_ATTACK.items()),
    )


def _toy_bounds_parts(
    seed: int, std: float, *, points, n0, n, alpha, votes, attack, parts=("certify", "attack")
) -> dict:
    spec = toy_spec("gaussian", std, seed)
    split = toys.split(spec)
    model, noise, stream = toys.model(spec), noises.make("gaussian", std), f"toy bounds {std:g}"
    x, y = split.x_test[:points], split.y_test[:points]
    out, same = {}, {"noise": noise, "seed": seed, "stream": stream}
    if "certify" in parts:
        out |= _certify_part(model, x, y, n0=n0, n=n, alpha=alpha, **same)
    if "attack" in parts:
        out |= _attack_part(model, x, y, votes=votes, attack=dict(attack), **same)
    return out


@functools.lru_cache(maxsize=16)
def toy_bounds_parts(
    *, seed: int, std: float, points: int, n0: int, n: int, alpha: float, votes: int, attack: tuple
) -> ToyBoundsParts:
    """:func:`toy_bounds_parts_live`, shipped at :func:`shipped_toy_bounds_keys` with the settings of
    :func:`_toy_bounds_call`."""
    return shipped.or_live(toy_bounds_parts_live, locals(), depends=[toy_spec("gaussian", std, seed)])


def toy_bounds_parts_live(*, seed: int, std: float, **settings) -> ToyBoundsParts:
    """CERTIFY (n0, n, α) and the SmoothAdv distance (``votes``; ``attack``: the (name, value) pairs of
    core.attacks.smoothed_attack_distance's settings) of the toy's smoothed classifier at σ = ``std`` on the
    first ``points`` held-out points (``settings``: the other arguments of :func:`toy_bounds_parts`)."""
    return ToyBoundsParts(**_toy_bounds_parts(seed, std, **settings))


def _shipped_toy_parts(seed: int, std: float) -> ToyBoundsParts | None:
    """The shipped parts at (seed, std) for today's settings and toy weights, else None (never computed)."""
    depends = [toy_spec("gaussian", std, seed)]
    return shipped.read(__name__, "toy_bounds_parts", _toy_bounds_call(seed, std), depends)


def toy_bounds(*, seed: int = 0, std: float = DEFAULTS["bounds_std"]) -> Bounds:
    """Lower and upper bounds on the ℓ2 robust accuracy of the smoothed toy classifier (Gaussian σ = std),
    both about the SAME classifier F_rob:

    certified(ε) = (1/m) Σ 1{CERTIFY correct, α* ≥ ε} (Cohen et al. 2019, n = TOY_BOUNDS_N so the ceiling
    σΦ⁻¹(α^{1/n}) lies above the radii) ≤ robust accuracy ≤ empirical(ε) = (1/m) Σ 1{d_i > ε}, d_i the
    smallest ℓ2 perturbation that changes F_rob's vote found by SmoothAdv-PGD with restarts and a
    bisection over ε (Salman et al. 2019; core.attacks.smoothed_attack_distance). Point by point,
    α*_i ≤ d_i. The parts (:func:`toy_bounds_parts`) of a shipped (seed, σ) (:func:`shipped_toy_bounds_keys`)
    are read from assets/scenes/tradeoff.json when their settings and toy weights match.
    """
    check_seed(seed)
    std = _check_std(std)
    parts = _shipped_toy_parts(seed, std)
    shipped_parts = parts is not None
    if parts is None:
        parts = toy_bounds_parts(**_toy_bounds_call(seed, std))
    return _assemble(
        dataclasses.asdict(parts),
        noise=noises.make("gaussian", std),
        eps_list=TOY_EPS,
        n0=TOY_BOUNDS_N0,
        n=TOY_BOUNDS_N,
        alpha=TOY_ALPHA,
        votes=TOY_VOTES,
        attack=TOY_ATTACK,
        shipped=shipped_parts,
        title=f"F_rob with σ = {std:g}: {TOY_POINTS} held-out points",
    )


# ------------------------------------------------------------------------- bounds on images (behind a button)


def image_parts() -> tuple[str, ...]:
    """The parts of :func:`image_bounds`, in order, so a page can show progress: CERTIFY, then the
    attack distances of the gallery images, IMAGE_CHUNK images at a time."""
    return ("certify",) + tuple(f"attack {k}" for k in range(0, GALLERY_IMAGES, IMAGE_CHUNK))


def part_label(part: str) -> str:
    if part == "certify":
        return f"CERTIFY (n = {IMAGE_N:,})"
    start = int(part.split()[1])
    return f"SmoothAdv distances, images {start + 1}–{min(start + IMAGE_CHUNK, GALLERY_IMAGES)}"


def image_models() -> list[str]:
    """Zoo models trained with Gaussian noise at the input (ℓ2 certificates, comparable with ℓ2 attacks)."""
    names = [name for name in common.noisy_input_models() if zoo.noise_record(name)["name"] == "gaussian"]
    return common.ordered(names, ["cifar10-gaussian-0.25", "mnist-gaussian-0.25"])


def _check_image_model(model_name: str) -> str:
    if model_name not in image_models():
        raise ValueError(
            f"{model_name!r} is not a zoo model trained with Gaussian noise at the input; "
            f"pick one of {', '.join(image_models()) or '(none built yet)'}."
        )
    return model_name


@functools.lru_cache(maxsize=32)
def _image_part(model_name: str, seed: int, part: str) -> dict:
    noise, _ = common.zoo_noise(model_name)
    x, y = common.gallery(common.dataset_of(model_name))
    model, stream = zoo.shared_base(model_name), f"image bounds {model_name}"
    if part == "certify":
        return _certify_part(
            model, x, y, noise=noise, n0=IMAGE_N0, n=IMAGE_N, alpha=TOY_ALPHA, seed=seed, stream=stream
        )
    start = int(part.split()[1])
    chunk, stream = slice(start, start + IMAGE_CHUNK), f"{stream} {start}"
    return _attack_part(
        model,
        x[chunk],
        y[chunk],
        noise=noise,
        votes=IMAGE_VOTES,
        attack=IMAGE_ATTACK,
        seed=seed,
        stream=stream,
    )


def image_part(*, model_name: str, seed: int = 0, part: str = "certify") -> dict:
    """One part of :func:`image_bounds` (``part`` in :func:`image_parts`), so a page can show progress."""
    check_seed(seed)
    _check_image_model(model_name)
    if part not in image_parts():
        raise ValueError(f"part must be one of {', '.join(image_parts())}; got {part!r}.")
    return _image_part(model_name, seed, part)


def _linf_l2(dataset: str, dim: int) -> tuple[float | None, float | None]:
    linf = LINF_BUDGETS.get(dataset)
    return linf, None if linf is None else linf * math.sqrt(dim)


def image_bounds(*, model_name: str = "cifar10-gaussian-0.25", seed: int = 0) -> Bounds:
    """:func:`toy_bounds` for a zoo model trained with Gaussian noise, on its gallery images (CERTIFY with
    n = IMAGE_N, SmoothAdv distances on F_rob), with the ℓ2 size linf·√d of the dataset's usual ℓ∞
    budget (an ℓ∞ ball of radius linf contains points at ℓ2 distance linf·√d)."""
    check_seed(seed)
    _check_image_model(model_name)
    parts = {"attack_distance": []}
    for part in image_parts():  # the distances come in the order of the images
        for key, value in _image_part(model_name, seed, part).items():
            parts[key] = list(parts[key]) + list(value) if key == "attack_distance" else value
    dataset = common.dataset_of(model_name)
    noise, _ = common.zoo_noise(model_name)
    linf, linf_l2 = _linf_l2(dataset, int(common.gallery(dataset)[0][0].numel()))
    return _assemble(
        parts,
        noise=noise,
        eps_list=IMAGE_EPS,
        n0=IMAGE_N0,
        n=IMAGE_N,
        alpha=TOY_ALPHA,
        votes=IMAGE_VOTES,
        attack=IMAGE_ATTACK,
        linf=linf,
        linf_l2=linf_l2,
        title=f"{model_name}: {len(parts['radius'])} gallery images",
    )


# --------------------------------------------------------------- CIFAR-10: the shipped certificates, attacked


def cifar_bounds() -> Bounds | None:
    """Certified radius against SmoothAdv distance for the SAME smoothed classifier on CIFAR-10 test images:
    the shipped CERTIFY rows of CIFAR_MODEL (assets/results, n = 10,000; rows at that n's ceiling
    recertified with n = RECERTIFY_N) and the attack distances computed by :func:`build` on the same
    images. None when assets/scenes/tradeoff.json holds no record for today's model."""
    record = shipped.kept(__name__, "cifar")
    if (
        not isinstance(record, dict)
        or record.get("model") != CIFAR_MODEL
        or record.get("settings") != json.loads(json.dumps(_cifar_settings()))
    ):
        return None
    try:
        if zoo.entry(CIFAR_MODEL).get("sha256") != record.get("model_sha256"):
            return None
    except ValueError:
        return None
    noise = noises.make("gaussian", record["sigma"])
    n = max(record["n"])
    linf, linf_l2 = _linf_l2("cifar10", 3 * 32 * 32)
    recertified = sum(1 for k in record["n"] if k > min(record["n"]))
    note = (
        f"Certificates: the shipped rows (n = {min(record['n']):,}); {recertified} of them sat at that n's "
        "ceiling "
        f"and were recertified with n = {n:,}."
        if recertified
        else f"Certificates: the shipped rows (n = {n:,}); none sat at the ceiling."
    )
    return _assemble(
        record["parts"],
        noise=noise,
        eps_list=IMAGE_EPS,
        n0=record["n0"],
        n=n,
        alpha=record["alpha"],
        votes=CIFAR_VOTES,
        attack=IMAGE_ATTACK,
        linf=linf,
        linf_l2=linf_l2,
        shipped=True,
        note=note,
        title=f"{CIFAR_MODEL}: {len(record['parts']['radius'])} CIFAR-10 test images",
    )


def _cifar_settings() -> dict:
    return {"images": CIFAR_IMAGES, "votes": CIFAR_VOTES, "attack": IMAGE_ATTACK, "recertify_n": RECERTIFY_N}


def _cifar_record(log=print) -> dict:
    """Attack the shipped certificates' images of CIFAR_MODEL (see :func:`cifar_bounds`); needs the data."""
    from core import runs

    recertified = runs.recertify_at_ceiling(CIFAR_MODEL, n=RECERTIFY_N, limit=CIFAR_IMAGES, log=log)
    shipped, rows = recertified["record"], recertified["rows"]
    x, y = data.load_local("cifar10", "test", every=shipped["every"], limit=len(rows))
    noise = noises.make("gaussian", shipped["noise"]["scale"])
    model = zoo.shared_base(CIFAR_MODEL)
    radius = [float(row["radius"]) if row["correct"] else 0.0 for row in rows]
    correct = [bool(row["correct"]) for row in rows]
    log(f"tradeoff: SmoothAdv distances on {len(rows)} CIFAR-10 images …")
    stream = f"cifar bounds {CIFAR_MODEL}"
    attacked = _attack_part(
        model, x, y, noise=noise, votes=CIFAR_VOTES, attack=IMAGE_ATTACK, seed=0, stream=stream
    )
    distance = attacked["attack_distance"]
    return {
        "model": CIFAR_MODEL,
        "model_sha256": shipped["model_sha256"],
        "sigma": shipped["noise"]["scale"],
        "n0": shipped["n0"],
        "n": recertified["n"],
        "alpha": shipped["alpha"],
        "indices": [row["index"] for row in rows],
        "settings": _cifar_settings(),
        "certify_command": shipped["command"],
        "parts": {"radius": radius, "correct": correct, "attack_distance": _finite_or_none(distance)},
    }


def _finite_or_none(values) -> list:
    return [float(v) if math.isfinite(v) else None for v in values]


# ---------------------------------------------------------------------------- is α* too small? the numbers


@dataclass(frozen=True)
class LimitRow:
    """One shipped Gaussian model's certificates (one result file) at the ℓ2 size of the ℓ∞ ball."""

    model: str
    sigma: float
    n: int
    examples: int
    ceiling: float  # certify_ceiling at the file's n
    certified_at_needed: float | None  # certified accuracy at the ℓ2 radius the ℓ∞ ball needs; None when that
    # radius lies above the ceiling (0 there is forced by n, not measured)
    n_needed: int | None  # smallest n whose ceiling reaches that radius (None: beyond double precision)
    median_p_a: float  # median p_A lower bound Φ(α*/σ) of the correctly certified rows
    median_radius: float  # median α* of the correctly certified rows
    median_p_a_radius: float  # σΦ⁻¹(median p_A): what p_A alone would allow
    at_ceiling: int  # correctly certified rows whose α* is the ceiling
    subject: str = ""  # the result file's subject: the model, or model@tag for a tagged run
    every: int | None = None  # the file certified every k-th test image
    certified_count: int = 0  # images certified correctly at the needed radius

    @property
    def tagged(self) -> bool:
        return "@" in self.subject


@dataclass(frozen=True)
class AlphaStarLimits:
    """ "α* is still too small", as numbers: the ℓ∞ ball's ℓ2 size, what the shipped certificates reach."""

    dataset: str
    linf: float  # 8/255
    dim: int  # 3072
    needed: float  # linf·√d, the ℓ2 radius that contains the ℓ∞ ball
    rows: tuple[LimitRow, ...]  # one per shipped Gaussian input model (main files), by σ
    madry_pgd: float  # published: Madry et al. 2018, PGD accuracy at ℓ∞ 8/255
    best_certified_at_needed: (
        float | None
    )  # from the file that can certify the needed radius; None: no file can
    can_certify_needed: bool  # some shipped file's ceiling reaches the needed radius
    p_a_falls: bool  # the median p_A decreases as σ grows
    largest_radius: float  # over all shipped rows
    largest_radius_linf: float  # its ℓ∞ guarantee R/√d
    alpha: float
    tagged_rows: tuple[LimitRow, ...] = ()  # second runs (certify_<model>@<tag>.json), e.g. at n = 100,000
    measured: LimitRow | None = None  # the file whose certified accuracy at the needed radius is shown
    measure_command: str | None = None  # the command that computes it (CIFAR-10), shown while no file can
    measure_ceiling: float | None = None  # the ceiling that command's n gives

    def row(self, sigma: float) -> LimitRow | None:
        return next((r for r in self.rows if math.isclose(r.sigma, sigma)), None)

    @property
    def capped(self) -> tuple[LimitRow, ...]:
        """Every file (main and tagged) whose ceiling lies below the needed radius."""
        return tuple(r for r in self.rows + self.tagged_rows if r.ceiling < self.needed)


def _limit_row(subject: str, record: dict, needed: float) -> LimitRow:
    """A LimitRow from one certify result file (Gaussian noise at the input)."""
    sigma, alpha = float(record["noise"]["scale"]), float(record["alpha"])
    noise = noises.make("gaussian", sigma)
    radius = np.array([r["radius"] for r in record["rows"]], dtype=float)
    correct = np.array(
        [bool(r["correct"]) and r["predict"] != smoothing.ABSTAIN for r in record["rows"]], dtype=bool
    )
    ceiling = smoothing.certify_ceiling(noise, alpha, record["n"])
    p_a = scipy.stats.norm.cdf(radius[correct] / sigma)
    median_p_a = float(np.median(p_a)) if p_a.size else 0.5
    hits = int(np.sum(correct & (radius >= needed)))
    return LimitRow(
        str(record["model"]),
        sigma,
        int(record["n"]),
        len(radius),
        ceiling,
        hits / len(radius) if ceiling >= needed and len(radius) else None,
        _draws_for(noise, alpha, needed),
        median_p_a,
        float(np.median(radius[correct])) if correct.any() else 0.0,
        float(smoothing.gaussian_radius(median_p_a, sigma)) if median_p_a > 0.5 else 0.0,
        int(np.sum(correct & (radius >= ceiling - 1e-9))),
        subject,
        int(record["every"]) if isinstance(record.get("every"), int) else None,
        hits,
    )


def _draws_for(noise, alpha: float, radius: float) -> int | None:
    """smoothing.draws_for_ceiling, or None when that n overflows a double (Φ(radius/σ) rounds to 1)."""
    try:
        with np.errstate(divide="ignore"):
            return smoothing.draws_for_ceiling(noise, alpha, radius)
    except (OverflowError, ValueError):
        return None


def _gaussian_records(dataset: str, *, tagged: bool) -> list[tuple[str, dict]]:
    """(subject, record) of the certify files of ``dataset`` with Gaussian noise at the input, read from
    results.RESULTS_DIR (looked up at call time, so tests can point it elsewhere)."""
    folder = results.RESULTS_DIR
    found = []
    for subject in results.available("certify", folder, tagged=tagged):
        record = results.read("certify", subject, folder)
        spec = record.get("noise", {})
        if record["dataset"] == dataset and spec.get("name") == "gaussian" and spec.get("layer", 0) == 0:
            found.append((subject, record))
    return found


def alpha_star_limits(*, dataset: str = "cifar10") -> AlphaStarLimits:
    """What limits α* on ``dataset``, from the shipped certificates (assets/results/certify_*.json):

    the ℓ∞ ball of radius ε contains points at ℓ2 distance ε√d (8/255·√3072 ≈ 1.74 on CIFAR-10), while an ℓ2
    certificate of radius R guarantees only R/√d in ℓ∞. CERTIFY returns α* = min(σΦ⁻¹(p_A_lower),
    σΦ⁻¹(α^{1/n})) (Cohen et al. 2019): per σ, the certified accuracy at ε√d, the ceiling at the shipped n
    and the n whose ceiling reaches ε√d (smoothing.draws_for_ceiling), and the median p_A, which falls as σ
    grows. A file whose ceiling lies below ε√d cannot measure the certified accuracy there (its 0 is forced
    by n): that number comes only from a file that can, such as the tagged run MEASURE_COMMAND writes
    (certify_<model>@<tag>.json, n = 100,000). Madry et al.'s 45.8 % (PGD, ℓ∞ 8/255) is the published
    empirical figure, not computed here.
    """
    if dataset not in LINF_BUDGETS or dataset == "fashion_mnist":
        raise ValueError(f"No shipped certificates to compare for {dataset!r}; use cifar10 or mnist.")
    dim = {"cifar10": 3 * 32 * 32, "mnist": 28 * 28}[dataset]
    linf = LINF_BUDGETS[dataset]
    needed = linf * math.sqrt(dim)
    main = _gaussian_records(dataset, tagged=False)
    if not main:
        raise ValueError(
            f"No shipped Gaussian certificates for {dataset}: run python -m core.experiments certify "
            f"--name {dataset}-gaussian-0.25 first."
        )
    tagged = _gaussian_records(dataset, tagged=True)
    rows = sorted((_limit_row(s, r, needed) for s, r in main), key=lambda r: r.sigma)
    extra = tuple(sorted((_limit_row(s, r, needed) for s, r in tagged), key=lambda r: (r.sigma, r.n)))
    alpha = float(main[0][1]["alpha"])
    reach = [r for r in rows + list(extra) if r.certified_at_needed is not None]
    measured = max(reach, key=lambda r: (r.certified_at_needed, r.examples, r.n), default=None)
    largest = max(
        max((float(r["radius"]) for r in record["rows"] if r["correct"]), default=0.0)
        for _, record in main + tagged
    )
    p_a = [row.median_p_a for row in rows]
    command = MEASURE_COMMAND if dataset == MEASURE_MODEL.split("-")[0] else None
    target = next((r for r in rows if r.model == MEASURE_MODEL), None)
    return AlphaStarLimits(
        dataset,
        linf,
        dim,
        needed,
        tuple(rows),
        evaluation.MADRY_CIFAR10["adversarial_training"]["pgd"] if dataset == "cifar10" else math.nan,
        None if measured is None else measured.certified_at_needed,
        measured is not None,
        all(a > b for a, b in zip(p_a, p_a[1:])),
        largest,
        largest / math.sqrt(dim),
        alpha,
        extra,
        measured,
        command,
        None
        if target is None or command is None
        else smoothing.certify_ceiling(noises.make("gaussian", target.sigma), alpha, MEASURE_N),
    )


def count_label(n: int | None) -> str:
    """A number of draws: with separators up to 10⁹, else as a power of ten (None: beyond double
    precision)."""
    if n is None:
        return "10^308 (beyond double precision)"
    return (
        f"{n:,}" if n < 10**9 else f"{n / 10 ** math.floor(math.log10(n)):.1f}·10^{math.floor(math.log10(n))}"
    )


def _file_label(row: LimitRow) -> str:
    return f"σ = {row.sigma:g}, n = {row.n:,}" + (f", {row.subject}" if row.tagged else "")


def measured_sentence(result: AlphaStarLimits, *, ceilings: bool = True) -> str:
    """The certified accuracy at the needed radius from a file whose ceiling reaches it — or, while none can,
    that it is not measured (with the ceilings, computed, unless ``ceilings`` is False) and the command that
    measures it. Never a 0 % from above a file's ceiling."""
    r, m = result, result.measured
    if m is None:
        listed = (
            " (ceilings " + ", ".join(f"{row.ceiling:.2f} at {_file_label(row)}" for row in r.capped) + ")"
            if ceilings
            else ""
        )
        text = (
            f"No shipped file can certify {r.needed:.2f}{listed}, so the certified accuracy at "
            f"{r.needed:.2f} is "
            "not measured: a 0 % read from those files there is forced by their n, not a measurement."
        )
        if r.measure_command:
            ceiling = f" (ceiling {r.measure_ceiling:.2f})" if r.measure_ceiling is not None else ""
            text += f" It is computed by `{r.measure_command}`{ceiling}."
        return text
    every = f", one test image in {m.every}" if m.every and m.every > 1 else ""
    text = (
        f"Certified accuracy at {r.needed:.2f}: **{m.certified_at_needed:.0%}** ({m.certified_count} of "
        f"{m.examples} test images{every}; ± {standard_error(m.certified_count, m.examples):.0%} binomial "
        f"standard error) from {m.subject} (σ = {m.sigma:g}, n = {m.n:,}, ceiling {m.ceiling:.2f} ≥ "
        f"{r.needed:.2f})"
    )
    if math.isfinite(r.madry_pgd):
        relation = "below" if m.certified_at_needed < r.madry_pgd else "at or above"
        text += (
            f", {relation} the **{r.madry_pgd:.1%}** Madry et al. report under PGD (published; an attack's "
            "accuracy, an upper bound on robust accuracy, not a certificate)"
        )
    return text + "."


def limits_caption(result: AlphaStarLimits) -> str:
    """The argument, each clause chosen by a computed number."""
    r, d = result, result.dim
    text = (
        f"An ℓ∞ perturbation of {r.linf * 255:.0f}/255 per pixel can move an image by up to "
        f"{r.linf:.4f}·√{d} = "
        f"**{r.needed:.2f}** in ℓ2. "
    )
    capped = r.capped
    if capped:
        text += (
            "With their n, these files' CERTIFY cannot return that radius at all: ceilings "
            + ", ".join(f"{row.ceiling:.2f} ({_file_label(row)})" for row in capped)
            + "; reaching it would take "
            + ", ".join(
                f"n ≥ {count_label(row.n_needed)} (σ = {row.sigma:g})"
                for row in r.rows
                if row.ceiling < r.needed
            )
            + ". "
        )
    text += measured_sentence(r, ceilings=False)
    text += (
        f" Conversely the largest shipped certificate, {r.largest_radius:.2f} in ℓ2, guarantees only "
        f"{r.largest_radius:.2f}/√{d} = **{r.largest_radius_linf * 255:.2f}/255** in ℓ∞. "
    )
    trend = "falls as σ grows" if r.p_a_falls else "does not fall monotonically with σ here"
    text += (
        "α* = min(σΦ⁻¹(p_A), σΦ⁻¹(α^(1/n))): the median lower bound on p_A (Clopper–Pearson, read back "
        "from the certified radii, so itself capped by α^(1/n)) "
        + trend
        + " ("
        + ", ".join(f"{row.median_p_a:.3f} at σ = {row.sigma:g}" for row in r.rows)
        + ")"
        + (", so σΦ⁻¹(p_A) grows more slowly than σ and its ceiling." if r.p_a_falls else ".")
    )
    return text


# ----------------------------------------------------------------------- what a ratio α*/distance near 1 says


@dataclass(frozen=True)
class BoundsSummary:
    """One bounds run reduced to what the tightness argument needs."""

    title: str
    median_radius: float | None  # median certified α* of the correctly certified inputs
    median_attack: float | None  # median distance at which SmoothAdv changes F_rob's vote (same inputs)
    median_ratio: float | None  # median α*/distance over the inputs with both
    paired: int  # inputs with both
    examples: int
    tight: bool | None  # the median ratio lies within SAME_WITHIN of 1: the certificate is nearly tight
    linf_l2: float | None  # the ℓ2 size of the dataset's ℓ∞ budget (images)
    flipped_within_linf_l2: (
        int | None
    )  # inputs whose vote SmoothAdv changes within that ℓ2 distance (or is wrong)


@dataclass(frozen=True)
class WhatIsSmall:
    """A ratio α*/attack distance near 1 says the certificate is nearly tight, not that α* is small: what is
    small is how far F_rob's own vote survives (the attack's distance), far below the ℓ2 size of
    the ℓ∞ ball."""

    toy: BoundsSummary | None  # the 2-D toy's bounds (scene 10)
    cifar: BoundsSummary | None  # the shipped CIFAR-10 bounds (assets/scenes/tradeoff.json)
    needed: float  # 8/255·√3072


def summarize(bounds: Bounds) -> BoundsSummary:
    """The facts of a bounds run the tightness argument uses (all computed by :func:`_facts`)."""
    f, ratio = bounds.facts, bounds.facts["median_ratio"]
    flipped = None if bounds.linf_l2 is None else int(np.sum(bounds.attack_distance <= bounds.linf_l2))
    return BoundsSummary(
        bounds.title,
        f["median_radius"],
        f["median_attack"],
        ratio,
        f["paired"],
        bounds.examples,
        None if ratio is None else nearly_tight(ratio),
        bounds.linf_l2,
        flipped,
    )


def shipped_toy_bounds(std: float = DEFAULTS["bounds_std"]) -> Bounds | None:
    """:func:`toy_bounds` of seed 0 when assets/scenes/tradeoff.json holds them for today's toy, else None
    (never computed here: for scenes that only quote scene 10's shipped numbers)."""
    return toy_bounds(seed=0, std=std) if _shipped_toy_parts(0, _check_std(std)) is not None else None


def what_is_small(*, seed: int = 0, std: float = DEFAULTS["bounds_std"], live: bool = True) -> WhatIsSmall:
    """The toy's bounds at (seed, std) — or, with ``live`` False, only seed 0's shipped ones — and the shipped
    CIFAR-10 bounds, summarized: median α*, the median distance SmoothAdv needs to change F_rob's vote, their
    ratio, and how many images change their vote within 8/255·√3072 in ℓ2."""
    check_seed(seed)
    toy = toy_bounds(seed=seed, std=std) if live else (shipped_toy_bounds(std) if seed == 0 else None)
    cifar = cifar_bounds()
    return WhatIsSmall(
        None if toy is None else summarize(toy),
        None if cifar is None else summarize(cifar),
        LINF_BUDGETS["cifar10"] * math.sqrt(3 * 32 * 32),
    )


def _tightness(s: BoundsSummary) -> str:
    if s.tight:
        return "the certificate is nearly tight"
    return (
        "the certificate is loose"
        if s.median_ratio < 1
        else "α* exceeds the attack's distance (only through α)"
    )


def what_is_small_caption(result: WhatIsSmall) -> str:
    """What the ratio α*/distance says on each shipped run, and what is small — each clause from the
    numbers."""
    parts = []
    for where, s in (("the two-moons toy", result.toy), ("CIFAR-10", result.cifar)):
        if s is None or s.median_ratio is None or s.median_attack is None:
            continue
        parts.append(
            f"on {where} ({s.title}) median α* {s.median_radius:.2f} is {s.median_ratio:.0%} of the median "
            f"distance {_distance(s.median_attack)} at which SmoothAdv changes F_rob's vote — "
            f"{_tightness(s)}"
        )
    if not parts:
        return ""
    text = "Ratio α*/attack distance: " + "; ".join(parts) + ". "
    if any(s is not None and s.tight for s in (result.toy, result.cifar)):
        text += (
            "A ratio near 1 says CERTIFY certifies most of the robustness F_rob has, not that α* is small or "
            "large. "
        )
    pieces = [
        f"{_distance(s.median_attack)} on the {where}"
        for where, s in (("two-moons toy", result.toy), ("CIFAR-10 images", result.cifar))
        if s is not None and s.median_attack is not None
    ]
    text += "F_rob's own vote changes at a median ℓ2 distance of " + " and ".join(pieces)
    c = result.cifar
    if c is not None and c.median_attack is not None:
        if c.median_attack < result.needed:
            text += (
                f" — what is small is that robustness itself: {c.median_attack / result.needed:.0%} of the "
                f"{result.needed:.2f} an ℓ2 certificate needs to cover the ℓ∞ ball of 8/255. SmoothAdv flips "
                f"{c.flipped_within_linf_l2} of {c.examples} images within {result.needed:.2f} (or finds "
                "them "
                "already wrong), and a sound α* never exceeds that distance, so no certificate of this "
                "F_rob "
                f"could reach {result.needed:.2f} on them"
            )
        else:
            text += (
                f" — above the {result.needed:.2f} an ℓ2 certificate needs to cover the ℓ∞ ball of 8/255: "
                "a tighter certificate could reach it"
            )
    return text + "."


# ---------------------------------------------------------------------------- shipping


def shipped_toy_bounds_keys() -> list[tuple[int, float]]:
    """The (seed, σ) of the toy bounds shipped: seed 0 at every σ, and the opening σ at every other seed of
    core.toys.SHIPPED_SEEDS (moving the sidebar's seed then reads the file)."""
    return [(0, std) for std in TOY_STDS] + [
        (seed, DEFAULTS["bounds_std"]) for seed in toys.SHIPPED_SEEDS[1:]
    ]


def build(*, log=print, cifar: bool = True) -> None:
    """Ship the toy bounds of :func:`shipped_toy_bounds_keys` through the scene kit (core.scenes.shipped) and
    keep the file's "cifar" record, the CIFAR-10 attack distances of :func:`cifar_bounds`: recomputed first
    when ``cifar`` is True and the CIFAR-10 test set is here (core.data.load_local), else kept as shipped."""
    if cifar:
        try:
            record = _cifar_record(log)
        except ValueError as error:  # no data here: keep what was shipped
            log(f"tradeoff: CIFAR-10 distances not rebuilt ({error})")
        else:
            path = shipped.scene_file(__name__)
            try:
                content = json.loads(path.read_text())
            except (OSError, ValueError):
                content = {}
            write_atomic(path, json.dumps({**content, "cifar": record}) + "\n")
    calls = []
    for seed, std in shipped_toy_bounds_keys():
        spec = toy_spec("gaussian", std, seed)
        if toys.shipped(spec) is None:  # the stamp names the shipped weights the parts were computed with
            toys.ship(spec)
        calls.append((toy_bounds_parts, _toy_bounds_call(seed, std)))
    log(f"tradeoff: toy bounds at {len(calls)} (seed, σ) …")
    toy_bounds_parts.cache_clear()  # each call computes (and is collected), none is answered from the cache
    shipped.build(__name__, calls, keep=("cifar",))


# ------------------------------------------------------------------------ captions (functions of the results)


def _stds(values) -> str:
    return " and ".join(f"{v:g}" for v in values)


def _p(value: float) -> str:
    return f"p = {value:.2g}" if value >= 0.001 else "p < 0.001"


def noise_sentence(facts: NoiseFacts, radius: float) -> str:
    """One noise's verdict, with the counts it rests on and, when two stds lead, the paired test of each
    gap."""
    m = facts.points
    text = (
        f"{facts.noise}: most accurate at std {_stds(facts.most_accurate)}, most certified at r = "
        f"{radius:.2f} at "
        f"std {_stds(facts.most_certified)}"
    )
    if facts.compared is None:
        return text + " — one std is best at both here: no trade-off shows at this radius."
    a, c = facts.compared
    (clean_a, clean_c), (cert_c, cert_a) = facts.clean_counts, facts.certified_counts
    error = max(standard_error(k, m) for k in (clean_a, clean_c, cert_c, cert_a))
    text += (
        f" (clean {clean_a}/{m} at std {a:g} vs {clean_c}/{m} at std {c:g}, paired exact test "
        f"{_p(facts.clean_p)}; "
        f"certified {cert_c}/{m} at std {c:g} vs {cert_a}/{m}, {_p(facts.certified_p)}; binomial standard "
        f"error of each share ≤ ±{error:.0%})"
    )
    if facts.tradeoff:
        return text + (
            f" — both gaps exceed sampling error (p < {VERDICT_LEVEL:g}): no std is best at both, robustness "
            "is "
            "paid in accuracy."
        )
    small = [
        name
        for name, value in (("clean", facts.clean_p), ("certified", facts.certified_p))
        if value >= VERDICT_LEVEL
    ]
    return text + (
        f" — the {' and the '.join(small)} gap{'s are' if len(small) > 1 else ' is'} within sampling error "
        "on "
        f"{m} points (p ≥ {VERDICT_LEVEL:g}): no verdict on a trade-off at this radius."
    )


def tradeoff_caption(result: Tradeoff) -> str:
    """What the live trade-off shows at r, per noise, and which stds cannot reach r at all (ceiling)."""
    lines = [noise_sentence(facts, result.radius) for facts in result.facts]
    capped = [row for row in result.rows if row.beyond_ceiling]
    if capped:
        lines.append(
            "Beyond the ceiling (no point can be certified at this r with n = "
            f"{result.n}, α = {result.alpha:g}): "
            + ", ".join(f"{row.noise} std {row.std:g} (ceiling {row.ceiling:.3f})" for row in capped)
            + "."
        )
    return " ".join(lines)


def ceilings_caption(result: Tradeoff) -> str:
    """CERTIFY's ceiling certified_radius(noise, α^{1/n}) of every row, in its norm."""
    return (
        f"With n = {result.n} and α = {result.alpha:g} no certificate can exceed the ceiling: "
        + ", ".join(f"{row.ceiling:.3f} ({row.norm}) for {row.noise} std {row.std:g}" for row in result.rows)
        + "."
    )


def shipped_caption(table: ShippedTable, radius: float) -> str:
    """Where the shipped table and Cohen et al.'s points come from, and which of them lie beyond their own
    ceiling at ``radius`` (their certified accuracy there is 0 by force of n, not a measurement)."""
    text = (
        f"Computed with `{table.command}` from the certify results ({table.computed_on}). Gaussian models "
        "certify ℓ2 "
        "radii (●), Laplace and uniform ones ℓ1 radii (◆): compare within one norm."
    )
    beyond = [
        row
        for row in table.rows
        if row.ceiling is not None and radius > row.ceiling and row.at(radius) is not None
    ]
    if beyond:
        text += (
            f" At r = {radius:g}, beyond the ceiling of "
            + ", ".join(f"{row.model} ({row.ceiling:.2f})" for row in beyond)
            + ": their 0 % there is forced by n, not measured."
        )
    if table.cohen:
        text += f" ✕: published, {table.cohen_source}."
        cohen = table.cohen_beyond(radius) if radius in table.cohen_radii else ()
        if cohen:
            text += (
                f" At r = {radius:g} the ceiling of their n lies below r for σ = "
                + ", ".join(f"{s:g}" for s in cohen)
                + ": their 0.00 there is forced by n too."
            )
    return text


def _distance(value: float) -> str:
    return f"{value:.3f}" if math.isfinite(value) else "none found"


def bounds_caption(result: Bounds) -> str:
    """The outcomes of a bounds run, each sentence chosen by a computed fact."""
    f = result.facts
    lines = []
    if f["ordered"]:
        lines.append("Certified ≤ empirical at every ε, as the bounds require.")
    else:
        lines.append(
            "Certified exceeds empirical at ε = "
            + ", ".join(f"{e:g}" for e in f["certified_above_empirical_at"])
            + ": impossible for exact values, so Monte Carlo error of the vote or a failure of probability "
            "≤ α."
        )
    if f["median_radius"] is None:
        lines.append("CERTIFY certified no point correctly.")
        return " ".join(lines)
    if f["at_ceiling"]:
        lines.append(
            f"{f['at_ceiling']} of {len(result.radii)} certified radii sit at the ceiling "
            f"{result.ceiling:.3f} "
            f"(n = {result.n:,}): there n, not p_A, limits α*."
        )
    else:
        lines.append(
            f"No certified radius reaches the ceiling {result.ceiling:.3f} (n = {result.n:,}): p_A, not n, "
            "limits α*."
        )
    if f["beaten"]:
        lines.append(
            f"On {f['beaten']} point(s) the attack found a vote change inside the certified ball — possible "
            "only "
            "through the certificate's failure probability α or the vote's Monte Carlo error at the boundary."
        )
    else:
        lines.append(
            f"No attack got inside a certified ball: α* ≤ the attack's distance on all {len(result.radii)} "
            "certified points, as soundness requires."
        )
    if f["median_ratio"] is not None:
        lines.append(
            f"Same classifier F_rob: median certified α* {f['median_radius']:.3f} against a median distance "
            f"of {_distance(f['median_attack'])} for the attack to change its vote; on the {f['paired']} "
            "points "
            f"with both, α* is a median {f['median_ratio']:.0%} of the distance found"
            + (
                " — the certificate is nearly tight (a statement about CERTIFY, not about the size of α*)."
                if nearly_tight(f["median_ratio"])
                else "."
            )
        )
    if f["not_found"]:
        lines.append(
            f"On {f['not_found']} certified point(s) no vote change was found within ε = "
            f"{result.attack['eps_max']:g}."
        )
    if f["linf_beyond_all"] is not None:
        where = "beyond every" if f["linf_beyond_all"] else "within reach of the largest"
        lines.append(
            f"Dashed line: an ℓ∞ perturbation of {result.linf:.3g} per pixel (the usual budget) has ℓ2 norm "
            "up "
            f"to {result.linf_l2:.2f}, {where} certified radius here (largest {f['largest_radius']:.3f})."
        )
    if result.note:
        lines.append(result.note)
    return " ".join(lines)


# --------------------------------------------------------------------------- predict, then reveal

SAME_WITHIN = 0.2  # "about the same": the median α* within 20 % of the median attack distance
PREDICTION = Prediction(
    "Is the certified radius α* larger than the distance the best attack needs to change F_rob's answer?",
    ("No: α* is smaller", "About the same (within 20 %)", "Yes: α* is larger"),
)


def nearly_tight(ratio: float) -> bool:
    """α*/attack distance within SAME_WITHIN of 1 (the middle choice of PREDICTION): the certificate is nearly
    tight."""
    return 1 - SAME_WITHIN <= ratio < 1 + SAME_WITHIN


def verdict(result: Bounds) -> Verdict:
    """Median certified α* against the median distance of the attack on F_rob itself (SmoothAdv) of one run:
    the same classifier on both sides, point by point."""
    radius, distance = result.facts["median_radius"], result.facts["median_attack"]
    if radius is None or distance is None or distance <= 0:
        missing = "no input is certified correctly" if radius is None else "the attack changed no vote"
        return Verdict((False, False, False), f"They cannot be compared here: {missing}.")
    ratio = radius / distance
    if nearly_tight(ratio):
        meaning = (
            " A ratio near 1 says the certificate is nearly tight — CERTIFY certifies most of the robustness "
            "F_rob has — not that α* is large or small: what is small or large is F_rob's own robustness, "
            "its "
            f"vote changing at a median ℓ2 distance of {_distance(distance)}, which no sound α* can exceed."
        )
    elif ratio < 1:
        meaning = " The certificate is loose here: F_rob's vote survives further than α* certifies."
    else:
        meaning = (
            " α* above the attack's distance is possible only through α or the vote's Monte Carlo error."
        )
    return verdict_by_range(
        ratio,
        (1 - SAME_WITHIN, 1 + SAME_WITHIN),
        f"Median certified α* {radius:.3f} against a median attack distance of "
        f"{_distance(distance)} on the same F_rob (ratio {ratio:.2f})." + meaning,
    )
