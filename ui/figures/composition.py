"""Figures of scene 2 (a network is a composition): the data after each layer, the width × depth
sweep, and the universal-approximation fits."""
from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.scenes.composition import Approximation, Layers, Sweep
from ui.figures import LABELS, SERIES_COLORS, class_color, compact


def layers(result: Layers) -> go.Figure:
    """One panel per representation x, φ(1)(x), …, F(x), points coloured by class (PCA beyond 2-D)."""
    figure = make_subplots(rows=1, cols=len(result.planes), horizontal_spacing=0.03,
                           subplot_titles=[f"{name}<br><sup>dim {dim}</sup>"
                                           for name, dim in zip(result.names, result.dims)])
    for column, (plane, how) in enumerate(zip(result.planes, result.projections), start=1):
        for label in range(result.classes):
            chosen = plane[result.labels == label]
            figure.add_scatter(x=chosen[:, 0], y=chosen[:, 1], mode="markers", showlegend=column == 1,
                               name=f"class {label}", legendgroup=str(label),
                               marker=dict(color=class_color(label), size=4), row=1, col=column)
        figure.update_xaxes(showticklabels=False, title_text=how, title_font_size=10, row=1, col=column)
        figure.update_yaxes(showticklabels=False, row=1, col=column)
    figure.update_annotations(font_size=12)
    compact(figure, height=300, top=60)
    figure.update_layout(legend=dict(orientation="h", y=-0.2))
    return figure


def sweep(result: Sweep) -> go.Figure:
    """Train (solid) and held-out (dashed) accuracy against the width, one colour per depth."""
    figure = go.Figure()
    for k, depth in enumerate(sorted({row.depth for row in result.rows})):
        chosen = sorted((row for row in result.rows if row.depth == depth), key=lambda row: row.width)
        color = SERIES_COLORS[k % len(SERIES_COLORS)]
        for split, dash, name in (("train", "solid", "train"), ("test", "dash", "held-out")):
            figure.add_scatter(x=[row.width for row in chosen], y=[getattr(row, f"{split}_acc") for row in chosen],
                               mode="lines+markers", line=dict(color=color, dash=dash),
                               name=f"depth {depth} · {name}", customdata=[row.parameters for row in chosen],
                               hovertemplate="width %{x}<br>accuracy %{y:.0%}<br>%{customdata} parameters")
    compact(figure, height=340, top=30)
    figure.update_layout(xaxis=dict(type="log", title="width"),
                         yaxis=dict(title=LABELS["accuracy"], tickformat=".0%"))
    return figure


def approximation(result: Approximation) -> go.Figure:
    """f and its fits of each width N (left); the mean squared error against N (right, log–log)."""
    figure = make_subplots(rows=1, cols=2, column_widths=[0.65, 0.35],
                           subplot_titles=("f and its fits", "mean squared error vs width"))
    figure.add_scatter(x=result.xs, y=result.target, name="f", line=dict(color="black", width=4), row=1, col=1)
    for width, curve in zip(result.widths, result.fits):
        figure.add_scatter(x=result.xs, y=curve, name=f"N = {width}", mode="lines", row=1, col=1)
    figure.add_scatter(x=list(result.widths), y=list(result.mse), mode="lines+markers", name="MSE",
                       showlegend=False, line=dict(color="black"), row=1, col=2)
    figure.update_xaxes(title_text="t", row=1, col=1)
    figure.update_xaxes(type="log", title_text="width N", row=1, col=2)
    figure.update_yaxes(type="log", row=1, col=2)
    compact(figure, height=360)
    return figure
