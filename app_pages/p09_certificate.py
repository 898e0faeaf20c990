"""9 · The certificate α*: CERTIFY, the radius formulas, their ceiling, and noise in a hidden layer.

Thin page: widgets → core.scenes.certificate (cached) → ui.figures.certificate → layout."""
import streamlit as st

from core.scenes import certificate as C
from ui import layout, lecture, recompute, frame
from ui import url
from ui.figures import certificate as figures
from ui.figures import image

D = C.DEFAULTS
frame.header("p09_certificate", C.EXPLANATION, C.USES)
seed = layout.seed_input()

# ------------------------------------------------------------ CERTIFY in 2-D
st.subheader("CERTIFY a point, and check the ball")
controls, board = st.columns([1, 3], gap="large")
with controls:
    x1 = url.number_input("x₁", 0.0, 1.0, D["x1"], 0.01, key="p09_x1")
    x2 = url.number_input("x₂", 0.0, 1.0, D["x2"], 0.01, key="p09_x2")
    sigma = url.select_slider("σ (noise of training and smoothing)", C.TOY_SIGMAS, value=D["sigma"],
                              key="p09_sigma")
    n0 = url.select_slider("n₀ (selection draws)", C.N0_CHOICES, value=D["n0"], key="p09_n0")
    n = url.select_slider("n (estimation draws)", C.N_CHOICES, value=D["n"], key="p09_n")
    alpha = url.select_slider("α (failure probability)", C.ALPHA_CHOICES, value=D["alpha"], key="p09_alpha")
    st.button(f"Certify with n = {C.LARGE_N:,}".replace(",", " "), key="p09_more",
              on_click=lambda: st.session_state.update(p09_n=C.LARGE_N))
point = frame.compute(C.certify_point, spinner="Training or loading the toy network, then CERTIFY…",
                      x1=float(x1), x2=float(x2), sigma=sigma, n0=n0, n=n, alpha=alpha, seed=seed)
certificate = point.certificate
with board, lecture.step(2):
    columns = st.columns(4)
    columns[0].metric("F_rob(x) = c_A",
                      "abstain" if certificate.abstained else f"class {certificate.prediction}")
    columns[1].metric("Certified radius α*", f"{certificate.radius:.4f}", help=C.HELP["radius"])
    columns[2].metric("p_A lower bound", f"{certificate.p_a_lower:.4f}",
                      help=C.HELP["p_a"] + f" Here n_A = {certificate.count_a} of n = {certificate.n}.")
    columns[3].metric("Ceiling σΦ⁻¹(α^{1/n})", f"{point.ceiling:.4f}", help=C.HELP["ceiling"])
    left, right = st.columns([3, 2])
    left.plotly_chart(figures.certified_ball(point), key="p09_ball")
    with right:
        if point.certified:
            st.metric("Points in the ball with F_rob = c_A", f"{point.same}/{len(point.verdicts)}",
                      help=C.HELP["ball"].format(votes=C.BALL_VOTES, alpha=alpha, points=C.BALL_POINTS))
            st.markdown(point.caption)
        else:
            st.warning(point.caption)
        st.caption(point.cost)

# ------------------------------------------------------------ radius vs p_A
lecture.section(3)
st.subheader("Radius as a function of p_A, and its ceiling")
std = url.select_slider("Noise standard deviation per coordinate (matched for every distribution)",
                        C.STD_CHOICES, value=D["std"], key="p09_std")
curves = frame.compute(C.radius_curves, spinner=None, std=std, alpha=alpha, n=n)
left, right = st.columns([3, 1])
left.plotly_chart(figures.radius_curves(curves), key="p09_radius_curves")
right.metric("Gaussian α* at p_A = 0.99", f"{curves.gaussian_at_099:.3f}")
right.metric("Ceiling at this n, α", f"{curves.ceilings['gaussian']:.3f}", help="Gaussian noise, ℓ2.")
right.metric("Ceiling at n = 100 000, α = 0.001", f"{curves.ceiling_large:.3f}")
right.caption(f"The n and α of the ceilings are those of the controls above. For scale: an ℓ∞ perturbation "
              f"of 8/255 on a CIFAR-10 image has ℓ2 norm up to {curves.linf_ball_l2:.2f}. ℓ1 radii (Laplace, "
              f"uniform) are not comparable with ℓ2 ones (‖τ‖₁ ≥ ‖τ‖₂): they have their own panel.")

# ------------------------------------------------------------ images
lecture.section(4)
st.subheader("CERTIFY an image")
controls, board = st.columns([1, 3], gap="large")
with controls:
    model = url.selectbox("Zoo model", C.certifiable_models(), key="p09_model")
    options = C.gallery_options(model)
    index = url.selectbox("Gallery image", range(len(options)), format_func=options.__getitem__,
                          key="p09_image")
    image_n = url.select_slider("n for this image", C.IMAGE_N_CHOICES, value=D["image_n"], key="p09_image_n")
request = dict(model=model, index=int(index), n0=n0, n=image_n, alpha=alpha, seed=seed)
picture = None
if C.image_is_shipped(**request) or st.session_state.get("p09_image_request") == request:
    picture = frame.compute(C.certify_image, **request)
elif controls.button(f"Run CERTIFY on this image (n₀ = {n0}, n = {image_n})", key="p09_image_run"):
    controls.button("Cancel", key="p09_image_cancel")  # a click reruns the page; the run stops at its next
    # progress update (one per batch of draws: each is a cancel point)

    def follow(fraction, total=n0 + image_n):
        st.session_state["p09_image_done"] = (round(fraction * total), total)
        bar.progress(fraction, text=f"CERTIFY: {fraction:.0%} of the {total} draws")

    bar = board.progress(0.0, text="CERTIFY…")
    picture = C.certify_image(**request, progress=follow)   # cached only when complete
    st.session_state["p09_image_request"] = request
    st.session_state.pop("p09_image_done", None)
    bar.empty()
elif st.session_state.get("p09_image_cancel") and "p09_image_done" in st.session_state:
    done, total = st.session_state.pop("p09_image_done")
    board.warning(f"CERTIFY cancelled after {done} of {total} draws: nothing was kept. "
                  "Press the button to run it again.")
else:
    board.info(f"Opens with n₀ = {D['n0']}, n = {D['image_n']}, α = {D['alpha']} and seed 0, shipped for "
               f"every gallery image; these settings run CERTIFY here ({n0 + image_n} forward passes of the "
               "classifier): press the button.")
if picture is not None:
    controls.plotly_chart(image(picture.pixels, picture.class_names[picture.label]), key="p09_image_fig")
    with board:
        columns = st.columns(4)
        columns[0].metric("F_rob(x)", picture.prediction_name,
                          help=f"True label: {picture.class_names[picture.label]}.")
        columns[1].metric("Certified radius of the image", f"{picture.radius:.4f}",
                          help=f"In the {C.NORM_LABELS[picture.norm]} norm, pixels in [0, 1].")
        columns[2].metric("p_A lower bound of the image", f"{picture.certificate.p_a_lower:.4f}",
                          help=f"n_A = {picture.certificate.count_a} of n = {picture.certificate.n}.")
        if picture.layer > 0:
            columns[3].metric(f"Radius in layer {picture.layer}'s space", f"{picture.radius_layer:.4f}")
        else:
            columns[3].metric("Ceiling of the image at this n", f"{picture.ceiling:.4f}",
                              help=C.HELP["ceiling"])
        st.caption(f"{picture.source} {picture.cost}")
        st.markdown(picture.caption)

# ------------------------------------------------------------ hidden layers
lecture.section(5)
st.subheader("Noise in a hidden layer: from the layer's radius back to the input")
st.markdown(C.HIDDEN_LAYERS_TEXT)
layers = frame.compute(C.hidden_layers, model=model, sigma=sigma, n=n, alpha=alpha, seed=seed)
left, right = st.columns([3, 1])
left.plotly_chart(figures.layer_radii(layers), key="p09_layers")
for name, radii in layers.radii.items():
    right.metric(f"{name}, layer {len(radii) - 1}: R / L", f"{radii[-1]:.2e}",
                 help=f"L_{len(radii) - 1} = {layers.bounds[name][-1]:.3g}")
right.caption(layers.caveat)

# ------------------------------------------------------------ shipped results
lecture.section(6)
st.subheader("Certified accuracy on the test set")
shipped = frame.compute(C.certified_curves, spinner=None)
for sentence in shipped.unreadable:
    st.warning(sentence)
tabs = st.tabs([C.common.DATASET_TITLES[d] for d in shipped.datasets]) if shipped.datasets else []
for dataset, tab in zip(shipped.datasets, tabs):
    tab.plotly_chart(figures.certified_accuracy(shipped, dataset), key=f"p09_certified_accuracy_{dataset}")
    for curve in shipped.curves[dataset]:
        tab.caption(curve.caption)
if not shipped.datasets:
    st.info("No shipped results yet: run python -m core.experiments certify --name cifar10-gaussian-0.25 "
            "--data-dir ../shared/data")
recompute.certify_panel(key="p09_recompute")

frame.code(C.certify_point, C.certify_image, C.smoothing.certify_details)
