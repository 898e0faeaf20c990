"""Devices and random generators: the two things every core function is explicit about."""

from __future__ import annotations

import contextlib
import threading

import torch


def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """Return a ``torch.device``: ``None`` or ``"auto"`` picks CUDA when present, else CPU."""
    if device is None or (isinstance(device, str) and device == "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"Unknown device {device!r}: use cpu, cuda, cuda:0 or auto.") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("CUDA was requested but no GPU is available here; use device='cpu'.")
    return device


def make_generator(seed: int, device: str | torch.device | None = "cpu") -> torch.Generator:
    """A ``torch.Generator`` seeded with ``seed`` on ``device`` (draws on CUDA need a CUDA generator)."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}.")
    generator = torch.Generator(device=resolve_device(device))
    generator.manual_seed(seed)
    return generator


_FP32_LOCK = threading.Lock()
_FP32_USERS = [0, None]  # callers inside strict_fp32 now, and the TF32 settings they replaced


def _tf32_settings() -> tuple:
    conv = getattr(torch.backends.cudnn, "conv", None)
    if conv is not None and hasattr(conv, "fp32_precision"):  # torch ≥ 2.9's API
        return ("precision", conv.fp32_precision, torch.backends.cuda.matmul.fp32_precision)
    return ("allow", torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32)


def _apply_tf32(settings: tuple) -> None:
    kind, conv, matmul = settings
    if kind == "precision":
        torch.backends.cudnn.conv.fp32_precision = conv
        torch.backends.cuda.matmul.fp32_precision = matmul
    else:
        torch.backends.cudnn.allow_tf32 = conv
        torch.backends.cuda.matmul.allow_tf32 = matmul


def _strict_settings(settings: tuple) -> tuple:
    return (settings[0], "ieee", "ieee") if settings[0] == "precision" else ("allow", False, False)


@contextlib.contextmanager
def strict_fp32(device: str | torch.device | None = None):
    """Inside, float32 convolutions and matrix products on CUDA are IEEE float32, not TF32.

    cuDNN runs fp32 convolutions in TF32 (a 10-bit mantissa) by default on Ampere and later GPUs,
    which is another classifier than the fp32 one a certificate is stated for: PREDICT and CERTIFY
    run their forward passes in here (bf16 stays an explicit, recorded option). The previous settings
    come back when the last caller leaves; on a CPU nothing changes.
    """
    automatic = device is None or (isinstance(device, str) and device == "auto")
    on_cuda = torch.cuda.is_available() if automatic else torch.device(device).type == "cuda"
    if not on_cuda:
        yield
        return
    with _FP32_LOCK:
        if _FP32_USERS[0] == 0:
            _FP32_USERS[1] = _tf32_settings()
            _apply_tf32(_strict_settings(_FP32_USERS[1]))
        _FP32_USERS[0] += 1
    try:
        yield
    finally:
        with _FP32_LOCK:
            _FP32_USERS[0] -= 1
            if _FP32_USERS[0] == 0:
                _apply_tf32(_FP32_USERS[1])
