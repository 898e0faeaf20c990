"""2 · A network is a composition F = φ(N)∘…∘φ(1): what each layer does to the data, width and
depth (over-parametrisation, overfitting), and Cybenko's universal approximation."""
import plotly.graph_objects as go
import streamlit as st
import torch
from plotly.subplots import make_subplots

from core import data, geometry, models, training
from ui import cache, layout

POINTS, DATA_NOISE, EPOCHS, LEARNING_RATE = 400, 0.1, 150, 3e-2
SWEEP_POINTS, SWEEP_NOISE, SWEEP_LABEL_NOISE, SWEEP_LR = 100, 0.15, 0.1, 1e-2
QUICK_SWEEP = {"widths": (4, 32, 256), "depths": (2,), "epochs": 300}
FULL_SWEEP = {"widths": (2, 4, 8, 16, 32, 64, 128, 256, 512), "depths": (1, 2, 3), "epochs": 600}
APPROXIMATION_WIDTHS = [1, 2, 4, 8, 16, 32, 64]
APPROXIMATION_STEPS, APPROXIMATION_LR = 600, 0.03
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]


@st.cache_resource(show_spinner=False)
def trained_composition(dataset: str, depth: int, width: int, activation: str, seed: int):
    """F = φ(N)∘…∘φ(1) trained by ERM on the 2-D set; shared between sessions, never mutated."""
    x, y = cache.toy_dataset(dataset, POINTS, DATA_NOISE, 0.0, seed)
    x_train, y_train, x_test, y_test = data.train_test_split(x, y, test_fraction=0.3, seed=seed)
    model = models.feed_forward(2, [width] * depth, int(y.max()) + 1, activation=activation, seed=seed)
    result = training.train(model, x_train, y_train, epochs=EPOCHS, x_test=x_test, y_test=y_test,
                            lr=LEARNING_RATE, batch_size=64, seed=seed, device=cache.device())
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model, result.history[-1]


def to_plane(z: torch.Tensor) -> tuple[torch.Tensor, str]:
    """2-D view of a representation: itself when 2-D, else its first two principal components."""
    z = z.detach().cpu().flatten(1)
    if z.shape[1] == 2:
        return z, "coordinates"
    if z.shape[1] == 1:
        return torch.cat([z, torch.zeros_like(z)], dim=1), "coordinate"
    _, _, directions = torch.pca_lowrank(z, q=2, center=True)
    return (z - z.mean(0)) @ directions, "PCA"


@st.cache_data(show_spinner=False)
def sweep_split(dataset: str, seed: int):
    x, y = data.toy_2d(dataset, SWEEP_POINTS, noise=SWEEP_NOISE, label_noise=SWEEP_LABEL_NOISE, seed=seed)
    return data.train_test_split(x, y, test_fraction=0.5, seed=seed)


def run_sweep(dataset: str, seed: int, settings: dict, progress=None) -> list[dict]:
    x_train, y_train, x_test, y_test = sweep_split(dataset, seed)
    return geometry.width_depth_sweep(x_train, y_train, x_test, y_test, widths=list(settings["widths"]),
                                      depths=list(settings["depths"]), epochs=settings["epochs"], seed=seed,
                                      device=cache.device(), lr=SWEEP_LR, batch_size=len(x_train),
                                      callback=progress)


@st.cache_data(show_spinner=False)
def quick_sweep(dataset: str, seed: int) -> list[dict]:
    return run_sweep(dataset, seed, QUICK_SWEEP)


@st.cache_data(show_spinner=False)
def approximation(function: str, widths: tuple[int, ...], seed: int) -> dict:
    result = geometry.universal_approximation(function, widths=list(widths), steps=APPROXIMATION_STEPS,
                                              lr=APPROXIMATION_LR, seed=seed, device=cache.device())
    return {key: value.numpy() if isinstance(value, torch.Tensor) else value for key, value in result.items()
            if key != "fits"} | {"fits": [fit.numpy() for fit in result["fits"]]}


layout.header(
    "2 · A network is a composition",
    r"""
A feed-forward network is a composition of simple layers
$F = \varphi^{(N)}\circ\dots\circ\varphi^{(1)}$ with $\varphi^{(i)}(z) = \sigma(W_i z + b_i)$ (the last layer is
affine and outputs the logits). Each layer **moves the data**: below, the training points after
$\varphi^{(1)}$, then $\varphi^{(2)}\circ\varphi^{(1)}$, … until the classes are linearly separable. Then: what
width and depth buy (over-parametrisation, overfitting), and why one hidden layer already suffices in
principle (Cybenko 1989).
""",
    uses="2-D toy sets (core.data.toy_2d) and feed-forward networks (core.models.feed_forward) trained here "
         "by ERM (core.training.train); 1-D sigmoid networks fitted by core.geometry.universal_approximation.",
)
seed = layout.seed_input()
device = cache.device()

# ── How each layer moves the data ─────────────────────────────────────────────
st.subheader("How each φ(i) moves the data")
columns = st.columns(4)
dataset = columns[0].selectbox("Dataset", data.TOY_DATASETS, key="comp_dataset")
depth = columns[1].slider("Depth N − 1 (hidden layers)", 1, 5, 3, key="comp_depth")
width = columns[2].select_slider("Width", [2, 3, 4, 8, 16, 32], value=2, key="comp_width",
                                 help="Width 2 shows each representation as it is; wider ones are projected "
                                      "on their first two principal components.")
activation = columns[3].selectbox("Activation σ", models.ACTIVATIONS, index=models.ACTIVATIONS.index("gelu"),
                                  key="comp_activation")
with st.spinner("Training the network…"):
    model, last = trained_composition(dataset, depth, width, activation, seed)
x, y = cache.toy_dataset(dataset, POINTS, DATA_NOISE, 0.0, seed)
with torch.no_grad():
    representations = model.representations(x.to(device))
names = ["input x"] + [f"φ({i})∘…∘φ(1)(x)" if i > 1 else "φ(1)(x)" for i in range(1, len(representations) - 1)]
names.append("logits F(x)")
metric_columns = st.columns(3)
metric_columns[0].metric("Train accuracy", f"{last['train_acc']:.1%}")
metric_columns[1].metric("Held-out accuracy", f"{last['test_acc']:.1%}")
metric_columns[2].metric("Parameters", f"{models.count_parameters(model):,}")
figure = make_subplots(rows=1, cols=len(representations), horizontal_spacing=0.03,
                       subplot_titles=[f"{name}<br><sup>dim {z.flatten(1).shape[1]}</sup>"
                                       for name, z in zip(names, representations)])
for column, z in enumerate(representations, start=1):
    plane, how = to_plane(z)
    for label in range(int(y.max()) + 1):
        mask = y == label
        figure.add_scatter(x=plane[mask, 0], y=plane[mask, 1], mode="markers", showlegend=column == 1,
                           name=f"class {label}", legendgroup=str(label),
                           marker=dict(color=COLORS[label], size=4), row=1, col=column)
    figure.update_xaxes(showticklabels=False, title_text=how, title_font_size=10, row=1, col=column)
    figure.update_yaxes(showticklabels=False, row=1, col=column)
figure.update_annotations(font_size=12)
figure.update_layout(height=300, margin=dict(l=10, r=10, t=60, b=30), legend=dict(orientation="h", y=-0.2))
st.plotly_chart(figure, key="comp_layers")

# ── Width and depth ───────────────────────────────────────────────────────────
st.subheader("Width and depth: over-parametrisation and overfitting")
st.markdown(f"Networks of every width and depth trained to convergence (full-batch Adam) on only "
            f"{SWEEP_POINTS // 2} points of *{dataset}* with {SWEEP_LABEL_NOISE:.0%} flipped labels: wide "
            "networks reach 100 % training accuracy by memorising the flipped labels; the held-out accuracy "
            "tells whether that hurt.")
full_key = f"comp_full_sweep_rows::{dataset}::{seed}"
if st.button("Compute the full sweep (9 widths × 3 depths, 600 epochs)", key="comp_full_sweep"):
    bar = st.progress(0.0, text="Training the sweep…")
    st.session_state[full_key] = run_sweep(dataset, seed, FULL_SWEEP,
                                           lambda done, total: bar.progress(done / total,
                                                                            text=f"Network {done} of {total}"))
    bar.empty()
rows = st.session_state.get(full_key)
if rows is None:
    with st.spinner("Training a small sweep…"):
        rows = quick_sweep(dataset, seed)
    st.caption("Quick sweep shown (3 widths, depth 2, 300 epochs); the button computes the full one.")
figure = go.Figure()
for k, sweep_depth in enumerate(sorted({row["depth"] for row in rows})):
    chosen = sorted((row for row in rows if row["depth"] == sweep_depth), key=lambda row: row["width"])
    color = COLORS[k % len(COLORS)]
    for split, dash in (("train", "solid"), ("test", "dash")):
        figure.add_scatter(x=[row["width"] for row in chosen], y=[row[f"{split}_acc"] for row in chosen],
                           mode="lines+markers", line=dict(color=color, dash=dash),
                           name=f"depth {sweep_depth} · {'train' if split == 'train' else 'held-out'}",
                           customdata=[row["parameters"] for row in chosen],
                           hovertemplate="width %{x}<br>accuracy %{y:.0%}<br>%{customdata} parameters")
figure.update_layout(height=340, margin=dict(l=10, r=10, t=30, b=10), xaxis=dict(type="log", title="width"),
                     yaxis=dict(title="accuracy", tickformat=".0%"))
st.plotly_chart(figure, key="comp_sweep")
widest = max(rows, key=lambda row: (row["width"], row["depth"]))
metric_columns = st.columns(2)
metric_columns[0].metric(f"Widest network (width {widest['width']}, depth {widest['depth']}): train accuracy",
                         f"{widest['train_acc']:.0%}")
metric_columns[1].metric("… and held-out accuracy", f"{widest['test_acc']:.0%}",
                         delta=f"{widest['test_acc'] - widest['train_acc']:+.0%} gap", delta_color="off")

# ── Universal approximation ──────────────────────────────────────────────────
st.subheader("One hidden layer suffices: Cybenko's universal approximation")
st.markdown(r"Finite sums $g(t) = \sum_{j=1}^{N} a_j\,\sigma(w_j t + b_j) + c$ of sigmoids are dense in "
            r"$C([0,1])$ (Cybenko 1989): for every continuous $f$ and $\epsilon > 0$ some width $N$ gives "
            r"$\sup_t |g(t) - f(t)| < \epsilon$. Below, one-hidden-layer fits of growing width $N$ "
            f"({APPROXIMATION_STEPS} Adam steps on the mean squared error).")
columns = st.columns(2)
function = columns[0].selectbox("Function f", list(geometry.TARGET_FUNCTIONS), key="comp_function")
max_width = columns[1].select_slider("Largest width N", APPROXIMATION_WIDTHS[1:], value=32, key="comp_max_width")
widths = tuple(w for w in APPROXIMATION_WIDTHS if w <= max_width)
with st.spinner("Fitting the sigmoid networks…"):
    fits = approximation(function, widths, seed)
figure = make_subplots(rows=1, cols=2, column_widths=[0.65, 0.35],
                       subplot_titles=("f and its fits", "mean squared error vs width"))
figure.add_scatter(x=fits["xs"], y=fits["target"], name="f", line=dict(color="black", width=4), row=1, col=1)
for fit_width, curve in zip(fits["widths"], fits["fits"]):
    figure.add_scatter(x=fits["xs"], y=curve, name=f"N = {fit_width}", mode="lines", row=1, col=1)
figure.add_scatter(x=fits["widths"], y=fits["mse"], mode="lines+markers", name="MSE", showlegend=False,
                   line=dict(color="black"), row=1, col=2)
figure.update_xaxes(title_text="t", row=1, col=1)
figure.update_xaxes(type="log", title_text="width N", row=1, col=2)
figure.update_yaxes(type="log", row=1, col=2)
figure.update_layout(height=360, margin=dict(l=10, r=10, t=40, b=10))
st.plotly_chart(figure, key="comp_approximation")
metric_columns = st.columns(len(fits["widths"]))
for column, fit_width, mse in zip(metric_columns, fits["widths"], fits["mse"]):
    column.metric(f"MSE, N = {fit_width}", f"{mse:.2e}")

layout.show_code(models.feed_forward, models.Layered.representations, geometry.width_depth_sweep,
                 geometry.universal_approximation)
