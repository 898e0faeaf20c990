"""3 · Cat → dog: a targeted adversarial example on a real CIFAR-10 image or an uploaded photo (Szegedy
et al. 2014; Madry et al. 2018; Carlini & Wagner 2017). Computed by core.scenes.cat_to_dog."""

from core.scenes import cat_to_dog as scene
from ui import frame, layout, lecture, picker, url
from ui.figures import cat_to_dog as figures
from ui.figures import image
from ui.frame import st

P = scene.PARAMETERS

frame.header("p03_cat_to_dog")
seed = layout.seed_input()
controls, board = st.columns([1, 3], gap="large")
where = dict(model_where=st.sidebar, image_where=controls, default_image=scene.default_image)
picked = picker.zoo_image(
    scene.PARAMETERS,
    scene.models(),
    missing=scene.NO_MODEL,
    model_label="Model",
    image_label="{dataset} test image",
    **where,
)
if picked is None:
    st.stop()
model_name, dataset, index = picked
names = scene.class_names(dataset)
with controls:
    # "image/*" beside the extensions: the dialog still filters, and Streamlit leaves the check to
    # read_upload (it would raise on any other name), which says what to upload in one sentence.
    label, accepted = "…or upload a photo (centre-cropped and resized)", [*scene.UPLOAD_TYPES, "image/*"]
    uploaded = st.file_uploader(label, type=accepted, key="p03_upload", help=url.UPLOAD_NOT_IN_LINK)
    target = url.selectbox("Target class", P["target"], format_func=names.__getitem__)
    attack = url.selectbox("Attack", P["attack"], format_func=scene.ATTACK_CHOICES.get)
    D = scene.DEFAULTS
    eps_255, steps, c, kappa = D[f"eps_{dataset}"], D["steps"], D["c"], D["kappa"]
    if attack == "pgd":
        help = "A pixel may move by at most ε: 1/255 is one grey level."
        eps_255 = url.select_slider("Budget ε (ℓ∞, in 1/255)", P[f"eps_{dataset}"], help=help)
        steps = url.select_slider("PGD steps", P["steps"])
    else:
        help = "Weight of the misclassification term; binary-searched from here."
        c = url.select_slider("Initial constant c", P["c"], help=help)
        help = f"Require Z_{names[target]} − max_(j≠{names[target]}) Z_j ≥ κ."
        kappa = url.select_slider("Confidence κ", P["kappa"], help=help)

upload = None
if uploaded is not None:
    content = uploaded.getvalue()
    decoded = frame.compute(scene.read_upload, spinner=None, content=content, dataset=dataset)
    if decoded.message is not None:
        controls.error(decoded.message)
    else:
        upload = content
        controls.caption(
            f"Attacking your photo: remove it to go back to the gallery image. {url.UPLOAD_NOT_IN_LINK}"
        )

arguments = dict(model_name=model_name, index=index, upload=upload, target=int(target), attack=attack)
arguments.update(eps_255=float(eps_255), steps=int(steps), c=float(c), kappa=float(kappa), seed=seed)
one_grey_level = dict(attack="pgd", steps=scene.DEFAULTS["steps"], eps_255=scene.ONE_GREY_LEVEL_255)
grey = frame.compute(scene.targeted_attack, spinner=None, **{**arguments, **one_grey_level})
with board:  # the talk's question at ε = 1/255, whatever the controls say
    lecture.predict(scene.prediction(grey), key="p03_guess")
    lecture.reveal(scene.prediction(grey), scene.verdict(grey), key="p03_guess", at=2)
if scene.expensive(attack, steps):
    note = (
        scene.ATTACK_CHOICES[attack].split(",")[0]
        + (f" with {steps} steps" if attack == "pgd" else "")
        + " takes a few seconds on a CPU."
    )
    request = tuple(sorted(arguments.items()))
    if not frame.clicked("p03_run", "Run the attack", request, note=note, where=board, type="primary"):
        frame.code(scene.targeted_attack, scene.read_upload)
        st.stop()
result = frame.compute(scene.targeted_attack, spinner="Attacking…", **arguments)
p, p_adv, before, after = result.p, result.p_adv, result.before, result.after
s = figures.scale_text(result.scale)

with board, lecture.step(3):
    left, plus, middle, equals, right = st.columns([5, 2, 5, 1, 5], vertical_alignment="center")
    left.plotly_chart(image(result.x, f"x: {names[before]} ({p[before]:.0%})"), key="p03_x")
    html = "<div style='text-align:center;font-size:1.5rem{}'>{}</div>"
    plus.markdown(html.format(";line-height:1.3", f"+ {s}<br>×"), unsafe_allow_html=True)
    middle.plotly_chart(image(result.unit, "τ/s (grey = 0)"), key="p03_tau")
    equals.markdown(html.format("", "="), unsafe_allow_html=True)
    right.plotly_chart(image(result.x_adv, f"x + τ: {names[after]} ({p_adv[after]:.0%})"), key="p03_x_adv")
    st.markdown(figures.equation(result, index, attack))
with board, lecture.step(4):
    target_p = figures.probability_text(float(p_adv[target]))
    frame.metrics(
        [
            ("F(x)", f"{names[before]} · {p[before]:.0%}"),
            (
                "F(x + τ)",
                f"{names[after]} · {p_adv[after]:.0%}",
                "The predicted class of the adversarial image and its probability.",
            ),
            dict(
                label=f"P({names[target]} | x + τ)",
                value=target_p,
                delta=f"from {figures.probability_text(float(p[target]))}",
                delta_color="off",
            ),
            ("‖τ‖∞", f"{result.scale:.4f}", f"= {255 * result.scale:.2f}/255"),
            ("‖τ‖₂", f"{result.l2:.3f}"),
        ]
    )
    st.plotly_chart(figures.probabilities(p, p_adv, names), key="p03_bars")
    st.caption(figures.amplified_caption(result.scale, scene.TALK_SCALE))

frame.code(scene.targeted_attack, scene.read_upload)
