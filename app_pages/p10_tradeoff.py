"""10 · The robustness–accuracy trade-off, and how certificates compare with the best attacks."""
import math

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from core import attacks, evaluation, noise as noises, results, smoothing
from ui import cache, layout
from ui import randomization as R

TOY_STDS = [0.05, 0.1, 0.25]
TOY_POINTS = 60
TOY_N0, TOY_N, TOY_ALPHA = 20, 200, 0.001
TOY_EPS = [0.0, 0.05, 0.1, 0.15, 0.2, 0.3]
TOY_EOT, TOY_STEPS = 8, 10
IMAGE_EPS = [0.0, 0.25, 0.5, 1.0]
IMAGE_N0, IMAGE_N, IMAGE_EOT, IMAGE_STEPS = 20, 100, 4, 10
CW_STEPS, CW_SEARCH = 100, 5
DASHES = {"gaussian": "solid", "laplace": "dash", "uniform": "dot"}
COLORS = {"gaussian": "#1f77b4", "laplace": "#ff7f0e", "uniform": "#2ca02c"}
LINF_BUDGETS = {"cifar10": 8 / 255, "mnist": 0.3, "fashion_mnist": 0.1}


# ---------------------------------------------------------------------------- computations (cached)

@st.cache_data(show_spinner=False, max_entries=32)
def toy_tradeoff(seed: int, noise_name: str, radius: float) -> list[dict]:
    """core.evaluation.tradeoff on held-out toy points; the base model of each scale is trained
    with that noise (std matched across distributions)."""
    _, _, x_test, y_test = R.toy_split(seed)
    std_of_scale = {noises.scale_for_std(noise_name, std): std for std in TOY_STDS}
    rows = evaluation.tradeoff(lambda scale: R.toy_model(seed, noise_name, std_of_scale[scale]),
                               x_test[:TOY_POINTS], y_test[:TOY_POINTS], noise_name=noise_name,
                               scales=list(std_of_scale), radius=radius, n0=TOY_N0, n=TOY_N, alpha=TOY_ALPHA,
                               batch_size=10_000, seed=seed, device=cache.device())
    return rows


@st.cache_data(show_spinner=False, max_entries=16)
def toy_bounds(seed: int, std: float) -> dict:
    """EOT-PGD (upper bound) vs certified accuracy (lower bound) and C&W distances on F, toy points."""
    _, _, x_test, y_test = R.toy_split(seed)
    x, y = x_test[:TOY_POINTS], y_test[:TOY_POINTS]
    model = R.toy_model(seed, "gaussian", std)
    result = evaluation.empirical_vs_certified(model, x, y, noise=noises.make("gaussian", std), eps_list=TOY_EPS,
                                               n0=TOY_N0, n=TOY_N, alpha=TOY_ALPHA, eot=TOY_EOT, steps=TOY_STEPS,
                                               seed=seed, device=cache.device(), batch_size=10_000)
    result["cw"] = cw_distances(model, x, y)
    return result


@st.cache_data(show_spinner=False, max_entries=8)
def image_bounds(model_name: str, seed: int) -> dict:
    model = R.base_classifier(model_name)
    noise, _ = R.zoo_noise(model_name)
    x, y = cache.gallery(R.dataset_of(model_name))
    result = evaluation.empirical_vs_certified(model, x, y, noise=noise, eps_list=IMAGE_EPS, n0=IMAGE_N0, n=IMAGE_N,
                                               alpha=TOY_ALPHA, eot=IMAGE_EOT, steps=IMAGE_STEPS, seed=seed,
                                               device=cache.device(), batch_size=IMAGE_N)
    result["cw"] = cw_distances(model, x, y)
    return result


def cw_distances(model, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """‖x_cw − x‖₂ of Carlini–Wagner ℓ2 on the base network F, for the inputs F gets right and C&W fools."""
    device = cache.device()
    x, y = x.to(device), y.to(device)
    x_cw = attacks.carlini_wagner_l2(model, x, y, steps=CW_STEPS, binary_search_steps=CW_SEARCH)
    with torch.no_grad():
        keep = (model(x).argmax(1) == y) & (model(x_cw).argmax(1) != y)
    return (x_cw - x).flatten(1).norm(dim=1)[keep].cpu().numpy()


def shipped_tradeoff(dataset: str) -> dict | None:
    """assets/results/tradeoff_<dataset>.json, or None when it has not been computed."""
    try:
        return results.read("tradeoff", dataset)
    except results.ResultsUnavailable:
        return None


def bounds_figure(result: dict, title: str) -> go.Figure:
    figure = go.Figure()
    figure.add_scatter(x=result["eps"], y=result["empirical"], mode="lines+markers", name="empirical: PREDICT on "
                       f"EOT-PGD ℓ2 (EOT {result['eot']}, {result['steps']} steps) — upper bound")
    figure.add_scatter(x=result["eps"], y=result["certified"], mode="lines+markers", name="certified accuracy at "
                       "radius ε (CERTIFY) — lower bound", fill="tozeroy", fillcolor="rgba(44,160,44,0.12)")
    figure.update_layout(height=360, margin=dict(l=10, r=10, t=40, b=10), title=title, xaxis_title="ℓ2 budget ε",
                         yaxis=dict(title="accuracy of F_rob", range=[0, 1.02], tickformat=".0%"),
                         legend=dict(orientation="h", y=-0.25))
    return figure


def budgets_figure(result: dict, linf_l2: float | None) -> go.Figure:
    radii = np.array([row["radius"] for row in result["rows"] if row["correct"]])
    figure = go.Figure()
    figure.add_box(x=radii, name="certified α* (F_rob)", boxpoints="all", marker_color="#2ca02c")
    figure.add_box(x=result["cw"], name="C&W ℓ2 distance (F)", boxpoints="all", marker_color="#d62728")
    if linf_l2 is not None:
        figure.add_vline(x=linf_l2, line_dash="dash", annotation_text="ℓ2 size of the usual ℓ∞ budget")
    figure.update_layout(height=300, margin=dict(l=10, r=10, t=30, b=10), xaxis_title="ℓ2 distance", showlegend=False)
    return figure


def budget_metrics(result: dict, container) -> None:
    radii = [row["radius"] for row in result["rows"] if row["correct"]]
    columns = container.columns(3)
    columns[0].metric("Median certified α*", f"{np.median(radii):.3f}" if radii else "—",
                      help=f"Over the {len(radii)} inputs F_rob certifies correctly.")
    columns[1].metric("Median C&W ℓ2 distance", f"{np.median(result['cw']):.3f}" if len(result["cw"]) else "—",
                      help=f"Over the {len(result['cw'])} inputs F gets right and C&W fools.")
    columns[2].metric(f"Certified at ε = {result['eps'][-1]:g}", f"{result['certified'][-1]:.0%}",
                      help=f"ε = {result['eps'][-1]}; empirical: {result['empirical'][-1]:.0%}.")


# ---------------------------------------------------------------------------- page

layout.header(
    "10 · Trade-off & the best attacks",
    r"""
**More noise, larger certificates, lower accuracy.** With $\varepsilon\sim\mathcal N(0,\sigma^2 I)$ the certificate
$\alpha^* = \sigma\,\Phi^{-1}(\underline{p_A})$ grows with $\sigma$, but the base classifier sees blurrier inputs, so
the smoothed classifier's clean accuracy drops. *Certified accuracy at radius $r$* is the share of test points
that $F_{\mathrm{rob}}$ classifies correctly **with** $\alpha^* \ge r$ — a lower bound on robust accuracy; the accuracy
under the strongest attack we can run (EOT-PGD, Athalye et al. 2018) is an upper bound. And the radii attacks
actually need (Carlini & Wagner 2017) are compared with $\alpha^*$: certificates remain **small**.
""",
    uses="two moons (core.data.toy_2d) with 2-64-64-2 networks trained here on x + ε for each noise and scale; "
         "the zoo's noise-trained models on foolbox's gallery images (on demand); shipped trade-off tables "
         "(assets/results, python -m core.experiments tradeoff).",
)
seed = layout.seed_input()

# ------------------------------------------------------------ live trade-off
st.subheader("Clean vs certified accuracy across noise scales (live, 2-D)")
controls, board = st.columns([1, 3], gap="large")
with controls:
    radius = st.slider("Radius r", 0.0, 0.3, 0.1, 0.01, key="p10_radius")
    chosen = st.multiselect("Noise distributions", ["gaussian", "laplace", "uniform"], default=["gaussian"],
                            key="p10_noises", help="Same standard deviation per coordinate for every distribution.")
    st.caption(f"{TOY_POINTS} held-out points; PREDICT and CERTIFY with n₀ = {TOY_N0}, n = {TOY_N}, α = {TOY_ALPHA}. "
               "Gaussian radii are ℓ2; Laplace and uniform radii are ℓ1 (an ℓ1 ball of radius r sits inside the ℓ2 "
               "ball of radius r, so their certificates are weaker at the same r).")
if not chosen:
    st.info("Pick at least one noise distribution.")
    rows = []
else:
    R.toy_models_ready(seed, [(name, std) for name in chosen for std in TOY_STDS])
    with st.spinner("PREDICT and CERTIFY on the held-out points…"):
        rows = [row for name in chosen for row in toy_tradeoff(seed, name, float(radius))]
with board:
    if rows:
        gaussian = [row for row in rows if row["noise"] == chosen[0]]
        columns = st.columns(len(gaussian))
        for column, row in zip(columns, gaussian):
            column.metric(f"{chosen[0]} std {row['std']:.2f}",
                          f"{row['clean_accuracy']:.0%} → {row['certified_accuracy']:.0%}",
                          help=f"Abstained on {row['abstain_rate']:.0%} of the points.")
        st.caption(f"Each metric: clean accuracy of F_rob → certified accuracy at r = {radius:.2f}. With n = {TOY_N} "
                   f"and α = {TOY_ALPHA} no Gaussian certificate can exceed σΦ⁻¹(α^(1/n)): "
                   + ", ".join(f"{smoothing.radius_ceiling(std, TOY_ALPHA, TOY_N):.3f} for std {std}" for std in TOY_STDS)
                   + ".")
        figure = go.Figure()
        for name in chosen:
            part = [row for row in rows if row["noise"] == name]
            figure.add_scatter(x=[row["clean_accuracy"] for row in part], y=[row["certified_accuracy"] for row in part],
                               mode="lines+markers+text", text=[f"std {row['std']:.2f}" for row in part],
                               textposition="top center", name=f"{name} ({noises.make(name, 1).certified_norm})",
                               line=dict(color=COLORS[name], dash=DASHES[name]))
        figure.update_layout(height=380, margin=dict(l=10, r=10, t=40, b=10),
                             title=f"Each point: one noise scale. Up = more robust at r = {radius:.2f}; right = more accurate",
                             xaxis=dict(title="clean accuracy of F_rob (PREDICT)", tickformat=".0%"),
                             yaxis=dict(title=f"certified accuracy at r = {radius:.2f}", tickformat=".0%", range=[0, 1.02]))
        st.plotly_chart(figure, key="p10_live_tradeoff")

# ------------------------------------------------------------ shipped table
st.subheader("Shipped trade-off tables (test sets)")
shipped = {dataset: shipped_tradeoff(dataset) for dataset in ("cifar10", "mnist")}
shipped = {dataset: table for dataset, table in shipped.items() if table is not None}
if not shipped:
    st.info("No shipped results yet: run python -m core.experiments tradeoff --dataset cifar10 (after the certify runs).")
else:
    dataset = st.selectbox("Dataset", list(shipped), key="p10_shipped_dataset")
    table = shipped[dataset]
    shipped_radii = sorted({r for row in table["rows"] for r in row["radii"]})
    shipped_r = st.select_slider("Radius r of the shipped table", shipped_radii,
                                 value=min(shipped_radii, key=lambda r: abs(r - 0.5)), key="p10_shipped_radius")
    figure = go.Figure()
    for row in table["rows"]:
        if shipped_r not in row["radii"]:
            continue
        at_r = row["certified_accuracy"][row["radii"].index(shipped_r)]
        at_0 = row["certified_accuracy"][row["radii"].index(0.0)] if 0.0 in row["radii"] else None
        figure.add_scatter(x=[at_0], y=[at_r], mode="markers+text", text=[row["model"]], textposition="top center",
                           name=f"{row['model']} ({row['norm']}, n = {row['n']}, {row['examples']} images)",
                           marker=dict(size=12))
    if dataset == "cifar10" and shipped_r in evaluation.COHEN_RADII:
        k = evaluation.COHEN_RADII.index(shipped_r)
        figure.add_scatter(x=[acc[0] for acc in evaluation.COHEN_CIFAR10.values()],
                           y=[acc[k] for acc in evaluation.COHEN_CIFAR10.values()], mode="markers+text",
                           text=[f"Cohen σ = {s}" for s in evaluation.COHEN_CIFAR10], textposition="bottom center",
                           name="Cohen et al. 2019, ResNet-110 (published)", marker=dict(symbol="x", size=12))
    figure.update_layout(height=400, margin=dict(l=10, r=10, t=30, b=10),
                         xaxis=dict(title="certified accuracy at r = 0", tickformat=".0%"),
                         yaxis=dict(title=f"certified accuracy at r = {shipped_r}", tickformat=".0%"))
    st.plotly_chart(figure, key="p10_shipped")
    st.caption(f"Computed with `{table.get('command', '')}` from the certify results ({table.get('computed_on', '')}).")

# ------------------------------------------------------------ bounds and attacks
st.subheader("Certified (lower bound) vs empirical (upper bound), and the budgets attacks need")
toy_tab, images_tab = st.tabs(["2-D toy network", "Images (zoo model)"])
with toy_tab:
    std = st.columns([1, 3])[0].select_slider("σ of the smoothed classifier", TOY_STDS, value=0.1,
                                               key="p10_bounds_std")
    with st.spinner("CERTIFY, EOT-PGD and C&W on the held-out points…"):
        result = toy_bounds(seed, float(std))
    left, right = st.columns(2)
    left.plotly_chart(bounds_figure(result, f"F_rob with σ = {std}: {TOY_POINTS} held-out points"), key="p10_toy_bounds")
    with right:
        budget_metrics(result, st)
        st.plotly_chart(budgets_figure(result, None), key="p10_toy_budgets")
    st.caption("The true robust accuracy of F_rob lies between the two curves (up to α and Monte Carlo error). "
               "C&W finds the smallest ℓ2 perturbation that flips the base network F.")
with images_tab:
    model_name = R.loadable(R.pick_zoo_model("Zoo model (trained with noise at the input)", key="p10_model"))
    if model_name is not None and R.zoo_noise(model_name)[0].name != "gaussian":
        st.info(f"{model_name} certifies ℓ1 radii; pick a Gaussian model to compare ℓ2 attacks and certificates.")
        model_name = None
    if model_name is not None:
        dataset = R.dataset_of(model_name)
        requested = st.session_state.setdefault("p10_image_runs", set())
        st.caption(f"On the 20 gallery images: CERTIFY (n₀ = {IMAGE_N0}, n = {IMAGE_N}), EOT-PGD ℓ2 "
                   f"(EOT {IMAGE_EOT}, {IMAGE_STEPS} steps) at ε ∈ {IMAGE_EPS[1:]}, and C&W ℓ2 ({CW_SEARCH}×{CW_STEPS} "
                   "steps) — about a minute on a laptop CPU.")
        if st.button("Run on the gallery images", key="p10_run_images"):
            requested.add((model_name, seed))
        if (model_name, seed) in requested:
            with st.spinner("CERTIFY, EOT-PGD and C&W on the gallery…"):
                image_result = image_bounds(model_name, seed)
            linf = LINF_BUDGETS.get(dataset)
            linf_l2 = None if linf is None else linf * math.sqrt(cache.gallery(dataset)[0][0].numel())
            left, right = st.columns(2)
            left.plotly_chart(bounds_figure(image_result, f"{model_name}: 20 gallery images"), key="p10_image_bounds")
            with right:
                budget_metrics(image_result, st)
                st.plotly_chart(budgets_figure(image_result, linf_l2), key="p10_image_budgets")
            if linf_l2 is not None:
                st.caption(f"Dashed line: an ℓ∞ perturbation of {linf:.3g} per pixel (the usual {dataset} budget) has "
                           f"ℓ2 norm up to {linf_l2:.2f} — far beyond every certified radius.")

layout.show_code(evaluation.tradeoff, evaluation.empirical_vs_certified, evaluation.certified_accuracy,
                 attacks.carlini_wagner_l2, smoothing.certify)
