"""4 · Crafting an attack: from the hard problem min ‖τ‖ s.t. F(x+τ) ≠ y (Szegedy et al. 2014) to one
gradient step, FGSM (Goodfellow et al. 2015), PGD (Madry et al. 2018) and Carlini–Wagner (2017) —
accuracy under attack against the budget on the 20 offline gallery images, and one image attacked.

The curves at the default settings (PGD steps ``DEFAULT_STEPS``, seed ``SHIPPED_SEED``) are shipped in
``assets/scenes/crafting_attacks.json`` by :func:`build` (``python -m core.scenes build --scene
p04_crafting_attacks``); other settings are computed live (:func:`curve` with ``compute=True``).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch

from core import attacks, checks, data, evaluation, results, zoo
from core.scenes import common, shipped
from core.scenes.parameters import Parameter, declare, defaults, zoo_image
from core.seeds import check_seed, stream_generator, stream_seed

URL_PATH = "p04_crafting_attacks"
BUILD_COMMAND = f"python -m core.scenes build --scene {URL_PATH}"

MODEL_PREFERENCE = ["mnist-standard", "cifar10-standard", "mnist-adversarial", "cifar10-adversarial"]
ATTACKS, LABELS, NORMS = attacks.ATTACKS, attacks.ATTACK_LABELS, attacks.ATTACK_NORMS  # core.attacks' names
FAMILIES = {"linf": ("fgsm", "pgd_linf", "pgd_cw"), "l2": ("gradient_step", "pgd_l2", "cw_l2")}
NORM_SYMBOL = {norm: checks.NORM_SYMBOLS[norm] for norm in FAMILIES}
BUDGETS = {  # the curve's budgets (the budget slider offers the same values)
    ("linf", "mnist"): (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4),
    ("linf", "fashion_mnist"): (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3),
    ("linf", "cifar10"): (0.0, 1 / 255, 2 / 255, 4 / 255, 8 / 255, 16 / 255),
    ("l2", "mnist"): (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0),
    ("l2", "fashion_mnist"): (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0),
    ("l2", "cifar10"): (0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5),
}
DEFAULT_BUDGET = {
    ("linf", "mnist"): 0.1,
    ("linf", "fashion_mnist"): 0.1,
    ("linf", "cifar10"): 2 / 255,
    ("l2", "mnist"): 1.0,
    ("l2", "fashion_mnist"): 1.0,
    ("l2", "cifar10"): 0.25,
}
STEP_CHOICES = (1, 2, 5, 10, 20, 40)
DEFAULT_STEPS = 10
SHIPPED_SEED = 0
# C&W: Adam steps per round, binary-search rounds, step, first constant. Near-binary MNIST pixels sit where
# tanh is flat, so the step is 0.1 (not foolbox's 0.01) and c starts at 10 to succeed within three rounds.
CW_STEPS, CW_SEARCH, CW_LR, CW_C = 100, 3, 0.1, 10.0
# Lecture mode (core.scenes.lecture): what the page reveals at each step, in order.
STEPS = (
    "Question: how large a budget does each attack need?",
    "The figure: accuracy against the budget",
    "One image before and after",
    "The whole test set (shipped)",
)

EXPLANATION = r"""
**The hard problem** (Szegedy et al. 2014): the smallest perturbation that changes the decision,
$\displaystyle\min_{\tau} \|\tau\| \ \text{ s.t. }\ F(x+\tau) \neq y$ — a continuous but **non-convex**
problem ($\tau$ ranges over a continuum; the set where $F(x+\tau) \neq y$ is a union of decision regions, not
a convex set); for ReLU networks even deciding whether some $\|\tau\| \le \varepsilon$ changes the decision is
NP-complete (Katz et al. 2017, Reluplex), so the minimum is NP-hard to compute exactly. Carlini & Wagner
(2017) solve it approximately. **The relaxation** (Szegedy et al. 2014, the slide's; what C&W optimise with
their own loss): trade size against loss with a constant $c > 0$,
$\displaystyle\min_{\tau}\ c\,\|\tau\| - \ell\big(y, F(x+\tau)\big)$ — a large $c$ keeps $\tau$ small, a small
$c$ lets the loss win (the section below minimises it for each $c$). **The constrained form** (Madry et al.
2018, solved by PGD): within a budget $\varepsilon$, make the loss as large as possible,
$\displaystyle\max_{\|\tau\| \le \varepsilon} \ell\big(F(x+\tau), y\big)$. **One step** of
gradient ascent on it gives the talk's attack
$\displaystyle x_{adv} = x + \gamma\,\frac{\nabla_x \ell(F(x), y)}{\|\nabla_x \ell(F(x), y)\|}$;
in $\ell_\infty$ the steepest step is FGSM, $x + \varepsilon\,\mathrm{sign}\,\nabla_x\ell$, and iterating it
with a projection on the ball is PGD. The curves below show how fast the accuracy drops with the budget.
"""
USES = (
    "a CNN from the model zoo (default mnist-standard: cheap on a laptop CPU) on the 20 real test images of "
    "foolbox's offline gallery (core.data.gallery); curves by core.evaluation.accuracy_under_attack, shipped "
    f"at the default settings ({BUILD_COMMAND})."
)
CAPTION_CURVES = (
    "Each point is an upper bound on the robust accuracy: the attack found adversarial examples for "
    "the other images."
)
SWITCH_HINT = {
    "linf": "Switch to an ℓ2 attack to see the gradient step, PGD ℓ2 and Carlini–Wagner.",
    "l2": "Switch to an ℓ∞ attack to see FGSM, PGD and PGD on the CW loss.",
}


NO_MODEL = (
    "No noiseless model is in the zoo yet: train one with "
    f"python -m core.experiments train --name {MODEL_PREFERENCE[0]} --data-dir ../shared/data"
)


def models() -> list[str]:
    """The noiseless zoo models (core.scenes.common.deterministic_models), preferred ones first."""
    return common.ordered(common.deterministic_models(), MODEL_PREFERENCE)


def uses_steps_and_seed(attack: str) -> bool:
    """PGD is the only attack here with steps and a random start; the others are deterministic."""
    return attack.startswith("pgd")


def budget_text(value: float, norm: str, dataset: str) -> str:
    """A budget as the slider shows it: k/255 for ℓ∞ on CIFAR-10, else the number."""
    if norm == "linf" and dataset == "cifar10":
        return f"{round(value * 255):g}/255"
    return f"{value:g}"


def attack_options(attack: str, steps: int) -> dict:
    """The keywords each attack takes besides its budget (PGD's step is 2.5·ε/steps by default)."""
    if uses_steps_and_seed(attack):
        return {"steps": steps}
    if attack == "cw_l2":
        return {"steps": CW_STEPS, "binary_search_steps": CW_SEARCH, "lr": CW_LR, "c": CW_C}
    return {}


def _check(model_name: str, attack: str, steps: int, seed: int) -> str:
    """Validate the common arguments; returns the model's dataset."""
    if model_name not in zoo.names():
        raise ValueError(
            f"Unknown model {model_name!r}: pick one of {', '.join(models()) or 'the zoo (none built)'}."
        )
    if zoo.noise_record(model_name) is not None:
        raise ValueError(
            f"{model_name} has a noise layer: pick a noiseless model such as {MODEL_PREFERENCE[0]}."
        )
    if attack not in attacks.ATTACKS:
        raise ValueError(f"Unknown attack {attack!r}: choose one of {', '.join(attacks.ATTACKS)}.")
    checks.one_of(steps, STEP_CHOICES, "PGD steps")
    check_seed(seed)
    return common.dataset_of(model_name)


# --------------------------------------------------------------------------- accuracy vs budget


@dataclass(frozen=True)
class Curve:
    attack: str
    label: str
    norm: str
    budgets: tuple  # ε of each point (γ for the gradient step)
    accuracy: tuple  # accuracy under attack at each ε, on the gallery
    images: int  # gallery size
    steps: int | None  # PGD steps behind it (None: the attack has none)
    seed: int | None  # demo seed behind the random starts (None: deterministic attack)
    source: str  # "shipped" (assets/scenes) or "computed"

    def at(self, budget: float) -> float:
        """The accuracy at the budget closest to ``budget``."""
        return self.accuracy[int(np.argmin(np.abs(np.asarray(self.budgets) - budget)))]

    def matches(self, steps: int, seed: int) -> bool:
        """Whether the curve was computed with these PGD steps and seed (always, for other attacks)."""
        return self.steps in (None, steps) and self.seed in (None, seed)


def _settings(attack: str, steps: int, seed: int) -> tuple[int | None, int | None]:
    return (steps, seed) if uses_steps_and_seed(attack) else (None, None)


def compute_curve(model_name: str, attack: str, budgets: tuple, steps: int, seed: int) -> tuple:
    """acc(ε) = (1/m) Σᵢ 1{argmax F(x'ᵢ) = yᵢ} over the m gallery images, x'ᵢ the attack at budget ε
    (core.evaluation.accuracy_under_attack; for C&W an image is broken at ε when C&W fooled F within
    ℓ2 distance ε). PGD's random starts come from the stream "attack" of ``seed``."""
    model = zoo.shared(model_name)
    x, y = common.gallery(common.dataset_of(model_name))
    accuracy = evaluation.accuracy_under_attack(
        model,
        x,
        y,
        attack=attack,
        budgets=list(budgets),
        seed=stream_seed(seed, "attack"),
        **attack_options(attack, steps),
    )
    return tuple(float(a) for a in accuracy)


def curve(*, model_name: str, attack: str, steps: int, seed: int, compute: bool = True) -> Curve:
    """The accuracy of ``model_name`` under ``attack`` at each budget of ``BUDGETS`` on its gallery
    (see :func:`compute_curve`): read from the shipped file when it holds these settings, else computed
    when ``compute`` is true, else the shipped curve at the default settings (its ``steps``/``seed``
    say which; ``matches`` tells the page)."""
    dataset = _check(model_name, attack, steps, seed)
    norm = attacks.ATTACK_NORMS[attack]
    budgets = BUDGETS[(norm, dataset)]
    images = len(common.gallery(dataset)[1])
    wanted = _settings(attack, steps, seed)
    candidates = [wanted] if compute else [wanted, _settings(attack, DEFAULT_STEPS, SHIPPED_SEED)]
    for settings in candidates:
        arguments = _gallery_call(model_name, attack, budgets, *settings)
        found = shipped.read(__name__, "gallery_accuracy", arguments, [model_name])
        if found is not None:
            return Curve(attack, LABELS[attack], norm, budgets, found.accuracy, images, *settings, "shipped")
    accuracy = compute_curve(model_name, attack, budgets, steps, seed)
    return Curve(attack, LABELS[attack], norm, budgets, accuracy, images, *wanted, "computed")


@dataclass(frozen=True)
class GalleryAccuracy:
    """The accuracies of one curve on the gallery: what :func:`build` ships for :func:`curve`."""

    accuracy: tuple


def _gallery_call(model_name: str, attack: str, budgets: tuple, steps: int | None, seed: int | None) -> dict:
    """The shipped call of a curve: the attack's own keywords are part of its key (other C&W settings or PGD
    steps are computed, never read), steps and seed None for an attack without them."""
    options = attack_options(attack, steps) if steps is not None else attack_options(attack, DEFAULT_STEPS)
    return dict(model_name=model_name, attack=attack, budgets=budgets, options=options, seed=seed)


def gallery_accuracy(*, model_name: str, attack: str, budgets: tuple, options: dict, seed: int | None):
    """:func:`compute_curve` at ``options`` (attack_options), shipped at the default settings."""
    return shipped.or_live(gallery_accuracy_live, locals(), depends=[model_name])


def gallery_accuracy_live(*, model_name, attack, budgets, options, seed) -> GalleryAccuracy:
    steps = options.get("steps", DEFAULT_STEPS) if uses_steps_and_seed(attack) else DEFAULT_STEPS
    seed = SHIPPED_SEED if seed is None else seed
    return GalleryAccuracy(compute_curve(model_name, attack, tuple(budgets), steps, seed))


def curves_caption(curves: list[Curve]) -> str:
    """The caption under the curves, its claim computed: whether iterated PGD (ℓ(F(x+τ), y) ascended and
    projected ``steps`` times) found at least as many adversarial examples as the one-step attack of its
    family at every budget."""
    one_step = next(c for c in curves if not uses_steps_and_seed(c.attack) and c.attack != "cw_l2")
    pgd = next(c for c in curves if c.attack in ("pgd_linf", "pgd_l2"))
    below = [budget for budget, a, b in zip(pgd.budgets, pgd.accuracy, one_step.accuracy) if a > b + 1e-9]
    name, first = pgd.label.split(" (")[0], one_step.label.split(" (")[0]
    if not below:
        claim = (
            f"{name} lies at or below {first} at every budget: iterating and projecting finds at least "
            "as many adversarial examples."
        )
    else:
        claim = (
            f"{name} lies above {first} at {len(below)} of {len(pgd.budgets)} budgets: from its random start "
            "and with these steps it missed adversarial examples the single step found."
        )
    return f"{CAPTION_CURVES} {claim} {SWITCH_HINT[pgd.norm]}"


def strongest(curves: list[Curve], budget: float) -> tuple[str, ...]:
    """The attacks with the lowest accuracy at ``budget`` (all of them when tied): the best upper bound on
    the robust accuracy."""
    lowest = min(c.at(budget) for c in curves)
    return tuple(c.attack for c in curves if c.at(budget) <= lowest + 1e-9)


# --------------------------------------------------------------------------- one image attacked


def expensive_example(attack: str) -> bool:
    """Whether the one-image attack takes seconds on a CPU (C&W's 300 Adam steps): the page then runs
    it on a button press."""
    return attack == "cw_l2"


@dataclass(frozen=True)
class Example:
    x: np.ndarray  # H×W×3 uint8
    x_adv: np.ndarray  # H×W×3 uint8
    unit: np.ndarray  # (τ/s + 1)/2 as H×W×3 uint8: grey is 0
    p: np.ndarray  # softmax F(x)
    p_adv: np.ndarray  # softmax F(x + τ)
    label: int  # the true class
    before: int  # argmax F(x)
    after: int  # argmax F(x + τ)
    linf: float  # s = ‖τ‖∞
    l2: float  # ‖τ‖₂
    class_names: tuple
    fooled: bool  # F(x + τ) ≠ y
    broken: bool  # fooled within the budget (for C&W: ‖τ‖₂ ≤ ε)


@functools.lru_cache(maxsize=32)
def _carlini_wagner(model_name: str, index: int) -> torch.Tensor:
    """C&W's smallest ℓ2 perturbation of gallery image ``index`` (it has no budget, steps or seed): computed
    once
    per process, shared (never mutate it)."""
    x, y = common.gallery(common.dataset_of(model_name))
    return attacks.run_attack(
        "cw_l2",
        zoo.shared(model_name),
        x[index : index + 1],
        y[index : index + 1],
        **attack_options("cw_l2", DEFAULT_STEPS),
    )


def example(*, model_name: str, attack: str, budget: float, steps: int, index: int, seed: int) -> Example:
    """Gallery image ``index`` and ``attack`` on it at ``budget`` (the talk's gradient step
    x + γ∇ℓ/‖∇ℓ‖₂, FGSM x + ε sign ∇ℓ, PGD, or C&W's smallest ℓ2 perturbation), with softmax F
    before and after. PGD's random start comes from the stream "example" of ``seed``."""
    dataset = _check(model_name, attack, steps, seed)
    x_all, y_all = common.gallery(dataset)
    checks.integer(index, 0, len(y_all) - 1, "The image index")
    if not isinstance(budget, (int, float)) or not math.isfinite(budget) or budget < 0:
        raise ValueError(f"The budget must be a number ≥ 0, got {budget!r}.")
    model = zoo.shared(model_name)
    xb, yb = x_all[index : index + 1], y_all[index : index + 1]
    options = attack_options(attack, steps)
    budget_name = attacks.ATTACK_BUDGETS[attack]
    if budget_name is not None:
        options[budget_name] = float(budget)
    if uses_steps_and_seed(attack):
        options["generator"] = stream_generator(seed, "example")
    x_adv = (
        _carlini_wagner(model_name, index)
        if attack == "cw_l2"
        else attacks.run_attack(attack, model, xb, yb, **options)
    )
    with torch.inference_mode():
        p = torch.softmax(model(xb), 1)[0].numpy()
        p_adv = torch.softmax(model(x_adv), 1)[0].numpy()
    tau = (x_adv - xb)[0]
    linf, l2 = float(tau.abs().max()), float(tau.norm())
    unit = (tau / linf + 1) / 2 if linf > 0 else torch.full_like(tau, 0.5)
    label, after = int(yb[0]), int(p_adv.argmax())
    fooled = after != label
    broken = fooled and (attack != "cw_l2" or l2 <= budget + 1e-9)
    return Example(
        common.image_array(xb[0]),
        common.image_array(x_adv[0]),
        common.image_array(unit),
        p,
        p_adv,
        label,
        int(p.argmax()),
        after,
        linf,
        l2,
        tuple(data.CLASS_NAMES[dataset]),
        fooled,
        broken,
    )


# --------------------------------------------------------------------------- the slide's relaxation

C_CHOICES = (0.3, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0)  # the constant c of the relaxation (a slider)
DEFAULT_C = 3.0
BY_DATASET = "BUDGETS and DEFAULT_BUDGET of the model's dataset"
PARAMETERS = declare(
    *zoo_image("p04"),
    Parameter("attack", "p04_attack", "pgd_linf", choices=ATTACKS),
    *(Parameter(f"budget_{norm}", f"p04_budget_{norm}", note=BY_DATASET) for norm in FAMILIES),
    Parameter("steps", "p04_steps", DEFAULT_STEPS, choices=STEP_CHOICES),
    Parameter("c", "p04_c", DEFAULT_C, choices=C_CHOICES),
)
DEFAULTS = defaults(PARAMETERS)
RELAXATION_STEPS, RELAXATION_LR = 200, 0.01  # Adam on τ, x + τ projected on [0, 1]
RELAXATION_KAPPA = 1.0  # the loss stops rewarding once F is wrong by this logit margin


def relaxation_objective(
    model, x: torch.Tensor, y: torch.Tensor, tau: torch.Tensor, c: torch.Tensor
) -> torch.Tensor:
    """Szegedy et al. (2014)'s relaxation of min ‖τ‖ s.t. F(x+τ) ≠ y, per example: c‖τ‖₂ − ℓ(y, F(x+τ)), with
    ℓ = min(max_{j≠y} Z_j − Z_y, κ) the logit margin Carlini & Wagner (2017) use (κ = RELAXATION_KAPPA): the
    cross-entropy saturates on confidently classified images (its gradient ≈ 0), and the cap κ stops the loss
    from pushing further once F is wrong. ``c`` holds one constant per example; ‖τ‖₂ is smoothed by 1e-12 so
    that
    τ = 0 has a gradient."""
    size = (tau.flatten(1).pow(2).sum(dim=1) + 1e-12).sqrt()
    loss = attacks.cw_margin(model(x + tau), y).clamp(max=RELAXATION_KAPPA)
    return c * size - loss


@dataclass(frozen=True)
class Relaxation:
    c_values: tuple  # every c of the slider
    norms: tuple  # ‖τ_c‖₂ of the minimiser found for each c
    flipped: tuple  # F(x + τ_c) ≠ y for each c
    losses: tuple  # ℓ(y, F(x + τ_c)) (the capped margin) for each c
    predictions: tuple  # argmax F(x + τ_c) for each c
    c: float  # the chosen c
    label: int
    class_names: tuple
    caption: str

    def at(self, c: float) -> int:
        return self.c_values.index(c)


@functools.lru_cache(maxsize=16)
def _relaxation_runs(model_name: str, index: int) -> tuple:
    """Gradient descent (Adam, RELAXATION_STEPS steps of RELAXATION_LR from τ = 0, x + τ kept in [0, 1]) on
    relaxation_objective for every c of C_CHOICES at once (one row per c: the rows do not interact)."""
    model = zoo.shared(model_name)
    x, y = common.gallery(common.dataset_of(model_name))
    xb = x[index : index + 1].expand(len(C_CHOICES), *x.shape[1:]).contiguous()
    yb = y[index : index + 1].expand(len(C_CHOICES)).contiguous()
    c = torch.tensor(C_CHOICES, dtype=xb.dtype)
    tau = torch.zeros_like(xb, requires_grad=True)
    optimizer = torch.optim.Adam([tau], lr=RELAXATION_LR)
    with torch.enable_grad():
        for _ in range(RELAXATION_STEPS):
            (tau.grad,) = torch.autograd.grad(relaxation_objective(model, xb, yb, tau, c).sum(), tau)
            optimizer.step()
            with torch.no_grad():
                tau.copy_((xb + tau).clamp(0, 1) - xb)
    with torch.inference_mode():
        logits = model(xb + tau.detach())
        losses = attacks.cw_margin(logits, yb).clamp(max=RELAXATION_KAPPA)
    norms = tau.detach().flatten(1).norm(dim=1)
    predictions = logits.argmax(dim=1)
    return (
        tuple(float(v) for v in norms),
        tuple(bool(p != yb[0]) for p in predictions),
        tuple(float(v) for v in losses),
        tuple(int(p) for p in predictions),
        int(yb[0]),
    )


def relaxation_caption(c_values, norms, flipped) -> str:
    """What the sweep over c shows, from the computed minimisers only."""
    flips = [k for k, f in enumerate(flipped) if f]
    shrinks = all(b <= a + 0.01 for a, b in zip(norms, norms[1:]))  # 0.01: Adam's jitter around τ = 0
    trend = (
        "‖τ‖₂ shrinks as c grows"
        if shrinks
        else "‖τ‖₂ does not shrink monotonically with c here (gradient descent finds a local minimiser)"
    )
    if not flips:
        return (
            f"{trend}, but no c of {c_values[0]:g}–{c_values[-1]:g} gave a minimiser that flips F: the "
            "penalty c‖τ‖ always wins here. Lower c, or pick another image."
        )
    best = min(flips, key=lambda k: norms[k])
    held = [k for k, f in enumerate(flipped) if not f]
    text = (
        f"{trend}. F flips for {len(flips)} of {len(c_values)} values of c; the smallest flipping τ found "
        f"has ‖τ‖₂ = {norms[best]:.3f} (c = {c_values[best]:g})."
    )
    if held:
        text += (
            f" For c = {', '.join(f'{c_values[k]:g}' for k in held)} the penalty wins and F keeps its "
            "answer: the largest c that still flips F approximates the hard problem's minimum, which is why "
            "C&W search their constant by bisection."
        )
    return text


def relaxation(*, model_name: str, index: int, c: float) -> Relaxation:
    """Szegedy et al.'s relaxation min_τ c‖τ‖₂ − ℓ(y, F(x+τ)) on gallery image ``index``, minimised by
    gradient descent for every c of C_CHOICES (see :func:`_relaxation_runs`; deterministic: τ starts at 0),
    with ``c``
    the one the page highlights. Cached per process."""
    dataset = _check(model_name, "fgsm", DEFAULT_STEPS, 0)
    checks.integer(index, 0, len(common.gallery(dataset)[1]) - 1, "The image index")
    checks.one_of(c, C_CHOICES, "c")
    norms, flipped, losses, predictions, label = _relaxation_runs(model_name, index)
    return Relaxation(
        C_CHOICES,
        norms,
        flipped,
        losses,
        predictions,
        float(c),
        label,
        tuple(data.CLASS_NAMES[dataset]),
        relaxation_caption(C_CHOICES, norms, flipped),
    )


# --------------------------------------------------------------------------- the whole test set (shipped)


@dataclass(frozen=True)
class TestSet:
    curves: dict  # attack → (budgets, accuracy), the chosen norm's attacks only
    examples: int | str
    provenance: str  # where and how they were computed
    message: str | None  # one sentence when there is nothing to show
    masking: str | None = None  # one sentence when C&W breaks far more than the gradient attacks (computed)


MASKING_GAP = 0.1  # accuracy points by which C&W must beat every gradient attack to name masking


def masking_note(curves: dict) -> str | None:
    """Gradient masking (Papernot et al. 2017; Athalye et al. 2018), read off ℓ2 curves: at some budget C&W —
    which does not follow the loss gradient at x — leaves at least MASKING_GAP less accuracy than the best
    gradient attack
    (gradient step, PGD-ℓ2). None when there is no C&W curve or no such budget."""
    gradient = [name for name in ("gradient_step", "pgd_l2") if name in curves]
    if "cw_l2" not in curves or not gradient:
        return None
    budgets, cw = curves["cw_l2"]
    gaps = []
    for k, budget in enumerate(budgets):
        others = {
            name: curves[name][1][list(curves[name][0]).index(budget)]
            for name in gradient
            if budget in curves[name][0]
        }
        if others and min(others.values()) - cw[k] >= MASKING_GAP:
            gaps.append((min(others.values()) - cw[k], budget, others, cw[k]))
    if not gaps:
        return None
    gap, budget, others, left = max(gaps)
    kept = " and ".join(f"{LABELS[name].split(' (')[0]} keeps {value:.0%}" for name, value in others.items())
    return (
        f"**Gradient masking:** at ε = {budget:g}, {kept} while Carlini–Wagner leaves {left:.0%}. The "
        "gradient at x misleads the gradient attacks on this model (Athalye et al. 2018): their curves "
        "overstate its robustness; the lowest curve is the tightest upper bound on the robust accuracy."
    )


def test_set(*, model_name: str, norm: str) -> TestSet:
    """The curves of ``core.experiments evaluate`` on the whole test set (assets/results), ``norm`` only."""
    if norm not in FAMILIES:
        raise ValueError(f"The norm must be one of {', '.join(FAMILIES)}, got {norm!r}.")
    try:
        shipped = results.read("attacks", model_name)
    except (results.ResultsUnavailable, ValueError) as error:
        return TestSet({}, 0, "", str(error))
    curves = {
        name: (tuple(entry["budgets"]), tuple(entry["accuracy"]))
        for name, entry in shipped.get("curves", {}).items()
        if entry.get("norm") == norm and name in attacks.ATTACK_LABELS
    }
    provenance = (
        f"Computed on {shipped.get('computed_on', '?')} on {shipped.get('device', '?')} by "
        f"`{shipped.get('command', '?')}`."
    )
    message = (
        None
        if curves
        else (
            f"The shipped file has no {NORM_SYMBOL[norm]} curves: recompute it with {shipped.get('command')}."
        )
    )
    return TestSet(curves, shipped.get("examples", "?"), provenance, message, masking_note(curves))


TestSet.__test__ = False  # not a pytest class


# --------------------------------------------------------------------------- shipping


def build() -> None:
    """Ship the curves of every noiseless zoo model at the default settings (PGD steps ``DEFAULT_STEPS``,
    seed ``SHIPPED_SEED``) in assets/scenes/crafting_attacks.json."""
    calls = []
    for model_name in models():
        dataset = common.dataset_of(model_name)
        for attack in attacks.ATTACKS:
            budgets = BUDGETS[(attacks.ATTACK_NORMS[attack], dataset)]
            settings = _settings(attack, DEFAULT_STEPS, SHIPPED_SEED)
            calls.append((gallery_accuracy, _gallery_call(model_name, attack, budgets, *settings)))
    shipped.build(__name__, calls)
