"""Take the scene home: a scene as drawn, written as a Jupyter notebook that recomputes it.

``build(record) -> nbformat.NotebookNode`` writes one scene's record (ui.recorder.LiveRecord: the core calls
the page made with their arguments and results, the figures ui.figures built from them, the numbers and
captions shown, each under its lecture step): the scene's explanation with its slide and papers, a heading
per step (the scene module's STEPS), one cell per core call with its exact arguments and a cell printing the
numbers of its result, the numbers the page showed, the same figures rebuilt by the same builders (Plotly,
no Streamlit needed), then two or three "try this" cells (``TRY_THIS``) that change one argument.

The page is the one mapping from a settings link to scene arguments (shared with the handout): the
command line runs the scene's page headlessly (Streamlit's AppTest) with the link's query parameters and
writes what it recorded::

    python -m ui.notebook --scene p09_certificate --out DIR           # the scene's defaults
    python -m ui.notebook --link "http://localhost:8501/p05_geometry?seed=3&p05_eps=0.2" --out DIR
    python -m ui.notebook --out DIR                                    # all eleven scenes

Streamlit is imported only by the command line: the notebook itself imports this module's helpers'
source, not the module.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import math
import re
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import nbformat
import numpy as np
from nbformat import v4

from core.scenes import references
from core.scenes.registry import SCENES, module_of
from core.scenes.registry import scene as registered

APP = Path(__file__).resolve().parent.parent / "app.py"
KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}
PAGE_TIMEOUT = (
    900  # seconds for one page run (a link may ask for a long computation, within the page's limits)
)
INLINE_ARRAY = 64  # elements: a small array the page built itself is written out; a larger one is not named
SLOW_CALL = 2.0  # seconds: a call that took longer when the notebook was written says so
SLOW_CALL_NOTE = (
    "This call took about {seconds:.0f} s on the machine that wrote this notebook (the page's own limits are "
    "kept: the arguments above are the page's)."
)
# Cell metadata naming the recorded call whose numbers a cell prints (read by the tests).
NUMBERS_KEY = "rdl_numbers_of"


@dataclasses.dataclass(frozen=True)
class TryThis:
    """A "try this" cell: call ``function`` (a scene function's name, as recorded) again with ``argument``
    set to ``value``, and what to look for."""

    function: str
    argument: str
    value: object
    look_for: str


# Two or three per scene: one argument of a recorded default call changed, and what changes with it.
TRY_THIS = {
    "p01_erm_playground": (
        TryThis(
            "spec", "label_noise", 0.3, "The held-out risk climbs above the empirical one: the gap widens."
        ),
        TryThis(
            "spec", "width", 128, "A wider network: more parameters than points, yet the gap stays small."
        ),
    ),
    "p02_composition": (
        TryThis(
            "layers", "depth", 1, "One hidden layer: how far each representation moves the classes apart."
        ),
        TryThis(
            "approximation", "function", "step", "A discontinuous target: the fits overshoot at the jump."
        ),
    ),
    "p03_cat_to_dog": (
        TryThis("targeted_attack", "eps_255", 4.0, "Four grey levels: how much surer is F of the target?"),
        TryThis("targeted_attack", "target", 3, "Another target class: how large must τ be now?"),
    ),
    "p04_crafting_attacks": (
        TryThis("example", "budget", 0.05, "Half the budget: does the image still fall, and with what ‖τ‖?"),
        TryThis("example", "index", 1, "Another gallery image: does it resist the attack at this budget?"),
    ),
    "p05_geometry": (
        TryThis("attack", "eps", 0.3, "A larger ball: the path crosses sooner and the distance grows to ε."),
        TryThis("attack", "norm", "linf", "The ℓ∞ square: the identity's ratio spreads between 1 and √2."),
        TryThis("attack", "output", "logits", "Logits instead of probabilities: the stretch ratios grow."),
    ),
    "p06_adversarial_training": (
        TryThis("toy", "eps", 0.04, "A smaller training budget: the robust toy network's regions move less."),
        TryThis("images", "seed", 1, "Another seed: which numbers are shipped (fixed) and which are drawn."),
    ),
    "p07_noise_injection": (
        TryThis("image_draws", "scale", 0.5, "More noise: more distinct decisions among the first draws."),
        TryThis("image_draws", "noise", "laplace", "Laplace noise of the same scale: compare the votes."),
        TryThis("toy_draws", "layer", 1, "Noise after the first layer instead of on the input."),
    ),
    "p08_decision_distribution": (
        TryThis(
            "toy_scene", "sigma", 0.3, "Wider noise: the two decision distributions come closer (TV falls)."
        ),
        TryThis("toy_scene", "eps", 0.02, "A smaller attack: the TV distance and its bound shrink."),
    ),
    "p09_certificate": (
        TryThis("certify_point", "sigma", 0.2, "Larger σ: a larger certified radius, if p_A stays high."),
        TryThis("certify_point", "n", 10000, "More draws: a tighter lower bound on p_A, so a larger radius."),
        TryThis(
            "radius_curves", "alpha", 0.01, "A larger α: a lower bound closer to p_A and a larger ceiling."
        ),
    ),
    "p10_tradeoff": (
        TryThis("toy_bounds", "std", 0.25, "More noise: larger radii but fewer correctly classified points."),
        TryThis(
            "what_is_small", "std", 0.25, "A larger σ: how the smallest perturbations compare to α* now."
        ),
    ),
    "p11_take_home": (
        TryThis("take_home", "eps", 0.02, "A smaller attack budget: fewer toy points are broken."),
        TryThis("take_home", "sigma", 0.2, "More noise: larger certified radii, lower clean accuracy."),
    ),
}


@dataclasses.dataclass(frozen=True)
class Derived:
    """What a page computes from a core call's result outside ``ui.frame.compute`` (p01's training session
    lives in the page's own state): the code that redoes it after the call to ``after``, naming ``name``
    every object of class ``kind`` the page passed to a figure builder. ``code`` is formatted with
    ``module`` (the call's module alias), ``result`` (its variable), ``name`` and ``DERIVED_VALUES`` read
    from the settings link (empty in a "try this" cell: a fresh opening)."""

    after: str
    kind: str
    name: str
    code: str
    note: str


DERIVED = {
    "p01_erm_playground": (
        Derived(
            "spec",
            "View",
            "view",
            "{name} = {module}.replayed({result}, {history!r}).view()",
            "The page trains its own session on this spec (the opening's epochs, then the clicks its link "
            "carries, within the page's replay budget) and draws the session's view.",
        ),
    ),
}
DERIVED_VALUES = {"history": lambda link: link.get("p01_run", "")}


DATA_FOLDER = """import os
import tempfile
from pathlib import Path

from core import results, runs


def data_folder(dataset):
    \"\"\"The folder of <dataset>_test.npz: $RDL_DATA_DIR, else data/ beside this notebook, else None.\"\"\"
    for folder in (os.environ.get("RDL_DATA_DIR"), "data"):
        if folder and (Path(folder) / f"{dataset}_test.npz").is_file():
            return folder
    return None

"""


@dataclasses.dataclass(frozen=True)
class NeedsData:
    """A recomputation on a test set (what the page's "Recompute on the local test set" panel runs): it says
    what it needs and skips without it. ``code`` is formatted with ``result`` (the variable of the recorded
    call to ``after``) and ``call`` (its arguments)."""

    after: str
    what: str
    code: str


NEEDS_DATA = {
    "p06_adversarial_training": NeedsData(
        "images",
        "The page's panel recomputes the talk's table (PGD-20, CW-30) of each shipped model on the first "
        "test images with `core.runs.evaluate`. It needs the test set as `<dataset>_test.npz` (set "
        "`RDL_DATA_DIR` to its folder, or put it in `data/` beside this notebook); without it the cell says "
        "so and skips. "
        "20 images per model take a few minutes on a laptop CPU (PGD-20 and CW-30 on each).",
        """IMAGES = 20  # the page's smallest choice
folder = data_folder({result}.dataset)
if folder is None:
    print(f"Skipped: needs {{{result}.dataset}}_test.npz in $RDL_DATA_DIR or data/ (beside this notebook).")
else:
    for name in {result}.models.values():
        with tempfile.TemporaryDirectory() as out:
            runs.evaluate(name, data_dir=folder, test_limit=IMAGES, curve_examples=1, curve_steps=1,
                          seed={call[seed]!r}, results_dir=out)
            table = results.read("robustness", name, out)["table"]
        print(name, {{key: table.get(key) for key in ("natural", "pgd", "cw")}})
""",
    ),
    "p09_certificate": NeedsData(
        "certified_curves",
        "The page's panel reruns CERTIFY with a shipped file's settings (its n, n₀, α, every 20th image, its "
        "seed) on the first images, and compares the rows with the shipped ones "
        "(`core.scenes.certificate.compare_certify_rows`). It needs the test set as `<dataset>_test.npz` "
        "(set `RDL_DATA_DIR` to its folder, or put it in `data/` beside this notebook); without it the cell "
        "says so and skips. At a shipped file's n (10 000 draws and more) an image takes a minute or more "
        "on a laptop CPU, after a calibration of the batch.",
        """from core.scenes import certificate as certify_scene

IMAGES = 2  # the page's smallest choice
name = results.available("certify")[0]  # the page's first model
shipped = results.read("certify", name)
folder = data_folder(shipped["dataset"])
if folder is None:
    print(f"Skipped: needs {{shipped['dataset']}}_test.npz in $RDL_DATA_DIR or data/ (beside this notebook).")
else:
    with tempfile.TemporaryDirectory() as out:
        settings = dict(n=int(shipped["n"]), n0=int(shipped.get("n0", 100)), alpha=float(shipped["alpha"]),
                        every=int(shipped["every"]), seed=int(shipped.get("seed", 0)))
        runs.certify(name, data_dir=folder, limit=IMAGES, results_dir=out, **settings)
        fresh = results.read("certify", name, out)
    comparison = certify_scene.compare_certify_rows(fresh, {{**shipped, "rows": shipped["rows"][:IMAGES]}})
    print(comparison.label if comparison else "not comparable", comparison and comparison.caption)
""",
    ),
}


# ---- The helpers the notebook carries (their source is copied into its first code cell) ----


def plain_number(value):
    """``value`` as a plain Python number, flag, short text or tuple of those; None when it is not one."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, str) and len(value) <= 200:
        return value
    if isinstance(value, tuple) and value and all(plain_number(v) is not None for v in value):
        return tuple(plain_number(v) for v in value)
    return None


def result_numbers(result, prefix: str = "") -> dict:
    """Every number, flag and short text of a scene result (a frozen dataclass; nested ones too), by name."""
    found = {}
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        items = [(field.name, getattr(result, field.name)) for field in dataclasses.fields(result)]
    elif isinstance(result, dict):
        items = [(str(key), value) for key, value in result.items()]
    else:
        shown = plain_number(result)
        return {} if shown is None else {prefix.rstrip(".") or "value": shown}
    for name, value in items:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            found.update(result_numbers(value, f"{prefix}{name}."))
        elif value is None:
            found[prefix + name] = None
        elif (shown := plain_number(value)) is not None:
            found[prefix + name] = shown
    return found


def show_numbers(result) -> None:
    """Print the numbers of a scene result, one ``name = value`` a line (exact: Python's repr)."""
    for name, value in result_numbers(result).items():
        print(f"{name} = {value!r}")


NOTEBOOK_HELPERS = (plain_number, result_numbers, show_numbers)
# Their source, read once at import (inspect reads the file, which may change under a running process).
HELPERS_SOURCE = "\n\n".join(inspect.getsource(function) for function in NOTEBOOK_HELPERS)


# ---- Naming the recorded objects in the notebook's code ----


class Unnamed(Exception):
    """A value the notebook cannot write: neither a plain value nor part of a recorded result."""


def _literal(value):
    """Python source for a plain value, or raises Unnamed."""
    if value is None or isinstance(value, (bool, str)):
        return repr(value)
    if isinstance(value, (bool, np.bool_)):
        return repr(bool(value))
    if isinstance(value, (int, np.integer)):
        return repr(int(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return repr(number) if math.isfinite(number) else f"float({str(number)!r})"
    raise Unnamed


class Names:
    """Python expressions for the objects of a record: the calls' results by variable name, their fields
    (``attack.path``), items and values, plain values and small arrays written out."""

    def __init__(self):
        self._known: dict[int, tuple[object, str]] = {}

    def add(self, value, expression: str, depth: int = 0) -> None:
        if (
            id(value) in self._known
            or depth > 3
            or value is None
            or isinstance(value, (str, int, float, bool))
        ):
            return
        self._known[id(value)] = (value, expression)  # the object is kept, so its id is not reused
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            for field in dataclasses.fields(value):
                self.add(getattr(value, field.name), f"{expression}.{field.name}", depth + 1)
        elif isinstance(value, (list, tuple)) and len(value) <= 64:
            for k, item in enumerate(value):
                self.add(item, f"{expression}[{k}]", depth + 1)
        elif isinstance(value, dict) and len(value) <= 64:
            for key, item in value.items():
                try:
                    self.add(item, f"{expression}[{_literal(key)}]", depth + 1)
                except Unnamed:
                    continue

    def of(self, value) -> str:
        """The expression for ``value``, or raises Unnamed."""
        try:
            return _literal(value)
        except Unnamed:
            pass
        kept = self._known.get(id(value))
        if kept is not None and kept[0] is value:
            return kept[1]
        if isinstance(value, tuple):
            inner = [self.of(item) for item in value]
            return "(" + ", ".join(inner) + ("," if len(inner) == 1 else "") + ")"
        if isinstance(value, list):
            return "[" + ", ".join(self.of(item) for item in value) + "]"
        if isinstance(value, dict):
            return "{" + ", ".join(f"{self.of(k)}: {self.of(v)}" for k, v in value.items()) + "}"
        if isinstance(value, range):
            return repr(value)
        if isinstance(value, np.ndarray) and value.size <= INLINE_ARRAY and value.dtype.kind in "biuf":
            return f"np.array({value.tolist()!r}, dtype={str(value.dtype)!r})"
        raise Unnamed


# ---- The notebook ----


def _scene_of(url_path: str):
    return registered(url_path), module_of(url_path)


def _papers(url_path: str) -> str:
    cited = [
        f"- {citation} <{link}> — {why}"
        for citation, link, why, used in references.REFERENCES
        if url_path in used
    ]
    return "\n".join(cited) if cited else "- (no paper is cited by this scene)"


def without_machine_paths(text: str) -> str:
    """``text`` with this machine's folders written relative to the project (a caption may name where the page
    looks for a data set): a notebook names no path of the machine that wrote it."""
    project = APP.parent
    for folder, shown in ((project, "."), (project.parent, ".."), (Path.home(), "~")):
        text = re.sub(re.escape(str(folder)) + r"(?=[/\\]|\b|$)", shown, text)
    return text


def _metrics_table(metrics: list[tuple[str, str, str]]) -> str:
    def escape(text) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    rows = [f"| {escape(label)} | **{escape(value)}** | {escape(delta)} |" for label, value, delta in metrics]
    return "The page showed:\n\n| number | value | |\n|---|---|---|\n" + "\n".join(rows)


def _variable(function_name: str, taken: set) -> str:
    base = re.sub(r"\W", "_", function_name.split(".")[-1]).strip("_").lower() or "result"
    name, k = base, 2
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    taken.add(name)
    return name


def _call_source(alias: str, call, names: Names, overrides: dict | None = None) -> str:
    arguments = {**call.arguments, **(overrides or {})}
    keywords = ", ".join(f"{key}={names.of(value)}" for key, value in arguments.items())
    return f"{alias}.{call.qualname}({keywords})"


OFFLINE_FIGURES = """
# Figures render offline: JupyterLab draws Plotly's own mimetype; other front ends get HTML that uses
# the copy of plotly.js this cell embeds once (Plotly's "notebook" renderer would add a CDN MathJax).
class OfflineFigures(NotebookRenderer):
    def to_mimebundle(self, fig_dict):
        html = pio.to_html(fig_dict, include_plotlyjs=False, include_mathjax=False, full_html=False)
        return {"text/html": html}


pio.renderers["offline"] = OfflineFigures(connected=False)
pio.renderers.default = "plotly_mimetype+offline"
"""


def _setup_source() -> str:
    return (
        "# Runs from any folder of an environment where the project is installed:\n"
        "#   pip install -r requirements.txt   (it installs the project with -e .),\n"
        "#   then pip install jupyterlab.\n"
        "import dataclasses\n\n"
        "import numpy as np\n"
        "import plotly.io as pio\n"
        "from plotly.io.base_renderers import NotebookRenderer\n" + OFFLINE_FIGURES + "\n\n" + HELPERS_SOURCE
    )


def build(record, *, try_this: tuple[TryThis, ...] | None = None) -> nbformat.NotebookNode:
    """The notebook of one recorded scene (a ui.recorder.LiveRecord), as drawn: see the module docstring."""
    scene, module = _scene_of(record.url_path)
    steps = module.STEPS
    cells = [
        v4.new_markdown_cell(
            f"# {scene.title}\n\n"
            f"*Randomized Defenses Lab — the scene as drawn, recomputed by the `core` library.* "
            f"Settings link (opens the same scene in the dashboard, `streamlit run app.py`): "
            f"<{record.link}>\n\n"
            f"**The slide:** {scene.slide}\n\n"
            + module.EXPLANATION.strip()
            + f"\n\n**Computed on:** {module.USES}"
            + f"\n\n**The papers:**\n\n{_papers(record.url_path)}"
            + (
                "\n\n**Steps:** " + " · ".join(f"{k}. {title}" for k, title in enumerate(steps, start=1))
                if steps
                else ""
            )
        ),
        v4.new_code_cell(_setup_source()),
    ]
    names, taken = Names(), {"np", "pio", "dataclasses", "figure"}
    aliases: dict[str, str] = {}
    imports: list[str] = []

    def alias_of(module_name: str) -> str:
        if module_name not in aliases:
            package, _, last = module_name.rpartition(".")
            alias = (
                last if last not in taken and last not in aliases.values() else module_name.replace(".", "_")
            )
            aliases[module_name] = alias
            taken.add(alias)
            imports.append(f"from {package} import {last}" + ("" if alias == last else f" as {alias}"))
        return aliases[module_name]

    variables: dict[int, str] = {}  # index of a core call → its variable (the same call made twice: one cell)
    made: dict[tuple, str] = {}
    events = list(getattr(record, "events", ()))
    shown_steps = 0  # step headings written so far

    def heading_to(step: int | None) -> None:
        """Write the step headings up to ``step`` (a step drawn earlier stays under the current heading)."""
        nonlocal shown_steps
        target = max(1, min(step or 1, len(steps)))
        for k in range(shown_steps + 1, target + 1):
            cells.append(v4.new_markdown_cell(f"## Step {k} · {steps[k - 1]}"))
        shown_steps = max(shown_steps, target)

    if not steps:
        heading_to = lambda step: None  # noqa: E731 — a page without steps: no headings
    heading_to(1)
    pending_metrics: list = []
    link_values = {key: values[0] for key, values in parse_qs(urlsplit(record.link).query).items()}
    called = False  # captions before the first call are the page's header (its explanation, the step bar)

    def flush_metrics() -> None:
        if pending_metrics:
            cells.append(v4.new_markdown_cell(without_machine_paths(_metrics_table(pending_metrics))))
            pending_metrics.clear()

    for kind, index in events:
        if kind != "metric":
            flush_metrics()
        if kind == "call":
            call = record.core_calls[index]
            heading_to(call.step)
            key = (call.module, call.qualname, repr(sorted(call.arguments.items(), key=lambda item: item[0])))
            if key in made:
                names.add(call.result, made[key])
                continue
            try:
                source = _call_source(alias_of(call.module), call, names)
            except Unnamed:
                cells.append(
                    v4.new_markdown_cell(
                        f"The page called `{call.module}.{call.qualname}` with a value that cannot travel "
                        "in a notebook (an uploaded photo): run the page to see this part."
                    )
                )
                continue
            variable = _variable(call.qualname, taken)
            made[key] = variable
            variables[index] = variable
            names.add(call.result, variable)
            if getattr(call, "seconds", 0.0) >= SLOW_CALL:
                cells.append(v4.new_markdown_cell(SLOW_CALL_NOTE.format(seconds=call.seconds)))
            cells.append(v4.new_code_cell(f"{variable} = {source}"))
            cells.append(v4.new_code_cell(f"show_numbers({variable})", metadata={NUMBERS_KEY: index}))
            called = True
            for derived in DERIVED.get(record.url_path, ()):
                if derived.after == call.qualname.split(".")[-1]:
                    cells += _derived_cells(
                        record, derived, alias_of(call.module), variable, link_values, names
                    )
        elif kind == "metric":
            label_value = record.metrics[index]
            heading_to(record.metric_steps[index] if index < len(record.metric_steps) else None)
            pending_metrics.append(label_value)
        elif kind == "caption":
            if not called:
                continue
            heading_to(record.caption_steps[index] if index < len(record.caption_steps) else None)
            caption = without_machine_paths(record.captions[index])
            cells.append(v4.new_markdown_cell("> " + caption.replace("\n", "\n> ")))
        elif kind == "figure":
            figure = record.figures[index]
            heading_to(record.figure_steps[index] if index < len(record.figure_steps) else None)
            source = _figure_source(record.build_of(figure), names, alias_of)
            if source is None:
                title = _figure_title(figure)
                cells.append(
                    v4.new_markdown_cell(
                        f"*The page drew a figure here{title} from values this notebook cannot name (they "
                        "are not the results of the calls above): open the settings link to see it.*"
                    )
                )
            else:
                cells.append(v4.new_code_cell(source))
    flush_metrics()
    if steps:
        heading_to(len(steps))
    cells += _data_cells(record, NEEDS_DATA.get(record.url_path), variables)
    cells[2:2] = [v4.new_code_cell("\n".join(imports))] if imports else []
    cells += _try_cells(
        record,
        try_this if try_this is not None else TRY_THIS.get(record.url_path, ()),
        names,
        variables,
        alias_of,
    )
    if imports and cells[2].cell_type == "code":
        cells[2].source = "\n".join(imports)  # modules first used by a "try this" cell too
    notebook = v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = KERNEL
    notebook.metadata["language_info"] = {"name": "python"}
    nbformat.validate(notebook)
    return notebook


def derived_objects(record, kind: str) -> list:
    """The objects of class ``kind`` the page passed to the builders of the figures it drew (what a Derived
    names)."""
    found = []
    builds = [record.build_of(figure) for figure in list(record.figures)]
    for build in [build for build in builds if build is not None]:
        for value in [*build.args, *build.kwargs.values()]:
            if type(value).__name__ == kind and all(value is not other for other in found):
                found.append(value)
    return found


def _derived_cells(record, derived: Derived, module: str, variable: str, link: dict, names: Names) -> list:
    values = {key: compute(link) for key, compute in DERIVED_VALUES.items()}
    code = derived.code.format(module=module, result=variable, name=derived.name, **values)
    for value in derived_objects(record, derived.kind):
        names.add(value, derived.name)
    return [
        v4.new_markdown_cell(derived.note),
        v4.new_code_cell(code),
        v4.new_code_cell(f"show_numbers({derived.name})", metadata={NUMBERS_KEY: derived.kind}),
    ]


def _data_cells(record, needs: NeedsData | None, variables: dict) -> list:
    if needs is None:
        return []
    found = [i for i, call in enumerate(record.core_calls) if i in variables and call.qualname == needs.after]
    if not found:
        return []
    call = record.core_calls[found[-1]]
    code = needs.code.format(result=variables[found[-1]], call=call.arguments)
    return [
        v4.new_markdown_cell(f"## Recompute on the test set (needs the data set)\n\n{needs.what}"),
        v4.new_code_cell(DATA_FOLDER + "\n" + code, metadata={"rdl_needs_data": True}),
    ]


def _figure_title(figure) -> str:
    try:
        text = figure.layout.title.text
    except AttributeError:
        text = None
    return f" (“{text}”)" if text else ""


def _figure_source(build, names: Names, alias_of) -> str | None:
    """The code rebuilding a recorded figure with the same builder, or None when an input cannot be named."""
    if build is None:
        return None
    try:
        arguments = [names.of(value) for value in build.args]
        arguments += [f"{key}={names.of(value)}" for key, value in build.kwargs.items()]
    except Unnamed:
        return None
    builder = f"{alias_of(build.module)}.{build.name}"
    part = "" if build.part is None else f"[{build.part}]"
    return f"figure = {builder}({', '.join(arguments)}){part}\nfigure.show()"


def _try_cells(record, tries, names: Names, variables: dict, alias_of) -> list:
    cells = []
    for number, change in enumerate(tries, start=1):
        found = [
            (index, call)
            for index, call in enumerate(record.core_calls)
            if index in variables
            and call.qualname.split(".")[-1] == change.function
            and change.argument in call.arguments
        ]
        if not found:
            continue
        index, call = found[-1]  # the last: a page asks a question with a first call, then draws the main one
        variable = f"{variables[index]}_try_{number}"
        try:
            source = _call_source(alias_of(call.module), call, names, {change.argument: change.value})
        except Unnamed:
            continue
        if not cells:
            cells.append(
                v4.new_markdown_cell("## Try this\n\nEach cell changes one setting of a call above.")
            )
        was = names.of(call.arguments[change.argument])
        cells.append(
            v4.new_markdown_cell(
                f"**Try {number}:** `{call.qualname}` with `{change.argument}={names.of(change.value)}` "
                f"(the page used {was}). {change.look_for}"
            )
        )
        lines = [f"{variable} = {source}", f"show_numbers({variable})"]
        for derived in DERIVED.get(record.url_path, ()):
            if derived.after == change.function:  # what the page draws from it, from a fresh opening
                name = f"{derived.name}_try_{number}"
                values = {key: "" for key in DERIVED_VALUES}
                lines += [
                    derived.code.format(module=alias_of(call.module), result=variable, name=name, **values),
                    f"show_numbers({name})",
                ]
        cells.append(v4.new_code_cell("\n".join(lines), metadata={"rdl_try": number}))
    return cells


# ---- The command line: run the page headlessly, write what it recorded ----


def scene_paths(names: list[str] | None) -> list[str]:
    """The URL paths asked for (all eleven scenes when none), or a ValueError naming the known ones."""
    return [registered(name).url_path for name in names] if names else [scene.url_path for scene in SCENES]


def link_query(link: str) -> tuple[str, dict]:
    """The scene's URL path and the query parameters of a settings link, or a ValueError in one sentence."""
    parts = urlsplit(link.strip())
    path = parts.path.rstrip("/").rsplit("/", 1)[-1]
    if not path:
        raise ValueError(
            f"The link {link!r} names no scene; copy the page's settings link (…/p05_geometry?…)."
        )
    registered(path)
    query = {key: values[0] if len(values) == 1 else values for key, values in parse_qs(parts.query).items()}
    return path, query


def record_scene(url_path: str, query: dict | None = None):
    """Run the scene's page headlessly (AppTest, the whole app as a server would) with the link's query
    parameters; its record (ui.recorder.LiveRecord). A refused link value or an error the page shows is a
    ValueError with the page's own sentence."""
    import pandas  # noqa: F401 — plotly imports it lazily inside AppTest's script thread
    from streamlit.testing.v1 import AppTest

    from ui import recorder, warmup

    # A server imports every scene in the background after its first page (ui.warmup); here pages run one
    # at a time and that warm-up would only compete with them for the CPU.
    warmup._started.set()
    at = AppTest.from_file(str(APP), default_timeout=PAGE_TIMEOUT)
    at.query_params.update(query or {})
    at.switch_page(registered(url_path).page)
    at.run()
    if at.exception:
        raise ValueError(f"The page {url_path} failed while drawing: {at.exception[0].value}")
    refused = [w.value for w in at.warning if w.value.startswith("The link's")]
    errors = [e.value for e in at.error]
    if refused or errors:
        raise ValueError((refused + errors)[0])
    return at.session_state[recorder.RECORDS_KEY][url_path]


def write(record, folder: Path) -> Path:
    """``<url_path>.ipynb`` in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{record.url_path}.ipynb"
    nbformat.write(build(record), str(path))
    return path


def notebook_bytes(record) -> bytes:
    """The notebook of a record as the bytes of an .ipynb file (the page's download button)."""
    return nbformat.writes(build(record)).encode("utf-8")


def quiet_streamlit() -> None:
    """Streamlit's own log lines (a page run without a browser warns of its missing script context) stay out
    of the command line's output: what it says is its one sentence."""
    import logging

    import streamlit.logger

    streamlit.logger.set_log_level("error")
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("streamlit"):
            logging.getLogger(name).setLevel(logging.ERROR)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ui.notebook", description=__doc__.splitlines()[0])
    parser.add_argument("--scene", action="append", help="a scene's URL path (repeatable; none: all eleven)")
    parser.add_argument(
        "--link", help="a settings link: the notebook of the scene it opens, with its settings"
    )
    parser.add_argument("--out", required=True, help="the folder the notebooks are written to")
    options = parser.parse_args(argv)
    quiet_streamlit()
    try:
        if options.link is not None:
            path, query = link_query(options.link)
            if options.scene and options.scene != [path]:
                raise ValueError(
                    f"The link opens {path}, not {', '.join(options.scene)}: give one or the other."
                )
            jobs = [(path, query)]
        else:
            jobs = [(path, {}) for path in scene_paths(options.scene)]
        for path, query in jobs:
            quiet_streamlit()  # again: a page run creates loggers of its own
            started = time.perf_counter()
            written = write(record_scene(path, query), Path(options.out))
            print(f"{written} ({time.perf_counter() - started:.0f} s)")
    except ValueError as error:
        print(str(error).strip().splitlines()[0], file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
