"""7 · Noise injection: F̃_ε changes draw by draw; its Monte Carlo average F_rob converges."""

from core.scenes import noise_injection as scene
from ui import frame, layout, lecture, picker, url
from ui.figures import image
from ui.figures import noise_injection as figures
from ui.frame import st

frame.header("p07_noise_injection")
seed = layout.seed_input()
images_tab, toy_tab = st.tabs(["Images (zoo model)", "2-D toy network"])
MISSING = (
    "The zoo has no model yet; train one with: python -m core.experiments train --name "
    f"{scene.DEFAULT_MODEL} --data-dir ../shared/data"
)


def noise_controls(P: dict, layers: int) -> dict:
    """Layer i, distribution, scale and number of draws (a tab's parameters ``P``); the layer is clamped to
    the model's depth."""
    if st.session_state.get(P["layer"].key, 0) > layers:
        st.session_state[P["layer"].key] = layers
    help = f"0 adds ε to x; i adds it to φ(i)∘…∘φ(1)(x); {layers} adds it to the logits."
    layer = url.slider("Layer i where ε is added (0 = the input)", P["layer"], max_value=layers, help=help)
    noise = url.selectbox("Distribution of ε", P["noise"], format_func=scene.NOISE_LABELS.get)
    scale = url.slider(f"Scale {scene.SCALE_SYMBOL[noise]}", P["scale"])
    num = url.select_slider("Draws for the Monte Carlo average", P["samples"])
    return {"layer": int(layer), "noise": noise, "scale": float(scale), "num": int(num), "seed": seed}


def show_draws(result, class_names, key: str) -> None:
    """Metrics of F_rob(x), the first draws one by one and the running Monte Carlo average."""
    top = class_names[result.top]
    distinct = f"{result.distinct_first} distinct decisions in the first {scene.DRAWS_SHOWN} draws."
    row = [
        ("F_rob(x) (soft)", top, distinct),
        (f"E[softmax F̃(x)]['{top}']", f"{result.soft[-1]:.3f}", f"Mean over {result.num} draws."),
        (
            f"95 % interval on P(F̃(x) = {top}), at every n",
            f"{result.lower[-1]:.3f} – {result.upper[-1]:.3f}",
            "The confidence sequence of the chart below, at the last n.",
        ),
    ]
    frame.metrics(row, spec=[2, 2, 3])
    draws, running = st.columns([4, 3]) if layout.presenting() else (st, st)  # side by side on a slide
    draws.plotly_chart(figures.draws(result, list(class_names), scene.DRAWS_SHOWN), key=f"{key}_draws")
    running.plotly_chart(figures.running(result, top), key=f"{key}_running")


with images_tab:
    controls, board = st.columns([1, 3], gap="large")
    with controls:
        picked = picker.zoo_image(scene.IMAGE_PARAMETERS, scene.models(), missing=MISSING)
    if picked is not None:
        model, _, index = picked
        info = frame.compute(scene.model_info, model=model, spinner="Loading the model…")
        with controls:
            values = noise_controls(scene.IMAGE_PARAMETERS, info.layers)
            st.caption(f"{model} was trained with {info.trained_with}.")
            names = info.class_names
        title = f"x = gallery #{index} ({info.gallery[index]})"  # step 1's figure, first on the board
        board.plotly_chart(image(info.images[index], title), key="p07_image_figure")
        spinner = f"Drawing ε {values['num']} times…"
        result = frame.compute(scene.image_draws, model=model, index=index, **values, spinner=spinner)
        with board, lecture.step(2):
            st.markdown(figures.draws_heading(result, scene.DRAWS_SHOWN))
            show_draws(result, names, "p07_images")
            if result.layer > 0:
                label = f"‖ε‖₂ / ‖φ({result.layer})∘…∘φ(1)(x)‖₂ in draw 1"
                st.metric(label, f"{result.noise_ratio:.2f}", help=figures.NOISE_RATIO_HELP)
            with layout.aside():
                st.caption(scene.band_caption(result))
                st.caption(figures.reference_caption(result, names, scene.REFERENCE_DRAWS))
                if result.layer == 0:
                    st.markdown(figures.NOISY_INPUTS)
                    for k, column in enumerate(st.columns(scene.DRAWS_SHOWN)):
                        noisy = image(result.shown[k], f"draw {k + 1}", height=150)
                        column.plotly_chart(noisy, key=f"p07_noisy_{k}")

        readings = lecture.step(3)
        readings.subheader("Four readings of the same randomization")
        smooth_col, augment_col, topo_col, game_col = readings.columns(4)
        details = layout.aside(readings)  # under the four columns
        shared = {key: values[key] for key in ("layer", "noise", "scale", "seed")}
        with smooth_col:
            layout.headline(details, scene.smoothing_reading(result.layer, result.layers))
            st.plotly_chart(figures.kernel(result, values["noise"]), key="p07_density")
        with augment_col:
            layout.headline(details, scene.READINGS["augmentation"])
            spinner = "Evaluating on the gallery…"
            augmented = frame.compute(scene.augmentation, model=model, **shared, spinner=spinner)
            help = f"{augmented.predictions} predictions, one fresh draw each."
            st.metric(f"{model} under this noise", f"{augmented.accuracy:.0%}", help=help)
            if augmented.standard is not None:
                label = f"{augmented.standard} (no noise in training)"
                st.metric(label, f"{augmented.standard_accuracy:.0%}")
            spinner = "Training on the digits with and without ε…"
            gap = frame.compute(scene.generalization, seed=seed, spinner=spinner)
            with details if layout.presenting() else st.container():
                st.dataframe(scene.generalization_rows(gap), hide_index=True)
                st.caption(scene.generalization_caption(gap))
        with topo_col:
            layout.headline(details, scene.READINGS["topological"])
            st.plotly_chart(figures.votes(result, list(names)), key="p07_votes")
        with game_col:
            layout.headline(details, scene.READINGS["game"])
            budget = scene.DEFAULT_BUDGET.get(info.dataset, 0.5)
            eps = url.select_slider("Attacker's ℓ2 budget", scene.GAME_BUDGET, value=budget)
            spinner = "PGD against F, against fixed draws, and EOT-PGD against F̃_ε…"
            game = dict(model=model, index=index, eps=float(eps), **shared)
            outcome = frame.compute(scene.game, **game, spinner=spinner)
            help = "PGD on the noise-free F."
            st.metric("Non-adaptive attack: draws wrong", f"{outcome.fooled_draws:.0%}", help=help)
            st.metric(f"Adaptive (EOT-{outcome.eot}): draws wrong", f"{outcome.adaptive_fooled_draws:.0%}")
        (details if layout.presenting() else topo_col).caption(scene.topology_caption(outcome))
        details.dataframe(scene.game_rows(outcome), hide_index=True, width="stretch")
        details.caption(scene.game_caption(outcome))
        details.dataframe(scene.pure_rows(outcome), hide_index=True, width="stretch")

with toy_tab:
    controls, board = st.columns([1, 3], gap="large")
    with controls:
        x1 = url.number_input("x₁", scene.TOY_PARAMETERS["x1"])
        x2 = url.number_input("x₂", scene.TOY_PARAMETERS["x2"])
        toy_values = noise_controls(scene.TOY_PARAMETERS, scene.TOY_LAYERS)
    with board, lecture.step(2):
        toy = frame.compute(scene.toy_draws, x1=float(x1), x2=float(x2), **toy_values, spinner="Drawing ε…")
        show_draws(toy, scene.TOY_CLASSES, "p07_toy")
        layout.aside().caption(scene.band_caption(toy))
        smoothing = {k: toy_values[k] for k in ("layer", "noise", "scale", "seed")}
        maps = frame.compute(scene.toy_maps, **smoothing, spinner="Smoothing the decision regions…")
        left, right = st.columns(2)
        title = "F: P(class 1) without noise"
        plain = figures.probability_map(maps, "plain", title, (x1, x2), cloud=toy.shown, train=True)
        left.plotly_chart(plain, key="p07_toy_plain")
        title = f"F_rob: P(class 1) averaged over ε (layer {maps.layer})"
        right.plotly_chart(figures.probability_map(maps, "smoothed", title, (x1, x2)), key="p07_toy_smoothed")
        layout.aside().caption(scene.TOY_CAPTION)

frame.code(
    scene.image_draws_live, scene.noisy_draws, scene.augmentation_live, scene.game_live, scene.toy_maps_live
)
