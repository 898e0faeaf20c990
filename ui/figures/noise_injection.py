"""Figures of scene 7 (noise injection): they take core.scenes.noise_injection results (NumPy)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ui.figures import LABELS, NOISE_COLORS, PAPER_COLOR, SERIES_COLORS, add_points, builder, compact

TOP_COLOR, OTHER_COLOR = SERIES_COLORS[1], "#9aa5b1"


@builder
def draws(result, class_names: list[str], shown: int = 5) -> go.Figure:
    """Small multiple: the class probabilities of F̃_ε(x) in each of the first draws (one x-axis per
    draw, laid out by hand: plotly's make_subplots costs more than the whole scene on a busy CPU)."""
    rows = result.probabilities[:shown]
    figure = go.Figure()
    width, gap = 1 / len(rows), 0.015
    for k, p in enumerate(rows):
        axis = "" if k == 0 else str(k + 1)
        colors = [TOP_COLOR if c == int(p.argmax()) else OTHER_COLOR for c in range(len(p))]
        figure.add_bar(
            x=class_names,
            y=p,
            marker_color=colors,
            showlegend=False,
            xaxis=f"x{axis}",
            yaxis="y",
            hovertemplate="%{x}: %{y:.3f}<extra></extra>",
        )
        figure.layout[f"xaxis{axis}"] = dict(
            domain=[k * width + gap, (k + 1) * width - gap], anchor="y", tickangle=-60, tickfont=dict(size=9)
        )
        figure.add_annotation(
            text=f"draw {k + 1}: {class_names[int(p.argmax())]}",
            showarrow=False,
            xref="paper",
            yref="paper",
            x=(k + 0.5) * width,
            y=1.0,
            yanchor="bottom",
        )
    figure.update_layout(yaxis=dict(range=[0, 1], tickformat=".0%"))
    return compact(figure, height=300)


@builder
def running(result, class_name: str) -> go.Figure:
    """Running soft and hard estimates of F_rob(x) with the 95 % confidence sequence (every n at once)."""
    t = np.arange(1, result.num + 1)
    figure = go.Figure()
    figure.add_scatter(
        x=np.concatenate([result.grid, result.grid[::-1]]),
        y=np.concatenate([result.upper, result.lower[::-1]]),
        fill="toself",
        fillcolor="rgba(214,39,40,0.15)",
        line=dict(width=0),
        hoverinfo="skip",
        name="95 % confidence sequence on P(F̃(x) = c), all n at once",
    )
    figure.add_scatter(
        x=t,
        y=result.votes,
        mode="lines",
        line=dict(color=SERIES_COLORS[1]),
        name=f"vote share of '{class_name}' (hard F_rob)",
    )
    figure.add_scatter(
        x=t,
        y=result.soft,
        mode="lines",
        line=dict(color=SERIES_COLORS[0]),
        name=f"mean softmax of '{class_name}' (soft F_rob)",
    )
    compact(figure, height=330, title="F_rob(x) as the Monte Carlo average of the draws")
    figure.update_layout(
        xaxis=dict(type="log", title="number of draws of ε"),
        yaxis=dict(range=[0, 1.02], title="running estimate", tickformat=".0%"),
        legend=dict(orientation="h", y=-0.3),
    )
    return figure


@builder
def kernel(result, noise_name: str) -> go.Figure:
    """The density p_ε of one coordinate of ε: the kernel F is convolved with."""
    figure = go.Figure(
        go.Scatter(
            x=result.kernel_t,
            y=result.kernel_pdf,
            mode="lines",
            fill="tozeroy",
            line=dict(color=NOISE_COLORS.get(noise_name, PAPER_COLOR)),
            name=result.noise_label,
        )
    )
    compact(figure, height=240, title=f"Kernel p_ε: {result.noise_label}")
    figure.update_layout(xaxis_title="ε_j", yaxis_title="p(ε_j)")
    return figure


@builder
def votes(result, class_names: list[str]) -> go.Figure:
    """The share of draws that land in each decision region."""
    figure = go.Figure(go.Bar(x=class_names, y=result.vote_shares, marker_color=SERIES_COLORS[2]))
    compact(figure, height=240, title="Decision region hit by each draw")
    figure.update_layout(yaxis=dict(range=[0, 1], tickformat=".0%"))
    return figure


@builder
def probability_map(
    maps,
    which: str,
    title: str,
    point: tuple[float, float],
    *,
    cloud: np.ndarray | None = None,
    train: bool = False,
    height: int = 380,
) -> go.Figure:
    """P(class 1) of F (``which`` = "plain") or of F_rob ("smoothed") on [0, 1]², the point x, and
    optionally the training points and the first noisy copies x + ε."""
    figure = go.Figure()
    figure.add_heatmap(
        x=maps.xs,
        y=maps.ys,
        z=getattr(maps, which),
        zmin=0,
        zmax=1,
        colorscale="RdBu_r",
        opacity=0.75,
        hoverinfo="skip",
        colorbar=dict(title="P(class 1)", len=0.8),
    )
    if train:
        add_points(figure, maps.x_train, maps.y_train, name="train", size=4, opacity=0.5)
    if cloud is not None and len(cloud):
        figure.add_scatter(
            x=cloud[:, 0],
            y=cloud[:, 1],
            mode="markers+text",
            name="x + ε (first draws)",
            text=[str(k + 1) for k in range(len(cloud))],
            textposition="top center",
            marker=dict(color="black", size=8, symbol="x"),
        )
    figure.add_scatter(
        x=[point[0]],
        y=[point[1]],
        mode="markers",
        name="x",
        marker=dict(color="gold", size=14, symbol="star", line=dict(color="black", width=1)),
    )
    compact(figure, height=height, title=title)
    figure.update_layout(
        xaxis=dict(range=[0, 1], constrain="domain", title=LABELS["x1"]),
        yaxis=dict(range=[0, 1], scaleanchor="x", title=LABELS["x2"]),
    )
    return figure


NOISY_INPUTS = "What the network sees in each draw, $x + \\varepsilon$ (clipped to [0, 1] for display only):"
NOISE_RATIO_HELP = "How loud the noise is relative to the representation it is added to."


def draws_heading(result, shown: int) -> str:
    """The heading of the successive draws: which noise, after which layer, how loud."""
    return (
        f"**{shown} successive draws of $\\tilde F_\\varepsilon(x)$** — {result.noise_label} added after "
        f"layer {result.layer} of {result.layers}, std {result.noise_std:.3f} per coordinate."
    )


def reference_caption(result, class_names, reference_draws: int) -> str:
    """Two Monte Carlo estimates of the same F_rob(x): the running average and an independent one."""
    top = result.top
    return (
        f"core.smoothing.smoothed_probabilities with {reference_draws} independent draws gives "
        f"{result.reference[top]:.3f} for '{class_names[top]}', the running average {result.soft[-1]:.3f}: "
        "two Monte Carlo estimates of the same F_rob(x)."
    )
