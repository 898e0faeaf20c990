"""Randomized smoothing: the smoothed classifier F_rob(x) = argmax_c P(F(x + ε) = c), Cohen et
al.'s PREDICT and CERTIFY, and the certified-radius formulas of the talk.

A base classifier F (``model``, a batch of inputs ↦ logits) is turned into
F_rob(x) = argmax_c P_ε(F(x + ε) = c) with ε ~ D(0, scale) (``core.noise``). If
p_A = P(F(x + ε) = c_A) is large enough, F_rob is constant on a ball around x whose radius depends
only on p_A (and p_B) and the noise (Cohen et al. 2019, Thm 1 for Gaussian noise and ℓ2).
CERTIFY estimates a lower confidence bound on p_A by Monte Carlo; with probability ≥ 1 − α over
the draws, the class it returns is F_rob(x) and F_rob is constant within the returned radius.

Sampling runs on the model's device (that of its first parameter or buffer, else that of x), so the
``torch.Generator`` must live on that device (``core.device.make_generator(seed, device)``). The
noise is drawn :data:`NOISE_CHUNK` noisy copies at a time, whatever the evaluation ``batch_size``:
the counts depend only on the generator, never on the batch size (nor on how a run is split over
processes, each image having its own generator). Memory is bounded by ``batch_size`` + NOISE_CHUNK
noisy copies, never by n.
"""

from __future__ import annotations

import contextlib
import numbers
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import scipy.stats
import torch
from torch import nn

from core import checks
from core.device import strict_fp32
from core.noise import scale_for_std

ABSTAIN = -1

# ---------------------------------------------------------------------------- argument checks


def _check_alpha(alpha) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0 < alpha < 1:
        raise ValueError(f"alpha must be a failure probability strictly between 0 and 1, got {alpha!r}.")
    return float(alpha)


def _probabilities(p, what: str) -> np.ndarray:
    try:
        array = np.asarray(p, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"{what} must be a probability in [0, 1] (a float or an array), got {p!r}."
        ) from None
    if not np.all((array >= 0) & (array <= 1)):  # also rejects NaN
        raise ValueError(f"{what} must lie in [0, 1], got {p!r}.")
    return array


def _second_probability(p_a: np.ndarray, p_b) -> np.ndarray:
    """p_B, defaulting to 1 − p_A (two classes); checks p_A + p_B ≤ 1."""
    if p_b is None:
        return 1.0 - p_a
    p_b = _probabilities(p_b, "p_b")
    if np.any(p_a + p_b > 1 + 1e-12):
        raise ValueError("p_a + p_b must not exceed 1; pass p_b ≤ 1 − p_a.")
    return p_b


def _as_output(values: np.ndarray, *inputs):
    """A float when every probability argument was a scalar, else a numpy array."""
    if all(np.ndim(value) == 0 for value in inputs if value is not None):
        return float(values)
    return values


# ---------------------------------------------------------------------------- Monte Carlo sampling


def _model_device(model: nn.Module, fallback: torch.device) -> torch.device:
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor.device
    return fallback


@contextlib.contextmanager
def _evaluation_mode(model: nn.Module):
    """Evaluate ``model`` in eval mode and restore every submodule's mode afterwards."""
    modes = [(module, module.training) for module in model.modules()]
    if any(training for _, training in modes):
        model.eval()
    try:
        yield
    finally:
        for module, training in modes:
            module.training = training


# Noisy copies per noise draw. The N·num copies (point-major: the num copies of xs[0], then those of
# xs[1], …) are drawn ``chunk`` rows at a time, so the draws never depend on the evaluation batch
# size; for one point (CERTIFY, one generator per image) a chunk is 1000 draws of that point, which
# reproduces the shipped CERTIFY results (drawn in batches of 1000, one point at a time).
NOISE_CHUNK = 1000


def _noise_chunks(xs, *, noise, num, chunk, generator, device):
    """Yield (point index of each row, x + ε) for consecutive chunks of ``chunk`` noisy copies."""
    total = xs.shape[0] * num
    for start in range(0, total, chunk):
        rows = torch.arange(start, min(start + chunk, total), device=device) // num
        epsilon = noise.sample((rows.numel(), *xs.shape[1:]), generator=generator, device=device)
        yield rows, epsilon.to(xs.dtype).add_(xs[rows])  # ε + x == x + ε bit for bit


def _evaluation_batches(chunks, batch_size):
    """Regroup (rows, inputs) chunks into batches of ``batch_size`` rows (the last one may be smaller)."""
    pending, count = [], 0
    for rows, inputs in chunks:
        pending.append((rows, inputs))
        count += rows.numel()
        while count >= batch_size:
            taken, rest, need = [], [], batch_size
            for rows, inputs in pending:
                if need == 0:
                    rest.append((rows, inputs))
                elif rows.numel() <= need:
                    taken.append((rows, inputs))
                    need -= rows.numel()
                else:
                    taken.append((rows[:need], inputs[:need]))
                    rest.append((rows[need:], inputs[need:]))
                    need = 0
            pending, count = rest, count - batch_size
            yield _joined(taken)
    if pending:
        yield _joined(pending)


def _joined(parts):
    if len(parts) == 1:
        return parts[0]
    return torch.cat([rows for rows, _ in parts]), torch.cat([inputs for _, inputs in parts])


def _noisy_logits(model, xs, *, noise, num, batch_size, generator, chunk=NOISE_CHUNK):
    """Yield (point index, logits of F(x + ε)) in batches of ``batch_size`` rows; num draws per point,
    drawn ``chunk`` at a time from ``generator`` (so the logits do not depend on ``batch_size``)."""
    num = checks.positive_int(num, "The number of samples num")
    batch_size = checks.positive_int(batch_size, "batch_size")
    chunk = checks.positive_int(chunk, "chunk")
    if not isinstance(generator, torch.Generator):
        raise ValueError(
            "Pass a torch.Generator built by core.device.make_generator(seed, device) as generator."
        )
    device = _model_device(model, xs.device)
    if generator.device.type != device.type:
        raise ValueError(
            f"The generator lives on {generator.device} but the model runs on {device}; "
            "create the generator on the model's device."
        )
    xs = xs.to(device)
    # IEEE fp32 on CUDA too (cuDNN's default there is TF32: another classifier than the certified one).
    with torch.no_grad(), _evaluation_mode(model), strict_fp32(device):
        chunks = _noise_chunks(xs, noise=noise, num=num, chunk=chunk, generator=generator, device=device)
        for rows, batch in _evaluation_batches(chunks, batch_size):
            with torch.inference_mode():  # the forward only: callers get ordinary tensors back
                logits = model(batch)
            if logits.ndim != 2:
                raise ValueError(
                    f"The model must map a batch to N×classes logits, got shape {tuple(logits.shape)}."
                )
            yield rows, logits


def _class_count(logits: torch.Tensor, num_classes) -> int:
    if num_classes is None:
        return logits.shape[1]
    num_classes = checks.positive_int(num_classes, "num_classes")
    if num_classes < logits.shape[1]:
        raise ValueError(
            f"num_classes={num_classes} but the model outputs {logits.shape[1]} logits; "
            "pass num_classes ≥ the number of logits."
        )
    return num_classes


def sample_counts_many(
    model, xs, *, noise, num, batch_size, generator, num_classes=None, progress=None, chunk=NOISE_CHUNK
) -> torch.Tensor:
    """Counts[i, c] = #{j ≤ num : argmax F(xs[i] + ε_j) = c}, an N×K long tensor on the CPU.

    The N·num noisy copies (point-major) are drawn ``chunk`` at a time (default NOISE_CHUNK) and
    evaluated ``batch_size`` rows at a time (rows of one batch may mix points), counted by one
    ``torch.bincount`` per batch: the counts do not depend on ``batch_size``. Pass ``chunk`` only to
    reproduce draws made in other chunks. ``progress(done, total)``, if given, is called after each
    batch with the number of noisy copies evaluated so far (it draws nothing).
    """
    counts, done = None, 0
    total = xs.shape[0] * num
    for rows, logits in _noisy_logits(
        model, xs, noise=noise, num=num, batch_size=batch_size, generator=generator, chunk=chunk
    ):
        if counts is None:
            classes = _class_count(logits, num_classes)
            counts = torch.zeros(xs.shape[0] * classes, dtype=torch.long, device=logits.device)
        counts += torch.bincount(rows * classes + logits.argmax(dim=1), minlength=counts.numel())
        done += int(rows.numel())
        if progress is not None:
            progress(done, total)
    return counts.view(xs.shape[0], classes).cpu()


def sample_counts(
    model, x, *, noise, num, batch_size, generator, num_classes=None, progress=None, chunk=NOISE_CHUNK
) -> torch.Tensor:
    """Counts[c] = #{j ≤ num : argmax F(x + ε_j) = c} for ONE input x (no batch dimension).

    A long tensor of length num_classes (default: the number of logits) on the CPU; the Monte
    Carlo estimate of P(F(x + ε) = c) is Counts[c] / num.
    """
    return sample_counts_many(
        model,
        x.unsqueeze(0),
        noise=noise,
        num=num,
        batch_size=batch_size,
        generator=generator,
        num_classes=num_classes,
        progress=progress,
        chunk=chunk,
    )[0]


def smoothed_probabilities_many(
    model, xs, *, noise, num, batch_size, generator, chunk=NOISE_CHUNK
) -> torch.Tensor:
    """Soft F_rob for N inputs: the N×K mean of softmax(F(xs[i] + ε)) over num draws (CPU, float64)."""
    total = None
    for rows, logits in _noisy_logits(
        model, xs, noise=noise, num=num, batch_size=batch_size, generator=generator, chunk=chunk
    ):
        probabilities = torch.softmax(logits.double(), dim=1)
        if total is None:
            total = torch.zeros(xs.shape[0], logits.shape[1], dtype=torch.float64, device=logits.device)
        total.index_add_(0, rows, probabilities)
    return (total / num).cpu()


def smoothed_probabilities(model, x, *, noise, num, batch_size, generator, chunk=NOISE_CHUNK) -> torch.Tensor:
    """Soft F_rob(x) = E_ε[softmax F(x + ε)], estimated by the mean over num draws (CPU, float64).

    The soft aggregation of the noisy network's outputs (Li et al. 2019; Pinot et al. 2019); the
    hard vote E_ε[1{F(x + ε) = c}] is :func:`sample_counts` / num.
    """
    return smoothed_probabilities_many(
        model, x.unsqueeze(0), noise=noise, num=num, batch_size=batch_size, generator=generator, chunk=chunk
    )[0]


# ---------------------------------------------------------------------------- PREDICT and CERTIFY


def clopper_pearson_lower(k, n, alpha) -> float:
    """One-sided (1 − α) Clopper–Pearson lower bound on a binomial proportion from k successes in n.

    p_lower = Beta⁻¹(α; k, n − k + 1), and 0 when k = 0 (Clopper & Pearson 1934; Cohen et al. 2019,
    LowerConfBound): P(p ≥ p_lower) ≥ 1 − α.
    """
    n = checks.positive_int(n, "n")
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 0 <= k <= n:
        raise ValueError(f"k must be an integer count between 0 and n={n}, got {k!r}.")
    alpha = _check_alpha(alpha)
    if k == 0:
        return 0.0
    return float(scipy.stats.beta.ppf(alpha, int(k), n - int(k) + 1))


def _count_rows(counts, what: str) -> np.ndarray:
    """``counts`` (an N×K array or tensor of non-negative integer vote counts) as an int64 array."""
    array = counts.numpy() if isinstance(counts, torch.Tensor) else np.asarray(counts)
    if (
        array.ndim != 2
        or array.shape[1] < 1
        or not np.issubdtype(array.dtype, np.integer)
        or np.any(array < 0)
    ):
        raise ValueError(f"{what} must be an N×K array of non-negative integer vote counts, got {counts!r}.")
    return array.astype(np.int64, copy=False)


def binomial_half_p_value(n_a, n_b) -> np.ndarray:
    """Two-sided p-value of the test n_A ~ Binomial(n_A + n_B, ½), element by element, for n_A ≥ n_B ≥ 0:
    P(X ≤ n_B) + P(X ≥ n_A), capped at 1, and 1 when n_A = n_B — scipy.stats.binomtest's computation
    (the test of Cohen et al.'s PREDICT), vectorised."""
    n_a, n_b = np.asarray(n_a, dtype=np.int64), np.asarray(n_b, dtype=np.int64)
    total = np.maximum(n_a + n_b, 1)
    tails = scipy.stats.binom.cdf(n_b, total, 0.5) + scipy.stats.binom.sf(n_a - 1, total, 0.5)
    return np.where(n_a == n_b, 1.0, np.minimum(1.0, tails))


def predict_counts(counts, alpha) -> np.ndarray:
    """Cohen et al. 2019 PREDICT's decision on N×K vote counts, one input per row: the top class c_A
    (counts n_A ≥ n_B of the two most frequent classes) when the two-sided binomial test of
    n_A ~ Binomial(n_A + n_B, ½) rejects at level α (:func:`binomial_half_p_value` ≤ α), else ABSTAIN.
    A tie for the top abstains (its p-value is 1), so which tied class is c_A never matters."""
    counts = _count_rows(counts, "counts")
    alpha = _check_alpha(alpha)
    order = np.argsort(-counts, axis=1, kind="stable")
    top = np.take_along_axis(counts, order[:, :2], axis=1)
    n_b = top[:, 1] if counts.shape[1] > 1 else np.zeros(len(counts), dtype=np.int64)
    return np.where(binomial_half_p_value(top[:, 0], n_b) > alpha, ABSTAIN, order[:, 0])


class CountCertificates(NamedTuple):
    """CERTIFY's outcome on N inputs (:func:`certify_counts`), one entry per input."""

    prediction: np.ndarray  # c_A, or ABSTAIN when p_A_lower < ½
    radius: np.ndarray  # certified_radius(noise, p_A_lower); 0.0 when abstaining
    p_a_lower: np.ndarray  # Clopper–Pearson lower bound on p_A
    guess: np.ndarray  # the class the selection counts pick (kept when abstaining)
    count_a: np.ndarray  # estimation votes for the guess


def certify_counts(selection, estimation, noise, alpha, *, dim=None) -> CountCertificates:
    """Cohen et al. 2019 CERTIFY's decision on vote counts, one input per row (N×K selection and
    estimation counts from separate draws): guess c_A = argmax of the selection counts (the first on a
    tie), n_A = its estimation count, n = the row's number of estimation draws,
    p_A_lower = Beta⁻¹(α; n_A, n − n_A + 1) (0 when n_A = 0; :func:`clopper_pearson_lower`); abstain
    (radius 0) when p_A_lower < ½, else R = certified_radius(noise, p_A_lower, dim=dim)."""
    selection, estimation = _count_rows(selection, "selection"), _count_rows(estimation, "estimation")
    if selection.shape != estimation.shape:
        raise ValueError(
            f"selection and estimation counts must have one shape, got {selection.shape} and "
            f"{estimation.shape}."
        )
    alpha = _check_alpha(alpha)
    if noise.certified_norm is None:
        raise ValueError(
            f"{noise.label} noise has no certified radius; certify with gaussian, laplace, uniform or "
            "generalized normal noise with β ≥ 1."
        )
    n = estimation.sum(axis=1)
    if np.any(n < 1):
        raise ValueError("Every row of estimation counts needs at least one draw.")
    guess = selection.argmax(axis=1)
    count_a = estimation[np.arange(len(guess)), guess]
    p_a_lower = np.zeros(len(guess))
    drawn = count_a > 0
    p_a_lower[drawn] = scipy.stats.beta.ppf(alpha, count_a[drawn], n[drawn] - count_a[drawn] + 1)
    certified = p_a_lower >= 0.5
    radius = np.zeros(len(guess))
    if certified.any():
        radius[certified] = certified_radius(noise, p_a_lower[certified], dim=dim)
    return CountCertificates(np.where(certified, guess, ABSTAIN), radius, p_a_lower, guess, count_a)


def predict(model, x, *, noise, n, alpha, batch_size, generator, num_classes=None) -> int:
    """Cohen et al. 2019 PREDICT: F_rob(x), or ABSTAIN (−1).

    Draws n noisy copies, takes the two most frequent classes with counts n_A ≥ n_B and returns
    c_A iff the two-sided binomial test of n_A ~ Binomial(n_A + n_B, ½) rejects at level α
    (Hung & Fithian 2019; :func:`predict_counts`). Guarantee: P(returns a class ≠ F_rob(x)) ≤ α.
    """
    n = checks.positive_int(n, "n")
    alpha = _check_alpha(alpha)
    counts = sample_counts(
        model, x, noise=noise, num=n, batch_size=batch_size, generator=generator, num_classes=num_classes
    )
    return int(predict_counts(counts[None], alpha)[0])


@dataclass(frozen=True)
class Certificate:
    """Everything CERTIFY computed at one input (Cohen et al. 2019, Algorithm 1).

    ``prediction`` c_A (ABSTAIN when p_A_lower < ½) and ``radius`` (0.0 when abstaining) are what
    :func:`certify` returns; ``guess`` is the class the n0 selection draws picked (kept when
    abstaining), ``selection_counts`` / ``counts`` the per-class votes of the n0 selection and the
    n estimation draws, ``count_a`` = counts[guess], ``p_a_lower`` = clopper_pearson_lower(count_a,
    n, α), ``norm`` the norm of the radius.
    """

    prediction: int
    radius: float
    p_a_lower: float
    counts: tuple[int, ...]
    selection_counts: tuple[int, ...]
    guess: int
    count_a: int
    n0: int
    n: int
    alpha: float
    norm: str

    @property
    def abstained(self) -> bool:
        return self.prediction == ABSTAIN

    @property
    def unanimous(self) -> bool:
        """All n estimation votes went to the guess: p_A_lower = α^{1/n}, the radius is the ceiling."""
        return self.count_a == self.n


def certify_details(
    model, x, *, noise, n0, n, alpha, batch_size, generator, num_classes=None, progress=None
) -> Certificate:
    """Cohen et al. 2019 CERTIFY with everything it computed (:class:`Certificate`): the class and
    radius of :func:`certify` (same draws, same result for the same generator), p_A's
    Clopper–Pearson lower bound and the vote counts.

    n0 selection draws guess c_A = argmax counts₀; n fresh estimation draws give n_A = counts[c_A]
    and p_A_lower = Beta⁻¹(α; n_A, n − n_A + 1); abstain when p_A_lower < ½, else
    R = certified_radius(noise, p_A_lower, dim=x.numel()) (σΦ⁻¹(p_A_lower) for Gaussian noise).
    ``progress(done, n0 + n)`` reports the draws evaluated so far (progress bars; draws nothing).
    """
    n0 = checks.positive_int(n0, "n0")
    n = checks.positive_int(n, "n")
    alpha = _check_alpha(alpha)
    if noise.certified_norm is None:
        raise ValueError(
            f"{noise.label} noise has no certified radius; certify with gaussian, laplace, uniform or "
            "generalized normal noise with β ≥ 1."
        )
    total = n0 + n
    report = None if progress is None else (lambda done, _: progress(done, total))
    selection = sample_counts(
        model,
        x,
        noise=noise,
        num=n0,
        batch_size=batch_size,
        generator=generator,
        num_classes=num_classes,
        progress=report,
    )
    report = None if progress is None else (lambda done, _: progress(n0 + done, total))
    estimation = sample_counts(
        model,
        x,
        noise=noise,
        num=n,
        batch_size=batch_size,
        generator=generator,
        num_classes=num_classes,
        progress=report,
    )
    decided = certify_counts(selection[None], estimation[None], noise, alpha, dim=x.numel())
    return Certificate(
        prediction=int(decided.prediction[0]),
        radius=float(decided.radius[0]),
        p_a_lower=float(decided.p_a_lower[0]),
        counts=tuple(int(c) for c in estimation),
        selection_counts=tuple(int(c) for c in selection),
        guess=int(decided.guess[0]),
        count_a=int(decided.count_a[0]),
        n0=n0,
        n=n,
        alpha=alpha,
        norm=noise.certified_norm,
    )


def certify(model, x, *, noise, n0, n, alpha, batch_size, generator, num_classes=None) -> tuple[int, float]:
    """Cohen et al. 2019 CERTIFY: (c_A, R) such that, with probability ≥ 1 − α, F_rob(x) = c_A and
    F_rob(x') = c_A for every x' with ‖x' − x‖ < R in ``noise.certified_norm``; (ABSTAIN, 0.0) otherwise.

    n0 selection draws guess c_A; n fresh estimation draws give n_A and the Clopper–Pearson bound
    p_A_lower = clopper_pearson_lower(n_A, n, α); abstain when p_A_lower < ½, else
    R = certified_radius(noise, p_A_lower, dim=x.numel()) (σΦ⁻¹(p_A_lower) for Gaussian noise).
    :func:`certify_details` runs the same code and also returns p_A_lower and the counts.
    """
    details = certify_details(
        model,
        x,
        noise=noise,
        n0=n0,
        n=n,
        alpha=alpha,
        batch_size=batch_size,
        generator=generator,
        num_classes=num_classes,
    )
    return details.prediction, details.radius


class Smooth:
    """The smoothed classifier F_rob of a base ``model`` under ``noise`` (after locuslab/smoothing).

    ``predict`` and ``certify`` delegate to the module functions with this model, noise and
    num_classes; ``generator`` must live on the model's device.
    """

    ABSTAIN = ABSTAIN

    def __init__(self, model: nn.Module, noise, num_classes: int):
        self.model = model
        self.noise = noise
        self.num_classes = checks.positive_int(num_classes, "num_classes")

    def predict(self, x, *, n, alpha, batch_size, generator) -> int:
        return predict(
            self.model,
            x,
            noise=self.noise,
            n=n,
            alpha=alpha,
            batch_size=batch_size,
            generator=generator,
            num_classes=self.num_classes,
        )

    def certify(self, x, *, n0, n, alpha, batch_size, generator) -> tuple[int, float]:
        return certify(
            self.model,
            x,
            noise=self.noise,
            n0=n0,
            n=n,
            alpha=alpha,
            batch_size=batch_size,
            generator=generator,
            num_classes=self.num_classes,
        )

    def __repr__(self) -> str:
        return f"Smooth({type(self.model).__name__}, {self.noise!r}, num_classes={self.num_classes})"


# ---------------------------------------------------------------------------- certified radii


def gaussian_radius(p_a, sigma, p_b=None):
    """Cohen et al. 2019, Theorem 1 (ℓ2, ε ~ N(0, σ²I)):

    R = σ/2 · (Φ⁻¹(p_A) − Φ⁻¹(p_B)) with a bound p_B on the runner-up, and R = σ Φ⁻¹(p_A) when
    p_b is None (p_B = 1 − p_A). Tight: a linear classifier attains it. 0 when p_A ≤ ½ (resp. p_A ≤ p_B).
    """
    sigma = checks.positive(sigma, "sigma")
    p = _probabilities(p_a, "p_a")
    with np.errstate(divide="ignore", invalid="ignore"):
        if p_b is None:
            radius = np.where(p > 0.5, sigma * scipy.stats.norm.ppf(p), 0.0)
        else:
            q = _second_probability(p, p_b)
            difference = scipy.stats.norm.ppf(p) - scipy.stats.norm.ppf(q)
            radius = np.where(p > q, sigma / 2 * difference, 0.0)
    return _as_output(radius, p_a, p_b)


def laplace_radius(p_a, scale):
    """ℓ1 radius for ε with i.i.d. Laplace(0, b) coordinates (Teng et al. 2020; Pinot et al. 2019):

    R = −b · ln(2(1 − p_A)), 0 when p_A ≤ ½. Tight for a half-space classifier along one axis.
    """
    scale = checks.positive(scale, "scale")
    p = _probabilities(p_a, "p_a")
    with np.errstate(divide="ignore"):
        radius = np.where(p > 0.5, -scale * np.log(2 * (1 - p)), 0.0)
    return _as_output(radius, p_a)


def uniform_radius(p_a, scale, norm="l1", dim=None):
    """Radius for ε uniform on [−λ, λ]^d (Yang et al. 2020, "Randomized smoothing of all shapes and sizes"):

    ℓ1: R = 2λ(p_A − ½);  ℓ∞: R = 2λ(1 − (3/2 − p_A)^{1/d}) (needs the dimension d).
    0 when p_A ≤ ½.
    """
    scale = checks.positive(scale, "scale")
    p = _probabilities(p_a, "p_a")
    if norm == "l1":
        radius = np.where(p > 0.5, 2 * scale * (p - 0.5), 0.0)
    elif norm == "linf":
        if dim is None:
            raise ValueError("The ℓ∞ uniform radius depends on the input dimension; pass dim=x.numel().")
        dim = checks.positive_int(dim, "dim")
        radius = np.where(p > 0.5, 2 * scale * (1 - np.power(np.clip(1.5 - p, 0.5, 1.0), 1.0 / dim)), 0.0)
    else:
        raise ValueError(f"norm must be 'l1' or 'linf' for uniform noise, got {norm!r}.")
    return _as_output(radius, p_a)


_RENYI_ORDERS = 1.0 + np.geomspace(1e-3, 1e3, 1200)


def renyi_radius(p_a, sigma, p_b=None):
    """Li et al. 2019 ("Certified adversarial robustness with additive noise"), Rényi-divergence bound (ℓ2):

    R = sup_{α>1} σ · sqrt(−(2/α) · ln(1 − p_A − p_B + 2((p_A^{1−α} + p_B^{1−α})/2)^{1/(1−α)})),
    p_B = 1 − p_A by default; the sup is taken over a log-spaced grid of orders α ∈ (1, 1001].
    Never larger than Cohen et al.'s tight :func:`gaussian_radius`. 0 when p_A ≤ p_B.
    """
    sigma = checks.positive(sigma, "sigma")
    p = _probabilities(p_a, "p_a")
    q = _second_probability(p, p_b)
    orders = _RENYI_ORDERS.reshape((-1,) + (1,) * p.ndim)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # Power mean ((p^{1−α} + q^{1−α})/2)^{1/(1−α)} in log space: p^{1−α} overflows for large α.
        log_mean = (np.logaddexp((1 - orders) * np.log(p), (1 - orders) * np.log(q)) - np.log(2)) / (
            1 - orders
        )
        argument = 1 - p - q + 2 * np.exp(log_mean)
        bound = -(2 / orders) * np.log(np.clip(argument, 0.0, 1.0))
    radius = sigma * np.sqrt(np.nan_to_num(bound, nan=0.0, posinf=np.inf).max(axis=0).clip(min=0.0))
    radius = np.where(p > q, radius, 0.0)
    return _as_output(radius, p_a, p_b)


def exponential_family_radius(noise, p_a, p_b=None) -> float:
    """Pinot et al. 2019's exponential-family noises certified by the divergence route (Li et al. 2019,
    Lemma 1): F_rob keeps its answer at x + τ while D_α(P_x ‖ P_{x+τ}) ≤
    −log(1 − p_A − p_B + 2((p_A^{1−α} + p_B^{1−α})/2)^{1/(1−α)}) for some α > 1 (α → ∞ included, where
    the right-hand side is −log(1 − p_A + p_B)); R is the largest ‖τ‖ meeting it, sup over α.

    In ``noise.certified_norm``: Gaussian ℓ2 (D_α = α‖τ‖₂²/(2σ²): Li et al.'s :func:`renyi_radius`),
    Laplace ℓ1 (the α → ∞ limit gives Teng et al.'s :func:`laplace_radius`), generalized normal
    (β ≥ 1) ℓ1, with the divergence of the product law bounded over the ℓ1 ball by the 1-D one at ‖τ‖₁
    (core.divergence: convexity of the 1-D divergence). p_B = 1 − p_A by default; 0 when p_A ≤ p_B.
    """
    from core import divergence

    return float(divergence.divergence_radius(noise, p_a, p_b)[0])


_PIXELDP_EPSILONS = np.linspace(1e-3, 1.0, 1000)


def pixeldp_radius(p_a, sigma, p_b=None):
    """Lecuyer et al. 2019 (PixelDP), ℓ2 radius of the Gaussian mechanism
    σ = sqrt(2 ln(1.25/δ)) · L / ε, ε ≤ 1.

    The noise makes the expected scores (ε, δ)-DP for inputs within ℓ2 distance L, and the
    prediction is robust when p_A > e^{2ε} p_B + (1 + e^ε) δ. For each ε on a grid of (0, 1] the
    largest admissible δ is δ(ε) = (p_A − e^{2ε} p_B)/(1 + e^ε), giving L = σ ε / sqrt(2 ln(1.25/δ(ε)));
    R is the largest such L (p_B = 1 − p_A by default), 0 when no (ε, δ) qualifies.
    """
    sigma = checks.positive(sigma, "sigma")
    p = _probabilities(p_a, "p_a")
    q = _second_probability(p, p_b)
    epsilons = _PIXELDP_EPSILONS.reshape((-1,) + (1,) * p.ndim)
    delta = (p - np.exp(2 * epsilons) * q) / (1 + np.exp(epsilons))
    with np.errstate(divide="ignore", invalid="ignore"):
        sensitivity = sigma * epsilons / np.sqrt(2 * np.log(1.25 / delta))
    radius = np.where(delta > 0, sensitivity, 0.0).max(axis=0)
    return _as_output(radius, p_a, p_b)


def matched_variance_radii(p_a, std) -> dict[str, np.ndarray]:
    """Certified radius as a function of p_A for each noise, all at the same per-coordinate
    standard deviation ``std`` (σ = std, b = std/√2, λ = std·√3): the comparison the talk draws.

    Keys name the bound and its paper: Cohen et al. 2019 (Gaussian ℓ2, tight), Li et al. 2019
    (Rényi), Lecuyer et al. 2019 (PixelDP), Teng et al. 2020 (Laplace ℓ1), Yang et al. 2020
    (uniform ℓ1). ℓ1 and ℓ2 radii are in different norms: compare shapes, not values.
    """
    std = checks.positive(std, "std")
    return {
        "Gaussian ℓ2 — Cohen et al. 2019": gaussian_radius(p_a, std),
        "Gaussian ℓ2 — Li et al. 2019 (Rényi)": renyi_radius(p_a, std),
        "Gaussian ℓ2 — Lecuyer et al. 2019 (PixelDP)": pixeldp_radius(p_a, std),
        "Laplace ℓ1 — Teng et al. 2020": laplace_radius(p_a, scale_for_std("laplace", std)),
        "Uniform ℓ1 — Yang et al. 2020": uniform_radius(p_a, scale_for_std("uniform", std)),
    }


def radius_ceiling(sigma, alpha, n):
    """The largest Gaussian radius CERTIFY can return with n samples: σ Φ⁻¹(α^{1/n}).

    When all n votes agree, p_A_lower = Beta⁻¹(α; n, 1) = α^{1/n} (Cohen et al. 2019, §3.2.2:
    with σ = 0.25, n = 100 000, α = 0.001 no radius beyond ≈ 1 can be certified).
    """
    sigma = checks.positive(sigma, "sigma")
    alpha = _check_alpha(alpha)
    n = checks.positive_int(n, "n")
    return gaussian_radius(alpha ** (1.0 / n), sigma)


def gaussian_tv_bound(distance, sigma) -> float:
    """Total variation between N(x, σ²I) and N(x + τ, σ²I): TV = 2Φ(‖τ‖₂/(2σ)) − 1, ``distance`` = ‖τ‖₂.

    It does not depend on the classifier F: for every class c (and every F),
    |P(F(x + ε) = c) − P(F(x + τ + ε) = c)| ≤ TV, and the vote distributions p(x), p(x + τ) are within
    TV of each other. So F_rob keeps its answer when p_A − p_B > 2·TV — the argument that, made tight
    with the Neyman–Pearson lemma, leads to Cohen et al. 2019's Theorem 1 (R = σΦ⁻¹(p_A)).
    """
    sigma = checks.positive(sigma, "sigma")
    if isinstance(distance, bool) or not isinstance(distance, numbers.Real) or not 0 <= distance < np.inf:
        raise ValueError(f"distance must be a non-negative finite number ‖τ‖₂, got {distance!r}.")
    return float(2 * scipy.stats.norm.cdf(distance / (2 * sigma)) - 1)


def certify_ceiling(noise, alpha, n) -> float:
    """The largest radius CERTIFY can return for ``noise`` at (n, α), in ``noise.certified_norm``:
    certified_radius(noise, α^{1/n}), since p_A_lower = Beta⁻¹(α; n, 1) = α^{1/n} when all n votes
    agree. For Gaussian noise it is :func:`radius_ceiling` σΦ⁻¹(α^{1/n}).
    """
    alpha = _check_alpha(alpha)
    n = checks.positive_int(n, "n")
    return float(certified_radius(noise, alpha ** (1.0 / n)))


def draws_for_ceiling(noise, alpha, radius) -> int:
    """The smallest n whose CERTIFY ceiling reaches ``radius``: min{n : certified_radius(noise, α^{1/n}) ≥
    radius} (Cohen et al. 2019: with n draws p_A_lower ≤ α^{1/n}, so no certificate exceeds that radius). For
    Gaussian noise, n ≥ ln α / ln Φ(radius/σ). Found by doubling then bisection on :func:`certify_ceiling`
    (increasing in n).
    """
    alpha = _check_alpha(alpha)
    radius = checks.positive(radius, "radius")
    if getattr(noise, "name", None) == "gaussian":  # closed form; log Φ keeps its precision for huge n
        return max(1, int(np.ceil(np.log(alpha) / scipy.stats.norm.logcdf(radius / noise.scale))))
    upper = 1
    while certify_ceiling(noise, alpha, upper) < radius:
        upper *= 2
        if alpha ** (1.0 / upper) >= 1.0:  # α^{1/n} rounds to 1 in double precision
            raise ValueError(
                f"No practical n certifies radius {radius:g} with {noise!r}; pick a smaller radius."
            )
    lower = upper // 2  # ceiling(lower) < radius ≤ ceiling(upper), or lower = 0
    while upper - lower > 1:
        middle = (lower + upper) // 2
        lower, upper = (lower, middle) if certify_ceiling(noise, alpha, middle) >= radius else (middle, upper)
    return upper


def certified_radius(noise, p_a, *, dim=None, norm=None):
    """The radius certified by ``noise`` for a lower bound p_A, in ``noise.certified_norm`` (or ``norm``).

    gaussian → ℓ2 :func:`gaussian_radius`; laplace → ℓ1 :func:`laplace_radius`; uniform → ℓ1 (or
    ℓ∞ with norm="linf" and dim) :func:`uniform_radius`; generalized normal (β ≥ 1) → ℓ1
    :func:`exponential_family_radius` (the divergence route).
    """
    name = getattr(noise, "name", None)
    if name == "gaussian" and norm in (None, "l2"):
        return gaussian_radius(p_a, noise.scale)
    if name == "laplace" and norm in (None, "l1"):
        return laplace_radius(p_a, noise.scale)
    if name == "uniform" and norm in (None, "l1", "linf"):
        return uniform_radius(p_a, noise.scale, norm=norm or "l1", dim=dim)
    if name == "generalized_normal" and noise.certified_norm is not None and norm in (None, "l1"):
        if np.ndim(p_a) == 0:
            return exponential_family_radius(noise, p_a)
        return np.vectorize(lambda p: exponential_family_radius(noise, float(p)), otypes=[float])(p_a)
    if name in ("gaussian", "laplace", "uniform", "generalized_normal") and noise.certified_norm is not None:
        raise ValueError(
            f"{noise.label} noise certifies the {noise.certified_norm} norm, not {norm!r}; leave norm=None."
        )
    raise ValueError(
        f"No certified radius for noise {noise!r}; use gaussian, laplace, uniform or generalized "
        "normal noise with β ≥ 1."
    )


def input_space_radius(radius, lipschitz_bound):
    """R / L: noise injected after layer i certifies a radius R in that layer's space; if L ≥ the
    Lipschitz constant of φ(i)∘…∘φ(1), every input within R / L maps inside that ball (Li et al.
    2019; Pinot et al. 2019; L from ``core.lipschitz``).
    """
    lipschitz_bound = checks.positive(lipschitz_bound, "lipschitz_bound")
    values = np.asarray(radius, dtype=np.float64)
    if not np.all(values >= 0):
        raise ValueError(f"radius must be non-negative, got {radius!r}.")
    return _as_output(values / lipschitz_bound, radius)
