"""Noise distributions D(0, scale) for noise injection and randomized smoothing.

Every coordinate of ε is drawn i.i.d. from one of:

- ``"gaussian"``: N(0, σ²), scale = σ; certifies ℓ2 radii (Cohen et al. 2019).
- ``"laplace"``: density ∝ exp(−|t|/b), scale = b; certifies ℓ1 radii (Teng et al. 2020; Pinot et al. 2019).
- ``"uniform"``: uniform on [−λ, λ], scale = λ; certifies ℓ1 (and ℓ∞) radii (Yang et al. 2020).
- ``"generalized_normal"``: density ∝ exp(−|t/s|^β), scale = s, shape β (default 1.5), the
  exponential-family member between Laplace (β = 1) and Gaussian (β = 2, σ = s/√2) studied by
  Pinot et al. 2019; for β ≥ 1 it certifies ℓ1 radii by the Rényi-divergence route (Li et al. 2019;
  core.divergence, core.smoothing.exponential_family_radius); for β < 1 that route certifies nothing
  (``certified_norm`` is None).

Draws come only from the ``torch.Generator`` passed to :meth:`Noise.sample`, which must live on the
device the sample is drawn on; the same generator state gives the same noise.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.special
import scipy.stats
import torch

from core import checks
from core.device import resolve_device

NOISES = ("gaussian", "laplace", "uniform", "generalized_normal")

_SCALE_SYMBOL = {"gaussian": "σ", "laplace": "b", "uniform": "λ", "generalized_normal": "s"}
_TITLE = {
    "gaussian": "Gaussian",
    "laplace": "Laplace",
    "uniform": "Uniform",
    "generalized_normal": "Generalized normal",
}
_CERTIFIED_NORM = {"gaussian": "l2", "laplace": "l1", "uniform": "l1", "generalized_normal": "l1"}
_DEFAULT_PARAMS = {"gaussian": {}, "laplace": {}, "uniform": {}, "generalized_normal": {"beta": 1.5}}


def _check_name(name: str) -> str:
    if name not in NOISES:
        raise ValueError(f"Unknown noise {name!r}; choose one of {', '.join(NOISES)}.")
    return name


def _check_params(name: str, params: dict) -> dict:
    allowed = _DEFAULT_PARAMS[name]
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        accepted = ", ".join(allowed) if allowed else "no extra parameters"
        raise ValueError(f"{name} noise does not take {', '.join(unknown)}; it accepts {accepted}.")
    merged = {**allowed, **params}
    if "beta" in merged:
        beta = merged["beta"]
        if (
            isinstance(beta, bool)
            or not isinstance(beta, (int, float))
            or not math.isfinite(beta)
            or beta <= 0
        ):
            raise ValueError(f"beta must be a positive number, got {beta!r}.")
        merged["beta"] = float(beta)
    return merged


def std_factor(name: str, **params) -> float:
    """Standard deviation of the noise with scale 1: std = scale · std_factor.

    gaussian 1; laplace √2 (Var = 2b²); uniform 1/√3 (Var = λ²/3);
    generalized normal √(Γ(3/β)/Γ(1/β)) (Var = s² Γ(3/β)/Γ(1/β)).
    """
    name = _check_name(name)
    params = _check_params(name, params)
    if name == "gaussian":
        return 1.0
    if name == "laplace":
        return math.sqrt(2.0)
    if name == "uniform":
        return 1.0 / math.sqrt(3.0)
    beta = params["beta"]
    return math.exp(0.5 * (math.lgamma(3.0 / beta) - math.lgamma(1.0 / beta)))


class Noise:
    """ε with i.i.d. coordinates from D(0, scale); build it with :func:`make`.

    Attributes: ``name`` (one of :data:`NOISES`), ``scale``, ``params`` (extra shape parameters,
    e.g. ``{"beta": 1.5}``), ``std`` (per-coordinate standard deviation), ``certified_norm``
    ("l2", "l1" or None: the norm in which :func:`core.smoothing.certified_radius` certifies; None for a
    generalized normal with β < 1).
    Equal noises compare equal and hash alike, so they can key caches.
    """

    def __init__(self, name: str, scale: float, **params):
        self.name = _check_name(name)
        self.scale = checks.positive(scale, "scale")
        self._params = tuple(sorted(_check_params(name, params).items()))

    @property
    def params(self) -> dict:
        return dict(self._params)

    @property
    def std(self) -> float:
        return self.scale * std_factor(self.name, **self.params)

    @property
    def certified_norm(self) -> str | None:
        if self.name == "generalized_normal" and self.params["beta"] < 1:
            return None  # the 1-D divergence is not convex: no ℓ1 certificate (core.divergence)
        return _CERTIFIED_NORM[self.name]

    @property
    def label(self) -> str:
        text = f"{_TITLE[self.name]} {_SCALE_SYMBOL[self.name]}={self.scale:g}"
        return text + "".join(f", {'β' if key == 'beta' else key}={value:g}" for key, value in self._params)

    def __repr__(self) -> str:
        return self.label

    def __eq__(self, other) -> bool:
        return isinstance(other, Noise) and (self.name, self.scale, self._params) == (
            other.name,
            other.scale,
            other._params,
        )

    def __hash__(self) -> int:
        return hash((self.name, self.scale, self._params))

    def distribution(self):
        """The same law as a frozen ``scipy.stats`` distribution (for densities, CDFs and tests)."""
        if self.name == "gaussian":
            return scipy.stats.norm(scale=self.scale)
        if self.name == "laplace":
            return scipy.stats.laplace(scale=self.scale)
        if self.name == "uniform":
            return scipy.stats.uniform(loc=-self.scale, scale=2 * self.scale)
        return scipy.stats.gennorm(self.params["beta"], scale=self.scale)

    def pdf(self, t):
        """Density of one coordinate at ``t`` (float or numpy array)."""
        return self.distribution().pdf(t)

    def sample(self, shape, *, generator: torch.Generator, device="cpu") -> torch.Tensor:
        """A float32 tensor of ``shape`` on ``device`` drawn only from ``generator``.

        ``generator`` must live on ``device`` (``core.device.make_generator(seed, device)``).
        """
        device = resolve_device(device)
        if not isinstance(generator, torch.Generator):
            raise ValueError(
                "sample needs a torch.Generator; build one with core.device.make_generator(seed, device)."
            )
        if generator.device.type != device.type:
            raise ValueError(
                f"The generator lives on {generator.device} but the noise is drawn on {device}; "
                "create the generator on the same device."
            )
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        options = dict(generator=generator, device=device)
        # In place after the draw: the same products bit for bit, without a second large tensor (CERTIFY
        # draws millions of values; a fresh 12 MB allocation per chunk cost as much as the draw itself).
        if self.name == "gaussian":
            return torch.randn(shape, dtype=torch.float32, **options).mul_(self.scale)
        if self.name == "uniform":
            return torch.rand(shape, dtype=torch.float32, **options).mul_(2).sub_(1).mul_(self.scale)
        if self.name == "laplace":
            # |ε| ~ Exponential(1/b) with an independent random sign.
            magnitude = torch.empty(shape, dtype=torch.float32, device=device).exponential_(
                1.0, generator=generator
            )
            sign = torch.empty(shape, dtype=torch.float32, device=device).bernoulli_(0.5, generator=generator)
            return sign.mul_(2).sub_(1).mul_(magnitude).mul_(self.scale)
        return self._sample_generalized_normal(shape, generator, device)

    def _sample_generalized_normal(self, shape, generator, device) -> torch.Tensor:
        # Inverse CDF: |ε/s|^β ~ Gamma(1/β, 1), so with v = 2u − 1 uniform on (−1, 1),
        # ε = s · sign(v) · P⁻¹(1/β, |v|)^{1/β} where P⁻¹ is the inverse regularized lower gamma function.
        # float64 uniforms keep the tails accurate; scipy evaluates P⁻¹ on the CPU.
        beta = self.params["beta"]
        v = torch.rand(shape, dtype=torch.float64, generator=generator, device=device) * 2 - 1
        v = v.cpu().numpy()
        magnitude = scipy.special.gammaincinv(1.0 / beta, np.abs(v)) ** (1.0 / beta)
        values = np.sign(v) * magnitude * self.scale
        return torch.from_numpy(values.astype(np.float32)).to(device)


def make(name: str, scale: float, **kw) -> Noise:
    """The noise ``name`` with ``scale`` (σ gaussian, b laplace, λ uniform on [−λ, λ], s generalized normal).

    ``kw``: ``beta`` (shape β > 0, default 1.5) for ``"generalized_normal"`` only.
    """
    return Noise(name, scale, **kw)


def scale_for_std(name: str, std: float, **kw) -> float:
    """The scale whose noise has per-coordinate standard deviation ``std`` (to compare noises fairly)."""
    std = checks.positive(std, "std")
    return std / std_factor(name, **kw)
