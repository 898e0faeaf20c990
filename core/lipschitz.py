"""Upper bounds on the ℓ2 Lipschitz constant of the first layers φ(i)∘…∘φ(1) of a network.

Noise injected after layer i certifies a radius R in that layer's space: if ‖φ(x) − φ(x')‖₂ ≤
L‖x − x'‖₂ for the prefix φ = φ(i)∘…∘φ(1), then every input x' with ‖x − x'‖₂ < R / L maps inside
the certified ball (Li et al. 2019; Pinot et al. 2019). L is bounded by walking each layer's real
forward structure, input shape in hand: a composition multiplies its parts' bounds (Szegedy et al.
2014, §4.3), a residual block ReLU(r(z) + s(z)) adds its two branches' bounds (triangle
inequality), and every part is a guaranteed upper bound (exact SVD for affine layers, the DFT bound
for convolutions with the following batch norm folded in, exact window counts for pooling). A
module whose forward this walk does not know is refused, never skipped: a product over the leaves
alone can fall below the true constant (it is 0 for a residual block whose branch is zero).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from core.device import resolve_device
from core.models import BasicBlock, Layered, NoiseInjection, Normalize, _Scale

# ℓ2 Lipschitz constants of element-wise activations (sup of |σ'|; GELU's is 1.1289 with or without
# the tanh approximation) and of the isometries Identity and Flatten.
_ACTIVATION_BOUNDS = {
    nn.ReLU: 1.0,
    nn.Tanh: 1.0,
    nn.Sigmoid: 0.25,
    nn.GELU: 1.13,
    nn.Identity: 1.0,
    nn.Flatten: 1.0,
}

_SUPPORTED = (
    "nn.Sequential, Layered, BasicBlock, nn.Linear, nn.Conv2d (zero padding), nn.BatchNorm1d/2d "
    "(eval mode), Normalize, _Scale, NoiseInjection, nn.MaxPool2d, nn.AdaptiveMaxPool2d, "
    "nn.AdaptiveAvgPool2d, nn.ReLU, nn.Tanh, nn.Sigmoid, nn.GELU, nn.Identity and nn.Flatten"
)


def _runs_as(module: nn.Module, kind: type) -> bool:
    """``module`` is a ``kind`` whose forward is ``kind``'s own (a subclass may compute something else)."""
    return isinstance(module, kind) and type(module).forward is kind.forward


def _unsupported(module: nn.Module) -> ValueError:
    return ValueError(
        f"No Lipschitz bound is known for {type(module).__name__}: core.lipschitz bounds networks "
        f"built from {_SUPPORTED}."
    )


def spectral_norm_linear(weight: torch.Tensor) -> float:
    """‖W‖₂ = σ_max(W), the operator norm of z ↦ W z (exact, by SVD)."""
    return float(torch.linalg.matrix_norm(weight.detach().double(), ord=2))


def _conv_weight_bound(weight: torch.Tensor, conv: nn.Conv2d, input_shape: tuple[int, ...], device) -> float:
    """max over DFT frequencies of σ_max(Ŵ(ω)) for ``weight`` laid out as ``conv``'s (see
    spectral_norm_conv)."""
    if conv.padding_mode != "zeros":
        raise ValueError(
            f"Conv2d with padding_mode={conv.padding_mode!r} has no Lipschitz bound here: only zero "
            "padding is supported."
        )
    weight = weight.detach().to(device=device, dtype=torch.float64)
    if any(d > 1 for d in conv.dilation):  # the dilated kernel, written out with its zeros
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
        block = weight[group * per_group : (group + 1) * per_group]
        spectrum = torch.fft.fft2(block, s=(side_h, side_w)).permute(2, 3, 0, 1)  # N_h×N_w×c_out×c_in
        bound = max(bound, float(torch.linalg.matrix_norm(spectrum, ord=2).max()))
    return bound


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
    return _conv_weight_bound(conv.weight, conv, input_shape, resolve_device(device))


def batchnorm_scales(norm: nn.modules.batchnorm._BatchNorm) -> torch.Tensor:
    """The per-channel factors s_c = γ_c / √(v_c + ε) of an eval-mode batch norm (Ioffe & Szegedy
    2015), which is the affine map z_c ↦ s_c (z_c − μ_c) + β_c; its ℓ2 operator norm is max_c |s_c|."""
    if norm.training or norm.running_var is None:
        raise ValueError(
            f"{type(norm).__name__} normalises by each batch's own statistics in training mode or "
            "without running statistics, so it has no fixed Lipschitz constant: call model.eval() "
            "on a model that tracks running statistics first."
        )
    scale = 1.0 / torch.sqrt(norm.running_var.detach().double() + norm.eps)
    if norm.weight is not None:
        scale = scale * norm.weight.detach().double()
    return scale


def conv_batchnorm_bound(
    conv: nn.Conv2d, norm: nn.BatchNorm2d, input_shape: tuple[int, ...], *, device="cpu"
) -> float:
    """Upper bound on Lip₂(BN∘conv) = ‖diag(s) W‖₂, the norm of the folded convolution whose kernel
    is W'_o = s_o W_o (s from :func:`batchnorm_scales`), bounded by :func:`spectral_norm_conv`'s DFT
    bound (Sedghi et al. 2019). Never above ‖W‖₂ · max|s|, the product of the two norms, since
    σ_max(diag(s) Ŵ(ω)) ≤ max|s| σ_max(Ŵ(ω)) at every frequency."""
    device = resolve_device(device)
    scales = batchnorm_scales(norm).to(device)
    folded = conv.weight.detach().to(device=device, dtype=torch.float64) * scales.view(-1, 1, 1, 1)
    return _conv_weight_bound(folded, conv, input_shape, device)


def _pair(value) -> tuple[int, int]:
    return (int(value), int(value)) if isinstance(value, int) else (int(value[0]), int(value[1]))


def _sliding_windows(
    size: int, outputs: int, kernel: int, stride: int, padding: int, dilation: int
) -> list[list[int]]:
    """Input indices in each window of a max pooling along one axis (padding is no input)."""
    return [
        [
            i
            for i in range(j * stride - padding, j * stride - padding + (kernel - 1) * dilation + 1, dilation)
            if 0 <= i < size
        ]
        for j in range(outputs)
    ]


def _adaptive_windows(size: int, outputs: int) -> list[list[int]]:
    """PyTorch's adaptive pooling windows along one axis: [⌊j·n/m⌋, ⌈(j+1)·n/m⌉), j < m."""
    return [list(range((j * size) // outputs, -(-((j + 1) * size) // outputs))) for j in range(outputs)]


def _largest_overlap(windows: list[list[int]], size: int) -> int:
    counts = [0] * size
    for window in windows:
        for i in window:
            counts[i] += 1
    return max(counts, default=0)


def max_pool_bound(
    windows_h: list[list[int]], windows_w: list[list[int]], input_shape: tuple[int, ...]
) -> float:
    """Lip₂ of a max pooling with rectangular windows W_j = rows_j × columns_j: exactly √(m_h · m_w),
    m_h (m_w) the largest number of windows sharing one row (column) index.

    |max_{W} a − max_{W} b| ≤ max_{W} |a − b|, so ‖pool(a) − pool(b)‖₂² ≤ Σ_j Σ_{i∈W_j} (a_i − b_i)²
    ≤ m ‖a − b‖₂², m = m_h m_w the largest number of windows holding one input (a counting argument;
    cf. Tsuzuku, Sato & Sugiyama 2018, "Lipschitz-margin training", on pooling layers); raising alone
    an input that lies in m windows, above all others, attains it. Non-overlapping windows give 1.
    """
    m_h = _largest_overlap(windows_h, int(input_shape[-2]))
    m_w = _largest_overlap(windows_w, int(input_shape[-1]))
    return math.sqrt(m_h * m_w)


def average_pool_bound(
    windows_h: list[list[int]], windows_w: list[list[int]], input_shape: tuple[int, ...]
) -> float:
    """Lip₂ of an adaptive average pooling, exactly: ‖P_h‖₂ · ‖P_w‖₂.

    Each output is the mean over a window rows_j × columns_k, so on every channel the pooling is
    the linear map P_h ⊗ P_w with (P_h)_{j,i} = 1/|rows_j| for i ∈ rows_j (P_w alike); the singular
    values of a Kronecker product are the products of the factors' (Horn & Johnson, "Topics in
    Matrix Analysis", §4.2), and channels are pooled independently. The global pool of
    cifar_resnet (output 1×1 over H×W) has P = (1/HW)·𝟙ᵀ, norm exactly 1/√(HW) (1/8 at 8×8).
    """
    bound = 1.0
    for windows, size in ((windows_h, int(input_shape[-2])), (windows_w, int(input_shape[-1]))):
        matrix = torch.zeros((len(windows), size), dtype=torch.float64)
        for j, window in enumerate(windows):
            matrix[j, window] = 1.0 / len(window)
        bound *= float(torch.linalg.matrix_norm(matrix, ord=2))
    return bound


def _adaptive_sizes(module, input_shape) -> tuple[int, int]:
    size = module.output_size
    size = (size, size) if isinstance(size, int) or size is None else tuple(size)
    return tuple(int(input_shape[-2 + axis]) if s is None else int(s) for axis, s in enumerate(size))


def _pool_bound(module: nn.Module, input_shape: tuple[int, ...], output_shape: tuple[int, ...]) -> float:
    if _runs_as(module, nn.AdaptiveAvgPool2d) or _runs_as(module, nn.AdaptiveMaxPool2d):
        out_h, out_w = _adaptive_sizes(module, input_shape)
        windows_h = _adaptive_windows(int(input_shape[-2]), out_h)
        windows_w = _adaptive_windows(int(input_shape[-1]), out_w)
        if isinstance(module, nn.AdaptiveAvgPool2d):
            return average_pool_bound(windows_h, windows_w, input_shape)
        return max_pool_bound(windows_h, windows_w, input_shape)
    (kh, kw), (sh, sw) = _pair(module.kernel_size), _pair(module.stride)
    (ph, pw), (dh, dw) = _pair(module.padding), _pair(module.dilation)
    windows_h = _sliding_windows(int(input_shape[-2]), int(output_shape[-2]), kh, sh, ph, dh)
    windows_w = _sliding_windows(int(input_shape[-1]), int(output_shape[-1]), kw, sw, pw, dw)
    return max_pool_bound(windows_h, windows_w, input_shape)


def _is_pool(module: nn.Module) -> bool:
    if _runs_as(module, nn.MaxPool2d) or _runs_as(module, nn.AdaptiveMaxPool2d):
        return not module.return_indices
    return _runs_as(module, nn.AdaptiveAvgPool2d)


def _leaf_bound(
    module: nn.Module, input_shape: tuple[int, ...], output_shape: tuple[int, ...], device
) -> float:
    if _runs_as(module, nn.Linear):
        return spectral_norm_linear(module.weight)
    if _runs_as(module, nn.Conv2d):
        return spectral_norm_conv(module, input_shape, device=device)
    if _runs_as(module, Normalize):
        return float((1.0 / module.std.detach().double().abs()).max())
    if _runs_as(module, nn.BatchNorm2d) or _runs_as(module, nn.BatchNorm1d):
        return float(batchnorm_scales(module).abs().max())
    if _is_pool(module):
        return _pool_bound(module, input_shape, output_shape)
    if _runs_as(module, _Scale):
        return abs(float(module.factor))
    return next(bound for kind, bound in _ACTIVATION_BOUNDS.items() if _runs_as(module, kind))


def _check_leaf(module: nn.Module) -> None:
    """Refuse a module :func:`_leaf_bound` does not know before running it (nothing unknown is run),
    and a training-mode batch norm (running it would update its statistics)."""
    known = (nn.Linear, nn.Conv2d, Normalize, nn.BatchNorm2d, nn.BatchNorm1d, _Scale, *_ACTIVATION_BOUNDS)
    if not (any(_runs_as(module, kind) for kind in known) or _is_pool(module)):
        raise _unsupported(module)
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        batchnorm_scales(module)


def _output_shape(module: nn.Module, input_shape: tuple[int, ...], device) -> tuple[int, ...]:
    tensors = [*module.parameters(recurse=False), *module.buffers(recurse=False)]
    dtype = next((t.dtype for t in tensors if t.is_floating_point()), torch.float32)
    try:
        with torch.no_grad():
            return tuple(module(torch.zeros((1, *input_shape), device=device, dtype=dtype)).shape[1:])
    except RuntimeError as error:
        raise ValueError(
            f"Inputs of shape {tuple(input_shape)} do not fit {type(module).__name__} "
            f"({str(error).splitlines()[0].rstrip('.')}): give the shape of one input without the "
            "batch dimension, e.g. (3, 32, 32)."
        ) from error


def _sequence_bound(modules: list[nn.Module], input_shape: tuple[int, ...], device) -> tuple[float, tuple]:
    """Lip₂(f_n∘…∘f_1) ≤ Π Lip₂(f_k) (Szegedy et al. 2014, §4.3), each conv + eval batch norm pair
    bounded as one folded convolution (:func:`conv_batchnorm_bound`)."""
    bound, shape, k = 1.0, tuple(input_shape), 0
    while k < len(modules):
        module = modules[k]
        following = modules[k + 1] if k + 1 < len(modules) else None
        if (
            _runs_as(module, nn.Conv2d)
            and _runs_as(following, nn.BatchNorm2d)
            and following.num_features == module.out_channels
        ):
            batchnorm_scales(following)  # refuse a training-mode norm before running it
            out = _output_shape(following, _output_shape(module, shape, device), device)
            bound *= conv_batchnorm_bound(module, following, shape, device=device)
            shape, k = out, k + 2
            continue
        factor, shape = _module_bound(module, shape, device)
        bound *= factor
        k += 1
    return bound, shape


def residual_block_bound(
    block: BasicBlock, input_shape: tuple[int, ...], *, device="cpu"
) -> tuple[float, tuple]:
    """(L, output shape) with L ≥ Lip₂ of He et al. 2016's block z ↦ ReLU(r(z) + s(z)):
    Lip₂(ReLU∘(r + s)) ≤ Lip₂(r) + Lip₂(s) by the triangle inequality (as for the i-ResNets of
    Behrmann et al. 2019, where s is the identity and L = 1 + Lip₂(r)). The shortcut s is the
    identity (1) or a strided 1×1 convolution + batch norm, bounded like any other branch."""
    device = resolve_device(device)
    residual, shape = _module_bound(block.residual, tuple(input_shape), device)
    shortcut, shortcut_shape = _module_bound(block.shortcut, tuple(input_shape), device)
    if shape != shortcut_shape:
        raise ValueError(
            f"The residual branch gives shape {shape} but the shortcut {shortcut_shape}: the block "
            "cannot add them."
        )
    return residual + shortcut, shape


def _module_bound(module: nn.Module, input_shape: tuple[int, ...], device) -> tuple[float, tuple]:
    """(L, output shape), L ≥ Lip₂(module) on inputs of ``input_shape``, following the module's forward."""
    if _runs_as(module, NoiseInjection):
        return 1.0, tuple(input_shape)  # z + ε stretches no distance: the deterministic part is the identity
    if _runs_as(module, nn.Sequential):
        return _sequence_bound(list(module), input_shape, device)
    if _runs_as(module, Layered):
        return _sequence_bound(list(module.layers), input_shape, device)
    if _runs_as(module, BasicBlock):
        return residual_block_bound(module, input_shape, device=device)
    _check_leaf(module)
    output_shape = _output_shape(module, input_shape, device)
    return _leaf_bound(module, input_shape, output_shape, device), output_shape


def layer_lipschitz_bounds(
    model: Layered, input_shape: tuple[int, ...], *, upto: int | None = None, device="cpu"
) -> list[float]:
    """Upper bounds L_i on the ℓ2 Lipschitz constant of each layer φ(i), i ≤ ``upto`` (all by default),
    each following the layer's forward structure (compositions multiply, residual branches add)."""
    device = resolve_device(device)
    if not isinstance(model, Layered):
        raise ValueError("layer_lipschitz_bounds needs a Layered model (built by core.models).")
    bounds = []
    shape = tuple(int(d) for d in input_shape)
    for layer in list(model.layers)[:upto]:
        bound, shape = _module_bound(layer, shape, device)
        bounds.append(bound)
    return bounds


def lipschitz_upper_bound(model: Layered, layer: int, input_shape: tuple[int, ...], *, device="cpu") -> float:
    """L ≥ Lip₂(φ(layer)∘…∘φ(1)) as the product of per-layer bounds L_i (Szegedy et al. 2014, §4.3),
    each from :func:`layer_lipschitz_bounds`; 1 for layer = 0.

    ``input_shape`` excludes the batch dimension (e.g. (3, 32, 32) or (2,)).
    """
    if not 0 <= layer <= len(model.layers):
        raise ValueError(f"Layer index {layer} is out of range: use 0 (the input) to {len(model.layers)}.")
    bound = 1.0
    for value in layer_lipschitz_bounds(model, input_shape, upto=layer, device=device):
        bound *= value
    return bound
