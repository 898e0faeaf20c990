"""Geometry for the pages: decision regions on a 2-D grid (plain, smoothed, with noise inside the
network), the total variation between class distributions, attack paths, how far networks are from
isometries, noise clouds, and Cybenko's universal approximation in one dimension.

All returned tensors live on the CPU (ready to plot); computations run on ``device``. Models are
evaluated in the mode they are given and never modified; every random draw comes from a generator
made from ``seed``.
"""

from __future__ import annotations

import math
import numbers
import time
from typing import NamedTuple

import torch
from torch import nn

from core import attacks, checks, smoothing, training
from core.device import make_generator, resolve_device
from core.models import feed_forward
from core.seeds import stream_generator

# Evaluations allowed for one smoothed_decision_regions call (num × resolution²): a tiny MLP does a
# few million forward rows in about a second on a laptop CPU.
MAX_SMOOTHED_EVALUATIONS = 4_000_000


def _check_bounds(bounds) -> tuple[float, float, float, float]:
    """(xmin, xmax, ymin, ymax); a pair (lo, hi) means the square [lo, hi]²."""
    values = tuple(float(b) for b in bounds) if isinstance(bounds, (tuple, list)) else ()
    if len(values) == 2:
        values = values + values
    if (
        len(values) != 4
        or not all(math.isfinite(v) for v in values)
        or values[0] >= values[1]
        or values[2] >= values[3]
    ):
        raise ValueError(
            f"bounds must be (xmin, xmax, ymin, ymax) or (lo, hi) with min < max, got {bounds!r}."
        )
    return values


# --------------------------------------------------------------------------- decision regions


class Regions(NamedTuple):
    """Class probabilities on a grid: unpack as ``xx, yy, probs`` (resolution × resolution [× K]).

    ``probs[i, j]`` is at the point (xx[i, j], yy[i, j]) = (xs[j], ys[i]), so ``xs``, ``ys`` and
    ``labels`` (the arg-max class) go straight into a contour plot's x, y and z. String keys
    (``regions["labels"]``) read the attributes too.
    """

    xx: torch.Tensor
    yy: torch.Tensor
    probs: torch.Tensor

    @property
    def xs(self) -> torch.Tensor:
        return self.xx[0]

    @property
    def ys(self) -> torch.Tensor:
        return self.yy[:, 0]

    @property
    def labels(self) -> torch.Tensor:
        return self.probs.argmax(dim=-1)

    def __getitem__(self, key):
        if isinstance(key, str):
            if key not in ("xx", "yy", "probs", "xs", "ys", "labels"):
                raise KeyError(key)
            return getattr(self, key)
        return tuple.__getitem__(self, key)


def grid(bounds=(0.0, 1.0, 0.0, 1.0), resolution: int = 100, *, device="cpu"):
    """A resolution × resolution grid over the rectangle ``bounds`` = (xmin, xmax, ymin, ymax).

    Returns (xx, yy, points) with xx[i, j] = xs[j], yy[i, j] = ys[i] ("xy" indexing, as plotting
    libraries expect) and points the resolution² × 2 rows (xx, yy) flattened row by row.
    """
    xmin, xmax, ymin, ymax = _check_bounds(bounds)
    resolution = checks.positive_int(resolution, "resolution")
    if resolution < 2:
        raise ValueError("resolution must be at least 2 points per axis.")
    device = resolve_device(device)
    xs = torch.linspace(xmin, xmax, resolution, device=device)
    ys = torch.linspace(ymin, ymax, resolution, device=device)
    xx, yy = torch.meshgrid(xs, ys, indexing="xy")
    return xx, yy, torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1)


@torch.no_grad()
def decision_regions(
    model: nn.Module,
    *,
    bounds=(0.0, 1.0, 0.0, 1.0),
    resolution: int = 100,
    device="cpu",
    batch_size: int = 65536,
) -> Regions:
    """softmax(F(p)) at every point p of the grid (:func:`grid`): the decision regions of a 2-D
    classifier. Returns ``Regions(xx, yy, probs)`` with probs resolution × resolution × K, each
    row summing to 1. A randomized model draws its noise as usual (one draw per point)."""
    batch_size = checks.positive_int(batch_size, "batch_size")
    xx, yy, points = grid(bounds, resolution, device=device)
    probabilities = torch.cat(
        [
            torch.softmax(model(points[s : s + batch_size]).float(), dim=1)
            for s in range(0, len(points), batch_size)
        ]
    )
    return Regions(xx.cpu(), yy.cpu(), probabilities.view(*xx.shape, -1).cpu())


def smoothed_decision_regions(
    model: nn.Module,
    *,
    noise,
    num: int = 100,
    bounds=(0.0, 1.0, 0.0, 1.0),
    resolution: int = 60,
    seed: int = 0,
    device="cpu",
    batch_size: int = 65536,
    soft: bool = True,
) -> Regions:
    """The smoothed classifier F_rob on the grid, by Monte Carlo with ``num`` draws per point.

    soft (Li et al. 2019; Pinot et al. 2019): E_ε[softmax F(p + ε)]; hard (Cohen et al. 2019):
    P_ε(argmax F(p + ε) = c), the vote frequencies. All num × resolution² noisy points are
    evaluated ``batch_size`` rows at a time with draws from ``make_generator(seed, device)``;
    ValueError when num × resolution² exceeds MAX_SMOOTHED_EVALUATIONS.
    """
    num = checks.positive_int(num, "num")
    resolution = checks.positive_int(resolution, "resolution")
    if num * resolution**2 > MAX_SMOOTHED_EVALUATIONS:
        raise ValueError(
            f"num × resolution² = {num * resolution**2:,} forward passes is too many; lower num "
            f"or resolution so that the product stays below {MAX_SMOOTHED_EVALUATIONS:,}."
        )
    device = resolve_device(device)
    xx, yy, points = grid(bounds, resolution, device=device)
    generator = make_generator(seed, device)
    if soft:
        probabilities = smoothing.smoothed_probabilities_many(
            model, points, noise=noise, num=num, batch_size=batch_size, generator=generator, chunk=batch_size
        )  # the shipped scenes' draws
    else:
        counts = smoothing.sample_counts_many(
            model, points, noise=noise, num=num, batch_size=batch_size, generator=generator, chunk=batch_size
        )
        probabilities = counts.double() / num
    return Regions(xx.cpu(), yy.cpu(), probabilities.float().view(*xx.shape, -1))


def noisy_decision_regions(
    noisy_model: nn.Module,
    *,
    num: int = 100,
    bounds=(0.0, 1.0, 0.0, 1.0),
    resolution: int = 60,
    device="cpu",
    batch_size: int = 65536,
) -> Regions:
    """The soft smoothed classifier of a network with noise injected INSIDE it (noise after layer i,
    core.models.inject_noise): F_rob(p) = E_ε[softmax F̃_ε(p)] at every grid point p, with
    F̃_ε = φ(N)∘…∘φ(i+1)(φ(i)∘…∘φ(1)(p) + ε) (Pinot et al. 2019; Lecuyer et al. 2019 for a hidden
    noise layer). Estimated as the mean of ``num`` passes of :func:`decision_regions`, each drawing a
    fresh ε per point from the noise layers' own seeded generators; ValueError when num × resolution²
    exceeds MAX_SMOOTHED_EVALUATIONS."""
    num = checks.positive_int(num, "num")
    resolution = checks.positive_int(resolution, "resolution")
    if num * resolution**2 > MAX_SMOOTHED_EVALUATIONS:
        raise ValueError(
            f"num × resolution² = {num * resolution**2:,} forward passes is too many; lower num "
            f"or resolution so that the product stays below {MAX_SMOOTHED_EVALUATIONS:,}."
        )
    passes = [
        decision_regions(
            noisy_model, bounds=bounds, resolution=resolution, device=device, batch_size=batch_size
        )
        for _ in range(num)
    ]
    return Regions(passes[0].xx, passes[0].yy, torch.stack([regions.probs for regions in passes]).mean(0))


def total_variation(p: torch.Tensor, q: torch.Tensor) -> float:
    """TV(p, q) = ½ Σ_c |p_c − q_c| = max over sets of classes A of |p(A) − q(A)|: how far apart two
    distributions over the classes are, e.g. the votes P_ε(F(x + ε) = c) at x and at x_adv (Cohen et
    al. 2019, Figure 1). Pinot et al. 2019 measure the robustness of a randomized classifier by such a
    distance between its output distributions at x and x + τ. 0 for equal distributions, 1 for
    disjoint supports."""
    if not isinstance(p, torch.Tensor) or not isinstance(q, torch.Tensor) or p.shape != q.shape:
        raise ValueError("p and q must be tensors of the same shape (one probability per class).")
    return 0.5 * float((p - q).abs().sum())


# --------------------------------------------------------------------------- attack paths


def attack_path(
    model: nn.Module,
    x: torch.Tensor,
    y,
    *,
    eps: float,
    steps: int = 20,
    norm: str = "l2",
    step: float | None = None,
    loss: str = "ce",
    random_start: bool = False,
    seed: int = 0,
    device="cpu",
) -> torch.Tensor:
    """The iterates x⁰, x¹, …, x^steps of PGD (Madry et al. 2018) on ONE input x, as a
    (steps + 1) × dim tensor (each iterate flattened).

    Runs :func:`core.attacks.pgd` (projection onto the ε-ball of ``norm`` ∩ [0, 1]) and records
    its iterates through its callback, so every point lies within ε of x. Step α defaults to
    2.5·ε/steps. x⁰ = x unless ``random_start`` (then drawn from ``make_generator(seed, device)``).
    """
    if not isinstance(x, torch.Tensor) or x.ndim == 0:
        raise ValueError(
            "x must be ONE input tensor (for example a point of shape (2,)), without a batch dimension."
        )
    eps = checks.positive(eps, "eps")
    steps = checks.positive_int(steps, "steps")
    device = resolve_device(device)
    label = torch.as_tensor([int(y)], dtype=torch.long, device=device)
    path = attacks.pgd_path(
        model,
        x.unsqueeze(0).to(device),
        label,
        eps=eps,
        step=2.5 * eps / steps if step is None else step,
        steps=steps,
        norm=norm,
        loss=loss,
        random_start=random_start,
        generator=make_generator(seed, device),
    )
    return torch.cat([iterate.flatten(1) for iterate in path]).cpu()


# --------------------------------------------------------------------------- stretching distances


def _random_directions(shape, num: int, radius: float, norm: str, generator, device) -> torch.Tensor:
    """num perturbations τ per input with ‖τ‖ = radius in ``norm``: shape (N, num, *input)."""
    draws = torch.randn((shape[0], num, *shape[1:]), generator=generator, device=device)
    flat = draws.flatten(2)
    if norm == "l2":
        size = flat.norm(dim=2)
    elif norm == "linf":
        size = flat.abs().amax(dim=2)
    else:
        raise ValueError(f"norm must be 'l2' or 'linf', got {norm!r}.")
    return radius * draws / size.view(shape[0], num, *([1] * (len(shape) - 1)))


@torch.no_grad()
def stretch_ratios(
    model_or_fn,
    x: torch.Tensor,
    *,
    radius: float,
    num: int = 100,
    norm: str = "l2",
    seed: int = 0,
    device="cpu",
    batch_size: int = 4096,
) -> torch.Tensor:
    """‖F(x + τ) − F(x)‖₂ / ‖τ‖ for ``num`` random τ with ‖τ‖ = radius around each input.

    "Networks do not preserve distances": with norm="l2" an isometry gives exactly 1 everywhere, a
    network stretches some directions (ratios > 1, where small perturbations move the output far)
    and squashes others. With norm="linf" the ratio mixes two norms (ℓ2 above, ℓ∞ below), so even
    the identity gives ‖τ‖₂/‖τ‖∞ ∈ [1, √d], not 1: compare with the identity's ratios on the same
    draws (call this function on ``lambda z: z`` with the same ``seed``, ``num`` and shapes, as
    core.scenes.geometry does). F is any callable on a batch (a model, its logits, or a layer such as
    ``model.prefix(i)``); its outputs are flattened. τ is uniform on the ℓ2 sphere (norm="l2") or
    a Gaussian direction rescaled to ℓ∞ norm ``radius`` (norm="linf"), drawn from
    ``make_generator(seed, device)``; x + τ is not clipped to [0, 1] (this measures the function,
    not valid images). Returns an N × num tensor (N inputs; a single unbatched input of a 2-D toy
    model, shape (d,), counts as N = 1).
    """
    radius = checks.positive(radius, "radius")
    num = checks.positive_int(num, "num")
    batch_size = checks.positive_int(batch_size, "batch_size")
    if not isinstance(x, torch.Tensor) or x.ndim == 0:
        raise ValueError("x must be a tensor of inputs (N × …), or one point of shape (d,).")
    device = resolve_device(device)
    x = (x.unsqueeze(0) if x.ndim == 1 else x).to(device)
    tau = _random_directions(x.shape, num, radius, norm, make_generator(seed, device), device)
    centres = model_or_fn(x).flatten(1)  # N × out
    perturbed = (x.unsqueeze(1) + tau).reshape(-1, *x.shape[1:])  # (N·num) × input
    outputs = torch.cat(
        [model_or_fn(perturbed[s : s + batch_size]).flatten(1) for s in range(0, len(perturbed), batch_size)]
    ).view(len(x), num, -1)
    return ((outputs - centres.unsqueeze(1)).norm(dim=2) / radius).cpu()


# --------------------------------------------------------------------------- noise


def noise_cloud(x: torch.Tensor, *, noise, num: int, seed: int = 0, device="cpu") -> torch.Tensor:
    """num samples x + ε, ε ~ noise (the cloud around x drawn in Cohen et al. 2019, Figure 1):
    a num × (shape of x) tensor, from ``make_generator(seed, device)``; not clipped, as smoothing
    does not clip either."""
    num = checks.positive_int(num, "num")
    device = resolve_device(device)
    draws = noise.sample((num, *x.shape), generator=make_generator(seed, device), device=device)
    return (x.to(device).unsqueeze(0) + draws).cpu()


def class_distribution(
    model: nn.Module,
    x: torch.Tensor,
    *,
    noise,
    num: int,
    batch_size: int = 1000,
    seed: int = 0,
    device="cpu",
    num_classes: int | None = None,
) -> torch.Tensor:
    """Frequencies of argmax F(x + ε) over num draws: the Monte Carlo estimate of
    P_ε(F(x + ε) = c) for each class c, whose arg-max is the smoothed prediction F_rob(x)
    (Cohen et al. 2019). ONE input x (no batch dimension); a float tensor summing to 1."""
    num = checks.positive_int(num, "num")
    counts = smoothing.sample_counts(
        model,
        x.to(resolve_device(device)),
        noise=noise,
        num=num,
        batch_size=batch_size,
        generator=make_generator(seed, device),
        num_classes=num_classes,
    )
    return counts.double().div(num).float()


# --------------------------------------------------------------------------- universal approximation

TARGET_FUNCTIONS = {
    "sine": lambda t: torch.sin(4 * math.pi * t),
    "step": lambda t: (t >= 0.5).float(),
    "sawtooth": lambda t: torch.remainder(3 * t, 1.0),
    "bump": lambda t: torch.exp(-(((t - 0.5) / 0.1) ** 2)),
}


def fit_sigmoid_network(
    xs, target, width: int, *, steps: int, lr: float, generator
) -> tuple[torch.Tensor, float]:
    """Adam (cosine-decayed step) on the full batch for g(t) = Σⱼ aⱼ σ(sⱼ (t − cⱼ)) + c, the
    sigmoid network Σⱼ aⱼ σ(wⱼ t + bⱼ) + c written with wⱼ = sⱼ = exp(uⱼ) > 0, bⱼ = −sⱼ cⱼ (positive
    slopes lose nothing: a σ(−z) = a − a σ(z)). Trains in the dtype of ``xs`` (float64 makes the fit
    the same on every CPU up to float32 rounding of the result: hundreds of Adam steps amplify a
    float32 rounding difference of one ulp into the fourth digit). Returns (g on xs, final MSE)."""
    device, dtype = xs.device, xs.dtype
    # Cybenko's construction: N soft steps spread over [0, 1], each about 1/N wide. Centres start
    # evenly spaced (jittered), slopes at 4(N + 1); the log-slope parametrisation lets a step
    # sharpen quickly, and aⱼ = 0 starts every width from the constant function. The draws are made
    # in float32 whatever the dtype, so a float64 fit starts from the same network.
    jitter = ((torch.rand(width, generator=generator, device=device) - 0.5) / width).to(dtype)
    centres = ((torch.arange(width, device=device, dtype=dtype) + 0.5) / width + jitter).requires_grad_(True)
    log_slopes = (
        math.log(4.0 * (width + 1)) + 0.3 * torch.randn(width, generator=generator, device=device).to(dtype)
    ).requires_grad_(True)
    a = torch.zeros(width, device=device, dtype=dtype, requires_grad=True)
    c = torch.zeros((), device=device, dtype=dtype, requires_grad=True)
    optimizer = torch.optim.Adam([centres, log_slopes, a, c], lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)

    def network():
        return torch.sigmoid(log_slopes.exp() * (xs[:, None] - centres)) @ a + c

    for _ in range(steps):
        loss = (network() - target).pow(2).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
    with torch.no_grad():
        fitted = network()
        return fitted, float((fitted - target).pow(2).mean())


def universal_approximation(
    target_fn_name: str,
    *,
    widths: list[int],
    steps: int = 500,
    seed: int = 0,
    device="cpu",
    points: int = 200,
    lr: float = 0.02,
) -> dict:
    """Cybenko 1989: finite sums g(t) = Σⱼ₌₁ᴺ aⱼ σ(wⱼ t + bⱼ) + c of sigmoids are dense in C([0, 1]).

    Fits ``target_fn_name`` (one of TARGET_FUNCTIONS) on ``points`` equally spaced t ∈ [0, 1] with a
    one-hidden-layer sigmoid network of each width N (Adam, ``steps`` full-batch steps of the
    mean squared error, step ``lr`` cosine-decayed), initialised from the stream
    ``"approximation/N"`` of ``seed`` (core.seeds). Returns {xs, target, widths, fits: one curve per width,
    mse: final MSE per width, seconds}; the MSE shrinks as N grows.
    """
    if target_fn_name not in TARGET_FUNCTIONS:
        raise ValueError(
            f"Unknown target function {target_fn_name!r}: choose one of {', '.join(TARGET_FUNCTIONS)}."
        )
    if not isinstance(widths, (list, tuple)) or not widths:
        raise ValueError("widths must be a non-empty list of positive integers.")
    widths = [checks.positive_int(width, "Each width") for width in widths]
    steps = checks.positive_int(steps, "steps")
    points = checks.positive_int(points, "points")
    lr = checks.positive(lr, "lr")
    device = resolve_device(device)
    started = time.perf_counter()
    xs = torch.linspace(0.0, 1.0, points, device=device)
    target = TARGET_FUNCTIONS[target_fn_name](xs)
    fits, errors = [], []
    for width in widths:
        fitted, mse = fit_sigmoid_network(
            xs,
            target,
            width,
            steps=steps,
            lr=lr,
            generator=stream_generator(seed, f"approximation/{width}", device),
        )
        fits.append(fitted.cpu())
        errors.append(mse)
    return {
        "xs": xs.cpu(),
        "target": target.cpu(),
        "widths": widths,
        "fits": fits,
        "mse": errors,
        "seconds": time.perf_counter() - started,
    }


# --------------------------------------------------------------------------- width and depth


def width_depth_sweep(
    x_train,
    y_train,
    x_test,
    y_test,
    *,
    widths: list[int],
    depths: list[int],
    epochs: int,
    seed: int = 0,
    device="cpu",
    activation: str = "relu",
    lr: float = 1e-2,
    batch_size: int = 64,
    progress=None,
) -> list[dict]:
    """Train a feed-forward network of every (width, depth) by ERM (:func:`core.training.train`)
    and report empirical and held-out risk and accuracy: over-parametrisation and overfitting.

    Depth = number of hidden layers of ``width`` units (depth 0 is a linear model); each network
    starts from ``seed``. One row per pair: {width, depth, parameters, train_loss, train_acc,
    test_loss, test_acc, seconds}. ``progress(done, total)`` reports progress.
    """
    if not widths or not depths:
        raise ValueError("widths and depths must be non-empty lists.")
    widths = [checks.positive_int(width, "Each width") for width in widths]
    if any(isinstance(d, bool) or not isinstance(d, numbers.Integral) or d < 0 for d in depths):
        raise ValueError(f"depths must be non-negative integers, got {depths!r}.")
    in_dim = int(x_train[0].numel())
    classes = int(max(int(y_train.max()), int(y_test.max()))) + 1
    pairs = [(width, int(depth)) for depth in depths for width in widths]
    rows = []
    for k, (width, depth) in enumerate(pairs):
        model = feed_forward(in_dim, [width] * depth, classes, activation=activation, seed=seed)
        result = training.train(
            model,
            x_train,
            y_train,
            epochs=epochs,
            x_test=x_test,
            y_test=y_test,
            lr=lr,
            batch_size=batch_size,
            seed=seed,
            device=device,
        )
        last = result.history[-1]
        rows.append(
            {
                "width": width,
                "depth": depth,
                "parameters": sum(p.numel() for p in model.parameters()),
                "train_loss": last["train_loss"],
                "train_acc": last["train_acc"],
                "test_loss": last["test_loss"],
                "test_acc": last["test_acc"],
                "seconds": result.wall_time_s,
            }
        )
        if progress is not None:
            progress(k + 1, len(pairs))
    return rows
