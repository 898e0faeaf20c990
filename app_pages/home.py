"""Start: the talk in three parts, one line per scene, and how to drive the dashboard."""

import streamlit as st

from core.scenes.registry import HOME_PAGE, REFERENCES_PAGE, by_part
from ui import layout, lecture

lecture.bar(HOME_PAGE)

layout.header(
    "Toward certified defenses to adversarial example attacks through randomization",
    r"""
An interactive companion to the talk. A classifier $F_\theta$ is learnt by minimising an empirical
risk; a tiny perturbation $\tau$ with $\|\tau\| \le \alpha$ can change its decision
($F(x+\tau) \ne F(x)$: an **adversarial example**); adding noise $\varepsilon$ and voting gives a
randomized classifier $F_{\mathrm{rob}}(x) = \mathbb{E}_\varepsilon[\tilde F_\varepsilon(x)]$ whose
decision provably cannot change within a radius $\alpha^*$ — a **certificate**.
Every number and figure in the scenes below is computed by the `core` library: live, or shipped
with the command that reproduces it. Published constants (Madry et al.'s and Cohen et al.'s tables)
are shown beside our numbers, labelled with the paper they come from.
""",
    uses="nothing on this page; each scene names its model and data.",
)

for part, scenes in by_part().items():
    st.subheader(part)
    for scene in scenes:
        left, right = st.columns([2, 5], vertical_alignment="center")
        with left:
            st.page_link(scene.page, label=scene.title, icon=scene.icon)
        with right:
            st.markdown(scene.summary)

st.page_link(REFERENCES_PAGE, label="References — the papers behind each scene", icon="📚")

st.subheader("How to use it")
st.markdown(
    """
- **Presenter mode** (sidebar toggle): larger text and metrics for a projector. It is kept in the
  URL as `?presenter=1`, so a bookmark opens every scene in presenter mode.
- **Seeds**: every scene that draws random numbers (data, initialisation, noise, attack starts) has a
  *Seed* box in the sidebar, also kept in the URL (`?seed=…`). Copying the address of a scene
  therefore **reproduces the demo exactly**, on any machine: same data, same network, same noise.
- **The URL is the demo**: every main control of a scene (image, target, ε, σ, n, α, noise, layer…)
  is in the address too, so a copied link opens the scene with the same values; a value a link cannot
  use falls back to the default, with a sentence saying so.
- **Download this lecture** (sidebar): one HTML file that opens offline, with every scene visited in
  this session, its interactive figures, its numbers, its settings link and the code that recomputes it.
- **Defaults show the point**: each scene computes a small version at first paint; larger Monte Carlo
  samples, more epochs or wider sweeps are one button away.
- *The code behind this scene* (expander at the bottom of each page) shows the `core` functions called.
"""
)

st.subheader("What runs offline")
st.markdown(
    """
Everything. Nothing is downloaded while the dashboard runs:
- Part I and the 2-D scenes load their small networks from `assets/toys/` for the opening settings
  (seed 0) and train them live on the laptop CPU (or a GPU when present) for any other setting.
- Image scenes use the trained models shipped in `assets/models/` (safetensors, checked by sha256
  against `manifest.json`) and the 20 real test images bundled with foolbox (the offline gallery).
- Tables and curves computed on full test sets are read from `assets/results/`; each file names the
  `python -m core.experiments …` command that reproduces it. Scene results too slow for a first paint
  (e.g. page 4's curves at the default settings) are read from `assets/scenes/`, rebuilt by
  `python -m core.scenes build --scene <page>`. A missing model or result is reported in one sentence
  with its command.
- Published constants (Madry et al. 2018's CIFAR-10 table, Cohen et al.'s ResNet-110 certified
  accuracies) are numbers from papers, never recomputed here; each page names the paper beside them.
"""
)
