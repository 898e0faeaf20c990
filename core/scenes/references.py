"""The talk's bibliography, and the scenes (URL paths of core.scenes.registry) that use each paper."""

# (citation, link, what the talk takes from it, URL paths of the scenes that use it), oldest first.
REFERENCES = [
    (
        "G. Cybenko (1989). *Approximation by superpositions of a sigmoidal function.* "
        "Mathematics of Control, Signals and Systems 2(4), 303–314.",
        "https://doi.org/10.1007/BF02551274",
        "One hidden layer of sigmoids approximates any continuous function on a compact set.",
        ["p02_composition"],
    ),
    (
        "B. Biggio, I. Corona, D. Maiorca, B. Nelson, N. Šrndić, P. Laskov, G. Giacinto, F. Roli (2013). "
        "*Evasion attacks against machine learning at test time.* ECML PKDD 2013.",
        "https://arxiv.org/abs/1708.06131",
        "Gradient-based evasion of trained classifiers, the year before Szegedy et al.",
        ["p03_cat_to_dog", "p04_crafting_attacks"],
    ),
    (
        "C. Szegedy, W. Zaremba, I. Sutskever, J. Bruna, D. Erhan, I. Goodfellow, R. Fergus (2014). "
        "*Intriguing properties of neural networks.* ICLR 2014.",
        "https://arxiv.org/abs/1312.6199",
        "Adversarial examples: imperceptible perturbations that change a network's decision.",
        ["p03_cat_to_dog", "p05_geometry", "p11_take_home"],
    ),
    (
        "I. Goodfellow, J. Shlens, C. Szegedy (2015). *Explaining and harnessing adversarial "
        "examples.* ICLR 2015.",
        "https://arxiv.org/abs/1412.6572",
        "The fast gradient sign method (FGSM) and the linearity explanation.",
        ["p04_crafting_attacks", "p05_geometry"],
    ),
    (
        "N. Papernot, P. McDaniel, S. Jha, M. Fredrikson, Z. B. Celik, A. Swami (2016). *The limitations of "
        "deep learning in adversarial settings.* IEEE EuroS&P 2016.",
        "https://arxiv.org/abs/1511.07528",
        "Targeted attacks that change few pixels (JSMA), and the attacker's goals and knowledge.",
        ["p03_cat_to_dog", "p04_crafting_attacks"],
    ),
    (
        "A. Kurakin, I. Goodfellow, S. Bengio (2017). *Adversarial examples in the physical world.* "
        "ICLR 2017 workshop.",
        "https://arxiv.org/abs/1607.02533",
        "The basic iterative method (iterated FGSM, the ancestor of PGD).",
        ["p04_crafting_attacks"],
    ),
    (
        "A. Kurakin, I. Goodfellow, S. Bengio (2017). *Adversarial machine learning at scale.* ICLR 2017.",
        "https://arxiv.org/abs/1611.01236",
        "Adversarial training on ImageNet; single-step attacks and label leaking.",
        ["p06_adversarial_training"],
    ),
    (
        "N. Carlini, D. Wagner (2017). *Towards evaluating the robustness of neural networks.* "
        "IEEE S&P 2017.",
        "https://arxiv.org/abs/1608.04644",
        "The Carlini–Wagner ℓ2 attack and the CW margin loss.",
        ["p04_crafting_attacks", "p10_tradeoff"],
    ),
    (
        "G. Katz, C. Barrett, D. Dill, K. Julian, M. Kochenderfer (2017). *Reluplex: an efficient SMT solver "
        "for verifying deep neural networks.* CAV 2017.",
        "https://arxiv.org/abs/1702.01135",
        "Verifying a ReLU network is NP-complete: the smallest adversarial perturbation is NP-hard to "
        "compute "
        "exactly, so attacks approximate it.",
        ["p04_crafting_attacks"],
    ),
    (
        "A. Madry, A. Makelov, L. Schmidt, D. Tsipras, A. Vladu (2018). *Towards deep learning "
        "models resistant to adversarial attacks.* ICLR 2018.",
        "https://arxiv.org/abs/1706.06083",
        "Projected gradient descent (PGD) and adversarial training as a min–max problem.",
        ["p04_crafting_attacks", "p06_adversarial_training", "p11_take_home"],
    ),
    (
        "A. Athalye, N. Carlini, D. Wagner (2018). *Obfuscated gradients give a false sense of "
        "security: circumventing defenses to adversarial examples.* ICML 2018.",
        "https://arxiv.org/abs/1802.00420",
        "Expectation over transformation (EOT): how to attack a randomized defense properly.",
        ["p07_noise_injection", "p10_tradeoff"],
    ),
    (
        "M. Lecuyer, V. Atlidakis, R. Geambasu, D. Hsu, S. Jana (2019). *Certified robustness to "
        "adversarial examples with differential privacy* (PixelDP). IEEE S&P 2019.",
        "https://arxiv.org/abs/1802.03471",
        "Noise injection in a layer as a differentially private mechanism: the first certificate obtained by "
        "injecting noise, and the first certified defense at ImageNet scale (the certified defenses of "
        "Wong & "
        "Kolter and of Raghunathan et al. came earlier in 2018, for small networks).",
        ["p07_noise_injection", "p09_certificate"],
    ),
    (
        "B. Li, C. Chen, W. Wang, L. Carin (2019). *Certified adversarial robustness with additive "
        "noise.* NeurIPS 2019.",
        "https://arxiv.org/abs/1809.03113",
        "A certificate through the Rényi divergence (Lemma 1: a divergence bound keeps the top class).",
        ["p07_noise_injection", "p08_decision_distribution", "p09_certificate"],
    ),
    (
        "J. Cohen, E. Rosenfeld, J. Z. Kolter (2019). *Certified adversarial robustness via "
        "randomized smoothing.* ICML 2019.",
        "https://arxiv.org/abs/1902.02918",
        "The tight Gaussian ℓ2 certificate R = σ Φ⁻¹(p_A) and the PREDICT/CERTIFY procedures.",
        ["p08_decision_distribution", "p09_certificate", "p10_tradeoff", "p11_take_home"],
    ),
    (
        "R. Pinot, L. Meunier, A. Araujo, H. Kashima, F. Yger, C. Gouy-Pailler, J. Atif (2019). "
        "*Theoretical evidence for adversarial robustness through randomization.* NeurIPS 2019.",
        "https://arxiv.org/abs/1902.01148",
        "Robustness of randomized networks with exponential-family noise (Gaussian, Laplace), through a "
        "divergence.",
        ["p07_noise_injection", "p08_decision_distribution", "p09_certificate", "p11_take_home"],
    ),
    (
        "H. Salman, G. Yang, J. Li, P. Zhang, H. Zhang, I. Razenshteyn, S. Bubeck (2019). "
        "*Provably robust deep learning via adversarially trained smoothed classifiers.* "
        "NeurIPS 2019.",
        "https://arxiv.org/abs/1906.04584",
        "Attacking the smoothed classifier (SmoothAdv) and training against it.",
        ["p09_certificate", "p10_tradeoff"],
    ),
    (
        "J. Teng, G.-H. Lee, Y. Yuan (2020). *ℓ1 adversarial robustness certificates: a randomized "
        "smoothing approach.* ICLR 2020 submission (OpenReview; no arXiv version).",
        "https://openreview.net/search?term=%E2%84%931%20Adversarial%20Robustness%20Certificates"
        "%3A%20a%20Randomized%20Smoothing%20Approach",
        "The tight ℓ1 certificate of Laplace smoothing, R = −b log(2(1 − p_A)).",
        ["p08_decision_distribution", "p09_certificate", "p11_take_home"],
    ),
    (
        "G. Yang, T. Duan, J. E. Hu, H. Salman, I. Razenshteyn, J. Li (2020). *Randomized smoothing "
        "of all shapes and sizes.* ICML 2020.",
        "https://arxiv.org/abs/2002.08118",
        "Certificates for many noise distributions (uniform, Laplace, …) and norms.",
        ["p09_certificate", "p11_take_home"],
    ),
    (
        "R. Pinot, R. Ettedgui, G. Rizk, Y. Chevaleyre, J. Atif (2020). *Randomization matters. How to "
        "defend against strong adversarial attacks.* ICML 2020.",
        "https://arxiv.org/abs/2002.11565",
        "The game-theoretic reading: no pure Nash equilibrium, mixed strategies beat deterministic ones.",
        ["p07_noise_injection", "p11_take_home"],
    ),
    (
        "E. Wong, L. Rice, J. Z. Kolter (2020). *Fast is better than free: revisiting adversarial "
        "training.* ICLR 2020.",
        "https://arxiv.org/abs/2001.03994",
        "FGSM from a random start makes adversarial training cheap.",
        ["p06_adversarial_training"],
    ),
]
