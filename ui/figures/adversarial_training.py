"""Figures and tables of scene 6 (adversarial training): the toy's decision regions with the points
PGD-20 breaks, and the talk's table formatted for display."""
from __future__ import annotations

import plotly.graph_objects as go

from core.scenes.adversarial_training import Toy, ToyModel
from ui.figures import add_points, ball_outline, regions

COLUMNS = (("natural", "natural"), ("pgd", "PGD-20"), ("cw", "CW-30"))


def percent(value) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def table(rows) -> list[dict]:
    """The talk's table rows (accuracies in [0, 1], None when not published) as display strings."""
    return [{"training": row["training"], "evaluated on": row["evaluated on"],
             **{title: percent(row[key]) for key, title in COLUMNS}} for row in rows]


def toy_regions(toy: Toy, model: ToyModel, *, height: int = 470) -> go.Figure:
    """Decision regions of one toy network, the held-out points, × on those PGD-20 breaks, and one ε-square
    in the empty lower-left corner to give the scale of the budget."""
    figure = regions(toy.xs, toy.ys, model.labels, model.title, boundary=model.boundary, classes=2, height=height)
    add_points(figure, toy.x_test, toy.y_test, name="held-out", size=7, opacity=0.85)
    broken = toy.x_test[model.broken]
    figure.add_scatter(x=broken[:, 0], y=broken[:, 1], mode="markers", name="broken by PGD-20",
                       marker=dict(symbol="x-thin-open", size=12, color="black", line=dict(width=2)))
    bx, by = ball_outline(toy.eps + 0.02, toy.eps + 0.02, toy.eps, "linf")
    figure.add_scatter(x=bx, y=by, mode="lines", fill="toself", name=f"an ℓ∞ ball of radius ε = {toy.eps:g}",
                       line=dict(color="black", width=1.5), fillcolor="rgba(0,0,0,0.08)", hoverinfo="skip")
    return figure
