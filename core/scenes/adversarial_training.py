"""6 · Adversarial training (Madry et al. 2018; Wong et al. 2020): train on the worst point of each
ε-ball, measured with the talk's table (natural / PGD-20 / CW-30).

Two scene functions: :func:`images` (the zoo's standard and adversarially trained models of one
dataset: the talk's table on the 20 gallery images from core.evaluation's per-example rows, the
shipped test-set tables, Madry et al.'s published rows and the training times) and :func:`toy`
(the same comparison on the 2-D two moons, where the decision regions can be seen). They sit in
different tabs with different widgets, so the page calls each alone.

The gallery attacks (PGD-20 and CW-30 on a CIFAR-10 CNN) take minutes on a busy 2-core CPU: they
are shipped for seed 0 by :func:`build` (``python -m core.scenes build --scene
p06_adversarial_training``) into assets/scenes/adversarial_training.json; other seeds compute
live when asked (``live=True``, behind the page's button).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from core import data, evaluation, geometry, results, toys, zoo
from core.files import write_atomic
from core.scenes.common import DATASET_TITLES, deterministic_models, gallery
from core.seeds import check_seed, stream_seed
from core.scenes.lecture import Prediction, Verdict, verdict_by_range

TALK_EPS = {"cifar10": 8 / 255, "mnist": 0.3, "fashion_mnist": 0.1}
DATASETS = ("cifar10", "mnist")
PGD_STEPS, CW_STEPS = 20, 30                      # the talk's table
TOY_EPS_CHOICES = (0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 0.15)
TOY_DEFAULT_EPS = 0.1
TOY_TRAINING_STEPS = 7                            # PGD-7 inside adversarial training (Madry et al.)
TOY_RESOLUTION = 150
KINDS = ("standard", "adversarial")
SHIPPED_PATH = Path(__file__).resolve().parents[2] / "assets" / "scenes" / "adversarial_training.json"
BUILD_COMMAND = "python -m core.scenes build --scene p06_adversarial_training"

# Lecture mode (core.scenes.lecture): what the page reveals at each step, in order.
STEPS = (
    'Question: what does adversarial training cost?',
    'The answer, computed',
    "The talk's table and the moved boundary",
    'The price in training time',
)

EXPLANATION = r"""
Madry et al. (2018) train on the **worst point of every ball** instead of the point itself — a min–max problem

$$\min_\theta\ \mathbb E_{(x,y)}\Big[\max_{\|\tau\|_\infty \le \varepsilon} \ell\big(F_\theta(x+\tau), y\big)\Big],$$

the inner maximum approximated by PGD at every training step (Wong et al. 2020: one FGSM step from a random start
is enough and much cheaper). The talk's table measures the result with two attacks: PGD on the cross-entropy
(20 steps) and PGD on the Carlini–Wagner margin $\max_{j\ne y} Z_j - Z_y$ (30 steps). Robustness is bought with
clean accuracy and with **training time**.
"""
USES = ("zoo models {cifar10,mnist}-standard and -adversarial (FGSM with random start, core.experiments) on the 20 "
        "real test images of foolbox's gallery; a 2-D toy (two moons, core.toys) with a 2-64-64-2 network trained by "
        "ERM and by PGD-7 adversarial training (shipped for seed 0).")
MADRY_NOTES = (
    "The slide prints 0.456 for Madry et al.'s PGD row; the paper reports 45.8 % (shown).",
    "The slide's row \"ℓ2 C&W\" is Madry et al.'s CW column: PGD in the same ℓ∞ ball of 8/255, ascending the "
    "Carlini–Wagner margin instead of the cross-entropy — not the C&W ℓ2 attack.",
    "The slide's natural-training row under PGD (0 %) is not shown: we did not find it in the paper's text.")
STEP_NOTE = ("Attack step 2.5·ε/steps, random start (seeded): a later heuristic, not Madry et al.'s setting (steps "
             "of 2/255: 7 in training, 20 in evaluation on CIFAR-10).")
BATCH_NOTE = ("core.training replaces each mini-batch by its adversarial version (Madry et al.'s min–max objective); "
              "the slide augments the batch, training on the clean and the adversarial examples together.")
FGSM_RS_NOTE = ("{models} trained with FGSM-RS (one FGSM step from a random start, Wong et al. 2020), which can "
                "overfit catastrophically: robust to FGSM, broken by PGD. This project's first mnist-adversarial, "
                "FGSM-RS at ε = 0.3, kept 98.9 % clean accuracy but 2.2 % under PGD-20 and 1.9 % under CW-30 on "
                "1,000 test images (git show 68018e9:assets/results/robustness_mnist-adversarial.json); it was "
                "retrained with PGD-7. Read its PGD-20 row as the check.")
COST_NOTE = ("From the zoo manifest. Each adversarial step costs one extra forward/backward pass with FGSM-RS "
             "(Wong et al. 2020) and k extra with PGD-k (Madry et al. used k = 7 on CIFAR-10: about 8× the cost "
             "of a standard step). The recipes above may differ in epochs and width — read the ratio with them.")


def eps_text(eps: float, dataset: str) -> str:
    return f"{round(eps * 255):g}/255" if dataset == "cifar10" else f"{eps:g}"


def toy_spec(adversarial_eps: float, seed: int) -> toys.ToySpec:
    """Two moons, 2-64-64-2 ReLU, 60 epochs of Adam: ERM when adversarial_eps = 0, else Madry et al.'s
    adversarial training with PGD-7 in the ℓ∞ ball of that radius (step ε/4)."""
    adversarial = (float(adversarial_eps), TOY_TRAINING_STEPS) if adversarial_eps > 0 else None
    return toys.ToySpec(adversarial=adversarial, seed=check_seed(seed))


SHIPPED_TOYS = [toy_spec(0.0, 0)] + [toy_spec(eps, 0) for eps in TOY_EPS_CHOICES]


def datasets() -> tuple[tuple[str, ...], str]:
    """(image datasets with a standard or adversarial zoo model, the default: one with both)."""
    available = set(deterministic_models(DATASETS))
    present = tuple(d for d in DATASETS if {f"{d}-{k}" for k in KINDS} & available) or ("cifar10",)
    default = next((d for d in present if {f"{d}-{k}" for k in KINDS} <= available), present[0])
    return present, default


# --------------------------------------------------------------------------- zoo models on the gallery

def _gallery_table(name: str, seed: int) -> dict:
    """The talk's table of zoo model ``name`` on its dataset's 20 gallery images, with per-image rows.

    The attacks' random starts follow robustness_table's own rule (its generator is seeded with the
    demo's seed), the rule of ``python -m core.experiments evaluate --seed``: the page's recompute
    panel, run on the first 20 local test images when they are the gallery, reproduces these rows."""
    x, y = gallery(zoo.entry(name)["dataset"])
    return evaluation.robustness_table(zoo.shared(name), x, y, eps=TALK_EPS[zoo.entry(name)["dataset"]],
                                       norm="linf", pgd_steps=PGD_STEPS, cw_steps=CW_STEPS, seed=seed)


def _read_shipped(path: Path = SHIPPED_PATH) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def shipped_gallery(name: str, seed: int, path: Path = SHIPPED_PATH) -> dict | None:
    """The shipped gallery table of ``name`` when it was computed with this seed (the table records the
    seed of its attacks), the talk's settings and the zoo's current weights (sha256), else None."""
    record = _read_shipped(path).get("models", {}).get(name)
    try:
        entry = zoo.entry(name)
    except zoo.ModelUnavailable:
        return None
    if (not record or record.get("seed") != seed or record["table"].get("seed") != seed
            or record.get("sha256") != entry.get("sha256")
            or record["table"].get("eps") != TALK_EPS[entry["dataset"]]
            or (record["table"].get("pgd_steps"), record["table"].get("cw_steps")) != (PGD_STEPS, CW_STEPS)):
        return None
    return record["table"]


def build(path: Path = SHIPPED_PATH) -> dict:
    """Compute the gallery tables of every present {cifar10,mnist}-{standard,adversarial} model for seed 0
    and write them (atomically) to ``path``, with the command that rebuilds them."""
    content = {"command": BUILD_COMMAND, "seed": 0, "models": {}}
    for name in deterministic_models(DATASETS):
        if not name.endswith(tuple(f"-{k}" for k in KINDS)):
            continue
        content["models"][name] = {"seed": 0, "sha256": zoo.entry(name)["sha256"], "table": _gallery_table(name, 0)}
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(content, indent=0, sort_keys=True) + "\n")
    return content


@dataclass(frozen=True)
class Images:
    dataset: str
    title: str
    eps: float
    eps_text: str
    models: dict                  # kind → zoo name, for the models that load
    missing: tuple                # one sentence per model that does not load
    gallery: dict | None          # kind → robustness_table (with rows) on the gallery; None: not computed
    gallery_source: str | None    # "shipped" or "computed now"
    gallery_images: tuple         # one dict per gallery image: class, and per model natural/PGD-20/CW-30 classes
    points_per_image: float       # 100 / number of gallery images
    table_rows: tuple             # the talk's table: gallery rows, shipped test-set rows, Madry et al.'s rows
    shipped_notes: tuple          # one sentence per model without a shipped test-set table
    shipped: dict                 # zoo name → shipped robustness record (for the recompute panel)
    entries: dict                 # kind → zoo manifest entry (training time)
    time_ratio: float | None      # wall time adversarial / standard
    notes: tuple = ()             # the table's notes: Madry et al.'s numbers, FGSM-RS (when a model uses it), batch


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
    tables = {kind: shipped_gallery(name, seed) for kind, name in loaded.items()}
    source = "shipped"
    if loaded and any(table is None for table in tables.values()):
        tables = {kind: _gallery_table(name, seed) for kind, name in loaded.items()} if live else None
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
            rows.append({"training": f"{kind} ({loaded[kind]})", "evaluated on": f"{table['examples']} gallery images",
                         **evaluation.table_from_rows(table["rows"])})
    shipped, shipped_notes = {}, []
    for kind, name in loaded.items():
        try:
            record = results.read("robustness", name)
        except (results.ResultsUnavailable, ValueError) as error:
            shipped_notes.append(str(error))
            continue
        shipped[name] = record
        table = record.get("table", {})
        rows.append({"training": f"{kind} ({name})", "evaluated on": f"{record.get('examples', '?')} test images "
                     f"(shipped, {record.get('computed_on', '?')})",
                     "natural": table.get("natural"), "pgd": table.get("pgd"), "cw": table.get("cw")})
    randomized, note = talk_table_rows(dataset)
    rows += randomized
    shipped_notes.append(note)
    madry = evaluation.MADRY_CIFAR10
    for key, label in (("natural_training", "natural"), ("adversarial_training", "adversarial")):
        reference = madry[key]
        rows.append({"training": f"{label} — Madry et al. 2018", "evaluated on": "CIFAR-10 test set, wide ResNet, "
                     f"ε = {round(madry['eps'] * 255)}/255", **{c: reference[c] for c in ("natural", "pgd", "cw")}})
    ratio = None
    if len(entries) == 2 and entries["standard"].get("wall_time_s") and entries["adversarial"].get("wall_time_s"):
        ratio = entries["adversarial"]["wall_time_s"] / entries["standard"]["wall_time_s"]
    examples = len(gallery_images) or len(gallery(dataset)[1])
    fgsm_rs = [entry.get("name", f"{dataset}-{kind}") for kind, entry in entries.items()
               if (entry.get("recipe", {}).get("adversarial") or {}).get("kind") == "fgsm_rs"]
    notes = (*MADRY_NOTES, STEP_NOTE, BATCH_NOTE) + ((FGSM_RS_NOTE.format(models=" and ".join(fgsm_rs) + (
        " was" if len(fgsm_rs) == 1 else " were")),) if fgsm_rs else ())
    return Images(dataset=dataset, title=DATASET_TITLES[dataset], eps=eps, eps_text=eps_text(eps, dataset),
                  models=loaded, missing=tuple(missing), gallery=tables, gallery_source=source,
                  gallery_images=tuple(gallery_images), points_per_image=100 / examples, table_rows=tuple(rows),
                  shipped_notes=tuple(shipped_notes), shipped=shipped, entries=entries, time_ratio=ratio,
                  notes=notes)


def talk_table_rows(dataset: str) -> tuple[list[dict], str]:
    """The talk's table for the noise-trained zoo models of ``dataset`` (shipped by ``python -m core.experiments
    talk-table``): adaptive EOT attacks, every prediction the vote of many noisy passes; and one sentence
    saying how they were computed (or the command that computes them)."""
    try:
        shipped = results.read("talk_table", dataset)
    except (results.ResultsUnavailable, ValueError) as error:
        return [], str(error)
    rows = []
    for row in shipped["models"]:
        noise = row.get("noise") or {}
        rows.append({"training": f"noise {noise.get('name')} {noise.get('scale')} ({row['model']}), vote of "
                                 f"{shipped['votes']}, EOT-{shipped['eot']} attacks",
                     "evaluated on": f"{shipped['examples']} test images (every {shipped.get('every', 1)}th; shipped, "
                                     f"{shipped.get('computed_on', '?')})",
                     **{column: row[column] for column in ("natural", "pgd", "cw")}})
    abstained = sum(sum(row.get("abstained", {}).values()) for row in shipped["models"])
    note = (f"Randomized rows: the same ℓ∞ budget and PGD-20 / CW-30, every attack adaptive (each gradient averaged "
            f"over {shipped['eot']} noise draws, EOT, Athalye et al. 2018), every prediction the majority vote of "
            f"{shipped['votes']} noisy forward passes drawn apart from the attacker's (a tie abstains and counts as "
            f"wrong: {abstained} of {3 * shipped['examples'] * len(shipped['models'])} predictions); "
            f"`{shipped['command']}`.")
    return rows, note


# --------------------------------------------------------------------------- 2-D toy

@dataclass(frozen=True)
class ToyModel:
    title: str
    labels: np.ndarray            # arg-max class on the grid
    boundary: np.ndarray          # P(class 1) on the grid
    natural: float
    pgd: float
    cw: float
    broken: np.ndarray            # held-out points that PGD-20 moves to a wrong class (bool, per point)


@dataclass(frozen=True)
class Toy:
    eps: float
    xs: np.ndarray
    ys: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    standard: ToyModel
    adversarial: ToyModel
    pgd_gain: float               # adversarial − standard accuracy under PGD-20
    cw_gain: float
    clean_cost: float             # standard − adversarial natural accuracy


def _toy_model(title: str, spec: toys.ToySpec, eps: float, seed: int) -> ToyModel:
    model, parts = toys.model(spec), toys.split(spec)
    table = evaluation.robustness_table(model, parts.x_test, parts.y_test, eps=eps, norm="linf",
                                        pgd_steps=PGD_STEPS, cw_steps=CW_STEPS, seed=stream_seed(seed, "toy attacks"))
    with torch.inference_mode():
        regions = geometry.decision_regions(model, resolution=TOY_RESOLUTION)
    broken = np.array([row["pgd_predict"] != row["label"] for row in table["rows"]])
    return ToyModel(title=title, labels=regions.labels.numpy(), boundary=regions.probs[..., 1].numpy(),
                    natural=table["natural"], pgd=table["pgd"], cw=table["cw"], broken=broken)


def toy(*, eps: float, seed: int) -> Toy:
    """Two 2-64-64-2 networks on the two moons, trained by ERM and by Madry et al.'s adversarial training
    min_θ E[max_{‖τ‖∞ ≤ ε} ℓ(F_θ(x + τ), y)] (PGD-7 inner maximisation, core.toys): their decision
    regions, and the talk's table on the held-out points with the same ε for the attacks (PGD-20 and
    CW-30 from the stream "toy attacks" of ``seed``); the points PGD-20 breaks come from the table's
    per-example rows."""
    if eps not in TOY_EPS_CHOICES:
        raise ValueError(f"The toy budget ε must be one of {', '.join(map(str, TOY_EPS_CHOICES))}, got {eps!r}.")
    check_seed(seed)
    standard = _toy_model("Standard training (ERM)", toy_spec(0.0, seed), eps, seed)
    adversarial = _toy_model(f"Adversarial training (PGD-7, ε = {eps:g})", toy_spec(eps, seed), eps, seed)
    parts = toys.split(toy_spec(0.0, seed))
    axis = torch.linspace(0, 1, TOY_RESOLUTION).numpy()
    return Toy(eps=float(eps), xs=axis, ys=axis, x_test=parts.x_test.numpy(), y_test=parts.y_test.numpy(),
               standard=standard, adversarial=adversarial, pgd_gain=adversarial.pgd - standard.pgd,
               cw_gain=adversarial.cw - standard.cw, clean_cost=standard.natural - adversarial.natural)


def toy_caption(result: Toy) -> str:
    """What the toy comparison shows, from the computed numbers only."""
    def change(what: str, before: float, after: float) -> str:
        verb = "raised" if after > before else "lowered" if after < before else "left unchanged"
        return f"{verb} {what} ({before:.1%} → {after:.1%})"

    standard, adversarial = result.standard, result.adversarial
    return (f"{len(result.x_test)} held-out points; × marks those PGD-20 moves to a wrong class within the ℓ∞ ball of "
            f"radius {result.eps:g} ({int(standard.broken.sum())} for standard training, "
            f"{int(adversarial.broken.sum())} for adversarial training). Adversarial training "
            f"{change('the accuracy under PGD-20', standard.pgd, adversarial.pgd)}, "
            f"{change('the accuracy under CW-30', standard.cw, adversarial.cw)} and "
            f"{change('the clean accuracy', standard.natural, adversarial.natural)}. {distance_claim(result)} These "
            "are attacks, not certificates: a point PGD does not break may still have an adversarial example in its "
            "ball.")


def distance_claim(result: Toy) -> str:
    """Whether adversarial training put the boundary ε away from every held-out point, as far as PGD-20 can tell."""
    broken, total = int(result.adversarial.broken.sum()), len(result.x_test)
    if broken:
        return (f"After adversarial training PGD-20 still finds a wrong class within ε = {result.eps:g} of {broken} of "
                f"{total} held-out points ({broken / total:.1%}): the boundary is not pushed ε away from every point — "
                "training lowers the average worst-case loss, it guarantees no worst case.")
    return (f"After adversarial training PGD-20 finds no wrong class within ε = {result.eps:g} of the {total} held-out "
            "points — PGD's failure, not a proof that the boundary is ε away.")


# --------------------------------------------------------------------------- predict, then reveal

COST_BOUNDS = (1.0, 5.0)     # percentage points of clean accuracy separating the three choices
PREDICTION = Prediction("How much clean accuracy does adversarial training cost?",
                        ("Almost nothing: under 1 point", "A few points: 1 to 5", "A lot: 5 points or more"))


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
    return verdict_by_range(cost, COST_BOUNDS, f"Clean accuracy {standard:.1%} → {adversarial:.1%}: adversarial "
                                               f"training costs {cost:.1f} points on {source}.")
