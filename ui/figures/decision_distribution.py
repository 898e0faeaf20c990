"""Figures of scene 8 (noise → a distribution over decision regions): they take
core.scenes.decision_distribution results (NumPy)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ui.figures import NOISE_COLORS, SERIES_COLORS, builder, compact, regions

X_COLOR, ADV_COLOR = SERIES_COLORS[0], SERIES_COLORS[4]
DIVERGENCE_COLORS = [NOISE_COLORS[name] for name in ("gaussian", "laplace", "generalized_normal")]
NORM_NAMES = {"l1": "ℓ1", "l2": "ℓ2"}


@builder
def distributions(p: np.ndarray, q: np.ndarray, class_names, title: str) -> go.Figure:
    """P(F(x + ε) = c) and P(F(x_adv + ε) = c) side by side."""
    figure = go.Figure()
    figure.add_bar(x=list(class_names), y=p, name="x + ε", marker_color=X_COLOR)
    figure.add_bar(x=list(class_names), y=q, name="x_adv + ε", marker_color=ADV_COLOR)
    compact(figure, height=330, title=title)
    figure.update_layout(
        barmode="group",
        yaxis=dict(range=[0, 1], tickformat=".0%", title="P(F(· + ε) = c)"),
        legend=dict(orientation="h", y=-0.25),
    )
    return figure


def mark(figure: go.Figure, point, name: str, color: str) -> None:
    """A star at ``point`` (x₁, x₂)."""
    figure.add_scatter(
        x=[float(point[0])],
        y=[float(point[1])],
        mode="markers",
        name=name,
        marker=dict(color=color, size=15, symbol="star", line=dict(color="black", width=1.5)),
    )


@builder
def clouds(scene, maps, *, height: int = 480) -> go.Figure:
    """Decision regions of F with the two noise clouds (circles: F says class 0, diamonds: class 1)."""
    figure = regions(
        maps.xs,
        maps.ys,
        maps.labels,
        "Decision regions of F with the two noise clouds",
        classes=2,
        height=height,
    )
    for name, cloud, votes, color in (
        ("x", scene.cloud, scene.cloud_votes, X_COLOR),
        ("x_adv", scene.cloud_adv, scene.cloud_adv_votes, ADV_COLOR),
    ):
        figure.add_scatter(
            x=cloud[:, 0],
            y=cloud[:, 1],
            mode="markers",
            name=f"{name} + ε",
            marker=dict(
                color=color,
                size=5,
                opacity=0.55,
                symbol=["circle" if v == 0 else "diamond" for v in votes.tolist()],
            ),
        )
    mark(figure, scene.x, "x", X_COLOR)
    mark(figure, scene.x_adv, "x_adv", ADV_COLOR)
    return figure


@builder
def base_and_smoothed(scene, maps, *, height: int = 400) -> tuple[go.Figure, go.Figure]:
    """The regions of F and of the hard F_rob, with x and x_adv."""
    left = regions(maps.xs, maps.ys, maps.labels, "Base classifier F", classes=2, height=height)
    right = regions(
        maps.smooth_xs,
        maps.smooth_ys,
        maps.smooth_labels,
        f"Smoothed classifier F_rob (σ = {maps.sigma:g})",
        classes=2,
        height=height,
    )
    for figure in (left, right):
        mark(figure, scene.x, "x", X_COLOR)
        mark(figure, scene.x_adv, "x_adv", ADV_COLOR)
    return left, right


@builder
def divergence_curves(view, *, height: int = 380) -> go.Figure:
    """D_λ(P_0 ‖ P_τ) (Rényi order λ) over the ball of radius ‖τ‖ for each noise, Li et al.'s bound at λ, and
    where
    they meet (r_λ)."""
    figure = go.Figure()
    for label, norm, values, radius, color in zip(
        view.labels, view.norms, view.divergences, view.order_radii, DIVERGENCE_COLORS
    ):
        figure.add_scatter(
            x=view.distances,
            y=values,
            mode="lines",
            name=f"{label} ({NORM_NAMES[norm]})",
            line=dict(color=color, width=2.5),
        )
        if np.isfinite(radius) and radius > 0:
            figure.add_scatter(
                x=[radius],
                y=[view.bound],
                mode="markers",
                showlegend=False,
                marker=dict(color=color, size=11, symbol="x"),
                hovertemplate=f"r_λ = {radius:.4f}",
            )
    figure.add_hline(
        y=view.bound,
        line=dict(color="black", dash="dash"),
        annotation_text=f"Li et al.'s bound at λ = {view.order:g}, p_A = {view.p_a:g}",
    )
    compact(
        figure,
        height=height,
        title=f"Rényi divergence D_λ of order λ = {view.order:g}, between the noise and its shift",
    )
    top = max(3 * view.bound, 1e-3)
    figure.update_layout(
        xaxis_title="‖τ‖ (ℓ2 for Gaussian, ℓ1 for the others)", yaxis_title="D_λ", yaxis_range=[0, top]
    )
    return figure


@builder
def radius_by_order(view, *, height: int = 380) -> go.Figure:
    """r_λ against λ − 1 (λ the Rényi order, log axis) for each noise; the certificate is the sup (★), the λ →
    ∞
    limit dotted."""
    figure = go.Figure()
    for label, values, radius, best, color in zip(
        view.labels, view.radii_by_order, view.radii, view.best_orders, DIVERGENCE_COLORS
    ):
        figure.add_scatter(
            x=view.orders - 1, y=values, mode="lines", name=label, line=dict(color=color, width=2.5)
        )
        if np.isfinite(best):
            figure.add_scatter(
                x=[best - 1],
                y=[radius],
                mode="markers",
                showlegend=False,
                marker=dict(color=color, size=14, symbol="star", line=dict(color="black", width=1)),
            )
        else:
            figure.add_hline(y=radius, line=dict(color=color, dash="dot"), annotation_text=f"{label}: λ → ∞")
    compact(
        figure, height=height, title="The radius at each Rényi order λ, r_λ; the certificate is sup_λ r_λ"
    )
    figure.update_layout(xaxis=dict(type="log", title="λ − 1"), yaxis_title="r_λ")
    return figure


def divergence_table(view) -> list[dict]:
    """One row per noise: the divergence-route radius and its Rényi order λ* beside the closed forms, the
    tight
    radii and the 1-D Neyman–Pearson radius G⁻¹(p_A) (— where none exists)."""
    number = lambda value: "—" if value is None else f"{value:.4f}"
    return [
        {
            "noise": label,
            "norm": NORM_NAMES[norm],
            "sup_λ r_λ (divergence route)": number(radius),
            "Rényi order λ*": "∞" if not np.isfinite(best) else f"{best:.3g}",
            "closed form (Li et al. / Teng et al.)": number(closed),
            "tight radius (Cohen et al. / Teng et al.)": number(tight),
            "1-D Neyman–Pearson G⁻¹(p_A) (no certificate exceeds it)": number(shift),
        }
        for label, norm, radius, best, closed, tight, shift in zip(
            view.labels,
            view.norms,
            view.radii,
            view.best_orders,
            view.closed_forms,
            view.tight,
            view.shift_radii,
        )
    ]


def gallery_table(result, class_names) -> list[dict]:
    """One row per gallery image: its class, F and F_rob before → after the attack (F_rob with its votes)."""
    names = list(class_names)
    vote = lambda row, which, label: f"{names[label]} ({row.votes_for(which, label)}/{row.draws})"
    return [
        {
            "image": f"#{row.index}",
            "class": names[row.true_label],
            "F(x) → F(x_adv)": f"{names[row.label]} → {names[row.adv_label]}",
            "F_rob(x) → F_rob(x_adv) (votes)": (
                f"{vote(row, 'x', row.rob_label)} → {vote(row, 'x_adv', row.rob_adv_label)}"
            ),
            "F flipped": row.flipped,
            "F_rob changed": not row.kept,
            "TV": round(row.tv, 3),
            "‖τ‖₂": round(row.distance, 3),
        }
        for row in result.rows
    ]
