"""5 · Geometric interpretation: adversarial examples live next to the decision boundary, and networks
do not preserve distances (Szegedy et al. 2014; Madry et al. 2018).

Two scene functions: :func:`toy` (the trained toy network's decision regions, its training points
and the default point to attack) and :func:`attack` (the PGD path from a point and the stretch
ratios ‖F(x + τ) − F(x)‖₂ / ‖τ‖ around it and around every training point, beside the same ratio of the
identity map on the same draws: 1 on the ℓ2 sphere, ‖τ‖₂/‖τ‖∞ ∈ [1, √2] on the ℓ∞ square, where the ratio
mixes two norms). The page needs the default point before it draws the point's widgets, hence two calls.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from core import checks, geometry, toys
from core.scenes.parameters import Parameter, declare, defaults
from core.seeds import check_seed, stream_seed

EPOCHS = {"moons": 60, "circles": 60, "spirals": 300, "blobs": 40}  # the toy sets, and their epochs of Adam
EPS_CHOICES = (0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3)
STEP_CHOICES = (5, 10, 20, 50)
NORM_NAMES = {"l2": "ℓ2 (a disc)", "linf": "ℓ∞ (a square)"}
OUTPUTS = {"probabilities": "softmax probabilities", "logits": "logits"}
POINT = "the toy's default point (Toy.default_point)"
PARAMETERS = declare(
    Parameter("dataset", "p05_dataset", "moons", choices=tuple(EPOCHS)),
    Parameter("x1", "p05_x1", low=0.0, high=1.0, step=0.01, note=POINT),
    Parameter("x2", "p05_x2", low=0.0, high=1.0, step=0.01, note=POINT),
    Parameter("eps", "p05_eps", 0.1, choices=EPS_CHOICES),
    Parameter("norm", "p05_norm", "l2", choices=tuple(NORM_NAMES)),
    Parameter("steps", "p05_steps", 20, choices=STEP_CHOICES),
    Parameter("output", "p05_output", "probabilities", choices=tuple(OUTPUTS)),
)
DEFAULTS = defaults(PARAMETERS)
DIRECTIONS_AT_POINT, DIRECTIONS_PER_DATUM = 2000, 20
RESOLUTION = 160  # decision-region grid per axis
PICK_GRID = 41  # invisible clickable points: pick anywhere, not only on data
DEFAULT_CONFIDENCE = 0.75  # the default point: the least confident training point above this

# Lecture mode (core.scenes.lecture): what the page reveals at each step, in order.
STEPS = (
    "Question: how close is the decision boundary?",
    "The attack path across the boundary",
    "The numbers: how F stretches distances",
)

EXPLANATION = r"""
An adversarial example is a point $x + \tau$ of the ball
$B(x, \varepsilon) = \{x' : \|x' - x\| \le \varepsilon\}$ that lies **across the decision boundary** of $F$.
PGD (Madry et al. 2018) walks up the loss $\ell(F(x), y)$ and projects back onto the ball — a disc for
$\|\cdot\|_2$, a square for $\|\cdot\|_\infty$ — until it crosses. It works because **networks do not preserve
distances**: an isometry would keep $\|F(x+\tau) - F(x)\| = \|\tau\|$, but a network can squash some small
balls and stretch others, so a tiny $\tau$ can move $F(x)$ far — into another class. The histogram below
measures $\|F(x+\tau) - F(x)\|_2 / \|\tau\|$ with $\|\tau\| = \varepsilon$ in the ball's norm, against the
same ratio for the identity map $F(x) = x$ on the same draws: exactly 1 on the $\ell_2$ disc, but
$\|\tau\|_2 / \|\tau\|_\infty$ — between 1 and $\sqrt 2$ — on the $\ell_\infty$ square, where the ratio mixes
two norms. Click the chart (anywhere) or type $x_1, x_2$ to pick the point.
"""


def spec(dataset: str, seed: int) -> toys.ToySpec:
    """The toy network of the scene: 2-64-64-K ReLU, Adam for EPOCHS[dataset] epochs on 400 points."""
    if dataset not in EPOCHS:
        raise ValueError(f"Unknown toy data {dataset!r}: choose one of {', '.join(EPOCHS)}.")
    return toys.ToySpec(dataset=dataset, epochs=EPOCHS[dataset], seed=check_seed(seed))


SHIPPED_TOYS = [spec(name, 0) for name in EPOCHS]

USES = (
    "a 2-D toy set (400 points in [0, 1]², core.data.toy_2d, 30 % held out) and a 2-64-64-K ReLU network "
    "trained by ERM (core.toys, shipped for seed 0); core.geometry for the regions, the PGD path and the "
    "stretch ratios."
)


@dataclass(frozen=True)
class Toy:
    """The trained toy network seen on [0, 1]²: regions on a RESOLUTION² grid and its training data."""

    dataset: str
    seed: int
    xs: np.ndarray  # grid abscissae
    ys: np.ndarray  # grid ordinates
    labels: np.ndarray  # arg-max class on the grid (len(ys) × len(xs))
    boundary: np.ndarray | None  # P(class 1) on the grid when there are two classes, else None
    classes: int
    x_train: np.ndarray  # N × 2
    y_train: np.ndarray  # N
    train_accuracy: float
    default_point: tuple[float, float]


def toy(*, dataset: str, seed: int) -> Toy:
    """Decision regions argmax_k softmax(F(p))_k of the trained toy network on a grid of [0, 1]², its
    training points, and a default point: the training point of least confidence max_k softmax(F(x))_k
    among those ≥ DEFAULT_CONFIDENCE — near the boundary but clearly on its side."""
    toy_spec = spec(dataset, seed)
    # Loaded (or trained) outside inference mode: the shared model's parameters must stay usable by autograd.
    model, parts = toys.model(toy_spec), toys.split(toy_spec)
    with torch.inference_mode():
        regions = geometry.decision_regions(model, resolution=RESOLUTION)
        probabilities = torch.softmax(model(parts.x_train), dim=1)
    confidence = probabilities.amax(1)
    candidates = torch.where(
        confidence >= DEFAULT_CONFIDENCE, confidence, torch.full_like(confidence, math.inf)
    )
    point = parts.x_train[int(candidates.argmin())]
    classes = int(regions.probs.shape[-1])
    return Toy(
        dataset=dataset,
        seed=seed,
        xs=regions.xs.numpy(),
        ys=regions.ys.numpy(),
        labels=regions.labels.numpy(),
        boundary=regions.probs[..., 1].numpy() if classes == 2 else None,
        classes=classes,
        x_train=parts.x_train.numpy(),
        y_train=parts.y_train.numpy(),
        train_accuracy=float((probabilities.argmax(1) == parts.y_train).float().mean()),
        default_point=(round(float(point[0]), 3), round(float(point[1]), 3)),
    )


@dataclass(frozen=True)
class Attack:
    """A PGD path from x and the stretch ratios around x and around the training points."""

    point: tuple[float, float]
    eps: float
    norm: str
    steps: int
    output: str
    label: int  # F(x)
    path: np.ndarray  # (steps + 1) × 2 iterates x⁰ = x, …, x^steps = x_adv
    path_labels: np.ndarray  # F at each iterate
    crossing: int | None  # first iterate in another class, None when the path never crosses
    final: int  # F(x_adv)
    flipped: bool  # F(x_adv) ≠ F(x)
    distance: float  # ‖x_adv − x‖ in ``norm``
    at_point: np.ndarray  # DIRECTIONS_AT_POINT ratios ‖F(x+τ) − F(x)‖₂/‖τ‖, ‖τ‖ = ε
    on_data: np.ndarray  # DIRECTIONS_PER_DATUM ratios around each training point, flattened
    at_point_median: float
    at_point_max: float
    on_data_median: float
    on_data_max: float
    on_data_stretched: float  # fraction of the directions around the data stretched more than by the identity
    training_points: int
    # The same ratios for the identity map F(x) = x on the same draws τ (same streams): the reference an
    # isometry would give in the ℓ2 ball (1), and ‖τ‖₂/‖τ‖∞ ∈ [1, √2] in the ℓ∞ ball, where the ratio mixes
    # two norms.
    identity_at_point: np.ndarray
    identity_on_data: np.ndarray
    identity_at_point_median: float
    identity_on_data_median: float
    identity_low: float  # smallest and largest identity ratio over all the draws
    identity_high: float


@torch.inference_mode()
def _labels(model, points: torch.Tensor) -> torch.Tensor:
    return model(points).argmax(1)


def attack(
    *, dataset: str, x1: float, x2: float, eps: float, norm: str, steps: int, output: str, seed: int
) -> Attack:
    """PGD (Madry et al. 2018) from x = (x1, x2) against the label F(x): x^{t+1} = Π_{B(x, ε) ∩ [0,1]²}
    (x^t + α·sign-or-normalised ∇ℓ), α = 2.5·ε/steps, no random start (core.geometry.attack_path);
    and the stretch ratios ‖F(x + τ) − F(x)‖₂ / ‖τ‖ for random τ on the sphere ‖τ‖ = ε in ``norm``
    (core.geometry.stretch_ratios; F is the softmax or the logits, ``output``), at x and around every
    training point, and the same ratios for the identity map on the same τ (the reference: 1 on the ℓ2 sphere,
    ‖τ‖₂/‖τ‖∞ on the ℓ∞ sphere). Directions come from the named streams "stretch at the point" and "stretch on
    the data" of ``seed``."""
    toy_spec = spec(dataset, seed)
    checks.number(x1, 0, 1, "x₁"), checks.number(x2, 0, 1, "x₂")
    eps = checks.positive(eps, "The budget ε")
    if eps > 1:
        raise ValueError(f"The budget ε must be at most 1 (the toy data live in [0, 1]²), got {eps!r}.")
    checks.one_of(norm, NORM_NAMES, "The ball"), checks.one_of(output, OUTPUTS, "The output")
    steps = checks.positive_int(steps, "The number of PGD steps")
    model, x_train = toys.model(toy_spec), toys.split(toy_spec).x_train
    x = torch.tensor([float(x1), float(x2)])
    label = int(_labels(model, x[None])[0])
    path = geometry.attack_path(
        model, x, label, eps=eps, steps=steps, norm=norm, seed=stream_seed(seed, "attack start")
    )
    path_labels = _labels(model, path)
    changed = (path_labels != label).nonzero().flatten()
    measured = model if output == "logits" else (lambda z: torch.softmax(model(z), dim=1))
    at_point, identity_at_point = (
        geometry.stretch_ratios(
            f,
            x,
            radius=eps,
            num=DIRECTIONS_AT_POINT,
            norm=norm,
            seed=stream_seed(seed, "stretch at the point"),
        )
        .flatten()
        .numpy()
        for f in (measured, _identity)
    )
    on_data, identity_on_data = (
        geometry.stretch_ratios(
            f,
            x_train,
            radius=eps,
            num=DIRECTIONS_PER_DATUM,
            norm=norm,
            seed=stream_seed(seed, "stretch on the data"),
        )
        .flatten()
        .numpy()
        for f in (measured, _identity)
    )
    identity = np.concatenate([identity_at_point, identity_on_data])
    step = path[-1] - x
    final = int(path_labels[-1])
    return Attack(
        point=(float(x1), float(x2)),
        eps=eps,
        norm=norm,
        steps=steps,
        output=output,
        label=label,
        path=path.numpy(),
        path_labels=path_labels.numpy(),
        crossing=int(changed[0]) if len(changed) else None,
        final=final,
        flipped=final != label,
        distance=float(step.abs().max() if norm == "linf" else step.norm()),
        at_point=at_point,
        on_data=on_data,
        at_point_median=float(np.median(at_point)),
        at_point_max=float(at_point.max()),
        on_data_median=float(np.median(on_data)),
        on_data_max=float(on_data.max()),
        on_data_stretched=float((on_data > identity_on_data).mean()),
        training_points=len(x_train),
        identity_at_point=identity_at_point,
        identity_on_data=identity_on_data,
        identity_at_point_median=float(np.median(identity_at_point)),
        identity_on_data_median=float(np.median(identity_on_data)),
        identity_low=float(identity.min()),
        identity_high=float(identity.max()),
    )


def _identity(z: torch.Tensor) -> torch.Tensor:
    """The identity map F(x) = x: its stretch ratios are the reference of the chosen norm."""
    return z


def identity_text(result: Attack) -> str:
    """The identity's ratio in words, from the computed draws: "1" in ℓ2, its median and range in ℓ∞."""
    if result.identity_high - result.identity_low < 1e-3:
        return f"{result.identity_on_data_median:.3g}"
    return (
        f"{result.identity_on_data_median:.3g} in the median, from {result.identity_low:.3g} to "
        f"{result.identity_high:.3g}"
    )


def median_help(result: Attack) -> str:
    """The help of the page's median metric: what is measured, and the identity's median on the same draws."""
    mixed = " (‖τ‖₂/‖τ‖∞: in the ℓ∞ ball the ratio mixes two norms)" if result.norm == "linf" else ""
    return (
        f"Median of ‖F(x + τ) − F(x)‖₂/‖τ‖ over random τ with ‖τ‖ = ε; the identity map gives "
        f"{result.identity_at_point_median:.3g} on the same draws{mixed}."
    )


def stretch_caption(result: Attack) -> str:
    """What the histogram shows, from the computed ratios and the identity's on the same draws (no fixed
    claim)."""
    reference = result.identity_on_data_median
    shape = (
        f"most directions are squashed (median ratio below the identity's {reference:.3g})"
        if result.on_data_median < reference
        else f"most directions are stretched (median ratio above the identity's {reference:.3g})"
    )
    far = (
        "far from an isometry: some directions are stretched over 10× more than by the identity"
        if result.on_data_max > 10 * result.identity_high
        else "the largest ratio stays within 10× of the identity's"
    )
    return (
        f"Around the {result.training_points} training points: median stretch {result.on_data_median:.3g}, "
        f"{result.on_data_stretched:.0%} of the directions are stretched more than by the identity map "
        f"(whose ratio here is {identity_text(result)}), the largest ratio is {result.on_data_max:.3g} — "
        f"{shape}; {far}."
    )


def path_caption(result: Attack) -> str:
    """Whether PGD crossed the boundary within the ball, from the computed path."""
    ball = "disc" if result.norm == "l2" else "square"
    if result.crossing is None:
        return (
            f"PGD stayed in class {result.label} for all {result.steps} steps: no adversarial point was "
            f"found in this {ball} of radius ε = {result.eps:g} (a stronger attack might still find one)."
        )
    return (
        f"PGD crossed the boundary at step {result.crossing} of {result.steps}: x_adv, at distance "
        f"{result.distance:.3f} ≤ ε = {result.eps:g} from x, is classified {result.final} instead of "
        f"{result.label}." + ("" if result.flipped else " Later steps came back to the original class.")
    )
