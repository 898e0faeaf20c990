"""Argument checks shared by core modules: one clear ValueError sentence per bad value."""

from __future__ import annotations

import math
import numbers


def positive_int(value, what: str) -> int:
    """``value`` as an int ≥ 1 (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{what} must be a positive integer, got {value!r}.")
    return int(value)


def positive(value, what: str) -> float:
    """``value`` as a finite float > 0 (bools refused)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"{what} must be a positive finite number, got {value!r}.")
    return float(value)


# The norms the scenes name, as the talk writes them.
NORM_SYMBOLS = {"l2": "ℓ2", "l1": "ℓ1", "linf": "ℓ∞"}


def _listed(options) -> str:
    return ", ".join(format(option, "g") if isinstance(option, float) else str(option) for option in options)


def one_of(value, options, what: str):
    """``value`` when it is one of ``options`` (bools refused; a float choice comes back as a float)."""
    if isinstance(value, bool) or value not in options:
        raise ValueError(f"{what} must be one of {_listed(options)}, got {value!r}.")
    return float(value) if isinstance(value, float) else value


def number(value, low: float, high: float, what: str) -> float:
    """``value`` as a float in [low, high] (bools, NaN and infinities refused)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        raise ValueError(f"{what} must be a number between {low:g} and {high:g}, got {value!r}.")
    return float(value)


def integer(value, low: int, high: int | None, what: str) -> int:
    """``value`` as an int in [low, high] (high None: no upper end; bools refused)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < low
        or (high is not None and value > high)
    ):
        span = f"≥ {low}" if high is None else f"between {low} and {high}"
        raise ValueError(f"{what} must be a whole number {span}, got {value!r}.")
    return int(value)
