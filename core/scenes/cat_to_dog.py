"""3 · Cat → dog: a targeted adversarial example on a real test image or an uploaded photo (Szegedy et
al. 2014; Goodfellow et al. 2015; Madry et al. 2018; Carlini & Wagner 2017).

The scene shows x_adv = x + s·(τ/s) with s = ‖τ‖∞, as the talk's slide "cat + 0.006·τ = dog" does.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch

from core import attacks, checks, data, zoo
from core.scenes import common
from core.scenes.lecture import Prediction, Verdict
from core.scenes.parameters import Parameter, declare, defaults, zoo_image
from core.seeds import check_seed, stream_generator

MODEL_PREFERENCE = ["cifar10-standard", "cifar10-adversarial", "mnist-standard"]
EPS_CHOICES_255 = (0.5, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 80)  # ε in units of 1/255
STEP_CHOICES = (10, 20, 50, 100, 200)
LIVE_STEPS = 20  # more PGD steps, or C&W, run behind a button (seconds on a CPU)
ATTACK_CHOICES = {
    "pgd": "PGD ℓ∞, targeted (Madry et al. 2018)",
    "cw": "Carlini–Wagner ℓ2, targeted (Carlini & Wagner 2017)",
}
C_CHOICES = (0.01, 0.1, 1.0, 10.0)
KAPPA_CHOICES = (0.0, 1.0, 2.0, 5.0, 10.0)
CW_STEPS, CW_LR, CW_SEARCH = 50, 0.05, 4  # per binary-search round; a targeted C&W needs lr ≈ 0.05
PARAMETERS = declare(
    *zoo_image("p03"),
    Parameter("target", "p03_target", 5, choices=tuple(range(10))),  # "dog" in CIFAR-10; every gallery has 10
    Parameter("attack", "p03_attack", "pgd", choices=tuple(ATTACK_CHOICES)),
    *(
        Parameter(f"eps_{dataset}", f"p03_eps_{dataset}", eps, choices=EPS_CHOICES_255)
        for dataset, eps in {"cifar10": 2, "mnist": 48, "fashion_mnist": 24}.items()
    ),
    Parameter("steps", "p03_steps", 10, choices=STEP_CHOICES),
    Parameter("c", "p03_c", 1.0, choices=C_CHOICES),
    Parameter("kappa", "p03_kappa", 0.0, choices=KAPPA_CHOICES),
)
DEFAULTS = defaults(PARAMETERS)
CAT = 3  # "cat" in CIFAR-10
TALK_SCALE = 0.006  # the s the talk's slide prints: cat + 0.006·τ = "dog"
UPLOAD_TYPES = ["png", "jpg", "jpeg", "webp", "bmp", "gif"]

# Lecture mode (core.scenes.lecture): what the page reveals at each step, in order.
STEPS = (
    "Question: still a cat at ε = 1/255?",
    "The answer, computed at ε = 1/255",
    "The figure: x + s·(τ/s) = x_adv",
    "The numbers: F(x), F(x + τ), ‖τ‖",
)

EXPLANATION = r"""
A network $F$ that classifies this cat correctly can be made to answer **dog** by an
imperceptible perturbation $\tau$: an **adversarial example** $x_{adv} = x + \tau$ with
$\|\tau\|_\infty \le \varepsilon$ and $F(x + \tau) = \text{dog}$.
The targeted attack walks **down** the loss of the target class and projects back on the ball
(PGD, Madry et al. 2018):
$x^{t+1} = \Pi_{B_\infty(x,\varepsilon)\cap[0,1]^d}\big(x^t - \alpha\,\mathrm{sign}\,\nabla_x \ell(F(x^t),
\text{dog})\big)$,
or Carlini & Wagner (2017) look for the smallest $\|\tau\|_2$ with $F(x+\tau) = \text{dog}$.
The middle picture is $\tau/s$ with $s = \|\tau\|_\infty$ (the talk's slide prints $s = 0.006$), so the
equation below reads exactly $x_{adv} = x + s\cdot(\tau/s)$.
"""
USES = (
    "a CNN from the model zoo (default cifar10-standard, core.zoo) on a real CIFAR-10 test image "
    "(foolbox's offline gallery, core.data.gallery) or your own photo (core.data.load_image); "
    "attacks from core.attacks."
)


NO_MODEL = (
    "No noiseless model is in the zoo yet: train one with "
    f"python -m core.experiments train --name {MODEL_PREFERENCE[0]} --data-dir ../shared/data"
)


def models() -> list[str]:
    """The noiseless zoo models (core.scenes.common.deterministic_models), preferred ones first."""
    return common.ordered(common.deterministic_models(), MODEL_PREFERENCE)


def class_names(dataset: str) -> list[str]:
    """The class names of ``dataset`` (core.data.CLASS_NAMES)."""
    return list(data.CLASS_NAMES[dataset])


def default_image(dataset: str) -> int:
    """The gallery's first cat on CIFAR-10 (the slide's picture), else its first image."""
    if dataset != "cifar10":
        return 0
    return next((k for k, label in enumerate(common.gallery(dataset)[1].tolist()) if label == CAT), 0)


def expensive(attack: str, steps: int) -> bool:
    """Whether this attack takes more than a moment on a CPU (C&W's 200 Adam steps, PGD beyond
    ``LIVE_STEPS``): the page then runs it on a button press."""
    return attack == "cw" or steps > LIVE_STEPS


# --------------------------------------------------------------------------- uploads


@functools.lru_cache(maxsize=8)
def _decode(content: bytes, size: int, channels: int) -> torch.Tensor:
    """core.data.load_image, once per file and image size for the whole process (shared: never mutate)."""
    return data.load_image(content, size=size, channels=channels)


@dataclass(frozen=True)
class Upload:
    pixels: np.ndarray | None  # the decoded photo, H×W×3 uint8 (None when unreadable)
    message: str | None  # one sentence for the user when it cannot be read


def read_upload(*, content: bytes, dataset: str) -> Upload:
    """Decode an uploaded photo for ``dataset``'s models: upright, centre-cropped to a square and resized
    (core.data.load_image). An unreadable file gives one sentence (core.data.InvalidImage) instead."""
    if dataset not in common.IMAGE_DATASETS:
        raise ValueError(f"Unknown dataset {dataset!r}: choose one of {', '.join(common.IMAGE_DATASETS)}.")
    images = common.gallery(dataset)[0]
    try:
        image = _decode(bytes(content), images.shape[-1], images.shape[1])
    except data.InvalidImage as error:
        return Upload(None, str(error))
    return Upload(common.image_array(image), None)


# --------------------------------------------------------------------------- the targeted attack


@dataclass(frozen=True)
class CatToDog:
    x: np.ndarray  # H×W×3 uint8: the attacked image
    x_adv: np.ndarray  # H×W×3 uint8: x + τ
    unit: np.ndarray  # (τ/s + 1)/2 as H×W×3 uint8: grey is 0, black −1, white +1
    p: np.ndarray  # softmax F(x)
    p_adv: np.ndarray  # softmax F(x + τ)
    class_names: tuple
    label: int | None  # the gallery image's class (None for an upload)
    target: int
    before: int  # argmax F(x)
    after: int  # argmax F(x + τ)
    scale: float  # s = ‖τ‖∞
    l2: float  # ‖τ‖₂
    reached: bool  # F(x + τ) is the target
    uploaded: bool


def targeted_attack(
    *,
    model_name: str,
    index: int,
    upload: bytes | None,
    target: int,
    attack: str,
    eps_255: float,
    steps: int,
    c: float,
    kappa: float,
    seed: int,
) -> CatToDog:
    """A targeted adversarial example x + τ with F(x + τ) = ``target`` on gallery image ``index`` (or
    the ``upload``, decoded once per file): PGD ℓ∞ (Madry et al. 2018) descending ℓ(F(x + τ), target)
    under ‖τ‖∞ ≤ ε = ``eps_255``/255 with step 2.5·ε/steps and a random start from the stream "attack"
    of ``seed``; or Carlini & Wagner's ℓ2 attack (2017), min ‖τ‖₂² + c·max(κ − (Z_t − max_{j≠t} Z_j), 0),
    c binary-searched from ``c``. Returns both softmax vectors and s = ‖τ‖∞, ‖τ‖₂."""
    if model_name not in models():
        raise ValueError(
            f"Unknown model {model_name!r}: pick one of {', '.join(models()) or 'the zoo (none built)'}."
        )
    checks.one_of(attack, ATTACK_CHOICES, "The attack")
    check_seed(seed)
    dataset = common.dataset_of(model_name)
    names = tuple(data.CLASS_NAMES[dataset])
    images, labels = common.gallery(dataset)
    checks.integer(target, 0, len(names) - 1, "The target class")
    if attack == "pgd":
        if not isinstance(eps_255, (int, float)) or not math.isfinite(eps_255) or not 0 < eps_255 <= 255:
            raise ValueError(f"The budget ε must be in (0, 255] (units of 1/255), got {eps_255!r}.")
        checks.integer(steps, 1, None, "PGD steps")
    elif not c > 0 or not kappa >= 0:
        raise ValueError(f"C&W needs c > 0 and κ ≥ 0, got c = {c!r} and κ = {kappa!r}.")
    if upload is not None:
        try:
            x = _decode(bytes(upload), images.shape[-1], images.shape[1])
        except data.InvalidImage as error:
            raise ValueError(str(error)) from error
        label = None
    else:
        checks.integer(index, 0, len(labels) - 1, "The image index")
        x, label = images[index], int(labels[index])
    model = zoo.shared(model_name)
    batch, goal = x.unsqueeze(0), torch.tensor([target])
    if attack == "pgd":
        eps = float(eps_255) / 255
        x_adv = attacks.pgd(
            model,
            batch,
            goal,
            eps=eps,
            step=2.5 * eps / steps,
            steps=steps,
            norm="linf",
            targeted=True,
            generator=stream_generator(seed, "attack"),
        )
    else:
        x_adv = attacks.carlini_wagner_l2(
            model,
            batch,
            goal,
            targeted=True,
            c=float(c),
            kappa=float(kappa),
            steps=CW_STEPS,
            lr=CW_LR,
            binary_search_steps=CW_SEARCH,
        )
    with torch.inference_mode():
        p = torch.softmax(model(batch), 1)[0].numpy()
        p_adv = torch.softmax(model(x_adv), 1)[0].numpy()
    tau = x_adv[0] - x
    scale = float(tau.abs().max())
    unit = (tau / scale + 1) / 2 if scale > 0 else torch.full_like(tau, 0.5)
    after = int(p_adv.argmax())
    return CatToDog(
        common.image_array(x),
        common.image_array(x_adv[0]),
        common.image_array(unit),
        p,
        p_adv,
        names,
        label,
        target,
        int(p.argmax()),
        after,
        scale,
        float(tau.norm()),
        after == target,
        upload is not None,
    )


# --------------------------------------------------------------------------- predict, then reveal

ONE_GREY_LEVEL_255 = 1.0  # the talk's question: ε = 1/255, one grey level per pixel


def prediction(result: CatToDog) -> Prediction:
    """The talk's question about ``result`` (the PGD attack at ε = 1/255): does F still say x's class?"""
    before, target = result.class_names[result.before], result.class_names[result.target]
    return Prediction(
        f"Will the network still say {before} at ε = 1/255, one grey level per pixel?",
        (f"Yes, still {before}", f"No: {target}", "No: another class"),
    )


def verdict(result: CatToDog) -> Verdict:
    """Which choices of :func:`prediction` the computed attack confirms, and its numbers."""
    names, before, after, target = result.class_names, result.before, result.after, result.target
    correct = (after == before, after == target != before, after not in (before, target))
    return Verdict(
        correct,
        f"At ε = 1/255 (‖τ‖∞ = {result.scale:.4f}) the network answers {names[after]} "
        f"({result.p_adv[after]:.0%}); on x it said {names[before]} ({result.p[before]:.0%}).",
    )
