"""10 · The robustness–accuracy trade-off, and how certificates compare with the best attacks."""
import streamlit as st

from core.scenes import tradeoff as scene
from ui import frame, layout, lecture
from ui import url
from ui.figures import tradeoff as figures


def decimals(value) -> str:
    return "—" if value is None else f"{value:.3f}"


def show_bounds(result, key: str) -> None:
    """The bounds chart, the budget metrics and boxes, and the computed caption of one bounds run."""
    left, right = st.columns(2)
    left.plotly_chart(figures.bounds(result), key=f"{key}_bounds")
    facts = result.facts
    with right:
        columns = st.columns(3)
        columns[0].metric("Median certified α*", decimals(facts["median_radius"]),
                          help=f"Over the {len(result.radii)} inputs F_rob certifies correctly.")
        columns[1].metric("Median attack distance on F_rob", decimals(facts["median_attack"]),
                          help="SmoothAdv's smallest vote-changing ℓ2 perturbation, same inputs, same F_rob.")
        last = f"{result.eps[-1]:g}"
        columns[2].metric(f"Certified at ε = {last}", f"{result.certified[-1]:.0%}",
                          help=f"Empirical (SmoothAdv) at ε = {last}: {result.empirical[-1]:.0%}.")
        st.plotly_chart(figures.paired(result), key=f"{key}_paired")
    shipped = f" Shipped result ({scene.BUILD_COMMAND})." if result.shipped else ""
    st.caption(scene.bounds_caption(result) + " " + scene.BOUNDS_NOTE + shipped)


frame.header("p10_tradeoff", scene.EXPLANATION, scene.USES)
seed = layout.seed_input()
lecture.predict(scene.PREDICTION, key="p10_guess")   # answered on the 2-D bounds below

# ------------------------------------------------------------ live trade-off
lecture.section(2)
st.subheader("Clean vs certified accuracy across noise scales (live, 2-D)")
controls, board = st.columns([1, 3], gap="large")
with controls:
    radius = url.slider("Radius r", scene.RADIUS_MIN, scene.RADIUS_MAX, scene.RADIUS_DEFAULT,
                        scene.RADIUS_STEP, key="p10_radius")
    chosen = url.multiselect("Noise distributions", list(scene.NOISES), default=["gaussian"],
                             key="p10_noises", help="Same std per coordinate for every distribution.")
    st.caption(f"{scene.TOY_POINTS} held-out points; PREDICT and CERTIFY with n₀ = {scene.TOY_N0}, "
               f"n = {scene.TOY_N}, α = {scene.TOY_ALPHA}. {scene.TOY_NOTE}")
with board:
    if not chosen:
        st.info("Pick at least one noise distribution.")
    else:
        live = frame.compute(scene.toy_tradeoff, seed=seed, noises_chosen=tuple(chosen), radius=float(radius),
                             spinner="Certifying the toy networks (a new seed trains them)…")
        first = live.of(chosen[0])
        for column, row in zip(st.columns(len(first)), first):
            beyond = (f" r lies beyond this std's ceiling {row.ceiling:.3f}: its 0 % is forced by n."
                      if row.beyond_ceiling else "")
            column.metric(f"{row.noise} std {row.std:.2f}",
                          f"{row.clean_accuracy:.0%} → {row.certified_accuracy:.0%}",
                          help=f"CERTIFY abstained on {row.abstain_rate:.0%} of the points.{beyond}")
        st.caption(f"Each metric: clean accuracy of F_rob → certified accuracy at r = {live.radius:.2f}. "
                   + scene.ceilings_caption(live))
        st.plotly_chart(figures.tradeoff(live), key="p10_live_tradeoff")
        st.caption(scene.tradeoff_caption(live))

# ------------------------------------------------------------ shipped table
lecture.section(3)
st.subheader("Shipped trade-off tables (test sets)")
datasets = scene.shipped_datasets()
if not datasets:
    st.info("No shipped results yet: run python -m core.experiments tradeoff --dataset cifar10 "
            "(after the certify runs).")
else:
    dataset = url.selectbox("Dataset", datasets, key="p10_shipped_dataset")
    table = frame.compute(scene.shipped_tradeoff, spinner=None, dataset=dataset)
    if st.session_state.get("p10_shipped_radius") not in table.radii:
        st.session_state["p10_shipped_radius"] = table.default_radius
    shipped_r = url.select_slider("Radius r of the shipped table", table.radii, key="p10_shipped_radius")
    st.plotly_chart(figures.shipped(table, shipped_r), key="p10_shipped")
    st.caption(scene.shipped_caption(table, shipped_r))

# ------------------------------------------------------------ bounds and attacks
lecture.section(4)
st.subheader("One F_rob, two bounds: its certified radius against the distance an attack on it needs")
toy_tab, cifar_tab, images_tab = st.tabs(["2-D toy network", "CIFAR-10 test images (shipped)",
                                          "Gallery images (on demand)"])
with toy_tab:
    std = url.select_slider("σ of the smoothed classifier", scene.TOY_STDS, value=scene.BOUNDS_STD_DEFAULT,
                            key="p10_bounds_std", where=st.columns([1, 3])[0])
    toy_bounds = frame.compute(scene.toy_bounds, seed=seed, std=float(std),
                               spinner="CERTIFY and SmoothAdv on F_rob at the held-out points…")
    show_bounds(toy_bounds, "p10_toy")
with cifar_tab:
    cifar = frame.compute(scene.cifar_bounds, spinner=None)
    if cifar is None:
        st.info(f"No CIFAR-10 attack distances shipped for today's model: run {scene.BUILD_COMMAND} "
                "(needs the data).")
    else:
        show_bounds(cifar, "p10_cifar")
with images_tab:
    names = scene.image_models()
    if not names:
        st.info("No zoo model trained with Gaussian noise at the input yet "
                "(see README: python -m core.experiments).")
    else:
        model_name = url.selectbox("Zoo model (trained with Gaussian noise at the input)", names,
                                   key="p10_model", help="Laplace, uniform models (ℓ1 radii) left out.")
        st.caption(f"On the {scene.GALLERY_IMAGES} gallery images: CERTIFY (n₀ = {scene.IMAGE_N0}, "
                   f"n = {scene.IMAGE_N:,}) and SmoothAdv distances on F_rob (bisection up to "
                   f"ε = {scene.IMAGE_ATTACK['eps_max']:g}) — minutes on a CPU; the bar shows each part.")
        requested = st.session_state.setdefault("p10_image_runs", set())
        if st.button("Run on the gallery images", key="p10_run_images"):
            requested.add((model_name, seed))
        if (model_name, seed) in requested:
            bar = st.progress(0.0)
            parts = scene.image_parts()
            for done, part in enumerate(parts):
                label = f"{scene.part_label(part)} ({done + 1}/{len(parts)})…"
                bar.progress(done / len(parts), text=label)
                frame.compute(scene.image_part, spinner=None, model_name=model_name, seed=seed, part=part)
            bar.empty()
            image = frame.compute(scene.image_bounds, spinner=None, model_name=model_name, seed=seed)
            show_bounds(image, "p10_image")

st.subheader("Is α* too small? The ℓ∞ ball against the shipped CIFAR-10 certificates")
limits = frame.compute(scene.alpha_star_limits, spinner=None, dataset="cifar10")
measured, widest = limits.measured, limits.rows[-1]
columns = st.columns(4)
columns[0].metric(f"ℓ2 size of ℓ∞ {limits.linf * 255:.0f}/255", f"{limits.needed:.2f}",
                  help="ε·√d, d = 3·32·32.")
columns[1].metric(f"Certified accuracy at {limits.needed:.2f}",
                  "not measured" if measured is None else f"{measured.certified_at_needed:.0%}",
                  help=scene.measured_sentence(limits))
columns[2].metric("Madry et al., PGD at ℓ∞ 8/255 (published)", f"{limits.madry_pgd:.1%}")
columns[3].metric(f"n whose ceiling reaches {limits.needed:.2f}, σ = {widest.sigma:g}",
                  scene.count_label(widest.n_needed), help=f"Shipped: n = {widest.n:,}.")
st.plotly_chart(figures.limits(limits), key="p10_limits")
st.caption(scene.limits_caption(limits))
if measured is None and limits.measure_command:
    st.code(limits.measure_command, language="bash")
small = frame.compute(scene.what_is_small, spinner=None, seed=seed, std=float(std))
st.caption(scene.what_is_small_caption(small))

lecture.section(5)
lecture.reveal(scene.PREDICTION, scene.verdict(toy_bounds), key="p10_guess", at=5)
frame.code(scene.toy_tradeoff, scene.toy_bounds, scene.alpha_star_limits, scene.what_is_small,
           scene.attacks.smoothed_attack_distance)
