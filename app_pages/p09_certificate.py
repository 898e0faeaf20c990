"""9 · The certificate α*: CERTIFY, the radius formulas, their ceiling, and noise in a hidden layer.

Thin page: widgets → core.scenes.certificate (cached) → ui.figures.certificate → layout."""

from core.scenes import certificate as scene
from ui import frame, layout, lecture, picker, recompute, url
from ui.figures import certificate as figures
from ui.figures import image
from ui.frame import st

P = scene.PARAMETERS
frame.header("p09_certificate")
seed = layout.seed_input()

# ------------------------------------------------------------ CERTIFY in 2-D
st.subheader("CERTIFY a point, and check the ball")
controls, board = st.columns([1, 3], gap="large")
with controls:
    x1 = url.number_input("x₁", P["x1"])
    x2 = url.number_input("x₂", P["x2"])
    sigma = url.select_slider("σ (noise of training and smoothing)", P["sigma"])
    n0 = url.select_slider("n₀ (selection draws)", P["n0"])
    n = url.select_slider("n (estimation draws)", P["n"])
    alpha = url.select_slider("α (failure probability)", P["alpha"])
    more = f"Certify with n = {scene.LARGE_N:,}".replace(",", " ")
    st.button(more, key="p09_more", on_click=lambda: st.session_state.update({P["n"].key: scene.LARGE_N}))
spinner = "Training or loading the toy network, then CERTIFY…"
values = dict(sigma=sigma, n0=n0, n=n, alpha=alpha, seed=seed)
point = frame.compute(scene.certify_point, spinner=spinner, x1=float(x1), x2=float(x2), **values)
certificate = point.certificate
with board, lecture.step(2):
    counts = f" Here n_A = {certificate.count_a} of n = {certificate.n}."
    row = [
        ("F_rob(x) = c_A", "abstain" if certificate.abstained else f"class {certificate.prediction}"),
        ("Certified radius α*", f"{certificate.radius:.4f}", scene.HELP["radius"]),
        ("p_A lower bound", f"{certificate.p_a_lower:.4f}", scene.HELP["p_a"] + counts),
        ("Ceiling σΦ⁻¹(α^{1/n})", f"{point.ceiling:.4f}", scene.HELP["ceiling"]),
    ]
    frame.metrics(row)
    left, right = st.columns([3, 2])
    left.plotly_chart(figures.certified_ball(point), key="p09_ball")
    with right:
        if point.certified:
            help = scene.HELP["ball"].format(votes=scene.BALL_VOTES, alpha=alpha, points=scene.BALL_POINTS)
            st.metric("Points in the ball with F_rob = c_A", f"{point.same}/{len(point.verdicts)}", help=help)
            st.markdown(point.caption)
        else:
            st.warning(point.caption)
        st.caption(point.cost)

# ------------------------------------------------------------ radius vs p_A
lecture.section(3)
st.subheader("Radius as a function of p_A, and its ceiling")
label = "Noise standard deviation per coordinate (matched for every distribution)"
std = url.select_slider(label, P["std"])
curves = frame.compute(scene.radius_curves, spinner=None, std=std, alpha=alpha, n=n)
left, right = st.columns([3, 1])
left.plotly_chart(figures.radius_curves(curves), key="p09_radius_curves")
right.metric("Gaussian α* at p_A = 0.99", f"{curves.gaussian_at_099:.3f}")
right.metric("Ceiling at this n, α", f"{curves.ceilings['gaussian']:.3f}", help="Gaussian noise, ℓ2.")
right.metric("Ceiling at n = 100 000, α = 0.001", f"{curves.ceiling_large:.3f}")
right.caption(figures.ceilings_caption(curves))

# ------------------------------------------------------------ images
lecture.section(4)
st.subheader("CERTIFY an image")
controls, board = st.columns([1, 3], gap="large")
with controls:
    model, _, index = picker.zoo_image(scene.PARAMETERS, scene.certifiable_models())
    image_n = url.select_slider("n for this image", P["image_n"])
request = dict(model=model, index=index, n0=n0, n=image_n, alpha=alpha, seed=seed)
label = f"Run CERTIFY on this image (n₀ = {n0}, n = {image_n})"
run = dict(
    title="CERTIFY", unit="draws", note=figures.image_note(scene.DEFAULTS, n0, image_n), where=controls
)
if scene.image_is_shipped(**request) or frame.slow_run(
    "p09_image_run", label, scene.certify_image, **run, **request
):
    picture = frame.compute(scene.certify_image, **request)  # computed by now: its call goes to the handout
    names = picture.class_names
    controls.plotly_chart(image(picture.pixels, names[picture.label]), key="p09_image_fig")
    with board:
        certified = picture.certificate
        last = (f"Radius in layer {picture.layer}'s space", f"{picture.radius_layer:.4f}")
        if picture.layer == 0:
            last = ("Ceiling of the image at this n", f"{picture.ceiling:.4f}", scene.HELP["ceiling"])
        row = [
            ("F_rob(x)", picture.prediction_name, f"True label: {names[picture.label]}."),
            (
                "Certified radius of the image",
                f"{picture.radius:.4f}",
                f"In the {scene.NORM_LABELS[picture.norm]} norm, pixels in [0, 1].",
            ),
            (
                "p_A lower bound of the image",
                f"{certified.p_a_lower:.4f}",
                f"n_A = {certified.count_a} of n = {certified.n}.",
            ),
            last,
        ]
        frame.metrics(row)
        st.caption(f"{picture.source} {picture.cost}")
        st.markdown(picture.caption)

# ------------------------------------------------------------ hidden layers
lecture.section(5)
st.subheader("Noise in a hidden layer: from the layer's radius back to the input")
st.markdown(scene.HIDDEN_LAYERS_TEXT)
layers = frame.compute(scene.hidden_layers, model=model, sigma=sigma, n=n, alpha=alpha, seed=seed)
left, right = st.columns([3, 1])
left.plotly_chart(figures.layer_radii(layers), key="p09_layers")
for name, radii in layers.radii.items():
    help = f"L_{len(radii) - 1} = {layers.bounds[name][-1]:.3g}"
    right.metric(f"{name}, layer {len(radii) - 1}: R / L", f"{radii[-1]:.2e}", help=help)
right.caption(layers.caveat)

# ------------------------------------------------------------ shipped results
lecture.section(6)
st.subheader("Certified accuracy on the test set")
shipped = frame.compute(scene.certified_curves, spinner=None)
for sentence in shipped.unreadable:
    st.warning(sentence)
tabs = st.tabs([scene.common.DATASET_TITLES[d] for d in shipped.datasets]) if shipped.datasets else []
for dataset, tab in zip(shipped.datasets, tabs):
    tab.plotly_chart(figures.certified_accuracy(shipped, dataset), key=f"p09_certified_accuracy_{dataset}")
    for curve in shipped.curves[dataset]:
        tab.caption(curve.caption)
if not shipped.datasets:
    st.info(figures.NO_SHIPPED)
recompute.certify_panel(key="p09_recompute")

frame.code(scene.certify_point, scene.certify_image, scene.smoothing.certify_details)
