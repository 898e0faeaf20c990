"""11 · Take-home: the talk's five conclusions, each backed by a small live computation."""
import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from core import attacks, data, evaluation, geometry, models, noise as noises, results, smoothing, training
from core.device import make_generator
from ui import cache, layout

DATASET, POINTS, TEST_FRACTION = "spirals", 400, 0.3
HIDDEN, EPOCHS, LEARNING_RATE = [64, 64], 60, 1e-2
TRAIN_EPS = 0.05                      # ℓ∞ budget of the adversarially trained toy model
ADVERSARIAL_STEPS = 7                 # PGD steps of its inner maximisation (Madry et al. 2018)
BUDGETS = [0.0, 0.02, 0.04, 0.06, 0.08, 0.1]
SIGMAS = [0.02, 0.05, 0.1, 0.2]       # Gaussian σ of the noise-trained toy models
N0, N_CERTIFY, ALPHA, CERTIFY_POINTS = 20, 200, 0.001, 60
CIFAR_DIM = 3 * 32 * 32
COLORS = ["#1f77b4", "#d62728"]


@st.cache_data(show_spinner=False)
def toy_split(seed: int):
    x, y = data.toy_2d(DATASET, POINTS, noise=0.1, seed=seed)
    return data.train_test_split(x, y, test_fraction=TEST_FRACTION, seed=seed)


@st.cache_resource(show_spinner=False)
def toy_model(seed: int, kind: str, parameter: float = 0.0):
    """A small network trained on the toy set: "standard" ERM, "adversarial" (PGD ℓ∞, ε =
    parameter) or "noise" (Gaussian augmentation, σ = parameter). Shared: never mutated."""
    x_train, y_train, _, _ = toy_split(seed)
    model = models.feed_forward(2, HIDDEN, 2, seed=seed)
    options = {}
    if kind == "adversarial":
        options["adversarial"] = {"kind": "pgd", "eps": parameter, "step": parameter / 4,
                                  "steps": ADVERSARIAL_STEPS}
    elif kind == "noise":
        options["noise"] = noises.make("gaussian", parameter)
    training.train(model, x_train, y_train, epochs=EPOCHS, lr=LEARNING_RATE, batch_size=64,
                   seed=seed, device=cache.device(), **options)
    model.eval()
    for parameter_tensor in model.parameters():
        parameter_tensor.requires_grad_(False)
    return model


def accuracy_under_pgd(model, x, y, eps: float, seed: int) -> float:
    """Accuracy on PGD ℓ∞ examples at budget eps (clean accuracy when eps = 0)."""
    device = cache.device()
    x, y = x.to(device), y.to(device)
    if eps > 0:
        x = attacks.pgd(model, x, y, eps=eps, step=eps / 4, steps=10, norm="linf",
                        generator=make_generator(seed, device))
    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())


@st.cache_data(show_spinner=False)
def robustness_curves(seed: int) -> dict:
    _, _, x_test, y_test = toy_split(seed)
    curves = {}
    for kind, parameter in (("standard", 0.0), ("adversarial", TRAIN_EPS)):
        model = toy_model(seed, kind, parameter)
        curves[kind] = {"accuracy": [accuracy_under_pgd(model, x_test, y_test, eps, seed) for eps in BUDGETS]}
    return curves


@st.cache_data(show_spinner=False)
def certified_test_points(seed: int, sigma: float) -> dict:
    """CERTIFY (Cohen et al. 2019) on the first held-out points, base model trained with noise σ."""
    model = toy_model(seed, "noise", sigma)
    _, _, x_test, y_test = toy_split(seed)
    x, y = x_test[:CERTIFY_POINTS], y_test[:CERTIFY_POINTS]
    rows = evaluation.certify_dataset(model, x, y, noise=noises.make("gaussian", sigma), n0=N0, n=N_CERTIFY,
                                      alpha=ALPHA, batch_size=N_CERTIFY, seed=seed, device=cache.device())
    return {"x": x.numpy(), "y": y.numpy(), "rows": rows,
            "radius": np.array([row["radius"] for row in rows]),
            "correct": np.array([bool(row["correct"]) for row in rows])}


@st.cache_data(show_spinner=False)
def smoothed_regions(seed: int, sigma: float):
    """F_rob on a grid (Monte Carlo vote frequencies, Cohen et al. 2019)."""
    model = toy_model(seed, "noise", sigma)
    regions = geometry.smoothed_decision_regions(model, noise=noises.make("gaussian", sigma), num=64,
                                                 resolution=60, seed=seed, device=cache.device(), soft=False)
    return regions.xs.numpy(), regions.ys.numpy(), regions.labels.numpy()


def gallery_model_name() -> str | None:
    """The standard image model to attack on the offline gallery: CIFAR-10 first, else MNIST."""
    names = cache.zoo_names()
    return next((name for name in ("cifar10-standard", "mnist-standard") if name in names), None)


@st.cache_data(show_spinner=False)
def gallery_attack(name: str, eps: float, seed: int) -> tuple[int, int]:
    """(flipped, correctly classified) gallery images under PGD ℓ∞ (10 steps) at budget eps."""
    model = cache.zoo_model(name)
    x, y = cache.gallery(cache.zoo_entry(name)["dataset"])
    device = cache.device()
    x, y = x.to(device), y.to(device)
    with torch.no_grad():
        correct = model(x).argmax(1) == y
    x, y = x[correct], y[correct]
    x_adv = attacks.pgd(model, x, y, eps=eps, step=eps / 4, steps=10, norm="linf",
                        generator=make_generator(seed, device))
    with torch.no_grad():
        flipped = int((model(x_adv).argmax(1) != y).sum())
    return flipped, int(correct.sum())


def region_contour(figure, xs, ys, labels, classes: int) -> None:
    figure.add_contour(x=xs, y=ys, z=labels, showscale=False, opacity=0.3, hoverinfo="skip",
                       colorscale=[[k / max(1, classes - 1), COLORS[k]] for k in range(classes)],
                       contours=dict(coloring="fill", showlines=False))


def shipped_certified_accuracy(name: str) -> dict | None:
    """The shipped certify results of a zoo model (None, with one sentence, when absent)."""
    try:
        return results.read("certify", name)
    except results.ResultsUnavailable as error:
        st.caption(str(error))
        return None


def conclusion(number: int, title: str, page: str, label: str) -> None:
    st.divider()
    st.subheader(f"{number}. {title}")
    st.page_link(page, label=f"Supporting scene: {label}", icon="➡️")


layout.header(
    "11 · Take-home",
    r"""
Five conclusions of the talk, each recomputed live: on a small 2-D problem (two spirals in
$[0,1]^2$, 2-64-64-2 networks trained here), on the offline image gallery with a shipped model, or
from the certificate formulas. Classifier $F$, perturbation $\tau$, smoothed classifier
$F_{\mathrm{rob}}(x) = \arg\max_c \mathbb{P}_\varepsilon(F(x+\varepsilon)=c)$ and certified radius
$\alpha^*$ as in the talk.
""",
    uses=f"{DATASET} ({POINTS} points, {int(TEST_FRACTION * 100)} % held out) and 2-64-64-2 ReLU networks "
         f"trained here ({EPOCHS} epochs): ERM, PGD adversarial training (ε∞ = {TRAIN_EPS}), Gaussian "
         "noise augmentation; the shipped standard image model on foolbox's 20 gallery images; "
         "the certificate formulas of core.smoothing.",
)
seed = layout.seed_input()
device = cache.device()
x_train, y_train, x_test, y_test = toy_split(seed)

with st.status("Training the toy networks…", expanded=False) as status:
    standard_model = toy_model(seed, "standard")
    status.update(label="Standard network ready; adversarial training…")
    toy_model(seed, "adversarial", TRAIN_EPS)
    status.update(label="Toy networks trained.", state="complete")

# 1 ──────────────────────────────────────────────────────────────────────────
conclusion(1, "Adversarial examples are everywhere", "app_pages/p04_crafting_attacks.py", "4 · Crafting an attack")
eps = st.select_slider("Attack budget ε (ℓ∞) on the toy", options=BUDGETS[1:], value=0.08, key="take_home_eps")
with torch.no_grad():
    correct = standard_model(x_test.to(device)).argmax(1).cpu() == y_test
x_clean, y_clean = x_test[correct], y_test[correct]
x_adv = attacks.pgd(standard_model, x_clean.to(device), y_clean.to(device), eps=eps, step=eps / 4, steps=10,
                    norm="linf", generator=make_generator(seed, device)).cpu()
with torch.no_grad():
    fooled = standard_model(x_adv.to(device)).argmax(1).cpu() != y_clean
left, right = st.columns([1, 2])
left.metric("PGD success rate (toy)", f"{fooled.float().mean():.0%}",
            help="Share of the correctly classified held-out points whose label PGD (10 steps) flips within ε.")
left.markdown(f"A perturbation of at most **{eps}** per coordinate ({eps:.0%} of the data's range) changes "
              f"the decision on **{int(fooled.sum())} of {len(fooled)}** correctly classified points.")
image_model = gallery_model_name()
if image_model is None:
    left.caption("No standard image model shipped yet: run python -m core.experiments train --name "
                 "cifar10-standard --data-dir ../shared/data")
else:
    image_eps = 8 / 255 if image_model.startswith("cifar10") else 0.3   # the literature's standard budgets
    try:
        flipped, attacked = gallery_attack(image_model, image_eps, seed)
    except ValueError as error:  # ModelUnavailable / DatasetUnavailable: one sentence, the page goes on
        left.warning(str(error))
        image_model = None
if image_model is not None:
    left.metric(f"Gallery images flipped ({image_model})", f"{flipped} / {attacked}",
                help=f"PGD ℓ∞, ε = {image_eps:.4g}, 10 steps, on the correctly classified offline gallery images.")
    dimension = int(np.prod(cache.gallery(cache.zoo_entry(image_model)["dataset"])[0].shape[1:]))
    left.markdown(f"On real images ({dimension} dimensions), PGD with the standard budget **{image_eps:.3g}** "
                  f"per pixel flips **{flipped / max(attacked, 1):.0%}** of the correctly classified ones.")
regions = geometry.decision_regions(standard_model, bounds=(0.0, 1.0), resolution=100, device=device)
figure = go.Figure()
region_contour(figure, regions.xs.numpy(), regions.ys.numpy(), regions.labels.numpy(), 2)
for label in (0, 1):
    mask = (y_clean == label).numpy()
    figure.add_scatter(x=x_clean[mask, 0], y=x_clean[mask, 1], mode="markers", name=f"class {label}",
                       marker=dict(color=COLORS[label], size=6))
for start, end in zip(x_clean[fooled].numpy(), x_adv[fooled].numpy()):
    figure.add_annotation(x=end[0], y=end[1], ax=start[0], ay=start[1], xref="x", yref="y", axref="x",
                          ayref="y", showarrow=True, arrowhead=2, arrowwidth=1.5, arrowcolor="black")
figure.update_layout(height=380, margin=dict(l=10, r=10, t=30, b=10),
                     title="Standard network: flipped points (arrows x → x + τ)",
                     xaxis=dict(range=[0, 1]), yaxis=dict(range=[0, 1], scaleanchor="x"))
right.plotly_chart(figure, key="take_home_attack_figure")

# 2 ──────────────────────────────────────────────────────────────────────────
conclusion(2, "Adversarial training helps, but it costs", "app_pages/p06_adversarial_training.py",
           "6 · Adversarial training")
curves = robustness_curves(seed)
standard, adversarial = curves["standard"], curves["adversarial"]
at_eps = BUDGETS.index(eps)
left, right = st.columns([1, 2])
left.metric(f"Accuracy under PGD at ε = {eps}: standard → adversarial",
            f"{standard['accuracy'][at_eps]:.0%} → {adversarial['accuracy'][at_eps]:.0%}")
left.metric("Clean accuracy: standard → adversarial",
            f"{standard['accuracy'][0]:.0%} → {adversarial['accuracy'][0]:.0%}")
left.metric("Gradient computations per training step", f"1 → {1 + ADVERSARIAL_STEPS}",
            help=f"Each step of PGD adversarial training first runs {ADVERSARIAL_STEPS} PGD steps (one input "
                 "gradient each) to build the batch; ERM computes one gradient per step.")
figure = go.Figure()
figure.add_scatter(x=BUDGETS, y=standard["accuracy"], name="standard ERM", mode="lines+markers")
figure.add_scatter(x=BUDGETS, y=adversarial["accuracy"], name=f"adversarial training (ε = {TRAIN_EPS})",
                   mode="lines+markers")
figure.add_vline(x=eps, line_dash="dot", line_color="grey")
figure.update_layout(height=320, margin=dict(l=10, r=10, t=30, b=10), xaxis_title="ℓ∞ budget ε of PGD",
                     yaxis=dict(title="held-out accuracy under PGD", range=[0, 1.02], tickformat=".0%"))
right.plotly_chart(figure, key="take_home_adversarial_figure")

# 3 ──────────────────────────────────────────────────────────────────────────
conclusion(3, "Randomization gives certificates", "app_pages/p09_certificate.py", "9 · The certificate α*")
sigma = st.select_slider("Noise standard deviation σ", options=SIGMAS, value=0.05, key="take_home_sigma")
st.markdown(r"Radius certified by each noise of standard deviation $\sigma$ per coordinate, as a function of "
            r"$p_A = \mathbb{P}(F(x+\varepsilon) = c_A)$: Gaussian $\ell_2$ (Cohen et al.: "
            r"$\sigma\,\Phi^{-1}(p_A)$, above the Li et al. and PixelDP bounds), Laplace $\ell_1$ (Teng et al., "
            r"Pinot et al.: $-b\ln 2(1-p_A)$), uniform $\ell_1$ (Yang et al.: $2\lambda(p_A-\frac12)$). Right: "
            r"$F_{\mathrm{rob}}$ on the toy and the certified $\ell_2$ balls of held-out points (CERTIFY).")
p_a = np.linspace(0.5, 0.999, 200)
radius_curves = smoothing.matched_variance_radii(p_a, sigma)
with st.spinner(f"Training with noise σ = {sigma} and certifying {CERTIFY_POINTS} held-out points…"):
    certified = certified_test_points(seed, sigma)
    xs, ys, labels = smoothed_regions(seed, sigma)
left, middle, right = st.columns([1, 2, 2])
left.metric("Gaussian ℓ2 radius at p_A = 0.99", f"{smoothing.gaussian_radius(0.99, sigma):.3f}")
median_radius = np.median(np.where(certified["correct"], certified["radius"], 0.0))
left.metric("Median certified radius (toy)", f"{median_radius:.3f}",
            help=f"CERTIFY with n0 = {N0}, n = {N_CERTIFY}, α = {ALPHA} on {CERTIFY_POINTS} held-out points "
                 "(0 for abstentions and errors).")
figure = go.Figure()
for name, values in radius_curves.items():
    figure.add_scatter(x=p_a, y=values, name=name, mode="lines")
figure.update_layout(height=360, margin=dict(l=10, r=10, t=30, b=10), xaxis_title="p_A",
                     yaxis_title="certified radius", legend=dict(font=dict(size=10), orientation="h", y=-0.25))
middle.plotly_chart(figure, key="take_home_radius_figure")
figure = go.Figure()
region_contour(figure, xs, ys, labels, 2)
for label in (0, 1):
    mask = certified["y"] == label
    figure.add_scatter(x=certified["x"][mask, 0], y=certified["x"][mask, 1], mode="markers",
                       name=f"class {label}", marker=dict(color=COLORS[label], size=6))
for (cx, cy), radius, ok in zip(certified["x"], certified["radius"], certified["correct"]):
    if ok and radius > 0:
        figure.add_shape(type="circle", x0=cx - radius, x1=cx + radius, y0=cy - radius, y1=cy + radius,
                         line=dict(color="rgba(0,0,0,0.5)", width=1))
figure.update_layout(height=360, margin=dict(l=10, r=10, t=30, b=10),
                     title=f"F_rob (σ = {sigma}) and certified balls",
                     xaxis=dict(range=[0, 1]), yaxis=dict(range=[0, 1], scaleanchor="x"), showlegend=False)
right.plotly_chart(figure, key="take_home_certified_figure")

# 4 ──────────────────────────────────────────────────────────────────────────
conclusion(4, "Certified radii are still small compared with attack budgets", "app_pages/p10_tradeoff.py",
           "10 · Trade-off & best attacks")
st.markdown(r"With $n$ Monte Carlo draws no Gaussian certificate can exceed $\sigma\,\Phi^{-1}(\alpha^{1/n})$ "
            r"(all votes agree). On CIFAR-10 ($d = 3072$) the corner of the usual $\ell_\infty$ ball "
            r"$\varepsilon = 8/255$ already lies at $\ell_2$ distance $\varepsilon\sqrt d$.")
n_values = np.unique(np.logspace(2, 6, 25).astype(int))
figure = go.Figure()
for zoo_sigma in (0.12, 0.25, 0.5):
    figure.add_scatter(x=n_values, y=[smoothing.radius_ceiling(zoo_sigma, ALPHA, int(n)) for n in n_values],
                       name=f"largest certifiable radius, σ = {zoo_sigma}", mode="lines")
for eps_inf in (2 / 255, 8 / 255):
    figure.add_hline(y=eps_inf * np.sqrt(CIFAR_DIM), line_dash="dash",
                     annotation_text=f"ℓ2 size of an ℓ∞ ε = {round(eps_inf * 255)}/255 perturbation")
figure.update_layout(height=340, margin=dict(l=10, r=10, t=30, b=10), xaxis=dict(type="log", title="n"),
                     yaxis_title="ℓ2 radius (pixels in [0, 1])")
left, right = st.columns([1, 2])
left.metric("Ceiling at n = 100 000, σ = 0.25", f"{smoothing.radius_ceiling(0.25, ALPHA, 100_000):.2f}")
left.metric("ℓ2 size of ℓ∞ 8/255 on CIFAR-10", f"{8 / 255 * np.sqrt(CIFAR_DIM):.2f}")
shipped = shipped_certified_accuracy("cifar10-gaussian-0.25")
if shipped:
    left.metric(f"Shipped: certified accuracy of cifar10-gaussian-0.25 at r = {shipped['radii'][-1]}",
                f"{shipped['certified_accuracy'][-1]:.0%}",
                help=f"{shipped['examples']} test images, n = {shipped['n']}; {shipped['command']}")
right.plotly_chart(figure, key="take_home_ceiling_figure")

# 5 ──────────────────────────────────────────────────────────────────────────
conclusion(5, "Robustness–accuracy trade-off", "app_pages/p10_tradeoff.py", "10 · Trade-off & best attacks")
radii_grid = [float(r) for r in np.linspace(0, 0.2, 41)]
figure = go.Figure()
summary = []
progress = st.progress(0.0, text="Certifying the toy models for every σ…")
for k, grid_sigma in enumerate(SIGMAS):
    curve = evaluation.certified_accuracy_curve(certified_test_points(seed, grid_sigma)["rows"], radii_grid)
    summary.append((grid_sigma, curve[0], curve[radii_grid.index(0.05)]))
    figure.add_scatter(x=radii_grid, y=curve, name=f"σ = {grid_sigma}", mode="lines")
    progress.progress((k + 1) / len(SIGMAS), text=f"Certified σ = {grid_sigma}")
progress.empty()
figure.update_layout(height=340, margin=dict(l=10, r=10, t=30, b=10), xaxis_title="ℓ2 radius r",
                     yaxis=dict(title="certified accuracy at r", range=[0, 1.02], tickformat=".0%"))
left, right = st.columns([1, 2])
left.markdown(r"Larger noise certifies larger radii but blurs the data, so $F_{\mathrm{rob}}$ is less accurate:")
left.table({"σ": [f"{s}" for s, _, _ in summary], "certified accuracy r = 0": [f"{a:.0%}" for _, a, _ in summary],
            "r = 0.05": [f"{b:.0%}" for _, _, b in summary]})
right.plotly_chart(figure, key="take_home_tradeoff_figure")

layout.show_code(attacks.pgd, training.train, evaluation.certify_dataset, smoothing.certify,
                 smoothing.gaussian_radius, smoothing.laplace_radius, smoothing.uniform_radius,
                 smoothing.radius_ceiling)
