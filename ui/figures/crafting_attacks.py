"""Figures of scene 4 (crafting an attack): accuracy under attack against the budget."""

from __future__ import annotations

import plotly.graph_objects as go

from core.attacks import ATTACK_LABELS
from ui.figures import LABELS, SERIES_COLORS, builder, compact

# One colour per attack's role in its family: the one-step attack, PGD, the third (CW loss / C&W).
COLORS = {
    "fgsm": SERIES_COLORS[2],
    "pgd_linf": SERIES_COLORS[1],
    "pgd_cw": SERIES_COLORS[3],
    "gradient_step": SERIES_COLORS[2],
    "pgd_l2": SERIES_COLORS[1],
    "cw_l2": SERIES_COLORS[3],
}


@builder
def curves(
    series: dict,
    *,
    chosen: str,
    norm_symbol: str,
    title: str,
    budget: float | None = None,
    budget_label: str = "",
    dash: str | None = None,
) -> go.Figure:
    """Accuracy vs budget, one line per attack: ``series`` maps attack → (budgets, accuracy); the chosen
    attack is drawn thicker and ``budget`` as a dotted vertical line."""
    figure = go.Figure()
    for attack, (budgets, accuracy) in series.items():
        figure.add_scatter(
            x=list(budgets),
            y=list(accuracy),
            mode="lines+markers",
            name=ATTACK_LABELS[attack],
            line=dict(color=COLORS[attack], width=4 if attack == chosen else 2, dash=dash),
        )
    if budget is not None:
        figure.add_vline(x=budget, line=dict(color="grey", dash="dot"), annotation_text=f"ε = {budget_label}")
    compact(figure, height=420, title=title, top=50)
    figure.update_layout(
        xaxis=dict(title=f"{LABELS['eps']} ({norm_symbol})"),
        yaxis=dict(title="accuracy under attack", range=[-0.03, 1.03], tickformat=".0%"),
    )
    return figure


@builder
def relaxation(result) -> go.Figure:
    """‖τ_c‖₂ of the relaxation's minimiser against c (log scale), marked by whether F flips; the chosen c
    ringed."""
    figure = go.Figure()
    for flipped, color, name in (
        (True, SERIES_COLORS[1], "F(x + τ) ≠ y"),
        (False, SERIES_COLORS[2], "F(x + τ) = y"),
    ):
        picked = [k for k, f in enumerate(result.flipped) if f == flipped]
        figure.add_scatter(
            x=[result.c_values[k] for k in picked],
            y=[result.norms[k] for k in picked],
            mode="markers",
            name=name,
            marker=dict(color=color, size=11),
        )
    figure.add_scatter(
        x=list(result.c_values),
        y=list(result.norms),
        mode="lines",
        showlegend=False,
        line=dict(color="grey", width=1),
    )
    k = result.at(result.c)
    figure.add_scatter(
        x=[result.c],
        y=[result.norms[k]],
        mode="markers",
        name=f"c = {result.c:g}",
        marker=dict(size=20, symbol="circle-open", color="black", line=dict(width=2)),
    )
    compact(figure, height=320, title="The minimiser of c‖τ‖₂ − ℓ(y, F(x+τ)) for each c")
    figure.update_layout(xaxis=dict(title="c", type="log"), yaxis=dict(title="‖τ‖₂", rangemode="tozero"))
    return figure


STRONGEST_HELP = (
    "The attack with the lowest accuracy at this budget (the best upper bound on the robust accuracy)."
)
BUDGET_HELP = (
    "For Carlini–Wagner (no budget): an image counts as broken when C&W's minimal perturbation is at most ε."
)


def steps_help(cw_search: int, cw_steps: int) -> str:
    return (
        "Step size 2.5·ε/steps, a later heuristic (Madry et al.: 2/255, 7 steps, CIFAR-10). "
        f"C&W runs {cw_search} rounds of {cw_steps} Adam steps."
    )


def gallery_title(curves: list, symbol: str, dataset_title: str, model_name: str) -> str:
    """The gallery curves' title: how many images, and the PGD steps and seed each curve was computed at."""
    settings = "; ".join(
        sorted({f"{c.steps} PGD steps, seed {c.seed}" for c in curves if c.steps is not None})
    )
    images = f"{curves[0].images} {dataset_title} test images"
    return f"Accuracy vs {symbol} budget on {images} ({model_name}; {settings})"


def example_captions(one, attack_name: str, attack: str, budget_text: str) -> list[str]:
    """What the one-image example shows: an image that resists, and how C&W's minimal τ counts at ε."""
    captions = []
    if not one.fooled:
        captions.append(
            f"This image resists {attack_name} at this budget: raise ε or the steps, or pick another image."
        )
    if attack == "cw_l2":
        counts = "counts" if one.broken else "does not count"
        end = "." if one.broken or not one.fooled else " (its ‖τ‖₂ is larger than ε)."
        captions.append(
            f"Carlini–Wagner returns its smallest successful perturbation, here ‖τ‖₂ = {one.l2:.3f}: the "
            f"image {counts} as broken at ε = {budget_text}{end}"
        )
    return captions
