"""3 · Cat → dog: a targeted adversarial example on a real CIFAR-10 image or an uploaded photo (Szegedy
et al. 2014; Madry et al. 2018; Carlini & Wagner 2017). Computed by core.scenes.cat_to_dog."""
import streamlit as st

from core.scenes import cat_to_dog as cat
from core.scenes import common
from ui import layout, lecture, frame
from ui import url
from ui.figures import cat_to_dog as figures
from ui.figures import image

frame.header("p03_cat_to_dog", cat.EXPLANATION, cat.USES)
seed = layout.seed_input()
names = cat.models()
if not names:
    st.info(cat.NO_MODEL)
    st.stop()
model_name = url.selectbox("Model", names, key="p03_model", where=st.sidebar)
dataset = common.dataset_of(model_name)
options = common.gallery_options(dataset)
class_names = cat.class_names(dataset)

controls, board = st.columns([1, 3], gap="large")
with controls:
    index = url.selectbox(f"{common.DATASET_TITLES.get(dataset, dataset)} test image", range(len(options)),
                         index=cat.default_image(dataset), key="p03_image", format_func=options.__getitem__)
    # "image/*" beside the extensions: the dialog still filters, and Streamlit leaves the check to
    # read_upload (it would raise on any other name), which says what to upload in one sentence.
    accepted = [*cat.UPLOAD_TYPES, "image/*"]
    uploaded = st.file_uploader("…or upload a photo (centre-cropped and resized)", type=accepted,
                                key="p03_upload",
                                help=url.UPLOAD_NOT_IN_LINK)
    target = url.selectbox("Target class", range(len(class_names)), index=cat.DEFAULT_TARGET, key="p03_target",
                          format_func=class_names.__getitem__)
    attack = url.selectbox("Attack", list(cat.ATTACK_CHOICES), key="p03_attack", format_func=cat.ATTACK_CHOICES.get)
    eps_255, steps = cat.DEFAULT_EPS_255.get(dataset, 8), cat.DEFAULT_STEPS
    c, kappa = 1.0, 0.0
    if attack == "pgd":
        eps_255 = url.select_slider("Budget ε (ℓ∞, in 1/255)", cat.EPS_CHOICES_255, value=eps_255,
                                   key=f"p03_eps_{dataset}", help="A pixel may move by at most ε: 1/255 is one grey level.")
        steps = url.select_slider("PGD steps", cat.STEP_CHOICES, value=cat.DEFAULT_STEPS, key="p03_steps")
    else:
        c = url.select_slider("Initial constant c", cat.C_CHOICES, value=1.0, key="p03_c",
                             help="Weight of the misclassification term; binary-searched from here.")
        kappa = url.select_slider("Confidence κ", cat.KAPPA_CHOICES, value=0.0, key="p03_kappa",
                                 help=f"Require Z_{class_names[target]} − max_(j≠{class_names[target]}) Z_j ≥ κ.")

upload = None
if uploaded is not None:
    content = uploaded.getvalue()
    decoded = frame.compute(cat.read_upload, spinner=None, content=content, dataset=dataset)
    if decoded.message is not None:
        controls.error(decoded.message)
    else:
        upload = content
        controls.caption("Attacking your photo: remove it to go back to the gallery image. " + url.UPLOAD_NOT_IN_LINK)

arguments = dict(model_name=model_name, index=int(index), upload=upload, target=int(target), attack=attack,
                 eps_255=float(eps_255), steps=int(steps), c=float(c), kappa=float(kappa), seed=seed)
grey = frame.compute(cat.targeted_attack, spinner=None, **{**arguments, "attack": "pgd", "steps": cat.DEFAULT_STEPS,
                                                            "eps_255": cat.ONE_GREY_LEVEL_255})
with board:   # the talk's question at ε = 1/255, whatever the controls say
    lecture.predict(cat.prediction(grey), key="p03_guess")
    lecture.reveal(cat.prediction(grey), cat.verdict(grey), key="p03_guess", at=2)
requested = st.session_state.setdefault("p03_requested", set())
if cat.expensive(attack, steps) and tuple(sorted(arguments.items())) not in requested:
    board.info(f"{cat.ATTACK_CHOICES[attack].split(',')[0]}" + (f" with {steps} steps" if attack == "pgd" else "")
               + " takes a few seconds on a CPU.")
    if not board.button("Run the attack", key="p03_run", type="primary"):
        frame.code(cat.targeted_attack, cat.read_upload)
        st.stop()
    requested.add(tuple(sorted(arguments.items())))
result = frame.compute(cat.targeted_attack, spinner="Attacking…", **arguments)
p, p_adv, before, after = result.p, result.p_adv, result.before, result.after
s = figures.scale_text(result.scale)
source = ("your photo" if result.uploaded else
          f"gallery image #{index} (label: {class_names[result.label]})")

with board, lecture.step(3):
    left, plus, middle, equals, right = st.columns([5, 2, 5, 1, 5], vertical_alignment="center")
    left.plotly_chart(image(result.x, f"x: {class_names[before]} ({p[before]:.0%})"), key="p03_x")
    plus.markdown(f"<div style='text-align:center;font-size:1.5rem;line-height:1.3'>+ {s}<br>×</div>",
                  unsafe_allow_html=True)
    middle.plotly_chart(image(result.unit, "τ/s (grey = 0)"), key="p03_tau")
    equals.markdown("<div style='text-align:center;font-size:1.5rem'>=</div>", unsafe_allow_html=True)
    right.plotly_chart(image(result.x_adv, f"x + τ: {class_names[after]} ({p_adv[after]:.0%})"), key="p03_x_adv")
    st.markdown(
        f"$x_{{adv}} = x + {s} \\times (\\tau / s)$ on {source}: "
        + (f"**the network now answers {class_names[target]}** ({p_adv[target]:.0%})." if result.reached
           else f"the target {class_names[target]} is not reached — raise "
                + ("the budget or the steps." if attack == "pgd" else "the constant c.")))
with board, lecture.step(4):
    columns = st.columns(5)
    columns[0].metric("F(x)", f"{class_names[before]} · {p[before]:.0%}")
    columns[1].metric("F(x + τ)", f"{class_names[after]} · {p_adv[after]:.0%}",
                      help="The predicted class of the adversarial image and its probability.")
    columns[2].metric(f"P({class_names[target]} | x + τ)", figures.probability_text(float(p_adv[target])),
                      delta=f"from {figures.probability_text(float(p[target]))}", delta_color="off")
    columns[3].metric("‖τ‖∞", f"{result.scale:.4f}", help=f"= {255 * result.scale:.2f}/255")
    columns[4].metric("‖τ‖₂", f"{result.l2:.3f}")
    st.plotly_chart(figures.probabilities(p, p_adv, class_names), key="p03_bars")
    st.caption("The perturbation is amplified for display: every pixel of τ/s lies in [−1, 1], shown from black "
               f"(−1) through grey (0) to white (+1); the true change of each pixel is at most {result.scale:.4f} "
               f"= {255 * result.scale:.1f}/255 of the intensity range (the talk's slide prints "
               f"s = {cat.TALK_SCALE}).")

frame.code(cat.targeted_attack, cat.read_upload)
