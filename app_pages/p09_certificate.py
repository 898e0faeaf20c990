"""9 · The certificate α*: CERTIFY, the radius formulas, their ceiling, and noise in a hidden layer."""
import math

import numpy as np
import plotly.graph_objects as go
import scipy.stats
import streamlit as st
import torch

from core import evaluation, geometry, lipschitz, noise as noises, results, smoothing
from core.device import make_generator
from ui import cache, layout, recompute
from ui import randomization as R
from ui.adversarial import image_figure

N_CHOICES = [100, 200, 500, 1000, 2000, 5000, 10_000, 100_000]
ALPHA_CHOICES = [0.1, 0.05, 0.01, 0.001, 0.0001]
TOY_SIGMAS = [0.05, 0.1, 0.15, 0.2, 0.3]
IMAGE_N_MORE = 2000
BALL_POINTS = 40
BALL_VOTES = 1000
CIFAR_DIM = 3 * 32 * 32


# ---------------------------------------------------------------------------- computations (cached)

@st.cache_data(show_spinner=False, max_entries=64)
def certify_toy(seed: int, point: tuple, sigma: float, n0: int, n: int, alpha: float) -> dict:
    """CERTIFY at x, then PREDICT at random points of the certified disc (all with F_rob's noise)."""
    model = R.toy_model(seed, "gaussian", sigma)
    device = cache.device()
    noise = noises.make("gaussian", sigma)
    generator = make_generator(seed, device)
    x = torch.tensor(point, dtype=torch.float32, device=device)
    label, radius = smoothing.certify(model, x, noise=noise, n0=n0, n=n, alpha=alpha, batch_size=10_000,
                                      generator=generator)
    inside, verdicts = torch.empty(0, 2), []
    if label != smoothing.ABSTAIN and radius > 0:
        # Uniform in the disc: radius · √u for the distance, a uniform angle.
        draws = torch.rand(BALL_POINTS, 2, generator=make_generator(seed + 1, "cpu"), dtype=torch.float64)
        rho, angle = radius * draws[:, 0].sqrt(), 2 * math.pi * draws[:, 1]
        inside = torch.stack([x[0].cpu() + rho * angle.cos(), x[1].cpu() + rho * angle.sin()], dim=1).float()
        verdicts = [smoothing.predict(model, point_inside.to(device), noise=noise, n=BALL_VOTES, alpha=alpha,
                                      batch_size=BALL_VOTES, generator=generator) for point_inside in inside]
    return {"label": label, "radius": radius, "inside": inside, "verdicts": verdicts}


@st.cache_data(show_spinner=False, max_entries=8)
def toy_smoothed_regions(seed: int, sigma: float):
    model = R.toy_model(seed, "gaussian", sigma)
    return geometry.smoothed_decision_regions(model, noise=noises.make("gaussian", sigma), num=200, resolution=60,
                                              seed=seed, device=cache.device(), soft=False)


@st.cache_data(show_spinner=False, max_entries=32)
def certify_image(model_name: str, index: int, n0: int, n: int, alpha: float, seed: int) -> dict:
    """CERTIFY a gallery image with the zoo model's own noise. Noise after layer i > 0: certify the
    head in layer-i space at z = φ(i)∘…∘φ(1)(x), then divide by the prefix's Lipschitz bound."""
    base = R.base_classifier(model_name)
    noise, layer = R.zoo_noise(model_name)
    x = cache.gallery(R.dataset_of(model_name))[0][index].to(cache.device())
    with torch.no_grad():
        z = base.prefix(layer)(x.unsqueeze(0))[0]
    label, radius = smoothing.certify(base.suffix(layer), z, noise=noise, n0=n0, n=n, alpha=alpha, batch_size=250,
                                      generator=make_generator(seed, cache.device()))
    bound = lipschitz_bounds(model_name)[layer]
    return {"label": label, "radius_layer": radius, "radius": smoothing.input_space_radius(radius, bound),
            "layer": layer, "lipschitz": bound, "noise": noise}


@st.cache_data(show_spinner="Bounding the Lipschitz constants…", max_entries=8)
def lipschitz_bounds(model_name: str) -> list[float]:
    """L_i ≥ Lip₂(φ(i)∘…∘φ(1)) for i = 0…N (core.lipschitz), of the zoo model's base network."""
    base = R.base_classifier(model_name)
    shape = tuple(cache.gallery(R.dataset_of(model_name))[0].shape[1:])
    return [lipschitz.lipschitz_upper_bound(base, i, shape, device=cache.device()) for i in range(len(base.layers) + 1)]


@st.cache_data(show_spinner=False, max_entries=8)
def toy_lipschitz_bounds(seed: int, sigma: float) -> list[float]:
    model = R.toy_model(seed, "gaussian", sigma)
    return [lipschitz.lipschitz_upper_bound(model, i, (2,), device=cache.device()) for i in range(len(model.layers) + 1)]


def shipped_certify(name: str) -> dict | None:
    """The shipped certify results of ``name`` (assets/results/certify_<name>.json), or None."""
    try:
        return results.read("certify", name)
    except results.ResultsUnavailable:
        return None


# ---------------------------------------------------------------------------- page

layout.header(
    "9 · The certificate α*",
    r"""
**Cohen et al. 2019, Theorem 1.** If $p_A = \mathbb P_\varepsilon\big(F(x + \varepsilon) = c_A\big) > \tfrac12$ with
$\varepsilon \sim \mathcal N(0, \sigma^2 I)$, the smoothed classifier $F_{\mathrm{rob}}$ answers $c_A$ on the whole ball
$\|\tau\|_2 < \alpha^* = \sigma\,\Phi^{-1}(p_A)$. CERTIFY estimates a lower confidence bound $\underline{p_A}$ from
$n$ draws (after $n_0$ draws to guess $c_A$); with probability $\ge 1 - \alpha$ the radius
$\sigma\Phi^{-1}(\underline{p_A})$ is valid. Even when all $n$ votes agree, $\underline{p_A} = \alpha^{1/n}$, so
$\alpha^* \le \sigma\,\Phi^{-1}(\alpha^{1/n})$: **the certificate is capped by the number of samples.** Other
noises and proofs give other radii (Laplace → $\ell_1$, uniform → $\ell_1$; Li et al. and PixelDP are looser for
the same Gaussian noise).
""",
    uses="a 2-D toy network trained here on x + ε (two moons); zoo models (default cifar10-gaussian-0.25) on "
         "foolbox's gallery; the radius formulas of core.smoothing; core.lipschitz for noise in a hidden layer; "
         "shipped certify results (assets/results) beside Cohen et al.'s published table.",
)
seed = layout.seed_input()

# ------------------------------------------------------------ CERTIFY in 2-D
st.subheader("CERTIFY a point, and check the ball")
controls, board = st.columns([1, 3], gap="large")
with controls:
    px = st.number_input("x₁", 0.0, 1.0, 0.25, 0.01, key="p09_x1")
    py = st.number_input("x₂", 0.0, 1.0, 0.70, 0.01, key="p09_x2")
    sigma = st.select_slider("σ (noise of training and smoothing)", TOY_SIGMAS, value=0.1, key="p09_sigma")
    n0 = st.select_slider("n₀ (selection draws)", [10, 50, 100, 500], value=100, key="p09_n0")
    n = st.select_slider("n (estimation draws)", N_CHOICES, value=1000, key="p09_n")
    alpha = st.select_slider("α (failure probability)", ALPHA_CHOICES, value=0.001, key="p09_alpha")
    st.button("Certify with n = 100 000", key="p09_more",
              on_click=lambda: st.session_state.update(p09_n=100_000))
with st.spinner("Training the toy network on noisy inputs, then CERTIFY…"):
    certificate = certify_toy(seed, (float(px), float(py)), float(sigma), int(n0), int(n), float(alpha))
    regions = toy_smoothed_regions(seed, float(sigma))
ceiling = smoothing.radius_ceiling(float(sigma), float(alpha), int(n))
radius = certificate["radius"]
with board:
    columns = st.columns(4)
    abstained = certificate["label"] == smoothing.ABSTAIN
    columns[0].metric("F_rob(x) = c_A", "abstain" if abstained else f"class {certificate['label']}")
    columns[1].metric("Certified radius α*", f"{radius:.4f}",
                      help="σ Φ⁻¹(p_A lower bound) returned by core.smoothing.certify.")
    columns[2].metric("p_A lower bound", f"{scipy.stats.norm.cdf(radius / sigma):.4f}" if radius > 0 else "≤ 0.5",
                      help="Φ(α*/σ): the Clopper–Pearson bound CERTIFY used.")
    columns[3].metric("Ceiling σΦ⁻¹(α^{1/n})", f"{ceiling:.4f}",
                      help="The largest radius CERTIFY can return with these n and α (all votes for c_A).")
    left, right = st.columns([3, 2])
    figure = R.toy_regions_figure(regions, f"F_rob's regions (σ = {sigma}) and the certified ball",
                                  height=480)
    x_train, y_train, _, _ = R.toy_split(seed)
    for label in (0, 1):
        mask = y_train == label
        figure.add_scatter(x=x_train[mask, 0], y=x_train[mask, 1], mode="markers", name=f"train · class {label}",
                           marker=dict(color=R.TOY_COLORS[label], size=4, opacity=0.35))
    if radius > 0:
        figure.add_shape(type="circle", x0=px - radius, x1=px + radius, y0=py - radius, y1=py + radius,
                         line=dict(color="black", width=2))
        figure.add_shape(type="circle", x0=px - ceiling, x1=px + ceiling, y0=py - ceiling, y1=py + ceiling,
                         line=dict(color="grey", width=1, dash="dot"))
        verdicts = np.array(certificate["verdicts"])
        inside = certificate["inside"]
        for name, mask, color in (("same F_rob", verdicts == certificate["label"], "#2ca02c"),
                                  ("abstain", verdicts == smoothing.ABSTAIN, "#7f7f7f"),
                                  ("other class", (verdicts != certificate["label"]) & (verdicts != smoothing.ABSTAIN),
                                   "#000000")):
            if mask.any():
                mask = torch.from_numpy(mask)
                figure.add_scatter(x=inside[mask, 0], y=inside[mask, 1], mode="markers", name=f"inside: {name}",
                                   marker=dict(color=color, size=7, symbol="circle-open", line=dict(width=2)))
    figure.add_scatter(x=[px], y=[py], mode="markers", name="x", marker=dict(color="gold", size=14, symbol="star",
                                                                            line=dict(color="black", width=1)))
    left.plotly_chart(figure, key="p09_ball")
    with right:
        if radius > 0:
            verdicts = certificate["verdicts"]
            same = sum(v == certificate["label"] for v in verdicts)
            abstain = sum(v == smoothing.ABSTAIN for v in verdicts)
            st.metric("Points in the ball with F_rob = c_A", f"{same}/{len(verdicts)}",
                      help=f"PREDICT (n = {BALL_VOTES}, α = {alpha}) at {BALL_POINTS} uniform points of the disc.")
            st.markdown(f"**No adversarial point inside:** {same} of {len(verdicts)} random points of the disc get "
                        f"c_A, {abstain} abstain (PREDICT cannot separate the two top classes with {BALL_VOTES} "
                        f"votes there) and {len(verdicts) - same - abstain} get another class. Black circle: α*; "
                        f"dotted: the ceiling σΦ⁻¹(α^{{1/n}}) = {ceiling:.3f} for n = {n}, α = {alpha}.")
        else:
            st.warning("CERTIFY abstains here (p_A lower bound ≤ ½): move x away from the boundary or raise n.")

# ------------------------------------------------------------ radius vs p_A
st.subheader("Radius as a function of p_A, and its ceiling")
std = st.select_slider("Noise standard deviation per coordinate (matched for every distribution)",
                       [0.05, 0.12, 0.25, 0.5, 1.0], value=0.25, key="p09_std")
p_a = np.linspace(0.5, 0.99999, 400)
curves = smoothing.matched_variance_radii(p_a, std)
image_ceiling = smoothing.radius_ceiling(std, float(alpha), int(n))
left, right = st.columns([3, 1])
figure = go.Figure()
for name, values in curves.items():
    figure.add_scatter(x=p_a, y=values, mode="lines", name=name)
figure.add_hline(y=image_ceiling, line_dash="dash", line_color="black",
                 annotation_text=f"ceiling σΦ⁻¹(α^(1/n)) = {image_ceiling:.3f} (n = {n}, α = {alpha})")
figure.add_vline(x=float(alpha) ** (1 / int(n)), line_dash="dot", line_color="grey",
                 annotation_text="α^(1/n): best p_A lower bound", annotation_position="top left")
figure.update_layout(height=420, margin=dict(l=10, r=10, t=30, b=10), xaxis_title="p_A (or its lower bound)",
                     yaxis=dict(title="certified radius", range=[0, 4 * std]), legend=dict(font=dict(size=11)))
left.plotly_chart(figure, key="p09_radius_curves")
right.metric("Gaussian α* at p_A = 0.99", f"{smoothing.gaussian_radius(0.99, std):.3f}")
right.metric("Ceiling at this n, α", f"{image_ceiling:.3f}")
right.metric("Ceiling at n = 100 000, α = 0.001", f"{smoothing.radius_ceiling(std, 0.001, 100_000):.3f}")
right.caption(f"The n and α of the ceiling are those of the controls above. For scale: an ℓ∞ perturbation of "
              f"8/255 on a CIFAR-10 image has ℓ2 norm up to {8 / 255 * math.sqrt(CIFAR_DIM):.2f}. ℓ1 radii (Laplace, "
              f"uniform) are not comparable with ℓ2 ones: ‖τ‖₁ ≥ ‖τ‖₂.")

# ------------------------------------------------------------ images
st.subheader("CERTIFY an image")
controls, board = st.columns([1, 3], gap="large")
with controls:
    model_name = R.pick_zoo_model("Zoo model", key="p09_model", only_noise=False)
    if model_name is not None and not R.noise_spec(model_name):
        st.info(f"{model_name} was trained without noise: pick a noise-trained model to certify.")
        model_name = None
model_name = R.loadable(model_name)
if model_name is not None:
    with controls:
        _, class_names, x_gallery, y_gallery, index = R.pick_gallery_image(model_name, key="p09_image")
        image_n = st.select_slider("n for this image", [100, 200, 500, 1000, IMAGE_N_MORE, 10_000], value=200,
                                   key="p09_image_n")
        st.button(f"Certify with n = {IMAGE_N_MORE}", key="p09_image_more",
                  on_click=lambda: st.session_state.update(p09_image_n=IMAGE_N_MORE))
        st.plotly_chart(image_figure(x_gallery[index], f"{class_names[int(y_gallery[index])]}"), key="p09_image_fig")
    with board:
        with st.spinner(f"CERTIFY with n₀ = {n0}, n = {image_n}…"):
            result = certify_image(model_name, int(index), int(n0), int(image_n), float(alpha), seed)
        noise = result["noise"]
        columns = st.columns(3)
        columns[0].metric("F_rob(x)", "abstain" if result["label"] == smoothing.ABSTAIN else class_names[result["label"]],
                          help=f"True label: {class_names[int(y_gallery[index])]}.")
        columns[1].metric("Certified radius of the image", f"{result['radius']:.4f}",
                          help=f"In the {noise.certified_norm} norm, pixels in [0, 1].")
        if result["layer"] > 0:
            columns[2].metric(f"Radius in layer {result['layer']}'s space", f"{result['radius_layer']:.4f}")
        elif noise.name == "gaussian":
            columns[2].metric("Ceiling σΦ⁻¹(α^{1/n})",
                              f"{smoothing.radius_ceiling(noise.scale, float(alpha), int(image_n)):.4f}")
        st.caption(f"Noise: {noise.label}, injected after layer {result['layer']} (0 = the input).")
        if result["layer"] > 0:
            st.markdown(f"Noise after layer {result['layer']}: CERTIFY gives {result['radius_layer']:.4f} in the "
                        f"layer's space; divided by the Lipschitz bound L = {result['lipschitz']:.3g} of "
                        f"{'φ(1)' if result['layer'] == 1 else 'φ(%d)∘…∘φ(1)' % result['layer']} it is {result['radius']:.2e} in pixel space.")
        st.caption(f"With α = {alpha} from the controls above. The radius grows with n only up to the ceiling: "
                   f"the noise level σ, not the sample size, limits α*.")

# ------------------------------------------------------------ hidden layers
st.subheader("Noise in a hidden layer: from the layer's radius back to the input")
st.markdown(r"Noise added after layer $i$ certifies a ball of radius $R$ around $z = \phi^{(i)}\circ\dots\circ\phi^{(1)}(x)$ "
            r"in the layer's space. Every $x'$ with $\|x' - x\|_2 < R / L_i$, where $L_i$ bounds the Lipschitz constant of "
            r"$\phi^{(i)}\circ\dots\circ\phi^{(1)}$ (product of the layers' operator norms, core.lipschitz), lands inside "
            r"that ball — so the input-space certificate is $R / L_i$, and $L_i$ grows with depth.")
best_radius = smoothing.radius_ceiling(float(sigma), float(alpha), int(n))
toy_bounds = toy_lipschitz_bounds(seed, float(sigma))
rows = {"2-D toy network": toy_bounds}
if model_name is not None:
    rows[model_name] = lipschitz_bounds(model_name)
left, right = st.columns([3, 1])
figure = go.Figure()
for name, bounds in rows.items():
    hidden = bounds[:-1]  # noise on the logits (i = N) is not a hidden layer
    figure.add_scatter(x=list(range(len(hidden))),
                       y=[smoothing.input_space_radius(best_radius, bound) for bound in hidden],
                       mode="lines+markers", name=name)
figure.update_layout(height=360, margin=dict(l=10, r=10, t=40, b=10), xaxis=dict(title="layer i (0 = input)", dtick=1),
                     yaxis=dict(type="log", title="input-space radius R / L_i"),
                     title=f"The layer-space radius R = σΦ⁻¹(α^(1/n)) = {best_radius:.3f} (σ = {sigma}, n = {n}, α = {alpha}) "
                           "pulled back to the input")
left.plotly_chart(figure, key="p09_layers")
with right:
    for name, bounds in rows.items():
        deepest = len(bounds) - 2
        st.metric(f"{name}, layer {deepest}: R / L",
                  f"{smoothing.input_space_radius(best_radius, bounds[deepest]):.2e}",
                  help=f"L_{deepest} = {bounds[deepest]:.3g}")

# ------------------------------------------------------------ shipped results
st.subheader("Certified accuracy on the test set")
shipped = {name: shipped_certify(name) for name in results.available("certify")}
shipped = {name: value for name, value in shipped.items() if value is not None}
NORM_LABEL = {"l2": "ℓ2", "l1": "ℓ1", "linf": "ℓ∞"}
datasets = [d for d in ("cifar10", "mnist") if any(r.get("dataset") == d for r in shipped.values())] or ["cifar10"]
for dataset, tab in zip(datasets, st.tabs([{"cifar10": "CIFAR-10", "mnist": "MNIST"}[d] for d in datasets])):
    figure = go.Figure()
    if dataset == "cifar10":
        for sigma_published, accuracy in evaluation.COHEN_CIFAR10.items():
            figure.add_scatter(x=evaluation.COHEN_RADII, y=accuracy, mode="lines+markers", line=dict(dash="dash"),
                               name=f"Cohen et al. 2019, ResNet-110, σ = {sigma_published}, ℓ2 (published)")
    mine = {name: record for name, record in shipped.items() if record.get("dataset") == dataset}
    for name, record in mine.items():
        figure.add_scatter(x=record["radii"], y=record["certified_accuracy"], mode="lines+markers",
                           name=f"{name}, {NORM_LABEL.get(record.get('norm'), record.get('norm'))} "
                                f"(this code, {record['examples']} images, n = {record['n']})")
    figure.update_layout(height=420, margin=dict(l=10, r=10, t=30, b=10), xaxis_title="radius r (in each curve's norm)",
                         yaxis=dict(title="certified accuracy at r", range=[0, 1], tickformat=".0%"),
                         legend=dict(font=dict(size=11)))
    tab.plotly_chart(figure, key=f"p09_certified_accuracy_{dataset}")
    for name, record in mine.items():
        tab.caption(f"{name}: computed on {record.get('device', '?')} with `{record.get('command', '')}`.")
if not shipped:
    st.info("No shipped results yet: run python -m core.experiments certify --name cifar10-gaussian-0.25 "
            "--data-dir ../shared/data")
recompute.certify_panel(shipped, key="p09_recompute")

layout.show_code(smoothing.certify, smoothing.predict, smoothing.clopper_pearson_lower, smoothing.gaussian_radius,
                 smoothing.radius_ceiling, smoothing.input_space_radius, lipschitz.lipschitz_upper_bound)
