"""6 · Adversarial training (Madry et al. 2018; Wong et al. 2020): train on the worst point of each
ε-ball, measured with the talk's table (natural / PGD-20 / CW-30). Computed by
core.scenes.adversarial_training."""

from core.scenes import adversarial_training as scene
from ui import frame, layout, lecture, recompute, url
from ui.figures import adversarial_training as figures
from ui.frame import st

P = scene.PARAMETERS

frame.header("p06_adversarial_training")
seed = layout.seed_input()

choices, default = scene.datasets()
titles = dict(format_func=scene.DATASET_TITLES.get, index=choices.index(default))
dataset = url.selectbox("Image dataset", P["dataset"], choices=choices, where=st.sidebar, **titles)
result = frame.compute(scene.images, dataset=dataset, seed=seed)
lecture.predict(scene.PREDICTION, key="p06_guess")
lecture.reveal(scene.PREDICTION, scene.verdict(result), key="p06_guess", at=2)
lecture.section(3)
images_tab, toy_tab = st.tabs(
    [f"The talk's table ({result.title})", "2-D: decision regions after adversarial training"]
)

with images_tab:
    for message in result.missing:
        st.info(message)
    if result.models and result.gallery is None:
        label = f"Run PGD-20 and CW-30 on the {result.title} gallery images (seed {seed})"
        if frame.clicked("p06_gallery_button", label, (dataset, seed), type="primary"):
            spinner = "PGD-20 and CW-30 on the gallery images (a few minutes on a busy CPU)…"
            result = frame.compute(scene.images, spinner=spinner, dataset=dataset, seed=seed, live=True)
        else:
            st.caption(
                f"The gallery attacks are shipped for seed 0 (`{scene.BUILD_COMMAND}`); for seed {seed} they "
                "run at the click. The shipped test-set rows and Madry et al.'s are below."
            )
    if result.gallery:
        columns = st.columns(2 * len(result.gallery))
        for position, (kind, table) in enumerate(result.gallery.items()):
            name = result.models[kind]
            columns[2 * position].metric(f"{name} · natural", f"{table['natural']:.0%}")
            columns[2 * position + 1].metric(
                f"{name} · PGD-20", f"{table['pgd']:.0%}", help=f"ℓ∞ budget ε = {result.eps_text}"
            )
    if result.models:
        st.dataframe(figures.table(result.table_rows), hide_index=True, width="stretch")
        for note in result.shipped_notes:
            st.caption(note)
        gallery_note = (
            f"Gallery rows: {result.gallery_source}, core.evaluation.robustness_table's "
            "per-image rows; 20 images give a coarse estimate: 1 image = "
            f"{result.points_per_image:g} points. "
            if result.gallery
            else ""
        )
        st.caption(
            f"{gallery_note}ℓ∞ ε = {result.eps_text}. Madry et al.'s rows are the published "
            "numbers (— where none is published or checked). " + " ".join(result.notes)
        )
        if result.gallery:
            with st.expander("Image by image: the class F gives each gallery image, natural and attacked"):
                st.dataframe(list(result.gallery_images), hide_index=True, width="stretch")
        recompute.robustness_panel(
            list(result.models.values()), result.shipped, dataset=dataset, seed=seed, key="p06_recompute"
        )

with images_tab, lecture.step(4):
    st.subheader("The price: training time")
    cost = result.cost
    if cost is not None:
        standard, adversarial = cost.rows
        columns = st.columns(4)
        for column, row in zip(columns, cost.rows):
            column.metric(
                f"{row.kind.capitalize()} recipe · s/epoch",
                f"{row.seconds_per_epoch:.0f} s",
                help=f"{row.recipe} on {row.machine}: {row.timed_steps} timed steps",
            )
        columns[2].metric(
            "Gradient computations per step",
            f"{adversarial.gradient_computations} vs {standard.gradient_computations}",
            help="forward and backward passes, from the recipes",
        )
        if cost.epoch_ratio is not None:
            columns[3].metric("Adversarial / standard, per epoch (one machine)", f"{cost.epoch_ratio:.1f}×")
        st.dataframe(figures.cost_table(cost), hide_index=True, width="stretch")
        st.caption(cost.caption)
    else:
        st.info(result.cost_note)
    if result.entries:
        if result.time_ratio is not None:
            st.metric("Zoo wall times, adversarial / standard (same device)", f"{result.time_ratio:.1f}×")
        st.dataframe(figures.wall_time_table(result.entries), hide_index=True, width="stretch")
        st.caption(result.wall_time_caption)
    if result.bn_note:
        st.caption(result.bn_note)

with toy_tab:
    controls, board = st.columns([1, 3], gap="large")
    with controls:
        toy_eps = url.select_slider("Budget ε (ℓ∞), for training and for the attacks", P["eps"])
    toy = frame.compute(
        scene.toy, spinner="Training and attacking the toy networks…", eps=float(toy_eps), seed=seed
    )
    with board:
        columns = st.columns(4)
        pairs = (("Standard", toy.standard), ("Adversarial", toy.adversarial))
        for offset, (label, model) in enumerate(pairs):
            columns[2 * offset].metric(f"{label} · natural", f"{model.natural:.1%}")
            columns[2 * offset + 1].metric(f"{label} · PGD-20", f"{model.pgd:.1%}")
        left, right = st.columns(2)
        left.plotly_chart(figures.toy_regions(toy, toy.standard), key="p06_toy_standard")
        right.plotly_chart(figures.toy_regions(toy, toy.adversarial), key="p06_toy_adversarial")
        st.caption(scene.toy_caption(toy))

frame.code(scene.images, scene.toy)
