"""Start: the talk in three parts, one line per scene, and how to drive the dashboard."""
import streamlit as st

from ui import layout

# (page file, one line saying what the scene shows) — in the order of the talk.
OUTLINE = {
    "I. Supervised learning & neural networks": [
        ("pages/p01_erm_playground.py",
         "Empirical risk minimisation live: train a small network on a 2-D set and watch the "
         "empirical and held-out risks, the generalisation gap and the decision regions."),
        ("pages/p02_composition.py",
         r"A network is a composition $F = \varphi^{(N)}\circ\dots\circ\varphi^{(1)}$: "
         "how each layer moves the data, "
         "over-parametrisation vs overfitting, and Cybenko's universal approximation."),
    ],
    "II. Adversarial examples": [
        ("pages/p03_cat_to_dog.py",
         "A cat that the network calls a dog after an invisible perturbation (Szegedy et al. 2014)."),
        ("pages/p04_crafting_attacks.py",
         r"Crafting attacks: gradient step, FGSM, PGD in $\ell_\infty$ / $\ell_2$, Carlini–Wagner — "
         "budgets and success rates."),
        ("pages/p05_geometry.py",
         "The geometric picture: decision boundaries close to the data, attack paths, how "
         "layers stretch distances (Lipschitz bounds)."),
    ],
    "III. Defenses & randomization": [
        ("pages/p06_adversarial_training.py",
         "Adversarial training (Madry et al. 2018; Wong et al. 2020): robustness gained, accuracy paid."),
        ("pages/p07_noise_injection.py",
         r"Noise injection $\tilde F_\varepsilon$: adding noise to the input or to a hidden layer, "
         "at training and at inference."),
        ("pages/p08_decision_distribution.py",
         r"From noise to a distribution over decisions: the smoothed classifier "
         r"$F_{\mathrm{rob}}(x) = \mathbb{E}_\varepsilon[\tilde F_\varepsilon(x)]$ and its decision regions."),
        ("pages/p09_certificate.py",
         r"The certificate $\alpha^*$: the certified radius as a function of $p_A$ and of the noise "
         "(Cohen et al. 2019, Lecuyer et al. 2019, Li et al. 2019, Pinot et al. 2019)."),
        ("pages/p10_tradeoff.py",
         "The robustness–accuracy trade-off, and the best attacks against randomized defenses (EOT)."),
        ("pages/p11_take_home.py",
         "Take-home: the talk's conclusions, each with a live figure."),
    ],
}

layout.header(
    "Toward certified defenses to adversarial example attacks through randomization",
    r"""
An interactive companion to the talk. A classifier $F_\theta$ is learnt by minimising an empirical
risk; a tiny perturbation $\tau$ with $\|\tau\| \le \alpha$ can change its decision
($F(x+\tau) \ne F(x)$: an **adversarial example**); adding noise $\varepsilon$ and voting gives a
randomized classifier $F_{\mathrm{rob}}(x) = \mathbb{E}_\varepsilon[\tilde F_\varepsilon(x)]$ whose
decision provably cannot change within a radius $\alpha^*$ — a **certificate**.
Every number and figure in the scenes below is computed live by the `core` library.
""",
    uses="nothing on this page; each scene names its model and data.",
)

for part, scenes in OUTLINE.items():
    st.subheader(part)
    for page_file, summary in scenes:
        left, right = st.columns([2, 5], vertical_alignment="center")
        with left:
            st.page_link(page_file)
        with right:
            st.markdown(summary)

st.page_link("pages/references.py", label="References — the papers behind each scene", icon="📚")

st.subheader("How to use it")
st.markdown(
    """
- **Presenter mode** (sidebar toggle): larger text and metrics for a projector. It is kept in the
  URL as `?presenter=1`, so a bookmark opens every scene in presenter mode.
- **Seeds**: every scene that draws random numbers (data, initialisation, noise, attack starts) has a
  *Seed* box in the sidebar, also kept in the URL (`?seed=…`). Copying the address of a scene
  therefore **reproduces the demo exactly**, on any machine: same data, same network, same noise.
- **Defaults show the point**: each scene computes a small version at first paint; larger Monte Carlo
  samples, more epochs or wider sweeps are one button away.
- *The code behind this scene* (expander at the bottom of each page) shows the `core` functions called.
"""
)

st.subheader("What runs offline")
st.markdown(
    """
Everything. Nothing is downloaded while the dashboard runs:
- Part I and the 2-D scenes train their small networks live on the laptop CPU (or a GPU when present).
- Image scenes use the trained models shipped in `assets/models/` (safetensors, checked by sha256
  against `manifest.json`) and the 20 real test images bundled with foolbox (the offline gallery).
- Tables and curves computed on full test sets are read from `assets/results/`; each file names the
  `python -m core.experiments …` command that reproduces it. A missing model or result is reported in
  one sentence with that command.
"""
)
