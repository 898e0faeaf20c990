"""8 · Noise → a distribution over decision regions (Cohen et al. 2019, Figure 1)."""
import streamlit as st

from core.scenes import decision_distribution as scene
from ui import figures, layout, lecture
from ui import frame
from ui import url
from ui.figures import decision_distribution as fig

frame.header("p08_decision_distribution", scene.EXPLANATION, scene.USES)
seed = layout.seed_input()
toy_tab, images_tab = st.tabs(["2-D toy network", "Images (zoo model)"])

with toy_tab:
    controls, board = st.columns([1, 3], gap="large")
    with controls:
        x1 = url.number_input("x₁", 0.0, 1.0, scene.TOY_POINT[0], 0.01, key="p08_x1")
        x2 = url.number_input("x₂", 0.0, 1.0, scene.TOY_POINT[1], 0.01, key="p08_x2")
        sigma = url.select_slider("Noise σ", scene.SIGMA_CHOICES, value=scene.TOY_SIGMA, key="p08_sigma")
        eps = url.select_slider("PGD ℓ2 budget ‖τ‖₂ ≤", scene.TOY_BUDGETS, value=scene.TOY_EPS, key="p08_eps")
        st.caption(f"{scene.CLOUD_POINTS} draws shown in each cloud; the probabilities use {scene.TOY_VOTES} draws.")
    toy = frame.compute(scene.toy_scene, x1=float(x1), x2=float(x2), sigma=float(sigma), eps=float(eps), seed=seed,
                        spinner="Attacking F and drawing the noise…")
    maps = frame.compute(scene.toy_regions, sigma=float(sigma), seed=seed, spinner="Smoothing the decision regions…")
    with board:
        lecture.predict(scene.PREDICTION, key="p08_guess")
        lecture.reveal(scene.PREDICTION, scene.verdict(toy, scene.TOY_CLASSES), key="p08_guess", at=2)
    with board, lecture.step(3):
        columns = st.columns(6)
        columns[0].metric("F(x) → F(x_adv)", f"{toy.label} → {toy.adv_label}",
                          help="Decisions of the base network without noise.")
        columns[1].metric("P(F(x + ε) = 1)", f"{toy.p[1]:.3f}")
        columns[2].metric("P(F(x_adv + ε) = 1)", f"{toy.q[1]:.3f}")
        columns[3].metric("TV distance", f"{toy.tv:.3f}")
        columns[4].metric("F_rob(x) → F_rob(x_adv)", f"{toy.rob_label} → {toy.rob_adv_label}")
        columns[5].metric("TV bound 2Φ(‖τ‖₂/2σ) − 1", f"{toy.tv_bound:.3f}", help="Independent of F.")
        st.markdown(scene.caption(toy, scene.TOY_CLASSES))
        left, right = st.columns([3, 2])
        left.plotly_chart(fig.clouds(toy, maps), key="p08_clouds")
        right.plotly_chart(fig.distributions(toy.p, toy.q, scene.TOY_CLASSES, "Class probabilities under noise"),
                           key="p08_toy_bars")
        right.caption("Circles: draws F sends to class 0, diamonds: to class 1.")
    with board, lecture.step(5):
        left, right = st.columns(2)
        base_figure, smoothed_figure = fig.base_and_smoothed(toy, maps)
        left.plotly_chart(base_figure, key="p08_base_regions")
        right.plotly_chart(smoothed_figure, key="p08_smoothed_regions")
        st.caption(scene.REGIONS_CAPTION.format(draws=maps.draws))

with images_tab:
    available = scene.models()
    if not available:
        st.info("The zoo has no model trained with noise at the input yet; train one with: python -m "
                f"core.experiments train --name {scene.DEFAULT_MODEL} --data-dir ../shared/data")
    else:
        controls, board = st.columns([1, 3], gap="large")
        with controls:
            model = url.selectbox("Zoo model (trained with noise at the input)", available, key="p08_model")
            info = frame.compute(scene.model_info, model=model, spinner="Loading the model…")
            index = url.selectbox("Gallery image", range(len(info.gallery)), format_func=info.gallery.__getitem__,
                                 key="p08_image")
            trained = scene.trained_scale(model)
            scale = url.select_slider(f"Noise scale (trained at {trained:g})", scene.SIGMA_CHOICES,
                                     value=min(scene.SIGMA_CHOICES, key=lambda s: abs(s - trained)),
                                     key="p08_image_scale")
            image_eps = url.select_slider("PGD ℓ2 budget", scene.IMAGE_BUDGETS, key="p08_image_eps",
                                         value=scene.DEFAULT_BUDGET.get(info.dataset, 0.5))
            votes = url.select_slider("Draws per histogram", scene.IMAGE_VOTE_CHOICES, value=scene.DEFAULT_VOTES,
                                     key="p08_votes")
        result = frame.compute(scene.image_scene, model=model, index=int(index), scale=float(scale),
                               eps=float(image_eps), votes=int(votes), seed=seed,
                               spinner="PGD on F, then drawing the noise…")
        names = info.class_names
        with board, lecture.step(3):
            columns = st.columns(5)
            columns[0].metric("F(x) → F(x_adv)", f"{names[result.label]} → {names[result.adv_label]}")
            columns[1].metric("F_rob(x) → F_rob(x_adv)", f"{names[result.rob_label]} → {names[result.rob_adv_label]}")
            columns[2].metric("TV distance", f"{result.tv:.3f}")
            columns[3].metric("‖x_adv − x‖₂", f"{result.distance:.2f}")
            columns[4].metric("TV bound 2Φ(‖τ‖₂/2σ) − 1", "—" if result.tv_bound is None else f"{result.tv_bound:.3f}")
            left, middle, right = st.columns([1, 1, 3])
            left.plotly_chart(figures.image(result.x, "x"), key="p08_x_image")
            middle.plotly_chart(figures.image(result.x_adv, "x_adv"), key="p08_adv_image")
            right.plotly_chart(fig.distributions(result.p, result.q, names,
                                                 f"Predicted classes under {result.noise_label} noise"),
                               key="p08_image_bars")
            st.caption(f"Histogram of argmax F(· + ε) over {result.votes} draws each "
                       f"(core.geometry.class_distribution). {scene.caption(result, names)}")
        with board, lecture.step(4):
            st.subheader("Over the whole gallery")
            count, settings = len(info.gallery), (model, float(scale), float(image_eps), int(votes), seed)
            runs = st.session_state.setdefault("p08_gallery_runs", set())
            if st.session_state.get("p08_gallery_cancel"):      # Cancel reran the page mid-run: that run is dropped
                runs.discard(settings)
                st.warning("Gallery run cancelled: nothing was kept. Press the button to run it again.")
            if st.button(f"Run it on all {count} gallery images at these settings (about {count}× one image; "
                         "the opening settings are shipped)", key="p08_gallery_run"):
                runs.add(settings)
            if settings in runs:
                cancel, bar = st.empty(), st.empty()

                def follow(done, total):                       # one update per image: each is a point Cancel stops at
                    if done == 0:
                        cancel.button("Cancel", key="p08_gallery_cancel")
                    bar.progress(done / total, text=f"PGD on F, then the votes: {done} of {total} images done")
                gallery = frame.compute_followed(scene.gallery_outcomes, model=model, scale=float(scale),
                                                 eps=float(image_eps), votes=int(votes), seed=seed, progress=follow)
                cancel.empty()
                bar.empty()
                columns = st.columns(3)
                columns[0].metric("Gallery: PGD flips F", f"{gallery.flipped} / {gallery.images}")
                columns[1].metric("Gallery: F_rob changes its answer", f"{gallery.changed} / {gallery.images}")
                columns[2].metric("Gallery: F flips, F_rob keeps",
                                  f"{gallery.flipped_kept} / {gallery.flipped}" if gallery.flipped else "no flip")
                st.dataframe(fig.gallery_table(gallery, names), hide_index=True)
                st.caption(scene.gallery_caption(gallery))

with lecture.step(6):
    st.subheader("Pinot et al.: from a divergence to a radius")
    st.markdown(scene.DIVERGENCE_EXPLANATION)
    controls, board = st.columns([1, 3], gap="large")
    with controls:
        p_a = url.select_slider("p_A (p_B = 1 − p_A)", scene.DIVERGENCE_P_A, value=0.9, key="p08_div_pa")
        beta = url.select_slider("Generalized normal β", scene.DIVERGENCE_BETAS, value=1.5, key="p08_div_beta")
        order = url.select_slider("Rényi order λ (left chart)", scene.DIVERGENCE_ORDERS, value=2.0,
                                  key="p08_div_order")
        std = url.select_slider("Per-coordinate std (all three noises)", scene.DIVERGENCE_STDS, value=0.25,
                                key="p08_div_std")
    view = frame.compute(scene.divergence_view, p_a=float(p_a), beta=float(beta), order=float(order), std=float(std),
                         spinner="Integrating the divergences…")
    with board:
        left, right = st.columns(2)
        left.plotly_chart(fig.divergence_curves(view), key="p08_divergence")
        right.plotly_chart(fig.radius_by_order(view), key="p08_radius_by_order")
        st.dataframe(fig.divergence_table(view), hide_index=True)
        st.caption(scene.divergence_caption(view))

frame.code(scene.toy_scene_live, scene.image_scene_live, scene.gallery_outcomes_live, scene.toy_regions_live,
           scene.caption, scene.divergence_view)
