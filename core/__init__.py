"""Randomized Defenses Lab — the library behind the dashboard.

Every object of the talk "Toward certified defenses to adversarial example attacks through
randomization" is computed here: ERM training, attacks, noise-injected networks F̃_ε, the
smoothed classifier F_rob(x) = E_ε[F̃_ε(x)] and its certified radius α*.

Rules: no Streamlit; every function takes ``device``; every random draw comes from an explicit
``torch.Generator`` or seed; images live in [0, 1] (normalisation is inside the models).
"""
from core.device import make_generator, resolve_device

__all__ = ["make_generator", "resolve_device"]
