"""Figures of scene 9 (the certificate α*): Plotly builders taking core.scenes.certificate results."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.figures import NOISE_COLORS, PAPER_COLOR, SERIES_COLORS, builder, class_color, compact, regions

ABSTAIN = -1
NORM_LABELS = {"l2": "ℓ2", "l1": "ℓ1", "linf": "ℓ∞"}


def _circle(figure: go.Figure, cx: float, cy: float, r: float, **line) -> None:
    figure.add_shape(type="circle", x0=cx - r, x1=cx + r, y0=cy - r, y1=cy + r, line=line)


@builder
def certified_ball(point) -> go.Figure:
    """F_rob's regions, the training points, x, the certified disc α*, the ceiling and PREDICT's verdicts
    inside."""
    figure = regions(
        point.xs,
        point.ys,
        point.labels,
        f"F_rob's regions (σ = {point.sigma}) and the certified ball",
        classes=2,
        height=480,
    )
    for label in (0, 1):
        chosen = point.train_x[point.train_y == label]
        figure.add_scatter(
            x=chosen[:, 0],
            y=chosen[:, 1],
            mode="markers",
            name=f"train · class {label}",
            marker=dict(color=class_color(label), size=4, opacity=0.35),
        )
    (px, py), c_a = point.x, point.certificate.prediction
    if point.certified:
        _circle(figure, px, py, point.certificate.radius, color="black", width=2)
        _circle(figure, px, py, point.ceiling, color="grey", width=1, dash="dot")
        verdicts = point.verdicts
        for name, mask, color in (
            ("same F_rob", verdicts == c_a, "#2ca02c"),
            ("abstain", verdicts == ABSTAIN, PAPER_COLOR),
            ("other class", (verdicts != c_a) & (verdicts != ABSTAIN), "#000000"),
        ):
            if mask.any():
                figure.add_scatter(
                    x=point.inside[mask, 0],
                    y=point.inside[mask, 1],
                    mode="markers",
                    name=f"inside: {name}",
                    marker=dict(color=color, size=7, symbol="circle-open", line=dict(width=2)),
                )
    figure.add_scatter(
        x=[px],
        y=[py],
        mode="markers",
        name="x",
        marker=dict(color="gold", size=14, symbol="star", line=dict(color="black", width=1)),
    )
    return figure


@builder
def radius_curves(curves) -> go.Figure:
    """Radius vs p_A, one panel per norm (ℓ2: Gaussian bounds; ℓ1: Laplace, uniform), each noise's ceiling."""
    figure = make_subplots(
        rows=1, cols=2, subplot_titles=("ℓ2 radii (Gaussian noise)", "ℓ1 radii (Laplace, uniform)")
    )
    top = 4 * curves.std
    for k, (name, values) in enumerate(curves.curves.items()):
        column = 1 if curves.norms[name] == "l2" else 2
        noise = "laplace" if "Laplace" in name else "uniform" if "Uniform" in name else "gaussian"
        color = (
            NOISE_COLORS[noise]
            if column == 2 or "Cohen" in name
            else SERIES_COLORS[(k + 3) % len(SERIES_COLORS)]
        )
        figure.add_scatter(
            x=curves.p_a,
            y=np.minimum(values, 1.05 * top),
            mode="lines",
            name=name,
            line=dict(color=color),
            row=1,
            col=column,
        )
    for noise, column in (("gaussian", 1), ("laplace", 2), ("uniform", 2)):  # lines as traces: cheap to build
        value = curves.ceilings[noise]
        figure.add_scatter(
            x=[0.5, 1.0],
            y=[value, value],
            mode="lines",
            line=dict(color=NOISE_COLORS[noise], dash="dash"),
            name=f"{noise} ceiling at n = {curves.n}, α = {curves.alpha:g}: {value:.3f}",
            row=1,
            col=column,
        )
    for column in (1, 2):
        figure.add_scatter(
            x=[curves.best_p_a] * 2,
            y=[0, top],
            mode="lines",
            line=dict(color="grey", dash="dot"),
            name="α^(1/n): the best p_A lower bound",
            showlegend=column == 1,
            row=1,
            col=column,
        )
        figure.update_xaxes(title_text="p_A (or its lower bound)", row=1, col=column)
        figure.update_yaxes(range=[0, top], row=1, col=column)
    figure.update_yaxes(title_text="certified radius", row=1, col=1)
    compact(figure, height=460)
    figure.update_layout(legend=dict(font=dict(size=11), orientation="h", y=-0.25))
    return figure


@builder
def layer_radii(layers) -> go.Figure:
    """R / L_i against the layer i, log scale, one line per network."""
    figure = go.Figure()
    for name, radii in layers.radii.items():
        figure.add_scatter(x=list(range(len(radii))), y=np.asarray(radii), mode="lines+markers", name=name)
    compact(
        figure,
        height=360,
        title=f"The layer-space radius R = σΦ⁻¹(α^(1/n)) = {layers.best_radius:.3f} pulled back to the input",
    )
    figure.update_layout(
        xaxis=dict(title="layer i (0 = input)", dtick=1),
        yaxis=dict(type="log", title="input-space radius R / L_i"),
    )
    return figure


@builder
def certified_accuracy(curves, dataset: str) -> go.Figure:
    """Shipped certified-accuracy curves of one dataset, one panel per norm (ℓ2 and ℓ1 radii are not
    comparable), each curve with its own ceiling (dotted, same colour: no radius beyond it at that n and α)
    and how it was computed (TF32 files marked in the legend, every file's device in its hover), and Cohen et
    al.'s published
    ℓ2 curves for CIFAR-10 (n = 100 000)."""
    mine = curves.curves.get(dataset, [])
    norms = [norm for norm in ("l2", "l1", "linf") if any(c.norm == norm for c in mine)] or ["l2"]
    figure = make_subplots(rows=1, cols=len(norms), subplot_titles=[f"{NORM_LABELS[n]} radii" for n in norms])
    if dataset == "cifar10" and "l2" in norms:
        for sigma, accuracy in curves.published.items():
            figure.add_scatter(
                x=list(curves.published_radii),
                y=list(accuracy),
                mode="lines+markers",
                line=dict(dash="dash", color="grey"),
                opacity=0.6,
                name=f"Cohen et al. 2019, ResNet-110, σ = {sigma}, ℓ2 (published, n = 100 000)",
                row=1,
                col=norms.index("l2") + 1,
            )
    for k, curve in enumerate(mine):
        column, color = norms.index(curve.norm) + 1, SERIES_COLORS[k % len(SERIES_COLORS)]
        made = curve.provenance
        tf32 = "; TF32 convolutions, being recertified" if made and made.tf32 else ""
        how = made.sentence if made else f"computed on {curve.device}"
        figure.add_scatter(
            x=list(curve.radii),
            y=list(curve.accuracy),
            mode="lines+markers",
            line=dict(color=color),
            name=f"{curve.name}, {NORM_LABELS.get(curve.norm, curve.norm)} (this code, {curve.examples} "
            f"images, n = {curve.n}{tf32})",
            row=1,
            col=column,
            hovertemplate=f"{curve.name}: %{{y:.0%}} at r = %{{x}}<br>{how}<extra></extra>",
        )
        if curve.ceiling is not None:
            figure.add_scatter(
                x=[curve.ceiling] * 2,
                y=[0, 1],
                mode="lines",
                line=dict(color=color, dash="dot"),
                name=f"{curve.name}: ceiling {curve.ceiling:.3g}",
                showlegend=False,
                hovertemplate=f"{curve.name}: no radius above {curve.ceiling:.3g} at n = {curve.n}",
                row=1,
                col=column,
            )
    for column, norm in enumerate(norms, start=1):
        figure.update_xaxes(title_text=f"radius r ({NORM_LABELS[norm]})", row=1, col=column)
        figure.update_yaxes(range=[0, 1], tickformat=".0%", row=1, col=column)
    figure.update_yaxes(title_text="certified accuracy at r", row=1, col=1)
    compact(figure, height=460, top=40)
    figure.update_layout(legend=dict(font=dict(size=11), orientation="h", y=-0.25))
    return figure


NO_SHIPPED = (
    "No shipped results yet: run python -m core.experiments certify --name cifar10-gaussian-0.25 "
    "--data-dir ../shared/data"
)


def ceilings_caption(curves) -> str:
    """What the ceilings beside the radius curves are computed at, and the scale of an ℓ∞ ball in ℓ2."""
    return (
        "The n and α of the ceilings are those of the controls above. For scale: an ℓ∞ perturbation of "
        f"8/255 on a CIFAR-10 image has ℓ2 norm up to {curves.linf_ball_l2:.2f}. ℓ1 radii (Laplace, uniform) "
        "are not comparable with ℓ2 ones (‖τ‖₁ ≥ ‖τ‖₂): they have their own panel."
    )


def image_note(defaults: dict, n0: int, n: int) -> str:
    """Why CERTIFY of this image waits for its button: only the opening settings are shipped."""
    return (
        f"Opens with n₀ = {defaults['n0']}, n = {defaults['image_n']}, α = {defaults['alpha']} and seed 0, "
        f"shipped for every gallery image; these settings run CERTIFY here ({n0 + n} forward passes of the "
        "classifier): press the button."
    )
