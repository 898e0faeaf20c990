"""The talk's bibliography, with arXiv links and the scenes that use each paper."""
import streamlit as st

from ui import layout

PAGE_TITLES = {
    "pages/p01_erm_playground.py": "1 · ERM playground",
    "pages/p02_composition.py": "2 · A network is a composition",
    "pages/p03_cat_to_dog.py": "3 · Cat → dog",
    "pages/p04_crafting_attacks.py": "4 · Crafting an attack",
    "pages/p05_geometry.py": "5 · Geometric interpretation",
    "pages/p06_adversarial_training.py": "6 · Adversarial training",
    "pages/p07_noise_injection.py": "7 · Noise injection",
    "pages/p08_decision_distribution.py": "8 · Noise → decision regions",
    "pages/p09_certificate.py": "9 · The certificate α*",
    "pages/p10_tradeoff.py": "10 · Trade-off & best attacks",
    "pages/p11_take_home.py": "11 · Take-home",
}

# (citation, link, what the talk takes from it, pages that use it) in chronological order.
REFERENCES = [
    ("G. Cybenko (1989). *Approximation by superpositions of a sigmoidal function.* "
     "Mathematics of Control, Signals and Systems 2(4), 303–314.",
     "https://doi.org/10.1007/BF02551274",
     "One hidden layer of sigmoids approximates any continuous function on a compact set.",
     ["pages/p02_composition.py"]),
    ("C. Szegedy, W. Zaremba, I. Sutskever, J. Bruna, D. Erhan, I. Goodfellow, R. Fergus (2014). "
     "*Intriguing properties of neural networks.* ICLR 2014.",
     "https://arxiv.org/abs/1312.6199",
     "Adversarial examples: imperceptible perturbations that change a network's decision.",
     ["pages/p03_cat_to_dog.py", "pages/p05_geometry.py", "pages/p11_take_home.py"]),
    ("I. Goodfellow, J. Shlens, C. Szegedy (2015). *Explaining and harnessing adversarial "
     "examples.* ICLR 2015.",
     "https://arxiv.org/abs/1412.6572",
     "The fast gradient sign method (FGSM) and the linearity explanation.",
     ["pages/p04_crafting_attacks.py", "pages/p05_geometry.py"]),
    ("A. Kurakin, I. Goodfellow, S. Bengio (2017). *Adversarial examples in the physical world.* "
     "ICLR 2017 workshop.",
     "https://arxiv.org/abs/1607.02533",
     "The basic iterative method (iterated FGSM, the ancestor of PGD).",
     ["pages/p04_crafting_attacks.py"]),
    ("A. Kurakin, I. Goodfellow, S. Bengio (2017). *Adversarial machine learning at scale.* "
     "ICLR 2017.",
     "https://arxiv.org/abs/1611.01236",
     "Adversarial training on ImageNet; single-step attacks and label leaking.",
     ["pages/p06_adversarial_training.py"]),
    ("N. Carlini, D. Wagner (2017). *Towards evaluating the robustness of neural networks.* "
     "IEEE S&P 2017.",
     "https://arxiv.org/abs/1608.04644",
     "The Carlini–Wagner ℓ2 attack and the CW margin loss.",
     ["pages/p04_crafting_attacks.py", "pages/p10_tradeoff.py"]),
    ("A. Madry, A. Makelov, L. Schmidt, D. Tsipras, A. Vladu (2018). *Towards deep learning "
     "models resistant to adversarial attacks.* ICLR 2018.",
     "https://arxiv.org/abs/1706.06083",
     "Projected gradient descent (PGD) and adversarial training as a min–max problem.",
     ["pages/p04_crafting_attacks.py", "pages/p06_adversarial_training.py", "pages/p11_take_home.py"]),
    ("A. Athalye, N. Carlini, D. Wagner (2018). *Obfuscated gradients give a false sense of "
     "security: circumventing defenses to adversarial examples.* ICML 2018.",
     "https://arxiv.org/abs/1802.00420",
     "Expectation over transformation (EOT): how to attack a randomized defense properly.",
     ["pages/p07_noise_injection.py", "pages/p10_tradeoff.py"]),
    ("M. Lecuyer, V. Atlidakis, R. Geambasu, D. Hsu, S. Jana (2019). *Certified robustness to "
     "adversarial examples with differential privacy* (PixelDP). IEEE S&P 2019.",
     "https://arxiv.org/abs/1802.03471",
     "Noise injection in a layer as a differentially private mechanism; the first certificate.",
     ["pages/p07_noise_injection.py", "pages/p09_certificate.py"]),
    ("B. Li, C. Chen, W. Wang, L. Carin (2019). *Certified adversarial robustness with additive "
     "noise.* NeurIPS 2019.",
     "https://arxiv.org/abs/1809.03113",
     "A tighter certificate through the Rényi divergence.",
     ["pages/p07_noise_injection.py", "pages/p09_certificate.py"]),
    ("J. Cohen, E. Rosenfeld, J. Z. Kolter (2019). *Certified adversarial robustness via "
     "randomized smoothing.* ICML 2019.",
     "https://arxiv.org/abs/1902.02918",
     "The tight Gaussian ℓ2 certificate R = σ Φ⁻¹(p_A) and the PREDICT/CERTIFY procedures.",
     ["pages/p08_decision_distribution.py", "pages/p09_certificate.py", "pages/p10_tradeoff.py",
      "pages/p11_take_home.py"]),
    ("R. Pinot, L. Meunier, A. Araujo, H. Kashima, F. Yger, C. Gouy-Pailler, J. Atif (2019). "
     "*Theoretical evidence for adversarial robustness through randomization.* NeurIPS 2019.",
     "https://arxiv.org/abs/1902.01148",
     "Robustness of randomized networks with exponential-family noise (Gaussian, Laplace).",
     ["pages/p07_noise_injection.py", "pages/p09_certificate.py", "pages/p11_take_home.py"]),
    ("H. Salman, G. Yang, J. Li, P. Zhang, H. Zhang, I. Razenshteyn, S. Bubeck (2019). "
     "*Provably robust deep learning via adversarially trained smoothed classifiers.* "
     "NeurIPS 2019.",
     "https://arxiv.org/abs/1906.04584",
     "Attacking the smoothed classifier (SmoothAdv) and training against it.",
     ["pages/p09_certificate.py", "pages/p10_tradeoff.py"]),
    ("J. Teng, G.-H. Lee, Y. Yuan (2020). *ℓ1 adversarial robustness certificates: a randomized "
     "smoothing approach.* ICLR 2020 submission (OpenReview; no arXiv version).",
     "https://openreview.net/search?term=%E2%84%931%20Adversarial%20Robustness%20Certificates"
     "%3A%20a%20Randomized%20Smoothing%20Approach",
     "The tight ℓ1 certificate of Laplace smoothing, R = −b log(2(1 − p_A)).",
     ["pages/p09_certificate.py", "pages/p11_take_home.py"]),
    ("G. Yang, T. Duan, J. E. Hu, H. Salman, I. Razenshteyn, J. Li (2020). *Randomized smoothing "
     "of all shapes and sizes.* ICML 2020.",
     "https://arxiv.org/abs/2002.08118",
     "Certificates for many noise distributions (uniform, Laplace, …) and norms.",
     ["pages/p09_certificate.py", "pages/p11_take_home.py"]),
    ("E. Wong, L. Rice, J. Z. Kolter (2020). *Fast is better than free: revisiting adversarial "
     "training.* ICLR 2020.",
     "https://arxiv.org/abs/2001.03994",
     "FGSM from a random start makes adversarial training cheap.",
     ["pages/p06_adversarial_training.py"]),
]



def link_label(link: str) -> str:
    """arXiv:<id> for arXiv links, else the site's name."""
    if "arxiv.org/abs/" in link:
        return "arXiv:" + link.rsplit("/", 1)[1]
    return "doi" if "doi.org" in link else "OpenReview"


layout.header(
    "References",
    "The papers behind the talk, oldest first. Each entry links to the paper (arXiv where there is "
    "one) and to the scenes of this dashboard that compute something from it.",
    uses="nothing: a bibliography.",
)

chosen = st.selectbox("Show the papers used by", ["every scene", *PAGE_TITLES.values()],
                      key="references_scene")
shown = [ref for ref in REFERENCES
         if chosen == "every scene" or any(PAGE_TITLES[page] == chosen for page in ref[3])]
st.caption(f"{len(shown)} of {len(REFERENCES)} papers.")

for number, (citation, link, contribution, pages) in enumerate(shown, start=1):
    with st.container(border=True):
        st.markdown(f"**[{number}]** {citation} [{link_label(link)}]({link})")
        st.markdown(f"*In the talk:* {contribution}")
        columns = st.columns([1] + [2] * max(len(ref[3]) for ref in REFERENCES), vertical_alignment="center")
        columns[0].markdown("Used in:")
        for column, page in zip(columns[1:], pages):
            with column:
                st.page_link(page, label=PAGE_TITLES[page])
