"""The shared palette stays distinguishable under red–green colour blindness.

Each colour is simulated as a dichromat sees it (Machado, Oliveira & Fernandes 2009, severity 1.0: the
3×3 matrices act on linear sRGB), then compared in CIELAB (D65) with the CIE76 distance ΔE. Any two
colours that a figure draws side by side (the first six class colours, the noise colours, the series
colours) must stay ``PALETTE_MIN_DELTA_E`` apart, for deuteranopia and for protanopia.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from ui.figures import (
    CLASS_COLORS,
    CLASS_FILLS,
    NOISE_COLORS,
    PALETTE_MIN_DELTA_E,
    SERIES_COLORS,
)

DEUTERANOPIA = np.array(
    [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]
)
PROTANOPIA = np.array(
    [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]
)
SRGB_TO_XYZ = np.array(
    [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
)
D65_WHITE = np.array([0.95047, 1.0, 1.08883])
SIDE_BY_SIDE = {
    "first six classes": CLASS_COLORS[:6],
    "noise distributions": list(NOISE_COLORS.values()),
    "series": SERIES_COLORS,
}


def linear_rgb(color: str) -> np.ndarray:
    encoded = np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)]) / 255
    return np.where(encoded <= 0.04045, encoded / 12.92, ((encoded + 0.055) / 1.055) ** 2.4)


def lab(linear: np.ndarray) -> np.ndarray:
    ratio = SRGB_TO_XYZ @ np.clip(linear, 0.0, 1.0) / D65_WHITE
    f = np.where(ratio > (6 / 29) ** 3, np.cbrt(ratio), ratio / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(first: str, second: str, seen_as: np.ndarray | None = None) -> float:
    a, b = linear_rgb(first), linear_rgb(second)
    if seen_as is not None:
        a, b = seen_as @ a, seen_as @ b
    return float(np.linalg.norm(lab(a) - lab(b)))


def closest_pair(colors, seen_as) -> tuple[float, str, str]:
    return min((delta_e(a, b, seen_as), a, b) for a, b in itertools.combinations(colors, 2))


def test_the_simulation_keeps_greys_and_tells_the_classic_red_and_green_apart_from_the_normal_eye():
    # white and a mid grey are seen alike by every eye (rows of the matrices sum to 1, to 1e-5)
    for seen_as in (DEUTERANOPIA, PROTANOPIA):
        assert delta_e("#ffffff", "#ffffff", seen_as) == 0.0
        assert np.allclose(seen_as.sum(axis=1), 1.0, atol=1e-5)
        assert abs(delta_e("#808080", "#808080", seen_as)) < 1e-9
    # the familiar pair that red–green colour blindness confuses: far apart normally, close when simulated
    assert delta_e("#d62728", "#2ca02c") > 60
    assert delta_e("#d62728", "#2ca02c", DEUTERANOPIA) < PALETTE_MIN_DELTA_E


@pytest.mark.parametrize("vision", ["deuteranopia", "protanopia"])
@pytest.mark.parametrize("group", list(SIDE_BY_SIDE))
def test_colours_drawn_side_by_side_stay_apart_under_red_green_colour_blindness(vision, group):
    seen_as = DEUTERANOPIA if vision == "deuteranopia" else PROTANOPIA
    distance, first, second = closest_pair(SIDE_BY_SIDE[group], seen_as)
    assert distance >= PALETTE_MIN_DELTA_E, (
        f"{group}: {first} and {second} are ΔE {distance:.1f} apart under {vision} "
        f"(at least {PALETTE_MIN_DELTA_E} wanted)"
    )


def test_the_region_fills_are_the_class_colours_made_pale():
    for color, fill in zip(CLASS_COLORS, CLASS_FILLS):
        red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
        assert fill == f"rgba({red},{green},{blue},0.30)"
    assert len(set(CLASS_COLORS)) == len(CLASS_COLORS)
