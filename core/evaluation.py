"""Measuring robustness: accuracy under attack versus budget, the talk's table (Madry et al. 2018),
certified accuracy (Cohen et al. 2019) and the robustness–accuracy trade-off.

Two kinds of numbers come out of here, and the talk keeps them apart:

- *empirical* robust accuracy, the accuracy on adversarial examples found by an attack. An attack
  only finds some adversarial examples, so this is an UPPER bound on the true robust accuracy;
- *certified* accuracy, the fraction of examples that the smoothed classifier gets right with a
  certified radius ≥ r. Every counted example is provably robust (with probability ≥ 1 − α), so
  this is a LOWER bound.

Accuracies are fractions in [0, 1]. Models are evaluated in the mode they are given (pass them in
eval mode) and are never modified. Every random draw comes from a generator made from ``seed``.
"""

from __future__ import annotations

import copy
import itertools
import math
import numbers
import time

import torch
from torch import nn

from core import attacks, checks, smoothing
from core.device import make_generator, resolve_device
from core.models import NoiseInjection, noise_layers
from core.noise import make as make_noise
from core.seeds import example_seed, stream_generator

# Madry et al. 2018, "Towards Deep Learning Models Resistant to Adversarial Attacks" (ICLR),
# CIFAR-10, wide ResNet, ℓ∞ budget ε = 8/255.
# - adversarial_training: the paper's Table 2 (white-box "source A" rows: natural 87.3 %, PGD 20 steps
#   45.8 %, CW loss 30 steps 46.8 %) — the rows of the talk's slide.
# - natural_training: NOT on the talk's slide (its table has no natural-training row). 95.2 % is the
#   clean accuracy of Madry et al.'s naturally trained wide network in the paper's CIFAR-10 capacity
#   study (Figure 4; quoted with the 87.3 % of adversarial training by Raghunathan et al. 2019, "Adversarial
#   Training Can Hurt Generalization", Table 1), added here so that pages can show what adversarial
#   training costs. Its accuracy under PGD (3.5 % in that study, as Raghunathan et al. quote it) is left
#   None (not shown: its attack settings were not checked against Table 2's PGD-20), and the paper gives no
#   CW-loss number for it (None).
# Published constants shown beside our own measurements, never results of this code.
MADRY_CIFAR10 = {
    "eps": 8 / 255,
    "norm": "linf",
    "natural_training": {"natural": 0.952, "pgd": None, "cw": None},
    "adversarial_training": {"natural": 0.873, "pgd": 0.458, "cw": 0.468},
}

# Cohen, Rosenfeld & Kolter 2019, "Certified Adversarial Robustness via Randomized Smoothing" (ICML):
# certified accuracy at the ℓ2 radii COHEN_RADII of their CIFAR-10 ResNet-110 smoothed classifiers, each
# certified at its training σ with CERTIFY (N0 = 100, N = 100 000, α = 0.001) on the FULL CIFAR-10 test set
# (10 000 images), rounded to 2 digits: the revised arXiv version (1902.02918), Appendix E, Table 3 (the
# curves of Figure 6, top). The same numbers come out of the rows released by Salman et al. 2019 with
# their code (github.com/Hadisalman/smoothing-adversarial, data/certify/best_models/cifar10/cohen/
# resnet110/noise_σ/test/sigma_σ: σ = 0.12 → 0.832, 0.598; σ = 0.25 → 0.767, 0.612, 0.423, 0.251;
# σ = 0.5 → 0.657, 0.549, 0.428, 0.325, 0.220). Not the first version's 500-image table
# (locuslab/smoothing, analysis/latex/vary_noise_cifar10: e.g. 0.60 / 0.43 / 0.27 at r = 0.25 / 0.5 / 0.75
# for σ = 0.25). Published constants, not results of this code.
COHEN_RADII = [0.0, 0.25, 0.5, 0.75, 1.0]
COHEN_CIFAR10 = {
    0.12: [0.83, 0.60, 0.0, 0.0, 0.0],
    0.25: [0.77, 0.61, 0.42, 0.25, 0.00],
    0.5: [0.66, 0.55, 0.43, 0.32, 0.22],
}


# --------------------------------------------------------------------------- argument checks


def _check_dataset(x, y) -> None:
    if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise ValueError("x and y must be torch tensors (a batch of inputs and its labels).")
    if len(x) == 0 or len(x) != len(y):
        raise ValueError(f"x and y must be non-empty and of the same length, got {len(x)} and {len(y)}.")


def _check_budgets(budgets) -> list[float]:
    values = list(budgets) if isinstance(budgets, (list, tuple)) else None
    if not values or any(
        isinstance(b, bool) or not isinstance(b, numbers.Real) or not math.isfinite(b) or b < 0
        for b in values
    ):
        raise ValueError(f"budgets must be a non-empty list of non-negative numbers, got {budgets!r}.")
    return [float(b) for b in values]


def _check_radius(radius) -> float:
    if isinstance(radius, bool) or not isinstance(radius, numbers.Real) or not radius >= 0:
        raise ValueError(f"The radius must be a non-negative number, got {radius!r}.")
    return float(radius)


def _batches(n: int, batch_size: int):
    for start in range(0, n, batch_size):
        yield slice(start, min(start + batch_size, n))


# --------------------------------------------------------------------------- random streams, votes

# The named streams (core.seeds) of an evaluation of a randomized model: the attacker's noise draws
# (EOT) and the draws that score its result never share a generator, so scoring with other or more
# draws never changes the adversarial examples, and the attack never sees the draws that judge it.
ATTACK_STREAM = "attack"
SCORE_STREAM = "score"
START_STREAM = "start"  # PGD's random starts
# The draw rule written into robustness, attacks and talk-table files: every stream of example i is
# seeded with seed + i (example_generators). A file without it was drawn batch by batch (the
# earlier rule) and its command no longer reproduces it draw for draw (core.regenerate counts it stale).
DRAW_RULE = "per example"


def example_generators(seed: int, stream: str, indices, device="cpu") -> list[torch.Generator]:
    """One generator per example: example i's draws of ``stream`` come from
    ``core.seeds.example_seed(seed, i, stream)`` (stream_seed(seed + i, stream)) alone, so a row of an
    evaluation depends only on (seed, index),
    never on the batch size, the other examples of its batch or the number of ranks that share the images."""
    return [make_generator(example_seed(int(seed), int(index), stream), device) for index in indices]


class StreamNoise(nn.Module):
    """z ↦ z + ε, ε ~ ``noise``, drawn from a caller's generator (a named stream) at every forward; with a
    list of generators (:func:`example_generators`), row i's noise comes from generator[i] alone."""

    def __init__(self, noise, generator):
        super().__init__()
        self.noise, self.generator = noise, generator

    def forward(self, z):
        if isinstance(self.generator, (list, tuple)):
            if len(self.generator) != len(z):
                raise ValueError(
                    f"Give one generator per example: got {len(self.generator)} for {len(z)} inputs."
                )
            draws = [
                self.noise.sample((1, *z.shape[1:]), generator=g, device=z.device) for g in self.generator
            ]
            return z + torch.cat(draws).to(z.dtype)
        return z + self.noise.sample(z.shape, generator=self.generator, device=z.device).to(z.dtype)


def is_randomized(model: nn.Module) -> bool:
    """Whether ``model`` draws noise at its forward passes (a NoiseInjection or StreamNoise layer)."""
    return bool(noise_layers(model)) or any(isinstance(m, StreamNoise) for m in model.modules())


def noise_drawn_from(model: nn.Module, generator) -> nn.Module:
    """``model`` with every noise layer (NoiseInjection, StreamNoise) drawing from ``generator`` (or a list
    of one generator per example) instead of its own: a copy sharing the parameters (the model is never
    modified). A deterministic model is returned as it is."""
    if not is_randomized(model):
        return model
    shared = {id(tensor): tensor for tensor in itertools.chain(model.parameters(), model.buffers())}
    shared.update({id(m.generator): m.generator for m in model.modules() if isinstance(m, StreamNoise)})
    clone = copy.deepcopy(model, shared)
    for parent in list(clone.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, (NoiseInjection, StreamNoise)):
                setattr(parent, name, StreamNoise(child.noise, generator))
    return clone


@torch.no_grad()
def vote_counts(
    model: nn.Module, x: torch.Tensor, *, votes: int, generator, batch_size: int = 256, device="cpu"
) -> torch.Tensor:
    """N×K counts: for each input, how many of ``votes`` forward passes of the randomized ``model``
    (a fresh noise draw from ``generator`` at each pass; with a list of N generators, input i's draws
    come from generator[i] alone, so its counts do not depend on ``batch_size``) answer each class k,
    counts[i, k] = #{v ≤ votes : argmax F̃_{ε_v}(xᵢ) = k} (Cohen et al. 2019's hard F_rob, by Monte
    Carlo). A deterministic model answers the same at every pass: one pass gives its counts."""
    votes = checks.positive_int(votes, "votes")
    batch_size = checks.positive_int(batch_size, "batch_size")
    device = resolve_device(device)
    randomized = is_randomized(model)
    per_example = isinstance(generator, (list, tuple))
    if per_example and len(generator) != len(x):
        raise ValueError(f"Give one generator per input: got {len(generator)} for {len(x)} inputs.")
    noisy = None if per_example else noise_drawn_from(model, generator)
    counts = []
    for part in _batches(len(x), batch_size):
        xb = x[part].to(device)
        if per_example:
            noisy = noise_drawn_from(model, generator[part])
        batch = None
        for _ in range(votes if randomized else 1):
            logits = noisy(xb)
            if batch is None:
                batch = torch.zeros(len(xb), logits.shape[1], dtype=torch.long)
            batch[torch.arange(len(xb)), logits.argmax(dim=1).cpu()] += 1
        counts.append(batch if randomized else batch * votes)
    return torch.cat(counts)


def vote_predictions(counts: torch.Tensor) -> torch.Tensor:
    """The majority vote argmax_k counts[i, k] of each row of :func:`vote_counts`, or
    ``smoothing.ABSTAIN`` (−1) where two or more classes tie for the most votes: a tie names no
    class, so it abstains (as Cohen et al.'s PREDICT), and an abstention counts as wrong."""
    if not isinstance(counts, torch.Tensor) or counts.ndim != 2 or counts.shape[1] == 0:
        raise ValueError("counts must be an N×K tensor of vote counts (core.evaluation.vote_counts).")
    top = counts.max(dim=1, keepdim=True).values
    tied = (counts == top).sum(dim=1) > 1
    return torch.where(tied, torch.full_like(counts[:, 0], smoothing.ABSTAIN), counts.argmax(dim=1))


# --------------------------------------------------------------------------- empirical accuracy


@torch.no_grad()
def predictions(model: nn.Module, x: torch.Tensor, *, batch_size: int = 512, device="cpu") -> torch.Tensor:
    """argmax_k F(x)_k for every input, computed ``batch_size`` at a time (a long tensor on the CPU)."""
    device = resolve_device(device)
    batch_size = checks.positive_int(batch_size, "batch_size")
    return torch.cat([model(x[part].to(device)).argmax(dim=1).cpu() for part in _batches(len(x), batch_size)])


def accuracy(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, batch_size: int = 512, device="cpu"
) -> float:
    """Natural accuracy (1/m) Σᵢ 1{argmax F(xᵢ) = yᵢ}, in [0, 1]."""
    _check_dataset(x, y)
    return int((predictions(model, x, batch_size=batch_size, device=device) == y.cpu()).sum()) / len(x)


def _adversarial_accuracy(scorer, x, y, make_adversarial, *, batch_size, device, progress=None) -> float:
    """Accuracy of ``scorer(part)`` (the model that judges the batch ``part``) on
    make_adversarial(x_batch, y_batch, part), batch by batch."""
    correct = 0
    for part in _batches(len(x), batch_size):
        xb, yb = x[part].to(device), y[part].to(device)
        x_adv = make_adversarial(xb, yb, part)
        with torch.no_grad():
            correct += int((scorer(part)(x_adv).argmax(dim=1) == yb).sum())
        if progress is not None:
            progress()
    return correct / len(x)


def _minimal_distortion_accuracy(
    attacker, x, y, *, budgets, batch_size, device, progress, scorer, **attack_kwargs
):
    """Accuracy vs ℓ2 budget for Carlini–Wagner, which returns the smallest perturbation it finds
    rather than a point of a given budget: an example counts as robust at ε when it is classified
    correctly and the attack found no misclassified x' with ‖x' − x‖₂ ≤ ε (as foolbox reports it).
    ``attacker(part)`` is the model the attack differentiates on the batch ``part``, ``scorer(part)`` the
    one that judges x and x' (called once for each, so both see the same draws)."""
    robust_at = torch.zeros(len(budgets))
    thresholds = torch.tensor(budgets)
    for part in _batches(len(x), batch_size):
        xb, yb = x[part].to(device), y[part].to(device)
        x_adv = attacks.run_attack("cw_l2", attacker(part), xb, yb, **attack_kwargs)
        with torch.no_grad():
            clean_correct = (scorer(part)(xb).argmax(dim=1) == yb).cpu()
            fooled = (scorer(part)(x_adv).argmax(dim=1) != yb).cpu()
        distance = (x_adv - xb).flatten(1).norm(dim=1).cpu()
        # Broken at ε: clean-misclassified, or fooled by a perturbation no larger than ε.
        broken = ~clean_correct[:, None] | (fooled[:, None] & (distance[:, None] <= thresholds[None, :]))
        robust_at += (~broken).sum(dim=0)
        progress(len(budgets))
    return (robust_at / len(x)).tolist()


def accuracy_under_attack(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    attack: str,
    budgets: list[float],
    batch_size: int = 256,
    seed: int = 0,
    device="cpu",
    progress=None,
    restarts: int = 1,
    **attack_kwargs,
) -> list[float]:
    """Accuracy on adversarial examples of ``attack`` at each budget ε — the accuracy-vs-budget curve.

    acc(ε) = (1/m) Σᵢ 1{argmax F(x'ᵢ) = yᵢ},  x'ᵢ = attack(xᵢ, yᵢ) with ‖x'ᵢ − xᵢ‖ ≤ ε,
    an upper bound on the robust accuracy at ε. The budget is ``eps`` for FGSM and PGD (whose step
    defaults to 2.5·ε/steps, Madry et al. 2018), ``gamma`` for the gradient step; ε = 0 gives the
    clean accuracy. For "cw_l2" (minimal distortion, no budget) the attack is run once and an
    example counts as broken at ε when C&W fooled the model within ℓ2 distance ε.
    Example i's draws come from its own generators (:func:`example_generators`, seed + i), fresh for
    every budget: PGD random starts from START_STREAM, a randomized model's noise from ATTACK_STREAM
    (the attack's passes) and SCORE_STREAM (one draw per scored prediction), so the curve does not
    depend on ``batch_size`` and each point can be recomputed alone. ``restarts`` > 1 (PGD only) runs PGD
    that many times from fresh random starts of the same generators and counts an example robust only if it
    survives every run (Madry et al. 2018 evaluate with restarts; one start can miss what several find).
    ``progress(done, total)`` reports progress. Other keywords (steps, eot, loss options, …) go to
    :func:`core.attacks.run_attack`.
    """
    _check_dataset(x, y)
    if attack not in attacks.ATTACKS:
        raise ValueError(f"Unknown attack {attack!r}: choose one of {', '.join(attacks.ATTACKS)}.")
    budgets = _check_budgets(budgets)
    batch_size = checks.positive_int(batch_size, "batch_size")
    device = resolve_device(device)
    for reserved in ("eps", "gamma", "generator"):
        if reserved in attack_kwargs:
            raise ValueError(
                f"Do not pass {reserved!r}: accuracy_under_attack sets it from budgets and seed."
            )
    n_batches = math.ceil(len(x) / batch_size)
    total = n_batches * len(budgets)
    done = 0

    def advance(count: int = 1):
        nonlocal done
        done += count
        if progress is not None:
            progress(done, total)

    # A randomized model is attacked with its noise drawn from ATTACK_STREAM and scored (one draw per
    # prediction) from SCORE_STREAM, both per example and fresh at each budget; a deterministic model is
    # used as it is.
    positions = list(range(len(x)))

    def attacker(part):
        return noise_drawn_from(model, example_generators(seed, ATTACK_STREAM, positions[part], device))

    def scorer(part):
        return noise_drawn_from(model, example_generators(seed, SCORE_STREAM, positions[part], device))

    if attack == "cw_l2":
        return _minimal_distortion_accuracy(
            attacker,
            x,
            y,
            budgets=budgets,
            batch_size=batch_size,
            device=device,
            progress=advance,
            scorer=scorer,
            **attack_kwargs,
        )
    budget_name = attacks.ATTACK_BUDGETS[attack]
    takes_generator = attack.startswith("pgd")
    restarts = checks.positive_int(restarts, "restarts")
    if restarts > 1 and not takes_generator:
        raise ValueError(
            f"restarts apply to PGD only: {attack!r} has no random start, so run it once (restarts=1)."
        )
    curve = []
    for budget in budgets:
        if budget == 0:
            curve.append(
                _adversarial_accuracy(
                    scorer, x, y, lambda xb, yb, part: xb, batch_size=batch_size, device=device
                )
            )
            advance(n_batches)
            continue
        options = dict(attack_kwargs, **{budget_name: budget})

        def adversarial(xb, yb, part, options=options):
            if takes_generator:
                options = dict(
                    options, generator=example_generators(seed, START_STREAM, positions[part], device)
                )
            return _restarted(attacker(part), attack, xb, yb, restarts, options)

        curve.append(
            _adversarial_accuracy(
                scorer, x, y, adversarial, batch_size=batch_size, device=device, progress=advance
            )
        )
    return curve


def _restarted(model, attack: str, xb, yb, restarts: int, options: dict) -> torch.Tensor:
    """x_adv of ``attack``; with restarts > 1, per example the first run's x_adv that fools the model (else
    the last run's). The runs share ``options['generator']``, so each starts from a new random point."""
    x_adv = attacks.run_attack(attack, model, xb, yb, **options)
    for _ in range(restarts - 1):
        with torch.no_grad():
            survived = model(x_adv).argmax(dim=1) == yb
        if not survived.any():
            break
        again = attacks.run_attack(attack, model, xb, yb, **options)
        x_adv = torch.where(survived.view(-1, *[1] * (xb.ndim - 1)), again, x_adv)
    return x_adv


TABLE_COLUMNS = ("natural", "pgd", "cw")


def table_from_rows(rows: list[dict]) -> dict:
    """The talk's three accuracies from :func:`robustness_table` rows: for each column c of
    natural / pgd / cw, (1/m) Σᵢ 1{c_predictᵢ = labelᵢ}. Works on any subset of the rows."""
    if not rows:
        raise ValueError("table_from_rows needs at least one row from robustness_table.")
    return {
        column: sum(row[f"{column}_predict"] == row["label"] for row in rows) / len(rows)
        for column in TABLE_COLUMNS
    }


def robustness_table(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    eps: float,
    norm: str = "linf",
    pgd_steps: int = 20,
    cw_steps: int = 30,
    eot: int = 1,
    votes: int = 1,
    seed: int = 0,
    device="cpu",
    batch_size: int = 256,
    progress=None,
    indices=None,
) -> dict:
    """The talk's table (Madry et al. 2018, Table 2): accuracy on natural examples, under PGD on the
    cross-entropy (``pgd_steps`` steps) and under PGD on the Carlini–Wagner margin
    max_{j≠y} Z_j − Z_y (``cw_steps`` steps), all within the ε-ball of ``norm``.

    Step size α = 2.5·ε/steps (Madry et al.); ``eot`` > 1 averages gradients over noise draws
    (Athalye et al. 2018) for randomized models.

    Every draw of example i comes from its own generators (:func:`example_generators`, seed + index,
    ``indices`` defaulting to the positions 0…N−1): its random starts from START_STREAM, a randomized
    model's attack noise from ATTACK_STREAM (both fresh for each attack) and its scoring noise from
    SCORE_STREAM (fresh for each column, so the three columns are scored with the same draws). A row
    therefore depends only on (seed, index): any ``batch_size``, any split of the images (pass
    ``indices`` with a subset of x to recompute those rows alone) gives the same rows. A randomized
    model (with noise layers, e.g. a zoo ``*-gaussian-*`` model) is scored by the majority vote of
    ``votes`` forward passes (:func:`vote_counts`, :func:`vote_predictions`: a tie abstains and counts
    as wrong); its own noise layers' generators are never used. ``votes`` = 1 scores one noisy draw.
    A deterministic model ignores ``votes``.
    Returns {"natural", "pgd", "cw"}, the settings used (eps, norm, steps, step sizes, eot, votes,
    seed, examples) and ``rows``: one row per example, {index, label, natural_predict, pgd_predict,
    cw_predict} (the class F gives x and the two attacks' x'; for a randomized model also
    {natural,pgd,cw}_label_votes, how many of the votes named the label), so that a page can say
    which examples an attack broke without rerunning it; the totals are :func:`table_from_rows`.
    ``progress(done, total)`` reports progress over the two attacks' batches.
    """
    _check_dataset(x, y)
    if norm not in attacks.NORMS:
        raise ValueError(f"Unknown norm {norm!r}: choose one of {', '.join(attacks.NORMS)}.")
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not eps > 0 or not math.isfinite(eps):
        raise ValueError(f"eps must be a positive budget, got {eps!r}.")
    pgd_steps = checks.positive_int(pgd_steps, "pgd_steps")
    cw_steps = checks.positive_int(cw_steps, "cw_steps")
    eot = checks.positive_int(eot, "eot")
    votes = checks.positive_int(votes, "votes")
    batch_size = checks.positive_int(batch_size, "batch_size")
    device = resolve_device(device)
    indices = list(range(len(x))) if indices is None else [int(i) for i in indices]
    if len(indices) != len(x):
        raise ValueError(
            f"indices must give one dataset index per input, got {len(indices)} for {len(x)} inputs."
        )
    randomized = is_randomized(model)
    total, done = 2 * math.ceil(len(x) / batch_size), 0

    def advance():
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    def scored(inputs: torch.Tensor) -> torch.Tensor:
        return vote_counts(
            model,
            inputs,
            votes=votes,
            batch_size=batch_size,
            device=device,
            generator=example_generators(seed, SCORE_STREAM, indices, device),
        )

    def attacked(loss: str, steps: int) -> torch.Tensor:
        step = 2.5 * float(eps) / steps
        adversarial = []
        for part in _batches(len(x), batch_size):
            batch_indices = indices[part]
            attacked_model = noise_drawn_from(
                model, example_generators(seed, ATTACK_STREAM, batch_indices, device)
            )
            adversarial.append(
                attacks.pgd(
                    attacked_model,
                    x[part].to(device),
                    y[part].to(device),
                    eps=float(eps),
                    step=step,
                    steps=steps,
                    norm=norm,
                    loss=loss,
                    eot=eot,
                    generator=example_generators(seed, START_STREAM, batch_indices, device),
                ).cpu()
            )
            advance()
        return torch.cat(adversarial)

    counts = {
        "natural": scored(x),
        "pgd": scored(attacked("ce", pgd_steps)),
        "cw": scored(attacked("cw", cw_steps)),
    }
    predicted = {column: vote_predictions(table).tolist() for column, table in counts.items()}
    rows = []
    for position, (index, label) in enumerate(zip(indices, y.tolist())):
        row = {
            "index": index,
            "label": label,
            **{f"{c}_predict": predicted[c][position] for c in TABLE_COLUMNS},
        }
        if randomized:
            row.update({f"{c}_label_votes": int(counts[c][position, label]) for c in TABLE_COLUMNS})
        rows.append(row)
    return {
        **table_from_rows(rows),
        "eps": float(eps),
        "norm": norm,
        "pgd_steps": pgd_steps,
        "cw_steps": cw_steps,
        "pgd_step": 2.5 * float(eps) / pgd_steps,
        "cw_step": 2.5 * float(eps) / cw_steps,
        "eot": eot,
        "seed": seed,
        "examples": len(x),
        "rows": rows,
        "streams": {
            "start": START_STREAM,
            **({"attack": ATTACK_STREAM, "score": SCORE_STREAM} if randomized else {}),
        },
        "draws": DRAW_RULE,  # every stream seeded with seed + index (example_generators)
        **({"votes": votes} if randomized else {}),
    }


# --------------------------------------------------------------------------- certified accuracy


def certify_example(
    model: nn.Module,
    x: torch.Tensor,
    label: int,
    *,
    index: int,
    noise,
    n0: int = 100,
    n: int = 10000,
    alpha: float = 0.001,
    batch_size: int = 1000,
    seed: int = 0,
    device="cpu",
) -> dict:
    """Cohen et al.'s CERTIFY on one input, with the generator ``make_generator(seed + index)``.

    Returns the row {index, label, predict, radius, correct, seconds} of Cohen et al.'s certify
    log; ``predict`` is ABSTAIN (−1) with radius 0 when CERTIFY abstains, and then correct = 0.
    """
    started = time.perf_counter()
    generator = make_generator(int(seed) + int(index), resolve_device(device))
    predicted, radius = smoothing.certify(
        model, x, noise=noise, n0=n0, n=n, alpha=alpha, batch_size=batch_size, generator=generator
    )
    return {
        "index": int(index),
        "label": int(label),
        "predict": int(predicted),
        "radius": float(radius),
        "correct": int(predicted == int(label) and predicted != smoothing.ABSTAIN),
        "seconds": time.perf_counter() - started,
    }


def certify_dataset(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    noise,
    n0: int = 100,
    n: int = 10000,
    alpha: float = 0.001,
    batch_size: int = 1000,
    seed: int = 0,
    device="cpu",
    progress=None,
    indices=None,
) -> list[dict]:
    """CERTIFY (Cohen et al. 2019, Algorithm 1) on every input: one row per example (see
    :func:`certify_example`).

    Example i uses its own generator seeded with seed + indices[i] (indices default to 0…N−1, the
    positions in x), so rows do not depend on the order or on the other examples: pass
    ``indices=[k]`` with x[k:k+1] to recompute row k alone. Each row holds with probability
    ≥ 1 − α: if predict ≠ ABSTAIN, the smoothed classifier predicts it on the whole ball of
    ``radius`` in ``noise.certified_norm``. ``progress(done, total)`` reports progress.
    """
    _check_dataset(x, y)
    indices = list(range(len(x))) if indices is None else [int(i) for i in indices]
    if len(indices) != len(x):
        raise ValueError(
            f"indices must give one dataset index per input, got {len(indices)} for {len(x)} inputs."
        )
    rows = []
    for position, (index, label) in enumerate(zip(indices, y.tolist())):
        rows.append(
            certify_example(
                model,
                x[position],
                label,
                index=index,
                noise=noise,
                n0=n0,
                n=n,
                alpha=alpha,
                batch_size=batch_size,
                seed=seed,
                device=device,
            )
        )
        if progress is not None:
            progress(position + 1, len(x))
    return rows


def certified_accuracy(rows: list[dict], radius: float) -> float:
    """Certified accuracy at r (Cohen et al. 2019, §4): the fraction of examples whose smoothed
    prediction is correct AND certified with radius ≥ r; abstentions count as wrong.

    (1/m) Σᵢ 1{predictᵢ = yᵢ ≠ ABSTAIN and radiusᵢ ≥ r}, from :func:`certify_dataset` rows.
    """
    radius = _check_radius(radius)
    if not rows:
        raise ValueError("certified_accuracy needs at least one row from certify_dataset.")
    hits = sum(
        1
        for row in rows
        if row["correct"] and row["predict"] != smoothing.ABSTAIN and row["radius"] >= radius
    )
    return hits / len(rows)


def certified_accuracy_curve(rows: list[dict], radii: list[float]) -> list[float]:
    """:func:`certified_accuracy` at each radius (a non-increasing curve in r)."""
    return [certified_accuracy(rows, r) for r in radii]


def smoothed_accuracy(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    noise,
    n: int,
    alpha: float,
    batch_size: int,
    seed: int = 0,
    device="cpu",
    indices=None,
) -> float:
    """Clean accuracy of the smoothed classifier: PREDICT (Cohen et al. 2019) on each input, with
    the generator ``make_generator(seed + index)``; abstentions count as wrong."""
    _check_dataset(x, y)
    device = resolve_device(device)
    indices = list(range(len(x))) if indices is None else [int(i) for i in indices]
    correct = 0
    for position, (index, label) in enumerate(zip(indices, y.tolist())):
        predicted = smoothing.predict(
            model,
            x[position],
            noise=noise,
            n=n,
            alpha=alpha,
            batch_size=batch_size,
            generator=make_generator(int(seed) + index, device),
        )
        correct += int(predicted == label)
    return correct / len(x)


def smoothed_vote_accuracy(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    noise,
    n: int,
    batch_size: int = 1000,
    seed: int = 0,
    device="cpu",
) -> float:
    """Accuracy of the smoothed classifier F_rob(x) = argmax_c P_ε(F(x + ε) = c), estimated by the
    majority vote of n noisy copies per input (no abstention), all inputs batched together with
    draws from ``make_generator(seed, device)``."""
    _check_dataset(x, y)
    counts = smoothing.sample_counts_many(
        model,
        x.to(resolve_device(device)),
        noise=noise,
        num=n,
        batch_size=batch_size,
        generator=make_generator(seed, device),
    )
    return int((counts.argmax(dim=1) == y.cpu()).sum()) / len(x)


def tradeoff(
    model_fn,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    noise_name: str,
    scales: list[float],
    radius: float,
    n0: int = 100,
    n: int = 1000,
    alpha: float = 0.001,
    batch_size: int = 1000,
    seed: int = 0,
    device="cpu",
    progress=None,
) -> list[dict]:
    """The robustness–accuracy trade-off: for each noise scale, the smoothed classifier's clean
    accuracy (PREDICT) and its certified accuracy at ``radius`` (CERTIFY).

    Larger noise certifies larger radii (R = σΦ⁻¹(p_A) for Gaussian noise, Cohen et al. 2019) but
    smooths the classifier more (F_rob averages F over a wider neighbourhood of each input: the
    smoothed classifier is what is blurred, not the data), so clean accuracy drops. ``model_fn(scale)``
    returns the base model for that scale (a model trained with that noise, or one fixed model). One row per
    scale: {noise, scale, std, clean_accuracy, certified_accuracy, certified_accuracy_at_0, abstain_rate,
    radius}.
    """
    _check_dataset(x, y)
    radius = _check_radius(radius)
    if not isinstance(scales, (list, tuple)) or not scales:
        raise ValueError("scales must be a non-empty list of noise scales.")
    out = []
    for k, scale in enumerate(scales):
        noise = make_noise(noise_name, scale)
        model = model_fn(scale)
        rows = certify_dataset(
            model, x, y, noise=noise, n0=n0, n=n, alpha=alpha, batch_size=batch_size, seed=seed, device=device
        )
        out.append(
            {
                "noise": noise_name,
                "scale": float(scale),
                "std": noise.std,
                "radius": radius,
                "clean_accuracy": smoothed_accuracy(
                    model,
                    x,
                    y,
                    noise=noise,
                    n=n,
                    alpha=alpha,
                    batch_size=batch_size,
                    seed=seed,
                    device=device,
                ),
                "certified_accuracy": certified_accuracy(rows, radius),
                "certified_accuracy_at_0": certified_accuracy(rows, 0.0),
                "abstain_rate": sum(row["predict"] == smoothing.ABSTAIN for row in rows) / len(rows),
            }
        )
        if progress is not None:
            progress(k + 1, len(scales))
    return out


def empirical_vs_certified(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    noise,
    eps_list: list[float],
    n0: int = 100,
    n: int = 1000,
    alpha: float = 0.001,
    eot: int = 8,
    steps: int = 20,
    seed: int = 0,
    device="cpu",
    batch_size: int = 1000,
) -> dict:
    """Upper and lower bounds on the smoothed classifier's ℓ2 robust accuracy at each ε.

    - empirical (upper bound): the accuracy of F_rob (majority vote of n noisy copies,
      :func:`smoothed_vote_accuracy`) on x' = EOT-PGD ℓ2 (``steps`` steps of 2.5·ε/steps, gradients
      averaged over ``eot`` noise draws, Athalye et al. 2018) against the noisy network
      x ↦ F(x + ε), the attack that best targets the smoothed classifier;
    - certified (lower bound): certified accuracy at radius ε from CERTIFY (Cohen et al. 2019).
    Correct certificates imply certified ≤ robust ≤ empirical (up to the α failure probability
    and Monte Carlo error). ``noise`` must certify ℓ2 (Gaussian). Returns {eps, empirical,
    certified, rows, settings}.
    """
    _check_dataset(x, y)
    if getattr(noise, "certified_norm", None) != "l2":
        raise ValueError("empirical_vs_certified compares ℓ2 radii: use gaussian noise.")
    eps_list = _check_budgets(eps_list)
    steps = checks.positive_int(steps, "steps")
    device = resolve_device(device)
    rows = certify_dataset(
        model, x, y, noise=noise, n0=n0, n=n, alpha=alpha, batch_size=batch_size, seed=seed, device=device
    )
    # F̃_ε(x) = F(x + ε): the randomized network the attacker differentiates (fresh noise each pass),
    # its noise from the stream ATTACK_STREAM, never the draws (make_generator(seed)) that score it.
    noisy_model = nn.Sequential(StreamNoise(noise, stream_generator(seed, ATTACK_STREAM, device)), model)
    empirical = []
    for eps in eps_list:
        if eps == 0:
            x_attacked = x
        else:
            generator = make_generator(seed, device)
            x_attacked = torch.cat(
                [
                    attacks.pgd(
                        noisy_model,
                        x[part].to(device),
                        y[part].to(device),
                        eps=eps,
                        step=2.5 * eps / steps,
                        steps=steps,
                        norm="l2",
                        loss="ce",
                        eot=eot,
                        generator=generator,
                    ).cpu()
                    for part in _batches(len(x), 64)
                ]
            )
        empirical.append(
            smoothed_vote_accuracy(
                model, x_attacked, y, noise=noise, n=n, batch_size=batch_size, seed=seed, device=device
            )
        )
    return {
        "eps": eps_list,
        "empirical": empirical,
        "certified": certified_accuracy_curve(rows, eps_list),
        "rows": rows,
        "norm": "l2",
        "noise": noise.label,
        "n0": n0,
        "n": n,
        "alpha": alpha,
        "eot": eot,
        "steps": steps,
        "seed": seed,
        "examples": len(x),
    }
