"""7 · Noise injection: F̃_ε changes draw by draw; its Monte Carlo average F_rob converges."""
import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch
from plotly.subplots import make_subplots

from core import attacks, geometry, models, noise as noises, smoothing, zoo
from core.device import make_generator
from ui import cache, layout
from ui import randomization as R
from ui.adversarial import image_figure

DRAWS_SHOWN = 5
SAMPLE_CHOICES = [100, 200, 500, 1000, 2000, 5000]
BAND_ALPHA = 0.05            # two-sided 95 % Clopper–Pearson band
CHUNK = 250                  # noisy copies per forward pass
ATTACK_BUDGETS = [0.25, 0.5, 1.0, 2.0, 3.0]
SCALE_SYMBOL = {"gaussian": "σ", "laplace": "b", "uniform": "λ", "generalized_normal": "s"}
NOISE_LABELS = {"gaussian": "Gaussian N(0, σ²)", "laplace": "Laplace(0, b)", "uniform": "uniform [−λ, λ]",
                "generalized_normal": "generalized normal (β = 1.5)"}


# ---------------------------------------------------------------------------- computations (cached)

def _draws(noisy, x, num: int):
    """num forward passes of F̃_ε on x (softmax rows, in the order drawn) and, for the first
    DRAWS_SHOWN draws, what entered and left the noise layer (z and z + ε)."""
    seen = []
    handle = models.noise_layers(noisy)[0].register_forward_hook(
        lambda module, inputs, output: seen.append((inputs[0][:DRAWS_SHOWN].cpu(), output[:DRAWS_SHOWN].cpu()))
        if not seen else None)
    rows = []
    try:
        with torch.no_grad():
            for start in range(0, num, CHUNK):
                batch = x.unsqueeze(0).expand(min(CHUNK, num - start), *x.shape)
                rows.append(torch.softmax(noisy(batch).double(), dim=1).cpu())
    finally:
        handle.remove()
    return torch.cat(rows), seen[0]


def _running_estimates(probabilities: torch.Tensor) -> dict:
    """Running means of the soft and hard (vote) F_rob of the final top class, with a 95 %
    Clopper–Pearson band on the vote share (core.smoothing.clopper_pearson_lower)."""
    top = int(probabilities.mean(0).argmax())
    num = len(probabilities)
    t = np.arange(1, num + 1)
    soft = probabilities[:, top].cumsum(0).numpy() / t
    votes = (probabilities.argmax(1) == top).long().cumsum(0).numpy()
    grid = np.unique(np.geomspace(1, num, 80).astype(int))
    lower = [smoothing.clopper_pearson_lower(int(votes[k - 1]), int(k), BAND_ALPHA / 2) for k in grid]
    upper = [1 - smoothing.clopper_pearson_lower(int(k - votes[k - 1]), int(k), BAND_ALPHA / 2) for k in grid]
    return {"top": top, "t": t, "soft": soft, "votes": votes / t, "grid": grid, "lower": np.array(lower),
            "upper": np.array(upper)}


@st.cache_data(show_spinner=False, max_entries=32)
def image_draws(model_name: str, index: int, layer: int, noise_name: str, scale: float, num: int, seed: int):
    base = R.base_classifier(model_name)
    x = cache.gallery(R.dataset_of(model_name))[0][index].to(cache.device())
    noise = noises.make(noise_name, scale)
    noisy = models.inject_noise(base, layer, noise, seed=seed)
    probabilities, (z, z_noisy) = _draws(noisy, x, num)
    # The same F_rob from core.smoothing with independent draws: E_ε softmax(φ(N)∘…∘φ(i+1)(z + ε)).
    with torch.no_grad():
        z_clean = base.prefix(layer)(x.unsqueeze(0))[0]
    reference = smoothing.smoothed_probabilities(base.suffix(layer), z_clean, noise=noise, num=num,
                                                 batch_size=CHUNK,
                                                 generator=make_generator(seed + 1, cache.device()))
    return {"probabilities": probabilities, "running": _running_estimates(probabilities), "z": z, "z_noisy": z_noisy,
            "reference": reference}


@st.cache_data(show_spinner=False, max_entries=32)
def gallery_accuracy_under_noise(model_name: str, layer: int, noise_name: str, scale: float, seed: int,
                                 repeats: int = 8) -> float:
    """Accuracy of F̃_ε (one fresh draw per prediction) on the gallery, over ``repeats`` passes."""
    base = R.base_classifier(model_name)
    x, y = cache.gallery(R.dataset_of(model_name))
    noisy = models.inject_noise(base, layer, noises.make(noise_name, scale), seed=seed)
    with torch.no_grad():
        hits = [(noisy(x.to(cache.device())).argmax(1).cpu() == y).float().mean() for _ in range(repeats)]
    return float(torch.stack(hits).mean())


@st.cache_data(show_spinner=False, max_entries=32)
def pure_strategy_attack(model_name: str, index: int, layer: int, noise_name: str, scale: float, eps: float,
                         seed: int, num: int = 200) -> dict:
    """PGD ℓ2 against the deterministic F (one pure strategy), then F̃_ε's draws on the result."""
    base = R.base_classifier(model_name)
    x, y = cache.gallery(R.dataset_of(model_name))
    device = cache.device()
    x, y = x[index:index + 1].to(device), y[index:index + 1].to(device)
    x_adv = attacks.pgd(base, x, y, eps=eps, step=2.5 * eps / 20, steps=20, norm="l2",
                        generator=make_generator(seed, device))
    noisy = models.inject_noise(base, layer, noises.make(noise_name, scale), seed=seed)
    with torch.no_grad():
        fooled_base = bool(base(x_adv).argmax(1) != y)
        votes = noisy(x_adv.expand(num, *x.shape[1:])).argmax(1)
        clean_votes = noisy(x.expand(num, *x.shape[1:])).argmax(1)
    return {"fooled_base": fooled_base, "fooled_draws": float((votes != y).float().mean()),
            "clean_errors": float((clean_votes != y).float().mean()), "distance": float((x_adv - x).norm())}


@st.cache_data(show_spinner=False, max_entries=32)
def toy_draws(seed: int, point: tuple, layer: int, noise_name: str, scale: float, num: int):
    base = R.toy_model(seed)
    x = torch.tensor(point, dtype=torch.float32, device=cache.device())
    noise = noises.make(noise_name, scale)
    noisy = models.inject_noise(base, layer, noise, seed=seed)
    probabilities, (z, z_noisy) = _draws(noisy, x, num)
    return {"probabilities": probabilities, "running": _running_estimates(probabilities), "z": z, "z_noisy": z_noisy}


@st.cache_data(show_spinner=False, max_entries=16)
def toy_maps(seed: int, layer: int, noise_name: str, scale: float, resolution: int = 50, num: int = 100):
    """P(class 1) of F and of F_rob on a grid. Noise at the input: core.geometry's Monte Carlo
    smoothed regions; noise after layer i: the mean of num passes of F̃_ε over the grid (core.geometry)."""
    base = R.toy_model(seed)
    device = cache.device()
    noise = noises.make(noise_name, scale)
    plain = geometry.decision_regions(base, resolution=resolution, device=device)
    if layer == 0:
        smoothed = geometry.smoothed_decision_regions(base, noise=noise, num=num, resolution=resolution,
                                                      seed=seed, device=device)
    else:
        smoothed = geometry.noisy_decision_regions(models.inject_noise(base, layer, noise, seed=seed), num=num,
                                                   resolution=resolution, device=device)
    return plain, smoothed


# ---------------------------------------------------------------------------- figures

def draws_figure(probabilities: torch.Tensor, class_names: list[str]) -> go.Figure:
    """Small multiple: the class probabilities of F̃_ε(x) for each of the first draws."""
    figure = make_subplots(rows=1, cols=DRAWS_SHOWN, shared_yaxes=True,
                           subplot_titles=[f"draw {k + 1}: {class_names[int(p.argmax())]}"
                                           for k, p in enumerate(probabilities[:DRAWS_SHOWN])])
    for k, p in enumerate(probabilities[:DRAWS_SHOWN]):
        colors = ["#d62728" if c == int(p.argmax()) else "#9aa5b1" for c in range(len(p))]
        figure.add_bar(x=class_names, y=p.numpy(), marker_color=colors, showlegend=False, row=1, col=k + 1,
                       hovertemplate="%{x}: %{y:.3f}<extra></extra>")
    figure.update_yaxes(range=[0, 1], tickformat=".0%")
    figure.update_xaxes(tickangle=-60, tickfont=dict(size=9))
    figure.update_layout(height=300, margin=dict(l=10, r=10, t=40, b=10))
    return figure


def running_figure(running: dict, class_name: str) -> go.Figure:
    figure = go.Figure()
    figure.add_scatter(x=np.concatenate([running["grid"], running["grid"][::-1]]),
                       y=np.concatenate([running["upper"], running["lower"][::-1]]), fill="toself",
                       fillcolor="rgba(214,39,40,0.15)", line=dict(width=0), hoverinfo="skip",
                       name="95 % Clopper–Pearson band on P(F̃(x) = c)")
    figure.add_scatter(x=running["t"], y=running["votes"], mode="lines", line=dict(color="#d62728"),
                       name=f"vote share of '{class_name}' (hard F_rob)")
    figure.add_scatter(x=running["t"], y=running["soft"], mode="lines", line=dict(color="#1f77b4"),
                       name=f"mean softmax of '{class_name}' (soft F_rob)")
    figure.update_layout(height=330, margin=dict(l=10, r=10, t=40, b=10),
                         title="F_rob(x) as the Monte Carlo average of the draws",
                         xaxis=dict(type="log", title="number of draws of ε"),
                         yaxis=dict(range=[0, 1.02], title="running estimate", tickformat=".0%"),
                         legend=dict(orientation="h", y=-0.3))
    return figure


def density_figure(noise) -> go.Figure:
    """The density p of one coordinate of ε: the kernel F is convolved with."""
    t = np.linspace(-4 * noise.std, 4 * noise.std, 401)
    figure = go.Figure(go.Scatter(x=t, y=noise.pdf(t), mode="lines", fill="tozeroy", name=noise.label))
    figure.update_layout(height=240, margin=dict(l=10, r=10, t=40, b=10), title=f"Kernel p_ε: {noise.label}",
                         xaxis_title="ε_j", yaxis_title="p(ε_j)")
    return figure


def vote_figure(probabilities: torch.Tensor, class_names: list[str]) -> go.Figure:
    votes = torch.bincount(probabilities.argmax(1), minlength=len(class_names)).double() / len(probabilities)
    figure = go.Figure(go.Bar(x=class_names, y=votes.numpy(), marker_color="#2ca02c"))
    figure.update_layout(height=240, margin=dict(l=10, r=10, t=40, b=10), title="Decision region hit by each draw",
                         yaxis=dict(range=[0, 1], tickformat=".0%"))
    return figure


def noise_controls(prefix: str, layers: int, default_scale: float, scale_max: float):
    """Layer i, distribution and scale; the layer value is clamped when the model has fewer layers."""
    layer_key = f"{prefix}_layer"
    if st.session_state.get(layer_key, 0) > layers:
        st.session_state[layer_key] = layers
    layer = st.slider("Layer i where ε is added (0 = the input)", 0, layers, 0, key=layer_key,
                      help=f"0 adds ε to x; i adds it to φ(i)∘…∘φ(1)(x); {layers} adds it to the logits.")
    name = st.selectbox("Distribution of ε", noises.NOISES, format_func=NOISE_LABELS.get, key=f"{prefix}_noise")
    scale = st.slider(f"Scale {SCALE_SYMBOL[name]}", 0.01, scale_max, default_scale, 0.01, key=f"{prefix}_scale")
    num = st.select_slider("Draws for the Monte Carlo average", SAMPLE_CHOICES, value=500, key=f"{prefix}_samples")
    return layer, name, float(scale), int(num)


def show_draws_and_average(result: dict, class_names: list[str], key: str) -> dict:
    probabilities, running = result["probabilities"], result["running"]
    top, num = running["top"], len(probabilities)
    first = probabilities[:DRAWS_SHOWN].argmax(1)
    columns = st.columns([2, 2, 3])
    columns[0].metric("F_rob(x) (soft)", class_names[top],
                      help=f"{len(set(first.tolist()))} distinct decisions in the first {DRAWS_SHOWN} draws.")
    columns[1].metric(f"E[softmax F̃(x)]['{class_names[top]}']", f"{running['soft'][-1]:.3f}",
                      help=f"Mean over {num} draws of ε.")
    columns[2].metric(f"95 % interval on P(F̃(x) = {class_names[top]})",
                      f"{running['lower'][-1]:.3f} – {running['upper'][-1]:.3f}",
                      help="Two-sided Clopper–Pearson interval from the vote count (core.smoothing).")
    st.plotly_chart(draws_figure(probabilities, class_names), key=f"{key}_draws")
    st.plotly_chart(running_figure(running, class_names[top]), key=f"{key}_running")
    return running


# ---------------------------------------------------------------------------- page

layout.header(
    "7 · Noise injection",
    r"""
**Randomize the network.** Write $F = \phi^{(N)}\circ\dots\circ\phi^{(1)}$ and add a random vector
$\varepsilon \sim \mathcal D(0, s)$ after layer $i$ ($i = 0$: to the input). The network becomes random,
$\tilde F_\varepsilon(x) = \phi^{(N)}\circ\dots\circ\phi^{(i+1)}\big(\phi^{(i)}\circ\dots\circ\phi^{(1)}(x) + \varepsilon\big)$:
each forward pass draws a fresh $\varepsilon$, so the same $x$ can get different answers. The defended classifier is
its average, $F_{\mathrm{rob}}(x) = \mathbb E_\varepsilon\big[\tilde F_\varepsilon(x)\big]$ (soft) or
$\arg\max_c \mathbb P_\varepsilon\big(\tilde F_\varepsilon(x) = c\big)$ (hard, Cohen et al. 2019), estimated by Monte Carlo.
""",
    uses="a model of the zoo (default cifar10-gaussian-0.25, trained on x + ε) with noise injected by "
         "core.models.inject_noise into a copy, on foolbox's offline gallery images; a 2-D toy network in the second tab.",
)
seed = layout.seed_input()
images_tab, toy_tab = st.tabs(["Images (zoo model)", "2-D toy network"])

with images_tab:
    controls, board = st.columns([1, 3], gap="large")
    with controls:
        model_name = R.pick_zoo_model("Zoo model", key="p07_model", only_noise=False)
    model_name = R.loadable(model_name)
    if model_name is not None:
        base = R.base_classifier(model_name)
        trained = R.noise_spec(model_name)
        with controls:
            dataset, class_names, x_gallery, y_gallery, index = R.pick_gallery_image(model_name, key="p07_image")
            layer, noise_name, scale, num = noise_controls("p07", len(base.layers), 0.25, 1.0)
            st.caption(f"{model_name} was trained with "
                       + (f"{trained['name']} noise of scale {trained['scale']} at layer {trained['layer']}."
                          if trained else "no noise (plain ERM)."))
            st.plotly_chart(image_figure(x_gallery[index], f"x = gallery #{index} ({class_names[int(y_gallery[index])]})"),
                            key="p07_image_figure")
        noise = noises.make(noise_name, scale)
        with board:
            with st.spinner(f"Drawing ε {num} times…"):
                result = image_draws(model_name, int(index), layer, noise_name, scale, num, seed)
            st.markdown(f"**{DRAWS_SHOWN} successive draws of $\\tilde F_\\varepsilon(x)$** — {noise.label} added "
                        f"after layer {layer} of {len(base.layers)}, std {noise.std:.3f} per coordinate.")
            running = show_draws_and_average(result, class_names, "p07_images")
            reference = result["reference"]
            st.caption(f"core.smoothing.smoothed_probabilities with {num} independent draws gives "
                       f"{reference[running['top']]:.3f} for '{class_names[running['top']]}' "
                       f"(the two estimates differ by Monte Carlo error only).")
            z, z_noisy = result["z"], result["z_noisy"]
            if layer == 0:
                st.markdown("What the network sees in each draw, $x + \\varepsilon$ (clipped to [0, 1] for display only):")
                columns = st.columns(DRAWS_SHOWN)
                for k, column in enumerate(columns):
                    column.plotly_chart(image_figure(z_noisy[k], f"draw {k + 1}", height=150), key=f"p07_noisy_{k}")
            else:
                ratio = float((z_noisy[0] - z[0]).norm() / z[0].norm().clamp_min(1e-12))
                st.metric(f"‖ε‖₂ / ‖φ({layer})∘…∘φ(1)(x)‖₂ in draw 1", f"{ratio:.2f}",
                          help="How loud the noise is relative to the representation it is added to.")

        st.subheader("Four readings of the same randomization")
        smooth_col, augment_col, topo_col, game_col = st.columns(4)
        with smooth_col:
            st.markdown(r"**Smoothing.** $F_{\mathrm{rob}} = F * p_\varepsilon$, i.e. "
                        r"$F_{\mathrm{rob}}(x) = \int F(x + e)\,p_\varepsilon(e)\,de$: the running average above "
                        r"converges to this convolution evaluated at $x$, with the kernel below.")
            st.plotly_chart(density_figure(noise), key="p07_density")
        with augment_col:
            st.markdown(r"**Augmentation.** Training on $x + \varepsilon$ teaches $F$ to answer well under the "
                        r"noise it will see. Accuracy of $\tilde F_\varepsilon$ on the 20 gallery images:")
            with st.spinner("Evaluating on the gallery…"):
                accuracy = gallery_accuracy_under_noise(model_name, layer, noise_name, scale, seed)
            st.metric(f"{model_name} under this noise", f"{accuracy:.0%}")
            standard = f"{dataset}-standard"
            if standard != model_name and standard in cache.zoo_names():
                try:
                    st.metric(f"{standard} (no noise in training)",
                              f"{gallery_accuracy_under_noise(standard, layer, noise_name, scale, seed):.0%}")
                except zoo.ModelUnavailable as error:
                    st.caption(str(error))
        with topo_col:
            st.markdown(r"**Topological.** Each draw sends $x$ into one decision region of $F$; the noise thus "
                        r"induces a *distribution over decision regions*, whose mode is $F_{\mathrm{rob}}(x)$ "
                        r"(page 8 draws it in 2-D):")
            st.plotly_chart(vote_figure(result["probabilities"], class_names), key="p07_votes")
        with game_col:
            st.markdown(r"**Game theory.** The defender plays a *mixed strategy*: each draw of $\varepsilon$ picks "
                        r"one deterministic classifier (the five draws above). An attack tuned to the pure "
                        r"strategy $F$ (PGD $\ell_2$ on the noise-free network):")
            eps = st.select_slider("Attacker's ℓ2 budget", ATTACK_BUDGETS, value=0.5 if dataset == "cifar10" else 2.0,
                                   key="p07_eps")
            with st.spinner("PGD against the noise-free network…"):
                outcome = pure_strategy_attack(model_name, int(index), layer, noise_name, scale, float(eps), seed)
            st.metric("Fools the noise-free F", "yes" if outcome["fooled_base"] else "no",
                      help=f"‖x_adv − x‖₂ = {outcome['distance']:.2f}")
            st.metric("Draws of F̃_ε wrong on x_adv", f"{outcome['fooled_draws']:.0%}",
                      help=f"On the clean x: {outcome['clean_errors']:.0%} of the draws are wrong.")
            st.caption(f"On the clean x, {outcome['clean_errors']:.0%} of the draws are wrong.")

with toy_tab:
    x_train, y_train, _, _ = R.toy_split(seed)
    toy_names = ["class 0", "class 1"]
    controls, board = st.columns([1, 3], gap="large")
    with controls:
        with st.spinner("Training the toy network…"):
            toy = R.toy_model(seed)
        px = st.number_input("x₁", 0.0, 1.0, 0.45, 0.01, key="p07_toy_x1")
        py = st.number_input("x₂", 0.0, 1.0, 0.55, 0.01, key="p07_toy_x2")
        toy_layer, toy_noise_name, toy_scale, toy_num = noise_controls("p07_toy", len(toy.layers), 0.10, 0.5)
    toy_noise = noises.make(toy_noise_name, toy_scale)
    with board:
        toy_result = toy_draws(seed, (float(px), float(py)), toy_layer, toy_noise_name, toy_scale, toy_num)
        show_draws_and_average(toy_result, toy_names, "p07_toy")
        with st.spinner("Smoothing the decision regions…"):
            plain, smoothed = toy_maps(seed, toy_layer, toy_noise_name, toy_scale)
        left, right = st.columns(2)
        figure = R.toy_regions_figure(plain, "F: P(class 1) without noise", probability=True, height=380)
        for label in (0, 1):
            mask = y_train == label
            figure.add_scatter(x=x_train[mask, 0], y=x_train[mask, 1], mode="markers", name=f"train · class {label}",
                               marker=dict(color=R.TOY_COLORS[label], size=4, opacity=0.5))
        if toy_layer == 0:
            cloud = toy_result["z_noisy"]
            figure.add_scatter(x=cloud[:, 0], y=cloud[:, 1], mode="markers+text", name="x + ε (draws 1–5)",
                               text=[str(k + 1) for k in range(len(cloud))], textposition="top center",
                               marker=dict(color="black", size=8, symbol="x"))
        figure.add_scatter(x=[px], y=[py], mode="markers", name="x", marker=dict(color="gold", size=14, symbol="star",
                                                                                line=dict(color="black", width=1)))
        left.plotly_chart(figure, key="p07_toy_plain")
        figure = R.toy_regions_figure(smoothed, f"F_rob = F * p_ε: P(class 1) averaged over ε (layer {toy_layer})",
                                      probability=True, height=380)
        figure.add_scatter(x=[px], y=[py], mode="markers", name="x", marker=dict(color="gold", size=14, symbol="star",
                                                                                line=dict(color="black", width=1)))
        right.plotly_chart(figure, key="p07_toy_smoothed")
        st.caption("Smoothing reading in 2-D: the right map is the left one convolved with the noise density "
                   "(for noise at the input; after a hidden layer the average runs over F̃_ε's draws). "
                   "The black crosses are where the five draws sent x: one decision region each (topological "
                   "reading), one pure strategy each (game-theoretic reading).")

layout.show_code(models.inject_noise, models.NoiseInjection.forward, smoothing.smoothed_probabilities,
                 smoothing.clopper_pearson_lower, geometry.smoothed_decision_regions, geometry.noisy_decision_regions)
