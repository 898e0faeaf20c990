"""What several scenes share: the zoo's models by kind, their noise, the offline gallery, images as
arrays for figures. Plain core code (no Streamlit); results are NumPy so pages never touch torch."""

from __future__ import annotations

import functools

import numpy as np
import torch

from core import data, zoo
from core import noise as noises

DATASET_TITLES = {"cifar10": "CIFAR-10", "mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}
IMAGE_DATASETS = ("cifar10", "mnist", "fashion_mnist")


def assets_stamp() -> tuple:
    """(mtime, size) of what the scenes read from assets/ — the zoo's and the toys' manifests, the
    shipped results and scene files. Part of every cached scene call's key, so a model trained or a
    result regenerated while a server runs is picked up without clearing any cache."""
    from core import toys

    stamps = []
    for path in (
        zoo.MODELS_DIR / zoo.MANIFEST_NAME,
        toys.TOYS_DIR / toys.MANIFEST_NAME,
        zoo.ASSETS_DIR / "results",
        zoo.ASSETS_DIR / "scenes",
    ):
        try:
            stat = path.stat()
            stamps.append((stat.st_mtime_ns, stat.st_size))
        except OSError:
            stamps.append((0, 0))
    return tuple(stamps)


def ordered(names, prefer) -> list[str]:
    """``names`` with those in ``prefer`` first, in that order, the rest alphabetically."""
    prefer = list(prefer)
    return sorted(names, key=lambda name: (prefer.index(name) if name in prefer else len(prefer), name))


def deterministic_models(datasets=IMAGE_DATASETS) -> list[str]:
    """Zoo models without a noise layer on one of ``datasets``: the classifiers F that adversarial
    examples fool (standard and adversarially trained)."""
    return [
        name
        for name in zoo.names()
        if zoo.noise_record(name) is None and zoo.entry(name).get("dataset") in datasets
    ]


def noisy_input_models() -> list[str]:
    """Zoo models trained with noise at the input: the smoothed classifiers of the talk."""
    return [name for name in zoo.names() if (zoo.noise_record(name) or {}).get("layer", -1) == 0]


def dataset_of(name: str) -> str:
    return zoo.entry(name)["dataset"]


def zoo_noise(name: str) -> tuple[noises.Noise, int]:
    """The noise a zoo model was trained with (core.noise.Noise) and the layer it was injected after."""
    record = zoo.noise_record(name)
    if record is None:
        raise ValueError(f"{name} was trained without noise: pick a noise-trained model.")
    return noises.make(record["name"], float(record["scale"]), **dict(record.get("params") or {})), int(
        record["layer"]
    )


@functools.lru_cache(maxsize=8)
def gallery(dataset: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The 20 offline test images of ``dataset`` (foolbox's), shared: never mutate them."""
    return data.gallery(dataset)


def gallery_options(dataset: str) -> list[str]:
    """One label per gallery image, "#k · its class", for a selectbox."""
    names = data.CLASS_NAMES[dataset]
    return [f"#{k} · {names[int(label)]}" for k, label in enumerate(gallery(dataset)[1])]


def image_array(image: torch.Tensor) -> np.ndarray:
    """A C×H×W image in [0, 1] as an H×W×3 uint8 array (grey repeated when it has one channel)."""
    pixels = (image.detach().float().clamp(0, 1).cpu() * 255).round().to(torch.uint8)
    if pixels.shape[0] == 1:
        pixels = pixels.expand(3, -1, -1)
    return pixels.permute(1, 2, 0).numpy().copy()
