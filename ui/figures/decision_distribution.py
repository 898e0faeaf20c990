"""Figures of scene 8 (noise → a distribution over decision regions): they take
core.scenes.decision_distribution results (NumPy)."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ui.figures import SERIES_COLORS, compact, regions

X_COLOR, ADV_COLOR = SERIES_COLORS[0], SERIES_COLORS[4]


def distributions(p: np.ndarray, q: np.ndarray, class_names, title: str) -> go.Figure:
    """P(F(x + ε) = c) and P(F(x_adv + ε) = c) side by side."""
    figure = go.Figure()
    figure.add_bar(x=list(class_names), y=p, name="x + ε", marker_color=X_COLOR)
    figure.add_bar(x=list(class_names), y=q, name="x_adv + ε", marker_color=ADV_COLOR)
    compact(figure, height=330, title=title)
    figure.update_layout(barmode="group", yaxis=dict(range=[0, 1], tickformat=".0%", title="P(F(· + ε) = c)"),
                         legend=dict(orientation="h", y=-0.25))
    return figure


def mark(figure: go.Figure, point, name: str, color: str) -> None:
    """A star at ``point`` (x₁, x₂)."""
    figure.add_scatter(x=[float(point[0])], y=[float(point[1])], mode="markers", name=name,
                       marker=dict(color=color, size=15, symbol="star", line=dict(color="black", width=1.5)))


def clouds(scene, maps, *, height: int = 480) -> go.Figure:
    """Decision regions of F with the two noise clouds (circles: F says class 0, diamonds: class 1)."""
    figure = regions(maps.xs, maps.ys, maps.labels, "Decision regions of F with the two noise clouds", classes=2,
                     height=height)
    for name, cloud, votes, color in (("x", scene.cloud, scene.cloud_votes, X_COLOR),
                                      ("x_adv", scene.cloud_adv, scene.cloud_adv_votes, ADV_COLOR)):
        figure.add_scatter(x=cloud[:, 0], y=cloud[:, 1], mode="markers", name=f"{name} + ε",
                           marker=dict(color=color, size=5, opacity=0.55,
                                       symbol=["circle" if v == 0 else "diamond" for v in votes.tolist()]))
    mark(figure, scene.x, "x", X_COLOR)
    mark(figure, scene.x_adv, "x_adv", ADV_COLOR)
    return figure


def base_and_smoothed(scene, maps, *, height: int = 400) -> tuple[go.Figure, go.Figure]:
    """The regions of F and of the hard F_rob, with x and x_adv."""
    left = regions(maps.xs, maps.ys, maps.labels, "Base classifier F", classes=2, height=height)
    right = regions(maps.smooth_xs, maps.smooth_ys, maps.smooth_labels,
                    f"Smoothed classifier F_rob (σ = {maps.sigma:g})", classes=2, height=height)
    for figure in (left, right):
        mark(figure, scene.x, "x", X_COLOR)
        mark(figure, scene.x_adv, "x_adv", ADV_COLOR)
    return left, right
