"""1 · ERM playground: train a small network on a 2-D set and watch empirical vs held-out risk."""
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from core import data, geometry, models, training
from ui import cache, layout

POINTS, DATA_NOISE, BATCH_SIZE = 400, 0.1, 32
AUTO_EPOCHS = 30            # trained at first paint and after a change, so the page shows its point
WIDTHS = [2, 4, 8, 16, 32, 64, 128]
LEARNING_RATES = [1e-3, 3e-3, 1e-2, 3e-2, 1e-1]
LOSS_LABELS = {"ce": "cross-entropy", "hinge": "multi-class hinge"}
LOSS_FORMULAS = {"ce": r"-\log \frac{e^{F_\theta(x)_y}}{\sum_j e^{F_\theta(x)_j}}",
                 "hinge": r"\max\big(0,\ 1 + \max_{j \ne y} F_\theta(x)_j - F_\theta(x)_y\big)"}
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
STATE_KEY = "erm_state"


def new_state(config: dict, seed: int) -> dict:
    """A fresh Trainer (per session: it is mutated by training) on the chosen data and network."""
    x, y = cache.toy_dataset(config["dataset"], POINTS, DATA_NOISE, config["label_noise"], seed)
    x_train, y_train, x_test, y_test = data.train_test_split(x, y, test_fraction=config["test_fraction"],
                                                             seed=seed)
    classes = int(y.max()) + 1
    model = models.feed_forward(2, [config["width"]] * config["depth"], classes,
                                activation=config["activation"], seed=seed)
    trainer = training.Trainer(model, x_train, y_train, x_test=x_test, y_test=y_test, loss=config["loss"],
                               lr=config["lr"], batch_size=BATCH_SIZE, seed=seed, device=cache.device())
    return {"config": config, "seed": seed, "trainer": trainer, "rows": [trainer.evaluate()],
            "split": (x_train, y_train, x_test, y_test), "classes": classes}


def train_epochs(state: dict, epochs: int) -> None:
    """Run ``epochs`` epochs with a progress bar (outside any cached function)."""
    trainer = state["trainer"]
    bar = st.progress(0.0, text="Training…")
    for done in range(1, epochs + 1):
        state["rows"].append(trainer.epoch())
        bar.progress(done / epochs, text=f"Epoch {trainer.epoch_count}")
    bar.empty()


layout.header(
    "1 · ERM playground",
    r"""
**Empirical risk minimisation.** Given $m$ training examples $(x_i, y_i)$ drawn from $\mathcal D$, pick
the parameters $\theta$ of a network $F_\theta$ that minimise the empirical risk
$\hat R(\theta) = \frac1m \sum_{i=1}^m \ell(F_\theta(x_i), y_i)$. What we care about is the true risk
$R(\theta) = \mathbb E_{(x,y)\sim\mathcal D}\,\ell(F_\theta(x), y)$, estimated on held-out examples; their
difference is the **generalisation gap**. Change the data, the network or the loss, and train.
""",
    uses="a 2-D toy set (core.data.toy_2d, 400 points in [0, 1]²) and a feed-forward network "
         "F = φ(N)∘…∘φ(1) trained here with mini-batch Adam (core.training.Trainer).",
)
seed = layout.seed_input()

controls, board = st.columns([1, 3], gap="large")
with controls:
    st.markdown("**Data**")
    dataset = st.selectbox("Dataset", data.TOY_DATASETS, key="erm_dataset")
    label_noise = st.slider("Label noise (share of flipped labels)", 0.0, 0.4, 0.0, 0.05, key="erm_label_noise")
    test_fraction = st.slider("Held-out fraction", 0.1, 0.7, 0.3, 0.05, key="erm_test_fraction")
    st.markdown("**Network and loss**")
    depth = st.slider("Depth (hidden layers)", 1, 5, 2, key="erm_depth")
    width = st.select_slider("Width (neurons per hidden layer)", WIDTHS, value=16, key="erm_width")
    activation = st.selectbox("Activation σ", models.ACTIVATIONS, key="erm_activation")
    loss = st.selectbox("Loss ℓ", training.LOSSES, format_func=LOSS_LABELS.get, key="erm_loss")
    lr = st.select_slider("Learning rate", LEARNING_RATES, value=3e-2, key="erm_lr")
    config = {"dataset": dataset, "label_noise": label_noise, "test_fraction": test_fraction, "depth": depth,
              "width": width, "activation": activation, "loss": loss, "lr": lr}

    state = st.session_state.get(STATE_KEY)
    if state is None or state["config"] != config or state["seed"] != seed:
        try:
            state = new_state(config, seed)
        except ValueError as error:
            layout.fail(str(error))
        st.session_state[STATE_KEY] = state
        train_epochs(state, AUTO_EPOCHS)

    st.markdown("**Training**")
    epochs = st.number_input("Epochs per Train", 1, 500, 20, key="erm_epochs")
    unit = st.radio("Step =", ["one epoch", "one mini-batch"], horizontal=True, key="erm_step_unit")
    train_col, step_col, reset_col = st.columns(3)
    if train_col.button("Train", key="erm_train", type="primary"):
        train_epochs(state, int(epochs))
    if step_col.button("Step", key="erm_step"):
        if unit == "one epoch":
            state["rows"].append(state["trainer"].epoch())
        else:
            state["trainer"].step()
            state["rows"].append(state["trainer"].evaluate())
    if reset_col.button("Reset", key="erm_reset", help="New initialisation θ₀, untrained."):
        state = new_state(config, seed)
        st.session_state[STATE_KEY] = state

trainer, rows = state["trainer"], state["rows"]
current = rows[-1]
m, m_test = len(state["split"][0]), len(state["split"][2])
epochs_axis = [row["step"] / trainer.steps_per_epoch for row in rows]

with board:
    top, bottom = st.columns(3), st.columns(3)
    top[0].metric("Epoch", trainer.epoch_count, help=f"{trainer.step_count} mini-batch steps so far.")
    top[1].metric("Empirical risk R̂(θ)", f"{current['train_loss']:.3f}")
    top[2].metric("Held-out risk", f"{current['test_loss']:.3f}")
    bottom[0].metric("Generalisation gap", f"{current['test_loss'] - current['train_loss']:+.3f}",
                     help="Held-out risk minus empirical risk.")
    bottom[1].metric("Train accuracy", f"{current['train_acc']:.1%}")
    bottom[2].metric("Held-out accuracy", f"{current['test_acc']:.1%}")
    st.latex(rf"\hat R(\theta) = \frac{{1}}{{m}}\sum_{{i=1}}^{{m}} \ell\big(F_\theta(x_i), y_i\big) "
             rf"= {current['train_loss']:.3f}\quad\text{{with }} m = {m},\quad "
             rf"\ell(F_\theta(x), y) = {LOSS_FORMULAS[loss]}")
    st.latex(rf"\hat R_{{\text{{held-out}}}}(\theta) = \frac{{1}}{{{m_test}}}\sum_{{j=1}}^{{{m_test}}} "
             rf"\ell\big(F_\theta(x'_j), y'_j\big) = {current['test_loss']:.3f}")

    curves = make_subplots(rows=1, cols=2, subplot_titles=("Risk per epoch", "Accuracy per epoch"))
    for column, key, name in ((1, "loss", "risk"), (2, "acc", "accuracy")):
        curves.add_scatter(x=epochs_axis, y=[row[f"train_{key}"] for row in rows], name=f"empirical {name}",
                           mode="lines", line=dict(color=COLORS[0]), row=1, col=column)
        curves.add_scatter(x=epochs_axis, y=[row[f"test_{key}"] for row in rows], name=f"held-out {name}",
                           mode="lines", line=dict(color=COLORS[1], dash="dash"), row=1, col=column)
    curves.update_xaxes(title_text="epoch")
    curves.update_layout(height=300, margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.25))
    st.plotly_chart(curves, key="erm_curves")

    x_train, y_train, x_test, y_test = state["split"]
    trainer.model.eval()
    regions = geometry.decision_regions(trainer.model, bounds=(0.0, 1.0), resolution=120,
                                        device=cache.device())
    figure = go.Figure()
    figure.add_contour(x=regions.xs.numpy(), y=regions.ys.numpy(), z=regions.labels.numpy(), showscale=False,
                       opacity=0.35,
                       colorscale=[[k / max(1, state["classes"] - 1), COLORS[k]] for k in range(state["classes"])],
                       contours=dict(coloring="fill", showlines=False), hoverinfo="skip", name="F_θ decision")
    for label in range(state["classes"]):
        for xs, ys, symbol, split in ((x_train, y_train, "circle", "train"), (x_test, y_test, "x", "held-out")):
            mask = ys == label
            figure.add_scatter(x=xs[mask, 0], y=xs[mask, 1], mode="markers", name=f"{split} · class {label}",
                               marker=dict(color=COLORS[label], symbol=symbol, size=6,
                                           line=dict(width=0.5, color="white")))
    figure.update_layout(height=460, margin=dict(l=10, r=10, t=30, b=10), title="Decision regions of F_θ",
                         xaxis=dict(range=[0, 1], constrain="domain"),
                         yaxis=dict(range=[0, 1], scaleanchor="x"))
    st.plotly_chart(figure, key="erm_regions")

layout.show_code(training.Trainer.step, training.Trainer.epoch, training.empirical_risk,
                 geometry.decision_regions)
