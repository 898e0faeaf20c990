"""Devices and random generators: the two things every core function is explicit about."""
from __future__ import annotations

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
