"""Figures of scene 4 (crafting an attack): accuracy under attack against the budget."""

from __future__ import annotations

import plotly.graph_objects as go

from core.attacks import ATTACK_LABELS
from ui.figures import LABELS, SERIES_COLORS, compact

# One colour per attack's role in its family: the one-step attack, PGD, the third (CW loss / C&W).
COLORS = {
    "fgsm": SERIES_COLORS[2],
    "pgd_linf": SERIES_COLORS[1],
    "pgd_cw": SERIES_COLORS[3],
    "gradient_step": SERIES_COLORS[2],
    "pgd_l2": SERIES_COLORS[1],
    "cw_l2": SERIES_COLORS[3],
}


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


def relaxation(result) -> go.Figure:
    """‖τ_c‖₂ of the relaxation's minimiser against c (log scale), marked by whether F flips; the chosen c ringed."""
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
