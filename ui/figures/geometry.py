"""Figures of scene 5 (geometric interpretation): the regions with the ball and the PGD path, and the
histogram of stretch ratios."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from core.scenes.geometry import NORM_NAMES, OUTPUTS, PICK_GRID, Attack, Toy, identity_text
from ui.figures import add_points, ball_outline, builder, class_color, compact, regions


@builder
def attack_regions(toy: Toy, result: Attack, *, height: int = 560) -> go.Figure:
    """Decision regions of F with the training data, the ε-ball around x, the PGD path (markers in the
    colour of F's class at each iterate) and invisible points to click anywhere."""
    ball = NORM_NAMES[result.norm].split(" ")[0]
    figure = regions(
        toy.xs,
        toy.ys,
        toy.labels,
        f"Decision regions of F, the {ball} ball of radius ε = {result.eps:g} and the PGD path",
        boundary=toy.boundary,
        classes=toy.classes,
        height=height,
    )
    axis = np.linspace(0, 1, PICK_GRID)
    gx, gy = np.meshgrid(axis, axis, indexing="xy")
    figure.add_scatter(
        x=gx.ravel(),
        y=gy.ravel(),
        mode="markers",
        name="pick here",
        showlegend=False,
        marker=dict(size=9, color="white", opacity=0.01),
        hovertemplate="pick (%{x:.2f}, %{y:.2f})<extra></extra>",
    )
    add_points(figure, toy.x_train, toy.y_train, name="training data", size=6, opacity=0.75)
    bx, by = ball_outline(*result.point, result.eps, result.norm)
    figure.add_scatter(
        x=bx,
        y=by,
        mode="lines",
        name=f"B(x, ε) in {ball}",
        hoverinfo="skip",
        line=dict(color="black", width=2, dash="dash"),
    )
    figure.add_scatter(
        x=result.path[:, 0],
        y=result.path[:, 1],
        mode="lines+markers",
        name="PGD path",
        line=dict(color="#ff7f0e", width=3),
        hoverinfo="skip",
        marker=dict(
            size=7, color=[class_color(k) for k in result.path_labels], line=dict(color="black", width=1)
        ),
    )
    figure.add_scatter(
        x=[result.point[0]],
        y=[result.point[1]],
        mode="markers",
        name="x",
        marker=dict(size=16, symbol="star", color="gold", line=dict(color="black", width=1.5)),
    )
    figure.add_scatter(
        x=[float(result.path[-1, 0])],
        y=[float(result.path[-1, 1])],
        mode="markers",
        name="x_adv",
        marker=dict(size=14, symbol="x", color="black"),
    )
    return figure


@builder
def stretch(result: Attack) -> go.Figure:
    """Histograms of log10 of the ratios (they span several decades), and the identity map's ratio on the same
    draws as the reference: a line at its median (1 on the ℓ2 sphere), shaded over its range where it is not
    constant (‖τ‖₂/‖τ‖∞ ∈ [1, √2] on the ℓ∞ sphere)."""
    logs = [np.log10(np.clip(r, 1e-6, None)) for r in (result.at_point, result.on_data)]
    low = min(math.floor(min(log.min() for log in logs)), -1)
    high = max(math.ceil(max(log.max() for log in logs)), 1)
    figure = go.Figure()
    figure.add_histogram(
        x=logs[1],
        name="around every training point",
        histnorm="probability",
        marker_color="rgba(120,120,120,0.55)",
        xbins=dict(start=low, end=high, size=0.1),
    )
    figure.add_histogram(
        x=logs[0],
        name="around the picked point",
        histnorm="probability",
        marker_color="rgba(214,39,40,0.75)",
        xbins=dict(start=low, end=high, size=0.1),
    )
    if result.identity_high - result.identity_low > 1e-3:  # not one value: shade the identity's range
        figure.add_vrect(
            x0=float(np.log10(result.identity_low)),
            x1=float(np.log10(result.identity_high)),
            fillcolor="black",
            opacity=0.12,
            line_width=0,
        )
    figure.add_vline(
        x=float(np.log10(result.identity_on_data_median)),
        line=dict(color="black", width=3),
        annotation_text=f"identity map: ratio {identity_text(result)}",
    )
    ticks = list(range(low, high + 1))
    compact(
        figure,
        height=380,
        top=50,
        title=f"‖F(x + τ) − F(x)‖₂ / ‖τ‖ for random τ on the sphere ‖τ‖ = ε (F = {OUTPUTS[result.output]})",
    )
    figure.update_layout(
        barmode="overlay",
        legend=dict(orientation="h", y=-0.25),
        xaxis=dict(
            title="stretch ratio (log scale)", tickvals=ticks, ticktext=[f"{10.0**t:g}" for t in ticks]
        ),
        yaxis=dict(title="fraction of directions", tickformat=".0%"),
    )
    return figure
