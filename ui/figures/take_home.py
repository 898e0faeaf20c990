"""Figures of scene 11 (take-home): one builder per chart, from core.scenes.take_home's results."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ui.figures import (
    LABELS,
    NOISE_COLORS,
    SERIES_COLORS,
    add_points,
    ball_outline,
    builder,
    compact,
    regions,
)


def _segments(starts: np.ndarray, ends: np.ndarray) -> tuple[list, list]:
    """x and y lists drawing each start → end segment, separated by None (one trace for all)."""
    xs, ys = [], []
    for (x0, y0), (x1, y1) in zip(starts, ends):
        xs += [float(x0), float(x1), None]
        ys += [float(y0), float(y1), None]
    return xs, ys


@builder
def attack(result) -> go.Figure:
    """Standard network's regions, the correctly classified points, and x → x + τ for each flipped one."""
    figure = regions(
        result.xs,
        result.ys,
        result.labels,
        "Standard network: flipped points (x → x + τ)",
        classes=2,
        height=400,
    )
    add_points(figure, result.x_clean, result.y_clean, name="held-out")
    fooled = np.asarray(result.fooled, dtype=bool)
    xs, ys = _segments(result.x_clean[fooled], result.x_adv[fooled])
    figure.add_scatter(x=xs, y=ys, mode="lines", line=dict(color="black", width=1.2), name="τ (PGD)")
    figure.add_scatter(
        x=result.x_adv[fooled, 0],
        y=result.x_adv[fooled, 1],
        mode="markers",
        name="x + τ (flipped)",
        marker=dict(color="black", size=5, symbol="x"),
    )
    return figure


@builder
def radius_curves(result) -> go.Figure:
    """α* against p_A at one per-coordinate std: ℓ2 certificates (Gaussian, left) and ℓ1 ones (Laplace,
    uniform,
    right) on two panels, since the norms differ."""
    figure = go.Figure()
    for k, (name, values) in enumerate(result.l2_curves.items()):
        figure.add_scatter(
            x=result.p_a,
            y=values,
            name=name,
            mode="lines",
            line=dict(color=NOISE_COLORS["gaussian"], dash=["solid", "dash", "dot"][k % 3]),
        )
    figure.add_scatter(
        x=[result.p_a[0], result.p_a[-1]],
        y=[result.ceiling] * 2,
        mode="lines",
        line=dict(color="black", dash="dot", width=1),
        name="ceiling σΦ⁻¹(α^(1/n)) of CERTIFY",
    )
    for name, values in result.l1_curves.items():
        color = NOISE_COLORS["laplace" if name.startswith("Laplace") else "uniform"]
        figure.add_scatter(
            x=result.p_a, y=values, name=name, mode="lines", line=dict(color=color), xaxis="x2", yaxis="y2"
        )
    compact(
        figure,
        height=380,
        title=f"Certified radius α* against p_A (std σ = {result.sigma} per coordinate)",
        top=70,
    )
    figure.update_layout(
        xaxis=dict(domain=[0, 0.45], title="p_A"),
        yaxis=dict(title="ℓ2 radius α*"),
        xaxis2=dict(domain=[0.55, 1], title="p_A", anchor="y2"),
        yaxis2=dict(title="ℓ1 radius α*", anchor="x2"),
        legend=dict(font=dict(size=10), y=-0.3),
        annotations=[
            dict(
                text=text,
                x=x,
                y=1.0,
                xref="paper",
                yref="paper",
                xanchor="center",
                yanchor="bottom",
                showarrow=False,
            )
            for text, x in (("Gaussian noise: ℓ2", 0.225), ("Laplace, uniform: ℓ1", 0.775))
        ],
    )
    return figure


def _vertical(figure: go.Figure, x: float, color: str, name: str, top: float = 1.02) -> None:
    """A dotted vertical segment at x from 0 to ``top`` (a trace: cheaper than add_vline)."""
    figure.add_scatter(
        x=[x, x],
        y=[0, top],
        mode="lines",
        line=dict(color=color, dash="dot", width=1.5),
        name=name,
        showlegend=False,
        hoverinfo="name",
    )


@builder
def certified(result) -> go.Figure:
    """Hard F_rob on the grid with the held-out points and the ℓ2 ball each correct certificate guarantees."""
    figure = regions(
        result.xs,
        result.ys,
        result.labels,
        f"F_rob (σ = {result.sigma}) and certified ℓ2 balls",
        classes=2,
        height=400,
    )
    add_points(figure, result.x, result.y, name="held-out")
    xs, ys = [], []
    for (cx, cy), radius, ok in zip(result.x, result.radius, result.correct):
        if ok and radius > 0:
            bx, by = ball_outline(float(cx), float(cy), float(radius), "l2", points=40)
            xs += bx + [None]
            ys += by + [None]
    figure.add_scatter(
        x=xs, y=ys, mode="lines", line=dict(color="rgba(0,0,0,0.55)", width=1), name="certified ball"
    )
    return figure


@builder
def defenses(result) -> go.Figure:
    """Held-out accuracy against the ℓ∞ budget for the three defenses, the chosen ε dotted."""
    figure = go.Figure()
    series = (
        ("standard ERM", result.standard),
        ("adversarial training", result.adversarial),
        (f"F_rob, σ = {result.sigma} (EOT-PGD, vote)", result.smoothed),
    )
    for k, (name, values) in enumerate(series):
        figure.add_scatter(
            x=list(result.budgets),
            y=list(values),
            name=name,
            mode="lines+markers",
            line=dict(color=SERIES_COLORS[k]),
        )
    _vertical(figure, result.eps, "grey", f"ε = {result.eps}")
    compact(figure, height=360, title="Accuracy under the attack, against its budget")
    figure.update_layout(
        xaxis_title="ℓ∞ budget ε", yaxis=dict(title="held-out accuracy", range=[0, 1.02], tickformat=".0%")
    )
    return figure


@builder
def tradeoff(result) -> go.Figure:
    """Certified accuracy against r for each σ; each σ's CERTIFY ceiling σΦ⁻¹(α^{1/n}) dotted."""
    figure = go.Figure()
    for k, (sigma, values) in enumerate(result.curves.items()):
        color = SERIES_COLORS[k % len(SERIES_COLORS)]
        figure.add_scatter(
            x=list(result.radii), y=list(values), name=f"σ = {sigma}", mode="lines", line=dict(color=color)
        )
        _vertical(figure, result.toy_ceilings[sigma], color, f"ceiling, σ = {sigma}")
    compact(figure, height=360, title="Toy: certified accuracy at r (dotted: each σ's ceiling)")
    figure.update_layout(
        xaxis_title=LABELS["radius"] + " (ℓ2)",
        yaxis=dict(title=LABELS["certified"], range=[0, 1.02], tickformat=".0%"),
    )
    return figure


@builder
def ceilings(result) -> go.Figure:
    """The largest radius CERTIFY can return against n, beside the ℓ2 size ε√d of CIFAR-10's ℓ∞ balls."""
    figure = go.Figure()
    for k, (sigma, values) in enumerate(result.zoo_ceilings.items()):
        figure.add_scatter(
            x=list(result.n_values),
            y=list(values),
            name=f"ceiling, σ = {sigma}",
            mode="lines",
            line=dict(color=SERIES_COLORS[k]),
        )
    ends = [result.n_values[0], result.n_values[-1]]
    for name, size in result.linf_l2.items():
        figure.add_scatter(
            x=ends,
            y=[size, size],
            mode="lines",
            line=dict(color="black", dash="dash", width=1),
            name=f"ℓ2 size of ℓ∞ ε = {name}: {size:.2f}",
        )
    compact(figure, height=360, title="CIFAR-10: what CERTIFY can reach against what attacks use")
    figure.update_layout(
        xaxis=dict(type="log", title="number of draws n"), yaxis_title="ℓ2 radius (pixels in [0, 1])"
    )
    return figure


# The numbers beside the figures: (label, value, help) rows for ui.frame.metrics, and the tables.


def certificate_metrics(certified, n0: int, n: int, alpha: float, points: int) -> list[tuple]:
    """Message 2: Cohen et al.'s radius at p_A = 0.99, the toy's median radius and certified points, and
    the ceiling."""
    return [
        (
            "Gaussian ℓ2 radius at p_A = 0.99",
            f"{certified.radius_at_099:.3f}",
            "Cohen et al. 2019: α* = σ Φ⁻¹(p_A).",
        ),
        (
            "Median certified radius (toy)",
            f"{certified.median_radius:.3f}",
            f"CERTIFY with n0 = {n0}, n = {n}, α = {alpha} on {points} held-out points "
            "(0 for abstentions and errors).",
        ),
        ("Correctly certified points", f"{certified.certified} / {len(certified.radius)}"),
        (
            f"Ceiling σΦ⁻¹(α^(1/n)), n = {n:,}",
            f"{certified.ceiling:.3f}",
            "The largest radius CERTIFY can return when all n draws agree.",
        ),
    ]


def limits_metrics(bounds, measured_sentence) -> list:
    """Message 4, in the order shown: the ℓ2 size of ℓ∞ 8/255, the ceiling at n = 100 000, the shipped
    headline, and what is certified at that size beside Madry et al.'s PGD (None where nothing is known)."""
    row = [("ℓ2 size of ℓ∞ 8/255 on CIFAR-10", f"{bounds.linf_l2['8/255']:.2f}")]
    row.append(("Ceiling at n = 100 000, σ = 0.25", f"{bounds.ceiling_100k:.2f}"))
    h = bounds.headline
    row.append(
        None
        if h is None
        else (
            f"Shipped: certified accuracy of {h['model']} at r = {h['radius']:g}",
            f"{h['accuracy']:.0%}",
            f"{h['examples']} test images, n = {h['n']}, ceiling {h['ceiling'] or 0:.2f}; {h['command']}",
        )
    )
    argument = bounds.argument
    if argument is None:
        return row + [None]
    at = "not measured" if argument.measured is None else f"{argument.best_certified_at_needed:.0%}"
    label = f"Certified at {argument.needed:.2f} (shipped) · Madry PGD (published)"
    return row + [(label, f"{at} · {argument.madry_pgd:.1%}", measured_sentence(argument))]


def accuracy_table(table: dict) -> dict:
    """The trade-off table as shown: accuracies in percent, "— (r > ceiling)" where CERTIFY cannot reach."""
    return {
        column: [
            "— (r > ceiling)" if v is None else f"{v:.0%}" if "accuracy" in column else f"{v:.3g}"
            for v in values
        ]
        for column, values in table.items()
    }


def shipped_table(rows) -> dict:
    """The shipped certified accuracies, one row per model and radius."""
    return {
        "model": [r.model for r in rows],
        "noise (layer)": [r.noise for r in rows],
        "n": [r.n for r in rows],
        "r": [r.radius for r in rows],
        "certified accuracy": [
            f"{r.accuracy:.1%}" + (" (r > ceiling: forced by n)" * r.beyond_ceiling) for r in rows
        ],
        "ceiling": ["—" if r.ceiling is None else f"{r.ceiling:.2f}" for r in rows],
    }
