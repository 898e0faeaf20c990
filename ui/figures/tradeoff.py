"""Figures of scene 10 (trade-off & best attacks): Plotly builders over core.scenes.tradeoff results."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ui.figures import NOISE_COLORS, PAPER_COLOR, SERIES_COLORS, builder, compact

DASHES = {"gaussian": "solid", "laplace": "dash", "uniform": "dot"}
NORM_NAMES = {"l1": "ℓ1", "l2": "ℓ2", "linf": "ℓ∞"}
NORM_SYMBOLS = {"l2": "circle", "l1": "diamond"}


@builder
def tradeoff(result) -> go.Figure:
    """Clean accuracy (x) vs certified accuracy at r (y) of the smoothed toy classifiers, one point per std,
    labelled with its CERTIFY ceiling (nothing beyond it can be certified)."""
    figure = go.Figure()
    for name in result.noises:
        part = result.of(name)
        figure.add_scatter(
            x=[row.clean_accuracy for row in part],
            y=[row.certified_accuracy for row in part],
            mode="lines+markers+text",
            text=[f"std {row.std:g}<br>ceiling {row.ceiling:.2f}" for row in part],
            cliponaxis=False,
            textposition="top center",
            name=f"{name} ({NORM_NAMES[part[0].norm]})",
            line=dict(color=NOISE_COLORS[name], dash=DASHES[name]),
        )
    compact(
        figure,
        height=380,
        title=f"Each point: one noise std. Up = more robust at r = {result.radius:.2f}; "
        "right = more accurate",
    )
    clean = [row.clean_accuracy for row in result.rows]
    figure.update_layout(
        xaxis=dict(
            title="clean accuracy of F_rob (PREDICT)",
            tickformat=".0%",
            range=[min(clean) - 0.03, max(clean) + 0.03],
        ),  # room for the labels
        yaxis=dict(title=f"certified accuracy at r = {result.radius:.2f}", tickformat=".0%", range=[0, 1.02]),
    )
    return figure


@builder
def shipped(table, radius: float) -> go.Figure:
    """Certified accuracy at r = 0 (x) vs at ``radius`` (y) of each shipped model (ℓ1 and ℓ2 marked apart),
    with Cohen et al.'s published CIFAR-10 points (their Table 3) where that radius is in their table, each
    marked when
    the radius lies beyond the ceiling of their n."""
    figure = go.Figure()
    for k, row in enumerate(table.rows):
        if row.at(radius) is None:
            continue
        figure.add_scatter(
            x=[row.at(0.0)],
            y=[row.at(radius)],
            mode="markers+text",
            text=[row.model],
            textposition="top center",
            marker=dict(
                size=12,
                color=SERIES_COLORS[k % len(SERIES_COLORS)],
                symbol=NORM_SYMBOLS.get(row.norm, "circle"),
            ),
            name=f"{row.model} ({NORM_NAMES[row.norm]}, n = {row.n}, {row.examples} images, "
            + ("ceiling —" if row.ceiling is None else f"ceiling {row.ceiling:.2f}")
            + (": r beyond it" if row.ceiling is not None and radius > row.ceiling else "")
            + ")",
        )
    if table.cohen and radius in table.cohen_radii:
        k, beyond = table.cohen_radii.index(radius), table.cohen_beyond(radius)
        figure.add_scatter(
            x=[curve[0] for _, curve in table.cohen],
            y=[curve[k] for _, curve in table.cohen],
            mode="markers+text",
            textposition="bottom center",
            text=[
                f"Cohen σ = {s:g}" + (" (r beyond ceiling)" if s in beyond else "") for s, _ in table.cohen
            ],
            marker=dict(symbol="x", size=12, color=PAPER_COLOR),
            name="Cohen et al. 2019, Table 3: ResNet-110, n = 100,000, full test set (published, ℓ2)",
        )
    compact(figure, height=400, top=30)
    figure.update_layout(
        xaxis=dict(title="certified accuracy at r = 0", tickformat=".0%"),
        yaxis=dict(
            title=f"certified accuracy at r = {radius:g} (ℓ1 ◆ and ℓ2 ● radii differ)", tickformat=".0%"
        ),
    )
    return figure


@builder
def bounds(result) -> go.Figure:
    """Empirical (no vote change found within ε by SmoothAdv, upper bound) and certified (CERTIFY, lower
    bound)
    accuracy of F_rob vs ε, with CERTIFY's ceiling σΦ⁻¹(α^{1/n}) beyond which nothing can be certified."""
    figure = go.Figure()
    figure.add_scatter(
        x=result.eps,
        y=result.empirical,
        mode="lines+markers",
        line=dict(color=SERIES_COLORS[1]),
        name="empirical: SmoothAdv on F_rob finds no vote change within ε — upper bound",
    )
    figure.add_scatter(
        x=result.eps,
        y=result.certified,
        mode="lines+markers",
        line=dict(color=SERIES_COLORS[2]),
        name="certified accuracy at radius ε (CERTIFY) — lower bound",
        fill="tozeroy",
        fillcolor="rgba(44,160,44,0.12)",
    )
    figure.add_vline(
        x=result.ceiling,
        line_dash="dot",
        annotation_text=f"ceiling, n = {result.n:,}",
        annotation_position="top left",
    )
    compact(figure, height=360, title=result.title)
    figure.update_layout(
        xaxis=dict(title="ℓ2 budget ε", range=[0, 1.05 * max(max(result.eps), result.ceiling)]),
        yaxis=dict(title="accuracy of F_rob", range=[0, 1.02], tickformat=".0%"),
        legend=dict(y=-0.25),
    )
    return figure


@builder
def paired(result) -> go.Figure:
    """Per input, the certified radius α* of F_rob (y) against the distance SmoothAdv needs to change F_rob's
    vote (x): a sound certificate lies on or below the diagonal; CERTIFY's ceiling and (images) the ℓ2 size
    of the usual ℓ∞ budget drawn as lines. Inputs with no vote change found sit at ε_max (▷)."""
    eps_max = result.attack["eps_max"]
    distances, radii = result.distances, result.radii
    found = np.isfinite(distances)
    top = max([result.ceiling, eps_max, result.linf_l2 or 0.0])
    figure = go.Figure()
    figure.add_scatter(
        x=[0, top],
        y=[0, top],
        mode="lines",
        line=dict(color="grey", dash="dash", width=1),
        name="α* = attack distance",
    )
    figure.add_scatter(
        x=distances[found],
        y=radii[found],
        mode="markers",
        marker=dict(color=SERIES_COLORS[2], size=8),
        name="certified input",
    )
    if (~found).any():
        figure.add_scatter(
            x=np.full(int((~found).sum()), eps_max),
            y=radii[~found],
            mode="markers",
            marker=dict(color=SERIES_COLORS[1], size=9, symbol="triangle-right"),
            name=f"no vote change found within {eps_max:g}",
        )
    figure.add_hline(
        y=result.ceiling, line_dash="dot", annotation_text=f"ceiling σΦ⁻¹(α^(1/n)), n = {result.n:,}"
    )
    if result.linf_l2 is not None:
        figure.add_vline(
            x=result.linf_l2,
            line_dash="dash",
            annotation_text="ℓ2 size of the usual ℓ∞ budget",
            annotation_position="bottom right",
        )
    compact(figure, height=320, top=30)
    figure.update_layout(
        xaxis=dict(title="ℓ2 distance SmoothAdv needs to change F_rob's vote", range=[0, 1.05 * top]),
        yaxis=dict(title="certified α* of F_rob", range=[0, 1.05 * top]),
        legend=dict(y=-0.3),
    )
    return figure


@builder
def limits(result) -> go.Figure:
    """Left: per σ, the median certified α*, CERTIFY's ceiling at the shipped n (and at a tagged run's n), and
    the
    ℓ2 size of the ℓ∞ ball. Right: the median p_A lower bound of the correctly certified inputs against σ."""
    sigmas = [row.sigma for row in result.rows]
    figure = go.Figure()
    figure.add_bar(
        x=sigmas,
        y=[row.median_radius for row in result.rows],
        name="median certified α*",
        marker_color=SERIES_COLORS[2],
    )
    figure.add_scatter(
        x=sigmas,
        y=[row.ceiling for row in result.rows],
        mode="lines+markers",
        name="ceiling at the shipped n",
        line=dict(color="black", dash="dot"),
    )
    for row in result.tagged_rows:  # second runs at another n (certify_<model>@<tag>.json)
        figure.add_scatter(
            x=[row.sigma],
            y=[row.ceiling],
            mode="markers",
            marker=dict(symbol="diamond", size=11),
            name=f"ceiling of {row.subject} (n = {row.n:,})",
        )
    figure.add_scatter(
        x=[min(sigmas), max(sigmas)],
        y=[result.needed] * 2,
        mode="lines",
        line=dict(color=SERIES_COLORS[1], dash="dash"),
        name=f"ℓ2 size of ℓ∞ {result.linf * 255:.0f}/255: {result.needed:.2f}",
    )
    figure.add_scatter(
        x=sigmas,
        y=[row.median_p_a for row in result.rows],
        mode="lines+markers",
        xaxis="x2",
        yaxis="y2",
        name="median p_A (lower bound)",
        line=dict(color=SERIES_COLORS[0]),
    )
    compact(figure, height=340, top=40, title=f"Shipped {result.dataset} certificates, by σ")
    figure.update_layout(
        xaxis=dict(domain=[0, 0.55], title="σ", type="category"),
        yaxis=dict(title="ℓ2 radius"),
        xaxis2=dict(domain=[0.68, 1], title="σ", anchor="y2", type="category"),
        yaxis2=dict(title="median p_A", anchor="x2"),
        legend=dict(y=-0.3),
    )
    return figure


# The metrics beside the figures, as (label, value, help) rows for ui.frame.metrics.


def _decimals(value) -> str:
    return "—" if value is None else f"{value:.3f}"


def bounds_metrics(result) -> list[tuple]:
    """Median certified radius and attack distance of one bounds run, and both accuracies at its last ε."""
    facts, last = result.facts, f"{result.eps[-1]:g}"
    return [
        (
            "Median certified α*",
            _decimals(facts["median_radius"]),
            f"Over the {len(result.radii)} inputs F_rob certifies correctly.",
        ),
        (
            "Median attack distance on F_rob",
            _decimals(facts["median_attack"]),
            "SmoothAdv's smallest vote-changing ℓ2 perturbation, same inputs, same F_rob.",
        ),
        (
            f"Certified at ε = {last}",
            f"{result.certified[-1]:.0%}",
            f"Empirical (SmoothAdv) at ε = {last}: {result.empirical[-1]:.0%}.",
        ),
    ]


def tradeoff_metrics(rows) -> list[tuple]:
    """One metric per noise scale: clean accuracy of F_rob → certified accuracy at r."""
    metrics = []
    for row in rows:
        beyond = (
            f" r lies beyond this std's ceiling {row.ceiling:.3f}: its 0 % is forced by n."
            if row.beyond_ceiling
            else ""
        )
        metrics.append(
            (
                f"{row.noise} std {row.std:.2f}",
                f"{row.clean_accuracy:.0%} → {row.certified_accuracy:.0%}",
                f"CERTIFY abstained on {row.abstain_rate:.0%} of the points.{beyond}",
            )
        )
    return metrics


def limits_metrics(limits, measured_sentence: str, n_needed: str) -> list[tuple]:
    """The ℓ2 size of the ℓ∞ ball, what is certified there, Madry et al.'s PGD, and the n it would take."""
    measured, widest = limits.measured, limits.rows[-1]
    return [
        (f"ℓ2 size of ℓ∞ {limits.linf * 255:.0f}/255", f"{limits.needed:.2f}", "ε·√d, d = 3·32·32."),
        (
            f"Certified accuracy at {limits.needed:.2f}",
            "not measured" if measured is None else f"{measured.certified_at_needed:.0%}",
            measured_sentence,
        ),
        ("Madry et al., PGD at ℓ∞ 8/255 (published)", f"{limits.madry_pgd:.1%}"),
        (
            f"n whose ceiling reaches {limits.needed:.2f}, σ = {widest.sigma:g}",
            n_needed,
            f"Shipped: n = {widest.n:,}.",
        ),
    ]


NO_SHIPPED_TABLE = (
    "No shipped results yet: run python -m core.experiments tradeoff --dataset cifar10 "
    "(after the certify runs)."
)
NO_IMAGE_MODEL = (
    "No zoo model trained with Gaussian noise at the input yet (see README: python -m core.experiments)."
)


def no_cifar_bounds(build_command: str) -> str:
    return f"No CIFAR-10 attack distances shipped for today's model: run {build_command} (needs the data)."


def gallery_caption(images: int, n0: int, n: int, eps_max: float) -> str:
    """What the gallery run computes, and that it takes minutes."""
    return (
        f"On the {images} gallery images: CERTIFY (n₀ = {n0}, n = {n:,}) and SmoothAdv distances on F_rob "
        f"(bisection up to ε = {eps_max:g}) — minutes on a CPU; the bar shows each part."
    )
