"""8 · Noise → a distribution over decision regions (Cohen et al. 2019, Figure 1)."""

from core.scenes import decision_distribution as scene
from ui import frame, layout, lecture, picker, url
from ui.figures import decision_distribution as figures
from ui.figures import image
from ui.frame import st

frame.header("p08_decision_distribution")
seed = layout.seed_input()
toy_tab, images_tab = st.tabs(["2-D toy network", "Images (zoo model)"])
MISSING = (
    "The zoo has no model trained with noise at the input yet; train one with: python -m "
    f"core.experiments train --name {scene.DEFAULT_MODEL} --data-dir ../shared/data"
)
P = scene.PARAMETERS
TV_BOUND = "TV bound 2Φ(‖τ‖₂/2σ) − 1"

with toy_tab:
    controls, board = st.columns([1, 3], gap="large")
    with controls:
        x1 = url.number_input("x₁", P["x1"])
        x2 = url.number_input("x₂", P["x2"])
        sigma = url.select_slider("Noise σ", P["sigma"])
        eps = url.select_slider("PGD ℓ2 budget ‖τ‖₂ ≤", P["eps"])
        st.caption(
            f"{scene.CLOUD_POINTS} draws shown in each cloud; the probabilities use {scene.TOY_VOTES} draws."
        )
    point = dict(x1=float(x1), x2=float(x2), sigma=float(sigma), eps=float(eps), seed=seed)
    toy = frame.compute(scene.toy_scene, **point, spinner="Attacking F and drawing the noise…")
    smoothing = "Smoothing the decision regions…"
    maps = frame.compute(scene.toy_regions, sigma=float(sigma), seed=seed, spinner=smoothing)
    classes = scene.TOY_CLASSES
    with board:
        lecture.predict(scene.PREDICTION, key="p08_guess")
        lecture.reveal(scene.PREDICTION, scene.verdict(toy, classes), key="p08_guess", at=2)
    with board, lecture.step(3):
        row = [
            (
                "F(x) → F(x_adv)",
                f"{toy.label} → {toy.adv_label}",
                "Decisions of the base network without noise.",
            ),
            ("P(F(x + ε) = 1)", f"{toy.p[1]:.3f}"),
            ("P(F(x_adv + ε) = 1)", f"{toy.q[1]:.3f}"),
            ("TV distance", f"{toy.tv:.3f}"),
            ("F_rob(x) → F_rob(x_adv)", f"{toy.rob_label} → {toy.rob_adv_label}"),
            (TV_BOUND, f"{toy.tv_bound:.3f}", "Independent of F."),
        ]
        frame.metrics(row)
        st.markdown(scene.caption(toy, classes))
        left, right = st.columns([3, 2])
        left.plotly_chart(figures.clouds(toy, maps), key="p08_clouds")
        bars = figures.distributions(toy.p, toy.q, classes, "Class probabilities under noise")
        right.plotly_chart(bars, key="p08_toy_bars")
        right.caption("Circles: draws F sends to class 0, diamonds: to class 1.")
    with board, lecture.step(5):
        left, right = st.columns(2)
        base_figure, smoothed_figure = figures.base_and_smoothed(toy, maps)
        left.plotly_chart(base_figure, key="p08_base_regions")
        right.plotly_chart(smoothed_figure, key="p08_smoothed_regions")
        st.caption(scene.REGIONS_CAPTION.format(draws=maps.draws))

with images_tab:
    controls, board = st.columns([1, 3], gap="large")
    with controls:
        label = "Zoo model (trained with noise at the input)"
        picked = picker.zoo_image(scene.PARAMETERS, scene.models(), missing=MISSING, model_label=label)
    if picked is not None:
        model, dataset, index = picked
        info = frame.compute(scene.model_info, model=model, spinner="Loading the model…")
        with controls:
            trained = scene.trained_scale(model)
            nearest = min(scene.SIGMA_CHOICES, key=lambda s: abs(s - trained))
            scale = url.select_slider(
                f"Noise scale (trained at {trained:g})", P["image_scale"], value=nearest
            )
            budget = scene.DEFAULT_BUDGET.get(info.dataset, 0.5)
            image_eps = url.select_slider("PGD ℓ2 budget", P["image_eps"], value=budget)
            votes = url.select_slider("Draws per histogram", P["votes"])
        settings = dict(model=model, scale=float(scale), eps=float(image_eps), votes=int(votes), seed=seed)
        spinner = "PGD on F, then drawing the noise…"
        result = frame.compute(scene.image_scene, index=index, **settings, spinner=spinner)
        names = info.class_names
        with board, lecture.step(3):
            row = [
                ("F(x) → F(x_adv)", f"{names[result.label]} → {names[result.adv_label]}"),
                ("F_rob(x) → F_rob(x_adv)", f"{names[result.rob_label]} → {names[result.rob_adv_label]}"),
                ("TV distance", f"{result.tv:.3f}"),
                ("‖x_adv − x‖₂", f"{result.distance:.2f}"),
                (TV_BOUND, "—" if result.tv_bound is None else f"{result.tv_bound:.3f}"),
            ]
            frame.metrics(row)
            left, middle, right = st.columns([1, 1, 3])
            left.plotly_chart(image(result.x, "x"), key="p08_x_image")
            middle.plotly_chart(image(result.x_adv, "x_adv"), key="p08_adv_image")
            title = f"Predicted classes under {result.noise_label} noise"
            right.plotly_chart(figures.distributions(result.p, result.q, names, title), key="p08_image_bars")
            st.caption(
                f"Histogram of argmax F(· + ε) over {result.votes} draws each "
                f"(core.geometry.class_distribution). {scene.caption(result, names)}"
            )
# Step 4 under both tabs: on either one (the toy tab opens the page) the gallery run is the step's slide.
with lecture.step(4):
    st.subheader("Over the whole gallery")
    if picked is None:
        st.info(MISSING)
    else:
        count = len(info.gallery)
        label = f"Run it on all {count} gallery images at the Images tab's settings (about {count}× one "
        label += "image; the opening settings are shipped)"
        run = dict(title="Gallery run", unit="images")
        gallery = frame.slow_run("p08_gallery_run", label, scene.gallery_outcomes, **run, **settings)
        if gallery is not None:
            kept = f"{gallery.flipped_kept} / {gallery.flipped}" if gallery.flipped else "no flip"
            row = [
                ("Gallery: PGD flips F", f"{gallery.flipped} / {gallery.images}"),
                ("Gallery: F_rob changes its answer", f"{gallery.changed} / {gallery.images}"),
                ("Gallery: F flips, F_rob keeps", kept),
            ]
            frame.metrics(row)
            with layout.aside():  # one row per image: taller than a slide
                st.dataframe(figures.gallery_table(gallery, names), hide_index=True)
                st.caption(scene.gallery_caption(gallery))

with lecture.step(6):
    st.subheader("Pinot et al.: from a divergence to a radius")
    st.markdown(scene.DIVERGENCE_EXPLANATION)
    controls, board = st.columns([1, 3], gap="large")
    with controls:
        p_a = url.select_slider("p_A (p_B = 1 − p_A)", P["p_a"])
        beta = url.select_slider("Generalized normal β", P["beta"])
        order = url.select_slider("Rényi order λ (left chart)", P["order"])
        std = url.select_slider("Per-coordinate std (all three noises)", P["std"])
    view_of = dict(p_a=float(p_a), beta=float(beta), order=float(order), std=float(std))
    view = frame.compute(scene.divergence_view, **view_of, spinner="Integrating the divergences…")
    with board:
        left, right = st.columns(2)
        left.plotly_chart(figures.divergence_curves(view), key="p08_divergence")
        right.plotly_chart(figures.radius_by_order(view), key="p08_radius_by_order")
        st.dataframe(figures.divergence_table(view), hide_index=True)
        st.caption(scene.divergence_caption(view))

live = (scene.toy_scene_live, scene.image_scene_live, scene.gallery_outcomes_live, scene.toy_regions_live)
frame.code(*live, scene.caption, scene.divergence_view_live)
