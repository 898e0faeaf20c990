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
