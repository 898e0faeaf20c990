"""4 · Crafting an attack: from the hard problem to its relaxation and to one gradient step; accuracy versus
budget for several attacks (Szegedy et al. 2014; Goodfellow et al. 2015; Madry et al. 2018; Carlini & Wagner
2017). Computed by core.scenes.crafting_attacks."""

from core.scenes import common
from core.scenes import crafting_attacks as scene
from ui import frame, layout, lecture, picker, url
from ui.figures import crafting_attacks as figures
from ui.figures import image
from ui.frame import st


def short(attack: str) -> str:
    return scene.LABELS[attack].split(" (")[0]


def shown(value: float) -> str:
    return scene.budget_text(value, norm, dataset)


def live_curves(*, model_name: str, norm: str, steps: int, seed: int, progress) -> list:
    """The curves of the norm's family of attacks, computed at these steps and seed."""
    calls = [
        dict(model_name=model_name, attack=name, steps=steps, seed=seed) for name in scene.FAMILIES[norm]
    ]
    return frame.each(scene.curve, calls, progress)


P = scene.PARAMETERS

frame.header("p04_crafting_attacks")
seed = layout.seed_input()
controls, board = st.columns([1, 3], gap="large")
where = dict(model_where=st.sidebar, image_where=controls)
picked = picker.zoo_image(
    scene.PARAMETERS,
    scene.models(),
    missing=scene.NO_MODEL,
    model_label="Model",
    image_label="Example image",
    **where,
)
if picked is None:
    st.stop()
model_name, dataset, index = picked
with controls:
    attack = url.selectbox("Attack", P["attack"], format_func=scene.LABELS.get)
    norm = scene.NORMS[attack]
    symbol, budgets = scene.NORM_SYMBOL[norm], scene.BUDGETS[(norm, dataset)]
    label = f"Budget ε ({symbol}" + (", γ for the gradient step)" if attack == "gradient_step" else ")")
    options = dict(format_func=shown, help=figures.BUDGET_HELP)
    budget = url.select_slider(
        label, P[f"budget_{norm}"], choices=budgets, value=scene.DEFAULT_BUDGET[(norm, dataset)], **options
    )
    help = figures.steps_help(scene.CW_SEARCH, scene.CW_STEPS)
    steps = url.select_slider("PGD steps", P["steps"], help=help)

settings = dict(model_name=model_name, steps=int(steps), seed=seed)
curves = [
    frame.compute(scene.curve, spinner=None, attack=name, compute=False, **settings)
    for name in scene.FAMILIES[norm]
]
if not all(c.matches(steps, seed) for c in curves):
    note = (
        f"The curves below are the shipped ones, at {scene.DEFAULT_STEPS} PGD steps and seed "
        f"{scene.SHIPPED_SEED}; computing them at {steps} steps and seed {seed} takes a while."
    )
    label, title = (
        f"Compute the curves at {steps} PGD steps, seed {seed}",
        f"Attacking the {curves[0].images} gallery images",
    )
    run = dict(title=title, unit="attacks", note=note, where=board)
    curves = frame.slow_run("p04_compute", label, live_curves, norm=norm, **run, **settings) or curves
chosen = next(c for c in curves if c.attack == attack)

with board, lecture.step(2):
    on, at = f"the {chosen.images} gallery images", shown(budget)
    strongest = " = ".join(map(short, scene.strongest(curves, budget)))
    row = [
        ("Clean accuracy", f"{chosen.accuracy[0]:.0%}", f"On {on}."),
        (f"Accuracy at ε = {at}", f"{chosen.at(budget):.0%}", f"Under {scene.LABELS[attack]} on {on}."),
        (f"At the largest ε = {shown(budgets[-1])}", f"{chosen.accuracy[-1]:.0%}"),
        ("Strongest here", strongest, figures.STRONGEST_HELP),
    ]
    frame.metrics(row)
    title = figures.gallery_title(curves, symbol, common.DATASET_TITLES[dataset], model_name)
    series = {c.attack: (c.budgets, c.accuracy) for c in curves}
    marked = dict(budget=budget, budget_label=shown(budget))
    figure = figures.curves(series, chosen=attack, norm_symbol=symbol, title=title, **marked)
    st.plotly_chart(figure, key="p04_curves")
    st.caption(scene.curves_caption(curves))

with board, lecture.step(3):
    st.subheader("One image before and after")
    note = f"{short(attack)} takes a few seconds on one image on a CPU (its result does not depend on ε)."
    gate = dict(note=note, type="primary")
    if not scene.expensive_example(attack) or frame.clicked(
        "p04_run", "Run it on this image", (model_name, index), **gate
    ):
        one = frame.compute(scene.example, attack=attack, budget=float(budget), index=index, **settings)
        names, small = one.class_names, dict(height=220)
        left, middle, right, numbers = st.columns(4)
        left.plotly_chart(
            image(one.x, f"x: {names[one.before]} ({one.p[one.before]:.0%})", **small), key="p04_x"
        )
        middle.plotly_chart(image(one.unit, f"τ/s, s = ‖τ‖∞ = {one.linf:.3f}", **small), key="p04_tau")
        title = f"x + τ: {names[one.after]} ({one.p_adv[one.after]:.0%})"
        right.plotly_chart(image(one.x_adv, title, **small), key="p04_x_adv")
        numbers.metric("‖τ‖₂", f"{one.l2:.3f}")
        numbers.metric("‖τ‖∞", f"{one.linf:.3f}")
        for caption in figures.example_captions(one, short(attack), attack, shown(budget)):
            st.caption(caption)

with board, lecture.step(4):
    st.subheader("The slide's relaxation: min over τ of c‖τ‖₂ − ℓ(y, F(x+τ))")
    c = url.select_slider("c, the weight of ‖τ‖", P["c"])
    if frame.clicked("p04_relax_run", "Minimise it for every c on this image", (model_name, index)):
        relax = frame.compute(scene.relaxation, model_name=model_name, index=index, c=float(c))
        k, names = relax.at(float(c)), relax.class_names
        true_class = f"True class: {names[relax.label]}"
        flipped = "yes" if relax.flipped[k] else "no"
        row = [
            ("‖τ‖₂ of the minimiser", f"{relax.norms[k]:.3f}"),
            ("F(x + τ)", names[relax.predictions[k]], true_class),
        ]
        frame.metrics([*row, ("F flipped", flipped)])
        st.plotly_chart(figures.relaxation(relax), key="p04_relaxation")
        st.caption(relax.caption)

    st.subheader("Shipped: the whole test set")
    test_set = frame.compute(scene.test_set, spinner=None, model_name=model_name, norm=norm)
    if test_set.message is not None:
        st.info(test_set.message)
    else:
        title = f"{test_set.examples} test images ({model_name})"
        figure = figures.curves(test_set.curves, chosen=attack, norm_symbol=symbol, dash="dash", title=title)
        st.plotly_chart(figure, key="p04_shipped")
        st.caption(test_set.provenance)
        if test_set.masking:
            st.warning(test_set.masking)

frame.code(scene.curve, scene.compute_curve, scene.example, scene.relaxation_objective)
