"""6 · Adversarial training (Madry et al. 2018; Wong et al. 2020): train on the worst point of each
ε-ball, measured with the talk's table (natural / PGD-20 / CW-30).

Two scene functions: :func:`images` (the zoo's standard and adversarially trained models of one
dataset: the talk's table on the 20 gallery images from core.evaluation's per-example rows, the
shipped test-set tables, Madry et al.'s published rows and the training times) and :func:`toy`
(the same comparison on the 2-D two moons, where the decision regions can be seen). They sit in
different tabs with different widgets, so the page calls each alone.

The gallery attacks (PGD-20 and CW-30 on a CIFAR-10 CNN) take minutes on a CPU: they
are shipped for seed 0 by :func:`build` (``python -m core.scenes build --scene
p06_adversarial_training``) into assets/scenes/adversarial_training.json; other seeds compute
live when asked (``live=True``, behind the page's button).

The price in training time is read from two places, never mixed: the zoo manifest's wall times (a ratio
only when both models trained on the same device) and the recipes' cost measured on one machine by
``python -m bench.bench_training --recipes … --ship`` (the "training_cost" rows of the same shipped file,
kept by :func:`build`): gradient computations per step from each recipe, seconds per step and per epoch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from core import checks, data, evaluation, geometry, results, toys, zoo
from core.files import write_atomic
from core.scenes import shipped
from core.scenes.common import DATASET_TITLES, deterministic_models, gallery
from core.scenes.lecture import Prediction, Verdict, verdict_by_range
from core.scenes.parameters import Parameter, declare, defaults
from core.seeds import check_seed, stream_seed
from core.training import LEGACY_ATTACK_BN_MODE, attack_bn_mode, gradient_computations

TALK_EPS = {"cifar10": 8 / 255, "mnist": 0.3, "fashion_mnist": 0.1}
DATASETS = ("cifar10", "mnist")
PGD_STEPS, CW_STEPS = 20, 30  # the talk's table
TOY_EPS_CHOICES = (0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 0.15)
TOY_TRAINING_STEPS = 7  # PGD-7 inside adversarial training (Madry et al.)
TOY_RESOLUTION = 150
PARAMETERS = declare(
    Parameter("dataset", "p06_dataset", choices=DATASETS, note="one with both zoo models here (datasets())"),
    Parameter("eps", "p06_eps", 0.1, choices=TOY_EPS_CHOICES),  # the toy networks' ε (ℓ∞)
)
DEFAULTS = defaults(PARAMETERS)
KINDS = ("standard", "adversarial")
SHIPPED_PATH = shipped.scene_file(__name__)  # the gallery tables (the kit) and the bench's training-cost rows
BUILD_COMMAND = "python -m core.scenes build --scene p06_adversarial_training"

# Lecture mode (core.scenes.lecture): what the page reveals at each step, in order.
STEPS = (
    "Question: what does adversarial training cost?",
    "The answer, computed",
    "The talk's table and the moved boundary",
    "The price in training time",
)

EXPLANATION = r"""
Madry et al. (2018) train on the **worst point of every ball** instead of the point itself — a min–max problem

$\min_\theta\ \mathbb E_{(x,y)}\Big[\max_{\|\tau\|_\infty \le \varepsilon}
\ell\big(F_\theta(x+\tau), y\big)\Big],$

the inner maximum approximated by PGD at every training step (Wong et al. 2020: one FGSM step from a random
start is enough and much cheaper). The talk's table measures the result with two attacks: PGD on the
cross-entropy (20 steps) and PGD on the Carlini–Wagner margin $\max_{j\ne y} Z_j - Z_y$ (30 steps). Robustness
is bought with clean accuracy and with **training time**.
"""
USES = (
    "zoo models {cifar10,mnist}-standard and -adversarial (FGSM with random start, core.experiments) on the "
    "20 real test images of foolbox's gallery; a 2-D toy (two moons, core.toys) with a 2-64-64-2 network "
    "trained by ERM and by PGD-7 adversarial training (shipped for seed 0)."
)
MADRY_NOTES = (
    "The slide prints 0.456 for Madry et al.'s PGD row; the paper reports 45.8 % (shown).",
    "The slide's row \"ℓ2 C&W\" is Madry et al.'s CW column: PGD in the same ℓ∞ ball of 8/255, ascending the "
    "Carlini–Wagner margin instead of the cross-entropy — not the C&W ℓ2 attack.",
    "The slide has no natural-training row: its 95.2 % clean accuracy is Madry et al.'s naturally trained "
    "wide network (their CIFAR-10 capacity study); its accuracy under PGD is not shown.",
)
STEP_NOTE = (
    "Attack step 2.5·ε/steps, random start (seeded): a later heuristic, not Madry et al.'s setting (steps "
    "of 2/255: 7 in training, 20 in evaluation on CIFAR-10)."
)
BATCH_NOTE = (
    "core.training replaces each mini-batch by its adversarial version (Madry et al.'s min–max objective); "
    "the slide augments the batch, training on the clean and the adversarial examples together."
)
FGSM_RS_NOTE = (
    "{models} trained with FGSM-RS (one FGSM step from a random start, Wong et al. 2020), which can "
    "overfit catastrophically: robust to FGSM, broken by PGD. This project's first mnist-adversarial, "
    "FGSM-RS at ε = 0.3, kept 98.9 % clean accuracy but 2.2 % under PGD-20 and 1.9 % under CW-30 on "
    "1,000 test images (git show 68018e9:assets/results/robustness_mnist-adversarial.json); it was "
    "retrained with PGD-7. Read its PGD-20 row as the check."
)
BENCH_COMMAND = "python -m bench.bench_training --recipes {names} --batches 3 --ship"
BN_MEANINGS = {
    "train": "each attack pass normalised with its own batch's statistics and folded into the running ones",
    "eval": "the running statistics normalise the attack and stay untouched by it",
}


def eps_text(eps: float, dataset: str) -> str:
    return f"{round(eps * 255):g}/255" if dataset == "cifar10" else f"{eps:g}"


def toy_spec(adversarial_eps: float, seed: int) -> toys.ToySpec:
    """Two moons, 2-64-64-2 ReLU, 60 epochs of Adam: ERM when adversarial_eps = 0, else Madry et al.'s
    adversarial training with PGD-7 in the ℓ∞ ball of that radius (step ε/4)."""
    adversarial = (float(adversarial_eps), TOY_TRAINING_STEPS) if adversarial_eps > 0 else None
    return toys.ToySpec(adversarial=adversarial, seed=check_seed(seed))


def opening_toys(seed: int) -> list[toys.ToySpec]:
    """The toy networks the page opens with at ``seed``: ERM and adversarial training at the default ε."""
    return [toy_spec(0.0, seed), toy_spec(DEFAULTS["eps"], seed)]


# Seed 0: ERM and every ε of the slider; the other shipped seeds: the opening pair.
SHIPPED_TOYS = (
    [toy_spec(0.0, 0)]
    + [toy_spec(eps, 0) for eps in TOY_EPS_CHOICES]
    + [spec for seed in toys.SHIPPED_SEEDS if seed != 0 for spec in opening_toys(seed)]
)


def datasets() -> tuple[tuple[str, ...], str]:
    """(image datasets with a standard or adversarial zoo model, the default: one with both)."""
    available = set(deterministic_models(DATASETS))
    present = tuple(d for d in DATASETS if {f"{d}-{k}" for k in KINDS} & available) or ("cifar10",)
    default = next((d for d in present if {f"{d}-{k}" for k in KINDS} <= available), present[0])
    return present, default


# --------------------------------------------------------------------------- zoo models on the gallery


@dataclass(frozen=True)
class GalleryTable:
    """core.evaluation.robustness_table of one zoo model on its dataset's 20 gallery images."""

    table: dict


def _gallery_call(name: str, seed: int) -> dict:
    """The talk's settings are part of the shipped key: a table with other settings is computed, never
    read."""
    return dict(
        name=name, seed=seed, eps=TALK_EPS[zoo.entry(name)["dataset"]], pgd_steps=PGD_STEPS, cw_steps=CW_STEPS
    )


def gallery_table(*, name: str, seed: int, eps: float, pgd_steps: int, cw_steps: int) -> GalleryTable:
    """:func:`gallery_table_live`, shipped for seed 0."""
    return shipped.or_live(gallery_table_live, locals(), depends=[name])


def gallery_table_live(*, name: str, seed: int, eps: float, pgd_steps: int, cw_steps: int) -> GalleryTable:
    """The talk's table of zoo model ``name`` on its dataset's 20 gallery images, with per-image rows.

    The attacks' random starts follow robustness_table's own rule (its generator is seeded with the
    demo's seed), the rule of ``python -m core.experiments evaluate --seed``: the page's recompute
    panel, run on the first 20 local test images when they are the gallery, reproduces these rows."""
    x, y = gallery(zoo.entry(name)["dataset"])
    table = evaluation.robustness_table(
        zoo.shared(name), x, y, eps=eps, norm="linf", pgd_steps=pgd_steps, cw_steps=cw_steps, seed=seed
    )
    return GalleryTable(table)


def _read_shipped(path: Path = SHIPPED_PATH) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def build() -> None:
    """Ship the gallery tables of every present {cifar10,mnist}-{standard,adversarial} model for seed 0; the
    measured training-cost rows already in the file (:func:`ship_training_cost`) are kept."""
    names = [n for n in deterministic_models(DATASETS) if n.endswith(tuple(f"-{k}" for k in KINDS))]
    shipped.build(
        __name__, [(gallery_table, _gallery_call(name, 0)) for name in names], keep=("training_cost",)
    )


def ship_training_cost(rows: list[dict], path: Path = SHIPPED_PATH) -> dict:
    """Record bench rows (``python -m bench.bench_training --recipes … --ship``, one per recipe, each with its
    run's command and machine) in ``path``'s "training_cost", atomically: a recipe's row replaces its earlier
    one, the other rows and the gallery tables stay."""
    content = {}
    if path.exists():
        try:
            content = json.loads(path.read_text())
        except ValueError:
            raise ValueError(f"{path} is not valid JSON: rebuild it with {BUILD_COMMAND} first.") from None
    names = {row["recipe"] for row in rows}
    kept = [row for row in content.get("training_cost", {}).get("rows", []) if row.get("recipe") not in names]
    content["training_cost"] = {"rows": kept + list(rows)}
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(content, indent=0, sort_keys=True) + "\n")
    return content


def inner_label(adversarial: dict | None) -> str:
    """The inner maximisation of a recipe, as the tables name it: —, PGD-k or FGSM-RS."""
    if adversarial is None:
        return "—"
    return f"PGD-{adversarial.get('steps', 7)}" if adversarial.get("kind", "pgd") == "pgd" else "FGSM-RS"


def architecture_label(architecture: dict) -> str:
    extra = ", ".join(f"{key} {value}" for key, value in architecture.items() if key != "kind")
    return f"{architecture.get('kind', '?')}" + (f" ({extra})" if extra else "")


def shipped_bn_mode(entry: dict) -> tuple[str, bool]:
    """(the batch-norm mode a zoo model's training attack ran in, whether its recorded recipe names it): a
    recipe recorded before "attack_bn_mode" existed names none, and its attack ran in train mode
    (core.training.LEGACY_ATTACK_BN_MODE)."""
    adversarial = entry.get("recipe", {}).get("adversarial")
    if adversarial is None or "attack_bn_mode" not in adversarial:
        return LEGACY_ATTACK_BN_MODE, False
    return attack_bn_mode(adversarial), True


def bn_note(entries: dict) -> str:
    """One sentence per adversarially trained zoo model: the batch-norm mode its training attack ran in."""
    notes = []
    for entry in entries.values():
        if (entry.get("recipe", {}).get("adversarial")) is None:
            continue
        mode, recorded = shipped_bn_mode(entry)
        source = (
            "as its recorded recipe says"
            if recorded
            else "as every model trained before the recipe "
            "setting attack_bn_mode existed (its recorded recipe names none)"
        )
        notes.append(
            f"{entry.get('name', '?')} ran its training attack with batch norm in {mode} mode "
            f"({BN_MEANINGS[mode]}), {source}; new trainings default to eval mode, what core.attacks "
            "asks of a model under attack."
        )
    return " ".join(notes)


def wall_times(entries: dict) -> tuple[float | None, str]:
    """The zoo manifest's training wall times: (adversarial / standard, only when both models trained on the
    same
    device; one caption saying what the two times are and why there is, or is not, a ratio)."""
    if len(entries) < 2:
        return None, "The wall times need both the standard and the adversarially trained model in the zoo."
    standard, adversarial = entries["standard"], entries["adversarial"]
    times = [entry.get("wall_time_s") for entry in (standard, adversarial)]
    devices = [entry.get("device") or "an unrecorded device" for entry in (standard, adversarial)]
    epochs = [entry.get("recipe", {}).get("epochs") for entry in (standard, adversarial)]
    said = (
        f"From the zoo manifest: {standard.get('name', 'standard')} trained {epochs[0]} epochs in "
        f"{times[0]} s on {devices[0]}, {adversarial.get('name', 'adversarial')} {epochs[1]} epochs in "
        f"{times[1]} s on {devices[1]}."
    )
    if not all(times):
        return None, f"{said} A wall time is missing: no ratio."
    if devices[0] != devices[1] or "unrecorded" in devices[0]:
        return None, (
            f"{said} Different devices: no ratio is computed from these two times — compare the "
            "recipes' cost measured on one machine instead."
        )
    ratio = times[1] / times[0]
    return ratio, (
        f"{said} Same device: the adversarial training took {ratio:.1f}× the standard one's wall time, "
        f"for recipes of {epochs[1]} and {epochs[0]} epochs (and the recipes' other differences)."
    )


@dataclass(frozen=True)
class CostRow:
    recipe: str
    kind: str  # "standard" or "adversarial"
    inner: str  # —, PGD-k, FGSM-RS
    bn_mode: str | None  # batch-norm mode of the training attack (None: no attack)
    gradient_computations: int  # forward/backward passes per step, from the recipe (core.training)
    architecture: str
    batch_size: int
    precision: str
    steps_per_epoch: int
    timed_steps: int
    seconds_per_step: float  # median of the timed steps
    seconds_per_epoch: float  # s/step × steps per epoch (optimisation only)
    epochs: int
    seconds_per_recipe: float  # s/epoch × the recipe's epochs, on the same machine
    machine: str
    command: str
    load_average: tuple  # 1-minute load average before and after the bench run
    matches_zoo: bool | None  # the timed recipe is the one the zoo model was trained with (None: no model)
    differs_from_zoo: tuple  # what differs from it, if anything


@dataclass(frozen=True)
class Cost:
    rows: tuple  # CostRow: standard, adversarial
    same_machine: bool
    gradient_ratio: float  # adversarial / standard gradient computations per step
    epoch_ratio: float | None  # adversarial / standard s/epoch: only when both were timed on the same machine
    recipe_ratio: float | None  # the same for whole recipes (s/epoch × epochs)
    differences: tuple  # what else differs between the two recipes, beyond the inner maximisation
    caption: str


def _zoo_recipe_differences(row: dict, entry: dict | None) -> tuple | None:
    """What differs between a timed recipe and the one the zoo model was trained with (None: no zoo model)."""
    if entry is None:
        return None
    recorded = dict(entry.get("recipe", {}))
    adversarial = recorded.get("adversarial")
    if adversarial is not None:
        adversarial = {**adversarial, "attack_bn_mode": shipped_bn_mode(entry)[0]}
    timed = row.get("adversarial")
    checks = {
        "architecture": (row["architecture"], entry.get("architecture")),
        "batch size": (row["batch_size"], recorded.get("batch_size")),
        "precision": (row["precision"], recorded.get("precision", "fp32")),
        "epochs": (row["epochs"], recorded.get("epochs")),
        "inner maximisation": (
            None if timed is None else {**timed, "attack_bn_mode": attack_bn_mode(timed)},
            adversarial,
        ),
    }
    return tuple(name for name, (mine, theirs) in checks.items() if mine != theirs)


def _cost_row(kind: str, row: dict, entry: dict | None) -> CostRow:
    adversarial = row.get("adversarial")
    differs = _zoo_recipe_differences(row, entry)
    steps = gradient_computations(adversarial)
    return CostRow(
        recipe=row["recipe"],
        kind=kind,
        inner=inner_label(adversarial),
        bn_mode=None if adversarial is None else attack_bn_mode(adversarial),
        gradient_computations=steps,
        architecture=architecture_label(row["architecture"]),
        batch_size=int(row["batch_size"]),
        precision=row["precision"],
        steps_per_epoch=int(row["steps_per_epoch"]),
        timed_steps=int(row["timed_steps"]),
        seconds_per_step=float(row["seconds_per_step"]),
        seconds_per_epoch=float(row["seconds_per_step"]) * int(row["steps_per_epoch"]),
        epochs=int(row["epochs"]),
        seconds_per_recipe=float(row["seconds_per_step"]) * int(row["steps_per_epoch"]) * int(row["epochs"]),
        machine=row["run"]["machine"],
        command=row["run"]["command"],
        load_average=(row["run"].get("load_average_before"), row["run"].get("load_average_after")),
        matches_zoo=None if differs is None else not differs,
        differs_from_zoo=differs or (),
    )


def _recipe_differences(standard: dict, adversarial: dict) -> tuple:
    """What else than the inner maximisation and the epochs differs between two timed recipes (computed)."""
    found = []
    if standard["architecture"] != adversarial["architecture"]:
        found.append(
            f"the architecture ({architecture_label(standard['architecture'])} → "
            f"{architecture_label(adversarial['architecture'])})"
        )
    if standard["batch_size"] != adversarial["batch_size"]:
        found.append(f"the batch size ({standard['batch_size']} → {adversarial['batch_size']})")
    if standard["precision"] != adversarial["precision"]:
        found.append(f"the precision ({standard['precision']} → {adversarial['precision']})")
    if adversarial.get("adversarial") is not None and adversarial["precision"] == "bf16":
        found.append("the attack's passes run in float32, outside the bf16 autocast of the training pass")
    return tuple(found)


def training_cost(dataset: str, entries: dict, path: Path = SHIPPED_PATH) -> tuple[Cost | None, str]:
    """The measured cost of ``dataset``'s standard and adversarial recipes from the shipped bench rows
    (:func:`ship_training_cost`), or None and one sentence saying how to measure it. The ratios exist only
    when both rows were timed on the same machine; the caption says what the numbers are, from them."""
    rows = {row.get("recipe"): row for row in _read_shipped(path).get("training_cost", {}).get("rows", [])}
    names = [f"{dataset}-{kind}" for kind in KINDS]
    command = BENCH_COMMAND.format(names=" ".join(names))
    if not all(name in rows for name in names):
        return None, f"No measured training cost of {' and '.join(names)} is shipped: run `{command}`."
    try:
        measured = tuple(_cost_row(kind, rows[name], entries.get(kind)) for kind, name in zip(KINDS, names))
    except (KeyError, TypeError, ValueError):
        return None, f"The shipped training-cost rows of {dataset} are incomplete: rerun `{command}`."
    standard, adversarial = measured
    same = standard.machine == adversarial.machine
    gradient_ratio = adversarial.gradient_computations / standard.gradient_computations
    differences = _recipe_differences(rows[names[0]], rows[names[1]])
    counted = (
        f"Gradient computations per step, from the recipes: {standard.gradient_computations} for "
        f"{standard.recipe} (one forward and backward pass), {adversarial.gradient_computations} for "
        f"{adversarial.recipe} ({adversarial.inner}: {adversarial.gradient_computations - 1} for the attack, "
        f"then 1 for the weights), {gradient_ratio:g}×."
    )
    zoo_notes = " ".join(
        f"The timed recipe of {row.recipe} differs from the one its zoo model was trained with "
        f"({', '.join(row.differs_from_zoo)})."
        for row in measured
        if row.matches_zoo is False
    )
    if not same:
        caption = (
            f"{counted} The two rows were timed on different machines ({standard.machine}; "
            f"{adversarial.machine}): no ratio is computed from them — `{command}` times both on one. "
            f"{zoo_notes}"
        ).strip()
        return Cost(
            rows=measured,
            same_machine=False,
            gradient_ratio=gradient_ratio,
            epoch_ratio=None,
            recipe_ratio=None,
            differences=differences,
            caption=caption,
        ), ""
    epoch_ratio = adversarial.seconds_per_epoch / standard.seconds_per_epoch
    recipe_ratio = adversarial.seconds_per_recipe / standard.seconds_per_recipe
    position = (
        "above"
        if epoch_ratio > 1.1 * gradient_ratio
        else "below"
        if epoch_ratio < gradient_ratio / 1.1
        else "close to"
    )
    beyond = (
        f"The recipes also differ in {'; '.join(differences)}."
        if differences
        else "The recipes differ only in the inner maximisation and the epochs."
    )
    before, after = adversarial.load_average
    load = (
        "load average not recorded"
        if before is None or after is None
        else f"1-minute load average {before:g} before the run and {after:g} after"
    )
    threads = rows[names[1]]["run"].get("threads")
    if threads and before is not None and after is not None and max(before, after) > threads:
        load += f", above the {threads} threads the steps ran on: other work shared the cores"
    commands = " and ".join(f"`{c}`" for c in dict.fromkeys((standard.command, adversarial.command)))
    timed = (
        f"{standard.timed_steps} timed steps each"
        if standard.timed_steps == adversarial.timed_steps
        else f"{standard.timed_steps} and {adversarial.timed_steps} timed steps"
    )
    caption = (
        f"Measured on one machine, {standard.machine}, by {commands} (median of {timed}, optimisation "
        f"only; {load}): one epoch "
        f"of {adversarial.recipe}'s recipe takes {adversarial.seconds_per_epoch:.0f} s, one of "
        f"{standard.recipe}'s {standard.seconds_per_epoch:.0f} s: {epoch_ratio:.1f}× per epoch, {position} "
        f"the {gradient_ratio:g}× of the gradient count. {counted} {beyond} Whole recipes "
        f"({adversarial.epochs} and {standard.epochs} epochs) on this machine: "
        f"{adversarial.seconds_per_recipe / 60:.0f} and {standard.seconds_per_recipe / 60:.0f} min, "
        f"{recipe_ratio:.1f}×. {zoo_notes}"
    ).strip()
    return Cost(
        rows=measured,
        same_machine=True,
        gradient_ratio=gradient_ratio,
        epoch_ratio=epoch_ratio,
        recipe_ratio=recipe_ratio,
        differences=differences,
        caption=caption,
    ), ""


@dataclass(frozen=True)
class Images:
    dataset: str
    title: str
    eps: float
    eps_text: str
    models: dict  # kind → zoo name, for the models that load
    missing: tuple  # one sentence per model that does not load
    gallery: dict | None  # kind → robustness_table (with rows) on the gallery; None: not computed
    gallery_source: str | None  # "shipped" or "computed now"
    gallery_images: tuple  # one dict per gallery image: class, and per model natural/PGD-20/CW-30 classes
    points_per_image: float  # 100 / number of gallery images
    table_rows: tuple  # the talk's table: gallery rows, shipped test-set rows, Madry et al.'s rows
    shipped_notes: tuple  # one sentence per model without a shipped test-set table
    shipped: dict  # zoo name → shipped robustness record (for the recompute panel)
    entries: dict  # kind → zoo manifest entry (training time)
    time_ratio: float | None  # wall time adversarial / standard: only when both trained on the same device
    notes: tuple = ()  # the table's notes: Madry et al.'s numbers, FGSM-RS (when a model uses it), batch
    wall_time_caption: str = ""  # what the manifest's two wall times are, and why there is or is not a ratio
    cost: Cost | None = None  # the recipes' cost measured on one machine (bench_training), if shipped
    cost_note: str = ""  # without it: the command that measures it
    bn_note: str = ""  # the batch-norm mode of each adversarial zoo model's training attack


def images(*, dataset: str, seed: int, live: bool = False) -> Images:
    """The talk's table (Madry et al. 2018, Table 2: natural, PGD-20 on the cross-entropy, PGD-30 on the
    C&W margin, ℓ∞ ε = TALK_EPS) for the standard and adversarially trained zoo models of ``dataset``:
    on the 20 gallery images from core.evaluation.robustness_table's per-example rows (shipped for
    seed 0; computed when ``live``, with robustness_table's seed rule, as the CLI), beside the
    shipped test-set tables and Madry et al.'s published CIFAR-10 rows; and the training times."""
    if dataset not in DATASETS:
        raise ValueError(f"Unknown image dataset {dataset!r}: choose one of {', '.join(DATASETS)}.")
    check_seed(seed)
    eps = TALK_EPS[dataset]
    loaded, missing, entries = {}, [], {}
    for kind in KINDS:
        name = f"{dataset}-{kind}"
        try:
            entries[kind] = zoo.entry(name)
            zoo.shared(name)
            loaded[kind] = name
        except zoo.ModelUnavailable as error:
            missing.append(str(error))
    found = {
        kind: shipped.read(__name__, "gallery_table", _gallery_call(n, seed), [n])
        for kind, n in loaded.items()
    }
    tables = {kind: table.table for kind, table in found.items() if table is not None}
    source = "shipped"
    if loaded and len(tables) < len(loaded):
        computed = (
            {kind: gallery_table_live(**_gallery_call(n, seed)) for kind, n in loaded.items()} if live else {}
        )
        tables = {kind: table.table for kind, table in computed.items()} or None
        source = "computed now" if live else None
    elif not loaded:
        tables, source = None, None
    names = data.CLASS_NAMES[dataset]
    gallery_images, rows = [], []
    if tables:
        for k, label in enumerate(next(iter(tables.values()))["rows"]):
            image = {"image": f"#{k}", "class": names[label["label"]]}
            for kind, table in tables.items():
                row = table["rows"][k]
                for column, title in (("natural", "natural"), ("pgd", "PGD-20"), ("cw", "CW-30")):
                    image[f"{kind} · {title}"] = names[row[f"{column}_predict"]]
            gallery_images.append(image)
        for kind, table in tables.items():
            rows.append(
                {
                    "training": f"{kind} ({loaded[kind]})",
                    "evaluated on": f"{table['examples']} gallery images",
                    **evaluation.table_from_rows(table["rows"]),
                }
            )
    test_sets, shipped_notes = {}, []
    for kind, name in loaded.items():
        try:
            record = results.read("robustness", name)
        except (results.ResultsUnavailable, ValueError) as error:
            shipped_notes.append(str(error))
            continue
        test_sets[name] = record
        table = record.get("table", {})
        rows.append(
            {
                "training": f"{kind} ({name})",
                "evaluated on": f"{record.get('examples', '?')} test images "
                f"(shipped, {record.get('computed_on', '?')})",
                "natural": table.get("natural"),
                "pgd": table.get("pgd"),
                "cw": table.get("cw"),
            }
        )
    randomized, note = talk_table_rows(dataset)
    rows += randomized
    shipped_notes.append(note)
    madry = evaluation.MADRY_CIFAR10
    for key, label in (("natural_training", "natural"), ("adversarial_training", "adversarial")):
        reference = madry[key]
        rows.append(
            {
                "training": f"{label} — Madry et al. 2018",
                "evaluated on": f"CIFAR-10 test set, wide ResNet, ε = {round(madry['eps'] * 255)}/255",
                **{c: reference[c] for c in ("natural", "pgd", "cw")},
            }
        )
    ratio, wall_time_caption = wall_times(entries)
    cost, cost_note = training_cost(dataset, entries)
    examples = len(gallery_images) or len(gallery(dataset)[1])
    fgsm_rs = [
        entry.get("name", f"{dataset}-{kind}")
        for kind, entry in entries.items()
        if (entry.get("recipe", {}).get("adversarial") or {}).get("kind") == "fgsm_rs"
    ]
    notes = (*MADRY_NOTES, STEP_NOTE, BATCH_NOTE) + (
        (FGSM_RS_NOTE.format(models=" and ".join(fgsm_rs) + (" was" if len(fgsm_rs) == 1 else " were")),)
        if fgsm_rs
        else ()
    )
    return Images(
        dataset=dataset,
        title=DATASET_TITLES[dataset],
        eps=eps,
        eps_text=eps_text(eps, dataset),
        models=loaded,
        missing=tuple(missing),
        gallery=tables,
        gallery_source=source,
        gallery_images=tuple(gallery_images),
        points_per_image=100 / examples,
        table_rows=tuple(rows),
        shipped_notes=tuple(shipped_notes),
        shipped=test_sets,
        entries=entries,
        time_ratio=ratio,
        notes=notes,
        wall_time_caption=wall_time_caption,
        cost=cost,
        cost_note=cost_note,
        bn_note=bn_note(entries),
    )


def talk_table_rows(dataset: str) -> tuple[list[dict], str]:
    """The talk's table for the noise-trained zoo models of ``dataset`` (shipped by ``python -m
    core.experiments talk-table``): adaptive EOT attacks, every prediction the vote of many noisy passes; and
    one sentence
    saying how they were computed (or the command that computes them)."""
    try:
        shipped = results.read("talk_table", dataset)
    except (results.ResultsUnavailable, ValueError) as error:
        return [], str(error)
    rows = []
    for row in shipped["models"]:
        noise = row.get("noise") or {}
        rows.append(
            {
                "training": f"noise {noise.get('name')} {noise.get('scale')} ({row['model']}), vote of "
                f"{shipped['votes']}, EOT-{shipped['eot']} attacks",
                "evaluated on": f"{shipped['examples']} test images (every {shipped.get('every', 1)}th; "
                f"shipped, {shipped.get('computed_on', '?')})",
                **{column: row[column] for column in ("natural", "pgd", "cw")},
            }
        )
    abstained = sum(sum(row.get("abstained", {}).values()) for row in shipped["models"])
    note = (
        "Randomized rows: the same ℓ∞ budget and PGD-20 / CW-30, every attack adaptive (each gradient "
        f"averaged over {shipped['eot']} noise draws, EOT, Athalye et al. 2018), every prediction the "
        f"majority vote of {shipped['votes']} noisy forward passes drawn apart from the attacker's (a tie "
        f"abstains and counts as wrong: {abstained} of {3 * shipped['examples'] * len(shipped['models'])} "
        f"predictions); `{shipped['command']}`."
    )
    return rows, note


# --------------------------------------------------------------------------- 2-D toy


@dataclass(frozen=True)
class ToyModel:
    title: str
    labels: np.ndarray  # arg-max class on the grid
    boundary: np.ndarray  # P(class 1) on the grid
    natural: float
    pgd: float
    cw: float
    broken: np.ndarray  # held-out points that PGD-20 moves to a wrong class (bool, per point)


@dataclass(frozen=True)
class Toy:
    eps: float
    xs: np.ndarray
    ys: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    standard: ToyModel
    adversarial: ToyModel
    pgd_gain: float  # adversarial − standard accuracy under PGD-20
    cw_gain: float
    clean_cost: float  # standard − adversarial natural accuracy


def _toy_model(title: str, spec: toys.ToySpec, eps: float, seed: int) -> ToyModel:
    model, parts = toys.model(spec), toys.split(spec)
    table = evaluation.robustness_table(
        model,
        parts.x_test,
        parts.y_test,
        eps=eps,
        norm="linf",
        pgd_steps=PGD_STEPS,
        cw_steps=CW_STEPS,
        seed=stream_seed(seed, "toy attacks"),
    )
    with torch.inference_mode():
        regions = geometry.decision_regions(model, resolution=TOY_RESOLUTION)
    broken = np.array([row["pgd_predict"] != row["label"] for row in table["rows"]])
    return ToyModel(
        title=title,
        labels=regions.labels.numpy(),
        boundary=regions.probs[..., 1].numpy(),
        natural=table["natural"],
        pgd=table["pgd"],
        cw=table["cw"],
        broken=broken,
    )


def toy(*, eps: float, seed: int) -> Toy:
    """Two 2-64-64-2 networks on the two moons, trained by ERM and by Madry et al.'s adversarial training
    min_θ E[max_{‖τ‖∞ ≤ ε} ℓ(F_θ(x + τ), y)] (PGD-7 inner maximisation, core.toys): their decision
    regions, and the talk's table on the held-out points with the same ε for the attacks (PGD-20 and
    CW-30 from the stream "toy attacks" of ``seed``); the points PGD-20 breaks come from the table's
    per-example rows."""
    checks.one_of(eps, TOY_EPS_CHOICES, "The toy budget ε")
    check_seed(seed)
    standard = _toy_model("Standard training (ERM)", toy_spec(0.0, seed), eps, seed)
    adversarial = _toy_model(f"Adversarial training (PGD-7, ε = {eps:g})", toy_spec(eps, seed), eps, seed)
    parts = toys.split(toy_spec(0.0, seed))
    axis = torch.linspace(0, 1, TOY_RESOLUTION).numpy()
    return Toy(
        eps=float(eps),
        xs=axis,
        ys=axis,
        x_test=parts.x_test.numpy(),
        y_test=parts.y_test.numpy(),
        standard=standard,
        adversarial=adversarial,
        pgd_gain=adversarial.pgd - standard.pgd,
        cw_gain=adversarial.cw - standard.cw,
        clean_cost=standard.natural - adversarial.natural,
    )


def toy_caption(result: Toy) -> str:
    """What the toy comparison shows, from the computed numbers only."""

    def change(what: str, before: float, after: float) -> str:
        verb = "raised" if after > before else "lowered" if after < before else "left unchanged"
        return f"{verb} {what} ({before:.1%} → {after:.1%})"

    standard, adversarial = result.standard, result.adversarial
    return (
        f"{len(result.x_test)} held-out points; × marks those PGD-20 moves to a wrong class within the ℓ∞ "
        f"ball of radius {result.eps:g} ({int(standard.broken.sum())} for standard training, "
        f"{int(adversarial.broken.sum())} for adversarial training). Adversarial training "
        f"{change('the accuracy under PGD-20', standard.pgd, adversarial.pgd)}, "
        f"{change('the accuracy under CW-30', standard.cw, adversarial.cw)} and "
        f"{change('the clean accuracy', standard.natural, adversarial.natural)}. {distance_claim(result)} "
        "These are attacks, not certificates: a point PGD does not break may still have an adversarial "
        "example in its ball."
    )


def distance_claim(result: Toy) -> str:
    """Whether adversarial training put the boundary ε away from every held-out point, as far as PGD-20 can
    tell."""
    broken, total = int(result.adversarial.broken.sum()), len(result.x_test)
    if broken:
        return (
            f"After adversarial training PGD-20 still finds a wrong class within ε = {result.eps:g} of "
            f"{broken} of {total} held-out points ({broken / total:.1%}): the boundary is not pushed ε away "
            "from every point — training lowers the average worst-case loss, it guarantees no worst case."
        )
    return (
        f"After adversarial training PGD-20 finds no wrong class within ε = {result.eps:g} of the {total} "
        "held-out points — PGD's failure, not a proof that the boundary is ε away."
    )


# --------------------------------------------------------------------------- predict, then reveal

COST_BOUNDS = (1.0, 5.0)  # percentage points of clean accuracy separating the three choices
PREDICTION = Prediction(
    "How much clean accuracy does adversarial training cost?",
    ("Almost nothing: under 1 point", "A few points: 1 to 5", "A lot: 5 points or more"),
)


def verdict(result: Images) -> Verdict:
    """The clean accuracy lost by adversarial training, from the best numbers ``result`` has: the shipped
    test-set tables, else the gallery rows, else Madry et al.'s published CIFAR-10 rows."""
    names = [result.models.get(kind) for kind in KINDS]
    if all(name in result.shipped for name in names):
        standard, adversarial = (result.shipped[name]["table"]["natural"] for name in names)
        source = f"the shipped test-set tables of {names[0]} and {names[1]}"
    elif result.gallery and all(kind in result.gallery for kind in KINDS):
        standard, adversarial = (result.gallery[kind]["natural"] for kind in KINDS)
        source = f"the {result.title} gallery images"
    else:
        madry = evaluation.MADRY_CIFAR10
        standard, adversarial = madry["natural_training"]["natural"], madry["adversarial_training"]["natural"]
        source = "Madry et al.'s published CIFAR-10 rows"
    cost = 100 * (standard - adversarial)
    return verdict_by_range(
        cost,
        COST_BOUNDS,
        f"Clean accuracy {standard:.1%} → {adversarial:.1%}: adversarial "
        f"training costs {cost:.1f} points on {source}.",
    )
