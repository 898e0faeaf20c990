"""The one list of the talk's scenes, in order: read by app.py, the home page, the references and
the tests. No other copy of it exists. The app's pages are the scenes' pages, the home page, the
references and the speaker console.

Plain data (no Streamlit): ``page`` is the thin Streamlit file that draws the scene, ``module``
the ``core.scenes`` module that computes it, which :func:`module_of` imports (the registry itself imports
no scene module: the home page is drawn without torch) and checks against :class:`SceneModule`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Protocol

PARTS = (
    "I. Supervised learning & neural networks",
    "II. Adversarial examples",
    "III. Defenses & randomization",
)


@dataclass(frozen=True)
class Scene:
    number: int  # 1…11 in the talk's order
    part: str  # one of PARTS
    url_path: str  # the page's URL path, e.g. "p09_certificate"
    title: str  # "9 · The certificate α*"
    icon: str  # an emoji for st.Page: a Material icon becomes the tab's icon, fetched online
    summary: str  # one line (Markdown + KaTeX) for the home page
    slide: str  # the talk's slide the scene follows
    module: str  # the core.scenes module computing it

    @property
    def page(self) -> str:
        """The page file, relative to the project root."""
        return f"app_pages/{self.url_path}.py"


SCENES: tuple[Scene, ...] = (
    Scene(
        1,
        PARTS[0],
        "p01_erm_playground",
        "1 · ERM playground",
        "📈",
        "Empirical risk minimisation live: train a small network on a 2-D set and watch the empirical "
        "and held-out risks, the generalisation gap and the decision regions.",
        "Supervised learning: (x_i, y_i) ~ D, a loss, empirical risk minimisation",
        "core.scenes.erm_playground",
    ),
    Scene(
        2,
        PARTS[0],
        "p02_composition",
        "2 · A network is a composition",
        "🧱",
        r"A network is a composition $F = \varphi^{(N)}\circ\dots\circ\varphi^{(1)}$: how each layer moves "
        "the data, over-parametrisation vs overfitting, and Cybenko's universal approximation.",
        "Neural networks: F = φ(N)∘…∘φ(1), φ(i)(z) = σ(W_i z + b_i); universal approximation",
        "core.scenes.composition",
    ),
    Scene(
        3,
        PARTS[1],
        "p03_cat_to_dog",
        "3 · Cat → dog",
        "🐱",
        "A cat that the network calls a dog after an invisible perturbation (Szegedy et al. 2014).",
        'cat + 0.006·τ = "dog"',
        "core.scenes.cat_to_dog",
    ),
    Scene(
        4,
        PARTS[1],
        "p04_crafting_attacks",
        "4 · Crafting an attack",
        "🛠️",
        r"Crafting attacks: the hard problem $\min \|\tau\|$ s.t. $F(x+\tau) \neq y$, its relaxation "
        r"$\min c\|\tau\| - \ell(y, F(x+\tau))$, the gradient step, FGSM, PGD in $\ell_\infty$ / $\ell_2$, "
        "Carlini–Wagner — accuracy under attack against the budget.",
        "Crafting adversarial examples: min ‖τ‖ s.t. F(x+τ) ≠ y, its relaxation, PGD, Carlini–Wagner",
        "core.scenes.crafting_attacks",
    ),
    Scene(
        5,
        PARTS[1],
        "p05_geometry",
        "5 · Geometric interpretation",
        "📏",
        "The geometric picture: the decision boundary close to the data, a PGD path across it, and how far "
        r"the network is from an isometry (stretch ratios $\|F(x+\tau) - F(x)\|_2 / \|\tau\|$ in random "
        "directions, against the identity's).",
        "Geometric interpretation: networks do not preserve distances",
        "core.scenes.geometry",
    ),
    Scene(
        6,
        PARTS[2],
        "p06_adversarial_training",
        "6 · Adversarial training",
        "🛡️",
        "Adversarial training (Madry et al. 2018; Wong et al. 2020): robustness gained, accuracy and "
        "training time paid.",
        "Adversarial training: Madry et al.'s table",
        "core.scenes.adversarial_training",
    ),
    Scene(
        7,
        PARTS[2],
        "p07_noise_injection",
        "7 · Noise injection",
        "🎲",
        r"Noise injection $\tilde F_\varepsilon$: adding noise to the input or to a hidden layer, at "
        "training and at inference, and attacking it with and without an expectation over the noise (EOT).",
        "Randomization: noise injected after a layer at inference, F_rob(x) = E_ε[F̃_ε(x)]",
        "core.scenes.noise_injection",
    ),
    Scene(
        8,
        PARTS[2],
        "p08_decision_distribution",
        "8 · Noise → decision regions",
        "🗺️",
        r"From noise to a distribution over decisions: the smoothed classifier "
        r"$F_{\mathrm{rob}}(x) = \mathbb{E}_\varepsilon[\tilde F_\varepsilon(x)]$, its decision regions, the "
        "total variation between the decision distributions at x and at x_adv, and Pinot et al.'s "
        "exponential-family route from a divergence to a radius.",
        "Noise induces a distribution over decision regions; Pinot et al.'s exponential-family extension",
        "core.scenes.decision_distribution",
    ),
    Scene(
        9,
        PARTS[2],
        "p09_certificate",
        "9 · The certificate α*",
        "✅",
        r"The certificate $\alpha^*$: CERTIFY on a point and on an image, the certified radius as a function "
        r"of $p_A$ and of the noise, noise in a hidden layer pulled back by a Lipschitz bound, certified "
        "accuracy on the test sets (Cohen et al. 2019, Lecuyer et al. 2019, Li et al. 2019, "
        "Pinot et al. 2019).",
        "Cohen et al.'s certified radius α*",
        "core.scenes.certificate",
    ),
    Scene(
        10,
        PARTS[2],
        "p10_tradeoff",
        "10 · Trade-off & best attacks",
        "⚖️",
        "The robustness–accuracy trade-off across noise scales, the certified radius against the distance "
        r"the best attack on $F_{\mathrm{rob}}$ needs (SmoothAdv: PGD on the expectation over the noise), "
        r"and why $\alpha^*$ is still too small.",
        "α* still too small; the robustness–accuracy trade-off",
        "core.scenes.tradeoff",
    ),
    Scene(
        11,
        PARTS[2],
        "p11_take_home",
        "11 · Take-home",
        "🎓",
        "Take-home: the talk's conclusions, each with a figure computed by core (live, or shipped where it "
        "needs a full test set).",
        "Four take-home messages",
        "core.scenes.take_home",
    ),
)

HOME_PAGE = "app_pages/home.py"
REFERENCES_PAGE = "app_pages/references.py"
CONSOLE_PAGE = (
    "app_pages/console.py"  # the lecturer's speaker console (ui.lecture, ui.room): not a step of the talk
)


def scene(url_path: str) -> Scene:
    """The scene whose URL path is ``url_path`` (ValueError naming the known ones otherwise)."""
    for candidate in SCENES:
        if candidate.url_path == url_path:
            return candidate
    raise ValueError(
        f"There is no scene {url_path!r}; the scenes are {', '.join(s.url_path for s in SCENES)}."
    )


def by_part() -> dict[str, list[Scene]]:
    """The scenes grouped by part, in the talk's order."""
    return {part: [s for s in SCENES if s.part == part] for part in PARTS}


class SceneModule(Protocol):
    """What every core.scenes module of the registry offers the page header, the lecture (steps, speaker's
    notes), the notebook and ``python -m core.scenes build``; tests/scenes/test_registry.py checks each.

    Required: ``STEPS`` (1 to core.scenes.lecture.MAX_STEPS step titles, in the order the page reveals
    them), ``EXPLANATION`` (Markdown + KaTeX: the self-study text, the speaker's notes in presenter mode),
    ``USES`` (what it computes on: models, data, toys), ``PARAMETERS`` (what its page lets a reader set,
    declared as data: core.scenes.parameters) and ``DEFAULTS`` (their opening values). Optional, read where
    present: ``NOTES`` ({step: Markdown} for the speaker), ``SHIPPED_TOYS`` (core.toys.ToySpec it ships),
    ``opening_toys(seed)`` (the toys its page opens with at a seed), ``build()`` (writes its assets/scenes
    file), ``warm()`` (preloads what it opens with, ui.warmup)."""

    STEPS: tuple[str, ...]
    EXPLANATION: str
    USES: str
    PARAMETERS: dict
    DEFAULTS: dict


REQUIRED = {"STEPS": tuple, "EXPLANATION": str, "USES": str, "PARAMETERS": dict, "DEFAULTS": dict}
OPTIONAL_DATA = {"NOTES": dict, "SHIPPED_TOYS": (list, tuple)}
OPTIONAL_FUNCTIONS = ("opening_toys", "build", "warm")


def module_of(url_path: str) -> SceneModule:
    """The core.scenes module of the scene at ``url_path``, imported now; ValueError in one sentence when it
    lacks a required name of :class:`SceneModule` or holds a wrong kind of value under one."""
    module = importlib.import_module(scene(url_path).module)
    wrong = [name for name, kind in REQUIRED.items() if not isinstance(getattr(module, name, None), kind)]
    wrong += [
        name
        for name, kind in OPTIONAL_DATA.items()
        if hasattr(module, name) and not isinstance(getattr(module, name), kind)
    ]
    wrong += [
        name for name in OPTIONAL_FUNCTIONS if hasattr(module, name) and not callable(getattr(module, name))
    ]
    if wrong:
        raise ValueError(
            f"{module.__name__} does not follow the scene protocol (core.scenes.registry.SceneModule): "
            f"check {', '.join(wrong)}."
        )
    return module
