"""9 · The certificate α*: CERTIFY on a 2-D point and on an image, the radius formulas and their
ceiling, noise in a hidden layer, and the shipped certified-accuracy curves.

Cohen et al. 2019 (Theorem 1, Algorithm 1 CERTIFY); Li et al. 2019 (Rényi) and Lecuyer et al. 2019
(PixelDP) for looser Gaussian radii; Teng et al. 2020 (Laplace ℓ1) and Yang et al. 2020 (uniform ℓ1);
Pinot et al. 2019 for noise after a hidden layer pulled back by a Lipschitz bound.
Plain core code (no Streamlit); results hold NumPy arrays, floats and strings only.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from core import data, evaluation, files, geometry, inference, lipschitz, noise as noises, results, smoothing, toys, zoo
from core.device import make_generator
from core.scenes import common
from core.seeds import check_seed, stream_generator, stream_seed

# ---------------------------------------------------------------------------- the scene's choices
TOY_SIGMAS = (0.05, 0.1, 0.15, 0.2, 0.3)
N0_CHOICES = (10, 50, 100, 500)
N_CHOICES = (100, 200, 500, 1000, 2000, 5000, 10_000, 100_000)
ALPHA_CHOICES = (0.1, 0.05, 0.01, 0.001, 0.0001)
STD_CHOICES = (0.05, 0.12, 0.25, 0.5, 1.0)
IMAGE_N_CHOICES = (100, 200, 500, 1000, 2000, 10_000)
DEFAULT_MODEL = "cifar10-gaussian-0.25"
DEFAULTS = dict(x1=0.25, x2=0.70, sigma=0.1, n0=100, n=1000, alpha=0.001, std=0.25, image_n=200, index=0)
LARGE_N = 100_000                  # the "Certify with n = 100 000" button of the 2-D scene
BALL_POINTS, BALL_VOTES = 40, 1000  # PREDICT at random points of the certified disc
REGION_DRAWS, REGION_RESOLUTION = 100, 50
TOY_BATCH, IMAGE_BATCH = 10_000, 100    # CERTIFY's counts do not depend on the batch size
CIFAR_DIM = 3 * 32 * 32
LINF_BUDGET = 8 / 255
P_A_GRID = np.linspace(0.5, 0.99999, 400)
SCENE_FILE = Path(__file__).resolve().parents[2] / "assets" / "scenes" / "certificate.json"
BUILD_COMMAND = "python -m core.scenes build --scene p09_certificate"
NORM_LABELS = {"l2": "ℓ2", "l1": "ℓ1", "linf": "ℓ∞"}


def toy_spec(sigma: float, seed: int) -> toys.ToySpec:
    """The 2-D toy base classifier F: two moons, a 2-64-64-2 ReLU network trained on x + ε, ε ~ N(0, σ²I)
    (noise-augmented ERM, as Cohen et al. train their base classifiers)."""
    return toys.ToySpec(noise=("gaussian", float(sigma)), seed=int(seed))


SHIPPED_TOYS = [toy_spec(sigma, 0) for sigma in TOY_SIGMAS]

# ---------------------------------------------------------------------------- texts (data)
# Lecture mode (core.scenes.lecture): what the page reveals at each step, in order.
STEPS = (
    'Question: how far can x move without changing F_rob?',
    'CERTIFY a point: α* and its ball',
    'The radius against p_A, and its ceiling',
    'CERTIFY an image',
    'Noise in a hidden layer',
    'Certified accuracy on the test set',
)

EXPLANATION = r"""
**Cohen et al. 2019, Theorem 1.** If $p_A = \mathbb P_\varepsilon\big(F(x + \varepsilon) = c_A\big) > \tfrac12$ with
$\varepsilon \sim \mathcal N(0, \sigma^2 I)$, the smoothed classifier $F_{\mathrm{rob}}$ answers $c_A$ on the whole ball
$\|\tau\|_2 < \alpha^* = \sigma\,\Phi^{-1}(p_A)$. CERTIFY estimates a lower confidence bound $\underline{p_A}$ from
$n$ draws (after $n_0$ draws to guess $c_A$); with probability $\ge 1 - \alpha$ the radius
$\sigma\Phi^{-1}(\underline{p_A})$ is valid. Even when all $n$ votes agree, $\underline{p_A} = \alpha^{1/n}$, so
$\alpha^* \le \min\big(\sigma\Phi^{-1}(p_A),\ \sigma\,\Phi^{-1}(\alpha^{1/n})\big)$: **the certificate is capped by the
number of samples and by $p_A$**, which falls as σ grows. Other noises and proofs give other radii (Laplace → $\ell_1$,
uniform → $\ell_1$; Li et al. and PixelDP are looser for the same Gaussian noise). What is certified is the **hard**
$F_{\mathrm{rob}}$, the majority vote of $F$ over the noise: the votes are a binomial count, which is what
Clopper–Pearson bounds; the soft $F_{\mathrm{rob}}$ (the mean softmax) has no such interval here and is not certified.
"""
USES = ("a 2-D toy network trained on x + ε (two moons, core.toys); zoo models (default cifar10-gaussian-0.25) on "
        "foolbox's gallery; the radius formulas of core.smoothing; core.lipschitz for noise in a hidden layer; "
        "shipped certify results (assets/results) beside Cohen et al.'s published table.")
HIDDEN_LAYERS_TEXT = (
    r"Noise added after layer $i$ certifies a ball of radius $R$ around $z = \phi^{(i)}\circ\dots\circ\phi^{(1)}(x)$ "
    r"in the layer's space. Every $x'$ with $\|x' - x\|_2 < R / L_i$, where $L_i$ bounds the Lipschitz constant of "
    r"$\phi^{(i)}\circ\dots\circ\phi^{(1)}$ (product of the layers' operator norms, core.lipschitz), lands inside "
    r"that ball — so the input-space certificate is $R / L_i$, and $L_i$ grows with depth.")
HELP = {
    "radius": "σ Φ⁻¹(p_A lower bound): core.smoothing.certify_details.",
    "p_a": "The Clopper–Pearson lower bound Beta⁻¹(α; n_A, n − n_A + 1) that CERTIFY used (n_A votes of n).",
    "ceiling": "The largest radius CERTIFY can return with these n and α (all n votes for c_A).",
    "ball": "PREDICT (n = {votes}, α = {alpha}) at {points} uniform points of the disc.",
}


# ---------------------------------------------------------------------------- checks
def _choice(value, choices, what: str):
    if value not in choices:
        raise ValueError(f"{what} must be one of {', '.join(f'{c:g}' for c in choices)}, got {value!r}.")
    return value


def _unit(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{what} must be a number between 0 and 1 (the toy's square), got {value!r}.")
    return float(value)


def _positive_int(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be a whole number ≥ 1, got {value!r}.")
    return value


def _alpha(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < float(value) < 1.0:
        raise ValueError(f"α must be a failure probability strictly between 0 and 1, got {value!r}.")
    return float(value)


def _frozen(array) -> np.ndarray:
    array = np.array(array)
    array.setflags(write=False)
    return array


# ---------------------------------------------------------------------------- 2-D CERTIFY
@dataclass(frozen=True)
class PointCertificate:
    """CERTIFY at a point of the toy square, F_rob's regions, and PREDICT inside the certified disc."""
    x: tuple[float, float]
    sigma: float
    certificate: smoothing.Certificate
    ceiling: float
    xs: np.ndarray              # region grid (REGION_RESOLUTION), labels[i, j] at (xs[j], ys[i])
    ys: np.ndarray
    labels: np.ndarray
    train_x: np.ndarray
    train_y: np.ndarray
    inside: np.ndarray          # BALL_POINTS × 2 points of the disc (empty when not certified)
    verdicts: np.ndarray        # PREDICT at each: a class or ABSTAIN
    same: int
    abstain: int
    other: int
    caption: str

    @property
    def certified(self) -> bool:
        return not self.certificate.abstained and self.certificate.radius > 0

    @property
    def adversarial_inside(self) -> bool:
        """Some sampled point of the disc got another class from PREDICT."""
        return self.other > 0


def _toy_sha(sigma: float, seed: int) -> str | None:
    return toys.read_manifest()["toys"].get(toy_spec(sigma, seed).key(), {}).get("sha256")


def _toy_regions_live(sigma: float, seed: int):
    """Hard F_rob (Cohen's vote) on a grid of the square, REGION_DRAWS draws per point (stream "regions")."""
    model = toys.model(toy_spec(sigma, seed))
    with torch.inference_mode():
        regions = geometry.smoothed_decision_regions(model, noise=noises.make("gaussian", sigma), num=REGION_DRAWS,
                                                     resolution=REGION_RESOLUTION, seed=stream_seed(seed, "regions"),
                                                     soft=False)
    return regions.xs.numpy(), regions.ys.numpy(), regions.labels.numpy()


@functools.lru_cache(maxsize=16)
def _toy_regions(sigma: float, seed: int):
    """F_rob's regions: shipped for seed 0 (when the shipped toy's sha256 matches), else computed."""
    record = _shipped().get("regions", {}).get(f"{sigma:g}")
    settings = {"seed": seed, "draws": REGION_DRAWS, "resolution": REGION_RESOLUTION, "toy": _toy_sha(sigma, seed)}
    if record and all(record.get(k) == v for k, v in settings.items()):
        xs, ys, labels = record["xs"], record["ys"], record["labels"]
    else:
        xs, ys, labels = _toy_regions_live(sigma, seed)
    return _frozen(np.asarray(xs, dtype=np.float32)), _frozen(np.asarray(ys, dtype=np.float32)), _frozen(
        np.asarray(labels, dtype=np.int64))


def ball_caption(certificate: smoothing.Certificate, same: int, abstain: int, other: int, ceiling: float) -> str:
    """What the ball check shows, as a function of its outcome (never a fixed claim)."""
    if certificate.abstained or certificate.radius <= 0:
        return (f"CERTIFY abstains here: p_A's lower bound {certificate.p_a_lower:.4f} is not above ½ "
                f"({certificate.count_a} of {certificate.n} votes). Move x away from the boundary or raise n.")
    total = same + abstain + other
    head = ("**No adversarial point among the sampled ones** (random points, not an attack: only the certificate "
            "covers the whole disc):" if other == 0 else
            f"**{other} sampled point{'s' if other > 1 else ''} got another class:** the certificate holds with "
            f"probability ≥ 1 − α and PREDICT errs with probability ≤ α, so this is rare but possible;")
    return (f"{head} {same} of {total} random points of the disc get c_A, {abstain} abstain (PREDICT cannot "
            f"separate the two top classes with {BALL_VOTES} votes there) and {other} get another class. "
            f"Black circle: α*; dotted: the ceiling σΦ⁻¹(α^{{1/n}}) = {ceiling:.3f} for n = {certificate.n}, "
            f"α = {certificate.alpha:g}.")


@functools.lru_cache(maxsize=64)
def certify_point(*, x1: float, x2: float, sigma: float, n0: int, n: int, alpha: float, seed: int) -> PointCertificate:
    """CERTIFY (Cohen et al. 2019, Algorithm 1) of the toy's F_rob at x = (x1, x2) with ε ~ N(0, σ²I):
    c_A from n0 draws, p_A ≥ Beta⁻¹(α; n_A, n − n_A + 1) from n draws, α* = σΦ⁻¹(p_A lower bound);
    then PREDICT (n = BALL_VOTES) at BALL_POINTS points drawn uniformly in the disc ‖x' − x‖₂ < α*,
    which the theorem says keep c_A. Streams: "certify", "ball points", "ball votes", "regions"."""
    x = (_unit(x1, "x₁"), _unit(x2, "x₂"))
    sigma = float(_choice(sigma, TOY_SIGMAS, "σ"))
    n0, n, alpha, seed = _positive_int(n0, "n₀"), _positive_int(n, "n"), _alpha(alpha), check_seed(seed)
    model, noise = toys.model(toy_spec(sigma, seed)), noises.make("gaussian", sigma)
    point = torch.tensor(x, dtype=torch.float32)
    with torch.inference_mode():
        certificate = smoothing.certify_details(model, point, noise=noise, n0=n0, n=n, alpha=alpha,
                                                batch_size=TOY_BATCH, generator=stream_generator(seed, "certify"))
        inside, verdicts = np.zeros((0, 2)), np.zeros(0, dtype=int)
        if not certificate.abstained and certificate.radius > 0:
            draws = torch.rand(BALL_POINTS, 2, generator=stream_generator(seed, "ball points"), dtype=torch.float64)
            rho, angle = certificate.radius * draws[:, 0].sqrt(), 2 * math.pi * draws[:, 1]  # uniform in the disc
            inside = torch.stack([x[0] + rho * angle.cos(), x[1] + rho * angle.sin()], dim=1).float()
            votes = stream_generator(seed, "ball votes")
            verdicts = np.array([smoothing.predict(model, p, noise=noise, n=BALL_VOTES, alpha=alpha,
                                                   batch_size=BALL_VOTES, generator=votes) for p in inside])
            inside = inside.numpy()
    same = int(np.sum(verdicts == certificate.prediction))
    abstain = int(np.sum(verdicts == smoothing.ABSTAIN))
    other = len(verdicts) - same - abstain
    ceiling = smoothing.radius_ceiling(sigma, alpha, n)
    xs, ys, labels = _toy_regions(sigma, seed)
    parts = toys.split(toy_spec(sigma, seed))
    return PointCertificate(x, sigma, certificate, ceiling, xs, ys, labels, _frozen(parts.x_train.numpy()),
                            _frozen(parts.y_train.numpy()), _frozen(inside), _frozen(verdicts), same, abstain, other,
                            ball_caption(certificate, same, abstain, other, ceiling))


# ---------------------------------------------------------------------------- radius vs p_A
@dataclass(frozen=True)
class RadiusCurves:
    """Certified radius as a function of p_A for each noise at one per-coordinate std, and ceilings."""
    std: float
    alpha: float
    n: int
    p_a: np.ndarray
    curves: dict            # bound name → radii over p_a
    norms: dict             # bound name → "l2" | "l1"
    ceilings: dict          # noise name → certify_ceiling at (n, α), in its norm
    best_p_a: float         # α^{1/n}
    gaussian_at_099: float
    ceiling_large: float    # Gaussian ceiling at n = 100 000, α = 0.001
    linf_ball_l2: float     # ℓ2 norm of an ℓ∞ perturbation 8/255 on CIFAR-10


@functools.lru_cache(maxsize=64)
def radius_curves(*, std: float, alpha: float, n: int) -> RadiusCurves:
    """The radius formulas of core.smoothing.matched_variance_radii at std (Cohen et al. 2019 σΦ⁻¹(p_A); Li et al.
    2019; Lecuyer et al. 2019; Teng et al. 2020 −b ln(2(1 − p_A)); Yang et al. 2020 2λ(p_A − ½)) and each noise's
    ceiling certify_ceiling(noise, α, n) = radius at p_A = α^{1/n}."""
    std = float(_choice(std, STD_CHOICES, "The noise standard deviation"))
    alpha, n = _alpha(alpha), _positive_int(n, "n")
    curves = {name: _frozen(values) for name, values in smoothing.matched_variance_radii(P_A_GRID, std).items()}
    norms = {name: "l1" if "ℓ1" in name else "l2" for name in curves}
    ceilings = {name: smoothing.certify_ceiling(noises.make(name, noises.scale_for_std(name, std)), alpha, n)
                for name in ("gaussian", "laplace", "uniform")}
    return RadiusCurves(std, alpha, n, _frozen(P_A_GRID), curves, norms, ceilings, alpha ** (1 / n),
                        float(smoothing.gaussian_radius(0.99, std)), smoothing.radius_ceiling(std, 0.001, LARGE_N),
                        LINF_BUDGET * math.sqrt(CIFAR_DIM))


# ---------------------------------------------------------------------------- zoo models
def _manifest_stamp() -> tuple:
    try:
        stat = (zoo.MODELS_DIR / zoo.MANIFEST_NAME).stat()
    except OSError:
        return (0, 0)
    return (stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _certifiable(stamp: tuple) -> tuple[str, ...]:
    names = [name for name in zoo.names() if zoo.noise_record(name) is not None]
    return tuple(common.ordered(names, [DEFAULT_MODEL, "mnist-gaussian-0.25"]))


def certifiable_models() -> list[str]:
    """Zoo models trained with noise (at the input or in a hidden layer), cifar10-gaussian-0.25 first
    (re-read when the zoo's manifest changes)."""
    return list(_certifiable(_manifest_stamp()))


def gallery_options(model: str) -> list[str]:
    """"#k · class" for each gallery image of the model's dataset."""
    return common.gallery_options(common.dataset_of(model))


def _read_shipped() -> dict:
    try:
        return json.loads(SCENE_FILE.read_text())
    except (OSError, ValueError):
        return {}


@functools.lru_cache(maxsize=1)
def _shipped() -> dict:
    return _read_shipped()


def _sha(model: str) -> str:
    return zoo.entry(model)["sha256"]


@functools.lru_cache(maxsize=1)
def _lipschitz_code() -> str:
    """sha256 of core/lipschitz.py: shipped bounds are trusted only if computed by the same code."""
    return hashlib.sha256(Path(lipschitz.__file__).read_bytes()).hexdigest()


def _layer_bounds_live(model: str) -> list[float]:
    base = zoo.shared_base(model)
    shape = tuple(common.gallery(common.dataset_of(model))[0].shape[1:])
    with torch.no_grad():   # not inference_mode: the conv bound runs autograd inside
        return [lipschitz.lipschitz_upper_bound(base, i, shape) for i in range(len(base.layers) + 1)]


@functools.lru_cache(maxsize=32)
def layer_bounds(model: str) -> tuple[float, ...]:
    """L_i ≥ Lip₂(φ(i)∘…∘φ(1)), i = 0…N, of the model's base network (core.lipschitz); shipped in
    assets/scenes/certificate.json when its weights' sha256 matches, computed otherwise."""
    record = _shipped().get("lipschitz", {}).get(model)
    if record and record.get("sha256") == _sha(model) and record.get("code") == _lipschitz_code():
        return tuple(record["bounds"])
    return tuple(_layer_bounds_live(model))


@dataclass(frozen=True)
class ImageCertificate:
    """CERTIFY of a gallery image with a zoo model's own noise (pulled back to pixels for a hidden layer)."""
    model: str
    index: int
    class_names: tuple
    label: int
    certificate: smoothing.Certificate
    radius: float               # input space, in ``norm``
    radius_layer: float         # in the noisy layer's space
    layer: int
    lipschitz: float
    noise_label: str
    norm: str
    ceiling: float              # input space
    pixels: np.ndarray
    shipped: bool
    caption: str

    @property
    def prediction_name(self) -> str:
        return "abstain" if self.certificate.abstained else self.class_names[self.certificate.prediction]

    @property
    def limited_by(self) -> str:
        """"abstain", "n" (all votes agreed: the ceiling) or "p_a" (the votes themselves)."""
        if self.certificate.abstained:
            return "abstain"
        return "n" if self.certificate.unanimous else "p_a"


def image_caption(certificate: smoothing.Certificate, names, radius: float, ceiling: float, layer: int,
                  lipschitz_bound: float, radius_layer: float) -> str:
    """What limits this image's α*, read off the computed votes."""
    guess = names[certificate.guess]
    best = certificate.alpha ** (1 / certificate.n)
    if certificate.abstained:
        text = (f"CERTIFY abstains: {certificate.count_a} of {certificate.n} votes for {guess} give p_A ≥ "
                f"{certificate.p_a_lower:.4f} only, not above ½.")
    elif certificate.unanimous:
        text = (f"All {certificate.n} votes went to {guess}: p_A's lower bound is α^(1/n) = {best:.4f} and the "
                f"radius sits on the ceiling {ceiling:.4f} — here n limits α*; more draws would raise it.")
    else:
        text = (f"{certificate.count_a} of {certificate.n} votes went to {guess}: p_A's lower bound "
                f"{certificate.p_a_lower:.4f} lies below α^(1/n) = {best:.4f}, so the radius {radius:.4f} stays under "
                f"the ceiling {ceiling:.4f} — here p_A (the noise level and the model), not n, limits α*.")
    if layer > 0 and not certificate.abstained:
        prefix = "φ(1)" if layer == 1 else f"φ({layer})∘…∘φ(1)"
        text += (f" Noise after layer {layer}: {radius_layer:.4f} in the layer's space, divided by the Lipschitz "
                 f"bound L = {lipschitz_bound:.3g} of {prefix}, is {radius:.2e} in pixel space.")
    return text


def _image_arguments(model, index, n0, n, alpha, seed) -> tuple:
    if model not in certifiable_models():
        raise ValueError(f"{model} is not a noise-trained zoo model; pick one of {', '.join(certifiable_models())}.")
    index = int(index) if not isinstance(index, bool) and isinstance(index, int) else -1
    if not 0 <= index < len(common.gallery(common.dataset_of(model))[1]):
        raise ValueError("index must be the position of a gallery image (0–19).")
    return model, index, _positive_int(n0, "n₀"), _positive_int(n, "n"), _alpha(alpha), check_seed(seed)


def _shipped_image(model, index, n0, n, alpha, seed) -> dict | None:
    record = _shipped().get("images", {}).get(model)
    settings = {"n0": n0, "n": n, "alpha": alpha, "seed": seed}
    if not record or record.get("sha256") != _sha(model) or any(record.get(k) != v for k, v in settings.items()):
        return None
    rows = record.get("rows", [])
    return rows[index] if index < len(rows) else None


def image_is_shipped(*, model: str, index: int, n0: int, n: int, alpha: float, seed: int) -> bool:
    """Whether certify_image's result for these arguments is read from the shipped file (instant)."""
    return _shipped_image(*_image_arguments(model, index, n0, n, alpha, seed)) is not None


_heads: dict = {}
_heads_lock = threading.Lock()


def fast_head(model: str, layer: int, z: torch.Tensor, noise) -> torch.nn.Module:
    """The network CERTIFY queries, base.suffix(layer), run the fastest exact fp32 way this machine
    measured (core.inference.calibrate over memory format and batch-norm folding, eager only, batch
    IMAGE_BATCH, one round): on the 2-core EPYC, 3.4 s once per model and process, then CERTIFY of a
    cifar10-gaussian-0.25 image ran 1.93× faster than with the plain NCHW model. Calibration keeps
    only ways that give the plain model's argmax, and the noise never depends on the way, so the
    counts are the plain model's (tests/scenes/test_certificate.py compares them with a CERTIFY row
    of the plain model)."""
    key = (model, _sha(model), layer)
    with _heads_lock:           # one calibration per model even when two sessions click at once
        if key not in _heads:
            head = zoo.shared_base(model).suffix(layer)
            plan = inference.calibrate(head, z, noise=noise, batch_sizes=(IMAGE_BATCH,), rounds=1, graphs=("eager",))
            _heads[key] = inference.prepare(head, plan)
        return _heads[key]


def _certify_gallery_image(model, index, n0, n, alpha, seed, progress=None) -> smoothing.Certificate:
    """CERTIFY of gallery image ``index`` with the generator make_generator(seed + index) — the rule of
    CERTIFY rows (core.evaluation.certify_example), so the result equals that row's."""
    base = zoo.shared_base(model)
    noise, layer = common.zoo_noise(model)
    x = common.gallery(common.dataset_of(model))[0][index]
    callback = None if progress is None else (lambda done, total: progress(done / total))
    with torch.inference_mode():
        z = base.prefix(layer)(x.unsqueeze(0))[0]
    return smoothing.certify_details(fast_head(model, layer, z, noise), z, noise=noise, n0=n0, n=n, alpha=alpha,
                                     batch_size=IMAGE_BATCH, generator=make_generator(seed + index, "cpu"),
                                     callback=callback)


_image_cache: dict = {}
_image_lock = threading.Lock()


def certify_image(*, model: str, index: int, n0: int, n: int, alpha: float, seed: int,
                  progress=None) -> ImageCertificate:
    """CERTIFY (Cohen et al. 2019) of gallery image ``index`` with the zoo model's own noise, draws from
    make_generator(seed + index) (CERTIFY's row rule). Noise after layer i > 0: certify the head in layer-i
    space at z = φ(i)∘…∘φ(1)(x), then divide by the prefix's Lipschitz bound L_i (Pinot et al. 2019):
    R_input = R_layer / L_i. Read from assets/scenes/certificate.json when shipped; ``progress(fraction)``
    follows a live computation. Cached per process."""
    key = _image_arguments(model, index, n0, n, alpha, seed)
    with _image_lock:
        if key in _image_cache:
            return _image_cache[key]
    model, index, n0, n, alpha, seed = key
    row = _shipped_image(*key)
    if row is not None:
        certificate = smoothing.Certificate(**{**row, "counts": tuple(row["counts"]),
                                               "selection_counts": tuple(row["selection_counts"])})
    else:
        certificate = _certify_gallery_image(model, index, n0, n, alpha, seed, progress)
    noise, layer = common.zoo_noise(model)
    bound = layer_bounds(model)[layer] if layer > 0 else 1.0
    radius = float(smoothing.input_space_radius(certificate.radius, bound))
    ceiling = float(smoothing.input_space_radius(smoothing.certify_ceiling(noise, alpha, n), bound))
    images, labels = common.gallery(common.dataset_of(model))
    names = tuple(data.CLASS_NAMES[common.dataset_of(model)])
    result = ImageCertificate(model, index, names, int(labels[index]), certificate, radius, certificate.radius, layer,
                              bound, noise.label, noise.certified_norm, ceiling,
                              _frozen(common.image_array(images[index])), row is not None,
                              image_caption(certificate, names, radius, ceiling, layer, bound, certificate.radius))
    with _image_lock:
        _image_cache[key] = result
    return result


# ---------------------------------------------------------------------------- hidden layers
@dataclass(frozen=True)
class LayerRadii:
    """The layer-space radius R = σΦ⁻¹(α^{1/n}) pulled back to the input through L_i, per network."""
    best_radius: float
    bounds: dict            # network name → (L_0 … L_{N−1}) (noise on the logits is not a hidden layer)
    radii: dict             # network name → R / L_i


@functools.lru_cache(maxsize=64)
def hidden_layers(*, model: str | None, sigma: float, n: int, alpha: float, seed: int) -> LayerRadii:
    """R / L_i for i = 0…N−1 (core.lipschitz.lipschitz_upper_bound, core.smoothing.input_space_radius), with
    the best layer-space radius R = σΦ⁻¹(α^{1/n}) CERTIFY can give, for the toy network and the zoo model."""
    sigma = float(_choice(sigma, TOY_SIGMAS, "σ"))
    best = smoothing.radius_ceiling(sigma, _alpha(alpha), _positive_int(n, "n"))
    toy = toys.model(toy_spec(sigma, check_seed(seed)))
    with torch.no_grad():
        rows = {"2-D toy network": tuple(lipschitz.lipschitz_upper_bound(toy, i, (2,))
                                         for i in range(len(toy.layers) + 1))}
    if model is not None:
        rows[model] = layer_bounds(model)
    bounds = {name: values[:-1] for name, values in rows.items()}
    radii = {name: _frozen([smoothing.input_space_radius(best, b) for b in values]) for name, values in bounds.items()}
    return LayerRadii(best, bounds, radii)


# ---------------------------------------------------------------------------- shipped curves
@dataclass(frozen=True)
class Curve:
    name: str
    norm: str
    radii: tuple
    accuracy: tuple
    examples: int
    n: int
    device: str
    command: str
    ceiling: float | None = None    # certify_ceiling(noise, α, n) / Lipschitz bound: no radius beyond it (its norm)


def _curve_ceiling(record: dict) -> float | None:
    """The largest radius the shipped CERTIFY run could return (core.smoothing.certify_ceiling at its n and α,
    pulled back by its Lipschitz bound for hidden-layer noise), None when the file does not say its noise."""
    spec = record.get("noise")
    try:
        noise = noises.make(spec["name"], float(spec["scale"]))
        ceiling = smoothing.certify_ceiling(noise, float(record["alpha"]), int(record["n"]))
        return float(smoothing.input_space_radius(ceiling, float(record.get("lipschitz_bound", 1.0))))
    except (TypeError, KeyError, ValueError):
        return None


@dataclass(frozen=True)
class CertifiedCurves:
    """Shipped certified-accuracy curves (assets/results/certify_*.json) per dataset, and Cohen et al.'s table."""
    datasets: tuple
    curves: dict            # dataset → [Curve]
    published_radii: tuple
    published: dict         # σ → certified accuracy at published_radii (CIFAR-10, ResNet-110, n = 100 000)


def certified_curves() -> CertifiedCurves:
    """Certified accuracy at r, (1/m) Σ 1{prediction correct and radius ≥ r} (Cohen et al. 2019 §4), as shipped by
    python -m core.experiments certify, beside Cohen et al.'s published CIFAR-10 numbers."""
    curves: dict = {}
    for name in results.available("certify"):
        try:
            record = results.read("certify", name)
        except results.ResultsUnavailable:
            continue
        curves.setdefault(record.get("dataset"), []).append(
            Curve(name, record.get("norm", "l2"), tuple(record["radii"]), tuple(record["certified_accuracy"]),
                  int(record.get("examples", 0)), int(record.get("n", 0)), str(record.get("device", "?")),
                  str(record.get("command", "")), _curve_ceiling(record)))
    datasets = tuple(d for d in ("cifar10", "mnist") if d in curves)
    return CertifiedCurves(datasets, curves, tuple(evaluation.COHEN_RADII),
                           {sigma: tuple(values) for sigma, values in evaluation.COHEN_CIFAR10.items()})


# ---------------------------------------------------------------------------- shipped file
def build_regions(seed: int = 0) -> dict:
    """The toy's F_rob regions for every σ of the slider at ``seed`` (the opening seed 0), for the shipped file."""
    content = {}
    for sigma in TOY_SIGMAS:
        xs, ys, labels = _toy_regions_live(sigma, seed)
        content[f"{sigma:g}"] = {"seed": seed, "draws": REGION_DRAWS, "resolution": REGION_RESOLUTION,
                                 "toy": _toy_sha(sigma, seed), "xs": xs.tolist(), "ys": ys.tolist(),
                                 "labels": labels.tolist()}
    return content


def build(path: Path = SCENE_FILE, *, models: list[str] | None = None, log=print) -> dict:
    """Write assets/scenes/certificate.json: the toy's F_rob regions for each σ at seed 0 (the toys must be
    shipped first: python -m core.toys build), each noise-trained zoo model's Lipschitz bounds and the
    certificates of its 20 gallery images at the default n₀, n, α and seed 0 (the page's opening values)."""
    n0, n, alpha, seed = DEFAULTS["n0"], DEFAULTS["image_n"], DEFAULTS["alpha"], 0
    content = {"command": BUILD_COMMAND, "regions": build_regions(), "lipschitz": {}, "images": {}}
    for model in models or certifiable_models():
        log(f"{model}: Lipschitz bounds and {n0}+{n} draws on each gallery image")
        content["lipschitz"][model] = {"sha256": _sha(model), "code": _lipschitz_code(),
                                       "bounds": _layer_bounds_live(model)}
        rows = [dataclasses.asdict(_certify_gallery_image(model, index, n0, n, alpha, seed))
                for index in range(len(common.gallery(common.dataset_of(model))[1]))]
        content["images"][model] = {"sha256": _sha(model), "n0": n0, "n": n, "alpha": alpha, "seed": seed,
                                    "rows": [{**row, "counts": list(row["counts"]),
                                              "selection_counts": list(row["selection_counts"])} for row in rows]}
    _write(path, content)
    return content


def _write(path: Path, content: dict) -> None:
    files.write_atomic(path, json.dumps(content, indent=1) + "\n")
    _shipped.cache_clear()
