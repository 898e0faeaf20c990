"""Scene 8 · Noise → a distribution over decision regions (Cohen et al. 2019, Figure 1).

Adding ε ~ N(0, σ²I) to x turns the single decision F(x) into a distribution over the decision
regions of F, p_c(x) = P_ε(F(x + ε) = c); the smoothed classifier is F_rob(x) = argmax_c p_c(x).
An adversarial x_adv = x + τ (PGD ℓ2 on F) may change F's decision; whether p(x_adv) stays close to
p(x) — TV(p(x), p(x_adv)) = ½ Σ_c |p_c(x) − p_c(x_adv)| — and whether F_rob keeps its answer is
computed here, never assumed, beside the bound that holds whatever F is: for Gaussian noise
TV(N(x, σ²I), N(x_adv, σ²I)) = 2Φ(‖τ‖₂/2σ) − 1 (core.smoothing.gaussian_tv_bound), the step towards
Cohen et al.'s theorem. :func:`divergence_view` shows Pinot et al.'s exponential-family extension: the
Rényi divergence between the two noisy laws as a function of ‖τ‖, turned into a radius by Li et al.'s
lemma (core.divergence).

Every draw comes from a named stream of the demo's seed (core.seeds.stream_generator): "attack"
(PGD's random start), "cloud x" / "cloud x_adv" (the drawn clouds), "votes x" / "votes x_adv" (the
class frequencies), "regions" (the smoothed map); on gallery image k they are that image's own streams,
core.seeds.example_seed(seed, k, name), so :func:`gallery_outcomes` (the counts over the whole gallery)
repeats :func:`image_scene` row by row. Zoo models: the shared base network f
(core.zoo.shared_base) with the noise drawn here, never by a cached noise layer.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch

from core import checks, data, divergence, geometry, smoothing, toys, zoo
from core import noise as noises
from core.device import make_generator
from core.scenes import common, shipped
from core.scenes import noise_injection as scene7
from core.scenes.lecture import Prediction, Verdict
from core.scenes.parameters import Parameter, declare, defaults, zoo_image
from core.seeds import check_seed, example_seed, stream_seed

# ---------------------------------------------------------------------------- the scene's choices

CLOUD_POINTS = 300
TOY_VOTES = 2000
PGD_STEPS = 20
IMAGE_VOTE_CHOICES = (100, 200, 500, 1000, 2000)
TOY_BUDGETS = (0.02, 0.05, 0.1, 0.15, 0.2, 0.3)
IMAGE_BUDGETS = (0.25, 0.5, 1.0, 2.0, 3.0)
SIGMA_CHOICES = (0.02, 0.05, 0.08, 0.1, 0.12, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)
TOY_POINT = (0.45, 0.55)
TOY_SIGMA = 0.15
TOY_EPS = 0.05
DEFAULT_MODEL = "cifar10-gaussian-0.25"
PREFERRED_MODELS = ("cifar10-gaussian-0.25", "mnist-gaussian-0.25")
DEFAULT_BUDGET = {"cifar10": 0.5, "mnist": 2.0, "fashion_mnist": 2.0}
DEFAULT_VOTES = 500
PLAIN_RESOLUTION = 120
SMOOTH_RESOLUTION = 60
SMOOTH_DRAWS = 200
TV_CLOSE = 0.1  # "almost the same distribution": total variation at most this
TOY_CLASSES = ("class 0", "class 1")

# The toy base network, shared with scene 7: two moons, 2-64-64-2 ReLU trained on x + ε, ε ~ N(0, 0.1²).
TOY_SPEC = scene7.TOY_SPEC
opening_toys = scene7.opening_toys  # TOY_SPEC at the seed, as scene 7
SHIPPED_TOYS = [spec for seed in toys.SHIPPED_SEEDS for spec in opening_toys(seed)]

# ---------------------------------------------------------------------------- texts (data)

# Lecture mode (core.scenes.lecture): what the page reveals at each step, in order.
STEPS = (
    "Question: does F_rob change its answer?",
    "The answer, computed",
    "The figure: noise clouds and vote histograms",
    "Over the whole gallery: how often F flips, how often F_rob changes",
    "Decision regions of F and F_rob",
    "Pinot et al.: from a divergence to a radius",
)

EXPLANATION = r"""
**Cohen et al. 2019, Figure 1.** Adding $\varepsilon \sim \mathcal N(0, \sigma^2 I)$ to $x$ turns the single
decision $F(x)$ into a distribution over the decision regions of $F$:
$p_c(x) = \mathbb P_\varepsilon\big(F(x + \varepsilon) = c\big)$, and the smoothed classifier is
$F_{\mathrm{rob}}(x) = \arg\max_c p_c(x)$. An adversarial example $x_{adv} = x + \tau$ with small $\|\tau\|_2$
may change $F$'s decision; the two noise clouds overlap, and **whatever $F$ is**,
$\mathrm{TV}\big(\mathcal N(x, \sigma^2 I), \mathcal N(x + \tau, \sigma^2 I)\big)
= 2\Phi\big(\|\tau\|_2 / 2\sigma\big) - 1$
bounds $|p_c(x) - p_c(x_{adv})|$ for every class $c$. So $F_{\mathrm{rob}}$ keeps its answer when
$p_A - p_B > 2\,\mathrm{TV}$; made tight (Neyman–Pearson), this is Cohen et al.'s theorem
$R = \sigma\Phi^{-1}(p_A)$. The captions below say what happened here: the measured
$\mathrm{TV} = \tfrac12\sum_c |p_c(x) - p_c(x_{adv})|$, the bound, and whether $F$ and $F_{\mathrm{rob}}$
changed their answers.
"""
USES = (
    "a 2-D toy network (two moons, 2-64-64-2 ReLU trained on x + ε, ε ~ N(0, 0.1²)); a zoo model "
    "(default cifar10-gaussian-0.25, without its noise layer = the base F) on foolbox's gallery images. "
    "x_adv = PGD ℓ2 (core.attacks.pgd, 20 steps) on the base network F."
)
REGIONS_CAPTION = (
    "Right: argmax_c P(F(p + ε) = c) at every grid point p (core.geometry.smoothed_decision_regions, "
    "Cohen et al.'s hard vote, {draws} draws per point). Smoothing removes thin spikes and rounds "
    "the boundary."
)


# ---------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Outcome:
    """F and F_rob at x and x_adv, the two vote distributions and what they say."""

    label: int  # F(x)
    adv_label: int  # F(x_adv)
    p: np.ndarray  # P(F(x + ε) = c), Monte Carlo
    q: np.ndarray  # P(F(x_adv + ε) = c)
    tv: float  # TV(p, q)
    distance: float  # ‖x_adv − x‖₂
    sigma: float | None = None  # σ when ε ~ N(0, σ²I); None for other noises (no closed-form bound here)
    draws: int = 0  # Monte Carlo draws behind p and behind q

    @property
    def rob_label(self) -> int:
        return int(np.argmax(self.p))

    @property
    def rob_adv_label(self) -> int:
        return int(np.argmax(self.q))

    @property
    def flipped(self) -> bool:
        """The attack changes the base network's decision."""
        return self.adv_label != self.label

    @property
    def kept(self) -> bool:
        """F_rob gives x_adv the same answer as x."""
        return self.rob_adv_label == self.rob_label

    @property
    def close(self) -> bool:
        """The two vote distributions are within TV_CLOSE in total variation."""
        return self.tv <= TV_CLOSE

    @property
    def tv_bound(self) -> float | None:
        """TV(N(x, σ²I), N(x_adv, σ²I)) = 2Φ(‖τ‖₂/2σ) − 1, independent of F (Gaussian noise only)."""
        return None if self.sigma is None else smoothing.gaussian_tv_bound(self.distance, self.sigma)

    @property
    def margin(self) -> float:
        """p_A − p_B at x: the estimated top vote share minus the runner-up's."""
        top = np.sort(np.asarray(self.p))[::-1]
        return float(top[0] - (top[1] if top.size > 1 else 0.0))

    @property
    def guaranteed(self) -> bool:
        """The bound alone keeps F_rob's answer: p_A − p_B > 2·TV bound (on the estimated p)."""
        return self.tv_bound is not None and self.margin > 2 * self.tv_bound

    def votes_for(self, which: str, label: int) -> int:
        """How many of the ``draws`` noisy copies of x (``which="x"``) or x_adv F sent to ``label``."""
        shares = self.p if which == "x" else self.q
        return int(round(float(shares[label]) * self.draws))


@dataclass(frozen=True)
class ToyScene(Outcome):
    x: tuple[float, float] = (0.0, 0.0)
    x_adv: tuple[float, float] = (0.0, 0.0)
    cloud: np.ndarray = None  # CLOUD_POINTS × 2 draws x + ε …
    cloud_votes: np.ndarray = None  # … and F's decision on each
    cloud_adv: np.ndarray = None  # the same around x_adv
    cloud_adv_votes: np.ndarray = None


@dataclass(frozen=True)
class ImageScene(Outcome):
    model: str = ""
    x: np.ndarray = None  # H × W × 3 uint8
    x_adv: np.ndarray = None
    noise_label: str = ""

    @property
    def votes(self) -> int:
        return self.draws


@dataclass(frozen=True)
class ToyRegions:
    """Decision regions of F (PLAIN_RESOLUTION²) and of the hard F_rob (SMOOTH_RESOLUTION²) on [0, 1]²."""

    xs: np.ndarray
    ys: np.ndarray
    labels: np.ndarray
    smooth_xs: np.ndarray
    smooth_ys: np.ndarray
    smooth_labels: np.ndarray
    sigma: float
    draws: int


def caption(outcome: Outcome, class_names) -> str:
    """What the computation found: did PGD flip F, did F_rob keep its answer (with the vote counts), are
    the two vote distributions close (TV ≤ TV_CLOSE), and what the F-independent bound
    2Φ(‖τ‖₂/2σ) − 1 says (Gaussian noise): is the measured TV within it, does it alone guarantee F_rob's
    answer?"""
    names = list(class_names)
    before, after = names[outcome.label], names[outcome.adv_label]
    attack = (
        f"The attack flips F ({before} → {after})"
        if outcome.flipped
        else f"Within this budget PGD does not flip F (it still says {before})"
    )
    distance = (
        f"the two vote distributions are almost the same (TV = {outcome.tv:.3f} ≤ {TV_CLOSE})"
        if outcome.close
        else f"the two vote distributions differ (TV = {outcome.tv:.3f} > {TV_CLOSE})"
    )
    smoothed = (
        f"F_rob keeps its answer ({names[outcome.rob_label]})"
        if outcome.kept
        else f"F_rob changes its answer ({names[outcome.rob_label]} → {names[outcome.rob_adv_label]})"
    )
    text = f"{attack}; {distance}, and {smoothed}."
    if outcome.draws:
        top, top_adv = outcome.rob_label, outcome.rob_adv_label
        text += (
            f" Votes: {outcome.votes_for('x', top)}/{outcome.draws} for {names[top]} at x, "
            f"{outcome.votes_for('x_adv', top_adv)}/{outcome.draws} for {names[top_adv]} at x_adv."
        )
    return f"{text} {bound_caption(outcome)}"


def bound_caption(outcome: Outcome) -> str:
    """The F-independent bound on this attack's τ and σ, and what it implies here (computed facts only)."""
    bound = outcome.tv_bound
    if bound is None:
        return "The bound 2Φ(‖τ‖₂/2σ) − 1 is for Gaussian noise; this noise has no closed form here."
    measured = (
        f"the measured TV {outcome.tv:.3f} lies within it"
        if outcome.tv <= bound
        else f"the measured TV {outcome.tv:.3f} exceeds it, by Monte Carlo error ({outcome.draws} draws)"
    )
    verdict = (
        f"p_A − p_B = {outcome.margin:.3f} > 2·TV = {2 * bound:.3f}, so the bound alone keeps F_rob's answer "
        f"for every ‖τ‖₂ ≤ {outcome.distance:.3f} (on the estimated p)"
        if outcome.guaranteed
        else f"p_A − p_B = {outcome.margin:.3f} ≤ 2·TV = {2 * bound:.3f}, so the bound alone guarantees "
        "nothing here"
    )
    return (
        f"Whatever F is, TV(N(x, σ²I), N(x_adv, σ²I)) = 2Φ(‖τ‖₂/2σ) − 1 = {bound:.3f} "
        f"(‖τ‖₂ = {outcome.distance:.3f}, σ = {outcome.sigma:g}): {measured}; {verdict}."
    )


# ---------------------------------------------------------------------------- computations


def _pgd_l2(model, x: torch.Tensor, label: int, eps: float, attack_seed: int) -> torch.Tensor:
    """x_adv = PGD ℓ2 (Madry et al. 2018; PGD_STEPS steps of 2.5·ε/steps, random start drawn from the
    generator seeded ``attack_seed``: the stream "attack") on the deterministic base network F, for ONE
    input."""
    from core import attacks

    return attacks.pgd(
        model,
        x.unsqueeze(0),
        torch.tensor([label]),
        eps=eps,
        step=2.5 * eps / PGD_STEPS,
        steps=PGD_STEPS,
        norm="l2",
        generator=make_generator(attack_seed),
    )[0].detach()


def _decision(model, x: torch.Tensor) -> int:
    with torch.inference_mode():
        return int(model(x.unsqueeze(0)).argmax(1))


def _votes(model, centre: torch.Tensor, noise, num: int, draws_seed: int, classes: int) -> np.ndarray:
    """P(F(centre + ε) = c) by Monte Carlo (core.geometry.class_distribution), drawn from the stream seeded
    ``draws_seed``."""
    return (
        geometry.class_distribution(
            model, centre, noise=noise, num=num, batch_size=250, seed=draws_seed, num_classes=classes
        )
        .numpy()
        .astype(float)
    )


def toy_scene(
    *,
    x1: float = TOY_POINT[0],
    x2: float = TOY_POINT[1],
    sigma: float = TOY_SIGMA,
    eps: float = TOY_EPS,
    seed: int = 0,
) -> ToyScene:
    """Cohen et al.'s Figure 1 on the toy network F: x_adv = PGD ℓ2 within ε on F, the clouds x + ε
    and x_adv + ε (ε ~ N(0, σ²I), CLOUD_POINTS each), p_c = P(F(· + ε) = c) at both (TOY_VOTES draws)
    and TV(p(x), p(x_adv))."""
    return shipped.or_live(toy_scene_live, locals(), depends=[scene7.toy_spec(seed)])


def toy_scene_live(*, x1, x2, sigma, eps, seed) -> ToyScene:
    """:func:`toy_scene` computed here (never read from the shipped file)."""
    check_seed(seed)
    x1, x2 = (checks.number(v, 0.0, 1.0, name) for v, name in ((x1, "x₁"), (x2, "x₂")))
    noise = noises.make("gaussian", checks.one_of(sigma, SIGMA_CHOICES, "σ"))
    eps = checks.one_of(eps, TOY_BUDGETS, "The PGD budget ε")
    model = toys.model(scene7.toy_spec(seed))
    x = torch.tensor([x1, x2], dtype=torch.float32)
    label = _decision(model, x)
    x_adv = _pgd_l2(model, x, label, eps, stream_seed(seed, "attack"))
    fields = {}
    for name, centre, suffix in (("x", x, "cloud"), ("x_adv", x_adv, "cloud_adv")):
        cloud = geometry.noise_cloud(
            centre, noise=noise, num=CLOUD_POINTS, seed=stream_seed(seed, f"cloud {name}")
        )
        with torch.inference_mode():
            fields[f"{suffix}_votes"] = model(cloud).argmax(1).numpy()
        fields[suffix] = cloud.numpy()
    p = _votes(model, x, noise, TOY_VOTES, stream_seed(seed, "votes x"), 2)
    q = _votes(model, x_adv, noise, TOY_VOTES, stream_seed(seed, "votes x_adv"), 2)
    return ToyScene(
        label=label,
        adv_label=_decision(model, x_adv),
        p=p,
        q=q,
        tv=0.5 * float(np.abs(p - q).sum()),
        distance=float((x_adv - x).norm()),
        sigma=noise.scale,
        draws=TOY_VOTES,
        x=(x1, x2),
        x_adv=tuple(float(v) for v in x_adv),
        **fields,
    )


def toy_regions(*, sigma: float = TOY_SIGMA, seed: int = 0) -> ToyRegions:
    """The decision regions of the toy F and of Cohen et al.'s hard smoothed classifier
    argmax_c P(F(p + ε) = c), ε ~ N(0, σ²I), SMOOTH_DRAWS draws per grid point (stream "regions")."""
    return shipped.or_live(toy_regions_live, locals(), depends=[scene7.toy_spec(seed)])


def toy_regions_live(*, sigma, seed) -> ToyRegions:
    """:func:`toy_regions` computed here (never read from the shipped file)."""
    check_seed(seed)
    noise = noises.make("gaussian", checks.one_of(sigma, SIGMA_CHOICES, "σ"))
    model = toys.model(scene7.toy_spec(seed))
    plain = geometry.decision_regions(model, resolution=PLAIN_RESOLUTION)
    smoothed = geometry.smoothed_decision_regions(
        model,
        noise=noise,
        num=SMOOTH_DRAWS,
        resolution=SMOOTH_RESOLUTION,
        seed=stream_seed(seed, "regions"),
        soft=False,
    )
    return ToyRegions(
        xs=plain.xs.numpy(),
        ys=plain.ys.numpy(),
        labels=plain.labels.numpy(),
        smooth_xs=smoothed.xs.numpy(),
        smooth_ys=smoothed.ys.numpy(),
        smooth_labels=smoothed.labels.numpy(),
        sigma=float(sigma),
        draws=SMOOTH_DRAWS,
    )


def models() -> list[str]:
    """Zoo models trained with noise at the input (CIFAR-10 and MNIST Gaussian σ = 0.25 first)."""
    return common.ordered(common.noisy_input_models(), PREFERRED_MODELS)


model_info = scene7.model_info  # the zoo model's layers, classes and gallery (shared with scene 7)


def trained_scale(model: str) -> float:
    """The scale of the noise ``model`` was trained with (zoo manifest); ValueError for a noise-free model."""
    return float(common.zoo_noise(model)[0].scale)


def image_scene(
    *,
    model: str = DEFAULT_MODEL,
    index: int = 0,
    scale: float = 0.25,
    eps: float = DEFAULT_BUDGET["cifar10"],
    votes: int = DEFAULT_VOTES,
    seed: int = 0,
) -> ImageScene:
    """Figure 1 on a gallery image: x_adv = PGD ℓ2 within ε on the zoo model's base network F, then
    P(F(· + ε) = c) at x and x_adv over ``votes`` draws each of the model's training noise at
    ``scale``, and their total variation."""
    return shipped.or_live(image_scene_live, locals(), depends=scene7._models(model))


def image_scene_live(*, model, index, scale, eps, votes, seed) -> ImageScene:
    """:func:`image_scene` computed here (never read from the shipped file)."""
    check_seed(seed)
    base, noise, eps, votes, dataset = _image_settings(model, scale, eps, votes)
    x_all, y_all = common.gallery(dataset)
    index = checks.integer(index, 0, len(x_all) - 1, "The gallery image")
    outcome, x_adv = _image_outcome(
        base,
        noise,
        x_all[index],
        int(y_all[index]),
        eps=eps,
        votes=votes,
        classes=len(data.CLASS_NAMES[dataset]),
        seed=seed,
        index=index,
    )
    return ImageScene(
        **_outcome_fields(outcome),
        model=model,
        x=common.image_array(x_all[index]),
        x_adv=common.image_array(x_adv),
        noise_label=noise.label,
    )


def _image_settings(model, scale, eps, votes):
    """The checked settings of an image run: (base network F, noise at ``scale``, ε, draws, dataset)."""
    if model not in zoo.names():
        raise ValueError(f"{model!r} is not a zoo model: choose one of {', '.join(zoo.names()) or 'none'}.")
    trained, _ = common.zoo_noise(model)
    noise = noises.make(
        trained.name, checks.one_of(scale, SIGMA_CHOICES, "The noise scale"), **trained.params
    )
    return (
        zoo.shared_base(model),
        noise,
        checks.one_of(eps, IMAGE_BUDGETS, "The PGD budget ε"),
        checks.one_of(votes, IMAGE_VOTE_CHOICES, "The number of draws"),
        common.dataset_of(model),
    )


def _image_outcome(
    base,
    noise,
    x: torch.Tensor,
    true_label: int,
    *,
    eps: float,
    votes: int,
    classes: int,
    seed: int,
    index: int,
) -> tuple[Outcome, torch.Tensor]:
    """Figure 1 on gallery image ``index`` (the one computation behind :func:`image_scene` and each row of
    :func:`gallery_outcomes`): x_adv = PGD ℓ2 within ε on F against the true label, then P(F(· + ε) = c) at x
    and x_adv over ``votes`` draws each. The streams "attack", "votes x", "votes x_adv" are the image's own,
    core.seeds.example_seed(seed, index, name), so its result depends on (seed, index) alone, never on which
    other images ran (image 0's are the demo seed's streams)."""
    x_adv = _pgd_l2(base, x, true_label, eps, example_seed(seed, index, "attack"))
    p = _votes(base, x, noise, votes, example_seed(seed, index, "votes x"), classes)
    q = _votes(base, x_adv, noise, votes, example_seed(seed, index, "votes x_adv"), classes)
    return Outcome(
        label=_decision(base, x),
        adv_label=_decision(base, x_adv),
        p=p,
        q=q,
        tv=0.5 * float(np.abs(p - q).sum()),
        distance=float((x_adv - x).norm()),
        sigma=noise.scale if noise.name == "gaussian" else None,
        draws=votes,
    ), x_adv


def _outcome_fields(outcome: Outcome) -> dict:
    return {field.name: getattr(outcome, field.name) for field in dataclasses.fields(Outcome)}


# ---------------------------------------------------------------------------- the whole gallery at once


@dataclass(frozen=True)
class GalleryRow(Outcome):
    """:func:`image_scene`'s outcome on one gallery image (no pixels)."""

    index: int = 0
    true_label: int = 0


@dataclass(frozen=True)
class GalleryOutcomes:
    """Figure 1 on each chosen gallery image at one setting: one row per image, and the counts the caption
    states."""

    model: str
    noise_label: str
    eps: float
    votes: int
    seed: int
    rows: tuple[GalleryRow, ...]
    flipped: int  # images where PGD changes F's answer
    changed: int  # images where F_rob (the vote) changes its answer
    flipped_kept: int  # images where F flips and F_rob keeps its answer (Cohen et al.'s Figure 1)

    @property
    def images(self) -> int:
        return len(self.rows)


def gallery_outcomes(
    *,
    model: str = DEFAULT_MODEL,
    scale: float = 0.25,
    eps: float = DEFAULT_BUDGET["cifar10"],
    votes: int = DEFAULT_VOTES,
    seed: int = 0,
    indices: tuple[int, ...] | None = None,
    progress=None,
) -> GalleryOutcomes:
    """:func:`image_scene` on every gallery image (``indices``: only those, in that order), one image after
    the other: how many images PGD flips F on, and on how many F_rob changes its answer. Row k equals
    image_scene(index=k) at the same settings and seed, whichever other images ran. The defaults' run is read
    from
    assets/scenes/decision_distribution.json (:func:`build`); ``progress(done, total)`` follows a live run."""
    return shipped.or_live(gallery_outcomes_live, locals(), depends=scene7._models(model))


def gallery_outcomes_live(*, model, scale, eps, votes, seed, indices=None, progress=None) -> GalleryOutcomes:
    """:func:`gallery_outcomes` computed here (never read from the shipped file); ``progress(done, total)`` is
    called before the first image (done = 0) and after each image."""
    check_seed(seed)
    base, noise, eps, votes, dataset = _image_settings(model, scale, eps, votes)
    x_all, y_all = common.gallery(dataset)
    chosen = range(len(x_all)) if indices is None else _gallery_indices(indices, len(x_all))
    rows = []
    if progress is not None:
        progress(0, len(chosen))
    for index in chosen:
        outcome, _ = _image_outcome(
            base,
            noise,
            x_all[index],
            int(y_all[index]),
            eps=eps,
            votes=votes,
            classes=len(data.CLASS_NAMES[dataset]),
            seed=seed,
            index=index,
        )
        rows.append(GalleryRow(**_outcome_fields(outcome), index=index, true_label=int(y_all[index])))
        if progress is not None:
            progress(len(rows), len(chosen))
    return GalleryOutcomes(
        model=model,
        noise_label=noise.label,
        eps=eps,
        votes=votes,
        seed=seed,
        rows=tuple(rows),
        flipped=sum(row.flipped for row in rows),
        changed=sum(not row.kept for row in rows),
        flipped_kept=sum(row.flipped and row.kept for row in rows),
    )


def _gallery_indices(indices, size: int) -> tuple[int, ...]:
    if isinstance(indices, (str, bytes)) or not hasattr(indices, "__iter__"):
        raise ValueError(f"The gallery images must be a list of image numbers, got {indices!r}.")
    chosen = tuple(checks.integer(index, 0, size - 1, "A gallery image") for index in indices)
    if not chosen or len(set(chosen)) != len(chosen):
        raise ValueError(f"The gallery images must be distinct image numbers, at least one, got {indices!r}.")
    return chosen


def _how_many(count: int, total: int, noun: str = "") -> str:
    """ "none of the 20 images", "all 20 images", "3 of 20 images (a minority)"."""
    noun = f" {noun}" if noun else ""
    if count == 0:
        return f"none of the {total}{noun}"
    if count == total:
        return f"all {total}{noun}"
    share = "a minority" if 2 * count < total else "half" if 2 * count == total else "a majority"
    return f"{count} of {total}{noun} ({share})"


def gallery_caption(result: GalleryOutcomes) -> str:
    """The counts as a sentence: on how many images PGD flips F, on how many F_rob changes its answer, and
    where F
    flips, on how many F_rob keeps it (computed, whatever the counts are)."""
    total = result.images
    text = (
        f"On {total} gallery images ({result.model}, PGD ℓ2 ε = {result.eps:g}, F_rob = the vote of "
        f"{result.votes} draws of {result.noise_label}, seed {result.seed}), the attack flips F on "
        f"{_how_many(result.flipped, total, 'images')}; F_rob changes its answer on "
        f"{_how_many(result.changed, total)}."
    )
    if result.flipped:
        text += f" Where F flips, F_rob keeps its answer on {_how_many(result.flipped_kept, result.flipped)}."
    return text


# ---------------------------------------------------------------------------- Pinot et al.: from a divergence
# to a radius

DIVERGENCE_P_A = (0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999)
DIVERGENCE_BETAS = (1.0, 1.25, 1.5, 2.0, 3.0)
DIVERGENCE_ORDERS = (1.1, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0, 100.0)
DIVERGENCE_STDS = (0.12, 0.25, 0.5)
PARAMETERS = declare(
    Parameter("x1", "p08_x1", TOY_POINT[0], low=0.0, high=1.0, step=0.01),
    Parameter("x2", "p08_x2", TOY_POINT[1], low=0.0, high=1.0, step=0.01),
    Parameter("sigma", "p08_sigma", TOY_SIGMA, choices=SIGMA_CHOICES),
    Parameter("eps", "p08_eps", TOY_EPS, choices=TOY_BUDGETS),
    *zoo_image("p08"),
    Parameter("image_scale", "p08_image_scale", choices=SIGMA_CHOICES, note="the nearest to the model's σ"),
    Parameter(
        "image_eps", "p08_image_eps", choices=IMAGE_BUDGETS, note="DEFAULT_BUDGET of the model's dataset"
    ),
    Parameter("votes", "p08_votes", DEFAULT_VOTES, choices=IMAGE_VOTE_CHOICES),
    Parameter("p_a", "p08_div_pa", 0.9, choices=DIVERGENCE_P_A),
    Parameter("beta", "p08_div_beta", 1.5, choices=DIVERGENCE_BETAS),
    Parameter("order", "p08_div_order", 2.0, choices=DIVERGENCE_ORDERS),
    Parameter("std", "p08_div_std", 0.25, choices=DIVERGENCE_STDS),
)
DEFAULTS = defaults(PARAMETERS)
DIVERGENCE_POINTS = 41
DIVERGENCE_EXPLANATION = r"""
**Pinot et al. 2019: the exponential family, through a divergence.** The noisy network's output law at
$x + \tau$ is a post-processing of $\mathcal D(x + \tau)$, so it cannot move more than the input laws do.
Measured by the Rényi divergence $D_\lambda$ of order $\lambda$, **Li et al. 2019** (Lemma 1) show the top
class stays while $D_\lambda \le -\log\big(1 - p_A - p_B + 2\big((p_A^{1-\lambda} +
p_B^{1-\lambda})/2\big)^{1/(1-\lambda)}\big)$
for some $\lambda > 1$ ($\lambda \to \infty$: $-\log(1 - p_A + p_B)$). Gaussian:
$D_\lambda = \lambda\|\tau\|_2^2/2\sigma^2$ (ℓ2); Laplace: a closed form per coordinate (ℓ1;
$D_\infty = \|\tau\|_1/b$ gives Teng et al.'s radius); generalized normal $\propto e^{-|t/s|^\beta}$: 1-D
quadrature, certified in **ℓ1** for $\beta \ge 1$ — its 1-D divergence is convex, so over the ℓ1 ball the
product law's divergence is largest with the whole shift on one coordinate. The route is **sound** (every
radius it gives is certified) but need not be tight: beside it, the table gives the 1-D Neyman–Pearson radius
$G^{-1}(p_A)$ ($G$ the CDF of one coordinate of the noise), where the half-space classifier
$\{t_1 \le G^{-1}(p_A)\}$, with the same $p_A$, changes its answer under a shift along one coordinate: no
certificate from $p_A$ alone can exceed it.
"""


@dataclass(frozen=True)
class DivergenceView:
    """The divergence route for three noises at matched per-coordinate std: D_λ(P_0 ‖ P_τ) over the ball of
    radius ‖τ‖ in each noise's certified norm at the chosen Rényi order λ, Li et al.'s bound, r_λ per λ and
    the
    certificate sup_λ r_λ beside the closed forms and the 1-D Neyman–Pearson radius G⁻¹(p_A)."""

    p_a: float
    order: float  # the Rényi order λ of the left chart
    labels: tuple[str, ...]  # the three noises (Gaussian, Laplace, generalized normal)
    norms: tuple[str, ...]  # "l2", "l1", "l1"
    distances: np.ndarray  # ‖τ‖ grid
    divergences: np.ndarray  # 3 × DIVERGENCE_POINTS: D_λ at each distance
    bound: float  # Li et al.'s right-hand side at λ
    order_radii: tuple[float, ...]  # r_λ: where each curve meets the bound
    orders: np.ndarray  # the λ grid of the sup (core.divergence.ORDERS)
    radii_by_order: np.ndarray  # 3 × len(orders): r_λ
    radii: tuple[float, ...]  # sup_λ r_λ (λ → ∞ included): the certificate
    best_orders: tuple[float, ...]  # the λ attaining it, λ* (inf: the limit)
    closed_forms: tuple[float | None, ...]  # Li et al.'s renyi_radius, Teng et al.'s laplace_radius, none
    tight: tuple[float | None, ...]  # Cohen et al.'s σΦ⁻¹(p_A), Teng et al.'s (tight), none known
    shift_radii: tuple[float, ...]  # 1-D Neyman–Pearson G⁻¹(p_A): no sound certificate from p_A exceeds it

    @property
    def reproduced(self) -> tuple[bool, bool]:
        """The divergence route meets Li et al.'s Gaussian and Teng et al.'s Laplace radius to 1e-4."""
        return tuple(abs(self.radii[i] - self.closed_forms[i]) <= 1e-4 for i in (0, 1))


def divergence_view(
    *,
    p_a: float = DEFAULTS["p_a"],
    beta: float = DEFAULTS["beta"],
    order: float = DEFAULTS["order"],
    std: float = DEFAULTS["std"],
) -> DivergenceView:
    """:func:`divergence_view_live`, shipped at the page's opening values (numerical quadratures; trusted only
    when computed by the same core/divergence.py and core/noise.py)."""
    return shipped.or_live(divergence_view_live, locals(), depends=[divergence, noises])


def divergence_view_live(
    *, p_a: float = 0.9, beta: float = 1.5, order: float = 2.0, std: float = 0.25
) -> DivergenceView:
    """Pinot et al.'s exponential-family noises (Gaussian σ = std, Laplace b = std/√2, generalized normal with
    shape β at std) certified by the divergence route: core.divergence.ball_renyi_divergence on a grid of ‖τ‖
    at Rényi order λ = ``order``, li_renyi_bound(p_A, λ), order_radius per λ and
    core.smoothing.exponential_family_radius (p_B = 1 − p_A); beside them the 1-D Neyman–Pearson radius
    G⁻¹(p_A), G the CDF of one coordinate of the noise (core.noise.Noise.distribution)."""
    p_a = checks.one_of(p_a, DIVERGENCE_P_A, "p_A")
    beta = checks.one_of(beta, DIVERGENCE_BETAS, "β")
    order = checks.one_of(order, DIVERGENCE_ORDERS, "The Rényi order λ")
    std = checks.one_of(std, DIVERGENCE_STDS, "The noise standard deviation")
    chosen = (
        noises.make("gaussian", std),
        noises.make("laplace", noises.scale_for_std("laplace", std)),
        noises.make(
            "generalized_normal", noises.scale_for_std("generalized_normal", std, beta=beta), beta=beta
        ),
    )
    certificates = [divergence.divergence_radius(noise, p_a) for noise in chosen]
    largest = max(radius for radius, _ in certificates)
    distances = np.linspace(0.0, 1.5 * largest, DIVERGENCE_POINTS)
    return DivergenceView(
        p_a=p_a,
        order=order,
        labels=tuple(noise.label for noise in chosen),
        norms=tuple(divergence.certified_norm(noise) for noise in chosen),
        distances=distances,
        divergences=np.array(
            [
                [divergence.ball_renyi_divergence(noise, float(r), order=order) for r in distances]
                for noise in chosen
            ]
        ),
        bound=divergence.li_renyi_bound(p_a, order=order),
        order_radii=tuple(divergence.order_radius(noise, p_a, order=order) for noise in chosen),
        orders=divergence.ORDERS.copy(),
        radii_by_order=np.array(
            [
                [divergence.order_radius(noise, p_a, order=float(a)) for a in divergence.ORDERS]
                for noise in chosen
            ]
        ),
        radii=tuple(float(radius) for radius, _ in certificates),
        best_orders=tuple(float(best) for _, best in certificates),
        closed_forms=(smoothing.renyi_radius(p_a, std), smoothing.laplace_radius(p_a, chosen[1].scale), None),
        tight=(smoothing.gaussian_radius(p_a, std), smoothing.laplace_radius(p_a, chosen[1].scale), None),
        shift_radii=tuple(shift_radius(noise, p_a) for noise in chosen),
    )


def shift_radius(noise, p_a: float) -> float:
    """The 1-D Neyman–Pearson radius G⁻¹(p_A), G the CDF of one coordinate of the (symmetric, log-concave)
    noise: the half-space classifier {t : t_1 ≤ G⁻¹(p_A)} has P(F(x + ε) = A) = p_A and changes its answer
    once x moves by more than G⁻¹(p_A) along the first coordinate, so no certificate computed from p_A alone
    (p_B = 1 − p_A) exceeds it in any ℓp norm; it is Cohen et al.'s σΦ⁻¹(p_A) for the Gaussian and Teng et
    al.'s
    −b log(2(1 − p_A)) for the Laplace noise, both tight."""
    return float(noise.distribution().ppf(p_a))


def ordering(route: float, other: float) -> str:
    """How a radius no sound certificate exceeds compares with the route's: "larger", "equal" (to 1e-4) or
    "smaller" (impossible for a sound route: a numerical fault)."""
    return "larger" if other > route + 1e-4 else "equal" if other >= route - 1e-4 else "smaller"


def _versus(route: float, other: float, name: str, tight: bool) -> str:
    """``name`` = ``other`` against the route's ``route``, as the computation ordered them; ``tight``:
    ``other`` is
    the tight radius itself (else only an upper limit, and the tight radius lies in between)."""
    found = ordering(route, other)
    if found == "larger":
        return f"{name} = {other:.4f} is larger than the route's {route:.4f}: the route is sound but " + (
            "loose" if tight else f"possibly loose (the tight ℓ1 radius lies in [{route:.4f}, {other:.4f}])"
        )
    if found == "equal":
        return f"{name} = {other:.4f} equals the route's {route:.4f} to 1e-4: here the route is tight"
    return (
        f"{name} = {other:.4f} is smaller than the route's {route:.4f}, which no sound certificate can be: "
        "a numerical fault to report"
    )


def divergence_caption(view: DivergenceView) -> str:
    """What the divergence view computed: each noise's certificate and Rényi order λ*, whether the route met
    the closed forms (Li et al.'s Gaussian radius, Teng et al.'s Laplace radius) to 1e-4, and how it compares
    with
    Cohen et al.'s tight Gaussian radius and with the generalized normal's 1-D Neyman–Pearson radius
    G⁻¹(p_A)."""
    gaussian, laplace = view.reproduced
    orders = ", ".join(
        f"{label}: R = {radius:.4f} ({'ℓ2' if norm == 'l2' else 'ℓ1'}, Rényi order λ* = "
        f"{'∞' if not np.isfinite(best) else format(best, '.3g')})"
        for label, norm, radius, best in zip(view.labels, view.norms, view.radii, view.best_orders)
    )
    met = lambda ok, what, value: (
        f"meets {what} ({value:.4f}) to 1e-4"
        if ok
        else f"differs from {what} ({value:.4f}) by more than 1e-4"
    )
    text = (
        f"At p_A = {view.p_a:g} (p_B = 1 − p_A): {orders}. The route "
        f"{met(gaussian, 'Li et al.’s Gaussian radius', view.closed_forms[0])} and "
        f"{met(laplace, 'Teng et al.’s Laplace radius', view.closed_forms[1])}. Gaussian: "
        f"{_versus(view.radii[0], view.tight[0], 'Cohen et al.’s tight ℓ2 radius σΦ⁻¹(p_A)', True)}."
    )
    return (
        text
        + " Generalized normal (ℓ1): no certificate from p_A alone exceeds the 1-D Neyman–Pearson radius; "
        f"{_versus(view.radii[2], view.shift_radii[2], 'G⁻¹(p_A)', False)}."
    )


# ---------------------------------------------------------------------------- shipped defaults


def build() -> None:
    """Ship the page's opening results (every default; the smoothed regions and the image's at every seed of
    core.toys.SHIPPED_SEEDS, the toy attack, a moment's work, at seed 0; the divergence view, which draws
    nothing) and the defaults' gallery-wide run
    (seed 0: it waits for a button) in assets/scenes/decision_distribution.json."""
    opening = [(function, shipped.defaults(function)) for function in (toy_scene, toy_regions, image_scene)]
    calls = opening + shipped.at_seeds(opening[1:], toys.SHIPPED_SEEDS[1:])
    calls += [(divergence_view, shipped.defaults(divergence_view))]
    shipped.build(__name__, calls + [(gallery_outcomes, shipped.defaults(gallery_outcomes))])


# --------------------------------------------------------------------------- predict, then reveal

PREDICTION = Prediction(
    "PGD moves x to x_adv against the network F. Does the smoothed classifier F_rob change its answer?",
    ("No: F_rob keeps its answer", "Yes: F_rob changes it"),
)


def verdict(outcome: Outcome, class_names) -> Verdict:
    """Which choice of PREDICTION the computed votes confirm, with F's and F_rob's answers."""
    names = list(class_names)
    return Verdict(
        (outcome.kept, not outcome.kept),
        f"F: {names[outcome.label]} → {names[outcome.adv_label]}; F_rob: {names[outcome.rob_label]} → "
        f"{names[outcome.rob_adv_label]} (total variation between the two vote distributions: "
        f"{outcome.tv:.3f}).",
    )
