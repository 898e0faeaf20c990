"""1 · ERM playground: train a small network on a 2-D set and watch empirical vs held-out risk.

Stateful: a core.scenes.erm_playground.Session (mutated by Train / Step / Reset) lives in this
session's state; every number and array drawn comes from its frozen view()."""

from core.scenes import erm_playground as scene
from ui import frame, layout, lecture, url
from ui.figures import erm_playground as figures
from ui.frame import st

STATE_KEY = "p01_state"
HISTORY_KEY = scene.PARAMETERS["run"].key  # the Train / Step / Reset clicks since the opening (history())
PENDING_KEY = "p01_pending"  # a link's replay beyond the budget (scene.Replay), waiting for its button
P = scene.PARAMETERS

frame.header("p01_erm_playground")
seed = layout.seed_input()

controls, board = st.columns([1, 3], gap="large")
with controls:
    st.markdown("**Data**")
    dataset = url.selectbox("Dataset", P["dataset"])
    label_noise = url.slider("Label noise (share of flipped labels)", P["label_noise"])
    test_fraction = url.slider("Held-out fraction", P["test_fraction"])
    st.markdown("**Network and loss**")
    depth = url.slider("Depth (hidden layers)", P["depth"])
    width = url.select_slider("Width (neurons per hidden layer)", P["width"])
    activation = url.selectbox("Activation σ", P["activation"])
    loss = url.selectbox("Loss ℓ", P["loss"], format_func=scene.LOSS_LABELS.get)
    lr = url.select_slider("Learning rate", P["lr"])
    network = dict(depth=depth, width=width, activation=activation, loss=loss, lr=lr)
    split = dict(dataset=dataset, label_noise=label_noise, test_fraction=test_fraction)
    spec = frame.compute(scene.spec, spinner=None, **split, **network, seed=seed)

    session = st.session_state.get(STATE_KEY)
    if session is None or session.spec != spec:
        st.session_state.pop(PENDING_KEY, None)
        bar, progress = frame.progress_bar("Training", "epochs")
        history = url.carried(HISTORY_KEY) if session is None else ""  # a link's clicks
        try:
            session = scene.replayed(spec, history, progress)
        except scene.OverBudget as error:  # more than a link starts by itself: the opening and a button
            st.session_state[PENDING_KEY] = error.replay
            session = scene.opened(spec, progress)
        except ValueError as error:
            st.warning(str(error))
            session = scene.opened(spec, progress)
        bar.empty()
        st.session_state[STATE_KEY] = session

    st.markdown("**Training**")
    epochs = url.number_input("Epochs per Train", P["epochs"])
    unit = url.radio("Step =", P["step_unit"], horizontal=True)
    train_col, step_col, reset_col = st.columns(3)
    if train_col.button("Train", key="p01_train", type="primary"):
        bar, progress = frame.progress_bar("Training", "epochs")
        session.train(int(epochs), progress)
        bar.empty()
    if step_col.button("Step", key="p01_step"):
        session.step(unit)
    if reset_col.button("Reset", key="p01_reset", help="Back to the seeded initialisation θ₀, untrained."):
        session.reset()
    if session.history():  # the lecturer's own clicks replace a link's replay not yet run
        st.session_state.pop(PENDING_KEY, None)

pending = st.session_state.get(PENDING_KEY)
if pending is not None:
    run = dict(
        title="Replaying the link's training", unit="epochs and steps", note=pending.refusal(), where=board
    )
    link = dict(spec=spec, history=pending.history, beyond_budget=True)
    replayed = frame.slow_run("p01_replay", pending.button(), scene.replayed, **run, **link)
    if replayed is not None:
        session = st.session_state[STATE_KEY] = replayed
        del st.session_state[PENDING_KEY]
        pending = None
# So a copied link replays these clicks (or, until its button is pressed, the link's own).
url.carry(HISTORY_KEY, pending.history if pending is not None else session.history())

view = session.view()
with board, lecture.step(2):
    top, bottom = st.columns(3), st.columns(3)
    top[0].metric("Epoch", view.epoch, help=f"{view.steps} mini-batch steps so far.")
    top[1].metric("Empirical risk R̂(θ)", f"{view.train_loss:.3f}")
    top[2].metric("Held-out risk", f"{view.test_loss:.3f}")
    bottom[0].metric("Generalisation gap", f"{view.gap:+.3f}", help="Held-out risk minus empirical risk.")
    bottom[1].metric("Train accuracy", f"{view.train_acc:.1%}")
    bottom[2].metric("Held-out accuracy", f"{view.test_acc:.1%}")
    if view.stalled:
        st.warning(scene.stall_hint(view, session.spec))
    st.latex(view.empirical_latex)
    st.latex(view.held_out_latex)
with board, lecture.step(3):
    st.plotly_chart(figures.curves(view), key="p01_curves")
    st.plotly_chart(figures.decision_regions(view), key="p01_regions")

frame.code(scene.spec, scene.Session)
