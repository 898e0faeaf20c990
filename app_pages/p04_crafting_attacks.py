"""4 · Crafting an attack: from the hard problem to its relaxation and to one gradient step; accuracy versus
budget for several attacks (Szegedy et al. 2014; Goodfellow et al. 2015; Madry et al. 2018; Carlini & Wagner
2017). Computed by core.scenes.crafting_attacks."""
import streamlit as st

from core.scenes import common
from core.scenes import crafting_attacks as craft
from ui import layout, lecture, frame
from ui import url
from ui.figures import crafting_attacks as figures
from ui.figures import image

frame.header("p04_crafting_attacks", craft.EXPLANATION, craft.USES)
seed = layout.seed_input()
names = craft.models()
if not names:
    st.info(craft.NO_MODEL)
    st.stop()
model_name = url.selectbox("Model", names, key="p04_model", where=st.sidebar)
dataset = common.dataset_of(model_name)
options = common.gallery_options(dataset)
labels, norms = craft.LABELS, craft.NORMS


def short(attack: str) -> str:
    return labels[attack].split(" (")[0]


def shown(value: float) -> str:
    return craft.budget_text(value, norm, dataset)


controls, board = st.columns([1, 3], gap="large")
with controls:
    attack = url.selectbox("Attack", craft.ATTACKS, index=craft.ATTACKS.index("pgd_linf"),
                          key="p04_attack", format_func=labels.get)
    norm = norms[attack]
    symbol = craft.NORM_SYMBOL[norm]
    budgets = craft.BUDGETS[(norm, dataset)]
    budget = url.select_slider(f"Budget ε ({symbol}" + (", γ for the gradient step)" if attack == "gradient_step"
                                                       else ")"),
                              budgets, value=craft.DEFAULT_BUDGET[(norm, dataset)], key=f"p04_budget_{norm}",
                              format_func=shown,
                              help="For Carlini–Wagner (no budget): an image counts as broken when C&W's "
                                   "minimal perturbation is at most ε.")
    steps = url.select_slider("PGD steps", craft.STEP_CHOICES, value=craft.DEFAULT_STEPS, key="p04_steps",
                             help="Step size 2.5·ε/steps, a later heuristic (Madry et al.: 2/255, 7 steps, CIFAR-10). "
                                  f"C&W runs {craft.CW_SEARCH} rounds of {craft.CW_STEPS} Adam steps.")
    index = url.selectbox("Example image", range(len(options)), key="p04_image", format_func=options.__getitem__)

family = craft.FAMILIES[norm]
wanted = (model_name, norm, steps, seed)


def family_curves(live: bool, progress=None) -> list:
    curves = []
    for done, name in enumerate(family, start=1):
        curves.append(frame.compute(craft.curve, spinner=None, model_name=model_name, attack=name, steps=int(steps),
                                    seed=seed, compute=live))
        if progress is not None:
            progress.progress(done / len(family), text=f"{short(name)} done")
    return curves


curves = family_curves(wanted in st.session_state.get("p04_live", set()))
with board:
    if not all(c.matches(steps, seed) for c in curves):
        st.info(f"The curves below are the shipped ones, at {craft.DEFAULT_STEPS} PGD steps and seed "
                f"{craft.SHIPPED_SEED}; computing them at {steps} steps and seed {seed} takes a while.")
        if st.button(f"Compute the curves at {steps} PGD steps, seed {seed}", key="p04_compute"):
            st.session_state.setdefault("p04_live", set()).add(wanted)
            progress = st.progress(0.0, text=f"Attacking the {curves[0].images} gallery images…")
            family_curves(True, progress)
            st.rerun()
chosen = next(c for c in curves if c.attack == attack)
settings = "; ".join(sorted({f"{c.steps} PGD steps, seed {c.seed}" for c in curves if c.steps is not None}))

with board, lecture.step(2):
    columns = st.columns(4)
    columns[0].metric("Clean accuracy", f"{chosen.accuracy[0]:.0%}", help=f"On the {chosen.images} gallery images.")
    columns[1].metric(f"Accuracy at ε = {shown(budget)}", f"{chosen.at(budget):.0%}",
                      help=f"Under {labels[attack]} on the {chosen.images} gallery images.")
    columns[2].metric(f"At the largest ε = {shown(budgets[-1])}", f"{chosen.accuracy[-1]:.0%}")
    columns[3].metric("Strongest here", " = ".join(map(short, craft.strongest(curves, budget))),
                      help="The attack with the lowest accuracy at this budget (the best upper bound on the "
                           "robust accuracy).")
    st.plotly_chart(figures.curves({c.attack: (c.budgets, c.accuracy) for c in curves}, chosen=attack,
                                   norm_symbol=symbol, budget=budget, budget_label=shown(budget),
                                   title=f"Accuracy vs {symbol} budget on {chosen.images} "
                                         f"{common.DATASET_TITLES[dataset]} test images ({model_name}; {settings})"),
                    key="p04_curves")
    st.caption(craft.curves_caption(curves))

with board, lecture.step(3):
    st.subheader("One image before and after")
    arguments = dict(model_name=model_name, attack=attack, budget=float(budget), steps=int(steps), index=int(index),
                     seed=seed)
    requested = st.session_state.setdefault("p04_requested", set())
    gated = craft.expensive_example(attack) and (model_name, int(index)) not in requested
    if gated:
        st.info(f"{short(attack)} takes a few seconds on one image on a CPU (its result does not depend on ε).")
        if st.button("Run it on this image", key="p04_run", type="primary"):
            requested.add((model_name, int(index)))
            gated = False
    if not gated:
        one = frame.compute(craft.example, **arguments)
        names_ = one.class_names
        left, middle, right, numbers = st.columns([2, 2, 2, 2])
        left.plotly_chart(image(one.x, f"x: {names_[one.before]} ({one.p[one.before]:.0%})", height=220), key="p04_x")
        middle.plotly_chart(image(one.unit, f"τ/s, s = ‖τ‖∞ = {one.linf:.3f}", height=220), key="p04_tau")
        right.plotly_chart(image(one.x_adv, f"x + τ: {names_[one.after]} ({one.p_adv[one.after]:.0%})",
                                 height=220), key="p04_x_adv")
        numbers.metric("‖τ‖₂", f"{one.l2:.3f}")
        numbers.metric("‖τ‖∞", f"{one.linf:.3f}")
        if not one.fooled:
            st.caption(f"This image resists {short(attack)} at this budget: raise ε or the steps, or pick another "
                       "image.")
        if attack == "cw_l2":
            st.caption(f"Carlini–Wagner returns its smallest successful perturbation, here ‖τ‖₂ = {one.l2:.3f}: the "
                       f"image {'counts' if one.broken else 'does not count'} as broken at ε = {shown(budget)}"
                       + ("." if one.broken or not one.fooled else " (its ‖τ‖₂ is larger than ε)."))

with board, lecture.step(4):
    st.subheader("The slide's relaxation: min over τ of c‖τ‖₂ − ℓ(y, F(x+τ))")
    c = url.select_slider("c, the weight of ‖τ‖", craft.C_CHOICES, value=craft.DEFAULT_C, key="p04_c")
    asked = st.session_state.setdefault("p04_relax", set())
    if (model_name, int(index)) in asked or st.button("Minimise it for every c on this image", key="p04_relax_run"):
        asked.add((model_name, int(index)))
        relax = frame.compute(craft.relaxation, model_name=model_name, index=int(index), c=float(c))
        k, columns = relax.at(float(c)), st.columns(3)
        columns[0].metric("‖τ‖₂ of the minimiser", f"{relax.norms[k]:.3f}")
        columns[1].metric("F(x + τ)", relax.class_names[relax.predictions[k]],
                          help=f"True class: {relax.class_names[relax.label]}")
        columns[2].metric("F flipped", "yes" if relax.flipped[k] else "no")
        st.plotly_chart(figures.relaxation(relax), key="p04_relaxation")
        st.caption(relax.caption)

    st.subheader("Shipped: the whole test set")
    test_set = frame.compute(craft.test_set, spinner=None, model_name=model_name, norm=norm)
    if test_set.message is not None:
        st.info(test_set.message)
    else:
        st.plotly_chart(figures.curves(test_set.curves, chosen=attack, norm_symbol=symbol, dash="dash",
                                       title=f"{test_set.examples} test images ({model_name})"), key="p04_shipped")
        st.caption(test_set.provenance)
        if test_set.masking:
            st.warning(test_set.masking)

frame.code(craft.curve, craft.compute_curve, craft.example, craft.relaxation_objective)
