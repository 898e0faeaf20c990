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


@st.cache_resource(show_spinner="Loading the trained model…")
def zoo_model(name: str) -> torch.nn.Module:
    """A shipped model in eval mode (raises core.zoo.ModelUnavailable with the rebuild command)."""
    model = zoo.load(name, device=device())
    for parameter in model.parameters():
        parameter.requires_grad_(False)  # shared: nobody trains a cached model
    return model


@st.cache_data(show_spinner=False)
def zoo_entry(name: str) -> dict:
    return zoo.entry(name)


@st.cache_data(show_spinner=False)
def zoo_names() -> list[str]:
    return zoo.names()


@st.cache_data(show_spinner=False)
def gallery(name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The offline gallery (foolbox's 20 real test images) of ``name``."""
    return data.gallery(name)


@st.cache_data(show_spinner=False)
def toy_dataset(name: str, n: int, noise: float, label_noise: float, seed: int):
    return data.toy_2d(name, n, noise=noise, label_noise=label_noise, seed=seed)
