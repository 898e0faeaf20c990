"""Scene 7 · Noise injection: F̃_ε changes draw by draw; its Monte Carlo average F_rob converges.

Write F = φ(N)∘…∘φ(1) and add ε ~ D(0, s) after layer i (i = 0: to the input):
F̃_ε(x) = φ(N)∘…∘φ(i+1)(φ(i)∘…∘φ(1)(x) + ε). The defended classifier is its average
F_rob(x) = E_ε[softmax F̃_ε(x)] (soft; Lecuyer et al. 2019, Pinot et al. 2019) or
argmax_c P_ε(F̃_ε(x) = c) (hard; Cohen et al. 2019), estimated here by Monte Carlo.

Noise is never drawn by a cached model's own noise layer: the scene splits the shared base network
into prefix(i) and suffix(i) and adds ε from its own named stream (core.seeds.stream_generator).
The defaults' results are shipped in assets/scenes/noise_injection.json (core.scenes.shipped, ``build()``)
and read back when the arguments and the models match; any other value is computed live.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import scipy.special
import torch

from core import checks, data, smoothing, toys, zoo
from core import noise as noises
from core.scenes import common, shipped
from core.scenes.parameters import Parameter, declare, defaults, zoo_image
from core.seeds import check_seed, stream_generator, stream_seed

# ---------------------------------------------------------------------------- the scene's choices

DRAWS_SHOWN = 5  # draws of F̃_ε shown one by one
SAMPLE_CHOICES = (100, 200, 500, 1000, 2000, 5000)
DEFAULT_SAMPLES = 500
BAND_ALPHA = 0.05  # 95 % confidence sequence (all draw counts and classes at once)
CHUNK = 250  # noisy copies per forward pass
REFERENCE_DRAWS = 200  # independent draws of the core.smoothing cross-check
ATTACK_BUDGETS = (0.25, 0.5, 1.0, 2.0, 3.0)
DEFAULT_BUDGET = {"cifar10": 1.0, "mnist": 2.0, "fashion_mnist": 2.0}
ATTACK_STEPS = 20
ATTACK_VOTES = 200  # draws of F̃_ε on x and on x_adv in the game-theory reading
GALLERY_REPEATS = 8  # passes over the 20 gallery images in the augmentation reading
GAME_EOT = 8  # noise draws averaged in each gradient of the adaptive (EOT) attack
PURE_STRATEGIES = 5  # fixed draws ε_j: deterministic defenders f_j in the no-equilibrium check
GAP_STD = 0.3  # std of the Gaussian noise added to the digits in the generalization gap
GAP_TEST_FRACTION = 0.8  # a small training set (20 % of the 1,797 digits), so ERM overfits visibly
GAP_HIDDEN = (256,)
GAP_EPOCHS = 60
DEFAULT_MODEL = "cifar10-gaussian-0.25"
PREFERRED_MODELS = ("cifar10-gaussian-0.25", "mnist-gaussian-0.25")
IMAGE_SCALE = (0.01, 1.0, 0.25)  # (min, max, default) of the image tab's scale slider
TOY_SCALE = (0.01, 0.5, 0.10)
TOY_POINT = (0.45, 0.55)
TOY_CLASSES = ("class 0", "class 1")
TOY_RESOLUTION = 50
TOY_MAP_DRAWS = 100
SCALE_SYMBOL = {"gaussian": "σ", "laplace": "b", "uniform": "λ", "generalized_normal": "s"}
NOISE_LABELS = {
    "gaussian": "Gaussian N(0, σ²)",
    "laplace": "Laplace(0, b)",
    "uniform": "uniform [−λ, λ]",
    "generalized_normal": "generalized normal (β = 1.5)",
}

# The toy base network: two moons, a 2-64-64-2 ReLU network trained 60 epochs on x + ε, ε ~ N(0, 0.1²).
TOY_SPEC = toys.ToySpec(noise=("gaussian", 0.1))


def opening_toys(seed: int) -> list[toys.ToySpec]:
    """The toy networks the page opens with at ``seed``: TOY_SPEC at that seed."""
    return [dataclasses.replace(TOY_SPEC, seed=seed)]


SHIPPED_TOYS = [spec for seed in toys.SHIPPED_SEEDS for spec in opening_toys(seed)]

# ---------------------------------------------------------------------------- texts (data)

# Lecture mode (core.scenes.lecture): what the page reveals at each step, in order.
STEPS = (
    "Question: does F̃_ε answer the same twice?",
    "Draw by draw, and the Monte Carlo average",
    "Four readings of the same randomization",
)

EXPLANATION = r"""
**Randomize the network.** Write $F = \phi^{(N)}\circ\dots\circ\phi^{(1)}$ and add a random vector
$\varepsilon \sim \mathcal D(0, s)$ after layer $i$ ($i = 0$: to the input). The network becomes random,
$\tilde F_\varepsilon(x) = \phi^{(N)}\circ\dots\circ\phi^{(i+1)}\big(\phi^{(i)}\circ\dots\circ\phi^{(1)}(x) +
\varepsilon\big)$:
each forward pass draws a fresh $\varepsilon$, so the same $x$ can get different answers. The defended
classifier is its average, $F_{\mathrm{rob}}(x) = \mathbb E_\varepsilon\big[\tilde F_\varepsilon(x)\big]$
(soft) or $\arg\max_c \mathbb P_\varepsilon\big(\tilde F_\varepsilon(x) = c\big)$ (hard, Cohen et al. 2019),
estimated by Monte Carlo.
"""
USES = (
    "a model of the zoo (default cifar10-gaussian-0.25, trained on x + ε) split after layer i, with ε drawn "
    "by the scene, on foolbox's offline gallery images; a 2-D toy network (two moons, 2-64-64-2 ReLU trained "
    "on x + ε, ε ~ N(0, 0.1²)) in the second tab."
)
READINGS = {
    "augmentation": r"**Augmentation.** Training on $x + \varepsilon$ teaches $F$ to answer under the noise "
    r"it will see, and, like any data augmentation, regularises it. Accuracy of $\tilde F_\varepsilon$ "
    r"(one fresh draw per prediction) on the 20 gallery images:",
    "topological": r"**Topological.** Each draw sends $x$ into one decision region of $F$; the noise thus "
    r"induces a *distribution over decision regions*, whose mode is the hard $F_{\mathrm{rob}}(x)$ "
    r"(page 8 draws it in 2-D). Distances between such distributions measure how far an "
    r"attack moves $F_{\mathrm{rob}}$:",
    "game": r"**Game theory.** The defender plays a *mixed strategy*: each draw of $\varepsilon$ picks one "
    r"deterministic classifier (a pure strategy). Against a fixed pure strategy the attacker has a best "
    r"response; against the mixture it can only aim at the average. Two attacks, PGD $\ell_2$, "
    r"scored on fresh draws: *non-adaptive* (tuned to the noise-free $F$) and *adaptive* (EOT: the "
    r"gradient of $\mathbb E_\varepsilon[\ell(\tilde F_\varepsilon(x), y)]$, Athalye et al. 2018):",
}
SMOOTHING_AT_THE_INPUT = (
    r"**Smoothing.** $F_{\mathrm{rob}} = F * p_\varepsilon$, i.e. "
    r"$F_{\mathrm{rob}}(x) = \int F(x + e)\,p_\varepsilon(e)\,de$: the running average "
    r"above converges to this convolution evaluated at $x$, with the kernel below; a "
    r"certificate for it is a radius around $x$ in pixels."
)
SMOOTHING_AFTER_A_LAYER = (
    r"**Smoothing — in the space of layer LAYER.** With the prefix $h = PREFIX$ and the head "
    r"$g = HEAD$HEAD_NOTE, $F_{\mathrm{rob}}(x) = (g * p_\varepsilon)\big(h(x)\big)"
    r" = \int g\big(h(x) + e\big)\,p_\varepsilon(e)\,de$: the noise smooths the head in layer-LAYER space, "
    r"evaluated at $h(x)$ — not $F$ in pixel space; the running average above converges to it, with the "
    r"kernel below. A certificate of radius $R$ around $h(x)$ covers every $x'$ with "
    r"$\|h(x') - h(x)\| \le R$; in pixels it gives $R / L$ only with $L$ a bound on the prefix's Lipschitz "
    r"constant in that norm (core.lipschitz, core.smoothing.input_space_radius)."
)


def _composition(last: int, first: int) -> str:
    """φ(last)∘…∘φ(first) in LaTeX (one layer: φ(last))."""
    if last == first:
        return rf"\phi^{{({last})}}"
    return (
        rf"\phi^{{({last})}}\circ\dots\circ\phi^{{({first})}}"
        if last > first + 1
        else rf"\phi^{{({last})}}\circ\phi^{{({first})}}"
    )


def smoothing_reading(layer: int, layers: int) -> str:
    """The smoothing reading for ε added after layer i of N: for i = 0 the convolution F * p_ε at x; for i > 0
    the head g = φ(N)∘…∘φ(i+1) smoothed in layer-i space and evaluated at h(x), h = φ(i)∘…∘φ(1), whose
    certificate
    reaches pixel space only through a Lipschitz bound of h."""
    layers = checks.integer(layers, 1, 10**6, "The number of layers N")
    layer = checks.integer(layer, 0, layers, "The layer i")
    if layer == 0:
        return SMOOTHING_AT_THE_INPUT
    head, note = (
        (r"\mathrm{id}", " (ε is added to the logits)")
        if layer == layers
        else (_composition(layers, layer + 1), "")
    )
    return (
        SMOOTHING_AFTER_A_LAYER.replace("PREFIX", _composition(layer, 1))
        .replace("HEAD_NOTE", note)
        .replace("HEAD", head)
        .replace("LAYER", str(layer))
    )


TOY_CAPTION = (
    "Smoothing reading in 2-D: the right map is the left one averaged over the noise (for noise at the "
    "input, F convolved with the noise density; after layer i, the head φ(N)∘…∘φ(i+1) convolved with it "
    "in layer-i space and evaluated at φ(i)∘…∘φ(1)(p)). For noise at the input, the black crosses are "
    "where the first draws sent x: one decision region each (topological reading), one pure strategy "
    "each (game-theoretic reading)."
)


# ---------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Draws:
    """``num`` draws of F̃_ε(x) and the running Monte Carlo estimates of F_rob(x)."""

    layer: int  # ε added after φ(layer); 0 = the input
    layers: int  # N, the number of layers of F
    noise_label: str
    noise_std: float  # per-coordinate standard deviation of ε
    probabilities: np.ndarray  # num × K softmax rows of F̃_ε(x), in the order drawn
    top: int  # the soft F_rob(x): argmax of the mean row
    soft: np.ndarray  # running mean of the softmax of class `top` (length num)
    votes: np.ndarray  # running share of draws voting `top` (length num)
    grid: np.ndarray  # draw counts where the band is evaluated: 1 … num
    lower: np.ndarray  # 95 % confidence sequence on P(F̃(x) = top) at `grid` (every n and class at once)
    upper: np.ndarray
    vote_shares: np.ndarray  # share of the draws whose arg-max is c, for every class c
    shown: np.ndarray  # the first DRAWS_SHOWN noisy inputs x + ε (images H×W×3 uint8 or points),
    # empty when the noise is inside the network
    noise_ratio: float  # ‖ε‖₂ / ‖φ(i)∘…∘φ(1)(x)‖₂ in draw 1
    kernel_t: np.ndarray  # the density p_ε of one coordinate of ε (the smoothing kernel) …
    kernel_pdf: np.ndarray  # … at the points kernel_t (± 4 standard deviations)
    reference: np.ndarray  # soft F_rob(x) by core.smoothing.smoothed_probabilities, REFERENCE_DRAWS new draws

    @property
    def num(self) -> int:
        return len(self.probabilities)

    @property
    def first_decisions(self) -> tuple[int, ...]:
        return tuple(int(k) for k in self.probabilities[:DRAWS_SHOWN].argmax(1))

    @property
    def distinct_first(self) -> int:
        """How many different decisions the first DRAWS_SHOWN draws took."""
        return len(set(self.first_decisions))

    @property
    def hard(self) -> int:
        """The hard F_rob(x): the class most draws vote for."""
        return int(np.argmax(self.vote_shares))


@dataclass(frozen=True)
class Augmentation:
    """Accuracy of F̃_ε on the gallery for the model and for its dataset's noise-free standard model."""

    model: str
    accuracy: float
    standard: str | None  # "<dataset>-standard" when it is in the zoo and differs from model
    standard_accuracy: float | None
    predictions: int  # predictions behind each accuracy


@dataclass(frozen=True)
class Game:
    """The game-theory reading on one image: a non-adaptive and an adaptive (EOT) PGD ℓ2 attack scored on
    fresh draws of F̃_ε, the defender's pure strategies f_k (fixed draws) with PGD's best response x'_j to
    each f_j evaluated against every f_k, and the total variation between the answer distributions at x and
    x_adv (the
    topological reading)."""

    eps: float
    distance: float  # non-adaptive: ‖x_adv − x‖₂ of PGD against the noise-free F
    fooled_base: bool  # F(x_adv) ≠ y
    fooled_draws: float  # share of draws of F̃_ε wrong on x_adv
    clean_errors: float  # share of draws of F̃_ε wrong on x
    draws: int
    vote_wrong: bool  # the hard F_rob (vote of the draws) is wrong on the non-adaptive x_adv
    adaptive_distance: float  # adaptive: ‖x_adv − x‖₂ of EOT-PGD against F̃_ε
    adaptive_fooled_draws: float
    adaptive_vote_wrong: bool
    eot: int  # draws averaged in each EOT gradient
    clean_vote_wrong: bool  # the hard F_rob is already wrong on x
    pure: int  # fixed draws ε_k: the deterministic defenders f_k = suffix(prefix(·) + ε_k)
    pure_clean_right: (
        np.ndarray
    )  # bool, pure: f_k(x) = y (the draws in the game; the others are wrong on x already)
    pure_fooled: (
        np.ndarray
    )  # bool, pure × pure: [j, k] = f_k(x'_j) ≠ y, x'_j = PGD's best response to f_j alone
    tv_nonadaptive: float  # ½ Σ_c |p_c(x) − p_c(x_adv)|, p the vote shares of the draws
    tv_adaptive: float
    tv_bound_nonadaptive: float | None  # 2Φ(‖τ‖₂/2σ) − 1 (Gaussian noise at the input only, else None)
    tv_bound_adaptive: float | None

    @property
    def pure_right(self) -> int:
        """The fixed draws that answer x correctly: the defenders kept in the game."""
        return int(np.sum(self.pure_clean_right))

    @property
    def pure_clean_wrong(self) -> int:
        """The fixed draws already wrong on x, left out of the game (no attack is needed against them)."""
        return self.pure - self.pure_right

    @property
    def pure_broken(self) -> int:
        """Defenders in the game that their own best response fools: f_j(x'_j) ≠ y."""
        return int(np.sum(np.diagonal(self.pure_fooled) & self.pure_clean_right))

    @property
    def pure_most_fooled(self) -> int:
        """The most defenders in the game that one best response x'_j (any j) fools."""
        return int((self.pure_fooled & self.pure_clean_right).sum(axis=1).max(initial=0))

    @property
    def pure_universal(self) -> bool:
        """One of the best responses fools every defender in the game."""
        return self.pure_right > 0 and self.pure_most_fooled == self.pure_right

    @property
    def no_pure_equilibrium(self) -> bool:
        """Among these strategies no pure pair is an equilibrium: every defender in the game is fooled by its
        best
        response, and no best response fools them all (so against each, another defender answers
        correctly)."""
        return self.pure_right > 0 and self.pure_broken == self.pure_right and not self.pure_universal


@dataclass(frozen=True)
class ToyMaps:
    """P(class 1) of F and of F_rob on a grid over [0, 1]², with the training points."""

    xs: np.ndarray
    ys: np.ndarray
    plain: np.ndarray  # resolution × resolution P(class 1) of F
    smoothed: np.ndarray  # resolution × resolution P(class 1) of soft F_rob (noise after `layer`)
    layer: int
    x_train: np.ndarray
    y_train: np.ndarray


# ---------------------------------------------------------------------------- checks


def _noise(name: str, scale: float, high: float) -> noises.Noise:
    checks.one_of(name, noises.NOISES, "The noise")
    return noises.make(name, checks.number(scale, 1e-6, high, "The noise scale"))


def _base(model: str):
    """The shared deterministic base network f of a zoo model (ModelUnavailable, a ValueError, if absent)."""
    if not isinstance(model, str) or model not in zoo.names():
        raise ValueError(f"{model!r} is not a zoo model: choose one of {', '.join(zoo.names()) or 'none'}.")
    return zoo.shared_base(model)


def _image(model: str, index: int):
    x_all, y_all = common.gallery(common.dataset_of(model))
    index = checks.integer(index, 0, len(x_all) - 1, "The gallery image")
    return x_all[index], int(y_all[index])


def toy_spec(seed: int) -> toys.ToySpec:
    """The toy base network of the demo seeded ``seed``."""
    return dataclasses.replace(TOY_SPEC, seed=check_seed(seed))


# ---------------------------------------------------------------------------- computations

TOY_LAYERS = len(TOY_SPEC.hidden) + 1


def _noise_parameters(prefix: str, layers: int | None, scale: tuple) -> tuple[Parameter, ...]:
    """Layer i, distribution, scale and draws of one tab (``layers``: None when the model sets it)."""
    depth = (
        dict(low=0, high=layers) if layers is not None else dict(note="0 to the model's depth (ModelInfo)")
    )
    low, high, default = scale
    return (
        Parameter("layer", f"{prefix}_layer", 0, **depth),
        Parameter("noise", f"{prefix}_noise", "gaussian", choices=tuple(NOISE_LABELS)),
        Parameter("scale", f"{prefix}_scale", default, low=low, high=high, step=0.01),
        Parameter("samples", f"{prefix}_samples", DEFAULT_SAMPLES, choices=SAMPLE_CHOICES),
    )


IMAGE_PARAMETERS = declare(*zoo_image("p07"), *_noise_parameters("p07", None, IMAGE_SCALE))
TOY_PARAMETERS = declare(
    Parameter("x1", "p07_toy_x1", TOY_POINT[0], low=0.0, high=1.0, step=0.01),
    Parameter("x2", "p07_toy_x2", TOY_POINT[1], low=0.0, high=1.0, step=0.01),
    *_noise_parameters("p07_toy", TOY_LAYERS, TOY_SCALE),
)
GAME_BUDGET = Parameter(
    "eps", "p07_eps", note="DEFAULT_BUDGET of the model's dataset", choices=ATTACK_BUDGETS
)
# Both tabs' (the page reads each tab's own dict, which noise_controls shares), the toy's under "toy_…".
PARAMETERS = {
    **{f"toy_{name}": p for name, p in TOY_PARAMETERS.items()},
    **IMAGE_PARAMETERS,
    "eps": GAME_BUDGET,
}
DEFAULTS = defaults(PARAMETERS)


@dataclass(frozen=True)
class ModelInfo:
    """What the image tab's widgets need to know about a zoo model."""

    model: str
    dataset: str
    layers: int  # N: ε can go after layer 0 … N
    class_names: tuple[str, ...]
    gallery: tuple[str, ...]  # one label per gallery image
    images: np.ndarray  # the gallery as 20 × H × W × 3 uint8
    trained_with: str  # the noise it was trained with, in words


def model_info(*, model: str = DEFAULT_MODEL) -> ModelInfo:
    """The zoo model's number of layers, dataset, class names, gallery and training noise (zoo manifest)."""
    return shipped.or_live(model_info_live, locals(), depends=_models(model))


def model_info_live(*, model) -> ModelInfo:
    """:func:`model_info` computed here (never read from the shipped file)."""
    base = _base(model)
    dataset = common.dataset_of(model)
    record = zoo.noise_record(model)
    trained = (
        f"{record['name']} noise of scale {record['scale']} at layer {record['layer']}"
        if record
        else "no noise (plain ERM)"
    )
    return ModelInfo(
        model=model,
        dataset=dataset,
        layers=len(base.layers),
        class_names=tuple(data.CLASS_NAMES[dataset]),
        gallery=tuple(common.gallery_options(dataset)),
        images=np.stack([common.image_array(x) for x in common.gallery(dataset)[0]]),
        trained_with=trained,
    )


def models() -> list[str]:
    """The zoo models the image tab offers (CIFAR-10 and MNIST Gaussian σ = 0.25 first)."""
    return common.ordered(zoo.names(), PREFERRED_MODELS)


def confidence_sequence(hits, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Robbins' mixture confidence sequence for the success probability p of i.i.d. Bernoulli draws (Robbins
    1970; Howard et al. 2021): after n draws with S_n successes,
    M_n(p) = B(S_n + 1, n − S_n + 1) / (p^{S_n} (1 − p)^{n − S_n}) — the uniform-prior mixture of likelihood
    ratios — is a nonnegative martingale with M_0 = 1 under p, so by Ville's inequality P(∃ n: M_n(p) ≥ 1/α) ≤
    α: C_n = {p : S_n log p + (n − S_n) log(1 − p) > log B(S_n + 1, n − S_n + 1) + log α} holds at every n at
    once (and at any data-dependent stopping time) with probability ≥ 1 − α. ``hits``: the running counts S_1
    … S_N; returns the ends of each C_n (an interval holding S_n/n: the left side is concave in p), found by
    bisection
    and rounded outwards."""
    hits = np.asarray(hits, dtype=np.float64)
    if hits.ndim != 1 or not hits.size or not np.all(np.isin(np.diff(hits, prepend=0.0), (0.0, 1.0))):
        raise ValueError("hits must be the running success counts S_1, …, S_n of one sequence of draws.")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}.")
    n = np.arange(1, hits.size + 1, dtype=np.float64)
    threshold = scipy.special.betaln(hits + 1, n - hits + 1) + math.log(alpha)

    def inside(q):
        with np.errstate(divide="ignore"):
            return scipy.special.xlogy(hits, q) + scipy.special.xlog1py(n - hits, -q) > threshold

    centre = hits / n
    low_out, low_in = np.zeros_like(n), centre.copy()
    high_in, high_out = centre.copy(), np.ones_like(n)
    for _ in range(60):
        middle = (low_out + low_in) / 2
        inner = inside(middle)
        low_in, low_out = np.where(inner, middle, low_in), np.where(inner, low_out, middle)
        middle = (high_in + high_out) / 2
        inner = inside(middle)
        high_in, high_out = np.where(inner, middle, high_in), np.where(inner, high_out, middle)
    lower = np.where(inside(np.zeros_like(n)), 0.0, low_out)
    upper = np.where(inside(np.ones_like(n)), 1.0, high_out)
    return lower, upper


def _running(probabilities: np.ndarray) -> dict:
    """Running soft and hard estimates of F_rob's top class, and a 95 % band on P(F̃_ε(x) = top) at every draw
    count: :func:`confidence_sequence` at BAND_ALPHA / K for each of the K classes, so that it holds at every
    n and
    for every class at once — hence for ``top``, the class these same draws chose."""
    top = int(probabilities.mean(0).argmax())
    num, classes = probabilities.shape
    t = np.arange(1, num + 1)
    soft = probabilities[:, top].cumsum() / t
    hits = (probabilities.argmax(1) == top).astype(np.int64).cumsum()
    lower, upper = confidence_sequence(hits, BAND_ALPHA / classes)
    return {"top": top, "soft": soft, "votes": hits / t, "grid": t, "lower": lower, "upper": upper}


def band_caption(result) -> str:
    """What the band of the running chart is, and what it guarantees (the method, with this run's K and n)."""
    classes = result.probabilities.shape[1]
    return (
        f"Band: Robbins' mixture confidence sequence on P(F̃_ε(x) = c) from the vote counts, at "
        f"{1 - BAND_ALPHA:.0%} split over the {classes} classes (confidence_sequence, Robbins 1970). With "
        f"probability ≥ {1 - BAND_ALPHA:.0%} it holds at every number of draws from 1 to {result.num} and "
        "for every class at once — so for the class these same draws chose, and wherever one stops. A "
        "pointwise Clopper–Pearson interval would hold at one n fixed in advance, for a class fixed in "
        "advance."
    )


def noisy_draws(
    base, x: torch.Tensor, layer: int, noise: noises.Noise, num: int, seed: int, *, image: bool
) -> Draws:
    """F̃_ε(x) = suffix(i)(prefix(i)(x) + ε) for num draws of ε from the stream "noise", and soft F_rob
    again with core.smoothing.smoothed_probabilities (REFERENCE_DRAWS draws, independent stream
    "reference")."""
    checks.integer(layer, 0, len(base.layers), "The layer i")
    prefix, suffix = base.prefix(layer), base.suffix(layer)
    generator = stream_generator(seed, "noise")
    rows, shown, ratio = [], None, 0.0
    with torch.inference_mode():
        z = prefix(x.unsqueeze(0))[0]
        for start in range(0, num, CHUNK):
            eps = noise.sample((min(CHUNK, num - start), *z.shape), generator=generator)
            noisy = z.unsqueeze(0) + eps
            if shown is None:
                shown = noisy[:DRAWS_SHOWN].clone()
                ratio = float(eps[0].norm() / z.norm().clamp_min(1e-12))
            rows.append(torch.softmax(suffix(noisy).double(), dim=1))
        reference = smoothing.smoothed_probabilities(
            suffix,
            z,
            noise=noise,
            num=REFERENCE_DRAWS,
            batch_size=CHUNK,
            generator=stream_generator(seed, "reference"),
            chunk=CHUNK,
        )
    probabilities = torch.cat(rows).float().numpy()
    if layer > 0:
        shown_array = np.zeros((0,))
    elif image:
        shown_array = np.stack([common.image_array(draw) for draw in shown])
    else:
        shown_array = shown.numpy()
    running = _running(probabilities)
    votes = np.bincount(probabilities.argmax(1), minlength=probabilities.shape[1]) / num
    t = np.linspace(-4 * noise.std, 4 * noise.std, 401)
    return Draws(
        layer=layer,
        layers=len(base.layers),
        noise_label=noise.label,
        noise_std=float(noise.std),
        kernel_t=t,
        kernel_pdf=np.asarray(noise.pdf(t), dtype=float),
        probabilities=probabilities,
        vote_shares=votes,
        shown=shown_array,
        noise_ratio=ratio,
        reference=reference.numpy(),
        **running,
    )


def image_draws(
    *,
    model: str = DEFAULT_MODEL,
    index: int = 0,
    layer: int = 0,
    noise: str = "gaussian",
    scale: float = IMAGE_SCALE[2],
    num: int = DEFAULT_SAMPLES,
    seed: int = 0,
) -> Draws:
    """``num`` draws of F̃_ε(x) for gallery image ``index`` and zoo model ``model`` (its base network f
    with ε ~ D(0, scale) added after layer i), the running estimates of soft and hard F_rob(x) =
    E_ε[F̃_ε(x)] with a 95 % confidence sequence (:func:`confidence_sequence`), and an independent estimate of
    soft F_rob(x)."""
    return shipped.or_live(image_draws_live, locals(), depends=_models(model))


def image_draws_live(*, model, index, layer, noise, scale, num, seed) -> Draws:
    """:func:`image_draws` computed here (never read from the shipped file)."""
    check_seed(seed)
    base = _base(model)
    x, _ = _image(model, index)
    checks.integer(num, 1, max(SAMPLE_CHOICES), "The number of draws")
    return noisy_draws(base, x, layer, _noise(noise, scale, IMAGE_SCALE[1]), num, seed, image=True)


def _gallery_accuracy(
    base, layer: int, noise: noises.Noise, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator
) -> float:
    prefix, suffix = base.prefix(layer), base.suffix(layer)
    with torch.inference_mode():
        z = prefix(x)
        hits = [
            (suffix(z + noise.sample(z.shape, generator=generator)).argmax(1) == y).double().mean()
            for _ in range(GALLERY_REPEATS)
        ]
    return float(torch.stack(hits).mean())


def augmentation(
    *,
    model: str = DEFAULT_MODEL,
    layer: int = 0,
    noise: str = "gaussian",
    scale: float = IMAGE_SCALE[2],
    seed: int = 0,
) -> Augmentation:
    """Accuracy of F̃_ε on the 20 gallery images (GALLERY_REPEATS passes, one fresh ε per prediction,
    stream "augmentation") for ``model`` and for its dataset's standard model trained without noise:
    the data-augmentation reading (Cohen et al. 2019 train F on x + ε)."""
    return shipped.or_live(augmentation_live, locals(), depends=_models(model))


def augmentation_live(*, model, layer, noise, scale, seed) -> Augmentation:
    """:func:`augmentation` computed here (never read from the shipped file)."""
    check_seed(seed)
    base = _base(model)
    checks.integer(layer, 0, len(base.layers), "The layer i")
    law = _noise(noise, scale, IMAGE_SCALE[1])
    dataset = common.dataset_of(model)
    x, y = common.gallery(dataset)
    accuracy = _gallery_accuracy(base, layer, law, x, y, stream_generator(seed, "augmentation"))
    standard = f"{dataset}-standard"
    standard_accuracy = None
    if standard == model or standard not in zoo.names():
        standard = None
    else:
        standard_accuracy = _gallery_accuracy(
            zoo.shared_base(standard), layer, law, x, y, stream_generator(seed, "augmentation")
        )
    return Augmentation(
        model=model,
        accuracy=accuracy,
        standard=standard,
        standard_accuracy=standard_accuracy,
        predictions=GALLERY_REPEATS * len(y),
    )


def game(
    *,
    model: str = DEFAULT_MODEL,
    index: int = 0,
    layer: int = 0,
    noise: str = "gaussian",
    scale: float = IMAGE_SCALE[2],
    eps: float = DEFAULT_BUDGET["cifar10"],
    seed: int = 0,
) -> Game:
    """The game-theory reading: PGD ℓ2 (Madry et al. 2018; ATTACK_STEPS steps of 2.5·ε/steps, random
    start from stream "attack") played three ways — against the noise-free base network F (non-adaptive:
    Athalye et al. 2018 warn that it overstates robustness), against F̃_ε with EOT (the gradient of
    E_ε[ℓ(F̃_ε(x), y)] averaged over GAME_EOT draws, stream "attack noise"), and against each of
    PURE_STRATEGIES fixed draws f_j (stream "pure strategies"; each best response x'_j is then evaluated
    against every f_k) — the attacks scored on ATTACK_VOTES fresh draws of F̃_ε (stream "game", the same draws
    at every
    point)."""
    return shipped.or_live(game_live, locals(), depends=_models(model))


class _Shift(torch.nn.Module):
    """z ↦ z + shift: a fixed draw of ε, i.e. one deterministic classifier (a pure strategy)."""

    def __init__(self, shift: torch.Tensor):
        super().__init__()
        self.shift = shift

    def forward(self, z):
        return z + self.shift


def _vote_shares(prefix, suffix, law: noises.Noise, point: torch.Tensor, seed: int) -> np.ndarray:
    """Share of ATTACK_VOTES draws of F̃_ε(point) answering each class (stream "game", fresh per point)."""
    generator = stream_generator(seed, "game")
    with torch.inference_mode():
        z = prefix(point)
        z = z.expand(ATTACK_VOTES, *z.shape[1:])
        decided = suffix(z + law.sample(z.shape, generator=generator)).argmax(1)
        return np.bincount(decided.numpy(), minlength=suffix(z[:1]).shape[1]) / ATTACK_VOTES


def total_variation(p: np.ndarray, q: np.ndarray) -> float:
    """TV(p, q) = ½ Σ_c |p_c − q_c| between two distributions over the classes: a metric on the space of
    F̃_ε's output distributions (the topological reading)."""
    return float(0.5 * np.abs(np.asarray(p) - np.asarray(q)).sum())


def game_live(*, model, index, layer, noise, scale, eps, seed) -> Game:
    """:func:`game` computed here (never read from the shipped file)."""
    from core import attacks, evaluation

    check_seed(seed)
    base = _base(model)
    checks.integer(layer, 0, len(base.layers), "The layer i")
    law = _noise(noise, scale, IMAGE_SCALE[1])
    eps = checks.number(eps, 1e-6, 100.0, "The attack budget ε")
    x, label = _image(model, index)
    x, y = x.unsqueeze(0), torch.tensor([label])
    prefix, suffix = base.prefix(layer), base.suffix(layer)
    pgd = dict(eps=eps, step=2.5 * eps / ATTACK_STEPS, steps=ATTACK_STEPS, norm="l2")
    x_adv = attacks.pgd(base, x, y, generator=stream_generator(seed, "attack"), **pgd)
    randomized = torch.nn.Sequential(
        prefix, evaluation.StreamNoise(law, stream_generator(seed, "attack noise")), suffix
    )
    x_eot = attacks.pgd(randomized, x, y, eot=GAME_EOT, generator=stream_generator(seed, "attack"), **pgd)
    # The defender's pure strategies f_j(·) = suffix(prefix(·) + ε_j), one per row, and each one's best
    # response.
    with torch.inference_mode():
        z_shape = prefix(x).shape[1:]
    shifts = law.sample((PURE_STRATEGIES, *z_shape), generator=stream_generator(seed, "pure strategies"))
    pure = torch.nn.Sequential(prefix, _Shift(shifts), suffix)
    copies = x.expand(PURE_STRATEGIES, *x.shape[1:])
    responses = attacks.pgd(
        pure, copies, y.expand(PURE_STRATEGIES), generator=stream_generator(seed, "attack"), **pgd
    )
    with torch.inference_mode():
        fooled_base = bool(base(x_adv).argmax(1).item() != label)
        z_responses, z_clean = prefix(responses), prefix(copies)
        # answers[j, k] = f_k(x'_j): every defender on every best response.
        answers = torch.stack(
            [suffix(z_responses + shifts[k]).argmax(1) for k in range(PURE_STRATEGIES)], dim=1
        )
        clean_answers = suffix(z_clean + shifts).argmax(1)
    shares = {
        name: _vote_shares(prefix, suffix, law, point, seed)
        for name, point in (("clean", x), ("nonadaptive", x_adv), ("adaptive", x_eot))
    }
    distance, eot_distance = float((x_adv - x).norm()), float((x_eot - x).norm())
    gaussian_input = law.name == "gaussian" and layer == 0

    def bound(d):
        return smoothing.gaussian_tv_bound(d, law.scale) if gaussian_input else None

    def wrong(p):
        return int(np.argmax(p)) != label

    return Game(
        eps=eps,
        distance=distance,
        fooled_base=fooled_base,
        fooled_draws=float(1 - shares["nonadaptive"][label]),
        clean_errors=float(1 - shares["clean"][label]),
        draws=ATTACK_VOTES,
        vote_wrong=wrong(shares["nonadaptive"]),
        adaptive_distance=eot_distance,
        adaptive_fooled_draws=float(1 - shares["adaptive"][label]),
        adaptive_vote_wrong=wrong(shares["adaptive"]),
        eot=GAME_EOT,
        clean_vote_wrong=wrong(shares["clean"]),
        pure=PURE_STRATEGIES,
        pure_clean_right=(clean_answers == label).numpy(),
        pure_fooled=(answers != label).numpy(),
        tv_nonadaptive=total_variation(shares["clean"], shares["nonadaptive"]),
        tv_adaptive=total_variation(shares["clean"], shares["adaptive"]),
        tv_bound_nonadaptive=bound(distance),
        tv_bound_adaptive=bound(eot_distance),
    )


def game_rows(result: Game) -> tuple[dict, ...]:
    """The game column's table: one row per attack, labelled, with the numbers the page shows."""
    return (
        {
            "attack": "non-adaptive: PGD on the noise-free F",
            "‖x_adv − x‖₂": round(result.distance, 3),
            "draws wrong": f"{result.fooled_draws:.0%}",
            "F_rob (vote) wrong": "yes" if result.vote_wrong else "no",
        },
        {
            "attack": f"adaptive: EOT-PGD on F̃_ε ({result.eot} draws per gradient)",
            "‖x_adv − x‖₂": round(result.adaptive_distance, 3),
            "draws wrong": f"{result.adaptive_fooled_draws:.0%}",
            "F_rob (vote) wrong": "yes" if result.adaptive_vote_wrong else "no",
        },
        {
            "attack": "none (clean x)",
            "‖x_adv − x‖₂": 0.0,
            "draws wrong": f"{result.clean_errors:.0%}",
            "F_rob (vote) wrong": "yes" if result.clean_vote_wrong else "no",
        },
    )


def game_caption(result: Game) -> str:
    """The no-pure-equilibrium argument with this image's numbers, and how the two attacks compare."""
    if result.adaptive_fooled_draws > result.fooled_draws:
        compare = (
            f"The adaptive attack fools more draws ({result.adaptive_fooled_draws:.0%} vs "
            f"{result.fooled_draws:.0%}): the non-adaptive number overstates the defence."
        )
    elif result.adaptive_fooled_draws < result.fooled_draws:
        compare = (
            f"Here the non-adaptive attack fools more draws ({result.fooled_draws:.0%} vs "
            f"{result.adaptive_fooled_draws:.0%}); EOT's averaged gradient need not win on every image."
        )
    else:
        compare = f"Both attacks fool {result.fooled_draws:.0%} of the draws."
    return f"{compare} {pure_caption(result)}"


def pure_caption(result: Game) -> str:
    """The no-pure-equilibrium check as computed: the fixed draws f_k right on x (the others are left out),
    each
    one's best response x'_j, and every x'_j evaluated against every f_k — is there one x' that fools them
    all?"""
    right = result.pure_right
    left_out = f" ({result.pure_clean_wrong} already wrong on x, left out)" if result.pure_clean_wrong else ""
    text = (
        f"Of {result.pure} fixed draws f_k (deterministic defenders), {right} "
        f"answer{'s' if right == 1 else ''} x correctly{left_out}."
    )
    if right == 0:
        return text + " No fixed draw is right on x: there is no game to play on this image."
    text += (
        f" PGD against each f_j alone (its best response x'_j) fools {result.pure_broken} of these {right}; "
        f"evaluated against {'it' if right == 1 else f'all {right}'}, the most one x'_j fools is "
        f"{result.pure_most_fooled}."
    )
    if result.no_pure_equilibrium:
        return text + (
            " So no x' found fools every fixed draw right on x: against each best response another "
            "draw answers correctly, no pure pair found is an equilibrium, and the defender gains by "
            "randomizing (a search over PGD's responses, not a proof over the whole ε-ball)."
        )
    reasons = []
    if result.pure_broken < right:
        reasons.append(
            f"PGD finds no x' within ε that fools {right - result.pure_broken} of them (those pure "
            "defenders hold at this budget, as far as PGD finds)"
        )
    if result.pure_universal:
        reasons.append(
            f"one x' fools {'it' if right == 1 else f'all {right}'} (among these draws the attacker has "
            "a winning pure strategy)"
        )
    return (
        text
        + " But "
        + " and ".join(reasons)
        + ": on this image and budget the no-pure-equilibrium argument "
        "does not go through — move ε or pick another image."
    )


def pure_rows(result: Game) -> tuple[dict, ...]:
    """The table behind :func:`pure_caption`: each fixed draw f_k (a column; those wrong on x marked left out)
    on
    x and on each best response x'_j (a row)."""
    names = [
        f"f_{k + 1}" + ("" if right else " (wrong on x: left out)")
        for k, right in enumerate(result.pure_clean_right)
    ]
    rows = [
        {
            "input": "x (clean)",
            **{name: "right" if right else "wrong" for name, right in zip(names, result.pure_clean_right)},
        }
    ]
    rows += [
        {
            "input": f"x'_{j + 1} (PGD against f_{j + 1})",
            **{name: "fooled" if fooled else "right" for name, fooled in zip(names, row)},
        }
        for j, row in enumerate(result.pure_fooled)
    ]
    return tuple(rows)


def topology_caption(result: Game) -> str:
    """TV between the answer distributions at x and at each x_adv, beside the Gaussian TV bound."""
    text = (
        f"TV between the distributions of F̃_ε's answers at x and at x_adv ({result.draws} draws each): "
        f"{result.tv_nonadaptive:.2f} (non-adaptive), {result.tv_adaptive:.2f} (adaptive)."
    )
    if result.tv_bound_adaptive is None:
        return text + " (The closed-form bound below needs Gaussian noise at the input.)"
    within = all(
        tv <= b + 0.1
        for tv, b in (
            (result.tv_nonadaptive, result.tv_bound_nonadaptive),
            (result.tv_adaptive, result.tv_bound_adaptive),
        )
    )
    return (
        text + f" Whatever F is, TV(N(x, σ²I), N(x_adv, σ²I)) = 2Φ(‖τ‖₂/2σ) − 1 = "
        f"{result.tv_bound_nonadaptive:.2f} and {result.tv_bound_adaptive:.2f} bounds them"
        + (
            " (the estimates sit within it up to Monte Carlo error)."
            if within
            else "; an estimate above it is Monte Carlo error of the vote shares."
        )
    )


@dataclass(frozen=True)
class Generalization:
    """The augmentation reading on sklearn's digits: the same MLP trained by ERM and on x + ε."""

    std: float
    train_examples: int
    test_examples: int
    plain_train: float  # accuracy of the ERM network on its training set (clean inputs)
    plain_test: float  # … and on the held-out digits
    noisy_train: float  # the network trained on x + ε, evaluated on clean inputs
    noisy_test: float

    @property
    def plain_gap(self) -> float:
        return self.plain_train - self.plain_test

    @property
    def noisy_gap(self) -> float:
        return self.noisy_train - self.noisy_test


def generalization(*, std: float = GAP_STD, seed: int = 0) -> Generalization:
    """Train vs held-out accuracy of a 64-256-10 ReLU MLP on sklearn's 8×8 digits (20 % for training,
    stream "digits split"), trained GAP_EPOCHS epochs by ERM and on x + ε, ε ~ N(0, std²) (fresh each
    batch), both evaluated on clean digits: data augmentation's effect on the generalization gap."""
    return shipped.or_live(generalization_live, locals(), depends=[toy_spec(seed)])


def generalization_live(*, std, seed) -> Generalization:
    """:func:`generalization` computed here (never read from the shipped file)."""
    from core import models, training

    check_seed(seed)
    std = checks.number(std, 0.0, 1.0, "The noise standard deviation")
    x, y = data.digits()
    x_train, y_train, x_test, y_test = data.train_test_split(
        x.flatten(1), y, test_fraction=GAP_TEST_FRACTION, seed=stream_seed(seed, "digits split")
    )
    # float64: float32 training's rounding depends on the thread count and the CPU's vector kernels, and
    # flipped held-out digits between them; in float64 the accuracies are the same on every x86 CPU.
    x_train, x_test = x_train.double(), x_test.double()
    accuracies = []
    for law in (None, noises.make("gaussian", std) if std > 0 else None):
        network = models.feed_forward(64, list(GAP_HIDDEN), 10, seed=stream_seed(seed, "digits init"))
        network = network.double()
        training.train(
            network,
            x_train,
            y_train,
            epochs=GAP_EPOCHS,
            lr=1e-2,
            batch_size=64,
            noise=law,
            seed=stream_seed(seed, "digits training"),
        )
        accuracies += [
            training.risk_and_accuracy(network, part, labels)[1]
            for part, labels in ((x_train, y_train), (x_test, y_test))
        ]
    return Generalization(
        std=std,
        train_examples=len(y_train),
        test_examples=len(y_test),
        plain_train=accuracies[0],
        plain_test=accuracies[1],
        noisy_train=accuracies[2],
        noisy_test=accuracies[3],
    )


def generalization_rows(result: Generalization) -> tuple[dict, ...]:
    return (
        {
            "training": "ERM (no noise)",
            "train accuracy": f"{result.plain_train:.1%}",
            "held-out accuracy": f"{result.plain_test:.1%}",
            "gap": f"{result.plain_gap:+.1%}",
        },
        {
            "training": f"on x + ε, ε ~ N(0, {result.std:g}²)",
            "train accuracy": f"{result.noisy_train:.1%}",
            "held-out accuracy": f"{result.noisy_test:.1%}",
            "gap": f"{result.noisy_gap:+.1%}",
        },
    )


def generalization_caption(result: Generalization) -> str:
    """What the digits comparison shows, from the computed accuracies only."""
    if result.noisy_gap < result.plain_gap:
        effect = f"narrowed the train/held-out gap from {result.plain_gap:.1%} to {result.noisy_gap:.1%}"
    elif result.noisy_gap > result.plain_gap:
        effect = f"widened the train/held-out gap from {result.plain_gap:.1%} to {result.noisy_gap:.1%}"
    else:
        effect = f"left the train/held-out gap at {result.plain_gap:.1%}"
    change = result.noisy_test - result.plain_test
    held = (
        "raised" if change > 0 else "lowered" if change < 0 else "kept"
    ) + f" held-out accuracy ({result.plain_test:.1%} → {result.noisy_test:.1%})"
    return (
        f"sklearn digits, {result.train_examples} training / {result.test_examples} held-out images, the "
        f"same 64-{GAP_HIDDEN[0]}-10 MLP: training on noisy copies {effect} and {held}, both measured on "
        "clean digits."
    )


def toy_draws(
    *,
    x1: float = TOY_POINT[0],
    x2: float = TOY_POINT[1],
    layer: int = 0,
    noise: str = "gaussian",
    scale: float = TOY_SCALE[2],
    num: int = DEFAULT_SAMPLES,
    seed: int = 0,
) -> Draws:
    """``num`` draws of F̃_ε(x) at the point x = (x1, x2) for the toy base network (TOY_SPEC with the
    demo's seed), as :func:`image_draws`."""
    return shipped.or_live(toy_draws_live, locals(), depends=[toy_spec(seed)])


def toy_draws_live(*, x1, x2, layer, noise, scale, num, seed) -> Draws:
    """:func:`toy_draws` computed here (never read from the shipped file)."""
    point = torch.tensor(
        [checks.number(x1, 0.0, 1.0, "x₁"), checks.number(x2, 0.0, 1.0, "x₂")], dtype=torch.float32
    )
    checks.integer(num, 1, max(SAMPLE_CHOICES), "The number of draws")
    law = _noise(noise, scale, TOY_SCALE[1])
    return noisy_draws(toys.model(toy_spec(seed)), point, layer, law, num, seed, image=False)


def toy_maps(
    *, layer: int = 0, noise: str = "gaussian", scale: float = TOY_SCALE[2], seed: int = 0
) -> ToyMaps:
    """P(class 1) of the toy F and of soft F_rob(p) = E_ε[softmax suffix(i)(prefix(i)(p) + ε)] on a
    TOY_RESOLUTION² grid (TOY_MAP_DRAWS draws per point, stream "maps"): for i = 0 the convolution
    F * p_ε of the smoothing reading (core.smoothing.smoothed_probabilities_many)."""
    return shipped.or_live(toy_maps_live, locals(), depends=[toy_spec(seed)])


def toy_maps_live(*, layer, noise, scale, seed) -> ToyMaps:
    """:func:`toy_maps` computed here (never read from the shipped file)."""
    from core import geometry

    spec = toy_spec(seed)
    base = toys.model(spec)
    checks.integer(layer, 0, len(base.layers), "The layer i")
    law = _noise(noise, scale, TOY_SCALE[1])
    xx, yy, points = geometry.grid((0.0, 1.0, 0.0, 1.0), TOY_RESOLUTION)
    with torch.inference_mode():
        plain = torch.softmax(base(points), dim=1)[:, 1]
        smoothed = smoothing.smoothed_probabilities_many(
            base.suffix(layer),
            base.prefix(layer)(points),
            noise=law,
            num=TOY_MAP_DRAWS,
            batch_size=65536,
            chunk=65536,
            generator=stream_generator(seed, "maps"),
        )[:, 1]
    parts = toys.split(spec)
    shape = xx.shape
    return ToyMaps(
        xs=xx[0].numpy(),
        ys=yy[:, 0].numpy(),
        plain=plain.view(shape).numpy(),
        smoothed=smoothed.view(shape).float().numpy(),
        layer=layer,
        x_train=parts.x_train.numpy(),
        y_train=parts.y_train.numpy(),
    )


# ---------------------------------------------------------------------------- shipped defaults


def _models(model: str) -> list[str]:
    """What an image result depends on: the zoo model and its dataset's standard model (those in the zoo)."""
    if model not in zoo.names():
        return []
    return [name for name in (model, f"{common.dataset_of(model)}-standard") if name in zoo.names()]


def build() -> None:
    """Ship the page's opening results (every default; those that take more than a moment at every seed of
    core.toys.SHIPPED_SEEDS, the toy's draws and maps at seed 0), and the image tab's at every layer i at
    seed 0 — the slider a lecturer moves first, whose three readings take seconds to compute."""
    layers = model_info_live(model=DEFAULT_MODEL).layers
    opening = [
        (function, shipped.defaults(function))
        for function in (model_info, image_draws, augmentation, game, generalization, toy_draws, toy_maps)
    ]
    slow = [(function, arguments) for function, arguments in opening if function not in (toy_draws, toy_maps)]
    calls = opening + shipped.at_seeds(slow, toys.SHIPPED_SEEDS[1:])
    for function, arguments in opening:
        if "layer" in arguments and "model" in arguments:
            calls += [(function, {**arguments, "layer": layer}) for layer in range(1, layers + 1)]
    shipped.build(__name__, calls)
