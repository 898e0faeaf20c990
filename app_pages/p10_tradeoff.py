"""10 · The robustness–accuracy trade-off, and how certificates compare with the best attacks."""

from core.scenes import tradeoff as scene
from ui import frame, layout, lecture, url
from ui.figures import tradeoff as figures
from ui.frame import st


def show_bounds(result, key: str) -> None:
    """The bounds chart, the budget metrics and boxes, and the computed caption of one bounds run."""
    left, right = st.columns(2)
    left.plotly_chart(figures.bounds(result), key=f"{key}_bounds")
    frame.metrics(figures.bounds_metrics(result), where=right)
    right.plotly_chart(figures.paired(result), key=f"{key}_paired")
    shipped = f" Shipped result ({scene.BUILD_COMMAND})." if result.shipped else ""
    layout.aside().caption(scene.bounds_caption(result) + " " + scene.BOUNDS_NOTE + shipped)


def image_bounds(*, model_name: str, seed: int, progress):
    """The gallery's bounds, part by part (each cached for every session): CERTIFY, then the attacks."""
    calls = [dict(model_name=model_name, seed=seed, part=part) for part in scene.image_parts()]
    frame.each(scene.image_part, calls, progress)
    return frame.compute(scene.image_bounds, spinner=None, model_name=model_name, seed=seed)


P = scene.PARAMETERS
frame.header("p10_tradeoff")
seed = layout.seed_input()
lecture.predict(scene.PREDICTION, key="p10_guess")  # answered on the 2-D bounds below

# ------------------------------------------------------------ live trade-off
lecture.section(2)
st.subheader("Clean vs certified accuracy across noise scales (live, 2-D)")
controls, board = st.columns([1, 3], gap="large")
with controls:
    radius = url.slider("Radius r", P["radius"])
    help = "Same std per coordinate for every distribution."
    chosen = url.multiselect("Noise distributions", P["noises"], help=help)
    st.caption(
        f"{scene.TOY_POINTS} held-out points; PREDICT and CERTIFY with n₀ = {scene.TOY_N0}, "
        f"n = {scene.TOY_N}, α = {scene.TOY_ALPHA}. {scene.TOY_NOTE}"
    )
with board:
    if not chosen:
        st.info("Pick at least one noise distribution.")
    else:
        spinner = "Certifying the toy networks (a new seed trains them)…"
        live = frame.compute(
            scene.toy_tradeoff, seed=seed, noises_chosen=tuple(chosen), radius=float(radius), spinner=spinner
        )
        frame.metrics(figures.tradeoff_metrics(live.of(chosen[0])))
        each = f"Each metric: clean accuracy of F_rob → certified accuracy at r = {live.radius:.2f}. "
        st.caption(each + scene.ceilings_caption(live))
        st.plotly_chart(figures.tradeoff(live), key="p10_live_tradeoff")
        st.caption(scene.tradeoff_caption(live))

# ------------------------------------------------------------ shipped table
lecture.section(3)
st.subheader("Shipped trade-off tables (test sets)")
datasets = scene.shipped_datasets()
if not datasets:
    st.info(figures.NO_SHIPPED_TABLE)
else:
    dataset = url.selectbox("Dataset", P["shipped_dataset"], choices=datasets)
    table = frame.compute(scene.shipped_tradeoff, spinner=None, dataset=dataset)
    if st.session_state.get(P["shipped_radius"].key) not in table.radii:
        st.session_state[P["shipped_radius"].key] = table.default_radius
    shipped_r = url.select_slider("Radius r of the shipped table", P["shipped_radius"], choices=table.radii)
    st.plotly_chart(figures.shipped(table, shipped_r), key="p10_shipped")
    st.caption(scene.shipped_caption(table, shipped_r))

# ------------------------------------------------------------ bounds and attacks
lecture.section(4)
st.subheader("One F_rob, two bounds: its certified radius against the distance an attack on it needs")
tabs = ["2-D toy network", "CIFAR-10 test images (shipped)", "Gallery images (on demand)"]
toy_tab, cifar_tab, images_tab = st.tabs(tabs)
with toy_tab:
    where = st.columns([1, 3])[0]
    label = "σ of the smoothed classifier"
    std = url.select_slider(label, P["bounds_std"], where=where)
    spinner = "CERTIFY and SmoothAdv on F_rob at the held-out points…"
    toy_bounds = frame.compute(scene.toy_bounds, seed=seed, std=float(std), spinner=spinner)
    show_bounds(toy_bounds, "p10_toy")
with cifar_tab:
    cifar = frame.compute(scene.cifar_bounds, spinner=None)
    if cifar is None:
        st.info(figures.no_cifar_bounds(scene.BUILD_COMMAND))
    else:
        show_bounds(cifar, "p10_cifar")
with images_tab:
    names = scene.image_models()
    if not names:
        st.info(figures.NO_IMAGE_MODEL)
    else:
        label, help = (
            "Zoo model (trained with Gaussian noise at the input)",
            "Laplace, uniform models (ℓ1 radii) left out.",
        )
        model_name = url.selectbox(label, P["model"], choices=names, help=help)
        eps_max = scene.IMAGE_ATTACK["eps_max"]
        st.caption(figures.gallery_caption(scene.GALLERY_IMAGES, scene.IMAGE_N0, scene.IMAGE_N, eps_max))
        run = dict(title="CERTIFY, then SmoothAdv", unit="parts", model_name=model_name, seed=seed)
        bounds = frame.slow_run("p10_run_images", "Run on the gallery images", image_bounds, **run)
        if bounds is not None:
            show_bounds(bounds, "p10_image")

# ------------------------------------------------------------ the answer, and how small α* is
lecture.section(5)
lecture.reveal(scene.PREDICTION, scene.verdict(toy_bounds), key="p10_guess", at=5)
heading, details = st, None
if layout.presenting():  # on a slide the details sit beside the title: the chart keeps the screen's height
    heading, side = st.columns([3, 1], vertical_alignment="center")
    details = layout.aside(side)
heading.subheader("Is α* too small? The ℓ∞ ball against the shipped CIFAR-10 certificates")
limits = frame.compute(scene.alpha_star_limits, spinner=None, dataset="cifar10")
n_needed = scene.count_label(limits.rows[-1].n_needed)
frame.metrics(figures.limits_metrics(limits, scene.measured_sentence(limits), n_needed))
st.plotly_chart(figures.limits(limits), key="p10_limits")
small = frame.compute(scene.what_is_small, spinner=None, seed=seed, std=float(std))
with details if details is not None else layout.aside():
    st.caption(scene.limits_caption(limits))
    if limits.measured is None and limits.measure_command:
        st.code(limits.measure_command, language="bash")
    st.caption(scene.what_is_small_caption(small))
shown = (scene.toy_tradeoff, scene.toy_bounds, scene.alpha_star_limits, scene.what_is_small)
frame.code(*shown, scene.attacks.smoothed_attack_distance)
