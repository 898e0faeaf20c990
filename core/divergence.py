"""Divergences between noisy laws, and the Rényi route from a divergence to a certified radius.

Pinot et al. 2019 ("Theoretical evidence for adversarial robustness through randomization") bound
how far the law of the noisy network's output can move when the input moves by τ, for noise from the
exponential family, through a divergence between the two input laws D(0, ·) and D(τ, ·). Li et al.
2019 ("Certified adversarial robustness with additive noise", Lemma 1 and Theorem 1) turn a bound on
the Rényi divergence into a certificate: the top class of the output law cannot change while

    D_α(P_x ‖ P_{x+τ}) ≤ −log(1 − p_A − p_B + 2·((p_A^{1−α} + p_B^{1−α})/2)^{1/(1−α)})   for some α > 1,

because the output law is a post-processing of the input law (data processing inequality).

All noises here have i.i.d. coordinates with an even density p = e^{−φ}, so the divergence of the
product law for a shift τ is Σ_i f_α(|τ_i|), f_α the 1-D divergence of a shift by one scalar, and
D_α(P_0 ‖ P_τ) = D_α(P_τ ‖ P_0) (reflect t ↦ τ − t). A certificate needs the sup of Σ_i f_α(|τ_i|)
over the ball of the certified norm (:func:`ball_renyi_divergence`):

- Gaussian N(0, σ²): f_α(s) = α s²/(2σ²), so the sum is α‖τ‖₂²/(2σ²): the ℓ2 ball, exactly.
- Laplace (density ∝ exp(−|t|/b)) and the generalized normal (∝ exp(−|t/s|^β), β ≥ 1): the ℓ1 ball,
  where the sup is f_α(r), one coordinate carrying the whole shift. Proof: φ is convex, so for α > 1
  t ↦ −αφ(t) + (α−1)φ(t − u) is convex in u for every t, and
  u ↦ ∫ exp(−αφ(t) + (α−1)φ(t − u)) dt is log-convex (Hölder); hence f_α is convex with
  f_α(0) = 0, so f_α(u)/u is nondecreasing and f_α is superadditive on [0, ∞):
  Σ_i f_α(|τ_i|) ≤ f_α(Σ_i |τ_i|) ≤ f_α(r) on the ℓ1 ball of radius r (f_α is nondecreasing).
  For β < 1, φ is not convex and the argument fails: f_∞(u) = (u/s)^β is concave, and spreading a
  shift r over d coordinates gives d^{1−β}(r/s)^β → ∞; no ℓ1 radius is certified for β < 1.

The α → ∞ limit is included: there the bound's right-hand side tends to −log(1 − p_A + p_B) and
D_∞(P_0 ‖ P_τ) = log sup p(t)/p(t − τ) is ‖τ‖₁/b for Laplace noise (Teng et al. 2020's radius
−b log(2(1 − p_A)) follows), infinite for the Gaussian and for generalized normals with β > 1.
"""

from __future__ import annotations

import functools
import math
import numbers

import numpy as np
import scipy.integrate
import scipy.optimize

from core import checks
from core.noise import make as make_noise

# Orders α of the coarse search: α − 1 at four points a decade over [1e-3, 1e3], then refined around the best.
ORDERS = 1.0 + np.geomspace(1e-3, 1e3, 25)
DIVERGENCE_NOISES = ("gaussian", "laplace", "generalized_normal")


# ---------------------------------------------------------------------------- argument checks


def _order(order) -> float:
    if isinstance(order, bool) or not isinstance(order, numbers.Real) or not order > 1:
        raise ValueError(f"The Rényi order α must be a number > 1 (math.inf allowed), got {order!r}.")
    return float(order)


def _distance(distance) -> float:
    if isinstance(distance, bool) or not isinstance(distance, numbers.Real) or not 0 <= distance < math.inf:
        raise ValueError(f"The shift ‖τ‖ must be a non-negative finite number, got {distance!r}.")
    return float(distance)


def _beta(beta) -> float:
    return checks.positive(beta, "The shape β")


def probabilities(p_a, p_b=None) -> tuple[float, float]:
    """(p_A, p_B) as floats, p_B = 1 − p_A by default; ValueError unless both lie in [0, 1] and p_A + p_B ≤
    1."""
    values = []
    for value, name in ((p_a, "p_a"), (p_b, "p_b")):
        if value is None:
            values.append(None)
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
            raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}.")
        values.append(float(value))
    p_a, p_b = values
    if p_b is None:
        p_b = 1.0 - p_a
    if p_a + p_b > 1 + 1e-12:
        raise ValueError("p_a + p_b must not exceed 1; pass p_b ≤ 1 − p_a.")
    return p_a, p_b


# ---------------------------------------------------------------------------- Li et al.'s lemma


def li_renyi_bound(p_a, p_b=None, *, order) -> float:
    """Li et al. 2019, Lemma 1: the top class of an output law (p_A > p_B the two largest
    probabilities) cannot change while the Rényi divergence of order α stays at most

        −log(1 − p_A − p_B + 2·M_{1−α}(p_A, p_B)),   M_{1−α}(a, b) = ((a^{1−α} + b^{1−α})/2)^{1/(1−α)},

    the power mean of order 1 − α. As α → ∞, M → min(p_A, p_B) = p_B and the bound tends to
    −log(1 − p_A + p_B) (``order=math.inf``). p_B = 1 − p_A by default; 0 when p_A ≤ p_B; +inf when
    p_B = 0 < p_A.
    """
    p_a, p_b = probabilities(p_a, p_b)
    order = _order(order)
    if p_a <= p_b:
        return 0.0
    if p_b == 0.0:
        return math.inf
    if math.isinf(order):
        mean = p_b
    else:
        # The power mean in log space: p^{1−α} overflows for large α.
        exponent = 1.0 - order
        mean = math.exp(
            (np.logaddexp(exponent * math.log(p_a), exponent * math.log(p_b)) - math.log(2)) / exponent
        )
    argument = 1.0 - p_a - p_b + 2.0 * mean
    return -math.log(argument) if argument > 0 else math.inf


# ---------------------------------------------------------------------------- 1-D Rényi divergences


def gaussian_renyi_divergence(distance, sigma, *, order) -> float:
    """D_α(N(0, σ²I) ‖ N(τ, σ²I)) = α‖τ‖₂²/(2σ²) (e.g. Gil, Alajaji & Linder 2013; Li et al. 2019),
    a function of ``distance`` = ‖τ‖₂ only; +inf for α = ∞ and τ ≠ 0."""
    distance, sigma, order = _distance(distance), checks.positive(sigma, "sigma"), _order(order)
    if distance == 0:
        return 0.0
    return math.inf if math.isinf(order) else order * distance**2 / (2 * sigma**2)


def laplace_renyi_divergence(distance, scale, *, order) -> float:
    """D_α(Lap(0, b) ‖ Lap(u, b)) for ONE coordinate shifted by u = ``distance`` (Mironov 2017, "Rényi
    differential privacy", Prop. 6, at sensitivity u):

        1/(α − 1) · log( α/(2α − 1) · e^{(α−1)u/b} + (α − 1)/(2α − 1) · e^{−αu/b} ),

    and u/b for α = ∞. A product law adds these over coordinates (:func:`product_renyi_divergence`).
    """
    distance, scale, order = _distance(distance), checks.positive(scale, "scale"), _order(order)
    u = distance / scale
    if math.isinf(order):
        return u
    if u == 0:
        return 0.0
    log_terms = np.logaddexp(
        math.log(order / (2 * order - 1)) + (order - 1) * u,
        math.log((order - 1) / (2 * order - 1)) - order * u,
    )
    return float(log_terms) / (order - 1)


def generalized_normal_renyi_divergence(distance, scale, beta, *, order) -> float:
    """D_α(GN(0, s, β) ‖ GN(u, s, β)) for ONE coordinate, density p(t) = β/(2sΓ(1/β)) · exp(−|t/s|^β),
    shifted by u = ``distance``, by 1-D quadrature (scipy.integrate.quad):

        1/(α − 1) · log ∫ p(t)^α p(t − u)^{1−α} dt.

    β = 2 is N(0, s²/2) (α u²/s²) and β = 1 is Laplace(s). α = ∞: (u/s)^β when β ≤ 1, +inf when β > 1.
    """
    distance, scale, beta, order = (
        _distance(distance),
        checks.positive(scale, "scale"),
        _beta(beta),
        _order(order),
    )
    return _unit_generalized_normal(distance / scale, beta, order)


@functools.lru_cache(maxsize=65536)
def _unit_generalized_normal(u: float, beta: float, order: float) -> float:
    """The divergence at scale s = 1 (it depends on u/s only)."""
    if u == 0:
        return 0.0
    if math.isinf(order):
        return u**beta if beta <= 1 else math.inf
    a = order

    def exponent(t):  # log(p(t)^α p(t − u)^{1−α}) + log normaliser: −α|t|^β + (α − 1)|t − u|^β
        return -a * abs(t) ** beta + (a - 1) * abs(t - u) ** beta

    # The exponent is unimodal: maximal at t = 0 for β ≤ 1, else at t* = −u/((α/(α−1))^{1/(β−1)} − 1) < 0
    # (zero of its derivative on t < 0); it decreases on both sides. Shift by its maximum (no overflow)
    # and split the integral there and at the kinks 0 and u.
    if beta > 1:
        ratio = math.expm1(math.log(a / (a - 1)) / (beta - 1))
        peak = -u / ratio if ratio > 0 else -math.inf
        if not math.isfinite(peak):
            peak = -u * 1e6
    else:
        peak = 0.0
    top = exponent(peak)
    integrand = lambda t: math.exp(exponent(t) - top)
    # A finite stretch beside each infinite piece, so quad's change of variable sees the bulk; and cuts at
    # 1, 10 and 100 of the peak's own width 1/√|exponent''| around it: at large orders the peak lies far
    # out (t* ~ −u·α) and is far narrower than that stretch, and quad would step over it.
    width = max(abs(peak), u, 1.0)
    curvature = (
        beta * (beta - 1) * abs(-a * abs(peak) ** (beta - 2) + (a - 1) * abs(peak - u) ** (beta - 2))
        if beta > 1 and peak != 0
        else 0.0
    )
    near = (
        [peak + sign * k / math.sqrt(curvature) for k in (1, 10, 100) for sign in (-1, 1)]
        if curvature > 0 and math.isfinite(curvature)
        else []
    )
    cuts = sorted({peak, 0.0, u, *near})
    pieces = [
        (-math.inf, cuts[0] - width),
        (cuts[0] - width, cuts[0]),
        *zip(cuts[:-1], cuts[1:]),
        (cuts[-1], cuts[-1] + width),
        (cuts[-1] + width, math.inf),
    ]
    # Upper end of quad's error estimate: the divergence is rounded up, never down (a bound must
    # not shrink). full_output keeps quad's roundoff notes (cancellation in the exponent at large α)
    # out of the warnings: their error is in the estimate.
    total = 0.0
    for low, high in pieces:
        if low < high:
            value, error, *_ = scipy.integrate.quad(
                integrand, low, high, epsabs=0, epsrel=1e-10, limit=200, full_output=1
            )
            total += value + error
    if not total > 0 or not math.isfinite(total):
        return math.inf  # nothing measurable: an infinite divergence certifies nothing (sound)
    log_normaliser = math.log(beta / 2) - math.lgamma(1 / beta)
    return max((top + math.log(total) + log_normaliser) / (a - 1), 0.0)


# ---------------------------------------------------------------------------- product laws and balls


def _check_noise(noise) -> str:
    name = getattr(noise, "name", None)
    if name not in DIVERGENCE_NOISES:
        raise ValueError(
            f"No Rényi divergence for noise {noise!r}: uniform noises have disjoint supports after a "
            "shift (infinite divergence); use gaussian, laplace or generalized_normal noise."
        )
    return name


def coordinate_renyi_divergence(noise, distance, *, order) -> float:
    """f_α(u): the divergence between ONE coordinate's noise law and its shift by u = ``distance``."""
    name = _check_noise(noise)
    if name == "gaussian":
        return gaussian_renyi_divergence(distance, noise.scale, order=order)
    if name == "laplace":
        return laplace_renyi_divergence(distance, noise.scale, order=order)
    return generalized_normal_renyi_divergence(distance, noise.scale, noise.params["beta"], order=order)


def product_renyi_divergence(noise, tau, *, order) -> float:
    """D_α(P_0 ‖ P_τ) for the product law of i.i.d. coordinates and a shift vector τ: Σ_i f_α(|τ_i|)
    (Rényi divergences add over independent coordinates)."""
    values = np.abs(np.asarray(tau, dtype=np.float64).ravel())
    if not np.all(np.isfinite(values)):
        raise ValueError("The shift τ must be a finite vector.")
    return float(sum(coordinate_renyi_divergence(noise, float(v), order=order) for v in values))


def certified_norm(noise) -> str:
    """The norm whose ball :func:`ball_renyi_divergence` bounds: ℓ2 for Gaussian noise, ℓ1 for Laplace and
    generalized normal noise (β ≥ 1; ValueError for β < 1, see the module docstring)."""
    name = _check_noise(noise)
    if name == "gaussian":
        return "l2"
    if name == "generalized_normal" and noise.params["beta"] < 1:
        raise ValueError(
            f"{noise.label}: β < 1 gives no ℓ1 certificate by the divergence route "
            "(the divergence over the ℓ1 ball grows with the dimension); use β ≥ 1."
        )
    return "l1"


def ball_renyi_divergence(noise, radius, *, order) -> float:
    """sup of D_α(P_0 ‖ P_τ) over the product law's shifts τ with ‖τ‖ ≤ ``radius`` in :func:`certified_norm`.

    Gaussian: α r²/(2σ²) (ℓ2; the divergence depends on ‖τ‖₂ only). Laplace and generalized normal
    (β ≥ 1): f_α(r) (ℓ1), attained at τ = r·e_1, since f_α is convex with f_α(0) = 0 (module docstring).
    """
    certified_norm(noise)
    return coordinate_renyi_divergence(noise, radius, order=order)


# ---------------------------------------------------------------------------- from a divergence to a radius


def order_radius(noise, p_a, p_b=None, *, order) -> float:
    """The radius certified at ONE order α: sup{r : ball_renyi_divergence(noise, r, α) ≤ li_renyi_bound(p_A,
    p_B, α)}."""
    certified_norm(noise)
    bound = li_renyi_bound(p_a, p_b, order=order)
    order = float(order)
    if bound <= 0:
        return 0.0
    if math.isinf(bound):
        return math.inf
    name, scale = noise.name, noise.scale
    if name == "gaussian":
        return 0.0 if math.isinf(order) else scale * math.sqrt(2 * bound / order)
    if math.isinf(order):
        if name == "laplace" or noise.params["beta"] == 1:
            return scale * bound
        return 0.0  # D_∞ = ∞ for every shift when β > 1
    divergence = lambda r: coordinate_renyi_divergence(noise, r, order=order)
    high = scale
    while divergence(high) < bound:
        if high * 4 > 1e6 * scale:
            return high  # divergence(high) < bound: a radius that holds, never an unbounded one
        high *= 4
    root = float(
        scipy.optimize.brentq(lambda r: divergence(r) - bound, 0.0, high, xtol=1e-10 * scale, rtol=1e-10)
    )
    # brentq's root may sit up to its tolerance beyond the crossing: step back so the certificate rounds down.
    return root if divergence(root) <= bound else max(0.0, root - 4e-10 * scale - 2e-10 * root)


def divergence_radius(noise, p_a, p_b=None) -> tuple[float, float]:
    """(R, α*): Li et al. 2019's certificate for ``noise``, R = sup_{α>1} order_radius(noise, p_A, p_B, α),
    in :func:`certified_norm`, with the order α* attaining it (math.inf for the α → ∞ limit).

    The sup runs over α − 1 ∈ ORDERS − 1 (log-spaced, 1e-3 … 1e3) and α = ∞, then a bounded scalar search
    on log(α − 1) between the best grid point's neighbours. 0 when p_A ≤ p_B. Every divergence here depends on
    ‖τ‖/scale only, so R = scale · R(scale 1), computed once per (noise family, p_A, p_B) and cached (CERTIFY
    meets the same p_A_lower again, e.g. whenever all n votes agree).
    """
    certified_norm(noise)
    p_a, p_b = probabilities(p_a, p_b)
    radius, order = _unit_divergence_radius(noise.name, tuple(sorted(noise.params.items())), p_a, p_b)
    return noise.scale * radius, order


@functools.lru_cache(maxsize=4096)
def _unit_divergence_radius(name: str, params: tuple, p_a: float, p_b: float) -> tuple[float, float]:
    noise = make_noise(name, 1.0, **dict(params))
    if p_a <= p_b:
        return 0.0, math.inf
    radius_at = lambda order: order_radius(noise, p_a, p_b, order=order)
    radii = [radius_at(order) for order in ORDERS]
    best = int(np.argmax(radii))
    result = (radii[best], float(ORDERS[best]))
    if math.isinf(result[0]):
        return result
    logs = np.log(ORDERS - 1)
    low, high = logs[max(best - 1, 0)], logs[min(best + 1, len(logs) - 1)]
    if high > low:
        search = scipy.optimize.minimize_scalar(
            lambda v: -radius_at(1 + math.exp(v)),
            bounds=(low, high),
            method="bounded",
            options={"xatol": 1e-5},
        )
        if -search.fun > result[0]:
            result = (float(-search.fun), 1 + math.exp(search.x))
    limit = radius_at(math.inf)
    if limit >= result[0]:
        result = (limit, math.inf)
    return result
