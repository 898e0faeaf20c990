"""Figure builders shared by the scenes: one palette, one set of labels, Plotly only.

Builders take NumPy arrays (what core.scenes results hold) and return ``go.Figure``s; a scene's own
figures live in ``ui/figures/<scene>.py`` and use these pieces.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

# One palette for every page: class k of any dataset, and each noise distribution.
CLASS_COLORS = [
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]
CLASS_FILLS = [
    "rgba(31,119,180,0.30)",
    "rgba(214,39,40,0.30)",
    "rgba(44,160,44,0.30)",
    "rgba(148,103,189,0.30)",
]
NOISE_COLORS = {
    "gaussian": "#1f77b4",
    "laplace": "#ff7f0e",
    "uniform": "#2ca02c",
    "generalized_normal": "#9467bd",
}
SERIES_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
PAPER_COLOR = "#7f7f7f"  # published numbers drawn beside ours
LABELS = {
    "x1": "x₁",
    "x2": "x₂",
    "eps": "budget ε",
    "radius": "radius r",
    "accuracy": "accuracy",
    "certified": "certified accuracy",
    "epoch": "epoch",
    "p_a": "p_A (lower bound)",
}


def class_color(k: int) -> str:
    return CLASS_COLORS[int(k) % len(CLASS_COLORS)]


def compact(
    figure: go.Figure, *, height: int = 360, title: str | None = None, top: int | None = None
) -> go.Figure:
    """The house layout: small margins, horizontal legend under the plot."""
    figure.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=40 if top is None else top, b=10),
        legend=dict(orientation="h", y=-0.18),
    )
    if title is not None:
        figure.update_layout(title=title)
    return figure


def image(pixels: np.ndarray, title: str = "", *, height: int = 260) -> go.Figure:
    """An H×W×3 uint8 image (core.scenes.common.image_array)."""
    figure = go.Figure(go.Image(z=pixels, hoverinfo="skip"))
    figure.update_layout(
        height=height,
        margin=dict(l=0, r=0, t=36 if title else 0, b=0),
        title=dict(text=title, font=dict(size=15)),
        xaxis=dict(visible=False),
        yaxis=dict(visible=False),
    )
    return figure


def region_colorscale(classes: int) -> list:
    classes = max(2, classes)
    return [[k / (classes - 1), CLASS_FILLS[k % len(CLASS_FILLS)]] for k in range(classes)]


def regions(
    xs: np.ndarray,
    ys: np.ndarray,
    labels: np.ndarray,
    title: str,
    *,
    boundary: np.ndarray | None = None,
    classes: int | None = None,
    height: int = 460,
) -> go.Figure:
    """Decision regions on [0, 1]² (arg-max class as a pale heatmap, equal axes); ``boundary`` (a grid
    of P(class 1)) adds the line P = ½."""
    classes = classes or int(np.max(labels)) + 1
    figure = go.Figure()
    figure.add_heatmap(
        x=xs,
        y=ys,
        z=labels.astype(float),
        zmin=0,
        zmax=max(1, classes - 1),
        colorscale=region_colorscale(classes),
        showscale=False,
        hoverinfo="skip",
    )
    if boundary is not None:
        figure.add_contour(
            x=xs,
            y=ys,
            z=boundary,
            contours=dict(start=0.5, end=0.5, size=1, coloring="none"),
            line=dict(color="black", width=2),
            showscale=False,
            hoverinfo="skip",
            name="boundary",
            showlegend=False,
        )
    compact(figure, height=height, title=title)
    figure.update_layout(
        xaxis=dict(range=[0, 1], constrain="domain", title=LABELS["x1"]),
        yaxis=dict(range=[0, 1], scaleanchor="x", title=LABELS["x2"]),
    )
    return figure


def add_points(
    figure: go.Figure,
    x: np.ndarray,
    y: np.ndarray,
    *,
    name: str = "data",
    size: int = 6,
    opacity: float = 0.8,
    symbol: str = "circle",
    **trace,
) -> None:
    """The points x (N×2) as one scatter trace per class y."""
    for label in sorted(set(np.asarray(y).tolist())):
        chosen = x[np.asarray(y) == label]
        figure.add_scatter(
            x=chosen[:, 0],
            y=chosen[:, 1],
            mode="markers",
            name=f"{name}: class {label}",
            marker=dict(
                color=class_color(label),
                size=size,
                opacity=opacity,
                symbol=symbol,
                line=dict(color="white", width=0.5),
            ),
            **trace,
        )


def ball_outline(cx: float, cy: float, eps: float, norm: str, points: int = 120) -> tuple[list, list]:
    """Boundary of {x' : ‖x' − (cx, cy)‖ ≤ ε}: a circle (ℓ2), an axis-aligned square (ℓ∞), a diamond (ℓ1)."""
    if norm == "linf":
        return [cx - eps, cx + eps, cx + eps, cx - eps, cx - eps], [
            cy - eps,
            cy - eps,
            cy + eps,
            cy + eps,
            cy - eps,
        ]
    if norm == "l1":
        return [cx + eps, cx, cx - eps, cx, cx + eps], [cy, cy + eps, cy, cy - eps, cy]
    angles = np.linspace(0, 2 * np.pi, points)
    return (cx + eps * np.cos(angles)).tolist(), (cy + eps * np.sin(angles)).tolist()
