"""A scene's parameters, declared once as data.

Each scene module lists what its page lets a reader set as ``PARAMETERS`` (:func:`declare`): for each, the
name the page reads it by, the URL and widget key (``pNN_…``), the choices or the range, and the opening
value. The page draws each widget from its declaration (``ui.url``: ``url.select_slider(label,
PARAMETERS["eps"])``), so the settings link, the handout and the notebook carry it under that key, and
``DEFAULTS`` (:func:`defaults`) are the values the page opens with, which the scene ships.
``tests/scenes/test_registry.py`` checks every declaration, and that a page binds only declared keys, each
opening at its declared value.

A parameter whose opening value or choices depend on another one (the point of a toy network, the budgets
of a data set, the radii of a shipped table) declares ``default=None`` (or no choices) and says in ``note``
where the page takes them from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Parameter:
    name: str  # what the page reads it by: PARAMETERS[name]
    key: str  # the widget key and URL parameter, "pNN_…"
    default: object = None  # the opening value; None: set by the page from another value (``note``)
    choices: tuple | None = None  # the values offered (options of a select box, radio or select slider)
    low: float | None = None  # or a range, for a slider or a number input
    high: float | None = None
    step: float | None = None
    note: str = ""  # where the opening value comes from, when it is not ``default``

    def problems(self) -> list[str]:
        """What is wrong with this declaration, in sentences (empty when it is sound)."""
        found = []
        ranged = self.low is not None and self.high is not None
        if self.choices is not None and ranged:
            found.append(f"{self.name}: declare choices or a range (low and high), not both.")
        if self.choices is None and not ranged and not self.note:
            found.append(f"{self.name}: no choices, no range, and no note saying where the page takes them.")
        if not self.key.startswith("p") or self.key[3:4] != "_" or not self.key[1:3].isdigit():
            found.append(f"{self.name}: its key {self.key!r} is not of the pNN_ form.")
        if self.choices is not None and len(self.choices) == 0:
            found.append(f"{self.name}: no choices.")
        if self.default is None and not self.note:
            found.append(f"{self.name}: no default, and no note saying what the page opens at.")
        if (
            self.default is not None
            and (self.choices is not None or ranged)
            and not self.allows(self.default)
        ):
            found.append(f"{self.name}: the default {self.default!r} is not among its values.")
        return found

    def allows(self, value) -> bool:
        """Whether ``value`` is one of the values this parameter offers (every one of a tuple of choices)."""
        if self.choices is not None:
            values = value if isinstance(value, tuple) else (value,)
            return all(v in self.choices for v in values)
        if self.low is None or self.high is None:
            return True  # the page sets the choices (``note``)
        try:
            number = float(value)
        except (TypeError, ValueError):
            return False
        return math.isfinite(number) and self.low <= number <= self.high


def declare(*parameters: Parameter) -> dict[str, Parameter]:
    """A scene's ``PARAMETERS``, by name, in the page's order; ValueError on a name or key used twice."""
    names = [p.name for p in parameters]
    keys = [p.key for p in parameters]
    if len(set(names)) < len(names) or len(set(keys)) < len(keys):
        raise ValueError(f"A parameter name or key is declared twice among {', '.join(keys)}.")
    return {p.name: p for p in parameters}


def zoo_image(prefix: str) -> tuple[Parameter, Parameter]:
    """The two parameters of the zoo model + gallery image picker (ui.picker) of page ``prefix`` ("p03")."""
    return (
        Parameter(
            "model", f"{prefix}_model", note="the first of the scene's zoo models whose weights are here"
        ),
        Parameter(
            "image", f"{prefix}_image", note="the scene's opening gallery image of the model's dataset"
        ),
    )


def defaults(parameters: dict[str, Parameter]) -> dict:
    """The opening values ``{name: default}`` of the parameters that declare one."""
    return {name: p.default for name, p in parameters.items() if p.default is not None}
