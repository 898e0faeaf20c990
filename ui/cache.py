"""Cached loaders. Keys are plain values; cached objects are shared by every user of the server,
so callers must never mutate what these return (attacks and core functions do not)."""
from __future__ import annotations

import streamlit as st
import torch

from core import data, zoo
from core.device import resolve_device


@st.cache_resource(show_spinner=False)
def device() -> torch.device:
    return resolve_device(None)


MANIFEST = zoo.MODELS_DIR / zoo.MANIFEST_NAME


def _manifest_stamp() -> tuple[int, int]:
    """(mtime, size) of the manifest: part of the zoo cache keys, so a model trained while the
    server runs appears (and a retrained one reloads) without clearing the cache."""
    try:
        stat = MANIFEST.stat()
    except OSError:
        return (0, 0)
    return (stat.st_mtime_ns, stat.st_size)


def zoo_model(name: str) -> torch.nn.Module:
    """A shipped model in eval mode (raises core.zoo.ModelUnavailable with the rebuild command)."""
    return _zoo_model(name, _manifest_stamp())


@st.cache_resource(show_spinner="Loading the trained model…", max_entries=32)
def _zoo_model(name: str, manifest_stamp: tuple[int, int]) -> torch.nn.Module:
    model = zoo.load(name, device=device())
    for parameter in model.parameters():
        parameter.requires_grad_(False)  # shared: nobody trains a cached model
    return model


def zoo_entry(name: str) -> dict:
    return _zoo_entry(name, _manifest_stamp())


def zoo_names() -> list[str]:
    return _zoo_names(_manifest_stamp())


@st.cache_data(show_spinner=False, max_entries=256)
def _zoo_entry(name: str, manifest_stamp: tuple[int, int]) -> dict:
    return zoo.entry(name)


@st.cache_data(show_spinner=False, max_entries=8)
def _zoo_names(manifest_stamp: tuple[int, int]) -> list[str]:
    return zoo.names()


@st.cache_data(show_spinner=False)
def gallery(name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The offline gallery (foolbox's 20 real test images) of ``name``."""
    return data.gallery(name)


@st.cache_data(show_spinner=False)
def toy_dataset(name: str, n: int, noise: float, label_noise: float, seed: int):
    return data.toy_2d(name, n, noise=noise, label_noise=label_noise, seed=seed)
