"""Figures of scene 1 (ERM playground): risk / accuracy curves and the decision regions of F_θ."""

from __future__ import annotations

import plotly.graph_objects as go

from core.scenes.erm_playground import View
from ui.figures import LABELS, SERIES_COLORS, add_points, builder, compact, regions
from ui.figures.composition import side_by_side


@builder
def curves(view: View) -> go.Figure:
    """Empirical and held-out risk (left) and accuracy (right) per epoch."""
    layout = side_by_side(["Risk per epoch", "Accuracy per epoch"], gap=0.08, font_size=14)
    traces = []
    for suffix, (train, test, name) in (
        ("", (view.history_train_loss, view.history_test_loss, "risk")),
        ("2", (view.history_train_acc, view.history_test_acc, "accuracy")),
    ):
        layout[f"xaxis{suffix}"].update(title=LABELS["epoch"])
        traces.append(
            go.Scatter(
                x=view.history_epochs,
                y=train,
                name=f"empirical {name}",
                mode="lines",
                line=dict(color=SERIES_COLORS[0]),
                xaxis=f"x{suffix}",
                yaxis=f"y{suffix}",
            )
        )
        traces.append(
            go.Scatter(
                x=view.history_epochs,
                y=test,
                name=f"held-out {name}",
                mode="lines",
                line=dict(color=SERIES_COLORS[1], dash="dash"),
                xaxis=f"x{suffix}",
                yaxis=f"y{suffix}",
            )
        )
    figure = go.Figure(data=traces, layout=layout)
    compact(figure, height=300)
    figure.update_layout(legend=dict(orientation="h", y=-0.25))
    return figure


@builder
def decision_regions(view: View) -> go.Figure:
    """The arg-max class of F_θ over [0, 1]², with the training (●) and held-out (×) points."""
    figure = regions(view.xs, view.ys, view.labels, "Decision regions of F_θ", classes=view.classes)
    add_points(figure, view.x_train, view.y_train, name="train")
    add_points(figure, view.x_test, view.y_test, name="held-out", symbol="x")
    return figure
