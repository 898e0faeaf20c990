"""Scene 10 · The robustness–accuracy trade-off, and the best attacks against randomized defenses.

Three computations, each a plain function of widget values and the demo's seed:

- :func:`toy_tradeoff` — on the two moons, for each noise (Gaussian ℓ2, Laplace ℓ1, uniform ℓ1) and
  per-coordinate std, a toy network trained on x + ε, its smoothed classifier's clean accuracy
  (PREDICT) and certified accuracy at radius r (CERTIFY, Cohen et al. 2019);
- :func:`shipped_tradeoff` — the shipped trade-off tables of the zoo's models (assets/results,
  ``python -m core.experiments tradeoff``) beside Cohen et al.'s published CIFAR-10 numbers;
- :func:`toy_bounds` / :func:`image_bounds` — certified accuracy at ε (a lower bound on robust
  accuracy) against the accuracy of F_rob under EOT-PGD ℓ2 (Athalye et al. 2018; an upper bound),
  and the Carlini–Wagner ℓ2 distances of the base network F beside the certified radii α*.
  The toy defaults (seed 0, every σ) are shipped in assets/scenes/tradeoff.json by :func:`build`.

Every random draw comes from ``core.seeds.stream_generator(seed, name)``. Results hold NumPy arrays
and floats only; every outcome a caption states is a field computed here.
"""
from __future__ import annotations

import functools
import json
import math
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.stats
import torch
from torch import nn

from core import attacks, evaluation, noise as noises, results, smoothing, toys, zoo
from core.files import write_atomic
from core.models import NoiseInjection
from core.scenes import common
from core.seeds import check_seed, stream_generator, stream_seed

# ---------------------------------------------------------------------------- the scene's choices

NOISES = ("gaussian", "laplace", "uniform")
TOY_STDS = (0.05, 0.1, 0.25)                 # per-coordinate std, the same for every distribution
TOY_POINTS = 60                              # held-out moons points
TOY_N0, TOY_N, TOY_ALPHA = 20, 200, 0.001    # CERTIFY / PREDICT on the toy
RADIUS_MIN, RADIUS_MAX, RADIUS_DEFAULT, RADIUS_STEP = 0.0, 0.3, 0.1, 0.01
TOY_EPS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3)   # ℓ2 budgets of the bounds chart
TOY_EOT, TOY_STEPS = 8, 10                   # EOT-PGD: gradients averaged over EOT draws, steps
BOUNDS_STD_DEFAULT = 0.1
IMAGE_EPS = (0.0, 0.25, 0.5, 1.0)
IMAGE_N0, IMAGE_N, IMAGE_EOT, IMAGE_STEPS = 20, 100, 4, 10
CW_STEPS, CW_SEARCH = 100, 5                 # Carlini–Wagner ℓ2: Adam steps × binary-search rounds
LINF_BUDGETS = {"cifar10": 8 / 255, "mnist": 0.3, "fashion_mnist": 0.1}   # the usual ℓ∞ budgets
SHIPPED_RADIUS_DEFAULT = 0.5
BATCH = 20_000

SCENE_FILE = Path(__file__).resolve().parents[2] / "assets" / "scenes" / "tradeoff.json"
BUILD_COMMAND = "python -m core.scenes build --scene p10_tradeoff"

EXPLANATION = r"""
**More noise, larger certificates, lower accuracy.** With $\varepsilon\sim\mathcal N(0,\sigma^2 I)$ the certificate
$\alpha^* = \sigma\,\Phi^{-1}(\underline{p_A})$ grows with $\sigma$, but the base classifier sees noisier inputs, so
the smoothed classifier's clean accuracy drops. *Certified accuracy at radius $r$* is the share of test points
that $F_{\mathrm{rob}}$ classifies correctly **with** $\alpha^* \ge r$ — a lower bound on robust accuracy; the accuracy
under the strongest attack we run (EOT-PGD, Athalye et al. 2018) is an upper bound. CERTIFY with $n$ samples can
never return more than $\sigma\Phi^{-1}(\alpha^{1/n})$ (the *ceiling*, drawn on the charts). The talk then compares
the budgets attacks need (Carlini & Wagner 2017) with $\alpha^*$ — the captions below say what these runs show.
"""
USES = ("two moons (core.toys: 400 points, 30 % held out) with 2-64-64-2 networks trained on x + ε for each noise "
        "and std (shipped for seed 0); the zoo's noise-trained models on foolbox's gallery images (on demand); "
        "shipped trade-off tables (assets/results, python -m core.experiments tradeoff).")
TOY_NOTE = ("Gaussian radii are ℓ2; Laplace and uniform radii are ℓ1 (an ℓ1 ball of radius r sits inside the ℓ2 "
            "ball of radius r, so their certificates are weaker at the same r).")
BOUNDS_NOTE = ("The true robust accuracy of F_rob lies between the two curves (up to α and Monte Carlo error). "
               "C&W searches the smallest ℓ2 perturbation that flips the noise-free base network F — a different "
               "classifier from F_rob, whose radii are certified; the step size 2.5·ε/steps is a later heuristic.")


def toy_spec(noise: str, std: float, seed: int) -> toys.ToySpec:
    """The toy base network of the scene: ToySpec defaults, trained on x + ε with ε of ``noise`` at ``std``."""
    return toys.ToySpec(noise=(noise, float(std)), seed=seed)


SHIPPED_TOYS = [toy_spec(name, std, 0) for name in NOISES for std in TOY_STDS]


# ---------------------------------------------------------------------------- checks

def _check_noises(chosen) -> tuple[str, ...]:
    if isinstance(chosen, str):
        chosen = (chosen,)
    chosen = tuple(chosen)
    if not chosen:
        raise ValueError("Pick at least one noise distribution.")
    unknown = [name for name in chosen if name not in NOISES]
    if unknown or len(set(chosen)) != len(chosen):
        raise ValueError(f"Noises must be distinct names among {', '.join(NOISES)}; got {chosen!r}.")
    return chosen


def _check_std(std) -> float:
    if isinstance(std, bool) or not isinstance(std, (int, float)) or float(std) not in TOY_STDS:
        raise ValueError(f"The noise std must be one of {', '.join(f'{s:g}' for s in TOY_STDS)}; got {std!r}.")
    return float(std)


def _check_radius(radius) -> float:
    if isinstance(radius, bool) or not isinstance(radius, (int, float)) or not 0 <= radius < math.inf:
        raise ValueError(f"The radius r must be a finite number ≥ 0; got {radius!r}.")
    return float(radius)


# ---------------------------------------------------------------------------- PREDICT and CERTIFY, batched

def predict_many(counts: np.ndarray, alpha: float) -> np.ndarray:
    """Cohen et al.'s PREDICT on count rows: the top class c_A when the two-sided binomial test of
    n_A ~ Bin(n_A + n_B, ½) rejects at level α, else −1 (ABSTAIN). For p = ½ the test's p-value is
    min(1, 2·P(X ≤ min(n_A, n_B))) — scipy.stats.binomtest's, vectorised."""
    order = np.argsort(-counts, axis=1, kind="stable")
    n_a = np.take_along_axis(counts, order[:, :1], axis=1)[:, 0]
    n_b = np.take_along_axis(counts, order[:, 1:2], axis=1)[:, 0] if counts.shape[1] > 1 else 0 * n_a
    total = n_a + n_b
    p_value = np.minimum(1.0, 2 * scipy.stats.binom.cdf(np.minimum(n_a, n_b), np.maximum(total, 1), 0.5))
    p_value = np.where(total == 0, 1.0, p_value)
    return np.where(p_value > alpha, smoothing.ABSTAIN, order[:, 0])


def certify_many(selection: np.ndarray, estimation: np.ndarray, noise, alpha: float, dim: int):
    """Cohen et al.'s CERTIFY on count rows: guess c_A from the selection counts, p_A_lower =
    Beta⁻¹(α; n_A, n − n_A + 1) (Clopper–Pearson, 0 when n_A = 0) from the estimation counts, abstain
    (−1, radius 0) when p_A_lower < ½, else radius = certified_radius(noise, p_A_lower).
    Returns (prediction, radius, p_A_lower) arrays."""
    n = int(estimation.sum(axis=1)[0])
    guess = selection.argmax(axis=1)
    n_a = estimation[np.arange(len(guess)), guess]
    with np.errstate(invalid="ignore"):
        p_lower = np.where(n_a > 0, scipy.stats.beta.ppf(alpha, np.maximum(n_a, 1), n - n_a + 1), 0.0)
    certified = p_lower >= 0.5
    radius = np.where(certified, smoothing.certified_radius(noise, np.clip(p_lower, 0.5, 1.0), dim=dim), 0.0)
    return np.where(certified, guess, smoothing.ABSTAIN), np.asarray(radius, dtype=float), p_lower


def _counts(model, x, noise, num, generator) -> np.ndarray:
    return smoothing.sample_counts_many(model, x, noise=noise, num=num, batch_size=BATCH, chunk=BATCH,
                                        generator=generator).numpy()


# ---------------------------------------------------------------------------- live toy trade-off

@dataclass(frozen=True)
class TradeoffRow:
    noise: str
    std: float
    scale: float
    norm: str                       # "l2" (Gaussian) or "l1" (Laplace, uniform)
    clean_accuracy: float           # PREDICT correct (abstentions wrong)
    certified_accuracy: float       # at the chosen radius
    certified_accuracy_at_0: float
    abstain_rate: float             # CERTIFY abstentions
    ceiling: float                  # largest radius CERTIFY can return at (n, α)
    beyond_ceiling: bool            # r > ceiling: no point can be certified at r


@dataclass(frozen=True)
class NoiseFacts:
    noise: str
    most_accurate: tuple[float, ...]    # the std(s) with the best clean accuracy
    most_certified: tuple[float, ...]   # the std(s) with the best certified accuracy at r
    tradeoff: bool                      # no std is best at both: accuracy is paid for robustness


@dataclass(frozen=True)
class Tradeoff:
    radius: float
    noises: tuple[str, ...]
    rows: tuple[TradeoffRow, ...]
    facts: tuple[NoiseFacts, ...]
    points: int
    n0: int
    n: int
    alpha: float

    def of(self, noise: str) -> list[TradeoffRow]:
        return [row for row in self.rows if row.noise == noise]


@functools.lru_cache(maxsize=64)
def _toy_certificates(seed: int, noise_name: str, std: float, points: int, n0: int, n: int, alpha: float) -> dict:
    """PREDICT and CERTIFY of the smoothed toy network (trained with that noise) on held-out points."""
    spec = toy_spec(noise_name, std, seed)
    model = toys.model(spec)
    split = toys.split(spec)
    x, y = split.x_test[:points], split.y_test[:points].numpy()
    noise = noises.make(noise_name, noises.scale_for_std(noise_name, std))
    stream = f"toy {noise_name} {std:g}"
    with torch.inference_mode():
        certify_draws = stream_generator(seed, f"{stream} certify")
        selection = _counts(model, x, noise, n0, certify_draws)
        estimation = _counts(model, x, noise, n, certify_draws)
        votes = _counts(model, x, noise, n, stream_generator(seed, f"{stream} predict"))
    prediction, radius, _ = certify_many(selection, estimation, noise, alpha, dim=2)
    return {"labels": y, "predict": predict_many(votes, alpha), "certify": prediction, "radius": radius,
            "noise": noise}


def toy_tradeoff(*, seed: int = 0, noises_chosen: tuple[str, ...] = ("gaussian",),
                 radius: float = RADIUS_DEFAULT) -> Tradeoff:
    """Clean vs certified accuracy of the smoothed toy classifiers across noise stds.

    For each noise and std s in TOY_STDS, F is trained on x + ε (ε of per-coordinate std s) and
    F_rob(x) = argmax_c P(F(x + ε) = c). Clean accuracy: PREDICT (n, α); certified accuracy at r:
    (1/m) Σ 1{CERTIFY correct and α* ≥ r} (Cohen et al. 2019, §4), α* = σΦ⁻¹(p_A_lower) (ℓ2, Gaussian)
    or the ℓ1 radii of Teng et al. 2020 (Laplace) and Yang et al. 2020 (uniform). Changing r only
    changes which certificates count (the certificates are cached per seed, noise and std).
    """
    check_seed(seed)
    chosen = _check_noises(noises_chosen)
    radius = _check_radius(radius)
    rows, facts = [], []
    for name in chosen:
        part = []
        for std in TOY_STDS:
            c = _toy_certificates(seed, name, std, TOY_POINTS, TOY_N0, TOY_N, TOY_ALPHA)
            correct = (c["certify"] == c["labels"]) & (c["certify"] != smoothing.ABSTAIN)
            top = smoothing.certify_ceiling(c["noise"], TOY_ALPHA, TOY_N)
            part.append(TradeoffRow(
                noise=name, std=std, scale=c["noise"].scale, norm=c["noise"].certified_norm,
                clean_accuracy=float(np.mean(c["predict"] == c["labels"])),
                certified_accuracy=float(np.mean(correct & (c["radius"] >= radius))),
                certified_accuracy_at_0=float(np.mean(correct)),
                abstain_rate=float(np.mean(c["certify"] == smoothing.ABSTAIN)),
                ceiling=top, beyond_ceiling=radius > top))
        rows += part
        best_clean = max(row.clean_accuracy for row in part)
        best_certified = max(row.certified_accuracy for row in part)
        accurate = tuple(row.std for row in part if row.clean_accuracy == best_clean)
        certified = tuple(row.std for row in part if row.certified_accuracy == best_certified)
        facts.append(NoiseFacts(name, accurate, certified, tradeoff=not set(accurate) & set(certified)))
    return Tradeoff(radius, chosen, tuple(rows), tuple(facts), TOY_POINTS, TOY_N0, TOY_N, TOY_ALPHA)


# ---------------------------------------------------------------------------- shipped tables

@dataclass(frozen=True)
class ShippedRow:
    model: str
    noise: str
    norm: str
    n: int
    examples: int
    radii: tuple[float, ...]
    curve: tuple[float, ...]        # certified accuracy at each radius

    def at(self, radius: float) -> float | None:
        return self.curve[self.radii.index(radius)] if radius in self.radii else None


@dataclass(frozen=True)
class ShippedTable:
    dataset: str
    rows: tuple[ShippedRow, ...]
    radii: tuple[float, ...]         # every radius of the table
    default_radius: float
    command: str
    computed_on: str
    cohen: tuple[tuple[float, tuple[float, ...]], ...]   # (σ, curve at COHEN_RADII): published, CIFAR-10 only
    cohen_radii: tuple[float, ...]


def shipped_datasets() -> list[str]:
    """Datasets with a shipped trade-off table (assets/results/tradeoff_<dataset>.json)."""
    return common.ordered(results.available("tradeoff"), ["cifar10", "mnist"])


def shipped_tradeoff(*, dataset: str = "cifar10") -> ShippedTable:
    """The shipped trade-off table of ``dataset``: certified accuracy of each noise-trained zoo
    model at each radius (CERTIFY on the test set, ``python -m core.experiments tradeoff``), and for
    CIFAR-10 Cohen et al.'s published ResNet-110 curves (evaluation.COHEN_CIFAR10)."""
    if dataset not in shipped_datasets():
        raise ValueError(f"No shipped trade-off table for {dataset!r}: run python -m core.experiments tradeoff "
                         f"--dataset {dataset}, or pick one of {', '.join(shipped_datasets()) or 'none'}.")
    table = results.read("tradeoff", dataset)
    rows = tuple(ShippedRow(row["model"], row["noise"]["name"], row["norm"], int(row["n"]), int(row["examples"]),
                            tuple(map(float, row["radii"])), tuple(map(float, row["certified_accuracy"])))
                 for row in table["rows"])
    radii = tuple(sorted({r for row in rows for r in row.radii}))
    cohen = tuple((s, tuple(curve)) for s, curve in evaluation.COHEN_CIFAR10.items()) if dataset == "cifar10" else ()
    return ShippedTable(dataset, rows, radii, min(radii, key=lambda r: abs(r - SHIPPED_RADIUS_DEFAULT)),
                        table.get("command", ""), table.get("computed_on", ""), cohen,
                        tuple(evaluation.COHEN_RADII))


# ---------------------------------------------------------------------------- bounds: certified vs attacked

@dataclass(frozen=True)
class Bounds:
    title: str
    noise: str                      # label of the Gaussian noise, e.g. "Gaussian σ=0.1"
    sigma: float
    eps: np.ndarray                 # ℓ2 budgets
    empirical: np.ndarray           # vote accuracy of F_rob on EOT-PGD points (upper bound)
    certified: np.ndarray           # certified accuracy at radius ε (lower bound)
    radii: np.ndarray               # α* of the correctly certified points
    cw: np.ndarray                  # C&W ℓ2 distances on F (points F gets right and C&W flips)
    ceiling: float
    examples: int
    n0: int
    n: int
    alpha: float
    eot: int
    steps: int
    linf: float | None = None       # the dataset's usual ℓ∞ budget (images)
    linf_l2: float | None = None    # its ℓ2 size linf·√d
    shipped: bool = False           # read from assets/scenes/tradeoff.json
    facts: dict = field(default_factory=dict)


def _facts(b: Bounds) -> dict:
    """The outcomes the captions state, computed from the numbers."""
    above = [float(e) for e, c, m in zip(b.eps, b.certified, b.empirical) if c > m]
    radii, cw = np.asarray(b.radii), np.asarray(b.cw)
    return {
        "median_radius": float(np.median(radii)) if radii.size else None,
        "median_cw": float(np.median(cw)) if cw.size else None,
        "ordered": not above,                 # certified ≤ empirical at every ε
        "certified_above_empirical_at": above,
        "at_ceiling": int(np.sum(radii >= b.ceiling - 1e-9)),
        "cw_beyond_median_radius": (None if not (radii.size and cw.size) else float(np.median(cw)) > float(np.median(radii))),
        "linf_beyond_all": None if b.linf_l2 is None or not radii.size else bool(b.linf_l2 > radii.max()),
        "largest_radius": float(radii.max()) if radii.size else None,
    }


def _bounds(model, x, y, *, noise, eps_list, n0, n, alpha, eot, steps, seed, stream, title,
            linf=None, parts=("certify", "attack", "cw")) -> dict:
    """The raw pieces of :class:`Bounds` (dict), each named part computed only when asked."""
    out = {}
    dim = int(x[0].numel())
    if "certify" in parts:
        with torch.inference_mode():
            draws = stream_generator(seed, f"{stream} certify")
            selection, estimation = _counts(model, x, noise, n0, draws), _counts(model, x, noise, n, draws)
        prediction, radius, _ = certify_many(selection, estimation, noise, alpha, dim=dim)
        correct = (prediction == y.numpy()) & (prediction != smoothing.ABSTAIN)
        out["certified"] = [float(np.mean(correct & (radius >= eps))) for eps in eps_list]
        out["radii"] = radius[correct]
    if "attack" in parts:
        out["empirical"] = [_attacked_vote_accuracy(model, x, y, noise=noise, eps=eps, n=n, eot=eot, steps=steps,
                                                    seed=seed, stream=stream) for eps in eps_list]
    if "cw" in parts:
        out["cw"] = cw_distances(model, x, y)
    return out


def _attacked_vote_accuracy(model, x, y, *, noise, eps, n, eot, steps, seed, stream) -> float:
    """Accuracy of F_rob (majority vote of n draws, the same draws at every ε) on x' = EOT-PGD ℓ2 at ε
    against x ↦ F(x + ε): ``steps`` steps of 2.5·ε/steps, gradients averaged over ``eot`` draws."""
    if eps > 0:
        noisy = nn.Sequential(NoiseInjection(noise, seed=stream_seed(seed, f"{stream} eot noise {eps:g}")), model)
        start = stream_generator(seed, f"{stream} attack start {eps:g}")
        x = torch.cat([attacks.pgd(noisy, x[k:k + 64], y[k:k + 64], eps=eps, step=2.5 * eps / steps, steps=steps,
                                   norm="l2", loss="ce", eot=eot, generator=start) for k in range(0, len(x), 64)])
    with torch.inference_mode():
        votes = _counts(model, x, noise, n, stream_generator(seed, f"{stream} vote"))
    return float(np.mean(votes.argmax(axis=1) == y.numpy()))


def cw_distances(model, x, y) -> np.ndarray:
    """‖x_cw − x‖₂ of Carlini–Wagner ℓ2 on the base network F, for the inputs F gets right and C&W flips."""
    x_cw = attacks.carlini_wagner_l2(model, x, y, steps=CW_STEPS, binary_search_steps=CW_SEARCH)
    with torch.inference_mode():
        keep = (model(x).argmax(1) == y) & (model(x_cw).argmax(1) != y)
    return (x_cw - x).flatten(1).norm(dim=1)[keep].numpy().astype(float)


def _assemble(parts: dict, *, noise, eps_list, n0, n, alpha, eot, steps, examples, title, linf=None,
              linf_l2=None, shipped=False) -> Bounds:
    b = Bounds(title=title, noise=noise.label, sigma=float(noise.scale), eps=np.asarray(eps_list, dtype=float),
               empirical=np.asarray(parts["empirical"], dtype=float), certified=np.asarray(parts["certified"], dtype=float),
               radii=np.asarray(parts["radii"], dtype=float), cw=np.asarray(parts["cw"], dtype=float),
               ceiling=smoothing.certify_ceiling(noise, alpha, n), examples=examples, n0=n0, n=n, alpha=alpha, eot=eot,
               steps=steps, linf=linf, linf_l2=linf_l2, shipped=shipped)
    return dataclasses.replace(b, facts=_facts(b))


def _toy_settings(std: float) -> dict:
    return {"points": TOY_POINTS, "n0": TOY_N0, "n": TOY_N, "alpha": TOY_ALPHA, "eps": list(TOY_EPS),
            "eot": TOY_EOT, "steps": TOY_STEPS, "cw": [CW_STEPS, CW_SEARCH], "std": std}


def _toy_bounds_parts(seed: int, std: float, points: int = TOY_POINTS, eps_list=TOY_EPS, n0=TOY_N0, n=TOY_N,
                      eot=TOY_EOT, steps=TOY_STEPS) -> dict:
    spec = toy_spec("gaussian", std, seed)
    split = toys.split(spec)
    noise = noises.make("gaussian", std)
    return _bounds(toys.model(spec), split.x_test[:points], split.y_test[:points], noise=noise, eps_list=eps_list,
                   n0=n0, n=n, alpha=TOY_ALPHA, eot=eot, steps=steps, seed=seed, stream=f"toy bounds {std:g}",
                   title="")


@functools.lru_cache(maxsize=4)
def _scene_file(stamp) -> dict:
    try:
        return json.loads(SCENE_FILE.read_text())
    except (OSError, ValueError):
        return {}


def _shipped_toy_parts(seed: int, std: float) -> dict | None:
    """The shipped pieces for (seed, std) when their settings and toy weights match today's, else None."""
    try:
        stamp = SCENE_FILE.stat().st_mtime_ns
    except OSError:
        return None
    record = _scene_file(stamp).get("toy_bounds", {}).get(f"{seed}/{std:g}")
    spec = toy_spec("gaussian", std, seed)
    toy = toys.read_manifest()["toys"].get(spec.key(), {})
    if (not record or record.get("settings") != _toy_settings(std) or record.get("toy") != spec.key()
            or record.get("toy_sha256") != toy.get("sha256")):
        return None
    return record["parts"]


def toy_bounds(*, seed: int = 0, std: float = BOUNDS_STD_DEFAULT) -> Bounds:
    """Lower and upper bounds on the ℓ2 robust accuracy of the smoothed toy classifier (Gaussian σ = std).

    certified(ε) = (1/m) Σ 1{CERTIFY correct, α* ≥ ε} (Cohen et al. 2019) ≤ robust accuracy ≤
    empirical(ε) = accuracy of the n-draw vote on EOT-PGD ℓ2 points (Athalye et al. 2018), plus the
    C&W ℓ2 distances (Carlini & Wagner 2017) of the base network F. Seed 0 is read from
    assets/scenes/tradeoff.json when its settings and toy weights match (:func:`build`).
    """
    check_seed(seed)
    std = _check_std(std)
    parts = _shipped_toy_parts(seed, std)
    shipped = parts is not None
    if parts is None:
        parts = _toy_bounds_parts(seed, std)
    return _assemble(parts, noise=noises.make("gaussian", std), eps_list=TOY_EPS, n0=TOY_N0, n=TOY_N,
                     alpha=TOY_ALPHA, eot=TOY_EOT, steps=TOY_STEPS, examples=TOY_POINTS, shipped=shipped,
                     title=f"F_rob with σ = {std:g}: {TOY_POINTS} held-out points")


# ---------------------------------------------------------------------------- bounds on images (behind a button)

def image_parts() -> tuple[str, ...]:
    """The parts of :func:`image_bounds`, in order, so a page can show progress: CERTIFY, the vote on
    EOT-PGD points at each ε, Carlini–Wagner ℓ2."""
    return ("certify",) + tuple(f"attack ε={eps:g}" for eps in IMAGE_EPS) + ("cw",)


def part_label(part: str) -> str:
    return {"certify": "CERTIFY", "cw": "Carlini–Wagner ℓ2"}.get(part, part.replace("attack", "EOT-PGD ℓ2 at"))


def image_models() -> list[str]:
    """Zoo models trained with Gaussian noise at the input (ℓ2 certificates, comparable with ℓ2 attacks)."""
    names = [name for name in common.noisy_input_models() if zoo.noise_record(name)["name"] == "gaussian"]
    return common.ordered(names, ["cifar10-gaussian-0.25", "mnist-gaussian-0.25"])


def _check_image_model(model_name: str) -> str:
    if model_name not in image_models():
        raise ValueError(f"{model_name!r} is not a zoo model trained with Gaussian noise at the input; "
                         f"pick one of {', '.join(image_models()) or '(none built yet)'}.")
    return model_name


@functools.lru_cache(maxsize=32)
def _image_part(model_name: str, seed: int, part: str) -> dict:
    noise, _ = common.zoo_noise(model_name)
    x, y = common.gallery(common.dataset_of(model_name))
    model, stream = zoo.shared_base(model_name), f"image bounds {model_name}"
    if part.startswith("attack ε="):
        return {"empirical": [_attacked_vote_accuracy(model, x, y, noise=noise, eps=float(part.split("=")[1]),
                                                      n=IMAGE_N, eot=IMAGE_EOT, steps=IMAGE_STEPS, seed=seed,
                                                      stream=stream)]}
    return _bounds(model, x, y, noise=noise, eps_list=IMAGE_EPS, n0=IMAGE_N0, n=IMAGE_N, alpha=TOY_ALPHA,
                   eot=IMAGE_EOT, steps=IMAGE_STEPS, seed=seed, stream=stream, title="", parts=(part,))


def image_part(*, model_name: str, seed: int = 0, part: str = "certify") -> dict:
    """One part of :func:`image_bounds` (``part`` in :func:`image_parts`), so a page can show progress."""
    check_seed(seed)
    _check_image_model(model_name)
    if part not in image_parts():
        raise ValueError(f"part must be one of {', '.join(image_parts())}; got {part!r}.")
    return _image_part(model_name, seed, part)


def image_bounds(*, model_name: str = "cifar10-gaussian-0.25", seed: int = 0) -> Bounds:
    """:func:`toy_bounds` for a zoo model trained with Gaussian noise, on its 20 gallery images
    (CERTIFY n = IMAGE_N, EOT-PGD ℓ2, C&W ℓ2), with the ℓ2 size linf·√d of the dataset's usual ℓ∞
    budget (an ℓ∞ ball of radius linf contains points at ℓ2 distance linf·√d)."""
    check_seed(seed)
    _check_image_model(model_name)
    parts = {"empirical": []}
    for part in image_parts():      # the vote accuracies at each ε come in the order of IMAGE_EPS
        for key, value in _image_part(model_name, seed, part).items():
            parts[key] = parts[key] + value if key == "empirical" else value
    dataset = common.dataset_of(model_name)
    noise, _ = common.zoo_noise(model_name)
    dim = int(common.gallery(dataset)[0][0].numel())
    linf = LINF_BUDGETS.get(dataset)
    return _assemble(parts, noise=noise, eps_list=IMAGE_EPS, n0=IMAGE_N0, n=IMAGE_N, alpha=TOY_ALPHA, eot=IMAGE_EOT,
                     steps=IMAGE_STEPS, examples=len(common.gallery(dataset)[1]), linf=linf,
                     linf_l2=None if linf is None else linf * math.sqrt(dim),
                     title=f"{model_name}: {len(common.gallery(dataset)[1])} gallery images")


# ---------------------------------------------------------------------------- shipping

def _jsonable(parts: dict) -> dict:
    return {key: np.asarray(value, dtype=float).tolist() for key, value in parts.items()}


def build(path: Path = SCENE_FILE) -> Path:
    """Compute the toy bounds of seed 0 at every σ (the scene's opening values) and write them, with
    their settings and the sha256 of the toy weights they used, into assets/scenes/tradeoff.json."""
    content = {"command": BUILD_COMMAND, "toy_bounds": {}}
    for std in TOY_STDS:
        spec = toy_spec("gaussian", std, 0)
        if toys.shipped(spec) is None:      # the record names the shipped weights it was computed with
            toys.ship(spec)
        content["toy_bounds"][f"0/{std:g}"] = {
            "settings": _toy_settings(std), "toy": spec.key(),
            "toy_sha256": toys.read_manifest()["toys"].get(spec.key(), {}).get("sha256"),
            "parts": _jsonable(_toy_bounds_parts(0, std))}
    path = Path(path)
    write_atomic(path, json.dumps(content, indent=1, sort_keys=True) + "\n")
    return path


# ---------------------------------------------------------------------------- captions (functions of the results)

def _stds(values) -> str:
    return " and ".join(f"{v:g}" for v in values)


def tradeoff_caption(result: Tradeoff) -> str:
    """What the live trade-off shows at r, per noise, and which stds cannot reach r at all (ceiling)."""
    lines = []
    for facts in result.facts:
        verdict = ("no std is best at both: robustness is paid in accuracy" if facts.tradeoff else
                   "one std is best at both here: no trade-off shows at this radius")
        lines.append(f"{facts.noise}: most accurate at std {_stds(facts.most_accurate)}, most certified at "
                     f"r = {result.radius:.2f} at std {_stds(facts.most_certified)} — {verdict}.")
    capped = [row for row in result.rows if row.beyond_ceiling]
    if capped:
        lines.append("Beyond the ceiling (no point can be certified at this r with n = "
                     f"{result.n}, α = {result.alpha:g}): " + ", ".join(
                         f"{row.noise} std {row.std:g} (ceiling {row.ceiling:.3f})" for row in capped) + ".")
    return " ".join(lines)


def ceilings_caption(result: Tradeoff) -> str:
    """CERTIFY's ceiling certified_radius(noise, α^{1/n}) of every row, in its norm."""
    return (f"With n = {result.n} and α = {result.alpha:g} no certificate can exceed the ceiling: "
            + ", ".join(f"{row.ceiling:.3f} ({row.norm}) for {row.noise} std {row.std:g}" for row in result.rows) + ".")


def bounds_caption(result: Bounds) -> str:
    """The outcomes of a bounds run, each sentence chosen by a computed fact."""
    f = result.facts
    lines = []
    if f["ordered"]:
        lines.append("Certified ≤ empirical at every ε, as the bounds require.")
    else:
        lines.append("Certified exceeds empirical at ε = " + ", ".join(f"{e:g}" for e in f["certified_above_empirical_at"])
                     + ": impossible for exact values, so Monte Carlo error of the vote or a failure of probability ≤ α.")
    if f["median_radius"] is None:
        lines.append("CERTIFY certified no point correctly.")
    elif f["at_ceiling"]:
        lines.append(f"{f['at_ceiling']} of {len(result.radii)} certified radii sit at the ceiling {result.ceiling:.3f} "
                     f"(n = {result.n}): there n, not p_A, limits α*.")
    else:
        lines.append(f"No certified radius reaches the ceiling {result.ceiling:.3f} (n = {result.n}): p_A limits α*.")
    if f["cw_beyond_median_radius"] is not None:
        relation = "exceeds" if f["cw_beyond_median_radius"] else "does not exceed"
        lines.append(f"The median C&W distance on F ({f['median_cw']:.3f}) {relation} the median α* "
                     f"({f['median_radius']:.3f}); F and F_rob are different classifiers.")
    if f["linf_beyond_all"] is not None:
        where = "beyond every" if f["linf_beyond_all"] else "within reach of the largest"
        lines.append(f"Dashed line: an ℓ∞ perturbation of {result.linf:.3g} per pixel (the usual budget) has ℓ2 norm up "
                     f"to {result.linf_l2:.2f}, {where} certified radius here (largest {f['largest_radius']:.3f}).")
    return " ".join(lines)
