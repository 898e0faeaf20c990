"""Randomized Defenses Lab — the library behind the dashboard.

Every object of the talk "Toward certified defenses to adversarial example attacks through
randomization" is computed here: ERM training, attacks, noise-injected networks F̃_ε, the
smoothed classifier F_rob(x) = E_ε[F̃_ε(x)] and its certified radius α*.

Rules: no Streamlit; every function takes ``device``; every random draw comes from an explicit
``torch.Generator`` or seed; images live in [0, 1] (normalisation is inside the models).
"""

__all__ = ["make_generator", "resolve_device"]


def __getattr__(name: str):
    # Imported on first use: `import core.scenes.registry` (app.py's first import) then needs no torch,
    # so the server draws the home page before torch has loaded.
    if name in __all__:
        from core import device

        return getattr(device, name)
    raise AttributeError(f"module 'core' has no attribute {name!r}")
