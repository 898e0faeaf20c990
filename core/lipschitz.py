"""Upper bounds on the ℓ2 Lipschitz constant of the first layers φ(i)∘…∘φ(1) of a network.

Noise injected after layer i certifies a radius R in that layer's space: if ‖φ(x) − φ(x')‖₂ ≤
L‖x − x'‖₂ for the prefix φ = φ(i)∘…∘φ(1), then every input x' with ‖x − x'‖₂ < R / L maps inside
the certified ball (Li et al. 2019; Pinot et al. 2019). L is bounded by the product of the
per-module operator norms (Szegedy et al. 2014, §4.3), which is loose but sound: every factor is
a guaranteed upper bound (exact SVD for affine layers, the DFT bound for convolutions).
"""
from __future__ import annotations

import torch
from torch import nn

from core.device import resolve_device
from core.models import Layered, Normalize, NoiseInjection, _Scale

# ℓ2 Lipschitz constants of element-wise activations (sup of |σ'|).
_ACTIVATION_BOUNDS = {nn.ReLU: 1.0, nn.Tanh: 1.0, nn.Sigmoid: 0.25, nn.GELU: 1.13, nn.Identity: 1.0,
                      nn.Flatten: 1.0, nn.AdaptiveMaxPool2d: 1.0}


def spectral_norm_linear(weight: torch.Tensor) -> float:
    """‖W‖₂ = σ_max(W), the operator norm of z ↦ W z (exact, by SVD)."""
    return float(torch.linalg.matrix_norm(weight.detach().double(), ord=2))


def spectral_norm_conv(conv: nn.Conv2d, input_shape: tuple[int, ...], *, device="cpu", **_ignored) -> float:
    """A guaranteed upper bound on the operator norm of the convolution z ↦ W ∗ z on inputs of
    ``input_shape`` (C×H×W), computed exactly up to floating-point rounding (no iteration).

    The zero-padded convolution is the circular convolution on a torus of side N ≥ H + 2p (large
    enough that nothing wraps around) between an isometry (padding with zeros) and a projection
    (cropping, and subsampling for a stride), so its norm is at most the circular one. A circular
    convolution is block-diagonalised by the 2-D DFT (Sedghi, Gupta & Long 2019, "The singular
    values of convolutional layers"): its norm is max over frequencies ω of σ_max(Ŵ(ω)), the
    spectral norm of the c_out × c_in matrix of the kernel's DFT at ω. Groups are independent blocks.
    Unlike power iteration, which approaches σ_max from below, this never under-estimates.
    """
    device = resolve_device(device)
    weight = conv.weight.detach().to(device=device, dtype=torch.float64)
    if any(d > 1 for d in conv.dilation):      # the dilated kernel, written out with its zeros
        kh, kw = weight.shape[-2:]
        dh, dw = conv.dilation
        dilated = weight.new_zeros((*weight.shape[:2], (kh - 1) * dh + 1, (kw - 1) * dw + 1))
        dilated[..., ::dh, ::dw] = weight
        weight = dilated
    kh, kw = weight.shape[-2:]
    padding = conv.padding if isinstance(conv.padding, tuple) else (0, 0)
    if conv.padding == "same":
        padding = ((kh - 1) // 2 + 1, (kw - 1) // 2 + 1)
    side_h = max(int(input_shape[-2]) + 2 * padding[0], kh)
    side_w = max(int(input_shape[-1]) + 2 * padding[1], kw)
    per_group = weight.shape[0] // conv.groups
    bound = 0.0
    for group in range(conv.groups):
        block = weight[group * per_group:(group + 1) * per_group]
        spectrum = torch.fft.fft2(block, s=(side_h, side_w)).permute(2, 3, 0, 1)   # N_h×N_w×c_out×c_in
        bound = max(bound, float(torch.linalg.matrix_norm(spectrum, ord=2).max()))
    return bound


def _module_bound(module: nn.Module, input_shape: tuple[int, ...], device) -> float:
    if isinstance(module, nn.Linear):
        return spectral_norm_linear(module.weight)
    if isinstance(module, nn.Conv2d):
        return spectral_norm_conv(module, input_shape, device=device)
    if isinstance(module, Normalize):
        return float((1.0 / module.std).max())
    if isinstance(module, nn.BatchNorm2d | nn.BatchNorm1d):
        # In eval mode BN is the affine map z ↦ γ (z − μ)/√(v + ε) + β, channel-wise.
        scale = module.weight.detach().abs() / torch.sqrt(module.running_var + module.eps)
        return float(scale.max())
    if isinstance(module, nn.MaxPool2d):
        kernel, stride = module.kernel_size, module.stride
        # Non-overlapping max-pooling is 1-Lipschitz in ℓ2; overlapping windows count each input
        # up to ⌈k/s⌉² times.
        k = kernel if isinstance(kernel, int) else kernel[0]
        s = stride if isinstance(stride, int) else stride[0]
        return float(-(-k // s))
    if isinstance(module, _Scale):
        return abs(module.factor)
    if isinstance(module, NoiseInjection):
        return 1.0  # additive noise does not change how the deterministic map stretches distances
    for kind, bound in _ACTIVATION_BOUNDS.items():
        if isinstance(module, kind):
            return bound
    raise ValueError(f"No Lipschitz bound is known for {type(module).__name__}.")


def _leaves(module: nn.Module):
    children = list(module.children())
    if not children or isinstance(module, (Normalize, NoiseInjection)):
        yield module
        return
    for child in children:
        yield from _leaves(child)


def layer_lipschitz_bounds(model: Layered, input_shape: tuple[int, ...], *, upto: int | None = None,
                           device="cpu") -> list[float]:
    """Upper bounds L_i on the ℓ2 Lipschitz constant of each layer φ(i), i ≤ ``upto`` (all by default)."""
    device = resolve_device(device)
    if not isinstance(model, Layered):
        raise ValueError("layer_lipschitz_bounds needs a Layered model (built by core.models).")
    bounds = []
    z = torch.zeros((1, *input_shape), device=device)
    with torch.no_grad():
        for layer in list(model.layers)[:upto]:
            bound = 1.0
            for leaf in _leaves(layer):
                if isinstance(leaf, NoiseInjection):
                    continue  # deterministic part only: skip the noise draw for the shape walk
                bound *= _module_bound(leaf, tuple(z.shape[1:]), device)
                z = leaf(z)
            bounds.append(bound)
    return bounds


def lipschitz_upper_bound(model: Layered, layer: int, input_shape: tuple[int, ...], *, device="cpu") -> float:
    """L ≥ Lip₂(φ(layer)∘…∘φ(1)) as the product of per-layer operator norms; 1 for layer = 0.

    ``input_shape`` excludes the batch dimension (e.g. (3, 32, 32) or (2,)).
    """
    if not 0 <= layer <= len(model.layers):
        raise ValueError(f"Layer index {layer} is out of range: use 0 (the input) to {len(model.layers)}.")
    bound = 1.0
    for value in layer_lipschitz_bounds(model, input_shape, upto=layer, device=device):
        bound *= value
    return bound
