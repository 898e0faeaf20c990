"""5 · Geometric interpretation: adversarial examples live next to the decision boundary, and networks
do not preserve distances (Szegedy et al. 2014; Madry et al. 2018)."""
import math

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from core import data, geometry, models, training
from ui import adversarial as A
from ui import cache, layout

POINTS, DATA_NOISE, TEST_FRACTION, HIDDEN, LR = 400, 0.1, 0.3, [64, 64], 1e-2
EPOCHS = {"moons": 60, "circles": 60, "spirals": 300, "blobs": 40}
EPS_CHOICES = [0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3]
STEP_CHOICES = [5, 10, 20, 50]
NORM_NAMES = {"l2": "ℓ2 (a disc)", "linf": "ℓ∞ (a square)"}
OUTPUTS = {"probabilities": "softmax probabilities", "logits": "logits"}
DIRECTIONS_AT_POINT, DIRECTIONS_PER_DATUM = 2000, 20
PICK_GRID = 41                               # invisible clickable points: pick anywhere, not only on data


@st.cache_data(show_spinner=False)
def toy_split(name: str, seed: int):
    x, y = data.toy_2d(name, POINTS, noise=DATA_NOISE, seed=seed)
    return data.train_test_split(x, y, test_fraction=TEST_FRACTION, seed=seed)


@st.cache_resource(show_spinner=False)
def toy_model(name: str, seed: int) -> torch.nn.Module:
    """A 2-64-64-K ReLU network trained by ERM (Adam) on the toy set; shared, never modified."""
    x_train, y_train, _, _ = toy_split(name, seed)
    model = models.feed_forward(2, HIDDEN, int(y_train.max()) + 1, seed=seed)
    training.train(model, x_train, y_train, epochs=EPOCHS[name], lr=LR, batch_size=64, seed=seed,
                   device=cache.device())
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model


@st.cache_data(show_spinner=False)
def toy_regions(name: str, seed: int):
    return geometry.decision_regions(toy_model(name, seed), resolution=160, device=cache.device())


def output_map(model, output: str):
    """F as the page measures it: the logits, or the class probabilities softmax(logits)."""
    return model if output == "logits" else (lambda z: torch.softmax(model(z), dim=1))


@torch.no_grad()
def default_point(name: str, seed: int) -> tuple[float, float]:
    """A training point close to the boundary but clearly on its side (confidence ≥ 75 %, the least
    confident such point), so that the default budget visibly crosses the boundary."""
    x_train, y_train, _, _ = toy_split(name, seed)
    confidence = torch.softmax(toy_model(name, seed)(x_train.to(cache.device())), 1).amax(1).cpu()
    candidates = torch.where(confidence >= 0.75, confidence, torch.full_like(confidence, math.inf))
    point = x_train[int(candidates.argmin())]
    return round(float(point[0]), 3), round(float(point[1]), 3)


@st.cache_data(show_spinner=False, max_entries=128)
def attack_scene(name: str, seed: int, point: tuple, eps: float, norm: str, steps: int, output: str) -> dict:
    """PGD path from the point, and the stretch ratios of small balls around it and around the data."""
    model, device = toy_model(name, seed), cache.device()
    x = torch.tensor(point, dtype=torch.float32)
    with torch.no_grad():
        label = int(model(x[None].to(device)).argmax(1))
    path = geometry.attack_path(model, x, label, eps=eps, steps=steps, norm=norm, device=device)
    with torch.no_grad():
        path_labels = model(path.to(device)).argmax(1).cpu()
    x_train = toy_split(name, seed)[0]
    F = output_map(model, output)
    at_point = geometry.stretch_ratios(F, x, radius=eps, num=DIRECTIONS_AT_POINT, norm=norm, seed=seed, device=device)
    on_data = geometry.stretch_ratios(F, x_train, radius=eps, num=DIRECTIONS_PER_DATUM, norm=norm, seed=seed + 1,
                                      device=device)
    return {"x": x, "label": label, "path": path, "path_labels": path_labels,
            "at_point": at_point.flatten(), "on_data": on_data.flatten()}


def pick_from_chart() -> None:
    """on_select callback: a clicked point of the chart becomes (x₁, x₂) before the next run."""
    points = st.session_state["p05_regions"]["selection"]["points"]
    if points:
        st.session_state["p05_x1"] = round(float(points[0]["x"]), 3)
        st.session_state["p05_x2"] = round(float(points[0]["y"]), 3)


def norm_of(vector: torch.Tensor, norm: str) -> float:
    return float(vector.abs().max()) if norm == "linf" else float(vector.norm())


def stretch_figure(at_point: torch.Tensor, on_data: torch.Tensor, output: str) -> go.Figure:
    """Histograms of log10 of the ratios (ratios span several decades), the isometry at 10⁰ = 1."""
    logs = [np.log10(r.clamp_min(1e-6).numpy()) for r in (at_point, on_data)]
    low, high = math.floor(min(l.min() for l in logs)), math.ceil(max(l.max() for l in logs))
    low, high = min(low, -1), max(high, 1)
    figure = go.Figure()
    figure.add_histogram(x=logs[1], name="around every training point", histnorm="probability",
                         marker_color="rgba(120,120,120,0.55)", xbins=dict(start=low, end=high, size=0.1))
    figure.add_histogram(x=logs[0], name="around the picked point", histnorm="probability",
                         marker_color="rgba(214,39,40,0.75)", xbins=dict(start=low, end=high, size=0.1))
    figure.add_vline(x=0, line=dict(color="black", width=3), annotation_text="isometry: ratio 1")
    ticks = list(range(low, high + 1))
    figure.update_layout(barmode="overlay", height=380, margin=dict(l=10, r=10, t=50, b=10),
                         title=f"‖F(x + τ) − F(x)‖₂ / ‖τ‖ for random τ on the sphere ‖τ‖ = ε (F = {OUTPUTS[output]})",
                         xaxis=dict(title="stretch ratio (log scale)", tickvals=ticks,
                                    ticktext=[f"{10.0 ** t:g}" for t in ticks]),
                         yaxis=dict(title="fraction of directions", tickformat=".0%"),
                         legend=dict(orientation="h", y=-0.25))
    return figure


layout.header(
    "5 · Geometric interpretation",
    r"""
An adversarial example is a point $x + \tau$ of the ball $B(x, \varepsilon) = \{x' : \|x' - x\| \le \varepsilon\}$
that lies **across the decision boundary** of $F$. PGD (Madry et al. 2018) walks up the loss
$\ell(F(x), y)$ and projects back onto the ball — a disc for $\|\cdot\|_2$, a square for $\|\cdot\|_\infty$ —
until it crosses. It works because **networks do not preserve distances**: an isometry would keep
$\|F(x+\tau) - F(x)\| = \|\tau\|$, but $F$ squashes most small balls and stretches those near the boundary
by large factors, so a tiny $\tau$ can move $F(x)$ far — into another class.
Click the chart (anywhere) or type $x_1, x_2$ to pick the point.
""",
    uses=f"a 2-D toy set ({POINTS} points in [0, 1]², core.data.toy_2d) and a 2-{'-'.join(map(str, HIDDEN))}-K ReLU "
         "network (core.models.feed_forward) trained here by ERM (core.training.train); core.geometry for the "
         "regions, the PGD path and the stretch ratios.",
)
seed = layout.seed_input()

controls, board = st.columns([1, 3], gap="large")
with controls:
    dataset = st.selectbox("Toy data", list(EPOCHS), key="p05_dataset")
    with st.spinner("Training the toy network…"):
        model = toy_model(dataset, seed)
        regions = toy_regions(dataset, seed)
    if "p05_x1" not in st.session_state or "p05_x2" not in st.session_state:
        st.session_state["p05_x1"], st.session_state["p05_x2"] = default_point(dataset, seed)
    x1 = st.number_input("x₁", 0.0, 1.0, step=0.01, format="%.3f", key="p05_x1")
    x2 = st.number_input("x₂", 0.0, 1.0, step=0.01, format="%.3f", key="p05_x2")
    eps = st.select_slider("Budget ε", EPS_CHOICES, value=0.1, key="p05_eps")
    norm = st.radio("Ball", list(NORM_NAMES), format_func=NORM_NAMES.get, key="p05_norm", horizontal=True)
    steps = st.select_slider("PGD steps", STEP_CHOICES, value=20, key="p05_steps",
                             help="Step size 2.5·ε/steps (Madry et al. 2018), no random start.")
    output = st.radio("Measure F as", list(OUTPUTS), format_func=OUTPUTS.get, key="p05_output")

scene = attack_scene(dataset, seed, (float(x1), float(x2)), float(eps), norm, int(steps), output)
path, path_labels, label = scene["path"], scene["path_labels"], scene["label"]
changed = (path_labels != label).nonzero().flatten()
crossing = int(changed[0]) if len(changed) else None
final = int(path_labels[-1])

with board:
    columns = st.columns(5)
    columns[0].metric("F(x) → F(x_adv)", f"{label} → {final}")
    columns[1].metric("Crossing step", "never" if crossing is None else f"{crossing} of {steps}")
    columns[2].metric(f"‖x_adv − x‖ ({'ℓ∞' if norm == 'linf' else 'ℓ2'})", f"{norm_of(path[-1] - scene['x'], norm):.3f}")
    columns[3].metric("Median stretch at x", f"{float(scene['at_point'].median()):.3g}",
                      help="Median of ‖F(x + τ) − F(x)‖₂/‖τ‖ over random τ with ‖τ‖ = ε; 1 for an isometry.")
    columns[4].metric("Max stretch at x", f"{float(scene['at_point'].max()):.3g}")

    figure = A.regions_figure(regions, f"Decision regions of F, the {NORM_NAMES[norm].split(' ')[0]} ball of radius "
                                       f"ε = {eps:g} and the PGD path", height=560)
    grid = torch.linspace(0, 1, PICK_GRID)
    gx, gy = torch.meshgrid(grid, grid, indexing="xy")
    figure.add_scatter(x=gx.flatten().numpy(), y=gy.flatten().numpy(), mode="markers", name="pick here",
                       marker=dict(size=9, color="white", opacity=0.01), showlegend=False,
                       hovertemplate="pick (%{x:.2f}, %{y:.2f})<extra></extra>")
    x_train, y_train, _, _ = toy_split(dataset, seed)
    A.add_points(figure, x_train, y_train, size=6, opacity=0.75, name="training data")
    bx, by = A.ball_outline(scene["x"], float(eps), norm)
    figure.add_scatter(x=bx, y=by, mode="lines", name=f"B(x, ε) in {NORM_NAMES[norm].split(' ')[0]}",
                       line=dict(color="black", width=2, dash="dash"), hoverinfo="skip")
    figure.add_scatter(x=path[:, 0].numpy(), y=path[:, 1].numpy(), mode="lines+markers", name="PGD path",
                       line=dict(color="#ff7f0e", width=3),
                       marker=dict(size=7, color=[A.CLASS_COLORS[int(k) % 4] for k in path_labels],
                                   line=dict(color="black", width=1)), hoverinfo="skip")
    figure.add_scatter(x=[float(x1)], y=[float(x2)], mode="markers", name="x",
                       marker=dict(size=16, symbol="star", color="gold", line=dict(color="black", width=1.5)))
    figure.add_scatter(x=[float(path[-1, 0])], y=[float(path[-1, 1])], mode="markers", name="x_adv",
                       marker=dict(size=14, symbol="x", color="black"))
    st.plotly_chart(figure, key="p05_regions", on_select=pick_from_chart, selection_mode="points")
    st.caption("Markers on the path take the colour of the class F gives them: the path changes colour where it "
               "crosses the boundary (black line, P(class 1) = ½ for two classes).")

    st.plotly_chart(stretch_figure(scene["at_point"], scene["on_data"], output), key="p05_stretch")
    on_data = scene["on_data"]
    st.caption(f"Around the {len(x_train)} training points: median stretch {float(on_data.median()):.3g}, "
               f"{float((on_data > 1).float().mean()):.0%} of the directions are stretched (ratio > 1), the largest "
               f"ratio is {float(on_data.max()):.3g}. Far from an isometry: F flattens most of each class and "
               "blows up the neighbourhood of the boundary, where adversarial examples are found.")

layout.show_code(geometry.attack_path, geometry.stretch_ratios, geometry.decision_regions)
