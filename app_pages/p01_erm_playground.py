"""1 · ERM playground: train a small network on a 2-D set and watch empirical vs held-out risk.

Stateful: a core.scenes.erm_playground.Session (mutated by Train / Step / Reset) lives in this
session's state; every number and array drawn comes from its frozen view()."""
import streamlit as st

from core.scenes import erm_playground as erm
from ui import layout, lecture, frame
from ui import url
from ui.figures import erm_playground as figures

STATE_KEY = "erm_state"
HISTORY_KEY = "erm_run"     # the Train / Step / Reset clicks since the opening (Session.history)
PENDING_KEY = "erm_pending"     # a link's replay beyond the budget (erm.Replay), waiting for its button


def progress_bar(text: str, label: str = "Epoch {done} of {total}"):
    """A Streamlit progress bar as a ``progress(done, total)`` callback (and the bar, to empty it)."""
    bar = st.progress(0.0, text=text)
    return bar, lambda done, total: bar.progress(done / total, text=label.format(done=done, total=total))


frame.header("p01_erm_playground", erm.EXPLANATION, erm.USES)
seed = layout.seed_input()

controls, board = st.columns([1, 3], gap="large")
with controls:
    st.markdown("**Data**")
    dataset = url.selectbox("Dataset", erm.DATASETS, index=erm.DATASETS.index(erm.DEFAULTS["dataset"]),
                           key="erm_dataset")
    label_noise = url.slider("Label noise (share of flipped labels)", *erm.LABEL_NOISE_RANGE[:2],
                            erm.DEFAULTS["label_noise"], erm.LABEL_NOISE_RANGE[2], key="erm_label_noise")
    test_fraction = url.slider("Held-out fraction", *erm.TEST_FRACTION_RANGE[:2],
                              erm.DEFAULTS["test_fraction"], erm.TEST_FRACTION_RANGE[2],
                              key="erm_test_fraction")
    st.markdown("**Network and loss**")
    depth = url.slider("Depth (hidden layers)", *erm.DEPTH_RANGE, erm.DEFAULTS["depth"], key="erm_depth")
    width = url.select_slider("Width (neurons per hidden layer)", erm.WIDTHS, value=erm.DEFAULTS["width"],
                             key="erm_width")
    activation = url.selectbox("Activation σ", erm.ACTIVATIONS,
                              index=erm.ACTIVATIONS.index(erm.DEFAULTS["activation"]), key="erm_activation")
    loss = url.selectbox("Loss ℓ", erm.LOSSES, format_func=erm.LOSS_LABELS.get, key="erm_loss")
    lr = url.select_slider("Learning rate", erm.LEARNING_RATES, value=erm.DEFAULTS["lr"], key="erm_lr")
    spec = frame.compute(erm.spec, spinner=None, dataset=dataset, label_noise=label_noise,
                         test_fraction=test_fraction, depth=depth, width=width, activation=activation,
                         loss=loss, lr=lr, seed=seed)

    session = st.session_state.get(STATE_KEY)
    if session is None or session.spec != spec:
        st.session_state.pop(PENDING_KEY, None)
        bar, progress = progress_bar("Training…")
        history = st.query_params.get(HISTORY_KEY, "") if session is None else ""   # a link's clicks
        try:
            session = erm.replayed(spec, history, progress)
        except erm.OverBudget as error:     # more than a link starts by itself: the opening and a button
            st.session_state[PENDING_KEY] = error.replay
            session = erm.opened(spec, progress)
        except ValueError as error:
            st.warning(str(error))
            session = erm.opened(spec, progress)
        bar.empty()
        st.session_state[STATE_KEY] = session

    st.markdown("**Training**")
    low, high, default = erm.EPOCHS_PER_TRAIN
    epochs = url.number_input("Epochs per Train", low, high, default, key="erm_epochs")
    unit = url.radio("Step =", erm.STEP_UNITS, horizontal=True, key="erm_step_unit")
    train_col, step_col, reset_col = st.columns(3)
    if train_col.button("Train", key="erm_train", type="primary"):
        bar, progress = progress_bar("Training…")
        session.train(int(epochs), progress)
        bar.empty()
    if step_col.button("Step", key="erm_step"):
        session.step(unit)
    if reset_col.button("Reset", key="erm_reset", help="Back to the seeded initialisation θ₀, untrained."):
        session.reset()
    if session.history():       # the lecturer's own clicks replace a link's replay not yet run
        st.session_state.pop(PENDING_KEY, None)

pending = st.session_state.get(PENDING_KEY)
if pending is not None:
    with board:
        offer = st.empty()
        with offer.container():
            st.info(pending.refusal())
            replay = st.button(pending.button(), key="erm_replay")
        if replay:
            bar, progress = progress_bar("Replaying the link's training…", "Replaying: {done} of {total}")
            session = erm.replayed(spec, pending.history, progress, beyond_budget=True)
            bar.empty()
            offer.empty()
            st.session_state[STATE_KEY] = session
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
        st.warning(erm.stall_hint(view, session.spec))
    st.latex(view.empirical_latex)
    st.latex(view.held_out_latex)
with board, lecture.step(3):
    st.plotly_chart(figures.curves(view), key="erm_curves")
    st.plotly_chart(figures.decision_regions(view), key="erm_regions")

frame.code(erm.spec, erm.Session)
