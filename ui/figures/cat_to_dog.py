"""Figures and number formats of scene 3 (cat → dog): the class probabilities before and after."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ui.figures import SERIES_COLORS, builder, compact


def probability_text(value: float) -> str:
    """A probability in percent, or in scientific notation below 0.1 % (so that tiny probabilities of
    the target still show how the attack moves them)."""
    return f"{value:.1%}" if value >= 1e-3 else f"{value:.1e}"


def scale_text(scale: float) -> str:
    """s = ‖τ‖∞ as the talk prints it ("+ 0.006 ×")."""
    return f"{scale:.3f}" if scale >= 1e-3 else f"{scale:.1e}"


@builder
def probabilities(p: np.ndarray, p_adv: np.ndarray, class_names) -> go.Figure:
    """softmax F(x) and softmax F(x + τ) side by side, one pair of bars per class."""
    figure = go.Figure()
    figure.add_bar(x=list(class_names), y=p, name="F(x)", marker_color=SERIES_COLORS[0])
    figure.add_bar(x=list(class_names), y=p_adv, name="F(x + τ)", marker_color=SERIES_COLORS[1])
    compact(figure, height=340, title="Class probabilities softmax F(·)")
    figure.update_layout(barmode="group", yaxis=dict(range=[0, 1], tickformat=".0%"))
    return figure


def equation(result, index: int, attack: str) -> str:
    """x_adv = x + s × (τ/s) on the attacked image, and whether the network now answers the target."""
    names, target = result.class_names, result.target
    source = "your photo" if result.uploaded else f"gallery image #{index} (label: {names[result.label]})"
    if result.reached:
        outcome = f"**the network now answers {names[target]}** ({result.p_adv[target]:.0%})."
    else:
        raise_what = "the budget or the steps." if attack == "pgd" else "the constant c."
        outcome = f"the target {names[target]} is not reached — raise {raise_what}"
    return f"$x_{{adv}} = x + {scale_text(result.scale)} \\times (\\tau / s)$ on {source}: {outcome}"


def amplified_caption(scale: float, talk_scale: float) -> str:
    """How τ/s is drawn, and how small the true change of each pixel is."""
    return (
        "The perturbation is amplified for display: every pixel of τ/s lies in [−1, 1], shown from black "
        f"(−1) through grey (0) to white (+1); the true change of each pixel is at most {scale:.4f} "
        f"= {255 * scale:.1f}/255 of the intensity range (the talk's slide prints s = {talk_scale})."
    )
