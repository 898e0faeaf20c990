"""Figure builders shared by the scenes: one palette, one set of labels, Plotly only.

Builders take NumPy arrays (what core.scenes results hold) and return ``go.Figure``s; a scene's own
figures live in ``ui/figures/<scene>.py`` and use these pieces. Each builder is marked ``@builder``: a
figure it returns remembers how it was built (:func:`build_of`), which the notebook of a scene (ui.notebook)
writes as the line that draws it again.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go


@dataclass(frozen=True)
class FigureBuild:
    """A figure returned by ``module.name(*args, **kwargs)`` (``part``: its index when the builder returns
    several)."""

    module: str
    name: str
    args: tuple
    kwargs: dict
    part: int | None = None


BUILD_ATTRIBUTE = "_figure_build"  # where a figure keeps its FigureBuild (Plotly accepts "_" attributes)


def builder(function):
    """Mark a figure builder: each figure it returns keeps its :class:`FigureBuild`. A builder called by
    another builder is overwritten by the outer one, which is the call a page made."""

    @functools.wraps(function)
    def build(*args, **kwargs):
        built = function(*args, **kwargs)
        figures = built if isinstance(built, (tuple, list)) else (built,)
        for part, figure in enumerate(figures):
            if isinstance(figure, go.Figure):
                where = None if figure is built else part
                setattr(
                    figure,
                    BUILD_ATTRIBUTE,
                    FigureBuild(function.__module__, function.__name__, args, kwargs, where),
                )
        return built

    build.is_builder = True
    return build


def build_of(figure) -> FigureBuild | None:
    """How ``figure`` was built, when a ``@builder`` returned it."""
    return getattr(figure, BUILD_ATTRIBUTE, None)


# One palette for every page: class k of any dataset, each noise distribution, each series. The first six
# are Okabe & Ito's colour-blind-safe colours (blue, vermillion, bluish green, reddish purple, orange, sky
# blue): under a simulated deuteranopia or protanopia any two of them stay at least PALETTE_MIN_DELTA_E
# apart (tests/ui/test_palette.py). Classes 7-10 (CIFAR-10's classes in a legend) add brown, grey, olive
# and cyan.
CLASS_COLORS = [
    "#0072b2",
    "#d55e00",
    "#009e73",
    "#cc79a7",
    "#e69f00",
    "#56b4e9",
    "#8c564b",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]
# CIE76 ΔE between two of the first six colours under red–green colour blindness (full deuteranopia or
# protanopia, Machado et al. 2009); 2.3 is a just-noticeable difference, Okabe & Ito's six reach 17.9.
PALETTE_MIN_DELTA_E = 15.0


def _fill(color: str, alpha: float) -> str:
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha:.2f})"


CLASS_FILLS = [_fill(color, 0.30) for color in CLASS_COLORS[:4]]  # decision regions, under the points
NOISE_COLORS = {
    "gaussian": CLASS_COLORS[0],
    "laplace": CLASS_COLORS[4],
    "uniform": CLASS_COLORS[2],
    "generalized_normal": CLASS_COLORS[3],
}
SERIES_COLORS = CLASS_COLORS[:6]
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


@builder
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


@builder
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
