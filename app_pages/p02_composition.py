"""2 · A network is a composition F = φ(N)∘…∘φ(1): what each layer does to the data, width and
depth (over-parametrisation, overfitting), and Cybenko's universal approximation."""

from core.scenes import composition as scene
from ui import frame, layout, lecture, url
from ui.figures import composition as figures
from ui.frame import st


def full_sweep(*, dataset: str, seed: int, progress):
    """Every network of the full sweep (each cached for every session), then its summary."""
    epochs = scene.FULL_SWEEP["epochs"]
    calls = [
        dict(dataset=dataset, width=w, depth=d, epochs=epochs, seed=seed) for w, d in scene.sweep_pairs(True)
    ]
    return scene.summarise(frame.each(scene.sweep_network, calls, progress), dataset=dataset, full=True)


frame.header("p02_composition")
seed = layout.seed_input()
P = scene.PARAMETERS
WIDTH_HELP = (
    "Width 2 shows each representation as it is; wider ones are projected on their first two "
    "principal components."
)

# ── How each layer moves the data ─────────────────────────────────────────────
st.subheader("How each φ(i) moves the data")
columns = st.columns(4)
dataset = url.selectbox("Dataset", P["dataset"], where=columns[0])
depth = url.slider("Depth N − 1 (hidden layers)", P["depth"], where=columns[1])
width = url.select_slider("Width", P["width"], where=columns[2], help=WIDTH_HELP)
activation = url.selectbox("Activation σ", P["activation"], where=columns[3])
network = dict(dataset=dataset, depth=depth, width=width, activation=activation, seed=seed)
result = frame.compute(scene.layers, spinner="Training the network…", **network)
lecture.section(2)
columns = st.columns(3)
columns[0].metric("Train accuracy", f"{result.train_acc:.1%}")
columns[1].metric("Held-out accuracy", f"{result.test_acc:.1%}")
columns[2].metric("Parameters", f"{result.parameters:,}")
st.plotly_chart(figures.layers(result), key="p02_layers")
st.caption(result.caption)

lecture.section(3)
# ── Width and depth ───────────────────────────────────────────────────────────
st.subheader("Width and depth: over-parametrisation and overfitting")
st.markdown(
    f"Networks of every width and depth trained to convergence (full-batch Adam) on only "
    f"{scene.SWEEP_POINTS // 2} points of *{dataset}* with {scene.SWEEP_LABEL_NOISE:.0%} flipped labels: "
    "does a network wide enough to memorise the flipped labels lose held-out accuracy?"
)
full = scene.FULL_SWEEP
size = f"{len(full['widths'])} widths × {len(full['depths'])} depths, {full['epochs']} epochs"
label = f"Compute the full sweep ({size})"
training = dict(title="Training the sweep", unit="networks")
sweep = frame.slow_run("p02_full_sweep", label, full_sweep, **training, dataset=dataset, seed=seed)
if sweep is None:
    sweep = frame.compute(scene.sweep, spinner="Training a small sweep…", dataset=dataset, seed=seed)
    quick = scene.QUICK_SWEEP
    depths = ", ".join(map(str, quick["depths"]))
    st.caption(
        f"Quick sweep shown ({len(quick['widths'])} widths, depth {depths}, {quick['epochs']} epochs); "
        "the button computes the full one."
    )
st.plotly_chart(figures.sweep(sweep), key="p02_sweep")
widest = sweep.widest
columns = st.columns(2)
label = f"Widest network (width {widest.width}, depth {widest.depth}): train accuracy"
columns[0].metric(label, f"{widest.train_acc:.0%}")
columns[1].metric(
    "… and held-out accuracy", f"{widest.test_acc:.0%}", delta=f"{sweep.gap:+.0%} gap", delta_color="off"
)
st.caption(sweep.caption)

lecture.section(4)
# ── Universal approximation ──────────────────────────────────────────────────
st.subheader("One hidden layer suffices: Cybenko's universal approximation")
st.markdown(scene.CYBENKO)
columns = st.columns(2)
function = url.selectbox("Function f", P["function"], where=columns[0])
max_width = url.select_slider("Largest width N", P["max_width"], where=columns[1])
fitting = "Fitting the sigmoid networks…"
fits = frame.compute(scene.approximation, spinner=fitting, function=function, max_width=max_width, seed=seed)
st.markdown(fits.theorem)
st.plotly_chart(figures.approximation(fits), key="p02_approximation")
for column, fit_width, mse in zip(st.columns(len(fits.widths)), fits.widths, fits.mse):
    column.metric(f"MSE, N = {fit_width}", f"{mse:.2e}")
st.caption(fits.caption)

frame.code(scene.layers, scene.sweep, scene.approximation)
