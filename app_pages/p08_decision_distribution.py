"""8 · Noise → a distribution over decision regions (Cohen et al. 2019, Figure 1)."""
import plotly.graph_objects as go
import streamlit as st
import torch

from core import attacks, geometry, noise as noises
from core.device import make_generator
from ui import cache, layout
from ui import randomization as R
from ui.adversarial import image_figure

CLOUD_POINTS = 300
TOY_VOTES = 2000
PGD_STEPS = 20
IMAGE_VOTE_CHOICES = [100, 200, 500, 1000, 2000]
TOY_BUDGETS = [0.02, 0.05, 0.1, 0.15, 0.2, 0.3]
IMAGE_BUDGETS = [0.25, 0.5, 1.0, 2.0, 3.0]
SIGMA_CHOICES = [0.02, 0.05, 0.08, 0.1, 0.12, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5]


def pgd_l2(model, x: torch.Tensor, label: int, eps: float, seed: int) -> torch.Tensor:
    """x_adv = PGD ℓ2 (Madry et al. 2018) on the deterministic base network F, ONE input."""
    device = cache.device()
    target = torch.tensor([label], device=device)
    return attacks.pgd(model, x.unsqueeze(0).to(device), target, eps=eps, step=2.5 * eps / PGD_STEPS,
                       steps=PGD_STEPS, norm="l2", generator=make_generator(seed, device))[0].cpu()


@torch.no_grad()
def decision(model, x: torch.Tensor) -> int:
    return int(model(x.unsqueeze(0).to(cache.device())).argmax(1))


@st.cache_data(show_spinner=False, max_entries=32)
def toy_scene(seed: int, point: tuple, sigma: float, eps: float) -> dict:
    model = R.toy_model(seed)
    device = cache.device()
    noise = noises.make("gaussian", sigma)
    x = torch.tensor(point, dtype=torch.float32)
    label = decision(model, x)
    x_adv = pgd_l2(model, x, label, eps, seed)
    clouds, distributions = {}, {}
    for name, centre, offset in (("x", x, 0), ("x_adv", x_adv, 1)):
        cloud = geometry.noise_cloud(centre, noise=noise, num=CLOUD_POINTS, seed=seed + offset, device=device)
        with torch.no_grad():
            clouds[name] = (cloud, model(cloud.to(device)).argmax(1).cpu())
        distributions[name] = geometry.class_distribution(model, centre, noise=noise, num=TOY_VOTES,
                                                          seed=seed + 10 + offset, device=device)
    return {"x": x, "x_adv": x_adv, "label": label, "adv_label": decision(model, x_adv), "clouds": clouds,
            "distributions": distributions}


@st.cache_data(show_spinner=False, max_entries=16)
def toy_regions(seed: int, sigma: float):
    model = R.toy_model(seed)
    plain = geometry.decision_regions(model, resolution=120, device=cache.device())
    smoothed = geometry.smoothed_decision_regions(model, noise=noises.make("gaussian", sigma), num=200,
                                                  resolution=60, seed=seed, device=cache.device(), soft=False)
    return plain, smoothed


@st.cache_data(show_spinner=False, max_entries=32)
def image_scene(model_name: str, index: int, scale: float, eps: float, votes: int, seed: int) -> dict:
    model = R.base_classifier(model_name)
    trained_noise, _ = R.zoo_noise(model_name)
    noise = noises.make(trained_noise.name, scale, **trained_noise.params)
    x_all, y_all = cache.gallery(R.dataset_of(model_name))
    x = x_all[index]
    x_adv = pgd_l2(model, x, int(y_all[index]), eps, seed)
    distributions = {name: geometry.class_distribution(model, centre, noise=noise, num=votes, batch_size=250,
                                                       seed=seed + offset, device=cache.device())
                     for name, centre, offset in (("x", x, 0), ("x_adv", x_adv, 1))}
    return {"x": x, "x_adv": x_adv, "label": decision(model, x), "adv_label": decision(model, x_adv),
            "distributions": distributions, "distance": float((x_adv - x).norm()), "noise": noise.label}


def distributions_figure(p: torch.Tensor, q: torch.Tensor, class_names: list[str], title: str) -> go.Figure:
    figure = go.Figure()
    figure.add_bar(x=class_names, y=p.numpy(), name="x + ε", marker_color="#1f77b4")
    figure.add_bar(x=class_names, y=q.numpy(), name="x_adv + ε", marker_color="#ff7f0e")
    figure.update_layout(barmode="group", height=330, margin=dict(l=10, r=10, t=40, b=10), title=title,
                         yaxis=dict(range=[0, 1], tickformat=".0%", title="P(F(· + ε) = c)"),
                         legend=dict(orientation="h", y=-0.25))
    return figure


def mark(figure: go.Figure, point: torch.Tensor, name: str, color: str, symbol: str) -> None:
    figure.add_scatter(x=[float(point[0])], y=[float(point[1])], mode="markers", name=name,
                       marker=dict(color=color, size=15, symbol=symbol, line=dict(color="black", width=1.5)))


layout.header(
    "8 · Noise → a distribution over decision regions",
    r"""
**Cohen et al. 2019, Figure 1.** Adding $\varepsilon \sim \mathcal N(0, \sigma^2 I)$ to $x$ turns the single
decision $F(x)$ into a distribution over the decision regions of $F$:
$p_c(x) = \mathbb P_\varepsilon\big(F(x + \varepsilon) = c\big)$, and the smoothed classifier is
$F_{\mathrm{rob}}(x) = \arg\max_c p_c(x)$. An adversarial example $x_{adv} = x + \tau$ with small $\|\tau\|_2$ changes
$F$'s decision, but the two noise clouds overlap so much that $p(x)$ and $p(x_{adv})$ are **almost the same
distribution** — their total-variation distance $\mathrm{TV} = \tfrac12\sum_c |p_c(x) - p_c(x_{adv})|$ is small,
and $F_{\mathrm{rob}}$ keeps its answer.
""",
    uses="a 2-D toy network (two moons, core.data.toy_2d) trained here on noisy inputs; a zoo model "
         "(default cifar10-gaussian-0.25, without its noise layer = the base F) on foolbox's gallery images. "
         "x_adv = PGD ℓ2 (core.attacks.pgd, 20 steps) on the base network F.",
)
seed = layout.seed_input()
toy_tab, images_tab = st.tabs(["2-D toy network", "Images (zoo model)"])

with toy_tab:
    controls, board = st.columns([1, 3], gap="large")
    with controls:
        px = st.number_input("x₁", 0.0, 1.0, 0.45, 0.01, key="p08_x1")
        py = st.number_input("x₂", 0.0, 1.0, 0.55, 0.01, key="p08_x2")
        sigma = st.select_slider("Noise σ", SIGMA_CHOICES, value=0.15, key="p08_sigma")
        eps = st.select_slider("PGD ℓ2 budget ‖τ‖₂ ≤", TOY_BUDGETS, value=0.05, key="p08_eps")
        st.caption(f"{CLOUD_POINTS} draws drawn in each cloud; the probabilities use {TOY_VOTES} draws.")
    with st.spinner("Training the toy network and drawing the noise…"):
        scene = toy_scene(seed, (float(px), float(py)), float(sigma), float(eps))
        plain, smoothed = toy_regions(seed, float(sigma))
    p, q = scene["distributions"]["x"], scene["distributions"]["x_adv"]
    with board:
        columns = st.columns(5)
        columns[0].metric("F(x) → F(x_adv)", f"{scene['label']} → {scene['adv_label']}",
                          help="Decisions of the base network without noise.")
        columns[1].metric("P(F(x + ε) = 1)", f"{p[1]:.3f}")
        columns[2].metric("P(F(x_adv + ε) = 1)", f"{q[1]:.3f}")
        columns[3].metric("TV distance", f"{geometry.total_variation(p, q):.3f}")
        columns[4].metric("F_rob(x) → F_rob(x_adv)", f"{int(p.argmax())} → {int(q.argmax())}")
        left, right = st.columns([3, 2])
        figure = R.toy_regions_figure(plain, "Decision regions of F with the two noise clouds", height=480)
        for name, color in (("x", "#1f77b4"), ("x_adv", "#ff7f0e")):
            cloud, votes = scene["clouds"][name]
            figure.add_scatter(x=cloud[:, 0], y=cloud[:, 1], mode="markers", name=f"{name} + ε",
                               marker=dict(color=color, size=5, opacity=0.55,
                                           symbol=["circle" if v == 0 else "diamond" for v in votes.tolist()]))
        mark(figure, scene["x"], "x", "#1f77b4", "star")
        mark(figure, scene["x_adv"], "x_adv", "#ff7f0e", "star")
        left.plotly_chart(figure, key="p08_clouds")
        right.plotly_chart(distributions_figure(p, q, ["class 0", "class 1"],
                                                "Class probabilities under noise"), key="p08_toy_bars")
        right.caption("Circles: draws F sends to class 0, diamonds: to class 1. Both clouds straddle the "
                      "boundary in nearly the same proportions.")
        left, right = st.columns(2)
        figure = R.toy_regions_figure(plain, "Base classifier F", height=400)
        mark(figure, scene["x"], "x", "#1f77b4", "star")
        mark(figure, scene["x_adv"], "x_adv", "#ff7f0e", "star")
        left.plotly_chart(figure, key="p08_base_regions")
        figure = R.toy_regions_figure(smoothed, f"Smoothed classifier F_rob (σ = {sigma})",
                                      height=400)
        mark(figure, scene["x"], "x", "#1f77b4", "star")
        mark(figure, scene["x_adv"], "x_adv", "#ff7f0e", "star")
        right.plotly_chart(figure, key="p08_smoothed_regions")
        st.caption("Right: argmax_c P(F(p + ε) = c) at every grid point p (core.geometry.smoothed_decision_regions, "
                   "Cohen et al.'s hard vote). Smoothing removes thin spikes and rounds the boundary: points "
                   "close to each other see nearly the same vote.")

with images_tab:
    controls, board = st.columns([1, 3], gap="large")
    with controls:
        model_name = R.pick_zoo_model("Zoo model (trained with noise at the input)", key="p08_model")
    model_name = R.loadable(model_name)
    if model_name is not None:
        trained_noise, _ = R.zoo_noise(model_name)
        with controls:
            dataset, class_names, _, _, index = R.pick_gallery_image(model_name, key="p08_image")
            scale = st.select_slider(f"Noise scale ({trained_noise.name}; trained at {trained_noise.scale:g})",
                                     SIGMA_CHOICES, value=min(SIGMA_CHOICES, key=lambda s: abs(s - trained_noise.scale)),
                                     key="p08_image_scale")
            image_eps = st.select_slider("PGD ℓ2 budget", IMAGE_BUDGETS, value=0.5 if dataset == "cifar10" else 2.0,
                                         key="p08_image_eps")
            votes = st.select_slider("Draws per histogram", IMAGE_VOTE_CHOICES, value=500, key="p08_votes")
        with st.spinner("PGD on F, then drawing the noise…"):
            scene = image_scene(model_name, int(index), float(scale), float(image_eps), int(votes), seed)
        p, q = scene["distributions"]["x"], scene["distributions"]["x_adv"]
        with board:
            columns = st.columns(4)
            columns[0].metric("F(x) → F(x_adv)", f"{class_names[scene['label']]} → {class_names[scene['adv_label']]}")
            columns[1].metric("F_rob(x) → F_rob(x_adv)",
                              f"{class_names[int(p.argmax())]} → {class_names[int(q.argmax())]}")
            columns[2].metric("TV distance", f"{geometry.total_variation(p, q):.3f}")
            columns[3].metric("‖x_adv − x‖₂", f"{scene['distance']:.2f}")
            left, middle, right = st.columns([1, 1, 3])
            left.plotly_chart(image_figure(scene["x"], "x"), key="p08_x_image")
            middle.plotly_chart(image_figure(scene["x_adv"], "x_adv"), key="p08_adv_image")
            right.plotly_chart(distributions_figure(p, q, class_names, f"Predicted classes under {scene['noise']} noise"),
                               key="p08_image_bars")
            st.caption(f"Histogram of argmax F(· + ε) over {votes} draws each (core.geometry.class_distribution). "
                       "The attack flips F's decision, yet the two histograms are almost the same distribution.")

layout.show_code(geometry.noise_cloud, geometry.class_distribution, geometry.smoothed_decision_regions, attacks.pgd,
                 geometry.total_variation)
