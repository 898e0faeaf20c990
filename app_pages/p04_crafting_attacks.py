"""4 · Crafting an attack: from the hard problem to its relaxation and to one gradient step; accuracy
versus budget for several attacks (Szegedy et al. 2014; Goodfellow et al. 2015; Madry et al. 2018;
Carlini & Wagner 2017)."""
import plotly.graph_objects as go
import streamlit as st
import torch

from core import attacks, evaluation
from core.device import make_generator
from ui import adversarial as A
from ui import cache, layout

FAMILIES = {"linf": ["fgsm", "pgd_linf", "pgd_cw"], "l2": ["gradient_step", "pgd_l2", "cw_l2"]}
NORM_SYMBOL = {"linf": "ℓ∞", "l2": "ℓ2"}
BUDGETS = {  # the curve's budgets (the budget slider offers the same values)
    ("linf", "mnist"): [0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4],
    ("linf", "fashion_mnist"): [0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3],
    ("linf", "cifar10"): [0.0, 1 / 255, 2 / 255, 4 / 255, 8 / 255, 16 / 255],
    ("l2", "mnist"): [0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0],
    ("l2", "fashion_mnist"): [0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0],
    ("l2", "cifar10"): [0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5],
}
DEFAULT_BUDGET = {("linf", "mnist"): 0.1, ("linf", "fashion_mnist"): 0.1, ("linf", "cifar10"): 2 / 255,
                  ("l2", "mnist"): 1.0, ("l2", "fashion_mnist"): 1.0, ("l2", "cifar10"): 0.25}
STEP_CHOICES = [1, 2, 5, 10, 20, 40]
# C&W: Adam steps per round, binary-search rounds, step, first constant. Near-binary MNIST pixels sit where tanh is
# flat, so the step is 0.1 (not foolbox's 0.01) and c starts at 10 to succeed within three rounds.
CW_STEPS, CW_SEARCH, CW_LR, CW_C = 100, 3, 0.1, 10.0
COLORS = {"fgsm": "#2ca02c", "pgd_linf": "#d62728", "pgd_cw": "#9467bd", "gradient_step": "#2ca02c",
          "pgd_l2": "#d62728", "cw_l2": "#9467bd"}


def attack_options(attack: str, steps: int) -> dict:
    """The keywords each attack takes besides its budget."""
    if attack.startswith("pgd"):
        return {"steps": steps}
    if attack == "cw_l2":
        return {"steps": CW_STEPS, "binary_search_steps": CW_SEARCH, "lr": CW_LR, "c": CW_C}
    return {}


def budget_text(value: float, norm: str, dataset: str) -> str:
    if norm == "linf" and dataset == "cifar10":
        return f"{round(value * 255):g}/255"
    return f"{value:g}"


@st.cache_data(show_spinner=False, max_entries=128)
def accuracy_curve(model_name: str, attack: str, budgets: tuple, steps: int, seed: int) -> list[float]:
    """core.evaluation.accuracy_under_attack on the 20 gallery images of the model's dataset."""
    model = cache.zoo_model(model_name)
    x, y = cache.gallery(A.dataset_of(model_name))
    return evaluation.accuracy_under_attack(model, x, y, attack=attack, budgets=list(budgets), seed=seed,
                                            device=cache.device(), **attack_options(attack, steps))


@st.cache_data(show_spinner=False, max_entries=64)
def example(model_name: str, attack: str, budget: float, steps: int, index: int, seed: int) -> dict:
    """One gallery image before and after the attack, with both predicted distributions."""
    model, device = cache.zoo_model(model_name), cache.device()
    x, y = cache.gallery(A.dataset_of(model_name))
    xb, yb = x[index:index + 1].to(device), y[index:index + 1].to(device)
    options = attack_options(attack, steps)
    budget_name = attacks.ATTACK_BUDGETS[attack]
    if budget_name is not None:
        options[budget_name] = budget
    if attack.startswith("pgd"):
        options["generator"] = make_generator(seed, device)
    x_adv = attacks.run_attack(attack, model, xb, yb, **options)
    with torch.no_grad():
        p = torch.softmax(model(xb), 1)[0].cpu()
        p_adv = torch.softmax(model(x_adv), 1)[0].cpu()
    return {"x": x[index], "x_adv": x_adv[0].cpu(), "p": p, "p_adv": p_adv}


def curves_figure(curves: dict, budgets: list, chosen: str, budget: float, norm: str, dataset: str,
                  title: str, dash: str | None = None) -> go.Figure:
    figure = go.Figure()
    for attack, accuracy in curves.items():
        figure.add_scatter(x=budgets if isinstance(budgets, list) else budgets[attack], y=accuracy,
                           mode="lines+markers", name=attacks.ATTACK_LABELS[attack],
                           line=dict(color=COLORS[attack], width=4 if attack == chosen else 2, dash=dash))
    if budget is not None:
        figure.add_vline(x=budget, line=dict(color="grey", dash="dot"),
                         annotation_text=f"ε = {budget_text(budget, norm, dataset)}")
    figure.update_layout(height=420, margin=dict(l=10, r=10, t=50, b=10), title=title,
                         xaxis=dict(title=f"budget ε ({NORM_SYMBOL[norm]})"),
                         yaxis=dict(title="accuracy under attack", range=[-0.03, 1.03], tickformat=".0%"),
                         legend=dict(orientation="h", y=-0.2))
    return figure


layout.header(
    "4 · Crafting an attack",
    r"""
**The hard problem** (Szegedy et al. 2014): the smallest perturbation that changes the decision,
$\displaystyle\min_{\tau} \|\tau\| \ \text{ s.t. }\ F(x+\tau) \neq y$ — combinatorial, solved approximately by
Carlini & Wagner (2017). **The relaxation** (Madry et al. 2018): within a budget $\varepsilon$, make the loss as
large as possible, $\displaystyle\max_{\|\tau\| \le \varepsilon} \ell\big(F(x+\tau), y\big)$. **One step** of
gradient ascent on it gives the talk's attack
$\displaystyle x_{adv} = x + \gamma\,\frac{\nabla_x \ell(F(x), y)}{\|\nabla_x \ell(F(x), y)\|}$;
in $\ell_\infty$ the steepest step is FGSM, $x + \varepsilon\,\mathrm{sign}\,\nabla_x\ell$, and iterating it with a
projection on the ball is PGD. The accuracy **drops drastically** with the budget — to 0 %.
""",
    uses="a CNN from the model zoo (default mnist-standard: cheap on a laptop CPU) on the 20 real test images of "
         "foolbox's offline gallery (core.data.gallery); curves by core.evaluation.accuracy_under_attack.",
)
seed = layout.seed_input()

model_name, dataset, class_names, x_gallery, y_gallery = A.model_and_gallery(
    "Model", key="p04_model", prefer=["mnist-standard", "cifar10-standard", "mnist-adversarial", "cifar10-adversarial"])

controls, board = st.columns([1, 3], gap="large")
with controls:
    attack = st.selectbox("Attack", attacks.ATTACKS, index=attacks.ATTACKS.index("pgd_linf"), key="p04_attack",
                          format_func=attacks.ATTACK_LABELS.get)
    norm = attacks.ATTACK_NORMS[attack]
    budgets = BUDGETS[(norm, dataset)]
    budget = st.select_slider(f"Budget ε ({NORM_SYMBOL[norm]}" + (", γ for the gradient step)" if attack == "gradient_step"
                                                                  else ")"),
                              budgets, value=DEFAULT_BUDGET[(norm, dataset)], key=f"p04_budget_{norm}",
                              format_func=lambda b: budget_text(b, norm, dataset),
                              help="For Carlini–Wagner (no budget): an image counts as broken when C&W's "
                                   "minimal perturbation is at most ε.")
    steps = st.select_slider("PGD steps", STEP_CHOICES, value=10, key="p04_steps",
                             help="Step size 2.5·ε/steps (Madry et al. 2018). C&W always runs "
                                  f"{CW_SEARCH} rounds of {CW_STEPS} Adam steps.")
    index = A.gallery_choice("Example image", y_gallery, class_names, key="p04_image")

family = FAMILIES[norm]
progress = st.progress(0.0, text="Attacking the 20 gallery images…")
curves = {}
for done, name in enumerate(family, start=1):
    curves[name] = accuracy_curve(model_name, name, tuple(budgets), int(steps), seed)
    progress.progress(done / len(family), text=f"{attacks.ATTACK_LABELS[name]} done")
progress.empty()
position = budgets.index(budget)
chosen_curve = curves[attack]

with board:
    columns = st.columns(4)
    columns[0].metric("Clean accuracy", f"{chosen_curve[0]:.0%}", help=f"On the {len(x_gallery)} gallery images.")
    columns[1].metric(f"Accuracy at ε = {budget_text(budget, norm, dataset)}", f"{chosen_curve[position]:.0%}",
                      help=f"Under {attacks.ATTACK_LABELS[attack]} on the {len(x_gallery)} gallery images.")
    columns[2].metric(f"At the largest ε = {budget_text(budgets[-1], norm, dataset)}", f"{chosen_curve[-1]:.0%}")
    strongest = min(family, key=lambda name: curves[name][position])
    columns[3].metric("Strongest here", attacks.ATTACK_LABELS[strongest].split(" (")[0],
                      help="The attack with the lowest accuracy at this budget (the best upper bound on the robust accuracy).")
    st.plotly_chart(curves_figure(curves, budgets, attack, budget, norm, dataset,
                                  f"Accuracy vs {NORM_SYMBOL[norm]} budget on {len(x_gallery)} {A.DATASET_TITLES[dataset]} "
                                  f"test images ({model_name})"), key="p04_curves")
    st.caption("Each point is an upper bound on the robust accuracy: the attack found adversarial examples for the "
               "other images. PGD (iterated and projected) finds more than a single step, so its curve lies below. "
               + ("Switch to an ℓ2 attack to see the gradient step, PGD ℓ2 and Carlini–Wagner." if norm == "linf" else
                  "Switch to an ℓ∞ attack to see FGSM, PGD and PGD on the CW loss."))

    st.subheader("One image before and after")
    scene = example(model_name, attack, float(budget), int(steps), int(index), seed)
    tau = scene["x_adv"] - scene["x"]
    scale, unit_picture = A.perturbation_view(tau)
    before, after = int(scene["p"].argmax()), int(scene["p_adv"].argmax())
    left, middle, right, numbers = st.columns([2, 2, 2, 2])
    left.plotly_chart(A.image_figure(scene["x"], f"x: {class_names[before]} ({scene['p'][before]:.0%})", height=220),
                      key="p04_x")
    middle.plotly_chart(A.image_figure(unit_picture, f"τ/s, s = ‖τ‖∞ = {scale:.3f}", height=220), key="p04_tau")
    right.plotly_chart(A.image_figure(scene["x_adv"], f"x + τ: {class_names[after]} ({scene['p_adv'][after]:.0%})",
                                      height=220), key="p04_x_adv")
    numbers.metric("‖τ‖₂", f"{float(tau.norm()):.3f}")
    numbers.metric("‖τ‖∞", f"{scale:.3f}")
    if after == int(y_gallery[index]):
        st.caption(f"This image resists {attacks.ATTACK_LABELS[attack].split(' (')[0]} at this budget: raise ε or the "
                   "steps, or pick another image.")
    if attack == "cw_l2":
        st.caption(f"Carlini–Wagner returns its smallest successful perturbation; the image counts as broken at "
                   f"ε = {budget_text(budget, norm, dataset)} only if ‖τ‖₂ ≤ ε.")

    st.subheader("Shipped: the whole test set")
    shipped, message = A.shipped("attacks", model_name)
    if shipped is None:
        st.info(message)
    else:
        shipped_curves = {name: entry["accuracy"] for name, entry in shipped.get("curves", {}).items()
                          if entry.get("norm") == norm and name in attacks.ATTACK_LABELS}
        if not shipped_curves:
            st.info(f"The shipped file has no {NORM_SYMBOL[norm]} curves: recompute it with {shipped.get('command')}.")
        else:
            shipped_budgets = {name: shipped["curves"][name]["budgets"] for name in shipped_curves}
            st.plotly_chart(curves_figure(shipped_curves, shipped_budgets, attack, None, norm, dataset,
                                          f"{shipped.get('examples', '?')} test images ({model_name})", dash="dash"),
                            key="p04_shipped")
            st.caption(f"Computed on {shipped.get('computed_on', '?')} on {shipped.get('device', '?')} by "
                       f"`{shipped.get('command', '?')}`.")

layout.show_code(evaluation.accuracy_under_attack, attacks.gradient_step, attacks.fgsm, attacks.pgd)
