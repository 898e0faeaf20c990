"""Figures and tables of scene 6 (adversarial training): the toy's decision regions with the points
PGD-20 breaks, the talk's table, the measured training cost and the zoo's wall times, formatted for
display."""

from __future__ import annotations

import plotly.graph_objects as go

from core.scenes.adversarial_training import Cost, Toy, ToyModel, architecture_label, inner_label
from ui.figures import add_points, ball_outline, builder, regions

COLUMNS = (("natural", "natural"), ("pgd", "PGD-20"), ("cw", "CW-30"))


def percent(value) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def table(rows) -> list[dict]:
    """The talk's table rows (accuracies in [0, 1], None when not published) as display strings."""
    return [
        {
            "training": row["training"],
            "evaluated on": row["evaluated on"],
            **{title: percent(row[key]) for key, title in COLUMNS},
        }
        for row in rows
    ]


def cost_table(cost: Cost) -> list[dict]:
    """One row per timed recipe: what it runs per step and what a step, an epoch and the whole recipe cost."""
    return [
        {
            "recipe": row.recipe,
            "inner maximisation": row.inner,
            "attack batch norm": row.bn_mode or "—",
            "gradient computations / step": row.gradient_computations,
            "architecture": row.architecture,
            "batch": row.batch_size,
            "precision": row.precision,
            "s / step": round(row.seconds_per_step, 2),
            "steps / epoch": row.steps_per_epoch,
            "s / epoch": round(row.seconds_per_epoch),
            "epochs": row.epochs,
            "whole recipe (min)": round(row.seconds_per_recipe / 60, 1),
            "machine": row.machine,
        }
        for row in cost.rows
    ]


def wall_time_table(entries: dict) -> list[dict]:
    """The zoo manifest's training records: device, epochs, architecture, inner maximisation, wall time."""
    return [
        {
            "model": entry.get("name", kind),
            "device": entry.get("device"),
            "epochs": entry.get("recipe", {}).get("epochs"),
            "architecture": architecture_label(entry.get("architecture") or {}),
            "inner maximisation": inner_label(entry.get("recipe", {}).get("adversarial")),
            "wall time (s)": entry.get("wall_time_s"),
        }
        for kind, entry in entries.items()
    ]


@builder
def toy_regions(toy: Toy, model: ToyModel, *, height: int = 470) -> go.Figure:
    """Decision regions of one toy network, the held-out points, × on those PGD-20 breaks, and one ε-square
    in the empty lower-left corner to give the scale of the budget."""
    figure = regions(
        toy.xs, toy.ys, model.labels, model.title, boundary=model.boundary, classes=2, height=height
    )
    add_points(figure, toy.x_test, toy.y_test, name="held-out", size=7, opacity=0.85)
    broken = toy.x_test[model.broken]
    figure.add_scatter(
        x=broken[:, 0],
        y=broken[:, 1],
        mode="markers",
        name="broken by PGD-20",
        marker=dict(symbol="x-thin-open", size=12, color="black", line=dict(width=2)),
    )
    bx, by = ball_outline(toy.eps + 0.02, toy.eps + 0.02, toy.eps, "linf")
    figure.add_scatter(
        x=bx,
        y=by,
        mode="lines",
        fill="toself",
        name=f"an ℓ∞ ball of radius ε = {toy.eps:g}",
        line=dict(color="black", width=1.5),
        fillcolor="rgba(0,0,0,0.08)",
        hoverinfo="skip",
    )
    return figure
