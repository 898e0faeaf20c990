"""2 · A network is a composition F = φ(N)∘…∘φ(1): what each layer does to the data, width and
depth (over-parametrisation, overfitting), and Cybenko's universal approximation."""
import streamlit as st

from core.scenes import composition
from ui import layout, lecture, frame
from ui import url
from ui.figures import composition as figures

frame.header("p02_composition", composition.EXPLANATION, composition.USES)
seed = layout.seed_input()
defaults = composition.DEFAULTS

# ── How each layer moves the data ─────────────────────────────────────────────
st.subheader("How each φ(i) moves the data")
columns = st.columns(4)
dataset = url.selectbox("Dataset", composition.DATASETS, key="comp_dataset", where=columns[0],
                        index=composition.DATASETS.index(defaults["dataset"]))
depth = url.slider("Depth N − 1 (hidden layers)", *composition.DEPTH_RANGE, defaults["depth"],
                   key="comp_depth", where=columns[1])
width = url.select_slider("Width", composition.WIDTHS, value=defaults["width"], key="comp_width",
                          where=columns[2], help="Width 2 shows each representation as it is; wider ones are "
                                                 "projected on their first two principal components.")
activation = url.selectbox("Activation σ", composition.ACTIVATIONS, where=columns[3], key="comp_activation",
                           index=composition.ACTIVATIONS.index(defaults["activation"]))
result = frame.compute(composition.layers, spinner="Training the network…", dataset=dataset, depth=depth,
                       width=width, activation=activation, seed=seed)
lecture.section(2)
metric_columns = st.columns(3)
metric_columns[0].metric("Train accuracy", f"{result.train_acc:.1%}")
metric_columns[1].metric("Held-out accuracy", f"{result.test_acc:.1%}")
metric_columns[2].metric("Parameters", f"{result.parameters:,}")
st.plotly_chart(figures.layers(result), key="comp_layers")
st.caption(result.caption)

lecture.section(3)
# ── Width and depth ───────────────────────────────────────────────────────────
st.subheader("Width and depth: over-parametrisation and overfitting")
st.markdown(f"Networks of every width and depth trained to convergence (full-batch Adam) on only "
            f"{composition.SWEEP_POINTS // 2} points of *{dataset}* with "
            f"{composition.SWEEP_LABEL_NOISE:.0%} flipped labels: does a network wide enough to memorise the "
            "flipped labels lose held-out accuracy?")
full_key = f"comp_full_sweep::{dataset}::{seed}"
pairs = composition.sweep_pairs(full=True)
if st.button(f"Compute the full sweep ({len(composition.FULL_SWEEP['widths'])} widths × "
             f"{len(composition.FULL_SWEEP['depths'])} depths, {composition.FULL_SWEEP['epochs']} epochs)",
             key="comp_full_sweep"):
    bar = st.progress(0.0, text="Training the sweep…")
    rows = []
    for done, (sweep_width, sweep_depth) in enumerate(pairs, start=1):
        rows.append(frame.compute(composition.sweep_network, spinner=None, dataset=dataset, width=sweep_width,
                                  depth=sweep_depth, epochs=composition.FULL_SWEEP["epochs"], seed=seed))
        bar.progress(done / len(pairs), text=f"Network {done} of {len(pairs)}")
    bar.empty()
    st.session_state[full_key] = composition.summarise(rows, dataset=dataset, full=True)
sweep = st.session_state.get(full_key)
if sweep is None:
    sweep = frame.compute(composition.sweep, spinner="Training a small sweep…", dataset=dataset, seed=seed)
    quick = composition.QUICK_SWEEP
    st.caption(f"Quick sweep shown ({len(quick['widths'])} widths, depth "
               f"{', '.join(map(str, quick['depths']))}, {quick['epochs']} epochs); the button computes the "
               "full one.")
st.plotly_chart(figures.sweep(sweep), key="comp_sweep")
widest = sweep.widest
metric_columns = st.columns(2)
metric_columns[0].metric(f"Widest network (width {widest.width}, depth {widest.depth}): train accuracy",
                         f"{widest.train_acc:.0%}")
metric_columns[1].metric("… and held-out accuracy", f"{widest.test_acc:.0%}",
                         delta=f"{sweep.gap:+.0%} gap", delta_color="off")
st.caption(sweep.caption)

lecture.section(4)
# ── Universal approximation ──────────────────────────────────────────────────
st.subheader("One hidden layer suffices: Cybenko's universal approximation")
st.markdown(composition.CYBENKO)
columns = st.columns(2)
function = url.selectbox("Function f", composition.FUNCTIONS, key="comp_function", where=columns[0])
max_width = url.select_slider("Largest width N", composition.APPROXIMATION_WIDTHS[1:], where=columns[1],
                               value=composition.DEFAULT_MAX_WIDTH, key="comp_max_width")
fits = frame.compute(composition.approximation, spinner="Fitting the sigmoid networks…", function=function,
                     max_width=max_width, seed=seed)
st.markdown(fits.theorem)
st.plotly_chart(figures.approximation(fits), key="comp_approximation")
metric_columns = st.columns(len(fits.widths))
for column, fit_width, mse in zip(metric_columns, fits.widths, fits.mse):
    column.metric(f"MSE, N = {fit_width}", f"{mse:.2e}")
st.caption(fits.caption)

frame.code(composition.layers, composition.sweep, composition.approximation)
