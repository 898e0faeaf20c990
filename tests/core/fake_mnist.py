"""A tiny MNIST folder in the .npz layout of ../shared/data, made from the 20 real offline digits.

CLI tests train and evaluate on it so that no test needs the real datasets.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch


def write_mnist_npz(folder: Path, *, train: int, test: int, seed: int = 0) -> Path:
    """Write ``mnist_train.npz`` / ``mnist_test.npz``: gallery digits drawn with replacement, each
    shifted by up to two pixels (so train and test are not the same images), labels kept."""
    from core import data

    images, labels = data.gallery("mnist")
    pixels = (images[:, 0] * 255).round().to(torch.uint8).numpy()
    rng = np.random.default_rng(seed)
    for split, count in (("train", train), ("test", test)):
        index = rng.integers(0, len(pixels), count)
        shifted = np.stack([np.roll(pixels[i], tuple(rng.integers(-2, 3, 2)), axis=(0, 1)) for i in index])
        np.savez_compressed(
            Path(folder) / f"mnist_{split}.npz", x=shifted, y=labels.numpy()[index].astype(np.uint8)
        )
    return Path(folder)
