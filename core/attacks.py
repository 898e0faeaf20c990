"""Adversarial example attacks: find x' close to x that the model misclassifies.

Every attack takes a batch ``x`` in [0, 1] (any shape N×…) and labels ``y`` (``torch.long``, N),
and returns a detached batch ``x_adv`` in [0, 1] of the same shape, dtype and device. When
``targeted=True``, ``y`` holds the *target* classes and the attack descends the loss toward them.

Guarantees shared by all attacks (cached models are shared across users):

- the model is only *read*: gradients are taken with ``torch.autograd.grad`` with respect to the
  input alone, so no parameter's ``.grad`` is ever populated, and ``train()``/``eval()`` are
  never called — the model runs in whatever mode it was given (a randomized model keeps its noise;
  a model with BatchNorm left in train mode would update its running statistics, so pass such
  models in eval mode);
- they work even when called inside ``torch.no_grad()``;
- every random draw comes from an explicit ``torch.Generator`` on the input's device.

The attacks run on the device of ``x`` (the model must live there too).
"""

from __future__ import annotations

import inspect
import math
from typing import Callable

import numpy as np
import scipy.stats
import torch
import torch.nn.functional as F

from core import checks
from core.device import make_generator

ATTACKS = ("gradient_step", "fgsm", "pgd_linf", "pgd_l2", "pgd_cw", "cw_l2")

ATTACK_LABELS = {
    "gradient_step": "Gradient step x + γ ∇ℓ/‖∇ℓ‖₂ (the talk)",
    "fgsm": "FGSM ℓ∞ (Goodfellow et al. 2015)",
    "pgd_linf": "PGD ℓ∞ (Madry et al. 2018)",
    "pgd_l2": "PGD ℓ2 (Madry et al. 2018)",
    "pgd_cw": "PGD ℓ∞ on the CW loss (Madry et al. 2018)",
    "cw_l2": "Carlini–Wagner ℓ2 (Carlini & Wagner 2017)",
}

# The norm each attack's perturbation is measured in, and the keyword holding its budget
# (None: C&W is a minimal-distortion attack with no budget).
ATTACK_NORMS = {
    "gradient_step": "l2",
    "fgsm": "linf",
    "pgd_linf": "linf",
    "pgd_l2": "l2",
    "pgd_cw": "linf",
    "cw_l2": "l2",
}
ATTACK_BUDGETS = {
    "gradient_step": "gamma",
    "fgsm": "eps",
    "pgd_linf": "eps",
    "pgd_l2": "eps",
    "pgd_cw": "eps",
    "cw_l2": None,
}

NORMS = ("linf", "l2")
LOSSES = ("ce", "cw")

# Below this, a gradient counts as zero (avoids dividing by 0 when normalising, as foolbox does).
_TINY_NORM = 1e-12
# C&W's change of variables maps x to atanh((2x − 1)(1 − 1e-6)), finite even at x = 0 or 1.
_TANH_SHRINK = 1.0 - 1e-6


# --------------------------------------------------------------------------- input checks


def _check_batch(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Validate x (a batch in [0, 1]) and y (N integer labels); return y as ``torch.long``."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise ValueError("x must be a floating-point torch.Tensor batch of inputs in [0, 1].")
    if x.ndim < 2:
        raise ValueError(
            f"x must be a batch with a leading batch dimension (N×…), got shape "
            f"{tuple(x.shape)}; use x.unsqueeze(0) for a single input."
        )
    if x.numel() and (not torch.isfinite(x).all() or x.min() < 0 or x.max() > 1):
        raise ValueError(
            "x must lie in [0, 1]: attacks work in pixel units, so put any normalisation inside the model."
        )
    if not isinstance(y, torch.Tensor) or y.is_floating_point() or y.is_complex() or y.dtype == torch.bool:
        raise ValueError("y must be an integer torch.Tensor of class indices (torch.long).")
    if y.shape != (x.shape[0],):
        raise ValueError(f"y must hold one label per input, shape ({x.shape[0]},), got {tuple(y.shape)}.")
    if y.numel() and y.min() < 0:
        raise ValueError("y must hold non-negative class indices.")
    return y.to(device=x.device, dtype=torch.long)


def _check_non_negative(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}.")
    if value < 0:
        raise ValueError(f"{name} must be non-negative, got {value}.")
    return float(value)


def _check_logits(logits: torch.Tensor, y: torch.Tensor) -> None:
    if logits.ndim != 2 or logits.shape[0] != y.shape[0]:
        raise ValueError(
            f"The model must map a batch of N inputs to N×K logits, got shape {tuple(logits.shape)}."
        )
    if y.numel() and y.max() >= logits.shape[1]:
        raise ValueError(f"y holds class {int(y.max())} but the model has only {logits.shape[1]} classes.")


# --------------------------------------------------------------------------- losses


def cw_margin(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Carlini–Wagner margin max_{j≠y} Z_j − Z_y per example (Carlini & Wagner 2017, f_6).

    Positive exactly when the model does not predict y; Madry et al. (2018) attack it with PGD.
    """
    true_logit = logits.gather(1, y[:, None]).squeeze(1)
    is_true = F.one_hot(y, logits.shape[1]).bool()
    best_other = logits.masked_fill(is_true, float("-inf")).amax(dim=1)
    return best_other - true_logit


def attack_loss(logits: torch.Tensor, y: torch.Tensor, loss: str = "ce") -> torch.Tensor:
    """Per-example loss ℓ(F(x), y) that attacks ascend (or descend when targeted).

    "ce": cross-entropy −log softmax(Z)_y; "cw": the Carlini–Wagner margin max_{j≠y} Z_j − Z_y.
    """
    checks.one_of(loss, LOSSES, "loss")
    if loss == "ce":
        return F.cross_entropy(logits, y, reduction="none")
    return cw_margin(logits, y)


def input_gradient(
    model, x: torch.Tensor, y: torch.Tensor, *, loss: str = "ce", eot: int = 1
) -> torch.Tensor:
    """∇ₓ ℓ(F(x), y) per example, averaged over ``eot`` forward/backward passes.

    Expectation over Transformation (Athalye et al. 2018): for a randomized model that draws fresh
    noise at each forward, the mean of ``eot`` sampled gradients estimates ∇ₓ E_ε[ℓ(F̃_ε(x), y)].
    Only the input is differentiated (torch.autograd.grad), so parameters' ``.grad`` stay as they
    were, and the losses are summed, not averaged, so each example gets its own full gradient.
    """
    checks.positive_int(eot, "eot")
    gradient = torch.zeros_like(x)
    with torch.enable_grad():
        for _ in range(eot):
            x_var = x.detach().requires_grad_(True)
            logits = model(x_var)
            _check_logits(logits, y)
            value = attack_loss(logits, y, loss).sum()
            gradient += torch.autograd.grad(value, x_var)[0]
    return gradient / eot


def _per_example_norm(t: torch.Tensor) -> torch.Tensor:
    """‖t_i‖₂ of each example, shaped N×1×…×1 so it broadcasts against t."""
    return t.flatten(1).norm(dim=1).view(-1, *([1] * (t.ndim - 1)))


def _normalized(gradient: torch.Tensor) -> torch.Tensor:
    """g/‖g‖₂ per example (zero stays zero)."""
    return gradient / _per_example_norm(gradient).clamp_min(_TINY_NORM)


# --------------------------------------------------------------------------- one-step attacks


def gradient_step(model, x, y, *, gamma, targeted=False):
    """The talk's one-step attack x' = clip_[0,1](x + γ ∇ₓℓ(F(x), y) / ‖∇ₓℓ(F(x), y)‖₂).

    A normalised gradient step of ℓ2 length γ per example (before clipping to [0, 1], which can
    only shorten it). Targeted: x' = x − γ ∇ₓℓ(F(x), t)/‖∇ₓℓ(F(x), t)‖₂ descends the loss of
    the target t = y. An example whose gradient is exactly zero is left unchanged.
    """
    y = _check_batch(x, y)
    gamma = _check_non_negative("gamma", gamma)
    direction = -1.0 if targeted else 1.0
    x = x.detach()
    gradient = input_gradient(model, x, y)
    return (x + direction * gamma * _normalized(gradient)).clamp(0.0, 1.0).detach()


def fgsm(model, x, y, *, eps, targeted=False):
    """Fast Gradient Sign Method x' = clip_[0,1](x + ε sign(∇ₓℓ(F(x), y))) (Goodfellow et al. 2015).

    One ℓ∞ step to a corner of the ε-ball; targeted: x − ε sign(∇ₓℓ(F(x), t)).
    Matches foolbox's ``FGSM`` (LinfFastGradientAttack).
    """
    y = _check_batch(x, y)
    eps = _check_non_negative("eps", eps)
    direction = -1.0 if targeted else 1.0
    x = x.detach()
    gradient = input_gradient(model, x, y)
    return (x + direction * eps * gradient.sign()).clamp(0.0, 1.0).detach()


# --------------------------------------------------------------------------- PGD


def _random_start(x: torch.Tensor, eps: float, norm: str, generator):
    """A point drawn uniformly in the ε-ball around x (ℓ∞: a cube; ℓ2: a Euclidean ball). ``generator``
    is one generator for the batch, or a list of one per example (row i drawn from generator[i] alone, so
    a row's start does not depend on the other rows of its batch)."""
    if isinstance(generator, (list, tuple)):
        if len(generator) != len(x):
            raise ValueError(f"Give one generator per example: got {len(generator)} for {len(x)} inputs.")
        return torch.cat([_random_start(x[i : i + 1], eps, norm, g) for i, g in enumerate(generator)])
    if norm == "linf":
        noise = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        return x + eps * (2.0 * noise - 1.0)
    # Uniform in the ℓ2 ball: a uniform direction (normalised Gaussian) times radius ε U^{1/d}.
    direction = _normalized(torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype))
    dim = x[0].numel()
    u = torch.rand((x.shape[0],), generator=generator, device=x.device, dtype=x.dtype)
    radius = eps * u.pow(1.0 / dim)
    return x + radius.view(-1, *([1] * (x.ndim - 1))) * direction


def _project(x_adv: torch.Tensor, x: torch.Tensor, eps: float, norm: str) -> torch.Tensor:
    """Projection onto the ε-ball around x: clip each coordinate (ℓ∞) or rescale δ (ℓ2)."""
    delta = x_adv - x
    if norm == "linf":
        return x + delta.clamp(-eps, eps)
    factor = (eps / _per_example_norm(delta).clamp_min(_TINY_NORM)).clamp(max=1.0)
    return x + delta * factor


def pgd(
    model,
    x,
    y,
    *,
    eps,
    step,
    steps,
    norm="linf",
    loss="ce",
    targeted=False,
    random_start=True,
    eot=1,
    generator=None,
    callback: Callable | None = None,
):
    """Projected Gradient Descent (Madry et al. 2018) on the ε-ball ``norm`` around x.

    x⁰ = x (+ a uniform draw in the ball when ``random_start``), then for t = 1…``steps``:
        ℓ∞:  xᵗ = Π_{B∞(x,ε)∩[0,1]}(xᵗ⁻¹ + α sign(g))
        ℓ2:  xᵗ = Π_{B2(x,ε)∩[0,1]}(xᵗ⁻¹ + α g/‖g‖₂)
    with α = ``step`` and g = ∇ₓℓ(F(xᵗ⁻¹), y) (−g when ``targeted``: descend toward class y).
    ``loss`` "ce" is cross-entropy; "cw" the Carlini–Wagner margin max_{j≠y} Z_j − Z_y, which
    with norm "linf" is Madry et al.'s "CW" attack. ``eot`` > 1 averages g over that many
    forward/backward passes (Expectation over Transformation, Athalye et al. 2018), the honest
    way to attack a randomized model that draws fresh noise at each forward.

    The random start is drawn from ``generator`` (a ``torch.Generator`` on x's device, or a list of
    one per example, core.evaluation.example_generators); when it is None, ``make_generator(0, x.device)`` is
    used, so the result is still deterministic. ``callback``, when given, is called with a detached copy of
    the starting point and then of every iterate (``steps`` + 1 calls) — the attack path the geometry page
    draws. With ``random_start=False`` this matches foolbox's ``LinfPGD``/``L2PGD`` with
    ``abs_stepsize=step``.
    """
    y = _check_batch(x, y)
    eps = _check_non_negative("eps", eps)
    step = _check_non_negative("step", step)
    steps = checks.positive_int(steps, "steps")
    eot = checks.positive_int(eot, "eot")
    norm = checks.one_of(norm, NORMS, "norm")
    loss = checks.one_of(loss, LOSSES, "loss")
    direction = -1.0 if targeted else 1.0
    x = x.detach()
    if random_start:
        if generator is None:
            generator = make_generator(0, x.device)
        for one in generator if isinstance(generator, (list, tuple)) else [generator]:
            if one.device.type != x.device.type:
                raise ValueError(
                    f"generator lives on {one.device} but x on {x.device}; "
                    f"create it with make_generator(seed, x.device)."
                )
        x_adv = _random_start(x, eps, norm, generator).clamp(0.0, 1.0)
    else:
        x_adv = x.clone()
    if callback is not None:
        callback(x_adv.clone())
    for _ in range(steps):
        gradient = input_gradient(model, x_adv, y, loss=loss, eot=eot)
        if norm == "linf":
            x_adv = x_adv + direction * step * gradient.sign()
        else:
            x_adv = x_adv + direction * step * _normalized(gradient)
        x_adv = _project(x_adv, x, eps, norm).clamp(0.0, 1.0)
        if callback is not None:
            callback(x_adv.clone())
    return x_adv.detach()


def pgd_path(model, x, y, **pgd_kwargs) -> list[torch.Tensor]:
    """The iterates [x⁰, x¹, …, x^steps] of one :func:`pgd` run (same keywords as ``pgd``)."""
    path: list[torch.Tensor] = []
    pgd(model, x, y, callback=path.append, **pgd_kwargs)
    return path


# --------------------------------------------------------------------------- Carlini–Wagner


def _to_tanh_space(x: torch.Tensor) -> torch.Tensor:
    """w = atanh((2x − 1)(1 − 1e-6)): finite even where x is exactly 0 or 1."""
    return torch.atanh((2.0 * x - 1.0) * _TANH_SHRINK)


def _from_tanh_space(w: torch.Tensor) -> torch.Tensor:
    """x = (tanh(w) + 1)/2, always inside [0, 1]."""
    return (torch.tanh(w) + 1.0) / 2.0


def _cw_success_margin(logits: torch.Tensor, y: torch.Tensor, targeted: bool) -> torch.Tensor:
    """How far the attack has succeeded: max_{j≠y}Z_j − Z_y (untargeted), Z_t − max_{j≠t}Z_j (targeted)."""
    margin = cw_margin(logits, y)
    return -margin if targeted else margin


def carlini_wagner_l2(
    model, x, y, *, targeted=False, c=1.0, kappa=0.0, steps=100, lr=0.01, binary_search_steps=5
):
    """Carlini & Wagner (2017) ℓ2 attack: the smallest ‖x' − x‖₂ that changes the decision.

    With x' = (tanh(w) + 1)/2 (so x' ∈ [0, 1] without clipping), Adam minimises over w
        ‖x' − x‖₂² + c · max(κ − m(x'), 0),
    m(x') = max_{j≠y} Z_j − Z_y (untargeted) or Z_t − max_{j≠t} Z_j (targeted, t = y), from
    w = atanh((2x − 1)(1 − 1e-6)), which is finite even for pixels at exactly 0 or 1.
    The constant c is binary-searched per example (×10 until a success, then bisection)
    over ``binary_search_steps`` rounds of ``steps`` Adam steps with learning rate ``lr``.
    Returns, per example, the successful x' (m > 0 and m ≥ κ) of smallest ℓ2 distance found, and
    x itself for examples where no round succeeded.

    The defaults (100 Adam steps of 0.01, as in foolbox) suit untargeted attacks on small
    models; each round moves w by at most about ``steps``·``lr``, so for targeted attacks, or
    nearly binary images (x = 0 or 1 give |w| ≈ 7.25, where tanh is flat), raise ``lr`` to
    0.05–0.1 or ``steps``.
    """
    y = _check_batch(x, y)
    c = _check_non_negative("c", c)
    kappa = _check_non_negative("kappa", kappa)
    steps = checks.positive_int(steps, "steps")
    binary_search_steps = checks.positive_int(binary_search_steps, "binary_search_steps")
    lr = _check_non_negative("lr", lr)
    x = x.detach()
    n = x.shape[0]
    w_start = _to_tanh_space(x)
    const = torch.full((n,), c, device=x.device, dtype=x.dtype)
    lower = torch.zeros_like(const)
    upper = torch.full_like(const, math.inf)
    best = x.clone()
    best_distance = torch.full_like(const, math.inf)
    with torch.enable_grad():
        for _ in range(binary_search_steps):
            modifier = torch.zeros_like(w_start, requires_grad=True)
            optimizer = torch.optim.Adam([modifier], lr=lr)
            succeeded = torch.zeros(n, dtype=torch.bool, device=x.device)
            for _ in range(steps):
                x_adv = _from_tanh_space(w_start + modifier)
                logits = model(x_adv)
                _check_logits(logits, y)
                margin = _cw_success_margin(logits, y, targeted)
                distance = (x_adv - x).flatten(1).pow(2).sum(dim=1)
                objective = (distance + const * (kappa - margin).clamp_min(0.0)).sum()
                (modifier.grad,) = torch.autograd.grad(objective, modifier)
                with torch.no_grad():
                    success = (margin > 0) & (margin >= kappa)
                    succeeded |= success
                    improved = success & (distance < best_distance)
                    best_distance = torch.where(improved, distance, best_distance)
                    best[improved] = x_adv[improved].detach()
                optimizer.step()
            # Binary search on c: a success means c can shrink (less weight on the margin).
            upper = torch.where(succeeded, torch.minimum(upper, const), upper)
            lower = torch.where(succeeded, lower, torch.maximum(lower, const))
            const = torch.where(torch.isinf(upper), const * 10.0, (lower + upper) / 2.0)
    return best.detach()


# --------------------------------------------------------------------------- dispatch

_DISPATCH = {
    "gradient_step": (gradient_step, {}),
    "fgsm": (fgsm, {}),
    "pgd_linf": (pgd, {"norm": "linf", "loss": "ce"}),
    "pgd_l2": (pgd, {"norm": "l2", "loss": "ce"}),
    "pgd_cw": (pgd, {"norm": "linf", "loss": "cw"}),
    "cw_l2": (carlini_wagner_l2, {}),
}

# PGD defaults used by run_attack when the caller gives only eps (Madry et al.'s α = 2.5 ε/steps).
PGD_DEFAULT_STEPS = 20


def run_attack(name, model, x, y, **kwargs):
    """Run attack ``name`` (one of ``ATTACKS``) with its keywords and return x_adv.

    "pgd_linf", "pgd_l2" and "pgd_cw" are :func:`pgd` with (norm, loss) = (linf, ce), (l2, ce),
    (linf, cw); for them ``steps`` defaults to 20 and ``step`` to 2.5·eps/steps (Madry et al.
    2018). Keywords an attack does not take raise ValueError.
    """
    checks.one_of(name, ATTACKS, "attack")
    attack, fixed = _DISPATCH[name]
    for key, value in fixed.items():
        if key in kwargs and kwargs[key] != value:
            raise ValueError(
                f"Attack {name!r} fixes {key}={value!r}; use 'pgd' directly for {key}={kwargs[key]!r}."
            )
    kwargs = {**kwargs, **fixed}
    if attack is pgd:
        kwargs.setdefault("steps", PGD_DEFAULT_STEPS)
        if (
            "eps" in kwargs
            and "step" not in kwargs
            and isinstance(kwargs["steps"], int)
            and kwargs["steps"] >= 1
        ):
            kwargs["step"] = 2.5 * _check_non_negative("eps", kwargs["eps"]) / kwargs["steps"]
    accepted = [
        p.name
        for p in inspect.signature(attack).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    ]
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise ValueError(
            f"Attack {name!r} does not take {', '.join(unknown)}; its options are "
            f"{', '.join(k for k in accepted if k not in fixed)}."
        )
    missing = [
        p.name
        for p in inspect.signature(attack).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
        and p.default is inspect.Parameter.empty
        and p.name not in kwargs
    ]
    if missing:
        raise ValueError(f"Attack {name!r} needs {', '.join(missing)}; pass it as a keyword.")
    return attack(model, x, y, **kwargs)


# ------------------------------------------------------------------ attacks on the smoothed classifier

# SmoothAdv's step: 2.5·ε/steps per step (Madry et al.'s later heuristic, so the path can cross the ball).
SMOOTHED_STEP_FACTOR = 2.5


def _as_budgets(eps, x: torch.Tensor) -> torch.Tensor:
    """ε as one budget per example (N), from a number or an N-vector."""
    budgets = torch.as_tensor(eps, dtype=x.dtype, device=x.device)
    if budgets.ndim == 0:
        budgets = budgets.expand(x.shape[0])
    if budgets.shape != (x.shape[0],) or not torch.isfinite(budgets).all() or (budgets < 0).any():
        raise ValueError(f"eps must be a finite number ≥ 0 or one such number per input ({x.shape[0]}).")
    return budgets.clone()


def smoothed_loss(
    model, x: torch.Tensor, y: torch.Tensor, *, noise, draws: int, generator: torch.Generator
) -> torch.Tensor:
    """SmoothAdv's objective per example, −log((1/m) Σᵢ softmax(F(x + εᵢ))_y), εᵢ ~ noise, m = ``draws``
    (Salman et al. 2019, eq. (S)): the cross-entropy of the soft smoothed classifier E_ε[softmax F(x + ε)],
    not the mean of per-draw cross-entropies that plain EOT averages."""
    noisy = x.repeat_interleave(draws, 0)
    noisy = noisy + noise.sample(noisy.shape, generator=generator, device=x.device).to(x.dtype)
    logits = model(noisy)
    _check_logits(logits, y.repeat_interleave(draws))
    mean_softmax = logits.softmax(1).view(x.shape[0], draws, -1).mean(1)
    return -mean_softmax.gather(1, y[:, None]).squeeze(1).clamp_min(1e-12).log()


def smoothed_attack(model, x, y, *, noise, eps, steps=20, draws=16, restarts=1, generator):
    """SmoothAdv-PGD ℓ2 on the smoothed classifier itself (Salman et al. 2019, "Provably Robust Deep
    Learning via Adversarially Trained Smoothed Classifiers", NeurIPS, Algorithm 1):

        max_{‖x' − x‖₂ ≤ ε, x' ∈ [0,1]}  −log E_ε[softmax F(x' + ε)]_y,

    with E_ε estimated by ``draws`` fresh noise draws at every step (Expectation over Transformation,
    Athalye et al. 2018), ``steps`` normalised-gradient steps of 2.5·ε/steps, projection on the ball.
    ``model`` is the base classifier F (no noise inside); ``eps`` is a number or one budget per input.
    Restart 1 starts at x, restarts 2… at a uniform point of the ball; each example keeps the restart
    with the largest final objective (estimated on fresh draws). All draws come from ``generator``.
    """
    y = _check_batch(x, y)
    steps, draws, restarts = (
        checks.positive_int(steps, "steps"),
        checks.positive_int(draws, "draws"),
        checks.positive_int(restarts, "restarts"),
    )
    if not isinstance(generator, torch.Generator):
        raise ValueError("smoothed_attack needs a torch.Generator (core.seeds.stream_generator(seed, name)).")
    x = x.detach()
    budgets = _as_budgets(eps, x)
    shape = (-1, *([1] * (x.ndim - 1)))
    step = (SMOOTHED_STEP_FACTOR * budgets / steps).view(shape)
    best, best_loss = x.clone(), torch.full((x.shape[0],), -math.inf, dtype=x.dtype, device=x.device)
    for restart in range(restarts):
        x_adv = x.clone()
        if restart:
            direction = _normalized(torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype))
            u = torch.rand((x.shape[0],), generator=generator, device=x.device, dtype=x.dtype)
            x_adv = (x + (budgets * u.pow(1.0 / x[0].numel())).view(shape) * direction).clamp(0.0, 1.0)
        for _ in range(steps):
            with torch.enable_grad():
                x_var = x_adv.detach().requires_grad_(True)
                value = smoothed_loss(model, x_var, y, noise=noise, draws=draws, generator=generator).sum()
                gradient = torch.autograd.grad(value, x_var)[0]
            x_adv = x_adv + step * _normalized(gradient)
            delta = x_adv - x
            factor = (budgets.view(shape) / _per_example_norm(delta).clamp_min(_TINY_NORM)).clamp(max=1.0)
            x_adv = (x + delta * factor).clamp(0.0, 1.0).detach()
        with torch.no_grad():
            final = smoothed_loss(model, x_adv, y, noise=noise, draws=draws, generator=generator)
        better = final > best_loss
        best[better], best_loss[better] = x_adv[better], final[better]
    return best.detach()


def smoothed_vote(model, x, *, noise, votes, generator, alpha=None, batch_size=20_000) -> torch.Tensor:
    """F_rob's answer per input from ``votes`` draws: the top class of #{i : F(x + εᵢ) = c} (ties go to the
    smaller index); with ``alpha``, Cohen et al.'s PREDICT (2019): the top class only when the two-sided
    binomial test of n_A against n_B (the runner-up) rejects p = ½ at level α, else −1 (abstain)."""
    votes = checks.positive_int(votes, "votes")
    chunk = max(1, batch_size // max(1, x.shape[0]))
    counts = 0
    with torch.no_grad():
        for start in range(0, votes, chunk):
            m = min(chunk, votes - start)
            noisy = x.repeat_interleave(m, 0)
            noisy = noisy + noise.sample(noisy.shape, generator=generator, device=x.device).to(x.dtype)
            logits = model(noisy)
            counts = counts + F.one_hot(logits.argmax(1), logits.shape[1]).view(x.shape[0], m, -1).sum(1)
    top = counts.topk(2, dim=1)
    if alpha is None:
        return counts.argmax(1)
    n_a, n_b = top.values[:, 0].cpu().numpy(), top.values[:, 1].cpu().numpy()
    p_value = np.minimum(1.0, 2 * scipy.stats.binom.cdf(n_b, np.maximum(n_a + n_b, 1), 0.5))
    sure = torch.as_tensor((n_a > n_b) & (p_value <= alpha), device=x.device)
    return torch.where(sure, counts.argmax(1), torch.full_like(top.indices[:, 0], -1))


def smoothed_attack_distance(
    model,
    x,
    y,
    *,
    noise,
    eps_max,
    search_steps=8,
    steps=20,
    draws=16,
    restarts=2,
    votes=1000,
    vote_alpha=0.001,
    generator,
):
    """The smallest ℓ2 perturbation found that changes the smoothed classifier's vote: a bisection over ε
    of :func:`smoothed_attack` (SmoothAdv, Salman et al. 2019), each candidate x' judged by F_rob's vote of
    ``votes`` draws (:func:`smoothed_vote` with PREDICT's test at ``vote_alpha``: a point counts only when
    F_rob names another class with confidence, so Monte Carlo noise right at the boundary does not end the
    search early).

    Per example: 0 when PREDICT at x already names a class ≠ y; else the attack at ε_max, and if it changes
    the vote, ``search_steps`` bisection rounds on [0, ε_max] (a success at ε shrinks the upper end to the
    distance actually found, a failure raises the lower end). Returns (distance, x_adv): ‖x_adv − x‖₂ of
    the closest vote-changing point found, and +inf (x_adv = x) where none was found within ε_max.
    An attack distance is an upper bound on the distance to F_rob's decision boundary; a certified radius
    (Cohen et al. 2019) a lower bound, so a correct certificate never exceeds the distance found (up to
    the failure probabilities of the certificate, α, and of the vote's tests, ``vote_alpha`` each).
    """
    y = _check_batch(x, y)
    eps_max = _check_non_negative("eps_max", eps_max)
    search_steps = checks.positive_int(search_steps, "search_steps")
    x = x.detach()
    n = x.shape[0]
    distance = torch.full((n,), math.inf, dtype=x.dtype, device=x.device)
    best = x.clone()

    def changes(points, labels):  # PREDICT names another class: an abstention is no change
        answer = smoothed_vote(model, points, noise=noise, votes=votes, alpha=vote_alpha, generator=generator)
        return (answer != labels) & (answer >= 0)

    distance[changes(x, y)] = 0.0
    active = torch.isinf(distance)
    lower, upper = torch.zeros_like(distance), torch.full_like(distance, eps_max)
    for round_ in range(search_steps + 1):
        if not active.any():
            break
        index = active.nonzero().squeeze(1)
        budget = upper[index] if round_ == 0 else (lower[index] + upper[index]) / 2
        x_adv = smoothed_attack(
            model,
            x[index],
            y[index],
            noise=noise,
            eps=budget,
            steps=steps,
            draws=draws,
            restarts=restarts,
            generator=generator,
        )
        success = changes(x_adv, y[index])
        found = (x_adv - x[index]).flatten(1).norm(dim=1)
        won, lost = index[success], index[~success]
        closer = found[success] < distance[won]
        distance[won[closer]] = found[success][closer]
        best[won[closer]] = x_adv[success][closer]
        upper[won] = torch.minimum(upper[won], found[success])
        lower[lost] = torch.maximum(lower[lost], budget[~success])
        if round_ == 0:
            active[lost] = False  # nothing within ε_max: no bisection
    return distance, best.detach()
