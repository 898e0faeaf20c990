"""7 · Noise injection: F̃_ε changes draw by draw; its Monte Carlo average F_rob converges."""
import streamlit as st

from core.scenes import noise_injection as scene
from ui import figures, layout, lecture
from ui import frame
from ui import url
from ui.figures import noise_injection as fig

frame.header("p07_noise_injection", scene.EXPLANATION, scene.USES)
seed = layout.seed_input()
images_tab, toy_tab = st.tabs(["Images (zoo model)", "2-D toy network"])


def noise_controls(prefix: str, layers: int, scale_range: tuple) -> dict:
    """Layer i, distribution, scale and number of draws; the layer is clamped to the model's depth."""
    if st.session_state.get(f"{prefix}_layer", 0) > layers:
        st.session_state[f"{prefix}_layer"] = layers
    layer = url.slider("Layer i where ε is added (0 = the input)", 0, layers, 0, key=f"{prefix}_layer",
                      help=f"0 adds ε to x; i adds it to φ(i)∘…∘φ(1)(x); {layers} adds it to the logits.")
    noise = url.selectbox("Distribution of ε", list(scene.NOISE_LABELS), format_func=scene.NOISE_LABELS.get,
                         key=f"{prefix}_noise")
    low, high, default = scale_range
    scale = url.slider(f"Scale {scene.SCALE_SYMBOL[noise]}", low, high, default, 0.01, key=f"{prefix}_scale")
    num = url.select_slider("Draws for the Monte Carlo average", scene.SAMPLE_CHOICES, value=scene.DEFAULT_SAMPLES,
                           key=f"{prefix}_samples")
    return {"layer": int(layer), "noise": noise, "scale": float(scale), "num": int(num), "seed": seed}


def show_draws(result, class_names, key: str) -> None:
    """Metrics of F_rob(x), the first draws one by one and the running Monte Carlo average."""
    top = class_names[result.top]
    columns = st.columns([2, 2, 3])
    columns[0].metric("F_rob(x) (soft)", top,
                      help=f"{result.distinct_first} distinct decisions in the first {scene.DRAWS_SHOWN} draws.")
    columns[1].metric(f"E[softmax F̃(x)]['{top}']", f"{result.soft[-1]:.3f}", help=f"Mean over {result.num} draws.")
    band = f"{result.lower[-1]:.3f} – {result.upper[-1]:.3f}"
    columns[2].metric(f"95 % interval on P(F̃(x) = {top}), at every n", band,
                      help="The confidence sequence of the chart below, at the last n.")
    st.plotly_chart(fig.draws(result, list(class_names), scene.DRAWS_SHOWN), key=f"{key}_draws")
    st.plotly_chart(fig.running(result, top), key=f"{key}_running")
    st.caption(scene.band_caption(result))


with images_tab:
    available = scene.models()
    if not available:
        st.info("The zoo has no model yet; train one with: python -m core.experiments train --name "
                f"{scene.DEFAULT_MODEL} --data-dir ../shared/data")
    else:
        controls, board = st.columns([1, 3], gap="large")
        with controls:
            model = url.selectbox("Zoo model", available, key="p07_model")
            info = frame.compute(scene.model_info, model=model, spinner="Loading the model…")
            index = url.selectbox("Gallery image", range(len(info.gallery)), format_func=info.gallery.__getitem__,
                                 key="p07_image")
            values = noise_controls("p07", info.layers, scene.IMAGE_SCALE)
            st.caption(f"{model} was trained with {info.trained_with}.")
            names = info.class_names
            st.plotly_chart(figures.image(info.images[index], f"x = gallery #{index} ({info.gallery[index]})"),
                            key="p07_image_figure")
        result = frame.compute(scene.image_draws, model=model, index=int(index), **values,
                               spinner=f"Drawing ε {values['num']} times…")
        with board, lecture.step(2):
            st.markdown(f"**{scene.DRAWS_SHOWN} successive draws of $\\tilde F_\\varepsilon(x)$** — "
                        f"{result.noise_label} added after layer {result.layer} of {result.layers}, "
                        f"std {result.noise_std:.3f} per coordinate.")
            show_draws(result, names, "p07_images")
            st.caption(f"core.smoothing.smoothed_probabilities with {scene.REFERENCE_DRAWS} independent draws gives "
                       f"{result.reference[result.top]:.3f} for '{names[result.top]}', the running average "
                       f"{result.soft[-1]:.3f}: two Monte Carlo estimates of the same F_rob(x).")
            if result.layer == 0:
                st.markdown("What the network sees in each draw, $x + \\varepsilon$ (clipped to [0, 1] for display only):")
                for k, column in enumerate(st.columns(scene.DRAWS_SHOWN)):
                    column.plotly_chart(figures.image(result.shown[k], f"draw {k + 1}", height=150),
                                        key=f"p07_noisy_{k}")
            else:
                st.metric(f"‖ε‖₂ / ‖φ({result.layer})∘…∘φ(1)(x)‖₂ in draw 1", f"{result.noise_ratio:.2f}",
                          help="How loud the noise is relative to the representation it is added to.")

        readings = lecture.step(3)
        readings.subheader("Four readings of the same randomization")
        smooth_col, augment_col, topo_col, game_col = readings.columns(4)
        shared = {key: values[key] for key in ("layer", "noise", "scale", "seed")}
        with smooth_col:
            st.markdown(scene.smoothing_reading(result.layer, result.layers))
            st.plotly_chart(fig.kernel(result, values["noise"]), key="p07_density")
        with augment_col:
            st.markdown(scene.READINGS["augmentation"])
            augmented = frame.compute(scene.augmentation, model=model, **shared, spinner="Evaluating on the gallery…")
            st.metric(f"{model} under this noise", f"{augmented.accuracy:.0%}",
                      help=f"{augmented.predictions} predictions, one fresh draw each.")
            if augmented.standard is not None:
                st.metric(f"{augmented.standard} (no noise in training)", f"{augmented.standard_accuracy:.0%}")
            gap = frame.compute(scene.generalization, seed=seed, spinner="Training on the digits with and without ε…")
            st.dataframe(scene.generalization_rows(gap), hide_index=True)
            st.caption(scene.generalization_caption(gap))
        with topo_col:
            st.markdown(scene.READINGS["topological"])
            st.plotly_chart(fig.votes(result, list(names)), key="p07_votes")
        with game_col:
            st.markdown(scene.READINGS["game"])
            eps = url.select_slider("Attacker's ℓ2 budget", scene.ATTACK_BUDGETS, key="p07_eps",
                                   value=scene.DEFAULT_BUDGET.get(info.dataset, 0.5))
            outcome = frame.compute(scene.game, model=model, index=int(index), eps=float(eps), **shared,
                                    spinner="PGD against F, against fixed draws, and EOT-PGD against F̃_ε…")
            st.metric("Non-adaptive attack: draws wrong", f"{outcome.fooled_draws:.0%}", help="PGD on the noise-free F.")
            st.metric(f"Adaptive (EOT-{outcome.eot}): draws wrong", f"{outcome.adaptive_fooled_draws:.0%}")
        topo_col.caption(scene.topology_caption(outcome))
        readings.dataframe(scene.game_rows(outcome), hide_index=True, width="stretch")
        readings.caption(scene.game_caption(outcome))
        readings.dataframe(scene.pure_rows(outcome), hide_index=True, width="stretch")

with toy_tab:
    controls, board = st.columns([1, 3], gap="large")
    with controls:
        x1 = url.number_input("x₁", 0.0, 1.0, scene.TOY_POINT[0], 0.01, key="p07_toy_x1")
        x2 = url.number_input("x₂", 0.0, 1.0, scene.TOY_POINT[1], 0.01, key="p07_toy_x2")
        toy_values = noise_controls("p07_toy", scene.TOY_LAYERS, scene.TOY_SCALE)
    with board, lecture.step(2):
        toy = frame.compute(scene.toy_draws, x1=float(x1), x2=float(x2), **toy_values, spinner="Drawing ε…")
        show_draws(toy, scene.TOY_CLASSES, "p07_toy")
        maps = frame.compute(scene.toy_maps, **{k: toy_values[k] for k in ("layer", "noise", "scale", "seed")},
                             spinner="Smoothing the decision regions…")
        left, right = st.columns(2)
        left.plotly_chart(fig.probability_map(maps, "plain", "F: P(class 1) without noise", (x1, x2),
                                              cloud=toy.shown, train=True), key="p07_toy_plain")
        right.plotly_chart(fig.probability_map(maps, "smoothed", f"F_rob: P(class 1) averaged over ε "
                                               f"(layer {maps.layer})", (x1, x2)), key="p07_toy_smoothed")
        st.caption(scene.TOY_CAPTION)

frame.code(scene.image_draws_live, scene.noisy_draws, scene.augmentation_live, scene.game_live,
           scene.toy_maps_live)
