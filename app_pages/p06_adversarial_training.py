"""6 · Adversarial training (Madry et al. 2018; Wong et al. 2020): train on the worst point of each
ε-ball, measured with the talk's table (natural / PGD-20 / CW-30)."""
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
import torch

from core import attacks, evaluation, geometry, training, zoo
from core.device import make_generator
from ui import adversarial as A
from ui import cache, layout, recompute
from ui import randomization as R

TALK_EPS = {"cifar10": 8 / 255, "mnist": 0.3, "fashion_mnist": 0.1}
TOY_EPS_CHOICES = [0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 0.15]
TOY_PGD_STEPS, TOY_CW_STEPS = 20, 30


def eps_text(eps: float, dataset: str) -> str:
    return f"{round(eps * 255):g}/255" if dataset == "cifar10" else f"{eps:g}"


# --------------------------------------------------------------------------- zoo models on the gallery

@st.cache_data(show_spinner=False, max_entries=32)
def gallery_table(model_name: str, eps: float, seed: int) -> dict:
    """The talk's table for one zoo model on the 20 gallery images (core.evaluation.robustness_table)."""
    x, y = cache.gallery(A.dataset_of(model_name))
    return evaluation.robustness_table(cache.zoo_model(model_name), x, y, eps=eps, norm="linf", pgd_steps=20,
                                       cw_steps=30, seed=seed, device=cache.device())


def training_cost(standard: dict, adversarial: dict) -> float | None:
    """Wall time of adversarial training over that of standard training, from two manifest entries."""
    if not standard.get("wall_time_s") or not adversarial.get("wall_time_s"):
        return None
    return adversarial["wall_time_s"] / standard["wall_time_s"]


# --------------------------------------------------------------------------- 2-D toy

@st.cache_resource(show_spinner=False, max_entries=32)
def toy_model(seed: int, adversarial_eps: float) -> torch.nn.Module:
    """A 2-64-64-2 ReLU network: ERM when adversarial_eps = 0, else Madry et al.'s adversarial
    training with PGD-7 in the ℓ∞ ball of that radius (step ε/4). Shared, never modified."""
    options = {}
    if adversarial_eps > 0:
        options["adversarial"] = {"kind": "pgd", "eps": adversarial_eps, "step": adversarial_eps / 4, "steps": 7}
    return R.train_toy_network(seed, **options)


@st.cache_data(show_spinner=False, max_entries=64)
def toy_scene(seed: int, adversarial_eps: float, eps: float) -> dict:
    """Decision regions, the talk's table on the held-out points, and which of them PGD breaks."""
    model, device = toy_model(seed, adversarial_eps), cache.device()
    _, _, x_test, y_test = R.toy_split(seed)
    table = evaluation.robustness_table(model, x_test, y_test, eps=eps, norm="linf", pgd_steps=TOY_PGD_STEPS,
                                        cw_steps=TOY_CW_STEPS, seed=seed, device=device)
    # The same PGD-20 run as the table's (same seed, one batch), to mark the broken points.
    x_adv = attacks.pgd(model, x_test.to(device), y_test.to(device), eps=eps, step=2.5 * eps / TOY_PGD_STEPS,
                        steps=TOY_PGD_STEPS, norm="linf", generator=make_generator(seed, device))
    with torch.no_grad():
        broken = (model(x_adv).argmax(1).cpu() != y_test)
    regions = geometry.decision_regions(model, resolution=150, device=device)
    return {"regions": regions, "table": table, "broken": broken}


def toy_figure(scene: dict, title: str, eps: float, seed: int) -> go.Figure:
    _, _, x_test, y_test = R.toy_split(seed)
    figure = A.regions_figure(scene["regions"], title, height=470)
    A.add_points(figure, x_test, y_test, size=7, opacity=0.85, name="held-out")
    broken = scene["broken"]
    figure.add_scatter(x=x_test[broken, 0].numpy(), y=x_test[broken, 1].numpy(), mode="markers",
                       name="broken by PGD-20", marker=dict(symbol="x-thin-open", size=12, color="black",
                                                            line=dict(width=2)))
    # One ε-square in the empty lower-left corner, to give the scale of the budget.
    bx, by = A.ball_outline(torch.tensor([eps + 0.02, eps + 0.02]), eps, "linf")
    figure.add_scatter(x=bx, y=by, mode="lines", fill="toself", name=f"an ℓ∞ ball of radius ε = {eps:g}",
                       line=dict(color="black", width=1.5), fillcolor="rgba(0,0,0,0.08)", hoverinfo="skip")
    return figure


# --------------------------------------------------------------------------- page

layout.header(
    "6 · Adversarial training",
    r"""
Madry et al. (2018) train on the **worst point of every ball** instead of the point itself — a min–max problem

$$\min_\theta\ \mathbb E_{(x,y)}\Big[\max_{\|\tau\|_\infty \le \varepsilon} \ell\big(F_\theta(x+\tau), y\big)\Big],$$

the inner maximum approximated by PGD at every training step (Wong et al. 2020: one FGSM step from a random start
is enough and much cheaper). The talk's table measures the result with two attacks: PGD on the cross-entropy
(20 steps) and PGD on the Carlini–Wagner margin $\max_{j\ne y} Z_j - Z_y$ (30 steps). Robustness is bought with
clean accuracy and with **training time**.
""",
    uses="zoo models {cifar10,mnist}-standard and -adversarial (FGSM with random start, core.experiments) on the 20 "
         "real test images of foolbox's gallery; a 2-D toy (two moons, core.data.toy_2d) with a 2-64-64-2 network "
         "trained here by ERM and by PGD adversarial training (core.training.train).",
)
seed = layout.seed_input()

available = set(A.deterministic_models())
datasets = [d for d in ("cifar10", "mnist") if {f"{d}-standard", f"{d}-adversarial"} & available] or ["cifar10"]
default = next((d for d in datasets if {f"{d}-standard", f"{d}-adversarial"} <= available), datasets[0])
dataset = st.sidebar.selectbox("Image dataset", datasets, index=datasets.index(default), key="p06_dataset",
                               format_func=A.DATASET_TITLES.get)
eps = TALK_EPS[dataset]
names = {"standard": f"{dataset}-standard", "adversarial": f"{dataset}-adversarial"}
images_tab, toy_tab = st.tabs([f"The talk's table ({A.DATASET_TITLES[dataset]})", "2-D: the boundary moves away"])

with images_tab:
    loaded, entries = {}, {}
    for kind, name in names.items():
        try:
            entries[kind] = cache.zoo_entry(name)
            cache.zoo_model(name)
            loaded[kind] = name
        except zoo.ModelUnavailable as error:
            st.info(str(error))
    tables = {}
    if loaded:
        bar = st.progress(0.0, text="PGD-20 and CW-30 on the gallery images…")
        for done, (kind, name) in enumerate(loaded.items(), start=1):
            tables[kind] = gallery_table(name, eps, seed)
            bar.progress(done / len(loaded), text=f"{name} done")
        bar.empty()
        columns = st.columns(2 * len(tables))
        for position, (kind, table) in enumerate(tables.items()):
            columns[2 * position].metric(f"{loaded[kind]} · natural", f"{table['natural']:.0%}")
            columns[2 * position + 1].metric(f"{loaded[kind]} · PGD-20", f"{table['pgd']:.0%}",
                                             help=f"ℓ∞ budget ε = {eps_text(eps, dataset)}")
        rows = []
        for kind, table in tables.items():
            rows.append({"training": f"{kind} ({loaded[kind]})", "evaluated on": f"{table['examples']} gallery images",
                         "natural": A.percent(table["natural"]), "PGD-20": A.percent(table["pgd"]),
                         "CW-30": A.percent(table["cw"])})
        for kind, name in loaded.items():
            shipped, message = A.shipped("robustness", name)
            if shipped is None:
                st.caption(message)
                continue
            table = shipped.get("table", {})
            rows.append({"training": f"{kind} ({name})", "evaluated on": f"{shipped.get('examples', '?')} test images "
                         f"(shipped, {shipped.get('computed_on', '?')})", "natural": A.percent(table.get("natural")),
                         "PGD-20": A.percent(table.get("pgd")), "CW-30": A.percent(table.get("cw"))})
        madry = evaluation.MADRY_CIFAR10
        for kind, label in (("natural_training", "natural"), ("adversarial_training", "adversarial")):
            reference = madry[kind]
            rows.append({"training": f"{label} — Madry et al. 2018", "evaluated on": "CIFAR-10 test set, wide ResNet, "
                         f"ε = {round(madry['eps'] * 255)}/255", "natural": A.percent(reference["natural"]),
                         "PGD-20": A.percent(reference["pgd"]), "CW-30": A.percent(reference["cw"])})
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        st.caption(f"Our rows: core.evaluation.robustness_table with ℓ∞ ε = {eps_text(eps, dataset)}, step 2.5·ε/steps, "
                   "random start (seeded). Madry et al.'s rows are the published numbers the talk shows (no CW number is "
                   "published for natural training). 20 images give a coarse estimate: 1 image = 5 points.")
        recompute.robustness_panel(list(loaded.values()), {name: A.shipped("robustness", name)[0] for name in loaded.values()},
                                   dataset=dataset, seed=seed, key="p06_recompute")

    st.subheader("The price: training time")
    if len(entries) == 2:
        ratio = training_cost(entries["standard"], entries["adversarial"])
        columns = st.columns(3)
        for column, kind in zip(columns, ("standard", "adversarial")):
            entry = entries[kind]
            column.metric(f"{kind.capitalize()} training", f"{entry.get('wall_time_s', float('nan')) / 60:.1f} min",
                          help=f"{entry.get('device', '?')}; recipe: {entry.get('recipe', {})}")
        if ratio is not None:
            columns[2].metric("Time ratio adversarial / standard", f"{ratio:.1f}×")
        recipe_rows = [{"model": names[kind], "device": entries[kind].get("device"),
                        "epochs": entries[kind].get("recipe", {}).get("epochs"),
                        "architecture": str(entries[kind].get("architecture")),
                        "inner maximisation": str(entries[kind].get("recipe", {}).get("adversarial") or "—"),
                        "wall time (s)": entries[kind].get("wall_time_s")} for kind in ("standard", "adversarial")]
        st.dataframe(pd.DataFrame(recipe_rows), hide_index=True, width="stretch")
        st.caption("From the zoo manifest. Each adversarial step costs one extra forward/backward pass with FGSM-RS "
                   "(Wong et al. 2020) and k extra with PGD-k (Madry et al. used k = 7 on CIFAR-10: about 8× the cost "
                   "of a standard step). The recipes above may differ in epochs and width — read the ratio with them.")
    else:
        st.info("The time ratio needs both the standard and the adversarially trained model in the zoo.")

with toy_tab:
    controls, board = st.columns([1, 3], gap="large")
    with controls:
        toy_eps = st.select_slider("Budget ε (ℓ∞), for training and for the attacks", TOY_EPS_CHOICES, value=0.1,
                                   key="p06_eps")
    bar = st.progress(0.0, text="Training the standard network…")
    toy_model(seed, 0.0)
    bar.progress(0.5, text=f"Adversarial training with PGD-7 at ε = {toy_eps:g}…")
    toy_model(seed, float(toy_eps))
    bar.empty()
    standard = toy_scene(seed, 0.0, float(toy_eps))
    robust = toy_scene(seed, float(toy_eps), float(toy_eps))
    with board:
        columns = st.columns(4)
        columns[0].metric("Standard · natural", f"{standard['table']['natural']:.1%}")
        columns[1].metric("Standard · PGD-20", f"{standard['table']['pgd']:.1%}")
        columns[2].metric("Adversarial · natural", f"{robust['table']['natural']:.1%}")
        columns[3].metric("Adversarial · PGD-20", f"{robust['table']['pgd']:.1%}")
        left, right = st.columns(2)
        left.plotly_chart(toy_figure(standard, "Standard training (ERM)", float(toy_eps), seed), key="p06_toy_standard")
        right.plotly_chart(toy_figure(robust, f"Adversarial training (PGD-7, ε = {toy_eps:g})", float(toy_eps),
                                      seed),
                           key="p06_toy_adversarial")
        _, _, x_test, _ = R.toy_split(seed)
        st.caption(f"{len(x_test)} held-out points; × marks those PGD-20 moves across the boundary within the ℓ∞ ball "
                   f"of radius {toy_eps:g}. Adversarial training pushes the boundary at least ε away from the training "
                   f"points (CW-30: {standard['table']['cw']:.1%} standard vs {robust['table']['cw']:.1%} adversarial); "
                   "with a large ε the two moons no longer fit between the balls and clean accuracy drops.")

layout.show_code(evaluation.robustness_table, training.train)
