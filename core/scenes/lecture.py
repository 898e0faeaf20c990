"""Lecture mode's plain data (no Streamlit): the steps of each scene, the walk of the talk from the home
page through the scenes to the references, the step a link asks for, and predict-then-reveal questions.

Each scene module lists its ``STEPS``: short titles in the order its page reveals them (first the
question, then the figure, then the number). A link's ``?step=k`` shows steps 1…k; without one the
whole scene is shown (its last step), which is what a student opening a link alone wants.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.scenes.registry import HOME_PAGE, REFERENCES_PAGE, SCENES, module_of

HOME_STEPS = ("The talk in three parts",)
REFERENCES_STEPS = ("The papers behind the talk",)
MAX_STEPS = 8  # a scene is a handful of slide bullets, not a second talk
MAX_TITLE = 70  # a step title fits on the step counter's line


@dataclass(frozen=True)
class Prediction:
    """A question the room answers before the scene computes it: one of ``choices``."""

    question: str
    choices: tuple[str, ...]


@dataclass(frozen=True)
class Verdict:
    """The computed answer to a Prediction: which choices the computation confirms, and why."""

    correct: tuple[bool, ...]  # one per choice
    answer: str  # one sentence with the computed numbers


def check_steps(steps, where: str) -> tuple[str, ...]:
    """``steps`` as a tuple of titles, or a ValueError naming ``where`` and what is wrong."""
    if not isinstance(steps, tuple) or not 1 <= len(steps) <= MAX_STEPS:
        raise ValueError(f"{where}: STEPS must be a tuple of 1 to {MAX_STEPS} titles.")
    for title in steps:
        if not isinstance(title, str) or not title.strip() or len(title) > MAX_TITLE:
            raise ValueError(
                f"{where}: every step title must be a non-empty string of at most {MAX_TITLE} "
                f"characters, got {title!r}."
            )
    if len(set(steps)) != len(steps):
        raise ValueError(f"{where}: two steps have the same title.")
    return steps


def pages() -> tuple[str, ...]:
    """The talk's walk, in order: the home page, every scene's page, the references."""
    return (HOME_PAGE, *(scene.page for scene in SCENES), REFERENCES_PAGE)


def steps_of(page: str) -> tuple[str, ...]:
    """The step titles of ``page`` (a file of ``pages()``): the scene module's STEPS."""
    if page == HOME_PAGE:
        return HOME_STEPS
    if page == REFERENCES_PAGE:
        return REFERENCES_STEPS
    for scene in SCENES:
        if scene.page == page:
            return check_steps(module_of(scene.url_path).STEPS, scene.module)
    raise ValueError(f"{page!r} is not a page of the talk; the pages are {', '.join(pages())}.")


def title_of(page: str) -> str:
    """The title a page shows: the scene's title, or the home page's and the references' own."""
    if page == HOME_PAGE:
        return HOME_STEPS[0]
    if page == REFERENCES_PAGE:
        return "References"
    for scene in SCENES:
        if scene.page == page:
            return scene.title
    raise ValueError(f"{page!r} is not a page of the talk; the pages are {', '.join(pages())}.")


def notes_of(page: str, step: int) -> str:
    """The speaker's notes at ``step`` of ``page`` (Markdown): what the step shows, the scene's
    explanation, and the scene module's note for that step when its ``NOTES`` has one."""
    titles = steps_of(page)
    title = titles[step - 1]
    parts = [f"**Step {step} / {len(titles)}: {title}{'' if title[-1] in '.?!' else '.'}**"]
    if page == HOME_PAGE:
        parts.append(
            "The talk in three parts: supervised learning and neural networks, adversarial examples, "
            "defenses and randomization. Show the follow link now: the room follows and votes."
        )
    elif page == REFERENCES_PAGE:
        parts.append("The papers behind every scene, with what each scene computes from them.")
    else:
        module = module_of(next(s.url_path for s in SCENES if s.page == page))
        parts.append(module.EXPLANATION.strip())
        note = getattr(module, "NOTES", {}).get(step)  # module_of checked that NOTES is a dict
        if isinstance(note, str):
            parts.append(note)
    return "\n\n".join(part for part in parts if part)


def walk() -> tuple[tuple[str, int], ...]:
    """Every (page, step) of the talk, in order: the console's step list."""
    return tuple((page, k) for page in pages() for k in range(1, len(steps_of(page)) + 1))


def next_stop(page: str, step: int) -> tuple[str, int] | None:
    """Where the clicker's "next" goes from ``step`` of ``page``: its next step, else the next page's
    first step; None after the references."""
    if step < len(steps_of(page)):
        return page, step + 1
    order = pages()
    position = order.index(page)
    return (order[position + 1], 1) if position + 1 < len(order) else None


def previous_stop(page: str, step: int) -> tuple[str, int] | None:
    """Where "previous" goes: the previous step, else the previous page's last step; None on the home page."""
    if step > 1:
        return page, step - 1
    order = pages()
    position = order.index(page)
    if position == 0:
        return None
    before = order[position - 1]
    return before, len(steps_of(before))


def parse_step(raw: str | None, count: int) -> tuple[int, str | None]:
    """The step a link asks for, and a sentence when it cannot be used as given. No ``step``: the whole
    scene (``count``); a whole number outside 1…count is clamped; anything else falls back to the whole
    scene."""
    if raw is None:
        return count, None
    try:
        asked = int(str(raw).strip())
    except ValueError:
        return count, (
            f"The link's step {raw!r} is not a whole number; the whole scene is shown "
            f"(step {count} of {count})."
        )
    if 1 <= asked <= count:
        return asked, None
    shown = min(max(asked, 1), count)
    return (
        shown,
        f"The link's step {asked} is outside this scene's steps 1 to {count}; step {shown} is shown.",
    )


def verdict_by_range(value: float, bounds: tuple[float, ...], answer: str) -> Verdict:
    """The Verdict of a question whose choices are the ranges cut by ``bounds`` (increasing):
    choice k covers bounds[k-1] ≤ value < bounds[k]."""
    index = sum(value >= bound for bound in bounds)
    return Verdict(tuple(k == index for k in range(len(bounds) + 1)), answer)
