"""Scene 8 · Noise → a distribution over decision regions (Cohen et al. 2019, Figure 1).

Adding ε ~ N(0, σ²I) to x turns the single decision F(x) into a distribution over the decision
regions of F, p_c(x) = P_ε(F(x + ε) = c); the smoothed classifier is F_rob(x) = argmax_c p_c(x).
An adversarial x_adv = x + τ (PGD ℓ2 on F) may change F's decision; whether p(x_adv) stays close to
p(x) — TV(p(x), p(x_adv)) = ½ Σ_c |p_c(x) − p_c(x_adv)| — and whether F_rob keeps its answer is
computed here, never assumed.

Every draw comes from a named stream of the demo's seed (core.seeds.stream_generator): "attack"
(PGD's random start), "cloud x" / "cloud x_adv" (the drawn clouds), "votes x" / "votes x_adv" (the
class frequencies), "regions" (the smoothed map). Zoo models: the shared base network f
(core.zoo.shared_base) with the noise drawn here, never by a cached noise layer.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core import data, geometry, noise as noises, toys, zoo
from core.scenes import common
from core.scenes import noise_injection as shipping
from core.seeds import check_seed, stream_generator, stream_seed
from core.scenes.lecture import Prediction, Verdict

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
TV_CLOSE = 0.1               # "almost the same distribution": total variation at most this
TOY_CLASSES = ("class 0", "class 1")

# The toy base network, shared with scene 7: two moons, 2-64-64-2 ReLU trained on x + ε, ε ~ N(0, 0.1²).
TOY_SPEC = shipping.TOY_SPEC
SHIPPED_TOYS = [TOY_SPEC]

# ---------------------------------------------------------------------------- texts (data)

# Lecture mode (core.scenes.lecture): what the page reveals at each step, in order.
STEPS = (
    'Question: does F_rob change its answer?',
    'The answer, computed',
    'The figure: noise clouds and vote histograms',
    'Decision regions of F and F_rob',
)

EXPLANATION = r"""
**Cohen et al. 2019, Figure 1.** Adding $\varepsilon \sim \mathcal N(0, \sigma^2 I)$ to $x$ turns the single
decision $F(x)$ into a distribution over the decision regions of $F$:
$p_c(x) = \mathbb P_\varepsilon\big(F(x + \varepsilon) = c\big)$, and the smoothed classifier is
$F_{\mathrm{rob}}(x) = \arg\max_c p_c(x)$. An adversarial example $x_{adv} = x + \tau$ with small $\|\tau\|_2$ may change
$F$'s decision; the two noise clouds overlap, so $p(x)$ and $p(x_{adv})$ *can* stay close — in total variation
$\mathrm{TV} = \tfrac12\sum_c |p_c(x) - p_c(x_{adv})|$ — and then $F_{\mathrm{rob}}$ keeps its answer.
The captions below say what happened here.
"""
USES = ("a 2-D toy network (two moons, 2-64-64-2 ReLU trained on x + ε, ε ~ N(0, 0.1²)); a zoo model "
        "(default cifar10-gaussian-0.25, without its noise layer = the base F) on foolbox's gallery images. "
        "x_adv = PGD ℓ2 (core.attacks.pgd, 20 steps) on the base network F.")
REGIONS_CAPTION = ("Right: argmax_c P(F(p + ε) = c) at every grid point p (core.geometry.smoothed_decision_regions, "
                   "Cohen et al.'s hard vote, {draws} draws per point). Smoothing removes thin spikes and rounds "
                   "the boundary.")


# ---------------------------------------------------------------------------- results

@dataclass(frozen=True)
class Outcome:
    """F and F_rob at x and x_adv, the two vote distributions and what they say."""
    label: int                  # F(x)
    adv_label: int              # F(x_adv)
    p: np.ndarray               # P(F(x + ε) = c), Monte Carlo
    q: np.ndarray               # P(F(x_adv + ε) = c)
    tv: float                   # TV(p, q)
    distance: float             # ‖x_adv − x‖₂

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


@dataclass(frozen=True)
class ToyScene(Outcome):
    x: tuple[float, float] = (0.0, 0.0)
    x_adv: tuple[float, float] = (0.0, 0.0)
    cloud: np.ndarray = None            # CLOUD_POINTS × 2 draws x + ε …
    cloud_votes: np.ndarray = None      # … and F's decision on each
    cloud_adv: np.ndarray = None        # the same around x_adv
    cloud_adv_votes: np.ndarray = None


@dataclass(frozen=True)
class ImageScene(Outcome):
    model: str = ""
    x: np.ndarray = None                # H × W × 3 uint8
    x_adv: np.ndarray = None
    noise_label: str = ""
    votes: int = 0


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
    """One sentence stating what the computation found: did PGD flip F, did F_rob keep its answer,
    are the two vote distributions close (TV ≤ TV_CLOSE)?"""
    names = list(class_names)
    before, after = names[outcome.label], names[outcome.adv_label]
    attack = (f"The attack flips F ({before} → {after})" if outcome.flipped
              else f"Within this budget PGD does not flip F (it still says {before})")
    distance = (f"the two vote distributions are almost the same (TV = {outcome.tv:.3f} ≤ {TV_CLOSE})" if outcome.close
                else f"the two vote distributions differ (TV = {outcome.tv:.3f} > {TV_CLOSE})")
    smoothed = (f"F_rob keeps its answer ({names[outcome.rob_label]})" if outcome.kept
                else f"F_rob changes its answer ({names[outcome.rob_label]} → {names[outcome.rob_adv_label]})")
    return f"{attack}; {distance}, and {smoothed}."


# ---------------------------------------------------------------------------- computations

def _pgd_l2(model, x: torch.Tensor, label: int, eps: float, seed: int) -> torch.Tensor:
    """x_adv = PGD ℓ2 (Madry et al. 2018; PGD_STEPS steps of 2.5·ε/steps, random start from the stream
    "attack") on the deterministic base network F, for ONE input."""
    from core import attacks

    return attacks.pgd(model, x.unsqueeze(0), torch.tensor([label]), eps=eps, step=2.5 * eps / PGD_STEPS,
                       steps=PGD_STEPS, norm="l2", generator=stream_generator(seed, "attack"))[0].detach()


def _decision(model, x: torch.Tensor) -> int:
    with torch.inference_mode():
        return int(model(x.unsqueeze(0)).argmax(1))


def _votes(model, centre: torch.Tensor, noise, num: int, seed: int, stream: str, classes: int) -> np.ndarray:
    """P(F(centre + ε) = c) by Monte Carlo (core.geometry.class_distribution) on the stream ``stream``."""
    return geometry.class_distribution(model, centre, noise=noise, num=num, batch_size=250,
                                       seed=stream_seed(seed, stream), num_classes=classes).numpy().astype(float)


def _choice(value, options, what: str):
    if isinstance(value, bool) or value not in options:
        raise ValueError(f"{what} must be one of {', '.join(map(str, options))}, got {value!r}.")
    return float(value) if isinstance(value, float) else value


def toy_scene(*, x1: float = TOY_POINT[0], x2: float = TOY_POINT[1], sigma: float = TOY_SIGMA,
              eps: float = TOY_EPS, seed: int = 0) -> ToyScene:
    """Cohen et al.'s Figure 1 on the toy network F: x_adv = PGD ℓ2 within ε on F, the clouds x + ε
    and x_adv + ε (ε ~ N(0, σ²I), CLOUD_POINTS each), p_c = P(F(· + ε) = c) at both (TOY_VOTES draws)
    and TV(p(x), p(x_adv))."""
    return shipping.shipped_result(SCENE_FILE, "toy_scene", locals(), RESULT_TYPES) or toy_scene_live(**locals())


def toy_scene_live(*, x1, x2, sigma, eps, seed) -> ToyScene:
    """:func:`toy_scene` computed here (never read from the shipped file)."""
    check_seed(seed)
    x1, x2 = (shipping._number(v, 0.0, 1.0, name) for v, name in ((x1, "x₁"), (x2, "x₂")))
    noise = noises.make("gaussian", _choice(sigma, SIGMA_CHOICES, "σ"))
    eps = _choice(eps, TOY_BUDGETS, "The PGD budget ε")
    model = toys.model(shipping.toy_spec(seed))
    x = torch.tensor([x1, x2], dtype=torch.float32)
    label = _decision(model, x)
    x_adv = _pgd_l2(model, x, label, eps, seed)
    fields = {}
    for name, centre, suffix in (("x", x, "cloud"), ("x_adv", x_adv, "cloud_adv")):
        cloud = geometry.noise_cloud(centre, noise=noise, num=CLOUD_POINTS, seed=stream_seed(seed, f"cloud {name}"))
        with torch.inference_mode():
            fields[f"{suffix}_votes"] = model(cloud).argmax(1).numpy()
        fields[suffix] = cloud.numpy()
    p = _votes(model, x, noise, TOY_VOTES, seed, "votes x", 2)
    q = _votes(model, x_adv, noise, TOY_VOTES, seed, "votes x_adv", 2)
    return ToyScene(label=label, adv_label=_decision(model, x_adv), p=p, q=q, tv=0.5 * float(np.abs(p - q).sum()),
                    distance=float((x_adv - x).norm()), x=(x1, x2), x_adv=tuple(float(v) for v in x_adv), **fields)


def toy_regions(*, sigma: float = TOY_SIGMA, seed: int = 0) -> ToyRegions:
    """The decision regions of the toy F and of Cohen et al.'s hard smoothed classifier
    argmax_c P(F(p + ε) = c), ε ~ N(0, σ²I), SMOOTH_DRAWS draws per grid point (stream "regions")."""
    return shipping.shipped_result(SCENE_FILE, "toy_regions", locals(), RESULT_TYPES) or toy_regions_live(**locals())


def toy_regions_live(*, sigma, seed) -> ToyRegions:
    """:func:`toy_regions` computed here (never read from the shipped file)."""
    check_seed(seed)
    noise = noises.make("gaussian", _choice(sigma, SIGMA_CHOICES, "σ"))
    model = toys.model(shipping.toy_spec(seed))
    plain = geometry.decision_regions(model, resolution=PLAIN_RESOLUTION)
    smoothed = geometry.smoothed_decision_regions(model, noise=noise, num=SMOOTH_DRAWS, resolution=SMOOTH_RESOLUTION,
                                                  seed=stream_seed(seed, "regions"), soft=False)
    return ToyRegions(xs=plain.xs.numpy(), ys=plain.ys.numpy(), labels=plain.labels.numpy(),
                      smooth_xs=smoothed.xs.numpy(), smooth_ys=smoothed.ys.numpy(),
                      smooth_labels=smoothed.labels.numpy(), sigma=float(sigma), draws=SMOOTH_DRAWS)


def models() -> list[str]:
    """Zoo models trained with noise at the input (CIFAR-10 and MNIST Gaussian σ = 0.25 first)."""
    return common.ordered(common.noisy_input_models(), PREFERRED_MODELS)


model_info = shipping.model_info      # the zoo model's layers, classes and gallery (shared with scene 7)


def trained_scale(model: str) -> float:
    """The scale of the noise ``model`` was trained with (zoo manifest); ValueError for a noise-free model."""
    return float(common.zoo_noise(model)[0].scale)


def image_scene(*, model: str = DEFAULT_MODEL, index: int = 0, scale: float = 0.25,
                eps: float = DEFAULT_BUDGET["cifar10"], votes: int = DEFAULT_VOTES, seed: int = 0) -> ImageScene:
    """Figure 1 on a gallery image: x_adv = PGD ℓ2 within ε on the zoo model's base network F, then
    P(F(· + ε) = c) at x and x_adv over ``votes`` draws each of the model's training noise at
    ``scale``, and their total variation."""
    return shipping.shipped_result(SCENE_FILE, "image_scene", locals(), RESULT_TYPES) or image_scene_live(**locals())


def image_scene_live(*, model, index, scale, eps, votes, seed) -> ImageScene:
    """:func:`image_scene` computed here (never read from the shipped file)."""
    check_seed(seed)
    if model not in zoo.names():
        raise ValueError(f"{model!r} is not a zoo model: choose one of {', '.join(zoo.names()) or 'none'}.")
    base = zoo.shared_base(model)
    trained, _ = common.zoo_noise(model)
    noise = noises.make(trained.name, _choice(scale, SIGMA_CHOICES, "The noise scale"), **trained.params)
    eps = _choice(eps, IMAGE_BUDGETS, "The PGD budget ε")
    votes = _choice(votes, IMAGE_VOTE_CHOICES, "The number of draws")
    x_all, y_all = common.gallery(common.dataset_of(model))
    index = shipping._integer(index, 0, len(x_all) - 1, "The gallery image")
    x = x_all[index]
    x_adv = _pgd_l2(base, x, int(y_all[index]), eps, seed)
    classes = len(data.CLASS_NAMES[common.dataset_of(model)])
    p = _votes(base, x, noise, votes, seed, "votes x", classes)
    q = _votes(base, x_adv, noise, votes, seed, "votes x_adv", classes)
    return ImageScene(label=_decision(base, x), adv_label=_decision(base, x_adv), p=p, q=q,
                      tv=0.5 * float(np.abs(p - q).sum()), distance=float((x_adv - x).norm()), model=model,
                      x=common.image_array(x), x_adv=common.image_array(x_adv), noise_label=noise.label, votes=votes)


# ---------------------------------------------------------------------------- shipped defaults

SCENE_FILE = shipping.SCENE_FILE.with_name("decision_distribution.json")
BUILD_COMMAND = "python -m core.scenes build --scene p08_decision_distribution"
RESULT_TYPES = {cls.__name__: cls for cls in (ToyScene, ImageScene, ToyRegions)}
SHIPPED_CALLS = (("toy_scene", toy_scene_live, toy_scene), ("toy_regions", toy_regions_live, toy_regions),
                 ("image_scene", image_scene_live, image_scene))


def build() -> None:
    """Ship the page's opening results (every default, seed 0) in assets/scenes/decision_distribution.json."""
    shipping.write_shipped(SCENE_FILE, [(name, live, shipping.defaults(public)) for name, live, public in SHIPPED_CALLS],
                           BUILD_COMMAND)


# --------------------------------------------------------------------------- predict, then reveal

PREDICTION = Prediction("PGD moves x to x_adv against the network F. Does the smoothed classifier F_rob change its "
                        "answer?", ("No: F_rob keeps its answer", "Yes: F_rob changes it"))


def verdict(outcome: Outcome, class_names) -> Verdict:
    """Which choice of PREDICTION the computed votes confirm, with F's and F_rob's answers."""
    names = list(class_names)
    return Verdict((outcome.kept, not outcome.kept),
                   f"F: {names[outcome.label]} → {names[outcome.adv_label]}; F_rob: {names[outcome.rob_label]} → "
                   f"{names[outcome.rob_adv_label]} (total variation between the two vote distributions: "
                   f"{outcome.tv:.3f}).")
