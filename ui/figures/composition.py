"""Figures of scene 2 (a network is a composition): the data after each layer, the width × depth
sweep, and the universal-approximation fits."""

from __future__ import annotations

import plotly.graph_objects as go

from core.scenes.composition import Approximation, Layers, Sweep
from ui.figures import LABELS, SERIES_COLORS, builder, class_color, compact


def side_by_side(titles, widths=None, *, gap: float = 0.03, font_size: int = 12) -> dict:
    """Layout entries for panels in one row (axes x, x2, …; a title above each), built by hand:
    plotly's make_subplots costs up to a second per figure on a busy machine, this a few ms."""
    widths = widths or [1.0] * len(titles)
    scale = (1.0 - gap * (len(titles) - 1)) / sum(widths)
    layout, annotations, left = {}, [], 0.0
    for k, (title, width) in enumerate(zip(titles, widths), start=1):
        right = left + width * scale
        suffix = "" if k == 1 else str(k)
        layout[f"xaxis{suffix}"] = dict(domain=[left, right], anchor=f"y{suffix}")
        layout[f"yaxis{suffix}"] = dict(anchor=f"x{suffix}")
        annotations.append(
            dict(
                text=title,
                x=(left + right) / 2,
                y=1.0,
                xref="paper",
                yref="paper",
                xanchor="center",
                yanchor="bottom",
                showarrow=False,
                font=dict(size=font_size),
            )
        )
        left = right + gap
    layout["annotations"] = annotations
    return layout


@builder
def layers(result: Layers) -> go.Figure:
    """One panel per representation x, φ(1)(x), …, F(x), points coloured by class (PCA beyond 2-D)."""
    layout = side_by_side([f"{name}<br><sup>dim {dim}</sup>" for name, dim in zip(result.names, result.dims)])
    traces = []
    for column, (plane, how) in enumerate(zip(result.planes, result.projections), start=1):
        suffix = "" if column == 1 else str(column)
        for label in range(result.classes):
            chosen = plane[result.labels == label]
            traces.append(
                go.Scatter(
                    x=chosen[:, 0],
                    y=chosen[:, 1],
                    mode="markers",
                    showlegend=column == 1,
                    name=f"class {label}",
                    legendgroup=str(label),
                    xaxis=f"x{suffix}",
                    yaxis=f"y{suffix}",
                    marker=dict(color=class_color(label), size=4),
                )
            )
        layout[f"xaxis{suffix}"].update(showticklabels=False, title=dict(text=how, font=dict(size=10)))
        layout[f"yaxis{suffix}"].update(showticklabels=False)
    figure = go.Figure(data=traces, layout=layout)
    compact(figure, height=300, top=60)
    figure.update_layout(legend=dict(orientation="h", y=-0.2))
    return figure


@builder
def sweep(result: Sweep) -> go.Figure:
    """Train (solid) and held-out (dashed) accuracy against the width, one colour per depth."""
    figure = go.Figure()
    for k, depth in enumerate(sorted({row.depth for row in result.rows})):
        chosen = sorted((row for row in result.rows if row.depth == depth), key=lambda row: row.width)
        color = SERIES_COLORS[k % len(SERIES_COLORS)]
        for split, dash, name in (("train", "solid", "train"), ("test", "dash", "held-out")):
            figure.add_scatter(
                x=[row.width for row in chosen],
                y=[getattr(row, f"{split}_acc") for row in chosen],
                mode="lines+markers",
                line=dict(color=color, dash=dash),
                name=f"depth {depth} · {name}",
                customdata=[row.parameters for row in chosen],
                hovertemplate="width %{x}<br>accuracy %{y:.0%}<br>%{customdata} parameters",
            )
    compact(figure, height=340, top=30)
    figure.update_layout(
        xaxis=dict(type="log", title="width"), yaxis=dict(title=LABELS["accuracy"], tickformat=".0%")
    )
    return figure


@builder
def approximation(result: Approximation) -> go.Figure:
    """f and its fits of each width N (left); the mean squared error against N (right, log–log)."""
    layout = side_by_side(["f and its fits", "mean squared error vs width"], [0.65, 0.35], gap=0.06)
    layout["xaxis"].update(title="t")
    layout["xaxis2"].update(type="log", title="width N")
    layout["yaxis2"].update(type="log")
    traces = [go.Scatter(x=result.xs, y=result.target, name="f", line=dict(color="black", width=4))]
    traces += [
        go.Scatter(x=result.xs, y=curve, name=f"N = {width}", mode="lines")
        for width, curve in zip(result.widths, result.fits)
    ]
    traces.append(
        go.Scatter(
            x=list(result.widths),
            y=list(result.mse),
            mode="lines+markers",
            name="MSE",
            showlegend=False,
            line=dict(color="black"),
            xaxis="x2",
            yaxis="y2",
        )
    )
    figure = go.Figure(data=traces, layout=layout)
    compact(figure, height=360)
    return figure
