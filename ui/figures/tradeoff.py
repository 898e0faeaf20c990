"""Figures of scene 10 (trade-off & best attacks): Plotly builders over core.scenes.tradeoff results."""
from __future__ import annotations

import plotly.graph_objects as go

from ui.figures import NOISE_COLORS, PAPER_COLOR, SERIES_COLORS, compact

DASHES = {"gaussian": "solid", "laplace": "dash", "uniform": "dot"}
NORM_NAMES = {"l1": "ℓ1", "l2": "ℓ2", "linf": "ℓ∞"}
NORM_SYMBOLS = {"l2": "circle", "l1": "diamond"}


def tradeoff(result) -> go.Figure:
    """Clean accuracy (x) vs certified accuracy at r (y) of the smoothed toy classifiers, one point per std."""
    figure = go.Figure()
    for name in result.noises:
        part = result.of(name)
        figure.add_scatter(x=[row.clean_accuracy for row in part], y=[row.certified_accuracy for row in part],
                           mode="lines+markers+text", text=[f"std {row.std:g}" for row in part],
                           textposition="top center", name=f"{name} ({NORM_NAMES[part[0].norm]})",
                           line=dict(color=NOISE_COLORS[name], dash=DASHES[name]))
    compact(figure, height=380, title=f"Each point: one noise std. Up = more robust at r = {result.radius:.2f}; "
                                      "right = more accurate")
    figure.update_layout(xaxis=dict(title="clean accuracy of F_rob (PREDICT)", tickformat=".0%"),
                         yaxis=dict(title=f"certified accuracy at r = {result.radius:.2f}", tickformat=".0%",
                                    range=[0, 1.02]))
    return figure


def shipped(table, radius: float) -> go.Figure:
    """Certified accuracy at r = 0 (x) vs at ``radius`` (y) of each shipped model (ℓ1 and ℓ2 marked apart),
    with Cohen et al.'s published CIFAR-10 points where that radius is in their table."""
    figure = go.Figure()
    for k, row in enumerate(table.rows):
        if row.at(radius) is None:
            continue
        figure.add_scatter(x=[row.at(0.0)], y=[row.at(radius)], mode="markers+text", text=[row.model],
                           textposition="top center", marker=dict(size=12, color=SERIES_COLORS[k % len(SERIES_COLORS)],
                                                                  symbol=NORM_SYMBOLS.get(row.norm, "circle")),
                           name=f"{row.model} ({NORM_NAMES[row.norm]}, n = {row.n}, {row.examples} images)")
    if table.cohen and radius in table.cohen_radii:
        k = table.cohen_radii.index(radius)
        figure.add_scatter(x=[curve[0] for _, curve in table.cohen], y=[curve[k] for _, curve in table.cohen],
                           mode="markers+text", text=[f"Cohen σ = {s:g}" for s, _ in table.cohen],
                           textposition="bottom center", marker=dict(symbol="x", size=12, color=PAPER_COLOR),
                           name="Cohen et al. 2019, ResNet-110 (published, ℓ2)")
    compact(figure, height=400, top=30)
    figure.update_layout(xaxis=dict(title="certified accuracy at r = 0", tickformat=".0%"),
                         yaxis=dict(title=f"certified accuracy at r = {radius:g} (ℓ1 ◆ and ℓ2 ● radii differ)",
                                    tickformat=".0%"))
    return figure


def bounds(result) -> go.Figure:
    """Empirical (EOT-PGD, upper bound) and certified (CERTIFY, lower bound) accuracy of F_rob vs ε,
    with CERTIFY's ceiling σΦ⁻¹(α^{1/n}) beyond which nothing can be certified."""
    figure = go.Figure()
    figure.add_scatter(x=result.eps, y=result.empirical, mode="lines+markers", line=dict(color=SERIES_COLORS[1]),
                       name=f"empirical: vote on EOT-PGD ℓ2 (EOT {result.eot}, {result.steps} steps) — upper bound")
    figure.add_scatter(x=result.eps, y=result.certified, mode="lines+markers", line=dict(color=SERIES_COLORS[2]),
                       name="certified accuracy at radius ε (CERTIFY) — lower bound", fill="tozeroy",
                       fillcolor="rgba(44,160,44,0.12)")
    if result.ceiling <= max(result.eps):
        figure.add_vline(x=result.ceiling, line_dash="dot", annotation_text=f"ceiling, n = {result.n}")
    compact(figure, height=360, title=result.title)
    figure.update_layout(xaxis_title="ℓ2 budget ε", yaxis=dict(title="accuracy of F_rob", range=[0, 1.02],
                                                               tickformat=".0%"), legend=dict(y=-0.25))
    return figure


def budgets(result) -> go.Figure:
    """Certified radii α* of F_rob beside the C&W ℓ2 distances of the base network F, with CERTIFY's
    ceiling and (images) the ℓ2 size of the dataset's usual ℓ∞ budget."""
    figure = go.Figure()
    figure.add_box(x=result.radii, name="certified α* (F_rob)", boxpoints="all", marker_color=SERIES_COLORS[2])
    figure.add_box(x=result.cw, name="C&W ℓ2 distance (F, no noise)", boxpoints="all", marker_color=SERIES_COLORS[1])
    figure.add_vline(x=result.ceiling, line_dash="dot", annotation_text=f"ceiling σΦ⁻¹(α^(1/n)), n = {result.n}")
    if result.linf_l2 is not None:
        figure.add_vline(x=result.linf_l2, line_dash="dash", annotation_text="ℓ2 size of the usual ℓ∞ budget",
                         annotation_position="bottom right")
    compact(figure, height=300, top=30)
    figure.update_layout(xaxis_title="ℓ2 distance", showlegend=False)
    return figure
